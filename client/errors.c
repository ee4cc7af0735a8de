/* One-line error reports with a hint for the common cases, and the exit code for each. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "axpertctl.h"
#include "error-names.h"
#include "macros.h"

int report_usage(const char *format, ...)
{
        va_list ap;

        fputs("axpertctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EXIT_USAGE;
}

int report_error(int code, const char *format, ...)
{
        va_list ap;

        fputs("axpertctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -code;
}

static bool connection_errno(int r)
{
        switch (r < 0 ? -r : r) {
        case ENOTCONN:
        case ECONNRESET:
        case ECONNREFUSED:
        case ENOENT:
        case EPIPE:
        case ESHUTDOWN:
        case EACCES:
                return true;
        default:
                return false;
        }
}

static bool error_is(const sd_bus_error *e, const char *name)
{
        return sd_bus_error_has_name(e, name);
}

int report_bus_error(const char *what, const sd_bus_error *e, int r, const char *action)
{
        const char *msg = e && e->message && *e->message ? e->message : strerror(r < 0 ? -r : r);
        const char *where = arg_host ? " on the remote host" : "";

        /* No error name, or one sd-bus made up from a local connection errno
         * ("System.Error.ENOTCONN"): the connection itself failed (socket missing, ssh failed, bus
         * went away). */
        if (!e || !sd_bus_error_is_set(e) ||
            (strneq(e->name, "System.Error.", strlen("System.Error.")) && connection_errno(r))) {
                if (arg_host)
                        return report_error(EXIT_UNREACHABLE,
                                            "%s: cannot talk to the system bus of %s: %s; check "
                                            "that \"ssh %s\" works and that axpertd runs there",
                                            what, arg_host, strerror(r < 0 ? -r : r), arg_host);
                return report_error(EXIT_UNREACHABLE,
                                    "%s: cannot talk to the system bus: %s; is dbus running?", what,
                                    strerror(r < 0 ? -r : r));
        }

        if (error_is(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            error_is(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
            strneq(e->name, "org.freedesktop.DBus.Error.Spawn.",
                   strlen("org.freedesktop.DBus.Error.Spawn.")))
                return report_error(
                                EXIT_UNREACHABLE,
                                "%s: axpertd is not running%s; start it with "
                                "\"systemctl start axpertd\" (its log: \"journalctl -u axpertd\")",
                                what, where);
        if (error_is(e, SD_BUS_ERROR_NO_REPLY) || error_is(e, SD_BUS_ERROR_TIMEOUT) ||
            error_is(e, SD_BUS_ERROR_DISCONNECTED))
                return report_error(
                                EXIT_UNREACHABLE,
                                "%s: axpertd did not answer (%s); see \"journalctl -u axpertd\"",
                                what, msg);
        if (error_is(e, AXPERT_ERROR_ACCESS_DENIED)) {
                /* dbus-daemon itself refused the message: the bus policy is missing or wrong. */
                if (e->message && strstr(e->message, "Rejected send message"))
                        return report_error(EXIT_DENIED,
                                            "%s: the D-Bus policy does not let this user talk to "
                                            "axpertd; is /usr/share/dbus-1/system.d/"
                                            "org.axpert.Inverter.conf installed?",
                                            what);
                if (action)
                        return report_error(EXIT_DENIED,
                                            "%s: access denied by polkit (action %s); run it as "
                                            "root or ask the administrator for a polkit rule",
                                            what, action);
                return report_error(EXIT_DENIED, "%s: access denied: %s", what, msg);
        }
        if (error_is(e, AXPERT_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                return report_error(EXIT_DENIED,
                                    "%s: authentication is required (polkit action %s); run it "
                                    "from a terminal without --no-ask-password, or as root",
                                    what, action ? action : "unknown");
        if (error_is(e, AXPERT_ERROR_INVALID_ARGS))
                /* axpertd puts the accepted range or list into the message. */
                return report_error(EXIT_INVALID, "%s: %s", what, msg);
        if (error_is(e, AXPERT_ERROR_OFFLINE)) {
                /* axpertd says "The inverter is offline.": not twice. Anything more it says is
                 * the reason, and is kept. */
                size_t l = strlen("the inverter is offline");
                bool same = strncasecmp(msg, "the inverter is offline", l) == 0 &&
                            (msg[l] == 0 || streq(msg + l, "."));

                return report_error(EXIT_OFFLINE,
                                    "%s: the inverter is offline%s%s%s; check the cable and "
                                    "\"axpertctl status\"",
                                    what, same ? "" : " (", same ? "" : msg, same ? "" : ")");
        }
        if (error_is(e, AXPERT_ERROR_REJECTED))
                return report_error(EXIT_REJECTED,
                                    "%s: the inverter refused the command (%s); some settings can "
                                    "only be changed in certain modes or ranges",
                                    what, msg);
        if (error_is(e, AXPERT_ERROR_TIMEOUT) || error_is(e, AXPERT_ERROR_PROTOCOL))
                return report_error(EXIT_COMMUNICATION,
                                    "%s: communication with the inverter failed (%s); see "
                                    "\"journalctl -u axpertd\"",
                                    what, msg);
        if (error_is(e, AXPERT_ERROR_NOT_SUPPORTED))
                return report_error(EXIT_NOT_SUPPORTED,
                                    "%s: this inverter model does not support it (%s)", what, msg);
        if (error_is(e, SD_BUS_ERROR_UNKNOWN_OBJECT))
                return report_error(
                                EXIT_NO_DEVICE,
                                "%s: the inverter vanished from the bus; see \"axpertctl list\"",
                                what);
        if (error_is(e, SD_BUS_ERROR_UNKNOWN_METHOD) || error_is(e, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                return report_error(EXIT_NOT_SUPPORTED,
                                    "%s: this axpertd does not offer it (%s); is it older than "
                                    "axpertctl?",
                                    what, msg);
        return report_error(EXIT_FAILED, "%s: %s", what, msg);
}
