/* Reads web.conf with GKeyFile; every key of doc/web.md is checked, unknown ones are errors. */
#include "config.h"
#include "web-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "htpasswd.h"
#include "macros.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define GROUP "Web"

static const char *const config_keys[] = {
                "Listen",         "TLSCertificate", "TLSKey",          "BasicAuthFile",
                "MaxConnections", "IdleTimeoutSec", "EventBufferSize", "KeepAliveSec",
};

static gboolean set_error(GError **error, const char *file, const char *key, const char *fmt, ...)
                G_GNUC_PRINTF(4, 5);
static gboolean set_error(GError **error, const char *file, const char *key, const char *fmt, ...)
{
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: [%s] %s: %s",
                    file, GROUP, key, msg);
        return FALSE;
}

WebConfig *web_config_free(WebConfig *c)
{
        if (!c)
                return NULL;
        g_free(c->path);
        g_free(c->listen);
        g_clear_object(&c->address);
        g_free(c->tls_certificate);
        g_free(c->tls_key);
        g_free(c->basic_auth_file);
        g_clear_pointer(&c->users, g_hash_table_destroy);
        g_free(c);
        return NULL;
}

GSocketAddress *web_config_parse_listen(const char *value, char **ret_problem)
{
        g_autofree char *host = NULL;
        g_autoptr(GInetAddress) addr = NULL;
        const char *colon, *port_text;
        char *end = NULL;
        guint64 port;

        if (value[0] == '[') {
                const char *close = strchr(value, ']');

                if (!close || close[1] != ':') {
                        *ret_problem = g_strdup_printf("'%s' is not [IPV6]:PORT", value);
                        return NULL;
                }
                host = g_strndup(value + 1, (gsize)(close - value - 1));
                port_text = close + 2;
        } else {
                colon = strrchr(value, ':');
                if (!colon) {
                        *ret_problem = g_strdup_printf("'%s' is not ADDRESS:PORT", value);
                        return NULL;
                }
                host = g_strndup(value, (gsize)(colon - value));
                port_text = colon + 1;
        }
        addr = g_inet_address_new_from_string(host);
        if (!addr) {
                *ret_problem = g_strdup_printf("'%s' is not a numeric IP address (such as "
                                               "127.0.0.1, 0.0.0.0 or [::])",
                                               host);
                return NULL;
        }
        errno = 0;
        port = g_ascii_strtoull(port_text, &end, 10);
        if (errno || end == port_text || *end || port > 65535 || !g_ascii_isdigit(*port_text)) {
                *ret_problem = g_strdup_printf("'%s' is not a port (0-65535)", port_text);
                return NULL;
        }
        return g_inet_socket_address_new(addr, (guint16)port);
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

int web_read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
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
                *ret_problem = g_strdup_printf("is larger than %zu bytes", max);
                return -EFBIG;
        }
        buf[len] = '\0';
        *ret = g_steal_pointer(&buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

static gboolean read_string(GKeyFile *kf, const char *file, const char *key, char **ret,
                            GError **error)
{
        g_autoptr(GError) e = NULL;
        g_autofree char *v = NULL;

        if (!g_key_file_has_key(kf, GROUP, key, NULL))
                return TRUE;
        v = g_key_file_get_string(kf, GROUP, key, &e);
        if (!v)
                return set_error(error, file, key, "%s", e->message);
        g_strstrip(v);
        if (!*v)
                return set_error(error, file, key, "empty value");
        g_free(*ret);
        *ret = g_steal_pointer(&v);
        return TRUE;
}

static gboolean read_uint(GKeyFile *kf, const char *file, const char *key, guint min, guint max,
                          guint *ret, GError **error)
{
        g_autofree char *v = NULL;
        char *end = NULL;
        guint64 n;

        if (!read_string(kf, file, key, &v, error))
                return FALSE;
        if (!v)
                return TRUE;
        errno = 0;
        n = g_ascii_strtoull(v, &end, 10);
        if (errno || !g_ascii_isdigit(v[0]) || *end || n < min || n > max)
                return set_error(error, file, key, "'%s' is not a number from %u to %u", v, min,
                                 max);
        *ret = (guint)n;
        return TRUE;
}

static gboolean check_readable(const char *file, const char *key, const char *path, GError **error)
{
        struct stat st;

        if (stat(path, &st) < 0 || access(path, R_OK) < 0)
                return set_error(error, file, key, "'%s' cannot be read: %s", path,
                                 g_strerror(errno));
        if (!S_ISREG(st.st_mode))
                return set_error(error, file, key, "'%s' is not a regular file (%s)", path,
                                 file_type_name(st.st_mode));
        return TRUE;
}

static gboolean check_unknown_keys(GKeyFile *kf, const char *file, GError **error)
{
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

        for (size_t i = 0; groups && groups[i]; i++) {
                g_auto(GStrv) keys = NULL;

                if (!streq(groups[i], GROUP)) {
                        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                                    "%s: [%s]: unknown group (the only one is [%s])", file,
                                    groups[i], GROUP);
                        return FALSE;
                }
                keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
                for (size_t j = 0; keys && keys[j]; j++) {
                        bool known = false;

                        for (size_t k = 0; k < ELEMENTSOF(config_keys); k++)
                                if (streq(config_keys[k], keys[j]))
                                        known = true;
                        if (!known)
                                return set_error(error, file, keys[j], "unknown key");
                }
        }
        return TRUE;
}

