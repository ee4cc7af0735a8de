/* store.c: the SQLite storage of axpert-history: schema, buffer, tiers, retention, queries. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib.h>
#include <sqlite3.h>

#include "log.h"
#include "macros.h"
#include "store.h"

/*
 * Layout (why not one row per value: a year at PollInterval=5 with 60 fields is 380 million
 * values; even a 20-byte WITHOUT ROWID row per value makes raw alone 240 MB for 14 days, see
 * doc/history.md "Storage"):
 *
 *   inverters(id, serial)              the history key
 *   fields(id, name)                   the field-name dictionary
 *   inverter_fields(inverter, slot, field)
 *                                      which field each position of an inverter's arrays holds
 *   raw(inverter, t ms, v)             one row per poll cycle; v a JSON array indexed by slot,
 *                                      null where the cycle had no value
 *   minute(inverter, m, n, v)          one row per minute (m = minutes since the epoch, n =
 *   hour(inverter, h, n, v)            cycles in it); v a JSON array by slot of: null (no value),
 *                                      x (every one of the n values was x), [min,avg,max] (n
 *                                      values), [min,avg,max,count] (count < n values)
 *   energy(inverter, day, day_start, pv, load, battery_charge, battery_discharge, grid, source)
 *   meta(key, value)                   the tiers' watermarks
 *
 * JSON because SQLite reads it natively (json_each, json_extract: the tiers and queries stay
 * SQL, and `sqlite3 history.db` can read everything) and prints numbers in their shortest form.
 *
 * The buffer is two TEMP tables (temp_store=MEMORY): the commit moves them into the main tables
 * inside the same transaction, so a failed commit's ROLLBACK leaves the buffer as it was, and
 * every query reads them with UNION ALL / a FULL JOIN.
 */

#define SCHEMA_VERSION 2
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (3600 * USEC_PER_SEC)
#define USEC_PER_DAY (86400 * USEC_PER_SEC)
#define NAME_MAX_LEN 255
/* 9999-12-30T00:00:00Z: later than any sample, and a local day string in every time zone. */
#define TIME_END (253402128000ULL * USEC_PER_SEC)

typedef enum Tier {
        TIER_RAW,
        TIER_MINUTE,
        TIER_HOUR,
} Tier;

typedef struct Inverter {
        int64_t id;
        char *serial;
        bool persisted;
        GArray *slot_fields;     /* int64_t field id per slot */
        GHashTable *field_slots; /* field id → slot + 1 */
        unsigned persisted_slots;
} Inverter;

struct Store {
        sqlite3 *db;
        StoreOptions options;

        GHashTable *inverters; /* serial → Inverter* (owned) */
        int64_t max_inverter_id;
        GHashTable *field_ids;  /* name → field id */
        GPtrArray *field_names; /* field id - 1 → name */
        int64_t persisted_fields;

        int64_t minute_done; /* minutes before this are folded into the minute tier */
        int64_t hour_done;

        /* The cycle being assembled (store_add_sample()), flushed into temp.pending_raw. */
        Inverter *cycle_inverter;
        int64_t cycle_ms;
        GArray *cycle_values; /* double by slot, NaN = none */
        bool cycle_dirty;     /* values added since it was last flushed */
        int64_t cycle_seq;    /* its row in temp.pending_raw, 0 = none */
        size_t cycle_n;       /* the values in that row */

        int64_t pending_min_ms; /* the oldest time in temp.pending_raw, INT64_MAX when empty */
        bool energy_pending;

        StoreStats stats;

        GHashTable *stmts;   /* SQL text → prepared statement: the statements of every cycle and
                              * commit, parsed once */
        char energy_day[11]; /* the last day store_energy_*() saw, and its start */
        uint64_t energy_day_start;

        sqlite3_stmt *insert_pending; /* for pending_slots + 4 parameters */
};

static const char *const energy_columns[_STORE_ENERGY_MAX] = {
                [STORE_ENERGY_PV] = "pv",
                [STORE_ENERGY_LOAD] = "load",
                [STORE_ENERGY_BATTERY_CHARGE] = "battery_charge",
                [STORE_ENERGY_BATTERY_DISCHARGE] = "battery_discharge",
                [STORE_ENERGY_GRID] = "grid",
};

static const char *const energy_kind_names[_STORE_ENERGY_MAX] = {
                [STORE_ENERGY_PV] = "Pv",
                [STORE_ENERGY_LOAD] = "Load",
                [STORE_ENERGY_BATTERY_CHARGE] = "BatteryCharge",
                [STORE_ENERGY_BATTERY_DISCHARGE] = "BatteryDischarge",
                [STORE_ENERGY_GRID] = "Grid",
};

static const char *const period_names[_STORE_PERIOD_MAX] = {
                [STORE_PERIOD_DAY] = "day",
                [STORE_PERIOD_MONTH] = "month",
                [STORE_PERIOD_YEAR] = "year",
};

const char *store_energy_kind_to_string(StoreEnergyKind kind)
{
        return kind >= 0 && kind < _STORE_ENERGY_MAX ? energy_kind_names[kind] : NULL;
}

const char *store_energy_source_to_string(StoreEnergySource source)
{
        return source == STORE_SOURCE_INVERTER ? "inverter" : "integrated";
}

const char *store_period_to_string(StorePeriod period)
{
        return period >= 0 && period < _STORE_PERIOD_MAX ? period_names[period] : NULL;
}

int store_period_from_string(const char *s)
{
        for (size_t i = 0; s && i < _STORE_PERIOD_MAX; i++)
                if (streq(s, period_names[i]))
                        return (int)i;
        return -EINVAL;
}

/* ---- errors and small SQL helpers ---- */

static int sqlite_errno(sqlite3 *db, int rc)
{
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_PERM:
        case SQLITE_READONLY:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_CANTOPEN:
                return db && sqlite3_system_errno(db) > 0 ? -sqlite3_system_errno(db) : -EIO;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_IOERR:
                /* A write refused by a full file system can come as an I/O error. */
                if (db &&
                    (sqlite3_system_errno(db) == ENOSPC || sqlite3_system_errno(db) == EDQUOT))
                        return -ENOSPC;
                return -EIO;
        default:
                return -EIO;
        }
}

/* The error of a step that should have returned a row. */
static int step_errno(sqlite3 *db, int rc)
{
        int r = sqlite_errno(db, rc);
        return r < 0 ? r : -EIO;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
        char *msg = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
                log_debug("SQL failed: %s: %s", msg ? msg : sqlite3_errstr(rc), sql);
                sqlite3_free(msg);
                return sqlite_errno(db, rc);
        }
        return 0;
}

static void stmt_finalize(sqlite3_stmt **st)
{
        if (*st)
                sqlite3_finalize(*st);
        *st = NULL;
}
#define _cleanup_stmt_ _cleanup_(stmt_finalize)

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret)
{
        int rc = sqlite3_prepare_v2(db, sql, -1, ret, NULL);
        if (rc != SQLITE_OK) {
                log_debug("SQL prepare failed: %s: %s", sqlite3_errmsg(db), sql);
                return sqlite_errno(db, rc);
        }
        return 0;
}

static void stmt_destroy(gpointer p)
{
        sqlite3_finalize(p);
}

/* A statement prepared once per Store (static SQL only, never SQL with literals that vary);
 * owned by the cache: reset it, never finalize it. */
static int cached(Store *s, const char *sql, sqlite3_stmt **ret)
{
        sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
        if (!st) {
                int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
                if (rc != SQLITE_OK) {
                        log_debug("SQL prepare failed: %s: %s", sqlite3_errmsg(s->db), sql);
                        return sqlite_errno(s->db, rc);
                }
                g_hash_table_insert(s->stmts, g_strdup(sql), st);
        }
        *ret = st;
        return 0;
}

/* Steps a statement that returns no rows (or ignores them) to the end. */
static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        int r = rc == SQLITE_DONE ? 0 : sqlite_errno(db, rc);
        if (r < 0)
                log_debug("SQL step failed: %s", sqlite3_errmsg(db));
        sqlite3_reset(st);
        return r;
}

static int exec_bind1(Store *s, const char *sql, int64_t a)
{
        sqlite3_stmt *st;
        int r = cached(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, a);
        return step_done(s->db, st);
}

static int query_int64(sqlite3 *db, const char *sql, int64_t *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(db, sql, &st);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                return 0;
        }
        return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(db, rc);
}

/* One value as JSON: null for NaN, integers without ".0" (SQL keeps them exact), doubles with
 * as few significant digits as read back exactly. */
static void append_json_number(GString *out, double v)
{
        if (!isfinite(v))
                g_string_append(out, "null");
        else if (v == trunc(v) && fabs(v) < 1e15)
                g_string_append_printf(out, "%" PRId64, (int64_t)v);
        else {
                /* The shortest of 15 or 17 digits that reads back exactly ("52.2", not
                 * "52.200000000000003"), as SQLite's own json_array() prints it. */
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                g_ascii_formatd(buf, sizeof buf, "%.15g", v);
                if (g_ascii_strtod(buf, NULL) != v)
                        g_ascii_formatd(buf, sizeof buf, "%.17g", v);
                g_string_append(out, buf);
        }
}

