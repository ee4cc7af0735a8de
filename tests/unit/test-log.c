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
        return tests_finish("test-log");
}
