/* Live values: what changes on its own while the simulator runs. */
#pragma once

#include "sim.h"

typedef enum ScenarioKind {
        SCENARIO_STATIC, /* nothing changes unless set: what tests rely on */
        SCENARIO_DAY,    /* a compressed solar day */
        _SCENARIO_MAX,
        _SCENARIO_INVALID = -1,
} ScenarioKind;

int scenario_from_string(const char *s);

/* Starts the scenario's clock; period_usec is one simulated day. */
int scenario_start(Sim *sim, ScenarioKind kind, uint64_t period_usec);
void scenario_stop(void);
/* Sets the values for a point of the day (0 = midnight, 0.5 = noon); exposed for the test. */
void scenario_day_apply(Model *m, double x);
