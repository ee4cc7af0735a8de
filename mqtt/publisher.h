/* The MQTT side: one paho MQTTAsync client driven from the GLib main loop. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "mqtt-config.h"

typedef struct Publisher Publisher;

/* Called only where the main context is dispatched (the main loop), never on a Paho thread. */
typedef struct PublisherCallbacks {
        void (*connected)(void *userdata); /* first connect and every reconnect */
        /* retained: the broker's stored copy, handed out because we (re)subscribed, not a
         * message published just now. */
        void (*message)(void *userdata, const char *topic, const char *payload, size_t len,
                        bool retained);
} PublisherCallbacks;

/* Messages kept while the broker is away; the oldest is dropped first. */
#define PUBLISHER_MAX_BUFFERED 2000

Publisher *publisher_new(const MqttConfig *config, const PublisherCallbacks *callbacks,
                         void *userdata, GError **error);
Publisher *publisher_free(Publisher *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Publisher, publisher_free)

/* Starts connecting; reconnects by itself with backoff from then on. */
int publisher_start(Publisher *p);
bool publisher_is_connected(Publisher *p);
/* True once the first connection succeeded (from then on, messages are buffered while away). */
bool publisher_has_connected(Publisher *p);
/* Queues a message; buffered (bounded) while disconnected. Negative errno on failure. */
int publisher_publish(Publisher *p, const char *topic, const void *payload, size_t len, int qos,
                      bool retain);
int publisher_publish_string(Publisher *p, const char *topic, const char *payload, int qos,
                             bool retain);
int publisher_subscribe(Publisher *p, const char *filter, int qos);
/* Clean shutdown: publishes "offline" (retained) on the last will's topic, the bridge
 * availability, and disconnects; waits at most timeout_ms. */
void publisher_stop(Publisher *p, int timeout_ms);
