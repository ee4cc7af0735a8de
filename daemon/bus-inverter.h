/* The D-Bus objects: org.axpert.Inverter per device, org.axpert.Inverter.Unit per unit. Owns what
 * was last signalled and does all the emitting (PropertiesChanged, InterfacesAdded/Removed). */
#pragma once

#include <stdio.h>

#include <systemd/sd-bus.h>

#include "bus-property.h"

typedef struct Device Device;
typedef struct Unit Unit;

/* The vtables (built once from pi30_fields[] plus the derived properties). */
const sd_bus_vtable *bus_inverter_vtable(void);
const sd_bus_vtable *bus_unit_vtable(void);

/* The exported inverter/unit field lists, for change detection. */
const BusFieldList *bus_inverter_fields(void);
const BusFieldList *bus_unit_fields(void);

/* Exports d on bus (d->bus), taking what clients see now as the baseline of the first change
 * signal. bus may be NULL: then nothing is exported and emitting only tidies up. */
int bus_inverter_add_object(sd_bus *bus, Device *d);
void bus_inverter_remove_object(Device *d);

/* One PropertiesChanged per object carrying exactly the properties whose value changed since
 * the last emit (nothing when nothing changed); InterfacesRemoved for the units dropped since
 * (d->gone_units), InterfacesAdded for new ones. */
int bus_inverter_emit_changes(Device *d);

int bus_unit_add_object(sd_bus *bus, Unit *u);

/* Prints the introspection XML of every interface the daemon implements, without a bus. */
int bus_introspect_print(FILE *f);
