/* axpert-web's HTTP side: the listening socket (or systemd's), a bounded set of connections
 * with idle timeouts, optional TLS and basic auth, and the routes (doc/web.md). Read-only:
 * anything but GET and HEAD is answered 405. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "app.h"
#include "godenerg.h"
#include "htpasswd.h"
#include "json-util.h"
#include "log.h"
#include "model.h"
#include "state-json.h"
#include "web-resources.h"

#define SD_LISTEN_FDS_START 3
#define MAX_QUERY_PARAMS 64
#define MAX_URI_LENGTH 4096
#define AUTH_CACHE_MAX 64

/* Debian's libjs-chart.js, read when asked for: never a copy in the binary or the repository. */
#define CHART_JS_PATH "/usr/share/javascript/chart.js/chart.min.js"

/* One accepted connection; counted until libsoup lets go of its socket (weak reference). */
typedef struct Conn {
        Web *w;
        GSocket *socket; /* not a reference */
        gint64 accepted;
        bool streaming;         /* an event stream: never evicted as idle */
        SoupServerMessage *msg; /* its latest message (weak pointer: NULL once freed) */
} Conn;

/* ---- answers ---- */

void respond_json_text(SoupServerMessage *msg, guint status, const char *text, gsize len)
{
        SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

        soup_server_message_set_status(msg, status, NULL);
        soup_message_headers_replace(h, "Cache-Control", "no-store");
        soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, text, len);
}

void respond_json(SoupServerMessage *msg, guint status, JsonNode *node)
{
        g_autofree char *text = json_util_to_string(node);

        respond_json_text(msg, status, text, strlen(text));
}

static void respond_bytes(SoupServerMessage *msg, guint status, const char *type, GBytes *bytes)
{
        SoupMessageBody *body = soup_server_message_get_response_body(msg);
        SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

        soup_server_message_set_status(msg, status, NULL);
        soup_message_headers_set_content_type(h, type, NULL);
        soup_message_body_truncate(body);
        soup_message_body_append_bytes(body, bytes);
}

void respond_error(SoupServerMessage *msg, guint status, const char *fmt, ...)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        va_list ap;

        va_start(ap, fmt);
        text = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, text);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        respond_json(msg, status, root);
}

/* ---- query strings ---- */

static void query_param_clear(gpointer p)
{
        QueryParam *q = p;

        g_free(q->name);
        g_free(q->value);
}

static char *form_unescape(const char *s, gssize len)
{
        g_autofree char *plus = g_strndup(s, len < 0 ? strlen(s) : (gsize)len);

        for (char *p = plus; *p; p++)
                if (*p == '+')
                        *p = ' ';
        /* Refuses bad %-escapes and decoded NUL bytes. */
        return g_uri_unescape_string(plus, NULL);
}

GArray *query_parse(const char *query, char **ret_problem)
{
        g_autoptr(GArray) params = g_array_new(FALSE, TRUE, sizeof(QueryParam));
        const char *p = query;

        g_array_set_clear_func(params, query_param_clear);
        while (p && *p) {
                const char *amp = strchr(p, '&');
                gsize len = amp ? (gsize)(amp - p) : strlen(p);
                const char *eq = memchr(p, '=', len);
                QueryParam q = {NULL, NULL};

                if (len > 0) {
                        if (params->len >= MAX_QUERY_PARAMS) {
                                *ret_problem = g_strdup_printf("more than %d query parameters",
                                                               MAX_QUERY_PARAMS);
                                return NULL;
                        }
                        q.name = form_unescape(p, eq ? eq - p : (gssize)len);
                        q.value = eq ? form_unescape(eq + 1, (gssize)(len - (gsize)(eq + 1 - p)))
                                     : g_strdup("");
                        if (!q.name || !q.value || !*q.name || !g_utf8_validate(q.name, -1, NULL) ||
                            !g_utf8_validate(q.value, -1, NULL)) {
                                query_param_clear(&q);
                                *ret_problem = g_strdup("malformed query string (bad %-escape, "
                                                        "empty name or not UTF-8)");
                                return NULL;
                        }
                        g_array_append_val(params, q);
                }
                p = amp ? amp + 1 : NULL;
        }
        return g_steal_pointer(&params);
}

