/* The poller: identity on connect, settings every SettingsInterval, status every PollInterval. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "log.h"
#include "poller.h"

/* Cycles in a row that could not read the status (refusals, bad answers) before the poller
 * gives up on the connection and lets the link reconnect. */
#define POLLER_MAX_FAILED_CYCLES 3
/* QPGSn indexes scanned when QPIRI does not say how many units a system may have. */
#define POLLER_MAX_UNITS 9
/* Every this many settings cycles the identity is read again and every command the inverter
 * refused is asked again (with SettingsInterval=60: every 10 minutes), so a flaky link never
 * removes a capability for good and a firmware update shows. */
#define POLLER_REPROBE_SLOW_CYCLES 10

/* A Step's param for a command whose parameter is today's date (QEDyyyymmdd): worked out when
 * the step is sent, from the clock read earlier in the same cycle. */
#define PARAM_TODAY (-2)

typedef struct Step {
        Pi30Command cmd;
        int param;   /* >= 0, -1 for none, or PARAM_TODAY */
        bool status; /* part of the status a complete cycle must have read */
        bool verify; /* QID again: the serial number must be the one read before */
} Step;

typedef enum PollerState {
        POLLER_DOWN,  /* the link is not open */
        POLLER_IDLE,  /* waiting for the next cycle */
        POLLER_CYCLE, /* a cycle is running */
} PollerState;

struct Poller {
        Device *device;
        PollerIntervals intervals;
        PollerCallbacks callbacks;
        void *userdata;
        PollerState state;
        sd_event_source *timer;
        uint64_t generation; /* bumped when the link goes down: late callbacks are ignored */

        bool connected;      /* a complete cycle on this connection */
        bool identity_due;   /* every cycle reads the identity until one completes */
        bool identity_retry; /* an identity read failed: read it again at the next slow cycle */
        uint64_t last_slow_usec;
        unsigned slow_cycles;
        uint64_t cycle_start_usec;
        unsigned failed_cycles;

        Step steps[64];
        size_t n_steps, pos;
        bool cycle_identity, cycle_refresh;
        bool cycle_identity_failed; /* an identity read of this cycle failed */
        int cycle_error;            /* first failure of a status step in this cycle */
        char cycle_why[200];
        bool scanning_units; /* QPGSn steps are being appended as units answer */
        unsigned unit_limit;
        bool units_scan_ok;

        sd_bus_message **waiting; /* Refresh() calls answered at the end of this cycle */
        size_t n_waiting;
        sd_bus_message **waiting_next; /* … at the end of the next (Refresh) cycle */
        size_t n_waiting_next;
};

