/* The field table is consistent: unique names per export, sane widths/ranges, commands known. */
#include <string.h>

#include "pi30.h"
#include "tests.h"

int main(void)
{
        bool seen[_PI30_FIELD_MAX] = {0};

        CHECK(pi30_n_fields >= _PI30_FIELD_MAX);
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                const Pi30CommandInfo *c = pi30_command_info(f->command);

                CHECK_MSG(f->id >= 0 && f->id < _PI30_FIELD_MAX, "row %zu", i);
                CHECK_MSG(c != NULL, "row %zu: command", i);
                CHECK_MSG(f->name && f->name[0] >= 'A' && f->name[0] <= 'Z', "row %zu: name", i);
                for (const char *p = f->name; *p; p++)
                        CHECK_MSG((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                                          (*p >= '0' && *p <= '9'),
                                  "%s: not a D-Bus member name", f->name);
                CHECK_MSG(f->min <= f->max, "%s: range", f->name);
                CHECK_MSG(f->kind != PI30_KIND_ENUM || f->enums, "%s: enum without list", f->name);
                if (c && c->shape == PI30_SHAPE_TOKENS)
                        CHECK_MSG(f->token >= 1 && f->token <= c->max_tokens, "%s: token", f->name);
                if (c && c->shape == PI30_SHAPE_FLAGS)
                        CHECK_MSG(f->letter >= 'a' && f->letter <= 'z', "%s: letter", f->name);
                if (f->bit >= 0) {
                        const Pi30FieldInfo *parent = NULL;
                        for (size_t k = 0; k < pi30_n_fields; k++)
                                if (pi30_fields[k].command == f->command &&
                                    pi30_fields[k].layout == f->layout &&
                                    pi30_fields[k].token == f->token && pi30_fields[k].bit < 0)
                                        parent = &pi30_fields[k];
                        CHECK_MSG(parent && parent->kind == PI30_KIND_BITS &&
                                          f->bit + f->bit_count <= parent->width,
                                  "%s: bit slice outside its bit string", f->name);
                }
                /* a field reached from several rows is the same field everywhere */
                if (seen[f->id]) {
                        const Pi30FieldInfo *first = pi30_field_info(f->id);
                        CHECK_STR(first->name, f->name);
                        CHECK(first->kind == f->kind && first->export_to == f->export_to);
                        CHECK(first->command == f->command && first->layout != f->layout);
                }
                seen[f->id] = true;

                /* exported names are unique within their interface */
                if (f->export_to != PI30_EXPORT_NONE)
                        for (size_t k = 0; k < i; k++)
                                if (pi30_fields[k].export_to == f->export_to &&
                                    pi30_fields[k].id != f->id)
                                        CHECK_MSG(strcmp(pi30_fields[k].name, f->name) != 0,
                                                  "%s exported twice", f->name);
        }
        for (int id = 0; id < _PI30_FIELD_MAX; id++)
                CHECK_MSG(seen[id], "field %d has no row", id);

        /* the D-Bus names of DBUS-API.md come out of the table */
        CHECK_INT(pi30_field_from_name("GridVoltage", PI30_EXPORT_INVERTER), PI30_F_GRID_VOLTAGE);
        CHECK_INT(pi30_field_from_name("GridVoltage", PI30_EXPORT_UNIT), PI30_F_UNIT_GRID_VOLTAGE);
        CHECK_INT(pi30_field_from_name("BatteryStatus", PI30_EXPORT_UNIT),
                  PI30_F_UNIT_BATTERY_STATUS);
        CHECK_INT(pi30_field_from_name("NoSuchThing", PI30_EXPORT_NONE), -EINVAL);
        CHECK_STR(pi30_field_signature(PI30_F_GRID_VOLTAGE), "d");
        CHECK_STR(pi30_field_signature(PI30_F_PARALLEL_MAX_UNITS), "u");
        CHECK_STR(pi30_field_signature(PI30_F_UNIT_FAULT_CODE), "u");
        CHECK_STR(pi30_field_signature(PI30_F_LOAD_ON), "b");
        CHECK_STR(pi30_field_signature(PI30_F_MODE), "s");
        CHECK_STR(pi30_field_signature(PI30_F_DEVICE_STATUS), "s");
        CHECK_STR(pi30_field_signature(PI30_F_CHARGING_CURRENT_OPTIONS), "ad");
        CHECK(pi30_field_signature(_PI30_FIELD_MAX) == NULL);

        /* every command listed in issue 2 is in the table */
        static const char *const names[] = {"QPI", "QID", "QSID", "QVFW", "QVFW2", "QVFW3", "QMN",
                                            "QGMN", "QPIRI", "QFLAG", "QPIGS", "QPIGS2", "QMOD",
                                            "QPIWS", "QDI", "QMCHGCR", "QMUCHGCR", "QOPM", "QBOOT",
                                            "QPGS0", "QT", "QBEQI", "QET", "QEY2024", "QEM202401",
                                            "QED20240131"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                CHECK_MSG(pi30_command_from_string(names[i], NULL) >= 0, "%s", names[i]);

        int param;
        CHECK_INT(pi30_command_from_string("QPIGS2", &param), PI30_CMD_QPIGS2);
        CHECK_INT(param, -1);
        CHECK_INT(pi30_command_from_string("QPGS12", &param), PI30_CMD_QPGS);
        CHECK_INT(param, 12);
        CHECK_INT(pi30_command_from_string("QPGS", NULL), -EOPNOTSUPP);
        CHECK_INT(pi30_command_from_string("QPGS123", NULL), -EOPNOTSUPP);
        CHECK_INT(pi30_command_from_string("QEY24", NULL), -EOPNOTSUPP);
        CHECK_INT(pi30_command_from_string("QPIGSX", NULL), -EOPNOTSUPP);
        CHECK_INT(pi30_command_from_string("Q1", NULL), -EOPNOTSUPP);
        CHECK_INT(pi30_command_from_string(NULL, NULL), -EINVAL);

        char buf[32];
        CHECK_INT(pi30_command_format(PI30_CMD_QPIGS, -1, buf, sizeof buf), 5);
        CHECK_STR(buf, "QPIGS");
        CHECK_INT(pi30_command_format(PI30_CMD_QPGS, 3, buf, sizeof buf), 5);
        CHECK_STR(buf, "QPGS3");
        CHECK_INT(pi30_command_format(PI30_CMD_QEY, 2024, buf, sizeof buf), 7);
        CHECK_STR(buf, "QEY2024");
        CHECK_INT(pi30_command_format(PI30_CMD_QED, 20240131, buf, sizeof buf), 11);
        CHECK_INT(pi30_command_format(PI30_CMD_QEY, 20240, buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_command_format(PI30_CMD_QPIGS, 1, buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_command_format(PI30_CMD_QPGS, -1, buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_command_format(PI30_CMD_QPIGS, -1, buf, 5), -ENOBUFS);
        CHECK_INT(pi30_command_format(_PI30_CMD_MAX, -1, buf, sizeof buf), -EINVAL);

        /* enums */
        const Pi30EnumInfo *e = pi30_field_info(PI30_F_OUTPUT_SOURCE_PRIORITY)->enums;
        CHECK_STR(pi30_enum_name(e, 2), "sbu");
        CHECK_STR(pi30_enum_name(e, 7), "unknown");
        CHECK_INT(pi30_enum_code(e, "solar-first"), 1);
        CHECK_INT(pi30_enum_code(e, "SBU"), -EINVAL);
        CHECK_INT(pi30_enum_code(e, NULL), -EINVAL);
        return tests_finish("test-table");
}
