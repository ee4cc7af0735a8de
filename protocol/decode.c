/* Answer payloads -> typed values, driven by the field table; split on spaces, never offsets. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi30.h"

#define MAX_TOKENS 40

typedef struct Token {
        const char *p;
        size_t len;
} Token;

/* Where pi30_decode_explain() wants the reason a payload is refused; NULL for pi30_decode(). */
typedef struct Explain {
        char *buf;
        size_t size;
} Explain;

__attribute__((format(printf, 2, 3))) static int refuse(Explain *e, const char *format, ...)
{
        va_list ap;

        if (e && e->size > 0) {
                va_start(ap, format);
                vsnprintf(e->buf, e->size, format, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

/* A token as a quoted, bounded piece of text for an explanation. */
#define TOKEN_TEXT(p, len) (int)((len) > 24 ? 24 : (len)), (p), ((len) > 24 ? "…" : "")

/* Locale-free decimal: [-]digits[.digits], at most 9 digits and 3 after the point (PI30 never
 * sends more), so every value is exact and prints back identically. */
static int parse_decimal_digits(const char *p, size_t len, double *ret, uint8_t *ret_frac)
{
        bool neg = false, dot = false;
        uint64_t mant = 0;
        unsigned digits = 0, frac = 0, before = 0;

        if (len > 0 && p[0] == '-') {
                neg = true;
                p++;
                len--;
        }
        if (len == 0)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (p[i] == '.') {
                        if (dot || before == 0 || i + 1 == len)
                                return -EBADMSG;
                        dot = true;
                        continue;
                }
                if (p[i] < '0' || p[i] > '9')
                        return -EBADMSG;
                mant = mant * 10 + (uint64_t)(p[i] - '0');
                digits++;
                if (dot)
                        frac++;
                else
                        before++;
        }
        if (digits == 0 || digits > 9 || frac > 3)
                return -EBADMSG;
        static const double pow10[] = {1, 10, 100, 1000};
        double d = (double)mant / pow10[frac];
        *ret = neg ? -d : d;
        if (ret_frac)
                *ret_frac = (uint8_t)frac;
        return 0;
}

static int parse_decimal(const char *p, size_t len, double *ret)
{
        return parse_decimal_digits(p, len, ret, NULL);
}

static int parse_unsigned(const char *p, size_t len, double *ret)
{
        if (len == 0)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++)
                if (p[i] < '0' || p[i] > '9')
                        return -EBADMSG;
        return parse_decimal(p, len, ret);
}

static void set_range_status(const Pi30FieldInfo *f, Pi30Value *v)
{
        v->status = v->d < f->min || v->d > f->max ? PI30_VALUE_OUT_OF_RANGE : PI30_VALUE_VALID;
}

static int decode_bits_text(const char *p, size_t len, Pi30Value *v)
{
        if (len == 0 || len > 64 || len >= PI30_STRING_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (p[i] != '0' && p[i] != '1')
                        return -EBADMSG;
                if (p[i] == '1')
                        v->bits |= UINT64_C(1) << i;
        }
        memcpy(v->s, p, len);
        v->n = (uint8_t)len;
        return 0;
}

static bool has_prefix(const char *p, size_t len, const char *prefix)
{
        size_t n = strlen(prefix);
        return len >= n && memcmp(p, prefix, n) == 0;
}

static bool all_digits(const char *p, size_t len)
{
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (p[i] < '0' || p[i] > '9')
                        return false;
        return true;
}

static bool is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static bool is_upper(char c)
{
        return c >= 'A' && c <= 'Z';
}

static bool is_letter(char c)
{
        return is_upper(c) || (c >= 'a' && c <= 'z');
}

/* QFLAG's shape: "E" lower-case letters "D" lower-case letters. */
static bool looks_like_flags(const char *p, size_t len)
{
        size_t i = 0;

        if (len < 2 || p[i++] != 'E')
                return false;
        while (i < len && p[i] >= 'a' && p[i] <= 'z')
                i++;
        if (i == len || p[i++] != 'D')
                return false;
        while (i < len && p[i] >= 'a' && p[i] <= 'z')
                i++;
        return i == len;
}

static unsigned digits_value(const char *p, size_t n)
{
        unsigned v = 0;

        for (size_t i = 0; i < n; i++)
                v = v * 10 + (unsigned)(p[i] - '0');
        return v;
}

/* YYYYMMDDHHMMSS with a year 1990–2099 (an unset clock shows 2000 or so) and every part in
 * its range. */
static bool clock_shape_ok(const char *p)
{
        unsigned y = digits_value(p, 4), mo = digits_value(p + 4, 2), d = digits_value(p + 6, 2),
                 h = digits_value(p + 8, 2), mi = digits_value(p + 10, 2),
                 s = digits_value(p + 12, 2);

        return y >= 1990 && y <= 2099 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 &&
               mi <= 59 && s <= 60;
}

/* The energy counters (QET, QEDyyyymmdd, QLT …) answer exactly eight digits of Wh (MAX-2021,
 * the corpus): never QGMN's three digits, QID's fourteen or QT's clock, arriving late. */
static bool is_energy_command(Pi30Command c)
{
        switch (c) {
        case PI30_CMD_QET:
        case PI30_CMD_QEY:
        case PI30_CMD_QEM:
        case PI30_CMD_QED:
        case PI30_CMD_QLT:
        case PI30_CMD_QLY:
        case PI30_CMD_QLM:
        case PI30_CMD_QLD:
                return true;
        default:
                return false;
        }
}

/* Free-text answers (QPI, QID, QVFW…, QMN, QGMN) pass any "printable text" test, so an answer
 * of another command, arriving late, would decode as this one and become, say, the serial
 * number. Each has a shape of its own (PI30.md §3; every corpus answer keeps passing): checked
 * here, after the prefix, so that no identity answer is another's. */
static bool string_shape_ok(const Pi30CommandInfo *cmd, const char *p, size_t len)
{
        switch (cmd->id) {
        case PI30_CMD_QPI:
                /* "PI30"; other families answer PI16, PI17, PI18, PI41 */
                return len == 4 && p[0] == 'P' && p[1] == 'I' && all_digits(p + 2, 2);

        case PI30_CMD_QID:
                /* 14 digits normally; the corpus has one of 13. No serial with letters was
                 * ever seen. Longer than QGMN's 3 digits, shorter than QPIWS's 32 bits. */
                return len >= 10 && len <= 20 && all_digits(p, len);

        case PI30_CMD_QGMN:
                /* "044", "054": three digits */
                return len == 3 && all_digits(p, len);

        case PI30_CMD_QT:
                /* "20210726122606": fourteen digits that are a date and time. A serial number
                 * (QID, also 14 digits) is none: "9293…" is no year, "…17…" no month. */
                return len == 14 && all_digits(p, len) && clock_shape_ok(p);

        case PI30_CMD_QVFW:
        case PI30_CMD_QVFW2:
        case PI30_CMD_QVFW3: {
                /* after the prefix: hex digits with at most one point, "00072.70" */
                bool dot = false;
                if (!is_hex(p[0]) || len > 16)
                        return false;
                for (size_t i = 1; i < len; i++) {
                        if (p[i] == '.' && !dot && i + 1 < len)
                                dot = true;
                        else if (!is_hex(p[i]))
                                return false;
                }
                return true;
        }

        case PI30_CMD_QMN:
                /* "MKS2-8000", "VMII-NXPW5KW", "MAX-11000": starts with a letter; letters,
                 * digits and a few separators. Never "PI30" (QPI), a version "VERFW…:", a
                 * QFLAG answer, and never digits only (QID, QGMN, numbers) or one letter
                 * (QMOD). */
                if (len < 3 || !is_letter(p[0]))
                        return false;
                if (len == 4 && p[0] == 'P' && p[1] == 'I' && all_digits(p + 2, 2))
                        return false;
                if (has_prefix(p, len, "VERFW") || looks_like_flags(p, len))
                        return false;
                for (size_t i = 0; i < len; i++)
                        if (!is_letter(p[i]) && !(p[i] >= '0' && p[i] <= '9') &&
                            !strchr(" -_./+", p[i]))
                                return false;
                return true;

        default:
                return true;
        }
}

/* One token (or the whole payload) into one value. */
static int decode_token(const Pi30CommandInfo *cmd, const Pi30FieldInfo *f, const char *p,
                        size_t len, Pi30Value *v)
{
        int r;

        memset(v, 0, sizeof *v);
        if (f->kind == PI30_KIND_STRING)
                while (len > 0 && p[len - 1] == ' ')
                        len--;
        if (len == 1 && p[0] == '-')
                return 0; /* ABSENT: the firmware's "not supported" placeholder */
        v->width = len > 255 ? 255 : (uint8_t)len;

        switch (f->kind) {
        case PI30_KIND_NUMBER:
                if (is_energy_command(cmd->id) && (len != 8 || !all_digits(p, len)))
                        return -EBADMSG;
                r = parse_decimal_digits(p, len, &v->d, &v->decimals);
                if (r < 0)
                        return r;
                set_range_status(f, v);
                return 0;

        case PI30_KIND_UINT:
                r = parse_unsigned(p, len, &v->d);
                if (r < 0)
                        return r;
                set_range_status(f, v);
                return 0;

        case PI30_KIND_BOOL:
                if (len != 1 || (p[0] != '0' && p[0] != '1'))
                        return -EBADMSG;
                v->d = p[0] == '1';
                v->status = PI30_VALUE_VALID;
                return 0;

        case PI30_KIND_ENUM:
                if (f->enums && f->enums->letters) {
                        if (len != 1 || p[0] < 'A' || p[0] > 'Z')
                                return -EBADMSG;
                        v->d = p[0];
                } else {
                        r = parse_unsigned(p, len, &v->d);
                        if (r < 0)
                                return r;
                        if (len > 3)
                                return -EBADMSG;
                }
                v->name = pi30_enum_name(f->enums, (int)v->d);
                v->status = PI30_VALUE_VALID;
                return 0;

        case PI30_KIND_BITS:
                r = decode_bits_text(p, len, v);
                if (r < 0)
                        return r;
                v->status = PI30_VALUE_VALID;
                return 0;

        case PI30_KIND_STRING: {
                size_t skip = 0;

                if (cmd->prefix) {
                        /* Exactly this command's "VERFW…:": QVFW's answer is no QVFW2 answer and
                         * vice versa. GK/MK answer QVFW3 with plain "VERFW:". */
                        if (has_prefix(p, len, cmd->prefix))
                                skip = strlen(cmd->prefix);
                        else if (cmd->id == PI30_CMD_QVFW3 && has_prefix(p, len, "VERFW:"))
                                skip = strlen("VERFW:");
                        else
                                return -EBADMSG;
                        len -= skip;
                        p += skip;
                        while (len > 0 && p[0] == ' ') {
                                p++;
                                len--;
                        }
                }
                while (len > 0 && p[len - 1] == ' ')
                        len--;
                if (len == 0)
                        return -EBADMSG;
                if (len >= PI30_STRING_MAX)
                        return -EBADMSG;
                if (!string_shape_ok(cmd, p, len))
                        return -EBADMSG;
                memcpy(v->s, p, len);
                v->status = PI30_VALUE_VALID;
                return 0;
        }

        case PI30_KIND_LIST:
        default:
                return -EBADMSG;
        }
}

static int decode_bit_slice(const Pi30FieldInfo *f, const Token *t, Pi30Value *v)
{
        memset(v, 0, sizeof *v);
        if (t->len == 1 && t->p[0] == '-')
                return 0;
        if ((size_t)f->bit + f->bit_count > t->len)
                return 0; /* the firmware sends fewer bits: not reported */
        int code = 0;
        for (int i = 0; i < f->bit_count; i++) {
                char c = t->p[f->bit + i];
                if (c != '0' && c != '1')
                        return -EBADMSG;
                code = code * 2 + (c - '0');
        }
        v->d = code;
        v->width = f->bit_count;
        if (f->kind == PI30_KIND_ENUM)
                v->name = pi30_enum_name(f->enums, code);
        v->status = PI30_VALUE_VALID;
        return 0;
}

static int decode_flags(const char *p, size_t len, Pi30Value *out, uint8_t *ret_n_valid)
{
        /* (EakxyDbjuvz: lower-case letters after E are enabled, after D disabled */
        int section = 0; /* 1 = E, 2 = D */
        uint32_t seen = 0, enabled = 0;

        if (len == 0 || p[0] != 'E')
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                char c = p[i];
                if (c == 'E' && section == 0)
                        section = 1;
                else if (c == 'D' && section == 1)
                        section = 2;
                else if (c >= 'a' && c <= 'z' && section > 0) {
                        uint32_t bit = UINT32_C(1) << (c - 'a');
                        if (seen & bit)
                                return -EBADMSG;
                        seen |= bit;
                        if (section == 1)
                                enabled |= bit;
                } else
                        return -EBADMSG;
        }

        uint8_t n = 0;
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                if (f->command != PI30_CMD_QFLAG)
                        continue;
                Pi30Value *v = &out[f->id];
                uint32_t bit = UINT32_C(1) << (f->letter - 'a');
                memset(v, 0, sizeof *v);
                if (seen & bit) {
                        v->status = PI30_VALUE_VALID;
                        v->d = (enabled & bit) != 0;
                        v->width = 1;
                        n++;
                }
        }
        *ret_n_valid = n;
        return 0;
}

