/* bench-fill.c: fills a history database with simulated years through the store API (the
 * benchmark's tool, run by tests/bench/bench-history.py; not a test, not installed). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <glib.h>
#include <sqlite3.h>

#include "macros.h"
#include "store.h"

#define SEC 1000000ULL

/* The fields of a PI30 inverter as axpert-history records them: measurements that move, flags
 * that mostly do not, and ratings and settings that never do (the XML's numeric and boolean
 * properties). Values are quantised to the inverter's own resolution, as they come off the bus. */
typedef enum Kind {
        GRID_V,
        GRID_F,
        OUT_V,
        OUT_F,
        OUT_VA,
        OUT_W,
        OUT_PCT,
        BUS_V,
        BATT_V,
        BATT_CHG_A,
        BATT_CAP,
        TEMP,
        PV_A,
        PV_V,
        SCC_V,
        BATT_DIS_A,
        PV_W,
        TOTAL_W,
        TOTAL_VA,
        TOTAL_PCT,
        TOTAL_CHG_A,
        MODE,
        N_MEASURED,
} Kind;

static const struct {
        const char *name;
        double resolution;
} measured[N_MEASURED] = {
                [GRID_V] = {"GridVoltage", 0.1},
                [GRID_F] = {"GridFrequency", 0.1},
                [OUT_V] = {"AcOutputVoltage", 0.1},
                [OUT_F] = {"AcOutputFrequency", 0.1},
                [OUT_VA] = {"AcOutputApparentPower", 1},
                [OUT_W] = {"AcOutputActivePower", 1},
                [OUT_PCT] = {"AcOutputLoadPercent", 1},
                [BUS_V] = {"BusVoltage", 1},
                [BATT_V] = {"BatteryVoltage", 0.01},
                [BATT_CHG_A] = {"BatteryChargingCurrent", 1},
                [BATT_CAP] = {"BatteryCapacity", 1},
                [TEMP] = {"HeatsinkTemperature", 1},
                [PV_A] = {"PvInputCurrent", 0.1},
                [PV_V] = {"PvInputVoltage", 0.1},
                [SCC_V] = {"BatteryVoltageFromScc", 0.01},
                [BATT_DIS_A] = {"BatteryDischargeCurrent", 1},
                [PV_W] = {"PvInputPower", 1},
                [TOTAL_W] = {"TotalAcOutputActivePower", 1},
                [TOTAL_VA] = {"TotalAcOutputApparentPower", 1},
                [TOTAL_PCT] = {"TotalAcOutputLoadPercent", 1},
                [TOTAL_CHG_A] = {"TotalChargingCurrent", 1},
                [MODE] = {"Mode", 1},
};

static const char *const flags[] = {
                "Online",
                "HasPv2",
                "LoadOn",
                "Charging",
                "SccCharging",
                "AcCharging",
                "ChargingToFloat",
                "SwitchedOn",
                "BatteryVoltageSteady",
                "ConfigurationChanged",
                "SccFirmwareUpdated",
                "SbuPriorityVersion",
                "BuzzerEnabled",
                "OverloadBypassEnabled",
                "PowerSavingEnabled",
                "BacklightEnabled",
};

static const struct {
        const char *name;
        double value;
} settings[] = {
                {"GridRatingVoltage", 230.0},
                {"GridRatingCurrent", 21.7},
                {"AcOutputRatingVoltage", 230.0},
                {"AcOutputRatingFrequency", 50.0},
                {"AcOutputRatingCurrent", 21.7},
                {"AcOutputRatingApparentPower", 5000},
                {"AcOutputRatingActivePower", 5000},
                {"BatteryRatingVoltage", 48.0},
                {"BatteryRechargeVoltage", 46.0},
                {"BatteryUnderVoltage", 42.0},
                {"BatteryBulkVoltage", 56.4},
                {"BatteryFloatVoltage", 54.0},
                {"MaxAcChargingCurrent", 30},
                {"MaxChargingCurrent", 60},
                {"ParallelMaxUnits", 6},
                {"BatteryRedischargeVoltage", 54.0},
                {"MaxChargingTimeAtCv", 120},
                {"MaxDischargingCurrent", 150},
                {"ParallelUnits", 1},
                {"FaultCode", 0},
                {"LcdReturnToDefaultEnabled", 1},
                {"OverloadRestartEnabled", 1},
};

static uint64_t rng = 88172645463325252ULL;

static double uniform(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (double)(rng >> 11) / 9007199254740992.0;
}

