/* The poller: identity on connect, settings every SettingsInterval, status every PollInterval. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "link.h"
#include "macros.h"

typedef struct Device Device;
typedef struct Poller Poller;

/* How the poller reports (context.c wires them to the bus module and the bus name). */
typedef struct PollerCallbacks {
        /* A cycle ended (complete or failed): what clients see may have changed. Called before
         * the Refresh() callers waiting for the cycle get their reply. */
        void (*cycle_done)(Device *d, bool complete, void *userdata);
        /* The connection went down: the device is offline, its status cleared. */
        void (*online_changed)(Device *d, bool online, void *userdata);
        /* The first cycle completed or failed (for the first GetAll). */
        void (*settled)(Device *d, void *userdata);
} PollerCallbacks;

typedef struct PollerIntervals {
        uint64_t poll_usec;     /* from the start of one status cycle to the next */
        uint64_t settings_usec; /* between settings (QPIRI/QFLAG) reads */
} PollerIntervals;

int poller_new(sd_event *event, Device *d, const PollerIntervals *intervals,
               const PollerCallbacks *callbacks, void *userdata, Poller **ret);
Poller *poller_free(Poller *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Poller *, poller_free)

/* The link opened or went down. */
void poller_link_event(Poller *p, LinkEvent event, int error, const char *why);

/* Refresh(): polls everything now and replies to m when that cycle is done. Calls that arrive
 * while a Refresh cycle is running share it. */
int poller_refresh(Poller *p, sd_bus_message *m);
