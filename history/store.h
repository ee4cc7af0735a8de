/* store.h: the SQLite storage of axpert-history: samples in tiers, daily energy, the queries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One Store is one open history.db. Not thread-safe; every call from the main loop.
 *
 * Times are uint64_t microseconds since the epoch (CLOCK_REALTIME). The store never reads the
 * clock: every call that needs "now" takes it as an argument, so tests and the benchmark inject
 * time. Samples are stored at millisecond resolution (a time read back is a multiple of 1000).
 *
 * Writes (store_add_sample(), store_energy_add(), store_energy_set()) are buffered in memory and
 * written in ONE transaction by store_commit(); every read includes what is still buffered, so a
 * sample is visible to GetSamples and LastSampleTimestamp as soon as it is added.
 *
 * Errors are negative errno:
 *   -EINVAL  a bad argument (since > until, an empty or too long name, a malformed day)
 *   -ENXIO   the serial number was never recorded
 *   -ENOENT  a field is not recorded for that serial (store_list_fields() gives the known ones)
 *   -E2BIG   more than STORE_MAX_FIELDS fields or more than STORE_MAX_ROWS rows / periods
 *   -ENOSPC  the disk is full (store_commit(): the buffer is kept, try again later)
 *   -EIO     any other database error
 *   -ENOMEM  out of memory
 */

typedef struct Store Store;

/* Limits of one query (the XML's GetSamples and GetEnergy). */
#define STORE_MAX_ROWS 100000
#define STORE_MAX_FIELDS 64

/* How long each tier keeps its rows, in days; 0 = forever. Defaults: HISTORY.md. */
typedef struct StoreRetention {
        unsigned raw_days;    /* every poll cycle; default 14 */
        unsigned minute_days; /* 1-minute min/avg/max/count; default 400 */
        unsigned hour_days;   /* 1-hour min/avg/max/count; default 0 (forever) */
} StoreRetention;

#define STORE_RETENTION_DEFAULT                                                                    \
        ((StoreRetention){.raw_days = 14, .minute_days = 400, .hour_days = 0})

/* The bound of the in-memory buffer in samples (field values) by default: about an hour of 60
 * fields at PollInterval=5, a few MB. Beyond it the oldest cycles are dropped (and counted). */
#define STORE_MAX_PENDING_DEFAULT 50000

typedef struct StoreOptions {
        StoreRetention retention;
        size_t max_pending; /* samples; 0 = STORE_MAX_PENDING_DEFAULT */
} StoreOptions;

#define STORE_OPTIONS_DEFAULT ((StoreOptions){.retention = STORE_RETENTION_DEFAULT})

/* What store_open() found. */
typedef struct StoreOpenInfo {
        bool recovered;     /* the file was corrupt (or not ours) and was renamed aside */
        char *corrupt_path; /* where it went ("PATH.corrupt-YYYYmmddHHMMSS"), NULL if not */
        int from_version;   /* the schema version found (0 = new file); migrated if older */
} StoreOpenInfo;

void store_open_info_done(StoreOpenInfo *info);

/* Opens (creating the file if missing; not its directory) the database at PATH: WAL,
 * synchronous=NORMAL, schema version PRAGMA user_version, migrated step by step from older
 * versions. A file that is not a usable history database (truncated, garbage, another schema or
 * foreign tables, a failing quick_check, a newer schema version than this build knows) is renamed
 * aside as PATH.corrupt-YYYYmmddHHMMSS (with its -wal and -shm), a warning is logged once (the
 * caller need not log again), a fresh database is created and 0 returned with RET_INFO->recovered
 * set. OPTIONS may be NULL (defaults); RET_INFO may be NULL. NOW_USEC names the aside file. Fails
 * (-EIO, -EACCES, -ENOSPC, …) only when no usable database can be made at PATH at all. */
int store_open(const char *path, const StoreOptions *options, uint64_t now_usec, Store **ret,
               StoreOpenInfo *ret_info);

/* Closes without committing (call store_commit() first to keep the buffer). Accepts NULL. */
Store *store_free(Store *s);