char *query_check_names(GArray *params, const char *const *allowed)
{
        for (guint i = 0; i < params->len; i++) {
                QueryParam *q = &g_array_index(params, QueryParam, i);

                if (!g_strv_contains(allowed, q->name)) {
                        g_autofree char *list = g_strjoinv(", ", (char **)allowed);

                        return g_strdup_printf("unknown parameter '%s'; accepted: %s", q->name,
                                               *allowed ? list : "none");
                }
        }
        return NULL;
}

const char *query_get(GArray *params, const char *name, bool *ret_duplicate)
{
        const char *found = NULL;

        *ret_duplicate = false;
        for (guint i = 0; i < params->len; i++) {
                QueryParam *q = &g_array_index(params, QueryParam, i);

                if (g_str_equal(q->name, name)) {
                        if (found)
                                *ret_duplicate = true;
                        found = q->value;
                }
        }
        return found;
}

/* Parses the query and checks its names; answers 400 itself and returns NULL on a problem. */
static GArray *request_params(SoupServerMessage *msg, const char *const *allowed)
{
        GUri *uri = soup_server_message_get_uri(msg);
        g_autofree char *problem = NULL;
        g_autoptr(GArray) params = query_parse(g_uri_get_query(uri), &problem);

        if (!params) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "%s", problem);
                return NULL;
        }
        problem = query_check_names(params, allowed);
        if (problem) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "%s", problem);
                return NULL;
        }
        return g_steal_pointer(&params);
}

/* ---- static files: a fixed table, never a path from the URL ---- */

static const struct {
        const char *url;
        const char *resource; /* NULL: the file below */
        const char *file;
        const char *type;
} static_files[] = {
                {"/", "/org/axpert/web/index.html", NULL, "text/html; charset=utf-8"},
                {"/index.html", "/org/axpert/web/index.html", NULL, "text/html; charset=utf-8"},
                {"/app.js", "/org/axpert/web/app.js", NULL, "text/javascript; charset=utf-8"},
                {"/style.css", "/org/axpert/web/style.css", NULL, "text/css; charset=utf-8"},
                {"/javascript/chart.js/chart.min.js", NULL, CHART_JS_PATH,
                 "text/javascript; charset=utf-8"},
};

static bool serve_static(SoupServerMessage *msg, const char *path)
{
        for (size_t i = 0; i < G_N_ELEMENTS(static_files); i++) {
                g_autoptr(GBytes) bytes = NULL;
                g_autoptr(GError) error = NULL;
                SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

                if (!g_str_equal(path, static_files[i].url))
                        continue;
                if (static_files[i].resource)
                        bytes = g_resources_lookup_data(static_files[i].resource,
                                                        G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
                else {
                        g_autofree char *data = NULL;
                        gsize len;

                        if (g_file_get_contents(static_files[i].file, &data, &len, &error))
                                bytes = g_bytes_new_take(g_steal_pointer(&data), len);
                }
                if (!bytes && static_files[i].file) {
                        respond_error(msg, SOUP_STATUS_NOT_FOUND,
                                      "%s is not installed (%s); install the Debian package "
                                      "libjs-chart.js",
                                      static_files[i].file, error ? error->message : "missing");
                        return true;
                }
                if (!bytes) {
                        respond_error(msg, SOUP_STATUS_NOT_FOUND,
                                      "%s is not built into this axpert-web", path);
                        return true;
                }
                respond_bytes(msg, SOUP_STATUS_OK, static_files[i].type, bytes);
                soup_message_headers_replace(h, "Cache-Control", "no-cache");
                soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
                return true;
        }
        return false;
}

/* ---- /cmds: godenerg's endpoint ---- */

static const char *const cmds_params[] = {"cmd", "merge", "serial", NULL};

static WebInverter *pick_inverter(Web *w, SoupServerMessage *msg, const char *serial)
{
        g_autoptr(GPtrArray) all = NULL;

        if (!w->daemon_present) {
                respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                              "org.axpert.Inverter is not on the bus (is axpertd running?)");
                return NULL;
        }
        if (serial) {
                WebInverter *inv = web_find_inverter(w, serial);

                if (!inv)
                        respond_error(msg, SOUP_STATUS_NOT_FOUND, "no inverter with serial '%s'",
                                      serial);
                return inv;
        }
        all = web_inverters_sorted(w);
        if (all->len == 0) {
                respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                              "no inverter with a known serial number yet");
                return NULL;
        }
        return all->pdata[0];
}

