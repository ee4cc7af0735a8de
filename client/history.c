/* axpertctl history: recorded values from axpert-history as a table, CSV or JSON; and what energy
 * shares with it (the History objects, picking one, TIME ranges, error hints). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "axpertctl.h"
#include "error-names.h"
#include "format.h"
#include "history.h"
#include "json.h"
#include "macros.h"
#include "time-spec.h"

#define DEFAULT_RANGE_USEC (24 * 3600 * USEC_PER_SEC)

uint64_t now_realtime_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

void history_list_done(HistoryList *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].path);
                property_list_done(&l->items[i].props);
        }
        free(l->items);
        *l = (HistoryList){0};
}

static const char *history_serial(const HistoryObject *o)
{
        return property_list_string(&o->props, "SerialNumber");
}

/* The inverter name (axpertd's object id) the History object belongs to while connected, or
 * NULL. */
static const char *history_device_id(const HistoryObject *o)
{
        const char *dev = property_list_string(&o->props, "Device");
        size_t l = strlen(AXPERT_ROOT_PATH);

        if (strneq(dev, AXPERT_ROOT_PATH, l) && dev[l] == '/' && dev[l + 1] &&
            !strchr(dev + l + 1, '/'))
                return dev + l + 1;
        return NULL;
}

static int compare_history(const void *a, const void *b)
{
        return strverscmp(history_serial(a), history_serial(b));
}

static int history_list_load(sd_bus *bus, HistoryList *ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(history_list_done) HistoryList l = {0};
        int r;

        r = sd_bus_call_method(bus, HISTORY_BUS_NAME, HISTORY_ROOT_PATH,
                               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", error,
                               &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}");
        if (r < 0)
                goto fail;
        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) >
               0) {
                const char *path;

                r = sd_bus_message_read_basic(reply, 'o', &path);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
                if (r < 0)
                        goto fail;
                while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY,
                                                           "sa{sv}")) > 0) {
                        const char *iface;

                        r = sd_bus_message_read_basic(reply, 's', &iface);
                        if (r < 0)
                                goto fail;
                        if (streq(iface, HISTORY_INTERFACE)) {
                                HistoryObject *n = realloc(l.items, (l.n + 1) * sizeof *n);

                                if (!n) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                l.items = n;
                                n = &l.items[l.n++];
                                *n = (HistoryObject){.path = strdup(path)};
                                if (!n->path) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                r = property_list_read(&n->props, reply);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                goto fail;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto fail;
                }
                if (r < 0)
                        goto fail;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        if (l.n > 1)
                qsort(l.items, l.n, sizeof *l.items, compare_history);
        *ret = l;
        l = (HistoryList){0};
        return 0;
fail:
        sd_bus_error_set_errnof(error, r, "cannot parse the answer of axpert-history: %s",
                                strerror(-r));
        return r;
}

static void print_history_names(const HistoryList *l, FILE *f)
{
        for (size_t i = 0; i < l->n; i++) {
                const char *id = history_device_id(&l->items[i]);

                fprintf(f, "%s\"%s\"", i > 0 ? ", " : "", history_serial(&l->items[i]));
                if (id)
                        fprintf(f, " (inverter \"%s\")", id);
        }
}

/* The serial number axpertd reports for its inverter NAME, looked up only when the History
 * objects do not tell (the inverter is not connected right now). */
static char *axpertd_serial_of(sd_bus *bus, const char *name)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};

        if (inventory_load(bus, &inv, &error) < 0)
                return NULL;
        for (size_t i = 0; i < inv.n_devices; i++)
                if (streq(inv.devices[i].id, name)) {
                        const char *s = property_list_string(&inv.devices[i].props,
                                                             AXPERT_PROPERTY_SERIAL_NUMBER);
                        return *s ? strdup(s) : NULL;
                }
        return NULL;
}

