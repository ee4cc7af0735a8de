/* Setters: typed value -> validated, exact PI30 command, or an error naming what is accepted. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "pi30.h"

const Pi30SettingInfo pi30_settings[] = {
                {PI30_SET_OUTPUT_SOURCE_PRIORITY, "SetOutputSourcePriority", "s",
                 PI30_F_OUTPUT_SOURCE_PRIORITY, PI30_CMD_QPIRI, false,
                 "output source priority (POP)"},
                {PI30_SET_CHARGER_SOURCE_PRIORITY, "SetChargerSourcePriority", "s",
                 PI30_F_CHARGER_SOURCE_PRIORITY, PI30_CMD_QPIRI, true,
                 "charger source priority (PCP, PPCP per parallel unit)"},
                {PI30_SET_INPUT_VOLTAGE_RANGE, "SetInputVoltageRange", "s",
                 PI30_F_INPUT_VOLTAGE_RANGE, PI30_CMD_QPIRI, false, "AC input voltage range (PGR)"},
                {PI30_SET_MAX_CHARGING_CURRENT, "SetMaxChargingCurrent", "d",
                 PI30_F_MAX_CHARGING_CURRENT, PI30_CMD_QPIRI, true,
                 "max charging current (MCHGC, MNCHGC from 100 A)"},
                {PI30_SET_MAX_AC_CHARGING_CURRENT, "SetMaxAcChargingCurrent", "d",
                 PI30_F_MAX_AC_CHARGING_CURRENT, PI30_CMD_QPIRI, true,
                 "max AC charging current (MUCHGC)"},
                {PI30_SET_BATTERY_TYPE, "SetBatteryType", "s", PI30_F_BATTERY_TYPE, PI30_CMD_QPIRI,
                 false, "battery type (PBT)"},
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, "SetBatteryRechargeVoltage", "d",
                 PI30_F_BATTERY_RECHARGE_VOLTAGE, PI30_CMD_QPIRI, false,
                 "re-charge voltage (PBCV)"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, "SetBatteryRedischargeVoltage", "d",
                 PI30_F_BATTERY_REDISCHARGE_VOLTAGE, PI30_CMD_QPIRI, false,
                 "re-discharge voltage (PBDV)"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, "SetBatteryUnderVoltage", "d",
                 PI30_F_BATTERY_UNDER_VOLTAGE, PI30_CMD_QPIRI, false, "cut-off voltage (PSDV)"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, "SetBatteryBulkVoltage", "d",
                 PI30_F_BATTERY_BULK_VOLTAGE, PI30_CMD_QPIRI, false, "bulk (C.V.) voltage (PCVV)"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, "SetBatteryFloatVoltage", "d",
                 PI30_F_BATTERY_FLOAT_VOLTAGE, PI30_CMD_QPIRI, false, "float voltage (PBFT)"},
                {PI30_SET_FLAG, "SetFlag", "sb", _PI30_FIELD_INVALID, PI30_CMD_QFLAG, false,
                 "enable/disable flag (PE/PD)"},
                {PI30_SET_OUTPUT_FREQUENCY, "SetOutputFrequency", "d",
                 PI30_F_AC_OUTPUT_RATING_FREQUENCY, PI30_CMD_QPIRI, false,
                 "output frequency (F50/F60)"},
};

const Pi30Flag pi30_flags[] = {
                {"buzzer", 'a', PI30_F_FLAG_BUZZER},
                {"overload-bypass", 'b', PI30_F_FLAG_OVERLOAD_BYPASS},
                {"power-saving", 'j', PI30_F_FLAG_POWER_SAVING},
                {"lcd-return-to-default", 'k', PI30_F_FLAG_LCD_RETURN_TO_DEFAULT},
                {"overload-restart", 'u', PI30_F_FLAG_OVERLOAD_RESTART},
                {"over-temperature-restart", 'v', PI30_F_FLAG_OVER_TEMPERATURE_RESTART},
                {"backlight", 'x', PI30_F_FLAG_BACKLIGHT},
                {"primary-source-interrupt-alarm", 'y', PI30_F_FLAG_PRIMARY_SOURCE_INTERRUPT_ALARM},
                {"fault-code-record", 'z', PI30_F_FLAG_FAULT_CODE_RECORD},
};

const size_t pi30_n_flags = sizeof pi30_flags / sizeof pi30_flags[0];

/* Allowed voltages per battery rating (PI30.md §5). Where the documents differ between
 * series the wider range is accepted: the inverter NAKs what its own firmware does not allow.
 * 12 V ranges that no document gives are the 24 V ones halved. Values in tenths of a volt. */
