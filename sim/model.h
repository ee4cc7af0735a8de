/* The simulated inverter: typed values per field, answers formatted by the protocol library. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macros.h"
#include "pi30.h"

typedef enum ModelKind {
        MODEL_CLASSIC, /* 5 kVA class unit: 21-field QPIGS, 4-digit powers, no QPIGS2 */
        MODEL_MAX, /* Axpert MAX 11 kW: 24-field QPIGS, 5-digit powers, QPIGS2, 28-field QPIRI */
        _MODEL_MAX,
        _MODEL_INVALID = -1,
} ModelKind;

#define MODEL_UNITS_MAX 9 /* QPIRI "parallel max number" is one digit */

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
