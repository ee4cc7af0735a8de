/* energy.c on injected clocks: trapezoid integration, gaps, counters, the grid estimate, wall
 * clock jumps and the no-RTC boot, local days across DST. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "energy.h"
#include "macros.h"

static int failures;

#define CHECK(c)                                                                                   \
        do {                                                                                       \
                if (!(c)) {                                                                        \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);      \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)
#define CHECK_NEAR(a, b, eps)                                                                      \
        do {                                                                                       \
                double a_ = (a), b_ = (b);                                                         \
                if (!(fabs(a_ - b_) <= (eps))) {                                                   \
                        fprintf(stderr, "%s:%d: %s = %.9g, expected %.9g\n", __FILE__, __LINE__,   \
                                #a, a_, b_);                                                       \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

#define SEC USEC_PER_SEC
#define HOUR (3600 * SEC)

static EnergyInput power(double pv, double load)
{
        return (EnergyInput){.pv_w = pv,
                             .load_w = load,
                             .battery_charge_w = NAN,
                             .battery_discharge_w = NAN,
                             .pv_counter_wh = NAN,
                             .load_counter_wh = NAN};
}

/* Integrates f(t) (W) sampled every step from 0 to end; returns the sum of kind. */
static double integrate(EnergyIntegrator *e, double (*f)(double), uint64_t step, uint64_t end,
                        EnergyKind kind)
{
        double sum = 0;
        EnergyWh wh;

        for (uint64_t t = 0; t <= end; t += step) {
                EnergyInput in = power(f((double)t / SEC), 0);
                (void)energy_integrator_step(e, 1000 * SEC + t, &in, &wh);
                sum += wh.wh[kind];
        }
        return sum;
}

static double constant_1kw(double t)
{
        return 1000;
}

static double ramp(double t)
{
        return t; /* W, rising 1 W per second */
}

static void test_integration(void)
{
        EnergyIntegrator e;
        EnergyWh wh;

        energy_integrator_init(&e, energy_gap_usec(5 * SEC));
        CHECK_NEAR(integrate(&e, constant_1kw, 5 * SEC, HOUR, ENERGY_PV), 1000, 1e-9);
        /* The trapezoid is exact for a ramp (a left rectangle would lag by step/2). */
        energy_integrator_init(&e, energy_gap_usec(5 * SEC));
        CHECK_NEAR(integrate(&e, ramp, 5 * SEC, HOUR, ENERGY_PV), 3600.0 * 3600 / 2 / 3600, 1e-6);

        /* The first sample and a sample at the same instant integrate nothing. */
        energy_integrator_init(&e, 60 * SEC);
        EnergyInput in = power(100, 100);
        CHECK(!energy_integrator_step(&e, 10 * SEC, &in, &wh));
        CHECK(!energy_integrator_step(&e, 10 * SEC, &in, &wh));
        CHECK(wh.wh[ENERGY_PV] == 0);
        CHECK(energy_integrator_step(&e, 46 * SEC, &in, &wh));
        CHECK_NEAR(wh.wh[ENERGY_PV], 1, 1e-12);
        CHECK_NEAR(wh.wh[ENERGY_LOAD], 1, 1e-12);
        /* A NaN power (an input the model lacks) counts as nothing, not as NaN. */
        in = power(NAN, 100);
        CHECK(energy_integrator_step(&e, 82 * SEC, &in, &wh));
        CHECK_NEAR(wh.wh[ENERGY_PV], 0.5, 1e-12);
        CHECK(isfinite(wh.wh[ENERGY_BATTERY_CHARGE]) && wh.wh[ENERGY_BATTERY_CHARGE] == 0);
}

static void test_gaps(void)
{
        EnergyIntegrator e;
        EnergyWh wh;
        EnergyInput in = power(3600, 0);

        CHECK(energy_gap_usec(5 * SEC) == 60 * SEC);
        CHECK(energy_gap_usec(1 * SEC) == 60 * SEC);
        CHECK(energy_gap_usec(30 * SEC) == 90 * SEC);

        energy_integrator_init(&e, energy_gap_usec(5 * SEC));
        (void)energy_integrator_step(&e, 0, &in, &wh);
        CHECK(energy_integrator_step(&e, 60 * SEC, &in, &wh)); /* exactly the limit: bridged */
        CHECK_NEAR(wh.wh[ENERGY_PV], 60, 1e-9);
        CHECK(!energy_integrator_step(&e, 121 * SEC, &in, &wh)); /* 61 s: a gap */
        CHECK(wh.wh[ENERGY_PV] == 0);
        CHECK(energy_integrator_step(&e, 126 * SEC, &in, &wh)); /* the run goes on after it */
        CHECK_NEAR(wh.wh[ENERGY_PV], 5, 1e-9);

        /* A break (offline, the daemon gone) is a gap however short. */
        energy_integrator_break(&e);
        CHECK(!energy_integrator_step(&e, 127 * SEC, &in, &wh));
        CHECK(wh.wh[ENERGY_PV] == 0);
        CHECK(energy_integrator_step(&e, 128 * SEC, &in, &wh));
        CHECK_NEAR(wh.wh[ENERGY_PV], 1, 1e-9);
}

