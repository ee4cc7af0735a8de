/* THE table: D-Bus property -> state key, Home Assistant entity metadata and command topic. */
#include "topics.h"

#include <math.h>
#include <string.h>

#include "macros.h"

/* Closed lists from DBUS-API.md (plus the values the team contract adds). "unknown" is what the
 * daemon reports for a code outside the list, so enum sensors must accept it too. */
static const char *const opt_mode[] = {"power-on",     "standby",  "line",    "battery", "fault",
                                       "power-saving", "shutdown", "unknown", NULL};
static const char *const opt_transport[] = {"hidraw", "serial", NULL};
static const char *const opt_battery_type[] = {"agm",       "flooded", "user",    "pylontech",
                                               "shinheung", "weco",    "soltaro", "bak",
                                               "lib",       "lic",     "unknown", NULL};
static const char *const set_battery_type[] = {"agm",       "flooded", "user",    "pylontech",
                                               "shinheung", "weco",    "soltaro", "bak",
                                               "lib",       "lic",     NULL};
static const char *const opt_input_range[] = {"appliance", "ups", "unknown", NULL};
static const char *const set_input_range[] = {"appliance", "ups", NULL};
static const char *const opt_output_priority[] = {"utility-first", "solar-first", "sbu", "unknown",
                                                  NULL};
static const char *const set_output_priority[] = {"utility-first", "solar-first", "sbu", NULL};
static const char *const opt_charger_priority[] = {
                "utility-first", "solar-first", "solar-and-utility", "solar-only", "unknown", NULL};
static const char *const set_charger_priority[] = {"utility-first", "solar-first",
                                                   "solar-and-utility", "solar-only", NULL};
static const char *const opt_machine_type[] = {"grid-tie", "off-grid", "hybrid", "unknown", NULL};
static const char *const opt_topology[] = {"transformerless", "transformer", "unknown", NULL};
static const char *const opt_output_mode[] = {
                "single",      "parallel",        "phase1-of-3",     "phase2-of-3", "phase3-of-3",
                "phase1-of-2", "phase2-of-2-120", "phase2-of-2-180", "unknown",     NULL};
static const char *const opt_pv_ok[] = {"any-unit", "all-units", "unknown", NULL};
static const char *const opt_pv_balance[] = {"max-current", "max-power", "unknown", NULL};
static const char *const opt_operation_logic[] = {"automatic", "on-line", "eco", "unknown", NULL};
static const char *const opt_battery_status[] = {"normal", "under", "open", "unknown", NULL};

#define INV TOPIC_SCOPE_INVERTER
#define UNIT TOPIC_SCOPE_UNIT
#define MEAS "measurement"

/* Sensor rows: scope, property, component, name, device_class, state_class, unit, diagnostic. */
#define S(scope, prop, name, dc, sc, unit, diag)                                                   \
        {                                                                                          \
                scope, prop, "sensor", name, dc, sc, unit, diag, NULL, NULL, NULL, NULL,           \
                                TOPIC_COMMAND_NONE, NULL, TOPIC_LIMITS_NONE, NULL                  \
        }
#define ENUM(scope, prop, name, opts, diag)                                                        \
        {                                                                                          \
                scope, prop, "sensor", name, "enum", NULL, NULL, diag, opts, NULL, NULL, NULL,     \
                                TOPIC_COMMAND_NONE, NULL, TOPIC_LIMITS_NONE, NULL                  \
        }
#define BIN(scope, prop, name, dc, diag)                                                           \
        {                                                                                          \
                scope, prop, "binary_sensor", name, dc, NULL, NULL, diag, NULL, NULL, NULL, NULL,  \
                                TOPIC_COMMAND_NONE, NULL, TOPIC_LIMITS_NONE, NULL                  \
        }
#define ONLY(scope, prop)                                                                          \
        {                                                                                          \
                scope, prop, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL,          \
                                TOPIC_COMMAND_NONE, NULL, TOPIC_LIMITS_NONE, NULL                  \
        }
