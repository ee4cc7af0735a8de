/* What both transports share: the spec syntax, reading, draining. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "macros.h"
#include "transport.h"

const char *transport_kind_to_string(TransportKind k)
{
        return k == TRANSPORT_HIDRAW ? "hidraw" : "serial";
}

static int parse_fd(const char *s, int *ret)
{
        char *end;
        long v;

        if (!*s)
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < 0 || v > 65535)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

int transport_spec_parse(const char *s, TransportSpec *ret)
{
        TransportSpec spec = { .fd = -1 };
        const char *path;

        if (!s || !*s)
                return -EINVAL;

        if (strneq(s, "hidraw:", 7)) {
                spec.kind = TRANSPORT_HIDRAW;
                path = s + 7;
                if (strneq(path, "fd:", 3)) {
                        if (parse_fd(path + 3, &spec.fd) < 0)
                                return -EINVAL;
                        *ret = spec;
                        return 0;
                }
        } else if (strneq(s, "serial:", 7)) {
                spec.kind = TRANSPORT_SERIAL;
                path = s + 7;
        } else {
                path = s;
                spec.kind = strneq(s, "/dev/hidraw", 11) ? TRANSPORT_HIDRAW : TRANSPORT_SERIAL;
        }

        if (path[0] != '/')
                return -EINVAL;
        spec.path = strdup(path);
        if (!spec.path)
                return -ENOMEM;
        *ret = spec;
        return 0;
}

void transport_spec_done(TransportSpec *spec)
{
        free(spec->path);
        spec->path = NULL;
}

int transport_open(const TransportSpec *spec)
{
        if (!spec->path)
                return -EINVAL;
        if (spec->kind == TRANSPORT_HIDRAW)
                return transport_hidraw_open(spec->path);
        return transport_serial_open(spec->path);
}

int transport_write(TransportKind k, int fd, const uint8_t *buf, size_t len)
{
        if (k == TRANSPORT_HIDRAW)
                return transport_hidraw_write(fd, buf, len);
        return transport_serial_write(fd, buf, len);
}

int transport_read(TransportKind k, int fd, uint8_t *buf, size_t size, size_t *ret_n)
{
        size_t n = 0;

        /* hidraw (and the simulator's seqpacket socket) hands out one report per read(); a tty
         * gives whatever has arrived. Either way: read until nothing is left. */
        while (size - n >= TRANSPORT_HID_REPORT_SIZE || (k == TRANSPORT_SERIAL && n < size)) {
                ssize_t r = read(fd, buf + n, size - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        if (errno == EIO || errno == ENODEV || errno == ENXIO ||
                            errno == ECONNRESET || errno == EPIPE)
                                return -ENODEV;
                        return -errno;
                }
                if (r == 0) {
                        /* EOF: the simulator's socket peer went away. A tty in raw mode with
                         * VMIN=0 also returns 0 when empty; tell them apart by kind. */
                        if (k == TRANSPORT_HIDRAW)
                                return n > 0 ? (*ret_n = n, 0) : -ENODEV;
                        break;
                }
                n += (size_t)r;
        }
        *ret_n = n;
        return 0;
}

ssize_t transport_drain(TransportKind k, int fd)
{
        uint8_t buf[256];
        ssize_t total = 0;

        if (k == TRANSPORT_SERIAL)
                (void)tcflush(fd, TCIFLUSH);
        for (;;) {
                size_t n = 0;
                int r = transport_read(k, fd, buf, sizeof buf, &n);
                if (r < 0)
                        return r;
                if (n == 0)
                        return total;
                total += (ssize_t)n;
        }
}