static uint64_t now_mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t now_real(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void poller_next_step(Poller *p);

/* A failure carries the cycle's reason (what LastError says: "QPIGS: no answer"), not only the
 * errno's words; the errno picks the error name. */
static void reply_all(sd_bus_message ***list, size_t *n, int error, const char *why)
{
        for (size_t i = 0; i < *n; i++) {
                sd_bus_message *m = (*list)[i];
                if (error < 0)
                        (void)sd_bus_reply_method_errnof(m, error, "Refresh failed: %s",
                                                         why && why[0] ? why : strerror(-error));
                else
                        (void)sd_bus_reply_method_return(m, NULL);
                sd_bus_message_unref(m);
        }
        free(*list);
        *list = NULL;
        *n = 0;
}

static int list_push(sd_bus_message ***list, size_t *n, sd_bus_message *m)
{
        sd_bus_message **a = realloc(*list, (*n + 1) * sizeof *a);
        if (!a)
                return -ENOMEM;
        a[(*n)++] = sd_bus_message_ref(m);
        *list = a;
        return 0;
}

static void poller_schedule(Poller *p, uint64_t delay)
{
        (void)sd_event_source_set_time_relative(p->timer, delay);
        (void)sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static void add_step(Poller *p, Pi30Command cmd, int param, bool status, bool verify)
{
        if (p->n_steps >= ELEMENTSOF(p->steps))
                return;
        if (!device_command_supported(p->device, cmd))
                return;
        p->steps[p->n_steps++] =
                        (Step){.cmd = cmd, .param = param, .status = status, .verify = verify};
}

/* The commands the protocol table puts in a poll class: those a complete cycle needs first,
 * then the others, each in table order (identity: QPI QID QVFW QVFW2 QMN QGMN QMCHGCR QMUCHGCR;
 * settings: QPIRI QFLAG QT QET QEDyyyymmdd QLT QLDyyyymmdd; status: QPIGS QMOD QPIWS QPIGS2).
 * Commands whose parameter is a date are asked for today; the others with a parameter (QPGSn)
 * are scanned separately. */
static void add_class(Poller *p, Pi30PollClass poll)
{
        for (int required = 1; required >= 0; required--)
                for (Pi30Command c = 0; c < _PI30_CMD_MAX; c++) {
                        const Pi30CommandInfo *ci = pi30_command_info(c);
                        if (!ci || ci->poll != poll || ci->required != (bool)required)
                                continue;
                        if (ci->param_digits == 0)
                                add_step(p, c, -1, ci->required, false);
                        else if (ci->param_today)
                                add_step(p, c, PARAM_TODAY, ci->required, false);
                }
}

/* Today as yyyymmdd: the inverter's own date where it told it in this cycle (QT: its counters
 * keep its days), else the system's local date. */
static int poller_today(const Pi30Value *clock)
{
        struct tm tm;
        time_t now;
        int r;

        r = clock ? pi30_clock_date(clock) : -ENODATA;
        if (r >= 0)
                return r;
        now = time(NULL);
        if (!localtime_r(&now, &tm))
                return -EINVAL;
        return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static bool poller_parallel(Poller *p)
{
        const Pi30Value *mode = device_staged_value(p->device, PI30_F_OUTPUT_MODE);

        /* Output mode 0 is a single inverter; parallel and every phase mode have units. */
        return pi30_value_valid(mode) && mode->d != 0;
}

static void poller_start_cycle(Poller *p)
{
        Device *d = p->device;
        uint64_t now = now_mono();
        bool slow, reprobe = false;

        p->state = POLLER_CYCLE;
        p->n_steps = p->pos = 0;
        p->cycle_error = 0;
        p->cycle_why[0] = 0;
        p->cycle_start_usec = now;
        p->scanning_units = false;
        p->units_scan_ok = true;
        p->cycle_identity_failed = false;
        d->cycle_seq++;
        device_stage_clear(d);

        /* Refresh() calls waiting for the next cycle get this one. */
        p->cycle_refresh = p->n_waiting_next > 0;
        for (size_t i = 0; i < p->n_waiting_next; i++)
                (void)list_push(&p->waiting, &p->n_waiting, p->waiting_next[i]);
        for (size_t i = 0; i < p->n_waiting_next; i++)
                sd_bus_message_unref(p->waiting_next[i]);
        free(p->waiting_next);
        p->waiting_next = NULL;
        p->n_waiting_next = 0;

        slow = p->identity_due || p->cycle_refresh || p->last_slow_usec == 0 ||
               now - p->last_slow_usec >= p->intervals.settings_usec;
        if (slow && !p->identity_due && ++p->slow_cycles % POLLER_REPROBE_SLOW_CYCLES == 0) {
                reprobe = true;
                device_reprobe(d);
        }
        p->cycle_identity = p->identity_due || reprobe || (slow && p->identity_retry);
        if (p->cycle_identity)
                add_class(p, PI30_POLL_IDENTITY);
        if (slow)
                add_class(p, PI30_POLL_SLOW);
        add_class(p, PI30_POLL_FAST);
        /* The serial number once more: an identity is published only when it read the same at
         * both ends of the cycle; in settings cycles it tells that another inverter answers. */
        if (p->cycle_identity)
                add_step(p, PI30_CMD_QID, -1, true, true);
        else if (slow)
                add_step(p, PI30_CMD_QID, -1, false, true);
        if (slow)
                p->last_slow_usec = now;

        poller_next_step(p);
}

static void poller_end_cycle(Poller *p)
{
        Device *d = p->device;
        bool complete = p->cycle_error == 0;
        bool first = !d->settled;
        uint64_t next;

        if (complete) {
                /* What clients see changes here and only here: one complete cycle at once. */
                device_stage_commit(d, poller_parallel(p), p->units_scan_ok);
                p->failed_cycles = 0;
                d->last_update_usec = now_real();
                d->cycles++;
                p->connected = true;
                if (p->cycle_identity) {
                        p->identity_due = false;
                        p->identity_retry = p->cycle_identity_failed;
                }
                device_set_online(d, true, 0, NULL);
        } else {
                /* Nothing of a cycle that failed is shown: the last complete one stays. */
                device_stage_clear(d);
                p->failed_cycles++;
                if (p->cycle_identity && !p->identity_due)
                        p->identity_retry = true;
                device_set_error(d, p->cycle_why);
                if (!p->connected)
                        /* Never got a complete reading on this connection: it is not up. */
                        log_debug("%s: first cycle on the connection failed: %s", d->id,
                                  p->cycle_why);
        }

        p->callbacks.cycle_done(d, complete, p->userdata);
        reply_all(&p->waiting, &p->n_waiting, p->cycle_error, p->cycle_why);
        d->settled = true;
        if (first)
                p->callbacks.settled(d, p->userdata);

        if (!complete && (!p->connected || p->failed_cycles >= POLLER_MAX_FAILED_CYCLES)) {
                /* The status cannot be read: reconnect (which also re-learns what the model
                 * supports). link_reset() calls back into poller_link_event(). */
                char why[256];
                snprintf(why, sizeof why, "%s", p->cycle_why);
                link_reset(d->link, p->cycle_error, why);
                return;
        }

        p->state = POLLER_IDLE;
        if (p->n_waiting_next > 0 || (p->identity_due && p->connected))
                next = 0;
        else {
                uint64_t elapsed = now_mono() - p->cycle_start_usec;
                uint64_t interval = p->intervals.poll_usec;
                next = elapsed >= interval ? 0 : interval - elapsed;
        }
        poller_schedule(p, next);
}

typedef struct StepCall {
        Poller *poller;
        uint64_t generation;
} StepCall;

static void poller_fail_cycle(Poller *p, int error, const char *fmt, ...) _printf_(3, 4);

/* The cycle cannot be complete any more: say why now (LastError shows it at once, before any
 * reconnect). The rest of the cycle is still read (and dropped): three requests in a row that
 * fail lose the link within seconds, whatever the poll interval. */
static void poller_fail_cycle(Poller *p, int error, const char *fmt, ...)
{
        va_list ap;

        if (p->cycle_error != 0)
                return;
        p->cycle_error = error;
        va_start(ap, fmt);
        vsnprintf(p->cycle_why, sizeof p->cycle_why, fmt, ap);
        va_end(ap);
        device_set_error(p->device, p->cycle_why);
}

static const char *result_words(Poller *p, int result)
{
        /* Timeouts, garbage, foreign frames: the link names the outage's most specific cause. */
        const char *words = link_failure_words(p->device->link, result);

        if (words)
                return words;
        switch (result) {
        case -ETIMEDOUT:
                return "no answer";
        case -ETIME:
                return "answer too slow";
        case -EREMOTEIO:
                return "refused (NAK)";
        case -EOPNOTSUPP:
                return "echoed (unknown command)";
        case -EBADMSG:
                return "answer not understood";
        case -EPROTO:
                return "answers kept failing CRC or framing";
        default:
                return strerror(-result);
        }
}

static bool is_identity(Pi30Command cmd)
{
        const Pi30CommandInfo *ci = pi30_command_info(cmd);
        return ci && ci->poll == PI30_POLL_IDENTITY;
}

/* The second QID of a cycle. */
static void poller_verify_serial(Poller *p, const Step *s, int result)
{
        Device *d = p->device;
        const Pi30Value *first = device_staged_value(d, PI30_F_SERIAL_NUMBER);
        const Pi30Value *now = &d->scratch[PI30_F_SERIAL_NUMBER];

        if (result < 0) {
                if (s->status && result != -EREMOTEIO && result != -EOPNOTSUPP)
                        poller_fail_cycle(p, result == -ETIME ? -ETIMEDOUT : result,
                                          "QID: %s (identity not confirmed)",
                                          result_words(p, result));
                return;
        }
        if (!pi30_value_valid(first))
                return; /* nothing to compare with: the identity is read again later */
        if (streq(first->s, now->s))
                return;
        log_warning("%s: serial number %s, then %s, reading the identity again.", d->id, first->s,
                    now->s);
        p->identity_due = true;
        poller_fail_cycle(p, -EPROTO, "QID: serial number %s, then %s: identity not confirmed",
                          first->s, now->s);
}

static void poller_step_done(Device *d, int result, void *userdata)
{
        _cleanup_free_ StepCall *call = userdata;
        Poller *p = call->poller;
        Step *s;

        if (result == -ECANCELED)
                return; /* the device is going away */
        if (call->generation != p->generation || p->state != POLLER_CYCLE)
                return; /* the link went down meanwhile; this cycle is over */
        s = &p->steps[p->pos];

        if (result == -ENOTCONN)
                return; /* poller_link_event() handles it */

        if (s->verify)
                poller_verify_serial(p, s, result);
        else if (s->cmd == PI30_CMD_QPGS) {
                if (result < 0 && result != -EOPNOTSUPP && result != -EREMOTEIO)
                        p->units_scan_ok = false;
                /* Units are numbered from 0 without gaps: the first empty slot ends the scan. */
                if (result == 0 && device_stage_unit_present(d, (unsigned)s->param) &&
                    (unsigned)s->param + 1 < p->unit_limit)
                        add_step(p, PI30_CMD_QPGS, s->param + 1, false, false);
        } else if (result < 0) {
                /* Expected: a status command the inverter has (QPI always). One that turned out
                 * unsupported just now (refused before it ever answered) is not. */
                bool expected = s->status &&
                                (s->cmd == PI30_CMD_QPI || device_command_supported(d, s->cmd));
                if (expected)
                        /* The refused answer (or the frame skipped as no answer to it) named,
                         * so a wrong model or a shifted conversation can be told apart. */
                        poller_fail_cycle(p,
                                          result == -EBADMSG ? -EPROTO
                                          : result == -ETIME ? -ETIMEDOUT
                                                             : result,
                                          "%s: %s%s%s%s", pi30_command_info(s->cmd)->name,
                                          result_words(p, result),
                                          d->refusal[0] ? (result == -EBADMSG
                                                                           ? " ("
                                                                           : " (skipped a frame: ")
                                                        : "",
                                          d->refusal, d->refusal[0] ? ")" : "");
                if (s->cmd == PI30_CMD_QPI)
                        /* Without QPI there is no PI30 inverter to talk to. */
                        p->pos = p->n_steps;
                else if (is_identity(s->cmd) && ((result != -EREMOTEIO && result != -EOPNOTSUPP) ||
                                                 device_command_supported(d, s->cmd)))
                        /* Not published; asked again at the next settings cycle (so is one
                         * refused too few times to count as unsupported: an identity is read
                         * once per connection otherwise). */
                        p->cycle_identity_failed = true;
        } else if (s->cmd == PI30_CMD_QID && p->cycle_identity)
                device_set_known_serial(d, device_staged_value(d, PI30_F_SERIAL_NUMBER)->s);

        /* The fixed status commands are done: scan the parallel units. */
        p->pos++;
        if (p->pos == p->n_steps && !p->scanning_units && p->cycle_error == 0 &&
            poller_parallel(p) && device_command_supported(d, PI30_CMD_QPGS)) {
                const Pi30Value *max = device_staged_value(d, PI30_F_PARALLEL_MAX_UNITS);
                p->scanning_units = true;
                p->unit_limit = pi30_value_valid(max) && max->d >= 1 && max->d <= 99
                                                ? (unsigned)max->d
                                                : POLLER_MAX_UNITS;
                add_step(p, PI30_CMD_QPGS, 0, false, false);
        }
        poller_next_step(p);
}

static void poller_next_step(Poller *p)
{
        Device *d = p->device;

        while (p->pos < p->n_steps) {
                Step *s = &p->steps[p->pos];
                StepCall *call;
                int r;

                call = malloc(sizeof *call);
                if (!call) {
                        p->pos++;
                        continue;
                }
                *call = (StepCall){.poller = p, .generation = p->generation};
                if (s->param == PARAM_TODAY)
                        s->param = poller_today(d->staged[PI30_CMD_QT]
                                                                ? &d->stage[PI30_F_DEVICE_TIME]
                                                                : NULL);
                r = device_read_mode(d, s->verify ? DEVICE_READ_CHECK : DEVICE_READ_STAGE, s->cmd,
                                     s->param,
                                     p->cycle_refresh ? LINK_PRIORITY_REFRESH : LINK_PRIORITY_POLL,
                                     poller_step_done, call);
                if (r >= 0)
                        return;
                free(call);
                if (r == -ENOTCONN)
                        return; /* poller_link_event() ends the cycle */
                /* Known unsupported (or unformattable): skip. */
                p->pos++;
        }
        poller_end_cycle(p);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Poller *p = userdata;

        if (p->state == POLLER_IDLE)
                poller_start_cycle(p);
        return 0;
}

void poller_link_event(Poller *p, LinkEvent event, int error, const char *why)
{
        Device *d = p->device;

        switch (event) {
        case LINK_EVENT_OPENED:
                p->generation++;
                p->connected = false;
                p->identity_due = true;
                p->failed_cycles = 0;
                p->last_slow_usec = 0;
                /* What answered before is remembered (same serial number); what was refused is
                 * asked again. */
                device_reprobe(d);
                device_stage_clear(d);
                if (!d->online)
                        device_set_error(d, "connecting");
                p->state = POLLER_IDLE;
                poller_schedule(p, 0);
                break;

        case LINK_EVENT_LOST:
                p->generation++;
                p->state = POLLER_DOWN;
                p->connected = false;
                device_stage_clear(d);
                (void)sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
                device_set_online(d, false, error, why);
                p->callbacks.online_changed(d, false, p->userdata);
                reply_all(&p->waiting, &p->n_waiting, -ENOTCONN, d->last_error);
                reply_all(&p->waiting_next, &p->n_waiting_next, -ENOTCONN, d->last_error);
                if (!d->settled) {
                        d->settled = true;
                        p->callbacks.settled(d, p->userdata);
                }
                break;
        }
}

int poller_refresh(Poller *p, sd_bus_message *m)
{
        if (p->state == POLLER_DOWN)
                return -ENOTCONN;
        if (p->state == POLLER_CYCLE && p->cycle_refresh)
                return list_push(&p->waiting, &p->n_waiting, m);
        int r = list_push(&p->waiting_next, &p->n_waiting_next, m);
        if (r < 0)
                return r;
        if (p->state == POLLER_IDLE)
                poller_schedule(p, 0);
        return 0;
}

int poller_new(sd_event *event, Device *d, const PollerIntervals *intervals,
               const PollerCallbacks *callbacks, void *userdata, Poller **ret)
{
        Poller *p;
        int r;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->device = d;
        p->intervals = *intervals;
        p->callbacks = *callbacks;
        p->userdata = userdata;
        p->state = POLLER_DOWN;
        r = sd_event_add_time(event, &p->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, p);
        if (r < 0) {
                free(p);
                return r;
        }
        (void)sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
        *ret = p;
        return 0;
}

Poller *poller_free(Poller *p)
{
        if (!p)
                return NULL;
        /* Nothing of ours is in flight: device_free() freed the link first, which completed
         * every request (and so freed each StepCall). */
        reply_all(&p->waiting, &p->n_waiting, -ENOTCONN, NULL);
        reply_all(&p->waiting_next, &p->n_waiting_next, -ENOTCONN, NULL);
        p->timer = sd_event_source_disable_unref(p->timer);
        free(p);
        return NULL;
}
