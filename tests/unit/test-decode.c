/* Decoding: variants, placeholders, missing fields, hostile input changes nothing. */
#include <string.h>

#include "pi30.h"
#include "tests.h"

static Pi30Value values[_PI30_FIELD_MAX];

static int dec(Pi30Command cmd, const char *payload, Pi30DecodeResult *res)
{
        return pi30_decode(cmd, payload, strlen(payload), values, res);
}

/* Every answer of one command against every identity command: only its own decodes. QMCHGCR
 * and QMUCHGCR cannot be told apart by shape (the link's drain after a failure keeps them
 * apart). QT's 14 digits would pass as a serial number: QT is polled in settings cycles, never
 * next to QID (QET follows it and refuses a late clock), and QT refuses a serial number
 * (check_readings()). */
static void check_no_answer_is_anothers(void)
{
        static const struct {
                Pi30Command cmd;
                const char *answer;
        } answers[] = {
                        {PI30_CMD_QPI, "PI30"},
                        {PI30_CMD_QID, "92931905106463"},
                        {PI30_CMD_QVFW, "VERFW:00072.70"},
                        {PI30_CMD_QVFW2, "VERFW2:00041.19"},
                        {PI30_CMD_QMN, "MKS2-8000"},
                        {PI30_CMD_QGMN, "044"},
                        {PI30_CMD_QMCHGCR, "010 020 030 040 050 060 070 080 090 100 110 120"},
                        {PI30_CMD_QMUCHGCR, "002 010 020 030 040 050 060 070 080 090 100"},
                        {PI30_CMD_QPIRI,
                         "230.0 21.7 230.0 50.0 21.7 5000 5000 48.0 46.0 42.0 56.4 54.0 2 "
                         "30 060 0 0 2 9 01 0 0 52.8 0 1"},
                        {PI30_CMD_QFLAG, "EakxyDbjuvz"},
                        {PI30_CMD_QPIGS,
                         "230.0 50.0 230.0 50.0 0161 0119 003 425 52.80 012 100 0035 02.7 "
                         "323.6 52.80 00000 00110110 00 00 00874 010"},
                        {PI30_CMD_QMOD, "L"},
                        {PI30_CMD_QPIWS, "00000000000000000000000000000000"},
                        {PI30_CMD_QPIGS2, "01.0 202.0 00202 "},
                        {PI30_CMD_QOPM, "00"},
                        {PI30_CMD_QBOOT, "0"},
                        {PI30_CMD_QET, "00238800"},
        };
        static const Pi30Command identity[] = {
                        PI30_CMD_QPI, PI30_CMD_QID,  PI30_CMD_QVFW,    PI30_CMD_QVFW2,
                        PI30_CMD_QMN, PI30_CMD_QGMN, PI30_CMD_QMCHGCR, PI30_CMD_QMUCHGCR,
        };
        static const Pi30Command status[] = {PI30_CMD_QPIRI, PI30_CMD_QFLAG, PI30_CMD_QPIGS,
                                             PI30_CMD_QMOD,  PI30_CMD_QPIWS, PI30_CMD_QPIGS2};
        Pi30DecodeResult res;

        for (size_t i = 0; i < sizeof identity / sizeof identity[0]; i++)
                for (size_t k = 0; k < sizeof answers / sizeof answers[0]; k++) {
                        Pi30Command c = identity[i], a = answers[k].cmd;
                        bool twins = (c == PI30_CMD_QMCHGCR || c == PI30_CMD_QMUCHGCR) &&
                                     (a == PI30_CMD_QMCHGCR || a == PI30_CMD_QMUCHGCR);
                        int got = dec(c, answers[k].answer, &res);
                        if (c == a || twins)
                                CHECK_MSG(got > 0, "%s's answer %s not decoded",
                                          pi30_command_info(c)->name, answers[k].answer);
                        else
                                CHECK_MSG(got == -EBADMSG, "%s took %s's answer \"%s\"",
                                          pi30_command_info(c)->name, pi30_command_info(a)->name,
                                          answers[k].answer);
                }
        /* … and no status command takes an identity answer. */
        for (size_t i = 0; i < sizeof status / sizeof status[0]; i++)
                for (size_t k = 0; k < 8; k++)
                        CHECK_MSG(dec(status[i], answers[k].answer, &res) == -EBADMSG,
                                  "%s took %s's answer", pi30_command_info(status[i])->name,
                                  pi30_command_info(answers[k].cmd)->name);
}

