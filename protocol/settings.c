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

/* Families as bits, for rules that hold for several. ANY is "no device state given". */
#define F_UNKNOWN (1u << PI30_FAMILY_UNKNOWN)
#define F_CLASSIC (1u << PI30_FAMILY_CLASSIC)
#define F_GKMK (1u << PI30_FAMILY_GKMK)
#define F_MAX (1u << PI30_FAMILY_MAX)
#define F_ANY (1u << _PI30_FAMILY_MAX)
#define F_ALL (F_UNKNOWN | F_CLASSIC | F_GKMK | F_MAX | F_ANY)

/* Allowed voltages per battery rating and firmware family (PI30.md §5), in tenths of a volt.
 * Families differ only where the documents say so, at 48 V: HS/KS bulk/float 48.0–58.4 and
 * cut-off 40.0–48.0, GK/MK 48.0–63.0 and 42.0–48.0. MAX-2021 gives no range; its firmware
 * descends from GK/MK's (the same command set), so GK/MK's ranges apply to it. An inverter whose
 * family cannot be told gets the range every family accepts; a caller that gives no device state
 * (F_ANY) the widest one, as before families were told apart. 12 V ranges that no document gives
 * are the 24 V ones halved. The first matching row wins. */
typedef struct VoltageRule {
        Pi30Setting setting;
        int rating;
        unsigned families;
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
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, 12, F_ALL, 0, 0, 0, LIST(pbcv12), false,
                 "PBCV"},
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, 24, F_ALL, 220, 255, 5, NULL, 0, false, "PBCV"},
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, 48, F_ALL, 440, 510, 10, NULL, 0, false,
                 "PBCV"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 12, F_ALL, 0, 0, 0, LIST(pbdv12), true,
                 "PBDV"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 24, F_ALL, 240, 290, 5, NULL, 0, true,
                 "PBDV"},
                {PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 48, F_ALL, 480, 580, 10, NULL, 0, true,
                 "PBDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 12, F_ALL, 105, 120, 1, NULL, 0, false, "PSDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 24, F_ALL, 210, 240, 1, NULL, 0, false, "PSDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 48, F_CLASSIC | F_ANY, 400, 480, 1, NULL, 0, false,
                 "PSDV"},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, 48, F_ALL, 420, 480, 1, NULL, 0, false, "PSDV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 12, F_ALL, 120, 157, 1, NULL, 0, false, "PCVV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 24, F_ALL, 240, 315, 1, NULL, 0, false, "PCVV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 48, F_CLASSIC | F_UNKNOWN, 480, 584, 1, NULL, 0,
                 false, "PCVV"},
                {PI30_SET_BATTERY_BULK_VOLTAGE, 48, F_ALL, 480, 630, 1, NULL, 0, false, "PCVV"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 12, F_ALL, 120, 157, 1, NULL, 0, false, "PBFT"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 24, F_ALL, 240, 315, 1, NULL, 0, false, "PBFT"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 48, F_CLASSIC | F_UNKNOWN, 480, 584, 1, NULL, 0,
                 false, "PBFT"},
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, 48, F_ALL, 480, 630, 1, NULL, 0, false, "PBFT"},
};

/* Without QMCHGCR/QMUCHGCR the widest documented range applies (MAX: up to 150-200 A). */
#define CURRENT_MIN 1
#define CURRENT_MAX 200

/* What the rules of one call depend on: the rating, the family bit, the inverter's lists. */
typedef struct Context {
        double rating;
        unsigned family; /* one F_ bit */
        const uint16_t *charging, *ac;
        size_t n_charging, n_ac;
} Context;

static void context_of(const Pi30Limits *limits, Context *ret)
{
        Pi30Limits from = {.battery_rating = NAN};

        *ret = (Context){.rating = NAN, .family = F_ANY};
        if (!limits)
                return;
        if (limits->values) {
                pi30_limits_from_values(limits->values, &from);
                ret->family = 1u << pi30_family_detect(limits->values);
        }
        ret->rating = !isnan(limits->battery_rating) && limits->battery_rating > 0
                                      ? limits->battery_rating
                                      : from.battery_rating;
        if (limits->n_charging_current_options > 0 && limits->charging_current_options) {
                ret->charging = limits->charging_current_options;
                ret->n_charging = limits->n_charging_current_options;
        } else {
                ret->charging = from.charging_current_options;
                ret->n_charging = from.n_charging_current_options;
        }
        if (limits->n_ac_charging_current_options > 0 && limits->ac_charging_current_options) {
                ret->ac = limits->ac_charging_current_options;
                ret->n_ac = limits->n_ac_charging_current_options;
        } else {
                ret->ac = from.ac_charging_current_options;
                ret->n_ac = from.n_ac_charging_current_options;
        }
}

