/* The serial transport: a pseudo-terminal in raw mode behind a stable symlink. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "sim.h"

typedef struct Pty {
        int master;
        int slave; /* held open by us: without it the master sees HUP whenever no client has it */
        sd_event_source *io;
        char path[PATH_MAX];
} Pty;

static speed_t baud_to_speed(unsigned baud)
{
        switch (baud) {
        case 1200:
                return B1200;
        case 4800:
                return B4800;
        case 9600:
                return B9600;
        case 19200:
                return B19200;
        case 38400:
                return B38400;
        case 57600:
                return B57600;
        case 115200:
                return B115200;
        default:
                return B2400;
        }
}

static int on_pty_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Sim *sim = userdata;
        uint8_t buf[512];
        ssize_t n;

        for (;;) {
                n = read(fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        /* EIO: no slave open at all; cannot happen while we hold one. */
                        log_debug_errno(errno, "Reading the pty failed: %s", ERRSTR(errno));
                        return 0;
                }
                if (n == 0)
                        return 0;
                sim_receive(sim, buf, (size_t)n, false);
                if (!sim->plugged || sim->transport_data == NULL)
                        return 0; /* the request unplugged us */
        }
}

static void pty_close(Pty *p)
{
        p->io = sd_event_source_disable_unref(p->io);
        p->master = safe_close(p->master);
        p->slave = safe_close(p->slave);
}

/* Points the link at the new slave atomically, so a client never sees it missing or dangling
 * while we switch. */
static int link_update(const char *link, const char *target)
{
        char tmp[PATH_MAX];
        struct stat st;

        /* A stale link from an earlier run may be replaced; a file someone else put there not. */
        if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode))
                return -EEXIST;

        if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%d", link, (int)getpid()) >= sizeof tmp)
                return -ENAMETOOLONG;
        (void)unlink(tmp);
        if (symlink(target, tmp) < 0)
                return -errno;
        if (rename(tmp, link) < 0) {
                int r = -errno;
                (void)unlink(tmp);
                return r;
        }
        return 0;
}

static void link_remove(const char *link, const char *target)
{
        char buf[PATH_MAX];
        ssize_t n;

        /* Only our own link: something else may have taken the name meanwhile. */
        n = readlink(link, buf, sizeof buf - 1);
        if (n < 0)
                return;
        buf[n] = '\0';
        if (streq(buf, target))
                (void)unlink(link);
}

static int pty_plug(Sim *sim)
{
        _cleanup_free_ Pty *p = NULL;
        struct termios t;
        int r;

        p = calloc(1, sizeof *p);
        if (!p)
                return log_oom();
        p->slave = -1;

        p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (p->master < 0)
                return log_error_errno(errno, "Failed to open a pseudo-terminal: %s",
                                       ERRSTR(errno));
        if (grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
            ptsname_r(p->master, p->path, sizeof p->path) != 0) {
                r = log_error_errno(errno, "Failed to set up the pseudo-terminal: %s",
                                    ERRSTR(errno));
                goto fail;
        }
        p->slave = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (p->slave < 0) {
                r = log_error_errno(errno, "Failed to open \"%s\": %s", p->path, ERRSTR(errno));
                goto fail;
        }

        /* What a serial port at 2400 8N1 looks like: raw bytes, no echo, no CR/LF mangling. */
        if (tcgetattr(p->slave, &t) < 0) {
                r = log_error_errno(errno, "Failed to read terminal settings: %s", ERRSTR(errno));
                goto fail;
        }
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        (void)cfsetispeed(&t, baud_to_speed(sim->baud));
        (void)cfsetospeed(&t, baud_to_speed(sim->baud));
        if (tcsetattr(p->slave, TCSANOW, &t) < 0) {
                r = log_error_errno(errno, "Failed to set terminal settings: %s", ERRSTR(errno));
                goto fail;
        }

        r = sd_event_add_io(sim->event, &p->io, p->master, EPOLLIN, on_pty_io, sim);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the pseudo-terminal: %s", ERRSTR(r));
                goto fail;
        }

        r = link_update(sim->pty_link, p->path);
        if (r < 0) {
                if (r == -EEXIST)
                        log_error_errno(r,
                                        "--pty=%s: exists and is not a symbolic link, refusing "
                                        "to replace it.",
                                        sim->pty_link);
                else
                        log_error_errno(r, "Failed to create the link \"%s\" -> \"%s\": %s",
                                        sim->pty_link, p->path, ERRSTR(r));
                goto fail;
        }

        log_info("Serving on \"%s\" -> %s.", sim->pty_link, p->path);
        sim->transport_data = p;
        p = NULL;
        return 0;

fail:
        pty_close(p);
        return r;
}

static void pty_unplug(Sim *sim)
{
        Pty *p = sim->transport_data;

        if (!p)
                return;
        link_remove(sim->pty_link, p->path);
        pty_close(p);
        free(p);
        sim->transport_data = NULL;
}

static ssize_t pty_send(Sim *sim, const uint8_t *buf, size_t len)
{
        Pty *p = sim->transport_data;
        ssize_t n;

        if (!p)
                return -ENOTCONN;
        n = write(p->master, buf, len);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        return n;
}

const SimTransport sim_transport_pty = {
                .name = "pty",
                .chunk = 1,
                .plug = pty_plug,
                .unplug = pty_unplug,
                .send = pty_send,
                .done = pty_unplug,
};
