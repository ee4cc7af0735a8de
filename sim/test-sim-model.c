/* Unit test of the simulator's model: defaults the protocol library accepts, answers that decode
 * back to the same values, setters that change state only on ACK, replay parsing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "pi30.h"
#include "replay.h"
#include "scenario.h"
#include "sim.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        failures++;                                                                \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);   \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                }                                                                                  \
        } while (0)

static ModelAnswer answer(Model *m, const char *cmd, char *buf, size_t size)
{
        size_t len = 0;
        ModelAnswer a = model_answer(m, cmd, buf, size - 1, &len);

        buf[a == MODEL_ANSWER_DATA ? len : 0] = '\0';
        return a;
}

/* Every inquiry this model supports formats, decodes as the same command, and formatting the
 * decoded values again gives the very same bytes (widths as firmware prints them survive). */
static void check_inquiries(Model *m, const char *what)
{
        for (int c = 0; c < _PI30_CMD_MAX; c++) {
                const Pi30CommandInfo *ci = pi30_command_info(c);
                char req[32], buf[512], again[512];
                Pi30Value values[_PI30_FIELD_MAX];
                Pi30DecodeResult res;
                int param = ci->param_digits == 0   ? -1
                            : c == PI30_CMD_QPGS    ? 1
                            : ci->param_digits == 4 ? 2026
                            : ci->param_digits == 6 ? 202601
                                                    : 20260101;
                ModelAnswer a;
                ssize_t n;

                CHECK(pi30_command_format(c, param, req, sizeof req) >= 0, "%s format", ci->name);
                a = answer(m, req, buf, sizeof buf);
                if (!m->supported[c] || (c == PI30_CMD_QPGS && m->n_units < 2)) {
                        CHECK(a == MODEL_ANSWER_NAK, "%s: %s should be NAKed", what, req);
                        continue;
                }
                CHECK(a == MODEL_ANSWER_DATA, "%s: %s not answered", what, req);
                if (a != MODEL_ANSWER_DATA)
                        continue;
                memset(values, 0, sizeof values);
                CHECK(pi30_decode(c, buf, strlen(buf), values, &res) >= 0,
                      "%s: %s answer \"%s\" does not decode", what, req, buf);
                n = pi30_answer_format(c, res.layout, res.n_tokens, values, again,
                                       sizeof again - 1);
                CHECK(n >= 0, "%s: %s re-format", what, req);
                if (n >= 0) {
                        again[n] = '\0';
                        CHECK(streq(again, buf), "%s: %s \"%s\" != \"%s\"", what, req, buf, again);
                }
        }
}

/* The model's own settings must be values the library would send: otherwise a client that
 * reads them and writes them back would be refused. */
static void check_defaults_valid(Model *m, const char *what)
{
        const Pi30Value *cc = &m->values[PI30_F_CHARGING_CURRENT_OPTIONS];
        const Pi30Value *ac = &m->values[PI30_F_AC_CHARGING_CURRENT_OPTIONS];
        Pi30Limits limits = {
                        .battery_rating = m->values[PI30_F_BATTERY_RATING_VOLTAGE].d,
                        .charging_current_options = cc->list,
                        .n_charging_current_options = cc->n,
                        .ac_charging_current_options = ac->list,
                        .n_ac_charging_current_options = ac->n,
        };

        for (int s = 0; s < _PI30_SET_MAX; s++) {
                const Pi30SettingInfo *si = pi30_setting_info(s);
                const Pi30Value *v;
                Pi30SettingArg arg = {0};
                char cmd[64], err[256] = "", buf[64];
                int r;

                if (streq(si->signature, "sb"))
                        continue;
                v = &m->values[si->field];
                CHECK(pi30_value_valid(v), "%s: %s has no value", what, si->method);
                if (streq(si->signature, "s"))
                        arg.s = v->name;
                else
                        arg.d = v->d;
                r = pi30_setting_encode(s, &arg, &limits, -1, cmd, sizeof cmd, err, sizeof err);
                CHECK(r >= 0, "%s: default of %s refused: %s", what, si->method, err);
                if (r < 0)
                        continue;
                /* And the model ACKs its own current value. */
                CHECK(answer(m, cmd, buf, sizeof buf) == MODEL_ANSWER_ACK, "%s: %s not ACKed", what,
                      cmd);
        }
}

