/* The simulated inverter's state: typed values decoded from real-looking answers, and the rules
 * by which inquiries are answered and setters change the state. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define PAYLOAD_MAX 512

static const char *const model_kind_names[_MODEL_MAX] = {
                [MODEL_CLASSIC] = "classic",
                [MODEL_MAX] = "max",
};

int model_kind_from_string(const char *s)
{
        for (int k = 0; k < _MODEL_MAX; k++)
                if (streq(s, model_kind_names[k]))
                        return k;
        return -EINVAL;
}

const char *model_kind_to_string(ModelKind k)
{
        return k >= 0 && k < _MODEL_MAX ? model_kind_names[k] : NULL;
}

/* What changes with the battery bank: the voltages firmware ships as defaults for it (all of them
 * inside the ranges PI30.md §5 gives, which the unit test checks against the library). */
typedef struct BatteryDefaults {
        unsigned rating;
        const char *rating_current, *rating_power; /* classic unit of that bank size */
        const char *recharge, *under, *bulk, *floatv, *redischarge;
        const char *voltage;      /* QPIGS NN.NN */
        const char *unit_voltage; /* QPGS NN.N */
        const char *eq_voltage;   /* QBEQI NN.NN */
        const char *bus;
        const char *model_name;
} BatteryDefaults;

static const BatteryDefaults battery_defaults[] = {
                {12, "10.0", "2300", "12.0", "11.0", "14.1", "13.5", "13.5", "13.20", "13.2",
                 "13.85", "395", "PIP-2312"},
                {24, "13.0", "3000", "23.0", "21.0", "28.2", "27.0", "27.0", "26.40", "26.4",
                 "27.70", "380", "MKS2-3000"},
                {48, "21.7", "5000", "46.0", "42.0", "56.4", "54.0", "54.0", "52.80", "52.8",
                 "55.40", "425", "MKS2-5000"},
};

/* Serial number of parallel unit i: distinct, 14 digits like real ones. */
static void unit_serial(unsigned i, char buf[static 15])
{
        snprintf(buf, 15, "%014llu", 92932105105335ULL + i);
}

static int load(Model *m, Pi30Value *values, Pi30Command cmd, const char *payload)
{
        Pi30DecodeResult res = {0};
        int r;

        r = pi30_decode(cmd, payload, strlen(payload), values, &res);
        if (r < 0)
                return r;
        m->supported[cmd] = true;
        m->layout[cmd] = res.layout;
        m->n_tokens[cmd] = res.n_tokens;
        return 0;
}

