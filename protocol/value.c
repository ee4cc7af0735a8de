/* Typed values: equality for change detection, setters for the simulator and tests, dates. */
#include <math.h>
#include <string.h>

#include "pi30.h"

bool pi30_value_equal(const Pi30Value *a, const Pi30Value *b)
{
        if (a->status != b->status)
                return false;
        if (a->status == PI30_VALUE_ABSENT)
                return true;
        if (!(a->d == b->d || (isnan(a->d) && isnan(b->d))))
                return false;
        /* Every writer zero-fills a value before setting it, so the remaining members compare
         * byte-wise whatever the kind; the received width is not something a client sees. */
        return a->bits == b->bits && a->n == b->n && a->name == b->name &&
               memcmp(a->s, b->s, sizeof a->s) == 0;
}

static void value_reset(Pi30Value *v)
{
        memset(v, 0, sizeof *v);
        v->status = PI30_VALUE_VALID;
}

void pi30_value_set_number(Pi30Value *v, double d)
{
        value_reset(v);
        v->d = d;
}

void pi30_value_set_bool(Pi30Value *v, bool b)
{
        value_reset(v);
        v->d = b ? 1 : 0;
}

int pi30_value_set_enum(Pi30Value *v, Pi30Field field, const char *name)
{
        const Pi30FieldInfo *f = pi30_field_info(field);
        int code;

        if (!f || f->kind != PI30_KIND_ENUM)
                return -EINVAL;
        code = pi30_enum_code(f->enums, name);
        if (code < 0)
                return code;
        value_reset(v);
        v->d = code;
        v->name = pi30_enum_name(f->enums, code);
        return 0;
}

int pi30_value_set_string(Pi30Value *v, const char *s)
{
        size_t l = strlen(s);

        if (l >= PI30_STRING_MAX)
                return -ENOBUFS;
        for (size_t i = 0; i < l; i++)
                if (s[i] < 0x20 || s[i] > 0x7e)
                        return -EINVAL;
        value_reset(v);
        memcpy(v->s, s, l);
        return 0;
}

int pi30_value_set_bits(Pi30Value *v, const char *bits)
{
        size_t l = strlen(bits);
        uint64_t mask = 0;

        if (l == 0 || l >= PI30_STRING_MAX || l > 64)
                return -EINVAL;
        for (size_t i = 0; i < l; i++) {
                if (bits[i] != '0' && bits[i] != '1')
                        return -EINVAL;
                if (bits[i] == '1')
                        mask |= UINT64_C(1) << i;
        }
        value_reset(v);
        memcpy(v->s, bits, l);
        v->n = (uint8_t)l;
        v->bits = mask;
        return 0;
}

int pi30_value_set_list(Pi30Value *v, const uint16_t *list, size_t n)
{
        if (n > PI30_LIST_MAX)
                return -ENOBUFS;
        value_reset(v);
        memcpy(v->list, list, n * sizeof list[0]);
        v->n = (uint8_t)n;
        return 0;
}

int pi30_clock_date(const Pi30Value *clock)
{
        int date = 0;

        /* The decoder let only a plausible clock through (14 digits, a year 1990-2099, every
         * part in range); still, a hand-filled value is checked. */
        if (!clock || !pi30_value_valid(clock) || strnlen(clock->s, sizeof clock->s) != 14)
                return -ENODATA;
        for (size_t i = 0; i < 14; i++)
                if (clock->s[i] < '0' || clock->s[i] > '9')
                        return -ENODATA;
        for (size_t i = 0; i < 8; i++)
                date = date * 10 + (clock->s[i] - '0');
        if (date < 19900101 || date > 20991231 || date / 100 % 100 < 1 || date / 100 % 100 > 12 ||
            date % 100 < 1 || date % 100 > 31)
                return -ENODATA;
        return date;
}
