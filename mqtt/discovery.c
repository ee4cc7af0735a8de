/* Home Assistant MQTT discovery: one config per entity of THE table (topics.c), one device per
 * inverter and per parallel unit, availability = bridge AND inverter. */
#include "discovery.h"

#include <math.h>
#include <string.h>

#include "json-util.h"
#include "log.h"
#include "state-json.h"
#include "topics.h"

#define MANUFACTURER "Voltronic Power"

typedef struct Target {
        App *app;
        Inverter *inv;
        Unit *unit;        /* NULL: the inverter itself */
        GDBusProxy *proxy; /* whose properties the entities show */
        char *state_topic;
        char *id_prefix;     /* "axpert_<serial>" or "axpert_<serial>_unit<N>" */
        char *object_prefix; /* "" or "unit<N>_" */
} Target;

static void target_clear(Target *t)
{
        g_free(t->state_topic);
        g_free(t->id_prefix);
        g_free(t->object_prefix);
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
        json_builder_add_string_value(b, t->id_prefix);
        json_builder_end_array(b);
        add_string(b, "manufacturer", MANUFACTURER);
        add_string(b, "model", model && *model ? model : "Axpert (PI30)");
        if (t->unit) {
                name = g_strdup_printf("Axpert %s unit %u", t->inv->serial,
                                       app_unit_index(t->unit));
                via = g_strdup_printf("axpert_%s", t->inv->serial);
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

static void add_common(JsonBuilder *b, const Target *t, const char *object_id, const char *name)
{
        g_autofree char *unique_id = g_strdup_printf("%s_%s", t->id_prefix, object_id);
        g_autofree char *bridge =
                        g_strdup_printf("%s/bridge/availability", t->app->config->topic_prefix);
        g_autofree char *inverter = g_strdup_printf("%s/%s/availability",
                                                    t->app->config->topic_prefix, t->inv->serial);

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
        g_autofree char *topic = g_strdup_printf("%s/%s/axpert_%s/%s%s/config",
                                                 t->app->config->discovery_prefix, component,
                                                 t->inv->serial, t->object_prefix, object_id);

        app_publish(t->app, topic, payload, true);
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
        g_autofree char *tmpl = value_template(e, key);

        json_builder_begin_object(b);
        add_common(b, t, key, e->name);
        add_string(b, "value_template", tmpl);
        add_string(b, "device_class", e->device_class);
        add_string(b, "state_class", e->state_class);
        add_string(b, "unit_of_measurement", e->unit);
        if (e->options)
                add_strv(b, "options", e->options);
        if (g_str_equal(e->component, "binary_sensor")) {
                add_string(b, "payload_on", "ON");
                add_string(b, "payload_off", "OFF");
        }
        if (e->diagnostic)
                add_string(b, "entity_category", "diagnostic");
        json_builder_end_object(b);
        publish_config(t, e->component, key, b);
}

static void publish_condition(const Target *t, const char *condition)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *suffix = g_strdelimit(g_strdup(condition), "-", '_');
        g_autofree char *object_id = g_strdup_printf("condition_%s", suffix);
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

/* min/max/step of a number entity; false when they cannot be known. */
static bool number_limits(const Target *t, const TopicEntity *e, double *ret_min, double *ret_max,
                          double *ret_step)
{
        const char *list;

        switch (e->limits) {
        case TOPIC_LIMITS_CHARGING_OPTIONS:
        case TOPIC_LIMITS_AC_CHARGING_OPTIONS: {
                g_autoptr(GVariant) v = NULL;
                double min = INFINITY, max = -INFINITY;
                guint step = 0;
                gsize n = 0;
                const double *d;

                list = e->limits == TOPIC_LIMITS_CHARGING_OPTIONS ? "ChargingCurrentOptions"
                                                                  : "AcChargingCurrentOptions";
                v = g_dbus_proxy_get_cached_property(t->proxy, list);
                if (v && g_variant_is_of_type(v, G_VARIANT_TYPE("ad")))
                        d = g_variant_get_fixed_array(v, &n, sizeof(double));
                else
                        d = NULL;
                for (gsize i = 0; i < n; i++) {
                        if (!isfinite(d[i]))
                                continue;
                        min = MIN(min, d[i]);
                        max = MAX(max, d[i]);
                        step = gcd(step, (guint)lround(d[i]));
                }
                if (n == 0 || !isfinite(min)) {
                        /* The inverter gave no list: DBUS-API.md's documented 1–200 A. */
                        *ret_min = 1;
                        *ret_max = 200;
                        *ret_step = 1;
                        return true;
                }
                *ret_min = min;
                *ret_max = max;
                *ret_step = step ? step : 1;
                return true;
        }
        case TOPIC_LIMITS_NONE:
                return false;
        default:
                return topic_voltage_limits(e->limits,
                                            proxy_get_double(t->proxy, "BatteryRatingVoltage"),
                                            ret_min, ret_max, ret_step);
        }
}

static void publish_command(const Target *t, const TopicEntity *e)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *key = state_json_key(e->property);
        g_autofree char *object_id = g_strdelimit(g_strdup_printf("set_%s", e->setting), "/-", '_');
        g_autofree char *command_topic = g_strdup_printf(
                        "%s/%s/set/%s", t->app->config->topic_prefix, t->inv->serial, e->setting);
        g_autofree char *tmpl = NULL;
        const char *component;
        double min, max, step;

        json_builder_begin_object(b);
        add_common(b, t, object_id, e->name);
        add_string(b, "command_topic", command_topic);
        add_string(b, "entity_category", "config");
        switch (e->command) {
        case TOPIC_COMMAND_SELECT:
                component = "select";
                tmpl = g_strdup_printf("{{ value_json.%s }}", key);
                add_string(b, "value_template", tmpl);
                add_strv(b, "options", e->command_options);
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

static bool has_property(GDBusProxy *proxy, const char *name)
{
        g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(proxy, name);

        return v != NULL;
}

static void publish_target(const Target *t, TopicScope scope)
{
        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];

                /* Only what this daemon really exports: no entity that could never have a value. */
                if (e->scope != scope || !has_property(t->proxy, e->property))
                        continue;
                if (e->component)
                        publish_sensor(t, e);
                if (e->command != TOPIC_COMMAND_NONE && t->app->config->commands)
                        publish_command(t, e);
        }
        if (scope == TOPIC_SCOPE_INVERTER && has_property(t->proxy, "Warnings") &&
            has_property(t->proxy, "Faults"))
                for (size_t i = 0; i < topic_n_conditions; i++)
                        publish_condition(t, topic_conditions[i]);
}

void discovery_publish_inverter(App *app, Inverter *inv)
{
        Target t = {
                        .app = app,
                        .inv = inv,
                        .proxy = inv->proxy,
        };

        if (!inv->serial)
                return;
        t.state_topic = g_strdup_printf("%s/%s/state", app->config->topic_prefix, inv->serial);
        t.id_prefix = g_strdup_printf("axpert_%s", inv->serial);
        t.object_prefix = g_strdup("");
        publish_target(&t, TOPIC_SCOPE_INVERTER);
        target_clear(&t);
        log_debug("Published discovery for %s.", inv->serial);
}

void discovery_publish_unit(App *app, Inverter *inv, Unit *unit)
{
        guint index = app_unit_index(unit);
        Target t = {
                        .app = app,
                        .inv = inv,
                        .unit = unit,
                        .proxy = unit->proxy,
        };

        if (!inv->serial)
                return;
        t.state_topic = g_strdup_printf("%s/%s/unit%u/state", app->config->topic_prefix,
                                        inv->serial, index);
        t.id_prefix = g_strdup_printf("axpert_%s_unit%u", inv->serial, index);
        t.object_prefix = g_strdup_printf("unit%u_", index);
        publish_target(&t, TOPIC_SCOPE_UNIT);
        target_clear(&t);
}

void discovery_remove_unit(App *app, const char *announced_id)
{
        g_auto(GStrv) parts = g_strsplit(announced_id, "/", 2);

        if (!parts[0] || !parts[1])
                return;
        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];
                g_autofree char *key = NULL;
                g_autofree char *topic = NULL;

                if (e->scope != TOPIC_SCOPE_UNIT || !e->component)
                        continue;
                key = state_json_key(e->property);
                /* An empty retained config is how Home Assistant is told to forget an entity. */
                topic = g_strdup_printf("%s/%s/axpert_%s/%s_%s/config",
                                        app->config->discovery_prefix, e->component, parts[0],
                                        parts[1], key);
                (void)publisher_publish(app->publisher, topic, "", 0, app->config->qos, true);
        }
}
