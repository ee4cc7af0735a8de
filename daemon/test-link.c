/* Unit test of the link over a seqpacket "hidraw" pair: framing, retries, NAK, echo, stale bytes,
 * priorities, report splitting, and losing the device. The fake inverter runs in the same loop. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "link.h"
#include "transport.h"

typedef enum Behaviour {
        ANSWER, /* "(" + the scripted payload */
        NAK,
        ECHO,
        SILENT,
        BAD_CRC_ONCE, /* a corrupted answer, then good ones */
        STALE,        /* a complete stale answer of another command, then the answer */
} Behaviour;

static sd_event *event;
static int dev_fd;
static Behaviour behaviour;
static const char *payload = "PI30";
static uint8_t rx[256];
static size_t rx_len;
static char seen[16][40]; /* the requests the device received, in order */
static size_t n_seen;
static size_t reports_last; /* reports the last request took */
static uint8_t last_report[8];
static int lost_events, opened_events;

static void dev_send(const uint8_t *buf, size_t len)
{
        /* 8-byte input reports, the last one NUL-padded, as a real inverter's USB bridge. */
        for (size_t off = 0; off < len; off += 8) {
                uint8_t r[8] = {0};
                memcpy(r, buf + off, len - off < 8 ? len - off : 8);
                assert(send(dev_fd, r, 8, 0) == 8);
        }
}

static void dev_answer(const char *text)
{
        uint8_t buf[128];
        ssize_t n = pi30_answer_encode(text, strlen(text), false, buf, sizeof buf);
        assert(n > 0);
        dev_send(buf, (size_t)n);
}

static int on_dev(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        uint8_t r[8];
        ssize_t n = recv(fd, r, sizeof r, 0);
        uint8_t *cr;

        if (n <= 0)
                return 0;
        assert(n == 8); /* every output report is 8 bytes */
        memcpy(rx + rx_len, r, 8);
        memcpy(last_report, r, 8);
        rx_len += 8;
        reports_last++;
        cr = memchr(rx, '\r', rx_len);
        if (!cr)
                return 0;

        size_t len = (size_t)(cr - rx) - 2; /* command text without CRC */
        assert(n_seen < 16);
        memcpy(seen[n_seen], rx, len);
        seen[n_seen][len] = 0;
        n_seen++;

        switch (behaviour) {
        case ANSWER:
                dev_answer(payload);
                break;
        case NAK:
                dev_answer("NAK");
                break;
        case ECHO:
                dev_send(rx, (size_t)(cr - rx) + 1);
                break;
        case SILENT:
                break;
        case BAD_CRC_ONCE: {
                uint8_t buf[128];
                ssize_t k = pi30_answer_encode(payload, strlen(payload), false, buf, sizeof buf);
                buf[k - 3] ^= 0x80;
                dev_send(buf, (size_t)k);
                behaviour = ANSWER;
                break;
        }
        case STALE:
                dev_answer("L"); /* a QMOD answer nobody waits for any more */
                dev_answer(payload);
                break;
        }
        rx_len = 0;
        return 0;
}

typedef struct Result {
        bool done;
        int result;
        char payload[64];
        int order;
} Result;

static int done_counter;

static void on_done(Link *l, int result, const Pi30Frame *frame, void *userdata)
{
        Result *r = userdata;
        assert(!r->done);
        r->done = true;
        r->result = result;
        r->order = done_counter++;
        if (frame)
                snprintf(r->payload, sizeof r->payload, "%.*s", (int)frame->payload_len,
                         frame->payload);
}

static void on_event(Link *l, LinkEvent e, int error, const char *why, void *userdata)
{
        if (e == LINK_EVENT_OPENED)
                opened_events++;
        else
                lost_events++;
}

static void run_until(bool *flag)
{
        for (int i = 0; i < 100000 && !*flag; i++)
                assert(sd_event_run(event, 1000000) >= 0);
        assert(*flag);
}

static bool is_open(Link *l)
{
        return link_is_open(l);
}

static void wait_open(Link *l)
{
        for (int i = 0; i < 10000 && !is_open(l); i++)
                assert(sd_event_run(event, 1000000) >= 0);
        assert(is_open(l));
}

static bool mark_check_ok(const Pi30Frame *f, void *userdata)
{
        /* Only a QPI answer is an answer to QPI. */
        return f->payload_len == 4 && memcmp(f->payload, "PI30", 4) == 0;
}