/* Changes the retention (the service's config reload); applied at the next store_commit(). */
void store_set_retention(Store *s, const StoreRetention *retention);

/* ---- writing ---- */

/* Buffers one value of FIELD (an org.axpert.Inverter property name or "unitN.Property", at most
 * 255 bytes) of inverter SERIAL at TIME_USEC. All values added with the same SERIAL and TIME_USEC
 * form one poll cycle. NaN is "no value" (stored as a gap). Adding the same field twice for one
 * cycle keeps the last value. */
int store_add_sample(Store *s, const char *serial, uint64_t time_usec, const char *field,
                     double value);

/* The five energy counters of HISTORY.md. */
typedef enum StoreEnergyKind {
        STORE_ENERGY_PV,
        STORE_ENERGY_LOAD,
        STORE_ENERGY_BATTERY_CHARGE,
        STORE_ENERGY_BATTERY_DISCHARGE,
        STORE_ENERGY_GRID,
        _STORE_ENERGY_MAX,
} StoreEnergyKind;

/* "Pv", "Load", "BatteryCharge", "BatteryDischarge", "Grid": the GetEnergy dictionary keys. */
const char *store_energy_kind_to_string(StoreEnergyKind kind);

/* Where a day's PV and load energy came from (the day's "source"; EnergySource). */
typedef enum StoreEnergySource {
        STORE_SOURCE_INTEGRATED,
        STORE_SOURCE_INVERTER,
} StoreEnergySource;

/* "integrated", "inverter". */
const char *store_energy_source_to_string(StoreEnergySource source);

/* Adds KWH (≥ 0, finite) of KIND to local day DAY ("YYYY-MM-DD", see store_local_day()) of
 * SERIAL: integrated energy. Buffered like samples. */
int store_energy_add(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                     double kwh);

/* Sets the KWH of KIND for DAY of SERIAL to the inverter's own counter (QED/QLD): replaces what
 * the day had, marks the day's source "inverter". Adds after it on the same day add to it. */
int store_energy_set(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                     double kwh);

/* Writes everything buffered in one transaction, then (in the same transaction) folds the
 * closed minutes and hours up to NOW_USEC into the 1-minute and 1-hour tiers (incrementally:
 * only what closed since the last run, plus any minute that got a late sample) and deletes
 * what is older than the retention. Cheap enough for every CommitInterval.
 * On -ENOSPC (disk full) or -EIO the transaction is rolled back and the buffer kept (bounded:
 * see store_get_stats()); reads keep working; call again later. */
int store_commit(Store *s, uint64_t now_usec);

typedef struct StoreStats {
        size_t pending_samples;   /* values in the buffer */
        size_t pending_cycles;    /* poll cycles in the buffer */
        uint64_t dropped_samples; /* values dropped from a full buffer since store_open() */
        uint64_t commits;         /* successful store_commit() calls that wrote something */
        uint64_t failed_commits;  /* store_commit() calls that failed */
} StoreStats;

void store_get_stats(Store *s, StoreStats *ret);

/* ---- reading (each includes the buffer) ---- */

/* NULL-terminated arrays of strings, freed with store_strv_free(). */
char **store_strv_free(char **l);

/* Every serial number ever recorded (samples or energy), sorted. */
int store_list_serials(Store *s, char ***ret);

/* The fields recorded for SERIAL, sorted: what store_get_samples() accepts. -ENXIO: unknown serial.
 */
int store_list_fields(Store *s, const char *serial, char ***ret);

/* Time of the oldest and newest sample of SERIAL in any tier (a minute or hour row counts with
 * its start); 0 when none (also for an unknown serial). Either pointer may be NULL. */
int store_get_sample_range(Store *s, const char *serial, uint64_t *ret_first_usec,
                           uint64_t *ret_last_usec);

/* The answer of GetSamples: times[n_times] ascending; columns[i][j] is field i at times[j], NaN
 * where that field has no value at that time. */
