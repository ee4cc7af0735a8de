/* axpert-history's energy counters (org.axpert.History) as Home Assistant energy sensors: which
 * of its properties are published and under which names, all derived from the contract. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "history-contract.h"

/* The bus name, and the root of its ObjectManager (org.axpert.History.xml's header). */
#define HISTORY_BUS_NAME "org.axpert.History"
#define HISTORY_ROOT_PATH "/org/axpert/History"

/* The member of the inverter's native state that holds the counters ("history": {…}), apart
 * from org.axpert.Inverter's own keys, some of which have the same names (the firmware's
 * PvEnergyToday … in Wh). */
#define ENERGY_STATE_MEMBER "history"

/* An energy counter: a 'd' property of org.axpert.History whose unit is an energy unit (the
 * contract's "kWh"). These, and nothing hand-listed, become energy sensors. */
bool energy_is_counter(const AxpertContractProperty *p);
/* Whether an org.axpert.History property goes into the inverter's native state: the counters
 * and EnergySource (where the PV and load counters come from). */
bool energy_in_state(const char *property);
/* The entity name of a counter, its property name in words: PvEnergyThisMonth -> "PV energy
 * this month". */
char *energy_entity_name(const char *property);
