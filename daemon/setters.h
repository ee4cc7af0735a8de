/* The Set… and RawCommand method handlers of org.axpert.Inverter (userdata = Device *). */
#pragma once

#include <systemd/sd-bus.h>

typedef struct Device Device;
typedef struct Polkit Polkit;
typedef struct Setters Setters;

/* A change was applied and re-read: what clients see of d changed (the bus module emits). */
typedef void (*SettersChangedFunc)(Device *d, void *userdata);

/* The journal's MESSAGE_IDs (journalctl MESSAGE_ID=…, doc/setters.md): an inverter setting was
 * changed; a per-unit change is about to be sent to the parallel units; one unit's outcome of
 * it; a raw command other than a query was sent, and its answer. */
#define AXPERT_MESSAGE_SETTING_CHANGED_STR "ebb0344ec62a4940b860996ba1460439"
#define AXPERT_MESSAGE_SETTING_REQUESTED_STR "fce7e6ba95da4875a946d08cc54c91e7"
#define AXPERT_MESSAGE_SETTING_UNIT_STR "0fe1c8a744ad45248bd22fc31bf8996e"
#define AXPERT_MESSAGE_RAW_COMMAND_STR "283767e5b3124ea4b04993848ffa5c8f"

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

/* The queue of accepted changes of every device (Device.setters) and what authorizes them. */
int setters_new(Polkit *polkit, SettersChangedFunc changed, void *userdata, Setters **ret);
/* Forgets every queued or running change without replying (shutdown; after the devices, whose
 * link requests point at them, are gone). */
Setters *setters_free(Setters *q);
