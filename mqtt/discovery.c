/* Home Assistant MQTT discovery: one config per entity of THE table (topics.c), one device per
 * inverter and per parallel unit, availability = bridge AND inverter. */
#include "discovery.h"

#include <math.h>
#include <string.h>

#include "contract.h"
#include "energy.h"
#include "json-util.h"
#include "log.h"
#include "state-json.h"
#include "topic-names.h"
#include "topics.h"

#define MANUFACTURER "Voltronic Power"

/* Properties that appear in every config (the device block). */
static const char *const device_properties[] = {
                AXPERT_PROPERTY_SERIAL_NUMBER,    AXPERT_PROPERTY_MODEL_NAME,
                AXPERT_PROPERTY_FIRMWARE_VERSION, AXPERT_PROPERTY_FIRMWARE_VERSION2,
                AXPERT_PROPERTY_PROTOCOL_ID,
};

/* What this inverter accepts, which decides the command entities (and only them). */
static const char *const control_properties[] = {
                AXPERT_PROPERTY_SETTING_LIMITS,
                AXPERT_PROPERTY_SETTING_OPTIONS,
                AXPERT_PROPERTY_SETTING_CHOICES,
};

static bool listed(const char *const *list, size_t n, const char *property)
{
        for (size_t i = 0; i < n; i++)
                if (g_str_equal(property, list[i]))
                        return true;
        return false;
}

bool discovery_depends_on(const char *property)
{
        return listed(device_properties, G_N_ELEMENTS(device_properties), property);
}

bool discovery_controls_depend_on(const char *property)
{
        return listed(control_properties, G_N_ELEMENTS(control_properties), property);
}

/* The device whose entities are published: an inverter or one of its units. */
typedef struct Target {
        Publisher *publisher;
        const MqttConfig *config;
        Inverter *inv;     /* its controls record what was published */
        const Unit *unit;  /* NULL: the inverter itself */
        guint index;       /* the unit's */
        GDBusProxy *proxy; /* whose properties the entities show */
        char *state_topic;
        char *device_id; /* axpert_<serial> or axpert_<serial>_unit<N> */
} Target;

static void target_clear(Target *t)
{
        g_free(t->state_topic);
        g_free(t->device_id);
}

/* An entity's object id: its key, prefixed unit<N>_ for a unit's. */
static char *target_object_id(const Target *t, const char *key)
{
        return t->unit ? topic_name_unit_object_id(t->index, key) : g_strdup(key);
}

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
        if (!value)
                return;
        json_builder_set_member_name(b, name);
        json_builder_add_string_value(b, value);
}

static void add_strv(JsonBuilder *b, const char *name, const char *const *values)
{
        json_builder_set_member_name(b, name);
        json_builder_begin_array(b);
        for (size_t i = 0; values[i]; i++)
                json_builder_add_string_value(b, values[i]);
        json_builder_end_array(b);
}

static void add_device(JsonBuilder *b, const Target *t)
{
        g_autofree char *model = proxy_get_string(t->inv->proxy, "ModelName");
        g_autofree char *firmware = proxy_get_string(t->inv->proxy, "FirmwareVersion");
        g_autofree char *serial = proxy_get_string(t->proxy, "SerialNumber");
        g_autofree char *name = NULL;
        g_autofree char *via = NULL;

        json_builder_set_member_name(b, "device");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "identifiers");
        json_builder_begin_array(b);
        json_builder_add_string_value(b, t->device_id);
        json_builder_end_array(b);
        add_string(b, "manufacturer", MANUFACTURER);
        add_string(b, "model", model && *model ? model : "Axpert (PI30)");
        if (t->unit) {
                name = g_strdup_printf("Axpert %s unit %u", t->inv->serial, t->index);
                via = topic_name_device_id(t->inv->serial);
                add_string(b, "via_device", via);
        } else
                name = g_strdup_printf("Axpert %s", t->inv->serial);
        add_string(b, "name", name);
        if (firmware && *firmware)
                add_string(b, "sw_version", firmware);
        if (serial && *serial)
                add_string(b, "serial_number", serial);
        json_builder_end_object(b);
}

/* object_id: the entity's, with the unit's prefix. extra_availability: a third topic that must
 * say online too (the energy counters': axpert-history's), or NULL. */
