/* Unit test of the link's USB recovery ladder over a seqpacket "hidraw" pair whose USB side is
 * the test's: after 3 silent requests the device is reset once on a worker thread while the loop
 * keeps running, the link reopens and goes on; no second reset without an answer in between; a
 * failed reset is said and the link reconnects; nodes not on USB are never reset; freeing the
 * link during a reset waits for it. And the sd-device side on what the host has (no USB), and the
 * writer thread: a write() that blocks (as hidraw's SET_REPORT does) does not block the loop. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "link-writer.h"
#include "link.h"
#include "usb-device.h"

#define FAKE_NODE "/dev/bus/usb/001/007"

static sd_event *event;
static int dev_fd;
static atomic_bool wedged;
static atomic_bool reset_unwedges = true;
static atomic_int reset_result;
static atomic_int reset_sleep_ms = 280;
static atomic_int reset_calls;
static atomic_bool reset_off_loop = true;
static atomic_bool reset_running;
static char reset_node[64];
static pthread_t loop_thread;
static uint8_t rx[256];
static size_t rx_len;
static int requests_seen;
static int lost_events, opened_events;
static char whys[32][400];
static int n_whys;

static int fake_identify(int fd, UsbIdentity *ret)
{
        *ret = (UsbIdentity){.node = FAKE_NODE, .port = "1-1", .vendor = 0x0665, .product = 0x5161};
        return 0;
}

static int fake_reset(const char *node)
{
        struct timespec ts = {.tv_nsec = (long)atomic_load(&reset_sleep_ms) * 1000000L};

        if (pthread_equal(pthread_self(), loop_thread))
                atomic_store(&reset_off_loop, false);
        snprintf(reset_node, sizeof reset_node, "%s", node);
        atomic_fetch_add(&reset_calls, 1);
        atomic_store(&reset_running, true);
        nanosleep(&ts, NULL); /* a real one took ~280 ms */
        atomic_store(&reset_running, false);
        if (atomic_load(&reset_result) == 0 && atomic_load(&reset_unwedges))
                atomic_store(&wedged, false);
        return atomic_load(&reset_result);
}

static const LinkUsbOps fake_ops = {.identify = fake_identify, .reset = fake_reset};

static void dev_answer(const char *text)
{
        uint8_t buf[256];
        ssize_t n = pi30_answer_encode(text, strlen(text), false, buf, sizeof buf);
        assert(n > 0);
        for (ssize_t off = 0; off < n; off += 8) {
                uint8_t r[8] = {0};
                memcpy(r, buf + off, n - off < 8 ? (size_t)(n - off) : 8);
                assert(send(dev_fd, r, 8, 0) == 8);
        }
}

static int on_dev(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        uint8_t r[8];
        ssize_t n = recv(fd, r, sizeof r, 0);

        if (n <= 0)
                return 0;
        memcpy(rx + rx_len, r, 8);
        rx_len += 8;
        if (!memchr(rx, '\r', rx_len))
                return 0;
        rx_len = 0;
        requests_seen++;
        /* A wedged bridge takes the requests and delivers nothing. */
        if (!atomic_load(&wedged))
                dev_answer("PI30");
        return 0;
}

/* The loop's pulse while a reset runs: a blocked loop would show as a gap. */
static uint64_t tick_last, tick_max_gap;
static int ticks_in_reset;
static Link *the_link;

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        uint64_t now = now_usec();

        if (the_link && link_usb_resetting(the_link)) {
                if (tick_last && now - tick_last > tick_max_gap)
                        tick_max_gap = now - tick_last;
                ticks_in_reset++;
                tick_last = now;
        } else
                tick_last = 0;
        (void)sd_event_source_set_time(s, usec + 10000);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

typedef struct Result {
        bool done;
        int result;
} Result;

static void on_done(Link *l, int result, const Pi30Frame *frame, void *userdata)
{
        Result *r = userdata;
        if (!r)
                return;
        r->done = true;
        r->result = result;
}

static void on_event(Link *l, LinkEvent e, int error, const char *why, void *userdata)
{
        if (e == LINK_EVENT_OPENED) {
                opened_events++;
                return;
        }
        lost_events++;
        if (n_whys < 32)
                snprintf(whys[n_whys++], sizeof whys[0], "%s", why ? why : "");
}

static void run_until(bool *flag)
{
        for (int i = 0; i < 100000 && !*flag; i++)
                assert(sd_event_run(event, 1000000) >= 0);
        assert(*flag);
}

static void wait_opened(Link *l, int events)
{
        for (int i = 0; i < 100000 && (opened_events < events || !link_is_open(l)); i++)
                assert(sd_event_run(event, 1000000) >= 0);
        assert(opened_events >= events && link_is_open(l));
}

