/* Asynchronous polkit authorization for sd-bus method handlers (the daemon never blocks on it). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "macros.h"
#include "polkit.h"

/* CheckAuthorization's flag: polkit may ask the user for a password through an agent. */
#define POLKIT_CHECK_ALLOW_USER_INTERACTION 1u

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"

typedef struct PolkitQuery PolkitQuery;

typedef enum PolkitStage {
        POLKIT_STAGE_IDENTIFYING, /* GetConnectionCredentials is under way */
        POLKIT_STAGE_CHECKING,    /* CheckAuthorization is under way */
        POLKIT_STAGE_DONE,        /* the verdict is in (or the caller went away) */
} PolkitStage;

struct PolkitQuery {
        Polkit *polkit;
        PolkitQuery *prev, *next;

        sd_bus_message *request; /* the method call being authorized, referenced */
        char *action;
        bool interactive;
        PolkitStage stage;
        char cancellation_id[32]; /* of the CheckAuthorization, for CancelCheckAuthorization */

        sd_bus_slot *call_slot;  /* GetConnectionCredentials, then CheckAuthorization */
        sd_bus_slot *match_slot; /* NameOwnerChanged for the caller: it went away */
        sd_event_source *timeout;
        sd_event_source *defer; /* frees the query once the request has been dispatched again */

        uid_t uid;
        int verdict;        /* 0 while waiting, 1 allowed, negative errno otherwise */
        sd_bus_error error; /* for a negative verdict */
};

struct Polkit {
        PolkitQuery *queries;
        uint64_t timeout_usec;
        uint64_t interactive_timeout_usec;
        uint64_t n_checks_sent; /* makes every cancellation id unique on our connection */
};

int polkit_new(Polkit **ret)
{
        Polkit *p = calloc(1, sizeof *p);

        if (!p)
                return -ENOMEM;
        p->timeout_usec = POLKIT_TIMEOUT_USEC;
        p->interactive_timeout_usec = POLKIT_INTERACTIVE_TIMEOUT_USEC;
        *ret = p;
        return 0;
}

void polkit_set_timeouts(Polkit *p, uint64_t usec, uint64_t interactive_usec)
{
        p->timeout_usec = usec;
        p->interactive_timeout_usec = interactive_usec;
}

static PolkitQuery *polkit_query_free(PolkitQuery *q)
{
        if (!q)
                return NULL;

        if (q->prev)
                q->prev->next = q->next;
        else if (q->polkit->queries == q)
                q->polkit->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;

        /* Unreferencing a pending call's slot cancels it: its callback never runs. */
        sd_bus_slot_unref(q->call_slot);
        sd_bus_slot_unref(q->match_slot);
        sd_event_source_disable_unref(q->timeout);
        sd_event_source_disable_unref(q->defer);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q);
        return NULL;
}

Polkit *polkit_free(Polkit *p)
{
        if (!p)
                return NULL;
        while (p->queries)
                polkit_query_free(p->queries);
        free(p);
        return NULL;
}

static PolkitQuery *polkit_query_find(Polkit *p, sd_bus_message *m)
{
        for (PolkitQuery *q = p->queries; q; q = q->next)
                if (q->request == m)
                        return q;
        return NULL;
}

unsigned polkit_pending(const Polkit *p)
{
        unsigned n = 0;

        for (PolkitQuery *q = p->queries; q; q = q->next)
                if (q->verdict == 0)
                        n++;
        return n;
}

/* Checks waiting at polkit, of one uid or (uid == -1) of everyone. */
static unsigned polkit_checks_waiting(const Polkit *p, uid_t uid)
{
        unsigned n = 0;

        for (PolkitQuery *q = p->queries; q; q = q->next)
                if (q->stage == POLKIT_STAGE_CHECKING && (uid == (uid_t)-1 || q->uid == uid))
                        n++;
        return n;
}

static int polkit_query_defer_free(sd_event_source *s, void *userdata)
{
        PolkitQuery *q = userdata;

        /* Idle priority: runs after sd-bus has dispatched the re-queued request, or after a caller
         * that went away has been forgotten. */
        polkit_query_free(q);
        return 0;
}

