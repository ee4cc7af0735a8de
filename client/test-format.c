/* Unit test of axpertctl's pure helpers: number text both ways, booleans, ages, units, JSON. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "json.h"
#include "macros.h"

static int failures;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (!_a || strcmp(_a, _b) != 0) {                                                  \
                        fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,           \
                                _a ? _a : "(null)", _b);                                           \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

static void test_format_double(void)
{
        char buf[FORMAT_BUF_MAX];

        CHECK_STR(format_double(51.2, "nan", buf), "51.2");
        CHECK_STR(format_double(230.0, "nan", buf), "230");
        CHECK_STR(format_double(-0.5, "nan", buf), "-0.5");
        CHECK_STR(format_double(0.1 + 0.2, "nan", buf), "0.30000000000000004");
        CHECK_STR(format_double(NAN, "n/a", buf), "n/a");
        CHECK_STR(format_double(INFINITY, "n/a", buf), "inf");
        CHECK_STR(format_double(1e21, "nan", buf), "1e+21");
        /* Every printed value reads back exactly. */
        for (double d = 0.001; d < 1e6; d *= 1.37) {
                format_double(d, "nan", buf);
                CHECK(strtod(buf, NULL) == d);
        }
}

static void test_parse_double(void)
{
        double d = -1;

        CHECK(parse_double("52.3", &d) == 0 && d == 52.3);
        CHECK(parse_double("60", &d) == 0 && d == 60);
        CHECK(parse_double("-1.5", &d) == 0 && d == -1.5);
        CHECK(parse_double("5e1", &d) == 0 && d == 50);
        d = 7;
        CHECK(parse_double("52,3", &d) < 0);
        CHECK(parse_double("", &d) < 0);
        CHECK(parse_double(" 5", &d) < 0);
        CHECK(parse_double("5 ", &d) < 0);
        CHECK(parse_double("nan", &d) < 0);
        CHECK(parse_double("inf", &d) < 0);
        CHECK(parse_double("0x10", &d) < 0);
        CHECK(parse_double("1e999", &d) < 0);
        CHECK(parse_double("abc", &d) < 0);
        CHECK(parse_double(NULL, &d) < 0);
        CHECK(d == 7); /* untouched on failure */
}

static void test_parse_double_locale(void)
{
        double d = 0;
        char buf[FORMAT_BUF_MAX];

        /* A comma-decimal locale must change nothing. Not every machine has one. */
        if (!setlocale(LC_ALL, "de_DE.UTF-8") && !setlocale(LC_ALL, "fr_FR.UTF-8")) {
                fprintf(stderr, "no comma-decimal locale here; checked with the C locale only\n");
                return;
        }
        CHECK(parse_double("52.3", &d) == 0 && d == 52.3);
        CHECK(parse_double("52,3", &d) < 0);
        CHECK_STR(format_double(51.25, "nan", buf), "51.25");
        setlocale(LC_ALL, "C");
}

static void test_parse_boolean(void)
{
        CHECK(parse_boolean("on") == 1);
        CHECK(parse_boolean("YES") == 1);
        CHECK(parse_boolean("1") == 1);
        CHECK(parse_boolean("off") == 0);
        CHECK(parse_boolean("false") == 0);
        CHECK(parse_boolean("maybe") < 0);
        CHECK(parse_boolean("") < 0);
        CHECK(parse_boolean(NULL) < 0);
}

static void test_format_age(void)
{
        char buf[FORMAT_BUF_MAX];
        uint64_t now = 1700000000 * USEC_PER_SEC;

        CHECK_STR(format_age(now, now - 2 * USEC_PER_SEC, buf), "2 s");
        CHECK_STR(format_age(now, now - 2500 * USEC_PER_MSEC, buf), "2 s");
        CHECK_STR(format_age(now, now - 59 * USEC_PER_SEC, buf), "59 s");
        CHECK_STR(format_age(now, now - 60 * USEC_PER_SEC, buf), "1 min");
        CHECK_STR(format_age(now, now - 7200 * USEC_PER_SEC, buf), "2 h");
        CHECK_STR(format_age(now, now - 3 * 86400 * USEC_PER_SEC, buf), "3 d");
        CHECK_STR(format_age(now, now + 5 * USEC_PER_SEC, buf), "0 s");
}

