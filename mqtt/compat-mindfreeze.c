/* The hassio-axpert (MindFreeze) payloads: same keys (typos included), JSON types and texts, so
 * an existing Home Assistant configuration written for that add-on keeps working. */
#include "compat-mindfreeze.h"

#include <math.h>
#include <string.h>

#include "bridge.h"
#include "model.h"

typedef enum CompatType {
        COMPAT_INT,       /* integer; a 'd' is rounded, an 'ad' gives its largest entry */
        COMPAT_NUMBER,    /* number */
        COMPAT_STRING,    /* the string as is */
        COMPAT_SERIAL,    /* the serial number as an integer */
        COMPAT_MODE_FLAG, /* 1 when the Mode string equals arg, else 0 */
        COMPAT_CODE,      /* the protocol's numeric code of an enum string (arg: a CompatMap) */
        COMPAT_TEXT,      /* the add-on's text for an enum string (arg: a CompatMap) */
} CompatType;

typedef struct CompatMap {
        const char *dbus; /* DBUS-API.md's enum string */
        const char *text; /* the add-on's text (TEXT) */
        int code;         /* the PI30 code (CODE) */
} CompatMap;

typedef struct CompatKey {
        const char *key;
        CompatType type;
        const char *unit_property;     /* org.axpert.Inverter.Unit (power/axpert) */
        const char *inverter_property; /* org.axpert.Inverter */
        const void *arg;
} CompatKey;

/* PI30.md §4.3 / §4.10 codes and the add-on's texts (MQTT.md). */
static const CompatMap map_output_mode[] = {
                {"single", "single machine output", 0},
                {"parallel", "parallel output", 1},
                {"phase1-of-3", "Phase 1 of 3 Phase output", 2},
                {"phase2-of-3", "Phase 2 of 3 Phase output", 3},
                {"phase3-of-3", "Phase 3 of 3 Phase output", 4},
                {"phase1-of-2", "Phase 1 of 2 Phase output", 5},
                {"phase2-of-2-120", "Phase 2 of 2 Phase output (120°)", 6},
                {"phase2-of-2-180", "Phase 2 of 2 Phase output (180°)", 7},
                {NULL, NULL, 0},
};
static const CompatMap map_charger_priority[] = {
                {"utility-first", "utility first", 0},
                {"solar-first", "solar first", 1},
                {"solar-and-utility", "solar + utility", 2},
                {"solar-only", "solar only", 3},
                {NULL, NULL, 0},
};
static const CompatMap map_output_priority[] = {
                {"utility-first", "utility", 0},
                {"solar-first", "solar", 1},
                {"sbu", "battery", 2},
                {NULL, NULL, 0},
};
static const CompatMap map_battery_type[] = {
                {"agm", "AGM", 0},
                {"flooded", "Flooded", 1},
                {"user", "User", 2},
                {NULL, NULL, 0},
};
static const CompatMap map_input_range[] = {
                {"appliance", "Appliance", 0},
                {"ups", "UPS", 1},
                {NULL, NULL, 0},
};
static const CompatMap map_machine_type[] = {
                {"grid-tie", "Grid tie", 0},
                {"off-grid", "Off Grid", 1},
                {"hybrid", "Hybrid", 10},
                {NULL, NULL, 0},
};
static const CompatMap map_topology[] = {
                {"transformerless", "transformerless", 0},
                {"transformer", "transformer", 1},
                {NULL, NULL, 0},
};
static const CompatMap map_pv_ok[] = {
                {"any-unit",
                 "As long as one unit of inverters has connect PV, parallel system will consider "
                 "PV OK",
                 0},
                {"all-units",
                 "Only All of inverters have connect PV, parallel system will consider PV OK", 1},
                {NULL, NULL, 0},
};
static const CompatMap map_pv_balance[] = {
                {"max-current", "PV input max current will be the max charged current", 0},
                {"max-power",
                 "PV input max power will be the sum of the max charged power and loads power", 1},
                {NULL, NULL, 0},
};

