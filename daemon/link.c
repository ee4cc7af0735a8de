/* The link: one request in flight to one inverter, a priority queue, timeouts, retries, reconnect,
 * and the rules that make an answer belong to the request it answers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "link-writer.h"
#include "link.h"
#include "log.h"
#include "transport.h"

/* Timing (doc/daemon.md "Link timing"). At 2400 baud 8N1 a byte takes 10 bits / 2400 = 4.17 ms
 * on the wire; the USB bridge forwards the same UART stream as 8-byte reports, one per 33 ms. */
#define LINK_BYTE_USEC 4167
/* The first byte of an answer normally comes ~0.1 s after the request (PI30.md §1.3): no byte
 * for 1 s means no answer. */
#define LINK_FIRST_BYTE_USEC (1000 * USEC_PER_MSEC)
/* After that first second, an answer must be complete within twice its longest length on the
 * wire (the table's widths: QPIGS 120 bytes = 0.5 s, so 1 s; QMOD 5 bytes, 42 ms). Twice,
 * because a few fields print wider on big models and a loaded host or USB bridge delivers in
 * bursts. A line that trickles (a byte now and then, never a frame) thus fails QPIGS after 2 s
 * instead of keeping the request alive. */
#define LINK_WIRE_MARGIN 2
/* Commands the table does not know (RawCommand): the longest PI30 answer, QPGSn, is ~140 bytes. */
#define LINK_UNKNOWN_ANSWER_BYTES 160
/* After a failed attempt, after frames that answered no request, and when the node opens, the
 * line must have been quiet this long before the next request is written; whatever arrives
 * meanwhile is discarded. A late answer still coming in is so never taken for the next
 * command's. 250 ms = 60 byte times at 2400 baud and 7 HID reports: a gap inside an answer in
 * flight never looks like quiet, and an answer starting up to 0.25 s after its first-byte
 * timeout is caught. Only failures pay it: a normal cycle never waits. (An answer later than
 * that meets the next request's shape check instead.) */
#define LINK_GUARD_USEC (250 * USEC_PER_MSEC)
/* A line that is never quiet (noise) must not block the queue: write after this anyway; the
 * answers will fail and the failures count towards losing the link. */
#define LINK_GUARD_MAX_USEC (3 * USEC_PER_SEC)
/* NAK and ACK have no shape to check: one is final only when the line stays quiet this long
 * after it. Anything but line noise following it means it was stale (e.g. a duplicated short
 * answer in front of the real one). 100 ms = 24 byte times, 3 HID reports. */
#define LINK_SETTLE_USEC (100 * USEC_PER_MSEC)
/* Attempts per request (1 + retries) for timeouts, CRC/framing failures and foreign answers. */
#define LINK_MAX_ATTEMPTS 2
/* Requests in a row that failed all their attempts before the link is declared lost. */
#define LINK_MAX_FAILURES 3
/* Reconnect backoff: 1 s doubling to 10 s; a missing node is looked for every second. */
#define LINK_BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define LINK_BACKOFF_MAX_USEC (10 * USEC_PER_SEC)
#define LINK_PATH_POLL_USEC (1 * USEC_PER_SEC)
/* A probed node (autodetected: 0665:5161 is also the id of Megatec UPSes, which NUT drives) is
 * left alone after it answered QPI with something that is no PI30 answer (an echo, a NAK, a
 * frame of another shape) once, or failed to answer it on this many connections in a row. */
#define LINK_PROBE_MAX_SILENT 3
/* A reset that brought no answer is not repeated before this (a switched-off inverter behind a
 * bridge that is fine would otherwise be reset every few seconds, forever). */
#define LINK_USB_RESET_RETRY_USEC (10 * 60 * USEC_PER_SEC)
/* A request's write() that takes this long is said once per connection. On hidraw it runs on
 * the writer thread (link-writer.c): a SET_REPORT took up to 0.74 s in the test guest. */
#define LINK_WRITE_SLOW_USEC (50 * USEC_PER_MSEC)
/* The first-byte timeout counts from the end of the write; one that never ends (each report may
 * take the kernel's USB control timeout, 5 s) fails the attempt after this. */
#define LINK_WRITE_MAX_USEC (6 * USEC_PER_SEC)

#define LINK_RX_MAX 1024

typedef struct LinkRequest {
        struct LinkRequest *next;
        LinkPriority priority;
        char command[40];
        uint8_t wire[48];
        size_t wire_len;
        LinkDoneFunc done;
        LinkCheckFunc check;
        Pi30Command known; /* the table's command, for the default check; < 0 unknown */
        void *userdata;
        unsigned attempts;
        uint64_t answer_usec; /* how long the whole answer may take after the first second */
        bool skipped;         /* frames that answered no request came during this attempt */
        bool garbled;         /* lines that are no frame at all came during this attempt */
} LinkRequest;

/* A device node as it is now: a replug makes a new one (same name and often the same numbers,
 * but a new change time). */
typedef struct NodeId {
        dev_t rdev;
        ino_t ino;
        struct timespec ctime;
} NodeId;

static void node_id_of(const struct stat *st, NodeId *ret)
{
        *ret = (NodeId){.rdev = st->st_rdev, .ino = st->st_ino, .ctime = st->st_ctim};
}

static bool node_id_equal(const NodeId *a, const NodeId *b)
{
        return a->rdev == b->rdev && a->ino == b->ino && a->ctime.tv_sec == b->ctime.tv_sec &&
               a->ctime.tv_nsec == b->ctime.tv_nsec;
}

typedef enum LinkPhase {
        LINK_PHASE_IDLE,   /* no request in flight */
        LINK_PHASE_GUARD,  /* a request waits for the line to be quiet */
        LINK_PHASE_WAIT,   /* written, waiting for the answer */
        LINK_PHASE_SETTLE, /* a NAK/ACK arrived; final if nothing follows */
} LinkPhase;

