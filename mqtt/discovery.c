/* Home Assistant MQTT discovery: one config per entity of THE table (topics.c), one device per
 * inverter and per parallel unit, availability = bridge AND inverter. */
#include "discovery.h"

#include <math.h>
#include <string.h>

#include "contract.h"
#include "json-util.h"
#include "log.h"
#include "state-json.h"
#include "topic-names.h"
#include "topics.h"

#define MANUFACTURER "Voltronic Power"

/* Properties that appear in the configs (device block, option lists, limits). */
static const char *const config_properties[] = {
                "SerialNumber",
                "ModelName",
                "FirmwareVersion",
                "FirmwareVersion2",
                "ProtocolId",
                "ChargingCurrentOptions",
                "AcChargingCurrentOptions",
                "BatteryRatingVoltage",
};

bool discovery_depends_on(const char *property)
{
        for (size_t i = 0; i < G_N_ELEMENTS(config_properties); i++)
                if (g_str_equal(property, config_properties[i]))
                        return true;
        return false;
}

/* The device whose entities are published: an inverter or one of its units. */
typedef struct Target {
        Publisher *publisher;
        const MqttConfig *config;
        const Inverter *inv;
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

/* object_id: the entity's, with the unit's prefix. */
static void add_common(JsonBuilder *b, const Target *t, const char *object_id, const char *name)
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
        json_builder_end_array(b);
        add_string(b, "availability_mode", "all");
        add_device(b, t);
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
        add_string(b, "unit_of_measurement", e->unit);
        if (g_strcmp0(e->device_class, "enum") == 0 && contract_enum_values(e->property))
                add_strv(b, "options", contract_enum_values(e->property));
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

static guint gcd(guint a, guint b)
{
        while (b) {
                guint r = a % b;

                a = b;
                b = r;
        }
        return a;
}

/* min/max/step from a list of accepted values; false when it has none. */
static bool list_limits(GDBusProxy *proxy, const char *property, double *ret_min, double *ret_max,
                        double *ret_step)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, property);
        double min = INFINITY, max = -INFINITY;
        guint step = 0;
        gsize n = 0;
        const double *d = NULL;

        if (v && g_variant_is_of_type(v, G_VARIANT_TYPE("ad")))
                d = g_variant_get_fixed_array(v, &n, sizeof(double));
        for (gsize i = 0; i < n; i++) {
                if (!isfinite(d[i]))
                        continue;
                min = MIN(min, d[i]);
                max = MAX(max, d[i]);
                step = gcd(step, (guint)lround(d[i]));
        }
        if (!isfinite(min))
                return false;
        *ret_min = min;
        *ret_max = max;
        *ret_step = step ? step : 1;
        return true;
}

/* min/max/step of a number entity: the inverter's own list, else the contract's limits for its
 * battery rating; false when they cannot be known. */
static bool number_limits(const Target *t, const TopicEntity *e, double *ret_min, double *ret_max,
                          double *ret_step)
{
        if (e->options_property &&
            list_limits(t->proxy, e->options_property, ret_min, ret_max, ret_step))
                return true;
        return contract_setting_limits(e->property,
                                       proxy_get_double(t->proxy, "BatteryRatingVoltage"), ret_min,
                                       ret_max, ret_step);
}

/* A select's options: the enum's values that can be set (not "unknown"). */
static void add_settable_values(JsonBuilder *b, const char *name, const char *property)
{
        const char *const *values = contract_enum_values(property);

        json_builder_set_member_name(b, name);
        json_builder_begin_array(b);
        for (size_t i = 0; values && values[i]; i++)
                if (!g_str_equal(values[i], CONTRACT_UNKNOWN))
                        json_builder_add_string_value(b, values[i]);
        json_builder_end_array(b);
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
        const char *component;
        double min, max, step;

        if (!setting)
                return;
        command_key = topic_name_command_object_id(setting);
        object_id = target_object_id(t, command_key);
        command_topic = topic_name_command(t->config, t->inv->serial, setting);
        json_builder_begin_object(b);
        add_common(b, t, object_id, e->name);
        add_string(b, "command_topic", command_topic);
        add_string(b, "entity_category", "config");
        switch (e->command) {
        case TOPIC_COMMAND_SELECT:
                component = "select";
                tmpl = g_strdup_printf("{{ value_json.%s }}", key);
                add_string(b, "value_template", tmpl);
                add_settable_values(b, "options", e->property);
                break;
        case TOPIC_COMMAND_NUMBER:
                component = "number";
                if (!number_limits(t, e, &min, &max, &step))
                        return;
                tmpl = g_strdup_printf("{{ value_json.%s }}", key);
                add_string(b, "value_template", tmpl);
                add_string(b, "device_class", e->device_class);
                add_string(b, "unit_of_measurement", e->unit);
                json_util_add_double(b, "min", min);
                json_util_add_double(b, "max", max);
                json_util_add_double(b, "step", step);
                add_string(b, "mode", "box");
                break;
        case TOPIC_COMMAND_SWITCH:
                component = "switch";
                tmpl = g_strdup_printf("{{ 'ON' if value_json.%s else 'OFF' }}", key);
                add_string(b, "value_template", tmpl);
                add_string(b, "payload_on", "ON");
                add_string(b, "payload_off", "OFF");
                add_string(b, "state_on", "ON");
                add_string(b, "state_off", "OFF");
                break;
        default:
                return;
        }
        json_builder_end_object(b);
        publish_config(t, component, object_id, b);
}

static void publish_target(const Target *t, TopicScope scope)
{
        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];

                /* Only what this daemon really exports: no entity that could never have a value. */
                if (e->scope != scope || !proxy_has_property(t->proxy, e->property))
                        continue;
                if (e->component)
                        publish_sensor(t, e);
                if (e->command != TOPIC_COMMAND_NONE && t->config->commands)
                        publish_command(t, e);
        }
        if (scope == TOPIC_SCOPE_INVERTER && proxy_has_property(t->proxy, "Warnings") &&
            proxy_has_property(t->proxy, "Faults"))
                for (const char *const *cond = contract_conditions(); *cond; cond++)
                        publish_condition(t, *cond);
}

void discovery_publish_inverter(Publisher *p, const MqttConfig *c, const Inverter *inv)
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
        publish_target(&t, TOPIC_SCOPE_INVERTER);
        target_clear(&t);
        log_debug("Published discovery for %s.", inv->serial);
}

void discovery_publish_unit(Publisher *p, const MqttConfig *c, const Inverter *inv,
                            const Unit *unit)
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
        publish_target(&t, TOPIC_SCOPE_UNIT);
        target_clear(&t);
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
