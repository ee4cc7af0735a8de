/* Typed values -> answer payloads as real firmware prints them (the simulator, round trips). */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "pi30.h"

typedef struct Out {
        char *buf;
        size_t size, len;
        bool overflow;
} Out;

static void out_char(Out *o, char c)
{
        if (o->len + 1 < o->size)
                o->buf[o->len] = c;
        else
                o->overflow = true;
        o->len++;
}

static void out_number(Out *o, double d, unsigned width, unsigned decimals);

static void out_text(Out *o, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                out_char(o, s[i]);
}

int pi30_format_fixed(double d, unsigned width, unsigned decimals, char *buf, size_t size)
{
        Out o = {.buf = buf, .size = size};

        if (size == 0)
                return -ENOBUFS;
        out_number(&o, d, width, decimals);
        if (o.overflow)
                return -ENOBUFS;
        buf[o.len] = 0;
        return (int)o.len;
}

/* Zero-padded fixed-point without printf's locale: 57.5 (width 5, 2 decimals) -> "57.50". */
static void out_number(Out *o, double d, unsigned width, unsigned decimals)
{
        char digits[32];
        size_t nd = 0;
        bool neg = signbit(d) != 0; /* "-000" round-trips too */
        double scaled = pi30_fabs(d);
        uint64_t m;

        for (unsigned i = 0; i < decimals; i++)
                scaled *= 10;
        if (!(scaled < 1e18)) { /* NaN, infinite or wider than any PI30 field */
                o->overflow = true;
                return;
        }
        m = (uint64_t)pi30_round(scaled);
        do {
                digits[nd++] = (char)('0' + m % 10);
                m /= 10;
        } while ((m > 0 || nd <= decimals) && nd < sizeof digits);

        size_t len = nd + (decimals > 0) + neg;
        if (neg)
                out_char(o, '-');
        for (size_t i = len; i < width; i++)
                out_char(o, '0');
        for (size_t i = nd; i > 0; i--) {
                if (decimals > 0 && i == decimals)
                        out_char(o, '.');
                out_char(o, digits[i - 1]);
        }
}

static const Pi30FieldInfo *field_at(Pi30Command cmd, uint8_t layout, uint8_t token, bool whole)
{
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                if (f->command == cmd && f->layout == layout && f->token == token &&
                    (whole ? f->bit < 0 : true))
                        return f;
        }
        return NULL;
}

static void out_value(Out *o, const Pi30CommandInfo *cmd, const Pi30FieldInfo *f,
                      const Pi30Value *v)
{
        unsigned width = v->width ? v->width : f->width;

        if (v->status == PI30_VALUE_ABSENT) {
                out_char(o, '-');
                return;
        }
        switch (f->kind) {
        case PI30_KIND_NUMBER:
        case PI30_KIND_UINT:
                out_number(o, v->d, width,
                           f->kind != PI30_KIND_NUMBER ? 0
                           : v->width                  ? v->decimals
                                                       : f->decimals);
                break;
        case PI30_KIND_BOOL:
                out_char(o, v->d != 0 ? '1' : '0');
                break;
        case PI30_KIND_ENUM:
                if (f->enums && f->enums->letters)
                        out_char(o, (char)v->d);
                else
                        out_number(o, v->d, width, 0);
                break;
        case PI30_KIND_BITS:
                out_text(o, v->s, strnlen(v->s, sizeof v->s));
                break;
        case PI30_KIND_STRING:
                if (cmd->prefix)
                        out_text(o, cmd->prefix, strlen(cmd->prefix));
                out_text(o, v->s, strnlen(v->s, sizeof v->s));
                break;
        case PI30_KIND_LIST:
                for (size_t k = 0; k < v->n; k++) {
                        if (k > 0)
                                out_char(o, ' ');
                        out_number(o, v->list[k], width, 0);
                }
                break;
        }
}

/* A bit-string token: the parent's text when set, else composed from its bit fields. */
static void out_bits_token(Out *o, const Pi30FieldInfo *parent, const Pi30Value values[])
{
        const Pi30Value *pv = &values[parent->id];
        char text[PI30_STRING_MAX];
        size_t w;

        if (pv->status == PI30_VALUE_VALID) {
                out_text(o, pv->s, strnlen(pv->s, sizeof pv->s));
                return;
        }
        w = parent->width < sizeof text ? parent->width : sizeof text - 1;
        memset(text, '0', w);
        bool any = false;
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                const Pi30Value *v = &values[f->id];
                if (f->command != parent->command || f->token != parent->token || f->bit < 0 ||
                    v->status != PI30_VALUE_VALID)
                        continue;
                int code = (int)v->d;
                for (int b = f->bit_count - 1; b >= 0; b--, code >>= 1)
                        if ((size_t)(f->bit + b) < w)
                                text[f->bit + b] = (char)('0' + (code & 1));
                any = true;
        }
        if (!any) {
                out_char(o, '-');
                return;
        }
        out_text(o, text, w);
}

ssize_t pi30_answer_format(Pi30Command command, uint8_t layout, uint8_t n_tokens,
                           const Pi30Value values[], char *buf, size_t size)
{
        const Pi30CommandInfo *cmd = pi30_command_info(command);
        Out o = {.buf = buf, .size = size};

        if (!cmd || size == 0)
                return -EINVAL;

        switch (cmd->shape) {
        case PI30_SHAPE_FLAGS:
                for (int section = 0; section < 2; section++) {
                        out_char(&o, section == 0 ? 'E' : 'D');
                        for (size_t i = 0; i < pi30_n_fields; i++) {
                                const Pi30FieldInfo *f = &pi30_fields[i];
                                const Pi30Value *v = &values[f->id];
                                if (f->command == command && v->status == PI30_VALUE_VALID &&
                                    (v->d != 0) == (section == 0))
                                        out_char(&o, f->letter);
                        }
                }
                break;

        case PI30_SHAPE_WHOLE:
        case PI30_SHAPE_LIST: {
                const Pi30FieldInfo *f = field_at(command, 0, 0, true);
                if (!f)
                        return -EINVAL;
                out_value(&o, cmd, f, &values[f->id]);
                break;
        }

        case PI30_SHAPE_TOKENS:
        default: {
                uint8_t last = 0;
                for (size_t i = 0; i < pi30_n_fields; i++)
                        if (pi30_fields[i].command == command && pi30_fields[i].layout == layout &&
                            pi30_fields[i].token > last)
                                last = pi30_fields[i].token;
                if (last == 0)
                        return -EINVAL;
                if (n_tokens == 0 || n_tokens > last)
                        n_tokens = last;
                for (uint8_t t = 1; t <= n_tokens; t++) {
                        const Pi30FieldInfo *f = field_at(command, layout, t, true);
                        if (t > 1)
                                out_char(&o, ' ');
                        if (!f)
                                out_char(&o, '-');
                        else if (f->kind == PI30_KIND_BITS)
                                out_bits_token(&o, f, values);
                        else
                                out_value(&o, cmd, f, &values[f->id]);
                }
                /* MAX firmware ends its 3-field QPIGS2 with a space (PI30.md §2.2). */
                if (command == PI30_CMD_QPIGS2 && layout == 0)
                        out_char(&o, ' ');
                break;
        }
        }

        if (o.overflow)
                return -ENOBUFS;
        buf[o.len] = 0;
        return (ssize_t)o.len;
}
