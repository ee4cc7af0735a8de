/* Every setter: exact bytes, boundaries, refusals naming what is accepted. */
#include <math.h>
#include <string.h>

#include "pi30.h"
#include "tests.h"

static char cmd[64], err[256];

static int enc_s(Pi30Setting s, const char *v, const Pi30Limits *l, int unit)
{
        Pi30SettingArg a = {.s = v};
        cmd[0] = err[0] = 0;
        return pi30_setting_encode(s, &a, l, unit, cmd, sizeof cmd, err, sizeof err);
}

static int enc_d(Pi30Setting s, double v, const Pi30Limits *l, int unit)
{
        Pi30SettingArg a = {.d = v};
        cmd[0] = err[0] = 0;
        return pi30_setting_encode(s, &a, l, unit, cmd, sizeof cmd, err, sizeof err);
}

#define OK_S(s, v, l, unit, want)                                                                  \
        do {                                                                                       \
                CHECK_INT(enc_s(s, v, l, unit), 0);                                                \
                CHECK_STR(cmd, want);                                                              \
        } while (0)
#define OK_D(s, v, l, unit, want)                                                                  \
        do {                                                                                       \
                CHECK_INT(enc_d(s, v, l, unit), 0);                                                \
                CHECK_STR(cmd, want);                                                              \
        } while (0)
#define BAD_D(s, v, l, hint)                                                                       \
        do {                                                                                       \
                CHECK_INT(enc_d(s, v, l, -1), -EINVAL);                                            \
                CHECK_MSG(strstr(err, hint) != NULL, "error \"%s\" lacks \"%s\"", err, hint);      \
                CHECK_STR(cmd, "");                                                                \
        } while (0)

/* A device's state from real-looking answers: QPIRI (and QPIGS) of a firmware family. */
static void device(Pi30Value *v, const char *qpiri, const char *qpigs)
{
        memset(v, 0, sizeof(Pi30Value) * _PI30_FIELD_MAX);
        CHECK(pi30_decode(PI30_CMD_QPIRI, qpiri, strlen(qpiri), v, NULL) >= 0);
        if (qpigs)
                CHECK(pi30_decode(PI30_CMD_QPIGS, qpigs, strlen(qpigs), v, NULL) >= 0);
}

#define QPIRI_25                                                                                   \
        "230.0 21.7 230.0 50.0 21.7 5000 4000 48.0 46.0 42.0 56.4 54.0 2 30 060 0 0 2 9 01 0 0 "   \
        "54.0 0 1"
#define QPIRI_27 QPIRI_25 " 000 0"
#define QPIRI_28 QPIRI_25 " 480 0 000"
#define QPIGS_21                                                                                   \
        "230.0 50.0 230.0 50.0 0161 0119 003 425 52.80 012 100 0035 02.7 323.6 52.80 00000 "       \
        "00110110 00 00 00874 010"
#define QPIGS_24 QPIGS_21 " 0 00 0000"

