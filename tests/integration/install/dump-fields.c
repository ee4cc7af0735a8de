/* dump-fields: prints the protocol table's exported fields (interface, name, signature, unit,
 * enum names) so a test can hold the documented XML against the table the daemon is built from. */
#include <stdio.h>

#include "pi30.h"

int main(void)
{
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                const char *iface;

                if (f->export_to == PI30_EXPORT_INVERTER)
                        iface = "org.axpert.Inverter";
                else if (f->export_to == PI30_EXPORT_UNIT)
                        iface = "org.axpert.Inverter.Unit";
                else
                        continue;
                /* Fields reached from several answers have several rows: print the first. */
                if (pi30_field_info(f->id) != f)
                        continue;
                printf("%s\t%s\t%s\t%s\t", iface, f->name, pi30_field_signature(f->id),
                       f->unit ? f->unit : "");
                for (size_t j = 0; f->enums && j < f->enums->n_entries; j++)
                        printf("%s%s", j ? " " : "", f->enums->entries[j].name);
                printf("\n");
        }
        return 0;
}