static void add_common_with(JsonBuilder *b, const Target *t, const char *object_id,
                            const char *name, const char *extra_availability)
{
        g_autofree char *unique_id = topic_name_unique_id(t->inv->serial, object_id);
        g_autofree char *bridge = topic_name_bridge_availability(t->config);
        g_autofree char *inverter = topic_name_availability(t->config, t->inv->serial);

        add_string(b, "name", name);
        add_string(b, "unique_id", unique_id);
        add_string(b, "state_topic", t->state_topic);
        json_builder_set_member_name(b, "availability");
        json_builder_begin_array(b);
        json_builder_begin_object(b);
        add_string(b, "topic", bridge);
        json_builder_end_object(b);
        json_builder_begin_object(b);
        add_string(b, "topic", inverter);
        json_builder_end_object(b);
        if (extra_availability) {
                json_builder_begin_object(b);
                add_string(b, "topic", extra_availability);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        add_string(b, "availability_mode", "all");
        add_device(b, t);
}

static void add_common(JsonBuilder *b, const Target *t, const char *object_id, const char *name)
{
        add_common_with(b, t, object_id, name, NULL);
}

static void publish_config(const Target *t, const char *component, const char *object_id,
                           JsonBuilder *b)
{
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        g_autofree char *payload = json_util_to_string(root);
        g_autofree char *topic =
                        topic_name_discovery(t->config, component, t->inv->serial, object_id);

        (void)publisher_publish_string(t->publisher, topic, payload, t->config->qos, true);
}

static char *value_template(const TopicEntity *e, const char *key)
{
        if (e->value_template)
                return g_strdup(e->value_template);
        if (g_str_equal(e->component, "binary_sensor"))
                return g_strdup_printf("{{ 'ON' if value_json.%s else 'OFF' }}", key);
        return g_strdup_printf("{{ value_json.%s }}", key);
}

static void publish_sensor(const Target *t, const TopicEntity *e)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *key = state_json_key(e->property);
        g_autofree char *object_id = target_object_id(t, key);
        g_autofree char *tmpl = value_template(e, key);

        json_builder_begin_object(b);
        add_common(b, t, object_id, e->name);
        add_string(b, "value_template", tmpl);
        add_string(b, "device_class", e->device_class);
        add_string(b, "state_class", e->state_class);
        add_string(b, "unit_of_measurement", topic_entity_unit(e));
        if (g_strcmp0(e->device_class, "enum") == 0 && topic_entity_values(e))
                add_strv(b, "options", topic_entity_values(e));
        if (g_str_equal(e->component, "binary_sensor")) {
                add_string(b, "payload_on", "ON");
                add_string(b, "payload_off", "OFF");
        }
        if (e->diagnostic)
                add_string(b, "entity_category", "diagnostic");
        json_builder_end_object(b);
        publish_config(t, e->component, object_id, b);
}

static void publish_condition(const Target *t, const char *condition)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *key = topic_name_condition_object_id(condition);
        g_autofree char *object_id = target_object_id(t, key);
        g_autofree char *name = g_strdelimit(g_strdup(condition), "-", ' ');
        g_autofree char *tmpl = g_strdup_printf("{{ 'ON' if '%s' in (value_json.warnings + "
                                                "value_json.faults) else 'OFF' }}",
                                                condition);

        name[0] = g_ascii_toupper(name[0]);
        json_builder_begin_object(b);
        add_common(b, t, object_id, name);
        add_string(b, "value_template", tmpl);
        add_string(b, "device_class", "problem");
        add_string(b, "payload_on", "ON");
        add_string(b, "payload_off", "OFF");
        json_builder_end_object(b);
        publish_config(t, "binary_sensor", object_id, b);
}

/* The entry for method in a settings dictionary of the inverter (SettingLimits …), of type
 * type; NULL when the daemon does not list the method (or sends something else). */
static GVariant *setting_entry(GDBusProxy *proxy, const char *property, const char *method,
                               const char *type)
{
        g_autoptr(GVariant) dict = g_dbus_proxy_get_cached_property(proxy, property);

        if (!dict || !g_variant_is_of_type(dict, G_VARIANT_TYPE("a{s*}")))
                return NULL;
        return g_variant_lookup_value(dict, method, G_VARIANT_TYPE(type));
}

