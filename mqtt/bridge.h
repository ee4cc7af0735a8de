/* The D-Bus side: follows org.axpert.Inverter's objects, and org.axpert.History's (axpert-history,
 * optional), through their ObjectManagers and reports what happens through callbacks. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#define AXPERT_BUS_NAME "org.axpert.Inverter"
#define AXPERT_ROOT_PATH "/org/axpert/Inverter"
#define AXPERT_INVERTER_IFACE "org.axpert.Inverter"
#define AXPERT_UNIT_IFACE "org.axpert.Inverter.Unit"

typedef struct Bridge Bridge;

/* Called on the main context; from bridge_new already (whether the daemon is there, then the
 * objects it exports). Every member may be NULL. */
typedef struct BridgeCallbacks {
        /* The daemon's bus name got an owner or lost it. GDBus reports a vanished owner before
         * it removes the objects, and a new one after the objects were added. */
        void (*daemon_changed)(void *userdata, bool present);
        /* An org.axpert.Inverter object; proxy's property cache follows the daemon. */
        void (*inverter_added)(void *userdata, const char *path, GDBusProxy *proxy);
        void (*inverter_removed)(void *userdata, const char *path);
        /* Its PropertiesChanged (changed: the a{sv}); the proxy's cache has them already. */
        void (*inverter_changed)(void *userdata, const char *path, GVariant *changed);
        /* An org.axpert.Inverter.Unit object (a parallel unit, below its inverter's path). */
        void (*unit_added)(void *userdata, const char *path, GDBusProxy *proxy);
        void (*unit_removed)(void *userdata, const char *path);
        void (*unit_changed)(void *userdata, const char *path);
        /* The same for org.axpert.History (axpert-history), which may be absent, come late,
         * restart or leave at any time: its name got an owner or lost it; its objects (one per
         * serial number) and their PropertiesChanged. */
        void (*history_service_changed)(void *userdata, bool present);
        void (*history_added)(void *userdata, const char *path, GDBusProxy *proxy);
        void (*history_removed)(void *userdata, const char *path);
        void (*history_changed)(void *userdata, const char *path, GVariant *changed);
        /* The system bus connection closed (not the daemon leaving): nothing follows. */
        void (*bus_lost)(void *userdata, const char *reason);
} BridgeCallbacks;

Bridge *bridge_new(const BridgeCallbacks *callbacks, void *userdata, GError **error);
Bridge *bridge_free(Bridge *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Bridge, bridge_free)
