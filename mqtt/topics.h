/* THE table: which D-Bus property becomes which Home Assistant entity and command topic. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "contract.h"

typedef enum TopicScope {
        TOPIC_SCOPE_INVERTER, /* org.axpert.Inverter, <prefix>/<serial>/state */
        TOPIC_SCOPE_UNIT,     /* org.axpert.Inverter.Unit, <prefix>/<serial>/unit<N>/state */
} TopicScope;

typedef enum TopicCommandKind {
        TOPIC_COMMAND_NONE,
        /* A setter taking a string: a select of what SettingChoices lists for the method. */
        TOPIC_COMMAND_SELECT,
        /* A setter taking a 'd': a number when the method is in SettingLimits, a select when it
         * is in SettingOptions, nothing when in neither (topic_command_control). */
        TOPIC_COMMAND_NUMBER,
        /* SetFlag(s, b) for the flag that changes the row's property (the contract's flag map),
         * when SettingChoices lists the flag. */
        TOPIC_COMMAND_SWITCH,
} TopicCommandKind;

/* One row per D-Bus property that is published. What the bus contract says is not repeated
 * here: units, enum values and flag names come from common/'s generated module (contract.h),
 * what this inverter accepts from SettingLimits, SettingOptions and SettingChoices. The rows
 * hold only Home Assistant's side: names, classes, templates. */
typedef struct TopicEntity {
        TopicScope scope;
        const char *property;       /* D-Bus property; its JSON key is its snake_case form */
        const char *component;      /* "sensor", "binary_sensor"; NULL: state JSON only */
        const char *name;           /* entity name shown in Home Assistant */
        const char *device_class;   /* NULL = none; "enum": options are the property's values */
        const char *state_class;    /* NULL = none */
        bool diagnostic;            /* entity_category: diagnostic */
        const char *value_template; /* NULL: derived from the key and component */
        /* Command topic <prefix>/<serial>/set/<setting> (Commands Enabled only). */
        TopicCommandKind command;
        const char *setting; /* the topic's last level; NULL for a switch (topic_entity_setting) */
        const char *method;  /* the D-Bus setter */
        /* Available while the bridge is (not also the inverter): what explains an offline
         * inverter (LastError) must be readable exactly then. */
        bool bridge_only;
        /* The component an earlier version published the row as, whose retained config is
         * emptied now (NULL: none). */
        const char *retired;
        /* The control's name when it is not the sensor's (NULL: name). */
        const char *command_name;
} TopicEntity;

extern const TopicEntity topic_entities[];
extern const size_t topic_n_entities;

/* The suffix of the row's command topic ("output_source_priority", "flag/buzzer"); NULL when
 * the row has no command. */
char *topic_entity_setting(const TopicEntity *e);
/* The row whose command topic suffix is setting. */
const TopicEntity *topic_entity_by_setting(const char *setting);
const TopicEntity *topic_entity_by_property(TopicScope scope, const char *property);

/* The D-Bus interface of a scope. */
const char *topic_scope_interface(TopicScope scope);
/* The contract's description of the row's property, NULL if the contract lacks it. */
const AxpertContractProperty *topic_entity_contract(const TopicEntity *e);
/* The row's unit_of_measurement: its property's unit in the contract, NULL for none. A sensor
 * shows its property's unit; a number its setter's argument's (the unit of SettingLimits). */
const char *topic_entity_unit(const TopicEntity *e);
const char *topic_entity_command_unit(const TopicEntity *e);
/* The values of the row's enum property on the bus (with "unknown" where the daemon reports
 * it), NULL when it is no enum. */
const char *const *topic_entity_values(const TopicEntity *e);
/* SetFlag's name for a switch row ("buzzer"), NULL for any other row. */
const char *topic_entity_flag(const TopicEntity *e);
