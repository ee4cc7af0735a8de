/* Unit tests of axpert-mqtt's pure parts: keys, number printing, state values, configuration. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "commands.h"
#include "json-util.h"
#include "mqtt-config.h"
#include "state-json.h"
#include "topics.h"

static void test_keys(void)
{
        static const struct {
                const char *property, *key;
        } cases[] = {
                        {"BatteryVoltage", "battery_voltage"},
                        {"Pv2InputVoltage", "pv2_input_voltage"},
                        {"HasPv2", "has_pv2"},
                        {"FirmwareVersion2", "firmware_version2"},
                        {"SccOk", "scc_ok"},
                        {"Online", "online"},
                        {"MaxChargingTimeAtCv", "max_charging_time_at_cv"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *k = state_json_key(cases[i].property);

                g_assert_cmpstr(k, ==, cases[i].key);
        }
}

static char *value_text(GVariant *v)
{
        g_autoptr(GVariant) sunk = g_variant_ref_sink(v);
        g_autoptr(JsonNode) n = state_json_value(sunk);

        return json_util_to_string(n);
}

static void test_values(void)
{
        static const double list[] = {10, 20.5, NAN};
        static const char *const strv[] = {"line-fail", "overload", NULL};
        struct {
                GVariant *v;
                const char *text;
        } cases[] = {
                        {g_variant_new_double(51.2), "51.2"},
                        {g_variant_new_double(230.0), "230.0"},
                        {g_variant_new_double(0.1 + 0.2), "0.30000000000000004"},
                        {g_variant_new_double(NAN), "null"},
                        {g_variant_new_double(-INFINITY), "null"},
                        {g_variant_new_boolean(TRUE), "true"},
                        {g_variant_new_uint32(3), "3"},
                        {g_variant_new_uint64(1700000000000000ULL), "1700000000000000"},
                        {g_variant_new_string("sbu"), "\"sbu\""},
                        {g_variant_new_string("quote\" back\\"), "\"quote\\\" back\\\\\""},
                        {g_variant_new_strv(strv, -1), "[\"line-fail\",\"overload\"]"},
                        {g_variant_new_strv(NULL, 0), "[]"},
                        {g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, list, 3, sizeof(double)),
                         "[10.0,20.5,null]"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *t = value_text(cases[i].v);

                g_assert_cmpstr(t, ==, cases[i].text);
        }
}

/* Every property row names a D-Bus property; command rows are complete. */
static void test_table(void)
{
        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];

                g_assert_nonnull(e->property);
                g_assert_true(g_ascii_isupper(e->property[0]));
                if (e->component)
                        g_assert_nonnull(e->name);
                if (e->options)
                        g_assert_cmpstr(e->device_class, ==, "enum");
                if (e->command != TOPIC_COMMAND_NONE) {
                        g_assert_nonnull(e->setting);
                        g_assert_nonnull(e->method);
                        g_assert_true(g_str_has_prefix(e->method, "Set"));
                        g_assert_true(topic_entity_by_setting(e->setting) == e);
                }
                if (e->command == TOPIC_COMMAND_SELECT)
                        g_assert_nonnull(e->command_options);
                if (e->command == TOPIC_COMMAND_SWITCH)
                        g_assert_nonnull(e->flag);
        }
        g_assert_null(topic_entity_by_setting("no_such_setting"));
        g_assert_nonnull(topic_entity_by_setting("flag/buzzer"));
}

static char *write_config(const char *text)
{
        g_autoptr(GError) error = NULL;
        char *path = NULL;
        int fd = g_file_open_tmp("axpert-mqtt-test-XXXXXX.conf", &path, &error);

        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(path, text, -1, &error));
        g_assert_no_error(error);
        close(fd);
        return path;
}

