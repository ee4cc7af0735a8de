/* "axpertctl status": the human summary of one inverter, and its JSON form. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "axpertctl.h"
#include "format.h"
#include "macros.h"

/* Width of the right-aligned key column, as in hostnamectl. */
#define KEY_WIDTH 18
#define MIN_SIZE(a, b) ((a) < (b) ? (a) : (b))

/* One value line being assembled: items separated by ", ". */
typedef struct Line {
        char buf[1024];
        size_t len;
} Line;

static void line_add(Line *l, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void line_add(Line *l, const char *format, ...)
{
        va_list ap;
        int n;

        if (l->len >= sizeof l->buf - 1)
                return;
        if (l->len > 0)
                l->len += (size_t)snprintf(l->buf + l->len, sizeof l->buf - l->len, ", ");
        if (l->len >= sizeof l->buf - 1)
                return;
        va_start(ap, format);
        n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, format, ap);
        va_end(ap);
        if (n > 0)
                l->len = MIN_SIZE(l->len + (size_t)n, sizeof l->buf - 1);
}

/* "52.1 V", or NULL when the value is unknown (NaN or not sent). */
static const char *quantity(const PropertyList *props, const char *name,
                            char buf[static FORMAT_BUF_MAX])
{
        double d = property_list_double(props, name);
        const char *unit = property_unit(name, use_ascii);
        char num[FORMAT_BUF_MAX];

        if (isnan(d))
                return NULL;
        snprintf(buf, FORMAT_BUF_MAX, "%s%s%s", format_double(d, "n/a", num), unit ? " " : "",
                 unit ? unit : "");
        return buf;
}

/* Adds "label value" when the value is known. */
static void line_quantity(Line *l, const char *label, const PropertyList *props, const char *name)
{
        char buf[FORMAT_BUF_MAX];
        const char *q = quantity(props, name, buf);

        if (q)
                line_add(l, "%s%s%s", label, *label ? " " : "", q);
}

static void print_field(const char *key, const char *color, const char *value)
{
        printf("%*s: %s%s%s\n", KEY_WIDTH, key, color, value && *value ? value : "n/a",
               *color ? ansi_normal() : "");
}

static void print_line(const char *key, const Line *l)
{
        print_field(key, "", l->len > 0 ? l->buf : "n/a");
}

static void print_strv_field(const char *key, char **strv, const char *color)
{
        Line l = {0};

        if (!strv || !strv[0]) {
                print_field(key, "", "none");
                return;
        }
        for (char **s = strv; *s; s++)
                line_add(&l, "%s", *s);
        print_field(key, color, l.buf);
}

static void format_clock(uint64_t usec, char buf[static 32])
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, 32, "@%llu", (unsigned long long)(usec / USEC_PER_SEC));
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* The State line; returns whether the inverter is online. Offline comes first and alone: the
 * measured values axpertd still holds are stale (most are NaN or defaults by then), so none of
 * them is shown as if it were a reading. */
static bool print_state(const DeviceObject *d)
{
        const PropertyList *p = &d->props;
        uint64_t last = property_list_uint(p, "LastUpdateTimestamp");
        const char *error = property_list_string(p, "LastError");
        char age[FORMAT_BUF_MAX], clock[32];
        Line l = {0};

        if (property_list_bool(p, "Online")) {
                if (last > 0)
                        line_add(&l, "%sonline%s, updated %s ago", ansi_highlight_green(),
                                 ansi_normal(), format_age(now_usec(), last, age));
                else
                        line_add(&l, "%sonline%s, waiting for the first complete poll",
                                 ansi_highlight_green(), ansi_normal());
                print_field("State", "", l.buf);
                return true;
        }

        if (last > 0) {
                format_clock(last, clock);
                line_add(&l, "%soffline since %s (%s ago)", ansi_highlight_red(), clock,
                         format_age(now_usec(), last, age));
        } else
                /* 0 = no complete poll since axpertd started (it keeps the last one's time while
                 * offline): no "since" to show. */
                line_add(&l, "%soffline", ansi_highlight_red());
        /* line_add would separate with ", "; the error follows a colon. */
        if (*error)
                snprintf(l.buf + l.len, sizeof l.buf - l.len, ": %s%s", error, ansi_normal());
        else
                snprintf(l.buf + l.len, sizeof l.buf - l.len, "%s", ansi_normal());
        print_field("State", "", l.buf);
        return false;
}

