/* Follows the daemon on the bus: devices and units appearing and vanishing (ObjectManager
 * signals), their PropertiesChanged, the daemon itself coming and going (name owner), the same
 * for axpert-history's objects, and the bus connection itself closing; each reported through
 * the BridgeCallbacks. */
#include "bridge.h"

#include "energy.h"
#include "log.h"

struct Bridge {
        BridgeCallbacks callbacks;
        void *userdata;
        GDBusConnection *connection;
        GDBusObjectManager *manager;
        GDBusObjectManager *history_manager; /* org.axpert.History's; NULL if not watched */
};

/* history: the object is org.axpert.History's (its manager serves nothing else). */
static void add_interface(Bridge *b, bool history, GDBusObject *object, GDBusInterface *iface)
{
        GDBusProxy *proxy = G_DBUS_PROXY(iface);
        const char *name = g_dbus_proxy_get_interface_name(proxy);
        const char *path = g_dbus_object_get_object_path(object);

        if (history) {
                if (g_str_equal(name, AXPERT_HISTORY_INTERFACE) && b->callbacks.history_added)
                        b->callbacks.history_added(b->userdata, path, proxy);
        } else if (g_str_equal(name, AXPERT_INVERTER_IFACE) && b->callbacks.inverter_added)
                b->callbacks.inverter_added(b->userdata, path, proxy);
        else if (g_str_equal(name, AXPERT_UNIT_IFACE) && b->callbacks.unit_added)
                b->callbacks.unit_added(b->userdata, path, proxy);
}

static void remove_interface(Bridge *b, bool history, GDBusObject *object, GDBusInterface *iface)
{
        const char *name = g_dbus_proxy_get_interface_name(G_DBUS_PROXY(iface));
        const char *path = g_dbus_object_get_object_path(object);

        if (history) {
                if (g_str_equal(name, AXPERT_HISTORY_INTERFACE) && b->callbacks.history_removed)
                        b->callbacks.history_removed(b->userdata, path);
        } else if (g_str_equal(name, AXPERT_INVERTER_IFACE) && b->callbacks.inverter_removed)
                b->callbacks.inverter_removed(b->userdata, path);
        else if (g_str_equal(name, AXPERT_UNIT_IFACE) && b->callbacks.unit_removed)
                b->callbacks.unit_removed(b->userdata, path);
}

static bool is_history(Bridge *b, gpointer manager)
{
        return b->history_manager && manager == (gpointer)b->history_manager;
}

static void add_object(Bridge *b, bool history, GDBusObject *object)
{
        GList *ifaces = g_dbus_object_get_interfaces(object);

        for (GList *l = ifaces; l; l = l->next)
                add_interface(b, history, object, l->data);
        g_list_free_full(ifaces, g_object_unref);
}

static void on_object_added(GDBusObjectManager *m, GDBusObject *object, gpointer userdata)
{
        add_object(userdata, is_history(userdata, m), object);
}

static void on_object_removed(GDBusObjectManager *m, GDBusObject *object, gpointer userdata)
{
        GList *ifaces = g_dbus_object_get_interfaces(object);

        for (GList *l = ifaces; l; l = l->next)
                remove_interface(userdata, is_history(userdata, m), object, l->data);
        g_list_free_full(ifaces, g_object_unref);
}

static void on_interface_added(GDBusObjectManager *m, GDBusObject *object, GDBusInterface *iface,
                               gpointer userdata)
{
        add_interface(userdata, is_history(userdata, m), object, iface);
}

static void on_interface_removed(GDBusObjectManager *m, GDBusObject *object, GDBusInterface *iface,
                                 gpointer userdata)
{
        remove_interface(userdata, is_history(userdata, m), object, iface);
}

static void on_properties_changed(GDBusObjectManagerClient *m, GDBusObjectProxy *object,
                                  GDBusProxy *proxy, GVariant *changed,
                                  const char *const *invalidated, gpointer userdata)
{
        Bridge *b = userdata;
        const char *name = g_dbus_proxy_get_interface_name(proxy);
        const char *path = g_dbus_object_get_object_path(G_DBUS_OBJECT(object));

        if (is_history(b, m)) {
                if (g_str_equal(name, AXPERT_HISTORY_INTERFACE) && b->callbacks.history_changed)
                        b->callbacks.history_changed(b->userdata, path, changed);
        } else if (g_str_equal(name, AXPERT_INVERTER_IFACE) && b->callbacks.inverter_changed)
                b->callbacks.inverter_changed(b->userdata, path, changed);
        else if (g_str_equal(name, AXPERT_UNIT_IFACE) && b->callbacks.unit_changed)
                b->callbacks.unit_changed(b->userdata, path);
}

static void on_name_owner(GObject *object, GParamSpec *pspec, gpointer userdata)
{
        Bridge *b = userdata;
        g_autofree char *owner = g_dbus_object_manager_client_get_name_owner(
                        G_DBUS_OBJECT_MANAGER_CLIENT(object));

        if (is_history(b, object)) {
                log_info("%s %s the bus.", HISTORY_BUS_NAME,
                         owner ? "appeared on" : "vanished from");
                if (b->callbacks.history_service_changed)
                        b->callbacks.history_service_changed(b->userdata, owner != NULL);
                return;
        }
        log_info("%s %s the bus.", AXPERT_BUS_NAME, owner ? "appeared on" : "vanished from");
        if (b->callbacks.daemon_changed)
                b->callbacks.daemon_changed(b->userdata, owner != NULL);
}

