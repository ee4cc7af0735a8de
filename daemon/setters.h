/* The Set… and RawCommand method handlers of org.axpert.Inverter (userdata = Device *). */
#pragma once

#include <systemd/sd-bus.h>

/* The journal's MESSAGE_ID of "an inverter setting was changed" (journalctl MESSAGE_ID=…). */
#define AXPERT_MESSAGE_SETTING_CHANGED_STR "ebb0344ec62a4940b860996ba1460439"

/* Each handler, in this order: parse, validate against the device (battery rating, the
 * inverter's current option lists, enum lists), reply at once when the value is already set,
 * polkit (asynchronous: the handler returns and runs again with the verdict), queue the command
 * ahead of polling, and reply once the inverter answered (after re-reading the settings on ACK). */
int method_set_output_source_priority(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_charger_source_priority(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_input_voltage_range(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_max_charging_current(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_max_ac_charging_current(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_battery_type(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_battery_recharge_voltage(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_battery_redischarge_voltage(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_battery_under_voltage(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_battery_bulk_voltage(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_battery_float_voltage(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_flag(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_output_frequency(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_raw_command(sd_bus_message *m, void *userdata, sd_bus_error *error);