static void test_grid_and_battery(void)
{
        EnergyInput in = {.pv_w = 500,
                          .load_w = 1000,
                          .battery_charge_w = 300,
                          .battery_discharge_w = 0,
                          .line = true,
                          .pv_counter_wh = NAN,
                          .load_counter_wh = NAN};
        EnergyIntegrator e;
        EnergyWh wh;

        CHECK_NEAR(energy_grid_w(&in), 800, 1e-12); /* 1000 + 300 - 500 - 0 */
        in.line = false;
        CHECK(energy_grid_w(&in) == 0);
        in.line = true;
        in.pv_w = 3000; /* more PV than load + charge: no import */
        CHECK(energy_grid_w(&in) == 0);
        in = (EnergyInput){.pv_w = NAN,
                           .load_w = 600,
                           .battery_charge_w = NAN,
                           .battery_discharge_w = 100,
                           .line = true,
                           .pv_counter_wh = NAN,
                           .load_counter_wh = NAN};
        CHECK_NEAR(energy_grid_w(&in), 500, 1e-12);

        /* A mode switch between two samples counts half the interval (trapezoid). */
        energy_integrator_init(&e, 60 * SEC);
        in = (EnergyInput){.pv_w = 0,
                           .load_w = 1000,
                           .battery_charge_w = 200,
                           .battery_discharge_w = 0,
                           .line = true,
                           .pv_counter_wh = NAN,
                           .load_counter_wh = NAN};
        (void)energy_integrator_step(&e, 0, &in, &wh);
        in.line = false;
        in.battery_charge_w = 0;
        in.battery_discharge_w = 1100;
        CHECK(energy_integrator_step(&e, 36 * SEC, &in, &wh));
        CHECK_NEAR(wh.wh[ENERGY_GRID], 1200.0 / 2 * 0.01, 1e-9);
        CHECK_NEAR(wh.wh[ENERGY_BATTERY_CHARGE], 200.0 / 2 * 0.01, 1e-9);
        CHECK_NEAR(wh.wh[ENERGY_BATTERY_DISCHARGE], 1100.0 / 2 * 0.01, 1e-9);
}

static void test_counters(void)
{
        EnergyInput in = power(5000, 5000);
        EnergyIntegrator e;
        EnergyWh wh;

        in.pv_counter_wh = 1000;
        in.load_counter_wh = 2000;
        CHECK(energy_input_has_counters(&in));
        energy_integrator_init(&e, 60 * SEC);
        (void)energy_integrator_step(&e, 0, &in, &wh);
        in.pv_counter_wh = 1007;
        in.load_counter_wh = 2003;
        CHECK(energy_integrator_step(&e, 36 * SEC, &in, &wh));
        /* The counters, not the powers (which would say 50 Wh). */
        CHECK_NEAR(wh.wh[ENERGY_PV], 7, 1e-12);
        CHECK_NEAR(wh.wh[ENERGY_LOAD], 3, 1e-12);
        /* A counter that goes down (reset, another inverter) re-baselines. */
        in.pv_counter_wh = 10;
        CHECK(energy_integrator_step(&e, 72 * SEC, &in, &wh));
        CHECK(wh.wh[ENERGY_PV] == 0);
        in.pv_counter_wh = 12;
        CHECK(energy_integrator_step(&e, 108 * SEC, &in, &wh));
        CHECK_NEAR(wh.wh[ENERGY_PV], 2, 1e-12);
        in.pv_counter_wh = NAN;
        CHECK(!energy_input_has_counters(&in));
}

typedef struct Attributed {
        int n;
        int64_t wall[64];
        double wh[64];
        double total;
} Attributed;

static void record(void *userdata, int64_t wall_usec, const EnergyWh *wh)
{
        Attributed *a = userdata;

        if (a->n < 64) {
                a->wall[a->n] = wall_usec;
                a->wh[a->n] = wh->wh[ENERGY_PV];
        }
        a->n++;
        a->total += wh->wh[ENERGY_PV];
}

static const uint64_t REAL_2026 = 1785000000ULL * SEC; /* 2026-07-25 */

