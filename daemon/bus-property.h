/* Properties built from the rows of pi30_fields[]: vtable entries, values as D-Bus sees them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "pi30.h"

/* The fields one interface exports, each once, in table order; derived names are left out. */
typedef struct BusFieldList {
        Pi30Field fields[_PI30_FIELD_MAX];
        size_t n;
} BusFieldList;

/* Fills list with the rows of pi30_fields[] exported to exp, skipping names in skip (NULL-
 * terminated: properties the daemon derives itself). */
void bus_field_list_build(BusFieldList *list, Pi30Export exp, const char *const *skip);

/* The field behind a property name within a list (a linear scan), or _PI30_FIELD_INVALID. */
Pi30Field bus_field_list_lookup(const BusFieldList *list, const char *name);

/* Appends one value with the field's signature: NaN for a number not reported, "" / false / 0 /
 * [] for the other kinds, "unknown" for an enumeration not reported. */
int bus_append_value(sd_bus_message *m, Pi30Field field, const Pi30Value *v);

/* Appends SD_BUS_PROPERTY entries for every field of list to vtable (which has room). */
size_t bus_vtable_add_fields(sd_bus_vtable *vtable, const BusFieldList *list,
                             sd_bus_property_get_t getter);

/* Equal as a client sees it (NaN equals NaN). */
bool bus_double_equal(double a, double b);
