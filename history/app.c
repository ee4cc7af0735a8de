/* axpert-history's core: the inverters on the bus become samples and energy in the store, and
 * the store is served as org.axpert.History. */
#include "config.h"
#include "app.h"

#include <glib-unix.h>
#include <math.h>
#include <string.h>

#include "contract.h"
#include "energy.h"
#include "history-dbus.h"
#include "log.h"

#define INVERTER_BUS_NAME "org.axpert.Inverter"
#define INVERTER_ROOT "/org/axpert/Inverter"
#define INVERTER_IFACE "org.axpert.Inverter"
#define UNIT_IFACE "org.axpert.Inverter.Unit"
#define HISTORY_BUS_NAME "org.axpert.History"
#define HISTORY_ROOT "/org/axpert/History"
#define UNAVAILABLE_ERROR "org.axpert.History.Error.Unavailable"

/* The energy counters' PropertiesChanged: at most once a minute (the XML). */
#define PUBLISH_INTERVAL_SEC 60

_Static_assert((int)ENERGY_PV == (int)STORE_ENERGY_PV &&
                               (int)ENERGY_GRID == (int)STORE_ENERGY_GRID &&
                               (int)_ENERGY_KIND_MAX == (int)_STORE_ENERGY_MAX,
               "energy.h and store.h count the same kinds in the same order");

typedef struct Meter Meter;

/* One org.axpert.Inverter object the daemon exports. */
typedef struct Tracked {
        App *app;
        char *path;
        GDBusProxy *proxy;
        Meter *meter;       /* the serial it currently feeds, NULL while none is known */
        guint64 last_cycle; /* LastUpdateTimestamp of the last cycle sampled */
        GCancellable *cancellable;
        bool in_flight, again;
} Tracked;

/* One serial number ever seen: its org.axpert.History object and its energy accounting. */
struct Meter {
        App *app;
        char *serial;
        char *object_path;
        GDBusObjectSkeleton *object;
        AxpertHistory *iface;
        EnergyMeter *energy;
        Tracked *tracked; /* the inverter feeding it now, NULL when none */
};

struct App {
        HistoryConfig *config;
        Store *store;
        GMainLoop *loop;
        GDBusConnection *connection;
        GDBusObjectManagerServer *server;
        GDBusObjectManager *client;
        GHashTable *meters;  /* serial -> Meter* */
        GHashTable *tracked; /* object path -> Tracked* */
        GHashTable *units;   /* unit object path -> GDBusProxy* */
        guint own_id;
        guint poll_timer, commit_timer, publish_timer;
        uint64_t not_before; /* the wall clock's plausibility floor (energy.h) */
        bool write_failing;
        bool sample_failing; /* the last store_add_sample() failed (logged once per run) */
        bool daemon_present;
        int exit_code;
};

/* Before this a wall clock cannot be right: the moment this program was configured. */
static const uint64_t build_time_usec = (uint64_t)HISTORY_BUILD_EPOCH * USEC_PER_SEC;

static uint64_t now_wall(void)
{
        return (uint64_t)g_get_real_time();
}

static uint64_t now_mono(void)
{
        return (uint64_t)g_get_monotonic_time();
}

/* ---- serial numbers as object paths ---- */

/* As sd_bus_path_encode() does: [A-Za-z0-9] as is, anything else as _XX; "" as "_". */
static char *serial_object_path(const char *serial)
{
        GString *s = g_string_new(HISTORY_ROOT "/");

        if (!*serial)
                g_string_append_c(s, '_');
        for (const unsigned char *p = (const unsigned char *)serial; *p; p++) {
                if (g_ascii_isalnum(*p))
                        g_string_append_c(s, (char)*p);
                else
                        g_string_append_printf(s, "_%02x", *p);
        }
        return g_string_free(s, FALSE);
}

/* ---- the org.axpert.History objects ---- */

static void meter_publish_counters(Meter *m)
{
        StoreEnergy today, month, year, total;
        char day[11];
        int r;

        if (store_local_day(now_wall(), day) < 0)
                return;
        r = store_energy_sums(m->app->store, m->serial, day, &today, &month, &year, &total, NULL);
        if (r < 0) {
                log_warning_errno(r, "Cannot read the energy of %s, ignoring: %s", m->serial,
                                  strerror(-r));
                return;
        }
#define SET(kind, Kind)                                                                            \
        do {                                                                                       \
                axpert_history_set_##kind##_energy_today(m->iface, today.kwh[Kind]);               \
                axpert_history_set_##kind##_energy_this_month(m->iface, month.kwh[Kind]);          \
                axpert_history_set_##kind##_energy_this_year(m->iface, year.kwh[Kind]);            \
                axpert_history_set_##kind##_energy_total(m->iface, total.kwh[Kind]);               \
        } while (0)
        SET(pv, STORE_ENERGY_PV);
        SET(load, STORE_ENERGY_LOAD);
        SET(battery_charge, STORE_ENERGY_BATTERY_CHARGE);
        SET(battery_discharge, STORE_ENERGY_BATTERY_DISCHARGE);
        SET(grid, STORE_ENERGY_GRID);
#undef SET
}

