/* The inverters and parallel units axpert-mqtt follows: the daemon's objects as GDBus proxies
 * (their property caches are the state), and what was published of each. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

typedef struct Unit {
        char *object_path;
        char *parent_path; /* the org.axpert.Inverter object it belongs to */
        GDBusProxy *proxy;
        /* What app.c published of it. */
        bool dirty;             /* changed since the last flush */
        char *announced_serial; /* its discovery was published under this serial, or NULL */
        guint announced_index;  /* … and this index */
} Unit;

typedef struct Inverter {
        char *object_path;
        GDBusProxy *proxy;
        char *serial; /* topic-safe SerialNumber (topic_name_serial); NULL until the daemon knows it
                       */
        /* What app.c published of it. */
        bool dirty_state;
        unsigned dirty_compat; /* CompatTopic bits: which hassio-axpert topics to publish */
        bool dirty_discovery;
        bool dirty_controls; /* SettingLimits, SettingOptions or SettingChoices changed */
        int availability;    /* last published: -1 none, 0 offline, 1 online */
        /* Command topic suffix -> the component its control was last published as under
         * serial ("number", "select", "switch"; "" for none), for the retained configs that a
         * change of kind leaves behind. A suffix not in it: not known (since the object
         * appeared or the serial changed), so every other kind is emptied. */
        GHashTable *controls;
        /* The energy counters of its org.axpert.History object (axpert-history). */
        bool dirty_energy;       /* their discovery configs are to be published */
        int energy_availability; /* last published: -1 none, 0 offline, 1 online */
} Inverter;

/* An org.axpert.History object: the recorded history and energy counters of one serial. */
typedef struct History {
        char *object_path;
        GDBusProxy *proxy;
        char *serial; /* topic-safe SerialNumber (topic_name_serial); NULL when it has none */
} History;

typedef struct Model {
        GHashTable *inverters; /* object path -> Inverter* */
        GHashTable *units;     /* object path -> Unit* */
        GHashTable *histories; /* object path -> History* */
        bool daemon_present;   /* org.axpert.Inverter has an owner on the bus */
        bool history_present;  /* org.axpert.History has an owner on the bus */
} Model;

Model *model_new(void);
Model *model_free(Model *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Model, model_free)

/* Adds (or replaces) the object at path; the model takes a reference on proxy. */
Inverter *model_add_inverter(Model *m, const char *path, GDBusProxy *proxy);
Unit *model_add_unit(Model *m, const char *path, GDBusProxy *proxy);
/* Frees the object at path, if any. */
void model_remove_inverter(Model *m, const char *path);
void model_remove_unit(Model *m, const char *path);

Inverter *model_get_inverter(Model *m, const char *path);
Unit *model_get_unit(Model *m, const char *path);
Inverter *model_find_inverter_by_serial(Model *m, const char *serial);
/* The inverter a unit belongs to, NULL when it is not (or no longer) known. */
Inverter *model_unit_inverter(Model *m, const Unit *u);
/* The units of an inverter, sorted by index; free the array with g_ptr_array_unref. */
GPtrArray *model_inverter_units(Model *m, const Inverter *inv);
/* The unit of an inverter with that index, or NULL. */
Unit *model_inverter_unit(Model *m, const Inverter *inv, guint index);
/* org.axpert.History objects; add takes a reference on proxy and sets no serial. */
History *model_add_history(Model *m, const char *path, GDBusProxy *proxy);
void model_remove_history(Model *m, const char *path);
History *model_get_history(Model *m, const char *path);
/* The History object of an inverter (same serial) while axpert-history is on the bus, else
 * NULL: no counter is shown that axpert-history does not serve now. */
History *model_inverter_history(const Model *m, const Inverter *inv);

/* The daemon runs and says the inverter answers. */
bool model_inverter_online(const Model *m, const Inverter *inv);
/* A unit's Index property; without one, the N of its path …/unit<N>. */
guint model_unit_index(const Unit *u);

/* Typed reads of cached properties: NaN, false, 0 or NULL when absent or of another type. */
double proxy_get_double(GDBusProxy *proxy, const char *name);
bool proxy_get_bool(GDBusProxy *proxy, const char *name);
guint64 proxy_get_uint(GDBusProxy *proxy, const char *name, bool *ret_found);
char *proxy_get_string(GDBusProxy *proxy, const char *name);
bool proxy_has_property(GDBusProxy *proxy, const char *name);
/* A number of any numeric type; NaN for anything else. */
double variant_get_number(GVariant *v);
