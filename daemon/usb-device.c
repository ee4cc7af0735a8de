/* The USB device behind a hidraw node (sd-device) and its reset on a worker thread. */
#include <errno.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-device.h>

#include "usb-device.h"

static int parse_hex(const char *s, unsigned *ret)
{
        char *end;
        unsigned long v;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 16);
        if (errno || (*end && *end != '\n') || v > 0xffff)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static int usb_identity_of_device(sd_device *dev, UsbIdentity *ret)
{
        sd_device *usb;
        const char *node, *port, *vendor, *product;
        UsbIdentity id = {0};
        int r;

        /* The parent is owned by dev. */
        r = sd_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device", &usb);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        r = sd_device_get_devname(usb, &node);
        if (r >= 0)
                r = sd_device_get_sysname(usb, &port);
        if (r >= 0)
                r = sd_device_get_sysattr_value(usb, "idVendor", &vendor);
        if (r >= 0)
                r = sd_device_get_sysattr_value(usb, "idProduct", &product);
        if (r < 0)
                return r;
        if (parse_hex(vendor, &id.vendor) < 0 || parse_hex(product, &id.product) < 0)
                return -EBADMSG;
        if ((size_t)snprintf(id.node, sizeof id.node, "%s", node) >= sizeof id.node ||
            (size_t)snprintf(id.port, sizeof id.port, "%s", port) >= sizeof id.port)
                return -ENAMETOOLONG;
        *ret = id;
        return 0;
}

int usb_identity_of_devnum(dev_t rdev, UsbIdentity *ret)
{
        sd_device *dev = NULL;
        int r;

        if (major(rdev) == 0)
                return -ENODEV;
        r = sd_device_new_from_devnum(&dev, 'c', rdev);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        r = usb_identity_of_device(dev, ret);
        sd_device_unref(dev);
        return r;
}

int usb_identity_of_fd(int fd, UsbIdentity *ret)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode))
                return -ENODEV;
        return usb_identity_of_devnum(st.st_rdev, ret);
}

bool usb_identity_same(const UsbIdentity *a, const UsbIdentity *b)
{
        return a->vendor == b->vendor && a->product == b->product && streq(a->port, b->port);
}

int usb_find_hidraw(const UsbIdentity *id, char *ret, size_t size)
{
        sd_device_enumerator *e = NULL;
        int r, found = -ENOENT;

        r = sd_device_enumerator_new(&e);
        if (r >= 0)
                r = sd_device_enumerator_add_match_subsystem(e, "hidraw", true);
        if (r < 0) {
                sd_device_enumerator_unref(e);
                return r;
        }
        for (sd_device *dev = sd_device_enumerator_get_device_first(e); dev;
             dev = sd_device_enumerator_get_device_next(e)) {
                UsbIdentity now;
                const char *node;

                if (usb_identity_of_device(dev, &now) < 0 || !usb_identity_same(&now, id))
                        continue;
                if (sd_device_get_devname(dev, &node) < 0)
                        continue;
                if ((size_t)snprintf(ret, size, "%s", node) >= size)
                        found = -ENAMETOOLONG;
                else
                        found = 0;
                break;
        }
        sd_device_enumerator_unref(e);
        return found;
}

int usb_reset_device(const char *node)
{
        _cleanup_close_ int fd = -1;

        /* usbfs takes ioctls only on a node opened for writing. */
        fd = open(node, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, USBDEVFS_RESET, 0) < 0)
                return -errno;
        return 0;
}

/* ------------------------------------------------------------------------------------------ */

struct UsbReset {
        pthread_t thread;
        bool joined;
        int efd; /* the thread writes once when it is done */
        sd_event_source *io;
        char node[64];
        UsbResetFunc fn;
        UsbResetDoneFunc done;
        void *userdata;
        /* Written by the thread before it signals efd, read by the loop after. */
        int result;
        uint64_t usec;
};

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void *reset_thread(void *arg)
{
        UsbReset *r = arg;
        uint64_t start = now_usec(), one = 1;

        r->result = r->fn(r->node);
        r->usec = now_usec() - start;
        /* eventfd: the write is the release, the loop's read the acquire. */
        while (write(r->efd, &one, sizeof one) < 0 && errno == EINTR)
                ;
        return NULL;
}

static void reset_join(UsbReset *r)
{
        if (!r->joined) {
                (void)pthread_join(r->thread, NULL);
                r->joined = true;
        }
}

static int on_reset_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        UsbReset *r = userdata;
        uint64_t v;

        if (read(fd, &v, sizeof v) < 0)
                return 0;
        r->io = sd_event_source_disable_unref(r->io);
        reset_join(r);
        /* The owner may free r from done. */
        r->done(r->result, r->usec, r->userdata);
        return 0;
}

int usb_reset_start(sd_event *event, const char *node, UsbResetFunc fn, UsbResetDoneFunc done,
                    void *userdata, UsbReset **ret)
{
        UsbReset *r;
        int k;

        if (!node || !fn || !done || strlen(node) >= sizeof r->node)
                return -EINVAL;
        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->joined = true;
        snprintf(r->node, sizeof r->node, "%s", node);
        r->fn = fn;
        r->done = done;
        r->userdata = userdata;
        r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->efd < 0) {
                k = -errno;
                free(r);
                return k;
        }
        k = sd_event_add_io(event, &r->io, r->efd, EPOLLIN, on_reset_done, r);
        if (k < 0) {
                usb_reset_free(r);
                return k;
        }
        (void)sd_event_source_set_description(r->io, "usb-reset");
        k = -pthread_create(&r->thread, NULL, reset_thread, r);
        if (k < 0) {
                usb_reset_free(r);
                return k;
        }
        r->joined = false;
        *ret = r;
        return 0;
}

UsbReset *usb_reset_free(UsbReset *r)
{
        if (!r)
                return NULL;
        r->io = sd_event_source_disable_unref(r->io);
        reset_join(r);
        safe_close(r->efd);
        free(r);
        return NULL;
}