static void meter_publish_range(Meter *m)
{
        uint64_t first = 0, last = 0;
        char **fields = NULL;

        (void)store_get_sample_range(m->app->store, m->serial, &first, &last);
        axpert_history_set_first_sample_timestamp(m->iface, first);
        axpert_history_set_last_sample_timestamp(m->iface, last);
        if (store_list_fields(m->app->store, m->serial, &fields) >= 0) {
                const char *const *old = axpert_history_get_fields(m->iface);

                /* Unchanged lists are not re-sent. */
                if (!old || !g_strv_equal(old, (const char *const *)fields))
                        axpert_history_set_fields(m->iface, (const char *const *)fields);
                store_strv_free(fields);
        }
}

static void meter_publish_all(Meter *m)
{
        meter_publish_counters(m);
        meter_publish_range(m);
}

static void meter_set_device(Meter *m, Tracked *t)
{
        m->tracked = t;
        axpert_history_set_device(m->iface, t ? t->path : "/");
        if (!t)
                energy_integrator_break(&m->energy->integrator);
}

static gboolean on_get_samples(AxpertHistory *iface, GDBusMethodInvocation *invocation,
                               guint64 since, guint64 until, guint step, const char *const *fields,
                               gpointer userdata);
static gboolean on_get_energy(AxpertHistory *iface, GDBusMethodInvocation *invocation,
                              const char *period, guint64 since, guint64 until, gpointer userdata);

static void on_attribute(void *userdata, int64_t wall_usec, const EnergyWh *wh)
{
        Meter *m = userdata;
        char day[11];

        if (store_local_day((uint64_t)wall_usec, day) < 0)
                return;
        for (int k = 0; k < _ENERGY_KIND_MAX; k++) {
                int r;

                if (!(wh->wh[k] > 0))
                        continue;
                r = store_energy_add(m->app->store, m->serial, day, (StoreEnergyKind)k,
                                     wh->wh[k] / 1000);
                if (r < 0)
                        log_debug_errno(r, "Cannot add energy of %s: %s", m->serial, strerror(-r));
        }
}

static Meter *meter_new(App *app, const char *serial)
{
        Meter *m = g_new0(Meter, 1);

        m->app = app;
        m->serial = g_strdup(serial);
        m->object_path = serial_object_path(serial);
        m->energy = g_new0(EnergyMeter, 1);
        energy_meter_init(m->energy, energy_gap_usec(app->config->poll_interval_usec),
                          app->not_before, on_attribute, m);
        m->iface = axpert_history_skeleton_new();
        axpert_history_set_serial_number(m->iface, serial);
        axpert_history_set_device(m->iface, "/");
        axpert_history_set_energy_source(m->iface, "integrated");
        g_signal_connect(m->iface, "handle-get-samples", G_CALLBACK(on_get_samples), m);
        g_signal_connect(m->iface, "handle-get-energy", G_CALLBACK(on_get_energy), m);
        meter_publish_all(m);
        m->object = g_dbus_object_skeleton_new(m->object_path);
        g_dbus_object_skeleton_add_interface(m->object, G_DBUS_INTERFACE_SKELETON(m->iface));
        g_dbus_object_manager_server_export(app->server, m->object);
        g_hash_table_replace(app->meters, m->serial, m);
        return m;
}

static void meter_free(gpointer data)
{
        Meter *m = data;

        if (m->object) {
                g_dbus_object_manager_server_unexport(m->app->server, m->object_path);
                g_object_unref(m->object);
        }
        if (m->iface) {
                g_signal_handlers_disconnect_by_data(m->iface, m);
                g_object_unref(m->iface);
        }
        g_free(m->energy);
        g_free(m->object_path);
        g_free(m->serial);
        g_free(m);
}

static Meter *app_meter(App *app, const char *serial)
{
        Meter *m = g_hash_table_lookup(app->meters, serial);

        if (!m) {
                m = meter_new(app, serial);
                log_info("Recording inverter %s as %s.", serial, m->object_path);
        }
        return m;
}

/* ---- GetSamples, GetEnergy ---- */

static char *join_fields(char **fields)
{
        g_autofree char *joined = fields && *fields ? g_strjoinv(", ", fields) : NULL;

        return g_strdup(joined ? joined : "(none yet)");
}

