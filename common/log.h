/* Logging to stderr with <N> priority prefixes that journald understands. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "macros.h"

/* Messages above this priority (numerically) are dropped; default LOG_INFO, LOG_DEBUG with
 * AXPERT_DEBUG=1 in the environment. */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Logs and returns -abs(error) (or 0 when error is 0), so callers can "return log_error_errno(r, …)".
 * The format is checked by the compiler; "%m" is not ISO C (-Wpedantic), so the error's text is
 * passed as strerror(abs(error)) like every other argument. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...)                                                          \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void)log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")

/* One field of a structured entry ("AXPERT_DEVICE", "inv"); a NULL value is left out. */
typedef struct LogField {
        const char *name;
        const char *value;
} LogField;

/* A structured entry for stderr, where there is no journal to take it: the human line
 * "<N>text". Its MESSAGE_ID and fields are for the journal and for programs that read the
 * output: they follow the text (" MESSAGE_ID=… NAME=value …") only when log_struct_fields()
 * says so, never in a person's log. One write, so that a kill never cuts a line in two. */
void log_struct(int priority, const char *message_id, const char *text, const LogField *fields,
                size_t n_fields);
/* Whether log_struct() appends the fields: with AXPERT_LOG_FIELDS=1 in the environment, or at
 * debug level (AXPERT_DEBUG=1); AXPERT_LOG_FIELDS=0 never. */
bool log_struct_fields(void);
