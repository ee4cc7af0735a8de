/* axpert-web: the HTTP JSON API, event stream and dashboard of the inverters on the bus. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "app.h"
#include "log.h"

int main(int argc, char *argv[])
{
        g_autoptr(GOptionContext) options = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(WebConfig) config = NULL;
        g_autoptr(Web) web = NULL;
        g_autofree char *config_path = NULL;
        g_autofree char *listen = NULL;
        gboolean version = FALSE;
        const GOptionEntry entries[] = {
                        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
                         "Configuration file (default " WEB_CONFIG_DEFAULT_PATH ")", "FILE"},
                        {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
                         "Listen on ADDR:PORT instead of the configured Listen=", "ADDR:PORT"},
                        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version", NULL},
                        {NULL, 0, 0, 0, NULL, NULL, NULL},
        };

        /* Numbers in answers must never follow the locale. */
        setlocale(LC_ALL, "C");
        if (g_getenv("AXPERT_DEBUG"))
                log_set_max_level(LOG_DEBUG);

        options = g_option_context_new(NULL);
        g_option_context_set_summary(options, "Serves the axpert inverters on the bus over HTTP "
                                              "(read-only JSON API, events, dashboard).");
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
                printf("axpert-web %s\n", PACKAGE_VERSION);
                return EXIT_SUCCESS;
        }

        config = web_config_load(config_path, &error);
        if (!config) {
                log_error("Bad configuration: %s", error->message);
                return EXIT_FAILURE;
        }
        if (listen) {
                g_autofree char *problem = NULL;
                GSocketAddress *address = web_config_parse_listen(listen, &problem);

                if (!address) {
                        log_error("--listen: %s", problem);
                        return EXIT_FAILURE;
                }
                g_clear_object(&config->address);
                config->address = address;
                g_free(config->listen);
                config->listen = g_steal_pointer(&listen);
        }
        if (config->path)
                log_debug("Configuration read from %s.", config->path);
        else
                log_info("No %s; using the defaults.", WEB_CONFIG_DEFAULT_PATH);

        web = web_new(config);
        if (web_run(web) < 0)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}
