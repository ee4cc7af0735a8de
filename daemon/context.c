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
#include "poller.h"
#include "setters.h"

/* A device that neither answers nor fails within this time does not hold up the others: the
 * name is taken and its object says Online=false, LastError "connecting". */
#define CONTEXT_NAME_TIMEOUT_USEC (15 * USEC_PER_SEC)

/* What clients see of d may have changed: the bus module signals it. */
static void context_device_changed(Device *d, void *userdata)
{
        (void)bus_inverter_emit_changes(d);
}

static void on_cycle_done(Device *d, bool complete, void *userdata)
{
        context_device_changed(d, userdata);
}

static void on_online_changed(Device *d, bool online, void *userdata)
{
        context_device_changed(d, userdata);
}

static void on_link_event(Link *link, LinkEvent event, int error, const char *why, void *userdata)
{
        Device *d = userdata;

        poller_link_event(d->poller, event, error, why);
}

static void on_node_appeared(void *userdata)
{
        Context *c = userdata;

        for (size_t i = 0; i < c->n_devices; i++)
                link_node_appeared(c->devices[i]->link);
}

/* The link first: the requests in flight complete (-ECANCELED) into the poller and the setters
 * (which may emit) while everything still exists. */
static Device *context_device_free(Device *d)
{
        if (!d)
                return NULL;
        d->link = link_free(d->link);
        d->poller = poller_free(d->poller);
        bus_inverter_remove_object(d);
        return device_free(d);
}

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
        r = setters_new(c->polkit, context_device_changed, c, &c->setters);
        if (r < 0) {
                sd_event_unref(c->event);
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
                context_device_free(c->devices[i]);
        free(c->devices);
        hotplug_free(c->hotplug);
        /* Changes still queued or on the wire (their link requests went with the devices), and
         * pending authorizations, hold messages of the bus connection closed below. */
        c->setters = setters_free(c->setters);
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

static void on_settled(Device *d, void *userdata)
{
        Context *c = userdata;

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
        const PollerIntervals intervals = {
                        .poll_usec = c->config->poll_interval_usec,
                        .settings_usec = c->config->settings_interval_usec,
        };
        const PollerCallbacks callbacks = {
                        .cycle_done = on_cycle_done,
                        .online_changed = on_online_changed,
                        .settled = on_settled,
        };
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
                const char *name = c->config->devices[i].name, *path = c->config->devices[i].path;
                Device *d;

                r = device_new(name, path, &d);
                if (r >= 0) {
                        c->devices[c->n_devices++] = d;
                        d->setters = c->setters;
                        r = link_new(c->event, path, on_link_event, d, &d->link);
                }
                if (r >= 0)
                        r = link_set_name(d->link, name);
                if (r >= 0)
                        link_set_probe(d->link, c->config->devices[i].probe);
                if (r >= 0)
                        r = poller_new(c->event, d, &intervals, &callbacks, c, &d->poller);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up device %s (\"%s\"): %s", name,
                                               path, strerror(abs(r)));
                r = bus_inverter_add_object(c->bus, d);
                if (r < 0)
                        return log_error_errno(r, "Cannot export %s: %s", d->object_path,
                                               strerror(abs(r)));
        }

        r = hotplug_new(c->event, on_node_appeared, c, &c->hotplug);
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
