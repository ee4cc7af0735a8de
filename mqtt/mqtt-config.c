/* Reads mqtt.conf with GKeyFile; every key of MQTT.md is checked, unknown ones are errors. */
#include "config.h"
#include "mqtt-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"

/* A password is short; the configuration a few hundred bytes. Anything bigger is a mistake
 * (PasswordFile=/dev/zero would otherwise grow memory without end). */
#define SECRET_FILE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)

typedef enum KeyType { KEY_STRING, KEY_BOOL, KEY_INT } KeyType;

/* THE list of groups and keys MQTT.md defines; anything else in the file is an error. */
static const struct {
        const char *group;
        const char *key;
        KeyType type;
} config_keys[] = {
                {"MQTT", "Broker", KEY_STRING},
                {"MQTT", "ClientId", KEY_STRING},
                {"MQTT", "Username", KEY_STRING},
                {"MQTT", "Password", KEY_STRING},
                {"MQTT", "PasswordFile", KEY_STRING},
                {"MQTT", "CAFile", KEY_STRING},
                {"MQTT", "CertFile", KEY_STRING},
                {"MQTT", "KeyFile", KEY_STRING},
                {"MQTT", "TopicPrefix", KEY_STRING},
                {"MQTT", "QoS", KEY_INT},
                {"HomeAssistant", "Discovery", KEY_BOOL},
                {"HomeAssistant", "DiscoveryPrefix", KEY_STRING},
                {"MindFreeze", "Enabled", KEY_BOOL},
                {"MindFreeze", "ParallelTopic", KEY_STRING},
                {"MindFreeze", "InverterTopic", KEY_STRING},
                {"MindFreeze", "SettingsTopic", KEY_STRING},
                {"Commands", "Enabled", KEY_BOOL},
};

MqttConfig *mqtt_config_free(MqttConfig *c)
{
        if (!c)
                return NULL;
        g_free(c->path);
        g_free(c->broker);
        g_free(c->client_id);
        g_free(c->username);
        if (c->password) {
                /* Do not leave the secret lying around in freed memory. */
                memset(c->password, 0, strlen(c->password));
                g_free(c->password);
        }
        g_free(c->ca_file);
        g_free(c->cert_file);
        g_free(c->key_file);
        g_free(c->topic_prefix);
        g_free(c->discovery_prefix);
        g_free(c->parallel_topic);
        g_free(c->inverter_topic);
        g_free(c->settings_topic);
        g_free(c);
        return NULL;
}

bool mqtt_topic_name_valid(const char *topic)
{
        size_t n;

        if (!topic || !*topic)
                return false;
        n = strlen(topic);
        if (n > 1024 || topic[0] == '/' || topic[n - 1] == '/')
                return false;
        if (!g_utf8_validate(topic, -1, NULL))
                return false;
        for (const char *p = topic; *p; p++)
                if (*p == '+' || *p == '#' || (unsigned char)*p < 0x20)
                        return false;
        return true;
}

static gboolean set_error(GError **error, const char *file, const char *group, const char *key,
                          const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static gboolean set_error(GError **error, const char *file, const char *group, const char *key,
                          const char *fmt, ...)
{
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: [%s] %s: %s",
                    file, group, key, msg);
        return FALSE;
}

/* Reads a string key; a key that is present but empty is an error (unset means "leave it out"). */
static gboolean read_string(GKeyFile *kf, const char *file, const char *group, const char *key,
                            char **ret, GError **error)
{
        g_autoptr(GError) e = NULL;
        g_autofree char *v = NULL;

        if (!g_key_file_has_key(kf, group, key, NULL))
                return TRUE;
        v = g_key_file_get_string(kf, group, key, &e);
        if (!v)
                return set_error(error, file, group, key, "%s", e->message);
        g_strstrip(v);
        if (!*v)
                return set_error(error, file, group, key, "empty value");
        g_free(*ret);
        *ret = g_steal_pointer(&v);
        return TRUE;
}

