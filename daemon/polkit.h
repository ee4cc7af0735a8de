/* Asynchronous polkit authorization for sd-bus method handlers (the daemon never blocks on it). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macros.h"

/*
 * How a guarded method handler uses it:
 *
 *         r = polkit_verify(polkit, m, "org.axpert.Inverter.set-priorities", &uid, error);
 *         if (r < 0)
 *                 return r;       (error is set: AccessDenied, InteractiveAuthorizationRequired …)
 *         if (r == 0)
 *                 return 1;       (no reply yet: the same message is dispatched again later)
 *         … allowed: act, reply …
 *
 * The first call for a message asks the bus driver who the caller is and, unless it is uid 0,
 * sends polkit's CheckAuthorization with a system-bus-name subject, both asynchronously, and
 * returns 0. When the answer is in, the message is put back on the bus's read queue, sd-bus
 * dispatches it to the same handler once more (after finding the object again), and this call
 * returns the stored verdict. Everything a handler does before polkit_verify() therefore runs
 * twice and must be free of side effects (parsing and validation are).
 *
 * The message's ALLOW_INTERACTIVE_AUTHORIZATION flag decides whether polkit may ask for a
 * password. A caller that disconnects while waiting is forgotten: no reply, the handler is not
 * called again, and polkit is told to cancel the check. A failing or absent polkit means
 * "denied".
 *
 * Limits (any local user may call): root is never limited (it needs no polkit). Checks waiting
 * at polkit are capped per uid, so one user's hanging calls cannot starve other users, and in
 * total, below dbus-daemon's limit of pending calls per connection (128 on the system bus),
 * which would otherwise refuse the daemon's own calls. Every query has a deadline; a check
 * still unanswered then is cancelled at polkit and denied.
 */

typedef struct Polkit Polkit;

/* Checks of one (non-root) uid waiting at polkit at the same time. */
#define POLKIT_CHECKS_PER_UID_MAX 32u
/* Checks of all users waiting at polkit at the same time. */
#define POLKIT_CHECKS_MAX 96u
/* How long a query may take: polkit answers a check without interaction at once, so this only
 * ends a wedged polkit; sd-bus clients (axpertctl, busctl, gdbus) give up after 25 s too. */
#define POLKIT_TIMEOUT_USEC (25u * USEC_PER_SEC)
/* A check that may ask for a password waits for a human typing it. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (120u * USEC_PER_SEC)

int polkit_new(Polkit **ret);
/* Drops every query, without replying (daemon shutdown, before the bus is closed). */
Polkit *polkit_free(Polkit *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Polkit *, polkit_free)

/* Other deadlines than POLKIT_TIMEOUT_USEC and POLKIT_INTERACTIVE_TIMEOUT_USEC (for tests);
 * applies to queries started afterwards. */
void polkit_set_timeouts(Polkit *p, uint64_t usec, uint64_t interactive_usec);

/* 1: allowed (*ret_uid, if given, is the caller's uid as the bus driver reports it); 0: a query
 * is under way, return 1 from the handler without replying; negative errno with error set:
 * -EACCES (AccessDenied; also when polkit did not answer before the deadline), -EBADR
 * (InteractiveAuthorizationRequired), -EBUSY (too many checks of this uid, or of everyone,
 * waiting: LimitsExceeded), -ESTALE (the handler asked for another action the second time),
 * other errors. */
int polkit_verify(Polkit *p, sd_bus_message *m, const char *action, uid_t *ret_uid,
                  sd_bus_error *error);

/* Queries still waiting for an answer (for tests and the shutdown log). */
unsigned polkit_pending(const Polkit *p);
