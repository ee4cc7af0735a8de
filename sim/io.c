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

static uint64_t byte_usec(const Sim *sim)
{
        return sim->baud > 0 ? 10 * USEC_PER_SEC / sim->baud : 0;
}

static uint64_t now_usec(Sim *sim)
{
        uint64_t t = 0;

        (void)sd_event_now(sim->event, CLOCK_MONOTONIC, &t);
        return t;
}

static void sim_output_schedule(Sim *sim);

/* Hands over every piece whose last byte has crossed the simulated wire by now. */
static void sim_output_flush(Sim *sim)
{
        uint64_t now = now_usec(sim), bt = byte_usec(sim);
        size_t chunk = sim->transport->chunk;

        while (sim->out_sent < sim->out_len) {
                size_t n = sim->out_len - sim->out_sent;
                ssize_t r;

                if (n > chunk && chunk > 1)
                        n = chunk;
                if (bt > 0) {
                        /* Bytes fully on the wire at `now`. */
                        uint64_t elapsed = now > sim->out_start ? now - sim->out_start : 0;
                        size_t due = sim->out_base + (size_t)(elapsed / bt);

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
        }

        if (sim->out_sent >= sim->out_len) {
                sim->out_len = sim->out_sent = sim->out_base = 0;
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
        uint64_t bt = byte_usec(sim), when;
        size_t chunk = sim->transport->chunk;
        size_t next = sim->out_sent + (chunk > 1 ? chunk : 1);
        int r;

        if (next > sim->out_len)
                next = sim->out_len;
        when = sim->out_start + (uint64_t)(next - sim->out_base) * bt;

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
        if (sim->out_timer)
                (void)sd_event_source_set_enabled(sim->out_timer, SD_EVENT_OFF);
}

void sim_send(Sim *sim, const uint8_t *buf, size_t len, uint64_t delay_usec)
{
        size_t chunk = sim->transport->chunk;
        size_t padded = chunk > 1 ? (len + chunk - 1) / chunk * chunk : len;
        uint64_t now = now_usec(sim);

        if (!sim->plugged)
                return;

        if (sim->out_sent >= sim->out_len) {
                sim->out_len = sim->out_sent = sim->out_base = 0;
                sim->out_start = now + delay_usec;
        } else if (sim->out_sent > 0) {
                /* Keep the buffer from creeping: move what is still queued to the front. */
                uint64_t bt = byte_usec(sim);
                memmove(sim->out, sim->out + sim->out_sent, sim->out_len - sim->out_sent);
                sim->out_start += (uint64_t)(sim->out_sent - sim->out_base) * bt;
                sim->out_len -= sim->out_sent;
                sim->out_base = 0;
                sim->out_sent = 0;
        }

        if (sim->out_len + padded > sizeof sim->out) {
                log_warning("Output queue full, dropping a %zu-byte answer.", len);
                return;
        }
        memcpy(sim->out + sim->out_len, buf, len);
        /* HID answers end in a NUL-filled report (PI30.md §1.2). */
        memset(sim->out + sim->out_len + len, 0, padded - len);
        sim->out_len += padded;

        if (byte_usec(sim) == 0 && delay_usec == 0) {
                sim_output_flush(sim);
                return;
        }
        sim_output_schedule(sim);
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
