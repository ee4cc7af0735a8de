/* axpert-mqtt: publishes the inverters of org.axpert.Inverter to an MQTT broker. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "app.h"
#include "mqtt-config.h"
#include "log.h"

int main(int argc, char *argv[])
{
        g_autoptr(GOptionContext) options = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(MqttConfig) config = NULL;
        g_autoptr(App) app = NULL;
        g_autofree char *config_path = NULL;
        gboolean version = FALSE;
        const GOptionEntry entries[] = {
                        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
                         "Configuration file (default " MQTT_CONFIG_DEFAULT_PATH ")", "FILE"},
                        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Show the version", NULL},
                        {NULL, 0, 0, 0, NULL, NULL, NULL},
        };

        /* Numbers in payloads and config must never follow the locale: stay in "C". */
        setlocale(LC_ALL, "C");

        options = g_option_context_new(NULL);
        g_option_context_set_summary(options,
                                     "Publishes axpert inverters from D-Bus to an MQTT broker.");
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
                printf("axpert-mqtt %s\n", PACKAGE_VERSION);
                return EXIT_SUCCESS;
        }

        config = mqtt_config_load(config_path, &error);
        if (!config) {
                log_error("Bad configuration: %s", error->message);
                return EXIT_FAILURE;
        }
        if (config->path)
                log_debug("Configuration read from %s.", config->path);
        else
                log_info("No %s; using the defaults.", MQTT_CONFIG_DEFAULT_PATH);

        app = app_new(config, &error);
        if (!app) {
                log_error("%s", error->message);
                return EXIT_FAILURE;
        }
        if (app_run(app) < 0)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}
