/* axpert-mqtt's core: what happens on the bus becomes what is published, and when. */
#include "app.h"

#include <glib-unix.h>
#include <string.h>

#include "bridge.h"
#include "commands.h"
#include "compat-mindfreeze.h"
#include "discovery.h"
#include "energy.h"
#include "json-util.h"
#include "log.h"
#include "model.h"
#include "publisher.h"
#include "state-json.h"
#include "topic-names.h"

struct App {
        MqttConfig *config;
        GMainLoop *loop;
        Publisher *publisher;
        Bridge *bridge;
        Model *model;
        Commands *commands;        /* NULL unless [Commands] Enabled */
        GCancellable *cancellable; /* the D-Bus calls of app.c (LastUpdateTimestamp reads) */
        guint flush_source;
        int exit_code; /* what app_run returns: 0 after a signal, negative errno on a failure */
};

/* ---- publishing ---- */

static void publish(App *app, const char *topic, const char *payload, bool retain)
{
        /* Before the first connection there is nothing to keep: connecting publishes everything
         * anyway. After it, Paho buffers (bounded) while the broker is away. */
        if (!publisher_has_connected(app->publisher))
                return;
        (void)publisher_publish_string(app->publisher, topic, payload, app->config->qos, retain);
}

static void publish_json(App *app, const char *topic, JsonNode *node)
{
        g_autofree char *payload = json_util_to_string(node);

        publish(app, topic, payload, true);
}

static bool discovery_possible(App *app)
{
        return app->config->discovery && publisher_is_connected(app->publisher);
}

static void publish_offline(App *app, const char *serial)
{
        g_autofree char *topic = topic_name_availability(app->config, serial);

        publish(app, topic, "offline", true);
}

static void publish_availability(App *app, Inverter *inv, bool force)
{
        g_autofree char *topic = NULL;
        int online = model_inverter_online(app->model, inv) ? 1 : 0;

        if (!inv->serial || (!force && inv->availability == online))
                return;
        inv->availability = online;
        topic = topic_name_availability(app->config, inv->serial);
        publish(app, topic, online ? "online" : "offline", true);
}

/* <prefix>/<serial>/history/availability: online while axpert-history serves this serial. */
static void publish_energy_availability(App *app, Inverter *inv, bool force)
{
        g_autofree char *topic = NULL;
        int online = model_inverter_history(app->model, inv) ? 1 : 0;

        if (!inv->serial || (!force && inv->energy_availability == online))
                return;
        inv->energy_availability = online;
        topic = topic_name_history_availability(app->config, inv->serial);
        publish(app, topic, online ? "online" : "offline", true);
}

static void publish_energy_discovery(App *app, Inverter *inv)
{
        History *h = model_inverter_history(app->model, inv);

        if (h && discovery_possible(app))
                discovery_publish_energy(app->publisher, app->config, inv, h->proxy);
        inv->dirty_energy = false;
}

static void publish_state_with(App *app, Inverter *inv, GVariant *timestamp)
{
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *topic = NULL;
        History *h;

        if (!inv->serial)
                return;
        node = state_json_build(inv->proxy, "LastUpdateTimestamp", timestamp);
        /* The energy counters only while axpert-history serves them: absent, never zero. In
         * an object of their own, as org.axpert.Inverter has properties of the same names (the
         * firmware's own counters, in Wh) that keep their keys. */
        h = model_inverter_history(app->model, inv);
        if (h)
                state_json_add_object(node, ENERGY_STATE_MEMBER, h->proxy, energy_in_state);
        topic = topic_name_state(app->config, inv->serial);
        publish_json(app, topic, node);
}

static void on_timestamp(GObject *source, GAsyncResult *result, gpointer userdata)
{
        App *app = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GVariant) value = NULL;
        const char *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(source));
        Inverter *inv;

        reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);
        /* Cancelled: app_free ran, app is gone. */
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        inv = model_get_inverter(app->model, path);
        if (!inv)
                return; /* it vanished meanwhile */
        if (reply && g_variant_is_of_type(reply, G_VARIANT_TYPE("(v)")))
                g_variant_get(reply, "(v)", &value);
        else
                log_debug("Cannot read LastUpdateTimestamp of %s: %s", path,
                          error ? error->message : "unexpected reply type");
        publish_state_with(app, inv, value);
}