static void handle_cmds(Web *w, SoupServerMessage *msg)
{
        g_autoptr(GArray) params = request_params(msg, cmds_params);
        g_autoptr(JsonObject) out = NULL;
        g_autoptr(JsonNode) root = NULL;
        const char *merge, *serial;
        bool dup, merged = false, any = false;
        WebInverter *inv;

        if (!params)
                return;
        merge = query_get(params, "merge", &dup);
        if (dup) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "merge is given more than once");
                return;
        }
        if (merge) {
                if (g_str_equal(merge, "1") || g_str_equal(merge, "true"))
                        merged = true;
                else if (!g_str_equal(merge, "0") && !g_str_equal(merge, "false")) {
                        respond_error(msg, SOUP_STATUS_BAD_REQUEST, "merge='%s' is not 0 or 1",
                                      merge);
                        return;
                }
        }
        serial = query_get(params, "serial", &dup);
        if (dup) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "serial is given more than once");
                return;
        }
        /* Every cmd is checked before anything is answered. */
        for (guint i = 0; i < params->len; i++) {
                QueryParam *q = &g_array_index(params, QueryParam, i);

                if (!g_str_equal(q->name, "cmd"))
                        continue;
                any = true;
                if (!g_strv_contains(godenerg_commands, q->value)) {
                        g_autofree char *list = g_strjoinv(", ", (char **)godenerg_commands);

                        respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                      "unknown cmd '%s'; accepted: %s", q->value, list);
                        return;
                }
        }
        if (!any) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                              "no cmd given; accepted: status, operation_mode");
                return;
        }
        inv = pick_inverter(w, msg, serial);
        if (!inv)
                return;

        if (!merged) {
                /* One key per command, each the text kept since the last change. */
                g_autoptr(GString) text = g_string_sized_new(1024);
                bool seen[G_N_ELEMENTS(inv->cmds_text)] = {false};

                g_string_append_c(text, '{');
                for (guint i = 0; i < params->len; i++) {
                        QueryParam *q = &g_array_index(params, QueryParam, i);

                        if (!g_str_equal(q->name, "cmd"))
                                continue;
                        for (guint k = 0; godenerg_commands[k]; k++) {
                                GBytes *b;

                                if (!g_str_equal(q->value, godenerg_commands[k]) || seen[k])
                                        continue;
                                seen[k] = true;
                                b = web_inverter_cmds_text(w, inv, k);
                                g_string_append_printf(text, "%s\"%s\":%.*s",
                                                       text->len > 1 ? "," : "", q->value,
                                                       (int)g_bytes_get_size(b),
                                                       (const char *)g_bytes_get_data(b, NULL));
                        }
                }
                g_string_append_c(text, '}');
                respond_json_text(msg, SOUP_STATUS_OK, text->str, text->len);
                return;
        }
        out = json_object_new();
        for (guint i = 0; i < params->len; i++) {
                QueryParam *q = &g_array_index(params, QueryParam, i);
                g_autoptr(JsonNode) node = NULL;
                JsonObject *o;
                g_autoptr(GList) members = NULL;

                if (!g_str_equal(q->name, "cmd"))
                        continue;
                node = godenerg_build(q->value, inv->proxy);
                o = json_node_get_object(node);
                members = json_object_get_members(o);
                for (GList *l = members; l; l = l->next)
                        json_object_set_member(out, l->data,
                                               json_node_copy(json_object_get_member(o, l->data)));
        }
        root = json_node_new(JSON_NODE_OBJECT);
        json_node_set_object(root, out);
        respond_json(msg, SOUP_STATUS_OK, root);
}