/* A setting shown as a sensor, with a command entity when Commands Enabled. */
#define SELECT(prop, name, opts, setting, method, set_opts)                                        \
        {                                                                                          \
                INV, prop, "sensor", name, "enum", NULL, NULL, false, opts, NULL, setting, method, \
                                TOPIC_COMMAND_SELECT, NULL, TOPIC_LIMITS_NONE, set_opts            \
        }
#define NUMBER(prop, name, dc, unit, setting, method, limits)                                      \
        {                                                                                          \
                INV, prop, "sensor", name, dc, NULL, unit, false, NULL, NULL, setting, method,     \
                                TOPIC_COMMAND_NUMBER, NULL, limits, NULL                           \
        }
#define FLAG(prop, name, flag)                                                                     \
        {                                                                                          \
                INV, prop, "binary_sensor", name, NULL, NULL, NULL, true, NULL, NULL,              \
                                "flag/" flag, "SetFlag", TOPIC_COMMAND_SWITCH, flag,               \
                                TOPIC_LIMITS_NONE, NULL                                            \
        }

const TopicEntity topic_entities[] = {
                /* Connection and identity */
                ONLY(INV, "Online"),
                ONLY(INV, "LastUpdateTimestamp"),
                S(INV, "LastError", "Last error", NULL, NULL, NULL, true),
                S(INV, "DevicePath", "Device path", NULL, NULL, NULL, true),
                ENUM(INV, "Transport", "Transport", opt_transport, true),
                S(INV, "ProtocolId", "Protocol", NULL, NULL, NULL, true),
                S(INV, "SerialNumber", "Serial number", NULL, NULL, NULL, true),
                S(INV, "FirmwareVersion", "Firmware version", NULL, NULL, NULL, true),
                S(INV, "FirmwareVersion2", "Firmware version 2", NULL, NULL, NULL, true),
                S(INV, "ModelName", "Model", NULL, NULL, NULL, true),

                /* Live status */
                S(INV, "GridVoltage", "Grid voltage", "voltage", MEAS, "V", false),
                S(INV, "GridFrequency", "Grid frequency", "frequency", MEAS, "Hz", false),
                S(INV, "AcOutputVoltage", "AC output voltage", "voltage", MEAS, "V", false),
                S(INV, "AcOutputFrequency", "AC output frequency", "frequency", MEAS, "Hz", false),
                S(INV, "AcOutputApparentPower", "AC output apparent power", "apparent_power", MEAS,
                  "VA", false),
                S(INV, "AcOutputActivePower", "AC output active power", "power", MEAS, "W", false),
                S(INV, "AcOutputLoadPercent", "AC output load", NULL, MEAS, "%", false),
                S(INV, "BusVoltage", "Bus voltage", "voltage", MEAS, "V", false),
                S(INV, "BatteryVoltage", "Battery voltage", "voltage", MEAS, "V", false),
                S(INV, "BatteryChargingCurrent", "Battery charging current", "current", MEAS, "A",
                  false),
                S(INV, "BatteryCapacity", "Battery capacity", "battery", MEAS, "%", false),
                S(INV, "HeatsinkTemperature", "Heat sink temperature", "temperature", MEAS, "°C",
                  false),
                S(INV, "PvInputCurrent", "PV input current", "current", MEAS, "A", false),
                S(INV, "PvInputVoltage", "PV input voltage", "voltage", MEAS, "V", false),
                S(INV, "BatteryVoltageFromScc", "Battery voltage (SCC)", "voltage", MEAS, "V",
                  false),
                S(INV, "BatteryDischargeCurrent", "Battery discharge current", "current", MEAS, "A",
                  false),
                S(INV, "PvInputPower", "PV input power", "power", MEAS, "W", false),
                ONLY(INV, "HasPv2"),
                S(INV, "Pv2InputVoltage", "PV2 input voltage", "voltage", MEAS, "V", false),
                S(INV, "Pv2InputCurrent", "PV2 input current", "current", MEAS, "A", false),
                S(INV, "Pv2InputPower", "PV2 input power", "power", MEAS, "W", false),
                S(INV, "DeviceStatus", "Device status bits", NULL, NULL, NULL, true),
                BIN(INV, "LoadOn", "Load on", "power", false),
                BIN(INV, "Charging", "Charging", "battery_charging", false),
                BIN(INV, "SccCharging", "Solar charging", "battery_charging", false),
                BIN(INV, "AcCharging", "AC charging", "battery_charging", false),
                BIN(INV, "ChargingToFloat", "Charging to float", NULL, false),
                BIN(INV, "SwitchedOn", "Switched on", "power", false),
                BIN(INV, "BatteryVoltageSteady", "Battery voltage steady", NULL, true),
                BIN(INV, "ConfigurationChanged", "Configuration changed", NULL, true),
                BIN(INV, "SccFirmwareUpdated", "SCC firmware updated", NULL, true),
                BIN(INV, "SbuPriorityVersion", "SBU priority version", NULL, true),
                ENUM(INV, "Mode", "Mode", opt_mode, false),
                {INV, "Warnings", "binary_sensor", "Warning", "problem", NULL, NULL, false, NULL,
                 "{{ 'ON' if value_json.warnings | length > 0 else 'OFF' }}", NULL, NULL,
                 TOPIC_COMMAND_NONE, NULL, TOPIC_LIMITS_NONE, NULL},
                {INV, "Faults", "binary_sensor", "Fault", "problem", NULL, NULL, false, NULL,
                 "{{ 'ON' if value_json.faults | length > 0 else 'OFF' }}", NULL, NULL,
                 TOPIC_COMMAND_NONE, NULL, TOPIC_LIMITS_NONE, NULL},

                /* Ratings and settings */
                S(INV, "GridRatingVoltage", "Grid rating voltage", "voltage", NULL, "V", true),
                S(INV, "GridRatingCurrent", "Grid rating current", "current", NULL, "A", true),
                S(INV, "AcOutputRatingVoltage", "AC output rating voltage", "voltage", NULL, "V",
                  true),
                S(INV, "AcOutputRatingFrequency", "AC output rating frequency", "frequency", NULL,
                  "Hz", true),
                S(INV, "AcOutputRatingCurrent", "AC output rating current", "current", NULL, "A",
                  true),
                S(INV, "AcOutputRatingApparentPower", "AC output rating apparent power",
                  "apparent_power", NULL, "VA", true),
                S(INV, "AcOutputRatingActivePower", "AC output rating active power", "power", NULL,
                  "W", true),
                S(INV, "BatteryRatingVoltage", "Battery rating voltage", "voltage", NULL, "V",
                  true),
                NUMBER("BatteryRechargeVoltage", "Battery recharge voltage", "voltage", "V",
                       "battery_recharge_voltage", "SetBatteryRechargeVoltage",
                       TOPIC_LIMITS_RECHARGE_VOLTAGE),
                NUMBER("BatteryUnderVoltage", "Battery under voltage", "voltage", "V",
                       "battery_under_voltage", "SetBatteryUnderVoltage",
                       TOPIC_LIMITS_UNDER_VOLTAGE),
                NUMBER("BatteryBulkVoltage", "Battery bulk voltage", "voltage", "V",
                       "battery_bulk_voltage", "SetBatteryBulkVoltage", TOPIC_LIMITS_BULK_VOLTAGE),
                NUMBER("BatteryFloatVoltage", "Battery float voltage", "voltage", "V",
                       "battery_float_voltage", "SetBatteryFloatVoltage",
                       TOPIC_LIMITS_FLOAT_VOLTAGE),
                NUMBER("BatteryRedischargeVoltage", "Battery redischarge voltage", "voltage", "V",
                       "battery_redischarge_voltage", "SetBatteryRedischargeVoltage",
                       TOPIC_LIMITS_REDISCHARGE_VOLTAGE),
                SELECT("BatteryType", "Battery type", opt_battery_type, "battery_type",
                       "SetBatteryType", set_battery_type),
                NUMBER("MaxAcChargingCurrent", "Max AC charging current", "current", "A",
                       "max_ac_charging_current", "SetMaxAcChargingCurrent",
                       TOPIC_LIMITS_AC_CHARGING_OPTIONS),
                NUMBER("MaxChargingCurrent", "Max charging current", "current", "A",
                       "max_charging_current", "SetMaxChargingCurrent",
                       TOPIC_LIMITS_CHARGING_OPTIONS),
                ONLY(INV, "ChargingCurrentOptions"),
                ONLY(INV, "AcChargingCurrentOptions"),
                SELECT("InputVoltageRange", "Input voltage range", opt_input_range,
                       "input_voltage_range", "SetInputVoltageRange", set_input_range),
                SELECT("OutputSourcePriority", "Output source priority", opt_output_priority,
                       "output_source_priority", "SetOutputSourcePriority", set_output_priority),
                SELECT("ChargerSourcePriority", "Charger source priority", opt_charger_priority,
                       "charger_source_priority", "SetChargerSourcePriority", set_charger_priority),
                S(INV, "ParallelMaxUnits", "Parallel max units", NULL, NULL, NULL, true),
                ENUM(INV, "MachineType", "Machine type", opt_machine_type, true),
                ENUM(INV, "Topology", "Topology", opt_topology, true),
                ENUM(INV, "OutputMode", "Output mode", opt_output_mode, true),
                ENUM(INV, "PvOkCondition", "PV OK condition", opt_pv_ok, true),
                ENUM(INV, "PvPowerBalance", "PV power balance", opt_pv_balance, true),
                S(INV, "MaxChargingTimeAtCv", "Max charging time at CV", "duration", NULL, "min",
                  true),
                ENUM(INV, "OperationLogic", "Operation logic", opt_operation_logic, true),
                S(INV, "MaxDischargingCurrent", "Max discharging current", "current", NULL, "A",
                  true),
                /* The output frequency is a rating on the bus (AcOutputRatingFrequency); its setter
                 * gets a number entity of its own. */
                {INV, "AcOutputRatingFrequency", NULL, "Output frequency", "frequency", NULL, "Hz",
                 false, NULL, NULL, "output_frequency", "SetOutputFrequency", TOPIC_COMMAND_NUMBER,
                 NULL, TOPIC_LIMITS_OUTPUT_FREQUENCY, NULL},
                FLAG("BuzzerEnabled", "Buzzer", "buzzer"),
                FLAG("OverloadBypassEnabled", "Overload bypass", "overload-bypass"),
                FLAG("PowerSavingEnabled", "Power saving", "power-saving"),
                FLAG("LcdReturnToDefaultEnabled", "LCD return to default", "lcd-return-to-default"),
                FLAG("OverloadRestartEnabled", "Overload restart", "overload-restart"),
                FLAG("OverTemperatureRestartEnabled", "Over temperature restart",
                     "over-temperature-restart"),
                FLAG("BacklightEnabled", "Backlight", "backlight"),
                FLAG("PrimarySourceInterruptAlarmEnabled", "Primary source interrupt alarm",
                     "primary-source-interrupt-alarm"),
                FLAG("FaultCodeRecordEnabled", "Fault code record", "fault-code-record"),

                /* Parallel system */
                S(INV, "ParallelUnits", "Parallel units", NULL, MEAS, NULL, true),
                S(INV, "TotalAcOutputActivePower", "Total AC output active power", "power", MEAS,
                  "W", false),
                S(INV, "TotalAcOutputApparentPower", "Total AC output apparent power",
                  "apparent_power", MEAS, "VA", false),
                S(INV, "TotalAcOutputLoadPercent", "Total AC output load", NULL, MEAS, "%", false),
                S(INV, "TotalChargingCurrent", "Total charging current", "current", MEAS, "A",
                  false),

                /* org.axpert.Inverter.Unit */
                ONLY(UNIT, "Index"),
                S(UNIT, "SerialNumber", "Serial number", NULL, NULL, NULL, true),
                ENUM(UNIT, "Mode", "Mode", opt_mode, false),
                S(UNIT, "FaultCode", "Fault code", NULL, NULL, NULL, false),
                S(UNIT, "GridVoltage", "Grid voltage", "voltage", MEAS, "V", false),
                S(UNIT, "GridFrequency", "Grid frequency", "frequency", MEAS, "Hz", false),
                S(UNIT, "AcOutputVoltage", "AC output voltage", "voltage", MEAS, "V", false),
                S(UNIT, "AcOutputFrequency", "AC output frequency", "frequency", MEAS, "Hz", false),
                S(UNIT, "AcOutputApparentPower", "AC output apparent power", "apparent_power", MEAS,
                  "VA", false),
                S(UNIT, "AcOutputActivePower", "AC output active power", "power", MEAS, "W", false),
                S(UNIT, "AcOutputLoadPercent", "AC output load", NULL, MEAS, "%", false),
                S(UNIT, "BatteryVoltage", "Battery voltage", "voltage", MEAS, "V", false),
                S(UNIT, "BatteryChargingCurrent", "Battery charging current", "current", MEAS, "A",
                  false),
                S(UNIT, "BatteryCapacity", "Battery capacity", "battery", MEAS, "%", false),
                S(UNIT, "PvInputVoltage", "PV input voltage", "voltage", MEAS, "V", false),
                S(UNIT, "PvInputCurrent", "PV input current", "current", MEAS, "A", false),
                S(UNIT, "Pv2InputVoltage", "PV2 input voltage", "voltage", MEAS, "V", false),
                S(UNIT, "Pv2InputCurrent", "PV2 input current", "current", MEAS, "A", false),
                S(UNIT, "BatteryDischargeCurrent", "Battery discharge current", "current", MEAS,
                  "A", false),
                S(UNIT, "TotalChargingCurrent", "Total charging current", "current", MEAS, "A",
                  false),
                S(UNIT, "TotalAcOutputApparentPower", "Total AC output apparent power",
                  "apparent_power", MEAS, "VA", false),
                S(UNIT, "TotalAcOutputActivePower", "Total AC output active power", "power", MEAS,
                  "W", false),
                S(UNIT, "TotalAcOutputLoadPercent", "Total AC output load", NULL, MEAS, "%", false),
                S(UNIT, "MaxChargingCurrent", "Max charging current", "current", NULL, "A", true),
                S(UNIT, "MaxChargerRange", "Max charger range", "current", NULL, "A", true),
                S(UNIT, "MaxAcChargingCurrent", "Max AC charging current", "current", NULL, "A",
                  true),
                ENUM(UNIT, "OutputMode", "Output mode", opt_output_mode, true),
                ENUM(UNIT, "ChargerSourcePriority", "Charger source priority", opt_charger_priority,
                     true),
                BIN(UNIT, "SccOk", "SCC OK", NULL, true),
                BIN(UNIT, "AcCharging", "AC charging", "battery_charging", false),
                BIN(UNIT, "SccCharging", "Solar charging", "battery_charging", false),
                BIN(UNIT, "LineLoss", "Line loss", "problem", false),
                BIN(UNIT, "LoadOn", "Load on", "power", false),
                BIN(UNIT, "ConfigurationChanged", "Configuration changed", NULL, true),
                ENUM(UNIT, "BatteryStatus", "Battery status", opt_battery_status, false),
                S(UNIT, "InverterStatus", "Inverter status bits", NULL, NULL, NULL, true),
};
const size_t topic_n_entities = ELEMENTSOF(topic_entities);

