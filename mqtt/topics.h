/* THE table: which D-Bus property becomes which Home Assistant entity and command topic. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum TopicScope {
        TOPIC_SCOPE_INVERTER, /* org.axpert.Inverter, <prefix>/<serial>/state */
        TOPIC_SCOPE_UNIT,     /* org.axpert.Inverter.Unit, <prefix>/<serial>/unit<N>/state */
} TopicScope;

typedef enum TopicCommandKind {
        TOPIC_COMMAND_NONE,
        TOPIC_COMMAND_SELECT, /* 's' setters with a closed list */
        TOPIC_COMMAND_NUMBER, /* 'd' setters */
        TOPIC_COMMAND_SWITCH, /* SetFlag(s, b) */
} TopicCommandKind;

/* Where a number entity's min/max/step come from. */
typedef enum TopicLimits {
        TOPIC_LIMITS_NONE,
        TOPIC_LIMITS_CHARGING_OPTIONS,    /* ChargingCurrentOptions */
        TOPIC_LIMITS_AC_CHARGING_OPTIONS, /* AcChargingCurrentOptions */
        TOPIC_LIMITS_RECHARGE_VOLTAGE,    /* by BatteryRatingVoltage, PI30.md §5 */
        TOPIC_LIMITS_REDISCHARGE_VOLTAGE,
        TOPIC_LIMITS_UNDER_VOLTAGE,
        TOPIC_LIMITS_BULK_VOLTAGE,
        TOPIC_LIMITS_FLOAT_VOLTAGE,
        TOPIC_LIMITS_OUTPUT_FREQUENCY,
} TopicLimits;

typedef struct TopicEntity {
        TopicScope scope;
        const char *property;       /* D-Bus property; its JSON key is its snake_case form */
        const char *component;      /* "sensor", "binary_sensor"; NULL: state JSON only */
        const char *name;           /* entity name shown in Home Assistant */
        const char *device_class;   /* NULL = none */
        const char *state_class;    /* NULL = none */
        const char *unit;           /* unit_of_measurement, NULL = none */
        bool diagnostic;            /* entity_category: diagnostic */
        const char *const *options; /* enum sensors: the closed list (DBUS-API.md) */
        const char *value_template; /* NULL: derived from the key and component */
        /* Command topic <prefix>/<serial>/set/<setting> (Commands Enabled only). */
        const char *setting;
        const char *method; /* the D-Bus setter */
        TopicCommandKind command;
        const char *flag; /* SetFlag's name argument */
        TopicLimits limits;
        const char *const *command_options; /* select: what may be chosen (no "unknown") */
} TopicEntity;

extern const TopicEntity topic_entities[];
extern const size_t topic_n_entities;

/* The QPIWS condition identifiers (DBUS-API.md), one binary_sensor each. */
extern const char *const topic_conditions[];
extern const size_t topic_n_conditions;

/* The row whose command topic suffix is setting ("output_source_priority", "flag/buzzer"). */
const TopicEntity *topic_entity_by_setting(const char *setting);
const TopicEntity *topic_entity_by_property(TopicScope scope, const char *property);

/* Number limits for a rating: returns false when unknown. */
bool topic_voltage_limits(TopicLimits limits, double rating, double *ret_min, double *ret_max,
                          double *ret_step);
