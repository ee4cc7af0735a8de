/* axpert-mqtt's core: what happens on the bus becomes what is published, and when. */
#include "app.h"

#include <glib-unix.h>
#include <math.h>
#include <string.h>

#include "bridge.h"
#include "commands.h"
#include "compat-mindfreeze.h"
#include "discovery.h"
#include "json-util.h"
#include "log.h"
#include "state-json.h"
#include "topics.h"

/* Properties that appear in the discovery payloads (device block, option lists, limits). */
static const char *const discovery_properties[] = {
                "SerialNumber",
                "ModelName",
                "FirmwareVersion",
                "FirmwareVersion2",
                "ProtocolId",
                "ChargingCurrentOptions",
                "AcChargingCurrentOptions",
                "BatteryRatingVoltage",
};

/* ---- property helpers ---- */

double proxy_get_double(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        if (!v)
                return NAN;
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
                return g_variant_get_double(v);
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
                return g_variant_get_uint32(v);
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
                return g_variant_get_int32(v);
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
                return (double)g_variant_get_uint64(v);
        return NAN;
}

bool proxy_get_bool(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        return v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean(v);
}

guint64 proxy_get_uint(GDBusProxy *proxy, const char *name, bool *ret_found)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);
        guint64 r = 0;
        bool found = true;

        if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
                r = g_variant_get_uint32(v);
        else if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
                r = g_variant_get_uint64(v);
        else
                found = false;
        if (ret_found)
                *ret_found = found;
        return r;
}

char *proxy_get_string(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        if (!v || !g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
                return NULL;
        return g_variant_dup_string(v, NULL);
}

/* ---- model ---- */

static void unit_free(gpointer data)
{
        Unit *u = data;

        g_free(u->object_path);
        g_free(u->parent_path);
        g_clear_object(&u->proxy);
        g_free(u->announced_id);
        g_free(u);
}

static void inverter_free(gpointer data)
{
        Inverter *inv = data;

        g_free(inv->object_path);
        g_clear_object(&inv->proxy);
        g_free(inv->serial);
        g_free(inv);
}

/* The serial as a topic level and HA id: only [A-Za-z0-9_-] survive. */
static char *serial_topic_id(GDBusProxy *proxy)
{
        g_autofree char *s = proxy_get_string(proxy, "SerialNumber");

        if (!s)
                return NULL;
        g_strstrip(s);
        if (!*s)
                return NULL;
        g_strcanon(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", '_');
        return g_steal_pointer(&s);
}

Inverter *app_find_inverter_by_serial(App *app, const char *serial)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, app->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Inverter *inv = value;

                if (inv->serial && g_str_equal(inv->serial, serial))
                        return inv;
        }
        return NULL;
}

guint app_unit_index(Unit *u)
{
        bool found;
        guint64 index = proxy_get_uint(u->proxy, "Index", &found);
        const char *p;

        if (found)
                return (guint)index;
        /* Fall back on the path, /org/axpert/Inverter/<id>/unit<N>. */
        p = strrchr(u->object_path, '/');
        if (p && g_str_has_prefix(p, "/unit"))
                return (guint)g_ascii_strtoull(p + 5, NULL, 10);
        return 0;
}

static gint compare_units(gconstpointer a, gconstpointer b)
{
        guint ia = app_unit_index(*(Unit **)a), ib = app_unit_index(*(Unit **)b);

        return ia < ib ? -1 : ia > ib;
}

GPtrArray *app_inverter_units(App *app, Inverter *inv)
{
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, app->units);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Unit *u = value;

                if (g_str_equal(u->parent_path, inv->object_path))
                        g_ptr_array_add(a, u);
        }
        g_ptr_array_sort(a, compare_units);
        return a;
}

bool app_inverter_online(Inverter *inv)
{
        return inv->app->daemon_present && proxy_get_bool(inv->proxy, "Online");
}

/* ---- publishing ---- */