static void test_families(void)
{
        static Pi30Value v[_PI30_FIELD_MAX];
        Pi30Limits l;
        Pi30Accepted a;

        /* told from the answers' shapes */
        memset(v, 0, sizeof v);
        CHECK_INT(pi30_family_detect(v), PI30_FAMILY_UNKNOWN);
        CHECK_INT(pi30_family_detect(NULL), PI30_FAMILY_UNKNOWN);
        device(v, QPIRI_25, QPIGS_21);
        CHECK_INT(pi30_family_detect(v), PI30_FAMILY_CLASSIC);
        CHECK_STR(pi30_family_name(PI30_FAMILY_CLASSIC), "hs-ks");
        device(v, QPIRI_27, QPIGS_21);
        CHECK_INT(pi30_family_detect(v), PI30_FAMILY_GKMK);
        CHECK_STR(pi30_family_name(PI30_FAMILY_GKMK), "gk-mk");
        device(v, QPIRI_28, QPIGS_21);
        CHECK_INT(pi30_family_detect(v), PI30_FAMILY_MAX);
        device(v, QPIRI_25, QPIGS_24); /* a 24-field QPIGS is MAX-generation firmware */
        CHECK_INT(pi30_family_detect(v), PI30_FAMILY_MAX);
        CHECK_STR(pi30_family_name(PI30_FAMILY_MAX), "max");
        CHECK_STR(pi30_family_name(PI30_FAMILY_UNKNOWN), "unknown");

        /* HS/KS at 48 V: bulk/float to 58.4 V, cut-off from 40.0, no lithium types */
        device(v, QPIRI_25, QPIGS_21);
        pi30_limits_from_values(v, &l);
        CHECK_DOUBLE(l.battery_rating, 48);
        CHECK(l.values == v);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_BULK_VOLTAGE, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_RANGE);
        CHECK_DOUBLE(a.min, 48);
        CHECK_DOUBLE(a.max, 58.4);
        CHECK_DOUBLE(a.step, 0.1);
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 58.4, &l, -1, "PCVV58.4");
        BAD_D(PI30_SET_BATTERY_BULK_VOLTAGE, 58.5, &l, "48.0 to 58.4 V in steps of 0.1 V");
        BAD_D(PI30_SET_BATTERY_FLOAT_VOLTAGE, 63, &l, "HS/KS firmware");
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_UNDER_VOLTAGE, &l, &a), 0);
        CHECK_DOUBLE(a.min, 40);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_TYPE, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_NAMES);
        CHECK_INT(a.n, 3);
        CHECK_STR(a.names[2], "user");
        CHECK_INT(enc_s(PI30_SET_BATTERY_TYPE, "pylontech", &l, -1), -EINVAL);
        CHECK(strstr(err, "agm, flooded, user") != NULL && !strstr(err, "lic"));
        OK_S(PI30_SET_CHARGER_SOURCE_PRIORITY, "utility-first", &l, -1, "PCP00");
        /* re-discharge: 0 or 48-58, a list, not a range from 0 */
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_LIST);
        CHECK_INT(a.n, 12);
        CHECK_DOUBLE(a.values[0], 0);
        CHECK_DOUBLE(a.values[1], 48);
        CHECK_DOUBLE(a.values[11], 58);
        BAD_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 13, &l, "48.0 to 58.0");
        BAD_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 29, &l, "48.0 to 58.0");
        /* no QMUCHGCR yet: 1-200 A; the 18/42/52 A only refused once the list is known */
        CHECK_INT(pi30_setting_accepted(PI30_SET_MAX_AC_CHARGING_CURRENT, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_RANGE);
        CHECK_DOUBLE(a.max, 200);
        {
                const char *list = "002 010 020 030 040 050 060 070 080 090 100 110 120";
                CHECK(pi30_decode(PI30_CMD_QMUCHGCR, list, strlen(list), v, NULL) >= 0);
        }
        pi30_limits_from_values(v, &l);
        CHECK_INT(pi30_setting_accepted(PI30_SET_MAX_AC_CHARGING_CURRENT, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_LIST);
        CHECK_INT(a.n, 13);
        CHECK_DOUBLE(a.values[0], 2);
        CHECK(pi30_accepted_has_number(&a, 120));
        CHECK(!pi30_accepted_has_number(&a, 18));
        BAD_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 18, &l, "QMUCHGCR");
        BAD_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 42, &l, "QMUCHGCR");
        BAD_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 52, &l, "QMUCHGCR");
        OK_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 2, &l, -1, "MUCHGC002");
        /* Limits given by hand win over the values' */
        l.battery_rating = 24;
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 31.5, &l, -1, "PCVV31.5");

        /* GK/MK: 48.0-63.0, cut-off from 42.0, no utility-first charging */
        device(v, QPIRI_27, QPIGS_21);
        pi30_limits_from_values(v, &l);
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 63, &l, -1, "PCVV63.0");
        BAD_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 41.9, &l, "42.0 to 48.0");
        CHECK_INT(enc_s(PI30_SET_CHARGER_SOURCE_PRIORITY, "utility-first", &l, -1), -EINVAL);
        CHECK(strstr(err, "solar-first, solar-and-utility, solar-only") != NULL);
        CHECK_INT(enc_s(PI30_SET_BATTERY_TYPE, "lib", &l, -1), -EINVAL);

        /* MAX: GK/MK's ranges and every battery type */
        device(v, QPIRI_28, QPIGS_24);
        pi30_limits_from_values(v, &l);
        OK_D(PI30_SET_BATTERY_FLOAT_VOLTAGE, 63, &l, -1, "PBFT63.0");
        OK_S(PI30_SET_BATTERY_TYPE, "lic", &l, -1, "PBT09");
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_TYPE, &l, &a), 0);
        CHECK_INT(a.n, 10);
        CHECK_INT(enc_s(PI30_SET_CHARGER_SOURCE_PRIORITY, "utility-first", &l, -1), -EINVAL);

        /* a family that cannot be told (QPIRI decoded by hand without its trailing fields): what
         * every family accepts */
        memset(v, 0, sizeof v);
        pi30_value_set_number(&v[PI30_F_BATTERY_RATING_VOLTAGE], 48);
        pi30_limits_from_values(v, &l);
        CHECK_INT(pi30_family_detect(v), PI30_FAMILY_UNKNOWN);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_BULK_VOLTAGE, &l, &a), 0);
        CHECK_DOUBLE(a.max, 58.4);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_UNDER_VOLTAGE, &l, &a), 0);
        CHECK_DOUBLE(a.min, 42);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_TYPE, &l, &a), 0);
        CHECK_INT(a.n, 3);
        CHECK_INT(pi30_setting_accepted(PI30_SET_CHARGER_SOURCE_PRIORITY, &l, &a), 0);
        CHECK_INT(a.n, 3);
        BAD_D(PI30_SET_BATTERY_BULK_VOLTAGE, 60, &l, "what every firmware accepts");

        /* 12 and 24 V: the same for every family; 12 V recharge is a list */
        device(v,
               "230.0 13.0 230.0 50.0 13.0 3000 3000 24.0 23.0 21.0 28.2 27.0 2 30 060 0 0 2 9 01 "
               "0 0 27.0 0 1",
               NULL);
        pi30_limits_from_values(v, &l);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_RECHARGE_VOLTAGE, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_RANGE);
        CHECK_DOUBLE(a.step, 0.5);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, &l, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_LIST);
        CHECK_INT(a.n, 12);
        CHECK_DOUBLE(a.values[1], 24);
        CHECK_DOUBLE(a.values[11], 29);
        CHECK(pi30_accepted_has_number(&a, 24.5));
        CHECK(!pi30_accepted_has_number(&a, 0.5));
        CHECK(!pi30_accepted_has_number(&a, 23.5));
        Pi30Limits b12 = {.battery_rating = 12};
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_RECHARGE_VOLTAGE, &b12, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_LIST);
        CHECK_INT(a.n, 8);
        CHECK_DOUBLE(a.values[1], 11.3);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_BULK_VOLTAGE, &b12, &a), 0);
        CHECK_DOUBLE(a.max, 15.7);

        /* discrete sets are discrete; nothing known without a rating */
        CHECK_INT(pi30_setting_accepted(PI30_SET_OUTPUT_FREQUENCY, NULL, &a), 0);
        CHECK_INT(a.kind, PI30_ACCEPTED_LIST);
        CHECK_INT(a.n, 2);
        CHECK_DOUBLE(a.values[1], 60);
        CHECK_INT(pi30_setting_accepted(PI30_SET_FLAG, NULL, &a), 0);
        CHECK_INT(a.n, pi30_n_flags);
        CHECK_INT(pi30_setting_accepted(PI30_SET_BATTERY_BULK_VOLTAGE, NULL, &a), -ENODATA);
        CHECK_INT(pi30_setting_accepted(_PI30_SET_MAX, NULL, &a), -EINVAL);
        CHECK_INT(pi30_setting_accepted(PI30_SET_FLAG, NULL, NULL), -EINVAL);

        /* by construction: every advertised value encodes, its neighbours outside do not */
        for (int fam = 0; fam < 3; fam++) {
                device(v, fam == 0 ? QPIRI_25 : fam == 1 ? QPIRI_27 : QPIRI_28, QPIGS_21);
                pi30_limits_from_values(v, &l);
                for (int s = 0; s < _PI30_SET_MAX; s++) {
                        if (pi30_setting_accepted(s, &l, &a) < 0 || a.kind == PI30_ACCEPTED_NAMES)
                                continue;
                        if (a.kind == PI30_ACCEPTED_RANGE) {
                                for (double x = a.min; x <= a.max + 1e-9; x += a.step)
                                        CHECK_MSG(enc_d(s, pi30_accepted_has_number(&a, x) ? x : -1,
                                                        &l, -1) == 0,
                                                  "setting %d value %g", s, x);
                                CHECK(enc_d(s, a.min - a.step, &l, -1) == -EINVAL);
                                CHECK(enc_d(s, a.max + a.step, &l, -1) == -EINVAL);
                        } else {
                                for (size_t i = 0; i < a.n; i++)
                                        CHECK_MSG(enc_d(s, a.values[i], &l, -1) == 0,
                                                  "setting %d value %g", s, a.values[i]);
                                CHECK(enc_d(s, a.values[a.n - 1] + 1, &l, -1) == -EINVAL);
                        }
                }
        }
}

