/* Structured journal entries (MESSAGE_ID): connection transitions, setting changes, raw commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "journal.h"
#include "log.h"
#include "macros.h"

/* Room for MESSAGE, MESSAGE_ID, PRIORITY and the caller's fields. */
#define JOURNAL_FIELDS_MAX 16

static int journal_send(int priority, const char *message_id, const char *text,
                        const JournalField *fields, size_t n_fields)
{
        _cleanup_free_ char *message = NULL, *id = NULL;
        char prio[32];
        char *items[JOURNAL_FIELDS_MAX] = {NULL};
        struct iovec iov[JOURNAL_FIELDS_MAX + 3];
        size_t n = 0, n_items = 0;
        int r = 0;

        if (n_fields > JOURNAL_FIELDS_MAX)
                return -E2BIG;
        if (asprintf(&message, "MESSAGE=%s", text) < 0) {
                message = NULL;
                return -ENOMEM;
        }
        if (asprintf(&id, "MESSAGE_ID=%s", message_id) < 0) {
                id = NULL;
                return -ENOMEM;
        }
        snprintf(prio, sizeof prio, "PRIORITY=%i", priority);
        iov[n++] = (struct iovec){.iov_base = message, .iov_len = strlen(message)};
        iov[n++] = (struct iovec){.iov_base = id, .iov_len = strlen(id)};
        iov[n++] = (struct iovec){.iov_base = prio, .iov_len = strlen(prio)};
        for (size_t i = 0; i < n_fields; i++) {
                if (!fields[i].value)
                        continue;
                if (asprintf(&items[n_items], "%s=%s", fields[i].name, fields[i].value) < 0) {
                        items[n_items] = NULL;
                        r = -ENOMEM;
                        break;
                }
                iov[n++] = (struct iovec){.iov_base = items[n_items],
                                          .iov_len = strlen(items[n_items])};
                n_items++;
        }
        if (r >= 0)
                r = sd_journal_sendv(iov, (int)n);
        for (size_t i = 0; i < n_items; i++)
                free(items[i]);
        return r;
}

void journal_entry(int priority, const char *message_id, const char *text,
                   const JournalField *fields, size_t n_fields)
{
        /* Under systemd stderr goes to the journal too: send structured entries directly and
         * skip stderr, so each event is one entry. sd_journal_send() reports success when
         * journald is absent, hence the check for its socket: without a journal (containers,
         * tests) the same facts go to stderr on one line. */
        if (access("/run/systemd/journal/socket", W_OK) == 0 &&
            journal_send(priority, message_id, text, fields, n_fields) >= 0)
                return;

        /* Without a journal: the human line "<N>text" (log_struct() adds the MESSAGE_ID and the
         * fields only for programs that ask, AXPERT_LOG_FIELDS=1). */
        LogField lf[JOURNAL_FIELDS_MAX];
        size_t n = n_fields < JOURNAL_FIELDS_MAX ? n_fields : JOURNAL_FIELDS_MAX;
        for (size_t i = 0; i < n; i++)
                lf[i] = (LogField){.name = fields[i].name, .value = fields[i].value};
        log_struct(priority, message_id, text, lf, n);
}

void journal_device_event(int priority, const char *message_id, const char *device,
                          const char *path, const char *text)
{
        const JournalField fields[] = {
                        {"AXPERT_DEVICE", device},
                        {"AXPERT_DEVICE_PATH", path},
        };

        journal_entry(priority, message_id, text, fields, ELEMENTSOF(fields));
}