static gboolean on_get_samples(AxpertHistory *iface, GDBusMethodInvocation *invocation,
                               guint64 since, guint64 until, guint step, const char *const *fields,
                               gpointer userdata)
{
        Meter *m = userdata;
        StoreSamples *samples = NULL;
        size_t n_fields = fields ? g_strv_length((char **)fields) : 0, bad = 0;
        GVariantBuilder columns;
        GVariant *times;
        int r;

        if (since > until) {
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "since (%" G_GUINT64_FORMAT ") is after until (%" G_GUINT64_FORMAT
                                "): give since <= until, both in microseconds since the epoch",
                                since, until);
                return TRUE;
        }
        if (n_fields == 0 || n_fields > STORE_MAX_FIELDS) {
                char **known = NULL;
                g_autofree char *list = NULL;

                (void)store_list_fields(m->app->store, m->serial, &known);
                list = join_fields(known);
                store_strv_free(known);
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "%s: give 1 to %d fields of: %s",
                                n_fields ? "too many fields" : "no fields", STORE_MAX_FIELDS, list);
                return TRUE;
        }
        for (size_t i = 0; i < n_fields; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(fields[i], fields[j])) {
                                g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR,
                                                                      G_DBUS_ERROR_INVALID_ARGS,
                                                                      "field '%s' is given twice: "
                                                                      "each field at most once",
                                                                      fields[i]);
                                return TRUE;
                        }

        /* Bounded before any work: a step that could give more rows than the limit is refused
         * whatever is stored, so no call can make the service (single-threaded: the store is
         * used from the main loop only) busy for long. */
        if (step > 0 && until / USEC_PER_SEC / step - since / USEC_PER_SEC / step + 1 >
                                        (uint64_t)STORE_MAX_ROWS) {
                uint64_t span = (until - since) / USEC_PER_SEC;

                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "a step of %u s over %" G_GUINT64_FORMAT
                                " s gives more than %d rows, the limit per call: narrow the "
                                "range or raise step to at least %" G_GUINT64_FORMAT " s",
                                step, span, STORE_MAX_ROWS, span / STORE_MAX_ROWS + 1);
                return TRUE;
        }
        r = store_get_samples(m->app->store, m->serial, since, until, step, fields, n_fields,
                              now_wall(), &samples, &bad);
        if (r == -ENOENT || r == -ENXIO) {
                char **known = NULL;
                g_autofree char *list = NULL;

                (void)store_list_fields(m->app->store, m->serial, &known);
                list = join_fields(known);
                store_strv_free(known);
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "unknown field '%s'; the recorded fields are: %s",
                                r == -ENOENT && bad < n_fields ? fields[bad] : fields[0], list);
                return TRUE;
        }
        if (r == -E2BIG) {
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "more than %d rows for a step of %u s: at most %d rows and %d "
                                "fields "
                                "per call; narrow the range or raise step",
                                STORE_MAX_ROWS, step, STORE_MAX_ROWS, STORE_MAX_FIELDS);
                return TRUE;
        }
        if (r == -EINVAL) {
                g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR,
                                                      G_DBUS_ERROR_INVALID_ARGS,
                                                      "invalid arguments: %s", strerror(-r));
                return TRUE;
        }
        if (r < 0) {
                g_dbus_method_invocation_return_dbus_error(invocation, UNAVAILABLE_ERROR,
                                                           strerror(-r));
                return TRUE;
        }
        times = g_variant_new_fixed_array(G_VARIANT_TYPE_UINT64, samples->times, samples->n_times,
                                          sizeof(uint64_t));
        g_variant_builder_init(&columns, G_VARIANT_TYPE("aad"));
        for (size_t i = 0; i < samples->n_fields; i++)
                g_variant_builder_add_value(&columns,
                                            g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE,
                                                                      samples->columns[i],
                                                                      samples->n_times,
                                                                      sizeof(double)));
        axpert_history_complete_get_samples(iface, invocation, times,
                                            g_variant_builder_end(&columns));
        store_samples_free(samples);
        return TRUE;
}