/* Settings that contradict the inverter's others: refused naming the other one. QPIRI_25 has
 * re-charge 46.0, cut-off 42.0, bulk 56.4, float 54.0, re-discharge 54.0. */
static int conflicts(Pi30Setting s, double v, const Pi30Value *values)
{
        Pi30SettingArg a = {.d = v};
        err[0] = 0;
        return pi30_setting_conflicts(s, &a, values, err, sizeof err);
}

#define CONFLICT(s, v, values, other)                                                              \
        do {                                                                                       \
                CHECK_INT(conflicts(s, v, values), -EINVAL);                                       \
                CHECK_MSG(strstr(err, other) != NULL, "error \"%s\" lacks \"%s\"", err, other);    \
        } while (0)

static void test_conflicts(void)
{
        Pi30Value v[_PI30_FIELD_MAX];

        device(v, QPIRI_25, NULL);
        /* float <= bulk, both ways; equal is fine */
        CONFLICT(PI30_SET_BATTERY_FLOAT_VOLTAGE, 58.0, v, "BatteryBulkVoltage 56.4 V");
        CHECK(strstr(err, "BatteryFloatVoltage 58.0 V") != NULL);
        CHECK_INT(conflicts(PI30_SET_BATTERY_FLOAT_VOLTAGE, 56.4, v), 0);
        CONFLICT(PI30_SET_BATTERY_BULK_VOLTAGE, 53.0, v, "BatteryFloatVoltage 54.0 V");
        CHECK_INT(conflicts(PI30_SET_BATTERY_BULK_VOLTAGE, 54.0, v), 0);
        /* re-charge < re-discharge, strictly */
        CONFLICT(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 54.0, v, "BatteryRedischargeVoltage");
        CHECK_INT(conflicts(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 51.0, v), 0);
        CONFLICT(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 46.0, v, "BatteryRechargeVoltage 46.0 V");
        CHECK_INT(conflicts(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 48.0, v), 0);
        /* 0 = back to battery when full: no order */
        CHECK_INT(conflicts(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 0.0, v), 0);
        pi30_value_set_number(&v[PI30_F_BATTERY_REDISCHARGE_VOLTAGE], 0.0);
        CHECK_INT(conflicts(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 51.0, v), 0);
        /* cut-off < re-charge */
        CONFLICT(PI30_SET_BATTERY_UNDER_VOLTAGE, 46.0, v, "BatteryRechargeVoltage 46.0 V");
        CHECK_INT(conflicts(PI30_SET_BATTERY_UNDER_VOLTAGE, 45.9, v), 0);
        CONFLICT(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 42.0, v, "BatteryUnderVoltage 42.0 V");
        /* Settings the inverter did not report do not count; others have no order. */
        v[PI30_F_BATTERY_BULK_VOLTAGE] = (Pi30Value){0};
        CHECK_INT(conflicts(PI30_SET_BATTERY_FLOAT_VOLTAGE, 58.0, v), 0);
        CHECK_INT(conflicts(PI30_SET_BATTERY_FLOAT_VOLTAGE, 58.0, NULL), 0);
        CHECK_INT(conflicts(PI30_SET_MAX_CHARGING_CURRENT, 10.0, v), 0);
        CHECK_INT(conflicts(_PI30_SET_MAX, 10.0, v), -EINVAL);
}