/* The daemon leaving is the name owner changing (above); this is the bus itself going away
 * (dbus-daemon restarted or killed), after which nothing can be followed any more. */
static void connect_manager(Bridge *b, GDBusObjectManager *m)
{
        g_signal_connect(m, "object-added", G_CALLBACK(on_object_added), b);
        g_signal_connect(m, "object-removed", G_CALLBACK(on_object_removed), b);
        g_signal_connect(m, "interface-added", G_CALLBACK(on_interface_added), b);
        g_signal_connect(m, "interface-removed", G_CALLBACK(on_interface_removed), b);
        g_signal_connect(m, "interface-proxy-properties-changed", G_CALLBACK(on_properties_changed),
                         b);
        g_signal_connect(m, "notify::name-owner", G_CALLBACK(on_name_owner), b);
}

static void add_objects(Bridge *b, GDBusObjectManager *m)
{
        GList *objects = g_dbus_object_manager_get_objects(m);

        for (GList *l = objects; l; l = l->next)
                add_object(b, is_history(b, m), l->data);
        g_list_free_full(objects, g_object_unref);
}

/* axpert-history is optional: without it (or when it cannot be watched) the inverters are
 * published all the same, only without energy counters. */
static void watch_history(Bridge *b)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *owner = NULL;

        b->history_manager = g_dbus_object_manager_client_new_sync(
                        b->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                        HISTORY_BUS_NAME, HISTORY_ROOT_PATH, NULL, NULL, NULL, NULL, &error);
        if (!b->history_manager) {
                log_warning("Cannot watch %s on the system bus (no energy counters): %s, "
                            "ignoring.",
                            HISTORY_BUS_NAME, error->message);
                return;
        }
        connect_manager(b, b->history_manager);
        owner = g_dbus_object_manager_client_get_name_owner(
                        G_DBUS_OBJECT_MANAGER_CLIENT(b->history_manager));
        if (owner)
                log_info("%s is on the bus.", HISTORY_BUS_NAME);
        else
                log_info("%s is not on the bus (yet); energy counters follow when it is.",
                         HISTORY_BUS_NAME);
        if (b->callbacks.history_service_changed)
                b->callbacks.history_service_changed(b->userdata, owner != NULL);
        add_objects(b, b->history_manager);
}

static void on_connection_closed(GDBusConnection *connection, gboolean remote_peer_vanished,
                                 GError *error, gpointer userdata)
{
        Bridge *b = userdata;
        g_autofree char *reason = NULL;

        reason = g_strdup_printf("%s (%s)",
                                 remote_peer_vanished ? "the bus went away"
                                                      : "the connection was closed",
                                 error ? error->message : "no error");
        if (b->callbacks.bus_lost)
                b->callbacks.bus_lost(b->userdata, reason);
}

Bridge *bridge_new(const BridgeCallbacks *callbacks, void *userdata, GError **error)
{
        g_autoptr(Bridge) b = g_new0(Bridge, 1);
        g_autofree char *owner = NULL;

        b->callbacks = *callbacks;
        b->userdata = userdata;
        b->connection = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
        if (!b->connection)
                return NULL;
        /* GDBus's default for a bus connection is to raise SIGTERM when it closes, which would
         * look like a clean stop (exit 0) and leave a Restart=on-failure service dead. */
        g_dbus_connection_set_exit_on_close(b->connection, FALSE);
        g_signal_connect(b->connection, "closed", G_CALLBACK(on_connection_closed), b);

        /* No auto-start: the unit is ordered after axpertd, and a missing daemon is a state we
         * report (availability offline), not an error. */
        b->manager = g_dbus_object_manager_client_new_sync(
                        b->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                        AXPERT_BUS_NAME, AXPERT_ROOT_PATH, NULL, NULL, NULL, NULL, error);
        if (!b->manager)
                return NULL;

        connect_manager(b, b->manager);

        owner = g_dbus_object_manager_client_get_name_owner(
                        G_DBUS_OBJECT_MANAGER_CLIENT(b->manager));
        if (owner)
                log_info("%s is on the bus.", AXPERT_BUS_NAME);
        else
                log_notice("%s is not on the bus yet; waiting for it.", AXPERT_BUS_NAME);
        if (b->callbacks.daemon_changed)
                b->callbacks.daemon_changed(b->userdata, owner != NULL);

        add_objects(b, b->manager);

        /* After the inverters: a History object is matched to an inverter by serial number. */
        watch_history(b);
        return g_steal_pointer(&b);
}

Bridge *bridge_free(Bridge *b)
{
        if (!b)
                return NULL;
        if (b->manager) {
                g_signal_handlers_disconnect_by_data(b->manager, b);
                g_object_unref(b->manager);
        }
        if (b->history_manager) {
                g_signal_handlers_disconnect_by_data(b->history_manager, b);
                g_object_unref(b->history_manager);
        }
        if (b->connection) {
                g_signal_handlers_disconnect_by_data(b->connection, b);
                g_object_unref(b->connection);
        }
        g_free(b);
        return NULL;
}