static double column_double_or_nan(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* ---- calendar ---- */

int store_local_day(uint64_t time_usec, char ret[static 11])
{
        time_t t = (time_t)(time_usec / USEC_PER_SEC);
        struct tm tm;
        if (!localtime_r(&t, &tm))
                return -EINVAL;
        if (strftime(ret, 11, "%Y-%m-%d", &tm) != 10)
                return -EINVAL;
        return 0;
}

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int store_day_start(const char *day, uint64_t *ret_usec)
{
        if (!day)
                return -EINVAL;
        size_t len = strlen(day);
        if ((len != 4 && len != 7 && len != 10) || !digits(day, 4))
                return -EINVAL;
        struct tm tm = {.tm_mday = 1, .tm_isdst = -1};
        tm.tm_year = atoi(day) - 1900;
        if (len >= 7) {
                if (day[4] != '-' || !digits(day + 5, 2))
                        return -EINVAL;
                tm.tm_mon = (day[5] - '0') * 10 + (day[6] - '0') - 1;
        }
        if (len == 10) {
                if (day[7] != '-' || !digits(day + 8, 2))
                        return -EINVAL;
                tm.tm_mday = (day[8] - '0') * 10 + (day[9] - '0');
        }
        int year = tm.tm_year, mon = tm.tm_mon, mday = tm.tm_mday;
        if (tm.tm_year < 70 || mon < 0 || mon > 11 || mday < 1 || mday > 31)
                return -EINVAL;
        /* mktime() with tm_isdst=-1 finds the offset in force at that local midnight. */
        time_t t = mktime(&tm);
        if (t == (time_t)-1 || t < 0)
                return -EINVAL;
        /* Feb 30 normalises to March: not a day. (A midnight that does not exist, a DST change
         * at 00:00, normalises to 01:00 of the same day, which is that day's start.) */
        if (tm.tm_year != year || tm.tm_mon != mon || tm.tm_mday != mday)
                return -EINVAL;
        *ret_usec = (uint64_t)t * USEC_PER_SEC;
        return 0;
}

/* ---- schema ---- */

/* Each step takes the database from version i to i + 1; a fresh file runs them all, so the
 * migration path is the one every database has taken. */
static int migrate_0_to_1(sqlite3 *db)
{
        return exec_sql(db,
                        "CREATE TABLE inverters (id INTEGER PRIMARY KEY, serial TEXT NOT NULL "
                        "UNIQUE);"
                        "CREATE TABLE fields (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
                        "CREATE TABLE inverter_fields (inverter INTEGER NOT NULL, slot INTEGER NOT "
                        "NULL, field INTEGER NOT NULL, PRIMARY KEY (inverter, slot), UNIQUE "
                        "(inverter, field)) WITHOUT ROWID;"
                        "CREATE TABLE raw (inverter INTEGER NOT NULL, t INTEGER NOT NULL, v TEXT "
                        "NOT NULL, PRIMARY KEY (inverter, t)) WITHOUT ROWID;"
                        "CREATE TABLE minute (inverter INTEGER NOT NULL, m INTEGER NOT NULL, n "
                        "INTEGER NOT NULL, v TEXT NOT NULL, PRIMARY KEY (inverter, m)) WITHOUT "
                        "ROWID;"
                        "CREATE TABLE hour (inverter INTEGER NOT NULL, h INTEGER NOT NULL, n "
                        "INTEGER NOT NULL, v TEXT NOT NULL, PRIMARY KEY (inverter, h)) WITHOUT "
                        "ROWID;"
                        "CREATE TABLE energy (inverter INTEGER NOT NULL, day TEXT NOT NULL, "
                        "pv REAL NOT NULL DEFAULT 0, load REAL NOT NULL DEFAULT 0, "
                        "battery_charge REAL NOT NULL DEFAULT 0, battery_discharge REAL NOT NULL "
                        "DEFAULT 0, grid REAL NOT NULL DEFAULT 0, PRIMARY KEY (inverter, day)) "
                        "WITHOUT ROWID;"
                        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;");
}

/* Version 2: each day knows its start (GetEnergy's timestamps without a time-zone walk) and
 * where its PV and load energy came from (EnergySource). */
static int migrate_1_to_2(sqlite3 *db)
{
        int r = exec_sql(db, "ALTER TABLE energy ADD COLUMN day_start INTEGER NOT NULL DEFAULT 0;"
                             "ALTER TABLE energy ADD COLUMN source TEXT NOT NULL DEFAULT "
                             "'integrated';");
        if (r < 0)
                return r;

        _cleanup_stmt_ sqlite3_stmt *sel = NULL, *upd = NULL;
        r = prepare(db, "SELECT DISTINCT day FROM energy", &sel);
        if (r < 0)
                return r;
        r = prepare(db, "UPDATE energy SET day_start = ?2 WHERE day = ?1", &upd);
        if (r < 0)
                return r;
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
                const char *day = (const char *)sqlite3_column_text(sel, 0);
                uint64_t start;
                if (store_day_start(day, &start) < 0)
                        continue; /* a malformed day keeps 0; the queries never trust it */
                sqlite3_bind_text(upd, 1, day, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(upd, 2, (int64_t)start);
                r = step_done(db, upd);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : sqlite_errno(db, rc);
}

static int (*const migrations[SCHEMA_VERSION])(sqlite3 *db) = {
                migrate_0_to_1,
                migrate_1_to_2,
};

static const char *const schema_tables[] = {
                "energy", "fields", "hour", "inverter_fields", "inverters", "meta", "minute", "raw",
};

static const char *why_corrupt(sqlite3 *db)
{
        return (sqlite3_errcode(db) & 0xff) == SQLITE_NOTADB ? "not an SQLite database"
                                                             : "damaged (SQLite says malformed)";
}

/* Checks that DB is a history database we can use; -EBADMSG with *RET_WHY (static) if not. */
static int check_database(sqlite3 *db, int *ret_version, const char **ret_why)
{
        int64_t version;
        int r = query_int64(db, "PRAGMA user_version", &version);
        if (r == -EBADMSG) {
                *ret_why = why_corrupt(db);
                return r;
        }
        if (r < 0)
                return r;
        if (version > SCHEMA_VERSION) {
                *ret_why = "written by a newer version (schema version unknown to this one)";
                return -EBADMSG;
        }

        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        r = prepare(db,
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                    "'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                    &st);
        if (r == -EBADMSG) {
                *ret_why = why_corrupt(db);
                return r;
        }
        if (r < 0)
                return r;
        size_t n = 0;
        int rc;
        bool match = true;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *name = (const char *)sqlite3_column_text(st, 0);
                if (n >= ELEMENTSOF(schema_tables) || !name || !streq(name, schema_tables[n]))
                        match = false;
                n++;
        }
        if (rc != SQLITE_DONE) {
                *ret_why = "unreadable schema";
                return sqlite_errno(db, rc) == -EBADMSG ? -EBADMSG : sqlite_errno(db, rc);
        }
        if (version == 0 && n > 0) {
                *ret_why = "tables of another application";
                return -EBADMSG;
        }
        if (version > 0 && (!match || n != ELEMENTSOF(schema_tables))) {
                *ret_why = "unexpected tables";
                return -EBADMSG;
        }

        stmt_finalize(&st);
        r = prepare(db, "PRAGMA quick_check", &st);
        if (r < 0) {
                *ret_why = "quick_check failed";
                return r == -EBADMSG ? r : r;
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                *ret_why = "quick_check failed";
                return sqlite_errno(db, rc) == -EBADMSG || rc == SQLITE_DONE ? -EBADMSG
                                                                             : sqlite_errno(db, rc);
        }
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (!res || !streq(res, "ok")) {
                *ret_why = "quick_check found damage";
                return -EBADMSG;
        }
        *ret_version = (int)version;
        return 0;
}

static int migrate(sqlite3 *db, int from)
{
        for (int v = from; v < SCHEMA_VERSION; v++) {
                int r = exec_sql(db, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                r = migrations[v](db);
                if (r >= 0) {
                        char sql[64];
                        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
                        r = exec_sql(db, sql);
                }
                if (r >= 0)
                        r = exec_sql(db, "COMMIT");
                if (r < 0) {
                        (void)exec_sql(db, "ROLLBACK");
                        return r;
                }
                log_debug("History database migrated to schema version %d.", v + 1);
        }
        return 0;
}

/* Opens PATH and brings it to SCHEMA_VERSION. -EBADMSG (with *RET_WHY) when the file is not a
 * usable history database; other errors when it cannot be opened at all. */
static int open_database(const char *path, sqlite3 **ret, int *ret_version, const char **ret_why)
{
        sqlite3 *db = NULL;
        int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        if (rc != SQLITE_OK) {
                int r = sqlite_errno(db, rc);
                sqlite3_close(db);
                return r;
        }
        sqlite3_extended_result_codes(db, 1);
        /* One process writes; a reader such as the sqlite3 shell may hold a lock briefly. */
        sqlite3_busy_timeout(db, 1000);

        int version = 0;
        int r = check_database(db, &version, ret_why);
        if (r >= 0) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                r = prepare(db, "PRAGMA journal_mode = WAL", &st);
                if (r >= 0) {
                        rc = sqlite3_step(st);
                        const char *mode =
                                        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
                                                         : NULL;
                        if (!mode || !streq(mode, "wal")) {
                                r = rc == SQLITE_ROW ? -EIO : sqlite_errno(db, rc);
                                if (r == 0)
                                        r = -EIO;
                                if (r == -EBADMSG)
                                        *ret_why = why_corrupt(db);
                        }
                }
        }
        if (r >= 0)
                /* NORMAL in WAL mode: no fsync per commit, only at checkpoints; a power cut
                 * can lose the last commits but never corrupts the file. */
                r = exec_sql(db, "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;");
        if (r >= 0)
                r = migrate(db, version);
        if (r < 0) {
                sqlite3_close(db);
                return r;
        }
        *ret = db;
        *ret_version = version;
        return 0;
}

/* Renames PATH (and its -wal and -shm) to PATH.corrupt-YYYYmmddHHMMSS[-N]; returns the name. */
static int move_aside(const char *path, uint64_t now_usec, char **ret)
{
        time_t t = (time_t)(now_usec / USEC_PER_SEC);
        struct tm tm;
        char stamp[32];
        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm) == 0)
                return -EINVAL;

        g_autofree char *aside = NULL;
        for (unsigned i = 1;; i++) {
                g_free(aside);
                aside = i == 1 ? g_strdup_printf("%s.corrupt-%s", path, stamp)
                               : g_strdup_printf("%s.corrupt-%s-%u", path, stamp, i);
                if (access(aside, F_OK) < 0 && errno == ENOENT)
                        break;
                if (i > 100)
                        return -EEXIST;
        }
        if (rename(path, aside) < 0)
                return -errno;
        static const char *const suffixes[] = {"-wal", "-shm"};
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                g_autofree char *from = g_strconcat(path, suffixes[i], NULL);
                g_autofree char *to = g_strconcat(aside, suffixes[i], NULL);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        *ret = TAKE_PTR(aside);
        return 0;
}

/* ---- the in-memory dictionary ---- */

static Inverter *inverter_free(Inverter *inv)
{
        if (!inv)
                return NULL;
        free(inv->serial);
        if (inv->slot_fields)
                g_array_unref(inv->slot_fields);
        if (inv->field_slots)
                g_hash_table_unref(inv->field_slots);
        free(inv);
        return NULL;
}

static void inverter_destroy(gpointer p)
{
        inverter_free(p);
}

static Inverter *inverter_new(int64_t id, const char *serial, bool persisted)
{
        Inverter *inv = calloc(1, sizeof *inv);
        if (!inv)
                return NULL;
        inv->id = id;
        inv->serial = strdup(serial);
        inv->persisted = persisted;
        inv->slot_fields = g_array_new(false, false, sizeof(int64_t));
        inv->field_slots = g_hash_table_new(g_direct_hash, g_direct_equal);
        if (!inv->serial)
                return inverter_free(inv);
        return inv;
}

static void inverter_add_slot(Inverter *inv, int64_t field)
{
        g_array_append_val(inv->slot_fields, field);
        g_hash_table_insert(inv->field_slots, GINT_TO_POINTER((int)field),
                            GUINT_TO_POINTER(inv->slot_fields->len));
}

static int inverter_slot(Inverter *inv, int64_t field)
{
        gpointer p = g_hash_table_lookup(inv->field_slots, GINT_TO_POINTER((int)field));
        return p ? (int)GPOINTER_TO_UINT(p) - 1 : -ENOENT;
}

static bool name_valid(const char *s)
{
        if (!s || !*s)
                return false;
        size_t n = strlen(s);
        return n <= NAME_MAX_LEN && g_utf8_validate(s, (gssize)n, NULL);
}

static Inverter *store_find_inverter(Store *s, const char *serial)
{
        return serial ? g_hash_table_lookup(s->inverters, serial) : NULL;
}

static int store_get_inverter(Store *s, const char *serial, Inverter **ret)
{
        if (!name_valid(serial))
                return -EINVAL;
        Inverter *inv = store_find_inverter(s, serial);
        if (!inv) {
                inv = inverter_new(s->max_inverter_id + 1, serial, false);
                if (!inv)
                        return -ENOMEM;
                s->max_inverter_id = inv->id;
                g_hash_table_insert(s->inverters, inv->serial, inv);
        }
        *ret = inv;
        return 0;
}

static int64_t store_field_id(Store *s, const char *name)
{
        gpointer p = g_hash_table_lookup(s->field_ids, name);
        return p ? (int64_t)GPOINTER_TO_UINT(p) : 0;
}

static int64_t store_add_field(Store *s, const char *name)
{
        char *copy = g_strdup(name);
        g_ptr_array_add(s->field_names, copy);
        int64_t id = (int64_t)s->field_names->len;
        g_hash_table_insert(s->field_ids, copy, GUINT_TO_POINTER((unsigned)id));
        return id;
}

static int load_dictionary(Store *s)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s->db, "SELECT id, name FROM fields ORDER BY id", &st);
        if (r < 0)
                return r;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                const char *name = (const char *)sqlite3_column_text(st, 1);
                /* Ids are dense (we assign them); a hole would only come from a hand edit. */
                while ((int64_t)s->field_names->len < id - 1)
                        g_ptr_array_add(s->field_names, g_strdup(""));
                if ((int64_t)s->field_names->len == id - 1 && name)
                        store_add_field(s, name);
        }
        if (rc != SQLITE_DONE)
                return sqlite_errno(s->db, rc);
        s->persisted_fields = (int64_t)s->field_names->len;
        stmt_finalize(&st);

        r = prepare(s->db, "SELECT id, serial FROM inverters ORDER BY id", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                const char *serial = (const char *)sqlite3_column_text(st, 1);
                Inverter *inv = inverter_new(id, serial ? serial : "", true);
                if (!inv)
                        return -ENOMEM;
                g_hash_table_insert(s->inverters, inv->serial, inv);
                s->max_inverter_id = MAX(s->max_inverter_id, id);
        }
        if (rc != SQLITE_DONE)
                return sqlite_errno(s->db, rc);
        stmt_finalize(&st);

        r = prepare(s->db,
                    "SELECT i.serial, f.slot, f.field FROM inverter_fields f JOIN inverters i ON "
                    "i.id = f.inverter ORDER BY f.inverter, f.slot",
                    &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                Inverter *inv = store_find_inverter(s, (const char *)sqlite3_column_text(st, 0));
                int64_t slot = sqlite3_column_int64(st, 1);
                if (!inv || slot != (int64_t)inv->slot_fields->len)
                        return -EBADMSG;
                inverter_add_slot(inv, sqlite3_column_int64(st, 2));
                inv->persisted_slots = inv->slot_fields->len;
        }
        if (rc != SQLITE_DONE)
                return sqlite_errno(s->db, rc);

        int64_t v;
        if (query_int64(s->db, "SELECT value FROM meta WHERE key = 'minute_done'", &v) >= 0)
                s->minute_done = v;
        if (query_int64(s->db, "SELECT value FROM meta WHERE key = 'hour_done'", &v) >= 0)
                s->hour_done = v;
        return 0;
}

