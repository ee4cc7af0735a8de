/* history.conf: defaults, every key, and errors that name file, group and key. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history-config.h"
#include "macros.h"

static int failures;

#define CHECK(c)                                                                                   \
        do {                                                                                       \
                if (!(c)) {                                                                        \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);      \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

static char *write_file(const char *text)
{
        char *path = g_build_filename(g_get_tmp_dir(), "test-history-config-XXXXXX", NULL);
        int fd = g_mkstemp(path);

        CHECK(fd >= 0);
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
        return path;
}

static HistoryConfig *load(const char *text, char **ret_error)
{
        g_autofree char *path = write_file(text);
        g_autoptr(GError) error = NULL;
        HistoryConfig *c = history_config_load(path, &error);

        *ret_error = error ? g_strdup(error->message) : NULL;
        unlink(path);
        return c;
}

static void bad(const char *text, const char *expect)
{
        g_autofree char *msg = NULL;
        HistoryConfig *c = load(text, &msg);

        CHECK(c == NULL);
        if (!msg || !strstr(msg, expect)) {
                fprintf(stderr, "for %s: got '%s', expected '%s'\n", text, msg ? msg : "(none)",
                        expect);
                failures++;
        }
        history_config_free(c);
}

int main(void)
{
        g_autofree char *msg = NULL;
        g_autoptr(GError) error = NULL;
        HistoryConfig *c;

        c = load("", &msg);
        CHECK(c && c->poll_interval_usec == 5 * USEC_PER_SEC);
        CHECK(c && c->commit_interval_usec == 60 * USEC_PER_SEC);
        CHECK(c && c->raw_keep_sec == 14 * 86400 && c->minute_keep_sec == 400 * 86400 &&
              c->hour_keep_sec == 0);
        history_config_free(c);

        c = load("[History]\nPollInterval=0.5\nCommitInterval=2\n[Retention]\nRawDays=1\n"
                 "MinuteDays=30\nHourDays=3650\n",
                 &msg);
        CHECK(c && c->poll_interval_usec == 500000 && c->commit_interval_usec == 2000000);
        CHECK(c && c->raw_keep_sec == 86400 && c->minute_keep_sec == 30 * 86400 &&
              c->hour_keep_sec == 3650 * 86400);
        history_config_free(c);

        bad("[History]\nCommitInterval=0\n", "[History] CommitInterval: '0' is not between 1");
        bad("[History]\nCommitInterval=1e3\n", "[History] CommitInterval: '1e3' is not a number");
        bad("[History]\nPollInterval=-1\n", "[History] PollInterval: '-1' is not a number");
        bad("[History]\nCommitIntervall=5\n",
            "[History] CommitIntervall: unknown key (known: PollInterval, CommitInterval)");
        bad("[Retention]\nRawDays=forever\n", "[Retention] RawDays: 'forever' is not a number");
        bad("[Daemon]\nPollInterval=5\n", "[Daemon]: unknown group (known: History, Retention)");
        bad("garbage\n", "test-history-config-");

        /* A missing explicit file is an error; the missing default file is not. */
        c = history_config_load("/nonexistent/history.conf", &error);
        CHECK(c == NULL && error && strstr(error->message, "/nonexistent/history.conf"));

        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all config checks passed\n");
        return EXIT_SUCCESS;
}
