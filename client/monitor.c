/* "axpertctl monitor": every property change, appearance and disappearance, one line each. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-event.h>

#include "axpertctl.h"
#include "macros.h"

typedef struct WatchedObject {
        char *path;
        char *label; /* "0" or "0/unit1": the path below the root */
        PropertyList props;
        bool unit;    /* org.axpert.Inverter.Unit, not an inverter */
        bool offline; /* an inverter whose Online is false: props keep the last live values */
        char *reason; /* its LastError while offline */
} WatchedObject;

typedef struct Monitor {
        sd_bus *bus;
        sd_event *event;
        WatchedObject *objects;
        size_t n_objects;
        int exit_code; /* set before sd_event_exit() by a handler that ends the monitor */
} Monitor;

static void watched_object_done(WatchedObject *o)
{
        free(o->path);
        free(o->label);
        free(o->reason);
        property_list_done(&o->props);
        *o = (WatchedObject){0};
}

static void monitor_clear(Monitor *m)
{
        for (size_t i = 0; i < m->n_objects; i++)
                watched_object_done(&m->objects[i]);
        free(m->objects);
        m->objects = NULL;
        m->n_objects = 0;
}

static const char *path_label(const char *path)
{
        size_t l = strlen(AXPERT_ROOT_PATH);

        if (strneq(path, AXPERT_ROOT_PATH, l) && path[l] == '/')
                return path + l + 1;
        return path;
}

/* With -d, only that inverter and its units (or that unit). */
static bool monitor_wants(const char *label)
{
        size_t l;

        if (!arg_device)
                return true;
        l = strlen(arg_device);
        return strneq(label, arg_device, l) && (label[l] == 0 || label[l] == '/');
}

/* With -d NAME/unitN, the inverter NAME too, but only for whether it is online: a unit has no
 * state of its own. */
static bool monitor_tracks(const char *label)
{
        const char *slash = arg_device ? strchr(arg_device, '/') : NULL;

        return slash && strlen(label) == (size_t)(slash - arg_device) &&
               strneq(label, arg_device, (size_t)(slash - arg_device));
}

static WatchedObject *monitor_find(Monitor *m, const char *path)
{
        for (size_t i = 0; i < m->n_objects; i++)
                if (streq(m->objects[i].path, path))
                        return &m->objects[i];
        return NULL;
}

static WatchedObject *monitor_add(Monitor *m, const char *path)
{
        WatchedObject *n = realloc(m->objects, (m->n_objects + 1) * sizeof *n);

        if (!n)
                return NULL;
        m->objects = n;
        n = &m->objects[m->n_objects];
        *n = (WatchedObject){.path = strdup(path), .label = strdup(path_label(path))};
        if (!n->path || !n->label) {
                watched_object_done(n);
                return NULL;
        }
        m->n_objects++;
        return n;
}

static void monitor_remove(Monitor *m, WatchedObject *o)
{
        size_t i = (size_t)(o - m->objects);

        watched_object_done(o);
        memmove(&m->objects[i], &m->objects[i + 1], (m->n_objects - i - 1) * sizeof *o);
        m->n_objects--;
}

/* Reads every object. -ESRCH, unreported, when axpertd is not on the bus (yet). */
static int monitor_load(Monitor *m)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(inventory_done) Inventory inv = {0};
        int r;

        r = inventory_load(m->bus, &inv, &error);
        if (r < 0 && (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                      sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER)))
                return -ESRCH;
        if (r < 0)
                return report_bus_error("cannot read the inverters", &error, r, NULL);
        monitor_clear(m);
        for (size_t i = 0; i < inv.n_devices; i++) {
                DeviceObject *d = &inv.devices[i];
                WatchedObject *o = monitor_add(m, d->path);

                if (!o)
                        return report_error(EXIT_FAILED, "out of memory");
                o->props = d->props;
                d->props = (PropertyList){0};
                o->offline = !property_list_bool(&o->props, "Online");
                for (size_t j = 0; j < d->n_units; j++) {
                        o = monitor_add(m, d->units[j].path);
                        if (!o)
                                return report_error(EXIT_FAILED, "out of memory");
                        o->props = d->units[j].props;
                        d->units[j].props = (PropertyList){0};
                        o->unit = true;
                }
        }
        return 0;
}

/* With -d, whether that object exists; reports it otherwise. */
static int monitor_check_device(Monitor *m)
{
        if (!arg_device)
                return 0;
        for (size_t i = 0; i < m->n_objects; i++)
                if (streq(m->objects[i].label, arg_device))
                        return 0;
        return report_error(EXIT_NO_DEVICE, "no inverter named \"%s\"; see \"axpertctl list\"",
                            arg_device);
}

