/* One inverter connection: its typed state, its parallel units, and the reads that fill them. */
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

typedef struct Context Context;
typedef struct Device Device;
typedef struct Poller Poller;

/* Derived properties that are not rows of pi30_fields[] (what a client sees, for change
 * detection: a copy of the last emitted one is compared with the current one). */
typedef struct DeviceDerived {
        bool online;
        char last_error[256];
        char device_path[128];
        char transport[16];
        char model_name[PI30_STRING_MAX];
        bool has_pv2;
        double pv_input_power;
        uint32_t parallel_units;
        double total_ac_output_active_power;
        double total_ac_output_apparent_power;
        double total_ac_output_load_percent;
        double total_charging_current;
        char warnings[512]; /* names joined by ' ' (for comparison only) */
        char faults[512];
        /* What the setters accept (FirmwareFamily, SettingLimits, SettingOptions,
         * SettingChoices) as text, for comparison only: bus_inverter_settings_text(). */
        char firmware_family[16];
        char setting_limits[1024];
        char setting_options[2048];
        char setting_choices[2048];
} DeviceDerived;

typedef struct Unit {
        Device *device;
        unsigned index;    /* the N of QPGSn */
        char *object_path; /* /org/axpert/Inverter/<id>/unit<N> */
        sd_bus_slot *slot;
        bool seen; /* answered present in the current cycle */
        Pi30Value values[_PI30_FIELD_MAX];
        Pi30Value emitted[_PI30_FIELD_MAX];
} Unit;

struct Device {
        char *id;          /* [A-Za-z0-9_]+ from the configuration */
        char *object_path; /* /org/axpert/Inverter/<id> */
        char *spec;        /* what was configured: "/dev/hidraw0", "hidraw:fd:3" */
        Link *link;
        Context *context;
        Poller *poller;

        Pi30Value values[_PI30_FIELD_MAX];
        Unit **units;
        size_t n_units;

        bool online; /* identity answered and the link has not failed since */
        bool ever_online;
        bool settled; /* first cycle completed or failed (for the first GetAll) */
        char last_error[256];
        uint64_t last_update_usec; /* CLOCK_REALTIME end of the last complete status cycle */
        uint64_t cycles;           /* complete status cycles (benchmark, tests) */

        /* Commands the inverter NAKed or echoed before it ever answered them on this
         * connection: not sent again until reconnect. */
        bool unsupported[_PI30_CMD_MAX];
        /* Commands answered at least once on this connection. */
        bool answered[_PI30_CMD_MAX];

        Pi30Value *scratch; /* decoding space that is not the state */
        sd_bus_slot *slot;
        Pi30Value emitted[_PI30_FIELD_MAX];
        DeviceDerived emitted_derived;
        bool emitted_valid;
};

typedef void (*DeviceReadFunc)(Device *d, int result, void *userdata);

int device_new(Context *c, const char *id, const char *spec, Device **ret);
Device *device_free(Device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Device *, device_free)

/* Starts the link (opening, identity, polling). */
int device_start(Device *d);

/* Sends cmd (with param >= 0 for QPGSn and the like), decodes the answer and stores the values
 * (QPGSn into the unit's values). done gets 0, a link error (link.h), -EBADMSG when the answer
 * is not one of cmd, or -EOPNOTSUPP when the command is known to be unsupported (then without
 * anything sent). done may be NULL. Returns -ENOTCONN (done not called) when offline. */
int device_read(Device *d, Pi30Command cmd, int param, LinkPriority prio, DeviceReadFunc done,
                void *userdata);

/* One PropertiesChanged per object carrying exactly the properties whose value changed since
 * the last emit (nothing when nothing changed); adds/removes unit objects. */
int device_emit_changes(Device *d);

/* Computes what clients see for the derived properties. */
void device_get_derived(Device *d, DeviceDerived *ret);

/* The state changes the poller drives. */
void device_set_online(Device *d, bool online, int error, const char *why);
void device_set_error(Device *d, const char *why);
/* Forgets live status (fast-poll values and units) so nothing stale is shown as current. */
void device_clear_status(Device *d);

bool device_command_supported(const Device *d, Pi30Command cmd);

/* Unit objects: find, create (with InterfacesAdded on the next emit), drop. */
Unit *device_find_unit(Device *d, unsigned index);
int device_add_unit(Device *d, unsigned index, Unit **ret);
void device_remove_unit(Device *d, Unit *u);

Unit *unit_free(Unit *u);
