/* axpert-sim: the shared simulator context that the transports, faults and control socket act on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "model.h"

/* Error text for a negative (or positive) errno; "%m" is not ISO C and -Wpedantic says so. */
#define ERRSTR(e) strerror(abs(e))

typedef enum SimFault {
        SIM_FAULT_NONE,
        SIM_FAULT_SILENCE,
        SIM_FAULT_GARBAGE,
        SIM_FAULT_BAD_CRC,
        SIM_FAULT_NAK,
        SIM_FAULT_ECHO,
        SIM_FAULT_STALE,
        SIM_FAULT_WEDGE,
        _SIM_FAULT_MAX,
        _SIM_FAULT_INVALID = -1,
} SimFault;

typedef enum SimTransportKind {
        SIM_TRANSPORT_PTY,
        SIM_TRANSPORT_SEQPACKET,
        SIM_TRANSPORT_UHID,
} SimTransportKind;

typedef struct Sim Sim;
typedef struct Replay Replay;
typedef struct Control Control;

/* A transport moves bytes between the simulated inverter and one client. Incoming bytes go to
 * sim_receive(); outgoing bytes are handed over by the pacer in pieces of `chunk` bytes (8 for the
 * HID transports: each piece is one report, NUL-padded). */
typedef struct SimTransport {
        const char *name;
        size_t chunk;          /* 1 = byte stream, 8 = HID reports */
        int (*plug)(Sim *sim); /* (re)creates the device */
        void (*unplug)(Sim *sim);
        /* Sends one piece now. Returns bytes taken, -EAGAIN when the client's queue is full. */
        ssize_t (*send)(Sim *sim, const uint8_t *buf, size_t len);
        void (*done)(Sim *sim); /* releases everything at exit */
} SimTransport;

#define SIM_OUT_MAX 65536
#define SIM_REQUEST_MAX 512
#define SIM_HISTORY_MAX 100000

struct Sim {
        sd_event *event;

        /* command line */
        SimTransportKind transport_kind;
        const char *pty_link;
        int seqpacket_fd;
        unsigned baud;
        uint64_t think_usec;
        bool think_set;

        /* what the inverter is */
        Model *model;
        Replay *replay;

        /* transport state */
        const SimTransport *transport;
        void *transport_data;
        bool plugged;

        /* faults */
        SimFault fault;
        bool wedged; /* set by the wedge fault, cleared only by replug */

        /* request framing */
        uint8_t request[SIM_REQUEST_MAX];
        size_t request_len;
        bool request_overflow;

        /* paced output */
        uint8_t out[SIM_OUT_MAX];
        size_t out_len, out_sent;
        uint64_t out_start; /* when byte out_base started on the wire */
        size_t out_base;
        sd_event_source *out_timer;

        /* the last answer, for the stale fault */
        uint8_t last[1024];
        size_t last_len;

        /* every request since start or "history clear" */
        char **history;
        size_t n_history;

        Control *control;
};

int sim_fault_from_string(const char *s);
const char *sim_fault_to_string(SimFault f);
/* A line listing every fault name, for error messages. */
const char *sim_fault_names(void);

/* transports.c: bytes from the client; `report` = HID semantics (NUL padding after the CR). */
void sim_receive(Sim *sim, const uint8_t *buf, size_t len, bool report);
/* Queues bytes for the pacer; delay_usec is waited before the first one starts on the wire. */
void sim_send(Sim *sim, const uint8_t *buf, size_t len, uint64_t delay_usec);
/* Drops whatever is still queued (unplug). */
void sim_output_reset(Sim *sim);

int sim_plug(Sim *sim);
void sim_unplug(Sim *sim);
int sim_replug(Sim *sim);
void sim_set_fault(Sim *sim, SimFault f);

/* request.c: one complete request (without the CR) arrived. */
void sim_handle_request(Sim *sim, const uint8_t *req, size_t len);
void sim_history_clear(Sim *sim);

extern const SimTransport sim_transport_pty;
extern const SimTransport sim_transport_seqpacket;
extern const SimTransport sim_transport_uhid;
