/* Unit test of axpertd's configuration: file parsing, command-line overrides, autodetection. */
#include <assert.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configuration.h"

static char tmpdir[] = "/tmp/axpertd-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
        static char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", tmpdir, name);
        f = fopen(path, "we");
        assert(f);
        fputs(text, f);
        fclose(f);
        return path;
}

/* Loads text as the config file; returns the result and leaves the message in error. */
static int load(const char *text, char **devices, Config **ret, char *error, size_t size)
{
        ConfigOverrides o = {.config_file = write_file("axpertd.conf", text), .devices = devices};
        error[0] = 0;
        return config_load(&o, ret, error, size);
}

static void expect_error(const char *text, const char *const *fragments)
{
        char error[1024];
        Config *c = NULL;
        int r = load(text, NULL, &c, error, sizeof error);

        if (r != -EINVAL) {
                fprintf(stderr, "expected an error for:\n%s\n", text);
                abort();
        }
        assert(!c);
        for (const char *const *f = fragments; *f; f++)
                if (!strstr(error, *f)) {
                        fprintf(stderr, "error \"%s\" lacks \"%s\"\n", error, *f);
                        abort();
                }
}

static void test_seconds(void)
{
        uint64_t u;

        assert(config_parse_seconds("5", &u) == 0 && u == 5000000);
        assert(config_parse_seconds("0", &u) == 0 && u == 0);
        assert(config_parse_seconds("0.5", &u) == 0 && u == 500000);
        assert(config_parse_seconds("2s", &u) == 0 && u == 2000000);
        assert(config_parse_seconds("250ms", &u) == 0 && u == 250000);
        assert(config_parse_seconds("1.25", &u) == 0 && u == 1250000);
        assert(config_parse_seconds("", &u) == -EINVAL);
        assert(config_parse_seconds("-1", &u) == -EINVAL);
        assert(config_parse_seconds("five", &u) == -EINVAL);
        assert(config_parse_seconds("5 minutes", &u) == -EINVAL);
        assert(config_parse_seconds("1,5", &u) == -EINVAL);
        assert(config_parse_seconds(".", &u) == -EINVAL);
}

static void test_good_file(void)
{
        char error[1024];
        Config *c = NULL;

        assert(load("# comment\n[Daemon]\nPollInterval=2\nSettingsInterval=30\n\n"
                    "[Device roof]\nPath=/dev/hidraw3\n[Device shed_2]\nPath=serial:/dev/ttyUSB0\n",
                    NULL, &c, error, sizeof error) == 0);
        assert(c->poll_interval_usec == 2 * USEC_PER_SEC);
        assert(c->settings_interval_usec == 30 * USEC_PER_SEC);
        assert(c->n_devices == 2);
        assert(streq(c->devices[0].name, "roof") && streq(c->devices[0].path, "/dev/hidraw3"));
        assert(streq(c->devices[1].name, "shed_2") &&
               streq(c->devices[1].path, "serial:/dev/ttyUSB0"));
        config_free(c);

        /* Defaults, and PollInterval=0 ("as fast as the link allows"). */
        assert(load("[Daemon]\nPollInterval=0\n", NULL, &c, error, sizeof error) == 0);
        assert(c->poll_interval_usec == 0);
        assert(c->settings_interval_usec == CONFIG_DEFAULT_SETTINGS_INTERVAL_USEC);
        assert(c->n_devices == 0);
        config_free(c);

        assert(load("", NULL, &c, error, sizeof error) == 0);
        assert(c->poll_interval_usec == CONFIG_DEFAULT_POLL_INTERVAL_USEC);
        config_free(c);
}

