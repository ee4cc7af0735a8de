/* The hassio-axpert (MindFreeze) compatible payloads (MQTT.md). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef enum CompatTopic {
        COMPAT_TOPIC_PARALLEL = 1 << 0, /* power/axpert */
        COMPAT_TOPIC_INVERTER = 1 << 1, /* power/axpert{sn} */
        COMPAT_TOPIC_SETTINGS = 1 << 2, /* power/axpert_settings */
        COMPAT_TOPIC_ALL = COMPAT_TOPIC_PARALLEL | COMPAT_TOPIC_INVERTER | COMPAT_TOPIC_SETTINGS,
} CompatTopic;

/* The payload of one topic, from the cached properties of the inverter and of its parallel unit
 * 0 (NULL when it has none); NULL for anything but one CompatTopic bit. */
JsonNode *compat_build(CompatTopic topic, GDBusProxy *inverter, GDBusProxy *unit0);

/* Calls f once for every D-Bus property the add-on's tables read (value NULL), and once for
 * every enum string of the bus they map to a text or code, with its property: what the unit
 * test holds to the contract, so that a renamed value cannot silently turn into null. */
typedef void (*CompatBusFunc)(const char *interface, const char *property, const char *value,
                              void *userdata);
void compat_foreach_bus_name(CompatBusFunc f, void *userdata);