static gboolean on_get_energy(AxpertHistory *iface, GDBusMethodInvocation *invocation,
                              const char *period, guint64 since, guint64 until, gpointer userdata)
{
        Meter *m = userdata;
        StoreEnergyPeriod *periods = NULL;
        size_t n = 0;
        GVariantBuilder b;
        int p, r;

        p = store_period_from_string(period);
        if (p < 0) {
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "period '%s' is not one of: day, month, year", period);
                return TRUE;
        }
        if (since > until) {
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                "since (%" G_GUINT64_FORMAT ") is after until (%" G_GUINT64_FORMAT
                                "): give since <= until, both in microseconds since the epoch",
                                since, until);
                return TRUE;
        }
        r = store_get_energy(m->app->store, m->serial, (StorePeriod)p, since, until, &periods, &n);
        if (r == -E2BIG || r == -EINVAL) {
                g_dbus_method_invocation_return_error(
                                invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                r == -E2BIG ? "more than %d periods: at most %d per call; narrow "
                                              "the range or take a longer period"
                                            : "invalid range (%d periods at most)",
                                STORE_MAX_ROWS, STORE_MAX_ROWS);
                return TRUE;
        }
        if (r < 0) {
                g_dbus_method_invocation_return_dbus_error(invocation, UNAVAILABLE_ERROR,
                                                           strerror(-r));
                return TRUE;
        }
        g_variant_builder_init(&b, G_VARIANT_TYPE("a(ta{sd})"));
        for (size_t i = 0; i < n; i++) {
                GVariantBuilder d;

                g_variant_builder_init(&d, G_VARIANT_TYPE("a{sd}"));
                for (int k = 0; k < _STORE_ENERGY_MAX; k++)
                        g_variant_builder_add(&d, "{sd}", store_energy_kind_to_string(k),
                                              periods[i].energy.kwh[k]);
                g_variant_builder_add(&b, "(t@a{sd})", (guint64)periods[i].start_usec,
                                      g_variant_builder_end(&d));
        }
        free(periods);
        axpert_history_complete_get_energy(iface, invocation, g_variant_builder_end(&b));
        return TRUE;
}

/* ---- sampling ---- */

static bool variant_number(GVariant *v, const AxpertContractProperty *p, double *ret)
{
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
                *ret = g_variant_get_double(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
                *ret = g_variant_get_boolean(v) ? 1 : 0;
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
                *ret = g_variant_get_uint32(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
                *ret = g_variant_get_int32(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
                *ret = (double)g_variant_get_uint64(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
                *ret = (double)g_variant_get_int64(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT16))
                *ret = g_variant_get_uint16(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT16))
                *ret = g_variant_get_int16(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BYTE))
                *ret = g_variant_get_byte(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) && p && p->values &&
                 streq(p->name, "Mode")) {
                /* Mode as its index in the contract's list (the History XML says so). */
                const char *s = g_variant_get_string(v, NULL);

                *ret = NAN;
                for (size_t i = 0; p->values[i]; i++)
                        if (streq(p->values[i], s))
                                *ret = (double)i;
        } else
                return false;
        return true;
}

/* Every numeric and boolean property the daemon exports on proxy (the bus says which exist;
 * the contract says which are signalled: a property without a change signal, such as
 * LastUpdateTimestamp, would be recorded stale). */
static void sample_proxy(App *app, const char *serial, uint64_t wall, GDBusProxy *proxy,
                         const char *iface, const char *prefix)
{
        g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names(proxy);

        for (char **n = names; n && *n; n++) {
                const AxpertContractProperty *p = axpert_contract_property(iface, *n);
                g_autoptr(GVariant) v = NULL;
                g_autofree char *field = NULL;
                double value;
                int r;

                if (!p || !p->emits_change)
                        continue;
                v = g_dbus_proxy_get_cached_property(proxy, *n);
                if (!v || !variant_number(v, p, &value))
                        continue;
                field = prefix ? g_strconcat(prefix, *n, NULL) : g_strdup(*n);
                r = store_add_sample(app->store, serial, wall, field, value);
                if (r < 0 && !app->sample_failing)
                        log_warning_errno(r, "Cannot record %s of %s, ignoring: %s", field, serial,
                                          strerror(-r));
                app->sample_failing = r < 0;
        }
}

static double cached_number(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);
        double d;

        return v && variant_number(v, NULL, &d) ? d : NAN;
}

static char *cached_string(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        return v && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string(v, NULL)
                                                                   : NULL;
}

static double add_finite(double a, double b)
{
        return isfinite(b) ? (isfinite(a) ? a + b : b) : a;
}

/* The unit proxies of tracked object path, with their index N (…/unitN). */
static GPtrArray *tracked_units(App *app, const char *path)
{
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer key, value;
        size_t n = strlen(path);

        g_hash_table_iter_init(&it, app->units);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                const char *p = key;

                if (strneq(p, path, n) && g_str_has_prefix(p + n, "/unit"))
                        g_ptr_array_add(a, value);
        }
        return a;
}

/* HISTORY.md's powers: PV summed over the parallel units where there are any (the units report
 * V and A), load the parallel total, battery V x the total currents. */