/* power/axpert: QPGS0, or the inverter's own status where there is no parallel unit 0. */
static const CompatKey parallel_keys[] = {
                {"Gridmode", COMPAT_MODE_FLAG, "Mode", "Mode", "line"},
                {"SerialNumber", COMPAT_SERIAL, "SerialNumber", "SerialNumber", NULL},
                {"BatteryChargingCurrent", COMPAT_INT, "BatteryChargingCurrent",
                 "BatteryChargingCurrent", NULL},
                {"BatteryDischargeCurrent", COMPAT_INT, "BatteryDischargeCurrent",
                 "BatteryDischargeCurrent", NULL},
                {"TotalChargingCurrent", COMPAT_INT, "TotalChargingCurrent", "TotalChargingCurrent",
                 NULL},
                {"GridVoltage", COMPAT_NUMBER, "GridVoltage", "GridVoltage", NULL},
                {"GridFrequency", COMPAT_NUMBER, "GridFrequency", "GridFrequency", NULL},
                {"OutputVoltage", COMPAT_NUMBER, "AcOutputVoltage", "AcOutputVoltage", NULL},
                {"OutputFrequency", COMPAT_NUMBER, "AcOutputFrequency", "AcOutputFrequency", NULL},
                {"OutputAparentPower", COMPAT_INT, "AcOutputApparentPower", "AcOutputApparentPower",
                 NULL},
                {"OutputActivePower", COMPAT_INT, "AcOutputActivePower", "AcOutputActivePower",
                 NULL},
                {"LoadPercentage", COMPAT_INT, "AcOutputLoadPercent", "AcOutputLoadPercent", NULL},
                {"BatteryVoltage", COMPAT_NUMBER, "BatteryVoltage", "BatteryVoltage", NULL},
                {"BatteryCapacity", COMPAT_NUMBER, "BatteryCapacity", "BatteryCapacity", NULL},
                {"PvInputVoltage", COMPAT_NUMBER, "PvInputVoltage", "PvInputVoltage", NULL},
                {"TotalAcOutputApparentPower", COMPAT_INT, "TotalAcOutputApparentPower",
                 "TotalAcOutputApparentPower", NULL},
                {"TotalAcOutputActivePower", COMPAT_INT, "TotalAcOutputActivePower",
                 "TotalAcOutputActivePower", NULL},
                {"TotalAcOutputPercentage", COMPAT_INT, "TotalAcOutputLoadPercent",
                 "TotalAcOutputLoadPercent", NULL},
                {"OutputMode", COMPAT_CODE, "OutputMode", "OutputMode", map_output_mode},
                {"ChargerSourcePriority", COMPAT_CODE, "ChargerSourcePriority",
                 "ChargerSourcePriority", map_charger_priority},
                {"MaxChargeCurrent", COMPAT_INT, "MaxChargingCurrent", "MaxChargingCurrent", NULL},
                /* A single inverter's charger range is the largest current it accepts (QMCHGCR). */
                {"MaxChargerRange", COMPAT_INT, "MaxChargerRange", "ChargingCurrentOptions", NULL},
                {"MaxAcChargerCurrent", COMPAT_INT, "MaxAcChargingCurrent", "MaxAcChargingCurrent",
                 NULL},
                {"PvInputCurrentForBattery", COMPAT_INT, "PvInputCurrent", "PvInputCurrent", NULL},
                {"Solarmode", COMPAT_MODE_FLAG, "Mode", "Mode", "battery"},
};

/* power/axpert{sn}: QPIGS. */
static const CompatKey inverter_keys[] = {
                {"BusVoltage", COMPAT_NUMBER, NULL, "BusVoltage", NULL},
                {"InverterHeatsinkTemperature", COMPAT_NUMBER, NULL, "HeatsinkTemperature", NULL},
                {"BatteryVoltageFromScc", COMPAT_NUMBER, NULL, "BatteryVoltageFromScc", NULL},
                {"PvInputCurrent", COMPAT_INT, NULL, "PvInputCurrent", NULL},
                {"PvInputVoltage", COMPAT_NUMBER, NULL, "PvInputVoltage", NULL},
                {"PvInputPower", COMPAT_INT, NULL, "PvInputPower", NULL},
                {"BatteryChargingCurrent", COMPAT_INT, NULL, "BatteryChargingCurrent", NULL},
                {"BatteryDischargeCurrent", COMPAT_INT, NULL, "BatteryDischargeCurrent", NULL},
                {"DeviceStatus", COMPAT_STRING, NULL, "DeviceStatus", NULL},
};