/* min, max, step of a method in SettingLimits; false when it is not there, or not a range. */
static bool setting_limits(GDBusProxy *proxy, const char *method, double *ret_min, double *ret_max,
                           double *ret_step)
{
        g_autoptr(GVariant) v =
                        setting_entry(proxy, AXPERT_PROPERTY_SETTING_LIMITS, method, "(ddd)");
        double min, max, step;

        if (!v)
                return false;
        g_variant_get(v, "(ddd)", &min, &max, &step);
        if (!isfinite(min) || !isfinite(max) || !(step > 0) || !isfinite(step) || min > max) {
                log_warning("SettingLimits of %s is no range (%g, %g, %g), ignoring.", method, min,
                            max, step);
                return false;
        }
        *ret_min = min;
        *ret_max = max;
        *ret_step = step;
        return true;
}

static void options_add(GPtrArray *options, const char *option)
{
        /* Home Assistant refuses a select with an option twice. */
        for (guint i = 0; i < options->len; i++)
                if (g_str_equal(options->pdata[i], option))
                        return;
        g_ptr_array_add(options, g_strdup(option));
}

/* The options a select offers for a method: SettingOptions' numbers printed as the state shows
 * them ("48.0", so that the selected option is the state), or SettingChoices' strings; NULL
 * when the daemon lists none. */
static GStrv setting_options(GDBusProxy *proxy, const char *property, const char *method)
{
        g_autoptr(GPtrArray) options = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GVariant) v = NULL;
        gsize n = 0;

        if (g_str_equal(property, AXPERT_PROPERTY_SETTING_OPTIONS)) {
                const double *d;

                v = setting_entry(proxy, property, method, "ad");
                d = v ? g_variant_get_fixed_array(v, &n, sizeof(double)) : NULL;
                for (gsize i = 0; i < n; i++) {
                        g_autofree char *text = NULL;

                        if (!isfinite(d[i])) {
                                log_warning("SettingOptions of %s lists %g, ignoring.", method,
                                            d[i]);
                                continue;
                        }
                        text = json_util_format_double(d[i]);
                        options_add(options, text);
                }
        } else {
                g_autofree const char **strv = NULL;

                v = setting_entry(proxy, property, method, "as");
                strv = v ? g_variant_get_strv(v, &n) : NULL;
                for (gsize i = 0; i < n; i++)
                        options_add(options, strv[i]);
        }
        if (options->len == 0)
                return NULL;
        g_ptr_array_add(options, NULL);
        g_ptr_array_set_free_func(options, NULL);
        return (GStrv)g_ptr_array_free(g_steal_pointer(&options), FALSE);
}

/* Whether SettingChoices lists flag among SetFlag's. */
static bool flag_settable(GDBusProxy *proxy, const char *flag)
{
        g_auto(GStrv) flags = setting_options(proxy, AXPERT_PROPERTY_SETTING_CHOICES,
                                              AXPERT_METHOD_SET_FLAG);

        return flags && g_strv_contains((const char *const *)flags, flag);
}

/* The components a row's control can be published as. */
static const char *const *control_components(const TopicEntity *e)
{
        static const char *const number[] = {"number", "select", NULL};
        static const char *const select[] = {"select", NULL};
        static const char *const sw[] = {"switch", NULL};

        switch (e->command) {
        case TOPIC_COMMAND_NUMBER:
                return number;
        case TOPIC_COMMAND_SELECT:
                return select;
        case TOPIC_COMMAND_SWITCH:
                return sw;
        default:
                return NULL;
        }
}

/* Publishes the config in b as component (NULL: no control now) and, with an empty retained
 * config, removes what the control was published as before under another component: when a
 * setting turns from number to select, or cannot be set any more. */
static void publish_control(const Target *t, const TopicEntity *e, const char *setting,
                            const char *object_id, const char *component, JsonBuilder *b)
{
        gpointer previous = NULL;
        bool known = g_hash_table_lookup_extended(t->inv->controls, setting, NULL, &previous);

        for (const char *const *c = control_components(e); c && *c; c++) {
                g_autofree char *topic = NULL;

                if (g_strcmp0(*c, component) == 0 || (known && g_strcmp0(*c, previous) != 0))
                        continue;
                topic = topic_name_discovery(t->config, *c, t->inv->serial, object_id);
                (void)publisher_publish(t->publisher, topic, "", 0, t->config->qos, true);
        }
        if (known && g_strcmp0(previous, component ? component : "") != 0)
                log_info("Command %s of %s: %s now (was %s), as the daemon says what it accepts.",
                         setting, t->inv->serial, component ? component : "no entity",
                         *(const char *)previous ? (const char *)previous : "none");
        g_hash_table_replace(t->inv->controls, g_strdup(setting),
                             (gpointer)(component ? component : ""));
        if (component)
                publish_config(t, component, object_id, b);
}