static int tokenize(const char *p, size_t len, Token *tokens, size_t max, size_t *ret_n)
{
        size_t n = 0, start = 0;

        /* MAX firmware ends QPIGS2 with a space before the CRC: tolerate one trailing space. */
        if (len > 0 && p[len - 1] == ' ')
                len--;
        if (len == 0)
                return -EBADMSG;
        for (size_t i = 0; i <= len; i++) {
                if (i == len || p[i] == ' ') {
                        if (i == start || n >= max)
                                return -EBADMSG;
                        tokens[n].p = p + start;
                        tokens[n].len = i - start;
                        n++;
                        start = i + 1;
                }
        }
        *ret_n = n;
        return 0;
}

/* The layout of a TOKENS command matching n fields: a command with several layouts (QPIGS2)
 * picks the one whose last field number equals n; others use layout 0 within min..max. */
static int pick_layout(const Pi30CommandInfo *cmd, size_t n, uint8_t *ret)
{
        unsigned last[4] = {0};
        bool several = false;

        for (size_t i = 0; i < pi30_n_fields; i++)
                if (pi30_fields[i].command == cmd->id && pi30_fields[i].layout < 4) {
                        if (pi30_fields[i].layout > 0)
                                several = true;
                        if (pi30_fields[i].token > last[pi30_fields[i].layout])
                                last[pi30_fields[i].layout] = pi30_fields[i].token;
                }
        if (n < cmd->min_tokens || n > cmd->max_tokens)
                return -EBADMSG;
        if (!several) {
                *ret = 0;
                return 0;
        }
        for (uint8_t l = 0; l < 4; l++)
                if (last[l] == n) {
                        *ret = l;
                        return 0;
                }
        return -EBADMSG;
}