static void check_setters(void)
{
        Model *m = NULL;
        char buf[512], text[128], err[256];

        CHECK(model_new(MODEL_CLASSIC, 48, 1, &m) == 0, "model_new");
        if (!m)
                return;

        CHECK(answer(m, "POP02", buf, sizeof buf) == MODEL_ANSWER_ACK, "POP02");
        CHECK(model_get_text(m, -1, "OutputSourcePriority", text, sizeof text, err, sizeof err) ==
                              0,
              "get: %s", err);
        CHECK(streq(text, "sbu"), "OutputSourcePriority=%s", text);

        CHECK(answer(m, "PBCV47.0", buf, sizeof buf) == MODEL_ANSWER_ACK, "PBCV47.0");
        CHECK(m->values[PI30_F_BATTERY_RECHARGE_VOLTAGE].d == 47.0, "recharge %f",
              m->values[PI30_F_BATTERY_RECHARGE_VOLTAGE].d);
        CHECK(answer(m, "QPIRI", buf, sizeof buf) == MODEL_ANSWER_DATA &&
                              strstr(buf, " 48.0 47.0 42.0 ") != NULL,
              "PBCV47.0 not shown as firmware prints it: \"%s\"", buf);
        CHECK(answer(m, "PBCV60.0", buf, sizeof buf) == MODEL_ANSWER_NAK, "PBCV60.0 out of range");
        CHECK(m->values[PI30_F_BATTERY_RECHARGE_VOLTAGE].d == 47.0, "NAK changed the value");
        CHECK(answer(m, "PBCV47", buf, sizeof buf) == MODEL_ANSWER_NAK, "PBCV47 misspelt");

        CHECK(answer(m, "MCHGC040", buf, sizeof buf) == MODEL_ANSWER_ACK, "MCHGC040");
        CHECK(m->values[PI30_F_MAX_CHARGING_CURRENT].d == 40, "max charging current %f",
              m->values[PI30_F_MAX_CHARGING_CURRENT].d);
        CHECK(answer(m, "MCHGC045", buf, sizeof buf) == MODEL_ANSWER_NAK, "45 A not an option");

        CHECK(answer(m, "PDa", buf, sizeof buf) == MODEL_ANSWER_ACK, "PDa");
        CHECK(answer(m, "QFLAG", buf, sizeof buf) == MODEL_ANSWER_DATA, "QFLAG");
        CHECK(strchr(strchr(buf, 'D'), 'a') != NULL, "buzzer not disabled in \"%s\"", buf);

        CHECK(answer(m, "QXYZ", buf, sizeof buf) == MODEL_ANSWER_NAK, "unknown");
        CHECK(answer(m, "qpigs", buf, sizeof buf) == MODEL_ANSWER_NAK, "lower case");
        CHECK(answer(m, "QPIGS2", buf, sizeof buf) == MODEL_ANSWER_NAK, "classic has no QPIGS2");
        CHECK(answer(m, "QPGS0", buf, sizeof buf) == MODEL_ANSWER_NAK, "single unit, no QPGS");

        /* set/get through names from the table, with errors that say why. */
        CHECK(model_set_text(m, -1, "BatteryVoltage", "51.2", err, sizeof err) == 0, "%s", err);
        CHECK(model_get_text(m, -1, "BatteryVoltage", text, sizeof text, err, sizeof err) == 0,
              "%s", err);
        CHECK(streq(text, "51.20"), "BatteryVoltage=%s", text);
        CHECK(model_set_text(m, -1, "Mode", "battery", err, sizeof err) == 0, "%s", err);
        CHECK(answer(m, "QMOD", buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "B"),
              "QMOD \"%s\"", buf);
        CHECK(model_set_text(m, -1, "Mode", "flying", err, sizeof err) < 0, "bad enum");
        CHECK(strstr(err, "flying") != NULL, "error names the value: %s", err);
        CHECK(model_set_text(m, -1, "NoSuchField", "1", err, sizeof err) < 0, "bad name");
        CHECK(model_set_text(m, -1, "BatteryVoltage", "abc", err, sizeof err) < 0, "bad number");
        CHECK(model_set_text(m, -1, "BatteryVoltage", "123456", err, sizeof err) < 0,
              "a value wider than the field must be refused");
        CHECK(model_get_text(m, -1, "BatteryVoltage", text, sizeof text, err, sizeof err) == 0 &&
                              streq(text, "51.20"),
              "refused set changed the value: %s", text);
        model_free(m);
}

