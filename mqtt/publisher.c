/* paho MQTTAsync in a GLib program: every Paho callback copies what it needs and queues it for
 * the main context (never runs it on Paho's thread); automatic reconnect with backoff; retained
 * last will; bounded buffer. */
#include "publisher.h"

#include <MQTTAsync.h>
#include <gio/gio.h>
#include <gmodule.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>

#include "log.h"
#include "topic-names.h"

#define RETRY_MIN_SECONDS 1
#define RETRY_MAX_SECONDS 32

struct Publisher {
        MQTTAsync client;
        GMainContext *context;
        PublisherCallbacks callbacks;
        void *userdata;
        char *broker;
        char *will_topic;
        char *username;
        char *password;
        char *ca_file, *cert_file, *key_file;
        bool tls;
        int qos;
        bool connected; /* as last reported to the main context */
        bool ever_connected;
        bool stopping;
        guint retry_source;
        unsigned retry_seconds;
        /* Paho's threads push, the main context pops; events_source is set while events wait. */
        GMutex events_lock;
        GQueue events;
        GSource *events_source;
};

/* Paho comes in two builds, with OpenSSL (paho-mqtt3as) and without (paho-mqtt3a). Merely
 * loading libcrypto costs ~2 MiB of resident memory (its relocations), so the build a broker URL
 * needs is loaded at run time: tcp:// brokers never map OpenSSL at all. */
typedef struct PahoApi {
        __typeof__(MQTTAsync_global_init) *global_init;
        __typeof__(MQTTAsync_createWithOptions) *createWithOptions;
        __typeof__(MQTTAsync_setCallbacks) *setCallbacks;
        __typeof__(MQTTAsync_setConnected) *setConnected;
        __typeof__(MQTTAsync_connect) *connect;
        __typeof__(MQTTAsync_isConnected) *isConnected;
        __typeof__(MQTTAsync_send) *send;
        __typeof__(MQTTAsync_subscribe) *subscribe;
        __typeof__(MQTTAsync_waitForCompletion) *waitForCompletion;
        __typeof__(MQTTAsync_disconnect) *disconnect;
        __typeof__(MQTTAsync_destroy) *destroy;
        __typeof__(MQTTAsync_freeMessage) *freeMessage;
        __typeof__(MQTTAsync_free) *free;
        __typeof__(MQTTAsync_strerror) *strerror;
} PahoApi;

static PahoApi paho;
static GModule *paho_module;
static bool paho_module_tls;

static const struct {
        const char *name;
        size_t offset;
} paho_symbols[] = {
                {"MQTTAsync_global_init", offsetof(PahoApi, global_init)},
                {"MQTTAsync_createWithOptions", offsetof(PahoApi, createWithOptions)},
                {"MQTTAsync_setCallbacks", offsetof(PahoApi, setCallbacks)},
                {"MQTTAsync_setConnected", offsetof(PahoApi, setConnected)},
                {"MQTTAsync_connect", offsetof(PahoApi, connect)},
                {"MQTTAsync_isConnected", offsetof(PahoApi, isConnected)},
                {"MQTTAsync_send", offsetof(PahoApi, send)},
                {"MQTTAsync_subscribe", offsetof(PahoApi, subscribe)},
                {"MQTTAsync_waitForCompletion", offsetof(PahoApi, waitForCompletion)},
                {"MQTTAsync_disconnect", offsetof(PahoApi, disconnect)},
                {"MQTTAsync_destroy", offsetof(PahoApi, destroy)},
                {"MQTTAsync_freeMessage", offsetof(PahoApi, freeMessage)},
                {"MQTTAsync_free", offsetof(PahoApi, free)},
                {"MQTTAsync_strerror", offsetof(PahoApi, strerror)},
};

static gboolean paho_load(bool tls, GError **error)
{
        static const char *const plain[] = {"libpaho-mqtt3a.so.1", "libpaho-mqtt3a.so", NULL};
        static const char *const secure[] = {"libpaho-mqtt3as.so.1", "libpaho-mqtt3as.so", NULL};
        const char *const *names = tls ? secure : plain;
        MQTTAsync_init_options init = MQTTAsync_init_options_initializer;

        if (paho_module) {
                if (paho_module_tls == tls)
                        return TRUE;
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "one process serves one kind of broker URL");
                return FALSE;
        }
        for (size_t i = 0; names[i] && !paho_module; i++)
                paho_module = g_module_open(names[i], G_MODULE_BIND_LOCAL);
        if (!paho_module) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                            "cannot load %s (Debian package libpaho-mqtt1.3): %s", names[0],
                            g_module_error());
                return FALSE;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(paho_symbols); i++)
                if (!g_module_symbol(paho_module, paho_symbols[i].name,
                                     (gpointer *)((char *)&paho + paho_symbols[i].offset))) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s lacks %s: %s",
                                    names[0], paho_symbols[i].name, g_module_error());
                        g_module_close(paho_module);
                        paho_module = NULL;
                        return FALSE;
                }
        paho_module_tls = tls;
        /* OpenSSL 3 initialises itself on first use; Paho's eager init (all algorithms, all
         * error strings) would cost resident memory for nothing. */
        init.do_openssl_init = 0;
        paho.global_init(&init);
        return TRUE;
}