static int model_load_defaults(Model *m)
{
        const BatteryDefaults *b = NULL;
        char buf[PAYLOAD_MAX], serial[15];
        bool max = m->kind == MODEL_MAX;
        bool parallel = m->n_units >= 2;
        char mode = parallel ? '1' : '0';
        int r;

        for (size_t i = 0; i < ELEMENTSOF(battery_defaults); i++)
                if (battery_defaults[i].rating == m->battery)
                        b = &battery_defaults[i];
        if (!b)
                return -EINVAL;

        unit_serial(0, serial);

#define LOAD(cmd, ...)                                                                             \
        do {                                                                                       \
                snprintf(buf, sizeof buf, __VA_ARGS__);                                            \
                r = load(m, m->values, cmd, buf);                                                  \
                if (r < 0)                                                                         \
                        return r;                                                                  \
        } while (0)

        LOAD(PI30_CMD_QPI, "PI30");
        LOAD(PI30_CMD_QID, "%s", serial);
        LOAD(PI30_CMD_QSID, "14%s000000", serial);
        LOAD(PI30_CMD_QVFW, "VERFW:%s", max ? "00046.05" : "00072.70");
        LOAD(PI30_CMD_QVFW2, "VERFW2:%s", max ? "00038.17" : "00041.19");
        if (max)
                LOAD(PI30_CMD_QVFW3, "VERFW:00001.22");
        else
                LOAD(PI30_CMD_QVFW3, "VERFW3:00000.00");
        LOAD(PI30_CMD_QMN, "%s", max ? "MAX-11000" : b->model_name);
        LOAD(PI30_CMD_QGMN, "%s", max ? "054" : "044");
        if (max)
                LOAD(PI30_CMD_QPIRI,
                     "230.0 47.8 230.0 50.0 47.8 11000 11000 %u.0 %s %s %s %s 2 030 060 0 0 2 9 01 "
                     "0 %c %s 0 1 480 0 000",
                     b->rating, b->recharge, b->under, b->bulk, b->floatv, mode, b->redischarge);
        else
                LOAD(PI30_CMD_QPIRI,
                     "230.0 %s 230.0 50.0 %s %s %s %u.0 %s %s %s %s 2 30 060 0 0 2 9 01 0 %c %s 0 "
                     "1",
                     b->rating_current, b->rating_current, b->rating_power, b->rating_power,
                     b->rating, b->recharge, b->under, b->bulk, b->floatv, mode, b->redischarge);
        LOAD(PI30_CMD_QFLAG, "%s", max ? "EakxyDbduvz" : "EakxyDbjuvz");
        if (max)
                LOAD(PI30_CMD_QPIGS,
                     "230.0 50.0 230.0 50.0 00161 00119 003 %s %s 012 100 0035 02.7 323.6 %s 00000 "
                     "00110110 00 00 00874 010 0 00 0000",
                     b->bus, b->voltage, b->voltage);
        else
                LOAD(PI30_CMD_QPIGS,
                     "230.0 50.0 230.0 50.0 0161 0119 003 %s %s 012 100 0035 02.7 323.6 %s 00000 "
                     "00110110 00 00 00874 010",
                     b->bus, b->voltage, b->voltage);
        if (max)
                LOAD(PI30_CMD_QPIGS2, "01.0 202.0 00202 ");
        LOAD(PI30_CMD_QMOD, "L");
        LOAD(PI30_CMD_QPIWS, "%s",
             max ? "000000000000000000000000000000000000" : "00000000000000000000000000000000");
        if (max)
                LOAD(PI30_CMD_QDI,
                     "230.0 50.0 0030 %s %s %s %s 60 0 0 2 0 0 0 0 0 1 1 0 0 1 0 %s 0 1 480 000",
                     b->under, b->floatv, b->bulk, b->recharge, b->redischarge);
        else
                LOAD(PI30_CMD_QDI,
                     "230.0 50.0 0030 %s %s %s %s 60 0 0 2 0 0 0 0 0 1 1 0 0 1 0 %s 0 1 000",
                     b->under, b->floatv, b->bulk, b->recharge, b->redischarge);
        LOAD(PI30_CMD_QMCHGCR, "010 020 030 040 050 060 070 080 090 100 110 120%s",
             max ? " 130 140 150" : "");
        LOAD(PI30_CMD_QMUCHGCR, "002 010 020 030 040 050 060 070 080 090 100 110 120");
        LOAD(PI30_CMD_QOPM, "0%c", mode);
        LOAD(PI30_CMD_QBOOT, "0");
        LOAD(PI30_CMD_QBEQI, "1 030 030 080 021 %s 224 030 0 0234", b->eq_voltage);
        /* The clock and the energy counters are MAX firmware's (MAX-2021); HS/MS/KS firmware
         * NAKs them. Their answers are made at answer time from the device clock and the energy
         * ground truth; these give the widths and what was counted before the start. */
        if (max) {
                LOAD(PI30_CMD_QT, "20260101120000");
                LOAD(PI30_CMD_QET, "00238800");
                LOAD(PI30_CMD_QEY, "00123400");
                LOAD(PI30_CMD_QEM, "00012300");
                LOAD(PI30_CMD_QED, "00000000");
                LOAD(PI30_CMD_QLT, "00310200");
                LOAD(PI30_CMD_QLY, "00150300");
                LOAD(PI30_CMD_QLM, "00015200");
                LOAD(PI30_CMD_QLD, "00000000");
                m->energy.base_pv_total = m->values[PI30_F_PV_ENERGY_TOTAL].d;
                m->energy.base_pv_year = m->values[PI30_F_PV_ENERGY_YEAR].d;
                m->energy.base_pv_month = m->values[PI30_F_PV_ENERGY_MONTH].d;
                m->energy.base_load_total = m->values[PI30_F_LOAD_ENERGY_TOTAL].d;
                m->energy.base_load_year = m->values[PI30_F_LOAD_ENERGY_YEAR].d;
                m->energy.base_load_month = m->values[PI30_F_LOAD_ENERGY_MONTH].d;
        }
#undef LOAD

        if (!parallel)
                return 0;

        /* A parallel system: QPGSn rows for every unit and the "not exists" row beyond. */
        for (unsigned i = 0; i < m->n_units; i++) {
                unit_serial(i, serial);
                snprintf(buf, sizeof buf,
                         "1 %s L 00 230.0 50.00 230.0 50.00 0161 0119 003 %s 012 100 323.6 024 "
                         "00322 00238 003 10100010 %c 2 060 120 %s 02 000%s",
                         serial, b->unit_voltage, mode, max ? "030" : "30", max ? " 202.0 01" : "");
                r = load(m, m->units[i], PI30_CMD_QPGS, buf);
                if (r < 0)
                        return r;
        }
        snprintf(buf, sizeof buf,
                 "0 00000000000000 P 00 000.0 00.00 000.0 00.00 0000 0000 000 00.0 000 000 000.0 "
                 "000 "
                 "00000 00000 000 00000000 0 0 010 080 %s 00 000%s",
                 max ? "002" : "02", max ? " 000.0 00" : "");
        return load(m, m->empty, PI30_CMD_QPGS, buf);
}

int model_new(ModelKind kind, unsigned battery, unsigned n_units, Model **ret)
{
        _cleanup_(model_freep) Model *m = NULL;
        int r;

        if (kind < 0 || kind >= _MODEL_MAX || n_units < 1 || n_units > MODEL_UNITS_MAX)
                return -EINVAL;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->kind = kind;
        m->battery = battery;
        m->n_units = n_units;
        if (n_units >= 2) {
                m->units = calloc(n_units, sizeof *m->units);
                if (!m->units)
                        return -ENOMEM;
        }

        r = model_load_defaults(m);
        if (r < 0)
                return r;

        *ret = m; /* ownership moves to the caller */
        m = NULL;
        return 0;
}

