/* The TIME arguments of axpertctl history/energy: ISO 8601, godenerg's YYYYmmddHHMMSS, offsets. */
#pragma once

#include <stdint.h>
#include <time.h>

/* Parses one TIME into microseconds since the epoch. now_usec is the reference of "now", "today",
 * "yesterday" and the offsets ("-1d", "-12h", "-30m", "-90s", combinable: "-1h30m"). Local times
 * are in the process's time zone (TZ); of the two instants an hour of a DST change names, the
 * first is taken. Returns 0, -EINVAL (not a TIME), -ENXIO (a local time inside a DST gap, which
 * never happened) or -ERANGE (before 1970 or after 9999). */
int parse_time_spec(const char *s, uint64_t now_usec, uint64_t *ret);

/* godenerg's range form "YYYYmmddHHMMSS-YYYYmmddHHMMSS" (local times). Returns 1 and both ends
 * when s has that form, 0 when it does not (nothing set), or the error of a bad end. */
int parse_time_range(const char *s, uint64_t now_usec, uint64_t *ret_since, uint64_t *ret_until);

/* Local midnight starting the day of usec, days_delta days later (negative: earlier); months_delta
 * likewise moves to the first of a month when nonzero ("first of this month": 0, day 1). Used for
 * "today", "yesterday" and the default ranges of energy. Returns 0 or -ERANGE. */
int local_day_start(uint64_t usec, int days_delta, uint64_t *ret);
int local_month_start(uint64_t usec, int months_delta, uint64_t *ret);

/* "2026-12-01T10:00:00+01:00" (ISO 8601, local time with its UTC offset), with ".123456" when the
 * time has microseconds. */
#define TIME_ISO_MAX 40
const char *format_time_iso(uint64_t usec, char buf[static TIME_ISO_MAX]);
/* "2026-12-01 10:00:00" local, for tables (strftime format fmt, e.g. "%Y-%m"). */
const char *format_time_local(uint64_t usec, const char *fmt, char buf[static TIME_ISO_MAX]);