struct Link {
        sd_event *event;
        TransportSpec spec;
        char display_path[128];

        int fd;
        bool open;
        bool fd_dead; /* an inherited descriptor whose peer went away: cannot come back */

        sd_event_source *io;
        sd_event_source *timer;  /* guard, answer timeouts, settle */
        sd_event_source *reopen; /* reconnect */
        sd_event_source *kick;   /* starts the next request from the loop, never from submit */

        LinkRequest *head[_LINK_PRIORITY_MAX];
        LinkRequest *tail[_LINK_PRIORITY_MAX];
        LinkRequest *current;
        size_t n_pending;
        LinkPhase phase;

        uint64_t started_usec;  /* the current attempt was written */
        uint64_t first_rx_usec; /* its first byte came (0 = none yet) */
        uint64_t last_rx_usec;  /* the last byte of anything came */
        bool guard;             /* the line must be quiet before the next write */
        uint64_t guard_from_usec;
        uint64_t guard_since_usec;
        bool answer_started; /* for the done callback of a timed-out request */

        Pi30FrameKind held_kind; /* SETTLE: the NAK or ACK waiting to become final */
        Pi30CrcStatus held_crc;
        char held_payload[8];
        size_t held_len;

        uint8_t rx[LINK_RX_MAX];
        size_t rx_len;
        Pi30Value *scratch; /* decoding space of the default check */

        unsigned failures;
        int last_failure;        /* the most specific failure of the current run of failures */
        unsigned garbled_in_row; /* answers that failed CRC/framing since the last valid one */
        char words[96];
        uint64_t backoff_usec;
        uint64_t requests_sent;

        /* Probing (autodetected nodes): whether the node on the other end speaks PI30. */
        bool probe;
        bool probe_passed;     /* QPI answered on this node: an inverter, however flaky */
        unsigned probe_silent; /* connections in a row whose QPI got no answer */
        bool left_alone;       /* not PI30: not opened again while the same node stays */
        bool node_known;
        NodeId node; /* the node last opened (or left alone) */

        /* The USB recovery ladder (link_set_usb_ops()). */
        const LinkUsbOps *usb_ops;
        char name[64];
        bool usb_known;        /* the node last opened is on USB: usb says which device */
        UsbIdentity usb;
        UsbReset *usb_reset;   /* running */
        unsigned usb_resets;   /* succeeded */
        bool usb_reset_unanswered; /* a reset came and nothing answered since */
        uint64_t usb_reset_usec;   /* when the last one started */
        char usb_why[160];         /* why it was reset, for the steps that follow */
        uint64_t write_max_usec;
        bool write_slow_said;
        LinkWriter *writer;   /* hidraw: writes off the loop */
        uint64_t write_token; /* the attempt whose write is in progress */
        bool writing;

        LinkEventFunc on_event;
        void *userdata;
};

static const LinkUsbOps link_usb_default = {
                .identify = usb_identity_of_fd,
                .find = usb_find_hidraw,
                .reset = usb_reset_device,
};

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void link_schedule_reopen(Link *l, uint64_t delay);
static void link_lost(Link *l, int error, const char *why);
static void link_begin(Link *l);

/* HID NUL fill, a CR or an extra LF after one: not a sign of anybody talking. */
static bool link_meaningful(const uint8_t *buf, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (buf[i] != 0 && buf[i] != '\r' && buf[i] != '\n')
                        return true;
        return false;
}

/* Bytes no PI30 answer carries: a frame is printable ASCII between '(' and the two CRC bytes,
 * so a control or 8-bit byte before the last two bytes (HID NUL fill, CR and LF aside) is
 * garbage, as a wrong baud rate or a bad cable produces. A stale or trickled tail of an answer
 * (printable, then the CRC) is not. */
static bool link_garbage(const uint8_t *buf, size_t len)
{
        while (len > 0 && (buf[len - 1] == 0 || buf[len - 1] == '\r' || buf[len - 1] == '\n'))
                len--;
        for (size_t i = 0; i + 2 < len; i++) {
                uint8_t b = buf[i];
                if (b == 0 || b == '\r' || b == '\n')
                        continue;
                if (b < 0x20 || b >= 0x7f)
                        return true;
        }
        return false;
}

static void link_kick(Link *l)
{
        if (l->kick)
                (void)sd_event_source_set_enabled(l->kick, SD_EVENT_ONESHOT);
}

