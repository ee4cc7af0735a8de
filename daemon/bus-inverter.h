/* The D-Bus objects: org.axpert.Inverter per device, org.axpert.Inverter.Unit per unit. */
#pragma once

#include <stdio.h>

#include <systemd/sd-bus.h>

#include "bus-property.h"
#include "device.h"

/* The vtables (built once from pi30_fields[] plus the derived properties). */
const sd_bus_vtable *bus_inverter_vtable(void);
const sd_bus_vtable *bus_unit_vtable(void);

/* The exported inverter/unit field lists, for change detection. */
const BusFieldList *bus_inverter_fields(void);
const BusFieldList *bus_unit_fields(void);

/* Names of the derived properties of org.axpert.Inverter whose value differs between a and b
 * (LastUpdateTimestamp never: it has no change signal). Returns the count written to ret. */
size_t bus_inverter_derived_changes(const DeviceDerived *a, const DeviceDerived *b,
                                    const char **ret, size_t max);

/* Fills the setter properties' part of a derived snapshot from a device's values. */
void bus_inverter_settings_text(const Pi30Value values[], DeviceDerived *ret);

int bus_inverter_add_object(Device *d);
int bus_unit_add_object(Unit *u);

/* Prints the introspection XML of every interface the daemon implements, without a bus. */
int bus_introspect_print(FILE *f);
