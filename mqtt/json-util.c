/* JSON text for MQTT payloads; json-glib prints doubles with 17 digits ("51.200000000000003"). */
#include "json-util.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *json_util_format_double(double d)
{
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        if (!isfinite(d))
                return g_strdup("null");
        /* The fewest decimals that read back as exactly this double; plain notation for the
         * magnitudes inverters report, %g only for the extremes. */
        if (fabs(d) < 1e15 && (d == 0 || fabs(d) >= 1e-6)) {
                for (int decimals = 0; decimals <= 20; decimals++) {
                        char fmt[8];

                        g_snprintf(fmt, sizeof fmt, "%%.%df", decimals);
                        g_ascii_formatd(buf, sizeof buf, fmt, d);
                        if (g_ascii_strtod(buf, NULL) == d)
                                break;
                }
        } else
                g_ascii_dtostr(buf, sizeof buf, d);
        return strpbrk(buf, ".eEn") ? g_strdup(buf) : g_strconcat(buf, ".0", NULL);
}

static void append_double(GString *s, double d)
{
        g_autofree char *text = json_util_format_double(d);

        g_string_append(s, text);
}

static void append_node(GString *s, JsonNode *node);

static void append_leaf(GString *s, JsonNode *node)
{
        g_autofree char *text = json_to_string(node, FALSE);

        g_string_append(s, text);
}

static void append_name(GString *s, const char *name)
{
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_VALUE);

        json_node_set_string(n, name);
        append_leaf(s, n);
}

static void append_node(GString *s, JsonNode *node)
{
        switch (json_node_get_node_type(node)) {
        case JSON_NODE_OBJECT: {
                JsonObject *o = json_node_get_object(node);
                g_autoptr(GList) members = json_object_get_members(o);
                bool first = true;

                g_string_append_c(s, '{');
                for (GList *l = members; l; l = l->next) {
                        if (!first)
                                g_string_append_c(s, ',');
                        first = false;
                        append_name(s, l->data);
                        g_string_append_c(s, ':');
                        append_node(s, json_object_get_member(o, l->data));
                }
                g_string_append_c(s, '}');
                break;
        }
        case JSON_NODE_ARRAY: {
                JsonArray *a = json_node_get_array(node);
                guint n = json_array_get_length(a);

                g_string_append_c(s, '[');
                for (guint i = 0; i < n; i++) {
                        if (i)
                                g_string_append_c(s, ',');
                        append_node(s, json_array_get_element(a, i));
                }
                g_string_append_c(s, ']');
                break;
        }
        case JSON_NODE_VALUE:
                if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
                        append_double(s, json_node_get_double(node));
                else
                        append_leaf(s, node);
                break;
        case JSON_NODE_NULL:
        default:
                g_string_append(s, "null");
                break;
        }
}

char *json_util_to_string(JsonNode *node)
{
        GString *s = g_string_sized_new(512);

        append_node(s, node);
        return g_string_free(s, FALSE);
}

void json_util_add_double(JsonBuilder *b, const char *name, double d)
{
        json_builder_set_member_name(b, name);
        if (isfinite(d))
                json_builder_add_double_value(b, d);
        else
                json_builder_add_null_value(b);
}
