/* The polkit action guarding each method of org.axpert.Inverter (DBUS-API.md "methods"). */
#include <string.h>

#include "polkit-actions.h"

#define PRIORITIES "org.axpert.Inverter.set-priorities"
#define CHARGING "org.axpert.Inverter.set-charging"
#define BATTERY "org.axpert.Inverter.set-battery"
#define FLAGS "org.axpert.Inverter.set-flags"
#define OUTPUT "org.axpert.Inverter.set-output"
#define RAW "org.axpert.Inverter.raw-command"

const AxpertMethodAction axpert_method_actions[] = {
                {"SetOutputSourcePriority", PRIORITIES}, {"SetChargerSourcePriority", PRIORITIES},
                {"SetInputVoltageRange", PRIORITIES},    {"SetMaxChargingCurrent", CHARGING},
                {"SetMaxAcChargingCurrent", CHARGING},   {"SetBatteryType", BATTERY},
                {"SetBatteryRechargeVoltage", BATTERY},  {"SetBatteryRedischargeVoltage", BATTERY},
                {"SetBatteryUnderVoltage", BATTERY},     {"SetBatteryBulkVoltage", BATTERY},
                {"SetBatteryFloatVoltage", BATTERY},     {"SetFlag", FLAGS},
                {"SetOutputFrequency", OUTPUT},          {"RawCommand", RAW},
};

const size_t axpert_n_method_actions =
                sizeof axpert_method_actions / sizeof axpert_method_actions[0];

const char *axpert_polkit_action(const char *method)
{
        if (method)
                for (size_t i = 0; i < axpert_n_method_actions; i++)
                        if (strcmp(axpert_method_actions[i].method, method) == 0)
                                return axpert_method_actions[i].action;
        return NULL;
}