static void energy_input(App *app, Tracked *t, GPtrArray *units, EnergyInput *in)
{
        GDBusProxy *p = t->proxy;
        g_autofree char *mode = cached_string(p, "Mode");
        double v = cached_number(p, "BatteryVoltage");

        *in = (EnergyInput){
                        .pv_w = add_finite(cached_number(p, "PvInputPower"),
                                           cached_number(p, "Pv2InputPower")),
                        .load_w = cached_number(p, "TotalAcOutputActivePower"),
                        .line = mode && streq(mode, "line"),
                        .pv_counter_wh = cached_number(p, "PvEnergyTotal"),
                        .load_counter_wh = cached_number(p, "LoadEnergyTotal"),
        };
        if (!isfinite(in->load_w))
                in->load_w = cached_number(p, "AcOutputActivePower");
        double charge = cached_number(p, "TotalChargingCurrent");
        if (!isfinite(charge))
                charge = cached_number(p, "BatteryChargingCurrent");
        double discharge = cached_number(p, "BatteryDischargeCurrent");
        if (units->len > 0) {
                double pv = NAN, dis = NAN;

                for (guint i = 0; i < units->len; i++) {
                        GDBusProxy *u = units->pdata[i];

                        pv = add_finite(pv, cached_number(u, "PvInputVoltage") *
                                                            cached_number(u, "PvInputCurrent"));
                        pv = add_finite(pv, cached_number(u, "Pv2InputVoltage") *
                                                            cached_number(u, "Pv2InputCurrent"));
                        dis = add_finite(dis, cached_number(u, "BatteryDischargeCurrent"));
                }
                if (isfinite(pv))
                        in->pv_w = pv;
                if (isfinite(dis))
                        discharge = dis;
        }
        in->battery_charge_w = v * charge;
        in->battery_discharge_w = v * discharge;
}

static void tracked_detach(Tracked *t)
{
        if (t->meter && t->meter->tracked == t)
                meter_set_device(t->meter, NULL);
        t->meter = NULL;
}

/* The serial the daemon reports now; a change on the same path is another inverter. */
static Meter *tracked_update_serial(Tracked *t)
{
        g_autofree char *serial = cached_string(t->proxy, "SerialNumber");

        if (!serial || !*serial) {
                tracked_detach(t);
                return NULL;
        }
        if (t->meter && streq(t->meter->serial, serial))
                return t->meter;
        if (t->meter)
                log_info("%s: serial number %s changed to %s: another inverter.", t->path,
                         t->meter->serial, serial);
        tracked_detach(t);
        t->meter = app_meter(t->app, serial);
        if (t->meter->tracked && t->meter->tracked != t)
                tracked_detach(t->meter->tracked);
        meter_set_device(t->meter, t);
        return t->meter;
}

static bool tracked_online(Tracked *t)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(t->proxy, "Online");

        return t->app->daemon_present && v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) &&
               g_variant_get_boolean(v);
}

static void tracked_sample(Tracked *t)
{
        App *app = t->app;
        g_autoptr(GPtrArray) units = NULL;
        uint64_t mono = now_mono(), wall = now_wall();
        EnergyInput in;
        Meter *m;
        bool plausible;

        m = tracked_update_serial(t);
        if (!m)
                return;
        units = tracked_units(app, t->path);
        energy_input(app, t, units, &in);
        if (m->energy->not_before_usec < app->not_before)
                m->energy->not_before_usec = app->not_before;
        plausible = energy_meter_sample(m->energy, mono, wall, &in);
        axpert_history_set_energy_source(m->iface, energy_input_has_counters(&in) ? "inverter"
                                                                                  : "integrated");
        if (!plausible) {
                /* Its energy is held (energy.c); the sample itself has no true time. */
                log_debug("%s: the wall clock is before the last sample or the build date; "
                          "holding the energy, not recording the sample.",
                          m->serial);
                return;
        }
        app->not_before = wall;
        log_debug("%s: sampling cycle of %s.", m->serial, t->path);
        sample_proxy(app, m->serial, wall, t->proxy, INVERTER_IFACE, NULL);
        for (guint i = 0; i < units->len; i++) {
                GDBusProxy *u = units->pdata[i];
                const char *path = g_dbus_proxy_get_object_path(u);
                g_autofree char *prefix =
                                g_strdup_printf("%s.", strrchr(path, '/') + 1); /* "unitN." */

                sample_proxy(app, m->serial, wall, u, UNIT_IFACE, prefix);
        }
        /* A new inverter's Fields (what GetSamples accepts) need not wait for the minute. */
        if (!axpert_history_get_fields(m->iface) || !*axpert_history_get_fields(m->iface))
                meter_publish_range(m);
}

static void tracked_request(Tracked *t);

static void on_cycle_reply(GObject *source, GAsyncResult *result, gpointer userdata)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GVariant) value = NULL;
        Tracked *t;
        guint64 ts = 0;

        reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return; /* t is gone */
        t = userdata;
        t->in_flight = false;
        if (reply) {
                g_variant_get(reply, "(v)", &value);
                if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
                        ts = g_variant_get_uint64(value);
        } else
                log_debug("Cannot read LastUpdateTimestamp of %s: %s", t->path, error->message);
        /* A cycle completed since the last sample: its values are in the proxy's cache (the
         * daemon's signals of that cycle came before this reply on the same connection). */
        log_debug("%s: LastUpdateTimestamp %" G_GUINT64_FORMAT " (last sampled %" G_GUINT64_FORMAT
                  ")%s.",
                  t->path, ts, t->last_cycle, tracked_online(t) ? "" : ", offline");
        if (ts && ts != t->last_cycle && tracked_online(t)) {
                t->last_cycle = ts;
                tracked_sample(t);
        } else if (!tracked_online(t) && t->meter)
                /* Seen offline: whatever comes next starts a new run (a gap), even if the
                 * signal that said so was missed. */
                energy_integrator_break(&t->meter->energy->integrator);
        if (t->again) {
                t->again = false;
                tracked_request(t);
        }
}

