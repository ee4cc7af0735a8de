/* godenerg's keys and JSON types, filled from org.axpert.Inverter properties (WEB.md tables). */
#include "godenerg.h"

#include <math.h>
#include <string.h>

#include "json-util.h"
#include "model.h"

const char *const godenerg_commands[] = {"status", "operation_mode", NULL};

/* godenerg key -> property, in godenerg's order. */
static const struct {
        const char *key;
        const char *property;
} status_numbers[] =
                {
                                {"grid_volt", "GridVoltage"},
                                {"grid_freq", "GridFrequency"},
                                {"ac_volt", "AcOutputVoltage"},
                                {"ac_freq", "AcOutputFrequency"},
                                {"ac_va", "AcOutputApparentPower"},
                                {"ac_watt", "AcOutputActivePower"},
                                {"load_percent", "AcOutputLoadPercent"},
                                {"bus_volt", "BusVoltage"},
                                {"batt_volt", "BatteryVoltage"},
                                {"batt_charge_amps", "BatteryChargingCurrent"},
                                {"batt_capacity", "BatteryCapacity"},
                                {"temp", "HeatsinkTemperature"},
                                {"pv_amps", "PvInputCurrent"},
                                {"pv_volts", "PvInputVoltage"},
                                {"batt_volt_scc", "BatteryVoltageFromScc"},
                                {"batt_discharge_amps", "BatteryDischargeCurrent"},
                                {"pv_watts", "PvInputPower"},
},
  status_bools[] = {
                  {"load_status", "LoadOn"},
                  {"batt_volt_to_steady", "BatteryVoltageSteady"},
                  {"ssc_firmware_updated", "SccFirmwareUpdated"}, /* sic: godenerg's spelling */
                  {"configuration_changed", "ConfigurationChanged"},
                  {"sbu_priority_version", "SbuPriorityVersion"},
};

/* QPIGS fields 18, 19 and 21 as godenerg prints them: integers parsed from the field as sent
 * (10 mV steps, the EEPROM version, the bits b10..b8 read as a decimal number: "110" -> 110). */
static const struct {
        const char *key;
        const char *property;
} status_masks[] = {
                {"mask_b", "BatteryVoltageOffsetForFans"},
                {"mask_c", "EepromVersion"},
                {"mask_d", "DeviceStatus2"},
};

/* WEB.md: 0 where the firmware lacks the field (NaN, or an empty or non-numeric string). */
static gint64 mask_value(GDBusProxy *p, const char *property)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(p, property);
        double d;

        if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
                guint64 n;

                /* Bits as sent, never more than 3 digits: godenerg's strconv.Atoi. */
                if (!g_ascii_string_to_unsigned(g_variant_get_string(v, NULL), 10, 0, 999999, &n,
                                                NULL))
                        return 0;
                return (gint64)n;
        }
        d = v ? variant_get_number(v) : NAN;
        return isfinite(d) && d >= 0 && d < 1e9 ? (gint64)d : 0;
}

const char *godenerg_mode_code(const char *mode)
{
        static const struct {
                const char *mode, *code;
        } codes[] = {
                        {"power-on", "PM"}, {"standby", "SB"}, {"line", "LN"},
                        {"battery", "BT"},  {"fault", "FA"},   {"power-saving", "PS"},
        };

        for (size_t i = 0; mode && i < G_N_ELEMENTS(codes); i++)
                if (g_str_equal(mode, codes[i].mode))
                        return codes[i].code;
        return "00";
}

static JsonNode *build_status(GDBusProxy *p)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *raw = proxy_get_string(p, "DeviceStatus");
        bool charging = proxy_get_bool(p, "Charging");
        bool any = false;

        json_builder_begin_object(b);
        for (size_t i = 0; i < G_N_ELEMENTS(status_numbers); i++)
                json_util_add_double(b, status_numbers[i].key,
                                     proxy_get_double(p, status_numbers[i].property));
        json_builder_set_member_name(b, "raw_status");
        json_builder_add_string_value(b, raw ? raw : "");
        for (size_t i = 0; i < G_N_ELEMENTS(status_masks); i++) {
                json_builder_set_member_name(b, status_masks[i].key);
                json_builder_add_int_value(b, mask_value(p, status_masks[i].property));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(status_bools); i++) {
                json_builder_set_member_name(b, status_bools[i].key);
                json_builder_add_boolean_value(b, proxy_get_bool(p, status_bools[i].property));
        }
        json_builder_set_member_name(b, "charge_source");
        json_builder_begin_array(b);
        if (charging && proxy_get_bool(p, "SccCharging")) {
                json_builder_add_string_value(b, "solar_charging");
                any = true;
        }
        if (charging && proxy_get_bool(p, "AcCharging")) {
                json_builder_add_string_value(b, "ac_charging");
                any = true;
        }
        if (!any)
                json_builder_add_string_value(b, "not_charging");
        json_builder_end_array(b);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

static JsonNode *build_operation_mode(GDBusProxy *p)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *mode = proxy_get_string(p, "Mode");

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "mode");
        json_builder_add_string_value(b, godenerg_mode_code(mode));
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

JsonNode *godenerg_build(const char *cmd, GDBusProxy *inverter)
{
        if (g_str_equal(cmd, "status"))
                return build_status(inverter);
        if (g_str_equal(cmd, "operation_mode"))
                return build_operation_mode(inverter);
        return NULL;
}
