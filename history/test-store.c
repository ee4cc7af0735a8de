/* test-store.c: unit tests of the history store (store.c) against real SQLite files. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "macros.h"
#include "store.h"
#include "tests.h"

#define SEC 1000000ULL
#define MINUTE (60 * SEC)
#define HOUR (3600 * SEC)
#define DAY (86400 * SEC)

/* 2026-06-01T00:00:00Z: a minute-, hour- and day-aligned base for injected times. */
static const uint64_t T0 = 1780272000ULL * SEC;

static char *tmp_dir(void)
{
        char *d = g_strdup("/tmp/test-store.XXXXXX");
        if (!g_mkdtemp(d)) {
                perror("mkdtemp");
                exit(EXIT_FAILURE);
        }
        return d;
}

static void rm_rf(const char *dir)
{
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
}

static Store *open_store(const char *path, const StoreOptions *o, uint64_t now)
{
        Store *s = NULL;
        StoreOpenInfo info = {0};
        int r = store_open(path, o, now, &s, &info);
        CHECK_INT(r, 0);
        CHECK(!info.recovered);
        store_open_info_done(&info);
        if (!s)
                exit(tests_finish("test-store"));
        return s;
}

/* An SQL query on the file itself, to look at what the store wrote. */
static char *sql_text(const char *path, const char *sql)
{
        sqlite3 *db = NULL;
        char *out = NULL;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
                sqlite3_stmt *st = NULL;
                if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
                    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                        out = g_strdup((const char *)sqlite3_column_text(st, 0));
                else
                        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
                sqlite3_finalize(st);
        }
        sqlite3_close(db);
        return out ? out : g_strdup("(error)");
}

static long long sql_int(const char *path, const char *sql)
{
        g_autofree char *t = sql_text(path, sql);
        return strtoll(t, NULL, 10);
}

static void check_nan(double v)
{
        CHECK_MSG(isnan(v), "%g is not NaN", v);
}

/* Write, read back before and after commit and after reopening; NaN gaps; the errors. */
static void test_round_trip(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        Store *s = open_store(path, NULL, T0);

        const char *f3[] = {"BatteryVoltage", "PvInputPower", "unit1.AcOutputVoltage"};
        for (int i = 0; i < 3; i++) {
                uint64_t t = T0 + (uint64_t)i * 5 * SEC + 123456; /* stored at ms resolution */
                CHECK_INT(store_add_sample(s, "92932004102443", t, "BatteryVoltage", 52.5 + i), 0);
                /* PvInputPower missing in cycle 1: a gap, not a repeated value */
                if (i != 1)
                        CHECK_INT(store_add_sample(s, "92932004102443", t, "PvInputPower",
                                                   1000 * i),
                                  0);
                CHECK_INT(store_add_sample(s, "92932004102443", t, "unit1.AcOutputVoltage",
                                           i == 2 ? NAN : 230.1),
                          0);
        }
        CHECK_INT(store_add_sample(s, "", T0, "X", 1), -EINVAL);
        CHECK_INT(store_add_sample(s, "S", T0, "", 1), -EINVAL);

        for (int round = 0; round < 3; round++) {
                if (round == 1)
                        CHECK_INT(store_commit(s, T0 + 20 * SEC), 0);
                if (round == 2) {
                        store_free(s);
                        s = open_store(path, NULL, T0 + 30 * SEC);
                }
                StoreSamples *r = NULL;
                CHECK_INT(store_get_samples(s, "92932004102443", T0, T0 + 60 * SEC, 0, f3, 3,
                                            T0 + 60 * SEC, &r, NULL),
                          0);
                if (!r)
                        continue;
                CHECK_INT(r->n_times, 3);
                CHECK_INT(r->n_fields, 3);
                for (size_t j = 0; j < r->n_times && j < 3; j++) {
                        CHECK_INT(r->times[j], T0 + j * 5 * SEC + 123000);
                        CHECK_DOUBLE(r->columns[0][j], 52.5 + (double)j);
                }
                CHECK_DOUBLE(r->columns[1][0], 0);
                check_nan(r->columns[1][1]);
                CHECK_DOUBLE(r->columns[1][2], 2000);
                CHECK_DOUBLE(r->columns[2][0], 230.1);
                CHECK_DOUBLE(r->columns[2][1], 230.1);
                check_nan(r->columns[2][2]);
                store_samples_free(r);

                uint64_t first = 0, last = 0;
                CHECK_INT(store_get_sample_range(s, "92932004102443", &first, &last), 0);
                CHECK_INT(first, T0 + 123000);
                CHECK_INT(last, T0 + 10 * SEC + 123000);
        }

        char **l = NULL;
        CHECK_INT(store_list_serials(s, &l), 0);
        CHECK(l && l[0] && streq(l[0], "92932004102443") && !l[1]);
        store_strv_free(l);
        l = NULL;
        CHECK_INT(store_list_fields(s, "92932004102443", &l), 0);
        CHECK(l && l[0] && l[1] && l[2] && !l[3]);
        if (l && l[0] && l[1] && l[2]) {
                CHECK_STR(l[0], "BatteryVoltage");
                CHECK_STR(l[1], "PvInputPower");
                CHECK_STR(l[2], "unit1.AcOutputVoltage");
        }
        store_strv_free(l);
        CHECK_INT(store_list_fields(s, "nope", &l), -ENXIO);

        StoreSamples *r = NULL;
        size_t bad = 99;
        const char *unknown[] = {"BatteryVoltage", "NoSuchField"};
        CHECK_INT(store_get_samples(s, "92932004102443", T0, T0 + MINUTE, 0, unknown, 2,
                                    T0 + MINUTE, &r, &bad),
                  -ENOENT);
        CHECK_INT(bad, 1);
        CHECK_INT(store_get_samples(s, "nope", T0, T0 + MINUTE, 0, f3, 1, T0 + MINUTE, &r, NULL),
                  -ENXIO);
        CHECK_INT(store_get_samples(s, "92932004102443", T0 + MINUTE, T0, 0, f3, 1, T0 + MINUTE, &r,
                                    NULL),
                  -EINVAL);
        const char *many[STORE_MAX_FIELDS + 1];
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = "BatteryVoltage";
        CHECK_INT(store_get_samples(s, "92932004102443", T0, T0 + MINUTE, 0, many, ELEMENTSOF(many),
                                    T0 + MINUTE, &r, NULL),
                  -E2BIG);
        CHECK(r == NULL);

        /* until = the end of time is a fair question */
        CHECK_INT(store_get_samples(s, "92932004102443", T0 - HOUR, UINT64_MAX, 0, f3, 1,
                                    T0 + MINUTE, &r, NULL),
                  0);
        CHECK(r && r->n_times == 3);
        store_samples_free(r);
        r = NULL;
        CHECK_INT(store_get_samples(s, "92932004102443", UINT64_MAX - 1, UINT64_MAX, 60, f3, 1,
                                    T0 + MINUTE, &r, NULL),
                  0);
        CHECK(r && r->n_times == 0);
        store_samples_free(r);
        r = NULL;

        uint64_t first = 1, last = 1;
        CHECK_INT(store_get_sample_range(s, "nope", &first, &last), 0);
        CHECK_INT(first, 0);
        CHECK_INT(last, 0);
        store_free(s);
        rm_rf(dir);
}

