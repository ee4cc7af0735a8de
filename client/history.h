/* What history and energy share: the org.axpert.History objects, picking one, ranges, errors. */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "props.h"

#define HISTORY_BUS_NAME "org.axpert.History"
#define HISTORY_ROOT_PATH "/org/axpert/History"
#define HISTORY_INTERFACE "org.axpert.History"
/* dbus/org.axpert.History.xml "Errors"; the only name of that interface axpertctl tells apart. */
#define HISTORY_ERROR_UNAVAILABLE "org.axpert.History.Error.Unavailable"

typedef struct HistoryObject {
        char *path;
        PropertyList props;
} HistoryObject;

typedef struct HistoryList {
        HistoryObject *items; /* sorted by SerialNumber */
        size_t n;
} HistoryList;

void history_list_done(HistoryList *l);

/* Loads the History objects and picks the one of -d NAME (a serial number recorded by
 * axpert-history, or an inverter name of axpertd), or the only (connected) one; reports every
 * problem and returns 0 or -EXIT_*. */
int history_load_and_pick(sd_bus *bus, HistoryList *l, const HistoryObject **ret);

/* Like report_bus_error(), with the hints of axpert-history instead of axpertd. */
int report_history_bus_error(const char *what, const sd_bus_error *error, int r);

/* --since/--until/--range resolved against now, with the defaults where not given; reports a bad
 * TIME or since > until as a usage error. Returns 0 or -EXIT_USAGE. */
int history_resolve_range(uint64_t now_usec, uint64_t default_since, uint64_t default_until,
                          uint64_t *ret_since, uint64_t *ret_until);

uint64_t now_realtime_usec(void);
