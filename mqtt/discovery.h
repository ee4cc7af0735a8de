/* Home Assistant MQTT discovery configs (MQTT.md "Home Assistant discovery"). */
#pragma once

#include <stdbool.h>

#include "model.h"
#include "mqtt-config.h"
#include "publisher.h"

/* Whether a change of this org.axpert.Inverter property changes all the inverter's configs (the
 * device block). */
bool discovery_depends_on(const char *property);
/* Whether it changes the command entities' configs (SettingLimits, SettingOptions,
 * SettingChoices: number or select, limits, options). */
bool discovery_controls_depend_on(const char *property);

/* Publishes the retained configs <DiscoveryPrefix>/<component>/axpert_<serial>/<object_id>/config
 * of an inverter with a serial, or of one of its parallel units. */
void discovery_publish_inverter(Publisher *p, const MqttConfig *c, Inverter *inv);
void discovery_publish_unit(Publisher *p, const MqttConfig *c, Inverter *inv, const Unit *unit);
/* The command entities alone ([Commands] Enabled): a number where the daemon lists a range
 * (SettingLimits), a select where it lists values (SettingOptions, SettingChoices), a switch per
 * flag it lists, none for what cannot be set; a control that changed kind or went away is
 * removed with an empty retained config. inv->controls records what was published. */
void discovery_publish_controls(Publisher *p, const MqttConfig *c, Inverter *inv);
/* The energy sensors of an inverter: one per energy counter its org.axpert.History object
 * (history, the proxy) serves, on the inverter's device, available while the bridge, the
 * inverter and <prefix>/<serial>/history/availability all say online. */
void discovery_publish_energy(Publisher *p, const MqttConfig *c, Inverter *inv,
                              GDBusProxy *history);
/* Empties the retained configs of a unit that vanished (announced as that serial and index). */
void discovery_remove_unit(Publisher *p, const MqttConfig *c, const char *serial, guint index);
