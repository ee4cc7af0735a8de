/* The errno <-> D-Bus error table both ways, through sd-bus's own mapping. */
#include <errno.h>
#include <string.h>

#include "bus-errors.h"
#include "tests.h"

int main(void)
{
        static const struct {
                const char *name;
                int error;
        } expect[] = {
                {AXPERT_ERROR_OFFLINE, ENOTCONN},
                {AXPERT_ERROR_REJECTED, EREMOTEIO},
                {AXPERT_ERROR_TIMEOUT, ETIMEDOUT},
                {AXPERT_ERROR_PROTOCOL, EPROTO},
                {AXPERT_ERROR_NOT_SUPPORTED, EOPNOTSUPP},
                {AXPERT_ERROR_INVALID_ARGS, EINVAL},
                {AXPERT_ERROR_ACCESS_DENIED, EACCES},
                {AXPERT_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED, EBADR},
        };

        CHECK_INT(axpert_bus_errors_register(), 0);
        CHECK_INT(axpert_bus_errors_register(), 0);
        for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                CHECK_STR(axpert_bus_error_name_from_errno(-expect[i].error), expect[i].name);
                sd_bus_error_set(&e, expect[i].name, "x");
                CHECK_INT(sd_bus_error_get_errno(&e), expect[i].error);
                sd_bus_error_free(&e);
                CHECK_INT(axpert_bus_error_set_errnof(&e, -expect[i].error, "x%d", 1),
                          -expect[i].error);
                CHECK_STR(e.name, expect[i].name);
                CHECK_STR(e.message, "x1");
                sd_bus_error_free(&e);
        }
        CHECK(axpert_bus_error_name_from_errno(ENOMEM) == NULL);
        sd_bus_error e = SD_BUS_ERROR_NULL;
        CHECK_INT(axpert_bus_error_set_errnof(&e, ENOMEM, "oom"), -ENOMEM);
        CHECK_STR(e.name, "org.freedesktop.DBus.Error.NoMemory");
        sd_bus_error_free(&e);
        return tests_finish("test-bus-errors");
}