static void check_parallel(void)
{
        Model *m = NULL;
        char buf[512], text[64], err[256];

        CHECK(model_new(MODEL_MAX, 48, 2, &m) == 0, "model_new parallel");
        if (!m)
                return;
        CHECK(answer(m, "QPGS0", buf, sizeof buf) == MODEL_ANSWER_DATA && buf[0] == '1',
              "QPGS0 \"%s\"", buf);
        CHECK(strstr(buf, "92932105105335") != NULL, "unit 0 serial in \"%s\"", buf);
        CHECK(answer(m, "QPGS1", buf, sizeof buf) == MODEL_ANSWER_DATA && buf[0] == '1',
              "QPGS1 \"%s\"", buf);
        CHECK(strstr(buf, "92932105105336") != NULL, "unit 1 serial in \"%s\"", buf);
        CHECK(answer(m, "QPGS2", buf, sizeof buf) == MODEL_ANSWER_DATA &&
                              strncmp(buf, "0 00000000000000 ", 17) == 0,
              "QPGS2 should not exist: \"%s\"", buf);
        CHECK(model_set_text(m, 1, "BatteryVoltage", "50.1", err, sizeof err) == 0, "%s", err);
        CHECK(model_get_text(m, 1, "BatteryVoltage", text, sizeof text, err, sizeof err) == 0 &&
                              streq(text, "50.1"),
              "unit 1 BatteryVoltage=%s", text);
        CHECK(model_set_text(m, 5, "BatteryVoltage", "50.1", err, sizeof err) < 0, "unit 5");
        model_free(m);
}

static void check_day(void)
{
        Model *m = NULL;
        char buf[512];

        CHECK(model_new(MODEL_MAX, 48, 2, &m) == 0, "model_new day");
        if (!m)
                return;
        scenario_day_apply(m, 0.5);
        CHECK(m->values[PI30_F_PV_INPUT_VOLTAGE].d > 100, "noon PV %f",
              m->values[PI30_F_PV_INPUT_VOLTAGE].d);
        CHECK(answer(m, "QMOD", buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "B"),
              "noon mode %s", buf);
        check_inquiries(m, "day noon");
        scenario_day_apply(m, 0.25);
        CHECK(m->values[PI30_F_PV_INPUT_VOLTAGE].d == 0, "dawn PV %f",
              m->values[PI30_F_PV_INPUT_VOLTAGE].d);
        CHECK(answer(m, "QMOD", buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "L"),
              "dawn mode %s", buf);
        CHECK(answer(m, "QPIWS", buf, sizeof buf) == MODEL_ANSWER_DATA && buf[12] == '1',
              "dawn warning %s", buf);
        check_inquiries(m, "day dawn");
        model_free(m);
}

typedef struct DumpLines {
        size_t n;
        char name[_PI30_FIELD_MAX][64];
        char value[_PI30_FIELD_MAX][PI30_STRING_MAX * 4];
} DumpLines;

static void dump_collect(const char *name, const char *value, void *userdata)
{
        DumpLines *d = userdata;

        if (d->n >= _PI30_FIELD_MAX)
                return;
        snprintf(d->name[d->n], sizeof d->name[d->n], "%s", name);
        snprintf(d->value[d->n], sizeof d->value[d->n], "%s", value);
        d->n++;
}

