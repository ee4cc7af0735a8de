/* Typed property values as read from the bus (a{sv}), and their text and JSON forms. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "json.h"

/* One entry of a dictionary property (SettingLimits a{s(ddd)}, SettingOptions a{sad},
 * SettingChoices a{sas}): the key and its value as doubles ((ddd), ad) or strings (as). */
typedef struct PropertyEntry {
        char *key;
        double *doubles;
        char **strv; /* NULL-terminated */
        size_t n;
} PropertyEntry;

/* One property. type is the D-Bus signature of the value: a basic type, "as", "ad" or one of the
 * dictionaries above; other signatures are kept as "unsupported" so that an API that grows never
 * breaks the client. */
typedef struct Property {
        char *name;
        char type[16];
        union {
                bool b;
                double d;
                int64_t i;
                uint64_t u;
                char *s;
        };
        char **strv;     /* as, NULL-terminated */
        double *doubles; /* ad */
        size_t n;        /* elements of strv or doubles */
        PropertyEntry *entries; /* dictionaries */
        size_t n_entries;
} Property;

typedef struct PropertyList {
        Property *items;
        size_t n;
} PropertyList;

void property_list_done(PropertyList *l);

/* Reads an a{sv} from m (positioned at the array) into l, replacing properties already in l with
 * the same name and appending new ones, so that it serves both GetAll and PropertiesChanged. */
int property_list_read(PropertyList *l, sd_bus_message *m);

const Property *property_list_find(const PropertyList *l, const char *name);

/* Typed accessors with the defaults used when the daemon does not send the property. */
double property_list_double(const PropertyList *l, const char *name);
bool property_list_bool(const PropertyList *l, const char *name);
uint64_t property_list_uint(const PropertyList *l, const char *name);
const char *property_list_string(const PropertyList *l, const char *name); /* "" if absent */
char **property_list_strv(const PropertyList *l, const char *name);        /* NULL if absent */
/* The entry of a dictionary property, NULL if the property or the key is absent. */
const PropertyEntry *property_list_entry(const PropertyList *l, const char *name, const char *key);

/* The value as text for show/get/monitor: booleans "yes"/"no", NaN "nan", arrays separated by
 * spaces, strings unquoted, numbers locale-free; with_unit appends the property's unit. */
void property_print_value(const Property *p, FILE *f, bool with_unit, bool ascii);
/* An empty string or list, which text output shows as "(none)" where a blank would be lost. */
bool property_is_empty(const Property *p);
/* property_print_value(), but "(none)" for an empty value. */
void property_print_value_or_none(const Property *p, FILE *f, bool with_unit, bool ascii);
/* The value as JSON (NaN -> null, booleans true/false, arrays as arrays). */
void property_write_json(const Property *p, JsonWriter *w);
/* The same value? (for "unchanged" in set verbs and the old value of monitor) */
bool property_equal(const Property *a, const Property *b);
