/* Gadget-level faults of --hidg-gadget: wedged until a USB reset, re-enumeration under another
 * hidraw number, the count of the host's USB resets. Beside gadget.c, through the UDC's and
 * hidraw's sysfs only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "gadget-faults.h"
#include "log.h"

/* The state is read this often, and at once when sysfs notifies a change of it. A USB reset
 * keeps the device in "default" for tens of milliseconds at least (the port reset). */
#define WATCH_USEC (20 * USEC_PER_MSEC)
/* How long renumber holds the old node at most. */
#define RENUMBER_HOLD_USEC (5 * USEC_PER_SEC)

static struct {
        Sim *sim;
        sd_event_source *timer;
        sd_event_source *notify;
        int state_fd;
        char udc[64];
        char last[32]; /* the state last seen while bound */
        unsigned resets;
        int held_fd; /* renumber: the old hidraw node */
        char held[64];
        sd_event_source *hold_timer;
        uint64_t hold_deadline;
} w = {.state_fd = -1, .held_fd = -1};

static int read_line(const char *path, char *buf, size_t size)
{
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

/* The UDC our gadget is bound to, "" while unbound (unplugged). */
static void gadget_udc(char *buf, size_t size)
{
        char path[512];

        snprintf(path, sizeof path, "/sys/kernel/config/usb_gadget/%s/UDC",
                 w.sim->hidg_gadget_name);
        if (read_line(path, buf, size) < 0)
                buf[0] = 0;
}

static void watch_state_fd(void);

static void state_seen(const char *state)
{
        /* Leaving "configured" while bound: the host reset (or re-enumerated) the device. */
        if (streq(w.last, "configured") && !streq(state, "configured")) {
                w.resets++;
                log_notice("USB reset by the host (UDC %s: %s), %u so far.", w.udc, state,
                           w.resets);
                if (w.sim->wedged) {
                        log_notice("The bridge answers again after the reset.");
                        w.sim->wedged = false;
                        if (w.sim->fault == SIM_FAULT_WEDGE)
                                sim_set_fault(w.sim, SIM_FAULT_NONE);
                }
        }
        snprintf(w.last, sizeof w.last, "%s", state);
}

static void watch_check(void)
{
        char udc[64], path[512], state[32];

        gadget_udc(udc, sizeof udc);
        if (!udc[0]) {
                /* Unplugged by us: nothing the host did. */
                w.last[0] = 0;
                w.udc[0] = 0;
                w.notify = sd_event_source_disable_unref(w.notify);
                w.state_fd = safe_close(w.state_fd);
                return;
        }
        if (!streq(udc, w.udc)) {
                snprintf(w.udc, sizeof w.udc, "%s", udc);
                w.last[0] = 0;
                watch_state_fd();
        }
        snprintf(path, sizeof path, "/sys/class/udc/%s/state", w.udc);
        if (read_line(path, state, sizeof state) >= 0)
                state_seen(state);
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        char state[32];
        ssize_t n;

        /* sysfs: a change shows as POLLPRI; read from the start to rearm. */
        if (lseek(fd, 0, SEEK_SET) < 0 || (n = read(fd, state, sizeof state - 1)) < 0)
                return 0;
        /* Whether still bound, and what the state is now. */
        watch_check();
        return 0;
}

static void watch_state_fd(void)
{
        char path[512], buf[32];

        w.notify = sd_event_source_disable_unref(w.notify);
        w.state_fd = safe_close(w.state_fd);
        snprintf(path, sizeof path, "/sys/class/udc/%s/state", w.udc);
        w.state_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (w.state_fd < 0)
                return;
        (void)!read(w.state_fd, buf, sizeof buf); /* armed once read */
        if (sd_event_add_io(w.sim->event, &w.notify, w.state_fd, EPOLLPRI, on_notify, NULL) < 0)
                w.notify = NULL; /* the timer alone then */
}

static int on_watch(sd_event_source *s, uint64_t usec, void *userdata)
{
        watch_check();
        (void)sd_event_source_set_time(s, usec + WATCH_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

int sim_gadget_faults_start(Sim *sim)
{
        int r;

        if (!sim->hidg_gadget_name)
                return -EOPNOTSUPP;
        if (w.timer)
                return 0;
        w.sim = sim;
        r = sd_event_add_time_relative(sim->event, &w.timer, CLOCK_MONOTONIC, 0, 1000, on_watch,
                                       NULL);
        if (r < 0)
                return r;
        /* Before the request loop: a reset is seen before the next request is answered. */
        (void)sd_event_source_set_priority(w.timer, SD_EVENT_PRIORITY_IMPORTANT);
        watch_check();
        return 0;
}

void sim_gadget_faults_stop(void)
{
        w.timer = sd_event_source_disable_unref(w.timer);
        w.notify = sd_event_source_disable_unref(w.notify);
        w.hold_timer = sd_event_source_disable_unref(w.hold_timer);
        w.state_fd = safe_close(w.state_fd);
        w.held_fd = safe_close(w.held_fd);
}

void sim_gadget_faults_forget(void)
{
        w.last[0] = 0;
}

unsigned sim_gadget_usb_resets(void)
{
        return w.resets;
}

/* The host's hidraw node of 0665:5161 (this machine runs both sides). */
static int find_hidraw(char *buf, size_t size)
{
        DIR *d = opendir("/sys/class/hidraw");
        struct dirent *de;
        int r = -ENODEV;

        if (!d)
                return -ENODEV;
        while ((de = readdir(d))) {
                char path[512], line[256];
                FILE *f;

                if (!strneq(de->d_name, "hidraw", 6))
                        continue;
                snprintf(path, sizeof path, "/sys/class/hidraw/%s/device/uevent", de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof line, f))
                        if (strneq(line, "HID_ID=0003:00000665:00005161", 29)) {
                                r = (size_t)snprintf(buf, size, "/dev/%.32s", de->d_name) < size
                                                    ? 0
                                                    : -ENAMETOOLONG;
                        }
                fclose(f);
                if (r != -ENODEV)
                        break;
        }
        closedir(d);
        return r;
}

static int on_hold(sd_event_source *s, uint64_t usec, void *userdata)
{
        char now[64];

        /* Let go once the device is back under another node, or at the latest after a while. */
        if (find_hidraw(now, sizeof now) == 0 && !streq(now, w.held)) {
                log_notice("Re-enumerated as %s (%s was held).", now, w.held);
        } else if (usec < w.hold_deadline) {
                (void)sd_event_source_set_time(s, usec + 50 * USEC_PER_MSEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ON);
        } else
                log_warning("No new hidraw node within %llu s, letting go of %s.",
                            (unsigned long long)(RENUMBER_HOLD_USEC / USEC_PER_SEC), w.held);
        w.held_fd = safe_close(w.held_fd);
        w.hold_timer = sd_event_source_disable_unref(w.hold_timer);
        return 0;
}

int sim_gadget_renumber(Sim *sim, const char **ret_old)
{
        uint64_t now;
        int r;

        if (!sim->hidg_gadget_name)
                return -EOPNOTSUPP;
        if (w.held_fd >= 0)
                return -EBUSY;
        r = find_hidraw(w.held, sizeof w.held);
        if (r < 0)
                return r;
        w.held_fd = open(w.held, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (w.held_fd < 0)
                return -errno;
        log_notice("Renumber: holding %s, re-enumerating.", w.held);
        sim_gadget_faults_forget();
        r = sim_replug(sim);
        if (r < 0) {
                w.held_fd = safe_close(w.held_fd);
                return r;
        }
        r = sd_event_now(sim->event, CLOCK_MONOTONIC, &now);
        if (r >= 0) {
                w.hold_deadline = now + RENUMBER_HOLD_USEC;
                r = sd_event_add_time(sim->event, &w.hold_timer, CLOCK_MONOTONIC, now, 1000,
                                      on_hold, NULL);
        }
        if (r < 0) {
                w.held_fd = safe_close(w.held_fd);
                return r;
        }
        *ret_old = w.held;
        return 0;
}
