/* Unit tests of axpert-mqtt's pure parts: keys, number printing, state values, configuration. */
#include <glib/gstdio.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "commands.h"
#include "compat-mindfreeze.h"
#include "contract.h"
#include "energy.h"
#include "json-util.h"
#include "mqtt-config.h"
#include "publisher.h"
#include "state-json.h"
#include "topic-names.h"
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
                        /* SettingLimits, SettingOptions, SettingChoices: objects by method. */
                        {g_variant_new_parsed("{'SetBatteryBulkVoltage': (48.0, 58.4, 0.1), "
                                              "'SetBatteryUnderVoltage': (40.0, 48.0, 0.1)}"),
                         "{\"SetBatteryBulkVoltage\":[48.0,58.4,0.1],"
                         "\"SetBatteryUnderVoltage\":[40.0,48.0,0.1]}"},
                        {g_variant_new_parsed("{'SetOutputFrequency': [50.0, 60.0]}"),
                         "{\"SetOutputFrequency\":[50.0,60.0]}"},
                        {g_variant_new_parsed("{'SetBatteryType': ['agm', 'user']}"),
                         "{\"SetBatteryType\":[\"agm\",\"user\"]}"},
                        {g_variant_new_parsed("@a{sas} {}"), "{}"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *t = value_text(cases[i].v);

                g_assert_cmpstr(t, ==, cases[i].text);
        }
}

/* Home Assistant's units per sensor or number device class (what its const.py accepts, of
 * those an inverter has): the contract's unit must be one of them. NULL: no device class. */
static const struct {
        const char *device_class;
        size_t n;
        const char *units[2];
} ha_units[] = {
                {"voltage", 1, {"V"}},    {"current", 1, {"A"}},
                {"power", 1, {"W"}},      {"apparent_power", 1, {"VA"}},
                {"frequency", 1, {"Hz"}}, {"temperature", 1, {"\302\260C"}},
                {"battery", 1, {"%"}},    {"duration", 1, {"min"}},
                {"enum", 1, {NULL}},      {NULL, 2, {NULL, "%"}},
};

static bool ha_accepts(const char *device_class, const char *unit)
{
        for (size_t i = 0; i < G_N_ELEMENTS(ha_units); i++)
                if (g_strcmp0(ha_units[i].device_class, device_class) == 0)
                        for (size_t k = 0; k < ha_units[i].n; k++)
                                if (g_strcmp0(ha_units[i].units[k], unit) == 0)
                                        return true;
        return false;
}

static bool contains(const char *const *list, const char *s)
{
        return axpert_contract_has_value(list, s);
}

/* Every row is the contract's: its property exists (in its interface), an enum row's options are
 * the property's values, a unit is the property's unit (and one Home Assistant accepts for the
 * class), a command row calls a setter of the contract that changes the row's property with an
 * argument of the row's kind, a switch's flag is the contract's flag for the property. */
