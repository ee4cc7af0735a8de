/* THE table: D-Bus property -> state key, Home Assistant entity metadata and command topic. */
#include "topics.h"

#include <glib.h>
#include <string.h>

#include "bridge.h"
#include "contract.h"
#include "macros.h"

#define INV TOPIC_SCOPE_INVERTER
#define UNIT TOPIC_SCOPE_UNIT
#define MEAS "measurement"

/* Sensor rows: scope, property, name, device_class, state_class, diagnostic; the unit is the
 * contract's (topic_entity_unit). */
#define S(scope, prop, name, dc, sc, diag)                                                         \
        {                                                                                          \
                scope, prop, "sensor", name, dc, sc, diag, NULL, TOPIC_COMMAND_NONE, NULL, NULL    \
        }
#define ENUM(scope, prop, name, diag)                                                              \
        {                                                                                          \
                scope, prop, "sensor", name, "enum", NULL, diag, NULL, TOPIC_COMMAND_NONE, NULL,   \
                                NULL                                                               \
        }
#define BIN(scope, prop, name, dc, diag)                                                           \
        {                                                                                          \
                scope, prop, "binary_sensor", name, dc, NULL, diag, NULL, TOPIC_COMMAND_NONE,      \
                                NULL, NULL                                                         \
        }
#define ONLY(scope, prop)                                                                          \
        {                                                                                          \
                scope, prop, NULL, NULL, NULL, NULL, false, NULL, TOPIC_COMMAND_NONE, NULL, NULL   \
        }
/* State JSON only, a sensor in earlier versions: its retained config is emptied. */
#define RETIRED(scope, prop)                                                                       \
        {                                                                                          \
                scope, prop, NULL, NULL, NULL, NULL, false, NULL, TOPIC_COMMAND_NONE, NULL, NULL,  \
                                false, "sensor"                                                    \
        }
/* A setting shown as a sensor, with a command entity when Commands Enabled. */
#define SELECT(prop, name, setting, method)                                                        \
        {                                                                                          \
                INV, prop, "sensor", name, "enum", NULL, false, NULL, TOPIC_COMMAND_SELECT,        \
                                setting, method                                                    \
        }
#define NUMBER(prop, name, dc, setting, method)                                                    \
        {                                                                                          \
                INV, prop, "sensor", name, dc, NULL, false, NULL, TOPIC_COMMAND_NUMBER, setting,   \
                                method                                                             \
        }
#define FLAG(prop, name)                                                                           \
        {                                                                                          \
                INV, prop, "binary_sensor", name, NULL, NULL, true, NULL, TOPIC_COMMAND_SWITCH,    \
                                NULL, AXPERT_METHOD_SET_FLAG                                       \
        }

