/* Hotplug: tells offline links that a node appeared (sd-device monitor where udev runs). */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-device.h>

#include "hotplug.h"
#include "log.h"

struct Hotplug {
        HotplugFunc appeared;
        void *userdata;
        sd_device_monitor *monitor;
};

static int on_uevent(sd_device_monitor *m, sd_device *dev, void *userdata)
{
        Hotplug *h = userdata;
        sd_device_action_t action;
        const char *node = NULL;

        if (sd_device_get_action(dev, &action) < 0 || action != SD_DEVICE_ADD)
                return 0;
        (void)sd_device_get_devname(dev, &node);
        log_debug("Device node %s appeared.", node ? node : "(none)");
        /* Symlinks (/dev/serial/by-id/…) make matching by name unreliable; an open attempt is
         * cheap, so every offline link gets one. */
        h->appeared(h->userdata);
        return 0;
}

int hotplug_new(sd_event *event, HotplugFunc appeared, void *userdata, Hotplug **ret)
{
        Hotplug *h;
        int r;

        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->appeared = appeared;
        h->userdata = userdata;

        if (access("/run/udev/control", F_OK) < 0) {
                log_debug("udev is not running: device nodes are looked for by polling their "
                          "paths.");
                *ret = h;
                return 0;
        }
        r = sd_device_monitor_new(&h->monitor);
        if (r >= 0)
                r = sd_device_monitor_filter_add_match_subsystem_devtype(h->monitor, "hidraw",
                                                                         NULL);
        if (r >= 0)
                r = sd_device_monitor_filter_add_match_subsystem_devtype(h->monitor, "tty", NULL);
        if (r >= 0)
                r = sd_device_monitor_attach_event(h->monitor, event);
        if (r >= 0)
                r = sd_device_monitor_start(h->monitor, on_uevent, h);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch udev, polling device paths instead: %s",
                                  strerror(abs(r)));
                h->monitor = sd_device_monitor_unref(h->monitor);
        }
        *ret = h;
        return 0;
}

Hotplug *hotplug_free(Hotplug *h)
{
        if (!h)
                return NULL;
        sd_device_monitor_unref(h->monitor);
        free(h);
        return NULL;
}