void app_publish(App *app, const char *topic, const char *payload, bool retain)
{
        /* Before the first connection there is nothing to keep: connecting publishes everything
         * anyway. After it, Paho buffers (bounded) while the broker is away. */
        if (!publisher_has_connected(app->publisher))
                return;
        (void)publisher_publish_string(app->publisher, topic, payload, app->config->qos, retain);
}

static void publish_availability(App *app, Inverter *inv, bool force)
{
        g_autofree char *topic = NULL;
        int online = app_inverter_online(inv) ? 1 : 0;

        if (!inv->serial || (!force && inv->availability == online))
                return;
        inv->availability = online;
        topic = g_strdup_printf("%s/%s/availability", app->config->topic_prefix, inv->serial);
        app_publish(app, topic, online ? "online" : "offline", true);
}

typedef struct StateFetch {
        App *app;
        char *path;
} StateFetch;

static void publish_state_with(App *app, Inverter *inv, GVariant *timestamp)
{
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *payload = NULL;
        g_autofree char *topic = NULL;

        if (!inv->serial)
                return;
        node = state_json_build(inv->proxy, "LastUpdateTimestamp", timestamp);
        payload = json_util_to_string(node);
        topic = g_strdup_printf("%s/%s/state", app->config->topic_prefix, inv->serial);
        app_publish(app, topic, payload, true);
}

static void on_timestamp(GObject *source, GAsyncResult *result, gpointer userdata)
{
        StateFetch *f = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GVariant) value = NULL;
        Inverter *inv;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        inv = g_hash_table_lookup(f->app->inverters, f->path);
        if (inv) {
                if (reply)
                        g_variant_get(reply, "(v)", &value);
                else
                        log_debug("Cannot read LastUpdateTimestamp of %s: %s", f->path,
                                  error->message);
                publish_state_with(f->app, inv, value);
        }
        g_free(f->path);
        g_free(f);
}

/* LastUpdateTimestamp has no change signal, so the cached value is stale: read it now. */
static void publish_state(App *app, Inverter *inv)
{
        g_autoptr(GVariant) cached = NULL;
        StateFetch *f;

        if (!inv->serial)
                return;
        cached = g_dbus_proxy_get_cached_property(inv->proxy, "LastUpdateTimestamp");
        if (!cached || !app->daemon_present) {
                publish_state_with(app, inv, NULL);
                return;
        }
        f = g_new0(StateFetch, 1);
        f->app = app;
        f->path = g_strdup(inv->object_path);
        g_dbus_connection_call(g_dbus_proxy_get_connection(inv->proxy), AXPERT_BUS_NAME,
                               inv->object_path, "org.freedesktop.DBus.Properties", "Get",
                               g_variant_new("(ss)", AXPERT_INVERTER_IFACE, "LastUpdateTimestamp"),
                               G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL,
                               on_timestamp, f);
}

static void publish_unit_state(App *app, Inverter *inv, Unit *u)
{
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *payload = NULL;
        g_autofree char *topic = NULL;

        if (!inv->serial)
                return;
        node = state_json_build(u->proxy, NULL, NULL);
        payload = json_util_to_string(node);
        topic = g_strdup_printf("%s/%s/unit%u/state", app->config->topic_prefix, inv->serial,
                                app_unit_index(u));
        app_publish(app, topic, payload, true);
        u->dirty = false;
}

static void publish_unit_discovery(App *app, Inverter *inv, Unit *u)
{
        g_autofree char *id = NULL;

        if (!inv->serial)
                return;
        id = g_strdup_printf("%s/unit%u", inv->serial, app_unit_index(u));
        if (app->config->discovery && publisher_is_connected(app->publisher))
                discovery_publish_unit(app, inv, u);
        g_free(u->announced_id);
        u->announced_id = g_steal_pointer(&id);
}