static void link_arm(Link *l, uint64_t when)
{
        (void)sd_event_source_set_time(l->timer, when);
        (void)sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

static void link_set_guard(Link *l)
{
        l->guard = true;
        l->guard_from_usec = now_usec();
}

static void link_close_fd(Link *l)
{
        l->io = sd_event_source_disable_unref(l->io);
        if (l->spec.fd >= 0 && !l->fd_dead) {
                /* An inherited descriptor cannot be reopened: keep it, just stop reading. */
                l->fd = -1;
                return;
        }
        l->fd = safe_close(l->fd);
}

static LinkRequest *link_dequeue(Link *l)
{
        for (int p = 0; p < _LINK_PRIORITY_MAX; p++) {
                LinkRequest *r = l->head[p];
                if (!r)
                        continue;
                l->head[p] = r->next;
                if (!l->head[p])
                        l->tail[p] = NULL;
                r->next = NULL;
                return r;
        }
        return NULL;
}

static bool link_is_failure(int result)
{
        return result == -ETIMEDOUT || result == -EPROTO || result == -EBADMSG;
}

/* How much a failure says about the cause: garbage on the line (a wrong baud rate, a bad
 * cable) beats answers of other commands, beats a trickle, beats silence. A run of failures is
 * named after its most specific one. */
static int failure_rank(int failure)
{
        switch (failure) {
        case -EPROTO:
                return 4;
        case -EBADMSG:
                return 3;
        case -ETIME:
                return 2;
        case -ETIMEDOUT:
                return 1;
        default:
                return 0;
        }
}

static void link_leave_alone(Link *l, int result);
static bool link_usb_reset_due(Link *l);
static void link_usb_reset(Link *l, const char *why);

/* Completes the current request. The frame points into rx (or held_payload), which stays
 * untouched until done returned. */
static void link_finish(Link *l, int result, const Pi30Frame *frame)
{
        LinkRequest *r = l->current;

        if (!r)
                return;
        l->current = NULL;
        l->n_pending--;
        l->phase = LINK_PHASE_IDLE;
        (void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);

        if (link_is_failure(result)) {
                int failure = result == -ETIMEDOUT && l->answer_started ? -ETIME : result;
                if (l->failures == 0 || failure_rank(failure) >= failure_rank(l->last_failure))
                        l->last_failure = failure;
                l->failures++;
        } else {
                /* The inverter answered something meaningful: it is alive. */
                l->failures = 0;
                l->backoff_usec = 0;
                if (result != -ENOTCONN && result != -ECANCELED) {
                        l->garbled_in_row = 0;
                        l->usb_reset_unanswered = false;
                }
        }

        if (r->known == PI30_CMD_QPI && result == 0) {
                l->probe_passed = true;
                l->probe_silent = 0;
        } else if (l->probe && !l->probe_passed && r->known == PI30_CMD_QPI &&
                   result != -ENOTCONN && result != -ECANCELED) {
                /* An echo, NAK or foreign frame is a definite "not PI30"; silence or garbage
                 * may be a booting inverter, so that needs several connections. */
                bool definite = result == -EOPNOTSUPP || result == -EREMOTEIO || result == -EBADMSG;
                if (definite || ++l->probe_silent >= LINK_PROBE_MAX_SILENT) {
                        /* Its owner learns of it as the link going down. */
                        if (r->done)
                                r->done(l, -ENOTCONN, NULL, r->userdata);
                        free(r);
                        l->rx_len = 0;
                        link_leave_alone(l, result);
                        return;
                }
        }

        if (r->done)
                r->done(l, result, result == 0 ? frame : NULL, r->userdata);
        free(r);
        l->rx_len = 0;

        if (l->open && l->failures >= LINK_MAX_FAILURES) {
                char why[160];
                if (l->last_failure == -EPROTO)
                        snprintf(why, sizeof why, "%s", link_failure_words(l, -EPROTO));
                else
                        snprintf(why, sizeof why, "no valid answer to %d requests in a row (%s)",
                                 LINK_MAX_FAILURES,
                                 l->last_failure == -ETIME ? "answers too slow"
                                 : l->last_failure == -ETIMEDOUT
                                                 ? "timeouts"
                                                 : "answers that belonged to other commands");
                /* Silence (not garbage, not a trickle) is what a wedged bridge shows. */
                if (l->last_failure == -ETIMEDOUT && link_usb_reset_due(l)) {
                        link_usb_reset(l, why);
                        return;
                }
                link_lost(l, l->last_failure == -ETIME ? -ETIMEDOUT : l->last_failure, why);
                return;
        }
        link_kick(l);
}

/* An attempt went wrong: whatever is still coming belongs to nobody. */
static void link_attempt_failed(Link *l, int error)
{
        LinkRequest *r = l->current;

        if (!r)
                return;
        if (error == -EPROTO)
                l->garbled_in_row++;
        link_set_guard(l);
        if (r->attempts < LINK_MAX_ATTEMPTS) {
                log_debug("%s: %s failed (%s), retrying.", l->display_path, r->command,
                          error == -ETIMEDOUT && l->answer_started ? "answer too slow"
                                                                   : strerror(-error));
                link_begin(l);
                return;
        }
        link_finish(l, error, NULL);
}

static void link_write_took(Link *l, const char *command, uint64_t took)
{
        if (took > l->write_max_usec)
                l->write_max_usec = took;
        if (took < LINK_WRITE_SLOW_USEC)
                return;
        if (!l->write_slow_said)
                log_notice("%s: writing %s took %" PRIu64 " ms%s.", l->display_path, command,
                           took / USEC_PER_MSEC,
                           l->writer ? " (on the writer thread, not the event loop)"
                                     : " (the event loop waited for it)");
        else
                log_debug("%s: writing %s took %" PRIu64 " ms.", l->display_path, command,
                          took / USEC_PER_MSEC);
        l->write_slow_said = true;
}

/* The writer thread is done with an attempt's request. */
static void on_write_done(int result, uint64_t usec, uint64_t token, void *userdata)
{
        Link *l = userdata;

        link_write_took(l, l->current && token == l->write_token ? l->current->command
                                                                  : "a request",
                        usec);
        if (!l->writing || token != l->write_token)
                return; /* an attempt that is over */
        l->writing = false;
        if (!l->open || !l->current || l->phase != LINK_PHASE_WAIT)
                return;
        if (result == -ENODEV) {
                link_lost(l, -ENODEV, "the device node went away");
                return;
        }
        if (result < 0)
                /* The timeout turns it into a retry. */
                log_debug_errno(result, "%s: writing %s failed: %s", l->display_path,
                                l->current->command, strerror(-result));
        /* The inverter starts thinking once the request is out. */
        l->started_usec = now_usec();
        link_arm(l, l->started_usec + LINK_FIRST_BYTE_USEC +
                                    (l->first_rx_usec ? l->current->answer_usec : 0));
}

static void link_write(Link *l)
{
        LinkRequest *r = l->current;
        ssize_t n;
        int k;

        /* Whatever is waiting belongs to an answer nobody waits for any more. */
        n = transport_drain(l->spec.kind, l->fd);
        if (n == -ENODEV) {
                link_lost(l, -ENODEV, "the device node went away");
                return;
        }
        if (n > 0)
                log_debug("%s: dropped %zd stale bytes before %s.", l->display_path, n, r->command);
        l->rx_len = 0;
        r->attempts++;
        r->skipped = false;
        r->garbled = false;
        l->requests_sent++;
        l->started_usec = now_usec();
        l->first_rx_usec = 0;
        l->answer_started = false;
        l->phase = LINK_PHASE_WAIT;

        if (l->writer) {
                l->write_token = l->requests_sent;
                l->writing = true;
                k = link_writer_submit(l->writer, l->spec.kind, l->fd, r->wire, r->wire_len,
                                       l->write_token);
                if (k >= 0) {
                        /* on_write_done() starts the answer's clock. */
                        link_arm(l, l->started_usec + LINK_FIRST_BYTE_USEC + LINK_WRITE_MAX_USEC);
                        return;
                }
                l->writing = false;
        } else {
                uint64_t before = now_usec();
                k = transport_write(l->spec.kind, l->fd, r->wire, r->wire_len);
                link_write_took(l, r->command, now_usec() - before);
        }
        if (k == -ENODEV) {
                link_lost(l, -ENODEV, "the device node went away");
                return;
        }
        link_arm(l, l->started_usec + LINK_FIRST_BYTE_USEC);
        if (k < 0)
                /* A full kernel buffer or the like: the timeout turns it into a retry. */
                log_debug_errno(k, "%s: writing %s failed: %s", l->display_path, r->command,
                                strerror(abs(k)));
}

/* GUARD: writes once the line has been quiet long enough (or waited too long for that). */
static void link_guard_check(Link *l)
{
        uint64_t now = now_usec(), quiet_from, until, limit;

        quiet_from = l->last_rx_usec > l->guard_from_usec ? l->last_rx_usec : l->guard_from_usec;
        until = quiet_from + LINK_GUARD_USEC;
        limit = l->guard_since_usec + LINK_GUARD_MAX_USEC;
        if (now >= until || now >= limit) {
                if (now < until)
                        log_debug("%s: the line was not quiet for %" PRIu64 " ms, writing %s "
                                  "anyway.",
                                  l->display_path, LINK_GUARD_MAX_USEC / USEC_PER_MSEC,
                                  l->current->command);
                l->guard = false;
                link_write(l);
                return;
        }
        l->phase = LINK_PHASE_GUARD;
        link_arm(l, until < limit ? until : limit);
}

/* Starts (or retries) the current request: through the guard when one is due. */
static void link_begin(Link *l)
{
        if (!l->guard) {
                link_write(l);
                return;
        }
        l->guard_since_usec = now_usec();
        link_guard_check(l);
}

static int on_kick(sd_event_source *s, void *userdata)
{
        Link *l = userdata;

        if (!l->open || l->current)
                return 0;
        l->current = link_dequeue(l);
        if (l->current)
                link_begin(l);
        return 0;
}

static void link_finish_held(Link *l)
{
        Pi30Frame frame = {
                        .kind = l->held_kind,
                        .crc = l->held_crc,
                        .payload = l->held_payload,
                        .payload_len = l->held_len,
        };

        if (l->held_kind == PI30_FRAME_NAK)
                link_finish(l, -EREMOTEIO, NULL);
        else
                link_finish(l, 0, &frame);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Link *l = userdata;
        LinkRequest *r = l->current;
        uint64_t deadline;

        if (!r)
                return 0;
        switch (l->phase) {
        case LINK_PHASE_GUARD:
                link_guard_check(l);
                return 0;

        case LINK_PHASE_SETTLE:
                link_finish_held(l);
                return 0;

        case LINK_PHASE_WAIT:
                if (l->first_rx_usec == 0) {
                        link_attempt_failed(l, -ETIMEDOUT);
                        return 0;
                }
                deadline = l->started_usec + LINK_FIRST_BYTE_USEC + r->answer_usec;
                if (usec < deadline) {
                        link_arm(l, deadline);
                        return 0;
                }
                /* Bytes of an unfinished answer: too slow. Only other commands' frames: the
                 * answer to this one never came. */
                l->answer_started = link_meaningful(l->rx, l->rx_len) || !r->skipped;
                /* Lines that are no frame, or bytes that never start one: garbage (a wrong
                 * baud rate scrambles '(' and CR too), not a slow answer. */
                if (r->garbled ||
                    (!memchr(l->rx, '(', l->rx_len) && link_garbage(l->rx, l->rx_len))) {
                        link_attempt_failed(l, -EPROTO);
                        return 0;
                }
                link_attempt_failed(l, r->skipped && !l->answer_started ? -EBADMSG : -ETIMEDOUT);
                return 0;

        case LINK_PHASE_IDLE:
        default:
                return 0;
        }
}

/* Whether a DATA frame answers this request: the owner's check, else for commands the table
 * knows, that it decodes as that command's answer. */
static bool link_frame_answers(Link *l, LinkRequest *r, const Pi30Frame *frame)
{
        if (r->check)
                return r->check(frame, r->userdata);
        if (r->known < 0)
                return true; /* an unknown command (RawCommand): the guard is all we have */
        return pi30_decode(r->known, frame->payload, frame->payload_len, l->scratch, NULL) >= 0;
}

typedef enum LineResult {
        LINE_NEXT, /* not the answer: look at what follows */
        LINE_DONE, /* the request finished or was retried: rx was reset */
        LINE_HOLD, /* a NAK/ACK: final unless something follows */
} LineResult;

/* One line (up to and including CR) of the answer to the current request. */
static LineResult link_handle_line(Link *l, const uint8_t *line, size_t len)
{
        LinkRequest *r = l->current;
        Pi30Frame frame;
        const uint8_t *paren;
        int k;

        k = pi30_frame_parse(line, len, r->command, false, &frame);
        if (k == -EBADMSG) {
                /* Stale bytes in front of an answer: resynchronise on '('. */
                paren = memchr(line, '(', len);
                if (!paren) {
                        if (link_meaningful(line, len))
                                log_debug("%s: ignoring %zu bytes that are no answer.",
                                          l->display_path, len);
                        /* Garbage, not a stale tail: if no answer follows, the attempt
                         * failed CRC/framing. */
                        if (link_garbage(line, len))
                                r->garbled = true;
                        return LINE_NEXT;
                }
                if (paren != line)
                        k = pi30_frame_parse(paren, len - (size_t)(paren - line), r->command, false,
                                             &frame);
        }
        if (k < 0) {
                log_debug_errno(k, "%s: bad answer to %s: %s", l->display_path, r->command,
                                strerror(abs(k)));
                link_attempt_failed(l, -EPROTO);
                return LINE_DONE;
        }

        switch (frame.kind) {
        case PI30_FRAME_ECHO:
                link_finish(l, -EOPNOTSUPP, NULL);
                return LINE_DONE;
        case PI30_FRAME_NAK:
        case PI30_FRAME_ACK:
                l->held_kind = frame.kind;
                l->held_crc = frame.crc;
                l->held_len = frame.payload_len < sizeof l->held_payload ? frame.payload_len
                                                                         : sizeof l->held_payload;
                memcpy(l->held_payload, frame.payload, l->held_len);
                return LINE_HOLD;
        case PI30_FRAME_DATA:
        default:
                if (!link_frame_answers(l, r, &frame)) {
                        log_debug("%s: skipping a frame that is no answer to %s (late or stale).",
                                  l->display_path, r->command);
                        r->skipped = true;
                        link_set_guard(l);
                        return LINE_NEXT;
                }
                link_finish(l, 0, &frame);
                return LINE_DONE;
        }
}

static void link_parse(Link *l)
{
        for (;;) {
                ssize_t end = pi30_frame_end(l->rx, l->rx_len);
                bool more;
                LineResult res;

                if (end < 0)
                        break;
                more = link_meaningful(l->rx + end, l->rx_len - (size_t)end);
                res = link_handle_line(l, l->rx, (size_t)end);
                if (res == LINE_DONE) {
                        if (more)
                                /* Something came behind the answer: let it end first. */
                                link_set_guard(l);
                        return;
                }
                memmove(l->rx, l->rx + end, l->rx_len - (size_t)end);
                l->rx_len -= (size_t)end;
                if (res == LINE_HOLD) {
                        if (more) {
                                log_debug("%s: a %s with more behind it is stale, ignoring it.",
                                          l->display_path,
                                          l->held_kind == PI30_FRAME_NAK ? "NAK" : "ACK");
                                l->current->skipped = true;
                                link_set_guard(l);
                                continue;
                        }
                        l->phase = LINK_PHASE_SETTLE;
                        link_arm(l, now_usec() + LINK_SETTLE_USEC);
                        return;
                }
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Link *l = userdata;
        uint8_t drop[256];
        uint8_t *buf;
        size_t size, n = 0;
        bool meaningful;
        int r;

        /* Only an attempt waiting for its answer keeps what arrives. */
        if (l->current && (l->phase == LINK_PHASE_WAIT || l->phase == LINK_PHASE_SETTLE)) {
                if (sizeof l->rx - l->rx_len < TRANSPORT_HID_REPORT_SIZE) {
                        /* A kilobyte without a terminator is no answer. */
                        l->rx_len = 0;
                        link_attempt_failed(l, -EPROTO);
                        return 0;
                }
                buf = l->rx + l->rx_len;
                size = sizeof l->rx - l->rx_len;
        } else {
                buf = drop;
                size = sizeof drop;
        }
        r = transport_read(l->spec.kind, l->fd, buf, size, &n);
        if (r == 0 && n == 0 && (revents & (EPOLLHUP | EPOLLERR)))
                r = -ENODEV;
        if (r < 0) {
                if (l->spec.fd >= 0 && r == -ENODEV)
                        l->fd_dead = true;
                link_lost(l, r, r == -ENODEV ? "the device node went away" : "read error");
                return 0;
        }
        if (n == 0)
                return 0;
        meaningful = link_meaningful(buf, n);
        if (meaningful)
                /* At 2400 baud bytes come one by one: remember the time instead of re-arming
                 * the timer for each; the timer handlers look at it. */
                l->last_rx_usec = now_usec();

        if (buf == drop) {
                if (!meaningful)
                        return 0;
                /* Nobody asked, or the line is being drained: late or unsolicited bytes. */
                log_debug("%s: discarding %zu bytes nobody waits for.", l->display_path, n);
                if (!l->current)
                        link_set_guard(l);
                return 0;
        }

        l->rx_len += n;
        if (meaningful && l->first_rx_usec == 0) {
                l->first_rx_usec = l->last_rx_usec;
                /* The first-byte timeout is over; from now on the answer's deadline counts. */
                if (l->phase == LINK_PHASE_WAIT)
                        link_arm(l,
                                 l->started_usec + LINK_FIRST_BYTE_USEC + l->current->answer_usec);
        }
        if (l->phase == LINK_PHASE_SETTLE && meaningful) {
                log_debug("%s: more came after a %s: it was stale, ignoring it.", l->display_path,
                          l->held_kind == PI30_FRAME_NAK ? "NAK" : "ACK");
                l->current->skipped = true;
                link_set_guard(l);
                l->phase = LINK_PHASE_WAIT;
                link_arm(l, l->started_usec + LINK_FIRST_BYTE_USEC + l->current->answer_usec);
        }
        link_parse(l);
        return 0;
}

static void link_fail_all(Link *l, int error)
{
        LinkRequest *r;

        if (l->current) {
                (void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
                l->phase = LINK_PHASE_IDLE;
                r = TAKE_PTR(l->current);
                l->n_pending--;
                if (r->done)
                        r->done(l, error, NULL, r->userdata);
                free(r);
        }
        while ((r = link_dequeue(l))) {
                l->n_pending--;
                if (r->done)
                        r->done(l, error, NULL, r->userdata);
                free(r);
        }
}

static void link_down(Link *l, int error, const char *why, uint64_t delay)
{
        bool was_open = l->open;

        l->open = false;
        l->failures = 0;
        l->rx_len = 0;
        l->phase = LINK_PHASE_IDLE;
        link_close_fd(l);
        link_fail_all(l, -ENOTCONN);
        link_schedule_reopen(l, delay);
        if (was_open && l->on_event)
                l->on_event(l, LINK_EVENT_LOST, error, why, l->userdata);
}

static uint64_t link_next_backoff(Link *l)
{
        l->backoff_usec = l->backoff_usec ? l->backoff_usec * 2 : LINK_BACKOFF_MIN_USEC;
        if (l->backoff_usec > LINK_BACKOFF_MAX_USEC)
                l->backoff_usec = LINK_BACKOFF_MAX_USEC;
        return l->backoff_usec;
}

static void link_lost(Link *l, int error, const char *why)
{
        /* A node that vanished is looked for again soon; one that stays but does not answer
         * is retried with a growing delay. */
        link_down(l, error, why, error == -ENODEV ? LINK_PATH_POLL_USEC : link_next_backoff(l));
}

void link_reset(Link *l, int error, const char *why)
{
        if (!l)
                return;
        link_down(l, error, why, link_next_backoff(l));
}

static int link_try_open(Link *l)
{
        int fd, r;

        if (l->spec.fd >= 0) {
                if (l->fd_dead)
                        return -ENODEV;
                fd = l->spec.fd;
                /* Inherited as the parent made it: the loop must never block on it. */
                int flags = fcntl(fd, F_GETFL);
                if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
                    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                        return -errno;
        } else {
                fd = transport_open(&l->spec);
                if (fd < 0)
                        return fd;
        }

        l->fd = fd;
        r = sd_event_add_io(l->event, &l->io, fd, EPOLLIN, on_io, l);
        if (r < 0) {
                /* Its own error (EPERM for a regular file, EEXIST, ENOMEM …), not a guess. */
                link_close_fd(l);
                return r;
        }
        (void)sd_event_source_set_description(l->io, "link-io");
        if (transport_drain(l->spec.kind, fd) == -ENODEV) {
                link_close_fd(l);
                return -ENODEV;
        }
        l->open = true;
        l->failures = 0;
        l->write_slow_said = false;
        if (l->spec.kind == TRANSPORT_HIDRAW && l->usb_ops->identify) {
                /* Every enumeration has a new bus address; the port stays. */
                UsbIdentity id;
                l->usb_known = l->usb_ops->identify(fd, &id) >= 0;
                if (l->usb_known)
                        l->usb = id;
        }
        if (l->probe) {
                /* Another node behind the path (a replug) is probed afresh. */
                struct stat st;
                if (fstat(fd, &st) >= 0) {
                        NodeId id;
                        node_id_of(&st, &id);
                        if (l->node_known && !node_id_equal(&id, &l->node)) {
                                l->probe_passed = false;
                                l->probe_silent = 0;
                        }
                        l->node_known = true;
                        l->node = id;
                }
        }
        /* An answer to a request of the last connection may still be on its way. */
        link_set_guard(l);
        return 0;
}

/* The node behind the path now. */
static bool link_node_stat(Link *l, NodeId *ret)
{
        struct stat st;

        if (!l->spec.path || stat(l->spec.path, &st) < 0)
                return false;
        node_id_of(&st, ret);
        return true;
}

static void link_leave_alone(Link *l, int result)
{
        char why[256];

        snprintf(why, sizeof why, "%s does not speak PI30 (a UPS?), leaving it alone (QPI: %s)",
                 l->display_path,
                 result == -EOPNOTSUPP  ? "echoed"
                 : result == -EREMOTEIO ? "refused"
                 : result == -EBADMSG   ? "an answer of another protocol"
                 : result == -EPROTO    ? "answers failed CRC/framing"
                 : l->answer_started    ? "answer too slow"
                                        : "no answer");
        /* Once per plug-in: it is not opened again while the same node stays. */
        log_notice("%s.", why);
        l->left_alone = true;
        l->node_known = link_node_stat(l, &l->node);
        link_down(l, -EPROTONOSUPPORT, why, LINK_PATH_POLL_USEC);
}

static void link_journal(Link *l, int priority, const char *message_id, const char *text)
{
        const JournalField fields[] = {
                        {"AXPERT_DEVICE", l->name[0] ? l->name : NULL},
                        {"AXPERT_DEVICE_PATH", l->display_path},
                        {"AXPERT_USB_DEVICE", l->usb_known ? l->usb.node : NULL},
        };

        journal_entry(priority, message_id, text, fields, ELEMENTSOF(fields));
}

static int link_set_path(Link *l, const char *path)
{
        char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        free(l->spec.path);
        l->spec.path = p;
        snprintf(l->display_path, sizeof l->display_path, "%s", path);
        return 0;
}

/* The USB device the link last had open may be back under another hidraw number (the old one
 * was still held when it re-enumerated): follow it there. The same port and ids make it the
 * same inverter; without a match the path stays as it is. */
static void link_follow_usb(Link *l)
{
        char node[128], text[640];

        if (!l->usb_known || !l->spec.path || l->spec.fd >= 0 || !l->usb_ops->find ||
            l->spec.kind != TRANSPORT_HIDRAW)
                return;
        if (l->usb_ops->find(&l->usb, node, sizeof node) < 0 || streq(node, l->spec.path))
                return;
        snprintf(text, sizeof text,
                 "Inverter%s%s: its USB device (port %s, %04x:%04x) is back as %s, was %s.",
                 l->name[0] ? " " : "", l->name, l->usb.port, l->usb.vendor, l->usb.product, node,
                 l->spec.path);
        if (link_set_path(l, node) < 0) {
                log_oom();
                return;
        }
        link_journal(l, LOG_NOTICE, AXPERT_MESSAGE_NODE_FOUND, text);
}

static void on_usb_reset_done(int result, uint64_t usec, void *userdata)
{
        Link *l = userdata;
        char text[640], why[512];

        l->usb_reset = usb_reset_free(l->usb_reset);
        if (result >= 0) {
                l->usb_resets++;
                snprintf(text, sizeof text, "Inverter%s%s: USB device %s reset in %" PRIu64
                         " ms, reopening %s.",
                         l->name[0] ? " " : "", l->name, l->usb.node, usec / USEC_PER_MSEC,
                         l->display_path);
                link_journal(l, LOG_NOTICE, AXPERT_MESSAGE_USB_RESET_DONE, text);
                snprintf(why, sizeof why, "%s; USB device reset, reopening %s", l->usb_why,
                         l->display_path);
                link_schedule_reopen(l, 0);
        } else {
                snprintf(text, sizeof text, "Inverter%s%s: cannot reset USB device %s: %s; "
                         "reopening %s.",
                         l->name[0] ? " " : "", l->name, l->usb.node, strerror(-result),
                         l->display_path);
                link_journal(l, LOG_WARNING, AXPERT_MESSAGE_USB_RESET_FAILED, text);
                snprintf(why, sizeof why, "%s; USB reset of %s failed: %s", l->usb_why,
                         l->usb.node, strerror(-result));
                link_schedule_reopen(l, link_next_backoff(l));
        }
        /* LastError says how far the ladder got. */
        if (l->on_event)
                l->on_event(l, LINK_EVENT_LOST, result >= 0 ? -ETIMEDOUT : result, why,
                            l->userdata);
}

static bool link_usb_reset_due(Link *l)
{
        if (l->spec.kind != TRANSPORT_HIDRAW || !l->usb_known || !l->usb_ops->reset ||
            l->usb_reset)
                return false;
        /* Once per outage, unless the last one is long ago. */
        return !l->usb_reset_unanswered ||
               now_usec() - l->usb_reset_usec >= LINK_USB_RESET_RETRY_USEC;
}

static void link_usb_reset(Link *l, const char *why)
{
        char text[640];
        int r;

        snprintf(l->usb_why, sizeof l->usb_why, "%s", why);
        snprintf(text, sizeof text, "Inverter%s%s on %s: %s, resetting its USB device %s.",
                 l->name[0] ? " " : "", l->name, l->display_path, why, l->usb.node);
        link_journal(l, LOG_WARNING, AXPERT_MESSAGE_USB_RESET, text);
        l->usb_reset_usec = now_usec();
        l->usb_reset_unanswered = true;

        /* Closed first: a driver rebinding after the reset may then reuse the hidraw number. */
        r = usb_reset_start(l->event, l->usb.node, l->usb_ops->reset, on_usb_reset_done, l,
                            &l->usb_reset);
        snprintf(text, sizeof text, "%s; resetting USB device %s", why, l->usb.node);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot start the USB reset: %s", l->display_path,
                                  strerror(-r));
                link_lost(l, -ETIMEDOUT, why);
                return;
        }
        link_down(l, -ETIMEDOUT, text, 0);
        /* on_usb_reset_done() reopens. */
        (void)sd_event_source_set_enabled(l->reopen, SD_EVENT_OFF);
}

static int on_reopen(sd_event_source *s, uint64_t usec, void *userdata)
{
        Link *l = userdata;
        NodeId now;
        int r;

        if (l->open || l->usb_reset)
                return 0; /* a reset running reopens when it is done */
        if (l->left_alone) {
                /* Only a node that went away (or another one behind the path) is probed again. */
                bool present = link_node_stat(l, &now);
                if (present && l->node_known && node_id_equal(&now, &l->node)) {
                        link_schedule_reopen(l, LINK_PATH_POLL_USEC);
                        return 0;
                }
                log_debug("%s: the node was replaced, probing it.", l->display_path);
                l->left_alone = false;
                l->probe_passed = false;
                l->probe_silent = 0;
                if (!present) {
                        link_schedule_reopen(l, LINK_PATH_POLL_USEC);
                        return 0;
                }
        }
        link_follow_usb(l);
        r = link_try_open(l);
        if (r < 0) {
                char why[160];
                snprintf(why, sizeof why, "cannot open %s: %s", l->display_path, strerror(-r));
                log_debug("%s", why);
                link_schedule_reopen(l, r == -ENOENT || r == -ENODEV || r == -ENXIO
                                                        ? LINK_PATH_POLL_USEC
                                                        : link_next_backoff(l));
                if (l->on_event)
                        l->on_event(l, LINK_EVENT_LOST, r, why, l->userdata);
                return 0;
        }
        if (l->on_event)
                l->on_event(l, LINK_EVENT_OPENED, 0, NULL, l->userdata);
        link_kick(l);
        return 0;
}

static void link_schedule_reopen(Link *l, uint64_t delay)
{
        (void)sd_event_source_set_time_relative(l->reopen, delay);
        (void)sd_event_source_set_enabled(l->reopen, SD_EVENT_ONESHOT);
}

void link_node_appeared(Link *l)
{
        if (l && !l->open)
                link_schedule_reopen(l, 0);
}

int link_new(sd_event *event, const char *spec, LinkEventFunc on_event, void *userdata, Link **ret)
{
        _cleanup_(link_freep) Link *l = NULL;
        int r;

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->fd = -1;
        l->spec.fd = -1;
        l->event = sd_event_ref(event);
        l->usb_ops = &link_usb_default;
        l->on_event = on_event;
        l->userdata = userdata;
        l->scratch = calloc(_PI30_FIELD_MAX, sizeof *l->scratch);
        if (!l->scratch)
                return -ENOMEM;

        r = transport_spec_parse(spec, &l->spec);
        if (r < 0)
                return r;
        if (l->spec.path)
                snprintf(l->display_path, sizeof l->display_path, "%s", l->spec.path);
        else
                snprintf(l->display_path, sizeof l->display_path, "fd:%d", l->spec.fd);

        r = sd_event_add_time(event, &l->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, l);
        if (r < 0)
                return r;
        (void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
        r = sd_event_add_time(event, &l->reopen, CLOCK_MONOTONIC, 0, 1000, on_reopen, l);
        if (r < 0)
                return r;
        (void)sd_event_source_set_enabled(l->reopen, SD_EVENT_OFF);
        r = sd_event_add_defer(event, &l->kick, on_kick, l);
        if (r < 0)
                return r;
        if (l->spec.kind == TRANSPORT_HIDRAW) {
                r = link_writer_new(event, on_write_done, l, &l->writer);
                if (r < 0)
                        return r;
        }
        (void)sd_event_source_set_enabled(l->kick, SD_EVENT_OFF);

        *ret = TAKE_PTR(l);
        return 0;
}

Link *link_free(Link *l)
{
        if (!l)
                return NULL;
        /* Every request ends through its completion, so owners free what they attached; nothing
         * can be queued any more meanwhile (submit sees the link down). */
        l->open = false;
        link_fail_all(l, -ECANCELED);
        l->usb_reset = usb_reset_free(l->usb_reset);
        l->writer = link_writer_free(l->writer);
        l->io = sd_event_source_disable_unref(l->io);
        l->timer = sd_event_source_disable_unref(l->timer);
        l->reopen = sd_event_source_disable_unref(l->reopen);
        l->kick = sd_event_source_disable_unref(l->kick);
        if (l->fd >= 0 && l->fd != l->spec.fd)
                safe_close(l->fd);
        if (l->spec.fd >= 0)
                safe_close(l->spec.fd);
        transport_spec_done(&l->spec);
        sd_event_unref(l->event);
        free(l->scratch);
        free(l);
        return NULL;
}

int link_start(Link *l)
{
        link_schedule_reopen(l, 0);
        return 0;
}

int link_submit(Link *l, LinkPriority priority, const char *command, LinkDoneFunc done,
                void *userdata)
{
        return link_submit_checked(l, priority, command, NULL, done, userdata);
}

int link_submit_checked(Link *l, LinkPriority priority, const char *command, LinkCheckFunc check,
                        LinkDoneFunc done, void *userdata)
{
        LinkRequest *r;
        size_t answer;
        ssize_t n;

        if (!l || priority < 0 || priority >= _LINK_PRIORITY_MAX || !command)
                return -EINVAL;
        if (!l->open)
                return -ENOTCONN;
        if (strlen(command) >= sizeof r->command)
                return -EINVAL;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        n = pi30_request_encode(command, r->wire, sizeof r->wire);
        if (n < 0) {
                free(r);
                return (int)n;
        }
        r->wire_len = (size_t)n;
        strcpy(r->command, command);
        r->priority = priority;
        r->done = done;
        r->check = check;
        r->known = pi30_command_from_string(command, NULL);
        r->userdata = userdata;

        /* '(' payload CRC CR; HID sends whole reports */
        answer = r->known >= 0 ? pi30_answer_max_len(r->known) + 4 : LINK_UNKNOWN_ANSWER_BYTES;
        if (l->spec.kind == TRANSPORT_HIDRAW)
                answer = (answer + TRANSPORT_HID_REPORT_SIZE - 1) / TRANSPORT_HID_REPORT_SIZE *
                         TRANSPORT_HID_REPORT_SIZE;
        r->answer_usec = (uint64_t)LINK_WIRE_MARGIN * answer * LINK_BYTE_USEC;

        if (l->tail[priority])
                l->tail[priority]->next = r;
        else
                l->head[priority] = r;
        l->tail[priority] = r;
        l->n_pending++;
        link_kick(l);
        return 0;
}

void link_set_probe(Link *l, bool probe)
{
        if (l)
                l->probe = probe;
}

bool link_left_alone(const Link *l)
{
        return l && l->left_alone;
}

unsigned link_garbled_in_row(const Link *l)
{
        return l ? l->garbled_in_row : 0;
}

const char *link_failure_words(Link *l, int result)
{
        const char *base;

        switch (result) {
        case -EPROTO:
                snprintf(l->words, sizeof l->words, "answers failed CRC/framing (%u in a row)",
                         l->garbled_in_row);
                return l->words;
        case -ETIMEDOUT:
                base = "no answer";
                break;
        case -ETIME:
                base = "answer too slow";
                break;
        case -EBADMSG:
                base = "answer not understood";
                break;
        default:
                return NULL;
        }
        if (l->garbled_in_row == 0)
                return base;
        /* The same outage: the garbage before says more about the cause than this failure. */
        snprintf(l->words, sizeof l->words, "%s; answers failed CRC/framing (%u in a row)", base,
                 l->garbled_in_row);
        return l->words;
}

bool link_answer_started(const Link *l)
{
        return l && l->answer_started;
}

bool link_is_open(const Link *l)
{
        return l && l->open;
}

size_t link_pending(const Link *l)
{
        return l ? l->n_pending : 0;
}

const char *link_device_path(const Link *l)
{
        return l->display_path;
}

const char *link_transport_name(const Link *l)
{
        return transport_kind_to_string(l->spec.kind);
}

uint64_t link_requests_sent(const Link *l)
{
        return l->requests_sent;
}

int link_set_name(Link *l, const char *name)
{
        if (!l || !name || strlen(name) >= sizeof l->name)
                return -EINVAL;
        snprintf(l->name, sizeof l->name, "%s", name);
        return 0;
}

void link_set_usb_ops(Link *l, const LinkUsbOps *ops)
{
        if (l)
                l->usb_ops = ops ? ops : &link_usb_default;
}

unsigned link_usb_resets(const Link *l)
{
        return l ? l->usb_resets : 0;
}

bool link_usb_resetting(const Link *l)
{
        return l && l->usb_reset;
}

uint64_t link_write_max_usec(const Link *l)
{
        return l ? l->write_max_usec : 0;
}
