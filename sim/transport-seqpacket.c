/* The hidraw stand-in: an inherited SOCK_SEQPACKET socket, one datagram per 8-byte report. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sim.h"

#define REPORT_SIZE 8

typedef struct Seqpacket {
        int fd;
        sd_event_source *io;
} Seqpacket;

static int on_seqpacket_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Sim *sim = userdata;
        uint8_t buf[256];
        ssize_t n;

        for (;;) {
                n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        log_error_errno(errno, "Reading the seqpacket socket failed: %s",
                                        ERRSTR(errno));
                        return sd_event_exit(sim->event, EXIT_FAILURE);
                }
                if (n == 0) {
                        /* The other end of a socketpair never comes back. */
                        log_info("Client closed the seqpacket socket, exiting.");
                        return sd_event_exit(sim->event, EXIT_SUCCESS);
                }
                /* While "unplugged" the reports fall on the floor, as on a dead USB port. */
                if (sim->plugged)
                        sim_receive(sim, buf, (size_t)n, true);
        }
}

static int seqpacket_plug(Sim *sim)
{
        Seqpacket *p = sim->transport_data;
        int type = 0, r;
        socklen_t sl = sizeof type;
        struct stat st;

        if (p)
                return 0; /* replug: the socket stays, reports flow again */

        if (fstat(sim->seqpacket_fd, &st) < 0)
                return log_error_errno(errno, "--seqpacket=%d: not an open file descriptor: %s",
                                       sim->seqpacket_fd, ERRSTR(errno));
        if (!S_ISSOCK(st.st_mode) ||
            getsockopt(sim->seqpacket_fd, SOL_SOCKET, SO_TYPE, &type, &sl) < 0 ||
            type != SOCK_SEQPACKET)
                return log_error_errno(ENOTSOCK,
                                       "--seqpacket=%d: not a SOCK_SEQPACKET socket (expected one "
                                       "end of socketpair(AF_UNIX, SOCK_SEQPACKET)).",
                                       sim->seqpacket_fd);

        (void)fcntl(sim->seqpacket_fd, F_SETFD, FD_CLOEXEC);
        r = fcntl(sim->seqpacket_fd, F_GETFL);
        if (r < 0 || fcntl(sim->seqpacket_fd, F_SETFL, r | O_NONBLOCK) < 0)
                return log_error_errno(errno, "Failed to make the socket non-blocking: %s",
                                       ERRSTR(errno));

        p = calloc(1, sizeof *p);
        if (!p)
                return log_oom();
        p->fd = sim->seqpacket_fd;
        r = sd_event_add_io(sim->event, &p->io, p->fd, EPOLLIN, on_seqpacket_io, sim);
        if (r < 0) {
                free(p);
                return log_error_errno(r, "Failed to watch the socket: %s", ERRSTR(r));
        }
        sim->transport_data = p;
        log_info("Serving 8-byte reports on fd %d.", p->fd);
        return 0;
}

static void seqpacket_unplug(Sim *sim)
{
        /* The socket cannot vanish and come back: unplugged only means deaf and mute. */
}

static ssize_t seqpacket_send(Sim *sim, const uint8_t *buf, size_t len)
{
        Seqpacket *p = sim->transport_data;
        uint8_t report[REPORT_SIZE] = {0};
        ssize_t n;

        if (!p)
                return -ENOTCONN;
        if (len > REPORT_SIZE)
                len = REPORT_SIZE;
        memcpy(report, buf, len);
        n = send(p->fd, report, sizeof report, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        return (ssize_t)len;
}

static void seqpacket_done(Sim *sim)
{
        Seqpacket *p = sim->transport_data;

        if (!p)
                return;
        p->io = sd_event_source_disable_unref(p->io);
        p->fd = safe_close(p->fd);
        free(p);
        sim->transport_data = NULL;
}

const SimTransport sim_transport_seqpacket = {
                .name = "seqpacket",
                .chunk = REPORT_SIZE,
                .plug = seqpacket_plug,
                .unplug = seqpacket_unplug,
                .send = seqpacket_send,
                .done = seqpacket_done,
};
