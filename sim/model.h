/* The simulated inverter: typed values per field, answers formatted by the protocol library. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "macros.h"
#include "pi30.h"

typedef enum ModelKind {
        MODEL_CLASSIC, /* 5 kVA class unit: 21-field QPIGS, 4-digit powers, no QPIGS2 */
        MODEL_MAX, /* Axpert MAX 11 kW: 24-field QPIGS, 5-digit powers, QPIGS2, 28-field QPIRI */
        _MODEL_MAX,
        _MODEL_INVALID = -1,
} ModelKind;

#define MODEL_UNITS_MAX 9 /* QPIRI "parallel max number" is one digit */

/* The energy one simulated day collected, by the device clock's date. */
typedef struct ModelEnergyDay {
        uint32_t date; /* yyyymmdd */
        double pv_wh, load_wh;
} ModelEnergyDay;

#define MODEL_ENERGY_DAYS 400

/* The exact energy ground truth: every power the answers show, integrated over real elapsed
 * (monotonic) time, piecewise constant between changes (model_energy_advance() is called before
 * anything changes, so the integral is exact). The inverter's own counters (QET, QEDyyyymmdd,
 * QLT, QLDyyyymmdd …, MAX only) are these in whole Wh on top of the sample answers' bases. */
typedef struct ModelEnergy {
        double pv_wh, load_wh, battery_charge_wh, battery_discharge_wh, grid_wh; /* since start */
        bool started;
        uint64_t last_usec;                     /* CLOCK_MONOTONIC of the last step */
        time_t wall;                            /* the system clock at the last step */
        ModelEnergyDay days[MODEL_ENERGY_DAYS]; /* oldest first; the oldest go when full */
        size_t n_days;
        /* What the sample answers say was counted before the simulator started: QET/QLT, and
         * QEY/QEM/QLY/QLM of the device's year and month at the first step. */
        double base_pv_total, base_load_total;
        double base_pv_year, base_pv_month, base_load_year, base_load_month;
        uint32_t base_date;
} ModelEnergy;

/* The powers integrated (W), as a client reads them from the answers. */
typedef struct ModelPowers {
        double pv;                /* PvChargingPower (or PV current x SCC voltage) + Pv2InputPower;
                                   * parallel: sum over units of PV1 V x A + PV2 V x A */
        double load;              /* AcOutputActivePower; parallel: the units' sum (QPGS total) */
        double battery_charge;    /* BatteryVoltage x charging current (parallel: units' sum) */
        double battery_discharge; /* BatteryVoltage x discharge current (parallel: units' sum) */
        double grid; /* while Mode is line: max(0, load + charge - pv - discharge); else 0 */
} ModelPowers;

typedef struct Model {
        ModelKind kind;
        unsigned battery; /* 12, 24 or 48 */
        unsigned n_units; /* 1: a single inverter (QPGS is NAKed); 2…9: a parallel system */

        Pi30Value values[_PI30_FIELD_MAX];
        /* QPGSn rows: units[i] for i < n_units, `empty` for a slot that does not exist. */
        Pi30Value (*units)[_PI30_FIELD_MAX];
        Pi30Value empty[_PI30_FIELD_MAX];

        /* How this model answers each command (from its sample answers). */
        bool supported[_PI30_CMD_MAX];
        uint8_t layout[_PI30_CMD_MAX];
        uint8_t n_tokens[_PI30_CMD_MAX];

        ModelEnergy energy;
        int64_t clock_offset; /* the device clock (QT) minus the system clock, seconds */
} Model;

typedef enum ModelAnswer {
        MODEL_ANSWER_DATA,
        MODEL_ANSWER_ACK,
        MODEL_ANSWER_NAK,
} ModelAnswer;

int model_kind_from_string(const char *s);
const char *model_kind_to_string(ModelKind k);

int model_new(ModelKind kind, unsigned battery, unsigned n_units, Model **ret);
Model *model_free(Model *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Model *, model_free)

/* Answers one request (the command text without CRC). For DATA the payload (without '(' and
 * CRC) is written to buf and its length to *ret_len; a setter that matches changes the model and
 * returns ACK; anything else is NAK, exactly like the firmware (no reason given). */
ModelAnswer model_answer(Model *m, const char *command, char *buf, size_t size, size_t *ret_len);

/* The control socket's "set"/"get": a field by its table name. unit < 0: the inverter; else a
 * parallel unit (QPGS fields only). On failure error says why. */
int model_set_text(Model *m, int unit, const char *name, const char *text, char *error,
                   size_t error_size);
int model_get_text(Model *m, int unit, const char *name, char *buf, size_t size, char *error,
                   size_t error_size);
/* Every field of the inverter (unit < 0) or of a parallel unit, in table order, formatted as
 * model_get_text() does. */
typedef void (*ModelDumpFunc)(const char *name, const char *value, void *userdata);
int model_dump(Model *m, int unit, ModelDumpFunc fn, void *userdata, char *error,
               size_t error_size);
/* Whether an answer this model sends carries the field (QPIGS2 fields on a classic unit, the
 * last QPIRI fields of a MAX on a classic … do not). */
bool model_field_served(const Model *m, Pi30Field f);

/* Typed helpers for the scenarios: keep the width the firmware prints and the bit strings that
 * contain the field in step. */
void model_set_number(Model *m, Pi30Value *values, Pi30Field f, double d);
void model_set_bool(Model *m, Pi30Value *values, Pi30Field f, bool b);
int model_set_enum(Model *m, Pi30Value *values, Pi30Field f, const char *name);
double model_get_number(const Pi30Value *values, Pi30Field f);

/* The energy ground truth. model_powers() reads the powers from the current values;
 * model_energy_advance() integrates them from the last step to mono_usec (CLOCK_MONOTONIC) and
 * books the day's share on the device clock's date at wall (the system clock). Call it before
 * anything changes; model_energy_update() does so with the clocks' current time. */
void model_powers(const Model *m, ModelPowers *ret);
void model_energy_advance(Model *m, uint64_t mono_usec, time_t wall);
void model_energy_update(Model *m);
/* The device clock's date (yyyymmdd) at wall. */
uint32_t model_device_date(const Model *m, time_t wall);