static void test_config_defaults(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *path = write_config("[MQTT]\nBroker=tcp://127.0.0.1:1884\n");
        g_autoptr(MqttConfig) c = mqtt_config_load(path, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(c->broker, ==, "tcp://127.0.0.1:1884");
        g_assert_cmpstr(c->topic_prefix, ==, "axpert");
        g_assert_cmpint(c->qos, ==, 1);
        g_assert_true(c->discovery);
        g_assert_cmpstr(c->discovery_prefix, ==, "homeassistant");
        g_assert_false(c->mindfreeze);
        g_assert_cmpstr(c->parallel_topic, ==, "power/axpert");
        g_assert_cmpstr(c->inverter_topic, ==, "power/axpert{sn}");
        g_assert_cmpstr(c->settings_topic, ==, "power/axpert_settings");
        g_assert_false(c->commands);
        g_assert_true(g_str_has_prefix(c->client_id, "axpert-mqtt-"));
        g_unlink(path);
}

static void test_config_password_file(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("axpert-creds-XXXXXX", &error);
        g_autofree char *secret = g_build_filename(dir, "mqtt-password", NULL);
        g_autofree char *path = write_config("[MQTT]\nUsername=u\nPasswordFile=mqtt-password\n");
        g_autoptr(MqttConfig) c = NULL;

        g_assert_true(g_file_set_contents(secret, "s3cret\n", -1, &error));
        /* A credential name is looked up in $CREDENTIALS_DIRECTORY (LoadCredential=). */
        g_setenv("CREDENTIALS_DIRECTORY", dir, TRUE);
        c = mqtt_config_load(path, &error);
        g_unsetenv("CREDENTIALS_DIRECTORY");
        g_assert_no_error(error);
        g_assert_cmpstr(c->password, ==, "s3cret");
        g_unlink(secret);
        g_rmdir(dir);
        g_unlink(path);
}

static void test_config_errors(void)
{
        static const struct {
                const char *text;
                const char *expect; /* must appear in the message */
        } cases[] = {
                        {"[MQTT]\nQoS=3\n", "[MQTT] QoS: '3' is not 0, 1 or 2"},
                        {"[MQTT]\nQoS=one\n", "[MQTT] QoS"},
                        {"[MQTT]\nBroker=http://x\n", "[MQTT] Broker"},
                        {"[MQTT]\nBroker=tcp://host:99999\n", "[MQTT] Broker"},
                        {"[MQTT]\nBroker=tcp://\n", "[MQTT] Broker"},
                        {"[MQTT]\nTopicPrefix=a/+/b\n", "[MQTT] TopicPrefix"},
                        {"[MQTT]\nTopicPrefix=/axpert\n", "[MQTT] TopicPrefix"},
                        {"[MQTT]\nColour=blue\n", "[MQTT] Colour: unknown key"},
                        {"[Mqtt]\nBroker=tcp://x\n", "[Mqtt]: unknown group"},
                        {"[HomeAssistant]\nDiscovery=maybe\n", "[HomeAssistant] Discovery"},
                        {"[HomeAssistant]\nDiscoveryPrefix=home#\n",
                         "[HomeAssistant] DiscoveryPrefix"},
                        {"[MindFreeze]\nEnabled=2\n", "[MindFreeze] Enabled"},
                        {"[MindFreeze]\nInverterTopic=power/#\n", "[MindFreeze] InverterTopic"},
                        {"[Commands]\nEnabled=yes please\n", "[Commands] Enabled"},
                        {"[MQTT]\nUsername=u\nPassword=p\nPasswordFile=/x\n",
                         "[MQTT] PasswordFile"},
                        {"[MQTT]\nUsername=u\nPasswordFile=/nonexistent/pw\n",
                         "[MQTT] PasswordFile"},
                        {"[MQTT]\nPassword=p\n", "[MQTT] Password"},
                        {"[MQTT]\nCAFile=/etc/hostname\n", "[MQTT] CAFile"},
                        {"[MQTT]\nBroker=ssl://h:8883\nCAFile=/nonexistent.pem\n", "[MQTT] CAFile"},
                        {"[MQTT]\nBroker=ssl://h:8883\nKeyFile=/etc/hostname\n", "[MQTT] KeyFile"},
                        {"[MQTT]\nBroker=ssl://h:8883\nCAFile=/dev/zero\n",
                         "[MQTT] CAFile: '/dev/zero' is not a regular file (a character device)"},
                        {"[MQTT]\nBroker=ssl://h:8883\nCertFile=/\n",
                         "[MQTT] CertFile: '/' is not a regular file (a directory)"},
                        {"[MQTT]\nBroker=ssl://h:8883\nCAFile=/nonexistent.pem\n",
                         "[MQTT] CAFile: '/nonexistent.pem' cannot be read: No such file"},
                        {"[MQTT]\nClientId=\n", "[MQTT] ClientId"},
                        {"[MQTT]\nClientId=has space\n", "[MQTT] ClientId"},
                        {"not a key file\n", ""},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *path = write_config(cases[i].text);
                g_autoptr(MqttConfig) c = mqtt_config_load(path, &error);

                if (c)
                        g_error("accepted: %s", cases[i].text);
                g_assert_nonnull(error);
                g_assert_nonnull(strstr(error->message, path));
                if (!strstr(error->message, cases[i].expect))
                        g_error("'%s' lacks '%s'", error->message, cases[i].expect);
                g_unlink(path);
        }
}

/* PasswordFile is a short regular file: anything else would block (a FIFO) or never end
 * (/dev/zero), and is refused naming the file and what is wrong with it. */
static void test_config_secret_files(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("axpert-secret-XXXXXX", &error);
        g_autofree char *big = g_build_filename(dir, "big", NULL);
        g_autofree char *limit = g_build_filename(dir, "limit", NULL);
        g_autofree char *empty = g_build_filename(dir, "empty", NULL);
        g_autofree char *crlf = g_build_filename(dir, "crlf", NULL);
        g_autofree char *big_text = g_strnfill(4097, 'x');
        g_autofree char *limit_text = g_strnfill(4096, 'y');
        struct {
                const char *path;
                const char *expect; /* NULL: accepted */
                const char *password;
        } cases[] = {
                        {dir, "is not a regular file (a directory)", NULL},
                        {"/dev/null", "is not a regular file (a character device)", NULL},
                        {big, "is larger than 4096 bytes", NULL},
                        {empty, "is empty", NULL},
                        {limit, NULL, limit_text},
                        {crlf, NULL, "pass word"},
        };

        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(big, big_text, -1, NULL));
        g_assert_true(g_file_set_contents(limit, limit_text, -1, NULL));
        g_assert_true(g_file_set_contents(empty, "\n", -1, NULL));
        g_assert_true(g_file_set_contents(crlf, "pass word\r\n", -1, NULL));
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *text = g_strdup_printf("[MQTT]\nUsername=u\nPasswordFile=%s\n",
                                                        cases[i].path);
                g_autofree char *path = write_config(text);
                g_autofree char *expect = g_strdup_printf("%s: [MQTT] PasswordFile: '%s' %s", path,
                                                          cases[i].path, cases[i].expect);
                g_autoptr(MqttConfig) c = NULL;

                g_clear_error(&error);
                c = mqtt_config_load(path, &error);
                if (!cases[i].expect) {
                        g_assert_no_error(error);
                        g_assert_cmpstr(c->password, ==, cases[i].password);
                } else if (c)
                        g_error("accepted PasswordFile=%s", cases[i].path);
                else if (!strstr(error->message, expect))
                        g_error("'%s' lacks '%s'", error->message, expect);
                g_unlink(path);
        }
        g_unlink(big);
        g_unlink(limit);
        g_unlink(empty);
        g_unlink(crlf);
        g_rmdir(dir);
}

