/* org.axpert.Inverter: one object per device; properties from the field table plus derived ones. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-inverter.h"
#include "context.h"
#include "error-names.h"
#include "log.h"
#include "poller.h"
#include "setters.h"

/* Properties the daemon computes itself (DBUS-API.md); a table row of the same name is
 * shadowed by these. */
static const char *const derived_names[] = {
                "Online",
                "LastUpdateTimestamp",
                "LastError",
                "DevicePath",
                "Transport",
                "ModelName",
                "HasPv2",
                "PvInputPower",
                "Warnings",
                "Faults",
                "ParallelUnits",
                "TotalAcOutputActivePower",
                "TotalAcOutputApparentPower",
                "TotalAcOutputLoadPercent",
                "TotalChargingCurrent",
                "FirmwareFamily",
                "SettingLimits",
                "SettingOptions",
                "SettingChoices",
                NULL,
};

static BusFieldList inverter_fields;
static sd_bus_vtable *inverter_vtable;

const BusFieldList *bus_inverter_fields(void)
{
        (void)bus_inverter_vtable();
        return &inverter_fields;
}

static int property_get_field(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        Device *d = userdata;
        Pi30Field f = bus_field_list_lookup(&inverter_fields, property);

        if (f < 0)
                return -ENOENT;
        return bus_append_value(reply, f, &d->values[f]);
}

static int property_get_online(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error)
{
        Device *d = userdata;
        return sd_bus_message_append(reply, "b", (int)d->online);
}

static int property_get_last_update(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error)
{
        Device *d = userdata;
        /* Kept while offline: it says how old the last reading is. */
        return sd_bus_message_append(reply, "t", d->last_update_usec);
}

/* The rest of the derived properties come from one snapshot, the same one change detection
 * compares, so a signal and a GetAll can never disagree. */
