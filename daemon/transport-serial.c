/* RS-232 transport: termios 2400 8N1 raw; works on ttyUSB, ttyACM and ptys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "transport.h"

int transport_serial_open(const char *path)
{
        _cleanup_close_ int fd = -1;
        struct termios t;
        int bits;

        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (tcgetattr(fd, &t) < 0)
                return -errno;
        cfmakeraw(&t);
        t.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
        t.c_cflag |= CS8 | CLOCAL | CREAD;
        t.c_iflag &= ~(IXON | IXOFF | IXANY);
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        if (cfsetispeed(&t, B2400) < 0 || cfsetospeed(&t, B2400) < 0)
                return -errno;
        if (tcsetattr(fd, TCSANOW, &t) < 0)
                return -errno;

        /* Adapters that take their power from DTR/RTS need them raised. A pty has no modem
         * lines at all, which is fine. */
        if (ioctl(fd, TIOCMGET, &bits) >= 0) {
                bits |= TIOCM_DTR | TIOCM_RTS;
                if (ioctl(fd, TIOCMSET, &bits) < 0)
                        log_debug_errno(errno, "Cannot raise DTR/RTS on %s, ignoring: %s", path, strerror(abs(errno)));
        } else
                log_debug_errno(errno, "TIOCMGET failed on %s (a pty?), ignoring: %s", path, strerror(abs(errno)));

        (void)tcflush(fd, TCIOFLUSH);
        return TAKE_FD(fd);
}

int transport_serial_write(int fd, const uint8_t *buf, size_t len)
{
        size_t off = 0;

        while (off < len) {
                ssize_t k = write(fd, buf + off, len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EIO || errno == ENODEV || errno == ENXIO)
                                return -ENODEV;
                        return -errno;
                }
                off += (size_t)k;
        }
        return 0;
}
