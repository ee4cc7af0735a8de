/* org.axpert.Inverter: one object per device; properties from the field table plus derived ones. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
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

/* ------------------------------------------------------------------------------------------ */
/* The derived properties: the ones the daemon computes itself (DBUS-API.md), not rows of
 * pi30_fields[] (a row of the same name is shadowed). One snapshot holds what a client sees of
 * all of them; one table row per property says where in it the value is and of what type, and
 * drives the vtable entry, the getter and the change comparison alike, so a signal and a GetAll
 * can never disagree. */

#define SNAPSHOT_NAMES_MAX 64

typedef struct NameList {
        const char *names[SNAPSHOT_NAMES_MAX]; /* static strings (pi30_warnings_active()) */
        size_t n;
} NameList;

typedef struct InverterSnapshot {
        bool online;
        uint64_t last_update_usec;
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
        NameList warnings, faults;
        /* What the setters accept, as the getter appends it, and as text for the comparison
         * (settings_text()). */
        SettingsView settings;
        char firmware_family[16];
        char setting_limits[1024];
        char setting_options[2048];
        char setting_choices[2048];
        uint32_t usb_resets;
} InverterSnapshot;

typedef enum DerivedType {
        DERIVED_BOOL,           /* b from bool */
        DERIVED_UINT64,         /* t from uint64_t */
        DERIVED_UINT32,         /* u from uint32_t */
        DERIVED_DOUBLE,         /* d from double, NaN equal to NaN */
        DERIVED_STRING,         /* s from char[] */
        DERIVED_NAMES,          /* as from NameList */
        DERIVED_SETTINGS_RANGE, /* a{s(ddd)} from settings; compared as the text at offset */
        DERIVED_SETTINGS_LIST,  /* a{sad} … */
        DERIVED_SETTINGS_NAMES, /* a{sas} … */
} DerivedType;

typedef struct DerivedProperty {
        const char *name;
        const char *signature;
        DerivedType type;
        size_t offset; /* into InverterSnapshot */
        bool emits;    /* false: read on demand, never in PropertiesChanged */
} DerivedProperty;

#define ROW(name, sig, type, member, emits)                                                        \
        {                                                                                          \
                name, sig, type, offsetof(InverterSnapshot, member), emits                         \
        }

/* In the order of the vtable (and of the introspection XML). */
static const DerivedProperty derived_properties[] = {
                ROW("Online", "b", DERIVED_BOOL, online, true),
                /* Read on demand: polling alone never wakes a client. */
                ROW("LastUpdateTimestamp", "t", DERIVED_UINT64, last_update_usec, false),
                ROW("LastError", "s", DERIVED_STRING, last_error, true),
                ROW("DevicePath", "s", DERIVED_STRING, device_path, true),
                ROW("Transport", "s", DERIVED_STRING, transport, true),
                ROW("ModelName", "s", DERIVED_STRING, model_name, true),
                ROW("PvInputPower", "d", DERIVED_DOUBLE, pv_input_power, true),
                ROW("HasPv2", "b", DERIVED_BOOL, has_pv2, true),
                ROW("Warnings", "as", DERIVED_NAMES, warnings, true),
                ROW("Faults", "as", DERIVED_NAMES, faults, true),
                ROW("ParallelUnits", "u", DERIVED_UINT32, parallel_units, true),
                ROW("TotalAcOutputActivePower", "d", DERIVED_DOUBLE, total_ac_output_active_power,
                    true),
                ROW("TotalAcOutputApparentPower", "d", DERIVED_DOUBLE,
                    total_ac_output_apparent_power, true),
                ROW("TotalAcOutputLoadPercent", "d", DERIVED_DOUBLE, total_ac_output_load_percent,
                    true),
                ROW("TotalChargingCurrent", "d", DERIVED_DOUBLE, total_charging_current, true),
                ROW("FirmwareFamily", "s", DERIVED_STRING, firmware_family, true),
                ROW("SettingLimits", "a{s(ddd)}", DERIVED_SETTINGS_RANGE, setting_limits, true),
                ROW("SettingOptions", "a{sad}", DERIVED_SETTINGS_LIST, setting_options, true),
                ROW("SettingChoices", "a{sas}", DERIVED_SETTINGS_NAMES, setting_choices, true),
                ROW("UsbResets", "u", DERIVED_UINT32, usb_resets, true),
};
#undef ROW

static const DerivedProperty *derived_property(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(derived_properties); i++)
                if (streq(derived_properties[i].name, name))
                        return &derived_properties[i];
        return NULL;
}

