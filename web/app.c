/* axpert-web's bus side: the daemon's objects mirrored from PropertiesChanged (never a request
 * waiting on the inverter), the native state built once per change, and the event diffs. */
#include "app.h"

#include <glib-unix.h>
#include <string.h>

#include "bridge.h"
#include "godenerg.h"
#include "json-util.h"
#include "log.h"
#include "model.h"
#include "state-json.h"

static void inverter_free(gpointer data)
{
        WebInverter *inv = data;

        g_free(inv->object_path);
        g_clear_object(&inv->proxy);
        g_free(inv->serial);
        g_clear_pointer(&inv->state, json_object_unref);
        g_clear_pointer(&inv->state_text, g_bytes_unref);
        for (size_t i = 0; i < G_N_ELEMENTS(inv->cmds_text); i++)
                g_clear_pointer(&inv->cmds_text[i], g_bytes_unref);
        g_clear_pointer(&inv->state_event, g_bytes_unref);
        g_free(inv);
}

bool web_inverter_online(Web *w, WebInverter *inv)
{
        return w->daemon_present && proxy_get_bool(inv->proxy, "Online");
}

WebInverter *web_find_inverter(Web *w, const char *serial)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, w->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                WebInverter *inv = value;

                if (inv->serial && g_str_equal(inv->serial, serial))
                        return inv;
        }
        return NULL;
}

static gint compare_inverters(gconstpointer a, gconstpointer b)
{
        const WebInverter *x = *(WebInverter **)a, *y = *(WebInverter **)b;

        return strcmp(x->object_path, y->object_path);
}

GPtrArray *web_inverters_sorted(Web *w)
{
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, w->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (((WebInverter *)value)->serial)
                        g_ptr_array_add(a, value);
        g_ptr_array_sort(a, compare_inverters);
        return a;
}

guint web_unit_index(GDBusProxy *unit)
{
        bool found;
        guint64 index = proxy_get_uint(unit, "Index", &found);
        const char *path = g_dbus_proxy_get_object_path(unit);
        const char *p = strrchr(path, '/');

        if (found)
                return (guint)index;
        if (p && g_str_has_prefix(p, "/unit"))
                return (guint)g_ascii_strtoull(p + 5, NULL, 10);
        return 0;
}

static gint compare_units(gconstpointer a, gconstpointer b)
{
        guint ia = web_unit_index(*(GDBusProxy **)a), ib = web_unit_index(*(GDBusProxy **)b);

        return ia < ib ? -1 : ia > ib;
}

GPtrArray *web_inverter_units(Web *w, WebInverter *inv)
{
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer key, value;
        size_t n = strlen(inv->object_path);

        g_hash_table_iter_init(&it, w->units);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                const char *path = key;

                if (strncmp(path, inv->object_path, n) == 0 && path[n] == '/' &&
                    !strchr(path + n + 1, '/'))
                        g_ptr_array_add(a, value);
        }
        g_ptr_array_sort(a, compare_units);
        return a;
}

/* Builds the native state (axpert-mqtt's state topic: the same function) and its text. */
static void inverter_build(WebInverter *inv)
{
        g_autoptr(JsonNode) node = state_json_build(inv->proxy, NULL, NULL);
        g_autofree char *text = json_util_to_string(node);
        gsize len = strlen(text);

        g_clear_pointer(&inv->state, json_object_unref);
        inv->state = json_object_ref(json_node_get_object(node));
        g_clear_pointer(&inv->state_text, g_bytes_unref);
        inv->state_text = g_bytes_new_take(g_steal_pointer(&text), len);
        for (size_t i = 0; i < G_N_ELEMENTS(inv->cmds_text); i++)
                g_clear_pointer(&inv->cmds_text[i], g_bytes_unref);
        g_clear_pointer(&inv->state_event, g_bytes_unref);
        inv->dirty = false;
}

GBytes *web_inverter_cmds_text(Web *w, WebInverter *inv, guint index)
{
        g_assert(index < G_N_ELEMENTS(inv->cmds_text));
        if (!inv->cmds_text[index]) {
                g_autoptr(JsonNode) node = godenerg_build(godenerg_commands[index], inv->proxy);
                char *text = json_util_to_string(node);

                inv->cmds_text[index] = g_bytes_new_take(text, strlen(text));
        }
        return inv->cmds_text[index];
}

