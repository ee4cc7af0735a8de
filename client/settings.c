/* "axpertctl settings": every setting, its value and what this inverter accepts (like upsrw). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axpertctl.h"
#include "format.h"
#include "macros.h"

typedef struct SettingRow {
        const char *property;          /* the property the setter changes: "BatteryBulkVoltage" */
        const char *method;            /* "SetBatteryBulkVoltage", "SetFlag" */
        const char *flag;              /* SetFlag's flag name, or NULL */
        const char *unit;              /* of the argument, or NULL */
        const char *const *documented; /* the contract's values of a string argument */
        char command[96];              /* "set-battery-bulk-voltage", "set-flag buzzer" */
        char value[FORMAT_BUF_MAX + 16];
        char accepts[512];
        bool known; /* accepts comes from the bus or the contract */
} SettingRow;

static void row_value(SettingRow *row, const DeviceObject *d, bool online)
{
        const Property *p = property_list_find(&d->props, row->property);
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        snprintf(row->value, sizeof row->value, "-");
        if (!p || !online)
                return;
        f = open_memstream(&buf, &size);
        if (!f)
                return;
        property_print_value_or_none(p, f, true, use_ascii);
        if (fclose(f) == 0 && buf)
                snprintf(row->value, sizeof row->value, "%s", buf);
        free(buf);
}

static void row_accepts(SettingRow *row, const DeviceObject *d)
{
        const Property *choices = property_list_find(&d->props, AXPERT_PROPERTY_SETTING_CHOICES);

        row->known = true;
        if (row->flag) {
                const PropertyEntry *e = property_list_entry(
                                &d->props, AXPERT_PROPERTY_SETTING_CHOICES, AXPERT_METHOD_SET_FLAG);
                bool offered = !e;

                for (size_t i = 0; e && e->strv && i < e->n; i++)
                        offered = offered || streq(e->strv[i], row->flag);
                row->known = offered;
                snprintf(row->accepts, sizeof row->accepts, "%s",
                         offered ? "on, off" : "not offered by this inverter");
                return;
        }
        if (setting_accepted_text(d, row->method, row->unit, row->accepts, sizeof row->accepts))
                return;
        if (row->documented && !choices) {
                /* An axpertd without SettingChoices: what the contract documents. */
                size_t len = (size_t)snprintf(row->accepts, sizeof row->accepts, "one of ");

                for (size_t i = 0; row->documented[i] && len < sizeof row->accepts; i++)
                        len += (size_t)snprintf(row->accepts + len, sizeof row->accepts - len,
                                                "%s%s", i > 0 ? ", " : "", row->documented[i]);
                return;
        }
        row->known = false;
        snprintf(row->accepts, sizeof row->accepts, "%s",
                 row->documented ? "not offered by this inverter"
                                 : "not known yet (axpertd has not read the battery rating)");
}

static size_t rows_build(const DeviceObject *d, bool online, SettingRow **ret)
{
        const SetVerb *verbs;
        size_t n_verbs = set_verbs_get(&verbs), n = 0;
        SettingRow *rows = calloc(n_verbs + axpert_contract_n_flags, sizeof *rows);

        if (!rows)
                return 0;
        for (size_t i = 0; i < n_verbs; i++) {
                SettingRow *row = &rows[n++];

                *row = (SettingRow){
                                .property = verbs[i].property,
                                .method = verbs[i].method->name,
                                .unit = verbs[i].arg->unit,
                                .documented = streq(verbs[i].arg->signature, "s")
                                                              ? verbs[i].arg->values
                                                              : NULL,
                };
                snprintf(row->command, sizeof row->command, "%s", verbs[i].verb);
        }
        for (size_t i = 0; i < axpert_contract_n_flags; i++) {
                SettingRow *row = &rows[n++];

                *row = (SettingRow){
                                .property = axpert_contract_flags[i].property,
                                .method = AXPERT_METHOD_SET_FLAG,
                                .flag = axpert_contract_flags[i].name,
                };
                snprintf(row->command, sizeof row->command, "set-flag %s", row->flag);
        }
        for (size_t i = 0; i < n; i++) {
                row_value(&rows[i], d, online);
                row_accepts(&rows[i], d);
        }
        *ret = rows;
        return n;
}

