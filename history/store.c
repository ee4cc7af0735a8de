/* store.c: the SQLite storage of axpert-history (stub, being written). */
#include <errno.h>
#include <stdlib.h>

#include "store.h"

void store_open_info_done(StoreOpenInfo *info)
{
}

int store_open(const char *path, const StoreOptions *options, uint64_t now_usec, Store **ret,
               StoreOpenInfo *ret_info)
{
        return -EOPNOTSUPP;
}

Store *store_free(Store *s)
{
        return NULL;
}

void store_set_retention(Store *s, const StoreRetention *retention)
{
}

int store_add_sample(Store *s, const char *serial, uint64_t time_usec, const char *field,
                     double value)
{
        return -EOPNOTSUPP;
}

const char *store_energy_kind_to_string(StoreEnergyKind kind)
{
        return NULL;
}

const char *store_energy_source_to_string(StoreEnergySource source)
{
        return NULL;
}

int store_energy_add(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                     double kwh)
{
        return -EOPNOTSUPP;
}

int store_energy_set(Store *s, const char *serial, const char *day, StoreEnergyKind kind,
                     double kwh)
{
        return -EOPNOTSUPP;
}

int store_commit(Store *s, uint64_t now_usec)
{
        return -EOPNOTSUPP;
}

void store_get_stats(Store *s, StoreStats *ret)
{
}

char **store_strv_free(char **l)
{
        return NULL;
}

int store_list_serials(Store *s, char ***ret)
{
        return -EOPNOTSUPP;
}

int store_list_fields(Store *s, const char *serial, char ***ret)
{
        return -EOPNOTSUPP;
}

int store_get_sample_range(Store *s, const char *serial, uint64_t *ret_first_usec,
                           uint64_t *ret_last_usec)
{
        return -EOPNOTSUPP;
}

StoreSamples *store_samples_free(StoreSamples *samples)
{
        return NULL;
}

int store_get_samples(Store *s, const char *serial, uint64_t since_usec, uint64_t until_usec,
                      uint32_t step, const char *const *fields, size_t n_fields, uint64_t now_usec,
                      StoreSamples **ret, size_t *ret_bad_field)
{
        return -EOPNOTSUPP;
}

int store_energy_sums(Store *s, const char *serial, const char *today, StoreEnergy *ret_today,
                      StoreEnergy *ret_month, StoreEnergy *ret_year, StoreEnergy *ret_total,
                      StoreEnergySource *ret_source)
{
        return -EOPNOTSUPP;
}

const char *store_period_to_string(StorePeriod period)
{
        return NULL;
}

int store_period_from_string(const char *s)
{
        return -EOPNOTSUPP;
}

int store_get_energy(Store *s, const char *serial, StorePeriod period, uint64_t since_usec,
                     uint64_t until_usec, StoreEnergyPeriod **ret, size_t *ret_n)
{
        return -EOPNOTSUPP;
}

int store_local_day(uint64_t time_usec, char ret[static 11])
{
        return -EOPNOTSUPP;
}

int store_day_start(const char *day, uint64_t *ret_usec)
{
        return -EOPNOTSUPP;
}