GBytes *web_inverter_state_text(Web *w, WebInverter *inv)
{
        if (!inv->state_text)
                inverter_build(inv);
        return inv->state_text;
}

static char *event_data(const char *serial, const char *member, JsonNode *value)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "serial");
        json_builder_add_string_value(b, serial);
        if (member) {
                json_builder_set_member_name(b, member);
                json_builder_add_value(b, json_node_copy(value));
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        return json_util_to_string(root);
}

void web_send_state_event(Web *w, WebInverter *inv)
{
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
        g_autofree char *data = NULL;

        if (!inv->serial)
                return;
        if (!inv->state)
                inverter_build(inv);
        json_node_set_object(node, inv->state);
        data = event_data(inv->serial, "state", node);
        events_broadcast(w, "state", data);
}

/* Rebuilds inv's state and sends the keys whose JSON text changed as one "change" event. */
static void inverter_publish_changes(Web *w, WebInverter *inv)
{
        g_autoptr(JsonObject) old = inv->state ? json_object_ref(inv->state) : NULL;
        g_autoptr(JsonObject) changes = json_object_new();
        g_autoptr(GList) members = NULL;
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
        g_autofree char *data = NULL;

        inverter_build(inv);
        if (!inv->serial)
                return;
        members = json_object_get_members(inv->state);
        for (GList *l = members; l; l = l->next) {
                JsonNode *now = json_object_get_member(inv->state, l->data);
                JsonNode *before = old ? json_object_get_member(old, l->data) : NULL;
                g_autofree char *a = json_util_to_string(now);
                g_autofree char *b = before ? json_util_to_string(before) : NULL;

                if (!b || !g_str_equal(a, b))
                        json_object_set_member(changes, l->data, json_node_copy(now));
        }
        if (json_object_get_size(changes) == 0)
                return;
        json_node_set_object(node, changes);
        data = event_data(inv->serial, "changes", node);
        events_broadcast(w, "change", data);
}

static void inverter_refresh(Web *w, WebInverter *inv);

/* The inverter a unit object belongs to (its parent path), or NULL. */
static WebInverter *unit_inverter(Web *w, const char *path)
{
        const char *slash = strrchr(path, '/');
        g_autofree char *parent = slash ? g_strndup(path, (gsize)(slash - path)) : NULL;

        return parent ? g_hash_table_lookup(w->inverters, parent) : NULL;
}

char *web_unit_event_data(WebInverter *inv, GDBusProxy *unit)
{
        g_autoptr(JsonNode) state = state_json_build(unit, NULL, NULL);
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "serial");
        json_builder_add_string_value(b, inv->serial);
        json_builder_set_member_name(b, "unit");
        json_builder_add_int_value(b, web_unit_index(unit));
        json_builder_set_member_name(b, "state");
        json_builder_add_value(b, g_steal_pointer(&state));
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        return json_util_to_string(root);
}

static void unit_publish(Web *w, const char *path, GDBusProxy *unit)
{
        WebInverter *inv = unit_inverter(w, path);
        g_autofree char *data = NULL;

        if (!inv || !inv->serial)
                return;
        data = web_unit_event_data(inv, unit);
        events_broadcast(w, "unit", data);
}

static void on_timestamp(GObject *source, GAsyncResult *result, gpointer userdata)
{
        Web *w = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GVariant) value = NULL;
        const char *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(source));
        WebInverter *inv;

        reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return; /* w is gone */
        inv = g_hash_table_lookup(w->inverters, path);
        if (!inv || inv->proxy != G_DBUS_PROXY(source))
                return;
        inv->refreshing = false;
        if (reply && g_variant_is_of_type(reply, G_VARIANT_TYPE("(v)"))) {
                g_variant_get(reply, "(v)", &value);
                /* It has no change signal: the cache holds what GetAll said at the start. */
                g_dbus_proxy_set_cached_property(inv->proxy, "LastUpdateTimestamp", value);
        } else
                log_debug("Cannot read LastUpdateTimestamp of %s: %s", path,
                          error ? error->message : "unexpected reply type");
        inverter_publish_changes(w, inv);
        if (inv->dirty)
                inverter_refresh(w, inv);
}