/* A read between the values of one cycle (the service answering a bus call) does not split
 * the cycle: before, after and across a commit, the cycle has all its values. */
static void test_split_cycle(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        Store *s = open_store(path, NULL, T0);
        const char *f[] = {"A", "B", "C"};
        StoreSamples *r = NULL;
        uint64_t last = 0;
        CHECK_INT(store_add_sample(s, "S", T0, "A", 1), 0);
        CHECK_INT(store_get_sample_range(s, "S", NULL, &last), 0);
        CHECK_INT(last, T0);
        CHECK_INT(store_add_sample(s, "S", T0, "B", 2), 0);
        CHECK_INT(store_get_samples(s, "S", T0, T0, 0, f, 2, T0, &r, NULL), 0);
        CHECK(r && r->n_times == 1 && r->columns[0][0] == 1 && r->columns[1][0] == 2);
        store_samples_free(r);
        StoreStats st;
        store_get_stats(s, &st);
        CHECK_INT(st.pending_cycles, 1);
        CHECK_INT(st.pending_samples, 2);
        CHECK_INT(store_commit(s, T0 + SEC), 0);
        CHECK_INT(store_add_sample(s, "S", T0, "C", 3), 0); /* after the commit, same cycle */
        store_get_stats(s, &st);
        CHECK_INT(st.pending_cycles, 1);
        CHECK_INT(st.pending_samples, 3);
        CHECK_INT(store_commit(s, T0 + 2 * SEC), 0);
        store_free(s);
        s = open_store(path, NULL, T0);
        CHECK_INT(store_get_samples(s, "S", T0, T0, 0, f, 3, T0, &r, NULL), 0);
        CHECK(r && r->n_times == 1);
        if (r && r->n_times == 1) {
                CHECK_DOUBLE(r->columns[0][0], 1);
                CHECK_DOUBLE(r->columns[1][0], 2);
                CHECK_DOUBLE(r->columns[2][0], 3);
        }
        store_samples_free(r);
        store_free(s);
        rm_rf(dir);
}

/* A parallel system's cycle has ~160 fields: more than SQLite's 127 function arguments.
 * Every value must still be stored and read back exactly (NaN as a gap). */
static void test_wide_cycle(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        Store *s = open_store(path, NULL, T0);
        enum { N = 200 };
        char names[N][16];
        const char *f[STORE_MAX_FIELDS];
        for (unsigned i = 0; i < N; i++) {
                snprintf(names[i], sizeof names[i], "unit%u.F%u", i % 3, i);
                double v = i == 7 ? NAN : i % 2 ? i + 0.1 : (double)i;
                CHECK_INT(store_add_sample(s, "S", T0, names[i], v), 0);
        }
        CHECK_INT(store_commit(s, T0 + SEC), 0);
        store_free(s);
        s = open_store(path, NULL, T0);
        /* Read back in chunks of STORE_MAX_FIELDS, the most one call takes. */
        for (unsigned base = 0; base < N; base += STORE_MAX_FIELDS) {
                unsigned n = MIN((unsigned)STORE_MAX_FIELDS, N - base);
                for (unsigned i = 0; i < n; i++)
                        f[i] = names[base + i];
                StoreSamples *r = NULL;
                CHECK_INT(store_get_samples(s, "S", T0, T0, 0, f, n, T0 + SEC, &r, NULL), 0);
                CHECK(r && r->n_times == 1);
                if (r && r->n_times == 1)
                        for (unsigned i = 0; i < n; i++) {
                                unsigned k = base + i;
                                if (k == 7)
                                        CHECK(isnan(r->columns[i][0]));
                                else
                                        CHECK_DOUBLE(r->columns[i][0], k % 2 ? k + 0.1 : (double)k);
                        }
                store_samples_free(r);
        }
        store_free(s);
        rm_rf(dir);
}

/* STEP 0 answers from raw while no raw row has expired, however old SINCE is: a young
 * database asked "everything" (since 0) returns every cycle, the newest unfolded minute too. */