static int polkit_query_schedule_free(PolkitQuery *q)
{
        sd_event *e;
        int r;

        if (q->defer)
                return 0;

        e = sd_bus_get_event(sd_bus_message_get_bus(q->request));
        if (!e)
                return -ENXIO;

        r = sd_event_add_defer(e, &q->defer, polkit_query_defer_free, q);
        if (r < 0)
                return r;
        r = sd_event_source_set_priority(q->defer, SD_EVENT_PRIORITY_IDLE);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(q->defer, SD_EVENT_ONESHOT);
}

/* Tells polkit to stop a check nobody waits for any more: otherwise an authentication agent
 * would keep asking for a password that no longer authorizes anything. */
static void polkit_query_cancel_check(PolkitQuery *q)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        if (q->stage != POLKIT_STAGE_CHECKING)
                return;
        q->call_slot = sd_bus_slot_unref(q->call_slot);

        r = sd_bus_message_new_method_call(bus, &c, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CancelCheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(c, "s", q->cancellation_id);
        /* Nothing to do with an answer: not one of our pending calls at the bus. */
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(c, false);
        if (r >= 0)
                r = sd_bus_send(bus, c, NULL);
        if (r < 0)
                log_debug_errno(r, "Could not cancel polkit check %s, ignoring: %s",
                                q->cancellation_id, strerror(-r));
}

/* The verdict is in: hand the request back to sd-bus so the handler runs again and finds it. */
static void polkit_query_complete(PolkitQuery *q)
{
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        q->stage = POLKIT_STAGE_DONE;
        q->call_slot = sd_bus_slot_unref(q->call_slot);
        q->match_slot = sd_bus_slot_unref(q->match_slot);
        (void)sd_event_source_set_enabled(q->timeout, SD_EVENT_OFF);

        r = polkit_query_schedule_free(q);
        if (r >= 0)
                r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to dispatch a method call again after authorization: %s",
                                strerror(-r));
                (void)sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_FAILED,
                                                 "Authorization could not be completed.");
                polkit_query_free(q);
        }
}

static void polkit_query_deny(PolkitQuery *q, int verdict, const char *name, const char *message)
{
        q->verdict = verdict;
        (void)sd_bus_error_set(&q->error, name, message);
        polkit_query_complete(q);
}

static int polkit_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        PolkitQuery *q = userdata;
        int authorized, challenge, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);

                /* No polkit, a polkit that fails or does not answer: fail closed. */
                log_debug("polkit check of %s for %s failed: %s: %s", q->action,
                          sd_bus_message_get_sender(q->request), e->name, e->message);
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                           SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED,
                                          "Access denied: the authorization service (polkit) is "
                                          "not available.");
                else
                        polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED,
                                          "Access denied: the authorization service (polkit) "
                                          "failed to answer.");
                return 0;
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                log_warning_errno(r, "polkit sent an unexpected answer, denying: %s", strerror(-r));
                polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Access denied: unexpected answer from polkit.");
                return 0;
        }

        log_debug("polkit: %s for %s (uid %u): authorized=%d challenge=%d", q->action,
                  sd_bus_message_get_sender(q->request), (unsigned)q->uid, authorized, challenge);

        if (authorized) {
                q->verdict = 1;
                polkit_query_complete(q);
        } else if (challenge && !q->interactive)
                polkit_query_deny(q, -EBADR, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                  "Interactive authentication required.");
        else
                polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED, "Access denied.");
        return 0;
}

static int polkit_query_send_check(PolkitQuery *q)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        r = sd_bus_message_new_method_call(bus, &c, POLKIT_NAME, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r < 0)
                return r;

        snprintf(q->cancellation_id, sizeof q->cancellation_id, "axpert-%" PRIu64,
                 ++q->polkit->n_checks_sent);

        /* The subject is the caller's unique name: polkit resolves it to a process and user
         * itself, through the same bus driver, so nothing the caller claims is trusted. No
         * details: polkit only accepts them from root or an action owner, and none are needed. */
        r = sd_bus_message_append(c, "(sa{sv})s", "system-bus-name", 1, "name", "s",
                                  sd_bus_message_get_sender(q->request), q->action);
        if (r < 0)
                return r;
        r = sd_bus_message_append(c, "a{ss}us", 0,
                                  q->interactive ? POLKIT_CHECK_ALLOW_USER_INTERACTION : 0u,
                                  q->cancellation_id);
        if (r < 0)
                return r;

        if (q->interactive) {
                r = sd_bus_message_set_allow_interactive_authorization(c, true);
                if (r < 0)
                        return r;
        }

        /* The query's own deadline ends the wait, and cancels the check at polkit; sd-bus's
         * timeout is only a backstop behind it. */
        r = sd_bus_call_async(bus, &q->call_slot, c, polkit_check_reply, q,
                              (q->interactive ? q->polkit->interactive_timeout_usec
                                              : q->polkit->timeout_usec) +
                                              5 * USEC_PER_SEC);
        if (r < 0)
                return r;
        q->stage = POLKIT_STAGE_CHECKING;
        return 0;
}