typedef enum PahoEventKind {
        PAHO_CONNECTED,
        PAHO_CONNECTION_LOST,
        PAHO_CONNECT_FAILED,
        PAHO_MESSAGE,
} PahoEventKind;

/* What a Paho thread hands to the main context: copies only, never Paho's own buffers. */
typedef struct PahoEvent {
        PahoEventKind kind;
        char *topic;
        char *payload;
        size_t len;
        bool retained;
        char *cause;
} PahoEvent;

static void paho_event_free(gpointer data)
{
        PahoEvent *ev = data;

        g_free(ev->topic);
        g_free(ev->payload);
        g_free(ev->cause);
        g_free(ev);
}

static int publisher_connect(Publisher *p);

static gboolean on_retry(gpointer userdata)
{
        Publisher *p = userdata;

        p->retry_source = 0;
        if (!p->stopping && !paho.isConnected(p->client))
                (void)publisher_connect(p);
        return G_SOURCE_REMOVE;
}

static void schedule_retry(Publisher *p)
{
        if (p->retry_source || p->stopping)
                return;
        log_debug("Retrying the broker connection in %us.", p->retry_seconds);
        p->retry_source = g_timeout_add_seconds(p->retry_seconds, on_retry, p);
        /* Exponential backoff, so that a dead broker is not hammered. */
        p->retry_seconds = MIN(p->retry_seconds * 2, RETRY_MAX_SECONDS);
}

static void paho_event_handle(Publisher *p, PahoEvent *ev)
{
        switch (ev->kind) {
        case PAHO_CONNECTED:
                p->connected = true;
                p->ever_connected = true;
                p->retry_seconds = RETRY_MIN_SECONDS;
                if (p->retry_source) {
                        g_source_remove(p->retry_source);
                        p->retry_source = 0;
                }
                /* Paho's "cause" says "automatic reconnect" even for the first connection. */
                log_info("Connected to the MQTT broker %s.", p->broker);
                if (p->callbacks.connected)
                        p->callbacks.connected(p->userdata);
                break;
        case PAHO_CONNECTION_LOST:
                if (p->connected)
                        log_warning("Lost the MQTT broker connection: %s; reconnecting.",
                                    ev->cause ? ev->cause : "unknown cause");
                p->connected = false;
                break;
        case PAHO_CONNECT_FAILED:
                log_warning("Cannot connect to the MQTT broker %s: %s.", p->broker,
                            ev->cause ? ev->cause : "unknown error");
                p->connected = false;
                /* Paho's automatic reconnect only covers connections that once succeeded. */
                schedule_retry(p);
                break;
        case PAHO_MESSAGE:
                if (p->callbacks.message)
                        p->callbacks.message(p->userdata, ev->topic, ev->payload, ev->len,
                                             ev->retained);
                break;
        }
}