/* The configuration file itself: a regular file of at most 1 MiB. */
static void test_config_file_bounded(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("axpert-conf-XXXXXX", &error);
        g_autofree char *huge = g_build_filename(dir, "huge.conf", NULL);
        g_autofree char *text = g_strnfill(1024 * 1024 + 1, '#');
        MqttConfig *c;

        g_assert_no_error(error);
        c = mqtt_config_load(dir, &error);
        g_assert_null(c);
        g_assert_nonnull(error);
        g_assert_cmpstr(strstr(error->message, dir), ==, error->message);
        g_assert_nonnull(strstr(error->message, "is not a regular file (a directory)"));
        g_clear_error(&error);

        text[0] = '\n';
        g_assert_true(g_file_set_contents(huge, text, -1, NULL));
        c = mqtt_config_load(huge, &error);
        g_assert_null(c);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, "larger than 1048576 bytes"));
        g_clear_error(&error);
        /* Exactly at the limit is still read (and here means the defaults). */
        text[1024 * 1024] = '\0';
        g_assert_true(g_file_set_contents(huge, text, -1, NULL));
        c = mqtt_config_load(huge, &error);
        g_assert_no_error(error);
        g_assert_nonnull(c);
        mqtt_config_free(c);
        g_unlink(huge);
        g_rmdir(dir);
}