static void test_step0_young_database(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        Store *s = open_store(path, NULL, T0);
        const char *f[] = {"A"};
        for (unsigned i = 0; i < 10; i++)
                CHECK_INT(store_add_sample(s, "S", T0 + i * 10 * SEC, "A", i), 0);
        /* Folds the first minute (closed) and keeps the second open. */
        CHECK_INT(store_commit(s, T0 + 95 * SEC), 0);
        StoreSamples *r = NULL;
        CHECK_INT(store_get_samples(s, "S", 0, UINT64_MAX, 0, f, 1, T0 + 95 * SEC, &r, NULL), 0);
        CHECK(r && r->n_times == 10);
        if (r && r->n_times == 10) {
                CHECK_INT(r->times[9], T0 + 90 * SEC);
                CHECK_DOUBLE(r->columns[0][9], 9);
        }
        store_samples_free(r);
        store_free(s);
        rm_rf(dir);
}

/* More than STORE_MAX_ROWS rows is -E2BIG, not a truncated answer. */
static void test_row_limit(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        StoreOptions o = STORE_OPTIONS_DEFAULT;
        o.max_pending = 2 * STORE_MAX_ROWS;
        Store *s = open_store(path, &o, T0);
        for (uint64_t i = 0; i <= STORE_MAX_ROWS; i++)
                CHECK_INT(store_add_sample(s, "S", T0 + i * SEC, "F", (double)i), 0);
        const char *f[] = {"F"};
        StoreSamples *r = NULL;
        uint64_t end = T0 + (uint64_t)STORE_MAX_ROWS * SEC;
        CHECK_INT(store_get_samples(s, "S", T0, end, 0, f, 1, end, &r, NULL), -E2BIG);
        CHECK_INT(store_get_samples(s, "S", T0 + SEC, end, 0, f, 1, end, &r, NULL), 0);
        CHECK(r && r->n_times == (size_t)STORE_MAX_ROWS);
        store_samples_free(r);
        store_free(s);
        rm_rf(dir);
}

/* STEP > 0: averages per epoch-aligned bucket, empty buckets left out, the same answer from
 * the buffer, from raw and from the minute tier. */
static void test_step_average(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        Store *s = open_store(path, NULL, T0);
        /* Minutes 0, 1 and 5 have 12 cycles each; value = the cycle number; B only in minute 1 */
        for (int m = 0; m < 6; m++) {
                if (m >= 2 && m <= 4)
                        continue;
                for (int i = 0; i < 12; i++) {
                        uint64_t t = T0 + (uint64_t)m * MINUTE + (uint64_t)i * 5 * SEC;
                        CHECK_INT(store_add_sample(s, "S", t, "A", m * 12 + i), 0);
                        if (m == 1)
                                CHECK_INT(store_add_sample(s, "S", t, "B", i % 2 ? 10 : 20), 0);
                }
        }
        const char *f[] = {"A", "B"};
        for (int round = 0; round < 3; round++) {
                uint64_t now = T0 + 6 * MINUTE + 1; /* round 0: all in the buffer */
                if (round == 1)
                        CHECK_INT(store_commit(s, T0 + 30 * SEC), 0); /* raw, nothing folded */
                if (round == 2)
                        CHECK_INT(store_commit(s, T0 + 10 * MINUTE), 0); /* minute tier */
                StoreSamples *r = NULL;
                CHECK_INT(store_get_samples(s, "S", T0, T0 + 10 * MINUTE, 60, f, 2, now, &r, NULL),
                          0);
                if (!r)
                        continue;
                CHECK_MSG(r->n_times == 3, "round %d: %zu rows", round, r->n_times);
                if (r->n_times == 3) {
                        CHECK_INT(r->times[0], T0);
                        CHECK_INT(r->times[1], T0 + MINUTE);
                        CHECK_INT(r->times[2], T0 + 5 * MINUTE);
                        CHECK_DOUBLE(r->columns[0][0], 5.5);
                        CHECK_DOUBLE(r->columns[0][1], 17.5);
                        CHECK_DOUBLE(r->columns[0][2], 65.5);
                        check_nan(r->columns[1][0]);
                        CHECK_DOUBLE(r->columns[1][1], 15);
                        check_nan(r->columns[1][2]);
                }
                store_samples_free(r);

                /* 120 s buckets: minutes 0+1 in one bucket, weighted by their counts */
                CHECK_INT(store_get_samples(s, "S", T0, T0 + 10 * MINUTE, 120, f, 1, now, &r, NULL),
                          0);
                CHECK(r && r->n_times == 2);
                if (r && r->n_times == 2) {
                        CHECK_DOUBLE(r->columns[0][0], 11.5);
                        CHECK_DOUBLE(r->columns[0][1], 65.5);
                        CHECK_INT(r->times[1], T0 + 4 * MINUTE);
                }
                store_samples_free(r);

                /* 15 s buckets (not a multiple of a minute): from raw */
                CHECK_INT(store_get_samples(s, "S", T0, T0 + 10 * MINUTE, 15, f, 1, now, &r, NULL),
                          0);
                CHECK(r && r->n_times == 12);
                if (r && r->n_times == 12) {
                        CHECK_DOUBLE(r->columns[0][0], 1); /* 0, 1, 2 */
                        CHECK_INT(r->times[1], T0 + 15 * SEC);
                        CHECK_DOUBLE(r->columns[0][1], 4);
                }
                store_samples_free(r);
        }

        /* The minute tier's rows: a constant is one number, a varying value [min,avg,max]. */
        store_free(s);
        g_autofree char *row = sql_text(path, "SELECT v FROM minute ORDER BY m LIMIT 1 OFFSET 1");
        CHECK_STR(row, "[[12,17.5,23],[10,15,20]]");
        rm_rf(dir);
}

