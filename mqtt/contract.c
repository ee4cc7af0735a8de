/* The bus contract's enum values, flag names, condition names and setting limits, as axpert-mqtt
 * has known them so far (DBUS-API.md, PI30.md §5); to be replaced by common/'s generated module. */
#include "contract.h"

#include <math.h>
#include <string.h>

#include "macros.h"

/* Closed lists from DBUS-API.md (plus the values the team contract adds). */
static const char *const enum_transport[] = {"hidraw", "serial", NULL};
static const char *const enum_mode[] = {"power-on", "standby",        "line",
                                        "battery",  "fault",          "power-saving",
                                        "shutdown", CONTRACT_UNKNOWN, NULL};
static const char *const enum_battery_type[] = {
                "agm",     "flooded", "user", "pylontech", "shinheung",      "weco",
                "soltaro", "bak",     "lib",  "lic",       CONTRACT_UNKNOWN, NULL};
static const char *const enum_input_range[] = {"appliance", "ups", CONTRACT_UNKNOWN, NULL};
static const char *const enum_output_priority[] = {"utility-first", "solar-first", "sbu",
                                                   CONTRACT_UNKNOWN, NULL};
static const char *const enum_charger_priority[] = {"utility-first",     "solar-first",
                                                    "solar-and-utility", "solar-only",
                                                    CONTRACT_UNKNOWN,    NULL};
static const char *const enum_machine_type[] = {"grid-tie", "off-grid", "hybrid", CONTRACT_UNKNOWN,
                                                NULL};
static const char *const enum_topology[] = {"transformerless", "transformer", CONTRACT_UNKNOWN,
                                            NULL};
static const char *const enum_output_mode[] = {
                "single",         "parallel",    "phase1-of-3",     "phase2-of-3",
                "phase3-of-3",    "phase1-of-2", "phase2-of-2-120", "phase2-of-2-180",
                CONTRACT_UNKNOWN, NULL};
static const char *const enum_pv_ok[] = {"any-unit", "all-units", CONTRACT_UNKNOWN, NULL};
static const char *const enum_pv_balance[] = {"max-current", "max-power", CONTRACT_UNKNOWN, NULL};
static const char *const enum_operation_logic[] = {"automatic", "on-line", "eco", CONTRACT_UNKNOWN,
                                                   NULL};
static const char *const enum_battery_status[] = {"normal", "under", "open", CONTRACT_UNKNOWN,
                                                  NULL};

/* The same names on org.axpert.Inverter and org.axpert.Inverter.Unit take the same values. */
static const struct {
        const char *property;
        const char *const *values;
} enums[] = {
                {"Transport", enum_transport},
                {"Mode", enum_mode},
                {"BatteryType", enum_battery_type},
                {"InputVoltageRange", enum_input_range},
                {"OutputSourcePriority", enum_output_priority},
                {"ChargerSourcePriority", enum_charger_priority},
                {"MachineType", enum_machine_type},
                {"Topology", enum_topology},
                {"OutputMode", enum_output_mode},
                {"PvOkCondition", enum_pv_ok},
                {"PvPowerBalance", enum_pv_balance},
                {"OperationLogic", enum_operation_logic},
                {"BatteryStatus", enum_battery_status},
};

static const struct {
        const char *name;
        const char *property;
} flags[] = {
                {"buzzer", "BuzzerEnabled"},
                {"overload-bypass", "OverloadBypassEnabled"},
                {"power-saving", "PowerSavingEnabled"},
                {"lcd-return-to-default", "LcdReturnToDefaultEnabled"},
                {"overload-restart", "OverloadRestartEnabled"},
                {"over-temperature-restart", "OverTemperatureRestartEnabled"},
                {"backlight", "BacklightEnabled"},
                {"primary-source-interrupt-alarm", "PrimarySourceInterruptAlarmEnabled"},
                {"fault-code-record", "FaultCodeRecordEnabled"},
};

static const char *const conditions[] = {
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
                NULL,
};

/* PI30.md §5, per battery rating (0: any rating): min, max, step. The daemon validates exactly;
 * these only bound the Home Assistant sliders. */
static const struct {
        const char *property;
        double rating, min, max, step;
} limits[] = {
                {"BatteryRechargeVoltage", 12, 11.0, 12.8, 0.1},
                {"BatteryRechargeVoltage", 24, 22.0, 25.5, 0.5},
                {"BatteryRechargeVoltage", 48, 44.0, 51.0, 1.0},
                {"BatteryRedischargeVoltage", 12, 0.0, 14.5, 0.1},
                {"BatteryRedischargeVoltage", 24, 0.0, 29.0, 0.5},
                {"BatteryRedischargeVoltage", 48, 0.0, 58.0, 1.0},
                {"BatteryUnderVoltage", 12, 10.5, 12.0, 0.1},
                {"BatteryUnderVoltage", 24, 21.0, 24.0, 0.1},
                {"BatteryUnderVoltage", 48, 40.0, 48.0, 0.1},
                {"BatteryBulkVoltage", 12, 12.0, 15.8, 0.1},
                {"BatteryBulkVoltage", 24, 24.0, 31.5, 0.1},
                {"BatteryBulkVoltage", 48, 48.0, 63.0, 0.1},
                {"BatteryFloatVoltage", 12, 12.0, 15.8, 0.1},
                {"BatteryFloatVoltage", 24, 24.0, 31.5, 0.1},
                {"BatteryFloatVoltage", 48, 48.0, 63.0, 0.1},
                /* The output frequency is set through AcOutputRatingFrequency's setter. */
                {"AcOutputRatingFrequency", 0, 50, 60, 10},
                /* DBUS-API.md's documented range, for an inverter that lists no options. */
                {"MaxChargingCurrent", 0, 1, 200, 1},
                {"MaxAcChargingCurrent", 0, 1, 200, 1},
};

const char *const *contract_enum_values(const char *property)
{
        for (size_t i = 0; i < ELEMENTSOF(enums); i++)
                if (streq(enums[i].property, property))
                        return enums[i].values;
        return NULL;
}

const char *contract_flag_name(const char *property)
{
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (streq(flags[i].property, property))
                        return flags[i].name;
        return NULL;
}

const char *contract_flag_property(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (streq(flags[i].name, name))
                        return flags[i].property;
        return NULL;
}

const char *const *contract_conditions(void)
{
        return conditions;
}

bool contract_setting_limits(const char *property, double rating, double *ret_min, double *ret_max,
                             double *ret_step)
{
        for (size_t i = 0; i < ELEMENTSOF(limits); i++)
                if (streq(limits[i].property, property) &&
                    (limits[i].rating == 0 || fabs(limits[i].rating - rating) < 0.5)) {
                        *ret_min = limits[i].min;
                        *ret_max = limits[i].max;
                        *ret_step = limits[i].step;
                        return true;
                }
        return false;
}
