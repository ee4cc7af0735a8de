/* The inverters and parallel units axpertd exports, read with one GetManagedObjects call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axpertctl.h"
#include "macros.h"

static void unit_object_done(UnitObject *u)
{
        free(u->path);
        free(u->name);
        property_list_done(&u->props);
        *u = (UnitObject){0};
}

static void device_object_done(DeviceObject *d)
{
        free(d->path);
        free(d->id);
        property_list_done(&d->props);
        for (size_t i = 0; i < d->n_units; i++)
                unit_object_done(&d->units[i]);
        free(d->units);
        *d = (DeviceObject){0};
}

void inventory_done(Inventory *inv)
{
        for (size_t i = 0; i < inv->n_devices; i++)
                device_object_done(&inv->devices[i]);
        free(inv->devices);
        *inv = (Inventory){0};
}

static int compare_devices(const void *a, const void *b)
{
        const DeviceObject *x = a, *y = b;

        /* "2" before "10": ids are usually numbers. */
        return strverscmp(x->id, y->id);
}

static int compare_units(const void *a, const void *b)
{
        const UnitObject *x = a, *y = b;
        uint64_t i = property_list_uint(&x->props, "Index"),
                 j = property_list_uint(&y->props, "Index");

        if (i != j)
                return i < j ? -1 : 1;
        return strverscmp(x->name, y->name);
}

static char *path_last(const char *path)
{
        const char *slash = strrchr(path, '/');

        return strdup(slash ? slash + 1 : path);
}

static int inventory_add_unit(Inventory *inv, UnitObject *u)
{
        for (size_t i = 0; i < inv->n_devices; i++) {
                DeviceObject *d = &inv->devices[i];
                size_t l = strlen(d->path);

                if (strneq(u->path, d->path, l) && u->path[l] == '/' &&
                    !strchr(u->path + l + 1, '/')) {
                        UnitObject *n = realloc(d->units, (d->n_units + 1) * sizeof *n);

                        if (!n)
                                return -ENOMEM;
                        d->units = n;
                        d->units[d->n_units++] = *u;
                        *u = (UnitObject){0};
                        return 1;
                }
        }
        return 0; /* a unit without its device: ignore it */
}

int inventory_load(sd_bus *bus, Inventory *ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        UnitObject *units = NULL;
        size_t n_units = 0;
        int r;

        r = sd_bus_call_method(bus, AXPERT_BUS_NAME, AXPERT_ROOT_PATH,
                               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", error,
                               &reply, NULL);
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}");
        if (r < 0)
                goto finish;
        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) >
               0) {
                const char *path;

                r = sd_bus_message_read_basic(reply, 'o', &path);
                if (r < 0)
                        goto finish;
                r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
                if (r < 0)
                        goto finish;
                while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY,
                                                           "sa{sv}")) > 0) {
                        const char *iface;

                        r = sd_bus_message_read_basic(reply, 's', &iface);
                        if (r < 0)
                                goto finish;
                        if (streq(iface, AXPERT_INTERFACE)) {
                                DeviceObject *n = realloc(inv.devices,
                                                          (inv.n_devices + 1) * sizeof *n);

                                if (!n) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                inv.devices = n;
                                n = &inv.devices[inv.n_devices++];
                                *n = (DeviceObject){.path = strdup(path), .id = path_last(path)};
                                if (!n->path || !n->id) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                r = property_list_read(&n->props, reply);
                        } else if (streq(iface, AXPERT_UNIT_INTERFACE)) {
                                UnitObject *n = realloc(units, (n_units + 1) * sizeof *n);

                                if (!n) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                units = n;
                                n = &units[n_units++];
                                *n = (UnitObject){.path = strdup(path), .name = path_last(path)};
                                if (!n->path || !n->name) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                r = property_list_read(&n->props, reply);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                goto finish;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto finish;
                }
                if (r < 0)
                        goto finish;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto finish;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto finish;
        }
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < n_units; i++) {
                r = inventory_add_unit(&inv, &units[i]);
                if (r < 0)
                        goto finish;
        }
        if (inv.n_devices > 1) /* qsort() wants a non-NULL array even for zero elements */
                qsort(inv.devices, inv.n_devices, sizeof *inv.devices, compare_devices);
        for (size_t i = 0; i < inv.n_devices; i++)
                if (inv.devices[i].n_units > 1)
                        qsort(inv.devices[i].units, inv.devices[i].n_units, sizeof(UnitObject),
                              compare_units);
        *ret = inv;
        inv = (Inventory){0};
        r = 0;
finish:
        for (size_t i = 0; i < n_units; i++)
                unit_object_done(&units[i]);
        free(units);
        if (r < 0 && !sd_bus_error_is_set(error))
                sd_bus_error_set_errnof(error, r, "cannot parse the answer of axpertd: %s",
                                        strerror(-r));
        return r;
}