/* Tier folding at the boundary, late samples, and the retention of each tier. */
static void test_tiers_retention(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        StoreOptions o = {.retention = {.raw_days = 1, .minute_days = 3, .hour_days = 10}};
        Store *s = open_store(path, &o, T0);

        /* Two hours at 5 s: V = 50 + (cycle % 12), C constant 7, a cycle without C each minute */
        for (uint64_t i = 0; i < 2 * 720; i++) {
                uint64_t t = T0 + i * 5 * SEC;
                CHECK_INT(store_add_sample(s, "S", t, "V", 50 + (double)(i % 12)), 0);
                if (i % 12 != 3)
                        CHECK_INT(store_add_sample(s, "S", t, "C", 7), 0);
                if (i % 12 == 11)
                        CHECK_INT(store_commit(s, t + 1000), 0); /* a commit each minute */
        }
        CHECK_INT(store_commit(s, T0 + 2 * HOUR + 1), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM minute"), 120);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM hour"), 2);
        g_autofree char *m0 = sql_text(path, "SELECT v FROM minute ORDER BY m LIMIT 1");
        /* V: min 50, avg 55.5, max 61 over 12; C: 11 values of 7 */
        CHECK_STR(m0, "[[50,55.5,61],[7,7,7,11]]");
        g_autofree char *h0 = sql_text(path, "SELECT n || ' ' || v FROM hour ORDER BY h LIMIT 1");
        CHECK_STR(h0, "720 [[50,55.5,61],[7,7,7,660]]");

        /* A late sample in an already folded minute is folded again at the next commit. */
        CHECK_INT(store_add_sample(s, "S", T0 + 2500 * 1000, "V", 200), 0);
        CHECK_INT(store_commit(s, T0 + 2 * HOUR + 2 * SEC), 0);
        g_autofree char *m0b =
                        sql_text(path, "SELECT n || ' ' || v FROM minute ORDER BY m LIMIT 1");
        CHECK_STR(m0b, "13 [[50,66.615,200],[7,7,7,11]]");

        /* STEP 0 picks the finest tier holding SINCE: raw while within a day, then minutes */
        const char *f[] = {"V"};
        StoreSamples *r = NULL;
        CHECK_INT(store_get_samples(s, "S", T0, T0 + 2 * HOUR, 0, f, 1, T0 + 12 * HOUR, &r, NULL),
                  0);
        CHECK(r && r->n_times == 1441);
        store_samples_free(r);
        /* … and raw as long as no raw row was really expired, however old SINCE is (the
         * retention below expires them). */
        CHECK_INT(store_get_samples(s, "S", T0, T0 + 2 * HOUR, 0, f, 1, T0 + 5 * DAY, &r, NULL), 0);
        CHECK(r && r->n_times == 1441);
        store_samples_free(r);
        /* STEP 3600 from the hour tier: the weighted average of its minutes */
        CHECK_INT(store_get_samples(s, "S", T0, T0 + 2 * HOUR, 3600, f, 1, T0 + 2 * DAY, &r, NULL),
                  0);
        CHECK(r && r->n_times == 2);
        if (r && r->n_times == 2) {
                CHECK_DOUBLE(r->columns[0][1], 55.5);
                CHECK_MSG(fabs(r->columns[0][0] - (55.5 * 720 + 200) / 721) < 1e-3, "%g",
                          r->columns[0][0]);
        }
        store_samples_free(r);

        /* Retention: raw after 1 day, minutes after 3, hours after 10. */
        CHECK_INT(store_commit(s, T0 + DAY + HOUR), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM raw"), 720);
        CHECK_INT(store_commit(s, T0 + DAY + 3 * HOUR), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM raw"), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM minute"), 120);
        /* Raw expired: STEP 0 answers from the minute tier. */
        CHECK_INT(store_get_samples(s, "S", T0, T0 + 2 * HOUR, 0, f, 1, T0 + DAY + 3 * HOUR, &r,
                                    NULL),
                  0);
        CHECK(r && r->n_times == 120);
        if (r && r->n_times == 120) {
                CHECK_INT(r->times[1], T0 + MINUTE);
                CHECK_DOUBLE(r->columns[0][1], 55.5);
        }
        store_samples_free(r);
        CHECK_INT(store_commit(s, T0 + 3 * DAY + 90 * MINUTE), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM minute"), 30);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM hour"), 2);
        /* SINCE beyond the minutes' retention: the hour tier. */
        CHECK_INT(store_get_samples(s, "S", T0, T0 + 2 * HOUR, 0, f, 1, T0 + 3 * DAY + 90 * MINUTE,
                                    &r, NULL),
                  0);
        CHECK(r && r->n_times == 2);
        store_samples_free(r);
        CHECK_INT(store_commit(s, T0 + 10 * DAY + 90 * MINUTE), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM hour"), 1);

        uint64_t first = 0, last = 0;
        CHECK_INT(store_get_sample_range(s, "S", &first, &last), 0);
        CHECK_INT(first, T0 + HOUR);
        CHECK_INT(last, T0 + HOUR);

        /* hour_days = 0 keeps hours forever */
        StoreRetention forever = {.raw_days = 1, .minute_days = 3, .hour_days = 0};
        store_set_retention(s, &forever);
        CHECK_INT(store_commit(s, T0 + 1000 * DAY), 0);
        CHECK_INT(sql_int(path, "SELECT count(*) FROM hour"), 1);
        store_free(s);
        rm_rf(dir);
}

static void check_energy(const StoreEnergy *e, double pv, double load, double grid)
{
        CHECK_DOUBLE(e->kwh[STORE_ENERGY_PV], pv);
        CHECK_DOUBLE(e->kwh[STORE_ENERGY_LOAD], load);
        CHECK_DOUBLE(e->kwh[STORE_ENERGY_GRID], grid);
}

