/* Command topics: <prefix>/<serial>/set/<setting> calls the daemon's Set… method (so polkit and
 * the daemon's validation apply) and publishes the outcome on <prefix>/<serial>/set/result. */
#include "commands.h"

#include <math.h>
#include <string.h>

#include "error-names.h"
#include "json-util.h"
#include "log.h"
#include "topic-names.h"
#include "topics.h"

/* Setters wait for the inverter's ACK and a re-read; at 2400 baud with retries that can take
 * a while, so allow more than GDBus's 25 s default. */
#define COMMAND_TIMEOUT_MS 60000
#define PAYLOAD_MAX 256
/* Commands run one at a time (the inverter takes one request at a time anyway, and the daemon
 * and the bus cap concurrent callers); this many may wait, beyond that they are refused. */
#define COMMAND_QUEUE_MAX 1000

#define ERROR_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"
#define ERROR_NO_REPLY "org.freedesktop.DBus.Error.NoReply"
#define ERROR_FAILED "org.freedesktop.DBus.Error.Failed"

#define ERROR_LIMITS_EXCEEDED "org.freedesktop.DBus.Error.LimitsExceeded"
/* Not a D-Bus error: nothing was sent to the daemon (doc/mqtt.md "Command topics"). */
#define RESULT_RETAINED "retained"
/* Command topics whose retained message was logged (once each). */
#define RETAINED_LOGGED_MAX 1024

typedef struct Command Command;

struct Commands {
        const MqttConfig *config;
        Publisher *publisher;
        Model *model;
        GQueue waiting;              /* Command*: waiting for the one in flight */
        Command *in_flight;          /* waiting for the daemon's reply, owned here */
        GCancellable *cancellable;   /* of the call in flight: cancelled by commands_free */
        GHashTable *retained_logged; /* command topics whose retained message was logged */
};

struct Command {
        Commands *commands;
        char *serial;
        char *setting;
        const char *method;
        GVariant *args;
        JsonNode *value; /* as understood, or the raw text when it could not be */
};

static void command_free(gpointer data)
{
        Command *c = data;

        g_free(c->serial);
        g_free(c->setting);
        if (c->args)
                g_variant_unref(c->args);
        if (c->value)
                json_node_unref(c->value);
        g_free(c);
}

Commands *commands_new(const MqttConfig *config, Publisher *publisher, Model *model)
{
        Commands *c = g_new0(Commands, 1);

        c->config = config;
        c->publisher = publisher;
        c->model = model;
        g_queue_init(&c->waiting);
        c->cancellable = g_cancellable_new();
        c->retained_logged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        return c;
}

Commands *commands_free(Commands *c)
{
        if (!c)
                return NULL;
        /* Stopping (a signal, or the bus went away) does not wait for the daemon. The reply
         * callback would free the command, but it only runs if the main loop does again. */
        if (c->in_flight) {
                log_notice("Stopping: command %s on %s has no reply yet and %u more are waiting; "
                           "no result is published for them.",
                           c->in_flight->setting, c->in_flight->serial,
                           g_queue_get_length(&c->waiting));
                g_cancellable_cancel(c->cancellable);
                command_free(c->in_flight);
        }
        g_object_unref(c->cancellable);
        g_queue_clear_full(&c->waiting, command_free);
        g_hash_table_destroy(c->retained_logged);
        g_free(c);
        return NULL;
}

static void command_next(Commands *cmds);

static void publish_result(Commands *cmds, const char *serial, const char *setting, JsonNode *value,
                           const char *result, const char *message)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *payload = NULL;
        g_autofree char *topic = topic_name_command_result(cmds->config, serial);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "setting");
        json_builder_add_string_value(b, setting);
        json_builder_set_member_name(b, "value");
        if (value)
                json_builder_add_value(b, json_node_copy(value));
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, result);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message ? message : "");
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        payload = json_util_to_string(root);
        /* A result is an event, not a state: not retained. */
        (void)publisher_publish_string(cmds->publisher, topic, payload, cmds->config->qos, false);
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer userdata)
{
        Command *c = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), res, &error);

        /* Cancelled: commands_free freed c (and itself) already. */
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return;
        if (reply) {
                log_info("Command %s on %s succeeded.", c->setting, c->serial);
                publish_result(c->commands, c->serial, c->setting, c->value, "ok", "");
        } else {
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                const char *result = name;

                if (!result)
                        result = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                                                 ? ERROR_NO_REPLY
                                                 : ERROR_FAILED;
                g_dbus_error_strip_remote_error(error);
                log_notice("Command %s on %s failed: %s: %s", c->setting, c->serial, result,
                           error->message);
                publish_result(c->commands, c->serial, c->setting, c->value, result,
                               error->message);
        }
        c->commands->in_flight = NULL;
        command_next(c->commands);
        command_free(c);
}

