/* axpertctl energy: the kWh counters of axpert-history, and per day, month or year like a bill. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axpertctl.h"
#include "history.h"
#include "json.h"
#include "macros.h"
#include "time-spec.h"

/* The kinds of energy: GetEnergy's keys, the properties' prefix (dbus/org.axpert.History.xml),
 * and the row or column label. */
static const struct {
        const char *key;
        const char *property;
        const char *label;
} kinds[] = {
                {"Pv", "PvEnergy", "PV"},
                {"Load", "LoadEnergy", "Load"},
                {"BatteryCharge", "BatteryChargeEnergy", "Battery charged"},
                {"BatteryDischarge", "BatteryDischargeEnergy", "Battery discharged"},
                {"Grid", "GridEnergy", "Grid (estimate)"},
};

static const struct {
        const char *suffix;
        const char *label;
} spans[] = {
                {"Today", "Today"},
                {"ThisMonth", "This month"},
                {"ThisYear", "This year"},
                {"Total", "Total"},
};

static const char *format_kwh(double v, char buf[static 32])
{
        if (isnan(v))
                return strcpy(buf, "-");
        snprintf(buf, 32, "%.2f", v);
        if (streq(buf, "-0.00"))
                strcpy(buf, "0.00");
        return buf;
}

static const char *source_words(const char *source)
{
        if (streq(source, "inverter"))
                return "PV and load from the inverter's own counters";
        if (streq(source, "integrated"))
                return "PV and load integrated by axpert-history";
        return source;
}

static int show_counters(const HistoryObject *h)
{
        const char *serial = property_list_string(&h->props, "SerialNumber");
        const char *source = property_list_string(&h->props, "EnergySource");
        char name[64], buf[32];
        size_t label_width = 0;

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_object(&w);
                json_key(&w, "SerialNumber");
                json_string(&w, serial);
                json_key(&w, "EnergySource");
                json_string(&w, source);
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        for (size_t s = 0; s < ELEMENTSOF(spans); s++) {
                                snprintf(name, sizeof name, "%s%s", kinds[k].property,
                                         spans[s].suffix);
                                json_key(&w, name);
                                json_double(&w, property_list_double(&h->props, name));
                        }
                json_end_object(&w);
                json_finish(&w);
                return 0;
        }

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                if (strlen(kinds[k].label) > label_width)
                        label_width = strlen(kinds[k].label);
        if (arg_legend) {
                printf("Energy in kWh of inverter %s (%s):\n\n", serial,
                       *source ? source_words(source) : "source unknown");
                printf("%-*s", (int)label_width, "");
                for (size_t s = 0; s < ELEMENTSOF(spans); s++)
                        printf("  %10s", spans[s].label);
                putchar('\n');
        }
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                printf("%-*s", (int)label_width, kinds[k].label);
                for (size_t s = 0; s < ELEMENTSOF(spans); s++) {
                        snprintf(name, sizeof name, "%s%s", kinds[k].property, spans[s].suffix);
                        printf("  %10s", format_kwh(property_list_double(&h->props, name), buf));
                }
                putchar('\n');
        }
        return 0;
}

typedef struct Period {
        uint64_t start;
        double values[ELEMENTSOF(kinds)];
        PropertyList extra; /* all keys, for JSON (the API may grow) */
} Period;

static void periods_free(Period *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                property_list_done(&p[i].extra);
        free(p);
}

