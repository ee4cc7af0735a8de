/* common/log: priority prefixes, errno passthrough, level filter. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tests.h"

int main(void)
{
        char buf[512] = {0};
        FILE *f = tmpfile();
        int saved = dup(2);

        CHECK(f != NULL);
        dup2(fileno(f), 2);
        log_set_max_level(LOG_INFO);
        CHECK_INT(log_error_errno(-EIO, "reading %s failed: %s", "x", strerror(EIO)), -EIO);
        CHECK_INT(log_warning_errno(ENOENT, "missing"), -ENOENT);
        log_debug("not shown");
        log_info("shown");
        fflush(stderr);
        dup2(saved, 2);
        rewind(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        CHECK(strstr(buf, "<3>reading x failed: Input/output error\n") != NULL);
        CHECK(strstr(buf, "<4>missing\n") != NULL);
        CHECK(strstr(buf, "<6>shown\n") != NULL);
        CHECK(strstr(buf, "not shown") == NULL);

        /* Structured entries without a journal: the human line alone, unless asked for. */
        static const LogField fields[] = {{"AXPERT_DEVICE", "inv"}, {"AXPERT_NONE", NULL}};
        const struct {
                const char *env; /* AXPERT_LOG_FIELDS, NULL unset */
                int level;
                const char *expect;
        } cases[] = {
                        {NULL, LOG_INFO, "<5>Connected.\n"},
                        {"0", LOG_DEBUG, "<5>Connected.\n"},
                        {"1", LOG_INFO, "<5>Connected. MESSAGE_ID=4e81 AXPERT_DEVICE=inv\n"},
                        {NULL, LOG_DEBUG, "<5>Connected. MESSAGE_ID=4e81 AXPERT_DEVICE=inv\n"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                FILE *g = tmpfile();

                CHECK(g != NULL);
                if (cases[i].env)
                        setenv("AXPERT_LOG_FIELDS", cases[i].env, 1);
                else
                        unsetenv("AXPERT_LOG_FIELDS");
                log_set_max_level(cases[i].level);
                fflush(stderr);
                dup2(fileno(g), 2);
                log_struct(LOG_NOTICE, "4e81", "Connected.", fields, 2);
                fflush(stderr);
                dup2(saved, 2);
                rewind(g);
                memset(buf, 0, sizeof buf);
                n = fread(buf, 1, sizeof buf - 1, g);
                buf[n] = 0;
                CHECK_MSG(strcmp(buf, cases[i].expect) == 0, "case %zu: '%s'", i, buf);
                fclose(g);
        }
        unsetenv("AXPERT_LOG_FIELDS");
        return tests_finish("test-log");
}