/* A cycle changed something: read the timestamp (asynchronously), then diff and send. */
static void inverter_refresh(Web *w, WebInverter *inv)
{
        if (inv->refreshing)
                return; /* on_timestamp sees dirty and comes back */
        inv->dirty = false;
        if (!w->daemon_present) {
                inverter_publish_changes(w, inv);
                return;
        }
        inv->refreshing = true;
        g_dbus_proxy_call(inv->proxy, "org.freedesktop.DBus.Properties.Get",
                          g_variant_new("(ss)", g_dbus_proxy_get_interface_name(inv->proxy),
                                        "LastUpdateTimestamp"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, w->cancellable, on_timestamp, w);
}

static gboolean on_flush(gpointer userdata)
{
        Web *w = userdata;
        GHashTableIter it;
        gpointer key, value;

        w->flush_source = 0;
        g_hash_table_iter_init(&it, w->dirty_units);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
                GDBusProxy *unit = g_hash_table_lookup(w->units, key);

                if (unit)
                        unit_publish(w, key, unit);
        }
        g_hash_table_remove_all(w->dirty_units);
        g_hash_table_iter_init(&it, w->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                WebInverter *inv = value;

                if (inv->dirty)
                        inverter_refresh(w, inv);
        }
        return G_SOURCE_REMOVE;
}

/* Coalesces the signals of one poll cycle into one event: runs when the loop is idle. */
static void schedule_flush(Web *w)
{
        if (!w->flush_source)
                w->flush_source = g_idle_add(on_flush, w);
}

static void inverter_update_serial(Web *w, WebInverter *inv)
{
        g_autofree char *serial = proxy_get_string(inv->proxy, "SerialNumber");

        if (serial && !*serial)
                g_clear_pointer(&serial, g_free);
        if (g_strcmp0(serial, inv->serial) == 0)
                return;
        if (inv->serial) {
                g_autofree char *data = event_data(inv->serial, NULL, NULL);

                events_broadcast(w, "removed", data);
        }
        g_free(inv->serial);
        inv->serial = g_steal_pointer(&serial);
        if (inv->serial) {
                log_info("Inverter %s has serial number %s.", inv->object_path, inv->serial);
                inverter_build(inv);
                web_send_state_event(w, inv);
        }
}

static void on_daemon_changed(void *userdata, bool present)
{
        Web *w = userdata;
        g_autofree char *data = g_strdup_printf("{\"present\":%s}", present ? "true" : "false");

        if (w->daemon_present == present)
                return;
        w->daemon_present = present;
        events_broadcast(w, "daemon", data);
}

static void on_inverter_added(void *userdata, const char *path, GDBusProxy *proxy)
{
        Web *w = userdata;
        WebInverter *inv = g_new0(WebInverter, 1);

        /* Objects only come from a present daemon (the name-owner notify may come later). */
        on_daemon_changed(w, true);
        inv->object_path = g_strdup(path);
        inv->proxy = g_object_ref(proxy);
        g_hash_table_replace(w->inverters, inv->object_path, inv);
        log_info("Inverter %s appeared.", path);
        inverter_update_serial(w, inv);
}

static void on_inverter_removed(void *userdata, const char *path)
{
        Web *w = userdata;
        WebInverter *inv = g_hash_table_lookup(w->inverters, path);

        if (!inv)
                return;
        log_info("Inverter %s vanished.", path);
        if (inv->serial) {
                g_autofree char *data = event_data(inv->serial, NULL, NULL);

                events_broadcast(w, "removed", data);
        }
        g_hash_table_remove(w->inverters, path);
}

static void on_inverter_changed(void *userdata, const char *path, GVariant *changed)
{
        Web *w = userdata;
        WebInverter *inv = g_hash_table_lookup(w->inverters, path);
        g_autoptr(GVariant) serial = NULL;

        if (!inv)
                return;
        serial = g_variant_lookup_value(changed, "SerialNumber", NULL);
        if (serial)
                inverter_update_serial(w, inv);
        inv->dirty = true;
        schedule_flush(w);
}