/* a{sd} into values (NaN where a key is missing) and into a list of every key. */
static int period_read(sd_bus_message *m, Period *p)
{
        int r;

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                p->values[k] = NAN;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sd}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sd")) > 0) {
                const char *key;
                double v;
                Property *n;

                r = sd_bus_message_read(m, "sd", &key, &v);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        if (streq(kinds[k].key, key))
                                p->values[k] = v;
                n = realloc(p->extra.items, (p->extra.n + 1) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                p->extra.items = n;
                n = &p->extra.items[p->extra.n++];
                *n = (Property){.name = strdup(key), .type = "d", .d = v};
                if (!n->name)
                        return -ENOMEM;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int periods_read(sd_bus_message *m, Period **ret, size_t *ret_n)
{
        Period *p = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(ta{sd})");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, "ta{sd}")) > 0) {
                Period *q = realloc(p, (n + 1) * sizeof *q);

                if (!q) {
                        r = -ENOMEM;
                        break;
                }
                p = q;
                p[n] = (Period){0};
                r = sd_bus_message_read_basic(m, 't', &p[n].start);
                n++;
                if (r >= 0)
                        r = period_read(m, &p[n - 1]);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                periods_free(p, n);
                return r;
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

static const char *period_label(const char *period, uint64_t start, char buf[static TIME_ISO_MAX])
{
        return format_time_local(start,
                                 streq(period, "day")     ? "%Y-%m-%d"
                                 : streq(period, "month") ? "%Y-%m"
                                                          : "%Y",
                                 buf);
}

static void show_periods(const HistoryObject *h, const char *period, const Period *p, size_t n)
{
        char buf[32], t[TIME_ISO_MAX];
        double total[ELEMENTSOF(kinds)] = {0};
        size_t width[ELEMENTSOF(kinds)], first_width;
        const char *first = streq(period, "day")     ? "Date"
                            : streq(period, "month") ? "Month"
                                                     : "Year";

        if (arg_json != JSON_OFF) {
                JsonWriter w;

                json_init(&w, stdout, arg_json == JSON_PRETTY);
                json_begin_array(&w);
                for (size_t i = 0; i < n; i++) {
                        json_begin_object(&w);
                        json_key(&w, "period");
                        json_string(&w, period_label(period, p[i].start, t));
                        json_key(&w, "timestamp");
                        json_uint(&w, p[i].start);
                        for (size_t k = 0; k < p[i].extra.n; k++) {
                                json_key(&w, p[i].extra.items[k].name);
                                json_double(&w, p[i].extra.items[k].d);
                        }
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_finish(&w);
                return;
        }

        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        if (!isnan(p[i].values[k]))
                                total[k] += p[i].values[k];
        first_width = strlen(period_label(period, 0, t));
        if (strlen(first) > first_width)
                first_width = strlen(first);
        if (strlen("Total") > first_width)
                first_width = strlen("Total");
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                width[k] = strlen(kinds[k].label);
                if (strlen(format_kwh(total[k], buf)) > width[k])
                        width[k] = strlen(buf);
        }

        if (arg_legend) {
                printf("Energy in kWh per %s of inverter %s:\n\n", period,
                       property_list_string(&h->props, "SerialNumber"));
                printf("%-*s", (int)first_width, first);
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        printf("  %*s", (int)width[k], kinds[k].label);
                putchar('\n');
        }
        for (size_t i = 0; i < n; i++) {
                printf("%-*s", (int)first_width, period_label(period, p[i].start, t));
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        printf("  %*s", (int)width[k], format_kwh(p[i].values[k], buf));
                putchar('\n');
        }
        if (!arg_legend)
                return; /* the total is the table's footer */
        for (size_t c = 0; c < first_width; c++)
                putchar('-');
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                fputs("  ", stdout);
                for (size_t c = 0; c < width[k]; c++)
                        putchar('-');
        }
        putchar('\n');
        printf("%-*s", (int)first_width, "Total");
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                printf("  %*s", (int)width[k], format_kwh(total[k], buf));
        putchar('\n');
}

int verb_energy(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(history_list_done) HistoryList list = {0};
        const HistoryObject *h;
        const char *period = arg_period;
        uint64_t now = now_realtime_usec(), since = 0, until = now, def_since = 0;
        Period *periods = NULL;
        size_t n = 0;
        int r;

        (void)argc;
        (void)argv;
        if (!period && (arg_since || arg_until || arg_range))
                period = "day";
        if (period) {
                /* Without --since: the last 30 days, the last 12 months, every year. */
                if (streq(period, "day"))
                        r = local_day_start(now, -29, &def_since);
                else if (streq(period, "month"))
                        r = local_month_start(now, -11, &def_since);
                else
                        r = 0;
                if (r < 0)
                        return report_error(EXIT_FAILED, "cannot compute the local date: %s",
                                            strerror(-r));
                r = history_resolve_range(now, def_since, now, &since, &until);
                if (r < 0)
                        return r;
        }

        r = history_load_and_pick(bus, &list, &h);
        if (r < 0)
                return r;
        if (!period)
                return show_counters(h);

        r = sd_bus_call_method(bus, HISTORY_BUS_NAME, h->path, HISTORY_INTERFACE, "GetEnergy",
                               &error, &reply, "stt", period, since, until);
        if (r < 0)
                return report_history_bus_error("cannot read the energy", &error, r);
        r = periods_read(reply, &periods, &n);
        if (r < 0)
                return report_error(EXIT_FAILED,
                                    "cannot read the energy: axpert-history answered something "
                                    "unexpected: %s",
                                    strerror(-r));
        show_periods(h, period, periods, n);
        periods_free(periods, n);
        return 0;
}
