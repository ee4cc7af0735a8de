/* "show", "get" and "list": properties as Name=value lines or JSON, and the inverter inventory. */
#include <stdio.h>
#include <string.h>

#include "axpertctl.h"
#include "format.h"
#include "macros.h"

static bool wanted(const char *name)
{
        if (!arg_properties)
                return true;
        for (char **p = arg_properties; *p; p++)
                if (streq(*p, name))
                        return true;
        return false;
}

bool property_is_timestamp(const Property *p)
{
        const char *unit = axpert_contract_unit(p->name);

        return streq(p->type, "t") && unit && streq(unit, "us");
}

void print_show_value(const Property *p, FILE *f)
{
        char buf[FORMAT_BUF_MAX];

        if (property_is_timestamp(p)) {
                /* 0 = never: empty, as systemctl show prints a timestamp that never happened. */
                if (p->u > 0)
                        fputs(format_timestamp(p->u, arg_timestamp, buf), f);
                return;
        }
        property_print_value(p, f, false, use_ascii);
}

/* The properties of the object -d names: an inverter, or with NAME/unitN one of its units. */
static int pick_properties(sd_bus *bus, Inventory *inv, const PropertyList **ret_props,
                           const char **ret_label)
{
        DeviceObject *d;
        UnitObject *u;
        int r;

        r = inventory_load_and_pick_object(bus, inv, &d, &u);
        if (r < 0)
                return r;
        *ret_props = u ? &u->props : &d->props;
        *ret_label = u ? arg_device : d->id;
        return 0;
}

int verb_show(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(inventory_done) Inventory inv = {0};
        const PropertyList *props;
        const char *label;
        int r;

        r = pick_properties(bus, &inv, &props, &label);
        if (r < 0)
                return r;
        r = check_property_names(props, label, arg_properties);
        if (r < 0)
                return r;

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_object(&w);
                for (size_t i = 0; i < props->n; i++)
                        if (wanted(props->items[i].name)) {
                                json_key(&w, props->items[i].name);
                                property_write_json(&props->items[i], &w);
                        }
                json_end_object(&w);
                json_finish(&w);
                return 0;
        }

        /* With -p, the order of the -p arguments; without, the daemon's order. */
        if (arg_properties) {
                for (char **n = arg_properties; *n; n++) {
                        const Property *p = property_list_find(props, *n);

                        if (!arg_value)
                                printf("%s=", p->name);
                        print_show_value(p, stdout);
                        putchar('\n');
                }
                return 0;
        }
        for (size_t i = 0; i < props->n; i++) {
                if (!arg_value)
                        printf("%s=", props->items[i].name);
                print_show_value(&props->items[i], stdout);
                putchar('\n');
        }
        return 0;
}

int verb_get(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(inventory_done) Inventory inv = {0};
        const PropertyList *props;
        const char *label;
        int r;

        r = pick_properties(bus, &inv, &props, &label);
        if (r < 0)
                return r;
        r = check_property_names(props, label, argv + 1);
        if (r < 0)
                return r;

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_object(&w);
                for (int i = 1; i < argc; i++) {
                        json_key(&w, argv[i]);
                        property_write_json(property_list_find(props, argv[i]), &w);
                }
                json_end_object(&w);
                json_finish(&w);
                return 0;
        }
        for (int i = 1; i < argc; i++) {
                print_show_value(property_list_find(props, argv[i]), stdout);
                putchar('\n');
        }
        return 0;
}

