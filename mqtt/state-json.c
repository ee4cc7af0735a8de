/* The native state payloads: every property, snake_case keys, enums as strings, NaN as null. */
#include "state-json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"

char *state_json_key(const char *property)
{
        GString *s = g_string_sized_new(strlen(property) + 8);

        for (const char *p = property; *p; p++) {
                if (g_ascii_isupper(*p)) {
                        if (p != property)
                                g_string_append_c(s, '_');
                        g_string_append_c(s, g_ascii_tolower(*p));
                } else
                        g_string_append_c(s, *p);
        }
        return g_string_free(s, FALSE);
}

JsonNode *state_json_value(GVariant *v)
{
        JsonNode *n = json_node_new(JSON_NODE_VALUE);

        if (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
                g_autoptr(GVariant) inner = g_variant_get_variant(v);

                json_node_unref(n);
                return state_json_value(inner);
        }

        switch (g_variant_classify(v)) {
        case G_VARIANT_CLASS_BOOLEAN:
                json_node_set_boolean(n, g_variant_get_boolean(v));
                break;
        case G_VARIANT_CLASS_DOUBLE: {
                double d = g_variant_get_double(v);

                if (isfinite(d))
                        json_node_set_double(n, d);
                else
                        json_node_init_null(n);
                break;
        }
        case G_VARIANT_CLASS_BYTE:
                json_node_set_int(n, g_variant_get_byte(v));
                break;
        case G_VARIANT_CLASS_INT16:
                json_node_set_int(n, g_variant_get_int16(v));
                break;
        case G_VARIANT_CLASS_UINT16:
                json_node_set_int(n, g_variant_get_uint16(v));
                break;
        case G_VARIANT_CLASS_INT32:
                json_node_set_int(n, g_variant_get_int32(v));
                break;
        case G_VARIANT_CLASS_UINT32:
                json_node_set_int(n, g_variant_get_uint32(v));
                break;
        case G_VARIANT_CLASS_INT64:
                json_node_set_int(n, g_variant_get_int64(v));
                break;
        case G_VARIANT_CLASS_UINT64:
                /* Timestamps in µs fit comfortably in 63 bits. */
                json_node_set_int(n, (gint64)MIN(g_variant_get_uint64(v), (guint64)G_MAXINT64));
                break;
        case G_VARIANT_CLASS_STRING:
        case G_VARIANT_CLASS_OBJECT_PATH:
        case G_VARIANT_CLASS_SIGNATURE:
                json_node_set_string(n, g_variant_get_string(v, NULL));
                break;
        case G_VARIANT_CLASS_ARRAY:
                /* A dictionary keyed by strings (SettingLimits …) is an object. */
                if (g_variant_is_of_type(v, G_VARIANT_TYPE("a{s*}"))) {
                        JsonObject *o = json_object_new();
                        GVariantIter it;
                        const char *key;
                        GVariant *value;

                        g_variant_iter_init(&it, v);
                        while (g_variant_iter_next(&it, "{&s@*}", &key, &value)) {
                                json_object_set_member(o, key, state_json_value(value));
                                g_variant_unref(value);
                        }
                        json_node_unref(n);
                        n = json_node_new(JSON_NODE_OBJECT);
                        json_node_take_object(n, o);
                        break;
                }
                /* fall through */
        case G_VARIANT_CLASS_TUPLE: {
                JsonArray *a = json_array_new();
                gsize count = g_variant_n_children(v);

                for (gsize i = 0; i < count; i++) {
                        g_autoptr(GVariant) child = g_variant_get_child_value(v, i);

                        json_array_add_element(a, state_json_value(child));
                }
                json_node_unref(n);
                n = json_node_new(JSON_NODE_ARRAY);
                json_node_take_array(n, a);
                break;
        }
        default: {
                /* Not in the contract today; keep it visible rather than dropping it. */
                g_autofree char *text = g_variant_print(v, FALSE);

                json_node_set_string(n, text);
                break;
        }
        }
        return n;
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

JsonNode *state_json_build(GDBusProxy *proxy, const char *override_name, GVariant *override_value)
{
        g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names(proxy);
        JsonObject *o = json_object_new();
        JsonNode *root = json_node_new(JSON_NODE_OBJECT);

        /* Sorted, so that consecutive payloads diff cleanly. */
        if (names)
                qsort(names, g_strv_length(names), sizeof(char *), compare_names);
        for (size_t i = 0; names && names[i]; i++) {
                g_autoptr(GVariant) v = NULL;
                g_autofree char *key = state_json_key(names[i]);

                if (override_name && override_value && g_str_equal(names[i], override_name))
                        v = g_variant_ref(override_value);
                else
                        v = g_dbus_proxy_get_cached_property(proxy, names[i]);
                if (!v)
                        continue;
                json_object_set_member(o, key, state_json_value(v));
        }
        json_node_take_object(root, o);
        return root;
}

void state_json_add_object(JsonNode *root, const char *member, GDBusProxy *proxy,
                           bool (*want)(const char *property))
{
        g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names(proxy);
        JsonObject *o = json_object_new();

        if (names)
                qsort(names, g_strv_length(names), sizeof(char *), compare_names);
        for (size_t i = 0; names && names[i]; i++) {
                g_autoptr(GVariant) v = NULL;
                g_autofree char *key = NULL;

                if (!want(names[i]))
                        continue;
                v = g_dbus_proxy_get_cached_property(proxy, names[i]);
                if (!v)
                        continue;
                key = state_json_key(names[i]);
                json_object_set_member(o, key, state_json_value(v));
        }
        json_object_set_object_member(json_node_get_object(root), member, o);
}
