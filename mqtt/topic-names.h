/* Every MQTT topic axpert-mqtt publishes or subscribes to, and the Home Assistant ids (MQTT.md). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "mqtt-config.h"

/* A serial number as a topic level and Home Assistant id: characters other than [A-Za-z0-9_-]
 * become '_' (a serial is data from the inverter: it must not add topic levels or wildcards).
 * NULL when raw is NULL or only white space. */
char *topic_name_serial(const char *raw);

/* <prefix>/bridge/availability: the bridge's own availability, also its last will. */
char *topic_name_bridge_availability(const MqttConfig *c);
/* <prefix>/<serial>/availability */
char *topic_name_availability(const MqttConfig *c, const char *serial);
/* <prefix>/<serial>/history/availability: online while axpert-history serves this serial's
 * energy counters. */
char *topic_name_history_availability(const MqttConfig *c, const char *serial);
/* <prefix>/<serial>/state */
char *topic_name_state(const MqttConfig *c, const char *serial);
/* <prefix>/<serial>/unit<N>/state */
char *topic_name_unit_state(const MqttConfig *c, const char *serial, guint index);

/* <prefix>/<serial>/set/<setting> */
char *topic_name_command(const MqttConfig *c, const char *serial, const char *setting);
/* <prefix>/<serial>/set/result */
char *topic_name_command_result(const MqttConfig *c, const char *serial);
/* <prefix>/+/set/#: the subscription for every command topic (and, by the way, the results). */
char *topic_name_command_filter(const MqttConfig *c);
/* Splits <prefix>/<serial>/set/<setting>: *ret_serial (allocated) and *ret_setting (pointing into
 * topic; "result" for the result topic). false, and nothing set, for any other topic. */
bool topic_name_parse_command(const MqttConfig *c, const char *topic, char **ret_serial,
                              const char **ret_setting);

/* <discovery prefix>/status: Home Assistant's birth and will. */
char *topic_name_ha_status(const MqttConfig *c);
/* <discovery prefix>/<component>/axpert_<serial>/<object_id>/config */
char *topic_name_discovery(const MqttConfig *c, const char *component, const char *serial,
                           const char *object_id);
/* The device identifiers: axpert_<serial> and axpert_<serial>_unit<N>. */
char *topic_name_device_id(const char *serial);
char *topic_name_unit_device_id(const char *serial, guint index);
/* Object ids: a command entity's set_<setting> and a condition's condition_<name>, with '/' and
 * '-' as '_'; a unit entity's unit<N>_<key>. */
char *topic_name_command_object_id(const char *setting);
char *topic_name_condition_object_id(const char *condition);
char *topic_name_unit_object_id(guint index, const char *key);
/* An entity's unique_id: axpert_<serial>_<object_id>. */
char *topic_name_unique_id(const char *serial, const char *object_id);

/* The hassio-axpert compatible topics: [MindFreeze] ParallelTopic, InverterTopic with {sn}
 * replaced by the serial, SettingsTopic. */
char *topic_name_compat_parallel(const MqttConfig *c);
char *topic_name_compat_inverter(const MqttConfig *c, const char *serial);
char *topic_name_compat_settings(const MqttConfig *c);