static void on_unit_added(void *userdata, const char *path, GDBusProxy *proxy)
{
        Web *w = userdata;

        on_daemon_changed(w, true);
        g_hash_table_replace(w->units, g_strdup(path), g_object_ref(proxy));
        g_hash_table_add(w->dirty_units, g_strdup(path));
        schedule_flush(w);
}

static void on_unit_removed(void *userdata, const char *path)
{
        Web *w = userdata;
        GDBusProxy *unit = g_hash_table_lookup(w->units, path);
        WebInverter *inv = unit_inverter(w, path);

        if (unit && inv && inv->serial) {
                g_autoptr(JsonNode) serial = json_node_new(JSON_NODE_VALUE);
                g_autofree char *quoted = NULL;
                g_autofree char *data = NULL;

                json_node_set_string(serial, inv->serial);
                quoted = json_to_string(serial, FALSE);
                data = g_strdup_printf("{\"serial\":%s,\"unit\":%u}", quoted, web_unit_index(unit));

                events_broadcast(w, "unit-removed", data);
        }
        g_hash_table_remove(w->dirty_units, path);
        g_hash_table_remove(w->units, path);
}

static void on_unit_changed(void *userdata, const char *path)
{
        Web *w = userdata;

        g_hash_table_add(w->dirty_units, g_strdup(path));
        schedule_flush(w);
}

static void on_bus_lost(void *userdata, const char *reason)
{
        Web *w = userdata;

        /* With the bus gone nothing can be followed; Restart=on-failure gets a new one. */
        log_error("Lost the connection to the system bus: %s; exiting.", reason);
        if (!w->exit_code)
                w->exit_code = -ECONNRESET;
        g_main_loop_quit(w->loop);
}

static gboolean on_signal(gpointer userdata)
{
        Web *w = userdata;

        log_info("Stopping.");
        g_main_loop_quit(w->loop);
        return G_SOURCE_CONTINUE;
}

Web *web_new(WebConfig *config)
{
        Web *w = g_new0(Web, 1);

        w->config = config;
        w->loop = g_main_loop_new(NULL, FALSE);
        w->inverters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, inverter_free);
        w->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
        w->dirty_units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        w->cancellable = g_cancellable_new();
        return w;
}

Web *web_free(Web *w)
{
        if (!w)
                return NULL;
        if (w->flush_source)
                g_source_remove(w->flush_source);
        g_cancellable_cancel(w->cancellable);
        server_stop(w);
        events_stop(w);
        history_stop(w);
        w->bridge = bridge_free(w->bridge);
        g_clear_pointer(&w->inverters, g_hash_table_destroy);
        g_clear_pointer(&w->units, g_hash_table_destroy);
        g_clear_pointer(&w->dirty_units, g_hash_table_destroy);
        g_clear_object(&w->bus);
        g_clear_object(&w->cancellable);
        g_clear_pointer(&w->loop, g_main_loop_unref);
        g_free(w);
        return NULL;
}

int web_run(Web *w)
{
        static const BridgeCallbacks callbacks = {
                        .daemon_changed = on_daemon_changed,
                        .inverter_added = on_inverter_added,
                        .inverter_removed = on_inverter_removed,
                        .inverter_changed = on_inverter_changed,
                        .unit_added = on_unit_added,
                        .unit_removed = on_unit_removed,
                        .unit_changed = on_unit_changed,
                        .bus_lost = on_bus_lost,
        };
        g_autoptr(GError) error = NULL;
        guint sigterm, sigint;
        int r;

        w->bridge = bridge_new(&callbacks, w, &error);
        if (!w->bridge) {
                log_error("Cannot watch %s on the system bus: %s", AXPERT_BUS_NAME, error->message);
                return -EIO;
        }
        w->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!w->bus) {
                log_error("Cannot connect to the system bus: %s", error->message);
                return -EIO;
        }
        history_start(w);
        events_start(w);
        r = server_start(w, &error);
        if (r < 0) {
                log_error("%s", error->message);
                return r;
        }

        sigterm = g_unix_signal_add(SIGTERM, on_signal, w);
        sigint = g_unix_signal_add(SIGINT, on_signal, w);
        g_main_loop_run(w->loop);
        g_source_remove(sigterm);
        g_source_remove(sigint);
        return w->exit_code;
}
