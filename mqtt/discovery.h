/* Home Assistant MQTT discovery configs (MQTT.md "Home Assistant discovery"). */
#pragma once

#include <stdbool.h>

#include "model.h"
#include "mqtt-config.h"
#include "publisher.h"

/* Whether a change of this org.axpert.Inverter property changes the inverter's configs (device
 * block, option lists, limits). */
bool discovery_depends_on(const char *property);

/* Publishes the retained configs <DiscoveryPrefix>/<component>/axpert_<serial>/<object_id>/config
 * of an inverter with a serial, or of one of its parallel units. */
void discovery_publish_inverter(Publisher *p, const MqttConfig *c, const Inverter *inv);
void discovery_publish_unit(Publisher *p, const MqttConfig *c, const Inverter *inv,
                            const Unit *unit);
/* Empties the retained configs of a unit that vanished (announced as that serial and index). */
void discovery_remove_unit(Publisher *p, const MqttConfig *c, const char *serial, guint index);