int history_load_and_pick(sd_bus *bus, HistoryList *l, const HistoryObject **ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const HistoryObject *connected = NULL;
        size_t n_connected = 0;
        int r;

        r = history_list_load(bus, l, &error);
        if (r < 0)
                return report_history_bus_error("cannot read the recorded inverters", &error, r);
        if (l->n == 0)
                return report_error(EXIT_NO_DEVICE,
                                    "axpert-history has recorded no inverter yet; it records "
                                    "while axpertd serves an online inverter");
        if (arg_device) {
                _cleanup_free_ char *serial = NULL;

                for (size_t i = 0; i < l->n; i++)
                        if (streq(history_serial(&l->items[i]), arg_device)) {
                                *ret = &l->items[i];
                                return 0;
                        }
                for (size_t i = 0; i < l->n; i++) {
                        const char *id = history_device_id(&l->items[i]);

                        if (id && streq(id, arg_device)) {
                                *ret = &l->items[i];
                                return 0;
                        }
                }
                serial = axpertd_serial_of(bus, arg_device);
                for (size_t i = 0; serial && i < l->n; i++)
                        if (streq(history_serial(&l->items[i]), serial)) {
                                *ret = &l->items[i];
                                return 0;
                        }
                fprintf(stderr, "axpertctl: no history of \"%s\"%s%s%s; recorded: ", arg_device,
                        serial ? " (serial number " : "", serial ? serial : "", serial ? ")" : "");
                print_history_names(l, stderr);
                fputc('\n', stderr);
                return -EXIT_NO_DEVICE;
        }
        if (l->n == 1) {
                *ret = &l->items[0];
                return 0;
        }
        /* Several serial numbers (several inverters, or one whose serial changed): the one
         * connected now is what "the inverter" means when there is only one. */
        for (size_t i = 0; i < l->n; i++)
                if (history_device_id(&l->items[i])) {
                        connected = &l->items[i];
                        n_connected++;
                }
        if (n_connected == 1) {
                *ret = connected;
                return 0;
        }
        fprintf(stderr,
                "axpertctl: axpert-history has recorded %zu inverters; choose one with -d NAME "
                "or -d SERIAL: ",
                l->n);
        print_history_names(l, stderr);
        fputc('\n', stderr);
        return -EXIT_NO_DEVICE;
}

int report_history_bus_error(const char *what, const sd_bus_error *e, int r)
{
        const char *msg = e && e->message && *e->message ? e->message : strerror(r < 0 ? -r : r);
        const char *where = arg_host ? " on the remote host" : "";

        if (!e || !sd_bus_error_is_set(e))
                return report_bus_error(what, e, r, NULL);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
            strneq(e->name, "org.freedesktop.DBus.Error.Spawn.",
                   strlen("org.freedesktop.DBus.Error.Spawn.")))
                return report_error(EXIT_UNREACHABLE,
                                    "%s: axpert-history is not running%s; start it with "
                                    "\"systemctl start axpert-history\" (its log: \"journalctl "
                                    "-u axpert-history\")",
                                    what, where);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_DISCONNECTED))
                return report_error(EXIT_UNREACHABLE,
                                    "%s: axpert-history did not answer (%s); see \"journalctl -u "
                                    "axpert-history\"",
                                    what, msg);
        if (sd_bus_error_has_name(e, HISTORY_ERROR_UNAVAILABLE))
                return report_error(EXIT_FAILED,
                                    "%s: the history database cannot be read right now (%s); see "
                                    "\"journalctl -u axpert-history\"",
                                    what, msg);
        if (sd_bus_error_has_name(e, AXPERT_ERROR_ACCESS_DENIED))
                return report_error(EXIT_DENIED,
                                    "%s: the D-Bus policy does not let this user talk to "
                                    "axpert-history (%s); is its bus policy installed?",
                                    what, msg);
        if (sd_bus_error_has_name(e, AXPERT_ERROR_INVALID_ARGS))
                /* The message names what is accepted (fields, periods, the row limit). */
                return report_error(EXIT_INVALID, "%s: axpert-history refused it: %s", what, msg);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_OBJECT))
                return report_error(EXIT_NO_DEVICE,
                                    "%s: this history vanished from the bus; see \"axpertctl "
                                    "history\"",
                                    what);
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
            sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_PROPERTY))
                return report_error(EXIT_NOT_SUPPORTED,
                                    "%s: this axpert-history does not offer it (%s); is it older "
                                    "than axpertctl?",
                                    what, msg);
        return report_bus_error(what, e, r, NULL);
}

