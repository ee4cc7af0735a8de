/* Pure text helpers of axpertctl: locale-free numbers, booleans, ages, property units. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "contract.h"
#include "format.h"
#include "macros.h"

/* The "C" locale, created once: numbers on the bus and on the command line never depend on the
 * user's LC_NUMERIC (a German locale must not turn "52.3" into 52). */
static locale_t c_locale(void)
{
        static locale_t loc = (locale_t)0;

        if (loc == (locale_t)0)
                loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        return loc;
}

const char *format_double(double d, const char *nan_text, char buf[static FORMAT_BUF_MAX])
{
        if (isnan(d))
                return nan_text;
        if (isinf(d))
                return d > 0 ? "inf" : "-inf";

        locale_t loc = c_locale(), old = (locale_t)0;

        if (loc != (locale_t)0)
                old = uselocale(loc);
        /* Inverter values have a few significant digits: print them as sent (51.2, not
         * 51.200000000000003), but never lose a bit — 17 digits always read back exactly. */
        /* Start with the integer digits, so that 230 is "230" and not "2.3e+02". */
        int digits = fabs(d) >= 1 ? (int)floor(log10(fabs(d))) + 1 : 1;

        for (int precision = digits < 17 ? digits : 17; precision <= 17; precision++) {
                snprintf(buf, FORMAT_BUF_MAX, "%.*g", precision, d);
                double back = loc != (locale_t)0 ? strtod_l(buf, NULL, loc) : strtod(buf, NULL);

                if (back == d)
                        break;
        }
        if (old != (locale_t)0)
                uselocale(old);
        return buf;
}

int parse_double(const char *s, double *ret)
{
        locale_t loc = c_locale();
        char *end = NULL;
        double d;

        if (!s || !*s || loc == (locale_t)0)
                return -EINVAL;
        /* strtod accepts leading blanks, "nan", "inf" and hex floats: none is a setting value. */
        if (!strchr("0123456789+-.", s[0]) || strpbrk(s, "xXnNiI"))
                return -EINVAL;
        errno = 0;
        d = strtod_l(s, &end, loc);
        if (errno != 0 || end == s || *end != '\0' || !isfinite(d))
                return -EINVAL;
        *ret = d;
        return 0;
}

int parse_boolean(const char *s)
{
        static const char *const yes[] = {"on", "yes", "true", "1", "enable", "enabled"};
        static const char *const no[] = {"off", "no", "false", "0", "disable", "disabled"};

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

const char *format_age(uint64_t now_usec, uint64_t then_usec, char buf[static FORMAT_BUF_MAX])
{
        uint64_t s = now_usec > then_usec ? (now_usec - then_usec) / USEC_PER_SEC : 0;

        if (s < 60)
                snprintf(buf, FORMAT_BUF_MAX, "%llu s", (unsigned long long)s);
        else if (s < 3600)
                snprintf(buf, FORMAT_BUF_MAX, "%llu min", (unsigned long long)(s / 60));
        else if (s < 86400)
                snprintf(buf, FORMAT_BUF_MAX, "%llu h", (unsigned long long)(s / 3600));
        else
                snprintf(buf, FORMAT_BUF_MAX, "%llu d", (unsigned long long)(s / 86400));
        return buf;
}

const char *property_unit(const char *name, bool ascii)
{
        const char *unit = axpert_contract_unit(name);

        /* Timestamps ("us") are shown as times, never as a number with a unit. */
        if (!unit || streq(unit, "us"))
                return NULL;
        if (ascii && streq(unit, "°C"))
                return "C";
        return unit;
}

const char *format_timestamp(uint64_t usec, TimestampStyle style, char buf[static FORMAT_BUF_MAX])
{
        static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        time_t t = (time_t)(usec / USEC_PER_SEC);
        bool utc = style == TIMESTAMP_UTC || style == TIMESTAMP_US_UTC;
        char frac[16] = "", zone[16] = "";
        struct tm tm;

        if (style == TIMESTAMP_UNIX) {
                snprintf(buf, FORMAT_BUF_MAX, "@%llu", (unsigned long long)(usec / USEC_PER_SEC));
                return buf;
        }
        if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) || tm.tm_wday < 0 || tm.tm_wday > 6) {
                snprintf(buf, FORMAT_BUF_MAX, "@%llu", (unsigned long long)(usec / USEC_PER_SEC));
                return buf;
        }
        if (style == TIMESTAMP_US || style == TIMESTAMP_US_UTC)
                snprintf(frac, sizeof frac, ".%06llu", (unsigned long long)(usec % USEC_PER_SEC));
        if (utc)
                snprintf(zone, sizeof zone, "UTC");
        else if (strftime(zone, sizeof zone, "%Z", &tm) == 0)
                zone[0] = 0;
        snprintf(buf, FORMAT_BUF_MAX, "%s %04d-%02d-%02d %02d:%02d:%02d%s%s%s", days[tm.tm_wday],
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 frac, zone[0] ? " " : "", zone);
        return buf;
}
