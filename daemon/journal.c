/* Structured journal entries (MESSAGE_ID) for the connection transitions of an inverter. */
#include <stdio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "journal.h"

void journal_device_event(int priority, const char *message_id, const char *device,
                          const char *path, const char *text)
{
        /* Under systemd stderr goes to the journal too: send structured entries directly and
         * skip stderr, so each transition is one entry. Without a journal (containers, tests)
         * the same facts go to stderr on one line. */
        if (access("/run/systemd/journal/socket", W_OK) == 0 &&
            sd_journal_send("MESSAGE=%s", text, "MESSAGE_ID=%s", message_id, "PRIORITY=%i",
                            priority, "AXPERT_DEVICE=%s", device, "AXPERT_DEVICE_PATH=%s", path,
                            NULL) >= 0)
                return;
        fprintf(stderr, "<%d>%s MESSAGE_ID=%s AXPERT_DEVICE=%s AXPERT_DEVICE_PATH=%s\n",
                priority, text, message_id, device, path);
}