static int polkit_creds_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        PolkitQuery *q = userdata;
        bool have_uid = false;
        unsigned n;
        int r;

        q->call_slot = sd_bus_slot_unref(q->call_slot);

        if (sd_bus_message_is_method_error(reply, NULL)) {
                /* The driver does not know the name: the caller has gone already. */
                log_debug("Could not identify caller %s: %s", sd_bus_message_get_sender(q->request),
                          sd_bus_message_get_error(reply)->message);
                polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Access denied: the caller could not be identified.");
                return 0;
        }

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r > 0) {
                const char *key;

                r = sd_bus_message_enter_container(reply, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
                if (streq(key, "UnixUserID")) {
                        uint32_t uid;

                        r = sd_bus_message_read(reply, "v", "u", &uid);
                        if (r < 0)
                                break;
                        q->uid = (uid_t)uid;
                        have_uid = true;
                } else {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                break;
                }
                r = sd_bus_message_exit_container(reply);
        }
        if (r < 0 || !have_uid) {
                log_warning("The bus driver did not report the uid of %s, denying.",
                            sd_bus_message_get_sender(q->request));
                polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Access denied: the caller could not be identified.");
                return 0;
        }

        /* root needs no polkit (and a system without polkit stays manageable by root), so it is
         * never limited either. */
        if (q->uid == 0) {
                q->verdict = 1;
                polkit_query_complete(q);
                return 0;
        }

        /* The caps count checks at polkit only: those are what a hanging polkit or agent holds,
         * while identification is answered by the bus driver at once. Per uid, not per
         * connection: one user may open many connections (256 on the system bus). */
        n = polkit_checks_waiting(q->polkit, q->uid);
        if (n >= POLKIT_CHECKS_PER_UID_MAX) {
                char message[256];

                log_debug("%u checks of uid %u are waiting at polkit already; refusing %s.", n,
                          (unsigned)q->uid, sd_bus_message_get_sender(q->request));
                snprintf(message, sizeof message,
                         "Too many calls of uid %u are waiting for authorization (%u), try again "
                         "later.",
                         (unsigned)q->uid, POLKIT_CHECKS_PER_UID_MAX);
                polkit_query_deny(q, -EBUSY, SD_BUS_ERROR_LIMITS_EXCEEDED, message);
                return 0;
        }
        if (polkit_checks_waiting(q->polkit, (uid_t)-1) >= POLKIT_CHECKS_MAX) {
                polkit_query_deny(q, -EBUSY, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                  "Too many callers are waiting for authorization, try again "
                                  "later.");
                return 0;
        }

        r = polkit_query_send_check(q);
        if (r < 0) {
                log_error_errno(r, "Failed to ask polkit: %s", strerror(-r));
                polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED,
                                  "Access denied: the authorization service could not be asked.");
        }
        return 0;
}

static int polkit_query_timed_out(sd_event_source *s, uint64_t usec, void *userdata)
{
        PolkitQuery *q = userdata;
        uint64_t timeout = q->interactive ? q->polkit->interactive_timeout_usec
                                          : q->polkit->timeout_usec;
        char message[256];

        if (q->stage == POLKIT_STAGE_CHECKING) {
                log_notice("No answer from polkit within %.3g s about %s for %s (uid %u); "
                           "cancelling the check and denying.",
                           (double)timeout / USEC_PER_SEC, q->action,
                           sd_bus_message_get_sender(q->request), (unsigned)q->uid);
                polkit_query_cancel_check(q);
                snprintf(message, sizeof message,
                         "Access denied: no answer from polkit within %.3g s%s; the check was "
                         "cancelled.",
                         (double)timeout / USEC_PER_SEC,
                         q->interactive ? " (nobody entered a password in time?)" : "");
        } else
                snprintf(message, sizeof message,
                         "Access denied: the caller could not be identified within %.3g s.",
                         (double)timeout / USEC_PER_SEC);
        polkit_query_deny(q, -EACCES, SD_BUS_ERROR_ACCESS_DENIED, message);
        return 0;
}

