/* …/history and …/energy: org.axpert.History's GetSamples and GetEnergy, called asynchronously
 * (the HTTP message waits paused, never the main loop), at most HISTORY_CALLS_MAX at once. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "json-util.h"
#include "log.h"
#include "state-json.h"
#include "web.h"

#define HISTORY_CALLS_MAX 8
#define HISTORY_TIMEOUT_MS 15000
#define FIELDS_MAX 64

static const char *const default_fields[] = {"PvInputPower", "AcOutputActivePower",
                                             "BatteryVoltage", "BatteryCapacity", NULL};
static const char *const history_params[] = {"since", "until", "step", "fields", "format", NULL};
static const char *const energy_params[] = {"period", "since", "until", NULL};

typedef struct HistoryCall {
        Web *w;
        SoupServerMessage *msg;
        bool finished; /* the client went away */
        char *serial;
        GStrv fields;
        bool csv;
        char *period;
        guint64 since, until;
        guint step;
} HistoryCall;

static void on_appeared(GDBusConnection *c, const char *name, const char *owner, gpointer userdata)
{
        ((Web *)userdata)->history_present = true;
}

static void on_vanished(GDBusConnection *c, const char *name, gpointer userdata)
{
        ((Web *)userdata)->history_present = false;
}

void history_start(Web *w)
{
        w->history_watch = g_bus_watch_name_on_connection(w->bus, HISTORY_BUS_NAME,
                                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                          on_appeared, on_vanished, w, NULL);
}

void history_stop(Web *w)
{
        if (w->history_watch)
                g_bus_unwatch_name(w->history_watch);
        w->history_watch = 0;
}

/* As sd_bus_path_encode(): every byte outside [A-Za-z0-9] as _XX. */
static char *history_path(const char *serial)
{
        GString *s = g_string_new(HISTORY_ROOT_PATH "/");

        if (!*serial)
                g_string_append_c(s, '_');
        for (const unsigned char *p = (const unsigned char *)serial; *p; p++) {
                if (g_ascii_isalnum(*p))
                        g_string_append_c(s, (char)*p);
                else
                        g_string_append_printf(s, "_%02x", *p);
        }
        return g_string_free(s, FALSE);
}

/* Seconds since the epoch ("1764633600", "1764633600.5"), a negative number of seconds before
 * now ("-86400"), or ISO 8601 ("2026-12-02T00:00:00Z"); microseconds out. */
static bool parse_time(const char *text, guint64 now, guint64 *ret)
{
        char *end = NULL;
        double d;

        if (!*text)
                return false;
        if (g_ascii_isdigit(text[0]) || text[0] == '-') {
                errno = 0;
                d = g_ascii_strtod(text, &end);
                if (!errno && end != text && !*end && isfinite(d)) {
                        if (d < 0) {
                                if (-d * 1e6 > (double)now)
                                        return false;
                                *ret = now - (guint64)(-d * 1e6);
                                return true;
                        }
                        if (d > 1e11) /* past the year 5138: a mistake, not a date */
                                return false;
                        *ret = (guint64)(d * 1e6);
                        return true;
                }
        }
        {
                g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);
                gint64 us;

                if (!dt)
                        return false;
                us = g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
                if (us < 0)
                        return false;
                *ret = (guint64)us;
                return true;
        }
}

/* "pv_input_power" -> "PvInputPower"; names with capitals (History's own) as they are. */
static char *field_name(const char *text)
{
        GString *s;
        const char *dot;
        bool upper = true;

        for (const char *p = text; *p; p++)
                if (g_ascii_isupper(*p))
                        return g_strdup(text);
        s = g_string_new(NULL);
        dot = strrchr(text, '.');
        if (dot)
                g_string_append_len(s, text, dot + 1 - text);
        for (const char *p = dot ? dot + 1 : text; *p; p++) {
                if (*p == '_') {
                        upper = true;
                        continue;
                }
                g_string_append_c(s, upper ? g_ascii_toupper(*p) : *p);
                upper = false;
        }
        return g_string_free(s, FALSE);
}

static void call_free(HistoryCall *c)
{
        c->w->history_calls--;
        g_signal_handlers_disconnect_by_data(c->msg, c);
        g_object_unref(c->msg);
        g_free(c->serial);
        g_strfreev(c->fields);
        g_free(c->period);
        g_free(c);
}

