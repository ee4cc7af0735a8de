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
        SIM_FAULT_LATE,
        SIM_FAULT_TRICKLE,
        SIM_FAULT_HALF,
        _SIM_FAULT_MAX,
        _SIM_FAULT_INVALID = -1,
} SimFault;

typedef enum SimTransportKind {
        SIM_TRANSPORT_PTY,
        SIM_TRANSPORT_SEQPACKET,
        SIM_TRANSPORT_UHID,
        SIM_TRANSPORT_HIDG,
} SimTransportKind;

typedef struct Sim Sim;
typedef struct Replay Replay;
typedef struct Control Control;
typedef struct Gadget Gadget;

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
#define SIM_ANSWERS_MAX 256
#define SIM_REQUEST_MAX 512
#define SIM_HISTORY_MAX 100000
#define SIM_RULES_MAX 32
#define SIM_RULE_COMMAND_MAX 32
#define SIM_RULE_COUNT_MAX 1000000

#define SIM_LATE_USEC_DEFAULT (1500 * USEC_PER_MSEC)
#define SIM_TRICKLE_USEC_DEFAULT (900 * USEC_PER_MSEC)
#define SIM_TIME_MSEC_MAX 60000

/* One answer in the output queue: it ends at `end` in out[] and may not start before
 * not_before (the late fault sets that into the future). */
typedef struct SimAnswer {
        size_t end;
        uint64_t not_before;
} SimAnswer;

typedef enum SimRuleKind {
        SIM_RULE_NAK,
        SIM_RULE_SILENCE,
} SimRuleKind;

/* A one-shot rule from the control socket: the next `count` requests matching `command` are
 * NAKed or left unanswered. */
typedef struct SimRule {
        SimRuleKind kind;
        unsigned count;
        char command[SIM_RULE_COMMAND_MAX + 1];
} SimRule;

struct Sim {
        sd_event *event;

        /* command line */
        SimTransportKind transport_kind;
        const char *pty_link;
        int seqpacket_fd;
        const char *hidg_path;        /* --hidg=/dev/hidgN */
        const char *hidg_gadget_name; /* --hidg-gadget=NAME: our own configfs gadget */
        bool hidg_out_endpoint;       /* --hidg-out-endpoint */
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
        Gadget *gadget; /* --hidg-gadget: created at the first plug, removed at exit */

        /* faults */
        SimFault fault;
        bool wedged;           /* set by the wedge fault, cleared only by replug */
        uint64_t late_usec;    /* the late fault's extra delay */
        uint64_t trickle_usec; /* the trickle fault's time per byte (per report on HID) */
        uint64_t half_count;   /* requests seen since "fault half" */
        SimRule rules[SIM_RULES_MAX];
        size_t n_rules;

        /* request framing */
        uint8_t request[SIM_REQUEST_MAX];
        size_t request_len;
        bool request_overflow;

        /* paced output: whole answers in a queue, sent in order */
        uint8_t out[SIM_OUT_MAX];
        size_t out_len, out_sent;
        SimAnswer answers[SIM_ANSWERS_MAX]; /* answers[0] holds byte out_sent */
        size_t n_answers;
        bool answer_started; /* answers[0] has its start time in out_start */
        uint64_t out_start;  /* when byte out_base started (or starts) on the wire */
        size_t out_base;
        uint64_t out_bt; /* the time per byte from out_base on */
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

/* io.c: bytes from the client; `report` = HID semantics (NUL padding after the CR). */
void sim_receive(Sim *sim, const uint8_t *buf, size_t len, bool report);
/* Queues one answer for the pacer; its first byte starts on the wire delay_usec from now at the
 * earliest, and never before the answers queued ahead of it are out. */
void sim_send(Sim *sim, const uint8_t *buf, size_t len, uint64_t delay_usec);
/* Drops whatever is still queued (unplug, "flush"). */
void sim_output_reset(Sim *sim);
/* The pace of the line changed (trickle on or off, trickle-time): bytes still queued follow the
 * new pace from now on. */
void sim_output_repace(Sim *sim);
/* Answers queued or being sent. */
size_t sim_output_queued(const Sim *sim);

int sim_plug(Sim *sim);
void sim_unplug(Sim *sim);
int sim_replug(Sim *sim);
void sim_set_fault(Sim *sim, SimFault f);

/* One-shot rules (faults.c). sim_rule_add() validates: on failure error says why. */
int sim_rule_add(Sim *sim, SimRuleKind kind, const char *command, unsigned count, char *error,
                 size_t error_size);
void sim_rules_clear(Sim *sim);
/* Whether a rule matches the request `text` (without CRC); if so one use of it is taken. */
bool sim_rule_take(Sim *sim, const char *text, SimRuleKind *ret_kind);
const char *sim_rule_kind_to_string(SimRuleKind k);

/* request.c: one complete request (without the CR) arrived. */
void sim_handle_request(Sim *sim, const uint8_t *req, size_t len);
void sim_history_clear(Sim *sim);

extern const SimTransport sim_transport_pty;
extern const SimTransport sim_transport_seqpacket;
extern const SimTransport sim_transport_uhid;
extern const SimTransport sim_transport_hidg;