typedef struct StoreSamples {
        size_t n_times;
        uint64_t *times;
        size_t n_fields;
        double **columns;
} StoreSamples;

StoreSamples *store_samples_free(StoreSamples *samples);

/* The values of FIELDS (N_FIELDS ≥ 1) of SERIAL in SINCE..UNTIL (µs, inclusive).
 * STEP 0: the finest tier that holds SINCE by the retention: raw cycles (and the buffer) if
 *   SINCE is within the raw retention, else the 1-minute averages, else the 1-hour averages
 *   (times are then the starts of the minutes / hours whose start is in the range; a tier row
 *   exists once its minute / hour has closed and been committed).
 * STEP > 0 (seconds): one row per STEP-second bucket aligned to the epoch (time = the bucket's
 *   start), the average of what is stored in it, empty buckets left out. Taken from the
 *   coarsest tier whose period divides STEP (never finer than what STEP 0 would use), the part
 *   not folded into it yet from the finer tiers and the buffer, so the newest bucket is there.
 * A row (a time) where none of FIELDS has a value is left out; NaN where one field has none.
 * NOW_USEC decides which tiers hold what (the same clock as store_commit()).
 * -EINVAL since > until or no fields; -E2BIG more than STORE_MAX_FIELDS fields or more than
 * STORE_MAX_ROWS rows; -ENXIO unknown serial; -ENOENT unknown field (*RET_BAD_FIELD, if not
 * NULL, is set to its index in FIELDS). */
int store_get_samples(Store *s, const char *serial, uint64_t since_usec, uint64_t until_usec,
                      uint32_t step, const char *const *fields, size_t n_fields, uint64_t now_usec,
                      StoreSamples **ret, size_t *ret_bad_field);

/* kWh per kind, indexed by StoreEnergyKind. */
typedef struct StoreEnergy {
        double kwh[_STORE_ENERGY_MAX];
} StoreEnergy;

/* The counters of SERIAL for the local day TODAY ("YYYY-MM-DD"): today, this month, this year,
 * total (the buffer included). All zero for a serial without energy. RET_SOURCE (may be NULL):
 * TODAY's source (STORE_SOURCE_INTEGRATED when the day has no record). */
int store_energy_sums(Store *s, const char *serial, const char *today, StoreEnergy *ret_today,
                      StoreEnergy *ret_month, StoreEnergy *ret_year, StoreEnergy *ret_total,
                      StoreEnergySource *ret_source);

typedef enum StorePeriod {
        STORE_PERIOD_DAY,
        STORE_PERIOD_MONTH,
        STORE_PERIOD_YEAR,
        _STORE_PERIOD_MAX,
} StorePeriod;

/* "day", "month", "year" and back; store_period_from_string() returns -EINVAL for others. */
const char *store_period_to_string(StorePeriod period);
int store_period_from_string(const char *s);

typedef struct StoreEnergyPeriod {
        uint64_t start_usec; /* local midnight of the period's first day (DST-correct) */
        StoreEnergy energy;
} StoreEnergyPeriod;

/* GetEnergy: the energy of each local day / month / year of SERIAL that overlaps SINCE..UNTIL
 * (µs), oldest first; periods without a record left out. *RET is malloc'ed (free()), *RET_N its
 * length. -E2BIG beyond STORE_MAX_ROWS periods; -EINVAL since > until. An unknown serial gives
 * no periods. */
int store_get_energy(Store *s, const char *serial, StorePeriod period, uint64_t since_usec,
                     uint64_t until_usec, StoreEnergyPeriod **ret, size_t *ret_n);

/* ---- local calendar helpers (the system time zone, TZ honoured) ---- */

/* The local day of TIME_USEC as "YYYY-MM-DD" into RET (11 bytes). */
int store_local_day(uint64_t time_usec, char ret[static 11]);

/* Local midnight starting DAY ("YYYY-MM-DD"; also "YYYY-MM" and "YYYY": the first day) in µs.
 * -EINVAL for a malformed day. */
int store_day_start(const char *day, uint64_t *ret_usec);