const char *const topic_conditions[] = {
                "inverter-fault",
                "bus-over",
                "bus-under",
                "bus-soft-fail",
                "line-fail",
                "opv-short",
                "inverter-voltage-too-low",
                "inverter-voltage-too-high",
                "over-temperature",
                "fan-locked",
                "battery-voltage-high",
                "battery-low-alarm",
                "battery-under-shutdown",
                "overload",
                "eeprom-fault",
                "inverter-over-current",
                "inverter-soft-fail",
                "self-test-fail",
                "op-dc-voltage-over",
                "battery-open",
                "current-sensor-fail",
                "battery-short",
                "power-limit",
                "pv-voltage-high",
                "mppt-overload-fault",
                "mppt-overload-warning",
                "battery-too-low-to-charge",
                "battery-weak",
                "battery-equalization",
};
const size_t topic_n_conditions = ELEMENTSOF(topic_conditions);

const TopicEntity *topic_entity_by_setting(const char *setting)
{
        for (size_t i = 0; i < topic_n_entities; i++)
                if (topic_entities[i].setting && streq(topic_entities[i].setting, setting))
                        return &topic_entities[i];
        return NULL;
}

const TopicEntity *topic_entity_by_property(TopicScope scope, const char *property)
{
        for (size_t i = 0; i < topic_n_entities; i++)
                if (topic_entities[i].scope == scope && streq(topic_entities[i].property, property))
                        return &topic_entities[i];
        return NULL;
}

