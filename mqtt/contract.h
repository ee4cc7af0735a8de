/* The static facts of the bus contract axpert-mqtt relies on (DBUS-API.md): enum values, SetFlag
 * names, condition names and the setters' limits. They live here alone, apart from the entity
 * table (topics.c), so that common/'s generated contract module can replace this one file. */
#pragma once

#include <stdbool.h>

/* What the daemon reports for a code outside an enum's list; no setter accepts it. */
#define CONTRACT_UNKNOWN "unknown"

/* The values an enum property ("BatteryType") takes on the bus, NULL-terminated, with
 * CONTRACT_UNKNOWN where the daemon can report it; NULL when property is no enum. */
const char *const *contract_enum_values(const char *property);

/* SetFlag's name for a flag property ("BuzzerEnabled" -> "buzzer"), and the property of a
 * name; NULL when there is none. */
const char *contract_flag_name(const char *property);
const char *contract_flag_property(const char *name);

/* The QPIWS condition names that Warnings and Faults hold, NULL-terminated. */
const char *const *contract_conditions(void);

/* The min, max and step the setter of property accepts for a battery rating in V (ignored by
 * settings that do not depend on it); false when unknown. For the charging currents these are
 * the bounds that apply when the inverter lists no options. */
bool contract_setting_limits(const char *property, double rating, double *ret_min, double *ret_max,
                             double *ret_step);
