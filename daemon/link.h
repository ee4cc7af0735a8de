/* The link: one request in flight to one inverter, a priority queue, timeouts, retries, reconnect.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "macros.h"
#include "pi30.h"
#include "usb-device.h"

typedef struct Link Link;

/* Lower value = served first. Setting changes go before Refresh() cycles, which go before polling.
 */
typedef enum LinkPriority {
        LINK_PRIORITY_WRITE,
        LINK_PRIORITY_REFRESH,
        LINK_PRIORITY_POLL,
        _LINK_PRIORITY_MAX,
} LinkPriority;

/* result: 0 = answered (frame->kind is PI30_FRAME_DATA or PI30_FRAME_ACK); -EREMOTEIO the
 * inverter sent NAK; -ETIMEDOUT no complete answer in time (link_answer_started() tells "no
 * answer" from "too slow"); -EBADMSG only frames that answer no request of this kind came (late
 * or stale answers of other commands); -EPROTO the answers kept failing CRC or framing;
 * -ENOTCONN the link went down; -EOPNOTSUPP the inverter echoed the request (unknown command);
 * -ECANCELED the link is being freed. Every submitted request is completed exactly once.
 * frame is NULL unless result is 0; its payload is only valid during the callback. */
typedef void (*LinkDoneFunc)(Link *link, int result, const Pi30Frame *frame, void *userdata);

typedef enum LinkEvent {
        LINK_EVENT_OPENED, /* the node is open and drained: the owner may start talking */
        LINK_EVENT_LOST,   /* the node went away or kept failing; the link reconnects by itself */
} LinkEvent;

/* error/why describe the cause for LINK_EVENT_LOST. */
typedef void (*LinkEventFunc)(Link *link, LinkEvent event, int error, const char *why,
                              void *userdata);

/* spec: "/dev/hidraw0", "/dev/ttyUSB0", "hidraw:PATH", "serial:PATH" or "hidraw:fd:N".
 * -EINVAL for a spec that cannot be understood. */
int link_new(sd_event *event, const char *spec, LinkEventFunc on_event, void *userdata, Link **ret);
/* Completes every queued request with -ECANCELED (so owners free their userdata), then frees. */
Link *link_free(Link *link);
DEFINE_TRIVIAL_CLEANUP_FUNC(Link *, link_free)

/* Starts opening the node (asynchronously; LINK_EVENT_OPENED follows on success). */
int link_start(Link *link);

/* Queues a request (the command text without CRC). Returns 0 and calls done exactly once later,
 * or returns -ENOTCONN without calling done when the link is down, -EINVAL for a command
 * pi30_request_encode() refuses. Queued requests are completed with -ENOTCONN when the link
 * goes down. A DATA frame completes a request of a command the protocol table knows only if it
 * decodes as that command's answer (RawCommand("QMOD") never gets QID's late answer); for
 * other commands any frame does, and only the link's drain after failures keeps them apart. */
int link_submit(Link *link, LinkPriority priority, const char *command, LinkDoneFunc done,
                void *userdata);

/* Whether a frame is an answer to this request at all (e.g. it decodes as the command's answer).
 * A frame that is not is taken for a late or stale answer of another request and skipped: the
 * request keeps waiting for its own answer. */
typedef bool (*LinkCheckFunc)(const Pi30Frame *frame, void *userdata);

/* link_submit() with the owner's check of DATA frames instead of the table's. */
int link_submit_checked(Link *link, LinkPriority priority, const char *command, LinkCheckFunc check,
                        LinkDoneFunc done, void *userdata);

/* During a done callback with -ETIMEDOUT: whether bytes of an answer had come (the answer was
 * too slow, e.g. a trickling line) rather than nothing at all. */
bool link_answer_started(const Link *link);

/* The owner decided the device on the other end is unusable (e.g. it refuses QPI): close,
 * fail everything queued with -ENOTCONN, reconnect with backoff. Emits LINK_EVENT_LOST. */
void link_reset(Link *link, int error, const char *why);

bool link_is_open(const Link *link);
/* Requests waiting or in flight. */
size_t link_pending(const Link *link);
const char *link_device_path(const Link *link);    /* "/dev/hidraw0", "fd:3" */
const char *link_transport_name(const Link *link); /* "hidraw" or "serial" */
/* Requests written to the device since start (for the benchmark and debugging). */
uint64_t link_requests_sent(const Link *link);

/* A probed link (an autodetected node) leaves a node alone that does not speak PI30: after
 * an echo, NAK or foreign frame to QPI, or no answer to it on LINK_PROBE_MAX_SILENT connections
 * in a row (before QPI ever answered on that node), it closes the node, emits LINK_EVENT_LOST
 * ("… does not speak PI30 (a UPS?), leaving it alone …", logged once) and does not open it
 * again until the node behind the path is gone or replaced (a replug). */
void link_set_probe(Link *link, bool probe);
bool link_left_alone(const Link *link);

/* Answers that failed CRC or framing since the last valid answer (across reconnects). */
unsigned link_garbled_in_row(const Link *link);
/* The words for a failed request's result, naming the most specific cause of the outage:
 * -EPROTO "answers failed CRC/framing (N in a row)"; -ETIMEDOUT "no answer", -ETIME "answer too
 * slow", -EBADMSG "answer not understood", each followed by the CRC/framing count when garbage
 * came since the last valid answer. NULL for other results. Valid until the next call. */
const char *link_failure_words(Link *link, int result);

/* Hotplug tells the link that its node (re)appeared: try to open it now instead of at the next
 * poll of the path. */
void link_node_appeared(Link *link);

/* The device's id for the journal entries of the link (AXPERT_DEVICE). */
int link_set_name(Link *link, const char *name);

/* The USB recovery ladder of a hidraw link whose node is on USB: after LINK_MAX_FAILURES
 * requests in a row without any answer (silence, not garbage), the USB device is reset
 * (USBDEVFS_RESET on a worker thread), the node reopened, and the conversation goes on. A node
 * that vanished is looked for again under whatever hidraw number its USB device (same port and
 * ids) comes back as. Another reset only after an answer came, or LINK_USB_RESET_RETRY_USEC
 * after the last one. Each step is logged once (journal.h's MESSAGE_IDs). */
typedef struct LinkUsbOps {
        int (*identify)(int fd, UsbIdentity *ret);                 /* at every open */
        int (*find)(const UsbIdentity *id, char *ret, size_t size); /* the hidraw node now */
        int (*reset)(const char *node); /* blocking; runs on the worker thread */
} LinkUsbOps;
/* The real ones (sd-device, USBDEVFS_RESET) are the default; tests give their own. */
void link_set_usb_ops(Link *link, const LinkUsbOps *ops);
/* USB resets that succeeded since start. */
unsigned link_usb_resets(const Link *link);
/* Whether a USB reset is running. */
bool link_usb_resetting(const Link *link);
/* The longest write() of a request so far (a hidraw write without an OUT endpoint is a
 * synchronous SET_REPORT control transfer). */
uint64_t link_write_max_usec(const Link *link);
