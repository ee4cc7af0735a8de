/* Pure text helpers of axpertctl: locale-free numbers, booleans, ages, property units. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Long enough for any double printed by format_double() and any value of format_age(). */
#define FORMAT_BUF_MAX 64

/* The shortest decimal text that reads back as exactly d, without the locale ("51.2", "230",
 * "-0.5"); NaN gives nan_text, infinities "inf"/"-inf". */
const char *format_double(double d, const char *nan_text, char buf[static FORMAT_BUF_MAX]);

/* A number typed by the user, without the locale: "52.3" and "5e1" are accepted, "52,3", "",
 * " 5", "nan" and "inf" are not. Returns 0 or -EINVAL (ret untouched then). */
int parse_double(const char *s, double *ret);

/* "on" "yes" "true" "1" -> 1; "off" "no" "false" "0" -> 0; anything else -EINVAL. */
int parse_boolean(const char *s);

/* How long ago then_usec was, seen from now_usec, rounded down to the largest fitting unit:
 * "0 s", "2 s", "3 min", "5 h", "2 d". A future timestamp counts as "0 s". */
const char *format_age(uint64_t now_usec, uint64_t then_usec, char buf[static FORMAT_BUF_MAX]);

/* The unit of a property of org.axpert.Inverter or org.axpert.Inverter.Unit as the contract
 * (the XML's org.axpert.Doc.Unit) gives it ("V", "A", "W", "VA", "Hz", "%", "°C", "min"), or
 * NULL when it has none.
 * With ascii, "°C" is spelled "C". */
const char *property_unit(const char *name, bool ascii);

/* How a timestamp is printed (axpertctl --timestamp=), as systemctl does. */
typedef enum TimestampStyle {
        TIMESTAMP_PRETTY, /* "Wed 2026-12-02 10:00:00 CET" (local time) */
        TIMESTAMP_US,     /* "Wed 2026-12-02 10:00:00.123456 CET" */
        TIMESTAMP_UTC,    /* "Wed 2026-12-02 09:00:00 UTC" */
        TIMESTAMP_US_UTC, /* "Wed 2026-12-02 09:00:00.123456 UTC" */
        TIMESTAMP_UNIX,   /* "@1796198400" (seconds since the epoch) */
} TimestampStyle;

/* usec (microseconds since the epoch) in that style; the day name is English whatever the
 * locale, as are the numbers. */
const char *format_timestamp(uint64_t usec, TimestampStyle style, char buf[static FORMAT_BUF_MAX]);
