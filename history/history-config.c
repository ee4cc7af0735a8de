/* Reads history.conf with GKeyFile; every key is checked, unknown groups and keys are errors. */
#include "config.h"
#include "history-config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "macros.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define DAY_SEC (24 * 3600)

typedef struct Key {
        const char *group;
        const char *key;
        double min, max; /* accepted range, in the key's unit */
        const char *unit;
} Key;

/* THE list of keys (doc/history.md, history.conf); anything else in the file is an error. */
static const Key config_keys[] = {
                {"History", "PollInterval", 0.1, 3600, "seconds"},
                {"History", "CommitInterval", 1, 3600, "seconds"},
                {"Retention", "RawDays", 0, 100000, "days"},
                {"Retention", "MinuteDays", 0, 100000, "days"},
                {"Retention", "HourDays", 0, 100000, "days"},
};

HistoryConfig *history_config_free(HistoryConfig *c)
{
        if (!c)
                return NULL;
        g_free(c->path);
        g_free(c);
        return NULL;
}

static gboolean set_error(GError **error, const char *file, const char *group, const char *key,
                          const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static gboolean set_error(GError **error, const char *file, const char *group, const char *key,
                          const char *fmt, ...)
{
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        if (key)
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                            "%s: [%s] %s: %s", file, group, key, msg);
        else
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: [%s]: %s",
                            file, group, msg);
        return FALSE;
}

/* A plain decimal number (no sign, exponent, hex, inf or nan), locale-free. */
static bool parse_number(const char *s, double *ret)
{
        char *end = NULL;
        bool dot = false;

        if (!*s)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.' && !dot && p != s && p[1])
                        dot = true;
                else if (!g_ascii_isdigit(*p))
                        return false;
        }
        *ret = g_ascii_strtod(s, &end);
        return end && *end == 0 && isfinite(*ret);
}

static gboolean read_number(GKeyFile *kf, const char *file, const Key *k, double *ret,
                            GError **error)
{
        g_autofree char *raw = NULL;
        double v;

        if (!g_key_file_has_key(kf, k->group, k->key, NULL))
                return TRUE;
        raw = g_key_file_get_value(kf, k->group, k->key, NULL);
        g_strstrip(raw);
        if (!parse_number(raw, &v))
                return set_error(error, file, k->group, k->key, "'%s' is not a number of %s", raw,
                                 k->unit);
        if (v < k->min || v > k->max)
                return set_error(error, file, k->group, k->key, "'%s' is not between %g and %g %s",
                                 raw, k->min, k->max, k->unit);
        *ret = v;
        return TRUE;
}

static const Key *find_key(const char *group, const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (streq(config_keys[i].group, group) && (!key || streq(config_keys[i].key, key)))
                        return &config_keys[i];
        return NULL;
}

static gboolean check_known(GKeyFile *kf, const char *file, GError **error)
{
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

        for (char **g = groups; g && *g; g++) {
                g_auto(GStrv) keys = NULL;

                if (!find_key(*g, NULL))
                        return set_error(error, file, *g, NULL,
                                         "unknown group (known: History, Retention)");
                keys = g_key_file_get_keys(kf, *g, NULL, NULL);
                for (char **k = keys; k && *k; k++)
                        if (!find_key(*g, *k)) {
                                g_autoptr(GString) known = g_string_new(NULL);

                                for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                                        if (streq(config_keys[i].group, *g))
                                                g_string_append_printf(known, "%s%s",
                                                                       known->len ? ", " : "",
                                                                       config_keys[i].key);
                                return set_error(error, file, *g, *k, "unknown key (known: %s)",
                                                 known->str);
                        }
        }
        return TRUE;
}

HistoryConfig *history_config_load(const char *path, GError **error)
{
        g_autoptr(HistoryConfig) c = g_new0(HistoryConfig, 1);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) e = NULL;
        const char *file = path ? path : HISTORY_CONFIG_DEFAULT_PATH;
        double v[ELEMENTSOF(config_keys)] = {5, 60, 14, 400, 0};
        struct stat st;

        if (stat(file, &st) < 0) {
                if (errno == ENOENT && !path)
                        goto defaults;
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", file,
                            g_strerror(errno));
                return NULL;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "%s: not a regular file of at most 1 MiB", file);
                return NULL;
        }
        if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &e)) {
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "%s: %s", file,
                            e->message);
                return NULL;
        }
        if (!check_known(kf, file, error))
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (!read_number(kf, file, &config_keys[i], &v[i], error))
                        return NULL;
        c->path = g_strdup(file);
defaults:
        c->poll_interval_usec = (uint64_t)llround(v[0] * USEC_PER_SEC);
        c->commit_interval_usec = (uint64_t)llround(v[1] * USEC_PER_SEC);
        c->raw_keep_sec = (uint64_t)llround(v[2] * DAY_SEC);
        c->minute_keep_sec = (uint64_t)llround(v[3] * DAY_SEC);
        c->hour_keep_sec = (uint64_t)llround(v[4] * DAY_SEC);
        return g_steal_pointer(&c);
}
