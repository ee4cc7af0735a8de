/* axpertd's configuration: /etc/axpert/axpertd.conf (GKeyFile) and command-line overrides. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "configuration.h"
#include "transport.h"

#define POLL_INTERVAL_MAX_USEC (3600 * USEC_PER_SEC)
#define SETTINGS_INTERVAL_MIN_USEC (1 * USEC_PER_SEC)
#define SETTINGS_INTERVAL_MAX_USEC (86400 * USEC_PER_SEC)

static const char *const accepted_seconds = "a number of seconds such as 5, 0.5, 2s or 500ms";

Config *config_free(Config *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_devices; i++) {
                free(c->devices[i].name);
                free(c->devices[i].path);
        }
        free(c->devices);
        free(c);
        return NULL;
}

int config_parse_seconds(const char *s, uint64_t *ret_usec)
{
        uint64_t whole = 0, frac = 0, frac_div = 1, unit = USEC_PER_SEC;
        const char *p = s;
        bool digits = false;

        /* By hand rather than strtod(): a comma-decimal locale must not change the meaning. */
        if (!s)
                return -EINVAL;
        while (*p == ' ')
                p++;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (whole > 1000000000ULL)
                        return -ERANGE;
                whole = whole * 10 + (uint64_t)(*p - '0');
                digits = true;
        }
        if (*p == '.') {
                p++;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (frac_div < 1000000) {
                                frac = frac * 10 + (uint64_t)(*p - '0');
                                frac_div *= 10;
                        }
                        digits = true;
                }
        }
        if (!digits)
                return -EINVAL;
        if (streq(p, "s") || streq(p, "sec") || *p == 0 || streq(p, " "))
                unit = USEC_PER_SEC;
        else if (streq(p, "ms"))
                unit = USEC_PER_MSEC;
        else
                return -EINVAL;
        *ret_usec = whole * unit + frac * unit / frac_div;
        return 0;
}

bool config_name_valid(const char *name)
{
        if (!name || !*name || strlen(name) > 64)
                return false;
        for (const char *p = name; *p; p++)
                if (!isascii((unsigned char)*p) || !(isalnum((unsigned char)*p) || *p == '_'))
                        return false;
        return true;
}

static bool spec_valid(const char *path)
{
        TransportSpec spec;

        if (transport_spec_parse(path, &spec) < 0)
                return false;
        transport_spec_done(&spec);
        return true;
}

int config_parse_device_arg(const char *arg, char **ret_name, char **ret_path)
{
        const char *eq = strchr(arg, '=');
        char *name = NULL, *path;

        /* "NAME=PATH"; a PATH never starts with a name followed by '=' since it is absolute or
         * starts with "hidraw:"/"serial:". */
        if (eq && arg[0] != '/' && !strneq(arg, "hidraw:", 7) && !strneq(arg, "serial:", 7)) {
                name = strndup(arg, (size_t)(eq - arg));
                if (!name)
                        return -ENOMEM;
                if (!config_name_valid(name)) {
                        free(name);
                        return -EINVAL;
                }
                arg = eq + 1;
        }
        if (!spec_valid(arg)) {
                free(name);
                return -EINVAL;
        }
        path = strdup(arg);
        if (!path) {
                free(name);
                return -ENOMEM;
        }
        *ret_name = name;
        *ret_path = path;
        return 0;
}

static int config_add_device(Config *c, const char *name, const char *path)
{
        ConfigDevice *a;

        for (size_t i = 0; i < c->n_devices; i++)
                if (streq(c->devices[i].name, name))
                        return -EEXIST;
        a = realloc(c->devices, (c->n_devices + 1) * sizeof *a);
        if (!a)
                return -ENOMEM;
        c->devices = a;
        a[c->n_devices].name = strdup(name);
        a[c->n_devices].path = strdup(path);
        a[c->n_devices].probe = false; /* configured by path: the user says it is an inverter */
        if (!a[c->n_devices].name || !a[c->n_devices].path) {
                free(a[c->n_devices].name);
                free(a[c->n_devices].path);
                return -ENOMEM;
        }
        c->n_devices++;
        return 0;
}

/* The first free name among "0", "1", … */
static int config_add_unnamed(Config *c, const char *path)
{
        for (unsigned i = 0;; i++) {
                char name[16];
                snprintf(name, sizeof name, "%u", i);
                int r = config_add_device(c, name, path);
                if (r != -EEXIST)
                        return r;
        }
}

