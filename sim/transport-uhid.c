/* A real /dev/hidrawN through /dev/uhid: VID:PID 0665:5161, 8-byte reports both ways. */
#include <errno.h>
#include <fcntl.h>
#include <linux/uhid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hid-report.h"
#include "log.h"
#include "sim.h"

#define UHID_PATH "/dev/uhid"

typedef struct Uhid {
        int fd;
        sd_event_source *io;
} Uhid;

static int uhid_write(int fd, const struct uhid_event *ev)
{
        ssize_t n = write(fd, ev, sizeof *ev);

        if (n < 0)
                return -errno;
        return n == (ssize_t)sizeof *ev ? 0 : -EIO;
}

static int on_uhid_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Sim *sim = userdata;
        struct uhid_event ev;
        ssize_t n;

        for (;;) {
                n = read(fd, &ev, sizeof ev);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        log_error_errno(errno, "Reading " UHID_PATH " failed: %s", ERRSTR(errno));
                        return 0;
                }
                if (n == 0)
                        return 0;

                switch (ev.type) {
                case UHID_OUTPUT:
                        /* hidraw write() or SET_REPORT(output): one report of the request. */
                        sim_receive(sim, ev.u.output.data,
                                    ev.u.output.size < UHID_DATA_MAX ? ev.u.output.size
                                                                     : UHID_DATA_MAX,
                                    true);
                        break;
                case UHID_SET_REPORT: {
                        struct uhid_event reply = {.type = UHID_SET_REPORT_REPLY};

                        reply.u.set_report_reply.id = ev.u.set_report.id;
                        reply.u.set_report_reply.err = 0;
                        sim_receive(sim, ev.u.set_report.data,
                                    ev.u.set_report.size < UHID_DATA_MAX ? ev.u.set_report.size
                                                                         : UHID_DATA_MAX,
                                    true);
                        (void)uhid_write(fd, &reply);
                        break;
                }
                case UHID_GET_REPORT: {
                        /* The inverter only talks through interrupt reports. */
                        struct uhid_event reply = {.type = UHID_GET_REPORT_REPLY};

                        reply.u.get_report_reply.id = ev.u.get_report.id;
                        reply.u.get_report_reply.err = EIO;
                        (void)uhid_write(fd, &reply);
                        break;
                }
                case UHID_START:
                case UHID_STOP:
                case UHID_OPEN:
                case UHID_CLOSE:
                default:
                        log_debug("uhid event %u.", ev.type);
                        break;
                }
        }
}

static int uhid_plug(Sim *sim)
{
        _cleanup_free_ Uhid *u = NULL;
        struct uhid_event ev = {.type = UHID_CREATE2};
        int r;

        u = calloc(1, sizeof *u);
        if (!u)
                return log_oom();

        u->fd = open(UHID_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (u->fd < 0) {
                if (errno == ENOENT)
                        return log_error_errno(errno, UHID_PATH
                                               " does not exist: this kernel has no "
                                               "UHID support (CONFIG_UHID, module \"uhid\"); use "
                                               "--pty= or --seqpacket= instead.");
                return log_error_errno(errno, "Failed to open " UHID_PATH ": %s", ERRSTR(errno));
        }

        snprintf((char *)ev.u.create2.name, sizeof ev.u.create2.name,
                 "axpert-sim Voltronic PI30 inverter");
        snprintf((char *)ev.u.create2.phys, sizeof ev.u.create2.phys, "axpert-sim");
        ev.u.create2.rd_size = (uint16_t)sim_hid_report_descriptor_size;
        memcpy(ev.u.create2.rd_data, sim_hid_report_descriptor, sim_hid_report_descriptor_size);
        ev.u.create2.bus = 0x03; /* BUS_USB */
        ev.u.create2.vendor = SIM_HID_VENDOR;
        ev.u.create2.product = SIM_HID_PRODUCT;

        r = uhid_write(u->fd, &ev);
        if (r < 0) {
                log_error_errno(r, "Failed to create the HID device: %s", ERRSTR(r));
                u->fd = safe_close(u->fd);
                return r;
        }

        r = sd_event_add_io(sim->event, &u->io, u->fd, EPOLLIN, on_uhid_io, sim);
        if (r < 0) {
                u->fd = safe_close(u->fd);
                return log_error_errno(r, "Failed to watch " UHID_PATH ": %s", ERRSTR(r));
        }

        log_info("Serving a HID device 0665:5161 through " UHID_PATH ".");
        sim->transport_data = u;
        u = NULL;
        return 0;
}

static void uhid_unplug(Sim *sim)
{
        Uhid *u = sim->transport_data;
        struct uhid_event ev = {.type = UHID_DESTROY};

        if (!u)
                return;
        (void)uhid_write(u->fd, &ev);
        u->io = sd_event_source_disable_unref(u->io);
        u->fd = safe_close(u->fd);
        free(u);
        sim->transport_data = NULL;
}

static ssize_t uhid_send(Sim *sim, const uint8_t *buf, size_t len)
{
        Uhid *u = sim->transport_data;
        struct uhid_event ev = {.type = UHID_INPUT2};
        int r;

        if (!u)
                return -ENOTCONN;
        len = sim_hid_report_fill(ev.u.input2.data, buf, len);
        ev.u.input2.size = SIM_HID_REPORT_SIZE;
        r = uhid_write(u->fd, &ev);
        if (r < 0)
                return r == -EWOULDBLOCK ? -EAGAIN : r;
        return (ssize_t)len;
}

const SimTransport sim_transport_uhid = {
                .name = "uhid",
                .chunk = SIM_HID_REPORT_SIZE,
                .plug = uhid_plug,
                .unplug = uhid_unplug,
                .send = uhid_send,
                .done = uhid_unplug,
};
