/* Formatting answers from typed values, as the simulator does; decode(format(v)) == v. */
#include <locale.h>
#include <string.h>

#include "pi30.h"
#include "tests.h"

int main(void)
{
        Pi30Value v[_PI30_FIELD_MAX] = {0}, back[_PI30_FIELD_MAX] = {0};
        char buf[256];
        ssize_t n;

        /* A decimal-comma locale must not change anything (when one is installed). */
        const char *loc = setlocale(LC_ALL, "de_DE.UTF-8");
        if (!loc)
                loc = setlocale(LC_ALL, "fr_FR.UTF-8");
        printf("locale: %s\n", loc ? loc : "C (no decimal-comma locale installed)");

        pi30_value_set_number(&v[PI30_F_GRID_VOLTAGE], 230.04);
        pi30_value_set_number(&v[PI30_F_GRID_FREQUENCY], 50);
        pi30_value_set_number(&v[PI30_F_AC_OUTPUT_VOLTAGE], 229.96);
        pi30_value_set_number(&v[PI30_F_AC_OUTPUT_FREQUENCY], 49.9);
        pi30_value_set_number(&v[PI30_F_AC_OUTPUT_APPARENT_POWER], 276);
        pi30_value_set_number(&v[PI30_F_AC_OUTPUT_ACTIVE_POWER], 12345);
        pi30_value_set_number(&v[PI30_F_AC_OUTPUT_LOAD_PERCENT], 5);
        pi30_value_set_number(&v[PI30_F_BUS_VOLTAGE], 375);
        pi30_value_set_number(&v[PI30_F_BATTERY_VOLTAGE], 53.2);
        pi30_value_set_number(&v[PI30_F_BATTERY_CHARGING_CURRENT], 0);
        pi30_value_set_number(&v[PI30_F_BATTERY_CAPACITY], 50);
        pi30_value_set_number(&v[PI30_F_HEATSINK_TEMPERATURE], 32);
        pi30_value_set_number(&v[PI30_F_PV_INPUT_CURRENT], 0.8);
        pi30_value_set_number(&v[PI30_F_PV_INPUT_VOLTAGE], 91.5);
        pi30_value_set_number(&v[PI30_F_BATTERY_VOLTAGE_FROM_SCC], 0);
        pi30_value_set_number(&v[PI30_F_BATTERY_DISCHARGE_CURRENT], 0);
        /* status bits composed from the bit fields when the bit string itself is not set */
        pi30_value_set_bool(&v[PI30_F_LOAD_ON], true);
        pi30_value_set_bool(&v[PI30_F_CHARGING], true);
        pi30_value_set_bool(&v[PI30_F_SCC_CHARGING], true);
        n = pi30_answer_format(PI30_CMD_QPIGS, 0, 17, v, buf, sizeof buf);
        CHECK(n > 0);
        CHECK_STR(buf, "230.0 50.0 230.0 49.9 0276 12345 005 375 53.20 000 050 0032 00.8 091.5 "
                       "00.00 00000 00010110");
        CHECK(pi30_decode(PI30_CMD_QPIGS, buf, (size_t)n, back, NULL) > 0);
        CHECK_DOUBLE(back[PI30_F_AC_OUTPUT_ACTIVE_POWER].d, 12345);
        CHECK_DOUBLE(back[PI30_F_BATTERY_VOLTAGE].d, 53.2);
        CHECK_DOUBLE(back[PI30_F_GRID_VOLTAGE].d, 230.0);
        CHECK(back[PI30_F_LOAD_ON].d == 1 && back[PI30_F_AC_CHARGING].d == 0);
        /* 21 fields: the ones never set print as '-' */
        n = pi30_answer_format(PI30_CMD_QPIGS, 0, 21, v, buf, sizeof buf);
        CHECK_MSG(n > 0 && strcmp(buf + n - 8, " - - - -") == 0, "%s", buf);
        CHECK_INT(pi30_answer_format(PI30_CMD_QPIGS, 0, 17, v, buf, 20), -ENOBUFS);

        /* enums, flags, lists, prefixed strings */
        CHECK_INT(pi30_value_set_enum(&v[PI30_F_MODE], PI30_F_MODE, "line"), 0);
        CHECK(pi30_answer_format(PI30_CMD_QMOD, 0, 0, v, buf, sizeof buf) == 1);
        CHECK_STR(buf, "L");
        CHECK_INT(pi30_value_set_enum(&v[PI30_F_MODE], PI30_F_MODE, "charging"), -EINVAL);
        CHECK_INT(pi30_value_set_enum(&v[PI30_F_MODE], PI30_F_GRID_VOLTAGE, "line"), -EINVAL);
        pi30_value_set_bool(&v[PI30_F_FLAG_BUZZER], true);
        pi30_value_set_bool(&v[PI30_F_FLAG_BACKLIGHT], true);
        pi30_value_set_bool(&v[PI30_F_FLAG_POWER_SAVING], false);
        CHECK(pi30_answer_format(PI30_CMD_QFLAG, 0, 0, v, buf, sizeof buf) > 0);
        CHECK_STR(buf, "EaxDj");
        const uint16_t opts[] = {2, 10, 20, 30};
        CHECK_INT(pi30_value_set_list(&v[PI30_F_AC_CHARGING_CURRENT_OPTIONS], opts, 4), 0);
        CHECK(pi30_answer_format(PI30_CMD_QMUCHGCR, 0, 0, v, buf, sizeof buf) > 0);
        CHECK_STR(buf, "002 010 020 030");
        CHECK_INT(pi30_value_set_string(&v[PI30_F_FIRMWARE_VERSION2], "00000.00"), 0);
        CHECK(pi30_answer_format(PI30_CMD_QVFW2, 0, 0, v, buf, sizeof buf) > 0);
        CHECK_STR(buf, "VERFW2:00000.00");
        CHECK_INT(pi30_value_set_string(&v[PI30_F_MODEL_NAME], "bad\rname"), -EINVAL);
        CHECK_INT(pi30_value_set_bits(&v[PI30_F_WARNING_STATUS], "0102"), -EINVAL);
        CHECK_INT(pi30_value_set_bits(&v[PI30_F_WARNING_STATUS],
                                      "000001000000000010000000000000000000"), 0);
        CHECK(pi30_answer_format(PI30_CMD_QPIWS, 0, 0, v, buf, sizeof buf) == 36);

        /* QPIGS2 MAX layout keeps the firmware's trailing space */
        pi30_value_set_number(&v[PI30_F_PV2_INPUT_CURRENT], 3.1);
        pi30_value_set_number(&v[PI30_F_PV2_INPUT_VOLTAGE], 327.3);
        pi30_value_set_number(&v[PI30_F_PV2_INPUT_POWER], 1026);
        CHECK(pi30_answer_format(PI30_CMD_QPIGS2, 0, 0, v, buf, sizeof buf) > 0);
        CHECK_STR(buf, "03.1 327.3 01026 ");

        /* value equality ignores the received width, not the value */
        Pi30Value a, b;
        pi30_value_set_number(&a, 14);
        pi30_value_set_number(&b, 14);
        b.width = 4;
        CHECK(pi30_value_equal(&a, &b));
        pi30_value_set_number(&b, 14.1);
        CHECK(!pi30_value_equal(&a, &b));
        b.status = PI30_VALUE_ABSENT;
        CHECK(!pi30_value_equal(&a, &b));
        return tests_finish("test-format");
}