static void answered(Link *l)
{
        Result r = {0};
        assert(link_submit(l, LINK_PRIORITY_POLL, "QPI", on_done, &r) == 0);
        run_until(&r.done);
        assert(r.result == 0);
}

/* Three requests that get no answer at all, and a fourth queued behind them. */
static void silence(Link *l, Result rs[4])
{
        for (int i = 0; i < 4; i++) {
                rs[i] = (Result){0};
                assert(link_submit(l, LINK_PRIORITY_POLL, "QPIGS", on_done, &rs[i]) == 0);
        }
        run_until(&rs[3].done);
        for (int i = 0; i < 3; i++)
                assert(rs[i].result == -ETIMEDOUT);
        assert(rs[3].result == -ENOTCONN);
}

static bool why_has(int i, const char *text)
{
        return i >= 0 && i < n_whys && strstr(whys[i], text);
}

static void test_sd_device_side(void)
{
        UsbIdentity id, a = {.port = "1-1", .vendor = 0x665, .product = 0x5161}, b = a;
        char node[64];
        int fd;

        /* Not on USB: a memory device, a socket, no device at all. */
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert(fd >= 0);
        assert(usb_identity_of_fd(fd, &id) == -ENODEV);
        close(fd);
        int sv[2];
        assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
        assert(usb_identity_of_fd(sv[0], &id) == -ENODEV);
        close(sv[0]);
        close(sv[1]);
        assert(usb_identity_of_devnum(0, &id) == -ENODEV);
        /* Nothing on the host's hidraw bus has this port. */
        snprintf(b.port, sizeof b.port, "no-such-port");
        assert(usb_find_hidraw(&b, node, sizeof node) == -ENOENT);
        /* The same inverter: same port and ids, whatever the bus address. */
        b = a;
        snprintf(b.node, sizeof b.node, "/dev/bus/usb/001/099");
        assert(usb_identity_same(&a, &b));
        b.product = 0x5162;
        assert(!usb_identity_same(&a, &b));
        b = a;
        snprintf(b.port, sizeof b.port, "1-2");
        assert(!usb_identity_same(&a, &b));
        assert(usb_reset_device("/nonexistent/usb/001/001") == -ENOENT);
}

static int writer_result = 1;
static uint64_t writer_token;
static int writer_ticks;

static void on_writer_done(int result, uint64_t usec, uint64_t token, void *userdata)
{
        writer_result = result;
        writer_token = token;
}

