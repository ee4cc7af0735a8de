/* Placeholder Set… handlers until the setters branch lands: every one says NotSupported. */
#include "error-names.h"
#include "setters.h"

static int reply_not_supported(sd_bus_error *error)
{
        return sd_bus_error_set(error, AXPERT_ERROR_NOT_SUPPORTED,
                                "Setting changes are not implemented yet.");
}

#define PLACEHOLDER(name)                                                                          \
        int name(sd_bus_message *m, void *userdata, sd_bus_error *error)                           \
        {                                                                                          \
                return reply_not_supported(error);                                                 \
        }

PLACEHOLDER(method_set_output_source_priority)
PLACEHOLDER(method_set_charger_source_priority)
PLACEHOLDER(method_set_input_voltage_range)
PLACEHOLDER(method_set_max_charging_current)
PLACEHOLDER(method_set_max_ac_charging_current)
PLACEHOLDER(method_set_battery_type)
PLACEHOLDER(method_set_battery_recharge_voltage)
PLACEHOLDER(method_set_battery_redischarge_voltage)
PLACEHOLDER(method_set_battery_under_voltage)
PLACEHOLDER(method_set_battery_bulk_voltage)
PLACEHOLDER(method_set_battery_float_voltage)
PLACEHOLDER(method_set_flag)
PLACEHOLDER(method_set_output_frequency)
PLACEHOLDER(method_raw_command)