static void publish_command(const Target *t, const TopicEntity *e)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *key = state_json_key(e->property);
        g_autofree char *setting = topic_entity_setting(e);
        g_autofree char *command_key = NULL;
        g_autofree char *object_id = NULL;
        g_autofree char *command_topic = NULL;
        g_autofree char *tmpl = NULL;
        g_auto(GStrv) options = NULL;
        const char *component = NULL;
        double min = NAN, max = NAN, step = NAN;

        if (!setting)
                return;
        command_key = topic_name_command_object_id(setting);
        object_id = target_object_id(t, command_key);
        command_topic = topic_name_command(t->config, t->inv->serial, setting);
        /* What this inverter accepts decides the kind, as the daemon says it. */
        switch (e->command) {
        case TOPIC_COMMAND_SELECT:
                options = setting_options(t->proxy, AXPERT_PROPERTY_SETTING_CHOICES, e->method);
                component = options ? "select" : NULL;
                break;
        case TOPIC_COMMAND_NUMBER:
                options = setting_options(t->proxy, AXPERT_PROPERTY_SETTING_OPTIONS, e->method);
                if (options)
                        component = "select";
                else if (setting_limits(t->proxy, e->method, &min, &max, &step))
                        component = "number";
                break;
        case TOPIC_COMMAND_SWITCH:
                component = flag_settable(t->proxy, topic_entity_flag(e)) ? "switch" : NULL;
                break;
        default:
                return;
        }

        json_builder_begin_object(b);
        add_common(b, t, object_id, e->name);
        add_string(b, "command_topic", command_topic);
        add_string(b, "entity_category", "config");
        if (g_strcmp0(component, "select") == 0) {
                tmpl = g_strdup_printf("{{ value_json.%s }}", key);
                add_string(b, "value_template", tmpl);
                add_strv(b, "options", (const char *const *)options);
        } else if (g_strcmp0(component, "number") == 0) {
                tmpl = g_strdup_printf("{{ value_json.%s }}", key);
                add_string(b, "value_template", tmpl);
                add_string(b, "device_class", e->device_class);
                add_string(b, "unit_of_measurement", topic_entity_command_unit(e));
                json_util_add_double(b, "min", min);
                json_util_add_double(b, "max", max);
                json_util_add_double(b, "step", step);
                add_string(b, "mode", "box");
        } else if (g_strcmp0(component, "switch") == 0) {
                tmpl = g_strdup_printf("{{ 'ON' if value_json.%s else 'OFF' }}", key);
                add_string(b, "value_template", tmpl);
                add_string(b, "payload_on", "ON");
                add_string(b, "payload_off", "OFF");
                add_string(b, "state_on", "ON");
                add_string(b, "state_off", "OFF");
        }
        json_builder_end_object(b);
        publish_control(t, e, setting, object_id, component, b);
}

/* controls_only: the command entities alone (what SettingLimits … decide). */
static void publish_target(const Target *t, TopicScope scope, bool controls_only)
{
        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];

                /* Only what this daemon really exports: no entity that could never have a value. */
                if (e->scope != scope || !proxy_has_property(t->proxy, e->property))
                        continue;
                if (e->component && !controls_only)
                        publish_sensor(t, e);
                if (e->command != TOPIC_COMMAND_NONE && t->config->commands)
                        publish_command(t, e);
        }
        if (scope == TOPIC_SCOPE_INVERTER && !controls_only &&
            proxy_has_property(t->proxy, AXPERT_PROPERTY_WARNINGS) &&
            proxy_has_property(t->proxy, AXPERT_PROPERTY_FAULTS))
                for (const char *const *cond = axpert_contract_warning_names; *cond; cond++)
                        publish_condition(t, *cond);
}