static gboolean config_parse(WebConfig *c, GKeyFile *kf, const char *file, GError **error)
{
        g_autofree char *problem = NULL;

        if (!check_unknown_keys(kf, file, error))
                return FALSE;
        if (!read_string(kf, file, "Listen", &c->listen, error) ||
            !read_string(kf, file, "TLSCertificate", &c->tls_certificate, error) ||
            !read_string(kf, file, "TLSKey", &c->tls_key, error) ||
            !read_string(kf, file, "BasicAuthFile", &c->basic_auth_file, error) ||
            !read_uint(kf, file, "MaxConnections", 1, 65536, &c->max_connections, error) ||
            !read_uint(kf, file, "IdleTimeoutSec", 1, 86400, &c->idle_timeout, error) ||
            !read_uint(kf, file, "EventBufferSize", 4096, 64 * 1024 * 1024, &c->event_buffer,
                       error) ||
            !read_uint(kf, file, "KeepAliveSec", 1, 3600, &c->keepalive_interval, error))
                return FALSE;

        g_clear_object(&c->address);
        c->address = web_config_parse_listen(c->listen, &problem);
        if (!c->address)
                return set_error(error, file, "Listen", "%s", problem);
        if (c->tls_certificate && !c->tls_key)
                return set_error(error, file, "TLSCertificate", "a certificate needs a TLSKey");
        if (c->tls_key && !c->tls_certificate)
                return set_error(error, file, "TLSKey", "a key needs a TLSCertificate");
        if ((c->tls_certificate &&
             !check_readable(file, "TLSCertificate", c->tls_certificate, error)) ||
            (c->tls_key && !check_readable(file, "TLSKey", c->tls_key, error)))
                return FALSE;
        if (c->tls_certificate) {
                g_autoptr(GError) e = NULL;
                g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_files(
                                c->tls_certificate, c->tls_key, &e);

                if (!cert)
                        return set_error(error, file, "TLSCertificate", "'%s' with key '%s': %s",
                                         c->tls_certificate, c->tls_key, e->message);
        }
        if (c->basic_auth_file) {
                g_autofree char *data = NULL;

                if (web_read_small_file(c->basic_auth_file, HTPASSWD_FILE_MAX, &data, NULL,
                                        &problem) < 0)
                        return set_error(error, file, "BasicAuthFile", "'%s' %s",
                                         c->basic_auth_file, problem);
                c->users = htpasswd_parse(data, &problem);
                if (!c->users)
                        return set_error(error, file, "BasicAuthFile", "'%s': %s",
                                         c->basic_auth_file, problem);
        }
        return TRUE;
}

WebConfig *web_config_load(const char *path, GError **error)
{
        g_autoptr(WebConfig) c = g_new0(WebConfig, 1);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) e = NULL;
        g_autofree char *data = NULL;
        g_autofree char *problem = NULL;
        const char *file = path ? path : WEB_CONFIG_DEFAULT_PATH;
        size_t len;
        int r;

        c->listen = g_strdup(WEB_DEFAULT_LISTEN);
        c->max_connections = 512;
        c->idle_timeout = 60;
        c->event_buffer = 256 * 1024;
        c->keepalive_interval = 15;

        r = web_read_small_file(file, CONFIG_FILE_MAX, &data, &len, &problem);
        if (r < 0) {
                /* Only the default file may be absent: the defaults then apply. */
                if (!path && r == -ENOENT) {
                        c->address = web_config_parse_listen(c->listen, &problem);
                        return g_steal_pointer(&c);
                }
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