/* What is known of the inverter itself while it is offline: where and what it is. */
static void print_identity(const DeviceObject *d)
{
        const PropertyList *p = &d->props;
        Line l = {0};

        if (*property_list_string(p, "DevicePath"))
                line_add(&l, "%s", property_list_string(p, "DevicePath"));
        if (*property_list_string(p, "Transport"))
                line_add(&l, "%s", property_list_string(p, "Transport"));
        if (*property_list_string(p, "ProtocolId"))
                line_add(&l, "protocol %s", property_list_string(p, "ProtocolId"));
        print_line("Connection", &l);

        l = (Line){0};
        if (*property_list_string(p, "ModelName"))
                line_add(&l, "%s", property_list_string(p, "ModelName"));
        if (*property_list_string(p, "SerialNumber"))
                line_add(&l, "serial %s", property_list_string(p, "SerialNumber"));
        if (*property_list_string(p, "FirmwareVersion"))
                line_add(&l, "firmware %s", property_list_string(p, "FirmwareVersion"));
        if (*property_list_string(p, "FirmwareVersion2"))
                line_add(&l, "%s", property_list_string(p, "FirmwareVersion2"));
        print_line("Model", &l);
}

static void print_units(const DeviceObject *d)
{
        const PropertyList *p = &d->props;
        uint64_t n = property_list_uint(p, "ParallelUnits");
        Line l = {0};

        if (n == 0 && d->n_units == 0)
                return;

        line_add(&l, "%llu", (unsigned long long)n);
        line_quantity(&l, "total", p, "TotalAcOutputActivePower");
        line_quantity(&l, "", p, "TotalAcOutputApparentPower");
        line_quantity(&l, "load", p, "TotalAcOutputLoadPercent");
        line_quantity(&l, "charging", p, "TotalChargingCurrent");
        print_line("Parallel units", &l);

        for (size_t i = 0; i < d->n_units; i++) {
                const PropertyList *u = &d->units[i].props;
                const char *mode = property_list_string(u, "Mode");
                uint64_t fault = property_list_uint(u, "FaultCode");
                char key[32], fbuf[FORMAT_BUF_MAX];
                Line ul = {0};

                snprintf(key, sizeof key, "unit %llu",
                         (unsigned long long)property_list_uint(u, "Index"));
                line_add(&ul, "%s",
                         *property_list_string(u, "SerialNumber")
                                         ? property_list_string(u, "SerialNumber")
                                         : "no serial");
                if (streq(mode, "fault"))
                        line_add(&ul, "%s%s%s", ansi_highlight_red(), mode, ansi_normal());
                else if (*mode)
                        line_add(&ul, "%s", mode);
                line_quantity(&ul, "", u, "AcOutputActivePower");
                line_quantity(&ul, "load", u, "AcOutputLoadPercent");
                line_quantity(&ul, "battery", u, "BatteryVoltage");
                line_quantity(&ul, "", u, "BatteryCapacity");
                line_quantity(&ul, "charging", u, "BatteryChargingCurrent");
                line_quantity(&ul, "PV", u, "PvInputVoltage");
                line_quantity(&ul, "", u, "PvInputCurrent");
                if (fault > 0) {
                        snprintf(fbuf, sizeof fbuf, "%llu", (unsigned long long)fault);
                        line_add(&ul, "%sfault code %s%s", ansi_highlight_red(), fbuf,
                                 ansi_normal());
                }
                print_line(key, &ul);
        }
}