static void on_finished(SoupServerMessage *msg, gpointer userdata)
{
        ((HistoryCall *)userdata)->finished = true;
}

static void respond_dbus_error(HistoryCall *c, GError *error)
{
        g_autofree char *remote = g_dbus_error_get_remote_error(error);

        g_dbus_error_strip_remote_error(error);
        if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS))
                respond_error(c->msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
        else if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
                 g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
                 g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE))
                respond_error(c->msg, SOUP_STATUS_NOT_FOUND, "no history for serial '%s'",
                              c->serial);
        else if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
                 g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
                respond_error(c->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                              "org.axpert.History is not on the bus (is axpert-history running?)");
        else
                respond_error(c->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "org.axpert.History: %s%s%s",
                              error->message, remote ? " " : "", remote ? remote : "");
}

static void add_number(GString *s, double d)
{
        g_autofree char *text = json_util_format_double(d);

        g_string_append(s, text);
}

static void respond_samples(HistoryCall *c, GVariant *reply)
{
        g_autoptr(GVariant) times = NULL, columns = NULL;
        const guint64 *t;
        gsize n_times, n_columns;
        g_autoptr(GString) s = g_string_sized_new(4096);
        g_autoptr(GBytes) bytes = NULL;
        g_autofree double **cols = NULL;
        g_autofree gsize *col_len = NULL;
        g_autoptr(GPtrArray) col_vars =
                        g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);

        g_variant_get(reply, "(@at@aad)", &times, &columns);
        t = g_variant_get_fixed_array(times, &n_times, sizeof(guint64));
        n_columns = g_variant_n_children(columns);
        cols = g_new0(double *, n_columns + 1);
        col_len = g_new0(gsize, n_columns + 1);
        for (gsize i = 0; i < n_columns; i++) {
                GVariant *col = g_variant_get_child_value(columns, i);

                g_ptr_array_add(col_vars, col);
                cols[i] = (double *)g_variant_get_fixed_array(col, &col_len[i], sizeof(double));
        }

        if (c->csv) {
                g_string_append(s, "time");
                for (size_t i = 0; c->fields[i]; i++)
                        g_string_append_printf(s, ",%s", c->fields[i]);
                g_string_append(s, "\r\n");
                for (gsize j = 0; j < n_times; j++) {
                        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(
                                        (gint64)(t[j] / G_USEC_PER_SEC));
                        g_autofree char *iso = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
                                                  : g_strdup("");

                        g_string_append(s, iso);
                        for (gsize i = 0; i < n_columns; i++) {
                                g_string_append_c(s, ',');
                                if (j < col_len[i] && isfinite(cols[i][j]))
                                        add_number(s, cols[i][j]);
                        }
                        g_string_append(s, "\r\n");
                }
                bytes = g_string_free_to_bytes(g_steal_pointer(&s));
                soup_server_message_set_status(c->msg, SOUP_STATUS_OK, NULL);
                soup_message_headers_replace(soup_server_message_get_response_headers(c->msg),
                                             "Content-Type", "text/csv; charset=utf-8");
                soup_message_body_append_bytes(soup_server_message_get_response_body(c->msg),
                                               bytes);
                return;
        }

        {
                g_autoptr(JsonNode) serial = json_node_new(JSON_NODE_VALUE);
                g_autofree char *quoted = NULL;

                json_node_set_string(serial, c->serial);
                quoted = json_to_string(serial, FALSE);
                g_string_append_printf(s,
                                       "{\"serial\":%s,\"since\":%" G_GUINT64_FORMAT
                                       ",\"until\":%" G_GUINT64_FORMAT ",\"step\":%u,\"fields\":[",
                                       quoted, c->since, c->until, c->step);
        }
        for (size_t i = 0; c->fields[i]; i++)
                g_string_append_printf(s, "%s\"%s\"", i ? "," : "", c->fields[i]);
        g_string_append(s, "],\"times\":[");
        for (gsize j = 0; j < n_times; j++)
                g_string_append_printf(s, "%s%" G_GUINT64_FORMAT, j ? "," : "", t[j]);
        g_string_append(s, "],\"columns\":{");
        for (gsize i = 0; i < n_columns && c->fields[i]; i++) {
                g_string_append_printf(s, "%s\"%s\":[", i ? "," : "", c->fields[i]);
                for (gsize j = 0; j < col_len[i]; j++) {
                        if (j)
                                g_string_append_c(s, ',');
                        add_number(s, cols[i][j]);
                }
                g_string_append_c(s, ']');
        }
        g_string_append(s, "}}");
        respond_json_text(c->msg, SOUP_STATUS_OK, s->str, s->len);
}