/* Local days across the DST changes of Europe/Berlin; sums; day/month/year grouping. */
static void test_energy_dst(void)
{
        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        uint64_t d28, d29, d30, o25, o26, mar1, jan1;
        CHECK_INT(store_day_start("2026-03-28", &d28), 0);
        CHECK_INT(store_day_start("2026-03-29", &d29), 0);
        CHECK_INT(store_day_start("2026-03-30", &d30), 0);
        CHECK_INT(store_day_start("2026-10-25", &o25), 0);
        CHECK_INT(store_day_start("2026-10-26", &o26), 0);
        CHECK_INT(store_day_start("2026-03", &mar1), 0);
        CHECK_INT(store_day_start("2026", &jan1), 0);
        CHECK_INT(d29, 1774738800ULL * SEC); /* 2026-03-28T23:00Z = 00:00 CET */
        CHECK_INT(d29 - d28, 24 * HOUR);
        CHECK_INT(d30 - d29, 23 * HOUR); /* spring forward */
        CHECK_INT(o26 - o25, 25 * HOUR); /* fall back */
        CHECK_INT(mar1, 1772319600ULL * SEC);
        CHECK_INT(jan1, 1767222000ULL * SEC);
        char day[11];
        CHECK_INT(store_local_day(d30 - 1, day), 0);
        CHECK_STR(day, "2026-03-29");
        CHECK_INT(store_local_day(d30, day), 0);
        CHECK_STR(day, "2026-03-30");
        CHECK_INT(store_local_day(1774738800ULL * SEC - 1, day), 0); /* 23:59:59 UTC+1 */
        CHECK_STR(day, "2026-03-28");
        CHECK_INT(store_day_start("2026-02-30", &d28), -EINVAL);
        CHECK_INT(store_day_start("2026-3-01", &d28), -EINVAL);
        CHECK_INT(store_day_start("yesterday", &d28), -EINVAL);

        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        Store *s = open_store(path, NULL, d30);
        CHECK_INT(store_energy_add(s, "S", "2025-12-31", STORE_ENERGY_PV, 1), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-02-28", STORE_ENERGY_PV, 2), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-28", STORE_ENERGY_PV, 3), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_PV, 0.25), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_PV, 0.5), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_GRID, 1.5), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_LOAD, 4), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_PV, -1), -EINVAL);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_PV, NAN), -EINVAL);
        CHECK_INT(store_energy_add(s, "S", "2026-13-01", STORE_ENERGY_PV, 1), -EINVAL);
        CHECK_INT(store_energy_add(s, "S", "2026-03", STORE_ENERGY_PV, 1), -EINVAL);

        for (int round = 0; round < 3; round++) {
                if (round == 1)
                        CHECK_INT(store_commit(s, d30), 0);
                if (round == 2) {
                        store_free(s);
                        s = open_store(path, NULL, d30);
                }
                StoreEnergy today, month, year, total;
                StoreEnergySource src = STORE_SOURCE_INVERTER;
                CHECK_INT(store_energy_sums(s, "S", "2026-03-29", &today, &month, &year, &total,
                                            &src),
                          0);
                check_energy(&today, 0.75, 4, 1.5);
                check_energy(&month, 3.75, 4, 1.5);
                check_energy(&year, 5.75, 4, 1.5);
                check_energy(&total, 6.75, 4, 1.5);
                CHECK_INT(src, STORE_SOURCE_INTEGRATED);

                StoreEnergyPeriod *p = NULL;
                size_t n = 0;
                /* Days overlapping [28 Mar 12:00, 29 Mar 23:30 local] */
                CHECK_INT(store_get_energy(s, "S", STORE_PERIOD_DAY, d28 + 12 * HOUR,
                                           d29 + 22 * HOUR + 30 * MINUTE, &p, &n),
                          0);
                CHECK_INT(n, 2);
                if (n == 2) {
                        CHECK_INT(p[0].start_usec, d28);
                        CHECK_INT(p[1].start_usec, d29);
                        CHECK_DOUBLE(p[1].energy.kwh[STORE_ENERGY_PV], 0.75);
                        CHECK_DOUBLE(p[1].energy.kwh[STORE_ENERGY_GRID], 1.5);
                }
                free(p);
                CHECK_INT(store_get_energy(s, "S", STORE_PERIOD_MONTH, 0, d30, &p, &n), 0);
                CHECK_INT(n, 3);
                if (n == 3) {
                        CHECK_INT(p[2].start_usec, mar1);
                        CHECK_DOUBLE(p[2].energy.kwh[STORE_ENERGY_PV], 3.75);
                        CHECK_DOUBLE(p[1].energy.kwh[STORE_ENERGY_PV], 2);
                }
                free(p);
                CHECK_INT(store_get_energy(s, "S", STORE_PERIOD_YEAR, jan1, jan1, &p, &n), 0);
                CHECK_INT(n, 1);
                if (n == 1) {
                        CHECK_INT(p[0].start_usec, jan1);
                        CHECK_DOUBLE(p[0].energy.kwh[STORE_ENERGY_PV], 5.75);
                }
                free(p);
                CHECK_INT(store_get_energy(s, "S", STORE_PERIOD_DAY, d30, d28, &p, &n), -EINVAL);
                p = NULL;
                CHECK_INT(store_get_energy(s, "S", STORE_PERIOD_YEAR, 0, UINT64_MAX, &p, &n), 0);
                CHECK_INT(n, 2);
                free(p);
                p = NULL;
                CHECK_INT(store_get_energy(s, "other", STORE_PERIOD_DAY, 0, d30, &p, &n), 0);
                CHECK_INT(n, 0);
                free(p);
        }

        /* The inverter's own counter replaces the day's PV and load; adds after it add to it */
        CHECK_INT(store_energy_set(s, "S", "2026-03-29", STORE_ENERGY_PV, 2), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-03-29", STORE_ENERGY_PV, 0.5), 0);
        for (int round = 0; round < 2; round++) {
                if (round == 1)
                        CHECK_INT(store_commit(s, d30 + MINUTE), 0);
                StoreEnergy today, total;
                StoreEnergySource src = STORE_SOURCE_INTEGRATED;
                CHECK_INT(store_energy_sums(s, "S", "2026-03-29", &today, NULL, NULL, &total, &src),
                          0);
                check_energy(&today, 2.5, 4, 1.5);
                check_energy(&total, 8.5, 4, 1.5);
                CHECK_INT(src, STORE_SOURCE_INVERTER);
                CHECK_INT(store_energy_sums(s, "S", "2026-03-28", &today, NULL, NULL, NULL, &src),
                          0);
                CHECK_INT(src, STORE_SOURCE_INTEGRATED);
        }
        CHECK_STR(store_energy_kind_to_string(STORE_ENERGY_BATTERY_DISCHARGE), "BatteryDischarge");
        CHECK_INT(store_period_from_string("month"), STORE_PERIOD_MONTH);
        CHECK_INT(store_period_from_string("week"), -EINVAL);
        store_free(s);
        rm_rf(dir);
}

