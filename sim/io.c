/* Between transports and the inverter: request framing, UART-paced output, plug and unplug. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "sim.h"

void sim_receive(Sim *sim, const uint8_t *buf, size_t len, bool report)
{
        for (size_t i = 0; i < len; i++) {
                uint8_t b = buf[i];

                if (b == '\r') {
                        if (sim->request_overflow)
                                log_warning("Request longer than %d bytes, ignoring.",
                                            SIM_REQUEST_MAX);
                        else if (sim->request_len > 0)
                                sim_handle_request(sim, sim->request, sim->request_len);
                        sim->request_len = 0;
                        sim->request_overflow = false;
                        /* A HID report that carried the CR is NUL-padded: the rest is fill. */
                        if (report)
                                return;
                        continue;
                }

                /* Line noise between requests: a LF after a CR (some clients send CR LF),
                 * the leading report-number byte or NUL fill of a HID write. */
                if (sim->request_len == 0 && (b == '\n' || b == '\0'))
                        continue;

                if (sim->request_len >= SIM_REQUEST_MAX) {
                        sim->request_overflow = true;
                        continue;
                }
                sim->request[sim->request_len++] = b;
        }
}

/* The time one byte takes on the line now. Trickle paces a byte stream one byte per interval
 * and a HID transport one report per interval: a report is the smallest piece a HID bridge
 * hands over, and NULs inside an answer would corrupt it. */
static uint64_t byte_usec(const Sim *sim)
{
        size_t chunk = sim->transport->chunk;

        if (sim->fault == SIM_FAULT_TRICKLE)
                return chunk > 1 ? sim->trickle_usec / chunk : sim->trickle_usec;
        return sim->baud > 0 ? 10 * USEC_PER_SEC / sim->baud : 0;
}

static uint64_t now_usec(Sim *sim)
{
        uint64_t t = 0;

        (void)sd_event_now(sim->event, CLOCK_MONOTONIC, &t);
        return t;
}

/* When the last byte handed over so far has crossed the wire. */
static uint64_t wire_free_usec(const Sim *sim)
{
        return sim->out_start + (uint64_t)(sim->out_sent - sim->out_base) * sim->out_bt;
}

static void sim_output_schedule(Sim *sim);

/* The queue is empty: start over at the front of the buffer, remembering when the line is free. */
static void output_empty(Sim *sim)
{
        sim->out_start = wire_free_usec(sim);
        sim->out_len = sim->out_sent = sim->out_base = 0;
        sim->n_answers = 0;
        sim->answer_started = false;
}

/* Hands over every piece whose last byte has crossed the simulated wire by now. Answers go out
 * one after the other, each no earlier than its own start time. */
static void sim_output_flush(Sim *sim)
{
        uint64_t now = now_usec(sim);
        size_t chunk = sim->transport->chunk;

        while (sim->out_sent < sim->out_len && sim->n_answers > 0) {
                SimAnswer *a = &sim->answers[0];
                size_t n;
                ssize_t r;

                if (!sim->answer_started) {
                        uint64_t free_at = wire_free_usec(sim);

                        sim->out_start = a->not_before > free_at ? a->not_before : free_at;
                        sim->out_base = sim->out_sent;
                        sim->out_bt = byte_usec(sim);
                        sim->answer_started = true;
                }
                if (now < sim->out_start)
                        break;

                n = a->end - sim->out_sent;
                if (n > chunk && chunk > 1)
                        n = chunk;
                if (sim->out_bt > 0) {
                        /* Bytes of this answer fully on the wire at `now`. */
                        size_t due = sim->out_base + (size_t)((now - sim->out_start) / sim->out_bt);

                        if (due <= sim->out_sent)
                                break;
                        if (chunk == 1) {
                                if (n > due - sim->out_sent)
                                        n = due - sim->out_sent;
                        } else if (due < sim->out_sent + n)
                                break; /* a report goes out once all of its bytes are there */
                }

                r = sim->transport->send(sim, sim->out + sim->out_sent, n);
                if (r == -EAGAIN) {
                        /* Nobody reads: a UART would overrun and lose the bytes too. */
                        log_debug("Client not reading, dropping %zu bytes.", n);
                        r = (ssize_t)n;
                } else if (r < 0) {
                        log_debug_errno((int)r, "Sending failed, dropping output: %s",
                                        ERRSTR((int)r));
                        sim_output_reset(sim);
                        return;
                }
                sim->out_sent += (size_t)r;
                if (sim->out_sent >= a->end) {
                        /* The next answer starts when this one has left the wire. */
                        sim->out_start = wire_free_usec(sim);
                        sim->out_base = sim->out_sent;
                        memmove(sim->answers, sim->answers + 1,
                                (sim->n_answers - 1) * sizeof *sim->answers);
                        sim->n_answers--;
                        sim->answer_started = false;
                }
        }

        if (sim->out_sent >= sim->out_len || sim->n_answers == 0) {
                output_empty(sim);
                return;
        }
        sim_output_schedule(sim);
}