_printf_(3, 4) static int fail(char *error, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(error, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* What makes two transport specs the same port: the node with symlinks resolved when it exists
 * (/dev/serial/by-id/… and /dev/ttyUSB0), else the path as written; or the inherited
 * descriptor. The transport prefix does not matter: it is the same port either way. */
static int config_port_identity(const char *spec, char **ret)
{
        TransportSpec t;
        int r;

        r = transport_spec_parse(spec, &t);
        if (r < 0)
                return r;
        if (t.path) {
                char *real = realpath(t.path, NULL);

                *ret = real ? real : strdup(t.path);
        } else if (asprintf(ret, "fd %d", t.fd) < 0)
                *ret = NULL;
        transport_spec_done(&t);
        return *ret ? 0 : -ENOMEM;
}

/* Two devices on one port would fight over it (each drains the other's answers). args: the
 * --device arguments the devices came from, in order, or NULL for the file's groups. */
static int config_check_ports(const Config *c, char *const *args, const char *file, char *error,
                              size_t error_size)
{
        char **ids;
        int r = 0;

        if (c->n_devices < 2)
                return 0;
        ids = calloc(c->n_devices, sizeof *ids);
        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_devices && r >= 0; i++)
                r = config_port_identity(c->devices[i].path, &ids[i]);
        for (size_t i = 0; i < c->n_devices && r >= 0; i++)
                for (size_t j = i + 1; j < c->n_devices && r >= 0; j++) {
                        if (!streq(ids[i], ids[j]))
                                continue;
                        if (args)
                                r = fail(error, error_size,
                                         "--device=%s and --device=%s are the same device (%s); "
                                         "one port serves one inverter: give it once",
                                         args[i], args[j], ids[i]);
                        else
                                r = fail(error, error_size,
                                         "%s: [Device %s] Path=\"%s\" and [Device %s] "
                                         "Path=\"%s\" are the same device (%s); one port serves "
                                         "one inverter: remove one of the groups",
                                         file, c->devices[i].name, c->devices[i].path,
                                         c->devices[j].name, c->devices[j].path, ids[i]);
                }
        for (size_t i = 0; i < c->n_devices; i++)
                free(ids[i]);
        free(ids);
        return r;
}

static int config_load_file(Config *c, const char *file, bool must_exist, char *error,
                            size_t error_size)
{
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) gerror = NULL;
        g_auto(GStrv) groups = NULL;
        uint64_t usec;
        int r;

        if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &gerror)) {
                if (!must_exist && g_error_matches(gerror, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return 0;
                return fail(error, error_size, "%s: cannot read: %s", file, gerror->message);
        }

        groups = g_key_file_get_groups(kf, NULL);
        for (char **g = groups; g && *g; g++) {
                g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
                bool daemon = streq(*g, "Daemon");
                bool device = strneq(*g, "Device ", 7);
                const char *name = device ? *g + 7 : NULL;

                if (!daemon && !device)
                        return fail(error, error_size,
                                    "%s: unknown group [%s]; accepted: [Daemon] and [Device NAME]",
                                    file, *g);
                if (device && !config_name_valid(name))
                        return fail(error, error_size,
                                    "%s: [%s]: the device name \"%s\" is not valid; accepted: "
                                    "letters, digits and '_' (it becomes part of a D-Bus object "
                                    "path)",
                                    file, *g, name);

                bool has_path = false;
                for (char **k = keys; k && *k; k++) {
                        g_autofree char *raw = g_key_file_get_value(kf, *g, *k, NULL);
                        g_autofree char *v = g_key_file_get_string(kf, *g, *k, NULL);
                        const char *value = v ? v : raw ? raw : "";

                        if (daemon && streq(*k, "PollInterval")) {
                                r = config_parse_seconds(value, &usec);
                                if (r < 0 || usec > POLL_INTERVAL_MAX_USEC)
                                        return fail(error, error_size,
                                                    "%s: [Daemon] PollInterval=\"%s\" is not "
                                                    "valid; accepted: %s, from 0 to 3600 (0: as "
                                                    "fast as the link allows)",
                                                    file, value, accepted_seconds);
                                c->poll_interval_usec = usec;
                        } else if (daemon && streq(*k, "SettingsInterval")) {
                                r = config_parse_seconds(value, &usec);
                                if (r < 0 || usec < SETTINGS_INTERVAL_MIN_USEC ||
                                    usec > SETTINGS_INTERVAL_MAX_USEC)
                                        return fail(error, error_size,
                                                    "%s: [Daemon] SettingsInterval=\"%s\" is not "
                                                    "valid; accepted: %s, from 1 to 86400",
                                                    file, value, accepted_seconds);
                                c->settings_interval_usec = usec;
                        } else if (device && streq(*k, "Path")) {
                                if (!spec_valid(value))
                                        return fail(error, error_size,
                                                    "%s: [%s] Path=\"%s\" is not valid; accepted: "
                                                    "an absolute device path (/dev/hidrawN is "
                                                    "USB-HID, anything else serial), "
                                                    "hidraw:PATH, serial:PATH or hidraw:fd:N",
                                                    file, *g, value);
                                r = config_add_device(c, name, value);
                                if (r == -EEXIST)
                                        /* GKeyFile merges groups of one name into one. */
                                        return fail(error, error_size,
                                                    "%s: [%s]: the device name \"%s\" is used "
                                                    "twice (two [%s] groups, or Path= twice in "
                                                    "one); each device needs its own name and "
                                                    "one Path=",
                                                    file, *g, name, *g);
                                if (r < 0)
                                        return r;
                                has_path = true;
                        } else
                                return fail(error, error_size,
                                            "%s: [%s] unknown key \"%s\"; accepted: %s", file, *g,
                                            *k, daemon ? "PollInterval, SettingsInterval" : "Path");
                }
                if (device && !has_path)
                        return fail(error, error_size,
                                    "%s: [%s] has no Path=; accepted: Path=/dev/hidrawN, "
                                    "Path=/dev/ttyUSB0, serial:PATH, hidraw:PATH",
                                    file, *g);
        }
        /* Checked even when --device replaces them: the file must be right on its own. */
        return config_check_ports(c, NULL, file, error, error_size);
}

int config_load(const ConfigOverrides *o, Config **ret, char *error, size_t error_size)
{
        _cleanup_(config_freep) Config *c = NULL;
        const char *file = o && o->config_file ? o->config_file : CONFIG_DEFAULT_FILE;
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->poll_interval_usec = CONFIG_DEFAULT_POLL_INTERVAL_USEC;
        c->settings_interval_usec = CONFIG_DEFAULT_SETTINGS_INTERVAL_USEC;

        r = config_load_file(c, file, o && o->config_file, error, error_size);
        if (r < 0)
                return r;

        if (o && o->poll_interval_set)
                c->poll_interval_usec = o->poll_interval_usec;

        if (o && o->devices && o->devices[0]) {
                /* Devices on the command line replace those of the file. */
                for (size_t i = 0; i < c->n_devices; i++) {
                        free(c->devices[i].name);
                        free(c->devices[i].path);
                }
                c->n_devices = 0;
                for (char **d = o->devices; *d; d++) {
                        char *name = NULL, *path = NULL;
                        r = config_parse_device_arg(*d, &name, &path);
                        if (r == -EINVAL)
                                return fail(error, error_size,
                                            "--device=%s is not valid; accepted: [NAME=]PATH with "
                                            "NAME of letters, digits and '_', PATH an absolute "
                                            "device path, hidraw:PATH, serial:PATH or "
                                            "hidraw:fd:N",
                                            *d);
                        if (r < 0)
                                return r;
                        bool named = name != NULL;
                        r = named ? config_add_device(c, name, path) : 0;
                        if (r == -EEXIST) {
                                r = fail(error, error_size,
                                         "--device=%s: the device name \"%s\" is used twice; "
                                         "each device needs its own name",
                                         *d, name);
                                free(name);
                                free(path);
                                return r;
                        }
                        free(name);
                        if (r < 0) {
                                free(path);
                                return r;
                        }
                        /* An unnamed one takes the first free number. */
                        if (!named) {
                                r = config_add_unnamed(c, path);
                                if (r < 0) {
                                        free(path);
                                        return r;
                                }
                        }
                        free(path);
                }
                /* Each argument added one device, in order. */
                r = config_check_ports(c, o->devices, NULL, error, error_size);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(c);
        return 0;
}
