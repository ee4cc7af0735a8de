/* Unit test of time-spec.c: the TIME forms of history/energy, DST edges, and what is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macros.h"
#include "time-spec.h"

#define S(x) ((uint64_t)(x)*USEC_PER_SEC)

static unsigned failures;

/* Evaluated also with NDEBUG, unlike CHECK(). */
#define CHECK(x)                                                                                   \
        do {                                                                                       \
                if (!(x)) {                                                                        \
                        fprintf(stderr, "FAIL: line %d: %s\n", __LINE__, #x);                      \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

static void expect(const char *s, uint64_t now, int r_expected, uint64_t expected)
{
        uint64_t got = 12345;
        int r = parse_time_spec(s, now, &got);

        if (r != r_expected || (r == 0 && got != expected)) {
                fprintf(stderr, "FAIL: \"%s\": r=%d (want %d), got %llu (want %llu)\n", s, r,
                        r_expected, (unsigned long long)got, (unsigned long long)expected);
                failures++;
        } else if (r < 0 && got != 12345) {
                fprintf(stderr, "FAIL: \"%s\": refused but the result was changed\n", s);
                failures++;
        }
}

static void expect_iso(uint64_t usec, const char *expected)
{
        char buf[TIME_ISO_MAX];

        if (!streq(format_time_iso(usec, buf), expected)) {
                fprintf(stderr, "FAIL: format_time_iso(%llu) = %s, want %s\n",
                        (unsigned long long)usec, buf, expected);
                failures++;
        }
}

int main(void)
{
        const uint64_t now = S(1796176800) + 250000; /* 2026-12-02T03:00:00.25+01:00 */
        uint64_t a = 0, b = 0;

        setenv("TZ", "Europe/Berlin", 1);
        tzset();

        expect("now", now, 0, now);
        expect("today", now, 0, S(1796166000)); /* 2026-12-02T00:00+01:00 */
        expect("yesterday", now, 0, S(1796166000 - 86400));
        expect("tomorrow", now, 0, S(1796166000 + 86400));
        expect("-1d", now, 0, now - S(86400));
        expect("-12h", now, 0, now - S(12 * 3600));
        expect("-30m", now, 0, now - S(1800));
        expect("-90s", now, 0, now - S(90));
        expect("-1h30m", now, 0, now - S(5400));
        expect("+2w", now, 0, now + S(14 * 86400));
        expect("2026-12-01T10:00", now, 0, S(1796115600));
        expect("2026-12-01 10:00:00.5", now, 0, S(1796115600) + 500000);
        expect("2026-12-01T09:00Z", now, 0, S(1796115600));
        expect("2026-12-01T11:00+02:00", now, 0, S(1796115600));
        expect("2026-12-01T11:00+0200", now, 0, S(1796115600));
        expect("20261201100000", now, 0, S(1796115600));
        expect("2026-12-01", now, 0, S(1796079600));
        expect("20261201", now, 0, S(1796079600));
        expect("@1796115600", now, 0, S(1796115600));
        /* DST: 23- and 25-hour days, the repeated hour's first instant, the skipped hour. */
        expect("2026-03-29", now, 0, S(1774738800));
        expect("2026-03-30", now, 0, S(1774821600));
        expect("2026-10-25", now, 0, S(1792879200));
        expect("2026-10-25T02:30", now, 0, S(1792888200));
        expect("2026-10-25T02:30+01:00", now, 0, S(1792888200 + 3600));
        expect("2026-03-29T02:30", now, -ENXIO, 0);
        expect("20260329023000", now, -ENXIO, 0);
        /* Refused. */
        const char *bad[] = {"",
                             "Now",
                             "yesterdy",
                             "-",
                             "-5",
                             "-5x",
                             "--5d",
                             "2026-12-1",
                             "2026-13-01",
                             "2026-02-29",
                             "2026-12-01T24:00",
                             "2026-12-01T10",
                             "2026-12-01T10:00:",
                             "2026-12-01T10:00+1",
                             "2026-12-01Z",
                             "2026120110",
                             "@",
                             "@12x",
                             "2026-12-01T10:00.5",
                             "2026-12-01T10:00:00.",
                             " 2026-12-01"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect(bad[i], now, -EINVAL, 0);
        expect("1969-12-31", now, -ERANGE, 0);
        expect("10000-01-01", now, -EINVAL, 0);
        expect("-999999999999999d", now, -ERANGE, 0);
        expect("-100000d", now, -ERANGE, 0);
        expect("@99999999999999999999999", now, -ERANGE, 0);

        /* godenerg's range. */
        CHECK(parse_time_range("20261025000000-20261025235959", now, &a, &b) == 1);
        CHECK(a == S(1792879200) && b == S(1792879200 + 25 * 3600 - 1));
        CHECK(parse_time_range("2026-10-25", now, &a, &b) == 0);
        CHECK(parse_time_range("20261025000000-2026102523595", now, &a, &b) == 0);
        CHECK(parse_time_range("20261325000000-20261025235959", now, &a, &b) == -EINVAL);

        /* Period starts for energy. */
        CHECK(local_day_start(now, -29, &a) == 0 && a == S(1796166000 - 29 * 86400));
        CHECK(local_month_start(now, 0, &a) == 0 && a == S(1796079600));
        CHECK(local_month_start(now, -11, &a) == 0 && a == S(1767222000));         /* 2026-01-01 */
        CHECK(local_month_start(S(1774821600), 0, &a) == 0 && a == S(1772319600)); /* March */

        expect_iso(S(1796115600), "2026-12-01T10:00:00+01:00");
        expect_iso(S(1792888200), "2026-10-25T02:30:00+02:00");
        expect_iso(S(1792888200 + 3600) + 5, "2026-10-25T02:30:00.000005+01:00");

        setenv("TZ", "UTC", 1);
        tzset();
        expect("2026-12-01", now, 0, S(1796083200));
        expect_iso(S(1796083200), "2026-12-01T00:00:00+00:00");

        if (failures)
                return EXIT_FAILURE;
        printf("ok\n");
        return EXIT_SUCCESS;
}