static int decode(Pi30Command command, const char *payload, size_t len, Pi30Value values[],
                  Pi30DecodeResult *ret, Explain *e)
{
        const Pi30CommandInfo *cmd = pi30_command_info(command);
        Pi30DecodeResult res = {0};
        Pi30Value tmp[_PI30_FIELD_MAX]; /* decoded here first: values[] stays untouched on error */
        Token tokens[MAX_TOKENS];
        size_t n = 0;
        int r;

        if (!cmd)
                return -EINVAL;
        if (!payload || len == 0)
                return refuse(e, "empty answer");
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)payload[i] < 0x20 || (unsigned char)payload[i] > 0x7e)
                        return refuse(e, "byte 0x%02x at position %zu is not printable",
                                      (unsigned char)payload[i], i + 1);
        if (payload[0] == ' ')
                return refuse(e, "the answer starts with a space");
        size_t trimmed = len;
        while (trimmed > 0 && payload[trimmed - 1] == ' ')
                trimmed--;
        if (trimmed == 3 && (memcmp(payload, "NAK", 3) == 0 || memcmp(payload, "ACK", 3) == 0))
                /* an acknowledgement is never an answer to an inquiry */
                return refuse(e, "%.3s is no answer to %s", payload, cmd->name);

        switch (cmd->shape) {
        case PI30_SHAPE_FLAGS: {
                uint8_t nv;
                r = decode_flags(payload, len, tmp, &nv);
                if (r < 0)
                        return refuse(e, "\"%.*s%s\" is not a list of enabled and disabled flags",
                                      TOKEN_TEXT(payload, len));
                res.n_tokens = 1;
                res.n_valid = nv;
                break;
        }
        case PI30_SHAPE_LIST: {
                r = tokenize(payload, len, tokens, MAX_TOKENS, &n);
                if (r < 0)
                        return refuse(e, "not fields separated by single spaces");
                if (n < cmd->min_tokens || n > cmd->max_tokens)
                        return refuse(e, "%zu value%s, %s answers %u to %u", n, n == 1 ? "" : "s",
                                      cmd->name, cmd->min_tokens, cmd->max_tokens);
                for (size_t i = 0; i < pi30_n_fields; i++) {
                        const Pi30FieldInfo *f = &pi30_fields[i];
                        if (f->command != command)
                                continue;
                        Pi30Value *v = &tmp[f->id];
                        memset(v, 0, sizeof *v);
                        for (size_t k = 0; k < n; k++) {
                                double d;
                                /* "010 020 …": three digits each, always (PI30.md §4.8) */
                                if (tokens[k].len != 3)
                                        return refuse(e, "value %zu \"%.*s%s\" has not 3 digits",
                                                      k + 1,
                                                      TOKEN_TEXT(tokens[k].p, tokens[k].len));
                                r = parse_unsigned(tokens[k].p, tokens[k].len, &d);
                                if (r < 0 || d > f->max)
                                        return refuse(e,
                                                      "value %zu \"%.*s%s\" is not a number "
                                                      "up to %g",
                                                      k + 1, TOKEN_TEXT(tokens[k].p, tokens[k].len),
                                                      f->max);
                                v->list[k] = (uint16_t)d;
                        }
                        v->n = (uint8_t)n;
                        v->width = (uint8_t)tokens[0].len;
                        v->status = PI30_VALUE_VALID;
                        res.n_valid++;
                }
                res.n_tokens = (uint8_t)n;
                break;
        }
        case PI30_SHAPE_WHOLE:
                for (size_t i = 0; i < pi30_n_fields; i++) {
                        const Pi30FieldInfo *f = &pi30_fields[i];
                        if (f->command != command)
                                continue;
                        if (f->kind != PI30_KIND_STRING && memchr(payload, ' ', len))
                                return refuse(e, "%s's answer has no spaces", cmd->name);
                        r = decode_token(cmd, f, payload, len, &tmp[f->id]);
                        if (r < 0)
                                return refuse(e, "\"%.*s%s\" is not %s's %s",
                                              TOKEN_TEXT(payload, len), cmd->name, f->name);
                        if (command == PI30_CMD_QPIWS && (tmp[f->id].n < 32 || tmp[f->id].n > 40))
                                return refuse(e, "%u status bits, QPIWS has 32 to 40",
                                              (unsigned)tmp[f->id].n);
                        if (tmp[f->id].status == PI30_VALUE_VALID)
                                res.n_valid++;
                        else if (tmp[f->id].status == PI30_VALUE_OUT_OF_RANGE)
                                res.n_out_of_range++;
                        else
                                res.n_absent++;
                }
                res.n_tokens = 1;
                break;

        case PI30_SHAPE_TOKENS:
        default:
                r = tokenize(payload, len, tokens, MAX_TOKENS, &n);
                if (r < 0)
                        return refuse(e, "not fields separated by single spaces");
                r = pick_layout(cmd, n, &res.layout);
                if (r < 0)
                        return refuse(e, "%zu fields, no layout of %s has that many (%u to %u)", n,
                                      cmd->name, cmd->min_tokens, cmd->max_tokens);
                for (size_t i = 0; i < pi30_n_fields; i++) {
                        const Pi30FieldInfo *f = &pi30_fields[i];
                        if (f->command != command || f->layout != res.layout)
                                continue;
                        Pi30Value *v = &tmp[f->id];
                        if (f->token > n) {
                                memset(v, 0, sizeof *v); /* missing trailing field */
                        } else {
                                const Token *t = &tokens[f->token - 1];
                                r = f->bit >= 0 ? decode_bit_slice(f, t, v)
                                                : decode_token(cmd, f, t->p, t->len, v);
                                if (r < 0)
                                        return refuse(e, "field %u \"%.*s%s\" is not a valid %s",
                                                      f->token, TOKEN_TEXT(t->p, t->len), f->name);
                        }
                        if (v->status == PI30_VALUE_VALID)
                                res.n_valid++;
                        else if (v->status == PI30_VALUE_OUT_OF_RANGE)
                                res.n_out_of_range++;
                        else
                                res.n_absent++;
                }
                res.n_tokens = (uint8_t)n;
                break;
        }

        /* Commit: every field of the command (all layouts) is written, nothing else. */
        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                if (f->command != command)
                        continue;
                if (cmd->shape == PI30_SHAPE_TOKENS && f->layout != res.layout) {
                        /* a field only the other layout has is not reported by this answer */
                        bool also_here = false;
                        for (size_t k = 0; k < pi30_n_fields; k++)
                                if (pi30_fields[k].command == command &&
                                    pi30_fields[k].id == f->id &&
                                    pi30_fields[k].layout == res.layout)
                                        also_here = true;
                        if (!also_here)
                                memset(&values[f->id], 0, sizeof values[f->id]);
                        continue;
                }
                values[f->id] = tmp[f->id];
        }
        if (ret)
                *ret = res;
        return (int)res.n_valid;
}

int pi30_decode(Pi30Command command, const char *payload, size_t len, Pi30Value values[],
                Pi30DecodeResult *ret)
{
        return decode(command, payload, len, values, ret, NULL);
}

int pi30_decode_explain(Pi30Command command, const char *payload, size_t len, char *buf,
                        size_t size)
{
        Pi30Value *scratch = calloc(_PI30_FIELD_MAX, sizeof *scratch);
        Explain e = {.buf = buf, .size = size};
        int r;

        if (size > 0)
                buf[0] = 0;
        if (!scratch)
                return -ENOMEM;
        r = decode(command, payload, len, scratch, NULL, &e);
        free(scratch);
        if (r == -EBADMSG && size > 0 && buf[0] == 0)
                snprintf(buf, size, "not an answer to %s", pi30_command_info(command)->name);
        return r < 0 ? r : 0;
}
