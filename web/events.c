/* GET /api/v1/events: Server-Sent Events. The full state on connect, then one "change" event per
 * poll cycle with the changed keys only; keep-alive comments; each client may lag behind by at
 * most EventBufferSize bytes, a client further behind (stuck, not reading) is dropped. */
#include <string.h>

#include "app.h"
#include "log.h"

typedef struct EventClient {
        Web *w;
        SoupServerMessage *msg; /* a reference */
        gsize pending;          /* bytes appended, not yet written to the socket */
} EventClient;

static void client_free(EventClient *c)
{
        g_signal_handlers_disconnect_by_data(c->msg, c);
        g_object_unref(c->msg);
        g_free(c);
}

static void client_remove(EventClient *c)
{
        Web *w = c->w;

        w->event_clients = g_list_remove(w->event_clients, c);
        server_mark_streaming(w, c->msg, false);
        client_free(c);
}

static void on_wrote_body_data(SoupServerMessage *msg, guint size, gpointer userdata)
{
        EventClient *c = userdata;

        c->pending -= MIN(c->pending, size);
}

static void on_finished(SoupServerMessage *msg, gpointer userdata)
{
        client_remove(userdata);
}

/* The client cannot keep up: take the connection away from libsoup and close it, so that
 * neither its buffer nor a blocked write holds anything of ours any longer. */
static void client_drop(EventClient *c)
{
        Web *w = c->w;
        g_autoptr(GIOStream) stream = NULL;
        SoupServerMessage *msg = g_object_ref(c->msg);

        w->event_clients_dropped++;
        log_notice("Dropping an event-stream client %zu bytes behind.", c->pending);
        client_remove(c);
        stream = soup_server_message_steal_connection(msg);
        if (stream)
                g_io_stream_close_async(stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
        g_object_unref(msg);
}

/* Returns false when c was dropped (and freed). The first events (force) always go out. */
static bool client_send(EventClient *c, GBytes *bytes, bool force)
{
        SoupMessageBody *body = soup_server_message_get_response_body(c->msg);

        if (!force && c->pending + g_bytes_get_size(bytes) > c->w->config->event_buffer) {
                client_drop(c);
                return false;
        }
        c->pending += g_bytes_get_size(bytes);
        soup_message_body_append_bytes(body, bytes);
        soup_server_message_unpause(c->msg);
        return true;
}

static GBytes *event_bytes(const char *event, const char *data)
{
        /* data never contains a newline: json_util_to_string prints compactly. */
        char *text = g_strdup_printf("event: %s\ndata: %s\n\n", event, data);

        return g_bytes_new_take(text, strlen(text));
}

static void broadcast_bytes(Web *w, GBytes *bytes)
{
        for (GList *l = w->event_clients; l;) {
                EventClient *c = l->data;

                l = l->next; /* c may be dropped */
                (void)client_send(c, bytes, false);
        }
}

void events_broadcast(Web *w, const char *event, const char *data)
{
        g_autoptr(GBytes) bytes = NULL;

        if (!w->event_clients)
                return;
        bytes = event_bytes(event, data);
        broadcast_bytes(w, bytes);
}

static gboolean on_keepalive(gpointer userdata)
{
        Web *w = userdata;
        g_autoptr(GBytes) bytes = g_bytes_new_static(": keep-alive\n\n", 14);

        broadcast_bytes(w, bytes);
        return G_SOURCE_CONTINUE;
}

void events_handle(Web *w, SoupServerMessage *msg)
{
        SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
        EventClient *c;
        g_autoptr(GPtrArray) inverters = NULL;
        g_autoptr(GBytes) hello = NULL;
        g_autofree char *daemon = NULL;

        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_message_headers_replace(h, "Content-Type", "text/event-stream; charset=utf-8");
        soup_message_headers_replace(h, "Cache-Control", "no-store");
        if (soup_server_message_get_method(msg) == SOUP_METHOD_HEAD)
                return;
        soup_message_headers_set_encoding(h, SOUP_ENCODING_CHUNKED);
        soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);

        c = g_new0(EventClient, 1);
        c->w = w;
        c->msg = g_object_ref(msg);
        g_signal_connect(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data), c);
        g_signal_connect(msg, "finished", G_CALLBACK(on_finished), c);
        w->event_clients = g_list_prepend(w->event_clients, c);
        server_mark_streaming(w, msg, true);

        hello = g_bytes_new_static("retry: 2000\n\n", 13);
        (void)client_send(c, hello, true);
        daemon = g_strdup_printf("{\"present\":%s}", w->daemon_present ? "true" : "false");
        {
                g_autoptr(GBytes) b = event_bytes("daemon", daemon);

                (void)client_send(c, b, true);
        }
        inverters = web_inverters_sorted(w);
        for (guint i = 0; i < inverters->len; i++) {
                WebInverter *inv = inverters->pdata[i];
                g_autoptr(GPtrArray) units = NULL;

                /* One copy of the full state for every client that connects until it changes
                 * (200 browsers opening the page do not make 200 copies). */
                if (!inv->state_event) {
                        GBytes *text = web_inverter_state_text(w, inv);
                        g_autoptr(JsonNode) serial = json_node_new(JSON_NODE_VALUE);
                        g_autofree char *quoted = NULL;
                        g_autofree char *data = NULL;

                        json_node_set_string(serial, inv->serial);
                        quoted = json_to_string(serial, FALSE);
                        data = g_strdup_printf("{\"serial\":%s,\"state\":%.*s}", quoted,
                                               (int)g_bytes_get_size(text),
                                               (const char *)g_bytes_get_data(text, NULL));
                        inv->state_event = event_bytes("state", data);
                }
                (void)client_send(c, inv->state_event, true);

                units = web_inverter_units(w, inv);
                for (guint k = 0; k < units->len; k++) {
                        g_autofree char *unit_data = web_unit_event_data(inv, units->pdata[k]);
                        g_autoptr(GBytes) ub = event_bytes("unit", unit_data);

                        (void)client_send(c, ub, true);
                }
        }
}

void events_start(Web *w)
{
        w->keepalive_source = g_timeout_add_seconds(w->config->keepalive_interval, on_keepalive, w);
}

void events_stop(Web *w)
{
        if (w->keepalive_source)
                g_source_remove(w->keepalive_source);
        w->keepalive_source = 0;
        while (w->event_clients) {
                EventClient *c = w->event_clients->data;

                w->event_clients = g_list_delete_link(w->event_clients, w->event_clients);
                client_free(c);
        }
}