/* The clock and the energy counters (polled in settings cycles): their own answers decode, and
 * no other answer passes as one of theirs, nor theirs as a status or settings answer. */
static void check_readings(void)
{
        static const char *const others[] = {
                        "PI30", "92931905106463", "9293333010501", "VERFW:00072.70", "MKS2-8000",
                        "044", "L", "EakxyDbjuvz", "00000000000000000000000000000000", "0",
                        "00", "01.0 202.0 00202 ", "0238800", "002388000", "0023880A",
                        "00238.80", "-0238800",
        };
        static const Pi30Command counters[] = {PI30_CMD_QET, PI30_CMD_QEY, PI30_CMD_QEM,
                                               PI30_CMD_QED, PI30_CMD_QLT, PI30_CMD_QLY,
                                               PI30_CMD_QLM, PI30_CMD_QLD};
        static const Pi30Command status[] = {PI30_CMD_QPIRI, PI30_CMD_QFLAG, PI30_CMD_QPIGS,
                                             PI30_CMD_QMOD,  PI30_CMD_QPIWS, PI30_CMD_QPIGS2};
        Pi30DecodeResult res;

        for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
                const Pi30FieldInfo *f = NULL;

                for (size_t k = 0; k < pi30_n_fields; k++)
                        if (pi30_fields[k].command == counters[i])
                                f = &pi30_fields[k];
                CHECK(f && f->kind == PI30_KIND_NUMBER && strcmp(f->unit, "Wh") == 0);
                if (!f)
                        continue;
                CHECK_INT(dec(counters[i], "00238800", &res), 1);
                CHECK_DOUBLE(values[f->id].d, 238800);
                CHECK_INT(dec(counters[i], "00000000", &res), 1);
                CHECK_DOUBLE(values[f->id].d, 0);
                CHECK_INT(dec(counters[i], "99999999", &res), 1);
                CHECK_MSG(dec(counters[i], "20210726122606", &res) == -EBADMSG,
                          "%s took QT's answer", pi30_command_info(counters[i])->name);
                for (size_t k = 0; k < sizeof others / sizeof others[0]; k++)
                        CHECK_MSG(dec(counters[i], others[k], &res) == -EBADMSG,
                                  "%s took \"%s\"", pi30_command_info(counters[i])->name,
                                  others[k]);
        }
        for (size_t i = 0; i < sizeof status / sizeof status[0]; i++) {
                CHECK(dec(status[i], "00238800", &res) == -EBADMSG);
                CHECK(dec(status[i], "20210726122606", &res) == -EBADMSG);
        }

        /* QT: fourteen digits that are a date and time (corpus: MAX Twin, pi30m044) */
        CHECK_INT(dec(PI30_CMD_QT, "20210726122606", &res), 1);
        CHECK_STR(values[PI30_F_DEVICE_TIME].s, "20210726122606");
        CHECK_INT(pi30_clock_date(&values[PI30_F_DEVICE_TIME]), 20210726);
        CHECK_INT(dec(PI30_CMD_QT, "20200422172244", &res), 1);
        CHECK_INT(pi30_clock_date(&values[PI30_F_DEVICE_TIME]), 20200422);
        CHECK_INT(dec(PI30_CMD_QT, "19900101000000", &res), 1);
        CHECK_INT(dec(PI30_CMD_QT, "20991231235959", &res), 1);
        static const char *const bad_clocks[] = {
                        "92931905106463", /* a serial number: year 9293 */
                        "20211326122606", /* month 13 */
                        "20210700122606", /* day 0 */
                        "20210732122606", /* day 32 */
                        "20210726242606", /* hour 24 */
                        "20210726126006", /* minute 60 */
                        "20210726122661", /* second 61 */
                        "19891231235959", "21000101000000", "2021072612260",  "202107261226061",
                        "2021-07-26 12:2", "00238800",       "044",            "",
        };
        for (size_t k = 0; k < sizeof bad_clocks / sizeof bad_clocks[0]; k++)
                CHECK_MSG(dec(PI30_CMD_QT, bad_clocks[k], &res) == -EBADMSG, "QT took \"%s\"",
                          bad_clocks[k]);
        /* a refused clock leaves the last one */
        CHECK_STR(values[PI30_F_DEVICE_TIME].s, "20991231235959");

        /* the date QEDyyyymmdd is asked with; hand-filled values are checked too */
        Pi30Value v = {0};
        CHECK_INT(pi30_clock_date(&v), -ENODATA); /* not reported */
        CHECK_INT(pi30_clock_date(NULL), -ENODATA);
        CHECK_INT(pi30_value_set_string(&v, "20261202015349"), 0);
        CHECK_INT(pi30_clock_date(&v), 20261202);
        CHECK_INT(pi30_value_set_string(&v, "20261302015349"), 0);
        CHECK_INT(pi30_clock_date(&v), -ENODATA);
        CHECK_INT(pi30_value_set_string(&v, "2026120201534"), 0);
        CHECK_INT(pi30_clock_date(&v), -ENODATA);
        CHECK_INT(pi30_value_set_string(&v, "2026120x015349"), 0);
        CHECK_INT(pi30_clock_date(&v), -ENODATA);
        char cmd[16];
        CHECK_INT(pi30_command_format(PI30_CMD_QLD, 20261202, cmd, sizeof cmd), 11);
        CHECK_STR(cmd, "QLD20261202");
}