static int report_bad_time(const char *option, const char *value, int r)
{
        if (r == -ENXIO)
                return report_usage("%s=%s: that local time does not exist (skipped by a daylight "
                                    "saving time change); give the UTC offset, e.g. "
                                    "2026-03-29T03:30+02:00",
                                    option, value);
        if (r == -ERANGE)
                return report_usage("%s=%s: out of range (years 1970 to 9999)", option, value);
        return report_usage("%s=%s is not a time; use YYYY-mm-dd[THH:MM[:SS]][Z|+HH:MM], "
                            "YYYYmmddHHMMSS, now, today, yesterday, @SECONDS or an offset like "
                            "-1d, -12h, -30m, -90s",
                            option, value);
}

int history_resolve_range(uint64_t now_usec, uint64_t default_since, uint64_t default_until,
                          uint64_t *ret_since, uint64_t *ret_until)
{
        uint64_t since = default_since, until = default_until;
        char a[TIME_ISO_MAX], b[TIME_ISO_MAX];
        int r;

        if (arg_range) {
                if (arg_since || arg_until)
                        return report_usage("--range= gives both ends; do not combine it with "
                                            "--since= or --until=");
                r = parse_time_range(arg_range, now_usec, &since, &until);
                if (r < 0)
                        return report_bad_time("--range", arg_range, r);
                if (r == 0)
                        return report_usage("--range=%s: use YYYYmmddHHMMSS-YYYYmmddHHMMSS",
                                            arg_range);
        }
        if (arg_since) {
                /* godenerg's range form as --since= gives both ends too. */
                r = parse_time_range(arg_since, now_usec, &since, &until);
                if (r < 0)
                        return report_bad_time("--since", arg_since, r);
                if (r > 0 && arg_until)
                        return report_usage("--since=%s gives both ends; do not combine it with "
                                            "--until=",
                                            arg_since);
                if (r == 0) {
                        r = parse_time_spec(arg_since, now_usec, &since);
                        if (r < 0)
                                return report_bad_time("--since", arg_since, r);
                }
        }
        if (arg_until) {
                r = parse_time_spec(arg_until, now_usec, &until);
                if (r < 0)
                        return report_bad_time("--until", arg_until, r);
        }
        if (since > until)
                return report_usage("the start (%s) is after the end (%s); check --since= and "
                                    "--until=",
                                    format_time_iso(since, a), format_time_iso(until, b));
        *ret_since = since;
        *ret_until = until;
        return 0;
}

/* --step=SECONDS, also with a unit: 90, 90s, 5m, 1h, 1d. Passed to GetSamples as it is: whether
 * the step fits the range is for axpert-history to say. */