/* The inverter a unit belongs to (its path without the last component). */
static WatchedObject *monitor_parent(Monitor *m, const WatchedObject *o)
{
        const char *slash = strrchr(o->path, '/');

        for (size_t i = 0; slash && i < m->n_objects; i++)
                if (!m->objects[i].unit &&
                    strlen(m->objects[i].path) == (size_t)(slash - o->path) &&
                    strneq(m->objects[i].path, o->path, (size_t)(slash - o->path)))
                        return &m->objects[i];
        return NULL;
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void print_timestamp(uint64_t usec)
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;
        char buf[32];

        if (!localtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, sizeof buf, "@%llu", (unsigned long long)(usec / USEC_PER_SEC));
        printf("%s.%03llu ", buf, (unsigned long long)(usec % USEC_PER_SEC / USEC_PER_MSEC));
}

/* JSON lines: {"Timestamp":…,"Object":"0","Path":"…","Event":"…"[,"Properties":{…}]}. */
static void json_event_begin(JsonWriter *w, uint64_t ts, const char *label, const char *path,
                             const char *event)
{
        json_init(w, stdout, arg_json == JSON_PRETTY);
        json_begin_object(w);
        json_key(w, "Timestamp");
        json_uint(w, ts);
        if (label) {
                json_key(w, "Object");
                json_string(w, label);
                json_key(w, "Path");
                json_string(w, path);
        }
        json_key(w, "Event");
        json_string(w, event);
}

static void json_event_end(JsonWriter *w)
{
        json_end_object(w);
        json_finish(w);
}

/* Whether a property of a PropertiesChanged is news: a signal that was on its way while we read
 * the state (a monitor started mid-cycle) repeats what GetManagedObjects already said. */
static bool is_change(const WatchedObject *o, const Property *p)
{
        const Property *old = o ? property_list_find(&o->props, p->name) : NULL;

        return !old || !property_equal(old, p);
}

static void print_offline(uint64_t ts, const WatchedObject *o, bool again)
{
        print_timestamp(ts);
        printf("%s %soffline%s%s\n", o->label, again ? "still " : "",
               o->reason && *o->reason ? ": " : "", o->reason ? o->reason : "");
}

/* Text lines for an inverter's Online and LastError: one "offline: reason" line when it goes
 * offline, none for the values that axpertd clears then, one "online again" when it is back.
 * Returns true when the signal is consumed (nothing else to print). */
