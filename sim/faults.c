/* Misbehaviour on demand: the fault names and what each one does to an answer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "log.h"
#include "pi30.h"

static const char *const fault_names[_SIM_FAULT_MAX] = {
                [SIM_FAULT_NONE] = "none",       [SIM_FAULT_SILENCE] = "silence",
                [SIM_FAULT_GARBAGE] = "garbage", [SIM_FAULT_BAD_CRC] = "bad-crc",
                [SIM_FAULT_NAK] = "nak",         [SIM_FAULT_ECHO] = "echo",
                [SIM_FAULT_STALE] = "stale",     [SIM_FAULT_WEDGE] = "wedge",
                [SIM_FAULT_LATE] = "late",       [SIM_FAULT_TRICKLE] = "trickle",
                [SIM_FAULT_HALF] = "half",
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
        return "none silence garbage bad-crc nak echo stale wedge late trickle half";
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
        /* Counting starts afresh with every "fault half": its first request is answered. */
        if (f == SIM_FAULT_HALF)
                sim->half_count = 0;
        if ((sim->fault == SIM_FAULT_TRICKLE) != (f == SIM_FAULT_TRICKLE)) {
                sim->fault = f;
                sim_output_repace(sim);
                return;
        }
        sim->fault = f;
}

/* ------------------------------------------------------------------------------------------ */
/* One-shot rules                                                                              */

const char *sim_rule_kind_to_string(SimRuleKind k)
{
        return k == SIM_RULE_NAK ? "nak-next" : "silence-next";
}

/* A pattern matches the command text exactly; the bare name of an inquiry that takes a
 * parameter also matches it with any digits after it (QPGS: QPGS0, QPGS1; QED: QED20260101);
 * a trailing '*' makes the rest a plain prefix (QPIGS*: QPIGS and QPIGS2; *: everything). */
static bool rule_matches(const char *pattern, const char *text)
{
        size_t n = strlen(pattern);

        if (n > 0 && pattern[n - 1] == '*')
                return strneq(text, pattern, n - 1);
        if (streq(text, pattern))
                return true;
        if (!strneq(text, pattern, n) || !text[n] ||
            strspn(text + n, "0123456789") != strlen(text + n))
                return false;
        for (int c = 0; c < _PI30_CMD_MAX; c++) {
                const Pi30CommandInfo *ci = pi30_command_info(c);

                if (ci && ci->param_digits > 0 && streq(ci->name, pattern))
                        return true;
        }
        return false;
}

int sim_rule_add(Sim *sim, SimRuleKind kind, const char *command, unsigned count, char *error,
                 size_t error_size)
{
        size_t len = strlen(command);

        if (len == 0 || len > SIM_RULE_COMMAND_MAX) {
                snprintf(error, error_size, "the command must be 1-%d characters",
                         SIM_RULE_COMMAND_MAX);
                return -EINVAL;
        }
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)command[i] <= 0x20 || (unsigned char)command[i] >= 0x7f ||
                    command[i] == '(' || (command[i] == '*' && i != len - 1)) {
                        snprintf(error, error_size,
                                 "\"%s\" is no command text (printable, no '(', '*' only at "
                                 "the end)",
                                 command);
                        return -EINVAL;
                }
        if (count < 1 || count > SIM_RULE_COUNT_MAX) {
                snprintf(error, error_size, "the count must be 1-%d", SIM_RULE_COUNT_MAX);
                return -ERANGE;
        }

        /* The same rule again adds to its count: the order of the others stays. */
        for (size_t i = 0; i < sim->n_rules; i++) {
                SimRule *r = &sim->rules[i];

                if (r->kind == kind && streq(r->command, command)) {
                        if (r->count > SIM_RULE_COUNT_MAX - count) {
                                snprintf(error, error_size, "the count must stay within %d",
                                         SIM_RULE_COUNT_MAX);
                                return -ERANGE;
                        }
                        r->count += count;
                        return 0;
                }
        }
        if (sim->n_rules >= SIM_RULES_MAX) {
                snprintf(error, error_size,
                         "too many rules (at most %d; \"next clear\" drops them)", SIM_RULES_MAX);
                return -ENOSPC;
        }
        sim->rules[sim->n_rules].kind = kind;
        sim->rules[sim->n_rules].count = count;
        memcpy(sim->rules[sim->n_rules].command, command, len + 1);
        sim->n_rules++;
        return 0;
}

void sim_rules_clear(Sim *sim)
{
        sim->n_rules = 0;
}

bool sim_rule_take(Sim *sim, const char *text, SimRuleKind *ret_kind)
{
        for (size_t i = 0; i < sim->n_rules; i++) {
                SimRule *r = &sim->rules[i];

                if (!rule_matches(r->command, text))
                        continue;
                *ret_kind = r->kind;
                log_info("Request %s: %s %s (%u left).", text, sim_rule_kind_to_string(r->kind),
                         r->command, r->count - 1);
                if (--r->count == 0) {
                        memmove(r, r + 1, (sim->n_rules - i - 1) * sizeof *r);
                        sim->n_rules--;
                }
                return true;
        }
        return false;
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

        /* These change when and how fast the right answer goes out, or whether it does at all
         * (request.c, io.c), not its bytes. */
        case SIM_FAULT_LATE:
        case SIM_FAULT_TRICKLE:
        case SIM_FAULT_HALF:
        case SIM_FAULT_NONE:
        default:
                if (answer_len > size)
                        return 0;
                memcpy(buf, answer, answer_len);
                return answer_len;
        }
}
