/* A configfs USB HID gadget with the identity and shape of the inverters' USB bridge, for
 * axpert-sim --hidg-gadget=NAME: bound to a UDC (dummy_hcd's in the test guest) it enumerates on
 * the same machine as a 0665:5161 device that usbhid turns into /dev/hidrawN. */
#pragma once

#include <stdbool.h>

typedef struct Gadget Gadget;

/* Creates /sys/kernel/config/usb_gadget/NAME (not yet bound). udc NULL = the first UDC in
 * /sys/class/udc at bind time. Fails with -EEXIST if a gadget of that name exists already.
 * out_endpoint adds an interrupt OUT endpoint the real bridge lacks: output reports then queue in
 * f_hid instead of sharing its one SET_REPORT buffer (TESTBED.md). */
int gadget_new(const char *name, const char *udc, bool out_endpoint, Gadget **ret);
/* Removes the gadget (unbinding it first). Returns NULL. */
Gadget *gadget_free(Gadget *g);

/* Plug and unplug: binds the gadget to its UDC (the host side enumerates it) or unbinds it (the
 * device disappears, as if the cable were pulled). Both are idempotent. */
int gadget_bind(Gadget *g);
int gadget_unbind(Gadget *g);
bool gadget_bound(const Gadget *g);

/* The gadget side's character device, /dev/hidgN (exists once the function is created). */
int gadget_hidg_path(Gadget *g, char **ret);