const TopicEntity topic_entities[] = {
                /* Connection and identity */
                ONLY(INV, "Online"),
                ONLY(INV, "LastUpdateTimestamp"),
                {INV, "LastError", "sensor", "Last error", NULL, NULL, true, NULL,
                 TOPIC_COMMAND_NONE, NULL, NULL, true},
                S(INV, "DevicePath", "Device path", NULL, NULL, true),
                ENUM(INV, "Transport", "Transport", true),
                S(INV, "ProtocolId", "Protocol", NULL, NULL, true),
                S(INV, "SerialNumber", "Serial number", NULL, NULL, true),
                S(INV, "FirmwareVersion", "Firmware version", NULL, NULL, true),
                S(INV, "FirmwareVersion2", "Firmware version 2", NULL, NULL, true),
                S(INV, "ModelName", "Model", NULL, NULL, true),

                /* Live status */
                S(INV, "GridVoltage", "Grid voltage", "voltage", MEAS, false),
                S(INV, "GridFrequency", "Grid frequency", "frequency", MEAS, false),
                S(INV, "AcOutputVoltage", "AC output voltage", "voltage", MEAS, false),
                S(INV, "AcOutputFrequency", "AC output frequency", "frequency", MEAS, false),
                S(INV, "AcOutputApparentPower", "AC output apparent power", "apparent_power", MEAS,
                  false),
                S(INV, "AcOutputActivePower", "AC output active power", "power", MEAS, false),
                S(INV, "AcOutputLoadPercent", "AC output load", NULL, MEAS, false),
                S(INV, "BusVoltage", "Bus voltage", "voltage", MEAS, false),
                S(INV, "BatteryVoltage", "Battery voltage", "voltage", MEAS, false),
                S(INV, "BatteryChargingCurrent", "Battery charging current", "current", MEAS,
                  false),
                S(INV, "BatteryCapacity", "Battery capacity", "battery", MEAS, false),
                S(INV, "HeatsinkTemperature", "Heat sink temperature", "temperature", MEAS, false),
                S(INV, "PvInputCurrent", "PV input current", "current", MEAS, false),
                S(INV, "PvInputVoltage", "PV input voltage", "voltage", MEAS, false),
                S(INV, "BatteryVoltageFromScc", "Battery voltage (SCC)", "voltage", MEAS, false),
                S(INV, "BatteryDischargeCurrent", "Battery discharge current", "current", MEAS,
                  false),
                S(INV, "PvInputPower", "PV input power", "power", MEAS, false),
                ONLY(INV, "HasPv2"),
                S(INV, "Pv2InputVoltage", "PV2 input voltage", "voltage", MEAS, false),
                S(INV, "Pv2InputCurrent", "PV2 input current", "current", MEAS, false),
                S(INV, "Pv2InputPower", "PV2 input power", "power", MEAS, false),
                S(INV, "DeviceStatus", "Device status bits", NULL, NULL, true),
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
                {INV, "Warnings", "binary_sensor", "Warning", "problem", NULL, false,
                 "{{ 'ON' if value_json.warnings | length > 0 else 'OFF' }}", TOPIC_COMMAND_NONE,
                 NULL, NULL},
                {INV, "Faults", "binary_sensor", "Fault", "problem", NULL, false,
                 "{{ 'ON' if value_json.faults | length > 0 else 'OFF' }}", TOPIC_COMMAND_NONE,
                 NULL, NULL},

                /* Ratings and settings */
                S(INV, "GridRatingVoltage", "Grid rating voltage", "voltage", NULL, true),
                S(INV, "GridRatingCurrent", "Grid rating current", "current", NULL, true),
                S(INV, "AcOutputRatingVoltage", "AC output rating voltage", "voltage", NULL, true),
                /* The output frequency is a rating on the bus, and its setting: one entity with
                 * Commands (the control), the rating's sensor without. */
                {INV, "AcOutputRatingFrequency", "sensor", "AC output rating frequency",
                 "frequency", NULL, true, NULL, TOPIC_COMMAND_NUMBER, "output_frequency",
                 AXPERT_METHOD_SET_OUTPUT_FREQUENCY, false, NULL, "Output frequency"},
                S(INV, "AcOutputRatingCurrent", "AC output rating current", "current", NULL, true),
                S(INV, "AcOutputRatingApparentPower", "AC output rating apparent power",
                  "apparent_power", NULL, true),
                S(INV, "AcOutputRatingActivePower", "AC output rating active power", "power", NULL,
                  true),
                S(INV, "BatteryRatingVoltage", "Battery rating voltage", "voltage", NULL, true),
                NUMBER("BatteryRechargeVoltage", "Battery recharge voltage", "voltage",
                       "battery_recharge_voltage", AXPERT_METHOD_SET_BATTERY_RECHARGE_VOLTAGE),
                NUMBER("BatteryUnderVoltage", "Battery under voltage", "voltage",
                       "battery_under_voltage", AXPERT_METHOD_SET_BATTERY_UNDER_VOLTAGE),
                NUMBER("BatteryBulkVoltage", "Battery bulk voltage", "voltage",
                       "battery_bulk_voltage", AXPERT_METHOD_SET_BATTERY_BULK_VOLTAGE),
                NUMBER("BatteryFloatVoltage", "Battery float voltage", "voltage",
                       "battery_float_voltage", AXPERT_METHOD_SET_BATTERY_FLOAT_VOLTAGE),
                NUMBER("BatteryRedischargeVoltage", "Battery redischarge voltage", "voltage",
                       "battery_redischarge_voltage",
                       AXPERT_METHOD_SET_BATTERY_REDISCHARGE_VOLTAGE),
                SELECT("BatteryType", "Battery type", "battery_type",
                       AXPERT_METHOD_SET_BATTERY_TYPE),
                NUMBER("MaxAcChargingCurrent", "Max AC charging current", "current",
                       "max_ac_charging_current", AXPERT_METHOD_SET_MAX_AC_CHARGING_CURRENT),
                NUMBER("MaxChargingCurrent", "Max charging current", "current",
                       "max_charging_current", AXPERT_METHOD_SET_MAX_CHARGING_CURRENT),
                ONLY(INV, "ChargingCurrentOptions"),
                ONLY(INV, "AcChargingCurrentOptions"),
                SELECT("InputVoltageRange", "Input voltage range", "input_voltage_range",
                       AXPERT_METHOD_SET_INPUT_VOLTAGE_RANGE),
                SELECT("OutputSourcePriority", "Output source priority", "output_source_priority",
                       AXPERT_METHOD_SET_OUTPUT_SOURCE_PRIORITY),
                SELECT("ChargerSourcePriority", "Charger source priority",
                       "charger_source_priority", AXPERT_METHOD_SET_CHARGER_SOURCE_PRIORITY),
                S(INV, "ParallelMaxUnits", "Parallel max units", NULL, NULL, true),
                ENUM(INV, "MachineType", "Machine type", true),
                ENUM(INV, "Topology", "Topology", true),
                ENUM(INV, "OutputMode", "Output mode", true),
                ENUM(INV, "PvOkCondition", "PV OK condition", true),
                ENUM(INV, "PvPowerBalance", "PV power balance", true),
                S(INV, "MaxChargingTimeAtCv", "Max charging time at CV", "duration", NULL, true),
                ENUM(INV, "OperationLogic", "Operation logic", true),
                S(INV, "MaxDischargingCurrent", "Max discharging current", "current", NULL, true),
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
                S(INV, "ParallelUnits", "Parallel units", NULL, MEAS, true),
                S(INV, "TotalAcOutputActivePower", "Total AC output active power", "power", MEAS,
                  false),
                S(INV, "TotalAcOutputApparentPower", "Total AC output apparent power",
                  "apparent_power", MEAS, false),
                S(INV, "TotalAcOutputLoadPercent", "Total AC output load", NULL, MEAS, false),
                S(INV, "TotalChargingCurrent", "Total charging current", "current", MEAS, false),

                /* org.axpert.Inverter.Unit */
                ONLY(UNIT, "Index"),
                S(UNIT, "SerialNumber", "Serial number", NULL, NULL, true),
                ENUM(UNIT, "Mode", "Mode", false),
                S(UNIT, "FaultCode", "Fault code", NULL, NULL, false),
                S(UNIT, "GridVoltage", "Grid voltage", "voltage", MEAS, false),
                S(UNIT, "GridFrequency", "Grid frequency", "frequency", MEAS, false),
                S(UNIT, "AcOutputVoltage", "AC output voltage", "voltage", MEAS, false),
                S(UNIT, "AcOutputFrequency", "AC output frequency", "frequency", MEAS, false),
                S(UNIT, "AcOutputApparentPower", "AC output apparent power", "apparent_power", MEAS,
                  false),
                S(UNIT, "AcOutputActivePower", "AC output active power", "power", MEAS, false),
                S(UNIT, "AcOutputLoadPercent", "AC output load", NULL, MEAS, false),
                S(UNIT, "BatteryVoltage", "Battery voltage", "voltage", MEAS, false),
                S(UNIT, "BatteryChargingCurrent", "Battery charging current", "current", MEAS,
                  false),
                S(UNIT, "BatteryCapacity", "Battery capacity", "battery", MEAS, false),
                S(UNIT, "PvInputVoltage", "PV input voltage", "voltage", MEAS, false),
                S(UNIT, "PvInputCurrent", "PV input current", "current", MEAS, false),
                S(UNIT, "Pv2InputVoltage", "PV2 input voltage", "voltage", MEAS, false),
                S(UNIT, "Pv2InputCurrent", "PV2 input current", "current", MEAS, false),
                S(UNIT, "BatteryDischargeCurrent", "Battery discharge current", "current", MEAS,
                  false),
                /* The system's totals, the same in every unit: shown once, by the inverter's
                 * entities (a state key here). */
                RETIRED(UNIT, "TotalChargingCurrent"),
                RETIRED(UNIT, "TotalAcOutputApparentPower"),
                RETIRED(UNIT, "TotalAcOutputActivePower"),
                RETIRED(UNIT, "TotalAcOutputLoadPercent"),
                S(UNIT, "MaxChargingCurrent", "Max charging current", "current", NULL, true),
                S(UNIT, "MaxChargerRange", "Max charger range", "current", NULL, true),
                S(UNIT, "MaxAcChargingCurrent", "Max AC charging current", "current", NULL, true),
                ENUM(UNIT, "OutputMode", "Output mode", true),
                ENUM(UNIT, "ChargerSourcePriority", "Charger source priority", true),
                BIN(UNIT, "SccOk", "SCC OK", NULL, true),
                BIN(UNIT, "AcCharging", "AC charging", "battery_charging", false),
                BIN(UNIT, "SccCharging", "Solar charging", "battery_charging", false),
                BIN(UNIT, "LineLoss", "Line loss", "problem", false),
                BIN(UNIT, "LoadOn", "Load on", "power", false),
                BIN(UNIT, "ConfigurationChanged", "Configuration changed", NULL, true),
                ENUM(UNIT, "BatteryStatus", "Battery status", false),
                S(UNIT, "InverterStatus", "Inverter status bits", NULL, NULL, true),
};
const size_t topic_n_entities = ELEMENTSOF(topic_entities);