static void print_json(const DeviceObject *d, const SettingRow *rows, size_t n, bool online)
{
        JsonWriter w;

        json_init(&w, stdout, arg_json == JSON_PRETTY);
        json_begin_array(&w);
        for (size_t i = 0; i < n; i++) {
                const SettingRow *row = &rows[i];
                const Property *p = property_list_find(&d->props, row->property);
                const PropertyEntry *e;

                json_begin_object(&w);
                json_key(&w, "Setting");
                json_string(&w, row->property);
                json_key(&w, "Method");
                json_string(&w, row->method);
                if (row->flag) {
                        json_key(&w, "Flag");
                        json_string(&w, row->flag);
                }
                json_key(&w, "Command");
                json_string(&w, row->command);
                json_key(&w, "Value");
                if (p && online)
                        property_write_json(p, &w);
                else
                        json_null(&w);
                if (row->unit) {
                        json_key(&w, "Unit");
                        json_string(&w, row->unit);
                }
                /* What is accepted, as the bus says it: a range, or a list. */
                e = property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_LIMITS, row->method);
                if (!row->flag && e && e->n == 3) {
                        json_key(&w, "Min");
                        json_double(&w, e->doubles[0]);
                        json_key(&w, "Max");
                        json_double(&w, e->doubles[1]);
                        json_key(&w, "Step");
                        json_double(&w, e->doubles[2]);
                } else if (row->flag) {
                        json_key(&w, "Values");
                        if (row->known) {
                                json_begin_array(&w);
                                json_bool(&w, false);
                                json_bool(&w, true);
                                json_end_array(&w);
                        } else
                                json_null(&w);
                } else {
                        e = property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_OPTIONS,
                                                row->method);
                        if (!e)
                                e = property_list_entry(&d->props, AXPERT_PROPERTY_SETTING_CHOICES,
                                                        row->method);
                        json_key(&w, "Values");
                        if (e) {
                                json_begin_array(&w);
                                for (size_t k = 0; k < e->n; k++)
                                        if (e->strv)
                                                json_string(&w, e->strv[k]);
                                        else
                                                json_double(&w, e->doubles[k]);
                                json_end_array(&w);
                        } else if (row->known && row->documented) {
                                json_begin_array(&w);
                                for (size_t k = 0; row->documented[k]; k++)
                                        json_string(&w, row->documented[k]);
                                json_end_array(&w);
                        } else
                                json_null(&w);
                }
                json_key(&w, "Accepts");
                json_string(&w, row->accepts);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_finish(&w);
}

int verb_settings(sd_bus *bus, int argc, char **argv)
{
        _cleanup_(inventory_done) Inventory inv = {0};
        _cleanup_free_ SettingRow *rows = NULL;
        const char *family;
        DeviceObject *d;
        size_t n;
        bool online;
        int r, wp, wv, wc;

        r = inventory_load_and_pick(bus, &inv, &d);
        if (r < 0)
                return r;
        online = property_list_bool(&d->props, "Online");
        n = rows_build(d, online, &rows);
        if (!rows)
                return report_error(EXIT_FAILED, "out of memory");

        if (arg_json != JSON_OFF)
                print_json(d, rows, n, online);
        else {
                wp = (int)strlen("SETTING");
                wv = (int)strlen("VALUE");
                wc = (int)strlen("COMMAND");
                for (size_t i = 0; i < n; i++) {
                        if ((int)strlen(rows[i].property) > wp)
                                wp = (int)strlen(rows[i].property);
                        /* Bytes, not columns: "°" does not occur in a setting's unit. */
                        if ((int)strlen(rows[i].value) > wv)
                                wv = (int)strlen(rows[i].value);
                        if ((int)strlen(rows[i].command) > wc)
                                wc = (int)strlen(rows[i].command);
                }
                if (arg_legend)
                        printf("%-*s  %-*s  %-*s  %s\n", wp, "SETTING", wv, "VALUE", wc, "COMMAND",
                               "ACCEPTS");
                for (size_t i = 0; i < n; i++)
                        printf("%-*s  %-*s  %-*s  %s\n", wp, rows[i].property, wv, rows[i].value,
                               wc, rows[i].command, rows[i].accepts);
                if (arg_legend) {
                        family = property_list_string(&d->props, AXPERT_PROPERTY_FIRMWARE_FAMILY);
                        printf("\n%zu settings of inverter %s%s%s%s.%s\n", n, d->id,
                               *family ? " (firmware family " : "", family, *family ? ")" : "",
                               online ? ""
                                      : " It is offline: no current values; what it accepts is "
                                        "what it accepted last.");
                }
        }
        return online ? 0 : -EXIT_OFFLINE;
}