static void test_bad_files(void)
{
        expect_error("[Daemon]\nPollInterval=fast\n",
                     (const char *const[]){"axpertd.conf", "[Daemon]", "PollInterval", "fast",
                                           "accepted", NULL});
        expect_error("[Daemon]\nPollInterval=-3\n",
                     (const char *const[]){"PollInterval", "-3", NULL});
        expect_error("[Daemon]\nPollInterval=99999\n",
                     (const char *const[]){"PollInterval", "3600", NULL});
        expect_error("[Daemon]\nSettingsInterval=0\n",
                     (const char *const[]){"[Daemon]", "SettingsInterval", "1 to 86400", NULL});
        expect_error("[Daemon]\nPollIntervall=5\n",
                     (const char *const[]){"[Daemon]", "PollIntervall", "PollInterval", NULL});
        expect_error("[Demon]\nPollInterval=5\n",
                     (const char *const[]){"[Demon]", "[Daemon]", NULL});
        expect_error("[Device a-b]\nPath=/dev/hidraw0\n",
                     (const char *const[]){"[Device a-b]", "letters, digits", NULL});
        expect_error("[Device x]\nPath=relative/path\n",
                     (const char *const[]){"[Device x]", "Path", "relative/path", "absolute",
                                           NULL});
        expect_error("[Device x]\nPath=hidraw:fd:abc\n",
                     (const char *const[]){"[Device x]", "Path", "hidraw:fd:N", NULL});
        expect_error("[Device x]\nSpeed=2400\n",
                     (const char *const[]){"[Device x]", "Speed", "Path", NULL});
        expect_error("[Device x]\n", (const char *const[]){"[Device x]", "no Path=", NULL});
        expect_error("this is not a key file\n", (const char *const[]){"axpertd.conf", NULL});
}

static void test_missing_file(void)
{
        char error[1024], path[600];
        ConfigOverrides o = {.config_file = NULL};
        Config *c = NULL;

        /* A file named explicitly must exist. */
        snprintf(path, sizeof path, "%s/nope.conf", tmpdir);
        o.config_file = path;
        assert(config_load(&o, &c, error, sizeof error) == -EINVAL);
        assert(strstr(error, "nope.conf"));
}

static void test_overrides(void)
{
        char error[1024];
        Config *c = NULL;
        char *devs[] = {"/dev/ttyUSB1", "garage=hidraw:fd:5", "/dev/hidraw7", NULL};
        ConfigOverrides o = {.config_file = write_file("o.conf",
                                                       "[Daemon]\nPollInterval=9\n"
                                                       "[Device file]\nPath=/dev/hidraw0\n"),
                             .devices = devs,
                             .poll_interval_set = true,
                             .poll_interval_usec = 0};

        assert(config_load(&o, &c, error, sizeof error) == 0);
        assert(c->poll_interval_usec == 0); /* command line wins */
        assert(c->n_devices == 3);          /* --device replaces the file's devices */
        assert(streq(c->devices[0].name, "0") && streq(c->devices[0].path, "/dev/ttyUSB1"));
        assert(streq(c->devices[1].name, "garage") && streq(c->devices[1].path, "hidraw:fd:5"));
        assert(streq(c->devices[2].name, "1") && streq(c->devices[2].path, "/dev/hidraw7"));
        config_free(c);

        char *bad[] = {"bad name=/dev/x", NULL};
        o.devices = bad;
        assert(config_load(&o, &c, error, sizeof error) == -EINVAL);
        assert(strstr(error, "--device=bad name=/dev/x"));

        char *dup[] = {"a=/dev/x", "a=/dev/y", NULL};
        o.devices = dup;
        assert(config_load(&o, &c, error, sizeof error) == -EINVAL);
        assert(strstr(error, "twice"));
}