typedef struct VoltageRule {
        Pi30Setting setting;
        int rating;
        int min, max, step; /* range in tenths, when list is empty */
        const int *list;    /* explicit values in tenths */
        size_t n_list;
        bool allow_zero; /* PBDV 00.0 = "when the battery is full" */
        const char *command;
} VoltageRule;

static const int pbcv12[] = {110, 113, 115, 118, 120, 123, 125, 128};
static const int pbdv12[] = {120, 123, 125, 128, 130, 133, 135, 138, 140, 143, 145};

#define LIST(a) a, sizeof a / sizeof a[0]

static const VoltageRule voltage_rules[] = {
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, 12, 0, 0, 0, LIST(pbcv12), false, "PBCV"},
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, 24, 220, 255, 5, NULL, 0, false, "PBCV"},
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, 48, 440, 510, 10, NULL, 0, false, "PBCV"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 12, 0, 0, 0, LIST(pbdv12), true, "PBDV"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 24, 240, 290, 5, NULL, 0, true, "PBDV"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 48, 480, 580, 10, NULL, 0, true, "PBDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 12, 105, 120, 1, NULL, 0, false, "PSDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 24, 210, 240, 1, NULL, 0, false, "PSDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 48, 400, 480, 1, NULL, 0, false, "PSDV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 12, 120, 157, 1, NULL, 0, false, "PCVV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 24, 240, 315, 1, NULL, 0, false, "PCVV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 48, 480, 630, 1, NULL, 0, false, "PCVV"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 12, 120, 157, 1, NULL, 0, false, "PBFT"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 24, 240, 315, 1, NULL, 0, false, "PBFT"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 48, 480, 630, 1, NULL, 0, false, "PBFT"},
};

/* Without QMCHGCR/QMUCHGCR the widest documented range applies (MAX: up to 150-200 A). */
#define CURRENT_MIN 1
#define CURRENT_MAX 200

const Pi30SettingInfo *pi30_setting_info(Pi30Setting s)
{
        if (s < 0 || s >= _PI30_SET_MAX)
                return NULL;
        return &pi30_settings[s];
}

Pi30Setting pi30_setting_from_method(const char *method)
{
        if (method)
                for (size_t i = 0; i < _PI30_SET_MAX; i++)
                        if (strcmp(pi30_settings[i].method, method) == 0)
                                return pi30_settings[i].id;
        return -EINVAL;
}

const Pi30Flag *pi30_flag_from_name(const char *name)
{
        if (name)
                for (size_t i = 0; i < pi30_n_flags; i++)
                        if (strcmp(pi30_flags[i].name, name) == 0)
                                return &pi30_flags[i];
        return NULL;
}

static int fail(char *error, size_t error_size, int r, const char *format, ...)
                __attribute__((format(printf, 4, 5)));

static int fail(char *error, size_t error_size, int r, const char *format, ...)
{
        if (error && error_size > 0) {
                va_list ap;
                va_start(ap, format);
                vsnprintf(error, error_size, format, ap);
                va_end(ap);
        }
        return r;
}

static size_t append(char *buf, size_t size, size_t len, const char *s)
{
        size_t l = strlen(s);
        if (len + l < size) {
                memcpy(buf + len, s, l + 1);
                return len + l;
        }
        return len;
}

/* "a, b, c" of an enum's names. */
static void enum_names(const Pi30EnumInfo *e, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = 0;
        for (size_t i = 0; i < e->n_entries; i++) {
                if (i > 0)
                        len = append(buf, size, len, ", ");
                len = append(buf, size, len, e->entries[i].name);
        }
}

static void tenths_text(int tenths, char *buf, size_t size)
{
        (void)pi30_format_fixed(tenths / 10.0, 0, 1, buf, size);
}

static int rating_of(const Pi30Limits *limits, char *error, size_t error_size)
{
        double r = limits ? limits->battery_rating : NAN;

        if (isnan(r) || r <= 0)
                return fail(error, error_size, -ENODATA,
                            "the battery rating is not known yet (no QPIRI answer)");
        for (int k = 12; k <= 48; k *= 2)
                if (pi30_fabs(r - k) < 0.5)
                        return k;
        return fail(error, error_size, -ENODATA, "battery rating %g V is not 12, 24 or 48 V", r);
}