/* ---- open / close ---- */

void store_open_info_done(StoreOpenInfo *info)
{
        if (!info)
                return;
        g_free(info->corrupt_path);
        *info = (StoreOpenInfo){0};
}

static int store_setup_buffer(Store *s)
{
        return exec_sql(s->db,
                        "CREATE TEMP TABLE pending_raw (seq INTEGER PRIMARY KEY, inverter INTEGER "
                        "NOT NULL, t INTEGER NOT NULL, n INTEGER NOT NULL, v TEXT NOT NULL);"
                        "CREATE INDEX temp.pending_raw_t ON pending_raw (inverter, t);"
                        "CREATE TEMP TABLE pending_energy (inverter INTEGER NOT NULL, day TEXT NOT "
                        "NULL, day_start INTEGER NOT NULL, "
                        "pv_add REAL NOT NULL DEFAULT 0, pv_set REAL, "
                        "load_add REAL NOT NULL DEFAULT 0, load_set REAL, "
                        "battery_charge_add REAL NOT NULL DEFAULT 0, battery_charge_set REAL, "
                        "battery_discharge_add REAL NOT NULL DEFAULT 0, battery_discharge_set "
                        "REAL, grid_add REAL NOT NULL DEFAULT 0, grid_set REAL, "
                        "PRIMARY KEY (inverter, day));"
                        /* The days as they will be after the next commit. */
                        "CREATE TEMP VIEW energy_all AS SELECT "
                        "coalesce(e.inverter, p.inverter) AS inverter, coalesce(e.day, p.day) AS "
                        "day, coalesce(e.day_start, p.day_start) AS day_start, "
                        "coalesce(p.pv_set, e.pv, 0) + coalesce(p.pv_add, 0) AS pv, "
                        "coalesce(p.load_set, e.load, 0) + coalesce(p.load_add, 0) AS load, "
                        "coalesce(p.battery_charge_set, e.battery_charge, 0) + "
                        "coalesce(p.battery_charge_add, 0) AS battery_charge, "
                        "coalesce(p.battery_discharge_set, e.battery_discharge, 0) + "
                        "coalesce(p.battery_discharge_add, 0) AS battery_discharge, "
                        "coalesce(p.grid_set, e.grid, 0) + coalesce(p.grid_add, 0) AS grid, "
                        "CASE WHEN p.pv_set IS NOT NULL OR p.load_set IS NOT NULL THEN 'inverter' "
                        "ELSE coalesce(e.source, 'integrated') END AS source "
                        "FROM main.energy AS e FULL JOIN temp.pending_energy AS p "
                        "ON e.inverter = p.inverter AND e.day = p.day;");
}