static int on_writer_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        writer_ticks++;
        (void)sd_event_source_set_time(s, usec + 10000);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static void test_writer(void)
{
        sd_event_source *tick;
        LinkWriter *w;
        uint8_t fill[4096] = {0}, drain[65536];
        int p[2];

        /* A blocking pipe, full: the writer's write() blocks until the test drains it. */
        assert(pipe2(p, O_CLOEXEC) == 0);
        assert(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
        while (write(p[1], fill, sizeof fill) > 0)
                ;
        assert(errno == EAGAIN);
        assert(fcntl(p[1], F_SETFL, 0) == 0);

        assert(link_writer_new(event, on_writer_done, NULL, &w) == 0);
        assert(sd_event_add_time_relative(event, &tick, CLOCK_MONOTONIC, 10000, 1000,
                                          on_writer_tick, NULL) >= 0);
        assert(link_writer_submit(w, TRANSPORT_SERIAL, p[1], (const uint8_t *)"QPI\r", 4, 42) == 0);
        /* The writer's own duplicate: closing ours changes nothing. */
        close(p[1]);
        uint64_t end = now_usec() + 300000;
        while (now_usec() < end)
                assert(sd_event_run(event, 20000) >= 0);
        assert(writer_result == 1); /* still blocked */
        assert(writer_ticks >= 15); /* the loop ran meanwhile */
        while (read(p[0], drain, sizeof drain) == sizeof drain)
                ;
        for (int i = 0; i < 1000 && writer_result == 1; i++)
                assert(sd_event_run(event, 10000) >= 0);
        assert(writer_result == 0 && writer_token == 42);
        sd_event_source_disable_unref(tick);
        link_writer_free(w);
        close(p[0]);
}

int main(void)
{
        sd_event_source *tick;
        int fds[2];
        char spec[32];
        Link *link;
        Result rs[4];

        test_sd_device_side();

        loop_thread = pthread_self();
        assert(sd_event_default(&event) >= 0);
        test_writer();
        assert(sd_event_add_time_relative(event, &tick, CLOCK_MONOTONIC, 10000, 1000, on_tick,
                                          NULL) >= 0);
        assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
        dev_fd = fds[0];
        assert(sd_event_add_io(event, NULL, dev_fd, EPOLLIN, on_dev, NULL) >= 0);
        snprintf(spec, sizeof spec, "hidraw:fd:%d", fds[1]);
        assert(link_new(event, spec, on_event, NULL, &link) == 0);
        the_link = link;
        assert(link_set_name(link, "roof") == 0);
        link_set_usb_ops(link, &fake_ops);
        assert(link_start(link) == 0);
        wait_opened(link, 1);
        answered(link);
        assert(link_usb_resets(link) == 0);

        /* 1. The bridge wedges: three silent requests, one reset on a worker thread while the
         * loop keeps its pulse, the link reopens and is answered again. */
        atomic_store(&wedged, true);
        lost_events = n_whys = 0;
        silence(link, rs);
        assert(link_usb_resetting(link));
        assert(lost_events == 1);
        assert(why_has(0, "no valid answer to 3 requests in a row (timeouts)"));
        assert(why_has(0, "resetting USB device " FAKE_NODE));
        assert(link_submit(link, LINK_PRIORITY_POLL, "QPI", on_done, NULL) == -ENOTCONN);
        wait_opened(link, 2);
        assert(atomic_load(&reset_calls) == 1);
        assert(streq(reset_node, FAKE_NODE));
        assert(atomic_load(&reset_off_loop));
        fprintf(stderr, "reset: %d loop ticks during it, longest gap %llu ms\n", ticks_in_reset,
                (unsigned long long)tick_max_gap / 1000);
        assert(ticks_in_reset >= 10); /* 280 ms at one tick per 10 ms */
        assert(tick_max_gap < 100000);
        assert(link_usb_resets(link) == 1);
        assert(why_has(1, "USB device reset, reopening"));
        answered(link);

        /* 2. A reset that does not help is not repeated before an answer came: the next
         * outage after it is an ordinary loss (reconnect with backoff). */
        atomic_store(&reset_unwedges, false);
        atomic_store(&wedged, true);
        silence(link, rs);
        wait_opened(link, 3);
        assert(atomic_load(&reset_calls) == 2 && link_usb_resets(link) == 2);
        n_whys = 0;
        silence(link, rs);
        assert(!link_usb_resetting(link));
        assert(atomic_load(&reset_calls) == 2);
        assert(why_has(0, "no valid answer to 3 requests in a row (timeouts)"));
        assert(!why_has(0, "resetting"));
        atomic_store(&wedged, false);
        wait_opened(link, 4);
        answered(link);

        /* 3. The reset fails: said, counted as no reset, and the link reconnects. */
        atomic_store(&reset_result, -EACCES);
        atomic_store(&wedged, true);
        n_whys = 0;
        silence(link, rs);
        for (int i = 0; i < 100000 && link_usb_resetting(link); i++)
                assert(sd_event_run(event, 1000000) >= 0);
        assert(atomic_load(&reset_calls) == 3 && link_usb_resets(link) == 2);
        assert(why_has(1, "USB reset of " FAKE_NODE " failed: Permission denied"));
        atomic_store(&wedged, false);
        wait_opened(link, 5);
        answered(link);

        /* 4. Freed while a reset runs: waits for the thread, no callback afterwards. */
        atomic_store(&reset_result, 0);
        atomic_store(&reset_sleep_ms, 500);
        atomic_store(&wedged, true);
        silence(link, rs);
        assert(link_usb_resetting(link));
        int calls, lost = lost_events;
        the_link = NULL;
        link = link_free(link);
        assert(!atomic_load(&reset_running));
        for (int i = 0; i < 10; i++)
                assert(sd_event_run(event, 20000) >= 0);
        assert(lost_events == lost);

        /* 5. A node not on USB (the real sd-device lookup on a socket) is never reset. */
        atomic_store(&wedged, true);
        assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
        close(dev_fd);
        dev_fd = fds[0];
        assert(sd_event_add_io(event, NULL, dev_fd, EPOLLIN, on_dev, NULL) >= 0);
        snprintf(spec, sizeof spec, "hidraw:fd:%d", fds[1]);
        assert(link_new(event, spec, on_event, NULL, &link) == 0);
        assert(link_start(link) == 0);
        int opened = opened_events;
        wait_opened(link, opened + 1);
        n_whys = 0;
        calls = atomic_load(&reset_calls);
        silence(link, rs);
        assert(!link_usb_resetting(link) && atomic_load(&reset_calls) == calls);
        assert(!why_has(0, "resetting") && link_usb_resets(link) == 0);
        link_free(link);

        sd_event_source_disable_unref(tick);
        close(dev_fd);
        sd_event_unref(event);
        printf("test-link-usb: all passed\n");
        return 0;
}