static int parse_step(const char *s, uint32_t *ret)
{
        unsigned long long v, mult = 1;
        char *end;

        if (!s || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (streq(end, "m"))
                mult = 60;
        else if (streq(end, "h"))
                mult = 3600;
        else if (streq(end, "d"))
                mult = 86400;
        else if (*end && !streq(end, "s"))
                return -EINVAL;
        if (v > UINT32_MAX / mult)
                return -ERANGE;
        *ret = (uint32_t)(v * mult);
        return 0;
}

/* FIELD as axpert-history spells it (Fields), matched without regard to case; NULL if unknown. */
static const char *field_canonical(char **fields, const char *name)
{
        for (char **f = fields; f && *f; f++)
                if (streq(*f, name))
                        return *f;
        for (char **f = fields; f && *f; f++)
                if (strcasecmp(*f, name) == 0)
                        return *f;
        return NULL;
}

/* "unit2.BatteryVoltage" -> "BatteryVoltage": the property whose unit and values apply. */
static const char *field_property(const char *field)
{
        if (strneq(field, "unit", 4)) {
                const char *p = field + 4;

                while (*p >= '0' && *p <= '9')
                        p++;
                if (p > field + 4 && *p == '.')
                        return p + 1;
        }
        return field;
}

/* What the table needs to know of a column, looked up once rather than per cell. */
typedef struct Column {
        const AxpertContractProperty *property; /* NULL: not in the contract */
        const char *unit;
        size_t n_values; /* of an enumeration (Mode) */
        size_t width;
} Column;

static void column_init(Column *c, const char *field)
{
        const char *name = field_property(field);

        *c = (Column){
                        .property = axpert_contract_property(NULL, name),
                        .unit = property_unit(name, use_ascii),
                        .width = strlen(field),
        };
        while (c->property && c->property->values && c->property->values[c->n_values])
                c->n_values++;
}

/* A value for the table: booleans yes/no, Mode by its name, numbers with at most two decimals
 * and the property's unit; "-" where nothing was recorded. */
static const char *format_cell(const Column *c, double v, char *buf, size_t size)
{
        const AxpertContractProperty *p = c->property;
        char *dot;
        int l;

        if (isnan(v)) {
                snprintf(buf, size, "-");
                return buf;
        }
        if (p && streq(p->signature, "b") && (v == 0 || v == 1)) {
                snprintf(buf, size, "%s", v == 1 ? "yes" : "no");
                return buf;
        }
        if (c->n_values > 0 && v >= 0 && v < (double)c->n_values && v == floor(v)) {
                snprintf(buf, size, "%s", p->values[(size_t)v]);
                return buf;
        }
        l = snprintf(buf, size, "%.2f", v);
        dot = strchr(buf, '.');
        if (dot && l > 0) {
                char *e = buf + l - 1;

                while (e > dot && *e == '0')
                        *e-- = 0;
                if (e == dot)
                        *e = 0;
        }
        if (streq(buf, "-0"))
                snprintf(buf, size, "0");
        if (c->unit) {
                size_t k = strlen(buf);

                snprintf(buf + k, size - k, " %s", c->unit);
        }
        return buf;
}

typedef struct Samples {
        size_t n_times, n_fields;
        const uint64_t *times;
        const double **columns; /* [field][time], pointing into the reply */
} Samples;

static void samples_done(Samples *s)
{
        free(s->columns);
        *s = (Samples){0};
}

static int samples_read(sd_bus_message *reply, size_t n_fields, Samples *ret)
{
        _cleanup_(samples_done) Samples s = {.n_fields = n_fields};
        const void *p;
        size_t size;
        int r;

        r = sd_bus_message_read_array(reply, 't', &p, &size);
        if (r < 0)
                return r;
        s.times = p;
        s.n_times = size / sizeof(uint64_t);
        s.columns = calloc(n_fields ? n_fields : 1, sizeof *s.columns);
        if (!s.columns)
                return -ENOMEM;
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "ad");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_fields; i++) {
                r = sd_bus_message_read_array(reply, 'd', &p, &size);
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* Fewer columns than fields: wrong, unless there are no rows at all
                         * (an empty answer may come without its empty columns). */
                        if (s.n_times > 0)
                                return -EBADMSG;
                        break;
                }
                if (size / sizeof(double) != s.n_times)
                        return -EBADMSG;
                s.columns[i] = p;
        }
        if (sd_bus_message_at_end(reply, false) == 0)
                return -EBADMSG; /* more columns than fields */
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret = s;
        s = (Samples){0};
        return 0;
}

static int write_table(FILE *f, char **fields, const Samples *s)
{
        _cleanup_free_ Column *columns = calloc(s->n_fields ? s->n_fields : 1, sizeof *columns);
        char buf[FORMAT_BUF_MAX + 16], t[TIME_ISO_MAX];
        const int time_width = (int)strlen("2026-12-01 10:00:00");

        if (!columns)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_fields; i++) {
                Column *c = &columns[i];

                column_init(c, fields[i]);
                for (size_t j = 0; j < s->n_times; j++) {
                        size_t l = strlen(format_cell(c, s->columns[i][j], buf, sizeof buf));

                        /* "°" is two bytes and one column. */
                        if (strstr(buf, "°"))
                                l--;
                        if (l > c->width)
                                c->width = l;
                }
        }
        if (arg_legend) {
                fprintf(f, "%-*s", time_width, "Time");
                for (size_t i = 0; i < s->n_fields; i++)
                        fprintf(f, "  %*s", (int)columns[i].width, fields[i]);
                fputc('\n', f);
        }
        for (size_t j = 0; j < s->n_times; j++) {
                fprintf(f, "%-*s", time_width,
                        format_time_local(s->times[j], "%Y-%m-%d %H:%M:%S", t));
                for (size_t i = 0; i < s->n_fields; i++) {
                        format_cell(&columns[i], s->columns[i][j], buf, sizeof buf);
                        fprintf(f, "  %*s", (int)columns[i].width + (strstr(buf, "°") ? 1 : 0),
                                buf);
                }
                fputc('\n', f);
        }
        return 0;
}

