/* The polkit action guarding each method of org.axpert.Inverter: the contract's, generated from
 * the XML (org.axpert.Doc.PolkitAction), for the daemon that checks it and the clients that name
 * it in their hints. */
#pragma once

#include "contract.h"

/* RawCommand of an inquiry (a command starting with 'Q'): read-only, so it has its own action,
 * allowed for active local sessions by default; every other raw command stays behind the
 * contract's raw-command action. */
#define AXPERT_POLKIT_ACTION_RAW_QUERY "org.axpert.Inverter.raw-query"
