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
        TOPIC_COMMAND_SELECT, /* 's' setters with a closed list: the enum's values */
        TOPIC_COMMAND_NUMBER, /* 'd' setters */
        TOPIC_COMMAND_SWITCH, /* SetFlag(s, b), the flag named by contract_flag_name */
} TopicCommandKind;

/* One row per D-Bus property that is published; the values of enums, the flag names and the
 * limits are the contract's (contract.h), not this table's. */
typedef struct TopicEntity {
        TopicScope scope;
        const char *property;       /* D-Bus property; its JSON key is its snake_case form */
        const char *component;      /* "sensor", "binary_sensor"; NULL: state JSON only */
        const char *name;           /* entity name shown in Home Assistant */
        const char *device_class;   /* NULL = none; "enum": options from contract_enum_values */
        const char *state_class;    /* NULL = none */
        const char *unit;           /* unit_of_measurement, NULL = none */
        bool diagnostic;            /* entity_category: diagnostic */
        const char *value_template; /* NULL: derived from the key and component */
        /* Command topic <prefix>/<serial>/set/<setting> (Commands Enabled only). */
        TopicCommandKind command;
        const char *setting; /* the topic's last level; NULL for a switch (topic_entity_setting) */
        const char *method;  /* the D-Bus setter */
        /* A number's limits come from this property's list of accepted values (the inverter's
         * own), else, and when the list is empty, from contract_setting_limits. */
        const char *options_property;
} TopicEntity;

extern const TopicEntity topic_entities[];
extern const size_t topic_n_entities;

/* The suffix of the row's command topic ("output_source_priority", "flag/buzzer"); NULL when
 * the row has no command. */
char *topic_entity_setting(const TopicEntity *e);
/* The row whose command topic suffix is setting. */
const TopicEntity *topic_entity_by_setting(const char *setting);
const TopicEntity *topic_entity_by_property(TopicScope scope, const char *property);