/* power/axpert_settings: QPIRI. */
static const CompatKey settings_keys[] = {
                {"AcInputVoltage", COMPAT_NUMBER, NULL, "GridRatingVoltage", NULL},
                {"AcInputCurrent", COMPAT_NUMBER, NULL, "GridRatingCurrent", NULL},
                {"AcOutputVoltage", COMPAT_NUMBER, NULL, "AcOutputRatingVoltage", NULL},
                {"AcOutputFrequency", COMPAT_NUMBER, NULL, "AcOutputRatingFrequency", NULL},
                {"AcOutputCurrent", COMPAT_NUMBER, NULL, "AcOutputRatingCurrent", NULL},
                {"AcOutputApparentPower", COMPAT_INT, NULL, "AcOutputRatingApparentPower", NULL},
                {"AcOutputActivePower", COMPAT_INT, NULL, "AcOutputRatingActivePower", NULL},
                {"BatteryVoltage", COMPAT_NUMBER, NULL, "BatteryRatingVoltage", NULL},
                {"BatteryRechargeVoltage", COMPAT_NUMBER, NULL, "BatteryRechargeVoltage", NULL},
                {"BatteryUnderVoltage", COMPAT_NUMBER, NULL, "BatteryUnderVoltage", NULL},
                {"BatteryBulkVoltage", COMPAT_NUMBER, NULL, "BatteryBulkVoltage", NULL},
                {"BatteryFloatVoltage", COMPAT_NUMBER, NULL, "BatteryFloatVoltage", NULL},
                {"BatteryType", COMPAT_TEXT, NULL, "BatteryType", map_battery_type},
                {"MaxAcChargingCurrent", COMPAT_INT, NULL, "MaxAcChargingCurrent", NULL},
                {"MaxChargingCurrent", COMPAT_INT, NULL, "MaxChargingCurrent", NULL},
                {"InputVoltageRange", COMPAT_TEXT, NULL, "InputVoltageRange", map_input_range},
                {"OutputSourcePriority", COMPAT_TEXT, NULL, "OutputSourcePriority",
                 map_output_priority},
                {"ChargerSourcePriority", COMPAT_TEXT, NULL, "ChargerSourcePriority",
                 map_charger_priority},
                {"MaxParallelUnits", COMPAT_INT, NULL, "ParallelMaxUnits", NULL},
                {"MachineType", COMPAT_TEXT, NULL, "MachineType", map_machine_type},
                {"Topology", COMPAT_TEXT, NULL, "Topology", map_topology},
                {"OutputMode", COMPAT_TEXT, NULL, "OutputMode", map_output_mode},
                {"BatteryRedischargeVoltage", COMPAT_NUMBER, NULL, "BatteryRedischargeVoltage",
                 NULL},
                {"PvOkCondition", COMPAT_TEXT, NULL, "PvOkCondition", map_pv_ok},
                {"PvPowerBalance", COMPAT_TEXT, NULL, "PvPowerBalance", map_pv_balance},
                {"MaxBatteryCvChargingTime", COMPAT_INT, NULL, "MaxChargingTimeAtCv", NULL},
};

static const CompatMap *map_find(const CompatMap *map, const char *dbus)
{
        for (; map->dbus; map++)
                if (g_str_equal(map->dbus, dbus))
                        return map;
        return NULL;
}

/* A numeric reading of v, a list of numbers read as its largest; NaN when it has none. */
static double variant_number(GVariant *v)
{
        if (g_variant_is_of_type(v, G_VARIANT_TYPE("ad"))) {
                gsize n = 0;
                const double *d = g_variant_get_fixed_array(v, &n, sizeof(double));
                double max = NAN;

                for (gsize i = 0; i < n; i++)
                        if (isfinite(d[i]) && !(d[i] <= max))
                                max = d[i];
                return max;
        }
        return variant_get_number(v);
}

/* Adds one key; an unknown value (NaN, absent property, code outside the list) is null: the
 * add-on printed nothing sensible there either, and a made-up number would be worse. */