/* Runs only where p->context is iterated (the main loop), one event per dispatch, in order. */
static gboolean paho_events_dispatch(gpointer data)
{
        Publisher *p = data;
        PahoEvent *ev;
        bool more;

        g_mutex_lock(&p->events_lock);
        ev = g_queue_pop_head(&p->events);
        more = !g_queue_is_empty(&p->events);
        if (!more)
                g_clear_pointer(&p->events_source, g_source_unref);
        g_mutex_unlock(&p->events_lock);

        if (ev) {
                paho_event_handle(p, ev);
                paho_event_free(ev);
        }
        return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Not g_main_context_invoke(): on a thread whose thread-default context is the global default
 * (every Paho thread), it runs the function right there whenever the main thread does not own
 * the context at that moment, e.g. during app_run's synchronous D-Bus calls before
 * g_main_loop_run. An attached source is only ever dispatched by the context's owner. */
static void paho_event_post(Publisher *p, PahoEvent *ev)
{
        g_mutex_lock(&p->events_lock);
        g_queue_push_tail(&p->events, ev);
        if (!p->events_source) {
                p->events_source = g_idle_source_new();
                g_source_set_priority(p->events_source, G_PRIORITY_DEFAULT);
                g_source_set_callback(p->events_source, paho_events_dispatch, p, NULL);
                g_source_set_static_name(p->events_source, "paho-events");
                g_source_attach(p->events_source, p->context);
        }
        g_mutex_unlock(&p->events_lock);
}

/* ---- Paho threads below: copy, post, return ---- */

static void on_paho_connected(void *context, char *cause)
{
        PahoEvent *ev = g_new0(PahoEvent, 1);

        ev->kind = PAHO_CONNECTED;
        ev->cause = g_strdup(cause);
        paho_event_post(context, ev);
}

static void on_paho_connection_lost(void *context, char *cause)
{
        PahoEvent *ev = g_new0(PahoEvent, 1);

        ev->kind = PAHO_CONNECTION_LOST;
        ev->cause = g_strdup(cause ? cause : "connection closed");
        paho_event_post(context, ev);
}

static void on_paho_connect_failure(void *context, MQTTAsync_failureData *response)
{
        PahoEvent *ev = g_new0(PahoEvent, 1);

        ev->kind = PAHO_CONNECT_FAILED;
        if (response && response->message)
                ev->cause = g_strdup(response->message);
        else
                ev->cause = g_strdup_printf("%s (%d)",
                                            paho.strerror(response ? response->code : -1),
                                            response ? response->code : -1);
        paho_event_post(context, ev);
}

static int on_paho_message(void *context, char *topic, int topic_len, MQTTAsync_message *message)
{
        PahoEvent *ev = g_new0(PahoEvent, 1);

        ev->kind = PAHO_MESSAGE;
        ev->topic = topic_len > 0 ? g_strndup(topic, topic_len) : g_strdup(topic);
        ev->len = message->payloadlen > 0 ? (size_t)message->payloadlen : 0;
        /* NUL-terminated copy; the length says where the payload really ends. */
        ev->payload = g_malloc(ev->len + 1);
        if (ev->len)
                memcpy(ev->payload, message->payload, ev->len);
        ev->payload[ev->len] = '\0';
        ev->retained = message->retained != 0;
        paho.freeMessage(&message);
        paho.free(topic);
        paho_event_post(context, ev);
        return 1;
}

/* ---- main context ---- */

static int publisher_connect(Publisher *p)
{
        MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
        MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
        MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
        int r;

        opts.keepAliveInterval = 30;
        opts.cleansession = 1;
        opts.automaticReconnect = 1;
        opts.minRetryInterval = RETRY_MIN_SECONDS;
        opts.maxRetryInterval = RETRY_MAX_SECONDS;
        opts.connectTimeout = 10;
        opts.onFailure = on_paho_connect_failure;
        opts.context = p;

        /* The broker announces our death: retained, so late subscribers see it too. */
        will.topicName = p->will_topic;
        will.message = "offline";
        will.retained = 1;
        will.qos = p->qos;
        opts.will = &will;

        opts.username = p->username;
        opts.password = p->password;

        if (p->tls) {
                ssl.trustStore = p->ca_file;
                ssl.keyStore = p->cert_file;
                ssl.privateKey = p->key_file;
                ssl.enableServerCertAuth = 1;
                ssl.verify = 1;
                opts.ssl = &ssl;
        }

        r = paho.connect(p->client, &opts);
        if (r != MQTTASYNC_SUCCESS) {
                log_warning("Cannot start connecting to the MQTT broker: %s (%d).",
                            paho.strerror(r), r);
                schedule_retry(p);
                return -EIO;
        }
        return 0;
}

Publisher *publisher_new(const MqttConfig *config, const PublisherCallbacks *callbacks,
                         void *userdata, GError **error)
{
        g_autoptr(Publisher) p = g_new0(Publisher, 1);
        MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
        int r;

        g_mutex_init(&p->events_lock);
        g_queue_init(&p->events);
        if (!paho_load(g_str_has_prefix(config->broker, "ssl://"), error))
                return NULL;

        p->context = g_main_context_ref_thread_default();
        p->callbacks = *callbacks;
        p->userdata = userdata;
        p->broker = g_strdup(config->broker);
        p->will_topic = topic_name_bridge_availability(config);
        p->username = g_strdup(config->username);
        p->password = g_strdup(config->password);
        p->ca_file = g_strdup(config->ca_file);
        p->cert_file = g_strdup(config->cert_file);
        p->key_file = g_strdup(config->key_file);
        p->tls = g_str_has_prefix(config->broker, "ssl://");
        p->qos = config->qos;
        p->retry_seconds = RETRY_MIN_SECONDS;

        /* A bounded buffer while the broker is away; the oldest message goes first, the newest
         * state is what matters. */
        create.sendWhileDisconnected = 1;
        create.allowDisconnectedSendAtAnyTime = 1;
        create.maxBufferedMessages = PUBLISHER_MAX_BUFFERED;
        create.deleteOldestMessages = 1;
        create.MQTTVersion = MQTTVERSION_3_1_1;

        r = paho.createWithOptions(&p->client, config->broker, config->client_id,
                                   MQTTCLIENT_PERSISTENCE_NONE, NULL, &create);
        if (r != MQTTASYNC_SUCCESS) {
                p->client = NULL;
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "cannot create the MQTT client for '%s': %s (%d)", config->broker,
                            paho.strerror(r), r);
                return NULL;
        }
        r = paho.setCallbacks(p->client, p, on_paho_connection_lost, on_paho_message, NULL);
        if (r == MQTTASYNC_SUCCESS)
                r = paho.setConnected(p->client, p, on_paho_connected);
        if (r != MQTTASYNC_SUCCESS) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "cannot set the MQTT callbacks: %s (%d)", paho.strerror(r), r);
                return NULL;
        }
        return g_steal_pointer(&p);
}