static void test_table(void)
{
        size_t setters = 0, switches = 0;

        for (size_t i = 0; i < topic_n_entities; i++) {
                const TopicEntity *e = &topic_entities[i];
                const AxpertContractProperty *p = topic_entity_contract(e);
                g_autofree char *setting = topic_entity_setting(e);
                const AxpertContractMethod *m;
                const AxpertContractArg *arg;

                g_assert_nonnull(e->property);
                if (!p)
                        g_error("%s.%s is not in the contract", topic_scope_interface(e->scope),
                                e->property);
                g_assert_cmpstr(p->interface, ==, topic_scope_interface(e->scope));
                g_assert_true(topic_entity_unit(e) == p->unit);
                if (e->component)
                        g_assert_nonnull(e->name);
                if (g_strcmp0(e->device_class, "enum") == 0) {
                        g_assert_nonnull(p->values);
                        g_assert_true(topic_entity_values(e) == p->values);
                }
                if (g_strcmp0(e->component, "sensor") == 0 && !ha_accepts(e->device_class, p->unit))
                        g_error("%s: unit '%s' is not Home Assistant's for class %s", e->property,
                                p->unit, e->device_class);
                if (g_strcmp0(e->component, "binary_sensor") == 0)
                        g_assert_null(p->unit);
                if (e->command == TOPIC_COMMAND_NONE) {
                        g_assert_null(setting);
                        g_assert_null(topic_entity_flag(e));
                        continue;
                }
                g_assert_nonnull(setting);
                g_assert_true(topic_entity_by_setting(setting) == e);
                m = axpert_contract_method(e->method);
                if (!m)
                        g_error("%s: %s is not in the contract", e->property, e->method);
                g_assert_nonnull(m->polkit_action);
                g_assert_true(contains(m->affects, e->property));
                arg = axpert_contract_method_input(m, 0);
                g_assert_nonnull(arg);
                switch (e->command) {
                case TOPIC_COMMAND_SELECT:
                        g_assert_cmpstr(arg->signature, ==, "s");
                        g_assert_null(axpert_contract_method_input(m, 1));
                        g_assert_null(topic_entity_command_unit(e));
                        setters++;
                        break;
                case TOPIC_COMMAND_NUMBER:
                        g_assert_cmpstr(arg->signature, ==, "d");
                        g_assert_null(axpert_contract_method_input(m, 1));
                        g_assert_true(topic_entity_command_unit(e) == arg->unit);
                        g_assert_nonnull(arg->unit);
                        if (!ha_accepts(e->device_class, arg->unit))
                                g_error("%s: unit '%s' is not Home Assistant's for class %s",
                                        e->method, arg->unit, e->device_class);
                        setters++;
                        break;
                case TOPIC_COMMAND_SWITCH:
                        g_assert_cmpstr(e->method, ==, AXPERT_METHOD_SET_FLAG);
                        g_assert_cmpstr(axpert_contract_method_input(m, 1)->signature, ==, "b");
                        g_assert_nonnull(topic_entity_flag(e));
                        g_assert_cmpstr(axpert_contract_flag(topic_entity_flag(e))->property, ==,
                                        e->property);
                        g_assert_cmpstr(setting + strlen("flag/"), ==, topic_entity_flag(e));
                        switches++;
                        break;
                default:
                        g_assert_not_reached();
                }
        }
        /* Every setter of the contract with one string or number argument has its row, every
         * flag its switch. */
        for (size_t i = 0; i < axpert_contract_n_methods; i++) {
                const AxpertContractMethod *m = &axpert_contract_methods[i];
                const AxpertContractArg *arg = axpert_contract_method_input(m, 0);
                bool found = false;

                if (!g_str_has_prefix(m->name, "Set") || !arg || axpert_contract_method_input(m, 1))
                        continue;
                for (size_t k = 0; k < topic_n_entities; k++)
                        found = found || g_strcmp0(topic_entities[k].method, m->name) == 0;
                if (!found)
                        g_error("%s has no command row", m->name);
                setters--;
        }
        g_assert_cmpuint(setters, ==, 0);
        g_assert_cmpuint(switches, ==, axpert_contract_n_flags);
        g_assert_null(topic_entity_by_setting("no_such_setting"));
        g_assert_null(topic_entity_by_setting("flag/no-such-flag"));
        g_assert_null(topic_entity_by_setting("flag/"));
        g_assert_null(topic_entity_by_setting("result"));
        g_assert_nonnull(topic_entity_by_setting("flag/buzzer"));
        g_assert_cmpstr(topic_entity_by_setting("flag/buzzer")->property, ==, "BuzzerEnabled");
        g_assert_cmpstr(topic_entity_by_setting("battery_type")->method, ==, "SetBatteryType");
}