/* ---- /api/v1/… ---- */

static const char *const no_params[] = {NULL};

static bool require_daemon(Web *w, SoupServerMessage *msg)
{
        if (w->daemon_present)
                return true;
        respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                      "org.axpert.Inverter is not on the bus (is axpertd running?)");
        return false;
}

static void handle_inverters(Web *w, SoupServerMessage *msg)
{
        g_autoptr(GArray) params = request_params(msg, no_params);
        g_autoptr(JsonBuilder) b = NULL;
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GPtrArray) all = NULL;

        if (!params || !require_daemon(w, msg))
                return;
        b = json_builder_new();
        all = web_inverters_sorted(w);
        json_builder_begin_array(b);
        for (guint i = 0; i < all->len; i++) {
                WebInverter *inv = all->pdata[i];
                const char *slash = strrchr(inv->object_path, '/');
                g_autoptr(GPtrArray) units = web_inverter_units(w, inv);
                g_autofree char *model = proxy_get_string(inv->proxy, "ModelName");

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "serial");
                json_builder_add_string_value(b, inv->serial);
                json_builder_set_member_name(b, "device");
                json_builder_add_string_value(b, slash ? slash + 1 : inv->object_path);
                json_builder_set_member_name(b, "object_path");
                json_builder_add_string_value(b, inv->object_path);
                json_builder_set_member_name(b, "model_name");
                json_builder_add_string_value(b, model ? model : "");
                json_builder_set_member_name(b, "online");
                json_builder_add_boolean_value(b, web_inverter_online(w, inv));
                json_builder_set_member_name(b, "units");
                json_builder_add_int_value(b, units->len);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        root = json_builder_get_root(b);
        respond_json(msg, SOUP_STATUS_OK, root);
}

static void handle_inverter(Web *w, SoupServerMessage *msg, WebInverter *inv)
{
        g_autoptr(GArray) params = request_params(msg, no_params);
        GBytes *text;

        if (!params)
                return;
        text = web_inverter_state_text(w, inv);
        respond_json_text(msg, SOUP_STATUS_OK, g_bytes_get_data(text, NULL),
                          g_bytes_get_size(text));
}

static void handle_units(Web *w, SoupServerMessage *msg, WebInverter *inv, const char *index)
{
        g_autoptr(GArray) params = request_params(msg, no_params);
        g_autoptr(GPtrArray) units = NULL;
        char *end = NULL;
        guint64 n = 0;

        if (!params)
                return;
        units = web_inverter_units(w, inv);
        if (!index) {
                g_autoptr(JsonBuilder) b = json_builder_new();
                g_autoptr(JsonNode) root = NULL;

                json_builder_begin_array(b);
                for (guint i = 0; i < units->len; i++)
                        json_builder_add_int_value(b, web_unit_index(units->pdata[i]));
                json_builder_end_array(b);
                root = json_builder_get_root(b);
                respond_json(msg, SOUP_STATUS_OK, root);
                return;
        }
        errno = 0;
        if (g_ascii_isdigit(index[0]))
                n = g_ascii_strtoull(index, &end, 10);
        if (!g_ascii_isdigit(index[0]) || errno || *end || n > G_MAXUINT) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "unit '%s' is not a number", index);
                return;
        }
        for (guint i = 0; i < units->len; i++)
                if (web_unit_index(units->pdata[i]) == n) {
                        g_autoptr(JsonNode) node = state_json_build(units->pdata[i], NULL, NULL);

                        respond_json(msg, SOUP_STATUS_OK, node);
                        return;
                }
        respond_error(msg, SOUP_STATUS_NOT_FOUND, "inverter %s has no unit %" G_GUINT64_FORMAT,
                      inv->serial, n);
}