static int on_output_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        sim_output_flush(userdata);
        return 0;
}

static void sim_output_schedule(Sim *sim)
{
        size_t chunk = sim->transport->chunk;
        size_t next = sim->out_sent + (chunk > 1 ? chunk : 1);
        uint64_t when;
        int r;

        if (next > sim->answers[0].end)
                next = sim->answers[0].end;
        when = sim->out_start + (uint64_t)(next - sim->out_base) * sim->out_bt;

        if (!sim->out_timer) {
                r = sd_event_add_time(sim->event, &sim->out_timer, CLOCK_MONOTONIC, when,
                                      USEC_PER_MSEC / 2, on_output_timer, sim);
                if (r < 0) {
                        log_error_errno(r, "Failed to add output timer: %s", ERRSTR(r));
                        sim_output_reset(sim);
                        return;
                }
                return;
        }
        (void)sd_event_source_set_time(sim->out_timer, when);
        (void)sd_event_source_set_enabled(sim->out_timer, SD_EVENT_ONESHOT);
}

void sim_output_reset(Sim *sim)
{
        sim->out_len = sim->out_sent = sim->out_base = 0;
        sim->n_answers = 0;
        sim->answer_started = false;
        sim->out_start = 0;
        sim->out_bt = 0;
        if (sim->out_timer)
                (void)sd_event_source_set_enabled(sim->out_timer, SD_EVENT_OFF);
}

void sim_output_repace(Sim *sim)
{
        if (sim->n_answers == 0)
                return;
        if (sim->answer_started) {
                /* The rest of the answer on the wire continues at the new pace from now on (or
                 * from its start, if that is still to come). */
                uint64_t now = now_usec(sim), free_at = wire_free_usec(sim);

                sim->out_start = free_at > now ? free_at : now;
                sim->out_base = sim->out_sent;
                sim->out_bt = byte_usec(sim);
        }
        sim_output_flush(sim);
}

size_t sim_output_queued(const Sim *sim)
{
        return sim->n_answers;
}

void sim_send(Sim *sim, const uint8_t *buf, size_t len, uint64_t delay_usec)
{
        size_t chunk = sim->transport->chunk;
        size_t padded = chunk > 1 ? (len + chunk - 1) / chunk * chunk : len;
        uint64_t now = now_usec(sim);

        if (!sim->plugged || len == 0)
                return;

        if (sim->n_answers == 0)
                output_empty(sim);
        else if (sim->out_sent > 0) {
                /* Keep the buffer from creeping: move what is still queued to the front. */
                size_t gone = sim->out_sent;

                memmove(sim->out, sim->out + gone, sim->out_len - gone);
                sim->out_start += (uint64_t)(gone - sim->out_base) * sim->out_bt;
                sim->out_len -= gone;
                sim->out_base = 0;
                sim->out_sent = 0;
                for (size_t i = 0; i < sim->n_answers; i++)
                        sim->answers[i].end -= gone;
        }

        if (sim->out_len + padded > sizeof sim->out || sim->n_answers >= SIM_ANSWERS_MAX) {
                log_warning("Output queue full, dropping a %zu-byte answer.", len);
                return;
        }
        memcpy(sim->out + sim->out_len, buf, len);
        /* HID answers end in a NUL-filled report (PI30.md §1.2). */
        memset(sim->out + sim->out_len + len, 0, padded - len);
        sim->out_len += padded;
        sim->answers[sim->n_answers++] = (SimAnswer){
                        .end = sim->out_len,
                        .not_before = now + delay_usec,
        };

        sim_output_flush(sim);
}

int sim_plug(Sim *sim)
{
        int r;

        if (sim->plugged)
                return 0;
        r = sim->transport->plug(sim);
        if (r < 0)
                return r;
        sim->plugged = true;
        sim->request_len = 0;
        sim->request_overflow = false;
        return 0;
}

void sim_unplug(Sim *sim)
{
        if (!sim->plugged)
                return;
        sim->transport->unplug(sim);
        sim->plugged = false;
        sim_output_reset(sim);
        sim->request_len = 0;
        sim->last_len = 0;
        log_notice("Unplugged.");
}

int sim_replug(Sim *sim)
{
        int r;

        sim_unplug(sim);
        /* Power-cycling is what unwedges real units. */
        sim->wedged = false;
        if (sim->fault == SIM_FAULT_WEDGE)
                sim->fault = SIM_FAULT_NONE;
        r = sim_plug(sim);
        if (r < 0)
                return r;
        log_notice("Replugged.");
        return 0;
}