static void add_key(JsonBuilder *b, const CompatKey *k, GDBusProxy *proxy, const char *property)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, property);
        const char *s = v && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)
                                        ? g_variant_get_string(v, NULL)
                                        : NULL;
        const CompatMap *m;
        double d;

        json_builder_set_member_name(b, k->key);
        if (!v) {
                json_builder_add_null_value(b);
                return;
        }
        switch (k->type) {
        case COMPAT_INT:
                d = variant_number(v);
                if (isfinite(d))
                        json_builder_add_int_value(b, (gint64)llround(d));
                else
                        json_builder_add_null_value(b);
                break;
        case COMPAT_NUMBER:
                d = variant_number(v);
                if (isfinite(d))
                        json_builder_add_double_value(b, d);
                else
                        json_builder_add_null_value(b);
                break;
        case COMPAT_STRING:
                if (s)
                        json_builder_add_string_value(b, s);
                else
                        json_builder_add_null_value(b);
                break;
        case COMPAT_SERIAL: {
                guint64 n;

                if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18 &&
                    g_ascii_string_to_unsigned(s, 10, 0, G_MAXINT64, &n, NULL))
                        json_builder_add_int_value(b, (gint64)n);
                else
                        json_builder_add_null_value(b);
                break;
        }
        case COMPAT_MODE_FLAG:
                json_builder_add_int_value(b, s && g_str_equal(s, k->arg) ? 1 : 0);
                break;
        case COMPAT_CODE:
                m = s ? map_find(k->arg, s) : NULL;
                if (m)
                        json_builder_add_int_value(b, m->code);
                else
                        json_builder_add_null_value(b);
                break;
        case COMPAT_TEXT:
                m = s ? map_find(k->arg, s) : NULL;
                /* Values the add-on never knew (newer battery types …) keep the bus's name. */
                if (m)
                        json_builder_add_string_value(b, m->text);
                else if (s)
                        json_builder_add_string_value(b, s);
                else
                        json_builder_add_null_value(b);
                break;
        }
}

static JsonNode *build_keys(const CompatKey *keys, size_t n, GDBusProxy *proxy, bool unit)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        for (size_t i = 0; i < n; i++)
                add_key(b, &keys[i], proxy,
                        unit ? keys[i].unit_property : keys[i].inverter_property);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

JsonNode *compat_build(CompatTopic topic, GDBusProxy *inverter, GDBusProxy *unit0)
{
        switch (topic) {
        case COMPAT_TOPIC_PARALLEL:
                /* Without parallel support the add-on published nothing here; we fill the same
                 * keys from the inverter's own status so that the topic is never empty. */
                return build_keys(parallel_keys, G_N_ELEMENTS(parallel_keys),
                                  unit0 ? unit0 : inverter, unit0 != NULL);
        case COMPAT_TOPIC_INVERTER:
                return build_keys(inverter_keys, G_N_ELEMENTS(inverter_keys), inverter, false);
        case COMPAT_TOPIC_SETTINGS:
                return build_keys(settings_keys, G_N_ELEMENTS(settings_keys), inverter, false);
        default:
                return NULL;
        }
}

static void foreach_key(const CompatKey *k, const char *interface, const char *property,
                        CompatBusFunc f, void *userdata)
{
        if (!property)
                return;
        f(interface, property, NULL, userdata);
        if (k->type == COMPAT_MODE_FLAG)
                f(interface, property, k->arg, userdata);
        else if (k->type == COMPAT_CODE || k->type == COMPAT_TEXT)
                for (const CompatMap *m = k->arg; m->dbus; m++)
                        f(interface, property, m->dbus, userdata);
}

void compat_foreach_bus_name(CompatBusFunc f, void *userdata)
{
        static const struct {
                const CompatKey *keys;
                size_t n;
        } tables[] = {
                        {parallel_keys, G_N_ELEMENTS(parallel_keys)},
                        {inverter_keys, G_N_ELEMENTS(inverter_keys)},
                        {settings_keys, G_N_ELEMENTS(settings_keys)},
        };

        for (size_t t = 0; t < G_N_ELEMENTS(tables); t++)
                for (size_t i = 0; i < tables[t].n; i++) {
                        const CompatKey *k = &tables[t].keys[i];

                        foreach_key(k, AXPERT_UNIT_IFACE, k->unit_property, f, userdata);
                        foreach_key(k, AXPERT_INVERTER_IFACE, k->inverter_property, f, userdata);
                }
}
