/* Live values: a compressed solar day (PV rises and falls, the battery charges and discharges,
 * the inverter switches between line and battery, a low-battery warning comes and goes). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "scenario.h"

static const char *const scenario_names[_SCENARIO_MAX] = {
                [SCENARIO_STATIC] = "static",
                [SCENARIO_DAY] = "day",
};

int scenario_from_string(const char *s)
{
        for (int k = 0; k < _SCENARIO_MAX; k++)
                if (streq(s, scenario_names[k]))
                        return k;
        return -EINVAL;
}

/* QPIWS position 13 (index 12): battery low alarm. */
#define WARNING_BATTERY_LOW 12
#define SOC_LINE_BELOW 30.0
#define SOC_WARNING_BELOW 25.0

static void set_mode_letter(Model *m, Pi30Value *values, Pi30Field f, char letter)
{
        const Pi30FieldInfo *fi = pi30_field_info(f);

        if (fi && fi->enums)
                (void)model_set_enum(m, values, f, pi30_enum_name(fi->enums, letter));
}

static void set_warning(Model *m, bool on)
{
        Pi30Value *v = &m->values[PI30_F_WARNING_STATUS];
        char s[PI30_STRING_MAX];
        uint8_t w = v->width;

        if (!pi30_value_valid(v) || strlen(v->s) <= WARNING_BATTERY_LOW)
                return;
        snprintf(s, sizeof s, "%s", v->s);
        s[WARNING_BATTERY_LOW] = on ? '1' : '0';
        (void)pi30_value_set_bits(v, s);
        v->width = w;
}

void scenario_day_apply(Model *m, double x)
{
        double scale = m->battery / 48.0;
        bool max = m->kind == MODEL_MAX;
        double rated_va = model_get_number(m->values, PI30_F_AC_OUTPUT_RATING_APPARENT_POWER);
        double pv_peak = max ? 6000 : 3000;
        double sun, pv, pv_v, load, soc, v_batt, net, charge_a = 0, discharge_a = 0, ac_a = 0;
        bool charging = x > 0.25 && x < 0.75;
        bool line;
        Pi30Value *val = m->values;

        if (!isfinite(rated_va) || rated_va <= 0)
                rated_va = 5000;

        sun = x > 0.25 && x < 0.75 ? sin(M_PI * (x - 0.25) / 0.5) : 0;
        pv = round(pv_peak * sun);
        pv_v = sun > 0 ? round((260 + 90 * sun) * 10) / 10 : 0;
        /* A household: a base load and an evening peak. */
        load = round(300 + 900 * fmax(0, sin(2 * M_PI * (x - 0.65))));
        /* Emptiest at sunrise, fullest at sunset. */
        soc = round(55 - 40 * cos(2 * M_PI * (x - 0.25)));
        line = soc < SOC_LINE_BELOW;
        v_batt = round((46.0 + 8.0 * soc / 100 + (charging ? 1.0 : 0)) * scale * 100) / 100;

        net = pv - (line ? 0 : load);
        if (net > 0 && charging)
                charge_a = round(net / v_batt);
        else if (!line)
                discharge_a = round(-net / v_batt);
        if (line && !charging) {
                ac_a = 10;
                charge_a += ac_a;
        }
        if (charge_a > 999)
                charge_a = 999;
        if (discharge_a > 99999)
                discharge_a = 99999;

        model_set_number(m, val, PI30_F_GRID_VOLTAGE, 230.0);
        model_set_number(m, val, PI30_F_AC_OUTPUT_ACTIVE_POWER, load);
        model_set_number(m, val, PI30_F_AC_OUTPUT_APPARENT_POWER, round(load * 1.15));
        model_set_number(m, val, PI30_F_AC_OUTPUT_LOAD_PERCENT,
                         fmin(100, round(load * 1.15 * 100 / rated_va)));
        model_set_number(m, val, PI30_F_BATTERY_VOLTAGE, v_batt);
        model_set_number(m, val, PI30_F_BATTERY_VOLTAGE_FROM_SCC, pv > 0 ? v_batt : 0);
        model_set_number(m, val, PI30_F_BATTERY_CHARGING_CURRENT, charge_a);
        model_set_number(m, val, PI30_F_BATTERY_DISCHARGE_CURRENT, discharge_a);
        model_set_number(m, val, PI30_F_BATTERY_CAPACITY, soc);
        model_set_number(m, val, PI30_F_HEATSINK_TEMPERATURE, round(30 + 20 * load / rated_va));
        model_set_number(m, val, PI30_F_PV_INPUT_VOLTAGE, pv_v);
        model_set_number(m, val, PI30_F_PV_INPUT_CURRENT,
                         pv_v > 0 ? round(pv / pv_v * 10) / 10 : 0);
        model_set_number(m, val, PI30_F_PV_CHARGING_POWER, pv);
        model_set_bool(m, val, PI30_F_LOAD_ON, true);
        model_set_bool(m, val, PI30_F_CHARGING, charge_a > 0);
        model_set_bool(m, val, PI30_F_SCC_CHARGING, charge_a > 0 && pv > 0);
        model_set_bool(m, val, PI30_F_AC_CHARGING, ac_a > 0);
        if (max && m->supported[PI30_CMD_QPIGS2]) {
                double pv2 = round(pv * 0.8),
                       pv2_v = sun > 0 ? round((240 + 80 * sun) * 10) / 10 : 0;
                model_set_number(m, val, PI30_F_PV2_INPUT_VOLTAGE, pv2_v);
                model_set_number(m, val, PI30_F_PV2_INPUT_CURRENT,
                                 pv2_v > 0 ? round(pv2 / pv2_v * 10) / 10 : 0);
                model_set_number(m, val, PI30_F_PV2_INPUT_POWER, pv2);
        }
        set_mode_letter(m, val, PI30_F_MODE, line ? 'L' : 'B');
        set_warning(m, soc < SOC_WARNING_BELOW);

        /* The units of a parallel system share the load and the sun. */
        for (unsigned i = 0; i < m->n_units && m->units; i++) {
                Pi30Value *u = m->units[i];
                double share = 1.0 / m->n_units;

                set_mode_letter(m, u, PI30_F_UNIT_MODE, line ? 'L' : 'B');
                model_set_number(m, u, PI30_F_UNIT_BATTERY_VOLTAGE, round(v_batt * 10) / 10);
                model_set_number(m, u, PI30_F_UNIT_BATTERY_CHARGING_CURRENT,
                                 round(charge_a * share));
                model_set_number(m, u, PI30_F_UNIT_BATTERY_DISCHARGE_CURRENT,
                                 round(discharge_a * share));
                model_set_number(m, u, PI30_F_UNIT_BATTERY_CAPACITY, soc);
                model_set_number(m, u, PI30_F_UNIT_PV_INPUT_VOLTAGE, pv_v);
                model_set_number(m, u, PI30_F_UNIT_PV_INPUT_CURRENT,
                                 pv_v > 0 ? round(pv * share / pv_v) : 0);
                model_set_number(m, u, PI30_F_UNIT_AC_OUTPUT_ACTIVE_POWER, round(load * share));
                model_set_number(m, u, PI30_F_UNIT_AC_OUTPUT_APPARENT_POWER,
                                 round(load * 1.15 * share));
                model_set_number(m, u, PI30_F_UNIT_AC_OUTPUT_LOAD_PERCENT,
                                 fmin(100, round(load * 1.15 * share * 100 / rated_va)));
                model_set_bool(m, u, PI30_F_UNIT_SCC_CHARGING, charge_a > 0 && pv > 0);
                model_set_bool(m, u, PI30_F_UNIT_AC_CHARGING, ac_a > 0);
        }
}

