/* Unit test of the link over a seqpacket "hidraw" pair: framing, retries, NAK, echo, stale and late
 * answers, the guard time, the answer deadline, priorities, report splitting, losing the device,
 * and completing everything when freed. The fake inverter runs in the same loop. */
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
        ANSWER, /* "(" + the command's payload */
        NAK,
        ECHO,
        SILENT,
        BAD_CRC_ONCE, /* a corrupted answer, then good ones */
        STALE,        /* a complete stale answer of another command, then the answer */
        STALE_NAK,    /* a complete stale NAK, then the answer */
        SLOW,         /* the answer after think_usec */
        TRICKLE,      /* one '0' every trickle_usec, never a CR */
} Behaviour;

static sd_event *event;
static int dev_fd;
static Behaviour behaviour;
static uint8_t rx[256];
static size_t rx_len;
static char seen[16][40]; /* the requests the device received, in order */
static size_t n_seen;
static size_t reports_last; /* reports the last request took */
static uint8_t last_report[8];
static int lost_events, opened_events;
static uint64_t think_usec;
static uint64_t trickle_usec;
static unsigned trickled;        /* bytes the trickle sent */
static unsigned noise_left;      /* bytes of noise still to send, one per 20 ms */
static unsigned noise_when_seen; /* noise_left when the last request arrived */
static sd_event_source *trickle_source, *noise_source;

/* What a real unit answers (sim/model.c defaults). */
static const char *payload_for(const char *command)
{
        static const struct {
                const char *command, *payload;
        } table[] = {
                        {"QPI", "PI30"},
                        {"QID", "92932105105335"},
                        {"QVFW2", "VERFW2:00041.19"},
                        {"QMN", "MKS2-5000"},
                        {"QMOD", "L"},
                        {"QPIWS", "00000000000000000000000000000000"},
                        {"QPIGS",
                         "230.0 50.0 230.0 50.0 0161 0119 003 425 52.80 012 100 0035 02.7 323.6 "
                         "52.80 00000 00110110 00 00 00874 010"},
                        {"QPIRI",
                         "230.0 21.7 230.0 50.0 21.7 5000 5000 48.0 46.0 42.0 56.4 54.0 2 30 060 "
                         "0 0 2 9 01 0 0 52.8 0 1"},
                        {"QPIGS2", "01.0 202.0 00202 "},
                        {"POP02", "ACK"},
                        {"XB", "answer-b"},
        };
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
                if (streq(table[i].command, command))
                        return table[i].payload;
        return "NAK";
}

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
        uint8_t buf[256];
        ssize_t n = pi30_answer_encode(text, strlen(text), false, buf, sizeof buf);
        assert(n > 0);
        dev_send(buf, (size_t)n);
}

static int on_slow(sd_event_source *s, uint64_t usec, void *userdata)
{
        dev_answer(userdata);
        return 0;
}

static void dev_answer_later(const char *text, uint64_t delay)
{
        /* floating: the loop owns it */
        assert(sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, delay, 1000, on_slow,
                                          (void *)text) >= 0);
}