/* Number payloads: plain decimals only, whatever strtod would also take. */
static void test_number_payloads(void)
{
        static const struct {
                const char *text;
                double value; /* NAN: refused */
        } cases[] = {
                        {"40", 40},
                        {"0", 0},
                        {"040", 40},
                        {"53.5", 53.5},
                        {"58.40", 58.4},
                        {"60.0", 60},
                        {"0.5", 0.5},
                        {"", NAN},
                        {" 40", NAN},
                        {"40 ", NAN},
                        {" 40 ", NAN},
                        {"40\n", NAN},
                        {"\t40", NAN},
                        {"+40", NAN},
                        {"-40", NAN},
                        {"-0", NAN},
                        {"40.", NAN},
                        {".5", NAN},
                        {".", NAN},
                        {"4.0.0", NAN},
                        {"4..0", NAN},
                        {"0x28", NAN},
                        {"0X28", NAN},
                        {"4e1", NAN},
                        {"4E1", NAN},
                        {"1e999", NAN},
                        {"inf", NAN},
                        {"INF", NAN},
                        {"infinity", NAN},
                        {"nan", NAN},
                        {"NaN(1)", NAN},
                        {"4,0", NAN},
                        {"40A", NAN},
                        {"4 0", NAN},
                        {"\xd9\xa4\xd9\xa0", NAN},         /* Arabic-Indic digits */
                        {"\xef\xbc\x94\xef\xbc\x90", NAN}, /* full-width digits */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                double d = -1;
                bool ok = commands_parse_number(cases[i].text, &d);

                if (isnan(cases[i].value)) {
                        if (ok)
                                g_error("accepted '%s' as %g", cases[i].text, d);
                        g_assert_cmpfloat(d, ==, -1); /* untouched */
                } else {
                        if (!ok)
                                g_error("refused '%s'", cases[i].text);
                        g_assert_cmpfloat(d, ==, cases[i].value);
                }
        }
}

static const char *example_path;

/* The example shipped as /etc/axpert/mqtt.conf loads and means the defaults. */
static void test_config_example(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(MqttConfig) c = NULL;

        if (!example_path) {
                g_test_skip("no example path given");
                return;
        }
        c = mqtt_config_load(example_path, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(c->broker, ==, "tcp://localhost:1883");
        g_assert_false(c->commands);
        g_assert_false(c->mindfreeze);
        g_assert_true(c->discovery);
}

static void test_config_missing(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(MqttConfig) c = mqtt_config_load("/nonexistent/mqtt.conf", &error);

        /* An explicitly named file must exist. */
        g_assert_null(c);
        g_assert_nonnull(strstr(error->message, "/nonexistent/mqtt.conf"));
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        if (argc > 1)
                example_path = argv[1];
        g_test_add_func("/mqtt/keys", test_keys);
        g_test_add_func("/mqtt/values", test_values);
        g_test_add_func("/mqtt/table", test_table);
        g_test_add_func("/mqtt/config/defaults", test_config_defaults);
        g_test_add_func("/mqtt/config/password-file", test_config_password_file);
        g_test_add_func("/mqtt/config/errors", test_config_errors);
        g_test_add_func("/mqtt/config/secret-files", test_config_secret_files);
        g_test_add_func("/mqtt/config/file-bounded", test_config_file_bounded);
        g_test_add_func("/mqtt/commands/number-payloads", test_number_payloads);
        g_test_add_func("/mqtt/config/missing", test_config_missing);
        g_test_add_func("/mqtt/config/example", test_config_example);
        return g_test_run();
}