/* /api/v1/inverters/<serial>[/units[/<N>]|/history|/energy] (libsoup decoded the path). */
static void route_inverter(Web *w, SoupServerMessage *msg, const char *rest)
{
        g_auto(GStrv) parts = g_strsplit(rest, "/", 4);
        guint n = g_strv_length(parts);
        WebInverter *inv;

        if (!g_utf8_validate(rest, -1, NULL)) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed path");
                return;
        }
        if (n == 0 || !*parts[0]) {
                respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such path");
                return;
        }
        /* History outlives the daemon: it is served whether axpertd runs or not. */
        if (n == 2 && (g_str_equal(parts[1], "history") || g_str_equal(parts[1], "energy"))) {
                history_handle(w, msg, parts[0], parts[1]);
                return;
        }
        if (!(n == 1 || (n == 2 && g_str_equal(parts[1], "units")) ||
              (n == 3 && g_str_equal(parts[1], "units")))) {
                respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such path");
                return;
        }
        if (!require_daemon(w, msg))
                return;
        inv = web_find_inverter(w, parts[0]);
        if (!inv) {
                respond_error(msg, SOUP_STATUS_NOT_FOUND, "no inverter with serial '%s'", parts[0]);
                return;
        }
        if (n == 1)
                handle_inverter(w, msg, inv);
        else
                handle_units(w, msg, inv, n == 3 ? parts[2] : NULL);
}

/* ---- /metrics ---- */

static void metric_line(GString *s, const char *name, const char *serial, double value)
{
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append_printf(s, "%s{serial=\"%s\"} %s\n", name, serial,
                               isfinite(value) ? g_ascii_dtostr(buf, sizeof buf, value) : "NaN");
}

static void handle_metrics(Web *w, SoupServerMessage *msg)
{
        g_autoptr(GArray) params = request_params(msg, no_params);
        g_autoptr(GString) s = NULL;
        g_autoptr(GPtrArray) all = NULL;
        g_autoptr(GBytes) bytes = NULL;

        if (!params)
                return;
        s = g_string_sized_new(8192);
        g_string_append_printf(s,
                               "# HELP axpert_web_daemon_up 1 while org.axpert.Inverter is on "
                               "the bus.\n# TYPE axpert_web_daemon_up gauge\n"
                               "axpert_web_daemon_up %d\n"
                               "# TYPE axpert_web_history_up gauge\naxpert_web_history_up %d\n"
                               "# TYPE axpert_web_connections gauge\naxpert_web_connections %u\n"
                               "# TYPE axpert_web_event_clients gauge\n"
                               "axpert_web_event_clients %u\n"
                               "# TYPE axpert_web_requests_total counter\n"
                               "axpert_web_requests_total %" G_GUINT64_FORMAT "\n"
                               "# TYPE axpert_web_connections_refused_total counter\n"
                               "axpert_web_connections_refused_total %" G_GUINT64_FORMAT "\n"
                               "# TYPE axpert_web_connections_evicted_total counter\n"
                               "axpert_web_connections_evicted_total %" G_GUINT64_FORMAT "\n"
                               "# TYPE axpert_web_event_clients_dropped_total counter\n"
                               "axpert_web_event_clients_dropped_total %" G_GUINT64_FORMAT "\n",
                               w->daemon_present, w->history_present, w->n_connections,
                               g_list_length(w->event_clients), w->requests_total,
                               w->connections_refused, w->connections_evicted,
                               w->event_clients_dropped);
        all = web_inverters_sorted(w);
        for (guint i = 0; i < all->len; i++) {
                WebInverter *inv = all->pdata[i];
                g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names(inv->proxy);
                bool online = web_inverter_online(w, inv);

                metric_line(s, "axpert_online", inv->serial, online);
                /* Offline: no number at all rather than an old one. */
                if (!online)
                        continue;
                for (size_t k = 0; names && names[k]; k++) {
                        g_autoptr(GVariant) v =
                                        g_dbus_proxy_get_cached_property(inv->proxy, names[k]);
                        g_autofree char *key = NULL;
                        g_autofree char *metric = NULL;
                        double d;

                        if (!v || g_str_equal(names[k], "Online"))
                                continue;
                        if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
                                d = g_variant_get_boolean(v);
                        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE) ||
                                 g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
                                d = variant_get_number(v);
                        else
                                continue;
                        key = state_json_key(names[k]);
                        metric = g_strconcat("axpert_", key, NULL);
                        metric_line(s, metric, inv->serial, d);
                }
        }
        bytes = g_string_free_to_bytes(g_steal_pointer(&s));
        respond_bytes(msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", bytes);
}