/* dump lists every field of the table once (the inverter's, or a unit's), each exactly as get
 * prints it for that name; fields no answer of the model carries are '-'. */
static void check_dump_one(Model *m, int unit, const char *what)
{
        static DumpLines d;
        char err[256] = "", text[PI30_STRING_MAX * 4];
        size_t expected = 0;

        memset(&d, 0, sizeof d);
        CHECK(model_dump(m, unit, dump_collect, &d, err, sizeof err) == 0, "%s: dump: %s", what,
              err);
        for (int f = 0; f < _PI30_FIELD_MAX; f++) {
                const Pi30FieldInfo *fi = pi30_field_info(f);
                if (fi && fi->name && (fi->command == PI30_CMD_QPGS) == (unit >= 0))
                        expected++;
        }
        CHECK(d.n == expected && d.n > 0, "%s: dump has %zu lines, the table %zu fields", what, d.n,
              expected);
        for (size_t i = 0; i < d.n; i++) {
                for (size_t j = 0; j < i; j++)
                        CHECK(!streq(d.name[i], d.name[j]), "%s: %s twice in dump", what,
                              d.name[i]);
                CHECK(model_get_text(m, unit, d.name[i], text, sizeof text, err, sizeof err) == 0,
                      "%s: get %s: %s", what, d.name[i], err);
                CHECK(streq(text, d.value[i]), "%s: dump %s=%s, get %s", what, d.name[i],
                      d.value[i], text);
        }
}

static const char *dump_value(Model *m, const char *name)
{
        static DumpLines d;
        char err[256];

        memset(&d, 0, sizeof d);
        (void)model_dump(m, -1, dump_collect, &d, err, sizeof err);
        for (size_t i = 0; i < d.n; i++)
                if (streq(d.name[i], name))
                        return d.value[i];
        return NULL;
}

static void check_dump(void)
{
        Model *m = NULL;
        const char *v;
        char err[256] = "";

        CHECK(model_new(MODEL_CLASSIC, 48, 1, &m) == 0, "model_new");
        if (!m)
                return;
        check_dump_one(m, -1, "classic");
        v = dump_value(m, "SerialNumber");
        CHECK(v && streq(v, "92932105105335"), "SerialNumber=%s", v ? v : "(none)");
        v = dump_value(m, "ProtocolId");
        CHECK(v && streq(v, "PI30"), "ProtocolId=%s", v ? v : "(none)");
        v = dump_value(m, "FirmwareVersion2");
        CHECK(v && streq(v, "00041.19"), "FirmwareVersion2=%s", v ? v : "(none)");
        v = dump_value(m, "Mode");
        CHECK(v && streq(v, "line"), "Mode=%s", v ? v : "(none)");
        /* A classic unit NAKs QPIGS2: its fields are not part of its state. */
        v = dump_value(m, "Pv2InputVoltage");
        CHECK(v && streq(v, "-"), "classic Pv2InputVoltage=%s", v ? v : "(none)");
        CHECK(model_set_text(m, -1, "Pv2InputVoltage", "100", err, sizeof err) == -EOPNOTSUPP,
              "a field the model never sends was set");
        CHECK(strstr(err, "no answer") != NULL, "error says why: %s", err);
        CHECK(model_dump(m, 0, dump_collect, &(DumpLines){0}, err, sizeof err) < 0,
              "unit dump of a single inverter");
        CHECK(model_set_text(m, -1, "BatteryVoltage", "49.9", err, sizeof err) == 0, "%s", err);
        v = dump_value(m, "BatteryVoltage");
        CHECK(v && streq(v, "49.90"), "BatteryVoltage after set=%s", v ? v : "(none)");
        model_free(m);

        CHECK(model_new(MODEL_MAX, 24, 3, &m) == 0, "model_new max");
        if (!m)
                return;
        check_dump_one(m, -1, "max");
        check_dump_one(m, 0, "max unit 0");
        check_dump_one(m, 2, "max unit 2");
        v = dump_value(m, "Pv2InputVoltage");
        CHECK(v && !streq(v, "-"), "max Pv2InputVoltage=%s", v ? v : "(none)");
        model_free(m);
}