static double noise(double sigma)
{
        /* a sum of uniforms: close enough to a normal, cheap */
        return (uniform() + uniform() + uniform() - 1.5) * 2 * sigma;
}

static double quantise(double v, double res)
{
        return round(v / res) * res;
}

static uint64_t cpu_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t mono_nsec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* The median wall time and the median CPU time in ms of RUNS calls of a query (the machine
 * may be shared: CPU time says what the query costs, wall time what a caller waits). */
#define MEDIAN_MS(runs, ret_cpu_ms, call)                                                          \
        __extension__({                                                                            \
                uint64_t _t[runs], _c[runs];                                                       \
                for (int _i = 0; _i < (runs); _i++) {                                              \
                        uint64_t _a = mono_nsec(), _b = cpu_usec();                                \
                        call;                                                                      \
                        _t[_i] = mono_nsec() - _a;                                                 \
                        _c[_i] = cpu_usec() - _b;                                                  \
                }                                                                                  \
                qsort(_t, (runs), sizeof(uint64_t), cmp_u64);                                      \
                qsort(_c, (runs), sizeof(uint64_t), cmp_u64);                                      \
                *(ret_cpu_ms) = (double)_c[(runs) / 2] / 1e3;                                      \
                (double)_t[(runs) / 2] / 1e6;                                                      \
        })

