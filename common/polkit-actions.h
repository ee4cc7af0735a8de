/* The polkit action guarding each method of org.axpert.Inverter: the contract's, generated from
 * the XML (org.axpert.Doc.PolkitAction), for the daemon that checks it and the clients that name
 * it in their hints. */
#pragma once

#include "contract.h"