const char *topic_scope_interface(TopicScope scope)
{
        return scope == TOPIC_SCOPE_UNIT ? AXPERT_UNIT_IFACE : AXPERT_INVERTER_IFACE;
}

const AxpertContractProperty *topic_entity_contract(const TopicEntity *e)
{
        return axpert_contract_property(topic_scope_interface(e->scope), e->property);
}

const char *topic_entity_unit(const TopicEntity *e)
{
        const AxpertContractProperty *p = topic_entity_contract(e);

        return p ? p->unit : NULL;
}

const char *topic_entity_command_unit(const TopicEntity *e)
{
        const AxpertContractArg *arg =
                        e->method ? axpert_contract_method_input(axpert_contract_method(e->method),
                                                                 0)
                                  : NULL;

        return arg ? arg->unit : NULL;
}

const char *const *topic_entity_values(const TopicEntity *e)
{
        const AxpertContractProperty *p = topic_entity_contract(e);

        return p ? p->values : NULL;
}

const char *topic_entity_flag(const TopicEntity *e)
{
        const AxpertContractFlag *f =
                        e->command == TOPIC_COMMAND_SWITCH
                                        ? axpert_contract_flag_for_property(e->property)
                                        : NULL;

        return f ? f->name : NULL;
}

char *topic_entity_setting(const TopicEntity *e)
{
        const char *flag;

        if (e->command != TOPIC_COMMAND_SWITCH)
                return g_strdup(e->setting);
        flag = topic_entity_flag(e);
        return flag ? g_strconcat("flag/", flag, NULL) : NULL;
}

const TopicEntity *topic_entity_by_setting(const char *setting)
{
        if (g_str_has_prefix(setting, "flag/")) {
                const AxpertContractFlag *flag = axpert_contract_flag(setting + strlen("flag/"));
                const TopicEntity *e = flag ? topic_entity_by_property(TOPIC_SCOPE_INVERTER,
                                                                       flag->property)
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
