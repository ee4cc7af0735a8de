/* The energy sensors' rows, derived from org.axpert.History's generated contract. */
#include "energy.h"

#include <string.h>

bool energy_is_counter(const AxpertContractProperty *p)
{
        /* The units Home Assistant's energy device class accepts that the contract may use. */
        static const char *const units[] = {"Wh", "kWh", "MWh", NULL};

        return p && g_strcmp0(p->signature, "d") == 0 && p->unit && g_strv_contains(units, p->unit);
}

bool energy_in_state(const char *property)
{
        const AxpertContractProperty *p = axpert_history_property(property);

        return energy_is_counter(p) ||
               g_strcmp0(property, AXPERT_HISTORY_PROPERTY_ENERGY_SOURCE) == 0;
}

char *energy_entity_name(const char *property)
{
        GString *s = g_string_sized_new(strlen(property) + 8);

        for (const char *p = property; *p; p++) {
                if (p != property && g_ascii_isupper(*p))
                        g_string_append_c(s, ' ');
                /* The first word keeps its capital; "Pv" is an abbreviation: "PV". */
                g_string_append_c(s, p == property ? *p : g_ascii_tolower(*p));
        }
        if (g_str_has_prefix(s->str, "Pv ") || g_str_equal(s->str, "Pv"))
                s->str[1] = 'V';
        return g_string_free(s, FALSE);
}
