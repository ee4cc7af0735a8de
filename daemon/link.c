/* The link: one request in flight to one inverter, a priority queue, timeouts, retries, reconnect. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "transport.h"

/* An answer has started when its first byte arrives; the inverter thinks ~0.1 s and the longest
 * answer takes ~0.55 s on the wire at 2400 baud. No byte for this long means no answer. */
#define LINK_IDLE_TIMEOUT_USEC (1000 * USEC_PER_MSEC)
/* A stream of garbage must not keep a request alive forever. */
#define LINK_TOTAL_TIMEOUT_USEC (4 * USEC_PER_SEC)
/* Attempts per request (1 + retries) for timeouts and CRC/framing failures. */
#define LINK_MAX_ATTEMPTS 2
/* Requests in a row that failed all their attempts before the link is declared lost. */
#define LINK_MAX_FAILURES 3
/* Reconnect backoff: 1 s doubling to 10 s; a missing node is looked for every second. */
#define LINK_BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define LINK_BACKOFF_MAX_USEC (10 * USEC_PER_SEC)
#define LINK_PATH_POLL_USEC (1 * USEC_PER_SEC)

#define LINK_RX_MAX 1024

typedef struct LinkRequest {
        struct LinkRequest *next;
        LinkPriority priority;
        char command[40];
        uint8_t wire[48];
        size_t wire_len;
        LinkDoneFunc done;
        LinkCheckFunc check;
        void *userdata;
        unsigned attempts;
} LinkRequest;

struct Link {
        sd_event *event;
        TransportSpec spec;
        char display_path[128];

        int fd;
        bool open;
        bool fd_dead; /* an inherited descriptor whose peer went away: cannot come back */

        sd_event_source *io;
        sd_event_source *timer;  /* request timeout */
        sd_event_source *reopen; /* reconnect */
        sd_event_source *kick;   /* starts the next request from the loop, never from submit */

        LinkRequest *head[_LINK_PRIORITY_MAX];
        LinkRequest *tail[_LINK_PRIORITY_MAX];
        LinkRequest *current;
        size_t n_pending;
        uint64_t started_usec;
        uint64_t last_rx_usec;

        uint8_t rx[LINK_RX_MAX];
        size_t rx_len;

        unsigned failures;
        uint64_t backoff_usec;
        uint64_t requests_sent;

        LinkEventFunc on_event;
        void *userdata;
};

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void link_schedule_reopen(Link *l, uint64_t delay);
static void link_lost(Link *l, int error, const char *why);
static void link_send_current(Link *l);

static void link_kick(Link *l)
{
        if (l->kick)
                (void)sd_event_source_set_enabled(l->kick, SD_EVENT_ONESHOT);
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

/* Completes the current request. The frame points into rx, which stays untouched until done
 * returned. */
static void link_finish(Link *l, int result, const Pi30Frame *frame)
{
        LinkRequest *r = l->current;

        if (!r)
                return;
        l->current = NULL;
        l->n_pending--;
        (void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);

        if (result == -ETIMEDOUT || result == -EPROTO)
                l->failures++;
        else {
                /* The inverter answered something meaningful: it is alive. */
                l->failures = 0;
                l->backoff_usec = 0;
        }

        if (r->done)
                r->done(l, result, result == 0 ? frame : NULL, r->userdata);
        free(r);
        l->rx_len = 0;

        if (l->open && l->failures >= LINK_MAX_FAILURES) {
                char why[128];
                snprintf(why, sizeof why, "no valid answer to %d requests in a row (%s)",
                         LINK_MAX_FAILURES,
                         result == -ETIMEDOUT ? "timeouts" : "CRC or framing errors");
                link_lost(l, result, why);
                return;
        }
        link_kick(l);
}

static void link_attempt_failed(Link *l, int error)
{
        LinkRequest *r = l->current;

        if (!r)
                return;
        if (r->attempts < LINK_MAX_ATTEMPTS) {
                log_debug("%s: %s failed (%s), retrying.", l->display_path, r->command,
                          strerror(-error));
                link_send_current(l);
                return;
        }
        link_finish(l, error, NULL);
}

static void link_send_current(Link *l)
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
                log_debug("%s: dropped %zd stale bytes before %s.", l->display_path, n,
                          r->command);
        l->rx_len = 0;
        r->attempts++;
        l->requests_sent++;
        l->started_usec = now_usec();

        k = transport_write(l->spec.kind, l->fd, r->wire, r->wire_len);
        if (k == -ENODEV) {
                link_lost(l, -ENODEV, "the device node went away");
                return;
        }
        (void)sd_event_source_set_time(l->timer, l->started_usec + LINK_IDLE_TIMEOUT_USEC);
        (void)sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
        if (k < 0)
                /* A full kernel buffer or the like: the timeout turns it into a retry. */
                log_debug_errno(k, "%s: writing %s failed: %s", l->display_path, r->command, strerror(abs(k)));
}

static int on_kick(sd_event_source *s, void *userdata)
{
        Link *l = userdata;

        if (!l->open || l->current)
                return 0;
        l->current = link_dequeue(l);
        if (l->current)
                link_send_current(l);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Link *l = userdata;
        uint64_t deadline;

        if (!l->current)
                return 0;
        /* An answer still coming in gets more time, up to the total limit. */
        deadline = l->last_rx_usec + LINK_IDLE_TIMEOUT_USEC;
        if (deadline > l->started_usec + LINK_TOTAL_TIMEOUT_USEC)
                deadline = l->started_usec + LINK_TOTAL_TIMEOUT_USEC;
        if (l->last_rx_usec > l->started_usec && deadline > usec) {
                (void)sd_event_source_set_time(l->timer, deadline);
                (void)sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
                return 0;
        }
        link_attempt_failed(l, -ETIMEDOUT);
        return 0;
}