static int on_trickle(sd_event_source *s, uint64_t usec, void *userdata)
{
        if (behaviour != TRICKLE) {
                trickle_source = sd_event_source_disable_unref(trickle_source);
                return 0;
        }
        dev_send((const uint8_t *)"0", 1);
        trickled++;
        (void)sd_event_source_set_time(s, usec + trickle_usec);
        (void)sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static int on_noise(sd_event_source *s, uint64_t usec, void *userdata)
{
        if (noise_left == 0) {
                noise_source = sd_event_source_disable_unref(noise_source);
                return 0;
        }
        dev_send((const uint8_t *)"x", 1);
        if (noise_left != (unsigned)-1)
                noise_left--;
        (void)sd_event_source_set_time(s, usec + 20000);
        (void)sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static void start_noise(unsigned bytes)
{
        noise_left = bytes;
        assert(sd_event_add_time_relative(event, &noise_source, CLOCK_MONOTONIC, 0, 1000, on_noise,
                                          NULL) >= 0);
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
        noise_when_seen = noise_left;
        const char *payload = payload_for(seen[n_seen]);
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
                uint8_t buf[256];
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
        case STALE_NAK:
                dev_answer("NAK"); /* a duplicated refusal of an earlier request */
                dev_answer(payload);
                break;
        case SLOW:
                dev_answer_later(payload, think_usec);
                break;
        case TRICKLE:
                if (!trickle_source)
                        assert(sd_event_add_time_relative(event, &trickle_source, CLOCK_MONOTONIC,
                                                          trickle_usec, 1000, on_trickle,
                                                          NULL) >= 0);
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
        bool answer_started;
        unsigned trickled; /* bytes the trickle had sent when it completed */
        const char *late;  /* an answer the device sends 100 ms after this request failed */
} Result;

static int done_counter;

static void on_done(Link *l, int result, const Pi30Frame *frame, void *userdata)
{
        Result *r = userdata;
        assert(!r->done);
        r->done = true;
        r->result = result;
        r->order = done_counter++;
        r->answer_started = link_answer_started(l);
        r->trickled = trickled;
        if (frame)
                snprintf(r->payload, sizeof r->payload, "%.*s", (int)frame->payload_len,
                         frame->payload);
        if (r->late && result < 0)
                dev_answer_later(r->late, 100000);
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

static void wait_open(Link *l)
{
        for (int i = 0; i < 10000 && !link_is_open(l); i++)
                assert(sd_event_run(event, 1000000) >= 0);
        assert(link_is_open(l));
}

static bool mark_check_ok(const Pi30Frame *f, void *userdata)
{
        /* Only a QPI answer is an answer to QPI. */
        return f->payload_len == 4 && memcmp(f->payload, "PI30", 4) == 0;
}

/* One request of a command the table does not know (no shape check can help). */
static void submit(Link *link, const char *command, Result *r)
{
        assert(link_submit(link, LINK_PRIORITY_POLL, command, on_done, r) == 0);
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

        /* A stale complete frame in front of the answer is skipped when the check says so … */
        Result f = {0};
        behaviour = STALE;
        n_seen = 0;
        assert(link_submit_checked(link, LINK_PRIORITY_POLL, "QPI", mark_check_ok, on_done, &f) ==
               0);
        run_until(&f.done);
        assert(f.result == 0 && streq(f.payload, "PI30") && n_seen == 1);

        /* … and without one for every command the table knows: QMOD's "L" is no answer to QID
         * (what RawCommand("QID") relies on). */
        Result f2 = {0};
        n_seen = 0;
        assert(link_submit(link, LINK_PRIORITY_WRITE, "QID", on_done, &f2) == 0);
        run_until(&f2.done);
        assert(f2.result == 0 && streq(f2.payload, "92932105105335") && n_seen == 1);

        /* A NAK with the answer right behind it was stale; a NAK alone stays final (above). */
        Result f3 = {0};
        behaviour = STALE_NAK;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QMOD", on_done, &f3) == 0);
        run_until(&f3.done);
        assert(f3.result == 0 && streq(f3.payload, "L"));

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
        assert(w.result == 0 && streq(w.payload, "ACK"));

        /* A late answer: XA gets no answer in time; its answer comes 100 ms after XA gave up,
         * while XB (answered after 300 ms) is queued. The line is drained until quiet before
         * XB goes out, so XB gets its own answer, not XA's (no shape check can tell them
         * apart: the table knows neither command). */
        Result la = {.late = "late-a"}, lb = {0};
        behaviour = SILENT;
        n_seen = 0;
        submit(link, "XA", &la);
        submit(link, "XB", &lb);
        run_until(&la.done);
        assert(la.result == -ETIMEDOUT && !la.answer_started);
        behaviour = SLOW;
        think_usec = 300000;
        run_until(&lb.done);
        assert(lb.result == 0);
        assert(streq(lb.payload, "answer-b"));
        assert(n_seen == 3 && streq(seen[2], "XB"));

        /* The guard drains a line that keeps talking after a failure: the next request goes out
         * only once the noise (a byte every 20 ms for 0.4 s) stopped. */
        Result g1 = {0}, g2 = {0};
        behaviour = SILENT;
        n_seen = 0;
        submit(link, "XA", &g1);
        run_until(&g1.done);
        assert(g1.result == -ETIMEDOUT);
        start_noise(20);
        behaviour = ANSWER;
        submit(link, "XB", &g2);
        run_until(&g2.done);
        assert(noise_when_seen == 0);
        assert(g2.result == 0 && streq(g2.payload, "answer-b"));

        /* … but not forever: noise that never stops delays the next request by a bounded time.
         * (It fails XA, then XB goes out anyway.) */
        Result h1 = {0}, h2 = {0};
        behaviour = SILENT;
        n_seen = 0;
        submit(link, "XA", &h1);
        run_until(&h1.done);
        start_noise((unsigned)-1);
        behaviour = ANSWER;
        submit(link, "XB", &h2);
        run_until(&h2.done);
        assert(n_seen >= 2 && streq(seen[n_seen - 1], "XB"));
        noise_left = 0;
        for (int i = 0; i < 20; i++)
                assert(sd_event_run(event, 50000) >= 0);
        /* (Something that answers resets the count of failures towards losing the link.) */
        Result ok1 = {0};
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, &ok1) == 0);
        run_until(&ok1.done);
        assert(ok1.result == 0);

        /* A trickling line: a byte every 0.4 s, never a whole answer. QMOD's answer is 5 bytes;
         * the request fails by its deadline with "answer started", long before the old 4 s per
         * attempt. */
        Result t = {0};
        behaviour = TRICKLE;
        trickle_usec = 400000;
        trickled = 0;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QMOD", on_done, &t) == 0);
        run_until(&t.done);
        assert(t.result == -ETIMEDOUT && t.answer_started);
        assert(t.trickled < 12);
        behaviour = ANSWER;
        for (int i = 0; i < 20; i++)
                assert(sd_event_run(event, 50000) >= 0);
        Result ok2 = {0};
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, &ok2) == 0);
        run_until(&ok2.done);
        assert(ok2.result == 0);

        /* Silence: each request times out after its attempts; three in a row lose the link and
         * fail what is queued with -ENOTCONN. */
        Result s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0};
        behaviour = SILENT;
        n_seen = 0;
        lost_events = 0;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s1) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s2) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s3) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &s4) == 0);
        run_until(&s4.done);
        assert(s1.result == -ETIMEDOUT && s2.result == -ETIMEDOUT && s3.result == -ETIMEDOUT);
        assert(!s1.answer_started && !s3.answer_started);
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

        /* Freeing the link completes what is in flight and queued, so owners free their
         * userdata (the request in flight at SIGTERM leaked before). */
        Result x1 = {0}, x2 = {0};
        behaviour = SILENT;
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPIGS", on_done, &x1) == 0);
        assert(link_submit(link, LINK_PRIORITY_POLL, "QMOD", on_done, &x2) == 0);
        for (int i = 0; i < 5; i++)
                assert(sd_event_run(event, 10000) >= 0);
        assert(!x1.done && !x2.done);

        link = link_free(link);
        assert(x1.done && x1.result == -ECANCELED);
        assert(x2.done && x2.result == -ECANCELED);

        /* A second link on a pair whose device end goes away: lost, with -ENODEV. */
        assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
        snprintf(spec, sizeof spec, "hidraw:fd:%d", fds[1]);
        assert(link_new(event, spec, on_event, NULL, &link) == 0);
        assert(link_start(link) == 0);
        wait_open(link);
        lost_events = 0;
        close(fds[0]);
        for (int i = 0; i < 100 && link_is_open(link); i++)
                assert(sd_event_run(event, 100000) >= 0);
        assert(!link_is_open(link) && lost_events >= 1);

        link_free(link);
        trickle_source = sd_event_source_disable_unref(trickle_source);
        noise_source = sd_event_source_disable_unref(noise_source);
        close(dev_fd);
        sd_event_unref(event);
        printf("test-link: all passed\n");
        return 0;
}
