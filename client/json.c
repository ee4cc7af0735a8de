/* A small streaming JSON writer for axpertctl's output: proper string escaping, NaN -> null. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "format.h"
#include "json.h"

void json_init(JsonWriter *w, FILE *f, bool pretty)
{
        *w = (JsonWriter){.f = f, .pretty = pretty};
        w->first[0] = true;
}

static void json_indent(JsonWriter *w)
{
        if (!w->pretty)
                return;
        fputc('\n', w->f);
        for (unsigned i = 0; i < w->depth; i++)
                fputs("  ", w->f);
}

/* Separator and indentation before a value or key at the current level. */
static void json_prefix(JsonWriter *w)
{
        if (w->after_key) {
                /* The value of a key follows it on the same line. */
                w->after_key = false;
                return;
        }
        if (!w->first[w->depth])
                fputc(',', w->f);
        w->first[w->depth] = false;
        if (w->depth > 0)
                json_indent(w);
}

static void json_open(JsonWriter *w, char c)
{
        json_prefix(w);
        fputc(c, w->f);
        assert(w->depth + 1 < JSON_DEPTH_MAX);
        w->depth++;
        w->first[w->depth] = true;
}

static void json_close(JsonWriter *w, char c)
{
        bool empty = w->first[w->depth];

        assert(w->depth > 0);
        w->depth--;
        if (!empty)
                json_indent(w);
        fputc(c, w->f);
}

void json_begin_object(JsonWriter *w)
{
        json_open(w, '{');
}

void json_end_object(JsonWriter *w)
{
        json_close(w, '}');
}

void json_begin_array(JsonWriter *w)
{
        json_open(w, '[');
}

void json_end_array(JsonWriter *w)
{
        json_close(w, ']');
}

static void json_write_escaped(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\b':
                        fputs("\\b", f);
                        break;
                case '\f':
                        fputs("\\f", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        /* D-Bus guarantees valid UTF-8, so bytes >= 0x80 pass through; other
                         * control characters and DEL must not reach a terminal raw. */
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

void json_key(JsonWriter *w, const char *key)
{
        json_prefix(w);
        json_write_escaped(w->f, key);
        fputs(w->pretty ? ": " : ":", w->f);
        w->after_key = true;
}

void json_string(JsonWriter *w, const char *s)
{
        json_prefix(w);
        json_write_escaped(w->f, s);
}

void json_double(JsonWriter *w, double d)
{
        char buf[FORMAT_BUF_MAX];

        json_prefix(w);
        if (!isfinite(d))
                fputs("null", w->f);
        else
                fputs(format_double(d, "null", buf), w->f);
}

void json_int(JsonWriter *w, int64_t i)
{
        json_prefix(w);
        fprintf(w->f, "%" PRIi64, i);
}

void json_uint(JsonWriter *w, uint64_t u)
{
        json_prefix(w);
        fprintf(w->f, "%" PRIu64, u);
}

void json_bool(JsonWriter *w, bool b)
{
        json_prefix(w);
        fputs(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w)
{
        json_prefix(w);
        fputs("null", w->f);
}

void json_finish(JsonWriter *w)
{
        assert(w->depth == 0);
        fputc('\n', w->f);
}