int main(int argc, char **argv)
{
        const char *database = NULL;
        double days = 365;
        unsigned interval = 5, commit_interval = 60;
        bool resume = false, query = true;
        static const struct option options[] = {
                        {"database", required_argument, NULL, 'd'},
                        {"days", required_argument, NULL, 'n'},
                        {"interval", required_argument, NULL, 'i'},
                        {"commit-interval", required_argument, NULL, 'c'},
                        {"continue", no_argument, NULL, 'C'},
                        {"no-query", no_argument, NULL, 'Q'},
                        {NULL, 0, NULL, 0},
        };
        int c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'd':
                        database = optarg;
                        break;
                case 'n':
                        days = strtod(optarg, NULL);
                        break;
                case 'i':
                        interval = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        commit_interval = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'C':
                        resume = true;
                        break;
                case 'Q':
                        query = false;
                        break;
                default:
                        return 2;
                }
        }
        if (!database || days <= 0 || interval == 0 || commit_interval < interval) {
                fprintf(stderr,
                        "usage: %s --database=PATH [--days=N] [--interval=S] "
                        "[--commit-interval=S] [--continue] [--no-query]\n",
                        argv[0]);
                return 2;
        }

        /* 2026-01-01 00:00 local: a whole calendar year, both DST changes included. */
        uint64_t start;
        if (store_day_start("2026-01-01", &start) < 0)
                return 1;

        Store *s = NULL;
        int r = store_open(database, NULL, start, &s, NULL);
        if (r < 0) {
                fprintf(stderr, "store_open: %s\n", strerror(-r));
                return 1;
        }
        const char *serial = "92932004102443";
        if (resume) {
                uint64_t last = 0;
                r = store_get_sample_range(s, serial, NULL, &last);
                if (r < 0 || last == 0) {
                        fprintf(stderr, "--continue: nothing to continue\n");
                        return 1;
                }
                start = last + interval * SEC;
        }

        uint64_t cycles = (uint64_t)(days * 86400 / interval);
        uint64_t add_cpu = 0, energy_cpu = 0, commit_cpu = 0;
        uint64_t store_cpu = 0, commits = 0, samples = 0, failed = 0;
        uint64_t total_cpu0 = cpu_usec();
        double load = 400, soc = 60;
        uint64_t next_commit = start + commit_interval * SEC;
        for (uint64_t i = 0; i < cycles; i++) {
                uint64_t t = start + i * interval * SEC;
                time_t tt = (time_t)(t / SEC);
                struct tm tm;
                localtime_r(&tt, &tm);
                double hour = tm.tm_hour + tm.tm_min / 60.0 + tm.tm_sec / 3600.0;
                /* Day length from 8 h (December) to 16 h (June) around 13:00 local. */
                double season = cos((tm.tm_yday - 172) / 365.0 * 2 * M_PI);
                double half = 4 + 2 * season;
                double sun = fmax(0, cos((hour - 13) / half * M_PI / 2));
                if (fabs(hour - 13) > half)
                        sun = 0;
                double cloud = 0.75 + 0.25 * sin((double)t / SEC / 900.0);
                double pv = quantise(4000 * sun * cloud * (0.8 + 0.2 * season), 1);
                load = fmin(4500, fmax(120, load + noise(25)));
                double chg = fmax(0, (pv - load) / 52), dis = fmax(0, (load - pv) / 52);
                soc = fmin(100, fmax(20, soc + (chg - dis) * interval / 3600.0 / 2));
                double bv = 48 + soc * 0.06 + (chg > 0 ? 0.8 : 0) + noise(0.02);
                double v[N_MEASURED] = {
                                [GRID_V] = 230 + noise(1.2),
                                [GRID_F] = 50 + noise(0.04),
                                [OUT_V] = 230 + noise(0.15),
                                [OUT_F] = 50,
                                [OUT_VA] = load * 1.08,
                                [OUT_W] = load,
                                [OUT_PCT] = load / 50,
                                [BUS_V] = 390 + noise(1),
                                [BATT_V] = bv,
                                [BATT_CHG_A] = chg,
                                [BATT_CAP] = soc,
                                [TEMP] = 30 + 15 * sun,
                                [PV_A] = pv / 360,
                                [PV_V] = sun > 0 ? 360 + noise(1) : 0,
                                [SCC_V] = sun > 0 ? bv + 0.05 : 0,
                                [BATT_DIS_A] = dis,
                                [PV_W] = pv,
                                [TOTAL_W] = load,
                                [TOTAL_VA] = load * 1.08,
                                [TOTAL_PCT] = load / 50,
                                [TOTAL_CHG_A] = chg,
                                [MODE] = 3,
                };
                char day[11];
                if (store_local_day(t, day) < 0)
                        return 1;

                uint64_t c0 = cpu_usec();
                for (size_t k = 0; k < N_MEASURED; k++)
                        r = store_add_sample(s, serial, t, measured[k].name,
                                             quantise(v[k], measured[k].resolution));
                for (size_t k = 0; k < ELEMENTSOF(flags); k++)
                        r = store_add_sample(s, serial, t, flags[k],
                                             k == 0 || (k == 3 && chg > 0) || (k == 4 && pv > 0));
                for (size_t k = 0; k < ELEMENTSOF(settings); k++)
                        r = store_add_sample(s, serial, t, settings[k].name, settings[k].value);
                uint64_t c1 = cpu_usec();
                add_cpu += c1 - c0;
                double h = interval / 3600.0;
                (void)store_energy_add(s, serial, day, STORE_ENERGY_PV, pv * h / 1000);
                (void)store_energy_add(s, serial, day, STORE_ENERGY_LOAD, load * h / 1000);
                (void)store_energy_add(s, serial, day, STORE_ENERGY_BATTERY_CHARGE,
                                       chg * bv * h / 1000);
                (void)store_energy_add(s, serial, day, STORE_ENERGY_BATTERY_DISCHARGE,
                                       dis * bv * h / 1000);
                uint64_t c2 = cpu_usec();
                energy_cpu += c2 - c1;
                if (t >= next_commit) {
                        r = store_commit(s, t + SEC);
                        if (r < 0)
                                failed++;
                        commits++;
                        next_commit += commit_interval * SEC;
                        commit_cpu += cpu_usec() - c2;
                }
                store_cpu += cpu_usec() - c0;
                samples += N_MEASURED + ELEMENTSOF(flags) + ELEMENTSOF(settings);
        }
        uint64_t end = start + cycles * interval * SEC;
        uint64_t c0 = cpu_usec();
        r = store_commit(s, end);
        commits++;
        store_cpu += cpu_usec() - c0;
        uint64_t total_cpu = cpu_usec() - total_cpu0;
        if (r < 0) {
                fprintf(stderr, "final commit: %s\n", strerror(-r));
                return 1;
        }

        printf("{\"cycles\": %" PRIu64 ", \"fields\": %zu, \"samples\": %" PRIu64
               ", \"commits\": %" PRIu64 ", \"failed_commits\": %" PRIu64
               ", \"simulated_hours\": %.3f, \"store_cpu_us_per_cycle\": %.2f"
               ", \"add_samples_cpu_us_per_cycle\": %.2f, \"add_energy_cpu_us_per_cycle\": %.2f"
               ", \"commit_cpu_us_per_cycle\": %.2f, \"total_cpu_s\": %.2f",
               cycles, N_MEASURED + ELEMENTSOF(flags) + ELEMENTSOF(settings), samples, commits,
               failed, (double)(end - start) / 3600 / SEC, (double)store_cpu / (double)cycles,
               (double)add_cpu / (double)cycles, (double)energy_cpu / (double)cycles,
               (double)commit_cpu / (double)cycles, (double)total_cpu / SEC);

        if (query) {
                /* Yesterday (the last whole local day) at 60 s, 4 fields: the chart of a day. */
                char day[11];
                uint64_t d0, d1;
                if (store_local_day(end - 86400 * SEC, day) < 0 || store_day_start(day, &d0) < 0 ||
                    store_local_day(end, day) < 0 || store_day_start(day, &d1) < 0)
                        return 1;
                const char *f4[] = {"PvInputPower", "AcOutputActivePower", "BatteryVoltage",
                                    "BatteryCapacity"};
                size_t rows = 0;
                double ms_cpu, ems_cpu, sms_cpu, wms_cpu;
                double ms = MEDIAN_MS(21, &ms_cpu, {
                        StoreSamples *res = NULL;
                        r = store_get_samples(s, serial, d0, d1 - 1, 60, f4, 4, end, &res, NULL);
                        rows = res ? res->n_times : 0;
                        store_samples_free(res);
                });
                if (r < 0) {
                        fprintf(stderr, "store_get_samples: %s\n", strerror(-r));
                        return 1;
                }
                size_t periods = 0;
                double ems = MEDIAN_MS(21, &ems_cpu, {
                        StoreEnergyPeriod *p = NULL;
                        r = store_get_energy(s, serial, STORE_PERIOD_DAY, end - 366 * 86400 * SEC,
                                             end, &p, &periods);
                        free(p);
                });
                if (r < 0) {
                        fprintf(stderr, "store_get_energy: %s\n", strerror(-r));
                        return 1;
                }
                double sms = MEDIAN_MS(21, &sms_cpu, {
                        StoreEnergy e[4];
                        r = store_energy_sums(s, serial, day, &e[0], &e[1], &e[2], &e[3], NULL);
                });
                /* A week at 5 minutes, from the minute tier: a longer chart. */
                size_t wrows = 0;
                double wms = MEDIAN_MS(5, &wms_cpu, {
                        StoreSamples *res = NULL;
                        r = store_get_samples(s, serial, end - 7 * 86400 * SEC, end, 300, f4, 4,
                                              end, &res, NULL);
                        wrows = res ? res->n_times : 0;
                        store_samples_free(res);
                });
                printf(", \"day_60s_4_fields_ms\": %.3f, \"day_60s_4_fields_cpu_ms\": %.3f"
                       ", \"day_60s_rows\": %zu"
                       ", \"energy_year_days_ms\": %.3f, \"energy_year_days_cpu_ms\": %.3f"
                       ", \"energy_days\": %zu"
                       ", \"energy_sums_ms\": %.3f, \"energy_sums_cpu_ms\": %.3f"
                       ", \"week_300s_4_fields_ms\": %.3f, \"week_300s_4_fields_cpu_ms\": %.3f"
                       ", \"week_300s_rows\": %zu",
                       ms, ms_cpu, rows, ems, ems_cpu, periods, sms, sms_cpu, wms, wms_cpu, wrows);
        }
        s = store_free(s);

        /* The file after the last close (which checkpoints and removes the WAL). */
        struct stat st;
        if (stat(database, &st) == 0)
                printf(", \"db_bytes\": %lld", (long long)st.st_size);
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(database, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
                sqlite3_stmt *q = NULL;
                if (sqlite3_prepare_v2(db,
                                       "SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
                                       "ORDER BY 2 DESC",
                                       -1, &q, NULL) == SQLITE_OK) {
                        printf(", \"tables\": {");
                        bool first = true;
                        while (sqlite3_step(q) == SQLITE_ROW) {
                                printf("%s\"%s\": %lld", first ? "" : ", ",
                                       (const char *)sqlite3_column_text(q, 0),
                                       (long long)sqlite3_column_int64(q, 1));
                                first = false;
                        }
                        printf("}");
                }
                sqlite3_finalize(q);
                if (sqlite3_prepare_v2(db, "PRAGMA freelist_count", -1, &q, NULL) == SQLITE_OK &&
                    sqlite3_step(q) == SQLITE_ROW)
                        printf(", \"free_pages\": %lld", (long long)sqlite3_column_int64(q, 0));
                sqlite3_finalize(q);
        }
        sqlite3_close(db);
        printf("}\n");
        return 0;
}
