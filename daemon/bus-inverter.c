/* org.axpert.Inverter: one object per device; properties from the field table plus derived ones. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-inverter.h"
#include "device.h"
#include "error-names.h"
#include "log.h"
#include "poller.h"
#include "setters.h"

/* Derived properties that are not rows of pi30_fields[] (what a client sees, for change
 * detection: a copy of the last emitted one is compared with the current one). */
typedef struct InverterSnapshot {
        bool online;
        char last_error[256];
        char device_path[128];
        char transport[16];
        char model_name[PI30_STRING_MAX];
        bool has_pv2;
        double pv_input_power;
        uint32_t parallel_units;
        double total_ac_output_active_power;
        double total_ac_output_apparent_power;
        double total_ac_output_load_percent;
        double total_charging_current;
        char warnings[512]; /* names joined by ' ' (for comparison only) */
        char faults[512];
        /* What the setters accept (FirmwareFamily, SettingLimits, SettingOptions,
         * SettingChoices) as text, for comparison only: settings_text(). */
        char firmware_family[16];
        char setting_limits[1024];
        char setting_options[2048];
        char setting_choices[2048];
} InverterSnapshot;

/* The bus side of one device: its object and what it last signalled. */
struct BusInverter {
        sd_bus *bus;
        sd_bus_slot *slot;
        Pi30Value emitted[_PI30_FIELD_MAX];
        InverterSnapshot emitted_derived;
};

static void inverter_snapshot(Device *d, InverterSnapshot *ret);

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
        InverterSnapshot v;
        const char *names[64];
        int r;

        inverter_snapshot(d, &v);

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

static void settings_text(const Pi30Value values[], InverterSnapshot *ret)
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

