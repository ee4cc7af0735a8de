/* The TIME arguments of axpertctl history/energy: ISO 8601, godenerg's YYYYmmddHHMMSS, offsets. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "time-spec.h"

#define YEAR_MIN 1970
#define YEAR_MAX 9999

/* Exactly n decimal digits at *p, advancing *p. */
static bool read_digits(const char **p, unsigned n, int *ret)
{
        int v = 0;

        for (unsigned i = 0; i < n; i++) {
                if ((*p)[i] < '0' || (*p)[i] > '9')
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static bool leap_year(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static int check_fields(int y, int mo, int d, int h, int mi, int s)
{
        if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59)
                return -EINVAL;
        if (y < YEAR_MIN || y > YEAR_MAX)
                return -ERANGE;
        if (d > days_in_month(y, mo))
                return -EINVAL;
        return 0;
}

static bool same_wall_time(const struct tm *a, const struct tm *b)
{
        return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
               a->tm_hour == b->tm_hour && a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/* A local wall time as an instant. mktime() alone guesses in a DST change: try the time as
 * standard and as daylight time and keep what reads back as the same wall time. Both do in the
 * repeated hour (the earlier wins), neither in the skipped one: an error unless lenient (a
 * midnight that a zone skips is taken as the first time that exists). */
static int local_to_time(const struct tm *in, bool lenient, time_t *ret)
{
        bool found = false;
        time_t best = 0;

        for (int dst = 0; dst <= 1; dst++) {
                struct tm t = *in, back;
                time_t x;

                t.tm_isdst = dst;
                x = mktime(&t);
                if (x == (time_t)-1 || !localtime_r(&x, &back) || !same_wall_time(in, &back))
                        continue;
                if (!found || x < best)
                        best = x;
                found = true;
        }
        if (!found) {
                struct tm t = *in;

                if (!lenient)
                        return -ENXIO;
                t.tm_isdst = -1;
                best = mktime(&t);
                if (best == (time_t)-1)
                        return -ERANGE;
        }
        if (best < 0)
                return -ERANGE;
        *ret = best;
        return 0;
}

static int make_local(int y, int mo, int d, int h, int mi, int s, bool lenient, time_t *ret)
{
        struct tm tm = {
                        .tm_year = y - 1900,
                        .tm_mon = mo - 1,
                        .tm_mday = d,
                        .tm_hour = h,
                        .tm_min = mi,
                        .tm_sec = s,
        };
        int r = check_fields(y, mo, d, h, mi, s);

        if (r < 0)
                return r;
        return local_to_time(&tm, lenient, ret);
}

static int to_usec(time_t t, uint64_t frac_usec, uint64_t *ret)
{
        if (t < 0)
                return -ERANGE;
        *ret = (uint64_t)t * USEC_PER_SEC + frac_usec;
        return 0;
}

/* A calendar date moved by days or months, normalized through timegm() (no time zone involved). */
static void shift_date(int *y, int *mo, int *d, int days, int months)
{
        struct tm tm = {
                        .tm_year = *y - 1900,
                        .tm_mon = *mo - 1 + months,
                        .tm_mday = *d + days,
                        .tm_hour = 12,
        };
        time_t t = timegm(&tm);

        gmtime_r(&t, &tm);
        *y = tm.tm_year + 1900;
        *mo = tm.tm_mon + 1;
        *d = tm.tm_mday;
}

static int local_date_of(uint64_t usec, int *y, int *mo, int *d)
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return -ERANGE;
        *y = tm.tm_year + 1900;
        *mo = tm.tm_mon + 1;
        *d = tm.tm_mday;
        return 0;
}

int local_day_start(uint64_t usec, int days_delta, uint64_t *ret)
{
        int y, mo, d, r;
        time_t t;

        r = local_date_of(usec, &y, &mo, &d);
        if (r < 0)
                return r;
        shift_date(&y, &mo, &d, days_delta, 0);
        r = make_local(y, mo, d, 0, 0, 0, true, &t);
        if (r < 0)
                return r;
        return to_usec(t, 0, ret);
}

int local_month_start(uint64_t usec, int months_delta, uint64_t *ret)
{
        int y, mo, d, r;
        time_t t;

        r = local_date_of(usec, &y, &mo, &d);
        if (r < 0)
                return r;
        d = 1;
        shift_date(&y, &mo, &d, 0, months_delta);
        r = make_local(y, mo, 1, 0, 0, 0, true, &t);
        if (r < 0)
                return r;
        return to_usec(t, 0, ret);
}

/* "-1d", "-12h", "+30m", "-1h30m": seconds relative to now. */
static int parse_offset(const char *s, uint64_t now_usec, uint64_t *ret)
{
        int64_t sign = s[0] == '-' ? -1 : 1, total = 0;
        const char *p = s + 1;

        if (!*p)
                return -EINVAL;
        while (*p) {
                int64_t n = 0, mult;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        n = n * 10 + (*p - '0');
                        if (n > 1000000000000LL)
                                return -ERANGE;
                }
                switch (*p) {
                case 's':
                        mult = 1;
                        break;
                case 'm':
                        mult = 60;
                        break;
                case 'h':
                        mult = 3600;
                        break;
                case 'd':
                        mult = 86400;
                        break;
                case 'w':
                        mult = 7 * 86400;
                        break;
                default:
                        return -EINVAL;
                }
                p++;
                total += n * mult;
                if (total > 400LL * 365 * 86400 * 100)
                        return -ERANGE;
        }
        total *= sign * (int64_t)USEC_PER_SEC;
        if (total < 0 && (uint64_t)-total > now_usec)
                return -ERANGE;
        *ret = now_usec + (uint64_t)total;
        if ((uint64_t)*ret / USEC_PER_SEC > 253402300799ULL) /* 9999-12-31T23:59:59Z */
                return -ERANGE;
        return 0;
}

/* YYYYmmdd or YYYYmmddHHMMSS, local time (godenerg's form). */
static int parse_compact(const char *s, uint64_t *ret)
{
        int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, r;
        size_t l = strlen(s);
        const char *p = s;
        time_t t;

        if ((l != 8 && l != 14) || strspn(s, "0123456789") != l)
                return -EINVAL;
        read_digits(&p, 4, &y);
        read_digits(&p, 2, &mo);
        read_digits(&p, 2, &d);
        if (l == 14) {
                read_digits(&p, 2, &h);
                read_digits(&p, 2, &mi);
                read_digits(&p, 2, &sec);
        }
        r = make_local(y, mo, d, h, mi, sec, l == 8, &t);
        if (r < 0)
                return r;
        return to_usec(t, 0, ret);
}

/* YYYY-mm-dd[(T| )HH:MM[:SS[.ffffff]][Z|±HH[:MM]|±HHMM]] */
static int parse_iso(const char *s, uint64_t *ret)
{
        int y, mo, d, h = 0, mi = 0, sec = 0, r;
        uint64_t frac = 0;
        bool has_time = false, has_zone = false;
        long zone = 0;
        const char *p = s;
        time_t t;

        if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
            !read_digits(&p, 2, &d))
                return -EINVAL;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                has_time = true;
                if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi))
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (!read_digits(&p, 2, &sec))
                                return -EINVAL;
                        if (*p == '.' || *p == ',') {
                                unsigned n = 0;

                                for (p++; *p >= '0' && *p <= '9'; p++, n++)
                                        if (n < 6)
                                                frac = frac * 10 + (uint64_t)(*p - '0');
                                if (n == 0)
                                        return -EINVAL;
                                for (; n < 6; n++)
                                        frac *= 10;
                        }
                }
                if (*p == 'Z' || *p == 'z') {
                        p++;
                        has_zone = true;
                } else if (*p == '+' || *p == '-') {
                        int zh, zm = 0;
                        long sign = *p == '-' ? -1 : 1;

                        p++;
                        if (!read_digits(&p, 2, &zh))
                                return -EINVAL;
                        if (*p == ':')
                                p++;
                        if (*p && !read_digits(&p, 2, &zm))
                                return -EINVAL;
                        if (zh > 23 || zm > 59)
                                return -EINVAL;
                        zone = sign * (zh * 3600L + zm * 60L);
                        has_zone = true;
                }
        }
        if (*p)
                return -EINVAL;
        r = check_fields(y, mo, d, h, mi, sec);
        if (r < 0)
                return r;
        if (has_zone) {
                struct tm tm = {
                                .tm_year = y - 1900,
                                .tm_mon = mo - 1,
                                .tm_mday = d,
                                .tm_hour = h,
                                .tm_min = mi,
                                .tm_sec = sec,
                };

                t = timegm(&tm) - zone;
        } else {
                r = make_local(y, mo, d, h, mi, sec, !has_time, &t);
                if (r < 0)
                        return r;
        }
        return to_usec(t, frac, ret);
}

