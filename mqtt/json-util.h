/* JSON text for MQTT payloads: json-glib trees, numbers printed the short way ("51.2"). */
#pragma once

#include <json-glib/json-glib.h>

/* Serialises node compactly. Doubles print as the shortest text that reads back as the same
 * double, always with a '.' ("230.0", "51.2"); NaN and infinities print as null. */
char *json_util_to_string(JsonNode *node);

/* The text json_util_to_string prints for a double ("230.0", "51.2", "null"). */
char *json_util_format_double(double d);

/* Adds a double member, NaN (unknown) as null. */
void json_util_add_double(JsonBuilder *b, const char *name, double d);