static void settings_text(const SettingsView *v, InverterSnapshot *ret)
{
        size_t l = 0, o = 0, c = 0;

        snprintf(ret->firmware_family, sizeof ret->firmware_family, "%s",
                 pi30_family_name(v->family));
        ret->setting_limits[0] = ret->setting_options[0] = ret->setting_choices[0] = 0;
        for (int s = 0; s < _PI30_SET_MAX; s++) {
                const Pi30Accepted *a = &v->accepted[s];
                const char *m = pi30_settings[s].method;

                if (!v->known[s])
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

static void inverter_snapshot(Device *d, InverterSnapshot *ret)
{
        const Pi30Value *v = d->values;

        memset(ret, 0, sizeof *ret);
        ret->online = d->online;
        ret->last_update_usec = d->last_update_usec; /* kept while offline: how old it is */
        snprintf(ret->last_error, sizeof ret->last_error, "%s", d->last_error);
        snprintf(ret->device_path, sizeof ret->device_path, "%s", link_device_path(d->link));
        snprintf(ret->transport, sizeof ret->transport, "%s", link_transport_name(d->link));
        ret->usb_resets = link_usb_resets(d->link);

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
#define NUM(x) (pi30_value_valid(&(x)) ? (x).d : NAN)
        if (d->n_units > 0) {
                const Pi30Value *u = d->units[0]->values;
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
        }
#undef NUM

        if (pi30_value_valid(&v[PI30_F_WARNING_STATUS])) {
                /* The count of all active ones: only the first SNAPSHOT_NAMES_MAX were written. */
                ret->warnings.n = pi30_warnings_active(&v[PI30_F_WARNING_STATUS], false,
                                                       ret->warnings.names, SNAPSHOT_NAMES_MAX);
                ret->faults.n = pi30_warnings_active(&v[PI30_F_WARNING_STATUS], true,
                                                     ret->faults.names, SNAPSHOT_NAMES_MAX);
                if (ret->warnings.n > SNAPSHOT_NAMES_MAX)
                        ret->warnings.n = SNAPSHOT_NAMES_MAX;
                if (ret->faults.n > SNAPSHOT_NAMES_MAX)
                        ret->faults.n = SNAPSHOT_NAMES_MAX;
        }

        settings_view(v, &ret->settings);
        settings_text(&ret->settings, ret);
}

static int append_settings(sd_bus_message *reply, const SettingsView *v, Pi30AcceptedKind kind)
{
        const char *entry = kind == PI30_ACCEPTED_RANGE  ? "s(ddd)"
                            : kind == PI30_ACCEPTED_LIST ? "sad"
                                                         : "sas";
        char container[16];
        int r;

        snprintf(container, sizeof container, "{%s}", entry);
        r = sd_bus_message_open_container(reply, 'a', container);
        if (r < 0)
                return r;
        for (int s = 0; s < _PI30_SET_MAX; s++) {
                const Pi30Accepted *a = &v->accepted[s];

                if (!settings_view_has(v, s, kind))
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

static int derived_append(sd_bus_message *reply, const DerivedProperty *p,
                          const InverterSnapshot *snap)
{
        const void *at = (const uint8_t *)snap + p->offset;

        switch (p->type) {
        case DERIVED_BOOL:
                return sd_bus_message_append(reply, "b", (int)*(const bool *)at);
        case DERIVED_UINT64:
                return sd_bus_message_append(reply, "t", *(const uint64_t *)at);
        case DERIVED_UINT32:
                return sd_bus_message_append(reply, "u", *(const uint32_t *)at);
        case DERIVED_DOUBLE:
                return sd_bus_message_append(reply, "d", *(const double *)at);
        case DERIVED_STRING:
                return sd_bus_message_append(reply, "s", (const char *)at);
        case DERIVED_NAMES: {
                const NameList *l = at;
                int r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t i = 0; r >= 0 && i < l->n; i++)
                        r = sd_bus_message_append(reply, "s", l->names[i]);
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        case DERIVED_SETTINGS_RANGE:
                return append_settings(reply, &snap->settings, PI30_ACCEPTED_RANGE);
        case DERIVED_SETTINGS_LIST:
                return append_settings(reply, &snap->settings, PI30_ACCEPTED_LIST);
        case DERIVED_SETTINGS_NAMES:
                return append_settings(reply, &snap->settings, PI30_ACCEPTED_NAMES);
        }
        return -EINVAL;
}

static bool derived_equal(const DerivedProperty *p, const InverterSnapshot *a,
                          const InverterSnapshot *b)
{
        const void *x = (const uint8_t *)a + p->offset, *y = (const uint8_t *)b + p->offset;

        switch (p->type) {
        case DERIVED_BOOL:
                return *(const bool *)x == *(const bool *)y;
        case DERIVED_UINT64:
                return *(const uint64_t *)x == *(const uint64_t *)y;
        case DERIVED_UINT32:
                return *(const uint32_t *)x == *(const uint32_t *)y;
        case DERIVED_DOUBLE:
                return bus_double_equal(*(const double *)x, *(const double *)y);
        case DERIVED_NAMES: {
                const NameList *l = x, *m = y;
                if (l->n != m->n)
                        return false;
                for (size_t i = 0; i < l->n; i++)
                        if (!streq(l->names[i], m->names[i]))
                                return false;
                return true;
        }
        case DERIVED_STRING:
        case DERIVED_SETTINGS_RANGE:
        case DERIVED_SETTINGS_LIST:
        case DERIVED_SETTINGS_NAMES:
                return streq((const char *)x, (const char *)y);
        }
        return false;
}

static int property_get_derived(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error)
{
        const DerivedProperty *p = derived_property(property);
        InverterSnapshot *snap;
        int r;

        if (!p)
                return -ENOENT;
        snap = malloc(sizeof *snap); /* ~17 KiB: not on the stack of a bus callback */
        if (!snap)
                return -ENOMEM;
        inverter_snapshot(userdata, snap);
        r = derived_append(reply, p, snap);
        free(snap);
        return r;
}

/* Names of the derived properties whose value differs between a and b (those that emit). */
static size_t derived_changes(const InverterSnapshot *a, const InverterSnapshot *b,
                              const char **ret, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(derived_properties) && n < max; i++)
                if (derived_properties[i].emits && !derived_equal(&derived_properties[i], a, b))
                        ret[n++] = derived_properties[i].name;
        return n;
}

/* The bus side of one device: its object and what it last signalled. */
struct BusInverter {
        sd_bus *bus;
        sd_bus_slot *slot;
        Pi30Value emitted[_PI30_FIELD_MAX];
        InverterSnapshot emitted_derived;
};

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

/* Callable by anyone as far as the bus policy goes: the handler asks polkit (setters.c). */
#define POLKIT_CHECKED SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable inverter_tail[] = {
                /* Reading needs no authorization: anyone may ask for a fresh reading. */
                SD_BUS_METHOD("Refresh", NULL, NULL, method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_METHOD_WITH_ARGS("SetOutputSourcePriority", SD_BUS_ARGS("s", priority),
                                        SD_BUS_NO_RESULT, method_set_output_source_priority,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetChargerSourcePriority", SD_BUS_ARGS("s", priority),
                                        SD_BUS_NO_RESULT, method_set_charger_source_priority,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetInputVoltageRange", SD_BUS_ARGS("s", range),
                                        SD_BUS_NO_RESULT, method_set_input_voltage_range,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetMaxChargingCurrent", SD_BUS_ARGS("d", amperes),
                                        SD_BUS_NO_RESULT, method_set_max_charging_current,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetMaxAcChargingCurrent", SD_BUS_ARGS("d", amperes),
                                        SD_BUS_NO_RESULT, method_set_max_ac_charging_current,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryType", SD_BUS_ARGS("s", type), SD_BUS_NO_RESULT,
                                        method_set_battery_type, POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryRechargeVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_recharge_voltage,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryRedischargeVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_redischarge_voltage,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryUnderVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_under_voltage,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryBulkVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_bulk_voltage,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetBatteryFloatVoltage", SD_BUS_ARGS("d", volts),
                                        SD_BUS_NO_RESULT, method_set_battery_float_voltage,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetFlag", SD_BUS_ARGS("s", flag, "b", enabled),
                                        SD_BUS_NO_RESULT, method_set_flag, POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("SetOutputFrequency", SD_BUS_ARGS("d", hertz),
                                        SD_BUS_NO_RESULT, method_set_output_frequency,
                                        POLKIT_CHECKED),
                SD_BUS_METHOD_WITH_ARGS("RawCommand", SD_BUS_ARGS("s", command),
                                        SD_BUS_RESULT("s", response), method_raw_command,
                                        POLKIT_CHECKED),
                SD_BUS_VTABLE_END,
};

const sd_bus_vtable *bus_inverter_vtable(void)
{
        size_t n = 0;

        if (inverter_vtable)
                return inverter_vtable;

        static const char *derived_names[ELEMENTSOF(derived_properties) + 1];
        for (size_t i = 0; i < ELEMENTSOF(derived_properties); i++)
                derived_names[i] = derived_properties[i].name;
        bus_field_list_build(&inverter_fields, PI30_EXPORT_INVERTER, derived_names);
        inverter_vtable = calloc(1 + ELEMENTSOF(derived_properties) + inverter_fields.n +
                                                 ELEMENTSOF(inverter_tail),
                                 sizeof *inverter_vtable);
        if (!inverter_vtable)
                return NULL;
        inverter_vtable[n++] = (sd_bus_vtable)SD_BUS_VTABLE_START(0);
        for (size_t i = 0; i < ELEMENTSOF(derived_properties); i++) {
                const DerivedProperty *p = &derived_properties[i];
                inverter_vtable[n++] = (sd_bus_vtable)SD_BUS_PROPERTY(
                                p->name, p->signature, property_get_derived, 0,
                                p->emits ? SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE : 0);
        }
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
                if (!pi30_value_equal(&emitted[f], &values[f])) {
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
