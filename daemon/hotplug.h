/* Hotplug: tells offline links that a node appeared (sd-device monitor where udev runs). */
#pragma once

#include <systemd/sd-event.h>

#include "macros.h"

typedef struct Hotplug Hotplug;

/* A hidraw or tty node appeared (which one does not matter: see on_uevent()). */
typedef void (*HotplugFunc)(void *userdata);

/* Without udev (containers, tests) there is no monitor; the links poll their paths instead. */
int hotplug_new(sd_event *event, HotplugFunc appeared, void *userdata, Hotplug **ret);
Hotplug *hotplug_free(Hotplug *h);