/* Everything about one inverter, as after a (re)connect. */
static void publish_inverter_full(App *app, Inverter *inv)
{
        g_autoptr(GPtrArray) units = NULL;

        if (!inv->serial)
                return;
        publish_availability(app, inv, true);
        if (app->config->discovery && publisher_is_connected(app->publisher))
                discovery_publish_inverter(app, inv);
        publish_state(app, inv);
        units = app_inverter_units(app, inv);
        for (guint i = 0; i < units->len; i++) {
                publish_unit_discovery(app, inv, units->pdata[i]);
                publish_unit_state(app, inv, units->pdata[i]);
        }
        if (app->config->mindfreeze && app_inverter_online(inv))
                compat_publish(app, inv, COMPAT_TOPIC_ALL);
        inv->dirty_state = inv->dirty_discovery = false;
        inv->dirty_compat = 0;
}

static gboolean on_flush(gpointer userdata)
{
        App *app = userdata;
        GHashTableIter it;
        gpointer value;

        app->flush_source = 0;
        g_hash_table_iter_init(&it, app->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Inverter *inv = value;
                g_autoptr(GPtrArray) units = NULL;

                if (!inv->serial)
                        continue;
                publish_availability(app, inv, false);
                if (inv->dirty_discovery && app->config->discovery &&
                    publisher_is_connected(app->publisher))
                        discovery_publish_inverter(app, inv);
                if (inv->dirty_state)
                        publish_state(app, inv);
                units = app_inverter_units(app, inv);
                for (guint i = 0; i < units->len; i++) {
                        Unit *u = units->pdata[i];

                        if (!u->announced_id)
                                publish_unit_discovery(app, inv, u);
                        if (u->dirty)
                                publish_unit_state(app, inv, u);
                }
                /* A compatible consumer cannot see availability: nothing stale goes there. */
                if (inv->dirty_compat && app->config->mindfreeze && app_inverter_online(inv))
                        compat_publish(app, inv, inv->dirty_compat);
                inv->dirty_state = inv->dirty_discovery = false;
                inv->dirty_compat = 0;
        }
        return G_SOURCE_REMOVE;
}

/* Coalesces the signals of one poll cycle (inverter and its units) into one flush; runs as soon
 * as the main loop is idle, never on a timer. */
static void schedule_flush(App *app)
{
        if (!app->flush_source)
                app->flush_source = g_idle_add(on_flush, app);
}

/* ---- bus events ---- */

static void inverter_update_serial(App *app, Inverter *inv)
{
        g_autofree char *serial = serial_topic_id(inv->proxy);

        if (g_strcmp0(serial, inv->serial) == 0)
                return;
        if (inv->serial) {
                /* A different inverter on the same connection: the old one is gone. */
                g_autofree char *topic = g_strdup_printf("%s/%s/availability",
                                                         app->config->topic_prefix, inv->serial);
                app_publish(app, topic, "offline", true);
        }
        g_free(inv->serial);
        inv->serial = g_steal_pointer(&serial);
        if (inv->serial)
                log_info("Inverter %s has serial number %s.", inv->object_path, inv->serial);
        inv->availability = -1;
        publish_inverter_full(app, inv);
}

void app_inverter_added(App *app, const char *path, GDBusProxy *proxy)
{
        Inverter *inv = g_new0(Inverter, 1);

        /* Objects only come from a present daemon (the name-owner notify may come later). */
        app->daemon_present = true;
        inv->app = app;
        inv->object_path = g_strdup(path);
        inv->proxy = g_object_ref(proxy);
        inv->availability = -1;
        g_hash_table_replace(app->inverters, inv->object_path, inv);
        log_info("Inverter %s appeared.", path);
        inverter_update_serial(app, inv);
}

void app_unit_added(App *app, const char *path, GDBusProxy *proxy)
{
        Unit *u = g_new0(Unit, 1);
        const char *slash = strrchr(path, '/');
        Inverter *inv;

        app->daemon_present = true;
        u->object_path = g_strdup(path);
        u->parent_path = g_strndup(path, slash ? (gsize)(slash - path) : strlen(path));
        u->proxy = g_object_ref(proxy);
        u->dirty = true;
        g_hash_table_replace(app->units, u->object_path, u);
        log_info("Parallel unit %s appeared.", path);

        inv = g_hash_table_lookup(app->inverters, u->parent_path);
        if (inv)
                inv->dirty_compat |= COMPAT_TOPIC_PARALLEL;
        schedule_flush(app);
}