static void write_file(const char *path, const void *data, size_t n)
{
        FILE *f = fopen(path, "we");
        CHECK(f && fwrite(data, 1, n, f) == n);
        if (f)
                fclose(f);
}

static void make_truncated(const char *path)
{
        Store *s = open_store(path, NULL, T0);
        for (int i = 0; i < 3000; i++)
                for (int k = 0; k < 20; k++) {
                        char f[16];
                        snprintf(f, sizeof f, "F%d", k);
                        CHECK_INT(store_add_sample(s, "S", T0 + (uint64_t)i * 5 * SEC, f,
                                                   i * 0.37 + k),
                                  0);
                }
        CHECK_INT(store_commit(s, T0 + HOUR), 0);
        store_free(s); /* the last close checkpoints the WAL into the file */
        struct stat st;
        CHECK(stat(path, &st) == 0 && st.st_size > 100000);
        CHECK(truncate(path, st.st_size / 2) == 0);
}

static void make_garbage(const char *path)
{
        char buf[8192];
        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (char)(i * 7919 % 251);
        write_file(path, buf, sizeof buf);
}

static void make_foreign(const char *path)
{
        /* godenerg's datalogger table: an SQLite file, but not ours */
        sqlite3 *db = NULL;
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db,
                           "CREATE TABLE samples (datetime TEXT, batt_volt REAL);"
                           "INSERT INTO samples VALUES ('20171031000000', 52.3);",
                           NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
}

static void make_ours_plus_foreign(const char *path)
{
        Store *s = open_store(path, NULL, T0);
        CHECK_INT(store_add_sample(s, "S", T0, "F", 1), 0);
        CHECK_INT(store_commit(s, T0), 0);
        store_free(s);
        sqlite3 *db = NULL;
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "CREATE TABLE extra (x);", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
}

static void make_newer(const char *path)
{
        Store *s = open_store(path, NULL, T0);
        store_free(s);
        sqlite3 *db = NULL;
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "PRAGMA user_version = 99;", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
}

/* A file that is not a usable history database is renamed aside and a fresh one works. */
static void test_corrupt(void)
{
        static const struct {
                const char *name;
                void (*make)(const char *path);
        } cases[] = {
                        {"truncated", make_truncated},    {"garbage", make_garbage},
                        {"foreign schema", make_foreign}, {"foreign table", make_ours_plus_foreign},
                        {"newer version", make_newer},
        };
        for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                g_autofree char *dir = tmp_dir();
                g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
                cases[c].make(path);
                struct stat before;
                CHECK(stat(path, &before) == 0);

                Store *s = NULL;
                StoreOpenInfo info = {0};
                int r = store_open(path, NULL, T0 + 3 * HOUR + 4 * MINUTE + 5 * SEC, &s, &info);
                CHECK_MSG(r == 0, "%s: %d", cases[c].name, r);
                CHECK_MSG(info.recovered, "%s: not detected", cases[c].name);
                g_autofree char *aside = g_strconcat(path, ".corrupt-20260601030405", NULL);
                CHECK_STR(info.corrupt_path, aside);
                struct stat st;
                CHECK_MSG(stat(aside, &st) == 0 && st.st_size == before.st_size,
                          "%s: the aside file is not the original", cases[c].name);
                store_open_info_done(&info);
                if (!s)
                        continue;
                char **l = NULL;
                CHECK_INT(store_list_serials(s, &l), 0);
                CHECK(l && !l[0]);
                store_strv_free(l);
                CHECK_INT(store_add_sample(s, "S", T0, "F", 42), 0);
                CHECK_INT(store_commit(s, T0 + MINUTE), 0);
                store_free(s);

                /* the fresh file is a good database now: opened without recovery */
                s = open_store(path, NULL, T0);
                const char *f[] = {"F"};
                StoreSamples *res = NULL;
                CHECK_INT(store_get_samples(s, "S", T0, T0, 0, f, 1, T0 + MINUTE, &res, NULL), 0);
                CHECK(res && res->n_times == 1 && res->columns[0][0] == 42);
                store_samples_free(res);
                store_free(s);
                rm_rf(dir);
        }
}

/* A version-1 database (as this test writes it, not as store.c would) is migrated to the
 * current schema with its data. */