/* ---- routing ---- */

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer userdata)
{
        Web *w = userdata;
        const char *method = soup_server_message_get_method(msg);
        const char *raw_query = g_uri_get_query(soup_server_message_get_uri(msg));

        w->requests_total++;
        if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
                soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                             "GET, HEAD");
                respond_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                              "method %s not allowed: axpert-web is read-only (GET and HEAD)",
                              method);
                return;
        }
        if (strlen(path) + (raw_query ? strlen(raw_query) : 0) > MAX_URI_LENGTH) {
                respond_error(msg, SOUP_STATUS_REQUEST_URI_TOO_LONG,
                              "the URI is longer than %d bytes", MAX_URI_LENGTH);
                return;
        }
        if (g_str_equal(path, "/cmds")) {
                handle_cmds(w, msg);
                return;
        }
        if (g_str_equal(path, "/metrics")) {
                handle_metrics(w, msg);
                return;
        }
        if (g_str_equal(path, "/api/v1/inverters") || g_str_equal(path, "/api/v1/inverters/")) {
                handle_inverters(w, msg);
                return;
        }
        if (g_str_has_prefix(path, "/api/v1/inverters/")) {
                route_inverter(w, msg, path + strlen("/api/v1/inverters/"));
                return;
        }
        if (g_str_equal(path, "/api/v1/events")) {
                g_autoptr(GArray) params = request_params(msg, no_params);

                if (params)
                        events_handle(w, msg);
                return;
        }
        if (serve_static(msg, path))
                return;
        respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such path");
}

/* ---- basic auth ---- */

static gboolean on_auth(SoupAuthDomain *domain, SoupServerMessage *msg, const char *username,
                        const char *password, gpointer userdata)
{
        Web *w = userdata;
        const char *hash = g_hash_table_lookup(w->config->users, username);
        g_autofree char *digest = NULL;
        g_autofree char *key = NULL;
        bool ok;

        if (!hash)
                return FALSE;
        /* crypt() costs tens of milliseconds by design: remember who passed (by a digest of the
         * password, never the password itself), so a logged-in page does not pay it each time. */
        digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, password, -1);
        key = g_strconcat(username, "\n", hash, "\n", digest, NULL);
        if (g_hash_table_contains(w->auth_cache, key))
                return TRUE;
        ok = htpasswd_verify(hash, password);
        if (ok) {
                if (g_hash_table_size(w->auth_cache) >= AUTH_CACHE_MAX)
                        g_hash_table_remove_all(w->auth_cache);
                g_hash_table_add(w->auth_cache, g_steal_pointer(&key));
        }
        return ok;
}

/* ---- connections ----
 *
 * libsoup accepts (its listeners are what keep-alive needs); every connection is first seen in
 * request-started, where its socket gets the idle timeout and is counted until libsoup lets go
 * of it (a weak reference). */

static void conn_free(gpointer data)
{
        Conn *c = data;

        if (c->msg)
                g_object_remove_weak_pointer(G_OBJECT(c->msg), (gpointer *)&c->msg);
        g_free(c);
}

static void on_socket_gone(gpointer userdata, GObject *where_the_object_was)
{
        Conn *c = userdata;
        Web *w = c->w;

        w->n_connections--;
        g_hash_table_remove(w->connections, c->socket);
}

