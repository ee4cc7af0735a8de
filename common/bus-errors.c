/* The one errno <-> D-Bus error name table, shared by the daemon and its sd-bus clients. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-errors.h"

const sd_bus_error_map axpert_bus_error_map[] = {
        SD_BUS_ERROR_MAP(AXPERT_ERROR_OFFLINE, ENOTCONN),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_REJECTED, EREMOTEIO),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_TIMEOUT, ETIMEDOUT),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_PROTOCOL, EPROTO),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_NOT_SUPPORTED, EOPNOTSUPP),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_INVALID_ARGS, EINVAL),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_ACCESS_DENIED, EACCES),
        SD_BUS_ERROR_MAP(AXPERT_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, EBADR),
        SD_BUS_ERROR_MAP_END,
};

int axpert_bus_errors_register(void)
{
        static int registered;
        int r;

        if (registered)
                return 0;
        r = sd_bus_error_add_map(axpert_bus_error_map);
        if (r < 0)
                return r;
        registered = 1;
        return 0;
}

const char *axpert_bus_error_name_from_errno(int error)
{
        error = abs(error);
        for (const sd_bus_error_map *m = axpert_bus_error_map; m->name; m++)
                if (m->code == error)
                        return m->name;
        return NULL;
}

int axpert_bus_error_set_errnof(sd_bus_error *e, int error, const char *format, ...)
{
        const char *name = axpert_bus_error_name_from_errno(error);
        char msg[512];
        va_list ap;

        error = abs(error);
        va_start(ap, format);
        vsnprintf(msg, sizeof msg, format, ap);
        va_end(ap);
        if (!name)
                return sd_bus_error_set_errnof(e, error, "%s", msg);
        (void)sd_bus_error_set(e, name, msg);
        return -error;
}
