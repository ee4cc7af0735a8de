/* Follows the daemon on the bus: devices and units appearing and vanishing (ObjectManager
 * signals), their PropertiesChanged, the daemon itself coming and going (name owner), and the
 * bus connection itself closing. */
#include "bridge.h"

#include "log.h"
#include "topics.h"

struct Bridge {
        App *app;
        GDBusConnection *connection;
        GDBusObjectManager *manager;
};

static void add_interface(Bridge *b, GDBusObject *object, GDBusInterface *iface)
{
        GDBusProxy *proxy = G_DBUS_PROXY(iface);
        const char *name = g_dbus_proxy_get_interface_name(proxy);
        const char *path = g_dbus_object_get_object_path(object);

        if (g_str_equal(name, AXPERT_INVERTER_IFACE))
                app_inverter_added(b->app, path, proxy);
        else if (g_str_equal(name, AXPERT_UNIT_IFACE))
                app_unit_added(b->app, path, proxy);
}

static void add_object(Bridge *b, GDBusObject *object)
{
        GList *ifaces = g_dbus_object_get_interfaces(object);

        for (GList *l = ifaces; l; l = l->next)
                add_interface(b, object, l->data);
        g_list_free_full(ifaces, g_object_unref);
}

static void on_object_added(GDBusObjectManager *m, GDBusObject *object, gpointer userdata)
{
        add_object(userdata, object);
}

static void on_object_removed(GDBusObjectManager *m, GDBusObject *object, gpointer userdata)
{
        Bridge *b = userdata;
        GList *ifaces = g_dbus_object_get_interfaces(object);

        for (GList *l = ifaces; l; l = l->next)
                app_object_removed(b->app, g_dbus_object_get_object_path(object),
                                   g_dbus_proxy_get_interface_name(l->data));
        g_list_free_full(ifaces, g_object_unref);
}

static void on_interface_added(GDBusObjectManager *m, GDBusObject *object, GDBusInterface *iface,
                               gpointer userdata)
{
        add_interface(userdata, object, iface);
}

static void on_interface_removed(GDBusObjectManager *m, GDBusObject *object, GDBusInterface *iface,
                                 gpointer userdata)
{
        Bridge *b = userdata;

        app_object_removed(b->app, g_dbus_object_get_object_path(object),
                           g_dbus_proxy_get_interface_name(G_DBUS_PROXY(iface)));
}

static void on_properties_changed(GDBusObjectManagerClient *m, GDBusObjectProxy *object,
                                  GDBusProxy *proxy, GVariant *changed,
                                  const char *const *invalidated, gpointer userdata)
{
        Bridge *b = userdata;

        app_properties_changed(b->app, g_dbus_object_get_object_path(G_DBUS_OBJECT(object)),
                               g_dbus_proxy_get_interface_name(proxy), changed, invalidated);
}

static void on_name_owner(GObject *object, GParamSpec *pspec, gpointer userdata)
{
        Bridge *b = userdata;
        g_autofree char *owner = g_dbus_object_manager_client_get_name_owner(
                        G_DBUS_OBJECT_MANAGER_CLIENT(object));

        /* GDBus notifies a vanished owner BEFORE it removes the objects, and a new one after
         * the objects were added, so availability goes offline first and comes back complete. */
        log_info("%s %s the bus.", AXPERT_BUS_NAME, owner ? "appeared on" : "vanished from");
        app_daemon_changed(b->app, owner != NULL);
}

/* The daemon leaving is the name owner changing (above); this is the bus itself going away
 * (dbus-daemon restarted or killed), after which nothing can be followed any more. */
static void on_connection_closed(GDBusConnection *connection, gboolean remote_peer_vanished,
                                 GError *error, gpointer userdata)
{
        Bridge *b = userdata;
        g_autofree char *reason = NULL;

        reason = g_strdup_printf("%s (%s)",
                                 remote_peer_vanished ? "the bus went away"
                                                      : "the connection was closed",
                                 error ? error->message : "no error");
        app_bus_lost(b->app, reason);
}

Bridge *bridge_new(App *app, GError **error)
{
        g_autoptr(Bridge) b = g_new0(Bridge, 1);
        g_autofree char *owner = NULL;
        GList *objects;

        b->app = app;
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

        g_signal_connect(b->manager, "object-added", G_CALLBACK(on_object_added), b);
        g_signal_connect(b->manager, "object-removed", G_CALLBACK(on_object_removed), b);
        g_signal_connect(b->manager, "interface-added", G_CALLBACK(on_interface_added), b);
        g_signal_connect(b->manager, "interface-removed", G_CALLBACK(on_interface_removed), b);
        g_signal_connect(b->manager, "interface-proxy-properties-changed",
                         G_CALLBACK(on_properties_changed), b);
        g_signal_connect(b->manager, "notify::name-owner", G_CALLBACK(on_name_owner), b);

        owner = g_dbus_object_manager_client_get_name_owner(
                        G_DBUS_OBJECT_MANAGER_CLIENT(b->manager));
        if (owner)
                log_info("%s is on the bus.", AXPERT_BUS_NAME);
        else
                log_notice("%s is not on the bus yet; waiting for it.", AXPERT_BUS_NAME);
        app_daemon_changed(app, owner != NULL);

        objects = g_dbus_object_manager_get_objects(b->manager);
        for (GList *l = objects; l; l = l->next)
                add_object(b, l->data);
        g_list_free_full(objects, g_object_unref);

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
        if (b->connection) {
                g_signal_handlers_disconnect_by_data(b->connection, b);
                g_object_unref(b->connection);
        }
        g_free(b);
        return NULL;
}
