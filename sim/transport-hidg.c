/* The device side of a real USB HID device: /dev/hidgN of a configfs HID gadget (gadget.c makes
 * one with --hidg-gadget=NAME, or --hidg=/dev/hidgN serves an existing one). Output reports of
 * the host (SET_REPORT, as the bridge has no OUT endpoint) are read from it; each 8-byte write()
 * is one input report on the interrupt IN endpoint.
 *
 * f_hid keeps one SET_REPORT buffer when there is no OUT endpoint: a report that arrives before
 * the previous one was read replaces it. So reading comes first: the node is watched at a higher
 * priority than the pacer and drained completely each time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gadget.h"
#include "hid-report.h"
#include "log.h"
#include "sim.h"

/* Input reports waiting for the host to poll the IN endpoint: f_hid takes one at a time. */
#define QUEUE_REPORTS 64

typedef struct Hidg {
        int fd;
        char *path;
        sd_event_source *io;
        uint8_t queue[QUEUE_REPORTS][SIM_HID_REPORT_SIZE];
        size_t head, n_queued;
} Hidg;

static void hidg_watch_out(Sim *sim, Hidg *h)
{
        (void)sd_event_source_set_io_events(h->io, EPOLLIN | (h->n_queued > 0 ? EPOLLOUT : 0));
}

/* Writes queued reports until f_hid has one in flight. */
static int hidg_push(Sim *sim, Hidg *h)
{
        while (h->n_queued > 0) {
                ssize_t n = write(h->fd, h->queue[h->head], SIM_HID_REPORT_SIZE);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        /* ESHUTDOWN: the host went away (unbound, reset); the rest is lost. */
                        log_debug_errno(errno, "Writing %s failed, dropping %zu reports: %s",
                                        h->path, h->n_queued, ERRSTR(errno));
                        h->n_queued = 0;
                        break;
                }
                h->head = (h->head + 1) % QUEUE_REPORTS;
                h->n_queued--;
        }
        hidg_watch_out(sim, h);
        return 0;
}

static int on_hidg_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Sim *sim = userdata;
        Hidg *h = sim->transport_data;
        uint8_t buf[64];

        if (revents & EPOLLIN)
                for (;;) {
                        ssize_t n = read(fd, buf, sizeof buf);

                        if (n < 0) {
                                if (errno != EAGAIN && errno != EINTR)
                                        log_debug_errno(errno, "Reading %s failed: %s", h->path,
                                                        ERRSTR(errno));
                                break;
                        }
                        if (n == 0)
                                break;
                        sim_receive(sim, buf, (size_t)n, true);
                        if (!sim->transport_data)
                                return 0; /* the request unplugged us */
                }
        if (revents & EPOLLOUT)
                hidg_push(sim, h);
        return 0;
}

static int hidg_plug(Sim *sim)
{
        _cleanup_free_ Hidg *h = NULL;
        int r;

        if (sim->hidg_gadget_name) {
                if (!sim->gadget) {
                        r = gadget_new(sim->hidg_gadget_name, NULL, sim->hidg_out_endpoint, &sim->gadget);
                        if (r < 0)
                                return r;
                }
                r = gadget_bind(sim->gadget);
                if (r < 0)
                        return r;
        }

        h = calloc(1, sizeof *h);
        if (!h)
                return log_oom();
        if (sim->gadget) {
                r = gadget_hidg_path(sim->gadget, &h->path);
                if (r < 0)
                        return r;
        } else {
                h->path = strdup(sim->hidg_path);
                if (!h->path)
                        return log_oom();
        }

        /* Our own gadget's node is made by devtmpfs as the gadget binds: allow it a moment. */
        for (unsigned i = 0;; i++) {
                h->fd = open(h->path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
                if (h->fd >= 0 || errno != ENOENT || !sim->gadget || i >= 200)
                        break;
                usleep(10 * 1000);
        }
        if (h->fd < 0) {
                r = log_error_errno(errno, "Failed to open %s: %s", h->path, ERRSTR(errno));
                free(h->path);
                return r;
        }

        r = sd_event_add_io(sim->event, &h->io, h->fd, EPOLLIN, on_hidg_io, sim);
        if (r >= 0)
                r = sd_event_source_set_priority(h->io, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                log_error_errno(r, "Failed to watch %s: %s", h->path, ERRSTR(r));
                h->io = sd_event_source_disable_unref(h->io);
                safe_close(h->fd);
                free(h->path);
                return r;
        }

        log_info("Serving the USB HID gadget %s (0665:5161).", h->path);
        sim->transport_data = TAKE_PTR(h);
        return 0;
}

static void hidg_close(Sim *sim)
{
        Hidg *h = sim->transport_data;

        if (!h)
                return;
        h->io = sd_event_source_disable_unref(h->io);
        safe_close(h->fd);
        free(h->path);
        free(h);
        sim->transport_data = NULL;
}

static void hidg_unplug(Sim *sim)
{
        hidg_close(sim);
        /* Our own gadget: unplugging pulls it off the bus. An existing one stays as it is. */
        if (sim->gadget)
                (void)gadget_unbind(sim->gadget);
}

static ssize_t hidg_send(Sim *sim, const uint8_t *buf, size_t len)
{
        Hidg *h = sim->transport_data;
        size_t taken;

        if (!h)
                return -ENOTCONN;
        if (h->n_queued >= QUEUE_REPORTS)
                return -EAGAIN;
        taken = sim_hid_report_fill(h->queue[(h->head + h->n_queued) % QUEUE_REPORTS], buf, len);
        h->n_queued++;
        hidg_push(sim, h);
        return (ssize_t)taken;
}

static void hidg_done(Sim *sim)
{
        hidg_close(sim);
        sim->gadget = gadget_free(sim->gadget);
}

const SimTransport sim_transport_hidg = {
                .name = "hidg",
                .chunk = SIM_HID_REPORT_SIZE,
                .plug = hidg_plug,
                .unplug = hidg_unplug,
                .send = hidg_send,
                .done = hidg_done,
};
