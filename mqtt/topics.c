/* THE table: D-Bus property -> state key, Home Assistant entity metadata and command topic. */
#include "topics.h"

#include <glib.h>
#include <string.h>

#include "contract.h"
#include "macros.h"

#define INV TOPIC_SCOPE_INVERTER
#define UNIT TOPIC_SCOPE_UNIT
#define MEAS "measurement"

/* Sensor rows: scope, property, component, name, device_class, state_class, unit, diagnostic. */
#define S(scope, prop, name, dc, sc, unit, diag)                                                   \
        {                                                                                          \
                scope, prop, "sensor", name, dc, sc, unit, diag, NULL, TOPIC_COMMAND_NONE, NULL,   \
                                NULL, NULL                                                         \
        }
#define ENUM(scope, prop, name, diag)                                                              \
        {                                                                                          \
                scope, prop, "sensor", name, "enum", NULL, NULL, diag, NULL, TOPIC_COMMAND_NONE,   \
                                NULL, NULL, NULL                                                   \
        }
#define BIN(scope, prop, name, dc, diag)                                                           \
        {                                                                                          \
                scope, prop, "binary_sensor", name, dc, NULL, NULL, diag, NULL,                    \
                                TOPIC_COMMAND_NONE, NULL, NULL, NULL                               \
        }
#define ONLY(scope, prop)                                                                          \
        {                                                                                          \
                scope, prop, NULL, NULL, NULL, NULL, NULL, false, NULL, TOPIC_COMMAND_NONE, NULL,  \
                                NULL, NULL                                                         \
        }
/* A setting shown as a sensor, with a command entity when Commands Enabled. */
#define SELECT(prop, name, setting, method)                                                        \
        {                                                                                          \
                INV, prop, "sensor", name, "enum", NULL, NULL, false, NULL, TOPIC_COMMAND_SELECT,  \
                                setting, method, NULL                                              \
        }
#define NUMBER(prop, name, dc, unit, setting, method, options)                                     \
        {                                                                                          \
                INV, prop, "sensor", name, dc, NULL, unit, false, NULL, TOPIC_COMMAND_NUMBER,      \
                                setting, method, options                                           \
        }
#define FLAG(prop, name)                                                                           \
        {                                                                                          \
                INV, prop, "binary_sensor", name, NULL, NULL, NULL, true, NULL,                    \
                                TOPIC_COMMAND_SWITCH, NULL, "SetFlag", NULL                        \
        }