void app_object_removed(App *app, const char *path, const char *interface)
{
        if (g_str_equal(interface, AXPERT_INVERTER_IFACE)) {
                Inverter *inv = g_hash_table_lookup(app->inverters, path);

                if (!inv)
                        return;
                log_info("Inverter %s vanished.", path);
                /* After the daemon vanished, its offline was published already. */
                if (inv->serial && inv->availability != 0) {
                        g_autofree char *topic =
                                        g_strdup_printf("%s/%s/availability",
                                                        app->config->topic_prefix, inv->serial);

                        app_publish(app, topic, "offline", true);
                }
                g_hash_table_remove(app->inverters, path);
        } else if (g_str_equal(interface, AXPERT_UNIT_IFACE)) {
                Unit *u = g_hash_table_lookup(app->units, path);
                Inverter *inv;

                if (!u)
                        return;
                log_info("Parallel unit %s vanished.", path);
                /* A unit that left a running system is gone for good: drop its entities and
                 * state. When the whole daemon went away, keep them (availability says why). */
                if (app->daemon_present && u->announced_id) {
                        g_autofree char *topic = g_strdup_printf(
                                        "%s/%s/state", app->config->topic_prefix, u->announced_id);

                        if (app->config->discovery)
                                discovery_remove_unit(app, u->announced_id);
                        (void)publisher_publish(app->publisher, topic, "", 0, app->config->qos,
                                                true);
                }
                inv = g_hash_table_lookup(app->inverters, u->parent_path);
                if (inv) {
                        inv->dirty_compat |= COMPAT_TOPIC_PARALLEL;
                        schedule_flush(app);
                }
                g_hash_table_remove(app->units, path);
        }
}

void app_properties_changed(App *app, const char *path, const char *interface, GVariant *changed,
                            const char *const *invalidated)
{
        if (g_str_equal(interface, AXPERT_INVERTER_IFACE)) {
                Inverter *inv = g_hash_table_lookup(app->inverters, path);
                GVariantIter it;
                const char *name;

                if (!inv)
                        return;
                g_variant_iter_init(&it, changed);
                while (g_variant_iter_next(&it, "{&sv}", &name, NULL)) {
                        if (g_str_equal(name, "SerialNumber"))
                                inverter_update_serial(app, inv);
                        for (size_t i = 0; i < G_N_ELEMENTS(discovery_properties); i++)
                                if (g_str_equal(name, discovery_properties[i]))
                                        inv->dirty_discovery = true;
                }
                /* An inverter cycle: all three compatible topics, "published every cycle". */
                inv->dirty_state = true;
                inv->dirty_compat = COMPAT_TOPIC_ALL;
        } else if (g_str_equal(interface, AXPERT_UNIT_IFACE)) {
                Unit *u = g_hash_table_lookup(app->units, path);
                Inverter *inv;

                if (!u)
                        return;
                u->dirty = true;
                inv = g_hash_table_lookup(app->inverters, u->parent_path);
                /* Only unit 0 feeds power/axpert. */
                if (inv && app_unit_index(u) == 0)
                        inv->dirty_compat |= COMPAT_TOPIC_PARALLEL;
        } else
                return;
        schedule_flush(app);
}

void app_daemon_changed(App *app, bool present)
{
        GHashTableIter it;
        gpointer value;

        app->daemon_present = present;
        if (present)
                return; /* the objects follow, each published in full */
        g_hash_table_iter_init(&it, app->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value))
                publish_availability(app, value, false);
}

void app_bus_lost(App *app, const char *reason)
{
        /* Not the daemon leaving (that is waited for): with the bus gone nothing can be
         * followed, and only a restart (Restart=on-failure) gets a new connection. */
        log_error("Lost the connection to the system bus: %s; exiting.", reason);
        /* What is retained must not keep saying online for inverters no longer followed. */
        app_daemon_changed(app, false);
        if (!app->exit_code)
                app->exit_code = -ECONNRESET;
        g_main_loop_quit(app->loop);
}