/* Starts the next waiting command, if none is in flight. */
static void command_next(Commands *cmds)
{
        Command *c;

        while (!cmds->in_flight && (c = g_queue_pop_head(&cmds->waiting))) {
                /* Looked up now: the inverter may have gone while the command waited. */
                Inverter *inv = model_find_inverter_by_serial(cmds->model, c->serial);

                if (!inv) {
                        g_autofree char *m = g_strdup_printf("no inverter with serial number '%s'",
                                                             c->serial);

                        publish_result(cmds, c->serial, c->setting, c->value, ERROR_UNKNOWN_OBJECT,
                                       m);
                        command_free(c);
                        continue;
                }
                cmds->in_flight = c;
                g_dbus_proxy_call(inv->proxy, c->method, c->args, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                  COMMAND_TIMEOUT_MS, cmds->cancellable, on_reply, c);
        }
}

bool commands_parse_number(const char *text, double *ret)
{
        const char *p = text;
        double d;

        /* What a person or Home Assistant's number entity sends, and nothing g_ascii_strtod
         * would take besides: no white space, no sign (no setter takes a negative value), no
         * exponent, hex, inf or nan. Plain ASCII digits, so no locale is involved either. */
        if (!g_ascii_isdigit(*p))
                return false;
        while (g_ascii_isdigit(*p))
                p++;
        if (*p == '.') {
                p++;
                if (!g_ascii_isdigit(*p))
                        return false;
                while (g_ascii_isdigit(*p))
                        p++;
        }
        if (*p)
                return false;
        d = g_ascii_strtod(text, NULL);
        /* Hundreds of digits would overflow. */
        if (!isfinite(d))
                return false;
        *ret = d;
        return true;
}

static JsonNode *string_node(const char *s)
{
        JsonNode *n = json_node_new(JSON_NODE_VALUE);

        json_node_set_string(n, s);
        return n;
}

/* Parses the payload for e; on failure returns NULL with *ret_message set. */
static GVariant *parse_payload(const TopicEntity *e, const char *text, JsonNode **ret_value,
                               char **ret_message)
{
        switch (e->command) {
        case TOPIC_COMMAND_SELECT:
                *ret_value = string_node(text);
                return g_variant_new("(s)", text);
        case TOPIC_COMMAND_NUMBER: {
                double d;

                if (!commands_parse_number(text, &d)) {
                        *ret_message = g_strdup_printf(
                                        "'%s' is not a plain decimal number (digits, optionally "
                                        "'.' and digits)",
                                        text);
                        return NULL;
                }
                *ret_value = json_node_new(JSON_NODE_VALUE);
                json_node_set_double(*ret_value, d);
                return g_variant_new("(d)", d);
        }
        case TOPIC_COMMAND_SWITCH: {
                bool on;

                if (!g_ascii_strcasecmp(text, "ON") || !g_ascii_strcasecmp(text, "true") ||
                    g_str_equal(text, "1"))
                        on = true;
                else if (!g_ascii_strcasecmp(text, "OFF") || !g_ascii_strcasecmp(text, "false") ||
                         g_str_equal(text, "0"))
                        on = false;
                else {
                        *ret_message = g_strdup_printf("'%s' is not ON or OFF", text);
                        return NULL;
                }
                *ret_value = json_node_new(JSON_NODE_VALUE);
                json_node_set_boolean(*ret_value, on);
                return g_variant_new("(sb)", topic_entity_flag(e), on);
        }
        default:
                *ret_message = g_strdup("not a command");
                return NULL;
        }
}

/* Says so on the result topic every time, in the log once per topic: every reconnect brings
 * the same retained messages back. */