static bool text_online_state(Monitor *m, WatchedObject *o, const PropertyList *changed,
                              uint64_t ts, bool print_values)
{
        const Property *online = property_list_find(changed, "Online");
        const Property *error = property_list_find(changed, "LastError");
        const char *reason = error && error->type[0] == 's' ? error->s : NULL;

        if (o->unit)
                return false;
        if (online && online->type[0] == 'b' && !online->b && !o->offline) {
                o->offline = true;
                free(o->reason);
                o->reason = strdup(reason ? reason : property_list_string(&o->props, "LastError"));
                print_offline(ts, o, false);
                return true;
        }
        if (online && online->type[0] == 'b' && online->b && o->offline) {
                o->offline = false;
                print_timestamp(ts);
                printf("%s online again\n", o->label);
                return !print_values;
        }
        if (o->offline) {
                /* A new reason during the outage is news; the values are not. */
                if (reason && *reason && (!o->reason || !streq(o->reason, reason))) {
                        free(o->reason);
                        o->reason = strdup(reason);
                        print_offline(ts, o, true);
                }
                return true;
        }
        return !print_values;
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        Monitor *m = userdata;
        _cleanup_(property_list_done) PropertyList changed = {0};
        const char *path = sd_bus_message_get_path(msg), *iface;
        uint64_t ts = now_usec();
        WatchedObject *o, *parent;
        char **invalidated = NULL;
        bool wanted, any = false, frozen = false;
        int r;

        r = sd_bus_message_read(msg, "s", &iface);
        if (r < 0 || (!streq(iface, AXPERT_INTERFACE) && !streq(iface, AXPERT_UNIT_INTERFACE)))
                return 0;
        wanted = monitor_wants(path_label(path));
        if (!wanted && !monitor_tracks(path_label(path)))
                return 0;
        r = property_list_read(&changed, msg);
        if (r >= 0)
                r = sd_bus_message_read_strv(msg, &invalidated);
        if (r < 0) {
                fprintf(stderr, "axpertctl: malformed PropertiesChanged from %s, ignoring: %s\n",
                        path, strerror(-r));
                return 0;
        }

        o = monitor_find(m, path);
        if (!o) {
                o = monitor_add(m, path);
                if (o)
                        o->unit = streq(iface, AXPERT_UNIT_INTERFACE);
        }

        if (arg_json != JSON_OFF) {
                /* JSON carries every real change, going offline included: scripts decide. */
                for (size_t i = 0; i < changed.n; i++)
                        any = any || is_change(o, &changed.items[i]);
                if (wanted && (any || (invalidated && invalidated[0]))) {
                        JsonWriter w;

                        json_event_begin(&w, ts, path_label(path), path, "changed");
                        json_key(&w, "Properties");
                        json_begin_object(&w);
                        for (size_t i = 0; i < changed.n; i++)
                                if (is_change(o, &changed.items[i])) {
                                        json_key(&w, changed.items[i].name);
                                        property_write_json(&changed.items[i], &w);
                                }
                        json_end_object(&w);
                        if (invalidated && invalidated[0]) {
                                json_key(&w, "Invalidated");
                                json_begin_array(&w);
                                for (char **s = invalidated; *s; s++)
                                        json_string(&w, *s);
                                json_end_array(&w);
                        }
                        json_event_end(&w);
                }
        } else if (o) {
                parent = o->unit ? monitor_parent(m, o) : NULL;
                if (parent && parent->offline)
                        /* The values of a unit of an offline inverter are not readings either. */
                        frozen = true;
                else if (text_online_state(m, o, &changed, ts, wanted))
                        frozen = o->offline;
                else if (wanted) {
                        for (size_t i = 0; i < changed.n; i++) {
                                const Property *p = &changed.items[i];
                                const Property *old = property_list_find(&o->props, p->name);

                                /* Online and the cleared LastError said "online again". */
                                if (!is_change(o, p) || streq(p->name, "Online") ||
                                    (streq(p->name, "LastError") && property_is_empty(p) &&
                                     !o->unit && property_list_find(&changed, "Online")))
                                        continue;
                                print_timestamp(ts);
                                printf("%s %s: ", path_label(path), p->name);
                                if (old) {
                                        property_print_value_or_none(old, stdout, true, use_ascii);
                                        printf(" %s ", glyph_arrow());
                                }
                                property_print_value_or_none(p, stdout, true, use_ascii);
                                putchar('\n');
                        }
                        for (char **s = invalidated; s && *s; s++) {
                                print_timestamp(ts);
                                printf("%s %s: (invalidated)\n", path_label(path), *s);
                        }
                }
        }
        fflush(stdout);

        /* Remember the new values so that the next change shows the right "old" — but not the
         * ones an outage cleared: after it, a change is measured against the last live value. */
        if (o && !frozen) {
                sd_bus_message_rewind(msg, true);
                (void)sd_bus_message_skip(msg, "s");
                (void)property_list_read(&o->props, msg);
        }
        for (char **s = invalidated; s && *s; s++)
                free(*s);
        free(invalidated);
        return 0;
}

static int on_interfaces_added(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        Monitor *m = userdata;
        const char *path;
        uint64_t ts = now_usec();
        WatchedObject *o;
        int r;

        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0 || (!monitor_wants(path_label(path)) && !monitor_tracks(path_label(path))))
                return 0;
        o = monitor_find(m, path);
        if (!o)
                o = monitor_add(m, path);
        if (!o)
                return 0;
        r = sd_bus_message_enter_container(msg, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
        while (r >= 0 &&
               (r = sd_bus_message_enter_container(msg, SD_BUS_TYPE_DICT_ENTRY, "sa{sv}")) > 0) {
                const char *iface;

                r = sd_bus_message_read(msg, "s", &iface);
                if (r < 0)
                        break;
                if (streq(iface, AXPERT_INTERFACE) || streq(iface, AXPERT_UNIT_INTERFACE)) {
                        r = property_list_read(&o->props, msg);
                        o->unit = streq(iface, AXPERT_UNIT_INTERFACE);
                        o->offline = !o->unit && !property_list_bool(&o->props, "Online");
                } else
                        r = sd_bus_message_skip(msg, "a{sv}");
                if (r < 0)
                        break;
                r = sd_bus_message_exit_container(msg);
        }
        if (!monitor_wants(o->label))
                return 0; /* the inverter of a unit given with -d: followed, not shown */

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_event_begin(&w, ts, o->label, o->path, "appeared");
                json_key(&w, "Properties");
                json_begin_object(&w);
                for (size_t i = 0; i < o->props.n; i++) {
                        json_key(&w, o->props.items[i].name);
                        property_write_json(&o->props.items[i], &w);
                }
                json_end_object(&w);
                json_event_end(&w);
        } else {
                print_timestamp(ts);
                printf("%s appeared\n", o->label);
        }
        fflush(stdout);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        Monitor *m = userdata;
        const char *path;
        uint64_t ts = now_usec();
        WatchedObject *o;
        int r;

        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0 || !monitor_wants(path_label(path)))
                return 0;
        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_event_begin(&w, ts, path_label(path), path, "vanished");
                json_event_end(&w);
        } else {
                print_timestamp(ts);
                printf("%s vanished\n", path_label(path));
        }
        fflush(stdout);
        o = monitor_find(m, path);
        if (o)
                monitor_remove(m, o);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        Monitor *m = userdata;
        const char *name, *old_owner, *new_owner;
        uint64_t ts = now_usec();
        int r;

        r = sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner);
        if (r < 0 || !streq(name, AXPERT_BUS_NAME))
                return 0;
        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_event_begin(&w, ts, NULL, NULL,
                                 *new_owner ? "daemon-started" : "daemon-stopped");
                json_event_end(&w);
        } else {
                print_timestamp(ts);
                printf("axpertd %s\n", *new_owner ? "appeared on the bus" : "left the bus");
        }
        fflush(stdout);
        if (*new_owner) {
                /* values for "old → new" of the new instance */
                r = monitor_load(m);
                if (r >= 0)
                        r = monitor_check_device(m);
                if (r < 0 && r != -ESRCH) {
                        m->exit_code = r;
                        return sd_event_exit(m->event, 0);
                }
        } else
                monitor_clear(m);
        return 0;
}