static void publish_inverter(Publisher *p, const MqttConfig *c, Inverter *inv, bool controls_only)
{
        Target t = {
                        .publisher = p,
                        .config = c,
                        .inv = inv,
                        .proxy = inv->proxy,
        };

        if (!inv->serial)
                return;
        t.state_topic = topic_name_state(c, inv->serial);
        t.device_id = topic_name_device_id(inv->serial);
        publish_target(&t, TOPIC_SCOPE_INVERTER, controls_only);
        target_clear(&t);
        log_debug("Published discovery%s for %s.", controls_only ? " of the controls" : "",
                  inv->serial);
}

void discovery_publish_inverter(Publisher *p, const MqttConfig *c, Inverter *inv)
{
        publish_inverter(p, c, inv, false);
}

void discovery_publish_controls(Publisher *p, const MqttConfig *c, Inverter *inv)
{
        publish_inverter(p, c, inv, true);
}

void discovery_publish_unit(Publisher *p, const MqttConfig *c, Inverter *inv, const Unit *unit)
{
        Target t = {
                        .publisher = p,
                        .config = c,
                        .inv = inv,
                        .unit = unit,
                        .index = model_unit_index(unit),
                        .proxy = unit->proxy,
        };

        if (!inv->serial)
                return;
        t.state_topic = topic_name_unit_state(c, inv->serial, t.index);
        t.device_id = topic_name_unit_device_id(inv->serial, t.index);
        publish_target(&t, TOPIC_SCOPE_UNIT, false);
        target_clear(&t);
}

/* One energy counter of org.axpert.History as a sensor on the inverter's device. */
static void publish_energy_sensor(const Target *t, const AxpertContractProperty *p,
                                  const char *availability)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *key = state_json_key(p->name);
        g_autofree char *name = energy_entity_name(p->name);
        /* The counters are in the state only while axpert-history serves them: otherwise
         * "None", which Home Assistant takes as unknown, never an empty or made-up value. */
        g_autofree char *tmpl = g_strdup_printf(
                        "{{ value_json.%s.%s if value_json.%s is defined and value_json.%s.%s is "
                        "defined else None }}",
                        ENERGY_STATE_MEMBER, key, ENERGY_STATE_MEMBER, ENERGY_STATE_MEMBER, key);

        json_builder_begin_object(b);
        add_common_with(b, t, key, name, availability);
        add_string(b, "value_template", tmpl);
        add_string(b, "device_class", "energy");
        /* Also for the counters that restart (Today at local midnight, ThisMonth, ThisYear):
         * total_increasing takes a decrease as the start of a new cycle, which they are, and a
         * Total that restarts (a new database) as a new meter; "total" would book it as negative
         * energy. */
        add_string(b, "state_class", "total_increasing");
        add_string(b, "unit_of_measurement", p->unit);
        json_builder_set_member_name(b, "suggested_display_precision");
        json_builder_add_int_value(b, 2);
        json_builder_end_object(b);
        publish_config(t, "sensor", key, b);
}

void discovery_publish_energy(Publisher *p, const MqttConfig *c, Inverter *inv, GDBusProxy *history)
{
        Target t = {
                        .publisher = p,
                        .config = c,
                        .inv = inv,
                        .proxy = inv->proxy,
        };
        g_autofree char *availability = NULL;

        if (!inv->serial)
                return;
        t.state_topic = topic_name_state(c, inv->serial);
        t.device_id = topic_name_device_id(inv->serial);
        availability = topic_name_history_availability(c, inv->serial);
        for (size_t i = 0; i < axpert_history_n_properties; i++) {
                const AxpertContractProperty *prop = &axpert_history_properties[i];

                /* Only what axpert-history really serves: no entity that never has a value. */
                if (energy_is_counter(prop) && proxy_has_property(history, prop->name))
                        publish_energy_sensor(&t, prop, availability);
        }
        target_clear(&t);
        log_debug("Published the energy counters' discovery for %s.", inv->serial);
}

void discovery_remove_unit(Publisher *p, const MqttConfig *c, const char *serial, guint index)
{
        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];
                g_autofree char *key = NULL;
                g_autofree char *object_id = NULL;
                g_autofree char *topic = NULL;

                if (e->scope != TOPIC_SCOPE_UNIT || !e->component)
                        continue;
                key = state_json_key(e->property);
                object_id = topic_name_unit_object_id(index, key);
                topic = topic_name_discovery(c, e->component, serial, object_id);
                /* An empty retained config is how Home Assistant is told to forget an entity. */
                (void)publisher_publish(p, topic, "", 0, c->qos, true);
        }
}
