/* Every line of tests/data/corpus.tsv through the frame parser and the decoder, checked against
 * the verdict its notes give; every value of decoded.tsv; and format(decode(x)) == x.
 * Usage: test-corpus CORPUS.tsv DECODED.tsv */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi30.h"
#include "tests.h"

#define MAX_LINES 512

typedef struct Line {
        int lineno;
        char *command, *response_text, *source, *notes;
        uint8_t bytes[512];
        size_t len;
        /* results */
        bool parsed;
        Pi30Frame frame;
        Pi30Value values[_PI30_FIELD_MAX];
        Pi30DecodeResult res;
        int decode_r;
        Pi30Command cmd;
} Line;

static Line lines[MAX_LINES];
static int n_lines;
static int count_ok, count_escaped, count_bad, count_payload_only, count_decoded, count_echo,
        count_nak, count_ack, count_roundtrip;

static size_t unescape(const char *s, uint8_t *out, size_t max)
{
        size_t n = 0;
        while (*s && n < max) {
                if (*s != '\\') {
                        out[n++] = (uint8_t)*s++;
                        continue;
                }
                s++;
                switch (*s) {
                case 'r': out[n++] = '\r'; s++; break;
                case 'n': out[n++] = '\n'; s++; break;
                case 'a': out[n++] = '\a'; s++; break;
                case '\\': out[n++] = '\\'; s++; break;
                case 'x': {
                        char hex[3] = {s[1], s[2], 0};
                        out[n++] = (uint8_t)strtoul(hex, NULL, 16);
                        s += 3;
                        break;
                }
                default: out[n++] = (uint8_t)*s++; break;
                }
        }
        return n;
}

static char *field(char **p)
{
        char *start = *p, *tab = strchr(start, '\t');
        if (tab) {
                *tab = 0;
                *p = tab + 1;
        } else
                *p = start + strlen(start);
        return start;
}

static int load_corpus(const char *path)
{
        FILE *f = fopen(path, "re");
        static char buf[4096];
        int lineno = 0;

        if (!f)
                return -errno;
        while (fgets(buf, sizeof buf, f)) {
                lineno++;
                buf[strcspn(buf, "\n")] = 0;
                if (lineno == 1)
                        continue;
                char *p = strdup(buf);
                Line *l = &lines[n_lines++];
                l->lineno = lineno;
                l->command = field(&p);
                l->response_text = field(&p);
                l->source = field(&p);
                l->notes = field(&p);
                l->len = unescape(l->response_text, l->bytes, sizeof l->bytes);
        }
        fclose(f);
        return 0;
}

static Line *line_by_number(int lineno)
{
        for (int i = 0; i < n_lines; i++)
                if (lines[i].lineno == lineno)
                        return &lines[i];
        return NULL;
}

/* "QPGS0" -> QPGS, "QPGSn" -> QPGS, "<any setter>"/"POP02" -> invalid */
static Pi30Command command_of(const char *c)
{
        if (strcmp(c, "QPGSn") == 0)
                return PI30_CMD_QPGS;
        return pi30_command_from_string(c, NULL);
}

