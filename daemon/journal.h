/* Structured journal entries (MESSAGE_ID): connection transitions, setting changes, raw commands.
 */
#pragma once

#include <stddef.h>

/* sd-id128 strings; documented in doc/daemon.md and doc/setters.md so that
 * `journalctl MESSAGE_ID=…` finds them. */
#define AXPERT_MESSAGE_CONNECTED "4e815edfb9f24d4c91442fa2bc0e49e9"
#define AXPERT_MESSAGE_LOST "ff4adbd6ba654b178f4c1694a7424deb"
#define AXPERT_MESSAGE_REESTABLISHED "de5898e9ed2649d7815077fb7186e28a"
/* The USB recovery ladder (link.c): a reset started, done, failed; the node found again under
 * another name. */
#define AXPERT_MESSAGE_USB_RESET "af1952d1256d4f3d81653fd4dca22ffe"
#define AXPERT_MESSAGE_USB_RESET_DONE "af7f6be32dd34e8aa5f28831bd23bf55"
#define AXPERT_MESSAGE_USB_RESET_FAILED "0a874013e57944328923f82613fca0fc"
#define AXPERT_MESSAGE_NODE_FOUND "70e220182eb54995815f6c4fb988e33d"

typedef struct JournalField {
        const char *name; /* AXPERT_DEVICE, … */
        const char *value;
} JournalField;

/* One entry: to the journal when its socket exists, else "<N>text MESSAGE_ID=… NAME=value …" on
 * one stderr line (containers, the tests). Fields with a NULL value are left out. */
void journal_entry(int priority, const char *message_id, const char *text,
                   const JournalField *fields, size_t n_fields);

/* A connection transition. device: the device id; path: the node; text: the human-readable
 * message. */
void journal_device_event(int priority, const char *message_id, const char *device,
                          const char *path, const char *text);
