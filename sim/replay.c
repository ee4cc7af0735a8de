/* Serving captured answers verbatim from a transcript in corpus.tsv format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi30.h"
#include "replay.h"

typedef struct ReplayEntry {
        char *command;
        uint8_t *bytes;
        size_t len;
} ReplayEntry;

struct Replay {
        ReplayEntry *entries;
        size_t n_entries;
        size_t *next; /* per entry: the turn of its command (only kept on the first of them) */
};

Replay *replay_free(Replay *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_entries; i++) {
                free(r->entries[i].command);
                free(r->entries[i].bytes);
        }
        free(r->entries);
        free(r->next);
        free(r);
        return NULL;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* C-style escapes as corpus.tsv writes them: \r \n \t \\ \0 \a \e and \xHH. */
static int unescape(const char *s, uint8_t *buf, size_t size, size_t *ret_len, const char **ret_bad)
{
        size_t n = 0;

        for (; *s; s++) {
                uint8_t b;

                if (n >= size)
                        return -E2BIG;
                if (*s != '\\') {
                        buf[n++] = (uint8_t)*s;
                        continue;
                }
                *ret_bad = s;
                s++;
                switch (*s) {
                case 'r':
                        b = '\r';
                        break;
                case 'n':
                        b = '\n';
                        break;
                case 't':
                        b = '\t';
                        break;
                case '\\':
                        b = '\\';
                        break;
                case '0':
                        b = 0;
                        break;
                case 'a':
                        b = 7;
                        break;
                case 'e':
                        b = 0x1b;
                        break;
                case 'x': {
                        int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        b = (uint8_t)(hi << 4 | lo);
                        s += 2;
                        break;
                }
                default:
                        return -EINVAL;
                }
                buf[n++] = b;
        }
        *ret_len = n;
        return 0;
}

int replay_load(const char *path, Replay **ret, char *error, size_t error_size)
{
        _cleanup_(replay_freep) Replay *r = NULL;
        FILE *f;
        char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        ssize_t l;
        int res = 0;

        f = fopen(path, "re");
        if (!f) {
                res = -errno;
                snprintf(error, error_size, "cannot open \"%s\": %s", path, strerror(-res));
                return res;
        }
        r = calloc(1, sizeof *r);
        if (!r) {
                fclose(f);
                return -ENOMEM;
        }

        while ((l = getline(&line, &cap, f)) >= 0) {
                uint8_t bytes[1024]; /* what request.c can send in one answer */
                const char *bad = NULL;
                char *tab, *end;
                size_t len;
                ReplayEntry *e;

                lineno++;
                while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
                        line[--l] = '\0';
                if (l == 0 || line[0] == '#' || (lineno == 1 && strneq(line, "command\t", 8)))
                        continue;

                tab = strchr(line, '\t');
                if (!tab || tab == line) {
                        snprintf(error, error_size,
                                 "\"%s\" line %u: expected \"command<TAB>response\"", path, lineno);
                        res = -EINVAL;
                        break;
                }
                *tab = '\0';
                end = strchr(tab + 1, '\t');
                if (end)
                        *end = '\0';
                if (unescape(tab + 1, bytes, sizeof bytes, &len, &bad) < 0 || len == 0) {
                        snprintf(error, error_size, "\"%s\" line %u: bad response%s%.8s%s", path,
                                 lineno, bad ? " escape near \"" : " (empty)", bad ? bad : "",
                                 bad ? "\"" : "");
                        res = -EINVAL;
                        break;
                }

                e = realloc(r->entries, (r->n_entries + 1) * sizeof *e);
                if (!e) {
                        res = -ENOMEM;
                        break;
                }
                r->entries = e;
                e = &r->entries[r->n_entries];
                e->command = strdup(line);
                e->bytes = malloc(len);
                if (!e->command || !e->bytes) {
                        free(e->command);
                        free(e->bytes);
                        res = -ENOMEM;
                        break;
                }
                memcpy(e->bytes, bytes, len);
                e->len = len;
                r->n_entries++;
        }
        free(line);
        fclose(f);
        if (res < 0)
                return res;
        if (r->n_entries == 0) {
                snprintf(error, error_size, "\"%s\" holds no answers", path);
                return -ENODATA;
        }
        r->next = calloc(r->n_entries, sizeof *r->next);
        if (!r->next)
                return -ENOMEM;
        *ret = r; /* ownership moves to the caller */
        r = NULL;
        return 0;
}

size_t replay_count(const Replay *r)
{
        return r ? r->n_entries : 0;
}

size_t replay_answer(Replay *r, const char *command, uint8_t *buf, size_t size)
{
        size_t first = SIZE_MAX, n = 0, turn;
        ssize_t len;

        for (size_t i = 0; i < r->n_entries; i++)
                if (streq(r->entries[i].command, command)) {
                        if (first == SIZE_MAX)
                                first = i;
                        n++;
                }

        if (first == SIZE_MAX) {
                len = pi30_answer_encode("NAK", 3, false, buf, size);
                return len < 0 ? 0 : (size_t)len;
        }

        turn = r->next[first]++ % n;
        for (size_t i = first; i < r->n_entries; i++)
                if (streq(r->entries[i].command, command) && turn-- == 0) {
                        if (r->entries[i].len > size)
                                return 0;
                        memcpy(buf, r->entries[i].bytes, r->entries[i].len);
                        return r->entries[i].len;
                }
        return 0;
}