static int property_get_derived(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error)
{
        Device *d = userdata;
        DeviceDerived v;
        const char *names[64];
        int r;

        device_get_derived(d, &v);

        if (streq(property, "LastError"))
                return sd_bus_message_append(reply, "s", v.last_error);
        if (streq(property, "DevicePath"))
                return sd_bus_message_append(reply, "s", v.device_path);
        if (streq(property, "Transport"))
                return sd_bus_message_append(reply, "s", v.transport);
        if (streq(property, "ModelName"))
                return sd_bus_message_append(reply, "s", v.model_name);
        if (streq(property, "HasPv2"))
                return sd_bus_message_append(reply, "b", (int)v.has_pv2);
        if (streq(property, "PvInputPower"))
                return sd_bus_message_append(reply, "d", v.pv_input_power);
        if (streq(property, "ParallelUnits"))
                return sd_bus_message_append(reply, "u", v.parallel_units);
        if (streq(property, "TotalAcOutputActivePower"))
                return sd_bus_message_append(reply, "d", v.total_ac_output_active_power);
        if (streq(property, "TotalAcOutputApparentPower"))
                return sd_bus_message_append(reply, "d", v.total_ac_output_apparent_power);
        if (streq(property, "TotalAcOutputLoadPercent"))
                return sd_bus_message_append(reply, "d", v.total_ac_output_load_percent);
        if (streq(property, "TotalChargingCurrent"))
                return sd_bus_message_append(reply, "d", v.total_charging_current);
        if (streq(property, "Warnings") || streq(property, "Faults")) {
                size_t n = 0;
                if (pi30_value_valid(&d->values[PI30_F_WARNING_STATUS]))
                        n = pi30_warnings_active(&d->values[PI30_F_WARNING_STATUS],
                                                 streq(property, "Faults"), names,
                                                 ELEMENTSOF(names));
                r = sd_bus_message_open_container(reply, 'a', "s");
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++) {
                        r = sd_bus_message_append(reply, "s", names[i]);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

/* ------------------------------------------------------------------------------------------ */
/* What the setters accept: from the same limits and rules setters.c validates with
 * (pi30_limits_from_values(), pi30_setting_accepted()), so what is offered is accepted. */

typedef struct SettingsView {
        Pi30Family family;
        Pi30Accepted accepted[_PI30_SET_MAX];
        bool known[_PI30_SET_MAX]; /* false: depends on what is not known yet (the rating) */
} SettingsView;

static void settings_view(const Pi30Value values[], SettingsView *ret)
{
        Pi30Limits limits;

        pi30_limits_from_values(values, &limits);
        ret->family = pi30_family_detect(values);
        for (int s = 0; s < _PI30_SET_MAX; s++)
                ret->known[s] = pi30_setting_accepted(s, &limits, &ret->accepted[s]) >= 0;
}

static bool settings_view_has(const SettingsView *v, int s, Pi30AcceptedKind kind)
{
        return v->known[s] && v->accepted[s].kind == kind;
}

static void text_add(char *buf, size_t size, size_t *len, const char *format, ...)
                __attribute__((format(printf, 4, 5)));

static void text_add(char *buf, size_t size, size_t *len, const char *format, ...)
{
        va_list ap;
        int k;

        if (*len >= size)
                return;
        va_start(ap, format);
        k = vsnprintf(buf + *len, size - *len, format, ap);
        va_end(ap);
        /* A cut text still compares unequal when its beginning changed; the tail cannot be cut
         * in practice (13 settings of at most PI30_LIST_MAX entries). */
        *len = k < 0 ? size : *len + (size_t)k;
}

void bus_inverter_settings_text(const Pi30Value values[], DeviceDerived *ret)
{
        SettingsView v;
        size_t l = 0, o = 0, c = 0;

        settings_view(values, &v);
        snprintf(ret->firmware_family, sizeof ret->firmware_family, "%s",
                 pi30_family_name(v.family));
        ret->setting_limits[0] = ret->setting_options[0] = ret->setting_choices[0] = 0;
        for (int s = 0; s < _PI30_SET_MAX; s++) {
                const Pi30Accepted *a = &v.accepted[s];
                const char *m = pi30_settings[s].method;

                if (!v.known[s])
                        continue;
                if (a->kind == PI30_ACCEPTED_RANGE)
                        text_add(ret->setting_limits, sizeof ret->setting_limits, &l,
                                 "%s=%.17g,%.17g,%.17g ", m, a->min, a->max, a->step);
                else if (a->kind == PI30_ACCEPTED_LIST) {
                        text_add(ret->setting_options, sizeof ret->setting_options, &o, "%s=", m);
                        for (size_t i = 0; i < a->n; i++)
                                text_add(ret->setting_options, sizeof ret->setting_options, &o,
                                         "%.17g,", a->values[i]);
                        text_add(ret->setting_options, sizeof ret->setting_options, &o, " ");
                } else {
                        text_add(ret->setting_choices, sizeof ret->setting_choices, &c, "%s=", m);
                        for (size_t i = 0; i < a->n; i++)
                                text_add(ret->setting_choices, sizeof ret->setting_choices, &c,
                                         "%s,", a->names[i]);
                        text_add(ret->setting_choices, sizeof ret->setting_choices, &c, " ");
                }
        }
}

static int property_get_settings(sd_bus *bus, const char *path, const char *interface,
                                 const char *property, sd_bus_message *reply, void *userdata,
                                 sd_bus_error *error)
{
        Device *d = userdata;
        Pi30AcceptedKind kind;
        const char *entry;
        SettingsView v;
        int r;

        settings_view(d->values, &v);
        if (streq(property, "FirmwareFamily"))
                return sd_bus_message_append(reply, "s", pi30_family_name(v.family));
        if (streq(property, "SettingLimits"))
                kind = PI30_ACCEPTED_RANGE, entry = "s(ddd)";
        else if (streq(property, "SettingOptions"))
                kind = PI30_ACCEPTED_LIST, entry = "sad";
        else if (streq(property, "SettingChoices"))
                kind = PI30_ACCEPTED_NAMES, entry = "sas";
        else
                return -ENOENT;

        r = sd_bus_message_open_container(reply, 'a',
                                          kind == PI30_ACCEPTED_RANGE  ? "{s(ddd)}"
                                          : kind == PI30_ACCEPTED_LIST ? "{sad}"
                                                                       : "{sas}");
        if (r < 0)
                return r;
        for (int s = 0; s < _PI30_SET_MAX; s++) {
                const Pi30Accepted *a = &v.accepted[s];

                if (!settings_view_has(&v, s, kind))
                        continue;
                r = sd_bus_message_open_container(reply, 'e', entry);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(reply, "s", pi30_settings[s].method);
                if (r < 0)
                        return r;
                if (kind == PI30_ACCEPTED_RANGE)
                        r = sd_bus_message_append(reply, "(ddd)", a->min, a->max, a->step);
                else if (kind == PI30_ACCEPTED_LIST)
                        r = sd_bus_message_append_array(reply, 'd', a->values,
                                                        a->n * sizeof a->values[0]);
                else {
                        r = sd_bus_message_open_container(reply, 'a', "s");
                        for (size_t i = 0; r >= 0 && i < a->n; i++)
                                r = sd_bus_message_append(reply, "s", a->names[i]);
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

size_t bus_inverter_derived_changes(const DeviceDerived *a, const DeviceDerived *b,
                                    const char **ret, size_t max)
{
        size_t n = 0;

#define CHANGED(cond, name)                                                                        \
        do {                                                                                       \
                if ((cond) && n < max)                                                             \
                        ret[n++] = (name);                                                         \
        } while (0)
        CHANGED(a->online != b->online, "Online");
        CHANGED(!streq(a->last_error, b->last_error), "LastError");
        CHANGED(!streq(a->device_path, b->device_path), "DevicePath");
        CHANGED(!streq(a->transport, b->transport), "Transport");
        CHANGED(!streq(a->model_name, b->model_name), "ModelName");
        CHANGED(a->has_pv2 != b->has_pv2, "HasPv2");
        CHANGED(!bus_double_equal(a->pv_input_power, b->pv_input_power), "PvInputPower");
        CHANGED(!streq(a->warnings, b->warnings), "Warnings");
        CHANGED(!streq(a->faults, b->faults), "Faults");
        CHANGED(a->parallel_units != b->parallel_units, "ParallelUnits");
        CHANGED(!bus_double_equal(a->total_ac_output_active_power, b->total_ac_output_active_power),
                "TotalAcOutputActivePower");
        CHANGED(!bus_double_equal(a->total_ac_output_apparent_power,
                                  b->total_ac_output_apparent_power),
                "TotalAcOutputApparentPower");
        CHANGED(!bus_double_equal(a->total_ac_output_load_percent, b->total_ac_output_load_percent),
                "TotalAcOutputLoadPercent");
        CHANGED(!bus_double_equal(a->total_charging_current, b->total_charging_current),
                "TotalChargingCurrent");
        CHANGED(!streq(a->firmware_family, b->firmware_family), "FirmwareFamily");
        CHANGED(!streq(a->setting_limits, b->setting_limits), "SettingLimits");
        CHANGED(!streq(a->setting_options, b->setting_options), "SettingOptions");
        CHANGED(!streq(a->setting_choices, b->setting_choices), "SettingChoices");
#undef CHANGED
        return n;
}

static int method_refresh(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Device *d = userdata;
        int r;

        r = poller_refresh(d->poller, m);
        if (r == -ENOTCONN)
                return sd_bus_error_setf(error, AXPERT_ERROR_OFFLINE, "Inverter %s is offline: %s",
                                         d->id, d->last_error);
        if (r < 0)
                return r;
        return 1; /* replied to when the cycle is done */
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define GUARDED SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable inverter_head[] = {
                SD_BUS_VTABLE_START(0),
                SD_BUS_PROPERTY("Online", "b", property_get_online, 0, EMITS),
                /* Read on demand: polling alone never wakes a client. */
                SD_BUS_PROPERTY("LastUpdateTimestamp", "t", property_get_last_update, 0, 0),
                SD_BUS_PROPERTY("LastError", "s", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("DevicePath", "s", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("Transport", "s", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("ModelName", "s", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("PvInputPower", "d", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("HasPv2", "b", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("Warnings", "as", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("Faults", "as", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("ParallelUnits", "u", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("TotalAcOutputActivePower", "d", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("TotalAcOutputApparentPower", "d", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("TotalAcOutputLoadPercent", "d", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("TotalChargingCurrent", "d", property_get_derived, 0, EMITS),
                SD_BUS_PROPERTY("FirmwareFamily", "s", property_get_settings, 0, EMITS),
                SD_BUS_PROPERTY("SettingLimits", "a{s(ddd)}", property_get_settings, 0, EMITS),
                SD_BUS_PROPERTY("SettingOptions", "a{sad}", property_get_settings, 0, EMITS),
                SD_BUS_PROPERTY("SettingChoices", "a{sas}", property_get_settings, 0, EMITS),
};

static const sd_bus_vtable inverter_tail[] = {
                /* Reading needs no authorization: anyone may ask for a fresh reading. */
                SD_BUS_METHOD("Refresh", NULL, NULL, method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_METHOD_WITH_ARGS("SetOutputSourcePriority", SD_BUS_ARGS("s", priority),
                                        SD_BUS_NO_RESULT, method_set_output_source_priority,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetChargerSourcePriority", SD_BUS_ARGS("s", priority),
                                        SD_BUS_NO_RESULT, method_set_charger_source_priority,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetInputVoltageRange", SD_BUS_ARGS("s", range),
                                        SD_BUS_NO_RESULT, method_set_input_voltage_range, GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetMaxChargingCurrent", SD_BUS_ARGS("d", amperes),
                                        SD_BUS_NO_RESULT, method_set_max_charging_current, GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetMaxAcChargingCurrent", SD_BUS_ARGS("d", amperes),
                                        SD_BUS_NO_RESULT, method_set_max_ac_charging_current,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryType", SD_BUS_ARGS("s", type), SD_BUS_NO_RESULT,
                                        method_set_battery_type, GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryRechargeVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_recharge_voltage,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryRedischargeVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_redischarge_voltage,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryUnderVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_under_voltage,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryBulkVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_bulk_voltage, GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryFloatVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_float_voltage,
                                        GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetFlag", SD_BUS_ARGS("s", flag, "b", enabled),
                                        SD_BUS_NO_RESULT, method_set_flag, GUARDED),
                SD_BUS_METHOD_WITH_ARGS("SetOutputFrequency", SD_BUS_ARGS("d", hertz),
                                        SD_BUS_NO_RESULT, method_set_output_frequency, GUARDED),
                SD_BUS_METHOD_WITH_ARGS("RawCommand", SD_BUS_ARGS("s", command),
                                        SD_BUS_RESULT("s", response), method_raw_command, GUARDED),
                SD_BUS_VTABLE_END,
};

const sd_bus_vtable *bus_inverter_vtable(void)
{
        size_t n = 0;

        if (inverter_vtable)
                return inverter_vtable;

        bus_field_list_build(&inverter_fields, PI30_EXPORT_INVERTER, derived_names);
        inverter_vtable = calloc(ELEMENTSOF(inverter_head) + inverter_fields.n +
                                                 ELEMENTSOF(inverter_tail),
                                 sizeof *inverter_vtable);
        if (!inverter_vtable)
                return NULL;
        memcpy(inverter_vtable, inverter_head, sizeof inverter_head);
        n = ELEMENTSOF(inverter_head);
        n += bus_vtable_add_fields(inverter_vtable + n, &inverter_fields, property_get_field);
        memcpy(inverter_vtable + n, inverter_tail, sizeof inverter_tail);
        return inverter_vtable;
}

int bus_inverter_add_object(Device *d)
{
        const sd_bus_vtable *vt = bus_inverter_vtable();

        if (!vt)
                return -ENOMEM;
        return sd_bus_add_object_vtable(d->context->bus, &d->slot, d->object_path, AXPERT_INTERFACE,
                                        vt, d);
}
