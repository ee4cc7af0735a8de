/* Misbehaviour on demand. */
#pragma once

#include "sim.h"

/* The bytes that go out for a request under the current fault, given the answer the inverter
 * would send. Returns their length (0: nothing is sent). */
size_t sim_fault_apply(Sim *sim, const uint8_t *req, size_t req_len, const uint8_t *answer,
                       size_t answer_len, uint8_t *buf, size_t size);