/* One-shot rules: exact names, bare names of commands with a parameter, '*' prefixes; counts
 * run out; bad input is refused and changes nothing. */
static void check_rules(void)
{
        static Sim sim;
        SimRuleKind k;
        char err[256] = "";

        memset(&sim, 0, sizeof sim);
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QPIGS", 2, err, sizeof err) == 0, "%s", err);
        CHECK(!sim_rule_take(&sim, "QPIGS2", &k), "QPIGS matched QPIGS2");
        CHECK(!sim_rule_take(&sim, "QPIRI", &k), "QPIGS matched QPIRI");
        CHECK(sim_rule_take(&sim, "QPIGS", &k) && k == SIM_RULE_NAK, "QPIGS 1");
        CHECK(sim_rule_take(&sim, "QPIGS", &k), "QPIGS 2");
        CHECK(!sim_rule_take(&sim, "QPIGS", &k), "QPIGS 3: the count ran out");
        CHECK(sim.n_rules == 0, "used-up rule stays: %zu", sim.n_rules);

        CHECK(sim_rule_add(&sim, SIM_RULE_SILENCE, "QPGS", 1, err, sizeof err) == 0, "%s", err);
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QED", 1, err, sizeof err) == 0, "%s", err);
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QVFW", 1, err, sizeof err) == 0, "%s", err);
        CHECK(!sim_rule_take(&sim, "QPGSX", &k), "QPGS matched QPGSX");
        CHECK(sim_rule_take(&sim, "QPGS1", &k) && k == SIM_RULE_SILENCE, "QPGS1");
        CHECK(sim_rule_take(&sim, "QED20260101", &k) && k == SIM_RULE_NAK, "QED20260101");
        CHECK(!sim_rule_take(&sim, "QVFW2", &k), "QVFW matched QVFW2 (no parameter)");
        CHECK(sim_rule_take(&sim, "QVFW", &k), "QVFW");

        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QPIGS*", 2, err, sizeof err) == 0, "%s", err);
        CHECK(sim_rule_take(&sim, "QPIGS2", &k), "QPIGS* QPIGS2");
        CHECK(sim_rule_take(&sim, "QPIGS", &k), "QPIGS* QPIGS");
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "POP02", 1, err, sizeof err) == 0, "%s", err);
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "POP02", 2, err, sizeof err) == 0, "%s", err);
        CHECK(sim.n_rules == 1 && sim.rules[0].count == 3, "same rule twice: %zu rules",
              sim.n_rules);
        sim_rules_clear(&sim);
        CHECK(sim.n_rules == 0, "clear");

        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "", 1, err, sizeof err) < 0, "empty command");
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "Q*PI", 1, err, sizeof err) < 0, "inner *");
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "(QPI", 1, err, sizeof err) < 0, "'('");
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QPI", 0, err, sizeof err) < 0, "count 0");
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QPI", SIM_RULE_COUNT_MAX + 1, err, sizeof err) < 0,
              "count too big");
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QPIGSQPIGSQPIGSQPIGSQPIGSQPIGSQPI", 1, err,
                           sizeof err) < 0,
              "33 characters");
        for (int i = 0; i < SIM_RULES_MAX; i++) {
                char cmd[16];
                snprintf(cmd, sizeof cmd, "X%d", i);
                CHECK(sim_rule_add(&sim, SIM_RULE_NAK, cmd, 1, err, sizeof err) == 0, "%s", err);
        }
        CHECK(sim_rule_add(&sim, SIM_RULE_NAK, "QPI", 1, err, sizeof err) == -ENOSPC,
              "more rules than room");
        CHECK(sim.n_rules == SIM_RULES_MAX, "refused input changed the rules: %zu", sim.n_rules);
}