static void check_line(Line *l)
{
        bool crc_ok = strncmp(l->notes, "CRC OK", 6) == 0;
        bool mismatch = strncmp(l->notes, "CRC MISMATCH", 12) == 0;
        bool payload_only = strncmp(l->notes, "no CRC/CR in source", 19) == 0;
        bool adjusted = strstr(l->notes, "with byte adjustment") != NULL;
        const char *req = l->command[0] == '<' ? NULL : l->command;
        uint8_t frame[600];
        size_t flen = l->len;
        int r;

        CHECK_MSG(crc_ok || mismatch || payload_only, "line %d: unknown verdict '%s'", l->lineno,
                  l->notes);
        l->cmd = command_of(l->command);
        if (strstr(l->notes, "is the first CRC byte")) {
                /* the source kept one CRC byte as if it were payload: check that claim */
                uint16_t crc = pi30_crc16(l->bytes, l->len - 1);
                CHECK_MSG(l->bytes[l->len - 1] == crc >> 8, "line %d: last byte is no CRC byte",
                          l->lineno);
                l->len--;
        }
        memcpy(frame, l->bytes, l->len);

        if (payload_only) {
                /* the notes give the CRC the device would append: check it, then frame it */
                const char *hint = strstr(l->notes, "would append: ");
                uint8_t want[2], got[2];
                CHECK_MSG(hint != NULL, "line %d: no CRC hint", l->lineno);
                if (!hint)
                        return;
                CHECK(unescape(hint + 14, want, 2) == 2);
                pi30_crc_bytes(pi30_crc16(l->bytes, l->len + (strstr(l->notes, "first CRC byte") != NULL)),
                               false, got);
                CHECK_MSG(memcmp(want, got, 2) == 0, "line %d: CRC %02x%02x, notes say %02x%02x",
                          l->lineno, got[0], got[1], want[0], want[1]);
                ssize_t n = pi30_answer_encode((const char *)l->bytes + 1, l->len - 1, false, frame,
                                               sizeof frame);
                CHECK(n > 0);
                flen = (size_t)n;
                count_payload_only++;
        } else if (!memchr(frame, '\r', flen) && !memchr(frame, '\n', flen)) {
                frame[flen++] = '\r'; /* "terminator not shown in source" */
        }

        r = pi30_frame_parse(frame, flen, req, false, &l->frame);
        if (mismatch) {
                CHECK_MSG(r == -EILSEQ, "line %d: CRC mismatch not detected (r=%d)", l->lineno, r);
                count_bad++;
                return;
        }
        CHECK_MSG(r == 0, "line %d: frame rejected (r=%d): %s", l->lineno, r, l->response_text);
        if (r < 0)
                return;
        l->parsed = true;
        if (adjusted)
                CHECK_MSG(l->frame.crc == PI30_CRC_ESCAPED, "line %d: escape not recognised",
                          l->lineno);
        else if (!payload_only)
                CHECK_MSG(l->frame.crc == PI30_CRC_OK, "line %d: crc status %d", l->lineno,
                          l->frame.crc);
        if (l->frame.crc == PI30_CRC_ESCAPED)
                count_escaped++;
        else if (!payload_only)
                count_ok++;

        if (strstr(l->notes, "echoed the request")) {
                CHECK_MSG(l->frame.kind == PI30_FRAME_ECHO, "line %d: echo not recognised",
                          l->lineno);
                count_echo++;
                return;
        }
        if (l->len >= 4 && memcmp(l->bytes, "(NAK", 4) == 0) {
                CHECK(l->frame.kind == PI30_FRAME_NAK);
                count_nak++;
                return;
        }
        if (l->len >= 4 && memcmp(l->bytes, "(ACK", 4) == 0) {
                CHECK(l->frame.kind == PI30_FRAME_ACK);
                count_ack++;
                return;
        }
        CHECK_MSG(l->frame.kind == PI30_FRAME_DATA, "line %d: kind %d", l->lineno, l->frame.kind);
        if (l->cmd < 0)
                return; /* a command outside the table (Q1, QLED, QBMS, …): framing only */

        /* "fields decoded": every answer of a command the table knows decodes */
        l->decode_r = pi30_decode(l->cmd, l->frame.payload, l->frame.payload_len, l->values, &l->res);
        CHECK_MSG(l->decode_r > 0, "line %d: %s not decoded (r=%d)", l->lineno, l->command,
                  l->decode_r);
        if (l->decode_r <= 0)
                return;
        count_decoded++;
        /* The link gives an answer twice its longest length by the table on the wire: real
         * answers must fit in that with room to spare. */
        CHECK_MSG(l->frame.payload_len <= pi30_answer_max_len(l->cmd) * 5 / 4,
                  "line %d: %zu bytes, the table's longest %s answer is %zu", l->lineno,
                  l->frame.payload_len, l->command, pi30_answer_max_len(l->cmd));
        CHECK_MSG(l->res.n_out_of_range == 0, "line %d: %u fields out of range", l->lineno,
                  l->res.n_out_of_range);
        const char *fields = strstr(l->notes, " fields");
        if (fields && l->cmd != PI30_CMD_QPGS + 100) {
                const char *d = fields;
                while (d > l->notes && isdigit((unsigned char)d[-1]))
                        d--;
                if (d < fields)
                        CHECK_MSG(l->res.n_tokens == atoi(d), "line %d: %u fields, notes say %d",
                                  l->lineno, l->res.n_tokens, atoi(d));
        }

        /* format(decode(x)) == x, byte for byte (QFLAG: undocumented letters are dropped) */
        char out[600];
        ssize_t n = pi30_answer_format(l->cmd, l->res.layout, l->res.n_tokens, l->values, out,
                                       sizeof out);
        CHECK(n > 0);
        if (l->cmd == PI30_CMD_QFLAG) {
                for (size_t i = 0; i < l->frame.payload_len; i++) {
                        char c = l->frame.payload[i];
                        bool known = c == 'E' || c == 'D' ||
                                     pi30_field_info(PI30_F_FLAG_BUZZER) != NULL;
                        bool listed = false;
                        for (size_t k = 0; k < pi30_n_fields; k++)
                                if (pi30_fields[k].command == PI30_CMD_QFLAG &&
                                    pi30_fields[k].letter == c)
                                        listed = true;
                        if (c != 'E' && c != 'D')
                                known = listed;
                        if (known)
                                CHECK_MSG(memchr(out, c, (size_t)n) != NULL,
                                          "line %d: flag %c lost", l->lineno, c);
                }
                count_roundtrip++;
        } else {
                CHECK_MSG((size_t)n == l->frame.payload_len &&
                                  memcmp(out, l->frame.payload, (size_t)n) == 0,
                          "line %d: round trip\n  in:  %.*s\n  out: %s", l->lineno,
                          (int)l->frame.payload_len, l->frame.payload, out);
                count_roundtrip++;
        }
}