static int polkit_caller_vanished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        PolkitQuery *q = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            (new_owner && new_owner[0] != 0))
                return 0;

        /* Nobody is left to act for or to answer: cancel the pending call and forget the
         * request. Freed from an idle event, not from inside the match's own callback. */
        log_debug("Caller %s disconnected while waiting for polkit, dropping its call.", name);
        polkit_query_cancel_check(q);
        q->call_slot = sd_bus_slot_unref(q->call_slot);
        q->stage = POLKIT_STAGE_DONE;
        q->verdict = -ECONNRESET;
        (void)sd_event_source_set_enabled(q->timeout, SD_EVENT_OFF);
        if (polkit_query_schedule_free(q) < 0)
                q->match_slot = sd_bus_slot_unref(q->match_slot);
        return 0;
}

static int polkit_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        /* Without the match a vanished caller is merely noticed later (polkit or the driver then
         * fail to find it, or the deadline passes); no reason to give up the connection. */
        if (sd_bus_message_is_method_error(m, NULL))
                log_debug("Could not watch a caller waiting for polkit, ignoring: %s",
                          sd_bus_message_get_error(m)->message);
        return 0;
}

int polkit_verify(Polkit *p, sd_bus_message *m, const char *action, uid_t *ret_uid,
                  sd_bus_error *error)
{
        _cleanup_free_ char *match = NULL;
        PolkitQuery *q;
        const char *sender;
        sd_bus *bus;
        sd_event *event;
        int r;

        if (!p || !m || !action)
                return -EINVAL;

        q = polkit_query_find(p, m);
        if (q) {
                /* The second dispatch of the same message: the answer is in. */
                if (q->verdict == 0)
                        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED,
                                                "Authorization still in progress.");
                if (!streq(q->action, action))
                        /* The handler changed its mind about what it asks for: do not reuse. */
                        return sd_bus_error_set_errnof(error, ESTALE,
                                                       "Authorization was for another action.");
                if (q->verdict > 0) {
                        if (ret_uid)
                                *ret_uid = q->uid;
                        return 1;
                }
                (void)sd_bus_error_copy(error, &q->error);
                return q->verdict;
        }

        bus = sd_bus_message_get_bus(m);
        sender = sd_bus_message_get_sender(m);
        if (!sender)
                /* A direct connection has no bus driver to say who is calling. */
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "Access denied: the caller could not be identified.");
        event = sd_bus_get_event(bus);
        if (!event)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED,
                                        "Authorization is not possible on this connection.");

        /* No cap here: who is calling is not known yet, and root must never be refused. The
         * bus itself bounds this stage (128 pending calls per caller connection), and the
         * driver answers it at once. */
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->polkit = p;
        q->next = p->queries;
        if (p->queries)
                p->queries->prev = q;
        p->queries = q;

        q->request = sd_bus_message_ref(m);
        q->uid = (uid_t)-1;
        q->stage = POLKIT_STAGE_IDENTIFYING;
        q->action = strdup(action);
        if (!q->action) {
                polkit_query_free(q);
                return -ENOMEM;
        }
        r = sd_bus_message_get_allow_interactive_authorization(m);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }
        q->interactive = r > 0;

        r = sd_event_add_time_relative(event, &q->timeout, CLOCK_MONOTONIC,
                                       q->interactive ? p->interactive_timeout_usec
                                                      : p->timeout_usec,
                                       0, polkit_query_timed_out, q);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }

        /* Installed before anything else is sent: dbus-daemon handles our messages in order, so a
         * caller that leaves while the driver or polkit is busy with it is always noticed. */
        if (asprintf(&match,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     sender) < 0) {
                match = NULL;
                polkit_query_free(q);
                return -ENOMEM;
        }
        r = sd_bus_add_match_async(bus, &q->match_slot, match, polkit_caller_vanished,
                                   polkit_match_installed, q);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }

        /* Who is calling, from the bus driver (SO_PEERCRED at connect time), asynchronously:
         * root is let through without polkit. */
        r = sd_bus_call_method_async(bus, &q->call_slot, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionCredentials", polkit_creds_reply, q, "s",
                                     sender);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }

        return 0;
}