/* Closes c's socket and stops counting it at once (the cap is never exceeded). */
static void conn_close(Web *w, Conn *c)
{
        /* A message still waiting for its request headers: taking the connection from it
         * makes libsoup free its objects too. (A connection whose client closed it while idle
         * has no message left in libsoup 3.2: its objects stay behind, only the descriptor is
         * closed here.) */
        if (c->msg && !soup_server_message_get_method(c->msg)) {
                g_autoptr(GIOStream) stream = NULL;

                g_object_remove_weak_pointer(G_OBJECT(c->msg), (gpointer *)&c->msg);
                stream = soup_server_message_steal_connection(g_steal_pointer(&c->msg));
                if (stream)
                        (void)g_io_stream_close(stream, NULL, NULL);
        }
        (void)g_socket_close(c->socket, NULL);
        g_object_weak_unref(G_OBJECT(c->socket), on_socket_gone, c);
        w->n_connections--;
        g_hash_table_remove(w->connections, c->socket);
}

/* libsoup 3.2 (Debian 12) neither closes nor frees a keep-alive connection that the client
 * closed while it was idle (fixed upstream in 3.3.0): its descriptor would stay open for
 * ever. A connection whose peer has ended it (a zero-byte peek) is closed here; one libsoup
 * closed itself is no longer counted. */
static gboolean on_sweep(gpointer userdata)
{
        Web *w = userdata;
        g_autoptr(GPtrArray) dead = g_ptr_array_new();
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, w->connections);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Conn *c = value;
                char byte;

                if (g_socket_is_closed(c->socket) ||
                    recv(g_socket_get_fd(c->socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
                        g_ptr_array_add(dead, c);
        }
        for (guint i = 0; i < dead->len; i++)
                conn_close(w, dead->pdata[i]);
        return G_SOURCE_CONTINUE;
}

void server_mark_streaming(Web *w, SoupServerMessage *msg, bool streaming)
{
        GSocket *socket = soup_server_message_get_socket(msg);
        Conn *c = socket && w->connections ? g_hash_table_lookup(w->connections, socket) : NULL;

        if (!c)
                return;
        c->streaming = streaming;
        /* The kernel's share of a stream's backlog is bounded too (the kernel doubles it): a
         * client that stops reading is noticed after EventBufferSize plus this, not after
         * megabytes of autotuned buffer. */
        if (streaming)
                (void)g_socket_set_option(c->socket, SOL_SOCKET, SO_SNDBUF, 4096, NULL);
}

/* At the cap, the oldest connection that is not an event stream makes room: idle keep-alive
 * connections and clients that never finish their request go first, new clients are served. */
static bool evict_one(Web *w, GSocket *except)
{
        GHashTableIter it;
        gpointer value;
        Conn *oldest = NULL;

        g_hash_table_iter_init(&it, w->connections);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Conn *c = value;

                if (!c->streaming && c->socket != except &&
                    (!oldest || c->accepted < oldest->accepted))
                        oldest = c;
        }
        if (!oldest)
                return false;
        w->connections_evicted++;
        log_debug("At %u connections: closing the oldest.", w->n_connections);
        /* Closed, not shut down: libsoup 3.2 never lets go of an idle connection whose peer
         * ends it (it keeps the descriptor too), but an error on it it handles. */
        conn_close(w, oldest);
        return true;
}

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer userdata)
{
        Web *w = userdata;
        GSocket *socket = soup_server_message_get_socket(msg);
        Conn *c;

        if (!socket)
                return;
        c = g_hash_table_lookup(w->connections, socket);
        if (c) {
                /* A further request on a known connection. */
                if (c->msg)
                        g_object_remove_weak_pointer(G_OBJECT(c->msg), (gpointer *)&c->msg);
                c->msg = msg;
                g_object_add_weak_pointer(G_OBJECT(msg), (gpointer *)&c->msg);
                return;
        }
        /* Before counting this one: what closed meanwhile no longer counts. */
        if (w->n_connections >= w->config->max_connections)
                (void)on_sweep(w);
        c = g_new0(Conn, 1);
        c->w = w;
        c->socket = socket;
        c->accepted = g_get_monotonic_time();
        c->msg = msg;
        g_object_add_weak_pointer(G_OBJECT(msg), (gpointer *)&c->msg);
        g_hash_table_insert(w->connections, socket, c);
        g_object_weak_ref(G_OBJECT(socket), on_socket_gone, c);
        w->n_connections++;
        /* Every read and write waits at most this long: an idle keep-alive connection, a client
         * that sends its request slowly, and a client that stops reading are all closed. */
        g_socket_set_timeout(socket, w->config->idle_timeout);
        if (w->n_connections > w->config->max_connections && !evict_one(w, socket)) {
                /* Every other connection is an event stream: this one goes. */
                w->connections_refused++;
                conn_close(w, c);
        }
}

