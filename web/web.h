/* axpert-web's shared context: the configuration, the mirrored bus state and the HTTP side. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>

#include "web-config.h"

#define HISTORY_BUS_NAME "org.axpert.History"
#define HISTORY_ROOT_PATH "/org/axpert/History"
#define HISTORY_IFACE "org.axpert.History"

typedef struct Bridge Bridge;

/* One org.axpert.Inverter object and what is served of it. */
typedef struct WebInverter {
        char *object_path;
        GDBusProxy *proxy;
        char *serial;         /* SerialNumber; NULL until the daemon knows it */
        JsonObject *state;    /* the native state as last served (for the event diffs) */
        GBytes *state_text;   /* its JSON text, what GET …/inverters/<serial> answers */
        GBytes *cmds_text[2]; /* /cmds answers of godenerg_commands[i], built when asked */
        GBytes *state_event;  /* the "state" event of state_text, built when asked */
        bool dirty;           /* PropertiesChanged since state was built */
        bool refreshing;      /* a Get of LastUpdateTimestamp is on its way */
} WebInverter;

typedef struct Web {
        WebConfig *config;
        GMainLoop *loop;
        int exit_code;

        /* The bus side. */
        Bridge *bridge;
        bool daemon_present;
        GHashTable *inverters;   /* object path -> WebInverter* */
        GHashTable *units;       /* object path -> GDBusProxy* (org.axpert.Inverter.Unit) */
        GHashTable *dirty_units; /* object paths of units changed since the last flush */
        guint flush_source;
        GDBusConnection *bus;
        GCancellable *cancellable;
        guint history_watch;
        bool history_present;
        guint history_calls; /* GetSamples/GetEnergy calls in flight */

        /* The HTTP side. */
        SoupServer *server;
        GHashTable *connections; /* GSocket* -> Conn* */
        guint sweep_source;
        guint n_connections;
        GList *event_clients; /* EventClient* */
        guint keepalive_source;
        guint64 requests_total;
        guint64 connections_refused;
        guint64 connections_evicted;
        guint64 event_clients_dropped;
        GHashTable *auth_cache; /* verified "user\npassword-digest" -> TRUE */
} Web;

/* app.c */
WebInverter *web_find_inverter(Web *w, const char *serial);
/* The inverters with a serial number, sorted by object path. */
GPtrArray *web_inverters_sorted(Web *w);
/* The daemon is there and says the inverter answers. */
bool web_inverter_online(Web *w, WebInverter *inv);
/* Unit proxies of inv, sorted by index. */
GPtrArray *web_inverter_units(Web *w, WebInverter *inv);
guint web_unit_index(GDBusProxy *unit);
/* The native JSON text of inv's state (built now if it is not yet). */
GBytes *web_inverter_state_text(Web *w, WebInverter *inv);
/* The JSON text of godenerg_commands[index] for inv, kept until the next change. */
GBytes *web_inverter_cmds_text(Web *w, WebInverter *inv, guint index);

/* events.c: the Server-Sent Events clients. */
void events_handle(Web *w, SoupServerMessage *msg);
void events_broadcast(Web *w, const char *event, const char *data);
void events_start(Web *w);
void events_stop(Web *w);

/* server.c: listening, connection bookkeeping, routing. */
int server_start(Web *w, GError **error);
void server_stop(Web *w);
/* Marks the connection msg arrived on as an event stream (never evicted as idle). */
void server_mark_streaming(Web *w, SoupServerMessage *msg, bool streaming);
void respond_json_text(SoupServerMessage *msg, guint status, const char *text, gsize len);
void respond_json(SoupServerMessage *msg, guint status, JsonNode *node);
void respond_error(SoupServerMessage *msg, guint status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Query strings: "a=1&b=2&b=3" as (name, value) pairs, percent-decoded. */
typedef struct QueryParam {
        char *name, *value;
} QueryParam;
/* Returns NULL and *ret_problem on malformed text (bad %-escapes, NUL bytes, too many pairs). */
GArray *query_parse(const char *query, char **ret_problem);
/* The names not in allowed (NULL-terminated), as one problem text; NULL when all are known. */
char *query_check_names(GArray *params, const char *const *allowed);
/* The value of a parameter given at most once; *ret_duplicate when it was given more often. */
const char *query_get(GArray *params, const char *name, bool *ret_duplicate);

/* history.c: …/history and …/energy from org.axpert.History. */
void history_start(Web *w);
void history_stop(Web *w);
/* what: "history" or "energy"; answers asynchronously (the message is paused meanwhile). */
void history_handle(Web *w, SoupServerMessage *msg, const char *serial, const char *what);
