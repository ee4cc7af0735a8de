/* axpert-mqtt's core: wires the bus side (bridge), the model, the broker side (publisher) and
 * the commands; decides what is published, and when. */
#pragma once

#include <glib.h>

#include "mqtt-config.h"

typedef struct App App;

/* config is borrowed and must outlive the App. */
App *app_new(MqttConfig *config, GError **error);
App *app_free(App *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(App, app_free)
/* Runs until SIGTERM/SIGINT (0) or a failure (negative errno: the bus could not be watched or
 * was lost). */
int app_run(App *app);