int parse_time_spec(const char *s, uint64_t now_usec, uint64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        if (streq(s, "now")) {
                *ret = now_usec;
                return 0;
        }
        if (streq(s, "today"))
                return local_day_start(now_usec, 0, ret);
        if (streq(s, "yesterday"))
                return local_day_start(now_usec, -1, ret);
        if (streq(s, "tomorrow"))
                return local_day_start(now_usec, 1, ret);
        if (s[0] == '-' || s[0] == '+')
                return parse_offset(s, now_usec, ret);
        if (s[0] == '@') {
                /* Seconds since the epoch, as date(1) prints them with +%s. */
                char *end;
                unsigned long long v;

                if (s[1] < '0' || s[1] > '9')
                        return -EINVAL;
                errno = 0;
                v = strtoull(s + 1, &end, 10);
                if (*end)
                        return -EINVAL;
                if (errno == ERANGE || v > 253402300799ULL)
                        return -ERANGE;
                *ret = (uint64_t)v * USEC_PER_SEC;
                return 0;
        }
        if (strlen(s) >= 5 && s[4] == '-')
                return parse_iso(s, ret);
        return parse_compact(s, ret);
}

int parse_time_range(const char *s, uint64_t now_usec, uint64_t *ret_since, uint64_t *ret_until)
{
        char a[15], b[15];
        uint64_t since, until;
        int r;

        (void)now_usec; /* both ends are absolute in godenerg's form */
        if (!s || strlen(s) != 29 || s[14] != '-' || strspn(s, "0123456789") != 14 ||
            strspn(s + 15, "0123456789") != 14)
                return 0;
        memcpy(a, s, 14);
        a[14] = 0;
        memcpy(b, s + 15, 14);
        b[14] = 0;
        r = parse_compact(a, &since);
        if (r < 0)
                return r;
        r = parse_compact(b, &until);
        if (r < 0)
                return r;
        *ret_since = since;
        *ret_until = until;
        return 1;
}

/* fmt is one of the callers' literals, never user input. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
const char *format_time_local(uint64_t usec, const char *fmt, char buf[static TIME_ISO_MAX])
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, TIME_ISO_MAX, fmt, &tm) == 0)
                snprintf(buf, TIME_ISO_MAX, "@%llu", (unsigned long long)(usec / USEC_PER_SEC));
        return buf;
}
#pragma GCC diagnostic pop

const char *format_time_iso(uint64_t usec, char buf[static TIME_ISO_MAX])
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        unsigned frac = (unsigned)(usec % USEC_PER_SEC);
        struct tm tm;
        size_t l;
        long off;

        if (!localtime_r(&t, &tm)) {
                snprintf(buf, TIME_ISO_MAX, "@%llu", (unsigned long long)(usec / USEC_PER_SEC));
                return buf;
        }
        l = strftime(buf, TIME_ISO_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
        if (frac)
                l += (size_t)snprintf(buf + l, TIME_ISO_MAX - l, ".%06u", frac);
        off = tm.tm_gmtoff;
        snprintf(buf + l, TIME_ISO_MAX - l, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                 labs(off) % 3600 / 60);
        return buf;
}