/* One line (up to and including CR) of the answer to the current request. Returns true when
 * the request is finished. */
static bool link_handle_line(Link *l, const uint8_t *line, size_t len)
{
        Pi30Frame frame;
        const uint8_t *paren;
        int r;

        r = pi30_frame_parse(line, len, l->current->command, false, &frame);
        if (r == -EBADMSG) {
                /* Stale bytes in front of an answer: resynchronise on '('. */
                paren = memchr(line, '(', len);
                if (!paren) {
                        log_debug("%s: ignoring %zu bytes that are no answer.", l->display_path,
                                  len);
                        return false;
                }
                if (paren != line)
                        r = pi30_frame_parse(paren, len - (size_t)(paren - line),
                                             l->current->command, false, &frame);
        }
        if (r < 0) {
                log_debug_errno(r, "%s: bad answer to %s: %s", l->display_path,
                                l->current->command, strerror(abs(r)));
                link_attempt_failed(l, -EPROTO);
                return true;
        }

        switch (frame.kind) {
        case PI30_FRAME_ECHO:
                link_finish(l, -EOPNOTSUPP, NULL);
                break;
        case PI30_FRAME_NAK:
                link_finish(l, -EREMOTEIO, NULL);
                break;
        default:
                if (frame.kind == PI30_FRAME_DATA && l->current->check &&
                    !l->current->check(&frame, l->current->userdata)) {
                        log_debug("%s: skipping a frame that is no answer to %s (stale?).",
                                  l->display_path, l->current->command);
                        return false;
                }
                link_finish(l, 0, &frame);
        }
        return true;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Link *l = userdata;
        size_t n = 0;
        int r;

        r = transport_read(l->spec.kind, l->fd, l->rx + l->rx_len, sizeof l->rx - l->rx_len, &n);
        if (r == 0 && n == 0 && (revents & (EPOLLHUP | EPOLLERR)))
                r = -ENODEV;
        if (r < 0) {
                if (l->spec.fd >= 0 && r == -ENODEV)
                        l->fd_dead = true;
                link_lost(l, r, r == -ENODEV ? "the device node went away" : "read error");
                return 0;
        }
        if (!l->current) {
                /* Nobody asked: unsolicited or late bytes. Drop them. */
                l->rx_len = 0;
                return 0;
        }
        l->rx_len += n;
        if (n > 0)
                /* At 2400 baud bytes come one by one: remember the time instead of re-arming
                 * the timer for each; on_timer() extends the deadline if needed. */
                l->last_rx_usec = now_usec();

        for (;;) {
                ssize_t end = pi30_frame_end(l->rx, l->rx_len);
                if (end < 0)
                        break;
                if (link_handle_line(l, l->rx, (size_t)end))
                        return 0; /* finished or retried: rx was reset */
                memmove(l->rx, l->rx + end, l->rx_len - (size_t)end);
                l->rx_len -= (size_t)end;
        }
        if (l->rx_len == sizeof l->rx) {
                /* A kilobyte without a terminator is no answer. */
                l->rx_len = 0;
                link_attempt_failed(l, -EPROTO);
        }
        return 0;
}

static void link_fail_all(Link *l, int error)
{
        LinkRequest *r;

        if (l->current) {
                (void)sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
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
        int fd;

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
        if (sd_event_add_io(l->event, &l->io, fd, EPOLLIN, on_io, l) < 0) {
                link_close_fd(l);
                return -ENOMEM;
        }
        (void)sd_event_source_set_description(l->io, "link-io");
        if (transport_drain(l->spec.kind, fd) == -ENODEV) {
                link_close_fd(l);
                return -ENODEV;
        }
        l->open = true;
        l->failures = 0;
        return 0;
}

static int on_reopen(sd_event_source *s, uint64_t usec, void *userdata)
{
        Link *l = userdata;
        int r;

        if (l->open)
                return 0;
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

int link_new(sd_event *event, const char *spec, LinkEventFunc on_event, void *userdata,
             Link **ret)
{
        _cleanup_(link_freep) Link *l = NULL;
        int r;

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->fd = -1;
        l->spec.fd = -1;
        l->event = sd_event_ref(event);
        l->on_event = on_event;
        l->userdata = userdata;

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
        (void)sd_event_source_set_enabled(l->kick, SD_EVENT_OFF);

        *ret = TAKE_PTR(l);
        return 0;
}

Link *link_free(Link *l)
{
        LinkRequest *r;

        if (!l)
                return NULL;
        free(l->current);
        while ((r = link_dequeue(l)))
                free(r);
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

int link_submit_checked(Link *l, LinkPriority priority, const char *command,
                        LinkCheckFunc check, LinkDoneFunc done, void *userdata)
{
        LinkRequest *r;
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
        r->userdata = userdata;

        if (l->tail[priority])
                l->tail[priority]->next = r;
        else
                l->head[priority] = r;
        l->tail[priority] = r;
        l->n_pending++;
        link_kick(l);
        return 0;
}

void link_cancel_userdata(Link *l, void *userdata)
{
        if (!l)
                return;
        if (l->current && l->current->userdata == userdata)
                l->current->done = NULL;
        for (int p = 0; p < _LINK_PRIORITY_MAX; p++)
                for (LinkRequest *r = l->head[p]; r; r = r->next)
                        if (r->userdata == userdata)
                                r->done = NULL;
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