/* A refused answer is explained naming the field and the token; an answer that decodes is not. */
static void check_explain(void)
{
        static const char good[] = "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 "
                                   "0010 120.0 52.10 00000 00010110";
        static const char bad[] = "230.0 50.0 230.0 50.0 0500 0400 010 400 5x.00 010 080 0040 "
                                  "0010 120.0 52.10 00000 00010110";
        char why[160];

        CHECK_INT(pi30_decode_explain(PI30_CMD_QPIGS, good, strlen(good), why, sizeof why), 0);
        CHECK_STR(why, "");
        CHECK_INT(pi30_decode_explain(PI30_CMD_QPIGS, bad, strlen(bad), why, sizeof why),
                  -EBADMSG);
        CHECK_MSG(strstr(why, "field 9") && strstr(why, "\"5x.00\"") &&
                                  strstr(why, "BatteryVoltage"),
                  "QPIGS field 9: %s", why);
        CHECK_INT(pi30_decode_explain(PI30_CMD_QPIGS, "230.0 50.0", 10, why, sizeof why),
                  -EBADMSG);
        CHECK_MSG(strstr(why, "2 fields") != NULL, "QPIGS of 2 fields: %s", why);
        /* QPI's answer taken for QID's (a late answer): says which token is not a serial. */
        CHECK_INT(pi30_decode_explain(PI30_CMD_QID, "PI30", 4, why, sizeof why), -EBADMSG);
        CHECK_MSG(strstr(why, "\"PI30\"") && strstr(why, "SerialNumber"), "QID: %s", why);
        CHECK_INT(pi30_decode_explain(PI30_CMD_QMCHGCR, "010 02x", 7, why, sizeof why), -EBADMSG);
        CHECK_MSG(strstr(why, "value 2") && strstr(why, "\"02x\""), "QMCHGCR: %s", why);
        CHECK_INT(pi30_decode_explain(PI30_CMD_QMOD, "NAK", 3, why, sizeof why), -EBADMSG);
        CHECK_MSG(strstr(why, "NAK") != NULL, "QMOD NAK: %s", why);
        /* A long token is cut, and a tiny buffer still ends in a NUL. */
        CHECK_INT(pi30_decode_explain(PI30_CMD_QID, "PIPIPIPIPIPIPIPIPIPIPIPIPIPIPI", 30, why, 8),
                  -EBADMSG);
        CHECK_INT(strlen(why), 7);
}

