/* axpert-web configuration: /etc/axpert/web.conf (doc/web.md), validated at load. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

#define WEB_CONFIG_DEFAULT_PATH SYSCONFDIR "/axpert/web.conf"
#define WEB_DEFAULT_LISTEN "127.0.0.1:8889"

typedef struct WebConfig {
        char *path;              /* the file read, NULL when none existed */
        char *listen;            /* as written, e.g. "127.0.0.1:8889" */
        GSocketAddress *address; /* parsed from listen */
        char *tls_certificate;   /* PEM files, both or neither */
        char *tls_key;
        char *basic_auth_file;    /* htpasswd-style user:crypt-hash lines, or NULL */
        GHashTable *users;        /* user -> crypt(3) hash, from basic_auth_file */
        guint max_connections;    /* open HTTP connections at most */
        guint idle_timeout;       /* seconds a connection may wait for a request (or a write) */
        guint event_buffer;       /* bytes an event-stream client may lag behind */
        guint keepalive_interval; /* seconds between event-stream keep-alive comments */
} WebConfig;

/* Loads and validates path (NULL: the default path, which may be missing), a regular file of at
 * most 1 MiB. Every error names the file, group and key. */
WebConfig *web_config_load(const char *path, GError **error);
WebConfig *web_config_free(WebConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WebConfig, web_config_free)

/* "ADDR:PORT" with a numeric IPv4 address or a bracketed IPv6 one ("[::]:8889"); port 0 picks a
 * free one. Returns NULL and sets *ret_problem on a bad value. */
GSocketAddress *web_config_parse_listen(const char *value, char **ret_problem);

/* Reads a whole regular file (or a symbolic link to one) of at most max bytes, NUL-terminated;
 * anything else is refused before a byte is read. On failure returns negative errno and
 * *ret_problem says what is wrong, without the path. */
int web_read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
                        char **ret_problem);