static bool print_status(const DeviceObject *d)
{
        const PropertyList *p = &d->props;
        const char *mode = property_list_string(p, "Mode");
        char **warnings = property_list_strv(p, "Warnings"),
             **faults = property_list_strv(p, "Faults");
        Line l;

        print_field("Inverter", ansi_bold(), d->id);
        if (!print_state(d)) {
                print_identity(d);
                print_field("Values", "",
                            "none while offline (\"axpertctl show\" lists what axpertd "
                            "still holds)");
                return false;
        }
        print_identity(d);

        print_field("Mode", streq(mode, "fault") ? ansi_highlight_red() : "", mode);
        print_strv_field("Warnings", warnings, ansi_highlight_yellow());
        print_strv_field("Faults", faults, ansi_highlight_red());

        l = (Line){0};
        line_quantity(&l, "", p, "GridVoltage");
        line_quantity(&l, "", p, "GridFrequency");
        print_line("Grid", &l);

        l = (Line){0};
        line_quantity(&l, "", p, "AcOutputVoltage");
        line_quantity(&l, "", p, "AcOutputFrequency");
        print_line("Output", &l);

        l = (Line){0};
        line_quantity(&l, "", p, "AcOutputActivePower");
        line_quantity(&l, "", p, "AcOutputApparentPower");
        line_quantity(&l, "", p, "AcOutputLoadPercent");
        if (property_list_find(p, "LoadOn"))
                line_add(&l, "%s", property_list_bool(p, "LoadOn") ? "load on" : "load off");
        print_line("Load", &l);

        l = (Line){0};
        line_quantity(&l, "", p, "BatteryVoltage");
        line_quantity(&l, "", p, "BatteryCapacity");
        line_quantity(&l, "charging", p, "BatteryChargingCurrent");
        line_quantity(&l, "discharging", p, "BatteryDischargeCurrent");
        line_quantity(&l, "SCC", p, "BatteryVoltageFromScc");
        print_line("Battery", &l);

        l = (Line){0};
        line_quantity(&l, "", p, "PvInputVoltage");
        line_quantity(&l, "", p, "PvInputCurrent");
        line_quantity(&l, "", p, "PvInputPower");
        print_line("PV", &l);
        if (property_list_bool(p, "HasPv2")) {
                l = (Line){0};
                line_quantity(&l, "", p, "Pv2InputVoltage");
                line_quantity(&l, "", p, "Pv2InputCurrent");
                line_quantity(&l, "", p, "Pv2InputPower");
                print_line("PV2", &l);
        }

        l = (Line){0};
        line_quantity(&l, "", p, "HeatsinkTemperature");
        line_quantity(&l, "bus", p, "BusVoltage");
        print_line("Temperature", &l);

        print_field("Output priority", "", property_list_string(p, "OutputSourcePriority"));
        print_field("Charger priority", "", property_list_string(p, "ChargerSourcePriority"));
        print_field("Input range", "", property_list_string(p, "InputVoltageRange"));

        l = (Line){0};
        line_add(&l, "%s",
                 *property_list_string(p, "BatteryType") ? property_list_string(p, "BatteryType")
                                                         : "n/a");
        line_quantity(&l, "rated", p, "BatteryRatingVoltage");
        print_line("Battery type", &l);

        l = (Line){0};
        line_quantity(&l, "max", p, "MaxChargingCurrent");
        line_quantity(&l, "AC max", p, "MaxAcChargingCurrent");
        print_line("Charging current", &l);

        l = (Line){0};
        line_quantity(&l, "bulk", p, "BatteryBulkVoltage");
        line_quantity(&l, "float", p, "BatteryFloatVoltage");
        line_quantity(&l, "recharge", p, "BatteryRechargeVoltage");
        line_quantity(&l, "redischarge", p, "BatteryRedischargeVoltage");
        line_quantity(&l, "cut-off", p, "BatteryUnderVoltage");
        print_line("Battery voltages", &l);

        l = (Line){0};
        line_quantity(&l, "", p, "AcOutputRatingActivePower");
        line_quantity(&l, "", p, "AcOutputRatingApparentPower");
        line_quantity(&l, "", p, "AcOutputRatingVoltage");
        line_quantity(&l, "", p, "AcOutputRatingFrequency");
        print_line("Rating", &l);

        print_units(d);
        return true;
}