static void respond_energy(HistoryCall *c, GVariant *reply)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GVariantIter) it = NULL;
        GVariantIter *kinds;
        guint64 start;

        g_variant_get(reply, "(a(ta{sd}))", &it);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "serial");
        json_builder_add_string_value(b, c->serial);
        json_builder_set_member_name(b, "period");
        json_builder_add_string_value(b, c->period);
        json_builder_set_member_name(b, "since");
        json_builder_add_int_value(b, (gint64)c->since);
        json_builder_set_member_name(b, "until");
        json_builder_add_int_value(b, (gint64)c->until);
        json_builder_set_member_name(b, "energy");
        json_builder_begin_array(b);
        while (g_variant_iter_next(it, "(ta{sd})", &start, &kinds)) {
                const char *kind;
                double kwh;

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "start");
                json_builder_add_int_value(b, (gint64)start);
                while (g_variant_iter_next(kinds, "{&sd}", &kind, &kwh)) {
                        g_autofree char *key = state_json_key(kind);

                        json_util_add_double(b, key, kwh);
                }
                g_variant_iter_free(kinds);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        respond_json(c->msg, SOUP_STATUS_OK, root);
}

static void on_reply(GObject *source, GAsyncResult *result, gpointer userdata)
{
        HistoryCall *c = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply =
                        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);

        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
                call_free(c); /* shutting down */
                return;
        }
        if (!c->finished) {
                if (!reply)
                        respond_dbus_error(c, error);
                else if (c->period)
                        respond_energy(c, reply);
                else
                        respond_samples(c, reply);
                soup_server_message_unpause(c->msg);
        }
        call_free(c);
}

static bool get_single(SoupServerMessage *msg, GArray *params, const char *name, const char **ret)
{
        bool dup;

        *ret = query_get(params, name, &dup);
        if (dup) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "%s is given more than once", name);
                return false;
        }
        return true;
}

static bool get_range(SoupServerMessage *msg, GArray *params, guint64 span, guint64 *ret_since,
                      guint64 *ret_until)
{
        guint64 now = (guint64)g_get_real_time();
        const char *since, *until;

        if (!get_single(msg, params, "since", &since) || !get_single(msg, params, "until", &until))
                return false;
        *ret_until = now;
        if (until && !parse_time(until, now, ret_until)) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                              "until='%s' is not a time (seconds since the epoch, negative "
                              "seconds before now, or ISO 8601)",
                              until);
                return false;
        }
        *ret_since = *ret_until > span ? *ret_until - span : 0;
        if (since && !parse_time(since, now, ret_since)) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                              "since='%s' is not a time (seconds since the epoch, negative "
                              "seconds before now, or ISO 8601)",
                              since);
                return false;
        }
        if (*ret_since > *ret_until) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "since is after until");
                return false;
        }
        return true;
}

