/* Prints the generated contract tables (common/contract.h) one row per line, for the test that
 * holds them to the XML and to the live daemon. */
#include <stdio.h>

#include "contract.h"

static void strv(const char *const *v)
{
        for (size_t i = 0; v && v[i]; i++)
                printf("%s%s", i ? " " : "", v[i]);
}

int main(void)
{
        for (size_t i = 0; i < axpert_contract_n_properties; i++) {
                const AxpertContractProperty *p = &axpert_contract_properties[i];
                printf("property\t%s\t%s\t%s\t%s\t%d\t", p->interface, p->name, p->signature,
                       p->unit ? p->unit : "", p->emits_change);
                if (p->values)
                        strv(p->values);
                else
                        printf("-");
                putchar('\n');
        }
        for (size_t i = 0; i < axpert_contract_n_methods; i++) {
                const AxpertContractMethod *m = &axpert_contract_methods[i];
                printf("method\t%s\t%s\t%s\t%s\t", m->interface, m->name,
                       m->polkit_action ? m->polkit_action : "none", m->kebab);
                strv(m->affects);
                putchar('\n');
                for (size_t k = 0; k < m->n_args; k++) {
                        const AxpertContractArg *a = &m->args[k];
                        printf("arg\t%s\t%s\t%s\t%s\t%s\t", m->name, a->name, a->in ? "in" : "out",
                               a->signature, a->unit ? a->unit : "");
                        if (a->values)
                                strv(a->values);
                        else
                                printf("-");
                        putchar('\n');
                }
        }
        for (size_t i = 0; i < axpert_contract_n_flags; i++)
                printf("flag\t%s\t%s\n", axpert_contract_flags[i].name,
                       axpert_contract_flags[i].property);
        printf("warnings\t");
        strv(axpert_contract_warning_names);
        putchar('\n');
        return 0;
}