static void print_device_ids(const Inventory *inv, FILE *f)
{
        for (size_t i = 0; i < inv->n_devices; i++)
                fprintf(f, "%s\"%s\"", i > 0 ? ", " : "", inv->devices[i].id);
}

static int pick_device(const Inventory *inv, const char *name, DeviceObject **ret)
{
        for (size_t i = 0; i < inv->n_devices; i++)
                if (streq(inv->devices[i].id, name)) {
                        *ret = &inv->devices[i];
                        return 0;
                }
        fprintf(stderr, "axpertctl: no inverter named \"%s\"; known: ", name);
        print_device_ids(inv, stderr);
        fputc('\n', stderr);
        return -EXIT_NO_DEVICE;
}

/* -d NAME or -d NAME/unitN, exactly as "axpertctl list" prints the names. */
static int pick_object(const Inventory *inv, DeviceObject **ret_device, UnitObject **ret_unit)
{
        _cleanup_free_ char *device = NULL;
        const char *slash;
        DeviceObject *d;
        int r;

        if (inv->n_devices == 0)
                return report_error(EXIT_NO_DEVICE,
                                    "axpertd has no inverter configured; add a [Device] section "
                                    "to /etc/axpert/axpertd.conf or plug one in");
        slash = arg_device ? strchr(arg_device, '/') : NULL;
        if (!slash) {
                if (arg_device) {
                        r = pick_device(inv, arg_device, ret_device);
                        if (r < 0)
                                return r;
                        *ret_unit = NULL;
                        return 0;
                }
                if (inv->n_devices > 1) {
                        fprintf(stderr,
                                "axpertctl: %zu inverters are configured; choose one with -d "
                                "NAME: ",
                                inv->n_devices);
                        print_device_ids(inv, stderr);
                        fputc('\n', stderr);
                        return -EXIT_NO_DEVICE;
                }
                *ret_device = &inv->devices[0];
                *ret_unit = NULL;
                return 0;
        }

        device = strndup(arg_device, (size_t)(slash - arg_device));
        if (!device)
                return report_error(EXIT_FAILED, "out of memory");
        r = pick_device(inv, device, &d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d->n_units; i++)
                if (streq(d->units[i].name, slash + 1)) {
                        *ret_device = d;
                        *ret_unit = &d->units[i];
                        return 0;
                }
        if (d->n_units == 0)
                return report_error(EXIT_NO_DEVICE,
                                    "inverter \"%s\" has no parallel unit \"%s\" (it reports none; "
                                    "see \"axpertctl list\")",
                                    d->id, slash + 1);
        fprintf(stderr, "axpertctl: inverter \"%s\" has no parallel unit \"%s\"; known: ", d->id,
                slash + 1);
        for (size_t i = 0; i < d->n_units; i++)
                fprintf(stderr, "%s\"%s/%s\"", i > 0 ? ", " : "", d->id, d->units[i].name);
        fputc('\n', stderr);
        return -EXIT_NO_DEVICE;
}

int inventory_pick(const Inventory *inv, DeviceObject **ret)
{
        DeviceObject *d;
        UnitObject *u;
        int r;

        r = pick_object(inv, &d, &u);
        if (r < 0)
                return r;
        if (u)
                /* A unit has no methods: the inverter object applies settings to every unit. */
                return report_error(EXIT_NO_DEVICE,
                                    "\"%s\" is a parallel unit; this command acts on its inverter, "
                                    "which applies settings to every unit: use -d %s",
                                    arg_device, d->id);
        *ret = d;
        return 0;
}

int inventory_load_and_pick(sd_bus *bus, Inventory *inv, DeviceObject **ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = inventory_load(bus, inv, &error);
        if (r < 0)
                return report_bus_error("cannot read the inverters", &error, r, NULL);
        return inventory_pick(inv, ret);
}

int inventory_load_and_pick_object(sd_bus *bus, Inventory *inv, DeviceObject **ret_device,
                                   UnitObject **ret_unit)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = inventory_load(bus, inv, &error);
        if (r < 0)
                return report_bus_error("cannot read the inverters", &error, r, NULL);
        return pick_object(inv, ret_device, ret_unit);
}

int check_property_names(const PropertyList *props, const char *label, char **names)
{
        for (char **n = names; n && *n; n++)
                if (!property_list_find(props, *n))
                        return report_usage("%s \"%s\" has no property \"%s\" (see "
                                            "\"axpertctl%s%s show\" for the names)",
                                            strchr(label, '/') ? "unit" : "inverter", label, *n,
                                            arg_device ? " -d " : "", arg_device ? arg_device : "");
        return 0;
}
