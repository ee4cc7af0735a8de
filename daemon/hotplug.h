/* Hotplug: tells offline links that a node appeared (sd-device monitor where udev runs). */
#pragma once

#include "macros.h"

typedef struct Context Context;
typedef struct Hotplug Hotplug;

/* Without udev (containers, tests) there is no monitor; the links poll their paths instead. */
int hotplug_new(Context *c, Hotplug **ret);
Hotplug *hotplug_free(Hotplug *h);
