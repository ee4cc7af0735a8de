/* axpert-history: records the inverters of org.axpert.Inverter and serves org.axpert.History. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "app.h"
#include "history-config.h"
#include "log.h"
#include "store.h"

int main(int argc, char *argv[])
{
        g_autoptr(GOptionContext) options = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(HistoryConfig) config = NULL;
        g_autoptr(App) app = NULL;
        g_autofree char *config_path = NULL;
        g_autofree char *database = NULL;
        StoreOptions store_options = STORE_OPTIONS_DEFAULT;
        StoreOpenInfo info = {0};
        Store *store = NULL;
        gboolean version = FALSE;
        const GOptionEntry entries[] = {
                        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
                         "Configuration file (default " HISTORY_CONFIG_DEFAULT_PATH ")", "FILE"},
                        {"database", 'd', 0, G_OPTION_ARG_FILENAME, &database,
                         "The database (default " HISTORY_DATABASE_DEFAULT_PATH ")", "PATH"},
                        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version", NULL},
                        {NULL, 0, 0, 0, NULL, NULL, NULL},
        };
        int r;

        /* Numbers in the configuration must never follow the locale; local time zone only. */
        setlocale(LC_ALL, "C");

        options = g_option_context_new(NULL);
        g_option_context_set_summary(options, "Records axpert inverters from D-Bus into SQLite "
                                              "and serves their history and energy counters.");
        g_option_context_add_main_entries(options, entries, NULL);
        if (!g_option_context_parse(options, &argc, &argv, &error)) {
                log_error("%s", error->message);
                return EXIT_FAILURE;
        }
        if (argc > 1) {
                log_error("Unexpected argument '%s'.", argv[1]);
                return EXIT_FAILURE;
        }
        if (version) {
                printf("axpert-history %s\n", PACKAGE_VERSION);
                return EXIT_SUCCESS;
        }

        config = history_config_load(config_path, &error);
        if (!config) {
                log_error("Bad configuration: %s", error->message);
                return EXIT_FAILURE;
        }
        if (config->path)
                log_debug("Configuration read from %s.", config->path);
        else
                log_info("No %s; using the defaults.", HISTORY_CONFIG_DEFAULT_PATH);

        store_options.retention = (StoreRetention){
                        .raw_days = (unsigned)(config->raw_keep_sec / 86400),
                        .minute_days = (unsigned)(config->minute_keep_sec / 86400),
                        .hour_days = (unsigned)(config->hour_keep_sec / 86400),
        };
        if (!database)
                database = g_strdup(HISTORY_DATABASE_DEFAULT_PATH);
        /* A damaged file is renamed aside and replaced by store_open() itself (logged there). */
        r = store_open(database, &store_options, (uint64_t)g_get_real_time(), &store, &info);
        store_open_info_done(&info);
        if (r < 0) {
                log_error_errno(r, "Cannot open the database %s: %s", database, strerror(-r));
                return EXIT_FAILURE;
        }
        log_info("Recording into %s.", database);

        app = app_new(config, store, &error);
        if (!app) {
                log_error("Cannot connect to the system bus: %s", error->message);
                store_free(store);
                return EXIT_FAILURE;
        }
        r = app_run(app);
        app = app_free(app);
        store_free(store);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
