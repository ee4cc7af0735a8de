/* The inverters and units mirrored from the bus, and typed reads of their cached properties. */
#include "model.h"

#include <math.h>
#include <string.h>

double variant_get_number(GVariant *v)
{
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

double proxy_get_double(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        return v ? variant_get_number(v) : NAN;
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

bool proxy_has_property(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        return v != NULL;
}

static void unit_free(gpointer data)
{
        Unit *u = data;

        g_free(u->object_path);
        g_free(u->parent_path);
        g_clear_object(&u->proxy);
        g_free(u->announced_serial);
        g_free(u);
}

static void inverter_free(gpointer data)
{
        Inverter *inv = data;

        g_free(inv->object_path);
        g_clear_object(&inv->proxy);
        g_free(inv->serial);
        g_hash_table_destroy(inv->controls);
        g_free(inv);
}

static void history_free(gpointer data)
{
        History *h = data;

        g_free(h->object_path);
        g_clear_object(&h->proxy);
        g_free(h->serial);
        g_free(h);
}

Model *model_new(void)
{
        Model *m = g_new0(Model, 1);

        m->inverters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, inverter_free);
        m->units = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, unit_free);
        m->histories = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, history_free);
        return m;
}

Model *model_free(Model *m)
{
        if (!m)
                return NULL;
        g_clear_pointer(&m->inverters, g_hash_table_destroy);
        g_clear_pointer(&m->units, g_hash_table_destroy);
        g_clear_pointer(&m->histories, g_hash_table_destroy);
        g_free(m);
        return NULL;
}

Inverter *model_add_inverter(Model *m, const char *path, GDBusProxy *proxy)
{
        Inverter *inv = g_new0(Inverter, 1);

        inv->object_path = g_strdup(path);
        inv->proxy = g_object_ref(proxy);
        inv->availability = -1;
        inv->energy_availability = -1;
        inv->controls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_replace(m->inverters, inv->object_path, inv);
        return inv;
}

Unit *model_add_unit(Model *m, const char *path, GDBusProxy *proxy)
{
        Unit *u = g_new0(Unit, 1);
        const char *slash = strrchr(path, '/');

        u->object_path = g_strdup(path);
        u->parent_path = g_strndup(path, slash ? (gsize)(slash - path) : strlen(path));
        u->proxy = g_object_ref(proxy);
        g_hash_table_replace(m->units, u->object_path, u);
        return u;
}

void model_remove_inverter(Model *m, const char *path)
{
        g_hash_table_remove(m->inverters, path);
}

void model_remove_unit(Model *m, const char *path)
{
        g_hash_table_remove(m->units, path);
}

Inverter *model_get_inverter(Model *m, const char *path)
{
        return g_hash_table_lookup(m->inverters, path);
}

Unit *model_get_unit(Model *m, const char *path)
{
        return g_hash_table_lookup(m->units, path);
}

Inverter *model_find_inverter_by_serial(Model *m, const char *serial)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->inverters);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Inverter *inv = value;

                if (inv->serial && g_str_equal(inv->serial, serial))
                        return inv;
        }
        return NULL;
}

Inverter *model_unit_inverter(Model *m, const Unit *u)
{
        return g_hash_table_lookup(m->inverters, u->parent_path);
}

guint model_unit_index(const Unit *u)
{
        bool found;
        guint64 index = proxy_get_uint(u->proxy, "Index", &found);
        const char *p;

        if (found)
                return (guint)index;
        p = strrchr(u->object_path, '/');
        if (p && g_str_has_prefix(p, "/unit"))
                return (guint)g_ascii_strtoull(p + 5, NULL, 10);
        return 0;
}

static gint compare_units(gconstpointer a, gconstpointer b)
{
        guint ia = model_unit_index(*(Unit **)a), ib = model_unit_index(*(Unit **)b);

        return ia < ib ? -1 : ia > ib;
}

GPtrArray *model_inverter_units(Model *m, const Inverter *inv)
{
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->units);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Unit *u = value;

                if (g_str_equal(u->parent_path, inv->object_path))
                        g_ptr_array_add(a, u);
        }
        g_ptr_array_sort(a, compare_units);
        return a;
}

Unit *model_inverter_unit(Model *m, const Inverter *inv, guint index)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, m->units);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Unit *u = value;

                if (g_str_equal(u->parent_path, inv->object_path) && model_unit_index(u) == index)
                        return u;
        }
        return NULL;
}

History *model_add_history(Model *m, const char *path, GDBusProxy *proxy)
{
        History *h = g_new0(History, 1);

        h->object_path = g_strdup(path);
        h->proxy = g_object_ref(proxy);
        g_hash_table_replace(m->histories, h->object_path, h);
        return h;
}

void model_remove_history(Model *m, const char *path)
{
        g_hash_table_remove(m->histories, path);
}

History *model_get_history(Model *m, const char *path)
{
        return g_hash_table_lookup(m->histories, path);
}

History *model_inverter_history(const Model *m, const Inverter *inv)
{
        GHashTableIter it;
        gpointer value;

        if (!m->history_present || !inv->serial)
                return NULL;
        g_hash_table_iter_init(&it, m->histories);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                History *h = value;

                if (h->serial && g_str_equal(h->serial, inv->serial))
                        return h;
        }
        return NULL;
}

bool model_inverter_online(const Model *m, const Inverter *inv)
{
        return m->daemon_present && proxy_get_bool(inv->proxy, "Online");
}