int main(void)
{
        Pi30DecodeResult res;
        int r;

        check_readings();

        /* QPIGS, 17 fields (HS-2014): fields 18-24 not reported */
        r = dec(PI30_CMD_QPIGS,
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 00000 "
                "00010110",
                &res);
        CHECK(r > 0 && res.n_tokens == 17);
        CHECK_DOUBLE(values[PI30_F_BATTERY_VOLTAGE].d, 52.0);
        CHECK(values[PI30_F_PV_CHARGING_POWER].status == PI30_VALUE_ABSENT);
        CHECK(values[PI30_F_SWITCHED_ON].status == PI30_VALUE_ABSENT);
        CHECK(values[PI30_F_LOAD_ON].status == PI30_VALUE_VALID && values[PI30_F_LOAD_ON].d == 1);
        CHECK(values[PI30_F_AC_CHARGING].d == 0 && values[PI30_F_SCC_CHARGING].d == 1);

        /* 24 fields with 5-digit powers and NN.N PV current */
        r = dec(PI30_CMD_QPIGS,
                "242.3 50.0 230.0 49.9 03013 02919 027 377 54.20 000 100 0037 00.0 066.3 00.00 "
                "00057 00010000 00 00 00000 010 0 00 0000",
                &res);
        CHECK(r > 0 && res.n_tokens == 24);
        CHECK_DOUBLE(values[PI30_F_AC_OUTPUT_APPARENT_POWER].d, 3013);
        CHECK_DOUBLE(values[PI30_F_AC_OUTPUT_ACTIVE_POWER].d, 2919);
        CHECK_DOUBLE(values[PI30_F_BATTERY_DISCHARGE_CURRENT].d, 57);
        CHECK(values[PI30_F_SOLAR_FEED_TO_GRID_POWER].status == PI30_VALUE_VALID);
        CHECK(values[PI30_F_SWITCHED_ON].d == 1 && values[PI30_F_CHARGING_TO_FLOAT].d == 0);

        /* '-' placeholders anywhere decode as not reported, the rest still decodes */
        r = dec(PI30_CMD_QPIGS,
                "- 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 - 0010 120.0 52.10 00000 "
                "- 00 00 00100 010",
                &res);
        CHECK(r > 0 && res.n_absent >= 3);
        CHECK(values[PI30_F_GRID_VOLTAGE].status == PI30_VALUE_ABSENT);
        CHECK(values[PI30_F_HEATSINK_TEMPERATURE].status == PI30_VALUE_ABSENT);
        CHECK(values[PI30_F_DEVICE_STATUS].status == PI30_VALUE_ABSENT);
        CHECK(values[PI30_F_LOAD_ON].status == PI30_VALUE_ABSENT);
        CHECK_DOUBLE(values[PI30_F_PV_CHARGING_POWER].d, 100);

        /* out of range: reported as such, not as a value */
        r = dec(PI30_CMD_QPIGS,
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 180 0040 0010 120.0 52.10 00000 "
                "00010110 00 00 00100 010",
                &res);
        CHECK(r > 0 && res.n_out_of_range == 1);
        CHECK(values[PI30_F_BATTERY_CAPACITY].status == PI30_VALUE_OUT_OF_RANGE);

        /* hostile or malformed answers are refused whole and change nothing */
        Pi30Value before[_PI30_FIELD_MAX];
        memcpy(before, values, sizeof values);
        static const char *const bad[] = {
                "",
                " 230.0",
                "230.0 50.0",                                          /* too few fields */
                "230.0  50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 "
                "00000 00010110",                                      /* empty field */
                "23O.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 "
                "00000 00010110",                                      /* letter O */
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.0.0 010 080 0040 0010 120.0 52.10 "
                "00000 00010110",                                      /* two points */
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 "
                "00000 00012110",                                      /* bit string with 2 */
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 "
                "00000 00010110 00 00 00100 010 0 00 0000 1 2 3 4 5",  /* too many fields */
                "NAK",
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 "
                "00000 0001\x01" "110",                                /* control byte */
                "230.0 50.0 230.0 50.0 0500 0400 010 400 52.00 010 080 0040 0010 120.0 52.10 "
                "00000 00010110 00 -5 00100 010",                      /* sign on an unsigned */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                CHECK_MSG(dec(PI30_CMD_QPIGS, bad[i], &res) == -EBADMSG, "bad[%zu]", i);
                CHECK_MSG(memcmp(before, values, sizeof values) == 0, "bad[%zu] changed values", i);
        }
        CHECK_INT(pi30_decode(PI30_CMD_QPIGS, NULL, 0, values, NULL), -EBADMSG);
        CHECK_INT(pi30_decode(_PI30_CMD_MAX, "x", 1, values, NULL), -EINVAL);

        /* QPIGS2: both layouts under one name */
        r = dec(PI30_CMD_QPIGS2, "03.1 327.3 01026 ", &res);
        CHECK(r == 3 && res.layout == 0);
        CHECK_DOUBLE(values[PI30_F_PV2_INPUT_CURRENT].d, 3.1);
        CHECK_DOUBLE(values[PI30_F_PV2_INPUT_POWER].d, 1026);
        CHECK(values[PI30_F_PV3_INPUT_VOLTAGE].status == PI30_VALUE_ABSENT);
        r = dec(PI30_CMD_QPIGS2,
                "0012 250.1 52.10 00600 10000000 0005 0250 0003 180.5 52.05 00400 01000", &res);
        CHECK(r > 0 && res.layout == 1);
        CHECK_DOUBLE(values[PI30_F_PV2_INPUT_CURRENT].d, 12);
        CHECK_DOUBLE(values[PI30_F_PV3_INPUT_VOLTAGE].d, 180.5);
        CHECK(values[PI30_F_SCC2_CHARGING].d == 1 && values[PI30_F_SCC3_CHARGING].d == 0);
        CHECK_INT(dec(PI30_CMD_QPIGS2, "03.1 327.3 01026 5", &res), -EBADMSG);

        /* QPIRI with '-' parallel max, 2-digit currents */
        r = dec(PI30_CMD_QPIRI,
                "230.0 13.0 230.0 50.0 13.0 3000 2400 24.0 23.0 21.0 28.2 27.0 0 30 50 0 2 1 - 01 "
                "1 0 26.0 0 0",
                &res);
        CHECK(r > 0 && res.n_tokens == 25);
        CHECK(values[PI30_F_PARALLEL_MAX_UNITS].status == PI30_VALUE_ABSENT);
        CHECK(values[PI30_F_MAX_CHARGING_TIME_AT_CV].status == PI30_VALUE_ABSENT);
        CHECK_DOUBLE(values[PI30_F_MAX_CHARGING_CURRENT].d, 50);
        CHECK_STR(values[PI30_F_CHARGER_SOURCE_PRIORITY].name, "solar-first");
        CHECK_STR(values[PI30_F_MACHINE_TYPE].name, "off-grid");
        CHECK_STR(values[PI30_F_TOPOLOGY].name, "transformer");
        /* codes outside the closed lists are "unknown", never a guess or a failure */
        r = dec(PI30_CMD_QPIRI,
                "230.0 13.0 230.0 50.0 13.0 3000 2400 24.0 23.0 21.0 28.2 27.0 7 30 50 0 5 8 - 20 "
                "1 9 26.0 0 0",
                &res);
        CHECK(r > 0);
        CHECK_STR(values[PI30_F_BATTERY_TYPE].name, "bak");
        CHECK_STR(values[PI30_F_OUTPUT_SOURCE_PRIORITY].name, "unknown");
        CHECK_STR(values[PI30_F_CHARGER_SOURCE_PRIORITY].name, "unknown");
        CHECK_STR(values[PI30_F_MACHINE_TYPE].name, "unknown");
        CHECK_STR(values[PI30_F_OUTPUT_MODE].name, "unknown");

        /* QMOD */
        CHECK(dec(PI30_CMD_QMOD, "B", &res) == 1);
        CHECK_STR(values[PI30_F_MODE].name, "battery");
        CHECK(dec(PI30_CMD_QMOD, "H", &res) == 1);
        CHECK_STR(values[PI30_F_MODE].name, "power-saving");
        CHECK(dec(PI30_CMD_QMOD, "Y", &res) == 1);
        CHECK_STR(values[PI30_F_MODE].name, "unknown");
        CHECK_INT(dec(PI30_CMD_QMOD, "BB", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QMOD, "b", &res), -EBADMSG);

        /* QFLAG */
        CHECK(dec(PI30_CMD_QFLAG, "EakxyDbjuvz", &res) == 9);
        CHECK(values[PI30_F_FLAG_BUZZER].d == 1 && values[PI30_F_FLAG_POWER_SAVING].d == 0);
        CHECK(values[PI30_F_FLAG_SOLAR_FEED_TO_GRID].status == PI30_VALUE_ABSENT);
        CHECK(dec(PI30_CMD_QFLAG, "EkuvxyzDabdjln", &res) == 11);
        CHECK(values[PI30_F_FLAG_SOLAR_FEED_TO_GRID].d == 0);
        CHECK(dec(PI30_CMD_QFLAG, "ED", &res) == 0);
        CHECK_INT(dec(PI30_CMD_QFLAG, "EaDa", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QFLAG, "DaEb", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QFLAG, "Ea;Db", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QFLAG, "EAKXYDBJUVZ", &res), -EBADMSG);

        /* QPIWS lengths */
        CHECK(dec(PI30_CMD_QPIWS, "00000100000000001000000000000000", &res) == 1);
        CHECK_INT(values[PI30_F_WARNING_STATUS].n, 32);
        CHECK(dec(PI30_CMD_QPIWS, "100000000000000000000000000000000000", &res) == 1);
        CHECK_INT(values[PI30_F_WARNING_STATUS].n, 36);
        CHECK_INT(dec(PI30_CMD_QPIWS, "0000010000", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QPIWS, "00000100000000001000000000000002", &res), -EBADMSG);

        /* identity */
        CHECK(dec(PI30_CMD_QVFW, "VERFW:00072.70", &res) == 1);
        CHECK_STR(values[PI30_F_FIRMWARE_VERSION].s, "00072.70");
        CHECK(dec(PI30_CMD_QVFW3, "VERFW:00012.03", &res) == 1); /* GK/MK answer QVFW3 so */
        CHECK_STR(values[PI30_F_FIRMWARE_VERSION3].s, "00012.03");
        CHECK_INT(dec(PI30_CMD_QVFW, "00072.70", &res), -EBADMSG);
        CHECK(dec(PI30_CMD_QMN, "MKS2-8000", &res) == 1);
        CHECK_STR(values[PI30_F_MODEL_NAME].s, "MKS2-8000");
        CHECK_INT(dec(PI30_CMD_QMN, "0123456789012345678901234567890123456789012345678", &res),
                  -EBADMSG);
        CHECK(dec(PI30_CMD_QOPM, "01", &res) == 1);
        CHECK_STR(values[PI30_F_QOPM_OUTPUT_MODE].name, "parallel");
        CHECK(dec(PI30_CMD_QET, "00238800", &res) == 1);
        CHECK_DOUBLE(values[PI30_F_PV_ENERGY_TOTAL].d, 238800);

        /* Each free-text answer has its own shape: none is taken for another command's, so a
         * late answer never becomes the serial number or the model (issue 17). */
        CHECK(dec(PI30_CMD_QPI, "PI30", &res) == 1);
        CHECK(dec(PI30_CMD_QPI, "PI18", &res) == 1);
        CHECK_INT(dec(PI30_CMD_QPI, "PI3", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QPI, "PIXX", &res), -EBADMSG);
        CHECK(dec(PI30_CMD_QID, "92931905106463", &res) == 1);
        CHECK(dec(PI30_CMD_QID, "9293333010501", &res) == 1); /* the corpus' 13 digits */
        CHECK_INT(dec(PI30_CMD_QID, "92931905I06463", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QID, "044", &res), -EBADMSG);
        CHECK(dec(PI30_CMD_QVFW2, "VERFW2:00041.19", &res) == 1);
        CHECK_STR(values[PI30_F_FIRMWARE_VERSION2].s, "00041.19");
        CHECK(dec(PI30_CMD_QVFW, "VERFW: 00072.70", &res) == 1); /* documents show a space */
        CHECK(dec(PI30_CMD_QVFW, "VERFW:0007A.7F", &res) == 1);  /* hex digits */
        CHECK_INT(dec(PI30_CMD_QVFW, "VERFW2:00041.19", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QVFW2, "VERFW:00072.70", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QVFW, "VERFW:00072.70.1", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QVFW, "VERFW:hello", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QVFW, "VERFW:", &res), -EBADMSG);
        CHECK(dec(PI30_CMD_QVFW3, "VERFW3:00000.00", &res) == 1);
        CHECK(dec(PI30_CMD_QMN, "VMII-NXPW5KW", &res) == 1);
        CHECK(dec(PI30_CMD_QMN, "MAX-11000", &res) == 1);
        CHECK(dec(PI30_CMD_QGMN, "044", &res) == 1);
        CHECK_INT(dec(PI30_CMD_QGMN, "0440", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QMCHGCR, "010", &res), -EBADMSG); /* one number: QGMN's */
        CHECK_INT(dec(PI30_CMD_QMCHGCR, "10 20 30", &res), -EBADMSG);
        check_no_answer_is_anothers();

        /* lists */
        CHECK(dec(PI30_CMD_QMCHGCR, "010 020 030 040 050 060 070 080 090 100 110 120", &res) == 1);
        CHECK_INT(values[PI30_F_CHARGING_CURRENT_OPTIONS].n, 12);
        CHECK_INT(values[PI30_F_CHARGING_CURRENT_OPTIONS].list[11], 120);
        CHECK_INT(dec(PI30_CMD_QMCHGCR, "010 02x", &res), -EBADMSG);
        CHECK_INT(dec(PI30_CMD_QMCHGCR, "010 1000", &res), -EBADMSG);

        /* QPGS: empty slot, battery status 2-bit code */
        r = dec(PI30_CMD_QPGS,
                "1 92931701100510 B 00 000.0 00.00 230.6 50.00 0275 0141 005 51.4 001 100 083.3 002 "
                "00574 00312 003 10110110 1 2 060 120 10 04 000",
                &res);
        CHECK(r > 0);
        CHECK_STR(values[PI30_F_UNIT_BATTERY_STATUS].name, "open");
        CHECK(values[PI30_F_UNIT_PV2_INPUT_VOLTAGE].status == PI30_VALUE_ABSENT);
        CHECK_STR(values[PI30_F_UNIT_SERIAL_NUMBER].s, "92931701100510");

        /* values are parsed without the locale */
        CHECK(dec(PI30_CMD_QPIGS,
                  "230.0 50.0 230.0 50.0 0500 0400 010 400 52.30 010 080 0040 0010 120.0 52.10 "
                  "00000 00010110",
                  &res) > 0);
        CHECK_DOUBLE(values[PI30_F_BATTERY_VOLTAGE].d, 52.3);
        check_explain();
        return tests_finish("test-decode");
}