/* Did a cycle complete? LastUpdateTimestamp has no change signal (it changes every cycle), so
 * it is read: after each signal, and every PollInterval for the cycles in which nothing
 * changed (no signal at all: unchanged values are still the values of that time). */
static void tracked_request(Tracked *t)
{
        if (t->in_flight) {
                t->again = true;
                return;
        }
        t->in_flight = true;
        g_dbus_connection_call(t->app->connection, INVERTER_BUS_NAME, t->path,
                               "org.freedesktop.DBus.Properties", "Get",
                               g_variant_new("(ss)", INVERTER_IFACE, "LastUpdateTimestamp"),
                               G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000,
                               t->cancellable, on_cycle_reply, t);
}

static void tracked_free(gpointer data)
{
        Tracked *t = data;

        tracked_detach(t);
        g_cancellable_cancel(t->cancellable);
        g_object_unref(t->cancellable);
        g_object_unref(t->proxy);
        g_free(t->path);
        g_free(t);
}

static void tracked_add(App *app, GDBusProxy *proxy)
{
        Tracked *t = g_new0(Tracked, 1);

        t->app = app;
        t->path = g_strdup(g_dbus_proxy_get_object_path(proxy));
        t->proxy = g_object_ref(proxy);
        t->cancellable = g_cancellable_new();
        g_hash_table_replace(app->tracked, t->path, t);
        log_info("Inverter %s appeared.", t->path);
        (void)tracked_update_serial(t);
        tracked_request(t);
}

/* ---- following the daemon ---- */

static void add_interface(App *app, GDBusInterface *iface)
{
        GDBusProxy *proxy = G_DBUS_PROXY(iface);
        const char *name = g_dbus_proxy_get_interface_name(proxy);
        const char *path = g_dbus_proxy_get_object_path(proxy);

        /* Objects only come from a present daemon (the name-owner notify may come later). */
        app->daemon_present = true;
        if (streq(name, INVERTER_IFACE))
                tracked_add(app, proxy);
        else if (streq(name, UNIT_IFACE))
                g_hash_table_replace(app->units, g_strdup(path), g_object_ref(proxy));
}

static void remove_interface(App *app, GDBusInterface *iface)
{
        GDBusProxy *proxy = G_DBUS_PROXY(iface);
        const char *name = g_dbus_proxy_get_interface_name(proxy);
        const char *path = g_dbus_proxy_get_object_path(proxy);

        if (streq(name, INVERTER_IFACE)) {
                if (g_hash_table_remove(app->tracked, path))
                        log_info("Inverter %s vanished.", path);
        } else if (streq(name, UNIT_IFACE))
                g_hash_table_remove(app->units, path);
}

static void on_object_added(GDBusObjectManager *mgr, GDBusObject *object, gpointer userdata)
{
        GList *ifaces = g_dbus_object_get_interfaces(object);

        for (GList *l = ifaces; l; l = l->next)
                add_interface(userdata, l->data);
        g_list_free_full(ifaces, g_object_unref);
}

static void on_object_removed(GDBusObjectManager *mgr, GDBusObject *object, gpointer userdata)
{
        GList *ifaces = g_dbus_object_get_interfaces(object);

        for (GList *l = ifaces; l; l = l->next)
                remove_interface(userdata, l->data);
        g_list_free_full(ifaces, g_object_unref);
}

static void on_interface_added(GDBusObjectManager *mgr, GDBusObject *object, GDBusInterface *iface,
                               gpointer userdata)
{
        add_interface(userdata, iface);
}

static void on_interface_removed(GDBusObjectManager *mgr, GDBusObject *object,
                                 GDBusInterface *iface, gpointer userdata)
{
        remove_interface(userdata, iface);
}

