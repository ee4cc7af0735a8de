/* axpert-mqtt configuration: /etc/axpert/mqtt.conf (MQTT.md "Configuration"), validated at load. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define MQTT_CONFIG_DEFAULT_PATH SYSCONFDIR "/axpert/mqtt.conf"

typedef struct MqttConfig {
        char *path;   /* the file read, NULL when none existed */
        char *broker; /* tcp://host:port or ssl://host:port */
        char *client_id;
        char *username;
        char *password; /* from Password or PasswordFile */
        char *ca_file, *cert_file, *key_file;
        char *topic_prefix;
        int qos;
        bool discovery;
        char *discovery_prefix;
        bool mindfreeze;
        char *parallel_topic;
        char *inverter_topic; /* may contain {sn} */
        char *settings_topic;
        bool commands;
} MqttConfig;

/* Loads and validates path (NULL: the default path, which may be missing), a regular file of at
 * most 1 MiB; a PasswordFile is a regular file of at most 4 KiB. Every error names the file,
 * group and key. */
MqttConfig *mqtt_config_load(const char *path, GError **error);
MqttConfig *mqtt_config_free(MqttConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MqttConfig, mqtt_config_free)

/* A topic (or prefix) that may be published to: non-empty, no wildcards, no NUL, at most
 * 1024 bytes, no leading or trailing '/'. */
bool mqtt_topic_name_valid(const char *topic);
