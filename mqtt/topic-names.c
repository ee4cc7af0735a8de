/* Every MQTT topic name and Home Assistant id, built here and nowhere else. */
#include "topic-names.h"

#include <string.h>

char *topic_name_serial(const char *raw)
{
        g_autofree char *s = g_strdup(raw);

        if (!s)
                return NULL;
        g_strstrip(s);
        if (!*s)
                return NULL;
        g_strcanon(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", '_');
        return g_steal_pointer(&s);
}

char *topic_name_bridge_availability(const MqttConfig *c)
{
        return g_strdup_printf("%s/bridge/availability", c->topic_prefix);
}

char *topic_name_availability(const MqttConfig *c, const char *serial)
{
        return g_strdup_printf("%s/%s/availability", c->topic_prefix, serial);
}

char *topic_name_history_availability(const MqttConfig *c, const char *serial)
{
        return g_strdup_printf("%s/%s/history/availability", c->topic_prefix, serial);
}

char *topic_name_state(const MqttConfig *c, const char *serial)
{
        return g_strdup_printf("%s/%s/state", c->topic_prefix, serial);
}

char *topic_name_unit_state(const MqttConfig *c, const char *serial, guint index)
{
        return g_strdup_printf("%s/%s/unit%u/state", c->topic_prefix, serial, index);
}

char *topic_name_command(const MqttConfig *c, const char *serial, const char *setting)
{
        return g_strdup_printf("%s/%s/set/%s", c->topic_prefix, serial, setting);
}

char *topic_name_command_result(const MqttConfig *c, const char *serial)
{
        return topic_name_command(c, serial, "result");
}

char *topic_name_command_filter(const MqttConfig *c)
{
        return g_strdup_printf("%s/+/set/#", c->topic_prefix);
}

bool topic_name_parse_command(const MqttConfig *c, const char *topic, char **ret_serial,
                              const char **ret_setting)
{
        size_t n = strlen(c->topic_prefix);
        const char *rest, *slash;

        if (strncmp(topic, c->topic_prefix, n) != 0 || topic[n] != '/')
                return false;
        rest = topic + n + 1;
        slash = strchr(rest, '/');
        if (!slash || slash == rest || !g_str_has_prefix(slash, "/set/"))
                return false;
        *ret_serial = g_strndup(rest, slash - rest);
        *ret_setting = slash + strlen("/set/");
        return true;
}

char *topic_name_ha_status(const MqttConfig *c)
{
        return g_strdup_printf("%s/status", c->discovery_prefix);
}

char *topic_name_discovery(const MqttConfig *c, const char *component, const char *serial,
                           const char *object_id)
{
        return g_strdup_printf("%s/%s/axpert_%s/%s/config", c->discovery_prefix, component, serial,
                               object_id);
}

char *topic_name_device_id(const char *serial)
{
        return g_strdup_printf("axpert_%s", serial);
}

char *topic_name_unit_device_id(const char *serial, guint index)
{
        return g_strdup_printf("axpert_%s_unit%u", serial, index);
}

char *topic_name_command_object_id(const char *setting)
{
        return g_strdelimit(g_strconcat("set_", setting, NULL), "/-", '_');
}

char *topic_name_condition_object_id(const char *condition)
{
        return g_strdelimit(g_strconcat("condition_", condition, NULL), "-", '_');
}

char *topic_name_unit_object_id(guint index, const char *key)
{
        return g_strdup_printf("unit%u_%s", index, key);
}

char *topic_name_unique_id(const char *serial, const char *object_id)
{
        return g_strdup_printf("axpert_%s_%s", serial, object_id);
}

char *topic_name_compat_parallel(const MqttConfig *c)
{
        return g_strdup(c->parallel_topic);
}

char *topic_name_compat_inverter(const MqttConfig *c, const char *serial)
{
        GString *s = g_string_new(c->inverter_topic);

        g_string_replace(s, "{sn}", serial, 0);
        return g_string_free(s, FALSE);
}

char *topic_name_compat_settings(const MqttConfig *c)
{
        return g_strdup(c->settings_topic);
}
