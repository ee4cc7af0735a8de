/* Properties built from the rows of pi30_fields[]: vtable entries, values as D-Bus sees them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bus-property.h"
#include "macros.h"

static bool name_in(const char *name, const char *const *list)
{
        for (; list && *list; list++)
                if (streq(name, *list))
                        return true;
        return false;
}

void bus_field_list_build(BusFieldList *list, Pi30Export exp, const char *const *skip)
{
        bool seen[_PI30_FIELD_MAX] = { false };

        list->n = 0;
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];

                if (f->export_to != exp || f->id < 0 || f->id >= _PI30_FIELD_MAX || seen[f->id])
                        continue;
                if (!f->name || name_in(f->name, skip))
                        continue;
                /* Two fields under one name would be two properties of one name. */
                bool dup = false;
                for (size_t j = 0; j < list->n; j++)
                        if (streq(pi30_field_info(list->fields[j])->name, f->name))
                                dup = true;
                if (dup)
                        continue;
                seen[f->id] = true;
                list->fields[list->n++] = f->id;
        }
}

Pi30Field bus_field_list_lookup(const BusFieldList *list, const char *name)
{
        /* ~100 names: a linear scan of pointers compared first, strings second, is cheap
         * enough next to the cost of a D-Bus round trip. */
        for (size_t i = 0; i < list->n; i++) {
                const char *n = pi30_field_info(list->fields[i])->name;
                if (n == name || streq(n, name))
                        return list->fields[i];
        }
        return _PI30_FIELD_INVALID;
}

int bus_append_value(sd_bus_message *m, Pi30Field field, const Pi30Value *v)
{
        const Pi30FieldInfo *info = pi30_field_info(field);
        bool valid = v && pi30_value_valid(v);
        int r;

        switch (info->kind) {
        case PI30_KIND_NUMBER:
                return sd_bus_message_append(m, "d", valid ? v->d : NAN);
        case PI30_KIND_UINT:
                return sd_bus_message_append(m, "u",
                                             valid && v->d >= 0 ? (uint32_t)v->d : (uint32_t)0);
        case PI30_KIND_BOOL:
                return sd_bus_message_append(m, "b", (int)(valid && v->d != 0));
        case PI30_KIND_ENUM:
                return sd_bus_message_append(m, "s",
                                             valid && v->name ? v->name : "unknown");
        case PI30_KIND_BITS:
        case PI30_KIND_STRING:
                return sd_bus_message_append(m, "s", valid ? v->s : "");
        case PI30_KIND_LIST:
                r = sd_bus_message_open_container(m, 'a', "d");
                if (r < 0)
                        return r;
                for (size_t i = 0; valid && i < v->n && i < PI30_LIST_MAX; i++) {
                        r = sd_bus_message_append(m, "d", (double)v->list[i]);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(m);
        }
        return -EINVAL;
}

size_t bus_vtable_add_fields(sd_bus_vtable *vtable, const BusFieldList *list,
                             sd_bus_property_get_t getter)
{
        for (size_t i = 0; i < list->n; i++) {
                const Pi30FieldInfo *f = pi30_field_info(list->fields[i]);
                vtable[i] = (sd_bus_vtable)SD_BUS_PROPERTY(f->name,
                                                           pi30_field_signature(f->id), getter, 0,
                                                           SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE);
        }
        return list->n;
}

bool bus_double_equal(double a, double b)
{
        if (isnan(a) || isnan(b))
                return isnan(a) && isnan(b);
        return a == b;
}