void history_handle(Web *w, SoupServerMessage *msg, const char *serial, const char *what)
{
        GUri *uri = soup_server_message_get_uri(msg);
        g_autofree char *problem = NULL;
        g_autoptr(GArray) params = query_parse(g_uri_get_query(uri), &problem);
        bool energy = g_str_equal(what, "energy");
        g_autofree char *path = NULL;
        HistoryCall *c;
        GVariant *args;
        const char *v;

        if (!params) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "%s", problem);
                return;
        }
        problem = query_check_names(params, energy ? energy_params : history_params);
        if (problem) {
                respond_error(msg, SOUP_STATUS_BAD_REQUEST, "%s", problem);
                return;
        }

        c = g_new0(HistoryCall, 1);
        c->w = w;
        c->msg = g_object_ref(msg);
        c->serial = g_strdup(serial);
        w->history_calls++;
        if (energy) {
                guint64 span;

                if (!get_single(msg, params, "period", &v))
                        goto fail;
                c->period = g_strdup(v ? v : "day");
                if (g_str_equal(c->period, "day"))
                        span = 31ULL * 86400 * G_USEC_PER_SEC;
                else if (g_str_equal(c->period, "month"))
                        span = 366ULL * 86400 * G_USEC_PER_SEC;
                else if (g_str_equal(c->period, "year"))
                        span = 10 * 366 * 86400ULL * G_USEC_PER_SEC;
                else {
                        respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                      "period='%s' is not day, month or year", c->period);
                        goto fail;
                }
                if (!get_range(msg, params, span, &c->since, &c->until))
                        goto fail;
                args = g_variant_new("(stt)", c->period, c->since, c->until);
        } else {
                g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
                g_autoptr(GVariantBuilder) fb = NULL;

                if (!get_range(msg, params, 86400ULL * G_USEC_PER_SEC, &c->since, &c->until))
                        goto fail;
                if (!get_single(msg, params, "step", &v))
                        goto fail;
                if (v) {
                        char *end = NULL;
                        guint64 n;

                        errno = 0;
                        n = g_ascii_strtoull(v, &end, 10);
                        if (!g_ascii_isdigit(v[0]) || errno || *end || n > G_MAXUINT32) {
                                respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                              "step='%s' is not a number of seconds", v);
                                goto fail;
                        }
                        c->step = (guint)n;
                }
                if (!get_single(msg, params, "format", &v))
                        goto fail;
                if (v && !g_str_equal(v, "json") && !g_str_equal(v, "csv")) {
                        respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                      "format='%s' is not json or csv", v);
                        goto fail;
                }
                c->csv = v && g_str_equal(v, "csv");
                if (!get_single(msg, params, "fields", &v))
                        goto fail;
                if (v && !*v) {
                        respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                      "fields is empty; give field names separated by commas");
                        goto fail;
                }
                if (v) {
                        g_auto(GStrv) names = g_strsplit(v, ",", -1);

                        for (size_t i = 0; names[i]; i++) {
                                if (!*names[i] || strlen(names[i]) > 128) {
                                        respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                                                      "fields: '%s' is not a field name", names[i]);
                                        goto fail;
                                }
                                g_ptr_array_add(fields, field_name(names[i]));
                        }
                } else
                        for (size_t i = 0; default_fields[i]; i++)
                                g_ptr_array_add(fields, g_strdup(default_fields[i]));
                if (fields->len > FIELDS_MAX) {
                        respond_error(msg, SOUP_STATUS_BAD_REQUEST, "more than %d fields",
                                      FIELDS_MAX);
                        goto fail;
                }
                g_ptr_array_add(fields, NULL);
                c->fields = (GStrv)g_ptr_array_steal(fields, NULL);
                fb = g_variant_builder_new(G_VARIANT_TYPE("as"));
                for (size_t i = 0; c->fields[i]; i++)
                        g_variant_builder_add(fb, "s", c->fields[i]);
                args = g_variant_new("(ttuas)", c->since, c->until, c->step, fb);
        }

        if (!w->history_present) {
                g_variant_unref(g_variant_ref_sink(args));
                respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                              "org.axpert.History is not on the bus (is axpert-history running?)");
                goto fail;
        }
        if (w->history_calls > HISTORY_CALLS_MAX) {
                g_variant_unref(g_variant_ref_sink(args));
                soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                             "Retry-After", "1");
                respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                              "%d history requests are running already; try again",
                              HISTORY_CALLS_MAX);
                goto fail;
        }
        path = history_path(serial);
        g_signal_connect(msg, "finished", G_CALLBACK(on_finished), c);
        soup_server_message_pause(msg);
        g_dbus_connection_call(w->bus, HISTORY_BUS_NAME, path, HISTORY_IFACE,
                               energy ? "GetEnergy" : "GetSamples", args,
                               G_VARIANT_TYPE(energy ? "(a(ta{sd}))" : "(ataad)"),
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, HISTORY_TIMEOUT_MS, w->cancellable,
                               on_reply, c);
        return;
fail:
        call_free(c);
}