static void test_wall_clock(void)
{
        static EnergyMeter m;
        Attributed a = {0};
        EnergyInput in = power(3600, 0); /* 1 Wh per second */
        uint64_t mono = 500 * SEC, wall = REAL_2026;

        /* A clock that jumps back an hour and forward again: the energy is what the monotonic
         * clock says, never more, never less; nothing is put before the last plausible time. */
        energy_meter_init(&m, 60 * SEC, REAL_2026 - HOUR, record, &a);
        for (int i = 0; i < 10; i++, mono += 5 * SEC, wall += 5 * SEC)
                CHECK(energy_meter_sample(&m, mono, wall, &in));
        CHECK_NEAR(a.total, 45, 1e-9);
        uint64_t floor = wall - 5 * SEC;
        wall -= HOUR; /* set back */
        for (int i = 0; i < 4; i++, mono += 5 * SEC, wall += 5 * SEC)
                CHECK(!energy_meter_sample(&m, mono, wall, &in));
        CHECK_NEAR(a.total, 45, 1e-9); /* held, not attributed */
        int before = a.n;
        wall += HOUR; /* NTP puts it right */
        CHECK(energy_meter_sample(&m, mono, wall, &in));
        CHECK_NEAR(a.total, 70, 1e-9); /* 14 intervals of 5 s */
        for (int i = before; i < a.n && i < 64; i++) {
                CHECK(a.wall[i] >= (int64_t)floor);
                CHECK(a.wall[i] <= (int64_t)wall);
        }
        /* Retimed by the monotonic clock: the held energy lands where it was gathered. */
        CHECK(a.wall[before] == (int64_t)(wall - 20 * SEC));

        /* Forward: no energy appears for the hour skipped. */
        mono += 5 * SEC;
        wall += 5 * SEC + 24 * HOUR;
        CHECK(energy_meter_sample(&m, mono, wall, &in));
        CHECK_NEAR(a.total, 75, 1e-9);
}

static void test_no_rtc_boot(void)
{
        static EnergyMeter m;
        Attributed a = {0};
        EnergyInput in = power(3600, 0);
        uint64_t build = REAL_2026 - 30 * 24 * HOUR, mono = 3 * SEC;

        /* A Raspberry Pi: the clock starts at 1970 + uptime until NTP syncs. */
        energy_meter_init(&m, 60 * SEC, build, record, &a);
        for (int i = 0; i < 20; i++, mono += 5 * SEC)
                CHECK(!energy_meter_sample(&m, mono, mono, &in));
        CHECK(a.n == 0);
        CHECK(energy_meter_sample(&m, mono, REAL_2026, &in));
        CHECK_NEAR(a.total, 100, 1e-9); /* 20 intervals of 5 s */
        for (int i = 0; i < a.n && i < 64; i++)
                CHECK(a.wall[i] >= (int64_t)build);          /* never 1970 */
        CHECK(a.wall[0] == (int64_t)(REAL_2026 - 95 * SEC)); /* the first interval ended at 8 s */
        CHECK(energy_meter_retime(10 * SEC, 20 * SEC, REAL_2026) == REAL_2026 - 10 * SEC);
        CHECK(energy_meter_retime(30 * SEC, 20 * SEC, REAL_2026) == REAL_2026);
}

typedef struct Days {
        char day[8][11];
        double wh[8];
        int n;
} Days;

static void by_local_day(void *userdata, int64_t wall_usec, const EnergyWh *wh)
{
        Days *d = userdata;
        time_t t = (time_t)(wall_usec / (int64_t)SEC);
        struct tm tm;
        char day[11];

        localtime_r(&t, &tm);
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        if (d->n == 0 || strcmp(d->day[d->n - 1], day) != 0) {
                snprintf(d->day[d->n], sizeof d->day[0], "%s", day);
                d->n++;
        }
        d->wh[d->n - 1] += wh->wh[ENERGY_LOAD];
}

static void test_dst_day(void)
{
        static EnergyMeter m;
        Days d = {0};
        EnergyInput in = power(0, 1000);
        /* 2026-10-25 in Berlin has 25 hours: 00:00 CEST (UTC+2) = 2026-10-24 22:00 UTC. */
        uint64_t start = 1792879200ULL * SEC, mono = 1000 * SEC;

        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        energy_meter_init(&m, 60 * SEC, start - HOUR, by_local_day, &d);
        for (uint64_t t = 0; t <= 26 * HOUR; t += 60 * SEC)
                CHECK(energy_meter_sample(&m, mono + t, start + t, &in));
        CHECK(d.n == 2);
        CHECK(strcmp(d.day[0], "2026-10-25") == 0);
        /* A 25-hour day at 1 kW; an interval counts on the day it ends (the one ending at
         * midnight on the next). */
        CHECK_NEAR(d.wh[0], (25 * 60 - 1) * 1000.0 / 60, 1e-6);
        CHECK_NEAR(d.wh[1], 61 * 1000.0 / 60, 1e-6);
}

int main(void)
{
        test_integration();
        test_gaps();
        test_grid_and_battery();
        test_counters();
        test_wall_clock();
        test_no_rtc_boot();
        test_dst_day();
        if (failures) {
                fprintf(stderr, "%d check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all energy checks passed\n");
        return EXIT_SUCCESS;
}
