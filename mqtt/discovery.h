/* Home Assistant MQTT discovery (MQTT.md "Home Assistant discovery"). */
#pragma once

#include "app.h"

/* Every config of an inverter (and of its units): retained, under
 * <DiscoveryPrefix>/<component>/axpert_<serial>/<object_id>/config. */
void discovery_publish_inverter(App *app, Inverter *inv);
void discovery_publish_unit(App *app, Inverter *inv, Unit *unit);
/* Empties the retained configs of a unit that vanished (id is "<serial>/unit<N>"). */
void discovery_remove_unit(App *app, const char *announced_id);
