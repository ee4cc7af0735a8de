/* Structured journal entries (MESSAGE_ID) for the connection transitions of an inverter. */
#pragma once

/* sd-id128 strings; documented in doc/daemon.md so that `journalctl MESSAGE_ID=…` finds them. */
#define AXPERT_MESSAGE_CONNECTED "4e815edfb9f24d4c91442fa2bc0e49e9"
#define AXPERT_MESSAGE_LOST "ff4adbd6ba654b178f4c1694a7424deb"
#define AXPERT_MESSAGE_REESTABLISHED "de5898e9ed2649d7815077fb7186e28a"

/* Sends to the journal when its socket exists, else writes "<N>message MESSAGE_ID=…" to stderr.
 * device: the device id; path: the node; text: the human-readable message. */
void journal_device_event(int priority, const char *message_id, const char *device,
                          const char *path, const char *text);
