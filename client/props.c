/* Typed property values as read from the bus (a{sv}), and their text and JSON forms. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "macros.h"
#include "props.h"

static void property_clear(Property *p)
{
        free(p->name);
        if (p->type[0] == 's' || p->type[0] == 'o' || p->type[0] == 'g')
                free(p->s);
        if (p->strv) {
                for (size_t i = 0; i < p->n; i++)
                        free(p->strv[i]);
                free(p->strv);
        }
        free(p->doubles);
        for (size_t i = 0; i < p->n_entries; i++) {
                PropertyEntry *e = &p->entries[i];
                free(e->key);
                free(e->doubles);
                for (size_t k = 0; e->strv && k < e->n; k++)
                        free(e->strv[k]);
                free(e->strv);
        }
        free(p->entries);
        *p = (Property){0};
}

void property_list_done(PropertyList *l)
{
        for (size_t i = 0; i < l->n; i++)
                property_clear(&l->items[i]);
        free(l->items);
        *l = (PropertyList){0};
}

static int property_read_array(Property *p, sd_bus_message *m, char elem)
{
        char sig[2] = {elem, 0};
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, sig);
        if (r < 0)
                return r;
        for (;;) {
                if (elem == 's') {
                        const char *s;
                        char **n;

                        r = sd_bus_message_read_basic(m, 's', &s);
                        if (r <= 0)
                                break;
                        n = realloc(p->strv, (p->n + 2) * sizeof *n);
                        if (!n)
                                return -ENOMEM;
                        p->strv = n;
                        p->strv[p->n] = strdup(s);
                        if (!p->strv[p->n])
                                return -ENOMEM;
                        p->strv[++p->n] = NULL;
                } else {
                        double d, *n;

                        r = sd_bus_message_read_basic(m, 'd', &d);
                        if (r <= 0)
                                break;
                        n = realloc(p->doubles, (p->n + 1) * sizeof *n);
                        if (!n)
                                return -ENOMEM;
                        p->doubles = n;
                        p->doubles[p->n++] = d;
                }
        }
        if (r < 0)
                return r;
        if (elem == 's' && !p->strv) {
                /* An empty list is a list, not an absent one. */
                p->strv = calloc(1, sizeof(char *));
                if (!p->strv)
                        return -ENOMEM;
        }
        return sd_bus_message_exit_container(m);
}

/* The dictionaries the API has: string keys, values (ddd), ad or as. */
static bool is_dictionary(const char *type)
{
        return streq(type, "a{s(ddd)}") || streq(type, "a{sad}") || streq(type, "a{sas}");
}