void pi30_limits_from_values(const Pi30Value values[], Pi30Limits *ret)
{
        const Pi30Value *rating = &values[PI30_F_BATTERY_RATING_VOLTAGE];
        const Pi30Value *charging = &values[PI30_F_CHARGING_CURRENT_OPTIONS];
        const Pi30Value *ac = &values[PI30_F_AC_CHARGING_CURRENT_OPTIONS];

        *ret = (Pi30Limits){
                        .battery_rating = pi30_value_valid(rating) ? rating->d : NAN,
                        .values = values,
        };
        if (pi30_value_valid(charging) && charging->n > 0) {
                ret->charging_current_options = charging->list;
                ret->n_charging_current_options = charging->n;
        }
        if (pi30_value_valid(ac) && ac->n > 0) {
                ret->ac_charging_current_options = ac->list;
                ret->n_ac_charging_current_options = ac->n;
        }
}

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

static void tenths_text(int tenths, char *buf, size_t size)
{
        (void)pi30_format_fixed(tenths / 10.0, 0, 1, buf, size);
}

static int rating_of(const Context *c, char *error, size_t error_size)
{
        double r = c->rating;

        if (isnan(r) || r <= 0)
                return fail(error, error_size, -ENODATA,
                            "the battery rating is not known yet (no QPIRI answer)");
        for (int k = 12; k <= 48; k *= 2)
                if (pi30_fabs(r - k) < 0.5)
                        return k;
        return fail(error, error_size, -ENODATA, "battery rating %g V is not 12, 24 or 48 V", r);
}

static const VoltageRule *voltage_rule(Pi30Setting s, int rating, unsigned family)
{
        for (size_t i = 0; i < sizeof voltage_rules / sizeof voltage_rules[0]; i++)
                if (voltage_rules[i].setting == s && voltage_rules[i].rating == rating &&
                    (voltage_rules[i].families & family))
                        return &voltage_rules[i];
        return NULL;
}

/* The names an enumeration setting accepts from this family: codes the firmware defines. */
static bool enum_code_accepted(Pi30Setting s, int code, unsigned family)
{
        switch (s) {
        case PI30_SET_BATTERY_TYPE:
                /* Types after "user" (lithium, BMS protocols) are MAX-2021's. */
                return code <= 2 || (family & (F_MAX | F_ANY));
        case PI30_SET_CHARGER_SOURCE_PRIORITY:
                /* GK/MK and MAX define only 01-03: no utility-first charging. */
                return code >= 1 || (family & (F_CLASSIC | F_ANY));
        default:
                return true;
        }
}

static void accepted_add(Pi30Accepted *a, double v)
{
        if (a->n < PI30_ACCEPTED_MAX)
                a->values[a->n++] = v;
}

/* A list of tenths as Pi30Accepted: ascending, duplicates dropped. */
static void accepted_list(Pi30Accepted *a, const int *tenths, size_t n)
{
        int prev = -1;

        *a = (Pi30Accepted){.kind = PI30_ACCEPTED_LIST};
        for (size_t k = 0; k < n; k++) {
                /* selection of the smallest value above prev: lists are short */
                int best = -1;
                for (size_t i = 0; i < n; i++)
                        if (tenths[i] > prev && (best < 0 || tenths[i] < best))
                                best = tenths[i];
                if (best < 0)
                        break;
                accepted_add(a, best / 10.0);
                prev = best;
        }
}

static void accepted_range(Pi30Accepted *a, int min, int max, int step)
{
        *a = (Pi30Accepted){
                        .kind = PI30_ACCEPTED_RANGE,
                        .min = min / 10.0,
                        .max = max / 10.0,
                        .step = step / 10.0,
        };
}