/* decoded.tsv: field numbers -> table rows */
static const Pi30FieldInfo *row_for(Pi30Command cmd, uint8_t layout, const char *num)
{
        int tok = pi30_command_info(cmd)->shape == PI30_SHAPE_WHOLE ? atoi(num) - 1 : atoi(num);
        const char *dot = strchr(num, '.');
        int k = dot ? atoi(dot + 1) : 0, seen = 0;

        for (size_t i = 0; i < pi30_n_fields; i++) {
                const Pi30FieldInfo *f = &pi30_fields[i];
                if (f->command != cmd || f->layout != layout || f->token != tok)
                        continue;
                if (!dot && f->bit < 0)
                        return f;
                if (dot && f->bit >= 0 && ++seen == k)
                        return f;
        }
        return NULL;
}

static const char *enum_text_to_name(const char *t)
{
        static const char *map[][2] = {
                {"Battery", "battery"}, {"Charge", "unknown"}, {"Power on", "power-on"},
                {"Parallel", "parallel"}, {"Single unit", "single"},
                {"Solar + Utility", "solar-and-utility"}, {"Solar first", "solar-first"},
                {"Utility first", "utility-first"},
                {"Utility first (MAX: Utility-Solar-Battery)", "utility-first"},
                {"SBU (MAX: Solar-Battery-Utility)", "sbu"}, {"AGM", "agm"}, {"User", "user"},
                {"Appliance", "appliance"}, {"UPS", "ups"}, {"Off grid", "off-grid"},
                {"Transformer", "transformer"}, {"Transformerless", "transformerless"},
                {"Phase 2 of 2 (120°)", "phase2-of-2-120"},
                {"One unit with PV is enough", "any-unit"},
                {"PV max current = max charge current", "max-current"},
                {"PV max power = charge power + load power", "max-power"},
                {"Automatic", "automatic"}, {"normal", "normal"},
        };
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
                if (strcmp(map[i][0], t) == 0)
                        return map[i][1];
        return NULL;
}

