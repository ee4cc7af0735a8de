/* The verbs that act: set-* (one method call each, printing old -> new), set-flag, raw, refresh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "axpertctl.h"
#include "format.h"
#include "macros.h"
#include "polkit-actions.h"


/* Replies come after the inverter's ACK; a password prompt may take the user a while. */
#define CALL_TIMEOUT_USEC (60 * USEC_PER_SEC)
#define INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)

/* The Set… methods of DBUS-API.md, with the property each one changes. */
const SetVerb set_verbs[] = {
                {"set-output-source-priority", "SetOutputSourcePriority", 's',
                 "OutputSourcePriority", "output source priority",
                 "utility-first|solar-first|sbu"},
                {"set-charger-source-priority", "SetChargerSourcePriority", 's',
                 "ChargerSourcePriority", "charger source priority",
                 "utility-first|solar-first|solar-and-utility|solar-only"},
                {"set-input-voltage-range", "SetInputVoltageRange", 's', "InputVoltageRange",
                 "input voltage range", "appliance|ups"},
                {"set-max-charging-current", "SetMaxChargingCurrent", 'd', "MaxChargingCurrent",
                 "maximum charging current", "AMPERES"},
                {"set-max-ac-charging-current", "SetMaxAcChargingCurrent", 'd',
                 "MaxAcChargingCurrent", "maximum AC charging current", "AMPERES"},
                {"set-battery-type", "SetBatteryType", 's', "BatteryType",
                 "battery type", "TYPE"},
                {"set-battery-recharge-voltage", "SetBatteryRechargeVoltage", 'd',
                 "BatteryRechargeVoltage", "battery recharge voltage", "VOLTS"},
                {"set-battery-redischarge-voltage", "SetBatteryRedischargeVoltage", 'd',
                 "BatteryRedischargeVoltage", "battery re-discharge voltage",
                 "VOLTS"},
                {"set-battery-under-voltage", "SetBatteryUnderVoltage", 'd', "BatteryUnderVoltage",
                 "battery cut-off voltage", "VOLTS"},
                {"set-battery-bulk-voltage", "SetBatteryBulkVoltage", 'd', "BatteryBulkVoltage",
                 "battery bulk (C.V.) voltage", "VOLTS"},
                {"set-battery-float-voltage", "SetBatteryFloatVoltage", 'd', "BatteryFloatVoltage",
                 "battery float voltage", "VOLTS"},
                {"set-output-frequency", "SetOutputFrequency", 'd', "AcOutputRatingFrequency",
                 "output frequency", "50|60"},
};
const size_t n_set_verbs = ELEMENTSOF(set_verbs);

/* SetFlag's flag names and the property each one changes. */
static const struct {
        const char *flag;
        const char *property;
} flags[] = {
                {"buzzer", "BuzzerEnabled"},
                {"overload-bypass", "OverloadBypassEnabled"},
                {"power-saving", "PowerSavingEnabled"},
                {"lcd-return-to-default", "LcdReturnToDefaultEnabled"},
                {"overload-restart", "OverloadRestartEnabled"},
                {"over-temperature-restart", "OverTemperatureRestartEnabled"},
                {"backlight", "BacklightEnabled"},
                {"primary-source-interrupt-alarm", "PrimarySourceInterruptAlarmEnabled"},
                {"fault-code-record", "FaultCodeRecordEnabled"},
};

/* Calls a method of the picked inverter with the polkit agent running while it may ask. */
static int call_inverter(sd_bus *bus, const DeviceObject *d, const char *method, bool privileged,
                         sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, AXPERT_BUS_NAME, d->path, AXPERT_INTERFACE,
                                           method);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        if (privileged)
                (void)polkit_agent_open_if_enabled();
        r = sd_bus_call(bus, m,
                        privileged && arg_ask_password ? INTERACTIVE_TIMEOUT_USEC
                                                       : CALL_TIMEOUT_USEC,
                        error, ret_reply);
        if (privileged)
                polkit_agent_close();
        return r;
}