/* PI30.md §5, per battery rating: min, max, step. The daemon validates exactly; these only
 * bound the Home Assistant sliders. */
static const struct {
        TopicLimits limits;
        double rating, min, max, step;
} voltage_limits[] = {
                {TOPIC_LIMITS_RECHARGE_VOLTAGE, 12, 11.0, 12.8, 0.1},
                {TOPIC_LIMITS_RECHARGE_VOLTAGE, 24, 22.0, 25.5, 0.5},
                {TOPIC_LIMITS_RECHARGE_VOLTAGE, 48, 44.0, 51.0, 1.0},
                {TOPIC_LIMITS_REDISCHARGE_VOLTAGE, 12, 0.0, 14.5, 0.1},
                {TOPIC_LIMITS_REDISCHARGE_VOLTAGE, 24, 0.0, 29.0, 0.5},
                {TOPIC_LIMITS_REDISCHARGE_VOLTAGE, 48, 0.0, 58.0, 1.0},
                {TOPIC_LIMITS_UNDER_VOLTAGE, 12, 10.5, 12.0, 0.1},
                {TOPIC_LIMITS_UNDER_VOLTAGE, 24, 21.0, 24.0, 0.1},
                {TOPIC_LIMITS_UNDER_VOLTAGE, 48, 40.0, 48.0, 0.1},
                {TOPIC_LIMITS_BULK_VOLTAGE, 12, 12.0, 15.8, 0.1},
                {TOPIC_LIMITS_BULK_VOLTAGE, 24, 24.0, 31.5, 0.1},
                {TOPIC_LIMITS_BULK_VOLTAGE, 48, 48.0, 63.0, 0.1},
                {TOPIC_LIMITS_FLOAT_VOLTAGE, 12, 12.0, 15.8, 0.1},
                {TOPIC_LIMITS_FLOAT_VOLTAGE, 24, 24.0, 31.5, 0.1},
                {TOPIC_LIMITS_FLOAT_VOLTAGE, 48, 48.0, 63.0, 0.1},
};

bool topic_voltage_limits(TopicLimits limits, double rating, double *ret_min, double *ret_max,
                          double *ret_step)
{
        if (limits == TOPIC_LIMITS_OUTPUT_FREQUENCY) {
                *ret_min = 50;
                *ret_max = 60;
                *ret_step = 10;
                return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(voltage_limits); i++)
                if (voltage_limits[i].limits == limits &&
                    fabs(voltage_limits[i].rating - rating) < 0.5) {
                        *ret_min = voltage_limits[i].min;
                        *ret_max = voltage_limits[i].max;
                        *ret_step = voltage_limits[i].step;
                        return true;
                }
        return false;
}
