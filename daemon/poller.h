/* The poller: identity on connect, settings every SettingsInterval, status every PollInterval. */
#pragma once

#include <systemd/sd-bus.h>

#include "link.h"
#include "macros.h"

typedef struct Device Device;
typedef struct Poller Poller;

int poller_new(Device *d, Poller **ret);
Poller *poller_free(Poller *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Poller *, poller_free)

/* The link opened or went down. */
void poller_link_event(Poller *p, LinkEvent event, int error, const char *why);

/* Refresh(): polls everything now and replies to m when that cycle is done. Calls that arrive
 * while a Refresh cycle is running share it. */
int poller_refresh(Poller *p, sd_bus_message *m);
