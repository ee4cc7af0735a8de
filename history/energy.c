/* Energy from power samples: trapezoid integration on the monotonic clock, gaps, the inverter's
 * own counters, the wall clock's plausibility and the energy held while it is not. */
#include "energy.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "macros.h"

static const char *const kind_names[_ENERGY_KIND_MAX] = {
                [ENERGY_PV] = "Pv",
                [ENERGY_LOAD] = "Load",
                [ENERGY_BATTERY_CHARGE] = "BatteryCharge",
                [ENERGY_BATTERY_DISCHARGE] = "BatteryDischarge",
                [ENERGY_GRID] = "Grid",
};

const char *energy_kind_to_string(EnergyKind k)
{
        return k >= 0 && k < _ENERGY_KIND_MAX ? kind_names[k] : NULL;
}

void energy_wh_add(EnergyWh *a, const EnergyWh *b)
{
        for (int k = 0; k < _ENERGY_KIND_MAX; k++)
                a->wh[k] += b->wh[k];
}

/* An unreported power contributes nothing (a model without a second PV input, a battery
 * voltage the firmware does not give). */
static double w(double v)
{
        return isfinite(v) && v > 0 ? v : 0;
}

double energy_grid_w(const EnergyInput *in)
{
        double g;

        if (!in->line)
                return 0;
        g = w(in->load_w) + w(in->battery_charge_w) - w(in->pv_w) - w(in->battery_discharge_w);
        return g > 0 ? g : 0;
}

uint64_t energy_gap_usec(uint64_t poll_interval_usec)
{
        uint64_t three = 3 * poll_interval_usec;

        return three > 60 * USEC_PER_SEC ? three : 60 * USEC_PER_SEC;
}

void energy_integrator_init(EnergyIntegrator *e, uint64_t gap_usec)
{
        *e = (EnergyIntegrator){.gap_usec = gap_usec};
}

void energy_integrator_break(EnergyIntegrator *e)
{
        e->have_prev = false;
}

bool energy_input_has_counters(const EnergyInput *in)
{
        return isfinite(in->pv_counter_wh) && isfinite(in->load_counter_wh);
}

static double counter_delta(double prev, double cur)
{
        /* Going down: the inverter was reset or replaced; the next difference counts again. */
        return isfinite(prev) && isfinite(cur) && cur >= prev ? cur - prev : 0;
}

bool energy_integrator_step(EnergyIntegrator *e, uint64_t mono_usec, const EnergyInput *in,
                            EnergyWh *ret)
{
        const EnergyInput *a = &e->prev;
        double hours;
        bool bridged;

        memset(ret, 0, sizeof *ret);
        bridged = e->have_prev && mono_usec > e->prev_mono_usec &&
                  mono_usec - e->prev_mono_usec <= e->gap_usec;
        if (e->have_prev && mono_usec <= e->prev_mono_usec) {
                /* Two samples at one instant: nothing elapsed, keep the older one as the
                 * interval's start. */
                return false;
        }
        if (bridged) {
                hours = (double)(mono_usec - e->prev_mono_usec) / (3600.0 * USEC_PER_SEC);
                /* Trapezoid: for a power that changes smoothly between polls the error is of
                 * second order in the poll interval and without the lag of a left rectangle
                 * (which counts a rising morning too low and the evening too high). */
                ret->wh[ENERGY_PV] = (w(a->pv_w) + w(in->pv_w)) / 2 * hours;
                ret->wh[ENERGY_LOAD] = (w(a->load_w) + w(in->load_w)) / 2 * hours;
                ret->wh[ENERGY_BATTERY_CHARGE] =
                                (w(a->battery_charge_w) + w(in->battery_charge_w)) / 2 * hours;
                ret->wh[ENERGY_BATTERY_DISCHARGE] =
                                (w(a->battery_discharge_w) + w(in->battery_discharge_w)) / 2 *
                                hours;
                ret->wh[ENERGY_GRID] = (energy_grid_w(a) + energy_grid_w(in)) / 2 * hours;
                /* The inverter's own counters, where both samples have them, are the truth for
                 * PV and load. */
                if (isfinite(a->pv_counter_wh) && isfinite(in->pv_counter_wh))
                        ret->wh[ENERGY_PV] = counter_delta(a->pv_counter_wh, in->pv_counter_wh);
                if (isfinite(a->load_counter_wh) && isfinite(in->load_counter_wh))
                        ret->wh[ENERGY_LOAD] =
                                        counter_delta(a->load_counter_wh, in->load_counter_wh);
        }
        e->prev = *in;
        e->prev_mono_usec = mono_usec;
        e->have_prev = true;
        return bridged;
}

bool energy_wall_plausible(uint64_t wall_usec, uint64_t not_before_usec)
{
        return wall_usec >= not_before_usec;
}

void energy_meter_init(EnergyMeter *m, uint64_t gap_usec, uint64_t not_before_usec,
                       EnergyAttributeFunc attribute, void *userdata)
{
        memset(m, 0, sizeof *m);
        energy_integrator_init(&m->integrator, gap_usec);
        m->not_before_usec = not_before_usec;
        m->attribute = attribute;
        m->userdata = userdata;
}

uint64_t energy_meter_retime(uint64_t mono_usec, uint64_t mono_now, uint64_t wall_now)
{
        uint64_t ago = mono_now > mono_usec ? mono_now - mono_usec : 0;

        return wall_now > ago ? wall_now - ago : 0;
}

static bool wh_zero(const EnergyWh *wh)
{
        for (int k = 0; k < _ENERGY_KIND_MAX; k++)
                if (wh->wh[k] != 0)
                        return false;
        return true;
}

static void meter_attribute(EnergyMeter *m, int64_t wall_usec, const EnergyWh *wh)
{
        if (wh_zero(wh))
                return;
        if (m->attribute)
                m->attribute(m->userdata, wall_usec, wh);
}

bool energy_meter_sample(EnergyMeter *m, uint64_t mono_usec, uint64_t wall_usec,
                         const EnergyInput *in)
{
        EnergyWh wh;
        bool plausible = energy_wall_plausible(wall_usec, m->not_before_usec);

        (void)energy_integrator_step(&m->integrator, mono_usec, in, &wh);
        if (!plausible) {
                if (wh_zero(&wh))
                        return false;
                if (m->n_held == ENERGY_HELD_MAX) {
                        /* Hours of a wrong clock: the newest entry absorbs the rest, which only
                         * blurs when (not whether) that energy was gathered. */
                        energy_wh_add(&m->held[m->n_held - 1].wh, &wh);
                        m->held[m->n_held - 1].mono_usec = mono_usec;
                } else
                        m->held[m->n_held++] = (EnergyHeld){.mono_usec = mono_usec, .wh = wh};
                return false;
        }
        for (size_t i = 0; i < m->n_held; i++) {
                uint64_t t = energy_meter_retime(m->held[i].mono_usec, mono_usec, wall_usec);

                /* Before the floor it cannot have been (the clock was wrong then, not the
                 * floor): the earliest moment that can be true. */
                if (t < m->not_before_usec)
                        t = m->not_before_usec;
                meter_attribute(m, (int64_t)t, &m->held[i].wh);
        }
        m->n_held = 0;
        meter_attribute(m, (int64_t)wall_usec, &wh);
        m->not_before_usec = wall_usec;
        return true;
}