Store *store_free(Store *s)
{
        if (!s)
                return NULL;
        stmt_finalize(&s->insert_pending);
        if (s->stmts)
                g_hash_table_unref(s->stmts);
        if (s->db)
                sqlite3_close_v2(s->db);
        if (s->inverters)
                g_hash_table_unref(s->inverters);
        if (s->field_ids)
                g_hash_table_unref(s->field_ids);
        if (s->field_names)
                g_ptr_array_unref(s->field_names);
        if (s->cycle_values)
                g_array_unref(s->cycle_values);
        free(s);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_free)

int store_open(const char *path, const StoreOptions *options, uint64_t now_usec, Store **ret,
               StoreOpenInfo *ret_info)
{
        if (!path || !*path || !ret)
                return -EINVAL;

        _cleanup_(store_freep) Store *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->options = options ? *options : STORE_OPTIONS_DEFAULT;
        if (s->options.max_pending == 0)
                s->options.max_pending = STORE_MAX_PENDING_DEFAULT;
        s->inverters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, inverter_destroy);
        s->field_ids = g_hash_table_new(g_str_hash, g_str_equal);
        s->field_names = g_ptr_array_new_with_free_func(g_free);
        s->cycle_values = g_array_new(false, false, sizeof(double));
        s->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_destroy);
        s->pending_min_ms = INT64_MAX;

        StoreOpenInfo info = {0};
        const char *why = NULL;
        int version = 0;
        int r = open_database(path, &s->db, &version, &why);
        if (r == -EBADMSG) {
                r = move_aside(path, now_usec, &info.corrupt_path);
                if (r < 0)
                        return log_error_errno(r,
                                               "History database \"%s\" is unusable (%s) and "
                                               "cannot be renamed aside: %s",
                                               path, why ? why : "damaged", strerror(-r));
                log_warning("History database \"%s\" is unusable (%s): renamed to \"%s\", "
                            "starting a fresh one.",
                            path, why ? why : "damaged", info.corrupt_path);
                info.recovered = true;
                why = NULL;
                r = open_database(path, &s->db, &version, &why);
        }
        if (r < 0) {
                store_open_info_done(&info);
                return r;
        }
        info.from_version = version;

        r = store_setup_buffer(s);
        if (r >= 0)
                r = load_dictionary(s);
        if (r < 0) {
                store_open_info_done(&info);
                return r;
        }

        if (ret_info)
                *ret_info = info;
        else
                store_open_info_done(&info);
        *ret = TAKE_PTR(s);
        return 0;
}

void store_set_retention(Store *s, const StoreRetention *retention)
{
        if (s && retention)
                s->options.retention = *retention;
}

/* ---- the buffer ---- */

static int store_drop_oldest(Store *s)
{
        sqlite3_stmt *st;
        int r = cached(s,
                       "DELETE FROM temp.pending_raw WHERE seq = (SELECT min(seq) FROM "
                       "temp.pending_raw) RETURNING n, seq",
                       &st);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(s->db, rc);
        }
        size_t n = (size_t)sqlite3_column_int64(st, 0);
        if (sqlite3_column_int64(st, 1) == s->cycle_seq)
                s->cycle_seq = 0;
        (void)step_done(s->db, st);
        s->stats.pending_samples -= MIN(n, s->stats.pending_samples);
        s->stats.pending_cycles -= s->stats.pending_cycles > 0;
        s->stats.dropped_samples += n;
        return 0;
}

static size_t store_cycle_count(Store *s)
{
        size_t n = 0;
        for (unsigned i = 0; i < s->cycle_values->len; i++)
                n += isfinite(g_array_index(s->cycle_values, double, i));
        return n;
}

/* Writes the cycle being assembled into temp.pending_raw. A read can flush a cycle before all
 * its values are added: the cycle stays open, and the next flush replaces its row (and after a
 * commit, INSERT OR REPLACE replaces the raw row) with all the values. */