static int check_decoded(const char *path)
{
        FILE *f = fopen(path, "re");
        char buf[4096];
        int lineno = 0, rows = 0;

        if (!f)
                return -errno;
        while (fgets(buf, sizeof buf, f)) {
                lineno++;
                buf[strcspn(buf, "\n")] = 0;
                if (lineno == 1)
                        continue;
                char *p = buf;
                char *ref = field(&p), *command = field(&p), *num = field(&p), *name = field(&p),
                     *raw = field(&p), *value = field(&p);
                (void)name;
                Line *l = line_by_number(atoi(ref + strlen("corpus.tsv line ")));
                CHECK_MSG(l && l->decode_r > 0, "decoded.tsv:%d: corpus line not decoded", lineno);
                if (!l || l->decode_r <= 0)
                        continue;
                Pi30Command cmd = command_of(command);
                CHECK_INT(cmd, l->cmd);
                rows++;

                if (cmd == PI30_CMD_QPIWS) {
                        const Pi30Value *v = &l->values[PI30_F_WARNING_STATUS];
                        int pos = atoi(num);
                        if (pos == 0) {
                                CHECK_INT(v->n, atoi(value));
                                continue;
                        }
                        CHECK_MSG(v->bits & (UINT64_C(1) << (pos - 1)), "decoded.tsv:%d bit", lineno);
                        const char *names[40];
                        size_t nw = pi30_warnings_active(v, false, names, 40);
                        size_t nf = pi30_warnings_active(v, true, names + nw, 40 - nw);
                        bool a1 = v->bits & 2;
                        bool want_fault = strstr(value, "(F)") ||
                                          (strstr(value, "(F if bit2 set") && a1);
                        bool want_warning = strstr(value, "(W)") ||
                                            (strstr(value, "(F if bit2 set") && !a1);
                        /* the named condition must be in exactly the expected list */
                        const Pi30Warning *w = NULL;
                        for (size_t i = 0; i < pi30_n_warnings; i++)
                                if (pi30_warnings[i].bit == pos - 1)
                                        w = &pi30_warnings[i];
                        if (!want_fault && !want_warning) {
                                CHECK_MSG(w == NULL, "decoded.tsv:%d: reserved bit named", lineno);
                                continue;
                        }
                        CHECK_MSG(w != NULL, "decoded.tsv:%d: bit %d unnamed", lineno, pos);
                        if (!w)
                                continue;
                        bool in_w = false, in_f = false;
                        for (size_t i = 0; i < nw; i++)
                                in_w = in_w || strcmp(names[i], w->name) == 0;
                        for (size_t i = nw; i < nw + nf; i++)
                                in_f = in_f || strcmp(names[i], w->name) == 0;
                        CHECK_MSG(in_f == want_fault && in_w == want_warning,
                                  "decoded.tsv:%d: %s classified wrongly", lineno, w->name);
                        continue;
                }
                if (cmd == PI30_CMD_QFLAG) {
                        const Pi30FieldInfo *fi = NULL;
                        for (size_t i = 0; i < pi30_n_fields; i++)
                                if (pi30_fields[i].command == cmd && pi30_fields[i].letter == num[0])
                                        fi = &pi30_fields[i];
                        if (!fi) {
                                /* undocumented letter: ignored, and it must not break the rest */
                                CHECK(strcmp(num, "n") == 0);
                                continue;
                        }
                        const Pi30Value *v = &l->values[fi->id];
                        CHECK_MSG(pi30_value_valid(v) && (v->d != 0) == (strcmp(value, "enabled") == 0),
                                  "decoded.tsv:%d: flag %s", lineno, num);
                        continue;
                }

                const Pi30FieldInfo *fi = row_for(cmd, l->res.layout, num);
                CHECK_MSG(fi != NULL, "decoded.tsv:%d: no table row for %s field %s", lineno,
                          command, num);
                if (!fi)
                        continue;
                const Pi30Value *v = &l->values[fi->id];
                if (strcmp(raw, "-") == 0) {
                        CHECK_MSG(v->status == PI30_VALUE_ABSENT, "decoded.tsv:%d: '-' reported",
                                  lineno);
                        continue;
                }
                CHECK_MSG(pi30_value_valid(v), "decoded.tsv:%d: %s not valid", lineno, fi->name);
                switch (fi->kind) {
                case PI30_KIND_STRING:
                case PI30_KIND_BITS:
                        CHECK_STR(v->s, raw);
                        break;
                case PI30_KIND_BOOL:
                        CHECK_MSG((v->d != 0) == (strcmp(value, "1") == 0 || strcmp(value, "yes") == 0),
                                  "decoded.tsv:%d: %s", lineno, fi->name);
                        break;
                case PI30_KIND_ENUM: {
                        const char *want = enum_text_to_name(value);
                        CHECK_MSG(want != NULL, "decoded.tsv:%d: no mapping for '%s'", lineno, value);
                        if (want)
                                CHECK_STR(v->name, want);
                        break;
                }
                case PI30_KIND_NUMBER:
                case PI30_KIND_UINT: {
                        char *end;
                        double want = strtod(value, &end);
                        if (*end) /* a text ("India", "normal"): compare the raw code */
                                want = strtod(raw, NULL);
                        CHECK_MSG(fabs(v->d - want) < 1e-9, "decoded.tsv:%d: %s %g != %g", lineno,
                                  fi->name, v->d, want);
                        break;
                }
                default:
                        CHECK(false);
                }
        }
        fclose(f);
        printf("decoded.tsv: %d values checked\n", rows);
        return rows;
}

int main(int argc, char *argv[])
{
        if (argc != 3) {
                fprintf(stderr, "usage: %s CORPUS.tsv DECODED.tsv\n", argv[0]);
                return 2;
        }
        CHECK_INT(load_corpus(argv[1]), 0);
        CHECK_MSG(n_lines >= 131, "only %d corpus lines", n_lines);
        for (int i = 0; i < n_lines; i++)
                check_line(&lines[i]);
        printf("corpus.tsv: %d lines: %d CRC OK, %d CRC OK only with the escape rule, %d CRC bad "
               "(detected), %d payload-only (CRC from the notes verified); %d echo, %d NAK, %d ACK; "
               "%d decoded, %d round-tripped byte for byte\n",
               n_lines, count_ok, count_escaped, count_bad, count_payload_only, count_echo,
               count_nak, count_ack, count_decoded, count_roundtrip);
        CHECK(check_decoded(argv[2]) >= 390);
        return tests_finish("test-corpus");
}