/* What the rows leave to the contract, seen from the outside: values, units, flags. */
static void test_contract_lookups(void)
{
        const TopicEntity *transport = topic_entity_by_property(TOPIC_SCOPE_INVERTER, "Transport");
        const TopicEntity *mode = topic_entity_by_property(TOPIC_SCOPE_UNIT, "Mode");
        const TopicEntity *temp =
                        topic_entity_by_property(TOPIC_SCOPE_INVERTER, "HeatsinkTemperature");
        const TopicEntity *bulk = topic_entity_by_setting("battery_bulk_voltage");
        const TopicEntity *freq = topic_entity_by_setting("output_frequency");
        const TopicEntity *backlight = topic_entity_by_setting("flag/backlight");
        size_t n = 0;

        /* The transport is always known: no "unknown" there; a unit's mode can be. */
        g_assert_true(contains(topic_entity_values(transport), "serial"));
        g_assert_false(contains(topic_entity_values(transport), "unknown"));
        g_assert_true(contains(topic_entity_values(mode), "unknown"));
        g_assert_cmpstr(topic_entity_unit(temp), ==, "\302\260C");
        g_assert_null(topic_entity_values(temp));
        g_assert_cmpstr(topic_entity_command_unit(bulk), ==, "V");
        g_assert_cmpstr(topic_entity_command_unit(freq), ==, "Hz");
        g_assert_cmpstr(freq->property, ==, "AcOutputRatingFrequency");
        g_assert_cmpstr(topic_entity_flag(backlight), ==, "backlight");
        g_assert_null(topic_entity_flag(bulk));
        g_assert_null(topic_entity_command_unit(topic_entity_by_setting("battery_type")));
        /* Condition names become object ids and template strings: no quotes or odd characters. */
        for (const char *const *c = axpert_contract_warning_names; *c; c++, n++)
                g_assert_cmpuint(strspn(*c, "abcdefghijklmnopqrstuvwxyz-"), ==, strlen(*c));
        g_assert_cmpuint(n, ==, 29);
}

static void check_compat_name(const char *interface, const char *property, const char *value,
                              void *userdata)
{
        const AxpertContractProperty *p = axpert_contract_property(interface, property);
        size_t *n = userdata;

        if (!p)
                g_error("hassio-axpert table: %s.%s is not in the contract", interface, property);
        if (!value)
                return;
        if (!contains(p->values, value) || g_str_equal(value, "unknown"))
                g_error("hassio-axpert table: '%s' is not a value of %s.%s", value, interface,
                        property);
        (*n)++;
}

/* The add-on's tables keep its own texts and codes, but the bus's side of each row must be the
 * contract's: a value renamed on the bus would otherwise turn into null there. */
static void test_compat_contract(void)
{
        size_t n = 0;

        compat_foreach_bus_name(check_compat_name, &n);
        g_assert_cmpuint(n, >, 40);
}

/* A select of a numeric setter offers its values as the state prints them, and each reads
 * back, as a command payload, as exactly the value the daemon listed. */
/* The energy sensors come from the History contract: its 20 kWh counters, named in words. */
static void test_energy_contract(void)
{
        size_t n = 0;

        for (size_t i = 0; i < axpert_history_n_properties; i++)
                if (energy_is_counter(&axpert_history_properties[i])) {
                        g_autofree char *key = state_json_key(axpert_history_properties[i].name);

                        g_assert_true(energy_in_state(axpert_history_properties[i].name));
                        g_assert_true(g_str_has_suffix(key, "_today") ||
                                      g_str_has_suffix(key, "_this_month") ||
                                      g_str_has_suffix(key, "_this_year") ||
                                      g_str_has_suffix(key, "_total"));
                        n++;
                }
        g_assert_cmpuint(n, ==, 20);
        g_assert_false(energy_is_counter(axpert_history_property("SerialNumber")));
        g_assert_false(energy_is_counter(axpert_history_property("LastSampleTimestamp")));
        g_assert_false(energy_is_counter(NULL));
        g_assert_true(energy_in_state(AXPERT_HISTORY_PROPERTY_ENERGY_SOURCE));
        g_assert_false(energy_in_state("Fields"));
        g_assert_false(energy_in_state("BatteryVoltage"));
        g_assert_cmpstr(axpert_history_property("GridEnergyTotal")->unit, ==, "kWh");

        static const struct {
                const char *property, *name;
        } names[] = {
                        {"PvEnergyToday", "PV energy today"},
                        {"PvEnergyThisMonth", "PV energy this month"},
                        {"BatteryDischargeEnergyThisYear", "Battery discharge energy this year"},
                        {"GridEnergyTotal", "Grid energy total"},
                        {"Pv", "PV"},
                        {"Pvx", "Pvx"},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autofree char *name = energy_entity_name(names[i].property);

                g_assert_cmpstr(name, ==, names[i].name);
        }
}

