/* /etc/axpert/history.conf: how often axpert-history commits, what it keeps and for how long. */
#pragma once

#include <glib.h>
#include <stdint.h>

#define HISTORY_CONFIG_DEFAULT_PATH SYSCONFDIR "/axpert/history.conf"
#define HISTORY_DATABASE_DEFAULT_PATH "/var/lib/axpert-history/history.db"

typedef struct HistoryConfig {
        char *path;                    /* the file read, NULL when the defaults apply */
        uint64_t poll_interval_usec;   /* [History] PollInterval: axpertd's, a hint (5 s) */
        uint64_t commit_interval_usec; /* [History] CommitInterval (60 s) */
        /* [Retention] in seconds, 0 = forever. */
        uint64_t raw_keep_sec;    /* RawDays (14) */
        uint64_t minute_keep_sec; /* MinuteDays (400) */
        uint64_t hour_keep_sec;   /* HourDays (0) */
} HistoryConfig;

/* Reads path (which must exist), or the default file when path is NULL (which may be absent).
 * Errors name the file, the group and the key. */
HistoryConfig *history_config_load(const char *path, GError **error);
HistoryConfig *history_config_free(HistoryConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HistoryConfig, history_config_free)