static void on_properties_changed(GDBusObjectManagerClient *mgr, GDBusObjectProxy *object,
                                  GDBusProxy *proxy, GVariant *changed,
                                  const char *const *invalidated, gpointer userdata)
{
        App *app = userdata;
        const char *path = g_dbus_proxy_get_object_path(proxy);
        const char *name = g_dbus_proxy_get_interface_name(proxy);
        Tracked *t = NULL;

        if (streq(name, INVERTER_IFACE))
                t = g_hash_table_lookup(app->tracked, path);
        else if (streq(name, UNIT_IFACE)) {
                g_autofree char *parent = g_path_get_dirname(path);

                t = g_hash_table_lookup(app->tracked, parent);
        }
        if (!t)
                return;
        if (streq(name, INVERTER_IFACE)) {
                /* Offline: a gap starts now, nothing is bridged across it. The cached value
                 * after the change, not only an "Online" in this signal's changed list: an
                 * offline that came any other way (invalidated, a reloaded cache) is one too. */
                if (!tracked_online(t) && t->meter)
                        energy_integrator_break(&t->meter->energy->integrator);
                if (g_variant_lookup(changed, "SerialNumber", "&s", NULL))
                        (void)tracked_update_serial(t);
        }
        tracked_request(t);
}

static void on_name_owner(GObject *object, GParamSpec *pspec, gpointer userdata)
{
        App *app = userdata;
        g_autofree char *owner = g_dbus_object_manager_client_get_name_owner(
                        G_DBUS_OBJECT_MANAGER_CLIENT(object));
        GHashTableIter it;
        gpointer value;

        log_info("%s %s the bus.", INVERTER_BUS_NAME, owner ? "appeared on" : "vanished from");
        app->daemon_present = owner != NULL;
        if (owner)
                return;
        /* GDBus reports a vanished owner before it removes the objects: no cycle of the old
         * daemon is bridged to the first of the next one. */
        g_hash_table_iter_init(&it, app->tracked);
        while (g_hash_table_iter_next(&it, NULL, &value))
                tracked_detach(value);
}

static void on_connection_closed(GDBusConnection *connection, gboolean remote_peer_vanished,
                                 GError *error, gpointer userdata)
{
        App *app = userdata;

        /* Not the daemon leaving (that is waited for): with the bus gone nothing can be
         * followed or served, and only a restart (Restart=on-failure) gets a new connection. */
        log_error("Lost the connection to the system bus: %s (%s); exiting.",
                  remote_peer_vanished ? "the bus went away" : "the connection was closed",
                  error ? error->message : "no error");
        if (!app->exit_code)
                app->exit_code = -ECONNRESET;
        g_main_loop_quit(app->loop);
}

/* ---- timers ---- */

static gboolean on_poll_timer(gpointer userdata)
{
        App *app = userdata;
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, app->tracked);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (tracked_online(value))
                        tracked_request(value);
        return G_SOURCE_CONTINUE;
}

static int app_commit(App *app)
{
        StoreStats stats;
        int r = store_commit(app->store, now_wall());

        if (r < 0) {
                if (!app->write_failing) {
                        store_get_stats(app->store, &stats);
                        log_warning_errno(r,
                                          "Cannot write the database: %s; recording paused "
                                          "(%zu values buffered, reads keep working), retrying "
                                          "every commit",
                                          r == -ENOSPC ? "the disk is full" : strerror(-r),
                                          stats.pending_samples);
                }
                app->write_failing = true;
                return r;
        }
        if (app->write_failing) {
                store_get_stats(app->store, &stats);
                log_notice("The database can be written again; recording resumed "
                           "(%" G_GUINT64_FORMAT " values were dropped meanwhile).",
                           (guint64)stats.dropped_samples);
        }
        app->write_failing = false;
        return 0;
}

static gboolean on_commit_timer(gpointer userdata)
{
        (void)app_commit(userdata);
        return G_SOURCE_CONTINUE;
}

static gboolean on_publish_timer(gpointer userdata)
{
        App *app = userdata;
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, app->meters);
        while (g_hash_table_iter_next(&it, NULL, &value))
                meter_publish_all(value);
        return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer userdata)
{
        App *app = userdata;

        log_info("Stopping.");
        g_main_loop_quit(app->loop);
        return G_SOURCE_CONTINUE;
}

/* ---- the bus name ---- */

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer userdata)
{
        App *app = userdata;

        log_error("Cannot own %s on the system bus (another instance, or the bus policy); "
                  "exiting.",
                  name);
        if (!app->exit_code)
                app->exit_code = -EADDRINUSE;
        g_main_loop_quit(app->loop);
}

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer userdata)
{
        log_info("Serving %s.", name);
}

/* ---- life cycle ---- */