static int encode_voltage(Pi30Setting s, double v, const Pi30Limits *limits, char *ret, size_t size,
                          char *error, size_t error_size)
{
        int rating = rating_of(limits, error, error_size);
        const VoltageRule *rule = NULL;
        char a[16], b[16], c[16], allowed[160];
        int tenths;
        bool ok = false;

        if (rating < 0)
                return rating;
        for (size_t i = 0; i < sizeof voltage_rules / sizeof voltage_rules[0]; i++)
                if (voltage_rules[i].setting == s && voltage_rules[i].rating == rating)
                        rule = &voltage_rules[i];
        if (!rule)
                return fail(error, error_size, -EINVAL, "no voltage rule");

        /* What is accepted, in words, for the error message. */
        if (rule->list) {
                size_t len = append(allowed, sizeof allowed, 0, "one of ");
                allowed[len] = 0;
                for (size_t i = 0; i < rule->n_list; i++) {
                        tenths_text(rule->list[i], a, sizeof a);
                        if (i > 0)
                                len = append(allowed, sizeof allowed, len, ", ");
                        len = append(allowed, sizeof allowed, len, a);
                }
                len = append(allowed, sizeof allowed, len, " V");
        } else {
                tenths_text(rule->min, a, sizeof a);
                tenths_text(rule->max, b, sizeof b);
                tenths_text(rule->step, c, sizeof c);
                snprintf(allowed, sizeof allowed, "%s to %s V in steps of %s V", a, b, c);
        }

        if (isfinite(v) && v >= 0 && v < 100) {
                double t = v * 10;
                tenths = (int)pi30_round(t);
                if (pi30_fabs(t - tenths) < 1e-6) {
                        if (rule->allow_zero && tenths == 0)
                                ok = true;
                        else if (rule->list) {
                                for (size_t i = 0; i < rule->n_list; i++)
                                        ok = ok || rule->list[i] == tenths;
                        } else
                                ok = tenths >= rule->min && tenths <= rule->max &&
                                     (tenths - rule->min) % rule->step == 0;
                }
        } else
                tenths = 0;

        if (!ok)
                return fail(error, error_size, -EINVAL, "%s for a %d V battery%s", allowed, rating,
                            rule->allow_zero ? ", or 0 (only when the battery is full)" : "");

        if (pi30_format_fixed(tenths / 10.0, 4, 1, a, sizeof a) < 0)
                return -EINVAL;
        if ((size_t)snprintf(ret, size, "%s%s", rule->command, a) >= size)
                return -ENOBUFS;
        return 0;
}

static int encode_current(Pi30Setting s, double v, const Pi30Limits *limits, int unit, char *ret,
                          size_t size, char *error, size_t error_size)
{
        bool ac = s == PI30_SET_MAX_AC_CHARGING_CURRENT;
        const uint16_t *list = !limits ? NULL
                               : ac    ? limits->ac_charging_current_options
                                       : limits->charging_current_options;
        size_t n = !limits ? 0
                   : ac    ? limits->n_ac_charging_current_options
                           : limits->n_charging_current_options;
        char allowed[200];
        bool ok = false;
        long a = 0;
        int m = unit < 0 ? 0 : unit;

        if (n > 0) {
                size_t len = append(allowed, sizeof allowed, 0, "one of ");
                for (size_t i = 0; i < n; i++) {
                        char t[8];
                        snprintf(t, sizeof t, "%u", list[i]);
                        if (i > 0)
                                len = append(allowed, sizeof allowed, len, ", ");
                        len = append(allowed, sizeof allowed, len, t);
                }
                append(allowed, sizeof allowed, len,
                       ac ? " A (the inverter's QMUCHGCR list)"
                          : " A (the inverter's QMCHGCR list)");
        } else
                snprintf(allowed, sizeof allowed, "a whole number of amperes from %d to %d",
                         CURRENT_MIN, CURRENT_MAX);

        if (v >= CURRENT_MIN && v <= CURRENT_MAX && pi30_fabs(v - (double)pi30_round(v)) < 1e-9) {
                a = (long)pi30_round(v);
                if (n == 0)
                        ok = true;
                for (size_t i = 0; i < n; i++)
                        ok = ok || list[i] == a;
        }
        if (!ok)
                return fail(error, error_size, -EINVAL, "%s", allowed);

        /* Unit digit + 2 digits below 100 A (reads the same in the KS nnn and HS mnn forms for
         * unit 0), unit digit + 3 digits from 100 A (MNCHGC, 4-digit MUCHGC). */
        int w;
        if (ac)
                w = snprintf(ret, size, a < 100 ? "MUCHGC%d%02ld" : "MUCHGC%d%03ld", m, a);
        else
                w = snprintf(ret, size, a < 100 ? "MCHGC%d%02ld" : "MNCHGC%d%03ld", m, a);
        if (w < 0 || (size_t)w >= size)
                return -ENOBUFS;
        return 0;
}