/* Booleans as systemd and NUT users write them, not only GKeyFile's true/false. */
static gboolean read_bool(GKeyFile *kf, const char *file, const char *group, const char *key,
                          bool *ret, GError **error)
{
        static const char *const yes[] = {"true", "yes", "on", "1", NULL};
        static const char *const no[] = {"false", "no", "off", "0", NULL};
        g_autofree char *raw = NULL;

        if (!g_key_file_has_key(kf, group, key, NULL))
                return TRUE;
        raw = g_key_file_get_value(kf, group, key, NULL);
        if (raw)
                g_strstrip(raw);
        for (size_t i = 0; raw && yes[i]; i++)
                if (g_ascii_strcasecmp(raw, yes[i]) == 0) {
                        *ret = true;
                        return TRUE;
                }
        for (size_t i = 0; raw && no[i]; i++)
                if (g_ascii_strcasecmp(raw, no[i]) == 0) {
                        *ret = false;
                        return TRUE;
                }
        return set_error(error, file, group, key,
                         "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", raw ? raw : "");
}

static const char *file_type_name(mode_t mode)
{
        if (S_ISDIR(mode))
                return "a directory";
        if (S_ISCHR(mode))
                return "a character device";
        if (S_ISBLK(mode))
                return "a block device";
        if (S_ISFIFO(mode))
                return "a FIFO";
        if (S_ISSOCK(mode))
                return "a socket";
        return "of an unknown type";
}

/* Reads a whole regular file (or a symbolic link to one) of at most max bytes, NUL-terminated.
 * Anything else is refused before a byte is read: a FIFO would block, a device may never end.
 * On failure returns negative errno and *ret_problem says what is wrong, without the path. */