static int property_read_dictionary(Property *p, sd_bus_message *m, const char *type)
{
        const char *value = type + 3; /* "(ddd)}", "ad}", "as}" */
        char entry[16];
        int r;

        snprintf(entry, sizeof entry, "s%.*s", (int)strlen(value) - 1, value);
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, type + 1);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry)) > 0) {
                PropertyEntry *n = realloc(p->entries, (p->n_entries + 1) * sizeof *n);
                Property v = {0};
                const char *key;

                if (!n)
                        return -ENOMEM;
                p->entries = n;
                n = &p->entries[p->n_entries++];
                *n = (PropertyEntry){0};
                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                n->key = strdup(key);
                if (!n->key)
                        return -ENOMEM;
                if (value[0] == '(') {
                        n->doubles = calloc(3, sizeof(double));
                        if (!n->doubles)
                                return -ENOMEM;
                        n->n = 3;
                        r = sd_bus_message_read(m, "(ddd)", &n->doubles[0], &n->doubles[1],
                                                &n->doubles[2]);
                } else {
                        r = property_read_array(&v, m, value[1]);
                        n->doubles = v.doubles;
                        n->strv = v.strv;
                        n->n = v.n;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* Reads the variant's value; m is positioned at the variant. */
static int property_read_variant(Property *p, sd_bus_message *m)
{
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
        if (r < 0)
                return r;

        if (strlen(contents) == 1) {
                union {
                        uint8_t y;
                        int b;
                        int16_t n;
                        uint16_t q;
                        int32_t i;
                        uint32_t u;
                        int64_t x;
                        uint64_t t;
                        double d;
                        const char *s;
                } v;

                strcpy(p->type, contents);
                r = sd_bus_message_read_basic(m, contents[0], &v);
                if (r < 0)
                        return r;
                switch (contents[0]) {
                case 'y':
                        p->u = v.y;
                        break;
                case 'b':
                        p->b = v.b;
                        break;
                case 'n':
                        p->i = v.n;
                        break;
                case 'q':
                        p->u = v.q;
                        break;
                case 'i':
                        p->i = v.i;
                        break;
                case 'u':
                        p->u = v.u;
                        break;
                case 'x':
                        p->i = v.x;
                        break;
                case 't':
                        p->u = v.t;
                        break;
                case 'd':
                        p->d = v.d;
                        break;
                case 's':
                case 'o':
                case 'g':
                        p->s = strdup(v.s);
                        if (!p->s)
                                return -ENOMEM;
                        break;
                default:
                        /* h (fd) makes no sense as a property; keep it as unsupported. */
                        strcpy(p->type, "?");
                }
        } else if (streq(contents, "as") || streq(contents, "ad")) {
                strcpy(p->type, contents);
                r = property_read_array(p, m, contents[1]);
                if (r < 0)
                        return r;
        } else if (is_dictionary(contents)) {
                strcpy(p->type, contents);
                r = property_read_dictionary(p, m, contents);
                if (r < 0)
                        return r;
        } else {
                strcpy(p->type, "?");
                r = sd_bus_message_skip(m, contents);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

int property_list_read(PropertyList *l, sd_bus_message *m)
{
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                _cleanup_(property_clear) Property p = {0};
                const char *name;
                Property *slot = NULL;

                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        return r;
                p.name = strdup(name);
                if (!p.name)
                        return -ENOMEM;
                r = property_read_variant(&p, m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;

                for (size_t i = 0; i < l->n; i++)
                        if (streq(l->items[i].name, name)) {
                                slot = &l->items[i];
                                property_clear(slot);
                                break;
                        }
                if (!slot) {
                        Property *n = realloc(l->items, (l->n + 1) * sizeof *n);

                        if (!n)
                                return -ENOMEM;
                        l->items = n;
                        slot = &l->items[l->n++];
                }
                *slot = p;
                p = (Property){0};
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

const Property *property_list_find(const PropertyList *l, const char *name)
{
        for (size_t i = 0; l && i < l->n; i++)
                if (streq(l->items[i].name, name))
                        return &l->items[i];
        return NULL;
}

double property_list_double(const PropertyList *l, const char *name)
{
        const Property *p = property_list_find(l, name);

        if (!p)
                return NAN;
        switch (p->type[0]) {
        case 'd':
                return p->d;
        case 'y':
        case 'q':
        case 'u':
        case 't':
                return (double)p->u;
        case 'n':
        case 'i':
        case 'x':
                return (double)p->i;
        default:
                return NAN;
        }
}

bool property_list_bool(const PropertyList *l, const char *name)
{
        const Property *p = property_list_find(l, name);

        return p && p->type[0] == 'b' && p->b;
}

uint64_t property_list_uint(const PropertyList *l, const char *name)
{
        const Property *p = property_list_find(l, name);

        if (!p)
                return 0;
        if (strchr("yqut", p->type[0]))
                return p->u;
        if (strchr("nix", p->type[0]) && p->i > 0)
                return (uint64_t)p->i;
        return 0;
}

const char *property_list_string(const PropertyList *l, const char *name)
{
        const Property *p = property_list_find(l, name);

        return p && strchr("sog", p->type[0]) && p->type[1] == 0 ? p->s : "";
}

char **property_list_strv(const PropertyList *l, const char *name)
{
        const Property *p = property_list_find(l, name);

        return p && streq(p->type, "as") ? p->strv : NULL;
}

const PropertyEntry *property_list_entry(const PropertyList *l, const char *name, const char *key)
{
        const Property *p = property_list_find(l, name);

        for (size_t i = 0; p && i < p->n_entries; i++)
                if (streq(p->entries[i].key, key))
                        return &p->entries[i];
        return NULL;
}

/* "Key=min..max/step Key=a,b,c …" */
static void print_dictionary(const Property *p, FILE *f)
{
        char buf[FORMAT_BUF_MAX];

        for (size_t i = 0; i < p->n_entries; i++) {
                const PropertyEntry *e = &p->entries[i];

                fprintf(f, "%s%s=", i > 0 ? " " : "", e->key);
                if (streq(p->type, "a{s(ddd)}")) {
                        fputs(format_double(e->doubles[0], "nan", buf), f);
                        fprintf(f, "..%s", format_double(e->doubles[1], "nan", buf));
                        fprintf(f, "/%s", format_double(e->doubles[2], "nan", buf));
                        continue;
                }
                for (size_t k = 0; k < e->n; k++) {
                        if (k > 0)
                                fputc(',', f);
                        if (e->strv)
                                fputs(e->strv[k], f);
                        else
                                fputs(format_double(e->doubles[k], "nan", buf), f);
                }
        }
}

void property_print_value(const Property *p, FILE *f, bool with_unit, bool ascii)
{
        const char *unit = with_unit ? property_unit(p->name, ascii) : NULL;
        char buf[FORMAT_BUF_MAX];

        if (is_dictionary(p->type)) {
                print_dictionary(p, f);
                return;
        }
        if (streq(p->type, "as")) {
                for (size_t i = 0; i < p->n; i++)
                        fprintf(f, "%s%s", i > 0 ? " " : "", p->strv[i]);
                return;
        }
        if (streq(p->type, "ad")) {
                for (size_t i = 0; i < p->n; i++)
                        fprintf(f, "%s%s", i > 0 ? " " : "",
                                format_double(p->doubles[i], "nan", buf));
                if (unit && p->n > 0)
                        fprintf(f, " %s", unit);
                return;
        }
        switch (p->type[0]) {
        case 'b':
                fputs(p->b ? "yes" : "no", f);
                return;
        case 'd':
                fputs(format_double(p->d, "nan", buf), f);
                if (unit && !isnan(p->d))
                        fprintf(f, " %s", unit);
                return;
        case 'y':
        case 'q':
        case 'u':
        case 't':
                fprintf(f, "%" PRIu64, p->u);
                break;
        case 'n':
        case 'i':
        case 'x':
                fprintf(f, "%" PRIi64, p->i);
                break;
        case 's':
        case 'o':
        case 'g':
                fputs(p->s, f);
                return;
        default:
                fputs("[unsupported type]", f);
                return;
        }
        if (unit)
                fprintf(f, " %s", unit);
}

bool property_is_empty(const Property *p)
{
        if (is_dictionary(p->type))
                return p->n_entries == 0;
        if (streq(p->type, "as") || streq(p->type, "ad"))
                return p->n == 0;
        return strchr("sog", p->type[0]) && p->type[1] == 0 && p->s[0] == 0;
}

void property_print_value_or_none(const Property *p, FILE *f, bool with_unit, bool ascii)
{
        if (property_is_empty(p))
                fputs("(none)", f);
        else
                property_print_value(p, f, with_unit, ascii);
}

void property_write_json(const Property *p, JsonWriter *w)
{
        if (is_dictionary(p->type)) {
                /* {"SetX": {"min": …, "max": …, "step": …}} or {"SetX": [ … ]} */
                json_begin_object(w);
                for (size_t i = 0; i < p->n_entries; i++) {
                        const PropertyEntry *e = &p->entries[i];

                        json_key(w, e->key);
                        if (streq(p->type, "a{s(ddd)}")) {
                                json_begin_object(w);
                                json_key(w, "min");
                                json_double(w, e->doubles[0]);
                                json_key(w, "max");
                                json_double(w, e->doubles[1]);
                                json_key(w, "step");
                                json_double(w, e->doubles[2]);
                                json_end_object(w);
                                continue;
                        }
                        json_begin_array(w);
                        for (size_t k = 0; k < e->n; k++)
                                if (e->strv)
                                        json_string(w, e->strv[k]);
                                else
                                        json_double(w, e->doubles[k]);
                        json_end_array(w);
                }
                json_end_object(w);
                return;
        }
        if (streq(p->type, "as")) {
                json_begin_array(w);
                for (size_t i = 0; i < p->n; i++)
                        json_string(w, p->strv[i]);
                json_end_array(w);
                return;
        }
        if (streq(p->type, "ad")) {
                json_begin_array(w);
                for (size_t i = 0; i < p->n; i++)
                        json_double(w, p->doubles[i]);
                json_end_array(w);
                return;
        }
        switch (p->type[0]) {
        case 'b':
                json_bool(w, p->b);
                break;
        case 'd':
                json_double(w, p->d);
                break;
        case 'y':
        case 'q':
        case 'u':
        case 't':
                json_uint(w, p->u);
                break;
        case 'n':
        case 'i':
        case 'x':
                json_int(w, p->i);
                break;
        case 's':
        case 'o':
        case 'g':
                json_string(w, p->s);
                break;
        default:
                json_null(w);
        }
}

static bool entry_equal(const PropertyEntry *a, const PropertyEntry *b)
{
        if (!streq(a->key, b->key) || a->n != b->n || !a->strv != !b->strv)
                return false;
        for (size_t k = 0; k < a->n; k++)
                if (a->strv ? !streq(a->strv[k], b->strv[k]) : a->doubles[k] != b->doubles[k])
                        return false;
        return true;
}

bool property_equal(const Property *a, const Property *b)
{
        if (!a || !b || !streq(a->type, b->type))
                return false;
        if (is_dictionary(a->type)) {
                if (a->n_entries != b->n_entries)
                        return false;
                for (size_t i = 0; i < a->n_entries; i++)
                        if (!entry_equal(&a->entries[i], &b->entries[i]))
                                return false;
                return true;
        }
        if (streq(a->type, "as")) {
                if (a->n != b->n)
                        return false;
                for (size_t i = 0; i < a->n; i++)
                        if (!streq(a->strv[i], b->strv[i]))
                                return false;
                return true;
        }
        if (streq(a->type, "ad")) {
                if (a->n != b->n)
                        return false;
                for (size_t i = 0; i < a->n; i++)
                        if (a->doubles[i] != b->doubles[i] &&
                            !(isnan(a->doubles[i]) && isnan(b->doubles[i])))
                                return false;
                return true;
        }
        switch (a->type[0]) {
        case 'b':
                return a->b == b->b;
        case 'd':
                return a->d == b->d || (isnan(a->d) && isnan(b->d));
        case 'y':
        case 'q':
        case 'u':
        case 't':
                return a->u == b->u;
        case 'n':
        case 'i':
        case 'x':
                return a->i == b->i;
        case 's':
        case 'o':
        case 'g':
                return streq(a->s, b->s);
        default:
                return false;
        }
}