/* Two devices on one port fight over it: refused, naming both (issue 17.7). */
static void test_duplicate_devices(void)
{
        char error[1024], target[600], alias[600], text[2048], arg_a[700], arg_b[700];
        Config *c = NULL;

        expect_error("[Device a]\nPath=/dev/ttyUSB0\n[Device b]\nPath=/dev/ttyUSB0\n",
                     (const char *const[]){"axpertd.conf", "[Device a]", "[Device b]",
                                           "\"/dev/ttyUSB0\"", "same device", NULL});
        /* The transport prefix does not make it another port. */
        expect_error("[Device a]\nPath=/dev/ttyUSB0\n[Device b]\nPath=serial:/dev/ttyUSB0\n",
                     (const char *const[]){"[Device a]", "[Device b]", "same device", NULL});
        expect_error("[Device a]\nPath=hidraw:fd:3\n[Device b]\nPath=hidraw:fd:3\n",
                     (const char *const[]){"[Device a]", "[Device b]", "fd 3", NULL});

        /* A symlink (/dev/serial/by-id/…) and its target are one device. */
        snprintf(target, sizeof target, "%s/ttyS7", tmpdir);
        snprintf(alias, sizeof alias, "%s/by-id-port0", tmpdir);
        write_file("ttyS7", "");
        assert(symlink(target, alias) == 0);
        snprintf(text, sizeof text, "[Device roof]\nPath=%s\n[Device shed]\nPath=%s\n", target,
                 alias);
        expect_error(text, (const char *const[]){"[Device roof]", "[Device shed]", target, alias,
                                                 "same device", NULL});

        /* Different ports, and a missing node compared as written, are fine. */
        assert(load("[Device a]\nPath=/dev/ttyUSB0\n[Device b]\nPath=/dev/ttyUSB1\n"
                    "[Device c]\nPath=hidraw:fd:3\n[Device d]\nPath=hidraw:fd:4\n",
                    NULL, &c, error, sizeof error) == 0);
        assert(c->n_devices == 4);
        c = config_free(c);

        /* The same name twice, in words. */
        expect_error("[Device x]\nPath=/dev/ttyUSB0\n[Device x]\nPath=/dev/ttyUSB1\n",
                     (const char *const[]){"[Device x]", "device name \"x\" is used twice", NULL});
        expect_error("[Device x]\nPath=/dev/ttyUSB0\nPath=/dev/ttyUSB1\n",
                     (const char *const[]){"[Device x]", "device name \"x\" is used twice", NULL});

        /* On the command line: twice the same path, named or not, or through the symlink. */
        char *twice[] = {"/dev/ttyUSB0", "b=serial:/dev/ttyUSB0", NULL};
        assert(load("", twice, &c, error, sizeof error) == -EINVAL);
        assert(!c);
        assert(strstr(error, "--device=/dev/ttyUSB0") &&
               strstr(error, "--device=b=serial:/dev/ttyUSB0"));
        assert(strstr(error, "same device"));

        snprintf(arg_a, sizeof arg_a, "a=%s", target);
        snprintf(arg_b, sizeof arg_b, "%s", alias);
        char *linked[] = {arg_a, arg_b, NULL};
        assert(load("", linked, &c, error, sizeof error) == -EINVAL);
        assert(strstr(error, arg_a) && strstr(error, arg_b) && strstr(error, "same device"));

        /* --device replaces the file's devices: the file's port may be given again. */
        char *again[] = {"/dev/ttyUSB0", NULL};
        assert(load("[Device a]\nPath=/dev/ttyUSB0\n", again, &c, error, sizeof error) == 0);
        assert(c->n_devices == 1 && streq(c->devices[0].name, "0"));
        c = config_free(c);

        char *named_twice[] = {"a=/dev/ttyUSB0", "a=/dev/ttyUSB1", NULL};
        assert(load("", named_twice, &c, error, sizeof error) == -EINVAL);
        assert(strstr(error, "device name \"a\" is used twice"));
}

static void mkdirs(const char *path)
{
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
        assert(system(cmd) == 0);
}

static void test_autodetect(void)
{
        char root[600], dir[700], uevent[800];
        char **paths = NULL;
        size_t n = 0;
        const struct {
                const char *node, *hid_id;
        } nodes[] = {
                        {"hidraw10", "0003:00000665:00005161"},
                        {"hidraw2", "0003:00000665:00005161"},
                        {"hidraw1", "0003:0000046D:0000C52B"}, /* a mouse receiver */
        };

        snprintf(root, sizeof root, "%s/sys", tmpdir);
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                snprintf(dir, sizeof dir, "%s/class/hidraw/%s/device", root, nodes[i].node);
                mkdirs(dir);
                snprintf(uevent, sizeof uevent, "%s/uevent", dir);
                FILE *f = fopen(uevent, "we");
                assert(f);
                fprintf(f, "DRIVER=hid-generic\nHID_ID=%s\nHID_NAME=x\n", nodes[i].hid_id);
                fclose(f);
        }
        assert(autodetect_hidraw(root, &paths, &n) == 0);
        assert(n == 2);
        assert(streq(paths[0], "/dev/hidraw2"));
        assert(streq(paths[1], "/dev/hidraw10"));
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);

        snprintf(root, sizeof root, "%s/empty", tmpdir);
        assert(autodetect_hidraw(root, &paths, &n) == 0 && n == 0);
}

int main(void)
{
        char cmd[600];

        /* Numbers must not depend on the locale. */
        setlocale(LC_ALL, "de_DE.UTF-8");
        assert(mkdtemp(tmpdir));

        test_seconds();
        test_good_file();
        test_bad_files();
        test_missing_file();
        test_overrides();
        test_duplicate_devices();
        test_autodetect();

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        assert(system(cmd) == 0);
        printf("test-config: all passed\n");
        return 0;
}
