/* One request in, one answer out: CRC check, history, model or replay, faults, pacing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "log.h"
#include "pi30.h"
#include "replay.h"
#include "sim.h"

/* The command text as the history shows it: printable bytes as they are, others as \xHH. */
static void request_text(const uint8_t *req, size_t len, char *buf, size_t size)
{
        size_t o = 0;

        for (size_t i = 0; i < len && o + 5 < size; i++) {
                if (req[i] >= 0x20 && req[i] < 0x7f && req[i] != '\\')
                        buf[o++] = (char)req[i];
                else
                        o += (size_t)snprintf(buf + o, size - o, "\\x%02x", req[i]);
        }
        buf[o] = '\0';
}

static void history_add(Sim *sim, const char *prefix, const char *text)
{
        char *entry;

        if (asprintf(&entry, "%s%s", prefix, text) < 0) {
                log_oom();
                return;
        }
        if (sim->n_history >= SIM_HISTORY_MAX) {
                free(sim->history[0]);
                memmove(sim->history, sim->history + 1,
                        (sim->n_history - 1) * sizeof *sim->history);
                sim->n_history--;
        } else {
                char **h = realloc(sim->history, (sim->n_history + 1) * sizeof *h);
                if (!h) {
                        free(entry);
                        log_oom();
                        return;
                }
                sim->history = h;
        }
        sim->history[sim->n_history++] = entry;
}

void sim_history_clear(Sim *sim)
{
        for (size_t i = 0; i < sim->n_history; i++)
                free(sim->history[i]);
        free(sim->history);
        sim->history = NULL;
        sim->n_history = 0;
}

/* The inverter demands the escaped CRC (POP02 must end E2 0B, PI30.md §2.3). A 0x00 byte is
 * taken raw or bumped to 0x01, since clients disagree on that one (§2.4). */
static bool request_crc_ok(const uint8_t *req, size_t len)
{
        uint8_t escaped[2], raw_nul[2];
        uint16_t crc;

        if (len < 3)
                return false;
        crc = pi30_crc16(req, len - 2);
        pi30_crc_bytes(crc, true, escaped);
        pi30_crc_bytes(crc, false, raw_nul);
        return memcmp(req + len - 2, escaped, 2) == 0 || memcmp(req + len - 2, raw_nul, 2) == 0;
}

static size_t encode_word(const char *word, uint8_t *buf, size_t size)
{
        ssize_t n = pi30_answer_encode(word, strlen(word), false, buf, size);
        return n < 0 ? 0 : (size_t)n;
}

/* What the inverter itself answers: the model's (or the transcript's) answer, ACK or NAK. */
static size_t model_answer_bytes(Sim *sim, bool crc_ok, const char *text, uint8_t *answer,
                                 size_t size)
{
        char payload[512];
        size_t n = 0;

        if (!crc_ok)
                return encode_word("NAK", answer, size);
        if (sim->replay)
                return replay_answer(sim->replay, text, answer, size);

        switch (model_answer(sim->model, text, payload, sizeof payload, &n)) {
        case MODEL_ANSWER_DATA: {
                ssize_t r = pi30_answer_encode(payload, n, false, answer, size);
                return r < 0 ? 0 : (size_t)r;
        }
        case MODEL_ANSWER_ACK:
                log_info("Setting \"%s\" accepted.", text);
                return encode_word("ACK", answer, size);
        case MODEL_ANSWER_NAK:
        default:
                return encode_word("NAK", answer, size);
        }
}

void sim_handle_request(Sim *sim, const uint8_t *req, size_t len)
{
        uint8_t answer[1024], out[2048];
        char text[SIM_REQUEST_MAX * 4 + 1];
        size_t answer_len = 0, out_len;
        bool crc_ok = request_crc_ok(req, len);
        SimRuleKind rule;
        uint64_t delay;

        /* The counters and the clock an answer shows are those of now. */
        if (sim->model)
                model_energy_update(sim->model);
        request_text(req, len >= 3 ? len - 2 : len, text, sizeof text);
        history_add(sim, crc_ok ? "" : "BADCRC:", text);
        log_debug("Request %s%s.", crc_ok ? "" : "with bad CRC: ", text);

        if (sim->wedged) {
                log_debug("Wedged, not answering.");
                return;
        }
        if (sim->fault == SIM_FAULT_SILENCE)
                return;
        /* Half a poll cycle: every second request since "fault half" goes unanswered. */
        if (sim->fault == SIM_FAULT_HALF && ++sim->half_count % 2 == 0) {
                log_debug("Half: not answering %s.", text);
                return;
        }

        /* A one-shot rule overrides the model for the request it matches; what the fault does
         * to the answer then still happens. */
        if (crc_ok && sim_rule_take(sim, text, &rule)) {
                if (rule == SIM_RULE_SILENCE)
                        return;
                answer_len = encode_word("NAK", answer, sizeof answer);
        } else if (sim->fault != SIM_FAULT_GARBAGE && sim->fault != SIM_FAULT_NAK &&
                   sim->fault != SIM_FAULT_ECHO)
                /* Faults that replace the answer outright never reach the model: a NAKed setter
                 * must not change anything. */
                answer_len = model_answer_bytes(sim, crc_ok, text, answer, sizeof answer);

        out_len = sim_fault_apply(sim, req, len, answer, answer_len, out, sizeof out);

        if (answer_len > 0 && answer_len <= sizeof sim->last) {
                memcpy(sim->last, answer, answer_len);
                sim->last_len = answer_len;
        }
        if (out_len == 0)
                return;

        /* On a real line the answer cannot start before the request (and its CR) has crossed
         * the wire; then the firmware thinks a little, or, when it is slow, so long that the
         * requester has given up and asked the next question (late). */
        delay = sim->think_usec;
        if (sim->baud > 0)
                delay += (uint64_t)(len + 1) * 10 * USEC_PER_SEC / sim->baud;
        if (sim->fault == SIM_FAULT_LATE)
                delay += sim->late_usec;
        sim_send(sim, out, out_len, delay);
}
