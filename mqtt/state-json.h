/* The native state payloads: every D-Bus property of an object as one JSON object. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

/* "BatteryVoltage" -> "battery_voltage", "Pv2InputVoltage" -> "pv2_input_voltage". */
char *state_json_key(const char *property);

/* A JSON node for one D-Bus value: b -> bool, d -> number (NaN -> null), integers -> integer,
 * s/o -> string, arrays -> arrays. */
JsonNode *state_json_value(GVariant *v);

/* All cached properties of proxy, sorted by name, keys in snake_case. A property given in
 * override_name (may be NULL) takes override_value instead of the cached one. */
JsonNode *state_json_build(GDBusProxy *proxy, const char *override_name, GVariant *override_value);
/* Adds to the object root a member named member: an object of the cached properties of proxy
 * that want() accepts, keys in snake_case, sorted by name. */
void state_json_add_object(JsonNode *root, const char *member, GDBusProxy *proxy,
                           bool (*want)(const char *property));