static void list_json(const Inventory *inv)
{
        JsonWriter w;

        json_init(&w, stdout, arg_json == JSON_PRETTY);
        json_begin_array(&w);
        for (size_t i = 0; i < inv->n_devices; i++) {
                const DeviceObject *d = &inv->devices[i];

                json_begin_object(&w);
                json_key(&w, "Device");
                json_string(&w, d->id);
                json_key(&w, "Path");
                json_string(&w, d->path);
                json_key(&w, "Online");
                json_bool(&w, property_list_bool(&d->props, "Online"));
                json_key(&w, "Mode");
                json_string(&w, property_list_string(&d->props, "Mode"));
                json_key(&w, "SerialNumber");
                json_string(&w, property_list_string(&d->props, "SerialNumber"));
                json_key(&w, "ModelName");
                json_string(&w, property_list_string(&d->props, "ModelName"));
                json_key(&w, "DevicePath");
                json_string(&w, property_list_string(&d->props, "DevicePath"));
                json_key(&w, "Units");
                json_begin_array(&w);
                for (size_t j = 0; j < d->n_units; j++) {
                        const UnitObject *u = &d->units[j];

                        json_begin_object(&w);
                        json_key(&w, "Index");
                        json_uint(&w, property_list_uint(&u->props, "Index"));
                        json_key(&w, "Path");
                        json_string(&w, u->path);
                        json_key(&w, "SerialNumber");
                        json_string(&w, property_list_string(&u->props, "SerialNumber"));
                        json_key(&w, "Mode");
                        json_string(&w, property_list_string(&u->props, "Mode"));
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_finish(&w);
}

static int column_width(const Inventory *inv, const char *header, int which)
{
        int w = (int)strlen(header);

        for (size_t i = 0; i < inv->n_devices; i++) {
                const DeviceObject *d = &inv->devices[i];
                const char *s = which == 0 ? d->id
                                           : property_list_string(&d->props, "SerialNumber");
                int l = (int)strlen(s);

                if (which == 0)
                        for (size_t j = 0; j < d->n_units; j++) {
                                int ul = (int)(strlen(d->id) + 1 + strlen(d->units[j].name));

                                if (ul > w)
                                        w = ul;
                        }
                else
                        for (size_t j = 0; j < d->n_units; j++) {
                                int ul = (int)strlen(property_list_string(&d->units[j].props,
                                                                          "SerialNumber"));

                                if (ul > w)
                                        w = ul;
                        }
                if (l > w)
                        w = l;
        }
        return w;
}

int verb_list(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        int r, wn, ws;

        r = inventory_load(bus, &inv, &error);
        if (r < 0)
                return report_bus_error("cannot list the inverters", &error, r, NULL);

        if (arg_json != JSON_OFF) {
                list_json(&inv);
                return 0;
        }

        wn = column_width(&inv, "NAME", 0);
        ws = column_width(&inv, "SERIAL", 1);
        if (arg_legend)
                printf("%-*s %-8s %-12s %-*s %s\n", wn, "NAME", "STATE", "MODE", ws, "SERIAL",
                       "DEVICE");
        for (size_t i = 0; i < inv.n_devices; i++) {
                const DeviceObject *d = &inv.devices[i];
                bool online = property_list_bool(&d->props, "Online");

                printf("%-*s %s%-8s%s %-12s %-*s %s\n", wn, d->id,
                       online ? "" : ansi_highlight_red(), online ? "online" : "offline",
                       online ? "" : ansi_normal(), property_list_string(&d->props, "Mode"), ws,
                       property_list_string(&d->props, "SerialNumber"),
                       property_list_string(&d->props, "DevicePath"));
                for (size_t j = 0; j < d->n_units; j++) {
                        const UnitObject *u = &d->units[j];
                        char name[256];

                        snprintf(name, sizeof name, "%s/%s", d->id, u->name);
                        printf("%-*s %-8s %-12s %-*s %s\n", wn, name, "unit",
                               property_list_string(&u->props, "Mode"), ws,
                               property_list_string(&u->props, "SerialNumber"), "");
                }
        }
        size_t n_units = 0;

        if (!arg_legend)
                return 0;
        for (size_t i = 0; i < inv.n_devices; i++)
                n_units += inv.devices[i].n_units;
        printf("\n%zu inverter%s, %zu parallel unit%s.\n", inv.n_devices,
               inv.n_devices == 1 ? "" : "s", n_units, n_units == 1 ? "" : "s");
        return 0;
}