static size_t derived_changes(const InverterSnapshot *a, const InverterSnapshot *b,
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

static void inverter_snapshot(Device *d, InverterSnapshot *ret)
{
        const Pi30Value *v = d->values;
        const char *names[64];
        size_t n;

        memset(ret, 0, sizeof *ret);
        ret->online = d->online;
        snprintf(ret->last_error, sizeof ret->last_error, "%s", d->last_error);
        snprintf(ret->device_path, sizeof ret->device_path, "%s", link_device_path(d->link));
        snprintf(ret->transport, sizeof ret->transport, "%s", link_transport_name(d->link));

        if (pi30_value_valid(&v[PI30_F_MODEL_NAME]))
                snprintf(ret->model_name, sizeof ret->model_name, "%s", v[PI30_F_MODEL_NAME].s);
        else if (pi30_value_valid(&v[PI30_F_GENERAL_MODEL_NUMBER]))
                snprintf(ret->model_name, sizeof ret->model_name, "%s",
                         v[PI30_F_GENERAL_MODEL_NUMBER].s);

        ret->has_pv2 = d->commands[PI30_CMD_QPIGS2].answered &&
                       !d->commands[PI30_CMD_QPIGS2].unsupported;

        if (pi30_value_valid(&v[PI30_F_PV_CHARGING_POWER]))
                ret->pv_input_power = v[PI30_F_PV_CHARGING_POWER].d;
        else if (pi30_value_valid(&v[PI30_F_PV_INPUT_CURRENT]) &&
                 pi30_value_valid(&v[PI30_F_BATTERY_VOLTAGE_FROM_SCC]))
                /* Firmware without field 20: what the charger pushes into the battery. */
                ret->pv_input_power = round(v[PI30_F_PV_INPUT_CURRENT].d *
                                            v[PI30_F_BATTERY_VOLTAGE_FROM_SCC].d * 10.0) /
                                      10.0;
        else
                ret->pv_input_power = NAN;

        ret->parallel_units = (uint32_t)d->n_units;
        if (d->n_units > 0) {
                const Pi30Value *u = d->units[0]->values;
#define NUM(x) (pi30_value_valid(&(x)) ? (x).d : NAN)
                ret->total_ac_output_active_power =
                                NUM(u[PI30_F_UNIT_TOTAL_AC_OUTPUT_ACTIVE_POWER]);
                ret->total_ac_output_apparent_power =
                                NUM(u[PI30_F_UNIT_TOTAL_AC_OUTPUT_APPARENT_POWER]);
                ret->total_ac_output_load_percent =
                                NUM(u[PI30_F_UNIT_TOTAL_AC_OUTPUT_LOAD_PERCENT]);
                ret->total_charging_current = NUM(u[PI30_F_UNIT_TOTAL_CHARGING_CURRENT]);
        } else {
                ret->total_ac_output_active_power = NUM(v[PI30_F_AC_OUTPUT_ACTIVE_POWER]);
                ret->total_ac_output_apparent_power = NUM(v[PI30_F_AC_OUTPUT_APPARENT_POWER]);
                ret->total_ac_output_load_percent = NUM(v[PI30_F_AC_OUTPUT_LOAD_PERCENT]);
                ret->total_charging_current = NUM(v[PI30_F_BATTERY_CHARGING_CURRENT]);
#undef NUM
        }

        if (pi30_value_valid(&v[PI30_F_WARNING_STATUS])) {
                for (int faults = 0; faults <= 1; faults++) {
                        char *buf = faults ? ret->faults : ret->warnings;
                        size_t size = faults ? sizeof ret->faults : sizeof ret->warnings, len = 0;
                        n = pi30_warnings_active(&v[PI30_F_WARNING_STATUS], faults, names,
                                                 ELEMENTSOF(names));
                        for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++) {
                                int k = snprintf(buf + len, size - len, "%s%s", i ? " " : "",
                                                 names[i]);
                                if (k < 0 || (size_t)k >= size - len)
                                        break;
                                len += (size_t)k;
                        }
                }
        }

        settings_text(v, ret);
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

int bus_inverter_add_object(sd_bus *bus, Device *d)
{
        const sd_bus_vtable *vt = bus_inverter_vtable();
        BusInverter *o;
        int r;

        if (!vt)
                return -ENOMEM;
        o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        o->bus = bus;
        /* What clients were shown at export time: the baseline for the first change signal. */
        inverter_snapshot(d, &o->emitted_derived);
        if (bus) {
                r = sd_bus_add_object_vtable(bus, &o->slot, d->object_path, AXPERT_INTERFACE, vt,
                                             d);
                if (r < 0) {
                        free(o);
                        return r;
                }
        }
        d->bus = o;
        return 0;
}

void bus_inverter_remove_object(Device *d)
{
        if (!d->bus)
                return;
        sd_bus_slot_unref(d->bus->slot);
        free(d->bus);
        d->bus = NULL;
}
/* ------------------------------------------------------------------------------------------ */

static int emit_list(sd_bus *bus, const char *path, const char *iface, const BusFieldList *list,
                     Pi30Value *emitted, const Pi30Value *values, const char **extra,
                     size_t n_extra)
{
        const char *names[_PI30_FIELD_MAX + 32];
        size_t n = 0;

        for (size_t i = 0; i < n_extra; i++)
                names[n++] = extra[i];
        for (size_t i = 0; i < list->n; i++) {
                Pi30Field f = list->fields[i];
                if (!pi30_value_equal(f, &emitted[f], &values[f])) {
                        names[n++] = pi30_field_info(f)->name;
                        emitted[f] = values[f];
                }
        }
        if (n == 0 || !bus)
                return 0;
        names[n] = NULL;
        return sd_bus_emit_properties_changed_strv(bus, path, iface, (char **)names);
}

int bus_inverter_emit_changes(Device *d)
{
        BusInverter *o = d->bus;
        sd_bus *bus = o ? o->bus : NULL;
        InverterSnapshot now;
        const char *extra[32];
        size_t n_extra;
        int r;

        /* Units first: a client that sees ParallelUnits change can find the objects. */
        for (size_t i = 0; i < d->n_gone_units; i++) {
                Unit *u = d->gone_units[i];
                if (bus)
                        (void)sd_bus_emit_interfaces_removed(bus, u->object_path,
                                                             AXPERT_UNIT_INTERFACE, NULL);
                unit_free(u);
        }
        d->n_gone_units = 0;
        for (size_t i = 0; i < d->n_units; i++) {
                Unit *u = d->units[i];
                if (!u->slot) {
                        memcpy(u->emitted, u->values, sizeof u->emitted);
                        if (bus) {
                                r = bus_unit_add_object(bus, u);
                                if (r < 0)
                                        log_warning_errno(r, "Cannot export %s, ignoring: %s",
                                                          u->object_path, strerror(abs(r)));
                                else
                                        (void)sd_bus_emit_interfaces_added(bus, u->object_path,
                                                                           AXPERT_UNIT_INTERFACE,
                                                                           NULL);
                        }
                        continue;
                }
                r = emit_list(bus, u->object_path, AXPERT_UNIT_INTERFACE, bus_unit_fields(),
                              u->emitted, u->values, NULL, 0);
                if (r < 0)
                        log_debug_errno(r, "Cannot emit PropertiesChanged on %s: %s",
                                        u->object_path, strerror(abs(r)));
        }

        if (!o)
                return 0;
        inverter_snapshot(d, &now);
        n_extra = derived_changes(&o->emitted_derived, &now, extra, ELEMENTSOF(extra));
        o->emitted_derived = now;
        r = emit_list(bus, d->object_path, AXPERT_INTERFACE, bus_inverter_fields(), o->emitted,
                      d->values, extra, n_extra);
        if (r < 0)
                log_debug_errno(r, "Cannot emit PropertiesChanged on %s: %s", d->object_path,
                                strerror(abs(r)));
        return r;
}