static void ignore_retained(Commands *cmds, const char *topic, const char *serial,
                            const char *setting, const char *payload, size_t len)
{
        g_autoptr(JsonNode) value = NULL;

        if (len <= PAYLOAD_MAX && !memchr(payload, '\0', len) &&
            g_utf8_validate(payload, len, NULL)) {
                g_autofree char *text = g_strndup(payload, len);

                value = string_node(text);
        }
        if (g_hash_table_contains(cmds->retained_logged, topic))
                log_debug("Retained message on command topic '%s' again, ignoring.", topic);
        else {
                log_warning("Retained message on command topic '%s' (the broker repeats it on "
                            "every subscription; clear it with an empty retained message), "
                            "ignoring.",
                            topic);
                /* Bounded: whoever may publish there could make up endless topics. */
                if (g_hash_table_size(cmds->retained_logged) < RETAINED_LOGGED_MAX)
                        g_hash_table_add(cmds->retained_logged, g_strdup(topic));
        }
        publish_result(cmds, serial, setting, value, RESULT_RETAINED, "retained command ignored");
}

bool commands_handle(Commands *cmds, const char *topic, const char *payload, size_t len,
                     bool retained)
{
        g_autofree char *serial = NULL;
        g_autofree char *text = NULL;
        g_autofree char *message = NULL;
        g_autoptr(JsonNode) value = NULL;
        const char *setting;
        const TopicEntity *e;
        GVariant *args;
        Inverter *inv;
        Command *c;

        if (!topic_name_parse_command(cmds->config, topic, &serial, &setting))
                return false;
        /* Our own result messages come back through the same subscription. */
        if (g_str_equal(setting, "result"))
                return true;

        /* The broker hands a retained message out again on every subscription (each restart,
         * each reconnect): executing it would repeat an old command over whatever was set
         * since. Only what arrives live is a command. */
        if (retained) {
                ignore_retained(cmds, topic, serial, setting, payload, len);
                return true;
        }

        /* From here on every message gets a result, whatever it contains. */
        if (len > PAYLOAD_MAX || memchr(payload, '\0', len) ||
            !g_utf8_validate(payload, len, NULL)) {
                publish_result(cmds, serial, setting, NULL, AXPERT_ERROR_INVALID_ARGS,
                               "the payload is not a short UTF-8 text");
                return true;
        }
        /* Taken as sent: white space around a value is as wrong as any other character. */
        text = g_strndup(payload, len);
        value = string_node(text);

        e = topic_entity_by_setting(setting);
        if (!e) {
                g_autofree char *m = g_strdup_printf("unknown setting '%s'", setting);

                publish_result(cmds, serial, setting, value, AXPERT_ERROR_INVALID_ARGS, m);
                return true;
        }
        inv = model_find_inverter_by_serial(cmds->model, serial);
        if (!inv) {
                g_autofree char *m = g_strdup_printf("no inverter with serial number '%s'", serial);

                publish_result(cmds, serial, setting, value, ERROR_UNKNOWN_OBJECT, m);
                return true;
        }
        if (!*text) {
                publish_result(cmds, serial, setting, value, AXPERT_ERROR_INVALID_ARGS,
                               "empty payload");
                return true;
        }
        g_clear_pointer(&value, json_node_unref);
        args = parse_payload(e, text, &value, &message);
        if (!args) {
                g_autoptr(JsonNode) raw = string_node(text);

                publish_result(cmds, serial, setting, raw, AXPERT_ERROR_INVALID_ARGS, message);
                return true;
        }

        if (g_queue_get_length(&cmds->waiting) >= COMMAND_QUEUE_MAX) {
                g_variant_unref(g_variant_ref_sink(args));
                publish_result(cmds, serial, setting, value, ERROR_LIMITS_EXCEEDED,
                               "too many commands waiting");
                return true;
        }
        log_info("Command %s = '%s' for %s.", setting, text, serial);
        c = g_new0(Command, 1);
        c->commands = cmds;
        c->serial = g_strdup(serial);
        c->setting = g_strdup(setting);
        c->method = e->method;
        c->args = g_variant_ref_sink(args);
        c->value = g_steal_pointer(&value);
        g_queue_push_tail(&cmds->waiting, c);
        command_next(cmds);
        return true;
}