int pi30_setting_encode(Pi30Setting s, const Pi30SettingArg *arg, const Pi30Limits *limits,
                        int unit, char *ret_command, size_t size, char *error, size_t error_size)
{
        const Pi30SettingInfo *info = pi30_setting_info(s);
        char names[200], cmd[40];
        int code, r, w;

        if (!info || !arg)
                return fail(error, error_size, -EINVAL, "unknown setting");
        if (unit >= 0 && (!info->per_unit || unit > 9))
                return fail(error, error_size, -EINVAL, "%s has no per-unit form for unit %d",
                            info->method, unit);

        switch (s) {
        case PI30_SET_OUTPUT_SOURCE_PRIORITY:
        case PI30_SET_CHARGER_SOURCE_PRIORITY:
        case PI30_SET_INPUT_VOLTAGE_RANGE:
        case PI30_SET_BATTERY_TYPE: {
                const Pi30EnumInfo *e = pi30_field_info(info->field)->enums;
                code = pi30_enum_code(e, arg->s);
                if (code < 0) {
                        enum_names(e, names, sizeof names);
                        return fail(error, error_size, -EINVAL, "\"%s\" is not one of: %s",
                                    arg->s ? arg->s : "", names);
                }
                const char *prefix = s == PI30_SET_OUTPUT_SOURCE_PRIORITY ? "POP"
                                     : s == PI30_SET_INPUT_VOLTAGE_RANGE  ? "PGR"
                                     : s == PI30_SET_BATTERY_TYPE         ? "PBT"
                                                                          : "PCP";
                if (s == PI30_SET_CHARGER_SOURCE_PRIORITY && unit >= 0)
                        w = snprintf(cmd, sizeof cmd, "PPCP%d%02d", unit, code);
                else
                        w = snprintf(cmd, sizeof cmd, "%s%02d", prefix, code);
                break;
        }
        case PI30_SET_MAX_CHARGING_CURRENT:
        case PI30_SET_MAX_AC_CHARGING_CURRENT:
                r = encode_current(s, arg->d, limits, unit, cmd, sizeof cmd, error, error_size);
                if (r < 0)
                        return r;
                w = (int)strlen(cmd);
                break;
        case PI30_SET_BATTERY_RECHARGE_VOLTAGE:
        case PI30_SET_BATTERY_REDISCHARGE_VOLTAGE:
        case PI30_SET_BATTERY_UNDER_VOLTAGE:
        case PI30_SET_BATTERY_BULK_VOLTAGE:
        case PI30_SET_BATTERY_FLOAT_VOLTAGE:
                r = encode_voltage(s, arg->d, limits, cmd, sizeof cmd, error, error_size);
                if (r < 0)
                        return r;
                w = (int)strlen(cmd);
                break;
        case PI30_SET_FLAG: {
                const Pi30Flag *f = pi30_flag_from_name(arg->s);
                if (!f) {
                        size_t len = 0;
                        names[0] = 0;
                        for (size_t i = 0; i < pi30_n_flags; i++) {
                                if (i > 0)
                                        len = append(names, sizeof names, len, ", ");
                                len = append(names, sizeof names, len, pi30_flags[i].name);
                        }
                        return fail(error, error_size, -EINVAL, "\"%s\" is not one of: %s",
                                    arg->s ? arg->s : "", names);
                }
                w = snprintf(cmd, sizeof cmd, "%s%c", arg->b ? "PE" : "PD", f->letter);
                break;
        }
        case PI30_SET_OUTPUT_FREQUENCY:
                if (arg->d != 50 && arg->d != 60)
                        return fail(error, error_size, -EINVAL, "50 or 60 Hz");
                w = snprintf(cmd, sizeof cmd, "F%02d", (int)arg->d);
                break;
        default:
                return fail(error, error_size, -EINVAL, "unknown setting");
        }

        if (w < 0 || (size_t)w >= size)
                return -ENOBUFS;
        memcpy(ret_command, cmd, (size_t)w + 1);
        return 0;
}

bool pi30_setting_is_current(Pi30Setting s, const Pi30SettingArg *arg, const Pi30Value values[])
{
        const Pi30SettingInfo *info = pi30_setting_info(s);
        const Pi30Value *v;

        if (!info || !arg || !values)
                return false;
        if (s == PI30_SET_FLAG) {
                const Pi30Flag *f = pi30_flag_from_name(arg->s);
                if (!f)
                        return false;
                v = &values[f->field];
                return pi30_value_valid(v) && (v->d != 0) == arg->b;
        }
        v = &values[info->field];
        if (!pi30_value_valid(v))
                return false;
        if (info->signature[0] == 's')
                return v->name && arg->s && strcmp(v->name, arg->s) == 0;
        return isfinite(arg->d) && pi30_fabs(v->d - arg->d) < 0.05;
}