typedef struct Scenario {
        Sim *sim;
        uint64_t start, period, last;
        sd_event_source *timer;
} Scenario;

static Scenario scenario;

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        Scenario *sc = userdata;
        Model *m = sc->sim->model;
        uint64_t elapsed = usec - sc->start;
        double x = (double)(elapsed % sc->period) / (double)sc->period;
        uint64_t step = sc->period / 240;

        /* The energy ground truth counts real time (and so do the inverter's counters, which
         * are made from it): what the powers were until now is booked before they change. */
        model_energy_update(m);
        scenario_day_apply(m, x);
        sc->last = usec;

        if (step < 100 * USEC_PER_MSEC)
                step = 100 * USEC_PER_MSEC;
        if (step > USEC_PER_SEC)
                step = USEC_PER_SEC;
        (void)sd_event_source_set_time(s, usec + step);
        return 0;
}

int scenario_start(Sim *sim, ScenarioKind kind, uint64_t period_usec)
{
        uint64_t now;
        int r;

        if (kind == SCENARIO_STATIC)
                return 0;
        if (period_usec == 0)
                return -EINVAL;

        (void)sd_event_now(sim->event, CLOCK_MONOTONIC, &now);
        /* Start at dawn, so a short demo sees the sun first. */
        scenario = (Scenario){.sim = sim, .period = period_usec, .last = now};
        scenario.start = now - period_usec / 5;

        /* Accuracy 0 would mean sd-event's default of 250 ms, coarser than a short day's tick. */
        r = sd_event_add_time(sim->event, &scenario.timer, CLOCK_MONOTONIC, now, 10 * USEC_PER_MSEC,
                              on_tick, &scenario);
        if (r < 0)
                return log_error_errno(r, "Failed to start the day scenario: %s", ERRSTR(r));
        (void)sd_event_source_set_enabled(scenario.timer, SD_EVENT_ON);
        return 0;
}

void scenario_stop(void)
{
        scenario.timer = sd_event_source_disable_unref(scenario.timer);
}