int main(void)
{
        int fds[2];
        char spec[32];
        Link *link;

        assert(sd_event_default(&event) >= 0);
        assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
        dev_fd = fds[0];
        assert(sd_event_add_io(event, NULL, dev_fd, EPOLLIN, on_dev, NULL) >= 0);
        snprintf(spec, sizeof spec, "hidraw:fd:%d", fds[1]);
        assert(link_new(event, spec, on_event, NULL, &link) == 0);
        assert(streq(link_transport_name(link), "hidraw"));
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, NULL) == -ENOTCONN);
        assert(link_start(link) == 0);
        wait_open(link);
        assert(opened_events == 1);

        /* An answer. */
        Result a = {0};
        behaviour = ANSWER;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, &a) == 0);
        run_until(&a.done);
        assert(a.result == 0 && streq(a.payload, "PI30"));
        assert(reports_last == 1);

        /* A request longer than one report is split; the last report padded with NULs. */
        Result b = {0};
        reports_last = 0;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS2", on_done, &b) == 0);
        run_until(&b.done);
        assert(b.result == 0 && reports_last == 2);
        assert(last_report[0] == '\r' && last_report[1] == 0 && last_report[7] == 0);

        /* NAK and echo. */
        Result c = {0}, d = {0};
        behaviour = NAK;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QMN", on_done, &c) == 0);
        run_until(&c.done);
        assert(c.result == -EREMOTEIO);
        behaviour = ECHO;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPGS0", on_done, &d) == 0);
        run_until(&d.done);
        assert(d.result == -EOPNOTSUPP);

        /* A CRC error is retried. */
        Result e = {0};
        behaviour = BAD_CRC_ONCE;
        n_seen = 0;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, &e) == 0);
        run_until(&e.done);
        assert(e.result == 0 && streq(e.payload, "PI30") && n_seen == 2);

        /* A stale complete frame in front of the answer is skipped when the check says so. */
        Result f = {0};
        behaviour = STALE;
        n_seen = 0;
        assert(link_submit_checked(link, LINK_PRIORITY_POLL, "QPI", mark_check_ok, on_done, &f) ==
               0);
        run_until(&f.done);
        assert(f.result == 0 && streq(f.payload, "PI30") && n_seen == 1);

        /* Priorities: while one poll is in flight, a write and a refresh overtake queued polls. */
        Result p1 = {0}, p2 = {0}, w = {0}, rf = {0};
        behaviour = ANSWER;
        n_seen = 0;
        done_counter = 0;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &p1) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QMOD", on_done, &p2) == 0);
        assert(link_submit(link, LINK_PRIORITY_REFRESH, "QPIRI", on_done, &rf) == 0);
        assert(link_submit(link, LINK_PRIORITY_WRITE, "POP02", on_done, &w) == 0);
        assert(link_pending(link) == 4);
        run_until(&p2.done);
        assert(n_seen == 4);
        /* Requests start from the loop, never inside link_submit(): all four were queued. */
        assert(streq(seen[0], "POP02") && streq(seen[1], "QPIRI"));
        assert(streq(seen[2], "QPIGS") && streq(seen[3], "QMOD"));
        assert(w.order < rf.order && rf.order < p1.order && p1.order < p2.order);

        /* Silence: each request times out after its attempts; three in a row lose the link and
         * fail what is queued with -ENOTCONN. */
        Result s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0};
        behaviour = SILENT;
        n_seen = 0;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s1) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s2) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s3) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s4) == 0);
        run_until(&s4.done);
        assert(s1.result == -ETIMEDOUT && s2.result == -ETIMEDOUT && s3.result == -ETIMEDOUT);
        assert(s4.result == -ENOTCONN);
        assert(n_seen == 6); /* two attempts each for the first three */
        assert(lost_events == 1 && !link_is_open(link));
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, NULL) == -ENOTCONN);

        /* It reconnects by itself (backoff), and works again. */
        behaviour = ANSWER;
        wait_open(link);
        assert(opened_events == 2);
        Result g = {0};
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, &g) == 0);
        run_until(&g.done);
        assert(g.result == 0);

        /* The device goes away for good: lost, with -ENODEV. */
        close(dev_fd);
        for (int i = 0; i < 100 && link_is_open(link); i++)
                assert(sd_event_run(event, 100000) >= 0);
        assert(!link_is_open(link) && lost_events >= 2);

        link_free(link);
        sd_event_unref(event);
        printf("test-link: all passed\n");
        return 0;
}
