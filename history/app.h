/* axpert-history's core: follows org.axpert.Inverter, records, counts energy, serves
 * org.axpert.History. */
#pragma once

#include <gio/gio.h>

#include "history-config.h"
#include "store.h"

typedef struct App App;

/* Takes nothing over: config and store must outlive the App. */
App *app_new(HistoryConfig *config, Store *store, GError **error);
App *app_free(App *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(App, app_free)

/* Runs until SIGTERM/SIGINT (0, after a last commit) or the bus is lost (negative errno). */
int app_run(App *app);
