/* axpertd: the one owner of the inverters, their state on the D-Bus system bus. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "bus-errors.h"
#include "config.h"
#include "bus-inverter.h"
#include "configuration.h"
#include "context.h"
#include "log.h"

static void help(void)
{
        printf("axpertd [OPTIONS…]\n\n"
               "Owns Voltronic/Axpert (PI30) inverters and serves them on the D-Bus system bus\n"
               "as org.axpert.Inverter.\n\n"
               "  -h --help                     Show this help\n"
               "     --version                  Show the version\n"
               "     --config=FILE              Read FILE instead of %s\n"
               "     --device=[NAME=]PATH       Use this device (repeatable; replaces the file's)\n"
               "     --poll-interval=SECONDS    Seconds between status polls (0 = as fast as\n"
               "                                the link allows)\n"
               "     --bus-introspect           Print the D-Bus introspection XML and exit\n",
               CONFIG_DEFAULT_FILE);
}

typedef struct Args {
        ConfigOverrides overrides;
        char **devices;
        size_t n_devices;
        bool introspect;
} Args;

static int parse_argv(int argc, char *argv[], Args *a)
{
        enum { ARG_VERSION = 0x100, ARG_CONFIG, ARG_DEVICE, ARG_POLL_INTERVAL, ARG_INTROSPECT };
        static const struct option options[] = {
                        {"help", no_argument, NULL, 'h'},
                        {"version", no_argument, NULL, ARG_VERSION},
                        {"config", required_argument, NULL, ARG_CONFIG},
                        {"device", required_argument, NULL, ARG_DEVICE},
                        {"poll-interval", required_argument, NULL, ARG_POLL_INTERVAL},
                        {"bus-introspect", no_argument, NULL, ARG_INTROSPECT},
                        {NULL, 0, NULL, 0}};
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("axpertd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        a->overrides.config_file = optarg;
                        break;
                case ARG_DEVICE: {
                        char **n = realloc(a->devices, (a->n_devices + 2) * sizeof *n);
                        if (!n)
                                return log_oom();
                        a->devices = n;
                        a->devices[a->n_devices++] = optarg;
                        a->devices[a->n_devices] = NULL;
                        break;
                }
                case ARG_POLL_INTERVAL:
                        if (config_parse_seconds(optarg, &a->overrides.poll_interval_usec) < 0 ||
                            a->overrides.poll_interval_usec > 3600 * USEC_PER_SEC) {
                                log_error("--poll-interval=%s is not valid; accepted: a number of "
                                          "seconds from 0 to 3600 (0: as fast as the link allows), "
                                          "such as 5, 0.5 or 500ms",
                                          optarg);
                                return -EINVAL;
                        }
                        a->overrides.poll_interval_set = true;
                        break;
                case ARG_INTROSPECT:
                        a->introspect = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("Unexpected argument \"%s\"; see --help.", argv[optind]);
                return -EINVAL;
        }
        a->overrides.devices = a->devices;
        return 1;
}

static int autodetect(Config *config)
{
        char **paths = NULL;
        size_t n = 0;
        int r;

        /* Test hooks: a fake sysfs, and the directory its nodes are in (the tests link a pty
         * there; a path outside /dev/hidraw* is opened as serial). */
        const char *sysfs = getenv("AXPERT_TEST_SYSFS"), *devdir = getenv("AXPERT_TEST_DEVDIR");

        r = autodetect_hidraw(sysfs ? sysfs : "/sys", &paths, &n);
        if (r < 0)
                log_warning_errno(r, "Cannot look for inverters in /sys, ignoring: %s",
                                  strerror(abs(r)));
        for (size_t i = 0; i < n; i++) {
                ConfigDevice *a = realloc(config->devices, (config->n_devices + 1) * sizeof *a);
                if (!a)
                        break;
                config->devices = a;
                if (devdir && strneq(paths[i], "/dev/", 5)) {
                        char *p = NULL;
                        if (asprintf(&p, "%s/%s", devdir, paths[i] + 5) < 0)
                                break;
                        free(paths[i]);
                        paths[i] = p;
                }
                /* 0665:5161 is also what Megatec UPSes use: only a PI30 answer makes it ours. */
                a[config->n_devices].probe = true;
                a[config->n_devices].name = NULL;
                if (asprintf(&a[config->n_devices].name, "%zu", config->n_devices) < 0)
                        break;
                a[config->n_devices].path = TAKE_PTR(paths[i]);
                log_info("Found inverter %s on %s.", a[config->n_devices].name,
                         a[config->n_devices].path);
                config->n_devices++;
        }
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Context *c = userdata;

        log_info("Received %s, exiting.", strsignal((int)si->ssi_signo));
        sd_event_exit(c->event, 0);
        return 0;
}

static int on_bus_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Context *c = userdata;

        /* Without the bus nobody can reach us, the name is not ours on a restarted bus, and the
         * event loop would keep polling and petting the watchdog for nobody. Failing is what
         * gets the service restarted (Restart=on-failure) onto the new bus. */
        log_error("Lost the connection to the system bus, exiting.");
        sd_event_exit(c->event, EXIT_FAILURE);
        return 0;
}

static int run(int argc, char *argv[])
{
        _cleanup_(context_freep) Context *c = NULL;
        _cleanup_free_ char **devices = NULL;
        Config *config = NULL;
        Args a = {.introspect = false};
        char error[1024] = "";
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv, &a);
        devices = a.devices;
        if (r <= 0)
                return r;

        r = axpert_bus_errors_register();
        if (r < 0)
                return log_error_errno(r, "Cannot register the D-Bus error names: %s",
                                       strerror(abs(r)));

        if (a.introspect) {
                r = bus_introspect_print(stdout);
                if (r < 0)
                        return log_error_errno(r, "Cannot introspect the vtables: %s",
                                               strerror(abs(r)));
                fflush(stdout);
                return 0;
        }

        r = config_load(&a.overrides, &config, error, sizeof error);
        if (r == -EINVAL) {
                log_error("%s", error);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Cannot load the configuration: %s", strerror(abs(r)));
        if (config->n_devices == 0)
                autodetect(config);

        r = context_new(config, &c);
        if (r < 0) {
                config_free(config);
                return log_error_errno(r, "Cannot set up the event loop: %s", strerror(abs(r)));
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void)signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(c->event, NULL, SIGTERM, on_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGINT, on_signal, c);
        if (r < 0)
                return log_error_errno(r, "Cannot watch signals: %s", strerror(abs(r)));
        r = sd_event_set_watchdog(c->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the watchdog, ignoring: %s", strerror(abs(r)));

        r = sd_bus_open_system(&c->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %s", strerror(abs(r)));
        r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %s",
                                       strerror(abs(r)));
        /* sd-bus synthesizes this signal locally when the connection breaks (a local match:
         * nothing is sent to the bus for it). */
        r = sd_bus_match_signal(c->bus, NULL, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                                "Disconnected", on_bus_disconnected, c);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the bus connection: %s", strerror(abs(r)));

        r = context_add_devices(c);
        if (r < 0)
                return r;

        r = sd_event_loop(c->event);
        (void)sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %s", strerror(abs(r)));
        return r;
}

int main(int argc, char *argv[])
{
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : r;
}