static void check_replay(void)
{
        char path[] = "/tmp/test-sim-replay-XXXXXX";
        Replay *r = NULL;
        uint8_t buf[256];
        char err[256] = "";
        size_t n;
        int fd = mkstemp(path);
        FILE *f;

        CHECK(fd >= 0, "mkstemp");
        if (fd < 0)
                return;
        f = fdopen(fd, "w");
        fputs("command\tresponse\tsource\tnotes\n", f);
        fputs("QPI\t(PI30\\x9a\\x0b\\r\tsrc\tCRC OK\n", f);
        fputs("QMOD\t(L\\x06\\x07\\r\n", f);
        fputs("QMOD\t(B\\xe7\\xc9\\r\n", f);
        fclose(f);

        CHECK(replay_load(path, &r, err, sizeof err) == 0, "load: %s", err);
        if (r) {
                CHECK(replay_count(r) == 3, "count %zu", replay_count(r));
                n = replay_answer(r, "QPI", buf, sizeof buf);
                CHECK(n == 8 && memcmp(buf, "(PI30\x9a\x0b\r", 8) == 0, "QPI bytes");
                n = replay_answer(r, "QMOD", buf, sizeof buf);
                CHECK(n == 5 && buf[1] == 'L', "first QMOD");
                n = replay_answer(r, "QMOD", buf, sizeof buf);
                CHECK(n == 5 && buf[1] == 'B', "second QMOD");
                n = replay_answer(r, "QMOD", buf, sizeof buf);
                CHECK(n == 5 && buf[1] == 'L', "QMOD turns around");
                n = replay_answer(r, "QXX", buf, sizeof buf);
                CHECK(n == 7 && memcmp(buf, "(NAKss\r", 7) == 0, "unknown -> NAK");
                replay_free(r);
                r = NULL;
        }

        f = fopen(path, "w");
        fputs("QPI\t(PI30\\q\n", f);
        fclose(f);
        CHECK(replay_load(path, &r, err, sizeof err) < 0, "bad escape accepted");
        CHECK(strstr(err, "line 1") != NULL, "error names the line: %s", err);
        unlink(path);
}

static bool near(double a, double b)
{
        return fabs(a - b) <= 1e-9 * fmax(1, fabs(b));
}

/* The ground truth is the exact integral of piecewise-constant powers over the steps given,
 * booked on the device clock's day, and the counters are it in whole Wh. */
