/* axpert-web's life cycle: follow the bus, serve HTTP, stop on SIGTERM. */
#pragma once

#include "web.h"

Web *web_new(WebConfig *config);
Web *web_free(Web *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Web, web_free)
/* Runs the main loop; 0 after a signal, negative errno on a failure. */
int web_run(Web *w);
/* The data of a "unit" event: {"serial","unit":N,"state":{…}}. */
char *web_unit_event_data(WebInverter *inv, GDBusProxy *unit);
/* Sends inv's full state as a "state" event. */
void web_send_state_event(Web *w, WebInverter *inv);