/* Prints "Name: old → new" (or "Name: value (unchanged)") from a fresh read of the inverter. */
static int print_change(sd_bus *bus, const char *id, const char *property, const Property *old)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const Property *now = NULL;
        int r;

        r = inventory_load(bus, &inv, &error);
        if (r < 0)
                return report_bus_error("the setting was changed, but reading it back failed",
                                        &error, r, NULL);
        for (size_t i = 0; i < inv.n_devices; i++)
                if (streq(inv.devices[i].id, id))
                        now = property_list_find(&inv.devices[i].props, property);
        if (!now)
                return 0; /* an older daemon without the property: the call succeeded, nothing to
                             show */

        printf("%s: ", property);
        if (old && !property_equal(old, now)) {
                property_print_value_or_none(old, stdout, true, use_ascii);
                printf(" %s ", glyph_arrow());
                property_print_value_or_none(now, stdout, true, use_ascii);
        } else {
                property_print_value_or_none(now, stdout, true, use_ascii);
                printf(" (unchanged)");
        }
        putchar('\n');
        return 0;
}

static const SetVerb *set_verb_find(const char *verb)
{
        for (size_t i = 0; i < n_set_verbs; i++)
                if (streq(set_verbs[i].verb, verb))
                        return &set_verbs[i];
        return NULL;
}

int verb_set(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const SetVerb *v = set_verb_find(argv[0]);
        const char *value = argv[1];
        char what[256];
        DeviceObject *d;
        double number = 0;
        int r;

        if (!v)
                return report_usage("unknown command \"%s\"", argv[0]);
        if (v->type == 'd' && parse_double(value, &number) < 0)
                return report_usage("\"%s\" is not a number (%s takes %s, written like 54.5)",
                                    value, v->verb, v->arg_help);

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;

        if (v->type == 'd')
                r = call_inverter(bus, d, v->method, true, &error, NULL, "d", number);
        else
                r = call_inverter(bus, d, v->method, true, &error, NULL, "s", value);
        snprintf(what, sizeof what, "cannot set the %s to \"%s\"", v->what, value);
        if (r < 0)
                return report_bus_error(what, &error, r, axpert_polkit_action(v->method));

        return print_change(bus, d->id, v->property, property_list_find(&d->props, v->property));
}

int verb_set_flag(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const char *flag = argv[1], *property = NULL;
        char what[256];
        DeviceObject *d;
        int enable, r;

        enable = parse_boolean(argv[2]);
        if (enable < 0)
                return report_usage("\"%s\" is not on or off", argv[2]);
        /* Unknown flags still go to axpertd: it is the authority and may know more flags than we.
         */
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (streq(flags[i].flag, flag))
                        property = flags[i].property;

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;

        r = call_inverter(bus, d, "SetFlag", true, &error, NULL, "sb", flag, enable);
        snprintf(what, sizeof what, "cannot turn flag \"%s\" %s", flag, enable ? "on" : "off");
        if (r < 0)
                return report_bus_error(what, &error, r, axpert_polkit_action("SetFlag"));
        if (!property)
                return 0;
        return print_change(bus, d->id, property, property_list_find(&d->props, property));
}

int verb_raw(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        const char *response;
        char what[256];
        DeviceObject *d;
        int r;

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;

        r = call_inverter(bus, d, "RawCommand", true, &error, &reply, "s", argv[1]);
        snprintf(what, sizeof what, "raw command \"%s\" failed", argv[1]);
        if (r < 0)
                return report_bus_error(what, &error, r, axpert_polkit_action("RawCommand"));
        r = sd_bus_message_read(reply, "s", &response);
        if (r < 0)
                return report_error(EXIT_FAILED, "%s: cannot parse the answer of axpertd: %s", what,
                                    strerror(-r));

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_object(&w);
                json_key(&w, "Command");
                json_string(&w, argv[1]);
                json_key(&w, "Response");
                json_string(&w, response);
                json_end_object(&w);
                json_finish(&w);
        } else
                printf("%s\n", response);
        return 0;
}

int verb_refresh(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        DeviceObject *d;
        int r;

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;
        r = call_inverter(bus, d, "Refresh", false, &error, NULL, NULL);
        if (r < 0)
                return report_bus_error("cannot refresh the inverter", &error, r, NULL);
        return 0;
}
