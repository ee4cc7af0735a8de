/* The daemon's one Context: event loop, bus connection, configuration and devices. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "bus-inverter.h"
#include "context.h"
#include "device.h"
#include "hotplug.h"
#include "log.h"
#include "polkit.h"
#include "setters.h"

/* A device that neither answers nor fails within this time does not hold up the others: the
 * name is taken and its object says Online=false, LastError "connecting". */
#define CONTEXT_NAME_TIMEOUT_USEC (15 * USEC_PER_SEC)

int context_new(Config *config, Context **ret)
{
        Context *c;
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->config = config;
        r = polkit_new(&c->polkit);
        if (r < 0) {
                free(c);
                return r;
        }
        r = sd_event_default(&c->event);
        if (r < 0) {
                polkit_free(c->polkit);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

Context *context_free(Context *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_devices; i++)
                device_free(c->devices[i]);
        free(c->devices);
        hotplug_free(c->hotplug);
        /* Changes still queued or on the wire (their link requests went with the devices), and
         * pending authorizations, hold messages of the bus connection closed below. */
        setters_flush(c);
        c->polkit = polkit_free(c->polkit);
        c->name_timeout = sd_event_source_disable_unref(c->name_timeout);
        c->object_manager_slot = sd_bus_slot_unref(c->object_manager_slot);
        sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        config_free(c->config);
        free(c);
        return NULL;
}

static int on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Context *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e) {
                log_error("Cannot own the bus name org.axpert.Inverter: %s", e->message);
                sd_event_exit(c->event, EXIT_FAILURE);
                return 0;
        }
        log_info("Serving org.axpert.Inverter (%zu device%s).", c->n_devices,
                 c->n_devices == 1 ? "" : "s");
        /* Ready means clients can reach us (the unit is Type=dbus; this serves Type=notify). */
        (void)sd_notify(false, "READY=1\nSTATUS=Serving org.axpert.Inverter.");
        return 0;
}

static void context_request_name(Context *c)
{
        int r;

        if (c->name_requested || !c->bus)
                return;
        c->name_requested = true;
        c->name_timeout = sd_event_source_disable_unref(c->name_timeout);
        r = sd_bus_request_name_async(c->bus, NULL, "org.axpert.Inverter", 0, on_name_acquired, c);
        if (r < 0) {
                log_error_errno(r, "Cannot request the bus name: %s", strerror(abs(r)));
                sd_event_exit(c->event, EXIT_FAILURE);
        }
}

void context_device_settled(Context *c, Device *d)
{
        for (size_t i = 0; i < c->n_devices; i++)
                if (!c->devices[i]->settled)
                        return;
        context_request_name(c);
}

static int on_name_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        context_request_name(userdata);
        return 0;
}

int context_add_devices(Context *c)
{
        int r;

        if (c->bus) {
                r = sd_bus_add_object_manager(c->bus, &c->object_manager_slot, AXPERT_OBJECT_ROOT);
                if (r < 0)
                        return log_error_errno(r, "Cannot add the object manager: %s",
                                               strerror(abs(r)));
        }

        c->devices = calloc(c->config->n_devices ? c->config->n_devices : 1, sizeof *c->devices);
        if (!c->devices)
                return log_oom();
        for (size_t i = 0; i < c->config->n_devices; i++) {
                Device *d;
                r = device_new(c, c->config->devices[i].name, c->config->devices[i].path, &d);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up device %s (\"%s\"): %s",
                                               c->config->devices[i].name,
                                               c->config->devices[i].path, strerror(abs(r)));
                c->devices[c->n_devices++] = d;
                if (c->bus) {
                        r = bus_inverter_add_object(d);
                        if (r < 0)
                                return log_error_errno(r, "Cannot export %s: %s", d->object_path,
                                                       strerror(abs(r)));
                }
        }

        r = hotplug_new(c, &c->hotplug);
        if (r < 0)
                return log_error_errno(r, "Cannot set up hotplug: %s", strerror(abs(r)));

        for (size_t i = 0; i < c->n_devices; i++) {
                log_info("Device %s on \"%s\".", c->devices[i]->id, c->devices[i]->spec);
                r = device_start(c->devices[i]);
                if (r < 0)
                        return log_error_errno(r, "Cannot start device %s: %s", c->devices[i]->id,
                                               strerror(abs(r)));
        }

        if (c->n_devices == 0) {
                log_notice("No inverter configured or detected; serving an empty object tree.");
                context_request_name(c);
                return 0;
        }
        r = sd_event_add_time_relative(c->event, &c->name_timeout, CLOCK_MONOTONIC,
                                       CONTEXT_NAME_TIMEOUT_USEC, USEC_PER_SEC, on_name_timeout, c);
        if (r < 0)
                return log_error_errno(r, "Cannot add a timer: %s", strerror(abs(r)));
        return 0;
}