Publisher *publisher_free(Publisher *p)
{
        if (!p)
                return NULL;
        if (p->retry_source)
                g_source_remove(p->retry_source);
        if (p->client)
                paho.destroy(&p->client);
        /* Paho calls back no more: drop what it handed over and never got dispatched. */
        if (p->events_source) {
                g_source_destroy(p->events_source);
                g_clear_pointer(&p->events_source, g_source_unref);
        }
        g_queue_clear_full(&p->events, paho_event_free);
        g_mutex_clear(&p->events_lock);
        g_free(p->broker);
        g_free(p->will_topic);
        g_free(p->username);
        if (p->password) {
                memset(p->password, 0, strlen(p->password));
                g_free(p->password);
        }
        g_free(p->ca_file);
        g_free(p->cert_file);
        g_free(p->key_file);
        if (p->context)
                g_main_context_unref(p->context);
        g_free(p);
        return NULL;
}

int publisher_start(Publisher *p)
{
        return publisher_connect(p);
}

bool publisher_is_connected(Publisher *p)
{
        return p->connected && paho.isConnected(p->client);
}

bool publisher_has_connected(Publisher *p)
{
        return p->ever_connected;
}

int publisher_publish(Publisher *p, const char *topic, const void *payload, size_t len, int qos,
                      bool retain)
{
        MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
        int r;

        if (len > (size_t)G_MAXINT)
                return -EMSGSIZE;
        r = paho.send(p->client, topic, (int)len, payload, qos, retain ? 1 : 0, &opts);
        if (r != MQTTASYNC_SUCCESS) {
                log_debug("Cannot publish to '%s': %s (%d).", topic, paho.strerror(r), r);
                return r == MQTTASYNC_MAX_BUFFERED_MESSAGES ? -ENOBUFS : -EIO;
        }
        return 0;
}

int publisher_publish_string(Publisher *p, const char *topic, const char *payload, int qos,
                             bool retain)
{
        return publisher_publish(p, topic, payload, strlen(payload), qos, retain);
}

int publisher_subscribe(Publisher *p, const char *filter, int qos)
{
        MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
        int r;

        r = paho.subscribe(p->client, filter, qos, &opts);
        if (r != MQTTASYNC_SUCCESS) {
                log_warning("Cannot subscribe to '%s': %s (%d).", filter, paho.strerror(r), r);
                return -EIO;
        }
        return 0;
}

void publisher_stop(Publisher *p, int timeout_ms)
{
        MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
        MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
        gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

        p->stopping = true;
        if (p->retry_source) {
                g_source_remove(p->retry_source);
                p->retry_source = 0;
        }
        if (!paho.isConnected(p->client))
                return;

        /* Shutting down is the one place where waiting is right: the clean "offline" must reach
         * the broker before the connection closes (else the will would say the same, later). */
        if (paho.send(p->client, p->will_topic, 7, "offline", p->qos, 1, &opts) ==
            MQTTASYNC_SUCCESS)
                (void)paho.waitForCompletion(p->client, opts.token, timeout_ms);

        dopts.timeout = MAX(timeout_ms / 2, 100);
        if (paho.disconnect(p->client, &dopts) != MQTTASYNC_SUCCESS)
                return;
        while (paho.isConnected(p->client) && g_get_monotonic_time() < deadline)
                g_usleep(10 * 1000);
}
