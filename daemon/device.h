/* One inverter connection as passive data: its typed state, its parallel units, what each
 * command did, and the reads that fill them. Knows the link below it and nothing above it: the
 * poller drives it, the bus module (bus-inverter.c) shows it, context.c wires them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "link.h"
#include "macros.h"
#include "pi30.h"

#define AXPERT_OBJECT_ROOT "/org/axpert/Inverter"
#define AXPERT_INTERFACE "org.axpert.Inverter"
#define AXPERT_UNIT_INTERFACE "org.axpert.Inverter.Unit"

typedef struct BusInverter BusInverter;
typedef struct Device Device;
typedef struct Poller Poller;
typedef struct Setters Setters;

/* What the daemon learned about one command of this inverter. */
typedef struct DeviceCommand {
        bool answered;           /* answered at least once */
        uint64_t answered_cycle; /* the cycle it last answered in */
        bool unsupported;        /* not sent until the next connection or re-probe */
        unsigned refusals;       /* NAK/echo in separate cycles since it last answered */
        uint64_t refusal_cycle;
} DeviceCommand;

/* One parallel unit as read in the cycle being staged. */
typedef struct StagedUnit {
        unsigned index;
        bool present; /* the slot reports a unit (not "absent") */
        Pi30Value values[_PI30_FIELD_MAX];
} StagedUnit;

typedef struct Unit {
        Device *device;
        unsigned index;    /* the N of QPGSn */
        char *object_path; /* /org/axpert/Inverter/<id>/unit<N> */
        Pi30Value values[_PI30_FIELD_MAX];
        /* The bus module's: the unit's object and what it last signalled (bus-unit.c). */
        sd_bus_slot *slot;
        Pi30Value emitted[_PI30_FIELD_MAX];
} Unit;

struct Device {
        char *id;          /* [A-Za-z0-9_]+ from the configuration */
        char *object_path; /* /org/axpert/Inverter/<id> */
        char *spec;        /* what was configured: "/dev/hidraw0", "hidraw:fd:3" */
        /* Set up by context.c: the link this device reads through, the poller that drives the
         * reads, the setters' queue the Set… methods use, and the bus object that shows it. */
        Link *link;
        Poller *poller;
        Setters *setters;
        BusInverter *bus;

        /* What clients see: the last complete cycle (device_stage_commit()). */
        Pi30Value values[_PI30_FIELD_MAX];
        Unit **units;
        size_t n_units;
        /* Units dropped since the last emit: the bus module signals InterfacesRemoved and frees
         * them (device_free() frees those it never saw). */
        Unit **gone_units;
        size_t n_gone_units;

        bool online; /* identity answered and the link has not failed since */
        bool ever_online;
        bool settled; /* first cycle completed or failed (for the first GetAll) */
        char last_error[256];
        uint64_t last_update_usec; /* CLOCK_REALTIME end of the last complete status cycle */
        uint64_t cycles;           /* complete status cycles (benchmark, tests) */

        /* What each command did on this inverter, kept across reconnects while the serial
         * number stays known_serial. */
        DeviceCommand commands[_PI30_CMD_MAX];
        char known_serial[PI30_STRING_MAX];
        uint64_t cycle_seq; /* poll cycles started: refusals count once per cycle */

        /* The cycle being read: answers are decoded here and become values[] and units only
         * when the cycle is complete. */
        Pi30Value *stage;
        bool staged[_PI30_CMD_MAX];
        StagedUnit **stage_units;
        size_t n_stage_units;

        Pi30Value *scratch; /* decoding space that is not the state */
        /* Why the last read's answer was refused, or the frame it skipped was not its answer
         * (pi30_decode_explain()); "" when it had none. For LastError's words. */
        char refusal[160];
};

typedef void (*DeviceReadFunc)(Device *d, int result, void *userdata);

/* The state only; context.c adds the link, the poller and the bus object. */
int device_new(const char *id, const char *spec, Device **ret);
/* Frees the link first (if context.c has not yet): its requests complete (-ECANCELED) while
 * their owners still exist. The poller and the bus object are context.c's to free. */
Device *device_free(Device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Device *, device_free)

/* Starts the link (opening, identity, polling). */
int device_start(Device *d);

typedef enum DeviceReadMode {
        DEVICE_READ_COMMIT, /* into what clients see at once (a setter's re-read) */
        DEVICE_READ_STAGE,  /* into the cycle being staged (the poller) */
        DEVICE_READ_CHECK,  /* decoded into d->scratch only, for the caller to compare */
} DeviceReadMode;

/* Sends cmd (with param >= 0 for QPGSn and the like), decodes the answer and stores the values
 * as mode says (QPGSn into the unit's values). A direct read of a command that is staged
 * updates the staged copy too, so the cycle's commit cannot bring back the older answer.
 * done gets 0, a link error (link.h; -ETIME instead of -ETIMEDOUT when an answer started but
 * came too slowly), -EBADMSG when the answer is not one of cmd, or -EOPNOTSUPP when the command
 * is known to be unsupported (then without anything sent). done may be NULL. Returns
 * -ENOTCONN (done not called) when offline. */
int device_read_mode(Device *d, DeviceReadMode mode, Pi30Command cmd, int param, LinkPriority prio,
                     DeviceReadFunc done, void *userdata);
int device_read(Device *d, Pi30Command cmd, int param, LinkPriority prio, DeviceReadFunc done,
                void *userdata);

/* The cycle's staging area. */
void device_stage_clear(Device *d);
/* A field as the cycle being read has it (staged when its command answered in this cycle,
 * else the visible one). */
const Pi30Value *device_staged_value(Device *d, Pi30Field f);
/* Whether QPGSn answered "present" in this cycle. */
bool device_stage_unit_present(Device *d, unsigned index);
/* Makes the complete cycle visible. Every command staged replaces its fields; fast-poll
 * commands that did not answer in it (unsupported now, or an optional one that failed) are
 * cleared, so no status outlives its cycle; settings and identity not read keep theirs, unless
 * the cycle read another serial number than the visible one (another inverter): then those are
 * cleared too. Units: with parallel the units read become the unit objects (a unit not read
 * loses its values; one not seen is dropped when scan_ok), without parallel all go. */
void device_stage_commit(Device *d, bool parallel, bool scan_ok);

/* Capabilities. A command is unsupported only after DEVICE_REFUSALS_UNSUPPORTED refusals (NAK
 * or echo) in separate cycles, whether it ever answered or not: a lost or mangled report makes
 * an inverter refuse what it supports, and a flaky link must not remove a capability. Once
 * unsupported, one refusal at a re-probe confirms it. QPI never is. */
#define DEVICE_REFUSALS_UNSUPPORTED 3
bool device_command_supported(const Device *d, Pi30Command cmd);
/* Asks everything again (on connect, and now and then). */
void device_reprobe(Device *d);
/* The serial number the identity read: another one than before forgets what was learned about
 * the commands (except what answered in the current cycle). */
void device_set_known_serial(Device *d, const char *serial);

/* The state changes the poller drives. */
void device_set_online(Device *d, bool online, int error, const char *why);
void device_set_error(Device *d, const char *why);
/* Forgets live status (fast-poll values, units, the staged cycle) so nothing stale is shown as
 * current. */
void device_clear_status(Device *d);

/* Units: find, create (the bus module exports it on its next emit), drop (into gone_units,
 * for the bus module's next emit). */
Unit *device_find_unit(Device *d, unsigned index);
int device_add_unit(Device *d, unsigned index, Unit **ret);
void device_remove_unit(Device *d, Unit *u);

Unit *unit_free(Unit *u);