static int accepted_voltage(Pi30Setting s, const Context *c, Pi30Accepted *ret, char *error,
                            size_t error_size, const VoltageRule **ret_rule, int *ret_rating)
{
        int rating = rating_of(c, error, error_size);
        const VoltageRule *rule;

        if (rating < 0)
                return rating;
        rule = voltage_rule(s, rating, c->family);
        if (!rule)
                return fail(error, error_size, -EINVAL, "no voltage rule");

        if (rule->list || rule->allow_zero) {
                /* 0 or a range is no range: all the values, 0 first. */
                int t[PI30_ACCEPTED_MAX];
                size_t n = 0;

                if (rule->allow_zero)
                        t[n++] = 0;
                if (rule->list)
                        for (size_t i = 0; i < rule->n_list && n < PI30_ACCEPTED_MAX; i++)
                                t[n++] = rule->list[i];
                else
                        for (int v = rule->min; v <= rule->max && n < PI30_ACCEPTED_MAX;
                             v += rule->step)
                                t[n++] = v;
                accepted_list(ret, t, n);
        } else
                accepted_range(ret, rule->min, rule->max, rule->step);
        if (ret_rule)
                *ret_rule = rule;
        if (ret_rating)
                *ret_rating = rating;
        return 0;
}

static void accepted_current(Pi30Setting s, const Context *c, Pi30Accepted *ret)
{
        bool ac = s == PI30_SET_MAX_AC_CHARGING_CURRENT;
        const uint16_t *list = ac ? c->ac : c->charging;
        size_t n = ac ? c->n_ac : c->n_charging;
        int t[PI30_ACCEPTED_MAX];
        size_t k = 0;

        if (n == 0) {
                accepted_range(ret, CURRENT_MIN * 10, CURRENT_MAX * 10, 10);
                return;
        }
        /* Only what the encoder can send: whole amperes of the documented range. */
        for (size_t i = 0; i < n && k < PI30_ACCEPTED_MAX; i++)
                if (list[i] >= CURRENT_MIN && list[i] <= CURRENT_MAX)
                        t[k++] = list[i] * 10;
        accepted_list(ret, t, k);
}

static int accepted_names(Pi30Setting s, const Context *c, Pi30Accepted *ret)
{
        *ret = (Pi30Accepted){.kind = PI30_ACCEPTED_NAMES};
        if (s == PI30_SET_FLAG) {
                for (size_t i = 0; i < pi30_n_flags && ret->n < PI30_ACCEPTED_MAX; i++)
                        ret->names[ret->n++] = pi30_flags[i].name;
                return 0;
        }

        const Pi30EnumInfo *e = pi30_field_info(pi30_settings[s].field)->enums;
        if (!e)
                return -EINVAL;
        for (size_t i = 0; i < e->n_entries && ret->n < PI30_ACCEPTED_MAX; i++)
                if (enum_code_accepted(s, e->entries[i].code, c->family))
                        ret->names[ret->n++] = e->entries[i].name;
        return 0;
}

static int accepted_of(Pi30Setting s, const Context *c, Pi30Accepted *ret, char *error,
                       size_t error_size)
{
        switch (s) {
        case PI30_SET_OUTPUT_SOURCE_PRIORITY:
        case PI30_SET_CHARGER_SOURCE_PRIORITY:
        case PI30_SET_INPUT_VOLTAGE_RANGE:
        case PI30_SET_BATTERY_TYPE:
        case PI30_SET_FLAG:
                return accepted_names(s, c, ret);
        case PI30_SET_MAX_CHARGING_CURRENT:
        case PI30_SET_MAX_AC_CHARGING_CURRENT:
                accepted_current(s, c, ret);
                return 0;
        case PI30_SET_BATTERY_RECHARGE_VOLTAGE:
        case PI30_SET_BATTERY_REDISCHARGE_VOLTAGE:
        case PI30_SET_BATTERY_UNDER_VOLTAGE:
        case PI30_SET_BATTERY_BULK_VOLTAGE:
        case PI30_SET_BATTERY_FLOAT_VOLTAGE:
                return accepted_voltage(s, c, ret, error, error_size, NULL, NULL);
        case PI30_SET_OUTPUT_FREQUENCY:
                accepted_list(ret, (const int[]){500, 600}, 2);
                return 0;
        default:
                return fail(error, error_size, -EINVAL, "unknown setting");
        }
}

