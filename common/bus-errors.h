/* The one errno <-> D-Bus error name table, shared by the daemon and its sd-bus clients. */
#pragma once

#include <systemd/sd-bus.h>

#include "error-names.h"

/* errno values the daemon uses for each condition (negated when returned):
 *   ENOTCONN   -> Offline        EREMOTEIO -> Rejected (NAK)
 *   ETIMEDOUT  -> Timeout        EPROTO    -> Protocol (CRC/framing kept failing)
 *   EOPNOTSUPP -> NotSupported   EINVAL    -> InvalidArgs
 *   EACCES     -> AccessDenied   EBADR     -> InteractiveAuthorizationRequired */
extern const sd_bus_error_map axpert_bus_error_map[];

/* Registers the table with sd-bus (idempotent), so sd_bus_error_set_errno() and
 * sd_bus_error_get_errno() translate in both directions. */
int axpert_bus_errors_register(void);

/* The D-Bus error name for an errno (positive or negative), NULL when the table has none. */
const char *axpert_bus_error_name_from_errno(int error);

/* Sets error to our name for an errno (positive or negative) with a formatted message; errnos
 * outside the table fall back to sd-bus's own mapping. Returns -abs(error). */
int axpert_bus_error_set_errnof(sd_bus_error *e, int error, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