static int store_flush_cycle(Store *s)
{
        Inverter *inv = s->cycle_inverter;
        if (!inv || !s->cycle_dirty)
                return 0;
        int r;
        if (s->cycle_seq > 0) {
                r = exec_bind1(s, "DELETE FROM temp.pending_raw WHERE seq = ?1", s->cycle_seq);
                if (r < 0)
                        return r;
                s->stats.pending_samples -= MIN(s->cycle_n, s->stats.pending_samples);
                s->stats.pending_cycles -= s->stats.pending_cycles > 0;
                s->cycle_seq = 0;
        }
        unsigned n_slots = inv->slot_fields->len;
        size_t n = store_cycle_count(s);
        if (n == 0) {
                s->cycle_dirty = false;
                return 0;
        }

        /* The values go in as one JSON text built here: json_array(?, ?, …) would hit SQLite's
         * limit on function arguments (127) with a parallel system's ~160 fields. */
        if (!s->insert_pending) {
                r = prepare(s->db,
                            "INSERT INTO temp.pending_raw (inverter, t, n, v) "
                            "VALUES (?, ?, ?, json(?))",
                            &s->insert_pending);
                if (r < 0)
                        return r;
        }
        g_autoptr(GString) json = g_string_sized_new(16 + 12 * (gsize)n_slots);
        g_string_append_c(json, '[');
        for (unsigned i = 0; i < n_slots; i++) {
                double v = i < s->cycle_values->len ? g_array_index(s->cycle_values, double, i)
                                                    : NAN;
                if (i)
                        g_string_append_c(json, ',');
                append_json_number(json, v);
        }
        g_string_append_c(json, ']');
        sqlite3_stmt *st = s->insert_pending;
        sqlite3_bind_int64(st, 1, inv->id);
        sqlite3_bind_int64(st, 2, s->cycle_ms);
        sqlite3_bind_int64(st, 3, (int64_t)n);
        sqlite3_bind_text(st, 4, json->str, (int)json->len, SQLITE_TRANSIENT);
        r = step_done(s->db, st);
        sqlite3_clear_bindings(st);
        if (r < 0)
                return r;

        s->cycle_seq = sqlite3_last_insert_rowid(s->db);
        s->cycle_n = n;
        s->cycle_dirty = false;
        s->stats.pending_samples += n;
        s->stats.pending_cycles++;
        s->pending_min_ms = MIN(s->pending_min_ms, s->cycle_ms);
        while (s->stats.pending_samples > s->options.max_pending) {
                r = store_drop_oldest(s);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_add_sample(Store *s, const char *serial, uint64_t time_usec, const char *field,
                     double value)
{
        if (!s || !name_valid(field) || time_usec / USEC_PER_MSEC > INT64_MAX)
                return -EINVAL;
        Inverter *inv;
        int r = store_get_inverter(s, serial, &inv);
        if (r < 0)
                return r;
        int64_t id = store_field_id(s, field);
        if (id == 0)
                id = store_add_field(s, field);
        int slot = inverter_slot(inv, id);
        if (slot < 0) {
                inverter_add_slot(inv, id);
                slot = (int)inv->slot_fields->len - 1;
        }

        int64_t ms = (int64_t)(time_usec / USEC_PER_MSEC);
        if (s->cycle_inverter != inv || s->cycle_ms != ms) {
                r = store_flush_cycle(s);
                if (r < 0)
                        return r;
                s->cycle_inverter = inv;
                s->cycle_ms = ms;
                s->cycle_seq = 0;
                g_array_set_size(s->cycle_values, 0);
        }
        s->cycle_dirty = true;
        double nan = NAN;
        while (s->cycle_values->len <= (unsigned)slot)
                g_array_append_val(s->cycle_values, nan);
        g_array_index(s->cycle_values, double, slot) = isfinite(value) ? value : NAN;
        return 0;
}

static int store_energy_write(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                              double kwh, bool set)
{
        if (!s || kind < 0 || kind >= _STORE_ENERGY_MAX || !isfinite(kwh) || kwh < 0 || !day ||
            strlen(day) != 10)
                return -EINVAL;
        /* mktime() looks at the time zone file each time: once per day is enough. */
        if (!streq(s->energy_day, day)) {
                uint64_t start;
                int r = store_day_start(day, &start);
                if (r < 0)
                        return r;
                memcpy(s->energy_day, day, 11);
                s->energy_day_start = start;
        }
        uint64_t start = s->energy_day_start;
        int r;
        Inverter *inv;
        r = store_get_inverter(s, serial, &inv);
        if (r < 0)
                return r;

        const char *c = energy_columns[kind];
        g_autofree char *sql = set ? g_strdup_printf("INSERT INTO temp.pending_energy (inverter, "
                                                     "day, day_start, "
                                                     "%s_set) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
                                                     "DO UPDATE SET "
                                                     "%s_set = excluded.%s_set, %s_add = 0",
                                                     c, c, c, c)
                                   : g_strdup_printf("INSERT INTO temp.pending_energy (inverter, "
                                                     "day, day_start, "
                                                     "%s_add) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
                                                     "DO UPDATE SET "
                                                     "%s_add = %s_add + excluded.%s_add",
                                                     c, c, c, c);
        sqlite3_stmt *st;
        r = cached(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, inv->id);
        sqlite3_bind_text(st, 2, day, 10, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)start);
        sqlite3_bind_double(st, 4, kwh);
        r = step_done(s->db, st);
        if (r < 0)
                return r;
        s->energy_pending = true;
        return 0;
}

int store_energy_add(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                     double kwh)
{
        return store_energy_write(s, serial, day, kind, kwh, false);
}

int store_energy_set(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                     double kwh)
{
        return store_energy_write(s, serial, day, kind, kwh, true);
}

/* ---- commit: buffer, tiers, retention ---- */

/* The average to 3 decimals (the inverter's finest resolution is 0.01), an integer when it is
 * one: the shortest JSON. */
#define AVG_SHORT                                                                                  \
        "(CASE WHEN round(a.av, 3) = CAST(round(a.av, 3) AS INTEGER) THEN CAST(round(a.av, 3) AS " \
        "INTEGER) ELSE round(a.av, 3) END)"

/* Folds the rows of SRC_SELECT (inverter, b, slot, mn, av, mx, c) with the cycle counts of
 * N_SELECT (inverter, b, n) into TABLE's JSON rows; see the layout comment at the top. */
static int fold_tier(Store *s, const char *table, const char *key, const char *src_select,
                     const char *n_select, int64_t lo, int64_t hi)
{
        g_autofree char *sql = g_strdup_printf(
                        "INSERT OR REPLACE INTO %s (inverter, %s, n, v) "
                        "SELECT inverter, b, n, json_group_array(json(e)) FROM ("
                        " SELECT a.inverter, a.b, c.n, a.slot, "
                        "  CASE WHEN a.c = 0 THEN NULL "
                        "       WHEN a.mn = a.mx AND a.c = c.n THEN a.mn "
                        "       WHEN a.c = c.n THEN json_array(a.mn, " AVG_SHORT ", a.mx) "
                        "       ELSE json_array(a.mn, " AVG_SHORT ", a.mx, a.c) END AS e "
                        " FROM (%s) AS a JOIN (%s) AS c ON c.inverter = a.inverter AND c.b = a.b "
                        /* json_group_array() takes the rows in this order: the array index is the
                           slot. */
                        " ORDER BY a.inverter, a.b, a.slot) "
                        "GROUP BY inverter, b",
                        table, key, src_select, n_select);
        sqlite3_stmt *st;
        int r = cached(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        return step_done(s->db, st);
}

static int fold_minutes(Store *s, int64_t lo, int64_t hi)
{
        /* ?1, ?2: minutes [lo, hi). */
        return fold_tier(s, "minute", "m",
                         "SELECT r.inverter, r.t / 60000 AS b, j.key AS slot, min(j.value) AS mn, "
                         "avg(j.value) AS av, max(j.value) AS mx, count(j.value) AS c "
                         "FROM raw AS r, json_each(r.v) AS j "
                         "WHERE r.inverter IN (SELECT id FROM inverters) "
                         "AND r.t >= ?1 * 60000 AND r.t < ?2 * 60000 GROUP BY 1, 2, 3",
                         "SELECT inverter, t / 60000 AS b, count(*) AS n FROM raw "
                         "WHERE inverter IN (SELECT id FROM inverters) "
                         "AND t >= ?1 * 60000 AND t < ?2 * 60000 GROUP BY 1, 2",
                         lo, hi);
}

/* The per-element accessors of a tier row's JSON (element e of a row with n cycles). */
#define TIER_MIN "CASE j.type WHEN 'array' THEN j.value ->> 0 ELSE j.value END"
#define TIER_AVG "CASE j.type WHEN 'array' THEN j.value ->> 1 ELSE j.value END"
#define TIER_MAX "CASE j.type WHEN 'array' THEN j.value ->> 2 ELSE j.value END"
#define TIER_COUNT                                                                                 \
        "CASE j.type WHEN 'null' THEN 0 WHEN 'array' THEN coalesce(j.value ->> 3, m.n) ELSE m.n "  \
        "END"

static int fold_hours(Store *s, int64_t lo, int64_t hi)
{
        /* ?1, ?2: hours [lo, hi), from the minute tier (weighted by each minute's count). */
        return fold_tier(s, "hour", "h",
                         "SELECT m.inverter, m.m / 60 AS b, j.key AS slot, "
                         "min(" TIER_MIN ") AS mn, "
                         "sum((" TIER_AVG ") * (" TIER_COUNT ")) * 1.0 / "
                         "nullif(sum(" TIER_COUNT "), 0) AS av, "
                         "max(" TIER_MAX ") AS mx, sum(" TIER_COUNT ") AS c "
                         "FROM minute AS m, json_each(m.v) AS j "
                         "WHERE m.inverter IN (SELECT id FROM inverters) "
                         "AND m.m >= ?1 * 60 AND m.m < ?2 * 60 GROUP BY 1, 2, 3",
                         "SELECT inverter, m / 60 AS b, sum(n) AS n FROM minute "
                         "WHERE inverter IN (SELECT id FROM inverters) "
                         "AND m >= ?1 * 60 AND m < ?2 * 60 GROUP BY 1, 2",
                         lo, hi);
}

static int store_persist_dictionary(Store *s)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;
        if (s->persisted_fields < (int64_t)s->field_names->len) {
                r = prepare(s->db, "INSERT OR REPLACE INTO fields (id, name) VALUES (?, ?)", &st);
                if (r < 0)
                        return r;
                for (int64_t id = s->persisted_fields + 1; id <= (int64_t)s->field_names->len;
                     id++) {
                        sqlite3_bind_int64(st, 1, id);
                        sqlite3_bind_text(st, 2, s->field_names->pdata[id - 1], -1, SQLITE_STATIC);
                        r = step_done(s->db, st);
                        if (r < 0)
                                return r;
                }
                stmt_finalize(&st);
        }

        _cleanup_stmt_ sqlite3_stmt *ins_inv = NULL, *ins_slot = NULL;
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, s->inverters);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                Inverter *inv = v;
                if (!inv->persisted) {
                        if (!ins_inv) {
                                r = prepare(s->db,
                                            "INSERT OR REPLACE INTO inverters (id, serial) "
                                            "VALUES (?, ?)",
                                            &ins_inv);
                                if (r < 0)
                                        return r;
                        }
                        sqlite3_bind_int64(ins_inv, 1, inv->id);
                        sqlite3_bind_text(ins_inv, 2, inv->serial, -1, SQLITE_STATIC);
                        r = step_done(s->db, ins_inv);
                        if (r < 0)
                                return r;
                }
                for (unsigned slot = inv->persisted_slots; slot < inv->slot_fields->len; slot++) {
                        if (!ins_slot) {
                                r = prepare(s->db,
                                            "INSERT OR REPLACE INTO inverter_fields (inverter, "
                                            "slot, field) VALUES (?, ?, ?)",
                                            &ins_slot);
                                if (r < 0)
                                        return r;
                        }
                        sqlite3_bind_int64(ins_slot, 1, inv->id);
                        sqlite3_bind_int64(ins_slot, 2, slot);
                        sqlite3_bind_int64(ins_slot, 3,
                                           g_array_index(inv->slot_fields, int64_t, slot));
                        r = step_done(s->db, ins_slot);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static void store_dictionary_persisted(Store *s)
{
        s->persisted_fields = (int64_t)s->field_names->len;
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, s->inverters);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                Inverter *inv = v;
                inv->persisted = true;
                inv->persisted_slots = inv->slot_fields->len;
        }
}

static bool store_dictionary_dirty(Store *s)
{
        if (s->persisted_fields < (int64_t)s->field_names->len)
                return true;
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, s->inverters);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                Inverter *inv = v;
                if (!inv->persisted || inv->persisted_slots < inv->slot_fields->len)
                        return true;
        }
        return false;
}