const TopicEntity topic_entities[] = {
                /* Connection and identity */
                ONLY(INV, "Online"),
                ONLY(INV, "LastUpdateTimestamp"),
                S(INV, "LastError", "Last error", NULL, NULL, NULL, true),
                S(INV, "DevicePath", "Device path", NULL, NULL, NULL, true),
                ENUM(INV, "Transport", "Transport", true),
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
                ENUM(INV, "Mode", "Mode", false),
                {INV, "Warnings", "binary_sensor", "Warning", "problem", NULL, NULL, false,
                 "{{ 'ON' if value_json.warnings | length > 0 else 'OFF' }}", TOPIC_COMMAND_NONE,
                 NULL, NULL, NULL},
                {INV, "Faults", "binary_sensor", "Fault", "problem", NULL, NULL, false,
                 "{{ 'ON' if value_json.faults | length > 0 else 'OFF' }}", TOPIC_COMMAND_NONE,
                 NULL, NULL, NULL},

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
                       "battery_recharge_voltage", "SetBatteryRechargeVoltage", NULL),
                NUMBER("BatteryUnderVoltage", "Battery under voltage", "voltage", "V",
                       "battery_under_voltage", "SetBatteryUnderVoltage", NULL),
                NUMBER("BatteryBulkVoltage", "Battery bulk voltage", "voltage", "V",
                       "battery_bulk_voltage", "SetBatteryBulkVoltage", NULL),
                NUMBER("BatteryFloatVoltage", "Battery float voltage", "voltage", "V",
                       "battery_float_voltage", "SetBatteryFloatVoltage", NULL),
                NUMBER("BatteryRedischargeVoltage", "Battery redischarge voltage", "voltage", "V",
                       "battery_redischarge_voltage", "SetBatteryRedischargeVoltage", NULL),
                SELECT("BatteryType", "Battery type", "battery_type", "SetBatteryType"),
                NUMBER("MaxAcChargingCurrent", "Max AC charging current", "current", "A",
                       "max_ac_charging_current", "SetMaxAcChargingCurrent",
                       "AcChargingCurrentOptions"),
                NUMBER("MaxChargingCurrent", "Max charging current", "current", "A",
                       "max_charging_current", "SetMaxChargingCurrent", "ChargingCurrentOptions"),
                ONLY(INV, "ChargingCurrentOptions"),
                ONLY(INV, "AcChargingCurrentOptions"),
                SELECT("InputVoltageRange", "Input voltage range", "input_voltage_range",
                       "SetInputVoltageRange"),
                SELECT("OutputSourcePriority", "Output source priority", "output_source_priority",
                       "SetOutputSourcePriority"),
                SELECT("ChargerSourcePriority", "Charger source priority",
                       "charger_source_priority", "SetChargerSourcePriority"),
                S(INV, "ParallelMaxUnits", "Parallel max units", NULL, NULL, NULL, true),
                ENUM(INV, "MachineType", "Machine type", true),
                ENUM(INV, "Topology", "Topology", true),
                ENUM(INV, "OutputMode", "Output mode", true),
                ENUM(INV, "PvOkCondition", "PV OK condition", true),
                ENUM(INV, "PvPowerBalance", "PV power balance", true),
                S(INV, "MaxChargingTimeAtCv", "Max charging time at CV", "duration", NULL, "min",
                  true),
                ENUM(INV, "OperationLogic", "Operation logic", true),
                S(INV, "MaxDischargingCurrent", "Max discharging current", "current", NULL, "A",
                  true),
                /* The output frequency is a rating on the bus (AcOutputRatingFrequency); its setter
                 * gets a number entity of its own. */
                {INV, "AcOutputRatingFrequency", NULL, "Output frequency", "frequency", NULL, "Hz",
                 false, NULL, TOPIC_COMMAND_NUMBER, "output_frequency", "SetOutputFrequency", NULL},
                FLAG("BuzzerEnabled", "Buzzer"),
                FLAG("OverloadBypassEnabled", "Overload bypass"),
                FLAG("PowerSavingEnabled", "Power saving"),
                FLAG("LcdReturnToDefaultEnabled", "LCD return to default"),
                FLAG("OverloadRestartEnabled", "Overload restart"),
                FLAG("OverTemperatureRestartEnabled", "Over temperature restart"),
                FLAG("BacklightEnabled", "Backlight"),
                FLAG("PrimarySourceInterruptAlarmEnabled", "Primary source interrupt alarm"),
                FLAG("FaultCodeRecordEnabled", "Fault code record"),

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
                ENUM(UNIT, "Mode", "Mode", false),
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
                ENUM(UNIT, "OutputMode", "Output mode", true),
                ENUM(UNIT, "ChargerSourcePriority", "Charger source priority", true),
                BIN(UNIT, "SccOk", "SCC OK", NULL, true),
                BIN(UNIT, "AcCharging", "AC charging", "battery_charging", false),
                BIN(UNIT, "SccCharging", "Solar charging", "battery_charging", false),
                BIN(UNIT, "LineLoss", "Line loss", "problem", false),
                BIN(UNIT, "LoadOn", "Load on", "power", false),
                BIN(UNIT, "ConfigurationChanged", "Configuration changed", NULL, true),
                ENUM(UNIT, "BatteryStatus", "Battery status", false),
                S(UNIT, "InverterStatus", "Inverter status bits", NULL, NULL, NULL, true),
};
const size_t topic_n_entities = ELEMENTSOF(topic_entities);

char *topic_entity_setting(const TopicEntity *e)
{
        const char *flag;

        if (e->command != TOPIC_COMMAND_SWITCH)
                return g_strdup(e->setting);
        flag = contract_flag_name(e->property);
        return flag ? g_strconcat("flag/", flag, NULL) : NULL;
}

const TopicEntity *topic_entity_by_setting(const char *setting)
{
        if (g_str_has_prefix(setting, "flag/")) {
                const char *property = contract_flag_property(setting + strlen("flag/"));
                const TopicEntity *e =
                                property ? topic_entity_by_property(TOPIC_SCOPE_INVERTER, property)
                                         : NULL;

                return e && e->command == TOPIC_COMMAND_SWITCH ? e : NULL;
        }
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