int pi30_setting_accepted(Pi30Setting s, const Pi30Limits *limits, Pi30Accepted *ret)
{
        Pi30Accepted a;
        Context c;
        int r;

        if (!ret)
                return -EINVAL;
        context_of(limits, &c);
        r = accepted_of(s, &c, &a, NULL, 0);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

/* A number in tenths when it is one, to the setters' resolution. */
static bool tenths_of(double v, int *ret)
{
        double t;
        long long k;

        if (!isfinite(v) || v < 0 || v >= 10000)
                return false;
        t = v * 10;
        k = pi30_round(t);
        if (pi30_fabs(t - (double)k) >= 1e-6)
                return false;
        *ret = (int)k;
        return true;
}

bool pi30_accepted_has_number(const Pi30Accepted *a, double v)
{
        int t;

        if (!a || !tenths_of(v, &t))
                return false;
        if (a->kind == PI30_ACCEPTED_RANGE) {
                int min = (int)pi30_round(a->min * 10), max = (int)pi30_round(a->max * 10),
                    step = (int)pi30_round(a->step * 10);
                return step > 0 && t >= min && t <= max && (t - min) % step == 0;
        }
        if (a->kind == PI30_ACCEPTED_LIST)
                for (size_t i = 0; i < a->n; i++)
                        if ((int)pi30_round(a->values[i] * 10) == t)
                                return true;
        return false;
}

static bool accepted_has_name(const Pi30Accepted *a, const char *name)
{
        if (name)
                for (size_t i = 0; i < a->n; i++)
                        if (strcmp(a->names[i], name) == 0)
                                return true;
        return false;
}

/* "a, b, c" of accepted names. */
static void names_text(const Pi30Accepted *a, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = 0;
        for (size_t i = 0; i < a->n; i++) {
                if (i > 0)
                        len = append(buf, size, len, ", ");
                len = append(buf, size, len, a->names[i]);
        }
}

/* "1, 2, 3" of accepted numbers, in tenths precision where needed. */
static size_t numbers_text(const Pi30Accepted *a, bool whole, char *buf, size_t size, size_t len)
{
        for (size_t i = 0; i < a->n; i++) {
                char t[16];
                if (whole)
                        snprintf(t, sizeof t, "%d", (int)pi30_round(a->values[i]));
                else
                        tenths_text((int)pi30_round(a->values[i] * 10), t, sizeof t);
                if (i > 0)
                        len = append(buf, size, len, ", ");
                len = append(buf, size, len, t);
        }
        return len;
}

/* Which firmware the rules are for, for messages: " (GK/MK firmware)"; nothing without a
 * device. */
static const char *family_words(unsigned family)
{
        if (family & F_CLASSIC)
                return " (HS/KS firmware)";
        if (family & F_GKMK)
                return " (GK/MK firmware)";
        if (family & F_MAX)
                return " (MAX firmware)";
        if (family & F_UNKNOWN)
                return " (what every firmware accepts)";
        return "";
}

static int encode_voltage(Pi30Setting s, double v, const Context *c, char *ret, size_t size,
                          char *error, size_t error_size)
{
        const VoltageRule *rule;
        Pi30Accepted acc;
        char a[16], b[16], st[16], allowed[300];
        int rating, tenths, r;

        r = accepted_voltage(s, c, &acc, error, error_size, &rule, &rating);
        if (r < 0)
                return r;

        if (!pi30_accepted_has_number(&acc, v)) {
                /* What is accepted, in words. */
                if (rule->list) {
                        size_t len = append(allowed, sizeof allowed, 0, "one of ");
                        Pi30Accepted shown;
                        accepted_list(&shown, rule->list, rule->n_list);
                        len = numbers_text(&shown, false, allowed, sizeof allowed, len);
                        append(allowed, sizeof allowed, len, " V");
                } else {
                        tenths_text(rule->min, a, sizeof a);
                        tenths_text(rule->max, b, sizeof b);
                        tenths_text(rule->step, st, sizeof st);
                        snprintf(allowed, sizeof allowed, "%s to %s V in steps of %s V", a, b, st);
                }
                return fail(error, error_size, -EINVAL, "%s for a %d V battery%s%s", allowed,
                            rating, family_words(c->family),
                            rule->allow_zero ? ", or 0 (only when the battery is full)" : "");
        }

        (void)tenths_of(v, &tenths);
        if (pi30_format_fixed(tenths / 10.0, 4, 1, a, sizeof a) < 0)
                return -EINVAL;
        if ((size_t)snprintf(ret, size, "%s%s", rule->command, a) >= size)
                return -ENOBUFS;
        return 0;
}

/* Battery voltages that must stay in order against the inverter's other settings (the user
 * manuals' setting descriptions; the protocol documents give only the ranges and PBDV 00.0 =
 * "when the battery is full"): cut-off < re-charge ("back to grid") < re-discharge ("back to
 * battery"), and float <= bulk (C.V.). A value that breaks the order is refused naming the other
 * setting, so the inverter is never left charging above its absorption voltage or switching
 * between grid and battery at crossed thresholds. Only settings the inverter reported count
 * (values given and valid); re-discharge 0 means "when full" and has no order. */
typedef struct VoltageOrder {
        Pi30Setting low, high;
        bool strict; /* low < high; else low <= high */
} VoltageOrder;

static const VoltageOrder voltage_orders[] = {
                {PI30_SET_BATTERY_FLOAT_VOLTAGE, PI30_SET_BATTERY_BULK_VOLTAGE, false},
                {PI30_SET_BATTERY_RECHARGE_VOLTAGE, PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, true},
                {PI30_SET_BATTERY_UNDER_VOLTAGE, PI30_SET_BATTERY_RECHARGE_VOLTAGE, true},
};

/* The property name clients see for a voltage setting ("BatteryBulkVoltage"). */
static const char *setting_property(Pi30Setting s)
{
        const Pi30FieldInfo *fi = pi30_field_info(pi30_settings[s].field);
        return fi && fi->name ? fi->name : pi30_settings[s].method;
}

static int voltage_conflicts(Pi30Setting s, double v, const Pi30Value values[], char *error,
                             size_t error_size)
{
        if (!values)
                return 0;
        for (size_t i = 0; i < sizeof voltage_orders / sizeof voltage_orders[0]; i++) {
                const VoltageOrder *o = &voltage_orders[i];
                bool is_low = o->low == s;
                Pi30Setting other;
                const Pi30Value *ov;
                double low, high;
                char a[16], b[16];

                if (!is_low && o->high != s)
                        continue;
                other = is_low ? o->high : o->low;
                ov = &values[pi30_settings[other].field];
                if (!pi30_value_valid(ov) || !isfinite(ov->d))
                        continue;
                low = is_low ? v : ov->d;
                high = is_low ? ov->d : v;
                if (o->high == PI30_SET_BATTERY_REDISCHARGE_VOLTAGE && high < 0.05)
                        continue; /* 00.0: back to battery only when it is full */
                /* To the setters' 0.1 V resolution. */
                if (o->strict ? low < high - 0.05 : low < high + 0.05)
                        continue;
                tenths_text((int)pi30_round(v * 10), a, sizeof a);
                tenths_text((int)pi30_round(ov->d * 10), b, sizeof b);
                return fail(error, error_size, -EINVAL,
                            "%s %s V conflicts with %s %s V: %s must be %s %s", setting_property(s),
                            a, setting_property(other), b, setting_property(o->low),
                            o->strict ? "below" : "at most", setting_property(o->high));
        }
        return 0;
}

int pi30_setting_conflicts(Pi30Setting s, const Pi30SettingArg *arg, const Pi30Value values[],
                           char *error, size_t error_size)
{
        if (!arg || s < 0 || s >= _PI30_SET_MAX)
                return fail(error, error_size, -EINVAL, "unknown setting");
        switch (s) {
        case PI30_SET_BATTERY_RECHARGE_VOLTAGE:
        case PI30_SET_BATTERY_REDISCHARGE_VOLTAGE:
        case PI30_SET_BATTERY_UNDER_VOLTAGE:
        case PI30_SET_BATTERY_BULK_VOLTAGE:
        case PI30_SET_BATTERY_FLOAT_VOLTAGE:
                return voltage_conflicts(s, arg->d, values, error, error_size);
        default:
                return 0;
        }
}

static int encode_current(Pi30Setting s, double v, const Context *c, int unit, char *ret,
                          size_t size, char *error, size_t error_size)
{
        bool ac = s == PI30_SET_MAX_AC_CHARGING_CURRENT;
        Pi30Accepted acc;
        char allowed[300];
        long a;
        int m = unit < 0 ? 0 : unit;

        accepted_current(s, c, &acc);
        if (!pi30_accepted_has_number(&acc, v) || pi30_fabs(v - (double)pi30_round(v)) >= 1e-9) {
                if (acc.kind == PI30_ACCEPTED_LIST) {
                        size_t len = append(allowed, sizeof allowed, 0, "one of ");
                        len = numbers_text(&acc, true, allowed, sizeof allowed, len);
                        append(allowed, sizeof allowed, len,
                               ac ? " A (the inverter's QMUCHGCR list)"
                                  : " A (the inverter's QMCHGCR list)");
                } else
                        snprintf(allowed, sizeof allowed, "a whole number of amperes from %d to %d",
                                 CURRENT_MIN, CURRENT_MAX);
                return fail(error, error_size, -EINVAL, "%s", allowed);
        }
        a = (long)pi30_round(v);

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
        Pi30Accepted acc;
        Context c;
        char names[300], cmd[40];
        int code, r, w;

        if (!info || !arg)
                return fail(error, error_size, -EINVAL, "unknown setting");
        if (unit >= 0 && (!info->per_unit || unit > 9))
                return fail(error, error_size, -EINVAL, "%s has no per-unit form for unit %d",
                            info->method, unit);
        context_of(limits, &c);

        switch (s) {
        case PI30_SET_OUTPUT_SOURCE_PRIORITY:
        case PI30_SET_CHARGER_SOURCE_PRIORITY:
        case PI30_SET_INPUT_VOLTAGE_RANGE:
        case PI30_SET_BATTERY_TYPE: {
                const Pi30EnumInfo *e = pi30_field_info(info->field)->enums;
                r = accepted_names(s, &c, &acc);
                if (r < 0)
                        return r;
                code = pi30_enum_code(e, arg->s);
                if (code < 0 || !accepted_has_name(&acc, arg->s)) {
                        names_text(&acc, names, sizeof names);
                        return fail(error, error_size, -EINVAL, "\"%s\" is not one of: %s%s",
                                    arg->s ? arg->s : "", names, family_words(c.family));
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
                r = encode_current(s, arg->d, &c, unit, cmd, sizeof cmd, error, error_size);
                if (r < 0)
                        return r;
                w = (int)strlen(cmd);
                break;
        case PI30_SET_BATTERY_RECHARGE_VOLTAGE:
        case PI30_SET_BATTERY_REDISCHARGE_VOLTAGE:
        case PI30_SET_BATTERY_UNDER_VOLTAGE:
        case PI30_SET_BATTERY_BULK_VOLTAGE:
        case PI30_SET_BATTERY_FLOAT_VOLTAGE:
                r = encode_voltage(s, arg->d, &c, cmd, sizeof cmd, error, error_size);
                if (r < 0)
                        return r;
                w = (int)strlen(cmd);
                break;
        case PI30_SET_FLAG: {
                const Pi30Flag *f = pi30_flag_from_name(arg->s);
                r = accepted_names(s, &c, &acc);
                if (r < 0)
                        return r;
                if (!f || !accepted_has_name(&acc, arg->s)) {
                        names_text(&acc, names, sizeof names);
                        return fail(error, error_size, -EINVAL, "\"%s\" is not one of: %s",
                                    arg->s ? arg->s : "", names);
                }
                w = snprintf(cmd, sizeof cmd, "%s%c", arg->b ? "PE" : "PD", f->letter);
                break;
        }
        case PI30_SET_OUTPUT_FREQUENCY:
                (void)accepted_of(s, &c, &acc, NULL, 0);
                if (!pi30_accepted_has_number(&acc, arg->d) || (arg->d != 50 && arg->d != 60))
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