static void write_csv(FILE *f, char **fields, const Samples *s)
{
        char buf[FORMAT_BUF_MAX], t[TIME_ISO_MAX];

        fputs("datetime", f);
        for (size_t i = 0; i < s->n_fields; i++)
                fprintf(f, ",%s", fields[i]);
        fputc('\n', f);
        for (size_t j = 0; j < s->n_times; j++) {
                fputs(format_time_iso(s->times[j], t), f);
                for (size_t i = 0; i < s->n_fields; i++)
                        fprintf(f, ",%s", format_double(s->columns[i][j], "", buf));
                fputc('\n', f);
        }
}

static void write_json(FILE *f, bool pretty, char **fields, const Samples *s)
{
        char t[TIME_ISO_MAX];
        JsonWriter w;

        json_init(&w, f, pretty);
        json_begin_array(&w);
        for (size_t j = 0; j < s->n_times; j++) {
                json_begin_object(&w);
                json_key(&w, "datetime");
                json_string(&w, format_time_iso(s->times[j], t));
                json_key(&w, "timestamp");
                json_uint(&w, s->times[j]);
                for (size_t i = 0; i < s->n_fields; i++) {
                        json_key(&w, fields[i]);
                        json_double(&w, s->columns[i][j]);
                }
                json_end_object(&w);
        }
        json_end_array(&w);
        json_finish(&w);
}

/* -o FILE: written to a temporary file beside it and renamed over it once complete, so that a
 * reader never sees half a file and a failure leaves the old one. */
typedef struct Output {
        FILE *f;
        const char *path;
        char *tmp;
} Output;

static void output_abort(Output *o)
{
        if (o->f && o->f != stdout)
                fclose(o->f);
        if (o->tmp) {
                (void)unlink(o->tmp);
                free(o->tmp);
        }
        *o = (Output){0};
}

static int output_open(Output *o, const char *path)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        struct stat st;
        mode_t mode, mask;
        int fd;

        if (!path || streq(path, "-")) {
                *o = (Output){.f = stdout};
                return 0;
        }
        /* POSIX dirname() and basename() may write into their argument: copies. */
        dir = strdup(path);
        base = strdup(path);
        if (!dir || !base || asprintf(&o->tmp, "%s/.%s.XXXXXX", dirname(dir), basename(base)) < 0) {
                o->tmp = NULL;
                return report_error(EXIT_FAILED, "out of memory");
        }
        o->path = path;
        fd = mkostemp(o->tmp, O_CLOEXEC);
        if (fd < 0) {
                int e = errno;

                free(o->tmp);
                o->tmp = NULL;
                return report_error(EXIT_FAILED, "cannot write \"%s\": %s", path, strerror(e));
        }
        /* mkostemp() makes it 0600: give it what the file has, or what a new file would get. */
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                mode = st.st_mode & 07777;
        else {
                mask = umask(0);
                umask(mask);
                mode = 0666 & ~mask;
        }
        (void)fchmod(fd, mode);
        o->f = fdopen(fd, "w");
        if (!o->f) {
                int e = errno;

                close(fd);
                output_abort(o);
                return report_error(EXIT_FAILED, "cannot write \"%s\": %s", path, strerror(e));
        }
        return 0;
}

static int output_commit(Output *o)
{
        int r = 0;

        if (o->f == stdout) {
                *o = (Output){0};
                return 0; /* main() checks stdout */
        }
        if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) < 0)
                r = errno ? -errno : -EIO;
        if (fclose(o->f) != 0 && r == 0)
                r = -errno;
        o->f = NULL;
        if (r == 0 && rename(o->tmp, o->path) < 0)
                r = -errno;
        if (r < 0) {
                const char *path = o->path;

                output_abort(o);
                return report_error(EXIT_FAILED, "cannot write \"%s\": %s", path, strerror(-r));
        }
        free(o->tmp);
        *o = (Output){0};
        return 0;
}

