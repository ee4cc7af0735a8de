/* Misbehaviour on demand: the fault names and what each one does to an answer. */
#include <errno.h>
#include <string.h>

#include "faults.h"
#include "log.h"
#include "pi30.h"

static const char *const fault_names[_SIM_FAULT_MAX] = {
                [SIM_FAULT_NONE] = "none",       [SIM_FAULT_SILENCE] = "silence",
                [SIM_FAULT_GARBAGE] = "garbage", [SIM_FAULT_BAD_CRC] = "bad-crc",
                [SIM_FAULT_NAK] = "nak",         [SIM_FAULT_ECHO] = "echo",
                [SIM_FAULT_STALE] = "stale",     [SIM_FAULT_WEDGE] = "wedge",
};

int sim_fault_from_string(const char *s)
{
        for (int f = 0; f < _SIM_FAULT_MAX; f++)
                if (streq(s, fault_names[f]))
                        return f;
        return -EINVAL;
}

const char *sim_fault_to_string(SimFault f)
{
        return f >= 0 && f < _SIM_FAULT_MAX ? fault_names[f] : NULL;
}

const char *sim_fault_names(void)
{
        return "none silence garbage bad-crc nak echo stale wedge";
}

void sim_set_fault(Sim *sim, SimFault f)
{
        if (f == SIM_FAULT_WEDGE && !sim->wedged) {
                log_notice("Link wedged: no answers until replug.");
                sim->wedged = true;
        }
        if (sim->fault != f)
                log_info("Fault: %s -> %s.", sim_fault_to_string(sim->fault),
                         sim_fault_to_string(f));
        sim->fault = f;
}

/* What wrong wiring or a non-PI30 dongle produces (PI30.md §1.4): a lone 0xFF and "#-1". */
static const uint8_t garbage[] = {0xff, '#', '-', '1', '\r'};

size_t sim_fault_apply(Sim *sim, const uint8_t *req, size_t req_len, const uint8_t *answer,
                       size_t answer_len, uint8_t *buf, size_t size)
{
        size_t n = 0;

        switch (sim->fault) {
        case SIM_FAULT_GARBAGE:
                memcpy(buf, garbage, sizeof garbage);
                return sizeof garbage;

        case SIM_FAULT_NAK: {
                ssize_t r = pi30_answer_encode("NAK", 3, false, buf, size);
                return r < 0 ? 0 : (size_t)r;
        }

        case SIM_FAULT_ECHO:
                /* Firmware that echoes sends the request back verbatim, CRC and CR included. */
                if (req_len + 1 > size)
                        return 0;
                memcpy(buf, req, req_len);
                buf[req_len] = '\r';
                return req_len + 1;

        case SIM_FAULT_BAD_CRC:
                if (answer_len > size)
                        return 0;
                memcpy(buf, answer, answer_len);
                if (answer_len >= 3) {
                        /* Bit 7 of the first CRC byte, as in the corrupted MAX capture; never
                         * turn it into a frame delimiter, and it stays far from the escaped
                         * value a tolerant checker would also accept. */
                        uint8_t b = buf[answer_len - 3] ^ 0x80;
                        if (b == 0x00 || b == '\n' || b == '\r' || b == '(')
                                b ^= 0x40;
                        buf[answer_len - 3] = b;
                }
                return answer_len;

        case SIM_FAULT_STALE:
                /* The tail of the previous answer is still queued (a reader gave up before the
                 * CR) and comes out ahead of this answer. */
                if (sim->last_len > 0) {
                        size_t tail = sim->last_len / 3;
                        if (tail < 3)
                                tail = sim->last_len;
                        memcpy(buf, sim->last + sim->last_len - tail, tail);
                        n = tail;
                }
                if (n + answer_len > size)
                        return 0;
                memcpy(buf + n, answer, answer_len);
                return n + answer_len;

        case SIM_FAULT_SILENCE:
        case SIM_FAULT_WEDGE:
                return 0;

        case SIM_FAULT_NONE:
        default:
                if (answer_len > size)
                        return 0;
                memcpy(buf, answer, answer_len);
                return answer_len;
        }
}
