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