static void print_fields(const HistoryObject *h)
{
        char **fields = property_list_strv(&h->props, "Fields");

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_array(&w);
                for (char **f = fields; f && *f; f++)
                        json_string(&w, *f);
                json_end_array(&w);
                json_finish(&w);
                return;
        }
        for (char **f = fields; f && *f; f++)
                printf("%s\n", *f);
}

static int report_unknown_field(const HistoryObject *h, const char *name)
{
        char **fields = property_list_strv(&h->props, "Fields");

        fprintf(stderr, "axpertctl: \"%s\" is not recorded for inverter %s; accepted fields:", name,
                history_serial(h));
        for (char **f = fields; f && *f; f++)
                fprintf(stderr, "%s %s", f == fields ? "" : ",", *f);
        if (!fields || !*fields)
                fputs(" none yet", stderr);
        fputc('\n', stderr);
        return -EXIT_USAGE;
}

int verb_history(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(history_list_done) HistoryList list = {0};
        _cleanup_(samples_done) Samples samples = {0};
        _cleanup_free_ char **fields = NULL;
        const HistoryObject *h;
        uint64_t now = now_realtime_usec(), since, until;
        size_t n_fields = (size_t)(argc - 1);
        uint32_t step = 0;
        Output out = {0};
        int r;

        /* Everything the command line can get wrong is found before asking anyone. */
        if (arg_csv && arg_json != JSON_OFF)
                return report_usage("--csv and --json exclude each other");
        if (arg_step) {
                r = parse_step(arg_step, &step);
                if (r == -ERANGE)
                        return report_usage("--step=%s is too large (at most %u s)", arg_step,
                                            UINT32_MAX);
                if (r < 0)
                        return report_usage("--step=%s is not a number of seconds (or 5m, 1h, "
                                            "1d)",
                                            arg_step);
        }
        r = history_resolve_range(now, now > DEFAULT_RANGE_USEC ? now - DEFAULT_RANGE_USEC : 0, now,
                                  &since, &until);
        if (r < 0)
                return r;
        if (n_fields == 0 &&
            (arg_csv || arg_output || arg_step || arg_since || arg_until || arg_range))
                return report_usage("\"history\" needs the fields to print; \"axpertctl "
                                    "history\" alone lists them");

        r = history_load_and_pick(bus, &list, &h);
        if (r < 0)
                return r;
        if (n_fields == 0) {
                print_fields(h);
                return 0;
        }

        fields = calloc(n_fields + 1, sizeof *fields);
        if (!fields)
                return report_error(EXIT_FAILED, "out of memory");
        for (size_t i = 0; i < n_fields; i++) {
                /* An older axpert-history without Fields: its InvalidArgs will name them. */
                const char *c = property_list_find(&h->props, "Fields")
                                                ? field_canonical(property_list_strv(&h->props,
                                                                                     "Fields"),
                                                                  argv[i + 1])
                                                : argv[i + 1];

                if (!c)
                        return report_unknown_field(h, argv[i + 1]);
                fields[i] = (char *)c;
        }

        r = sd_bus_message_new_method_call(bus, &m, HISTORY_BUS_NAME, h->path, HISTORY_INTERFACE,
                                           "GetSamples");
        if (r >= 0)
                r = sd_bus_message_append(m, "ttu", since, until, step);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, fields);
        if (r < 0)
                return report_error(EXIT_FAILED, "cannot build the request: %s", strerror(-r));
        /* A long range may take the service a while: more than sd-bus' default 25 s. */
        r = sd_bus_call(bus, m, 120 * USEC_PER_SEC, &error, &reply);
        if (r < 0)
                return report_history_bus_error("cannot read the history", &error, r);
        r = samples_read(reply, n_fields, &samples);
        if (r < 0)
                return report_error(EXIT_FAILED,
                                    "cannot read the history: axpert-history answered something "
                                    "unexpected: %s",
                                    strerror(-r));

        r = output_open(&out, arg_output);
        if (r < 0)
                return r;
        if (arg_csv)
                write_csv(out.f, fields, &samples);
        else if (arg_json != JSON_OFF)
                write_json(out.f, arg_json == JSON_PRETTY, fields, &samples);
        else {
                r = write_table(out.f, fields, &samples);
                if (r < 0) {
                        output_abort(&out);
                        return report_error(EXIT_FAILED, "out of memory");
                }
        }
        return output_commit(&out);
}