static int64_t cutoff(uint64_t now_usec, unsigned days, uint64_t unit_usec)
{
        uint64_t span = (uint64_t)days * USEC_PER_DAY;
        if (days == 0 || now_usec <= span)
                return INT64_MIN;
        return (int64_t)((now_usec - span) / unit_usec);
}

/* The first UNIT whose whole span is still within the retention of DAYS: a tier row may only be
 * folded again from a finer tier that still has all of it. */
static int64_t cutoff_up(uint64_t now_usec, unsigned days, uint64_t unit_usec)
{
        uint64_t span = (uint64_t)days * USEC_PER_DAY;
        if (days == 0 || now_usec <= span)
                return INT64_MIN;
        return (int64_t)((now_usec - span + unit_usec - 1) / unit_usec);
}

static int exec_cached(Store *s, const char *sql)
{
        sqlite3_stmt *st;
        int r = cached(s, sql, &st);
        if (r < 0)
                return r;
        return step_done(s->db, st);
}

static int store_commit_locked(Store *s, uint64_t now_usec, int64_t minute_hi, int64_t hour_hi,
                               int64_t *ret_minute_lo)
{
        int r = store_persist_dictionary(s);
        if (r < 0)
                return r;

        if (s->stats.pending_cycles > 0) {
                r = exec_cached(s, "INSERT OR REPLACE INTO raw (inverter, t, v) SELECT inverter, "
                                   "t, v FROM temp.pending_raw ORDER BY seq");
                if (r >= 0)
                        r = exec_cached(s, "DELETE FROM temp.pending_raw");
                if (r < 0)
                        return r;
        }
        if (s->energy_pending) {
                r = exec_cached(s, "INSERT OR IGNORE INTO energy (inverter, day, day_start) "
                                   "SELECT inverter, day, day_start FROM temp.pending_energy");
                if (r >= 0)
                        r = exec_cached(s, "UPDATE energy SET "
                                           "pv = coalesce(p.pv_set, energy.pv) + p.pv_add, "
                                           "load = coalesce(p.load_set, energy.load) + p.load_add, "
                                           "battery_charge = coalesce(p.battery_charge_set, "
                                           "energy.battery_charge) + p.battery_charge_add, "
                                           "battery_discharge = coalesce(p.battery_discharge_set, "
                                           "energy.battery_discharge) + p.battery_discharge_add, "
                                           "grid = coalesce(p.grid_set, energy.grid) + p.grid_add, "
                                           "source = CASE WHEN p.pv_set IS NOT NULL OR p.load_set "
                                           "IS NOT NULL "
                                           "THEN 'inverter' ELSE energy.source END "
                                           "FROM temp.pending_energy AS p "
                                           "WHERE energy.inverter = p.inverter AND energy.day = "
                                           "p.day");
                if (r >= 0)
                        r = exec_cached(s, "DELETE FROM temp.pending_energy");
                if (r < 0)
                        return r;
        }

        /* Minutes: everything closed since the last run, and any minute that got a late sample
         * (a clock set back, a cycle stamped just before the last run). */
        const StoreRetention *ret = &s->options.retention;
        int64_t lo = s->minute_done;
        if (s->pending_min_ms != INT64_MAX)
                lo = MIN(lo, s->pending_min_ms / 60000);
        lo = MAX(lo, cutoff_up(now_usec, ret->raw_days, USEC_PER_MINUTE));
        if (lo < minute_hi) {
                r = fold_minutes(s, lo, minute_hi);
                if (r < 0)
                        return r;
        }
        int64_t hlo = MIN(s->hour_done, lo / 60);
        hlo = MAX(hlo, cutoff_up(now_usec, ret->minute_days, USEC_PER_HOUR));
        if (hlo < hour_hi) {
                r = fold_hours(s, hlo, hour_hi);
                if (r < 0)
                        return r;
        }
        *ret_minute_lo = lo;

        int64_t c = cutoff(now_usec, ret->raw_days, USEC_PER_MSEC);
        if (c != INT64_MIN) {
                r = exec_bind1(s,
                               "DELETE FROM raw WHERE inverter IN (SELECT id FROM inverters) "
                               "AND t < ?1",
                               c);
                if (r < 0)
                        return r;
        }
        c = cutoff(now_usec, ret->minute_days, USEC_PER_MINUTE);
        if (c != INT64_MIN) {
                r = exec_bind1(s,
                               "DELETE FROM minute WHERE inverter IN (SELECT id FROM "
                               "inverters) AND m < ?1",
                               c);
                if (r < 0)
                        return r;
        }
        c = cutoff(now_usec, ret->hour_days, USEC_PER_HOUR);
        if (c != INT64_MIN) {
                r = exec_bind1(s,
                               "DELETE FROM hour WHERE inverter IN (SELECT id FROM inverters) "
                               "AND h < ?1",
                               c);
                if (r < 0)
                        return r;
        }

        sqlite3_stmt *st;
        r = cached(s,
                   "INSERT OR REPLACE INTO meta (key, value) VALUES ('minute_done', ?1), "
                   "('hour_done', ?2)",
                   &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, minute_hi);
        sqlite3_bind_int64(st, 2, hour_hi);
        return step_done(s->db, st);
}

int store_commit(Store *s, uint64_t now_usec)
{
        if (!s)
                return -EINVAL;
        int r = store_flush_cycle(s);
        if (r < 0)
                return r;

        int64_t minute_hi = (int64_t)(now_usec / USEC_PER_MINUTE);
        int64_t hour_hi = (int64_t)(now_usec / USEC_PER_HOUR);
        if (s->stats.pending_cycles == 0 && !s->energy_pending && !store_dictionary_dirty(s) &&
            minute_hi == s->minute_done && hour_hi == s->hour_done)
                return 0; /* nothing to write: no transaction, no WAL frame */

        r = exec_sql(s->db, "BEGIN IMMEDIATE");
        int64_t lo = 0;
        if (r >= 0)
                r = store_commit_locked(s, now_usec, minute_hi, hour_hi, &lo);
        if (r >= 0)
                r = exec_sql(s->db, "COMMIT");
        if (r < 0) {
                /* The temp tables roll back with the rest: the buffer is as it was. */
                if (!sqlite3_get_autocommit(s->db))
                        (void)exec_sql(s->db, "ROLLBACK");
                s->stats.failed_commits++;
                return r == -EBADMSG ? -EIO : r;
        }

        store_dictionary_persisted(s);
        s->minute_done = minute_hi;
        s->hour_done = hour_hi;
        s->pending_min_ms = INT64_MAX;
        s->cycle_seq = 0; /* its row went to raw; more values of it will replace that */
        s->energy_pending = false;
        s->stats.pending_samples = 0;
        s->stats.pending_cycles = 0;
        s->stats.commits++;
        return 0;
}

void store_get_stats(Store *s, StoreStats *ret)
{
        if (!s || !ret)
                return;
        *ret = s->stats;
        /* The part of the cycle being assembled not flushed yet counts as pending too. */
        if (s->cycle_inverter && s->cycle_dirty) {
                size_t n = store_cycle_count(s);
                size_t flushed = s->cycle_seq > 0 ? s->cycle_n : 0;
                if (n > flushed)
                        ret->pending_samples += n - flushed;
                if (n > 0 && s->cycle_seq == 0)
                        ret->pending_cycles++;
        }
}

/* ---- reading ---- */

char **store_strv_free(char **l)
{
        g_strfreev(l);
        return NULL;
}