/* "waiting for axpertd": the one line a monitor started before the daemon prints. */
static void print_waiting(void)
{
        if (arg_json != JSON_OFF) {
                /* stdout stays JSON lines; the daemon-started event follows there. */
                fprintf(stderr, "axpertctl: waiting for axpertd (%s) to appear on the bus…\n",
                        AXPERT_BUS_NAME);
                return;
        }
        print_timestamp(now_usec());
        printf("waiting for axpertd (%s) to appear on the bus%s\n", AXPERT_BUS_NAME,
               use_ascii ? "..." : "…");
        fflush(stdout);
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int verb_monitor(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Monitor m = {.bus = bus};
        sigset_t mask;
        int r;

        /* Subscribe first, then read the state: a change in between is not lost. */
        r = sd_bus_add_match(
                        bus, NULL,
                        "type='signal',sender='" AXPERT_BUS_NAME "',"
                        "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                        "path_namespace='" AXPERT_ROOT_PATH "'",
                        on_properties_changed, &m);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" AXPERT_BUS_NAME "',"
                                     "interface='org.freedesktop.DBus.ObjectManager',"
                                     "member='InterfacesAdded',path='" AXPERT_ROOT_PATH "'",
                                     on_interfaces_added, &m);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" AXPERT_BUS_NAME "',"
                                     "interface='org.freedesktop.DBus.ObjectManager',"
                                     "member='InterfacesRemoved',path='" AXPERT_ROOT_PATH "'",
                                     on_interfaces_removed, &m);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                     "arg0='" AXPERT_BUS_NAME "'",
                                     on_name_owner_changed, &m);
        if (r < 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                return report_bus_error("cannot subscribe to changes", &error, r, NULL);
        }

        /* Not running yet is no error: wait for the name, as clients of bus services do (the
         * NameOwnerChanged match above says when it comes). */
        r = monitor_load(&m);
        if (r == -ESRCH)
                print_waiting();
        else if (r < 0)
                goto finish;
        else {
                r = monitor_check_device(&m);
                if (r < 0)
                        goto finish;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&event);
        m.event = event;
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                r = report_error(EXIT_FAILED, "cannot set up the event loop: %s", strerror(-r));
                goto finish;
        }
        /* Losing the bus ends the loop (sd-bus exits the event loop on disconnect). */
        (void)sd_bus_set_exit_on_disconnect(bus, true);

        if (arg_json == JSON_OFF && isatty(STDOUT_FILENO))
                fprintf(stderr, "Monitoring %s; press Ctrl-C to stop.\n",
                        arg_device ? arg_device : "all inverters");

        r = sd_event_loop(event);
        if (m.exit_code < 0)
                r = m.exit_code; /* reported by the handler that ended the loop */
        else if (r < 0)
                r = report_error(EXIT_FAILED, "the event loop failed: %s", strerror(-r));
        else if (r > 0) /* sd-bus ends the loop with a non-zero code when the bus goes away */
                r = report_error(EXIT_UNREACHABLE, "lost the connection to the system bus");
        (void)sd_bus_detach_event(bus);
finish:
        monitor_clear(&m);
        return r;
}