/* LastUpdateTimestamp has no change signal, so the cached value is stale: read it now. */
static void publish_state(App *app, Inverter *inv)
{
        g_autoptr(GVariant) cached = NULL;

        if (!inv->serial)
                return;
        cached = g_dbus_proxy_get_cached_property(inv->proxy, "LastUpdateTimestamp");
        if (!cached || !app->model->daemon_present) {
                publish_state_with(app, inv, NULL);
                return;
        }
        g_dbus_proxy_call(inv->proxy, "org.freedesktop.DBus.Properties.Get",
                          g_variant_new("(ss)", g_dbus_proxy_get_interface_name(inv->proxy),
                                        "LastUpdateTimestamp"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, app->cancellable, on_timestamp,
                          app);
}

static void publish_unit_state(App *app, Inverter *inv, Unit *u)
{
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *topic = NULL;

        if (!inv->serial)
                return;
        node = state_json_build(u->proxy, NULL, NULL);
        topic = topic_name_unit_state(app->config, inv->serial, model_unit_index(u));
        publish_json(app, topic, node);
        u->dirty = false;
}

static void publish_unit_discovery(App *app, Inverter *inv, Unit *u)
{
        if (!inv->serial)
                return;
        if (discovery_possible(app))
                discovery_publish_unit(app->publisher, app->config, inv, u);
        g_free(u->announced_serial);
        u->announced_serial = g_strdup(inv->serial);
        u->announced_index = model_unit_index(u);
}

/* The hassio-axpert topics in mask (CompatTopic bits). */
static void publish_compat(App *app, Inverter *inv, unsigned mask)
{
        Unit *unit0 = model_inverter_unit(app->model, inv, 0);
        GDBusProxy *unit0_proxy = unit0 ? unit0->proxy : NULL;

        if (mask & COMPAT_TOPIC_PARALLEL) {
                g_autofree char *topic = topic_name_compat_parallel(app->config);
                g_autoptr(JsonNode) node =
                                compat_build(COMPAT_TOPIC_PARALLEL, inv->proxy, unit0_proxy);

                publish_json(app, topic, node);
        }
        if (mask & COMPAT_TOPIC_INVERTER) {
                g_autofree char *topic = topic_name_compat_inverter(app->config, inv->serial);
                g_autoptr(JsonNode) node = compat_build(COMPAT_TOPIC_INVERTER, inv->proxy, NULL);

                publish_json(app, topic, node);
        }
        if (mask & COMPAT_TOPIC_SETTINGS) {
                g_autofree char *topic = topic_name_compat_settings(app->config);
                g_autoptr(JsonNode) node = compat_build(COMPAT_TOPIC_SETTINGS, inv->proxy, NULL);

                publish_json(app, topic, node);
        }
}

/* Everything about one inverter, as after a (re)connect. */
static void publish_inverter_full(App *app, Inverter *inv)
{
        g_autoptr(GPtrArray) units = NULL;

        if (!inv->serial)
                return;
        publish_availability(app, inv, true);
        publish_energy_availability(app, inv, true);
        if (discovery_possible(app))
                discovery_publish_inverter(app->publisher, app->config, inv);
        publish_energy_discovery(app, inv);
        publish_state(app, inv);
        units = model_inverter_units(app->model, inv);
        for (guint i = 0; i < units->len; i++) {
                publish_unit_discovery(app, inv, units->pdata[i]);
                publish_unit_state(app, inv, units->pdata[i]);
        }
        if (app->config->mindfreeze && model_inverter_online(app->model, inv))
                publish_compat(app, inv, COMPAT_TOPIC_ALL);
        inv->dirty_state = inv->dirty_discovery = inv->dirty_controls = false;
        inv->dirty_compat = 0;
}

static void publish_all(App *app)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, app->model->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value))
                publish_inverter_full(app, value);
}

