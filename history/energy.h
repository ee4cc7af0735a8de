/* Energy from power samples: integration on the monotonic clock, gaps, the plausibility of the
 * wall clock. Pure functions (no I/O, no clock reads: times are arguments). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum EnergyKind {
        ENERGY_PV,
        ENERGY_LOAD,
        ENERGY_BATTERY_CHARGE,
        ENERGY_BATTERY_DISCHARGE,
        ENERGY_GRID,
        _ENERGY_KIND_MAX,
} EnergyKind;

/* "Pv", "Load", "BatteryCharge", "BatteryDischarge", "Grid": GetEnergy's keys and the stems of
 * the counter properties (PvEnergyToday …). */
const char *energy_kind_to_string(EnergyKind k);

/* What one poll cycle says, in W and Wh. NaN: the inverter does not report it. */
typedef struct EnergyInput {
        double pv_w;                /* PV power (all inputs, all units) */
        double load_w;              /* AC output active power (the parallel total) */
        double battery_charge_w;    /* BatteryVoltage x the total charging current */
        double battery_discharge_w; /* BatteryVoltage x the total discharge current */
        bool line;                  /* Mode is "line": the grid estimate counts */
        double pv_counter_wh;       /* the inverter's own PV total (PvEnergyTotal), or NaN */
        double load_counter_wh;     /* … load total (LoadEnergyTotal), or NaN */
} EnergyInput;

/* Energy of each kind, Wh. */
typedef struct EnergyWh {
        double wh[_ENERGY_KIND_MAX];
} EnergyWh;

void energy_wh_add(EnergyWh *a, const EnergyWh *b);

/* The grid import estimate at one instant, W: while the mode is line,
 * max(0, load + battery charge - PV - battery discharge); 0 otherwise. NaN inputs count as 0. */
double energy_grid_w(const EnergyInput *in);

/* Integrates consecutive samples of one inverter. */
typedef struct EnergyIntegrator {
        bool have_prev;
        uint64_t prev_mono_usec;
        EnergyInput prev;
        uint64_t gap_usec; /* intervals longer than this are not bridged */
} EnergyIntegrator;

/* The longest interval that is bridged: max(3 x poll interval, 60 s). */
uint64_t energy_gap_usec(uint64_t poll_interval_usec);

void energy_integrator_init(EnergyIntegrator *e, uint64_t gap_usec);
/* Forget the previous sample (offline, the daemon gone, another serial): the next sample starts
 * a new run, nothing is bridged to it. */
void energy_integrator_break(EnergyIntegrator *e);
/* Adds the sample taken at mono_usec (CLOCK_MONOTONIC) and returns the energy of the interval
 * since the previous one in ret (all 0 for the first sample, after a break, across a gap or when
 * the clock did not advance). PV and load come from the inverter's counters when both samples
 * have them (the difference; a counter going down re-baselines), else from the powers by the
 * trapezoid rule. Battery and grid are always integrated. Returns true when ret covers an
 * interval (false: a new run started). */
bool energy_integrator_step(EnergyIntegrator *e, uint64_t mono_usec, const EnergyInput *in,
                            EnergyWh *ret);
/* Whether PV and load come from the inverter's counters for this sample ("inverter"). */
bool energy_input_has_counters(const EnergyInput *in);

/* A wall clock reading is plausible when it is not before not_before_usec (the newest stored
 * sample, or the build date, whichever is later): a Raspberry Pi boots at 1970 or at its last
 * shutdown until NTP syncs, and a clock set back must not put samples on a day gone by. */
bool energy_wall_plausible(uint64_t wall_usec, uint64_t not_before_usec);

/* One inverter's energy accounting: the integrator, and the energy gathered while the wall clock
 * was not plausible (held, then attributed by the monotonic clock). The local calendar days are
 * the store's (store_local_day()). */
#define ENERGY_HELD_MAX 1024

typedef struct EnergyHeld {
        uint64_t mono_usec;
        EnergyWh wh;
} EnergyHeld;

typedef void (*EnergyAttributeFunc)(void *userdata, int64_t wall_usec, const EnergyWh *wh);

typedef struct EnergyMeter {
        EnergyIntegrator integrator;
        uint64_t not_before_usec; /* the plausibility floor: build date, newest stored sample */
        EnergyHeld held[ENERGY_HELD_MAX];
        size_t n_held;
        EnergyAttributeFunc attribute; /* told where each Wh goes (the day table) */
        void *userdata;
} EnergyMeter;

void energy_meter_init(EnergyMeter *m, uint64_t gap_usec, uint64_t not_before_usec,
                       EnergyAttributeFunc attribute, void *userdata);
/* A sample taken at (mono, wall). Integrates it; attributes the interval's energy to wall when
 * the wall clock is plausible (first the held energy, each at the wall time its monotonic time
 * maps to now), else holds it. Returns whether wall was plausible (the sample may be stored at
 * wall); a plausible wall raises the floor to it. */
bool energy_meter_sample(EnergyMeter *m, uint64_t mono_usec, uint64_t wall_usec,
                         const EnergyInput *in);
/* The wall time a held sample taken at mono_usec had, seen from a plausible (mono_now, wall_now).
 */
uint64_t energy_meter_retime(uint64_t mono_usec, uint64_t mono_now, uint64_t wall_now);