int main(void)
{
        test_families();
        test_conflicts();

        Pi30Limits b12 = {.battery_rating = 12}, b24 = {.battery_rating = 24},
                   b48 = {.battery_rating = 48}, none = {.battery_rating = NAN};

        /* enumerations */
        OK_S(PI30_SET_OUTPUT_SOURCE_PRIORITY, "utility-first", &b48, -1, "POP00");
        OK_S(PI30_SET_OUTPUT_SOURCE_PRIORITY, "solar-first", &b48, -1, "POP01");
        OK_S(PI30_SET_OUTPUT_SOURCE_PRIORITY, "sbu", &b48, -1, "POP02");
        CHECK_INT(enc_s(PI30_SET_OUTPUT_SOURCE_PRIORITY, "SBU", &b48, -1), -EINVAL);
        CHECK(strstr(err, "utility-first, solar-first, sbu") != NULL);
        CHECK_INT(enc_s(PI30_SET_OUTPUT_SOURCE_PRIORITY, NULL, &b48, -1), -EINVAL);
        CHECK_INT(enc_s(PI30_SET_OUTPUT_SOURCE_PRIORITY, "sbu", &b48, 0),
                  -EINVAL); /* no per-unit form */
        OK_S(PI30_SET_CHARGER_SOURCE_PRIORITY, "utility-first", &b48, -1, "PCP00");
        OK_S(PI30_SET_CHARGER_SOURCE_PRIORITY, "solar-only", &b48, -1, "PCP03");
        OK_S(PI30_SET_CHARGER_SOURCE_PRIORITY, "solar-and-utility", &b48, 1, "PPCP102");
        OK_S(PI30_SET_CHARGER_SOURCE_PRIORITY, "solar-first", &b48, 0, "PPCP001");
        CHECK_INT(enc_s(PI30_SET_CHARGER_SOURCE_PRIORITY, "sbu", &b48, -1), -EINVAL);
        CHECK_INT(enc_s(PI30_SET_CHARGER_SOURCE_PRIORITY, "solar-first", &b48, 10), -EINVAL);
        OK_S(PI30_SET_INPUT_VOLTAGE_RANGE, "appliance", &b48, -1, "PGR00");
        OK_S(PI30_SET_INPUT_VOLTAGE_RANGE, "ups", &b48, -1, "PGR01");
        CHECK_INT(enc_s(PI30_SET_INPUT_VOLTAGE_RANGE, "UPS", &b48, -1), -EINVAL);
        OK_S(PI30_SET_BATTERY_TYPE, "agm", &b48, -1, "PBT00");
        OK_S(PI30_SET_BATTERY_TYPE, "user", &b48, -1, "PBT02");
        OK_S(PI30_SET_BATTERY_TYPE, "lic", &b48, -1, "PBT09");
        CHECK_INT(enc_s(PI30_SET_BATTERY_TYPE, "lithium", &b48, -1), -EINVAL);
        CHECK(strstr(err, "pylontech") != NULL);

        /* flags */
        {
                Pi30SettingArg a = {.s = "buzzer", .b = true};
                CHECK_INT(pi30_setting_encode(PI30_SET_FLAG, &a, &b48, -1, cmd, sizeof cmd, err,
                                              sizeof err),
                          0);
                CHECK_STR(cmd, "PEa");
                a.b = false;
                a.s = "fault-code-record";
                CHECK_INT(pi30_setting_encode(PI30_SET_FLAG, &a, &b48, -1, cmd, sizeof cmd, err,
                                              sizeof err),
                          0);
                CHECK_STR(cmd, "PDz");
                a.s = "solar-feed";
                CHECK_INT(pi30_setting_encode(PI30_SET_FLAG, &a, &b48, -1, cmd, sizeof cmd, err,
                                              sizeof err),
                          -EINVAL);
                CHECK(strstr(err, "overload-bypass") != NULL);
                static const char *const flags[] = {
                                "buzzer",           "overload-bypass",
                                "power-saving",     "lcd-return-to-default",
                                "overload-restart", "over-temperature-restart",
                                "backlight",        "primary-source-interrupt-alarm",
                                "fault-code-record"};
                const char letters[] = "abjkuvxyz";
                for (size_t i = 0; i < 9; i++) {
                        a.s = flags[i];
                        a.b = true;
                        CHECK_INT(pi30_setting_encode(PI30_SET_FLAG, &a, &b48, -1, cmd, sizeof cmd,
                                                      err, sizeof err),
                                  0);
                        CHECK(cmd[0] == 'P' && cmd[1] == 'E' && cmd[2] == letters[i] && !cmd[3]);
                }
        }

        /* frequency */
        OK_D(PI30_SET_OUTPUT_FREQUENCY, 50, &b48, -1, "F50");
        OK_D(PI30_SET_OUTPUT_FREQUENCY, 60, &b48, -1, "F60");
        BAD_D(PI30_SET_OUTPUT_FREQUENCY, 55, &b48, "50 or 60");
        BAD_D(PI30_SET_OUTPUT_FREQUENCY, NAN, &b48, "50 or 60");

        /* voltages: 48 V */
        OK_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 44, &b48, -1, "PBCV44.0");
        OK_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 51, &b48, -1, "PBCV51.0");
        BAD_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 43, &b48, "44.0 to 51.0 V in steps of 1.0 V");
        BAD_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 52, &b48, "48 V battery");
        BAD_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 44.5, &b48, "steps of 1.0");
        OK_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 0, &b48, -1, "PBDV00.0");
        OK_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 48, &b48, -1, "PBDV48.0");
        OK_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 58, &b48, -1, "PBDV58.0");
        BAD_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 59, &b48, "battery is full");
        OK_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 40, &b48, -1, "PSDV40.0");
        OK_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 42.3, &b48, -1, "PSDV42.3");
        OK_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 48, &b48, -1, "PSDV48.0");
        BAD_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 39.9, &b48, "40.0 to 48.0");
        BAD_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 42.35, &b48, "steps of 0.1");
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 56.4, &b48, -1, "PCVV56.4");
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 63, &b48, -1, "PCVV63.0");
        BAD_D(PI30_SET_BATTERY_BULK_VOLTAGE, 63.1, &b48, "48.0 to 63.0");
        OK_D(PI30_SET_BATTERY_FLOAT_VOLTAGE, 54, &b48, -1, "PBFT54.0");
        BAD_D(PI30_SET_BATTERY_FLOAT_VOLTAGE, 47.9, &b48, "48.0 to 63.0");
        BAD_D(PI30_SET_BATTERY_FLOAT_VOLTAGE, -54, &b48, "48.0");
        BAD_D(PI30_SET_BATTERY_FLOAT_VOLTAGE, INFINITY, &b48, "48.0");
        /* 24 V */
        OK_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 22, &b24, -1, "PBCV22.0");
        OK_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 23.5, &b24, -1, "PBCV23.5");
        BAD_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 23.3, &b24, "22.0 to 25.5 V in steps of 0.5 V");
        BAD_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 46, &b24, "24 V battery");
        OK_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 29, &b24, -1, "PBDV29.0");
        OK_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 21, &b24, -1, "PSDV21.0");
        BAD_D(PI30_SET_BATTERY_UNDER_VOLTAGE, 24.1, &b24, "21.0 to 24.0");
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 28.2, &b24, -1, "PCVV28.2");
        BAD_D(PI30_SET_BATTERY_BULK_VOLTAGE, 31.6, &b24, "24.0 to 31.5");
        /* 12 V lists */
        OK_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 11.3, &b12, -1, "PBCV11.3");
        OK_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 12.8, &b12, -1, "PBCV12.8");
        BAD_D(PI30_SET_BATTERY_RECHARGE_VOLTAGE, 11.4, &b12, "one of 11.0, 11.3");
        OK_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 14.5, &b12, -1, "PBDV14.5");
        OK_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 0, &b12, -1, "PBDV00.0");
        BAD_D(PI30_SET_BATTERY_REDISCHARGE_VOLTAGE, 14.6, &b12, "14.5 V");
        OK_D(PI30_SET_BATTERY_BULK_VOLTAGE, 14.2, &b12, -1, "PCVV14.2");
        /* unknown rating: refused, nothing sent */
        CHECK_INT(enc_d(PI30_SET_BATTERY_FLOAT_VOLTAGE, 54, &none, -1), -ENODATA);
        CHECK(strstr(err, "not known") != NULL);
        CHECK_INT(enc_d(PI30_SET_BATTERY_FLOAT_VOLTAGE, 54, NULL, -1), -ENODATA);
        Pi30Limits b36 = {.battery_rating = 36};
        CHECK_INT(enc_d(PI30_SET_BATTERY_FLOAT_VOLTAGE, 40, &b36, -1), -ENODATA);

        /* currents: against the inverter's own lists */
        const uint16_t chg[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
        const uint16_t ac[] = {2, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
        Pi30Limits lists = {.battery_rating = 48,
                            .charging_current_options = chg,
                            .n_charging_current_options = 12,
                            .ac_charging_current_options = ac,
                            .n_ac_charging_current_options = 13};
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 40, &lists, -1, "MCHGC040");
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 10, &lists, -1, "MCHGC010");
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 120, &lists, -1, "MNCHGC0120");
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 120, &lists, 1, "MNCHGC1120");
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 60, &lists, 2, "MCHGC260");
        BAD_D(PI30_SET_MAX_CHARGING_CURRENT, 45, &lists, "one of 10, 20, 30");
        BAD_D(PI30_SET_MAX_CHARGING_CURRENT, 2, &lists, "QMCHGCR");
        BAD_D(PI30_SET_MAX_CHARGING_CURRENT, 40.5, &lists, "one of");
        OK_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 2, &lists, -1, "MUCHGC002");
        OK_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 30, &lists, -1, "MUCHGC030");
        OK_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 120, &lists, -1, "MUCHGC0120");
        OK_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 30, &lists, 1, "MUCHGC130");
        BAD_D(PI30_SET_MAX_AC_CHARGING_CURRENT, 5, &lists, "QMUCHGCR");
        /* no lists (QMCHGCR unsupported): documented range */
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 45, &b48, -1, "MCHGC045");
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 200, &b48, -1, "MNCHGC0200");
        BAD_D(PI30_SET_MAX_CHARGING_CURRENT, 0, &b48, "1 to 200");
        BAD_D(PI30_SET_MAX_CHARGING_CURRENT, 201, &b48, "1 to 200");
        CHECK_INT(enc_d(PI30_SET_MAX_CHARGING_CURRENT, 40, &lists, 10), -EINVAL);

        /* encoded commands are valid raw commands */
        OK_D(PI30_SET_MAX_CHARGING_CURRENT, 200, &b48, -1, "MNCHGC0200");
        CHECK_INT(pi30_raw_command_validate(cmd, NULL, 0), 0);
        CHECK_INT(pi30_setting_encode(PI30_SET_OUTPUT_FREQUENCY, &(Pi30SettingArg){.d = 50}, &b48,
                                      -1, cmd, 3, err, sizeof err),
                  -ENOBUFS);
        CHECK_INT(pi30_setting_encode(_PI30_SET_MAX, &(Pi30SettingArg){0}, &b48, -1, cmd,
                                      sizeof cmd, err, sizeof err),
                  -EINVAL);

        /* the table */
        CHECK_INT(pi30_setting_from_method("SetOutputSourcePriority"),
                  PI30_SET_OUTPUT_SOURCE_PRIORITY);
        CHECK_INT(pi30_setting_from_method("SetFlag"), PI30_SET_FLAG);
        CHECK_INT(pi30_setting_from_method("SetNothing"), -EINVAL);
        for (int s = 0; s < _PI30_SET_MAX; s++) {
                CHECK_INT(pi30_settings[s].id, s);
                CHECK(strncmp(pi30_settings[s].method, "Set", 3) == 0);
        }
        CHECK(pi30_flag_from_name("backlight")->letter == 'x');
        CHECK(pi30_flag_from_name("Backlight") == NULL);

        /* is_current: compares with the device's values */
        Pi30Value v[_PI30_FIELD_MAX] = {0};
        Pi30SettingArg a = {.s = "sbu"};
        CHECK(!pi30_setting_is_current(PI30_SET_OUTPUT_SOURCE_PRIORITY, &a, v)); /* unknown yet */
        pi30_value_set_enum(&v[PI30_F_OUTPUT_SOURCE_PRIORITY], PI30_F_OUTPUT_SOURCE_PRIORITY,
                            "sbu");
        CHECK(pi30_setting_is_current(PI30_SET_OUTPUT_SOURCE_PRIORITY, &a, v));
        a.s = "solar-first";
        CHECK(!pi30_setting_is_current(PI30_SET_OUTPUT_SOURCE_PRIORITY, &a, v));
        pi30_value_set_number(&v[PI30_F_BATTERY_FLOAT_VOLTAGE], 54.0);
        a = (Pi30SettingArg){.d = 54.0};
        CHECK(pi30_setting_is_current(PI30_SET_BATTERY_FLOAT_VOLTAGE, &a, v));
        a.d = 54.1;
        CHECK(!pi30_setting_is_current(PI30_SET_BATTERY_FLOAT_VOLTAGE, &a, v));
        pi30_value_set_bool(&v[PI30_F_FLAG_BUZZER], true);
        a = (Pi30SettingArg){.s = "buzzer", .b = true};
        CHECK(pi30_setting_is_current(PI30_SET_FLAG, &a, v));
        a.b = false;
        CHECK(!pi30_setting_is_current(PI30_SET_FLAG, &a, v));
        a.s = "nope";
        CHECK(!pi30_setting_is_current(PI30_SET_FLAG, &a, v));
        return tests_finish("test-settings");
}
