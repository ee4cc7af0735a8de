/* What the verbs of axpertctl share: options, exit codes, the inventory of inverters on the bus. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "contract.h"
#include "format.h"
#include "props.h"

#define AXPERT_BUS_NAME "org.axpert.Inverter"
#define AXPERT_ROOT_PATH "/org/axpert/Inverter"
#define AXPERT_INTERFACE "org.axpert.Inverter"
#define AXPERT_UNIT_INTERFACE "org.axpert.Inverter.Unit"

/* Exit codes, documented in axpertctl(1); scripts may rely on them. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,        /* anything not listed below */
        EXIT_USAGE = 2,         /* bad verb, option, argument count, number or property name */
        EXIT_UNREACHABLE = 3,   /* no bus connection, or axpertd not running */
        EXIT_DENIED = 4,        /* polkit said no or needs a password we may not ask for */
        EXIT_INVALID = 5,       /* axpertd rejected the value (InvalidArgs) */
        EXIT_NO_DEVICE = 6,     /* no such inverter, none configured, or -d needed */
        EXIT_OFFLINE = 7,       /* the inverter does not answer (Offline) */
        EXIT_REJECTED = 8,      /* the inverter answered NAK (Rejected) */
        EXIT_COMMUNICATION = 9, /* Timeout or Protocol errors on the inverter link */
        EXIT_NOT_SUPPORTED = 10 /* this model does not offer the command */
};

typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
} JsonMode;

extern JsonMode arg_json;
extern const char *arg_device;
extern char **arg_properties; /* -p, NULL-terminated, NULL when not given */
extern bool arg_value;
extern bool arg_ask_password;
extern const char *arg_host;
/* history and energy (history.c, energy.c): the strings as given, parsed by the verb. */
extern const char *arg_since;
extern const char *arg_until;
extern const char *arg_range;
extern const char *arg_step;
extern const char *arg_output;
extern bool arg_csv;
extern const char *arg_period; /* "day", "month", "year" or NULL */
/* How show/get print timestamps (--timestamp=), as systemctl does. */
extern TimestampStyle arg_timestamp;
extern bool arg_legend; /* --no-legend: tables without their header and footer */

/* Terminal capabilities of stdout, decided once in main(). */
extern bool use_color;
extern bool use_ascii;

/* ANSI sequences, empty strings when color is off. */
const char *ansi_highlight_red(void);
const char *ansi_highlight_yellow(void);
const char *ansi_highlight_green(void);
const char *ansi_bold(void);
const char *ansi_normal(void);
const char *glyph_arrow(void);

typedef struct UnitObject {
        char *path;
        char *name; /* last path component, "unit1" */
        PropertyList props;
} UnitObject;

typedef struct DeviceObject {
        char *path;
        char *id; /* last path component, the configured name */
        PropertyList props;
        UnitObject *units; /* sorted by Index */
        size_t n_units;
} DeviceObject;

typedef struct Inventory {
        DeviceObject *devices; /* sorted by id */
        size_t n_devices;
} Inventory;

void inventory_done(Inventory *inv);
/* One GetManagedObjects call: every inverter and unit with all their properties. Returns a
 * negative errno with error set; the caller reports it. */
int inventory_load(sd_bus *bus, Inventory *ret, sd_bus_error *error);
/* The device named by -d, or the only one. Reports the problem (listing the known devices) and
 * returns -EXIT_NO_DEVICE when there is none, several without -d, or no such name. */
int inventory_pick(const Inventory *inv, DeviceObject **ret);
/* Loads the inventory and picks the device, reporting errors; returns 0 or -EXIT_*. A parallel
 * unit given with -d NAME/unitN is refused: these verbs act on the inverter. */
int inventory_load_and_pick(sd_bus *bus, Inventory *inv, DeviceObject **ret);
/* The same, but -d NAME/unitN picks that unit (ret_unit; NULL for the inverter itself): for the
 * verbs that read (status, show, get). */
int inventory_load_and_pick_object(sd_bus *bus, Inventory *inv, DeviceObject **ret_device,
                                   UnitObject **ret_unit);

/* Reports a failed D-Bus call in one line ("axpertctl: <what>: <why>") with a hint for the common
 * cases, and returns the matching -EXIT_* code. what says what failed ("cannot read the inverter").
 * action, when not NULL, is the polkit action the call needed (for the access-denied hint). */
int report_bus_error(const char *what, const sd_bus_error *error, int r, const char *action);
/* Reports a usage error and returns -EXIT_USAGE. */
int report_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Reports any other failure in one line; returns -code. */
int report_error(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Whether NAME is known for the picked object (show -p and get), reporting it otherwise. label
 * names the object in the message ("0", "0/unit1"). */
int check_property_names(const PropertyList *props, const char *label, char **names);

/* A timestamp property (unit "us" in the contract, type t)? show and get print it as a time. */
bool property_is_timestamp(const Property *p);
/* Prints a property's value as show/get do: timestamps per --timestamp=, the rest as
 * property_print_value() without units. */
void print_show_value(const Property *p, FILE *f);

/* Verbs: each returns 0 or -EXIT_*. */
int verb_status(sd_bus *bus, int argc, char **argv);
int verb_show(sd_bus *bus, int argc, char **argv);
int verb_get(sd_bus *bus, int argc, char **argv);
int verb_list(sd_bus *bus, int argc, char **argv);
int verb_monitor(sd_bus *bus, int argc, char **argv);
int verb_refresh(sd_bus *bus, int argc, char **argv);
int verb_set(sd_bus *bus, int argc, char **argv);
int verb_set_flag(sd_bus *bus, int argc, char **argv);
int verb_raw(sd_bus *bus, int argc, char **argv);
int verb_history(sd_bus *bus, int argc, char **argv);
int verb_energy(sd_bus *bus, int argc, char **argv);
int verb_settings(sd_bus *bus, int argc, char **argv);

/* The set-* verbs handled by verb_set(), for the verb table and --help: every Set… method of
 * the contract (contract.h, generated from the XML) with one string or number argument. */
typedef struct SetVerb {
        const char *verb; /* the method's name in kebab case: "set-battery-type" */
        const AxpertContractMethod *method;
        const AxpertContractArg *arg; /* its one input */
        const char *property;         /* the property it changes (org.axpert.Doc.Affects) */
        char arg_help[32];            /* "TYPE": the argument's name in capitals */
} SetVerb;

/* The table, built from the contract on first use. */
size_t set_verbs_get(const SetVerb **ret);
const SetVerb *set_verb_find(const char *verb);
/* "agm|flooded|user…" for a string argument with a closed list, else "" (for --help). */
void set_verb_values_help(const SetVerb *v, char *buf, size_t size);
/* What THIS inverter accepts for a method, in words, from the bus (SettingLimits,
 * SettingOptions, SettingChoices): "48 to 58.4 V in steps of 0.1 V", "one of 10, 20 A". False
 * when the daemon does not say (an older one, or not known yet). unit: of the argument. */
bool setting_accepted_text(const DeviceObject *d, const char *method, const char *unit, char *buf,
                           size_t size);
/* The strings a string argument may take on this inverter: SettingChoices[method] from the bus,
 * else fallback (the contract's documented list); NULL-terminated, may be NULL. */
const char *const *setting_choices(const DeviceObject *d, const char *method,
                                   const char *const *fallback);

/* pkttyagent for the duration of a call that may need a password (local, stdin a terminal). */
int polkit_agent_open_if_enabled(void);
void polkit_agent_close(void);