/* systemd socket activation (axpert-web.socket): LISTEN_FDS/LISTEN_PID, as sd_listen_fds(). */
static int listen_fds(Web *w, SoupServerListenOptions options, GError **error)
{
        const char *pid = g_getenv("LISTEN_PID"), *fds = g_getenv("LISTEN_FDS");
        guint64 n;

        if (!pid || !fds || g_ascii_strtoull(pid, NULL, 10) != (guint64)getpid())
                return 0;
        n = g_ascii_strtoull(fds, NULL, 10);
        g_unsetenv("LISTEN_PID");
        g_unsetenv("LISTEN_FDS");
        g_unsetenv("LISTEN_FDNAMES");
        for (guint64 i = 0; i < n; i++) {
                g_autoptr(GSocket) s = g_socket_new_from_fd(SD_LISTEN_FDS_START + (int)i, error);

                if (!s || !soup_server_listen_socket(w->server, s, options, error))
                        return -EBADF;
        }
        return (int)n;
}

int server_start(Web *w, GError **error)
{
        SoupServerListenOptions options = 0;
        GSList *uris;
        int n;

        w->connections = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, conn_free);
        w->auth_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        w->server = soup_server_new("server-header", "axpert-web/" PACKAGE_VERSION " ", NULL);
        if (w->config->tls_certificate) {
                g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_files(
                                w->config->tls_certificate, w->config->tls_key, error);

                if (!cert)
                        return -EINVAL;
                soup_server_set_tls_certificate(w->server, cert);
                options |= SOUP_SERVER_LISTEN_HTTPS;
        }
        soup_server_add_handler(w->server, NULL, on_request, w, NULL);
        g_signal_connect(w->server, "request-started", G_CALLBACK(on_request_started), w);
        w->sweep_source = g_timeout_add_seconds(1, on_sweep, w);
        if (w->config->users) {
                SoupAuthDomain *domain = soup_auth_domain_basic_new("realm", "axpert", NULL);

                soup_auth_domain_basic_set_auth_callback(domain, on_auth, w, NULL);
                soup_auth_domain_add_path(domain, "/");
                soup_server_add_auth_domain(w->server, domain);
                g_object_unref(domain);
        }

        n = listen_fds(w, options, error);
        if (n < 0)
                return n;
        if (n > 0) {
                log_info("Listening on %d socket(s) from systemd.", n);
                return 0;
        }
        if (!soup_server_listen(w->server, w->config->address, options, error)) {
                g_prefix_error(error, "Cannot listen on %s: ", w->config->listen);
                return -EADDRNOTAVAIL;
        }
        uris = soup_server_get_uris(w->server);
        for (GSList *l = uris; l; l = l->next) {
                g_autofree char *text = g_uri_to_string(l->data);

                log_info("Listening on %s", text);
        }
        g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
        return 0;
}

void server_stop(Web *w)
{
        GHashTableIter it;
        gpointer value;

        if (w->sweep_source)
                g_source_remove(w->sweep_source);
        w->sweep_source = 0;
        if (w->server)
                soup_server_disconnect(w->server);
        /* The weak references must not fire into a freed table. */
        if (w->connections) {
                g_hash_table_iter_init(&it, w->connections);
                while (g_hash_table_iter_next(&it, NULL, &value)) {
                        Conn *c = value;

                        g_object_weak_unref(G_OBJECT(c->socket), on_socket_gone, c);
                }
        }
        g_clear_object(&w->server);
        g_clear_pointer(&w->connections, g_hash_table_destroy);
        g_clear_pointer(&w->auth_cache, g_hash_table_destroy);
}