static void test_option_text(void)
{
        static const struct {
                double value;
                const char *text;
        } cases[] = {
                        {48, "48.0"},   {40, "40.0"}, {0, "0.0"},   {12.3, "12.3"},
                        {58.4, "58.4"}, {2, "2.0"},   {50, "50.0"}, {0.5, "0.5"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *t = json_util_format_double(cases[i].value);

                g_assert_cmpstr(t, ==, cases[i].text);
        }
        /* Every tenth the daemon can list (it computes them as tenths / 10.0). */
        for (int tenths = 0; tenths <= 2000; tenths++) {
                g_autofree char *t = json_util_format_double(tenths / 10.0);
                double d = -1;

                g_assert_true(commands_parse_number(t, &d));
                g_assert_cmpfloat(d, ==, tenths / 10.0);
        }
}

/* Every topic and id comes from topic-names.c: with other prefixes, everything moves. */
static void test_topic_names(void)
{
        MqttConfig c = {
                        .topic_prefix = (char *)"site/a",
                        .discovery_prefix = (char *)"ha",
                        .parallel_topic = (char *)"power/axpert",
                        .inverter_topic = (char *)"power/{sn}/inv{sn}",
                        .settings_topic = (char *)"power/axpert_settings",
        };
        static const struct {
                const char *topic, *serial, *setting; /* serial NULL: not a command topic */
        } commands[] = {
                        {"site/a/123/set/battery_type", "123", "battery_type"},
                        {"site/a/123/set/flag/buzzer", "123", "flag/buzzer"},
                        {"site/a/123/set/result", "123", "result"},
                        {"site/a/123/set/", "123", ""},
                        {"site/a/123/state", NULL, NULL},
                        {"site/a//set/battery_type", NULL, NULL},
                        {"site/a/set/battery_type", NULL, NULL},
                        {"site/ab/123/set/battery_type", NULL, NULL},
                        {"site/a", NULL, NULL},
                        {"other/123/set/battery_type", NULL, NULL},
        };
        struct {
                char *got;
                const char *want;
        } cases[] = {
                        {topic_name_bridge_availability(&c), "site/a/bridge/availability"},
                        {topic_name_availability(&c, "123"), "site/a/123/availability"},
                        {topic_name_state(&c, "123"), "site/a/123/state"},
                        {topic_name_unit_state(&c, "123", 2), "site/a/123/unit2/state"},
                        {topic_name_command(&c, "123", "flag/buzzer"),
                         "site/a/123/set/flag/buzzer"},
                        {topic_name_command_result(&c, "123"), "site/a/123/set/result"},
                        {topic_name_command_filter(&c), "site/a/+/set/#"},
                        {topic_name_ha_status(&c), "ha/status"},
                        {topic_name_discovery(&c, "sensor", "123", "unit1_mode"),
                         "ha/sensor/axpert_123/unit1_mode/config"},
                        {topic_name_device_id("123"), "axpert_123"},
                        {topic_name_unit_device_id("123", 1), "axpert_123_unit1"},
                        {topic_name_unit_object_id(1, "mode"), "unit1_mode"},
                        {topic_name_command_object_id("flag/lcd-return-to-default"),
                         "set_flag_lcd_return_to_default"},
                        {topic_name_condition_object_id("battery-under-shutdown"),
                         "condition_battery_under_shutdown"},
                        {topic_name_unique_id("123", "unit1_mode"), "axpert_123_unit1_mode"},
                        {topic_name_compat_parallel(&c), "power/axpert"},
                        {topic_name_compat_inverter(&c, "123"), "power/123/inv123"},
                        {topic_name_compat_settings(&c), "power/axpert_settings"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_assert_cmpstr(cases[i].got, ==, cases[i].want);
                g_free(cases[i].got);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
                g_autofree char *serial = NULL;
                const char *setting = NULL;
                bool ok = topic_name_parse_command(&c, commands[i].topic, &serial, &setting);

                g_assert_cmpint(ok, ==, commands[i].serial != NULL);
                g_assert_cmpstr(serial, ==, commands[i].serial);
                g_assert_cmpstr(setting, ==, commands[i].setting);
        }
}

/* A serial number is data from the inverter: it never adds topic levels or wildcards. */
static void test_topic_serial(void)
{
        static const struct {
                const char *raw, *id;
        } cases[] = {
                        {"92931701100123", "92931701100123"},
                        {"AB/+#12 x", "AB___12_x"},
                        {"  55500011122233\n", "55500011122233"},
                        {" 123 ", "123"},
                        {"a-b_c", "a-b_c"},
                        {"\xc3\xa9t\xc3\xa9", "__t__"},
                        {"", NULL},
                        {"   ", NULL},
                        {NULL, NULL},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *id = topic_name_serial(cases[i].raw);

                g_assert_cmpstr(id, ==, cases[i].id);
        }
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

/* A broker just good enough for one client: answers CONNECT with CONNACK and one unsolicited
 * PUBLISH, then holds the connection until the client goes away. */
typedef struct FakeBroker {
        int listen_fd;
        int port;
        GThread *thread;
} FakeBroker;

static bool read_all(int fd, unsigned char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = read(fd, buf, len);

                if (n <= 0)
                        return false;
                buf += n;
                len -= (size_t)n;
        }
        return true;
}

/* The packet type (high nibble of the fixed header), -1 when the connection closed. */
static int read_packet(int fd)
{
        unsigned char header, byte, skip[256];
        size_t remaining = 0;

        if (!read_all(fd, &header, 1))
                return -1;
        for (unsigned shift = 0;; shift += 7) {
                if (!read_all(fd, &byte, 1) || shift > 21)
                        return -1;
                remaining |= (size_t)(byte & 0x7f) << shift;
                if (!(byte & 0x80))
                        break;
        }
        while (remaining > 0) {
                size_t n = MIN(remaining, sizeof(skip));

                if (!read_all(fd, skip, n))
                        return -1;
                remaining -= n;
        }
        return header >> 4;
}

static gpointer fake_broker_run(gpointer data)
{
        static const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};
        static const unsigned char publish[] = {0x30, 7, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'};
        FakeBroker *b = data;
        int fd = accept(b->listen_fd, NULL, NULL);

        if (fd < 0)
                return NULL;
        if (read_packet(fd) == 1 && write(fd, connack, sizeof(connack)) == sizeof(connack) &&
            write(fd, publish, sizeof(publish)) == sizeof(publish))
                while (read_packet(fd) >= 0)
                        ;
        close(fd);
        return NULL;
}

static void fake_broker_start(FakeBroker *b)
{
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(addr);

        b->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(b->listen_fd, >=, 0);
        g_assert_cmpint(bind(b->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
        g_assert_cmpint(listen(b->listen_fd, 1), ==, 0);
        g_assert_cmpint(getsockname(b->listen_fd, (struct sockaddr *)&addr, &len), ==, 0);
        b->port = ntohs(addr.sin_port);
        b->thread = g_thread_new("fake-broker", fake_broker_run, b);
}

typedef struct ThreadProbe {
        GMutex lock;
        GCond cond;
        GThread *connected_thread, *message_thread;
        char *topic, *payload;
} ThreadProbe;

static void probe_connected(void *userdata)
{
        ThreadProbe *probe = userdata;

        g_mutex_lock(&probe->lock);
        probe->connected_thread = g_thread_self();
        g_cond_broadcast(&probe->cond);
        g_mutex_unlock(&probe->lock);
}

static void probe_message(void *userdata, const char *topic, const char *payload, size_t len,
                          bool retained)
{
        ThreadProbe *probe = userdata;

        g_assert_false(retained);
        g_mutex_lock(&probe->lock);
        probe->message_thread = g_thread_self();
        probe->topic = g_strdup(topic);
        probe->payload = g_strndup(payload, len);
        g_cond_broadcast(&probe->cond);
        g_mutex_unlock(&probe->lock);
}

static gboolean flag_timeout(gpointer userdata)
{
        *(bool *)userdata = true;
        return G_SOURCE_REMOVE;
}

/* Paho calls back on its own threads. Those calls must reach the main thread even when nobody
 * owns the main context at that moment (app_run between publisher_start and g_main_loop_run,
 * busy in bridge_new's synchronous D-Bus calls): g_main_context_invoke would then run them
 * right on Paho's thread, racing with the main thread over the model. */
static void test_publisher_main_thread(void)
{
        static const PublisherCallbacks callbacks = {
                        .connected = probe_connected,
                        .message = probe_message,
        };
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL, *path = NULL;
        g_autoptr(MqttConfig) config = NULL;
        ThreadProbe probe = {0};
        FakeBroker broker = {0};
        Publisher *p;
        bool timed_out = false;
        guint timeout;
        gint64 deadline;

        fake_broker_start(&broker);
        text = g_strdup_printf("[MQTT]\nBroker=tcp://127.0.0.1:%d\n", broker.port);
        path = write_config(text);
        config = mqtt_config_load(path, &error);
        g_assert_no_error(error);
        p = publisher_new(config, &callbacks, &probe, &error);
        g_assert_no_error(error);
        g_assert_cmpint(publisher_start(p), ==, 0);

        /* The main context is not iterated now: nothing may be called back meanwhile. */
        deadline = g_get_monotonic_time() + 3 * G_TIME_SPAN_SECOND;
        g_mutex_lock(&probe.lock);
        while (!probe.message_thread && g_cond_wait_until(&probe.cond, &probe.lock, deadline))
                ;
        g_assert_null(probe.connected_thread);
        g_assert_null(probe.message_thread);
        g_mutex_unlock(&probe.lock);

        /* Now the main loop runs: both events arrive, on this thread, with copied data. */
        timeout = g_timeout_add_seconds(60, flag_timeout, &timed_out);
        while (!timed_out && !(probe.connected_thread && probe.message_thread))
                g_main_context_iteration(NULL, TRUE);
        g_assert_false(timed_out);
        g_source_remove(timeout);
        g_assert_true(probe.connected_thread == g_thread_self());
        g_assert_true(probe.message_thread == g_thread_self());
        g_assert_cmpstr(probe.topic, ==, "a/b");
        g_assert_cmpstr(probe.payload, ==, "hi");
        g_assert_true(publisher_is_connected(p));

        publisher_free(p);
        g_thread_join(broker.thread);
        close(broker.listen_fd);
        g_free(probe.topic);
        g_free(probe.payload);
        g_mutex_clear(&probe.lock);
        g_cond_clear(&probe.cond);
        g_unlink(path);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        if (argc > 1)
                example_path = argv[1];
        g_test_add_func("/mqtt/keys", test_keys);
        g_test_add_func("/mqtt/values", test_values);
        g_test_add_func("/mqtt/table", test_table);
        g_test_add_func("/mqtt/contract/lookups", test_contract_lookups);
        g_test_add_func("/mqtt/contract/compat", test_compat_contract);
        g_test_add_func("/mqtt/contract/option-text", test_option_text);
        g_test_add_func("/mqtt/contract/energy", test_energy_contract);
        g_test_add_func("/mqtt/topic-names", test_topic_names);
        g_test_add_func("/mqtt/topic-names/serial", test_topic_serial);
        g_test_add_func("/mqtt/config/defaults", test_config_defaults);
        g_test_add_func("/mqtt/config/password-file", test_config_password_file);
        g_test_add_func("/mqtt/config/errors", test_config_errors);
        g_test_add_func("/mqtt/config/secret-files", test_config_secret_files);
        g_test_add_func("/mqtt/config/file-bounded", test_config_file_bounded);
        g_test_add_func("/mqtt/commands/number-payloads", test_number_payloads);
        g_test_add_func("/mqtt/config/missing", test_config_missing);
        g_test_add_func("/mqtt/config/example", test_config_example);
        g_test_add_func("/mqtt/publisher/main-thread", test_publisher_main_thread);
        return g_test_run();
}