Model *model_free(Model *m)
{
        if (!m)
                return NULL;
        free(m->units);
        free(m);
        return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Typed setters that keep what the firmware prints consistent                                 */

/* The library's setters start from a clean value; the width and decimals the firmware printed
 * (kept from the sample answer) must survive, or "51.20" would come back as "00051". */
static void value_set_number_keep(Pi30Value *v, double d)
{
        uint8_t w = v->width, dec = v->decimals;

        pi30_value_set_number(v, d);
        v->width = w;
        v->decimals = dec;
}

/* The rows that describe field f (a field reached from several answers has several rows). */
#define FOREACH_ROW(row, f)                                                                        \
        for (const Pi30FieldInfo *row = pi30_fields; row < pi30_fields + pi30_n_fields; row++)     \
                if (row->id == (f))

static const Pi30FieldInfo *row_whole_token(const Pi30FieldInfo *slice)
{
        for (const Pi30FieldInfo *w = pi30_fields; w < pi30_fields + pi30_n_fields; w++)
                if (w->command == slice->command && w->layout == slice->layout &&
                    w->token == slice->token && w->bit < 0 && w->kind == PI30_KIND_BITS)
                        return w;
        return NULL;
}

/* A bit string (QPIGS status, QPGS status) and the single bits cut from it are separate fields
 * of the table; whichever one changed, bring the other side in line so answers never contradict
 * themselves. */
static void values_sync_bits(Pi30Value *values, Pi30Field f)
{
        FOREACH_ROW(row, f)
        {
                if (row->bit >= 0) {
                        const Pi30FieldInfo *w = row_whole_token(row);
                        Pi30Value *whole;
                        char s[PI30_STRING_MAX];
                        unsigned code;
                        uint8_t width;

                        if (!w)
                                continue;
                        whole = &values[w->id];
                        if (!pi30_value_valid(whole) ||
                            strlen(whole->s) < (size_t)row->bit + row->bit_count)
                                continue;
                        snprintf(s, sizeof s, "%s", whole->s);
                        code = (unsigned)values[f].d;
                        for (unsigned j = 0; j < row->bit_count; j++)
                                s[row->bit + j] =
                                                (code >> (row->bit_count - 1 - j)) & 1 ? '1' : '0';
                        width = whole->width;
                        (void)pi30_value_set_bits(whole, s);
                        whole->width = width;
                } else if (row->kind == PI30_KIND_BITS) {
                        const char *s = values[f].s;
                        size_t len = strlen(s);

                        for (const Pi30FieldInfo *sl = pi30_fields;
                             sl < pi30_fields + pi30_n_fields; sl++) {
                                unsigned code = 0;
                                Pi30Value *v;

                                if (sl->command != row->command || sl->layout != row->layout ||
                                    sl->token != row->token || sl->bit < 0)
                                        continue;
                                if ((size_t)sl->bit + sl->bit_count > len)
                                        continue;
                                for (unsigned j = 0; j < sl->bit_count; j++)
                                        code = code << 1 | (s[sl->bit + j] == '1');
                                v = &values[sl->id];
                                if (sl->kind == PI30_KIND_BOOL)
                                        pi30_value_set_bool(v, code);
                                else if (sl->kind == PI30_KIND_ENUM && sl->enums)
                                        (void)pi30_value_set_enum(
                                                        v, sl->id,
                                                        pi30_enum_name(sl->enums, (int)code));
                                else
                                        value_set_number_keep(v, code);
                        }
                }
        }
}

void model_set_number(Model *m, Pi30Value *values, Pi30Field f, double d)
{
        value_set_number_keep(&values[f], d);
        values_sync_bits(values, f);
}

void model_set_bool(Model *m, Pi30Value *values, Pi30Field f, bool b)
{
        uint8_t w = values[f].width;

        pi30_value_set_bool(&values[f], b);
        values[f].width = w;
        values_sync_bits(values, f);
}

int model_set_enum(Model *m, Pi30Value *values, Pi30Field f, const char *name)
{
        uint8_t w = values[f].width;
        int r;

        r = pi30_value_set_enum(&values[f], f, name);
        if (r < 0)
                return r;
        values[f].width = w;
        values_sync_bits(values, f);
        return 0;
}

double model_get_number(const Pi30Value *values, Pi30Field f)
{
        return pi30_value_valid(&values[f]) ? values[f].d : NAN;
}

/* ------------------------------------------------------------------------------------------ */
/* The energy ground truth and the device clock                                                */

static double valid_or_zero(const Pi30Value *values, Pi30Field f)
{
        return pi30_value_valid(&values[f]) ? values[f].d : 0;
}

void model_powers(const Model *m, ModelPowers *ret)
{
        const Pi30Value *v = m->values;
        double vb = valid_or_zero(v, PI30_F_BATTERY_VOLTAGE);
        double pv = 0, load = 0, charge_a = 0, discharge_a = 0;

        if (m->n_units >= 2 && m->units) {
                for (unsigned i = 0; i < m->n_units; i++) {
                        const Pi30Value *u = m->units[i];

                        pv += valid_or_zero(u, PI30_F_UNIT_PV_INPUT_VOLTAGE) *
                                              valid_or_zero(u, PI30_F_UNIT_PV_INPUT_CURRENT) +
                              valid_or_zero(u, PI30_F_UNIT_PV2_INPUT_VOLTAGE) *
                                              valid_or_zero(u, PI30_F_UNIT_PV2_INPUT_CURRENT);
                        load += valid_or_zero(u, PI30_F_UNIT_AC_OUTPUT_ACTIVE_POWER);
                        charge_a += valid_or_zero(u, PI30_F_UNIT_BATTERY_CHARGING_CURRENT);
                        discharge_a += valid_or_zero(u, PI30_F_UNIT_BATTERY_DISCHARGE_CURRENT);
                }
        } else {
                /* As axpertd's PvInputPower: QPIGS field 20, else PV current x SCC voltage. */
                if (pi30_value_valid(&v[PI30_F_PV_CHARGING_POWER]))
                        pv = v[PI30_F_PV_CHARGING_POWER].d;
                else
                        pv = valid_or_zero(v, PI30_F_PV_INPUT_CURRENT) *
                             valid_or_zero(v, PI30_F_BATTERY_VOLTAGE_FROM_SCC);
                if (m->supported[PI30_CMD_QPIGS2])
                        pv += valid_or_zero(v, PI30_F_PV2_INPUT_POWER);
                load = valid_or_zero(v, PI30_F_AC_OUTPUT_ACTIVE_POWER);
                charge_a = valid_or_zero(v, PI30_F_BATTERY_CHARGING_CURRENT);
                discharge_a = valid_or_zero(v, PI30_F_BATTERY_DISCHARGE_CURRENT);
        }

        *ret = (ModelPowers){
                        .pv = pv,
                        .load = load,
                        .battery_charge = vb * charge_a,
                        .battery_discharge = vb * discharge_a,
        };
        /* What the grid gives while the inverter is on line: the balance of the rest (the
         * estimate org.axpert.History documents; conversion losses are not modelled). */
        if (pi30_value_valid(&v[PI30_F_MODE]) && (int)v[PI30_F_MODE].d == 'L')
                ret->grid = fmax(0, ret->load + ret->battery_charge - ret->pv -
                                                    ret->battery_discharge);
}

uint32_t model_device_date(const Model *m, time_t wall)
{
        time_t t = wall + (time_t)m->clock_offset;
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return 0;
        return (uint32_t)(tm.tm_year + 1900) * 10000 + (uint32_t)(tm.tm_mon + 1) * 100 +
               (uint32_t)tm.tm_mday;
}

static ModelEnergyDay *energy_day(ModelEnergy *e, uint32_t date, bool create)
{
        for (size_t i = e->n_days; i > 0; i--)
                if (e->days[i - 1].date == date)
                        return &e->days[i - 1];
        if (!create)
                return NULL;
        if (e->n_days == MODEL_ENERGY_DAYS) {
                memmove(e->days, e->days + 1, (MODEL_ENERGY_DAYS - 1) * sizeof e->days[0]);
                e->n_days--;
        }
        e->days[e->n_days] = (ModelEnergyDay){.date = date};
        return &e->days[e->n_days++];
}

void model_energy_advance(Model *m, uint64_t mono_usec, time_t wall)
{
        ModelEnergy *e = &m->energy;
        uint32_t date = model_device_date(m, wall);

        if (!e->started) {
                e->started = true;
                e->base_date = date;
                (void)energy_day(e, date, true);
        } else if (mono_usec > e->last_usec) {
                /* The powers were what every answer showed since the last step. */
                double hours = (double)(mono_usec - e->last_usec) / (3600.0 * USEC_PER_SEC);
                ModelPowers p;
                ModelEnergyDay *day;

                model_powers(m, &p);
                e->pv_wh += p.pv * hours;
                e->load_wh += p.load * hours;
                e->battery_charge_wh += p.battery_charge * hours;
                e->battery_discharge_wh += p.battery_discharge * hours;
                e->grid_wh += p.grid * hours;
                day = energy_day(e, date, true);
                day->pv_wh += p.pv * hours;
                day->load_wh += p.load * hours;
        }
        if (mono_usec > e->last_usec)
                e->last_usec = mono_usec;
        e->wall = wall;
}

void model_energy_update(Model *m)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        model_energy_advance(m, (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000,
                             time(NULL));
}

static time_t energy_wall(const Model *m)
{
        return m->energy.started ? m->energy.wall : time(NULL);
}

/* A counter as the firmware answers it: whole Wh (cut, never rounded up: the truth is at least
 * this), at most eight digits. QEDyyyymmdd of a day the simulator did not see is 0. */
static double energy_counter(const Model *m, Pi30Command cmd, int param)
{
        const ModelEnergy *e = &m->energy;
        bool pv = cmd == PI30_CMD_QET || cmd == PI30_CMD_QEY || cmd == PI30_CMD_QEM ||
                  cmd == PI30_CMD_QED;
        double wh = 0;

        switch (cmd) {
        case PI30_CMD_QET:
                wh = e->base_pv_total + e->pv_wh;
                break;
        case PI30_CMD_QLT:
                wh = e->base_load_total + e->load_wh;
                break;
        case PI30_CMD_QEY:
        case PI30_CMD_QLY:
        case PI30_CMD_QEM:
        case PI30_CMD_QLM:
        case PI30_CMD_QED:
        case PI30_CMD_QLD: {
                /* how many digits of yyyymmdd the parameter has: 4, 6 or 8 */
                unsigned div = cmd == PI30_CMD_QEY || cmd == PI30_CMD_QLY   ? 10000
                               : cmd == PI30_CMD_QEM || cmd == PI30_CMD_QLM ? 100
                                                                            : 1;
                for (size_t i = 0; i < e->n_days; i++)
                        if (e->days[i].date / div == (uint32_t)param)
                                wh += pv ? e->days[i].pv_wh : e->days[i].load_wh;
                if (e->started && div == 10000 && e->base_date / div == (uint32_t)param)
                        wh += pv ? e->base_pv_year : e->base_load_year;
                if (e->started && div == 100 && e->base_date / div == (uint32_t)param)
                        wh += pv ? e->base_pv_month : e->base_load_month;
                break;
        }
        default:
                return 0;
        }
        return fmin(floor(wh), 99999999);
}

static Pi30Field energy_field(Pi30Command cmd)
{
        for (size_t i = 0; i < pi30_n_fields; i++)
                if (pi30_fields[i].command == cmd)
                        return pi30_fields[i].id;
        return _PI30_FIELD_INVALID;
}

static bool is_reading(Pi30Command cmd)
{
        switch (cmd) {
        case PI30_CMD_QT:
        case PI30_CMD_QET:
        case PI30_CMD_QEY:
        case PI30_CMD_QEM:
        case PI30_CMD_QED:
        case PI30_CMD_QLT:
        case PI30_CMD_QLY:
        case PI30_CMD_QLM:
        case PI30_CMD_QLD:
                return true;
        default:
                return false;
        }
}

/* The clock or a counter as it reads now, into the values its answer is printed from. param is
 * the date asked (< 0: the device's today, this month, this year). */
static void model_refresh_reading(Model *m, Pi30Command cmd, int param)
{
        time_t wall = energy_wall(m), t = wall + (time_t)m->clock_offset;
        uint32_t today = model_device_date(m, wall);
        Pi30Field f = energy_field(cmd);

        if (f < 0 || !m->supported[cmd])
                return;
        if (cmd == PI30_CMD_QT) {
                char s[32];
                struct tm tm;
                uint8_t w = m->values[f].width;

                if (!localtime_r(&t, &tm) || strftime(s, sizeof s, "%Y%m%d%H%M%S", &tm) != 14)
                        return;
                (void)pi30_value_set_string(&m->values[f], s);
                m->values[f].width = w;
                return;
        }
        if (param < 0)
                param = (int)(cmd == PI30_CMD_QEY || cmd == PI30_CMD_QLY   ? today / 10000
                              : cmd == PI30_CMD_QEM || cmd == PI30_CMD_QLM ? today / 100
                                                                           : today);
        model_set_number(m, m->values, f, energy_counter(m, cmd, param));
}

static void model_refresh_readings(Model *m)
{
        for (Pi30Command c = 0; c < _PI30_CMD_MAX; c++)
                if (is_reading(c))
                        model_refresh_reading(m, c, -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Inquiries                                                                                   */

/* QPGS fields 16–19 are the whole system's totals, the same in every unit's answer. */
static void model_update_totals(Model *m)
{
        double charging = 0, va = 0, w = 0, load = 0;

        for (unsigned i = 0; i < m->n_units; i++) {
                const Pi30Value *u = m->units[i];

                charging += pi30_value_valid(&u[PI30_F_UNIT_BATTERY_CHARGING_CURRENT])
                                            ? u[PI30_F_UNIT_BATTERY_CHARGING_CURRENT].d
                                            : 0;
                va += pi30_value_valid(&u[PI30_F_UNIT_AC_OUTPUT_APPARENT_POWER])
                                      ? u[PI30_F_UNIT_AC_OUTPUT_APPARENT_POWER].d
                                      : 0;
                w += pi30_value_valid(&u[PI30_F_UNIT_AC_OUTPUT_ACTIVE_POWER])
                                     ? u[PI30_F_UNIT_AC_OUTPUT_ACTIVE_POWER].d
                                     : 0;
                load += pi30_value_valid(&u[PI30_F_UNIT_AC_OUTPUT_LOAD_PERCENT])
                                        ? u[PI30_F_UNIT_AC_OUTPUT_LOAD_PERCENT].d
                                        : 0;
        }
        load = round(load / m->n_units);

        for (unsigned i = 0; i <= m->n_units; i++) {
                Pi30Value *u = i < m->n_units ? m->units[i] : m->empty;

                value_set_number_keep(&u[PI30_F_UNIT_TOTAL_CHARGING_CURRENT], charging);
                value_set_number_keep(&u[PI30_F_UNIT_TOTAL_AC_OUTPUT_APPARENT_POWER], va);
                value_set_number_keep(&u[PI30_F_UNIT_TOTAL_AC_OUTPUT_ACTIVE_POWER], w);
                value_set_number_keep(&u[PI30_F_UNIT_TOTAL_AC_OUTPUT_LOAD_PERCENT], load);
        }
}

static int model_format(Model *m, Pi30Command cmd, int param, char *buf, size_t size,
                        size_t *ret_len)
{
        const Pi30Value *values = m->values;
        ssize_t n;

        if (!m->supported[cmd])
                return -EOPNOTSUPP;
        if (cmd == PI30_CMD_QPGS) {
                if (m->n_units < 2 || param < 0)
                        return -EOPNOTSUPP;
                model_update_totals(m);
                values = (unsigned)param < m->n_units ? m->units[param] : m->empty;
        } else if (is_reading(cmd))
                model_refresh_reading(m, cmd, param);

        n = pi30_answer_format(cmd, m->layout[cmd], m->n_tokens[cmd], values, buf, size);
        if (n < 0)
                return (int)n;
        *ret_len = (size_t)n;
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Setters: recognised by producing, with the protocol library, the exact command a client
 * would send for each candidate value, so no second table of setter syntax exists here.       */

static void model_limits(const Model *m, Pi30Limits *ret)
{
        /* The daemon's rules for the inverter it reads, from this model's own answers: its
         * rating, its option lists and its firmware family. */
        pi30_limits_from_values(m->values, ret);
}

typedef struct SetterMatch {
        Pi30Setting setting;
        int unit; /* -1: the inverter as a whole */
        Pi30SettingArg arg;
        const Pi30Flag *flag;
        char s[PI30_STRING_MAX];
} SetterMatch;

static bool setter_try(const Model *m, const Pi30Limits *limits, Pi30Setting s,
                       const Pi30SettingArg *arg, int unit, const char *command)
{
        char buf[64];

        if (pi30_setting_encode(s, arg, limits, unit, buf, sizeof buf, NULL, 0) < 0)
                return false;
        return streq(buf, command);
}

/* Numbers a command might carry: every all-digits-and-dots tail ("PBCV48.0" -> 48.0, 8.0, 0). */
static size_t command_number_tails(const char *command, double *ret, size_t max)
{
        size_t len = strlen(command), n = 0;

        for (size_t i = len; i > 0 && n < max; i--) {
                char c = command[i - 1];
                char *end;
                double d;

                if (!(c >= '0' && c <= '9') && c != '.')
                        break;
                /* The C locale is never changed in this program: strtod reads '.' as the point. */
                d = strtod(command + i - 1, &end);
                if (*end == '\0' && end != command + i - 1)
                        ret[n++] = d;
        }
        return n;
}

static bool setter_match(const Model *m, const char *command, SetterMatch *ret)
{
        Pi30Limits limits;
        double tails[16];
        size_t n_tails;

        model_limits(m, &limits);
        n_tails = command_number_tails(command, tails, ELEMENTSOF(tails));

        for (int s = 0; s < _PI30_SET_MAX; s++) {
                const Pi30SettingInfo *info = pi30_setting_info(s);

                if (!info)
                        continue;

                /* Per-unit forms first in a parallel system, then the plain form (-1). */
                int units[MODEL_UNITS_MAX + 1], n_units = 0;

                if (info->per_unit && m->n_units >= 2)
                        for (unsigned i = 0; i < m->n_units; i++)
                                units[n_units++] = (int)i;
                units[n_units++] = -1;

                for (int k = 0; k < n_units; k++) {
                        int u = units[k];

                        if (streq(info->signature, "sb")) {
                                for (size_t i = 0; i < pi30_n_flags; i++)
                                        for (int b = 0; b <= 1; b++) {
                                                Pi30SettingArg arg = {.s = pi30_flags[i].name,
                                                                      .b = b};
                                                if (setter_try(m, &limits, s, &arg, u, command)) {
                                                        *ret = (SetterMatch){
                                                                        .setting = s,
                                                                        .unit = u,
                                                                        .arg = arg,
                                                                        .flag = &pi30_flags[i]};
                                                        return true;
                                                }
                                        }
                        } else if (streq(info->signature, "s")) {
                                const Pi30FieldInfo *fi = pi30_field_info(info->field);

                                for (size_t i = 0; fi && fi->enums && i < fi->enums->n_entries;
                                     i++) {
                                        Pi30SettingArg arg = {.s = fi->enums->entries[i].name};
                                        if (setter_try(m, &limits, s, &arg, u, command)) {
                                                *ret = (SetterMatch){.setting = s, .unit = u};
                                                snprintf(ret->s, sizeof ret->s, "%s", arg.s);
                                                return true;
                                        }
                                }
                        } else {
                                for (size_t i = 0; i < n_tails; i++) {
                                        Pi30SettingArg arg = {.d = tails[i]};
                                        if (setter_try(m, &limits, s, &arg, u, command)) {
                                                *ret = (SetterMatch){.setting = s,
                                                                     .unit = u,
                                                                     .arg = arg};
                                                return true;
                                        }
                                }
                        }
                }
        }
        return false;
}

/* The field a parallel unit reports for an inverter-wide setting field (same property name on
 * org.axpert.Inverter.Unit), or -1 when units do not report it. */
static int unit_field_for(Pi30Field f)
{
        const Pi30FieldInfo *fi = pi30_field_info(f);
        int uf;

        if (!fi || !fi->name)
                return -1;
        uf = pi30_field_from_name(fi->name, PI30_EXPORT_UNIT);
        if (uf < 0 || uf == (int)f)
                return -1;
        return uf;
}

static void setter_apply_one(Model *m, Pi30Value *values, Pi30Field f, const SetterMatch *match)
{
        const Pi30SettingInfo *info = pi30_setting_info(match->setting);

        if (match->flag)
                model_set_bool(m, values, f, match->arg.b);
        else if (streq(info->signature, "s"))
                (void)model_set_enum(m, values, f, match->s);
        else
                model_set_number(m, values, f, match->arg.d);
}

static void setter_apply(Model *m, const SetterMatch *match)
{
        const Pi30SettingInfo *info = pi30_setting_info(match->setting);
        Pi30Field f = match->flag ? match->flag->field : info->field;
        int uf = unit_field_for(f);

        /* The inverter we talk to is unit 0: its own settings show in QPIRI. */
        if (match->unit <= 0)
                setter_apply_one(m, m->values, f, match);

        if (uf < 0 || m->n_units < 2)
                return;
        for (unsigned i = 0; i < m->n_units; i++)
                if (match->unit < 0 || (unsigned)match->unit == i)
                        setter_apply_one(m, m->units[i], (Pi30Field)uf, match);
}

ModelAnswer model_answer(Model *m, const char *command, char *buf, size_t size, size_t *ret_len)
{
        char canonical[64];
        SetterMatch match;
        int param = -1;
        int cmd;

        cmd = pi30_command_from_string(command, &param);
        if (cmd >= 0) {
                /* Only the exact spelling counts ("QPGS01", "qpigs" are not what firmware knows).
                 */
                if (pi30_command_format(cmd, param, canonical, sizeof canonical) < 0 ||
                    !streq(canonical, command))
                        return MODEL_ANSWER_NAK;
                if (model_format(m, cmd, param, buf, size, ret_len) < 0)
                        return MODEL_ANSWER_NAK;
                return MODEL_ANSWER_DATA;
        }

        if (!setter_match(m, command, &match))
                return MODEL_ANSWER_NAK;
        setter_apply(m, &match);
        return MODEL_ANSWER_ACK;
}

/* ------------------------------------------------------------------------------------------ */
/* set/get by name                                                                             */

static int field_lookup(int unit, const char *name, char *error, size_t error_size)
{
        int f;

        if (unit >= 0) {
                f = pi30_field_from_name(name, PI30_EXPORT_UNIT);
                if (f < 0)
                        f = pi30_field_from_name(name, PI30_EXPORT_NONE);
                if (f >= 0 && pi30_field_info(f)->command != PI30_CMD_QPGS) {
                        snprintf(error, error_size, "\"%s\" is not a parallel-unit (QPGS) field",
                                 name);
                        return -EINVAL;
                }
        } else {
                f = pi30_field_from_name(name, PI30_EXPORT_INVERTER);
                if (f < 0)
                        f = pi30_field_from_name(name, PI30_EXPORT_NONE);
                if (f >= 0 && pi30_field_info(f)->command == PI30_CMD_QPGS) {
                        snprintf(error, error_size,
                                 "\"%s\" is a parallel-unit field: use \"unit N set\"", name);
                        return -EINVAL;
                }
        }
        if (f < 0) {
                snprintf(error, error_size, "unknown field \"%s\"", name);
                return -ENOENT;
        }
        return f;
}

static Pi30Value *model_values_for(Model *m, int unit, char *error, size_t error_size)
{
        if (unit < 0)
                return m->values;
        if (m->n_units < 2) {
                snprintf(error, error_size, "not a parallel system (start with --units=N)");
                return NULL;
        }
        if ((unsigned)unit >= m->n_units) {
                snprintf(error, error_size, "unit %d does not exist (units 0-%u)", unit,
                         m->n_units - 1);
                return NULL;
        }
        return m->units[unit];
}

static bool text_is_printable(const char *s, bool spaces)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '(' ||
                    (!spaces && *s == ' '))
                        return false;
        return true;
}

static int value_parse(Pi30Field f, const char *text, Pi30Value *v, char *error, size_t error_size)
{
        const Pi30FieldInfo *fi = pi30_field_info(f);
        unsigned w;
        char *end;

        if (streq(text, "-")) {
                v->status = PI30_VALUE_ABSENT;
                return 0;
        }

        switch (fi->kind) {
        case PI30_KIND_NUMBER:
        case PI30_KIND_UINT: {
                double d;

                errno = 0;
                d = strtod(text, &end);
                if (errno != 0 || end == text || *end != '\0' || !isfinite(d) ||
                    (fi->kind == PI30_KIND_UINT && (d < 0 || d != floor(d)))) {
                        snprintf(error, error_size, "\"%s\" is not %s", text,
                                 fi->kind == PI30_KIND_UINT ? "an unsigned integer" : "a number");
                        return -EINVAL;
                }
                /* Firmware prints fixed widths: a number it could not print is not a state
                 * the inverter can be in. */
                w = v->width ? v->width : fi->width;
                if (w > 0 && snprintf(NULL, 0, "%0*.*f", (int)w,
                                      v->width ? v->decimals : fi->decimals, d) > (int)w) {
                        snprintf(error, error_size,
                                 "\"%s\" does not fit the %u characters firmware prints for %s",
                                 text, w, fi->name);
                        return -ERANGE;
                }
                value_set_number_keep(v, d);
                return 0;
        }
        case PI30_KIND_BOOL:
                if (streq(text, "1") || streq(text, "true") || streq(text, "yes"))
                        pi30_value_set_bool(v, true);
                else if (streq(text, "0") || streq(text, "false") || streq(text, "no"))
                        pi30_value_set_bool(v, false);
                else {
                        snprintf(error, error_size, "\"%s\" is not a boolean (true/false, 1/0)",
                                 text);
                        return -EINVAL;
                }
                return 0;
        case PI30_KIND_ENUM:
                if (pi30_value_set_enum(v, f, text) < 0) {
                        char list[512] = "";
                        size_t o = 0;

                        for (size_t i = 0; fi->enums && i < fi->enums->n_entries; i++)
                                o += (size_t)snprintf(list + o,
                                                      o < sizeof list ? sizeof list - o : 0, "%s%s",
                                                      i ? " " : "", fi->enums->entries[i].name);
                        snprintf(error, error_size, "\"%s\" is not one of: %s", text, list);
                        return -EINVAL;
                }
                return 0;
        case PI30_KIND_BITS:
                if (strspn(text, "01") != strlen(text) || !*text ||
                    strlen(text) >= PI30_STRING_MAX) {
                        snprintf(error, error_size, "\"%s\" is not a string of 0 and 1", text);
                        return -EINVAL;
                }
                (void)pi30_value_set_bits(v, text);
                return 0;
        case PI30_KIND_STRING:
                if (!*text || !text_is_printable(text, false) ||
                    pi30_value_set_string(v, text) < 0) {
                        snprintf(error, error_size,
                                 "\"%s\" is not printable text without spaces (max %d)", text,
                                 PI30_STRING_MAX - 1);
                        return -EINVAL;
                }
                return 0;
        case PI30_KIND_LIST: {
                uint16_t list[PI30_LIST_MAX];
                size_t n = 0;
                const char *p = text;

                while (*p) {
                        unsigned long x;

                        if (n >= PI30_LIST_MAX || *p < '0' || *p > '9')
                                goto bad_list;
                        errno = 0;
                        x = strtoul(p, &end, 10);
                        if (errno != 0 || x > 999)
                                goto bad_list;
                        list[n++] = (uint16_t)x;
                        p = end;
                        if (*p == ',' || *p == ' ')
                                p++;
                        else if (*p)
                                goto bad_list;
                }
                if (n == 0)
                        goto bad_list;
                (void)pi30_value_set_list(v, list, n);
                return 0;
        bad_list:
                snprintf(error, error_size,
                         "\"%s\" is not a list of up to %d numbers 0-999 separated by commas", text,
                         PI30_LIST_MAX);
                return -EINVAL;
        }
        }
        snprintf(error, error_size, "field \"%s\" cannot be set", fi->name);
        return -EINVAL;
}

/* "set DeviceTime 20300615120000": the device clock reads that now and runs on from there. */
static int model_set_clock(Model *m, const char *text, char *error, size_t error_size)
{
        Pi30Value v[_PI30_FIELD_MAX];
        struct tm tm = {.tm_isdst = -1};
        time_t t;

        if (pi30_decode(PI30_CMD_QT, text, strlen(text), v, NULL) < 0 ||
            sscanf(text, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec) != 6) {
                snprintf(error, error_size,
                         "\"%s\" is not a clock reading YYYYMMDDHHMMSS (years 1990-2099)", text);
                return -EINVAL;
        }
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = mktime(&tm);
        if (t == (time_t)-1) {
                snprintf(error, error_size, "\"%s\" is no local time", text);
                return -EINVAL;
        }
        m->clock_offset = (int64_t)t - (int64_t)energy_wall(m);
        model_refresh_reading(m, PI30_CMD_QT, -1);
        return 0;
}

int model_set_text(Model *m, int unit, const char *name, const char *text, char *error,
                   size_t error_size)
{
        char buf[PAYLOAD_MAX];
        Pi30Value *values, saved;
        size_t len;
        int f;

        f = field_lookup(unit, name, error, error_size);
        if (f < 0)
                return f;
        values = model_values_for(m, unit, error, error_size);
        if (!values)
                return -EINVAL;
        /* A value no answer carries would be a state nobody can see: get would show '-'. */
        if (!model_field_served(m, f)) {
                snprintf(error, error_size, "%s is in no answer this %s model sends", name,
                         model_kind_to_string(m->kind));
                return -EOPNOTSUPP;
        }

        if (unit < 0 && f != PI30_F_DEVICE_TIME && is_reading(pi30_field_info(f)->command)) {
                snprintf(error, error_size,
                         "%s counts by itself from the powers (see \"energy\"); it cannot be set",
                         name);
                return -EPERM;
        }
        if (unit < 0 && f == PI30_F_DEVICE_TIME)
                return model_set_clock(m, text, error, error_size);

        saved = values[f];
        if (value_parse(f, text, &values[f], error, error_size) < 0) {
                values[f] = saved;
                return -EINVAL;
        }

        /* Every answer that carries the field must still be printable; else nothing changes. */
        FOREACH_ROW(row, f)
        {
                int param = row->command == PI30_CMD_QPGS ? (unit < 0 ? 0 : unit) : -1;

                if (!m->supported[row->command] ||
                    (row->command == PI30_CMD_QPGS && m->n_units < 2))
                        continue;
                if (model_format(m, row->command, param, buf, sizeof buf, &len) < 0) {
                        values[f] = saved;
                        snprintf(error, error_size, "\"%s\" does not fit the %s answer", text,
                                 pi30_command_info(row->command)->name);
                        return -ERANGE;
                }
        }
        values_sync_bits(values, f);
        return 0;
}

bool model_field_served(const Model *m, Pi30Field f)
{
        FOREACH_ROW(row, f)
        {
                Pi30Command c = row->command;

                if (!m->supported[c] || (c == PI30_CMD_QPGS && m->n_units < 2))
                        continue;
                if (row->layout == m->layout[c] && row->token <= m->n_tokens[c])
                        return true;
        }
        return false;
}

/* A value as get and dump print it: numbers with the decimals the firmware sends (no zero
 * padding), booleans true/false, enumerations by name, bit strings and text as sent, lists
 * comma-separated; '-' for a field that is absent or in no answer this model sends. */
static void value_text(const Model *m, const Pi30Value *values, Pi30Field f, char *buf, size_t size)
{
        const Pi30FieldInfo *fi = pi30_field_info(f);
        const Pi30Value *v = &values[f];

        if (!pi30_value_valid(v) || !model_field_served(m, f)) {
                snprintf(buf, size, "-");
                return;
        }
        switch (fi->kind) {
        case PI30_KIND_NUMBER:
                snprintf(buf, size, "%.*f", v->width ? v->decimals : fi->decimals, v->d);
                break;
        case PI30_KIND_UINT:
                snprintf(buf, size, "%.0f", v->d);
                break;
        case PI30_KIND_BOOL:
                snprintf(buf, size, "%s", v->d != 0 ? "true" : "false");
                break;
        case PI30_KIND_ENUM:
                snprintf(buf, size, "%s", v->name ? v->name : pi30_enum_name(fi->enums, (int)v->d));
                break;
        case PI30_KIND_BITS:
        case PI30_KIND_STRING:
                snprintf(buf, size, "%s", v->s);
                break;
        case PI30_KIND_LIST: {
                size_t o = 0;

                buf[0] = '\0';
                for (size_t i = 0; i < v->n && o < size; i++)
                        o += (size_t)snprintf(buf + o, size - o, "%s%u", i ? "," : "", v->list[i]);
                break;
        }
        }
}

int model_get_text(Model *m, int unit, const char *name, char *buf, size_t size, char *error,
                   size_t error_size)
{
        const Pi30Value *values;
        int f;

        f = field_lookup(unit, name, error, error_size);
        if (f < 0)
                return f;
        values = model_values_for(m, unit, error, error_size);
        if (!values)
                return -EINVAL;
        if (unit >= 0)
                model_update_totals(m);
        else
                model_refresh_readings(m);
        value_text(m, values, f, buf, size);
        return 0;
}

int model_dump(Model *m, int unit, ModelDumpFunc fn, void *userdata, char *error, size_t error_size)
{
        const Pi30Value *values;
        char buf[PAYLOAD_MAX];

        values = model_values_for(m, unit, error, error_size);
        if (!values)
                return -EINVAL;
        if (unit >= 0)
                model_update_totals(m);
        else
                model_refresh_readings(m);

        for (int f = 0; f < _PI30_FIELD_MAX; f++) {
                const Pi30FieldInfo *fi = pi30_field_info(f);

                if (!fi || !fi->name || (fi->command == PI30_CMD_QPGS) != (unit >= 0))
                        continue;
                value_text(m, values, f, buf, sizeof buf);
                fn(fi->name, buf, userdata);
        }
        return 0;
}
