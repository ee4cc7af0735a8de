/* org.axpert.Inverter.Unit: one object per parallel unit seen through QPGSn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-inverter.h"
#include "device.h"

static const char *const unit_derived_names[] = {"Index", NULL};

static BusFieldList unit_fields;
static sd_bus_vtable *unit_vtable;

const BusFieldList *bus_unit_fields(void)
{
        (void)bus_unit_vtable();
        return &unit_fields;
}

static int property_get_unit_field(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error)
{
        Unit *u = userdata;
        Pi30Field f = bus_field_list_lookup(&unit_fields, property);

        if (f < 0)
                return -ENOENT;
        return bus_append_value(reply, f, &u->values[f]);
}

static int property_get_index(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        Unit *u = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t)u->index);
}

static const sd_bus_vtable unit_head[] = {
                SD_BUS_VTABLE_START(0),
                SD_BUS_PROPERTY("Index", "u", property_get_index, 0,
                                SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
};

const sd_bus_vtable *bus_unit_vtable(void)
{
        static const sd_bus_vtable end[] = {SD_BUS_VTABLE_END};
        size_t n;

        if (unit_vtable)
                return unit_vtable;
        bus_field_list_build(&unit_fields, PI30_EXPORT_UNIT, unit_derived_names);
        unit_vtable = calloc(ELEMENTSOF(unit_head) + unit_fields.n + 1, sizeof *unit_vtable);
        if (!unit_vtable)
                return NULL;
        memcpy(unit_vtable, unit_head, sizeof unit_head);
        n = ELEMENTSOF(unit_head);
        n += bus_vtable_add_fields(unit_vtable + n, &unit_fields, property_get_unit_field);
        unit_vtable[n] = end[0];
        return unit_vtable;
}

int bus_unit_add_object(sd_bus *bus, Unit *u)
{
        const sd_bus_vtable *vt = bus_unit_vtable();

        if (!vt)
                return -ENOMEM;
        return sd_bus_add_object_vtable(bus, &u->slot, u->object_path, AXPERT_UNIT_INTERFACE, vt,
                                        u);
}