/* "axpertctl -d 0/unit1 status": the unit's own values, under its inverter's state. */
static bool print_unit_status(const DeviceObject *d, const UnitObject *u)
{
        const PropertyList *p = &u->props;
        const char *mode = property_list_string(p, "Mode");
        uint64_t fault = property_list_uint(p, "FaultCode");
        char key[300];
        Line l;

        snprintf(key, sizeof key, "%s/%s", d->id, u->name);
        print_field("Unit", ansi_bold(), key);
        if (!print_state(d)) {
                print_field("Values", "", "none while the inverter is offline");
                return false;
        }
        l = (Line){0};
        line_add(&l, "%llu", (unsigned long long)property_list_uint(p, "Index"));
        if (*property_list_string(p, "SerialNumber"))
                line_add(&l, "serial %s", property_list_string(p, "SerialNumber"));
        print_line("Index", &l);
        print_field("Mode", streq(mode, "fault") ? ansi_highlight_red() : "", mode);
        l = (Line){0};
        if (fault > 0)
                line_add(&l, "%s%llu%s", ansi_highlight_red(), (unsigned long long)fault,
                         ansi_normal());
        else
                line_add(&l, "none");
        print_line("Fault code", &l);

        l = (Line){0};
        line_quantity(&l, "", p, "GridVoltage");
        line_quantity(&l, "", p, "GridFrequency");
        print_line("Grid", &l);
        l = (Line){0};
        line_quantity(&l, "", p, "AcOutputVoltage");
        line_quantity(&l, "", p, "AcOutputFrequency");
        print_line("Output", &l);
        l = (Line){0};
        line_quantity(&l, "", p, "AcOutputActivePower");
        line_quantity(&l, "", p, "AcOutputApparentPower");
        line_quantity(&l, "", p, "AcOutputLoadPercent");
        if (property_list_find(p, "LoadOn"))
                line_add(&l, "%s", property_list_bool(p, "LoadOn") ? "load on" : "load off");
        print_line("Load", &l);
        l = (Line){0};
        line_quantity(&l, "", p, "BatteryVoltage");
        line_quantity(&l, "", p, "BatteryCapacity");
        line_quantity(&l, "charging", p, "BatteryChargingCurrent");
        line_quantity(&l, "discharging", p, "BatteryDischargeCurrent");
        print_line("Battery", &l);
        l = (Line){0};
        line_quantity(&l, "", p, "PvInputVoltage");
        line_quantity(&l, "", p, "PvInputCurrent");
        print_line("PV", &l);
        print_field("Charger priority", "", property_list_string(p, "ChargerSourcePriority"));
        l = (Line){0};
        line_quantity(&l, "max", p, "MaxChargingCurrent");
        line_quantity(&l, "AC max", p, "MaxAcChargingCurrent");
        print_line("Charging current", &l);
        return true;
}

static void write_properties_json(const PropertyList *props, JsonWriter *w)
{
        json_begin_object(w);
        for (size_t i = 0; i < props->n; i++) {
                json_key(w, props->items[i].name);
                property_write_json(&props->items[i], w);
        }
}

static void print_status_json(const DeviceObject *d)
{
        JsonWriter w;

        json_init(&w, stdout, arg_json == JSON_PRETTY);
        write_properties_json(&d->props, &w);
        /* Units are not properties of the inverter object; they come as an extra array. */
        json_key(&w, "Units");
        json_begin_array(&w);
        for (size_t i = 0; i < d->n_units; i++) {
                write_properties_json(&d->units[i].props, &w);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        json_finish(&w);
}

int verb_status(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(inventory_done) Inventory inv = {0};
        DeviceObject *d;
        UnitObject *u;
        bool online;
        int r;

        r = inventory_load_and_pick_object(bus, &inv, &d, &u);
        if (r < 0)
                return r;
        online = property_list_bool(&d->props, "Online");
        if (arg_json != JSON_OFF) {
                if (u) {
                        JsonWriter w;

                        json_init(&w, stdout, arg_json == JSON_PRETTY);
                        write_properties_json(&u->props, &w);
                        json_end_object(&w);
                        json_finish(&w);
                } else
                        print_status_json(d);
        } else if (u)
                (void)print_unit_status(d, u);
        else
                (void)print_status(d);
        /* Like upsc on stale data: what was printed is no reading, and scripts must see it. */
        return online ? 0 : -EXIT_OFFLINE;
}
