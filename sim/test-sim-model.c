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
                int param = ci->param_digits == 0 ? -1
                            : c == PI30_CMD_QPGS  ? 1
                            : c == PI30_CMD_QEY   ? 2026
                            : c == PI30_CMD_QEM   ? 202601
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

        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all checks passed\n");
        return EXIT_SUCCESS;
}