static int strcmp_ptr(gconstpointer a, gconstpointer b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int strv_sorted(GPtrArray *a, char ***ret)
{
        g_ptr_array_sort(a, strcmp_ptr);
        char **l = calloc(a->len + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (unsigned i = 0; i < a->len; i++)
                l[i] = g_strdup(a->pdata[i]);
        /* g_strfreev() frees with g_free(); GLib ≥ 2.46 uses the system malloc for both. */
        *ret = l;
        return 0;
}

int store_list_serials(Store *s, char ***ret)
{
        if (!s || !ret)
                return -EINVAL;
        g_autoptr(GPtrArray) a = g_ptr_array_new();
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, s->inverters);
        while (g_hash_table_iter_next(&it, NULL, &v))
                g_ptr_array_add(a, ((Inverter *)v)->serial);
        return strv_sorted(a, ret);
}

int store_list_fields(Store *s, const char *serial, char ***ret)
{
        if (!s || !ret)
                return -EINVAL;
        Inverter *inv = store_find_inverter(s, serial);
        if (!inv)
                return -ENXIO;
        g_autoptr(GPtrArray) a = g_ptr_array_new();
        for (unsigned i = 0; i < inv->slot_fields->len; i++) {
                int64_t id = g_array_index(inv->slot_fields, int64_t, i);
                g_ptr_array_add(a, s->field_names->pdata[id - 1]);
        }
        return strv_sorted(a, ret);
}

int store_get_sample_range(Store *s, const char *serial, uint64_t *ret_first_usec,
                           uint64_t *ret_last_usec)
{
        if (!s)
                return -EINVAL;
        uint64_t first = 0, last = 0;
        Inverter *inv = store_find_inverter(s, serial);
        if (inv) {
                int r = store_flush_cycle(s);
                if (r < 0)
                        return r;
                /* One subquery per bound: SQLite answers a lone min()/max() from the index. */
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                r = prepare(s->db,
                            "SELECT min(x), max(y) FROM ("
                            "SELECT (SELECT min(t) FROM raw WHERE inverter = ?1) * 1000 AS x, "
                            "(SELECT max(t) FROM raw WHERE inverter = ?1) * 1000 AS y "
                            "UNION ALL SELECT min(t) * 1000, max(t) * 1000 FROM "
                            "temp.pending_raw WHERE inverter = ?1 "
                            "UNION ALL SELECT (SELECT min(m) FROM minute WHERE inverter = ?1) "
                            "* 60000000, (SELECT max(m) FROM minute WHERE inverter = ?1) "
                            "* 60000000 "
                            "UNION ALL SELECT (SELECT min(h) FROM hour WHERE inverter = ?1) "
                            "* 3600000000, (SELECT max(h) FROM hour WHERE inverter = ?1) "
                            "* 3600000000)",
                            &st);
                if (r < 0)
                        return r;
                sqlite3_bind_int64(st, 1, inv->id);
                int rc = sqlite3_step(st);
                if (rc != SQLITE_ROW)
                        return step_errno(s->db, rc);
                first = (uint64_t)sqlite3_column_int64(st, 0);
                last = (uint64_t)sqlite3_column_int64(st, 1);
        }
        if (ret_first_usec)
                *ret_first_usec = first;
        if (ret_last_usec)
                *ret_last_usec = last;
        return 0;
}

StoreSamples *store_samples_free(StoreSamples *samples)
{
        if (!samples)
                return NULL;
        free(samples->times);
        for (size_t i = 0; samples->columns && i < samples->n_fields; i++)
                free(samples->columns[i]);
        free(samples->columns);
        free(samples);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(StoreSamples *, store_samples_free)

/* Whether the raw tier still holds everything of INV: no raw row was expired yet (a young
 * database, or retention longer than its age). Then STEP 0 answers from raw, the finest tier,
 * whatever SINCE says: the minute tier lacks the minute not folded yet. */
static int store_raw_never_expired(Store *s, Inverter *inv, bool *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s->db,
                        "SELECT (SELECT min(t) FROM raw WHERE inverter = ?1), "
                        "(SELECT min(m) FROM minute WHERE inverter = ?1)",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, inv->id);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return step_errno(s->db, rc);
        /* No minute rows: nothing was folded, so nothing can have expired. Otherwise the oldest
         * raw row must lie in the oldest folded minute. */
        *ret = sqlite3_column_type(st, 1) == SQLITE_NULL ||
               (sqlite3_column_type(st, 0) != SQLITE_NULL &&
                sqlite3_column_int64(st, 0) < (sqlite3_column_int64(st, 1) + 1) * 60000);
        return 0;
}

static Tier tier_for_since(const StoreRetention *ret, uint64_t since, uint64_t now)
{
        if (ret->raw_days == 0 || since + (uint64_t)ret->raw_days * USEC_PER_DAY >= now)
                return TIER_RAW;
        if (ret->minute_days == 0 || since + (uint64_t)ret->minute_days * USEC_PER_DAY >= now)
                return TIER_MINUTE;
        return TIER_HOUR;
}

/* Appends one UNION ALL branch: rows (b, a0, c0, a1, c1, …) of TIER: bucket BUCKET, the value
 * (or average) Ai of the element at SLOTS[i] weighing Ci samples, for the rows of inverter ?1
 * matching WHERE. Every extraction reads the same JSON text of the row, which SQLite parses
 * once and caches; the paths then cost little. */
static void append_branch(GString *sql, Tier tier, const char *bucket, const int *slots, size_t n,
                          const char *where)
{
        if (sql->len > 0)
                g_string_append(sql, " UNION ALL ");
        g_string_append_printf(sql, "SELECT %s AS b", bucket);
        for (size_t i = 0; i < n; i++) {
                if (tier == TIER_RAW)
                        g_string_append_printf(sql, ", v ->> %d AS a%zu, 1 AS c%zu", slots[i], i,
                                               i);
                else
                        g_string_append_printf(sql,
                                               ", coalesce(v ->> '$[%d][1]', v ->> %d) AS a%zu, "
                                               "coalesce(v ->> '$[%d][3]', n) AS c%zu",
                                               slots[i], slots[i], i, slots[i], i);
        }
        if (tier == TIER_RAW)
                g_string_append_printf(sql,
                                       " FROM (SELECT t, v FROM main.raw WHERE inverter = ?1 AND "
                                       "%s UNION ALL SELECT t, v FROM temp.pending_raw WHERE "
                                       "inverter = ?1 AND %s)",
                                       where, where);
        else
                g_string_append_printf(sql, " FROM %s WHERE inverter = ?1 AND %s",
                                       tier == TIER_MINUTE ? "minute" : "hour", where);
}

int store_get_samples(Store *s, const char *serial, uint64_t since_usec, uint64_t until_usec,
                      uint32_t step, const char *const *fields, size_t n_fields, uint64_t now_usec,
                      StoreSamples **ret, size_t *ret_bad_field)
{
        if (!s || !ret || !fields || n_fields == 0 || since_usec > until_usec)
                return -EINVAL;
        if (n_fields > STORE_MAX_FIELDS)
                return -E2BIG;
        Inverter *inv = store_find_inverter(s, serial);
        if (!inv)
                return -ENXIO;
        int slots[STORE_MAX_FIELDS];
        for (size_t i = 0; i < n_fields; i++) {
                int64_t id = fields[i] ? store_field_id(s, fields[i]) : 0;
                slots[i] = id > 0 ? inverter_slot(inv, id) : -ENOENT;
                if (slots[i] < 0) {
                        if (ret_bad_field)
                                *ret_bad_field = i;
                        return -ENOENT;
                }
        }
        int r = store_flush_cycle(s);
        if (r < 0)
                return r;
        /* "Until the end of time" (UINT64_MAX) is a fair question: nothing is stored after
         * TIME_END, and the arithmetic below stays far from overflowing. */
        until_usec = MIN(until_usec, TIME_END);
        since_usec = MIN(since_usec, TIME_END);

        /* Ranges in each tier's unit: raw ms [since, until]; minutes and hours whose start is in
         * the range. */
        int64_t ms_lo = (int64_t)(since_usec / USEC_PER_MSEC),
                ms_hi = (int64_t)(until_usec / USEC_PER_MSEC);
        int64_t m_lo = (int64_t)((since_usec + USEC_PER_MINUTE - 1) / USEC_PER_MINUTE),
                m_hi = (int64_t)(until_usec / USEC_PER_MINUTE);
        int64_t h_lo = (int64_t)((since_usec + USEC_PER_HOUR - 1) / USEC_PER_HOUR),
                h_hi = (int64_t)(until_usec / USEC_PER_HOUR);

        Tier tier = tier_for_since(&s->options.retention, since_usec, now_usec);
        if (step == 0 && tier != TIER_RAW) {
                bool raw_complete;
                r = store_raw_never_expired(s, inv, &raw_complete);
                if (r < 0)
                        return r;
                if (raw_complete)
                        tier = TIER_RAW;
        }
        g_autoptr(GString) branches = g_string_new(NULL);
        uint64_t unit_usec;
        char where[160], bucket[64];
        if (step == 0) {
                switch (tier) {
                case TIER_RAW:
                        snprintf(where, sizeof where, "t BETWEEN %" PRId64 " AND %" PRId64, ms_lo,
                                 ms_hi);
                        append_branch(branches, TIER_RAW, "t", slots, n_fields, where);
                        unit_usec = USEC_PER_MSEC;
                        break;
                case TIER_MINUTE:
                        snprintf(where, sizeof where, "m BETWEEN %" PRId64 " AND %" PRId64, m_lo,
                                 m_hi);
                        append_branch(branches, TIER_MINUTE, "m", slots, n_fields, where);
                        unit_usec = USEC_PER_MINUTE;
                        break;
                default:
                        snprintf(where, sizeof where, "h BETWEEN %" PRId64 " AND %" PRId64, h_lo,
                                 h_hi);
                        append_branch(branches, TIER_HOUR, "h", slots, n_fields, where);
                        unit_usec = USEC_PER_HOUR;
                        break;
                }
        } else {
                /* The coarsest tier whose period divides STEP (its averages combine exactly,
                 * weighted by their counts), but never finer than what SINCE still has; the part
                 * not folded yet comes from the finer tiers and the buffer. */
                Tier div = step % 3600 == 0 ? TIER_HOUR : step % 60 == 0 ? TIER_MINUTE : TIER_RAW;
                Tier t = MAX(div, tier);
                int64_t raw_from = ms_lo;
                if (t == TIER_HOUR) {
                        snprintf(bucket, sizeof bucket, "h * 3600 / %" PRIu32, step);
                        snprintf(where, sizeof where,
                                 "h BETWEEN %" PRId64 " AND %" PRId64 " AND h < %" PRId64, h_lo,
                                 h_hi, s->hour_done);
                        append_branch(branches, TIER_HOUR, bucket, slots, n_fields, where);
                        m_lo = MAX(m_lo, s->hour_done * 60);
                }
                if (t >= TIER_MINUTE) {
                        snprintf(bucket, sizeof bucket, "m * 60 / %" PRIu32, step);
                        snprintf(where, sizeof where,
                                 "m BETWEEN %" PRId64 " AND %" PRId64 " AND m < %" PRId64, m_lo,
                                 m_hi, s->minute_done);
                        append_branch(branches, TIER_MINUTE, bucket, slots, n_fields, where);
                        raw_from = MAX(raw_from, MAX(m_lo, s->minute_done) * 60000);
                }
                snprintf(bucket, sizeof bucket, "t / %" PRIu64, (uint64_t)step * 1000);
                snprintf(where, sizeof where, "t BETWEEN %" PRId64 " AND %" PRId64, raw_from,
                         ms_hi);
                append_branch(branches, TIER_RAW, bucket, slots, n_fields, where);
                unit_usec = (uint64_t)step * USEC_PER_SEC;
        }

        g_autoptr(GString) sql = g_string_new("SELECT b");
        for (size_t i = 0; i < n_fields; i++)
                g_string_append_printf(sql,
                                       ", sum(a%zu * c%zu) * 1.0 / sum(CASE WHEN a%zu IS NOT NULL "
                                       "THEN c%zu END)",
                                       i, i, i, i);
        g_string_append_printf(sql, " FROM (%s) GROUP BY b HAVING ", branches->str);
        for (size_t i = 0; i < n_fields; i++)
                g_string_append_printf(sql, "%scount(a%zu)", i ? " + " : "", i);
        g_string_append_printf(sql, " > 0 ORDER BY b LIMIT %d", STORE_MAX_ROWS + 1);

        log_debug("GetSamples: %s", sql->str);
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        r = prepare(s->db, sql->str, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, inv->id);

        g_autoptr(GArray) times = g_array_new(false, false, sizeof(uint64_t));
        g_autoptr(GArray) values = g_array_new(false, false, sizeof(double));
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (times->len >= STORE_MAX_ROWS)
                        return -E2BIG;
                uint64_t t = (uint64_t)sqlite3_column_int64(st, 0) * unit_usec;
                g_array_append_val(times, t);
                for (size_t i = 0; i < n_fields; i++) {
                        double v = column_double_or_nan(st, (int)i + 1);
                        g_array_append_val(values, v);
                }
        }
        if (rc != SQLITE_DONE)
                return step_errno(s->db, rc);

        _cleanup_(store_samples_freep) StoreSamples *out = calloc(1, sizeof *out);
        if (!out)
                return -ENOMEM;
        out->n_times = times->len;
        out->n_fields = n_fields;
        out->times = malloc(MAX(times->len, 1u) * sizeof(uint64_t));
        out->columns = calloc(n_fields, sizeof(double *));
        if (!out->times || !out->columns)
                return -ENOMEM;
        if (times->len > 0)
                memcpy(out->times, times->data, times->len * sizeof(uint64_t));
        for (size_t i = 0; i < n_fields; i++) {
                out->columns[i] = malloc(MAX(times->len, 1u) * sizeof(double));
                if (!out->columns[i])
                        return -ENOMEM;
                for (size_t j = 0; j < times->len; j++)
                        out->columns[i][j] = g_array_index(values, double, j *n_fields + i);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* ---- energy reads ---- */

int store_energy_sums(Store *s, const char *serial, const char *today, StoreEnergy *ret_today,
                      StoreEnergy *ret_month, StoreEnergy *ret_year, StoreEnergy *ret_total,
                      StoreEnergySource *ret_source)
{
        uint64_t dummy;
        if (!s || !today || strlen(today) != 10 || store_day_start(today, &dummy) < 0)
                return -EINVAL;
        StoreEnergy sums[4] = {0};
        StoreEnergySource source = STORE_SOURCE_INTEGRATED;
        Inverter *inv = store_find_inverter(s, serial);
        if (inv) {
                static const char *const conds[4] = {
                                "day = ?2",
                                "substr(day, 1, 7) = substr(?2, 1, 7)",
                                "substr(day, 1, 4) = substr(?2, 1, 4)",
                                "1",
                };
                g_autoptr(GString) sql = g_string_new("SELECT ");
                for (size_t p = 0; p < 4; p++)
                        for (size_t k = 0; k < _STORE_ENERGY_MAX; k++)
                                g_string_append_printf(sql, "total(CASE WHEN %s THEN %s END), ",
                                                       conds[p], energy_columns[k]);
                g_string_append(sql, "max(CASE WHEN day = ?2 THEN source = 'inverter' END) FROM "
                                     "temp.energy_all WHERE inverter = ?1");
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                int r = prepare(s->db, sql->str, &st);
                if (r < 0)
                        return r;
                sqlite3_bind_int64(st, 1, inv->id);
                sqlite3_bind_text(st, 2, today, -1, SQLITE_STATIC);
                int rc = sqlite3_step(st);
                if (rc != SQLITE_ROW)
                        return step_errno(s->db, rc);
                for (size_t p = 0; p < 4; p++)
                        for (size_t k = 0; k < _STORE_ENERGY_MAX; k++)
                                sums[p].kwh[k] = sqlite3_column_double(
                                                st, (int)(p * _STORE_ENERGY_MAX + k));
                if (sqlite3_column_int(st, 4 * _STORE_ENERGY_MAX) == 1)
                        source = STORE_SOURCE_INVERTER;
        }
        if (ret_today)
                *ret_today = sums[0];
        if (ret_month)
                *ret_month = sums[1];
        if (ret_year)
                *ret_year = sums[2];
        if (ret_total)
                *ret_total = sums[3];
        if (ret_source)
                *ret_source = source;
        return 0;
}

int store_get_energy(Store *s, const char *serial, StorePeriod period, uint64_t since_usec,
                     uint64_t until_usec, StoreEnergyPeriod **ret, size_t *ret_n)
{
        if (!s || !ret || !ret_n || period < 0 || period >= _STORE_PERIOD_MAX ||
            since_usec > until_usec)
                return -EINVAL;
        static const int prefix[_STORE_PERIOD_MAX] = {
                        [STORE_PERIOD_DAY] = 10, [STORE_PERIOD_MONTH] = 7, [STORE_PERIOD_YEAR] = 4};
        until_usec = MIN(until_usec, TIME_END);
        since_usec = MIN(since_usec, TIME_END);
        char from[11], to[11];
        /* The periods that overlap the range: from the one holding SINCE to the one holding
         * UNTIL, compared as 'YYYY-MM-DD' prefixes. */
        int r = store_local_day(since_usec, from);
        if (r < 0)
                return r;
        r = store_local_day(until_usec, to);
        if (r < 0)
                return r;
        int len = prefix[period];
        from[len] = 0;
        g_autofree char *to_bound = g_strdup_printf("%.*s~", len, to);

        g_autoptr(GArray) out = g_array_new(false, false, sizeof(StoreEnergyPeriod));
        Inverter *inv = store_find_inverter(s, serial);
        if (inv) {
                g_autofree char *sql = g_strdup_printf(
                                "SELECT substr(day, 1, %d) AS p, total(pv), total(load), "
                                "total(battery_charge), total(battery_discharge), total(grid) "
                                "FROM temp.energy_all WHERE inverter = ?1 AND day >= ?2 AND day < "
                                "?3 "
                                "GROUP BY p ORDER BY p LIMIT %d",
                                len, STORE_MAX_ROWS + 1);
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                r = prepare(s->db, sql, &st);
                if (r < 0)
                        return r;
                sqlite3_bind_int64(st, 1, inv->id);
                sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, to_bound, -1, SQLITE_STATIC);
                int rc;
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                        if (out->len >= STORE_MAX_ROWS)
                                return -E2BIG;
                        StoreEnergyPeriod p = {0};
                        const char *key = (const char *)sqlite3_column_text(st, 0);
                        if (store_day_start(key, &p.start_usec) < 0)
                                continue; /* a malformed day (a hand edit): not a period */
                        for (size_t k = 0; k < _STORE_ENERGY_MAX; k++)
                                p.energy.kwh[k] = sqlite3_column_double(st, (int)k + 1);
                        g_array_append_val(out, p);
                }
                if (rc != SQLITE_DONE)
                        return step_errno(s->db, rc);
        }
        *ret_n = out->len;
        *ret = malloc(MAX(out->len, 1u) * sizeof(StoreEnergyPeriod));
        if (!*ret)
                return -ENOMEM;
        if (out->len > 0)
                memcpy(*ret, out->data, out->len * sizeof(StoreEnergyPeriod));
        return 0;
}