App *app_new(HistoryConfig *config, Store *store, GError **error)
{
        g_autoptr(App) app = g_new0(App, 1);
        char **serials = NULL;
        uint64_t newest = 0;
        int r;

        app->config = config;
        app->store = store;
        app->loop = g_main_loop_new(NULL, FALSE);
        app->meters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, meter_free);
        app->tracked = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, tracked_free);
        app->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);

        app->connection = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
        if (!app->connection)
                return NULL;
        /* GDBus's default raises SIGTERM when the bus closes: that would look like a clean stop
         * (exit 0) and leave a Restart=on-failure service dead. */
        g_dbus_connection_set_exit_on_close(app->connection, FALSE);
        g_signal_connect(app->connection, "closed", G_CALLBACK(on_connection_closed), app);

        /* Every serial ever recorded has its object from the start. */
        app->server = g_dbus_object_manager_server_new(HISTORY_ROOT);
        r = store_list_serials(store, &serials);
        if (r < 0)
                log_warning_errno(r, "Cannot list the recorded inverters, ignoring: %s",
                                  strerror(-r));
        for (char **s = serials; s && *s; s++) {
                uint64_t last = 0;

                (void)store_get_sample_range(store, *s, NULL, &last);
                newest = MAX(newest, last);
        }
        app->not_before = MAX(newest, build_time_usec);
        for (char **s = serials; s && *s; s++)
                (void)meter_new(app, *s);
        store_strv_free(serials);
        g_dbus_object_manager_server_set_connection(app->server, app->connection);
        return g_steal_pointer(&app);
}

App *app_free(App *app)
{
        if (!app)
                return NULL;
        if (app->poll_timer)
                g_source_remove(app->poll_timer);
        if (app->commit_timer)
                g_source_remove(app->commit_timer);
        if (app->publish_timer)
                g_source_remove(app->publish_timer);
        if (app->own_id)
                g_bus_unown_name(app->own_id);
        if (app->client) {
                g_signal_handlers_disconnect_by_data(app->client, app);
                g_clear_object(&app->client);
        }
        g_clear_pointer(&app->tracked, g_hash_table_destroy);
        g_clear_pointer(&app->units, g_hash_table_destroy);
        g_clear_pointer(&app->meters, g_hash_table_destroy);
        g_clear_object(&app->server);
        if (app->connection) {
                g_signal_handlers_disconnect_by_data(app->connection, app);
                g_object_unref(app->connection);
        }
        g_clear_pointer(&app->loop, g_main_loop_unref);
        g_free(app);
        return NULL;
}

int app_run(App *app)
{
        g_autoptr(GError) error = NULL;
        GList *objects;
        guint sigterm, sigint;
        int r;

        app->own_id = g_bus_own_name_on_connection(app->connection, HISTORY_BUS_NAME,
                                                   G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                   on_name_acquired, on_name_lost, app, NULL);

        /* No auto-start: the unit is ordered after axpertd, and a missing daemon is a state
         * (nothing recorded), not an error. */
        app->client = g_dbus_object_manager_client_new_sync(
                        app->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                        INVERTER_BUS_NAME, INVERTER_ROOT, NULL, NULL, NULL, NULL, &error);
        if (!app->client) {
                log_error("Cannot watch %s on the system bus: %s", INVERTER_BUS_NAME,
                          error->message);
                return -EIO;
        }
        g_signal_connect(app->client, "object-added", G_CALLBACK(on_object_added), app);
        g_signal_connect(app->client, "object-removed", G_CALLBACK(on_object_removed), app);
        g_signal_connect(app->client, "interface-added", G_CALLBACK(on_interface_added), app);
        g_signal_connect(app->client, "interface-removed", G_CALLBACK(on_interface_removed), app);
        g_signal_connect(app->client, "interface-proxy-properties-changed",
                         G_CALLBACK(on_properties_changed), app);
        g_signal_connect(app->client, "notify::name-owner", G_CALLBACK(on_name_owner), app);
        {
                g_autofree char *owner = g_dbus_object_manager_client_get_name_owner(
                                G_DBUS_OBJECT_MANAGER_CLIENT(app->client));

                app->daemon_present = owner != NULL;
                if (!owner)
                        log_notice("%s is not on the bus yet; waiting for it.", INVERTER_BUS_NAME);
        }
        objects = g_dbus_object_manager_get_objects(app->client);
        for (GList *l = objects; l; l = l->next)
                on_object_added(app->client, l->data, app);
        g_list_free_full(objects, g_object_unref);

        app->poll_timer = g_timeout_add(MAX(app->config->poll_interval_usec / 1000, 50),
                                        on_poll_timer, app);
        app->commit_timer = g_timeout_add(app->config->commit_interval_usec / 1000, on_commit_timer,
                                          app);
        app->publish_timer = g_timeout_add_seconds(PUBLISH_INTERVAL_SEC, on_publish_timer, app);
        sigterm = g_unix_signal_add(SIGTERM, on_signal, app);
        sigint = g_unix_signal_add(SIGINT, on_signal, app);
        g_main_loop_run(app->loop);
        g_source_remove(sigterm);
        g_source_remove(sigint);

        /* What is buffered is kept: SIGTERM loses nothing. */
        r = app_commit(app);
        if (r < 0 && !app->exit_code)
                log_error_errno(r, "The last commit failed: %s", strerror(-r));
        return app->exit_code;
}