/* ---- MQTT events ---- */

static void on_mqtt_connected(void *userdata)
{
        App *app = userdata;
        g_autofree char *bridge =
                        g_strdup_printf("%s/bridge/availability", app->config->topic_prefix);
        GHashTableIter it;
        gpointer value;

        app_publish(app, bridge, "online", true);
        if (app->config->discovery) {
                g_autofree char *status =
                                g_strdup_printf("%s/status", app->config->discovery_prefix);

                (void)publisher_subscribe(app->publisher, status, 1);
        }
        if (app->config->commands) {
                g_autofree char *filter = commands_filter(app);

                (void)publisher_subscribe(app->publisher, filter, 1);
        }
        /* Retained state and discovery again: the broker may have restarted without them. */
        g_hash_table_iter_init(&it, app->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value))
                publish_inverter_full(app, value);
}

static void on_mqtt_message(void *userdata, const char *topic, const char *payload, size_t len,
                            bool retained)
{
        App *app = userdata;
        g_autofree char *status = g_strdup_printf("%s/status", app->config->discovery_prefix);

        if (app->config->discovery && g_str_equal(topic, status)) {
                GHashTableIter it;
                gpointer value;

                if (len != 6 || memcmp(payload, "online", 6) != 0)
                        return;
                log_info("Home Assistant came online; publishing discovery again.");
                g_hash_table_iter_init(&it, app->inverters);
                while (g_hash_table_iter_next(&it, NULL, &value))
                        publish_inverter_full(app, value);
                return;
        }
        if (app->config->commands && commands_handle(app, topic, payload, len, retained))
                return;
        log_debug("Ignoring a message on '%s'.", topic);
}

static gboolean on_signal(gpointer userdata)
{
        App *app = userdata;

        log_info("Stopping.");
        g_main_loop_quit(app->loop);
        /* Kept until app_run removes it, so that a second signal finds it too. */
        return G_SOURCE_CONTINUE;
}

App *app_new(MqttConfig *config, GError **error)
{
        g_autoptr(App) app = g_new0(App, 1);
        static const PublisherCallbacks callbacks = {
                        .connected = on_mqtt_connected,
                        .message = on_mqtt_message,
        };

        app->config = config;
        app->loop = g_main_loop_new(NULL, FALSE);
        app->inverters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, inverter_free);
        app->units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, unit_free);
        g_queue_init(&app->commands);
        app->publisher = publisher_new(config, &callbacks, app, error);
        if (!app->publisher)
                return NULL;
        return g_steal_pointer(&app);
}

App *app_free(App *app)
{
        if (!app)
                return NULL;
        if (app->flush_source)
                g_source_remove(app->flush_source);
        commands_clear(app);
        app->bridge = bridge_free(app->bridge);
        app->publisher = publisher_free(app->publisher);
        g_clear_pointer(&app->inverters, g_hash_table_destroy);
        g_clear_pointer(&app->units, g_hash_table_destroy);
        g_clear_pointer(&app->loop, g_main_loop_unref);
        g_free(app);
        return NULL;
}

int app_run(App *app)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *bridge_topic =
                        g_strdup_printf("%s/bridge/availability", app->config->topic_prefix);
        guint sigterm, sigint;

        log_info("Publishing to %s as '%s' under '%s/'.", app->config->broker,
                 app->config->client_id, app->config->topic_prefix);
        (void)publisher_start(app->publisher);

        app->bridge = bridge_new(app, &error);
        if (!app->bridge) {
                log_error("Cannot watch %s on the system bus: %s", AXPERT_BUS_NAME, error->message);
                publisher_stop(app->publisher, bridge_topic, 2000);
                return -EIO;
        }

        sigterm = g_unix_signal_add(SIGTERM, on_signal, app);
        sigint = g_unix_signal_add(SIGINT, on_signal, app);
        g_main_loop_run(app->loop);
        g_source_remove(sigterm);
        g_source_remove(sigint);

        publisher_stop(app->publisher, bridge_topic, 3000);
        return app->exit_code;
}
