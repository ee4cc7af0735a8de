/* Asynchronous polkit authorization for sd-bus method handlers (the daemon never blocks on it). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/*
 * How a guarded method handler uses it:
 *
 *         r = polkit_verify(m, "org.axpert.Inverter.set-priorities", &uid, error);
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
 * password. A caller that disconnects while waiting is forgotten: no reply, and the handler is
 * not called again. A failing or absent polkit means "denied".
 */

/* 1: allowed (*ret_uid, if given, is the caller's uid as the bus driver reports it); 0: a query
 * is under way, return 1 from the handler without replying; negative errno with error set:
 * -EACCES (AccessDenied), -EBADR (InteractiveAuthorizationRequired), -EBUSY (too many callers
 * waiting: LimitsExceeded), -ESTALE (the handler asked for another action the second time),
 * other errors. */
int polkit_verify(sd_bus_message *m, const char *action, uid_t *ret_uid, sd_bus_error *error);

/* Queries still waiting for an answer (for tests and the shutdown log). */
unsigned polkit_pending(void);

/* Drops every query, without replying (daemon shutdown, before the bus is closed). */
void polkit_flush(void);