static void check_energy(void)
{
        const uint64_t s = 1000000; /* µs per second */
        time_t noon = 1780833600;   /* 2026-06-07 12:00 UTC: the middle of a day everywhere */
        char buf[512], req[32], day[16], error[256], value[64];
        Model *m = NULL;
        ModelPowers p;
        uint32_t today;

        CHECK(model_new(MODEL_MAX, 48, 1, &m) == 0, "model_new");
        if (!m)
                return;
        CHECK(model_set_text(m, -1, "Mode", "line", error, sizeof error) == 0, "%s", error);
        CHECK(model_set_text(m, -1, "PvChargingPower", "1000", error, sizeof error) == 0, "%s",
              error);
        CHECK(model_set_text(m, -1, "Pv2InputPower", "500", error, sizeof error) == 0, "%s", error);
        CHECK(model_set_text(m, -1, "AcOutputActivePower", "1800", error, sizeof error) == 0, "%s",
              error);
        CHECK(model_set_text(m, -1, "BatteryVoltage", "50.00", error, sizeof error) == 0, "%s",
              error);
        CHECK(model_set_text(m, -1, "BatteryChargingCurrent", "10", error, sizeof error) == 0, "%s",
              error);
        CHECK(model_set_text(m, -1, "BatteryDischargeCurrent", "0", error, sizeof error) == 0, "%s",
              error);
        model_powers(m, &p);
        CHECK(p.pv == 1500 && p.load == 1800 && p.battery_charge == 500 &&
                              p.battery_discharge == 0 && p.grid == 800,
              "powers %g %g %g %g %g", p.pv, p.load, p.battery_charge, p.battery_discharge, p.grid);

        model_energy_advance(m, 10 * s, noon); /* the start: nothing yet */
        CHECK(m->energy.pv_wh == 0, "started with %g", m->energy.pv_wh);
        model_energy_advance(m, 10 * s + 3600 * s, noon + 3600); /* one hour */
        CHECK(near(m->energy.pv_wh, 1500) && near(m->energy.load_wh, 1800) &&
                              near(m->energy.battery_charge_wh, 500) &&
                              near(m->energy.battery_discharge_wh, 0) &&
                              near(m->energy.grid_wh, 800),
              "after 1 h: %g %g %g %g %g", m->energy.pv_wh, m->energy.load_wh,
              m->energy.battery_charge_wh, m->energy.battery_discharge_wh, m->energy.grid_wh);
        /* Battery mode for 90 s: no grid, the battery gives. */
        CHECK(model_set_text(m, -1, "Mode", "battery", error, sizeof error) == 0, "%s", error);
        CHECK(model_set_text(m, -1, "BatteryChargingCurrent", "0", error, sizeof error) == 0, "%s",
              error);
        CHECK(model_set_text(m, -1, "BatteryDischargeCurrent", "20", error, sizeof error) == 0,
              "%s", error);
        model_energy_advance(m, 10 * s + 3690 * s, noon + 3690);
        CHECK(near(m->energy.pv_wh, 1500 + 1500 * 90 / 3600.0) &&
                              near(m->energy.battery_discharge_wh, 1000 * 90 / 3600.0) &&
                              near(m->energy.grid_wh, 800),
              "after battery mode: %g %g %g", m->energy.pv_wh, m->energy.battery_discharge_wh,
              m->energy.grid_wh);
        /* A step back in time (cannot happen with CLOCK_MONOTONIC) counts nothing. */
        model_energy_advance(m, 5 * s, noon + 3690);
        CHECK(near(m->energy.pv_wh, 1537.5), "backwards: %g", m->energy.pv_wh);

        /* The counters: whole Wh on top of the sample answers' bases; today's from 0. */
        today = model_device_date(m, noon + 3690);
        snprintf(day, sizeof day, "%u", today);
        CHECK(answer(m, "QET", buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00240337"),
              "QET %s", buf);
        snprintf(req, sizeof req, "QED%s", day);
        CHECK(answer(m, req, buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00001537"),
              "%s %s", req, buf);
        snprintf(req, sizeof req, "QLD%s", day);
        CHECK(answer(m, req, buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00001845"),
              "%s %s", req, buf);
        CHECK(answer(m, "QLT", buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00312045"),
              "QLT %s", buf);
        snprintf(req, sizeof req, "QEM%.6s", day);
        CHECK(answer(m, req, buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00013837"),
              "%s %s", req, buf);
        snprintf(req, sizeof req, "QEY%.4s", day);
        CHECK(answer(m, req, buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00124937"),
              "%s %s", req, buf);
        CHECK(answer(m, "QED20200101", buf, sizeof buf) == MODEL_ANSWER_DATA &&
                              streq(buf, "00000000"),
              "QED of an unknown day %s", buf);
        CHECK(model_get_text(m, -1, "PvEnergyToday", value, sizeof value, error, sizeof error) ==
                                              0 &&
                              streq(value, "1537"),
              "get PvEnergyToday %s", value);

        /* Another device date: its own day, the old one kept. */
        m->clock_offset = 86400 * 3;
        model_energy_advance(m, 10 * s + 3690 * s + 3600 * s, noon + 3690 + 3600);
        snprintf(req, sizeof req, "QED%u", model_device_date(m, noon + 7290));
        CHECK(answer(m, req, buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00001500"),
              "%s %s", req, buf);
        snprintf(req, sizeof req, "QED%s", day);
        CHECK(answer(m, req, buf, sizeof buf) == MODEL_ANSWER_DATA && streq(buf, "00001537"),
              "%s %s", req, buf);
        CHECK(answer(m, "QT", buf, sizeof buf) == MODEL_ANSWER_DATA && strlen(buf) == 14, "QT %s",
              buf);
        model_free(m);

        /* The classic model has neither clock nor counters, but a ground truth. */
        CHECK(model_new(MODEL_CLASSIC, 48, 1, &m) == 0, "model_new");
        if (!m)
                return;
        CHECK(answer(m, "QT", buf, sizeof buf) == MODEL_ANSWER_NAK, "classic QT");
        CHECK(answer(m, "QET", buf, sizeof buf) == MODEL_ANSWER_NAK, "classic QET");
        CHECK(answer(m, "QLD20260101", buf, sizeof buf) == MODEL_ANSWER_NAK, "classic QLD");
        model_energy_advance(m, s, noon);
        model_energy_advance(m, 3601 * s, noon + 3600);
        model_powers(m, &p);
        CHECK(p.pv == 874 && near(m->energy.pv_wh, 874), "classic PV %g, %g Wh", p.pv,
              m->energy.pv_wh);
        model_free(m);
        /* A parallel system: the units' PV (V x A of both trackers), load, and battery currents
         * at the inverter's battery voltage. */
        CHECK(model_new(MODEL_MAX, 48, 2, &m) == 0, "model_new parallel");
        if (!m)
                return;
        static const char *const sets[][3] = {
                        {"0", "PvInputVoltage", "300.0"},
                        {"0", "PvInputCurrent", "10"},
                        {"0", "Pv2InputVoltage", "200.0"},
                        {"0", "Pv2InputCurrent", "5"},
                        {"1", "PvInputVoltage", "250.0"},
                        {"1", "PvInputCurrent", "4"},
                        {"1", "Pv2InputVoltage", "000.0"},
                        {"1", "Pv2InputCurrent", "0"},
                        {"0", "AcOutputActivePower", "1000"},
                        {"1", "AcOutputActivePower", "700"},
                        {"0", "BatteryChargingCurrent", "20"},
                        {"1", "BatteryChargingCurrent", "10"},
                        {"0", "BatteryDischargeCurrent", "0"},
                        {"1", "BatteryDischargeCurrent", "2"},
        };
        for (size_t i = 0; i < ELEMENTSOF(sets); i++)
                CHECK(model_set_text(m, sets[i][0][0] - '0', sets[i][1], sets[i][2], error,
                                     sizeof error) == 0,
                      "unit %s %s: %s", sets[i][0], sets[i][1], error);
        CHECK(model_set_text(m, -1, "BatteryVoltage", "50.00", error, sizeof error) == 0, "%s",
              error);
        CHECK(model_set_text(m, -1, "Mode", "line", error, sizeof error) == 0, "%s", error);
        model_powers(m, &p);
        CHECK(p.pv == 3000 + 1000 + 1000 && p.load == 1700 && p.battery_charge == 1500 &&
                              p.battery_discharge == 100 && p.grid == 0,
              "parallel powers %g %g %g %g %g", p.pv, p.load, p.battery_charge, p.battery_discharge,
              p.grid);
        model_free(m);
}

int main(void)
{
        static const ModelKind kinds[] = {MODEL_CLASSIC, MODEL_MAX};
        static const unsigned batteries[] = {12, 24, 48};

        for (size_t k = 0; k < 2; k++)
                for (size_t b = 0; b < 3; b++)
                        for (unsigned units = 1; units <= 3; units += 2) {
                                Model *m = NULL;
                                char what[64];
                                int r;

                                snprintf(what, sizeof what, "%s %u V %u unit(s)",
                                         model_kind_to_string(kinds[k]), batteries[b], units);
                                r = model_new(kinds[k], batteries[b], units, &m);
                                CHECK(r == 0, "%s: model_new: %s", what, strerror(-r));
                                if (r < 0)
                                        continue;
                                check_inquiries(m, what);
                                check_defaults_valid(m, what);
                                model_free(m);
                        }

        check_setters();
        check_parallel();
        check_day();
        check_replay();
        check_dump();
        check_rules();
        check_energy();

        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all checks passed\n");
        return EXIT_SUCCESS;
}
