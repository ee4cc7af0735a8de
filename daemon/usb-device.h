/* The USB device behind a hidraw node (found through sd-device) and its reset (USBDEVFS_RESET)
 * on a worker thread, so the event loop keeps serving the bus meanwhile. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "macros.h"

/* What identifies the USB device of an inverter across re-enumerations: its port (the sysname
 * of the usb_device, "1-1.2": stable while it stays in the same socket) and its ids. The node
 * /dev/bus/usb/BBB/DDD changes with every enumeration. */
typedef struct UsbIdentity {
        char node[64]; /* /dev/bus/usb/001/002 */
        char port[64]; /* 1-1 */
        unsigned vendor, product;
} UsbIdentity;

/* The USB device (subsystem usb, devtype usb_device) above the character device rdev (a hidraw
 * node). -ENODEV when rdev is no device on USB (a tty, a socket's 0), other negative errnos
 * from sd-device. */
int usb_identity_of_devnum(dev_t rdev, UsbIdentity *ret);
/* The same for the node open on fd: -ENODEV when it is no character device on USB. */
int usb_identity_of_fd(int fd, UsbIdentity *ret);
/* Same port and ids: the same inverter, whatever its bus address and hidraw number now. */
bool usb_identity_same(const UsbIdentity *a, const UsbIdentity *b);

/* The hidraw node (/dev/hidrawN, into ret, size bytes) whose USB device is id's, or -ENOENT. */
int usb_find_hidraw(const UsbIdentity *id, char *ret, size_t size);

/* Resets the USB device at node (blocking: opens it for writing, USBDEVFS_RESET). Negative
 * errno on failure. */
int usb_reset_device(const char *node);

/* The reset runs fn(node) on a thread of its own and reports on the loop: done(result, usec it
 * took, userdata). */
typedef int (*UsbResetFunc)(const char *node);
typedef void (*UsbResetDoneFunc)(int result, uint64_t usec, void *userdata);
typedef struct UsbReset UsbReset;

int usb_reset_start(sd_event *event, const char *node, UsbResetFunc fn, UsbResetDoneFunc done,
                    void *userdata, UsbReset **ret);
/* Waits for the thread if it still runs (done is not called any more). */
UsbReset *usb_reset_free(UsbReset *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(UsbReset *, usb_reset_free)
