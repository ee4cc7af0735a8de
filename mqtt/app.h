/* axpert-mqtt's state: the inverters and units seen on the bus, and what was published. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#include "mqtt-config.h"
#include "publisher.h"

typedef struct App App;
typedef struct Bridge Bridge;

typedef struct Unit {
        char *object_path;
        char *parent_path; /* the org.axpert.Inverter object it belongs to */
        GDBusProxy *proxy;
        bool dirty;         /* changed since the last flush */
        char *announced_id; /* "<serial>/unit<N>" whose discovery was published, or NULL */
} Unit;

typedef struct Inverter {
        App *app;
        char *object_path;
        GDBusProxy *proxy;
        char *serial; /* topic-safe SerialNumber; NULL until the daemon knows it */
        bool dirty_state;
        unsigned dirty_compat; /* CompatTopic bits: which hassio-axpert topics to publish */
        bool dirty_discovery;
        int availability; /* last published: -1 none, 0 offline, 1 online */
} Inverter;

struct App {
        MqttConfig *config;
        GMainLoop *loop;
        Publisher *publisher;
        Bridge *bridge;
        GHashTable *inverters; /* object path -> Inverter* */
        GHashTable *units;     /* object path -> Unit* */
        guint flush_source;
        bool daemon_present;
        GQueue commands; /* Command*: waiting for the one in flight (commands.c) */
        bool command_in_flight;
        GHashTable *retained_logged; /* command topics whose retained message was logged */
        int exit_code; /* what app_run returns: 0 after a signal, negative errno on a failure */
};

App *app_new(MqttConfig *config, GError **error);
App *app_free(App *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(App, app_free)
int app_run(App *app);

/* Called by the bridge (D-Bus side). */
void app_inverter_added(App *app, const char *path, GDBusProxy *proxy);
void app_unit_added(App *app, const char *path, GDBusProxy *proxy);
void app_object_removed(App *app, const char *path, const char *interface);
void app_properties_changed(App *app, const char *path, const char *interface, GVariant *changed,
                            const char *const *invalidated);
void app_daemon_changed(App *app, bool present);
/* The system bus connection closed: stops the main loop, app_run then fails. */
void app_bus_lost(App *app, const char *reason);

/* Helpers shared by the payload builders. */
Inverter *app_find_inverter_by_serial(App *app, const char *serial);
/* The units of an inverter, sorted by Index; free the array with g_ptr_array_unref. */
GPtrArray *app_inverter_units(App *app, Inverter *inv);
guint app_unit_index(Unit *u);
bool app_inverter_online(Inverter *inv);

/* Typed reads of cached properties; defaults when absent or of another type. */
double proxy_get_double(GDBusProxy *proxy, const char *name);
bool proxy_get_bool(GDBusProxy *proxy, const char *name);
guint64 proxy_get_uint(GDBusProxy *proxy, const char *name, bool *ret_found);
char *proxy_get_string(GDBusProxy *proxy, const char *name); /* NULL when absent */

/* Publishing with the configured QoS. */
void app_publish(App *app, const char *topic, const char *payload, bool retain);