static void test_migration_v1(void)
{
        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        sqlite3 *db = NULL;
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        char *err = NULL;
        int rc = sqlite3_exec(
                        db,
                        "PRAGMA journal_mode = WAL;"
                        "CREATE TABLE inverters (id INTEGER PRIMARY KEY, serial TEXT NOT NULL "
                        "UNIQUE);"
                        "CREATE TABLE fields (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
                        "CREATE TABLE inverter_fields (inverter INTEGER NOT NULL, slot INTEGER NOT "
                        "NULL, "
                        "field INTEGER NOT NULL, PRIMARY KEY (inverter, slot), UNIQUE (inverter, "
                        "field)) "
                        "WITHOUT ROWID;"
                        "CREATE TABLE raw (inverter INTEGER NOT NULL, t INTEGER NOT NULL, v TEXT "
                        "NOT NULL, "
                        "PRIMARY KEY (inverter, t)) WITHOUT ROWID;"
                        "CREATE TABLE minute (inverter INTEGER NOT NULL, m INTEGER NOT NULL, n "
                        "INTEGER NOT "
                        "NULL, v TEXT NOT NULL, PRIMARY KEY (inverter, m)) WITHOUT ROWID;"
                        "CREATE TABLE hour (inverter INTEGER NOT NULL, h INTEGER NOT NULL, n "
                        "INTEGER NOT "
                        "NULL, v TEXT NOT NULL, PRIMARY KEY (inverter, h)) WITHOUT ROWID;"
                        "CREATE TABLE energy (inverter INTEGER NOT NULL, day TEXT NOT NULL, pv "
                        "REAL NOT "
                        "NULL DEFAULT 0, load REAL NOT NULL DEFAULT 0, battery_charge REAL NOT "
                        "NULL "
                        "DEFAULT 0, battery_discharge REAL NOT NULL DEFAULT 0, grid REAL NOT NULL "
                        "DEFAULT "
                        "0, PRIMARY KEY (inverter, day)) WITHOUT ROWID;"
                        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;"
                        "INSERT INTO inverters VALUES (1, 'OLD1');"
                        "INSERT INTO fields VALUES (1, 'BatteryVoltage'), (2, 'PvInputPower');"
                        "INSERT INTO inverter_fields VALUES (1, 0, 2), (1, 1, 1);"
                        "INSERT INTO raw VALUES (1, 1780272000000, '[1200,52.1]');"
                        "INSERT INTO energy (inverter, day, pv, load) VALUES (1, '2026-03-29', 5, "
                        "6), "
                        "(1, '2026-03-30', 1, 2);"
                        "PRAGMA user_version = 1;",
                        NULL, NULL, &err);
        CHECK_MSG(rc == SQLITE_OK, "%s", err ? err : "");
        sqlite3_free(err);
        sqlite3_close(db);

        Store *s = NULL;
        StoreOpenInfo info = {0};
        CHECK_INT(store_open(path, NULL, T0, &s, &info), 0);
        CHECK(!info.recovered);
        CHECK_INT(info.from_version, 1);
        store_open_info_done(&info);
        if (!s)
                return;
        CHECK_INT(sql_int(path, "PRAGMA user_version"), 2);

        const char *f[] = {"BatteryVoltage", "PvInputPower"};
        StoreSamples *r = NULL;
        CHECK_INT(store_get_samples(s, "OLD1", T0, T0, 0, f, 2, T0 + MINUTE, &r, NULL), 0);
        CHECK(r && r->n_times == 1);
        if (r && r->n_times == 1) {
                CHECK_DOUBLE(r->columns[0][0], 52.1);
                CHECK_DOUBLE(r->columns[1][0], 1200);
        }
        store_samples_free(r);

        StoreEnergyPeriod *p = NULL;
        size_t n = 0;
        uint64_t d29, d30;
        CHECK_INT(store_day_start("2026-03-29", &d29), 0);
        CHECK_INT(store_day_start("2026-03-30", &d30), 0);
        CHECK_INT(store_get_energy(s, "OLD1", STORE_PERIOD_DAY, d29, d30, &p, &n), 0);
        CHECK_INT(n, 2);
        if (n == 2) {
                CHECK_INT(p[0].start_usec, d29);
                CHECK_DOUBLE(p[0].energy.kwh[STORE_ENERGY_LOAD], 6);
        }
        free(p);
        g_autofree char *start = sql_text(path, "SELECT day_start FROM energy WHERE day = "
                                                "'2026-03-30'");
        g_autofree char *want = g_strdup_printf("%" G_GUINT64_FORMAT, d30);
        CHECK_STR(start, want);
        StoreEnergySource src = STORE_SOURCE_INVERTER;
        StoreEnergy total;
        CHECK_INT(store_energy_sums(s, "OLD1", "2026-03-30", NULL, NULL, NULL, &total, &src), 0);
        CHECK_INT(src, STORE_SOURCE_INTEGRATED);
        CHECK_DOUBLE(total.kwh[STORE_ENERGY_PV], 6);

        /* new samples go on after the old ones */
        CHECK_INT(store_add_sample(s, "OLD1", T0 + 5 * SEC, "BatteryVoltage", 52.2), 0);
        CHECK_INT(store_commit(s, T0 + MINUTE), 0);
        store_free(s);
        g_autofree char *row = sql_text(path, "SELECT v FROM raw ORDER BY t DESC LIMIT 1");
        CHECK_STR(row, "[null,52.2]");
        rm_rf(dir);
}

/* The buffer is bounded: beyond max_pending the oldest cycles go, and are counted. */
static void test_bounded_buffer(void)
{
        g_autofree char *dir = tmp_dir();
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        StoreOptions o = STORE_OPTIONS_DEFAULT;
        o.max_pending = 100;
        Store *s = open_store(path, &o, T0);
        for (int i = 0; i < 25; i++)
                for (int k = 0; k < 10; k++) {
                        char f[8];
                        snprintf(f, sizeof f, "F%d", k);
                        CHECK_INT(store_add_sample(s, "S", T0 + (uint64_t)i * 5 * SEC, f, i), 0);
                }
        StoreStats st;
        store_get_stats(s, &st);
        /* 24 cycles flushed (the 25th is being assembled): 14 dropped, 10 + 1 kept */
        CHECK_INT(st.dropped_samples, 140);
        CHECK_INT(st.pending_samples, 110);
        CHECK_INT(store_commit(s, T0 + 5 * MINUTE), 0);
        store_get_stats(s, &st);
        CHECK_INT(st.dropped_samples, 150);
        CHECK_INT(st.pending_samples, 0);
        CHECK_INT(st.commits, 1);
        const char *f[] = {"F0"};
        StoreSamples *r = NULL;
        CHECK_INT(store_get_samples(s, "S", T0, T0 + HOUR, 0, f, 1, T0 + 5 * MINUTE, &r, NULL), 0);
        CHECK(r && r->n_times == 10);
        if (r && r->n_times == 10) {
                CHECK_INT(r->times[0], T0 + 15 * 5 * SEC);
                CHECK_DOUBLE(r->columns[0][0], 15);
        }
        store_samples_free(r);
        store_free(s);
        rm_rf(dir);
}

