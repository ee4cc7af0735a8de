/* USB-HID transport: 8-byte output reports out, 8-byte input reports in (PI30.md §1.2). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "transport.h"

int transport_hidraw_open(const char *path)
{
        int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fd;
}

int transport_hidraw_write(int fd, const uint8_t *buf, size_t len)
{
        /* One write() per report. A request never contains 0x00 (the CRC escape covers it), so
         * the first byte of a report is never taken for a report number of 0 by usbhid. The last
         * report is padded with NULs as the inverters' own tools do. */
        for (size_t off = 0; off < len; off += TRANSPORT_HID_REPORT_SIZE) {
                uint8_t report[TRANSPORT_HID_REPORT_SIZE] = { 0 };
                size_t n = len - off < sizeof report ? len - off : sizeof report;
                memcpy(report, buf + off, n);

                ssize_t k = write(fd, report, sizeof report);
                if (k < 0) {
                        if (errno == EINTR) {
                                off -= TRANSPORT_HID_REPORT_SIZE;
                                continue;
                        }
                        if (errno == EIO || errno == ENODEV || errno == EPIPE ||
                            errno == ECONNRESET || errno == ENOTCONN)
                                return -ENODEV;
                        return -errno;
                }
                if ((size_t)k != sizeof report)
                        return -EIO;
        }
        return 0;
}
