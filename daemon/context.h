/* The daemon's one Context: event loop, bus connection, configuration and devices; it creates
 * each device's link, poller and bus object and wires their callbacks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "configuration.h"

typedef struct Device Device;
typedef struct Hotplug Hotplug;
typedef struct Polkit Polkit;
typedef struct Setters Setters;

typedef struct Context {
        sd_event *event;
        sd_bus *bus; /* NULL until connected (and in --bus-introspect) */
        Config *config;
        Device **devices;
        size_t n_devices;
        Hotplug *hotplug;
        sd_bus_slot *object_manager_slot;
        bool name_requested; /* the bus name is requested once every device had a first cycle */
        sd_event_source *name_timeout;
        Polkit *polkit;   /* authorization queries of the Set… methods */
        Setters *setters; /* accepted setting changes of every device, oldest first */
} Context;

int context_new(Config *config, Context **ret); /* takes config */
Context *context_free(Context *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Context *, context_free)

/* Creates the devices from the configuration, with their bus objects when c->bus is set. */
int context_add_devices(Context *c);
