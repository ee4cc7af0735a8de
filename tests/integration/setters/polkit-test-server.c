/* A minimal bus service whose one method is guarded by daemon/polkit.c, to test it without a
 * device. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "macros.h"
#include "polkit.h"

#define TEST_NAME "org.axpert.PolkitTest"
#define TEST_PATH "/org/axpert/PolkitTest"

/* How often a guarded method got past polkit_verify(): the "work" that must not happen unless
 * authorized. */
static uint32_t n_allowed;
/* How often the handler ran at all (the second dispatch included). */
static uint32_t n_dispatched;

static Polkit *polkit;

static int method_guarded(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *action;
        uid_t uid = (uid_t)-1;
        int r;

        n_dispatched++;

        r = sd_bus_message_read(m, "s", &action);
        if (r < 0)
                return r;

        r = polkit_verify(polkit, m, action, &uid, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit is asked; sd-bus calls us again with the answer */

        n_allowed++;
        return sd_bus_reply_method_return(m, "u", (uint32_t)uid);
}

static int method_stats(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "uuu", n_allowed, n_dispatched,
                                          polkit_pending(polkit));
}

static const sd_bus_vtable test_vtable[] = {
                SD_BUS_VTABLE_START(0),
                SD_BUS_METHOD_WITH_ARGS("Guarded", SD_BUS_ARGS("s", action),
                                        SD_BUS_RESULT("u", uid), method_guarded,
                                        SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_METHOD_WITH_ARGS("Stats", SD_BUS_NO_ARGS,
                                        SD_BUS_RESULT("u", allowed, "u", dispatched, "u", pending),
                                        method_stats, SD_BUS_VTABLE_UNPRIVILEGED),
                SD_BUS_VTABLE_END,
};

static int name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        if (sd_bus_message_is_method_error(m, NULL)) {
                log_error("Could not acquire %s: %s", TEST_NAME,
                          sd_bus_message_get_error(m)->message);
                return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), 1);
        }
        printf("ready\n");
        fflush(stdout);
        return 0;
}

int main(int argc, char *argv[])
{
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        /* Freed before the bus: pending queries hold messages of that connection. */
        _cleanup_(polkit_freep) Polkit *p = NULL;
        sigset_t mask;
        int r;

        r = polkit_new(&p);
        polkit = p;
        if (r < 0)
                return log_error_errno(r, "polkit_new: %s", strerror(-r)), 1;
        /* --timeout=SECONDS: one deadline for every check, so tests need not wait 25 s. */
        for (int i = 1; i < argc; i++) {
                char *end;
                double seconds;

                if (strncmp(argv[i], "--timeout=", 10) != 0) {
                        log_error("Unknown argument \"%s\"; accepted: --timeout=SECONDS", argv[i]);
                        return 1;
                }
                seconds = strtod(argv[i] + 10, &end);
                if (*end || !(seconds > 0 && seconds < 3600)) {
                        log_error("--timeout: \"%s\" is not a number of seconds", argv[i] + 10);
                        return 1;
                }
                polkit_set_timeouts(polkit, (uint64_t)(seconds * USEC_PER_SEC),
                                    (uint64_t)(seconds * USEC_PER_SEC));
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "sd_event_default: %s", strerror(-r)), 1;
        (void)sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        (void)sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %s", strerror(-r)),
                       1;
        r = sd_bus_attach_event(bus, event, 0);
        if (r < 0)
                return log_error_errno(r, "sd_bus_attach_event: %s", strerror(-r)), 1;
        r = sd_bus_add_object_vtable(bus, NULL, TEST_PATH, TEST_NAME, test_vtable, NULL);
        if (r < 0)
                return log_error_errno(r, "sd_bus_add_object_vtable: %s", strerror(-r)), 1;
        r = sd_bus_request_name_async(bus, NULL, TEST_NAME, 0, name_acquired, NULL);
        if (r < 0)
                return log_error_errno(r, "sd_bus_request_name_async: %s", strerror(-r)), 1;

        r = sd_event_loop(event);
        return r < 0 ? 1 : r;
}