static int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
                           char **ret_problem)
{
        _cleanup_(closep) int fd = -1;
        g_autofree char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                *ret_problem = g_strdup_printf("cannot be read: %s", g_strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                *ret_problem = g_strdup_printf("is not a regular file (%s)",
                                               file_type_name(st.st_mode));
                return -EINVAL;
        }
        if ((guint64)st.st_size > max) {
                *ret_problem = g_strdup_printf("is larger than %zu bytes", max);
                return -EFBIG;
        }
        /* Up to max + 1 bytes: the file may have grown since fstat(). */
        buf = g_malloc(max + 2);
        while (len <= max) {
                ssize_t n = read(fd, buf + len, max + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        *ret_problem = g_strdup_printf("cannot be read: %s", g_strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max) {
                memset(buf, 0, len); /* it may be a secret */
                *ret_problem = g_strdup_printf("is larger than %zu bytes", max);
                return -EFBIG;
        }
        buf[len] = '\0';
        *ret = g_steal_pointer(&buf);
        *ret_len = len;
        return 0;
}

/* Reads a file's whole content as the password: a systemd credential (LoadCredential=) is given
 * by its name relative to $CREDENTIALS_DIRECTORY, any other relative or absolute path as is. */
static gboolean read_password_file(const char *file, const char *value, char **ret, GError **error)
{
        g_autofree char *path = NULL;
        g_autofree char *content = NULL;
        g_autofree char *problem = NULL;
        const char *creds = g_getenv("CREDENTIALS_DIRECTORY");
        size_t len;

        if (!g_path_is_absolute(value) && creds && *creds)
                path = g_build_filename(creds, value, NULL);
        else
                path = g_strdup(value);

        if (read_small_file(path, SECRET_FILE_MAX, &content, &len, &problem) < 0)
                return set_error(error, file, "MQTT", "PasswordFile", "'%s' %s", path, problem);
        if (memchr(content, '\0', len)) {
                memset(content, 0, len);
                return set_error(error, file, "MQTT", "PasswordFile", "'%s' contains a NUL byte",
                                 path);
        }
        /* One trailing newline is what editors and `echo` add; it is not part of the secret. */
        if (len > 0 && content[len - 1] == '\n')
                content[--len] = '\0';
        if (len > 0 && content[len - 1] == '\r')
                content[--len] = '\0';
        if (len == 0)
                return set_error(error, file, "MQTT", "PasswordFile", "'%s' is empty", path);
        *ret = g_steal_pointer(&content);
        return TRUE;
}

/* The TLS files are read by Paho (OpenSSL) when it connects, not here: checked now so that a
 * wrong path is an error at start, not a connection failure retried for ever. */
static gboolean check_readable(const char *file, const char *key, const char *path, GError **error)
{
        struct stat st;

        if (stat(path, &st) < 0 || access(path, R_OK) < 0)
                return set_error(error, file, "MQTT", key, "'%s' cannot be read: %s", path,
                                 g_strerror(errno));
        if (!S_ISREG(st.st_mode))
                return set_error(error, file, "MQTT", key, "'%s' is not a regular file (%s)", path,
                                 file_type_name(st.st_mode));
        return TRUE;
}

/* Whether the host part of a URL (after the scheme) names a port: the text after the last ':'
 * outside an IPv6 literal's brackets. */
static bool url_has_port(const char *rest)
{
        const char *colon = strrchr(rest, ':');

        return colon && !strchr(colon, ']');
}

/* Paho knows tcp:// and ssl:// only; mqtt:// and mqtts:// (what most brokers' documentation and
 * Home Assistant write) mean the same, with the default ports 1883 and 8883, and are rewritten
 * into them. */
static gboolean normalize_broker(const char *file, char **url, GError **error)
{
        static const struct {
                const char *scheme, *paho;
                unsigned port;
        } schemes[] = {
                        {"mqtt://", "tcp://", 1883},
                        {"mqtts://", "ssl://", 8883},
                        {"tcp://", "tcp://", 1883},
                        {"ssl://", "ssl://", 8883},
        };

        for (size_t i = 0; i < ELEMENTSOF(schemes); i++) {
                const char *rest;
                g_autofree char *host = NULL;
                char *slash;

                if (!g_str_has_prefix(*url, schemes[i].scheme))
                        continue;
                rest = *url + strlen(schemes[i].scheme);
                host = g_strdup(rest);
                /* A trailing '/' (mqtt://host/) is no path Paho would understand. */
                slash = strchr(host, '/');
                if (slash && slash[1] == '\0')
                        *slash = '\0';
                if (*host && !url_has_port(host)) {
                        g_free(*url);
                        *url = g_strdup_printf("%s%s:%u", schemes[i].paho, host, schemes[i].port);
                } else {
                        g_free(*url);
                        *url = g_strconcat(schemes[i].paho, host, NULL);
                }
                return TRUE;
        }
        return set_error(error, file, "MQTT", "Broker",
                         "'%s' is not a mqtt://, mqtts://, tcp:// or ssl:// URL", *url);
}

/* url: what Paho gets (tcp:// or ssl://); shown: what the file says, for the messages. */
static gboolean check_broker(const char *file, const char *url, const char *shown, GError **error)
{
        const char *rest, *colon;

        if (g_str_has_prefix(url, "tcp://"))
                rest = url + 6;
        else if (g_str_has_prefix(url, "ssl://"))
                rest = url + 6;
        else
                return set_error(error, file, "MQTT", "Broker",
                                 "'%s' is not a mqtt://, mqtts://, tcp:// or ssl:// URL", shown);
        if (!*rest || *rest == ':' || *rest == '/')
                return set_error(error, file, "MQTT", "Broker", "'%s' names no host", shown);
        for (const char *p = rest; *p; p++)
                if (g_ascii_isspace(*p) || (unsigned char)*p < 0x20)
                        return set_error(error, file, "MQTT", "Broker", "'%s' contains white space",
                                         shown);
        /* IPv6 literals are bracketed; the port is what follows the last ':' outside them. */
        colon = strrchr(rest, ':');
        if (colon && !strchr(colon, ']')) {
                char *end = NULL;
                guint64 port;

                errno = 0;
                port = g_ascii_strtoull(colon + 1, &end, 10);
                if (errno || end == colon + 1 || (*end && *end != '/') || port == 0 || port > 65535)
                        return set_error(error, file, "MQTT", "Broker",
                                         "'%s' has no valid port (1-65535)", shown);
        }
        return TRUE;
}

static char *default_client_id(void)
{
        g_autofree char *host = g_strdup(g_get_host_name());

        /* Broker ids must be plain; a host name with odd characters keeps only the safe ones. */
        g_strcanon(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", '_');
        return g_strdup_printf("axpert-mqtt-%s", host);
}

static gboolean check_unknown_keys(GKeyFile *kf, const char *file, GError **error)
{
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

        for (size_t i = 0; groups && groups[i]; i++) {
                g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
                bool group_known = false;

                for (size_t k = 0; k < ELEMENTSOF(config_keys); k++)
                        if (streq(config_keys[k].group, groups[i]))
                                group_known = true;
                if (!group_known) {
                        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                                    "%s: [%s]: unknown group", file, groups[i]);
                        return FALSE;
                }
                for (size_t j = 0; keys && keys[j]; j++) {
                        bool known = false;

                        for (size_t k = 0; k < ELEMENTSOF(config_keys); k++)
                                if (streq(config_keys[k].group, groups[i]) &&
                                    streq(config_keys[k].key, keys[j]))
                                        known = true;
                        if (!known)
                                return set_error(error, file, groups[i], keys[j], "unknown key");
                }
        }
        return TRUE;
}

static gboolean config_parse(MqttConfig *c, GKeyFile *kf, const char *file, GError **error)
{
        g_autofree char *password_file = NULL;
        g_autofree char *qos = NULL;
        g_autofree char *broker = NULL; /* as the file says it */

        if (!check_unknown_keys(kf, file, error))
                return FALSE;

        if (!read_string(kf, file, "MQTT", "Broker", &c->broker, error) ||
            !read_string(kf, file, "MQTT", "ClientId", &c->client_id, error) ||
            !read_string(kf, file, "MQTT", "Username", &c->username, error) ||
            !read_string(kf, file, "MQTT", "Password", &c->password, error) ||
            !read_string(kf, file, "MQTT", "PasswordFile", &password_file, error) ||
            !read_string(kf, file, "MQTT", "CAFile", &c->ca_file, error) ||
            !read_string(kf, file, "MQTT", "CertFile", &c->cert_file, error) ||
            !read_string(kf, file, "MQTT", "KeyFile", &c->key_file, error) ||
            !read_string(kf, file, "MQTT", "TopicPrefix", &c->topic_prefix, error) ||
            !read_string(kf, file, "MQTT", "QoS", &qos, error) ||
            !read_bool(kf, file, "HomeAssistant", "Discovery", &c->discovery, error) ||
            !read_string(kf, file, "HomeAssistant", "DiscoveryPrefix", &c->discovery_prefix,
                         error) ||
            !read_bool(kf, file, "MindFreeze", "Enabled", &c->mindfreeze, error) ||
            !read_string(kf, file, "MindFreeze", "ParallelTopic", &c->parallel_topic, error) ||
            !read_string(kf, file, "MindFreeze", "InverterTopic", &c->inverter_topic, error) ||
            !read_string(kf, file, "MindFreeze", "SettingsTopic", &c->settings_topic, error) ||
            !read_bool(kf, file, "Commands", "Enabled", &c->commands, error))
                return FALSE;

        broker = g_strdup(c->broker);
        if (!normalize_broker(file, &c->broker, error) ||
            !check_broker(file, c->broker, broker, error))
                return FALSE;

        for (const char *p = c->client_id; *p; p++)
                if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
                        return set_error(error, file, "MQTT", "ClientId",
                                         "'%s' must be printable ASCII without spaces",
                                         c->client_id);
        if (strlen(c->client_id) > 65535)
                return set_error(error, file, "MQTT", "ClientId", "too long");

        if (qos) {
                if (strlen(qos) != 1 || qos[0] < '0' || qos[0] > '2')
                        return set_error(error, file, "MQTT", "QoS", "'%s' is not 0, 1 or 2", qos);
                c->qos = qos[0] - '0';
        }

        if (c->password && password_file)
                return set_error(error, file, "MQTT", "PasswordFile",
                                 "Password and PasswordFile exclude each other");
        if (password_file && !read_password_file(file, password_file, &c->password, error))
                return FALSE;
        if (c->password && !c->username)
                return set_error(error, file, "MQTT", password_file ? "PasswordFile" : "Password",
                                 "a password needs a Username");

        if (!g_str_has_prefix(c->broker, "ssl://")) {
                if (c->ca_file)
                        return set_error(error, file, "MQTT", "CAFile",
                                         "TLS files need an ssl:// Broker");
                if (c->cert_file)
                        return set_error(error, file, "MQTT", "CertFile",
                                         "TLS files need an ssl:// Broker");
                if (c->key_file)
                        return set_error(error, file, "MQTT", "KeyFile",
                                         "TLS files need an ssl:// Broker");
        }
        if (c->key_file && !c->cert_file)
                return set_error(error, file, "MQTT", "KeyFile", "a KeyFile needs a CertFile");
        if ((c->ca_file && !check_readable(file, "CAFile", c->ca_file, error)) ||
            (c->cert_file && !check_readable(file, "CertFile", c->cert_file, error)) ||
            (c->key_file && !check_readable(file, "KeyFile", c->key_file, error)))
                return FALSE;

        if (!mqtt_topic_name_valid(c->topic_prefix))
                return set_error(error, file, "MQTT", "TopicPrefix",
                                 "'%s' is not a valid topic prefix (no wildcards, no leading or "
                                 "trailing '/')",
                                 c->topic_prefix);
        if (!mqtt_topic_name_valid(c->discovery_prefix))
                return set_error(error, file, "HomeAssistant", "DiscoveryPrefix",
                                 "'%s' is not a valid topic prefix (no wildcards, no leading or "
                                 "trailing '/')",
                                 c->discovery_prefix);
        if (!mqtt_topic_name_valid(c->parallel_topic))
                return set_error(error, file, "MindFreeze", "ParallelTopic",
                                 "'%s' is not a valid topic", c->parallel_topic);
        if (!mqtt_topic_name_valid(c->inverter_topic))
                return set_error(error, file, "MindFreeze", "InverterTopic",
                                 "'%s' is not a valid topic", c->inverter_topic);
        if (!mqtt_topic_name_valid(c->settings_topic))
                return set_error(error, file, "MindFreeze", "SettingsTopic",
                                 "'%s' is not a valid topic", c->settings_topic);
        return TRUE;
}

MqttConfig *mqtt_config_load(const char *path, GError **error)
{
        g_autoptr(MqttConfig) c = g_new0(MqttConfig, 1);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) e = NULL;
        g_autofree char *data = NULL;
        g_autofree char *problem = NULL;
        const char *file = path ? path : MQTT_CONFIG_DEFAULT_PATH;
        size_t len;
        int r;

        c->broker = g_strdup("tcp://localhost:1883");
        c->client_id = default_client_id();
        c->topic_prefix = g_strdup("axpert");
        c->qos = 1;
        c->discovery = true;
        c->discovery_prefix = g_strdup("homeassistant");
        c->mindfreeze = false;
        c->parallel_topic = g_strdup("power/axpert");
        c->inverter_topic = g_strdup("power/axpert{sn}");
        c->settings_topic = g_strdup("power/axpert_settings");
        c->commands = false;

        r = read_small_file(file, CONFIG_FILE_MAX, &data, &len, &problem);
        if (r < 0) {
                /* Only the default file may be absent: the defaults then apply. */
                if (!path && r == -ENOENT)
                        return g_steal_pointer(&c);
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r), "%s: %s", file,
                            problem);
                return NULL;
        }
        if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)) {
                g_set_error(error, e->domain, e->code, "%s: %s", file, e->message);
                return NULL;
        }
        c->path = g_strdup(file);
        if (!config_parse(c, kf, file, error))
                return NULL;
        return g_steal_pointer(&c);
}