/* Disk full on a 4 MiB tmpfs (in a private mount namespace, so it vanishes with the child
 * even if a check aborts): the commit fails with -ENOSPC and keeps the buffer, reads go on,
 * and the next commit after space is freed writes everything. */
static int disk_full_child(void)
{
        if (unshare(CLONE_NEWNS) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNS): %s: skipping\n", strerror(errno));
                return 77;
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                fprintf(stderr, "mount --make-rprivate /: %s: skipping\n", strerror(errno));
                return 77;
        }
        g_autofree char *dir = tmp_dir();
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0700") < 0) {
                fprintf(stderr, "mount tmpfs: %s: skipping\n", strerror(errno));
                rm_rf(dir);
                return 77;
        }
        g_autofree char *path = g_strconcat(dir, "/history.db", NULL);
        g_autofree char *filler = g_strconcat(dir, "/filler", NULL);

        StoreOptions o = STORE_OPTIONS_DEFAULT;
        o.max_pending = 1000000;
        Store *s = open_store(path, &o, T0);
        CHECK_INT(store_add_sample(s, "S", T0, "F0", 1), 0);
        CHECK_INT(store_energy_add(s, "S", "2026-06-01", STORE_ENERGY_PV, 1), 0);
        CHECK_INT(store_commit(s, T0 + SEC), 0);

        /* Fill the file system. */
        int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        static char block[4096];
        while (fd >= 0 && write(fd, block, sizeof block) > 0)
                ;
        while (fd >= 0 && write(fd, block, 1) > 0)
                ;
        if (fd >= 0)
                close(fd);

        /* ~2 MB of JSON: more than the file system has, whatever the WAL already holds */
        for (uint64_t i = 1; i <= 3000; i++)
                for (int k = 0; k < 20; k++) {
                        char f[8];
                        snprintf(f, sizeof f, "F%d", k);
                        CHECK_INT(store_add_sample(s, "S", T0 + i * 5 * SEC, f, k + i * 0.001), 0);
                }
        CHECK_INT(store_energy_add(s, "S", "2026-06-01", STORE_ENERGY_PV, 2), 0);
        int r = store_commit(s, T0 + 4 * HOUR + SEC);
        CHECK_INT(r, -ENOSPC);
        StoreStats st;
        store_get_stats(s, &st);
        CHECK_INT(st.pending_samples, 60000);
        CHECK_INT(st.failed_commits, 1);
        CHECK_INT(store_commit(s, T0 + 4 * HOUR + 2 * SEC), -ENOSPC);

        /* Reads go on, buffer included. */
        const char *f[] = {"F0", "F19"};
        StoreSamples *res = NULL;
        CHECK_INT(store_get_samples(s, "S", T0, T0 + DAY, 0, f, 2, T0 + 4 * HOUR, &res, NULL), 0);
        CHECK(res && res->n_times == 3001);
        store_samples_free(res);
        StoreEnergy total;
        CHECK_INT(store_energy_sums(s, "S", "2026-06-01", NULL, NULL, NULL, &total, NULL), 0);
        CHECK_DOUBLE(total.kwh[STORE_ENERGY_PV], 3);

        /* Space again: the same buffer is written. */
        CHECK(unlink(filler) == 0);
        CHECK_INT(store_commit(s, T0 + 4 * HOUR + 3 * SEC), 0);
        store_get_stats(s, &st);
        CHECK_INT(st.pending_samples, 0);
        store_free(s);

        s = open_store(path, &o, T0);
        CHECK_INT(store_get_samples(s, "S", T0, T0 + DAY, 0, f, 2, T0 + 4 * HOUR, &res, NULL), 0);
        CHECK(res && res->n_times == 3001);
        if (res && res->n_times == 3001)
                CHECK_DOUBLE(res->columns[1][3000], 19 + 3000 * 0.001);
        store_samples_free(res);
        CHECK_INT(store_energy_sums(s, "S", "2026-06-01", NULL, NULL, NULL, &total, NULL), 0);
        CHECK_DOUBLE(total.kwh[STORE_ENERGY_PV], 3);
        store_free(s);

        if (umount2(dir, MNT_DETACH) < 0)
                fprintf(stderr, "umount %s: %s\n", dir, strerror(errno));
        rmdir(dir);
        return tests_finish("test-store disk-full");
}

static int test_disk_full(void)
{
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return EXIT_FAILURE;
        if (pid == 0) {
                int r = disk_full_child();
                fflush(NULL);
                _exit(r);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0)
                return EXIT_FAILURE;
        if (!WIFEXITED(status)) {
                fprintf(stderr, "disk-full child died with signal %d\n", WTERMSIG(status));
                return EXIT_FAILURE;
        }
        return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
        /* Our own log lines (the corrupt-file warnings) are expected here. */
        if (argc > 1 && streq(argv[1], "disk-full"))
                return test_disk_full();

        test_round_trip();
        test_split_cycle();
        test_wide_cycle();
        test_step0_young_database();
        test_row_limit();
        test_step_average();
        test_tiers_retention();
        test_energy_dst();
        test_corrupt();
        test_migration_v1();
        test_bounded_buffer();
        return tests_finish("test-store");
}