static gboolean on_flush(gpointer userdata)
{
        App *app = userdata;
        GHashTableIter it;
        gpointer value;

        app->flush_source = 0;
        g_hash_table_iter_init(&it, app->model->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Inverter *inv = value;
                g_autoptr(GPtrArray) units = NULL;

                if (!inv->serial)
                        continue;
                publish_availability(app, inv, false);
                publish_energy_availability(app, inv, false);
                /* The energy sensors carry the device block too. */
                if (inv->dirty_energy || inv->dirty_discovery)
                        publish_energy_discovery(app, inv);
                if (inv->dirty_discovery && discovery_possible(app))
                        discovery_publish_inverter(app->publisher, app->config, inv);
                else if (inv->dirty_controls && app->config->commands && discovery_possible(app))
                        discovery_publish_controls(app->publisher, app->config, inv);
                if (inv->dirty_state)
                        publish_state(app, inv);
                units = model_inverter_units(app->model, inv);
                for (guint i = 0; i < units->len; i++) {
                        Unit *u = units->pdata[i];

                        if (!u->announced_serial)
                                publish_unit_discovery(app, inv, u);
                        if (u->dirty)
                                publish_unit_state(app, inv, u);
                }
                /* A compatible consumer cannot see availability: nothing stale goes there. */
                if (inv->dirty_compat && app->config->mindfreeze &&
                    model_inverter_online(app->model, inv))
                        publish_compat(app, inv, inv->dirty_compat);
                inv->dirty_state = inv->dirty_discovery = inv->dirty_controls = false;
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

/* ---- bus events (BridgeCallbacks) ---- */

static void inverter_update_serial(App *app, Inverter *inv)
{
        g_autofree char *raw = proxy_get_string(inv->proxy, "SerialNumber");
        g_autofree char *serial = topic_name_serial(raw);

        if (g_strcmp0(serial, inv->serial) == 0)
                return;
        /* A different inverter on the same connection: the old one is gone. */
        if (inv->serial)
                publish_offline(app, inv->serial);
        g_free(inv->serial);
        inv->serial = g_steal_pointer(&serial);
        /* What was published under the old serial says nothing about the new one's topics. */
        g_hash_table_remove_all(inv->controls);
        if (inv->serial)
                log_info("Inverter %s has serial number %s.", inv->object_path, inv->serial);
        inv->availability = -1;
        inv->energy_availability = -1;
        publish_inverter_full(app, inv);
}

static void on_inverter_added(void *userdata, const char *path, GDBusProxy *proxy)
{
        App *app = userdata;
        Inverter *inv;

        /* Objects only come from a present daemon (the name-owner notify may come later). */
        app->model->daemon_present = true;
        inv = model_add_inverter(app->model, path, proxy);
        log_info("Inverter %s appeared.", path);
        inverter_update_serial(app, inv);
}

static void on_inverter_removed(void *userdata, const char *path)
{
        App *app = userdata;
        Inverter *inv = model_get_inverter(app->model, path);

        if (!inv)
                return;
        log_info("Inverter %s vanished.", path);
        /* After the daemon vanished, its offline was published already. */
        if (inv->serial && inv->availability != 0)
                publish_offline(app, inv->serial);
        model_remove_inverter(app->model, path);
}

static void on_inverter_changed(void *userdata, const char *path, GVariant *changed)
{
        App *app = userdata;
        Inverter *inv = model_get_inverter(app->model, path);
        GVariantIter it;
        const char *name;

        if (!inv)
                return;
        g_variant_iter_init(&it, changed);
        while (g_variant_iter_next(&it, "{&sv}", &name, NULL)) {
                if (g_str_equal(name, "SerialNumber"))
                        inverter_update_serial(app, inv);
                if (discovery_depends_on(name))
                        inv->dirty_discovery = true;
                if (discovery_controls_depend_on(name))
                        inv->dirty_controls = true;
        }
        /* An inverter cycle: all three compatible topics, "published every cycle". */
        inv->dirty_state = true;
        inv->dirty_compat = COMPAT_TOPIC_ALL;
        schedule_flush(app);
}

static void on_unit_added(void *userdata, const char *path, GDBusProxy *proxy)
{
        App *app = userdata;
        Unit *u;
        Inverter *inv;

        app->model->daemon_present = true;
        u = model_add_unit(app->model, path, proxy);
        u->dirty = true;
        log_info("Parallel unit %s appeared.", path);

        inv = model_unit_inverter(app->model, u);
        if (inv)
                inv->dirty_compat |= COMPAT_TOPIC_PARALLEL;
        schedule_flush(app);
}

static void on_unit_removed(void *userdata, const char *path)
{
        App *app = userdata;
        Unit *u = model_get_unit(app->model, path);
        Inverter *inv;

        if (!u)
                return;
        log_info("Parallel unit %s vanished.", path);
        /* A unit that left a running system is gone for good: drop its entities and state.
         * When the whole daemon went away, keep them (availability says why). */
        if (app->model->daemon_present && u->announced_serial) {
                g_autofree char *topic = topic_name_unit_state(app->config, u->announced_serial,
                                                               u->announced_index);

                if (app->config->discovery)
                        discovery_remove_unit(app->publisher, app->config, u->announced_serial,
                                              u->announced_index);
                (void)publisher_publish(app->publisher, topic, "", 0, app->config->qos, true);
        }
        inv = model_unit_inverter(app->model, u);
        if (inv) {
                inv->dirty_compat |= COMPAT_TOPIC_PARALLEL;
                schedule_flush(app);
        }
        model_remove_unit(app->model, path);
}

static void on_unit_changed(void *userdata, const char *path)
{
        App *app = userdata;
        Unit *u = model_get_unit(app->model, path);
        Inverter *inv;

        if (!u)
                return;
        u->dirty = true;
        inv = model_unit_inverter(app->model, u);
        /* Only unit 0 feeds power/axpert. */
        if (inv && model_unit_index(u) == 0)
                inv->dirty_compat |= COMPAT_TOPIC_PARALLEL;
        schedule_flush(app);
}

static void on_daemon_changed(void *userdata, bool present)
{
        App *app = userdata;
        GHashTableIter it;
        gpointer value;

        app->model->daemon_present = present;
        if (present)
                return; /* the objects follow, each published in full */
        g_hash_table_iter_init(&it, app->model->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value))
                publish_availability(app, value, false);
}

/* The inverter whose serial a History object has, if any: only those are published. */
static Inverter *history_inverter(App *app, const History *h)
{
        return h->serial ? model_find_inverter_by_serial(app->model, h->serial) : NULL;
}

static void history_update_serial(App *app, History *h)
{
        g_autofree char *raw = proxy_get_string(h->proxy, AXPERT_HISTORY_PROPERTY_SERIAL_NUMBER);
        g_autofree char *serial = topic_name_serial(raw);
        Inverter *inv;

        if (g_strcmp0(serial, h->serial) == 0)
                return;
        /* The inverter of the old serial loses these counters (its next state lacks them). */
        inv = history_inverter(app, h);
        if (inv)
                inv->dirty_state = true;
        g_free(h->serial);
        h->serial = g_steal_pointer(&serial);
        inv = history_inverter(app, h);
        if (inv) {
                log_info("Energy counters for %s from %s.", h->serial, h->object_path);
                inv->dirty_energy = inv->dirty_state = true;
        } else
                /* Recorded earlier, or another host's inverter: nothing to publish it under. */
                log_debug("History %s has serial number %s, which no inverter here has.",
                          h->object_path, h->serial ? h->serial : "(none)");
        schedule_flush(app);
}

static void on_history_service_changed(void *userdata, bool present)
{
        App *app = userdata;
        GHashTableIter it;
        gpointer value;

        app->model->history_present = present;
        if (present)
                return; /* its objects follow (or came already), each published */
        /* Gone (or restarting): its counters become unavailable, never zero; the state that
         * follows has none of them. */
        g_hash_table_iter_init(&it, app->model->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Inverter *inv = value;
                bool had = inv->energy_availability == 1;

                publish_energy_availability(app, inv, false);
                if (had)
                        inv->dirty_state = true;
        }
        schedule_flush(app);
}

static void on_history_added(void *userdata, const char *path, GDBusProxy *proxy)
{
        App *app = userdata;
        History *h;

        /* Objects only come from a present service (the name-owner notify may come later). */
        app->model->history_present = true;
        h = model_add_history(app->model, path, proxy);
        log_debug("History %s appeared.", path);
        history_update_serial(app, h);
}

static void on_history_removed(void *userdata, const char *path)
{
        App *app = userdata;
        History *h = model_get_history(app->model, path);
        Inverter *inv;

        if (!h)
                return;
        log_debug("History %s vanished.", path);
        inv = history_inverter(app, h);
        model_remove_history(app->model, path);
        if (inv) {
                inv->dirty_state = true;
                schedule_flush(app);
        }
}

static void on_history_changed(void *userdata, const char *path, GVariant *changed)
{
        App *app = userdata;
        History *h = model_get_history(app->model, path);
        GVariantIter it;
        const char *name;
        Inverter *inv;

        if (!h)
                return;
        g_variant_iter_init(&it, changed);
        while (g_variant_iter_next(&it, "{&sv}", &name, NULL)) {
                if (g_str_equal(name, AXPERT_HISTORY_PROPERTY_SERIAL_NUMBER))
                        history_update_serial(app, h);
                /* Counters (at most once a minute) and their source: a state with them. Other
                 * properties (LastSampleTimestamp, Fields) are not published. */
                else if (energy_in_state(name) && (inv = history_inverter(app, h))) {
                        inv->dirty_state = true;
                        schedule_flush(app);
                }
        }
}

static void on_bus_lost(void *userdata, const char *reason)
{
        App *app = userdata;

        /* Not the daemon leaving (that is waited for): with the bus gone nothing can be
         * followed, and only a restart (Restart=on-failure) gets a new connection. */
        log_error("Lost the connection to the system bus: %s; exiting.", reason);
        /* What is retained must not keep saying online for inverters no longer followed. */
        on_daemon_changed(app, false);
        on_history_service_changed(app, false);
        if (!app->exit_code)
                app->exit_code = -ECONNRESET;
        g_main_loop_quit(app->loop);
}

/* ---- MQTT events (PublisherCallbacks) ---- */

static void on_mqtt_connected(void *userdata)
{
        App *app = userdata;
        g_autofree char *bridge = topic_name_bridge_availability(app->config);

        publish(app, bridge, "online", true);
        if (app->config->discovery) {
                g_autofree char *status = topic_name_ha_status(app->config);

                (void)publisher_subscribe(app->publisher, status, 1);
        }
        if (app->commands) {
                g_autofree char *filter = topic_name_command_filter(app->config);

                (void)publisher_subscribe(app->publisher, filter, 1);
        }
        /* Retained state and discovery again: the broker may have restarted without them. */
        publish_all(app);
}

static void on_mqtt_message(void *userdata, const char *topic, const char *payload, size_t len,
                            bool retained)
{
        App *app = userdata;
        g_autofree char *status = topic_name_ha_status(app->config);

        if (app->config->discovery && g_str_equal(topic, status)) {
                if (len != 6 || memcmp(payload, "online", 6) != 0)
                        return;
                log_info("Home Assistant came online; publishing discovery again.");
                publish_all(app);
                return;
        }
        if (app->commands && commands_handle(app->commands, topic, payload, len, retained))
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
        app->model = model_new();
        app->cancellable = g_cancellable_new();
        app->publisher = publisher_new(config, &callbacks, app, error);
        if (!app->publisher)
                return NULL;
        if (config->commands)
                app->commands = commands_new(config, app->publisher, app->model);
        return g_steal_pointer(&app);
}

App *app_free(App *app)
{
        if (!app)
                return NULL;
        if (app->flush_source)
                g_source_remove(app->flush_source);
        if (app->cancellable) {
                g_cancellable_cancel(app->cancellable);
                g_object_unref(app->cancellable);
        }
        app->commands = commands_free(app->commands);
        app->bridge = bridge_free(app->bridge);
        app->publisher = publisher_free(app->publisher);
        app->model = model_free(app->model);
        g_clear_pointer(&app->loop, g_main_loop_unref);
        g_free(app);
        return NULL;
}

int app_run(App *app)
{
        static const BridgeCallbacks callbacks = {
                        .daemon_changed = on_daemon_changed,
                        .inverter_added = on_inverter_added,
                        .inverter_removed = on_inverter_removed,
                        .inverter_changed = on_inverter_changed,
                        .unit_added = on_unit_added,
                        .unit_removed = on_unit_removed,
                        .unit_changed = on_unit_changed,
                        .history_service_changed = on_history_service_changed,
                        .history_added = on_history_added,
                        .history_removed = on_history_removed,
                        .history_changed = on_history_changed,
                        .bus_lost = on_bus_lost,
        };
        g_autoptr(GError) error = NULL;
        guint sigterm, sigint;

        log_info("Publishing to %s as '%s' under '%s/'.", app->config->broker,
                 app->config->client_id, app->config->topic_prefix);
        (void)publisher_start(app->publisher);

        app->bridge = bridge_new(&callbacks, app, &error);
        if (!app->bridge) {
                log_error("Cannot watch %s on the system bus: %s", AXPERT_BUS_NAME, error->message);
                publisher_stop(app->publisher, 2000);
                return -EIO;
        }

        sigterm = g_unix_signal_add(SIGTERM, on_signal, app);
        sigint = g_unix_signal_add(SIGINT, on_signal, app);
        g_main_loop_run(app->loop);
        g_source_remove(sigterm);
        g_source_remove(sigint);

        publisher_stop(app->publisher, 3000);
        return app->exit_code;
}