static void test_format_timestamp(void)
{
        char buf[FORMAT_BUF_MAX];
        uint64_t t = 1763715600123456; /* Fri 2025-11-21 09:00:00.123456 UTC */

        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        CHECK_STR(format_timestamp(t, TIMESTAMP_PRETTY, buf), "Fri 2025-11-21 10:00:00 CET");
        CHECK_STR(format_timestamp(t, TIMESTAMP_US, buf), "Fri 2025-11-21 10:00:00.123456 CET");
        CHECK_STR(format_timestamp(t, TIMESTAMP_UTC, buf), "Fri 2025-11-21 09:00:00 UTC");
        CHECK_STR(format_timestamp(t, TIMESTAMP_US_UTC, buf), "Fri 2025-11-21 09:00:00.123456 UTC");
        CHECK_STR(format_timestamp(t, TIMESTAMP_UNIX, buf), "@1763715600");
        /* Summer time, and a day name that never depends on the locale. */
        setlocale(LC_ALL, "de_DE.UTF-8");
        CHECK_STR(format_timestamp(1751360400 * USEC_PER_SEC, TIMESTAMP_PRETTY, buf),
                  "Tue 2025-07-01 11:00:00 CEST");
        setlocale(LC_ALL, "C");
        setenv("TZ", "UTC", 1);
        tzset();
        CHECK_STR(format_timestamp(0, TIMESTAMP_PRETTY, buf), "Thu 1970-01-01 00:00:00 UTC");
}

static void test_property_unit(void)
{
        CHECK_STR(property_unit("BatteryVoltage", false), "V");
        CHECK_STR(property_unit("AcOutputApparentPower", false), "VA");
        CHECK_STR(property_unit("PvInputPower", false), "W");
        CHECK_STR(property_unit("HeatsinkTemperature", false), "°C");
        CHECK_STR(property_unit("HeatsinkTemperature", true), "C");
        CHECK_STR(property_unit("BatteryCapacity", false), "%");
        CHECK_STR(property_unit("ChargingCurrentOptions", false), "A");
        CHECK(property_unit("Mode", false) == NULL);
        CHECK(property_unit("Online", false) == NULL);
        CHECK(property_unit(NULL, false) == NULL);
}

static char *json_render(bool pretty, void (*build)(JsonWriter *w))
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        JsonWriter w;

        if (!f)
                abort();
        json_init(&w, f, pretty);
        build(&w);
        json_finish(&w);
        fclose(f);
        return text;
}

static void build_sample(JsonWriter *w)
{
        json_begin_object(w);
        json_key(w, "Mode");
        json_string(w, "line");
        json_key(w, "BatteryVoltage");
        json_double(w, 51.2);
        json_key(w, "Pv2InputPower");
        json_double(w, NAN);
        json_key(w, "Online");
        json_bool(w, true);
        json_key(w, "Warnings");
        json_begin_array(w);
        json_string(w, "line-fail");
        json_string(w, "quote\" back\\ nl\n tab\t bell\a del\x7f ü");
        json_end_array(w);
        json_key(w, "Empty");
        json_begin_array(w);
        json_end_array(w);
        json_key(w, "ParallelUnits");
        json_uint(w, 18446744073709551615ULL);
        json_end_object(w);
}

static void test_json(void)
{
        _cleanup_free_ char *s = json_render(false, build_sample);
        _cleanup_free_ char *p = json_render(true, build_sample);

        CHECK_STR(s, "{\"Mode\":\"line\",\"BatteryVoltage\":51.2,\"Pv2InputPower\":null,"
                     "\"Online\":true,\"Warnings\":[\"line-fail\",\"quote\\\" back\\\\ nl\\n "
                     "tab\\t bell\\u0007 del\\u007f ü\"],\"Empty\":[],"
                     "\"ParallelUnits\":18446744073709551615}\n");
        CHECK_STR(p, "{\n  \"Mode\": \"line\",\n  \"BatteryVoltage\": 51.2,\n"
                     "  \"Pv2InputPower\": null,\n  \"Online\": true,\n  \"Warnings\": [\n"
                     "    \"line-fail\",\n    \"quote\\\" back\\\\ nl\\n tab\\t bell\\u0007 "
                     "del\\u007f ü\"\n  ],\n  \"Empty\": [],\n"
                     "  \"ParallelUnits\": 18446744073709551615\n}\n");
}

int main(void)
{
        test_format_double();
        test_parse_double();
        test_format_timestamp();
        test_parse_boolean();
        test_format_age();
        test_property_unit();
        test_json();
        test_parse_double_locale();
        if (failures > 0) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all checks passed\n");
        return EXIT_SUCCESS;
}
