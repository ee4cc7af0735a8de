/* Logging to stderr with <N> priority prefixes that journald understands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = -1;

void log_set_max_level(int level)
{
        max_level = level;
}

int log_get_max_level(void)
{
        if (max_level < 0) {
                const char *e = getenv("AXPERT_DEBUG");
                max_level = e && *e && !streq(e, "0") ? LOG_DEBUG : LOG_INFO;
        }
        return max_level;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...)
{
        int saved = errno;
        int ret = error < 0 ? error : -error;

        if (level > log_get_max_level()) {
                errno = saved;
                return ret;
        }

        char buf[2048];
        va_list ap;

        va_start(ap, format);
        vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);

        if (log_get_max_level() >= LOG_DEBUG)
                fprintf(stderr, "<%d>%s (%s:%d %s)\n", level, buf, file, line, func);
        else
                fprintf(stderr, "<%d>%s\n", level, buf);

        errno = saved;
        return ret;
}

bool log_struct_fields(void)
{
        const char *e = getenv("AXPERT_LOG_FIELDS");

        if (e && *e)
                return !streq(e, "0");
        return log_get_max_level() >= LOG_DEBUG;
}

void log_struct(int priority, const char *message_id, const char *text, const LogField *fields,
                size_t n_fields)
{
        int saved = errno;
        char line[4096];
        size_t len;

        if (priority > log_get_max_level()) {
                errno = saved;
                return;
        }
        len = (size_t)snprintf(line, sizeof line, "<%d>%s", priority, text);
        if (log_struct_fields()) {
                if (message_id && len < sizeof line)
                        len += (size_t)snprintf(line + len, sizeof line - len, " MESSAGE_ID=%s",
                                                message_id);
                for (size_t i = 0; i < n_fields && len < sizeof line; i++)
                        if (fields[i].value)
                                len += (size_t)snprintf(line + len, sizeof line - len, " %s=%s",
                                                        fields[i].name, fields[i].value);
        }
        if (len > sizeof line - 2)
                len = sizeof line - 2;
        line[len++] = '\n';
        line[len] = 0;
        fputs(line, stderr);
        errno = saved;
}
