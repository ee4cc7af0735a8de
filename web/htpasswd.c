/* htpasswd-style files: user:hash lines, hashes checked with libxcrypt's crypt_rn(). */
#include "htpasswd.h"

#include <crypt.h>
#include <string.h>

static const char *const accepted_prefixes[] = {"$2b$", "$2y$", "$2a$", "$5$", "$6$", "$y$", "$7$"};

static bool hash_accepted(const char *hash)
{
        for (size_t i = 0; i < G_N_ELEMENTS(accepted_prefixes); i++)
                if (g_str_has_prefix(hash, accepted_prefixes[i]))
                        return true;
        return false;
}

GHashTable *htpasswd_parse(const char *text, char **ret_problem)
{
        g_autoptr(GHashTable) users =
                        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (size_t i = 0; lines[i]; i++) {
                char *line = g_strstrip(lines[i]);
                char *colon;

                if (!*line || *line == '#')
                        continue;
                colon = strchr(line, ':');
                if (!colon || colon == line) {
                        *ret_problem = g_strdup_printf("line %zu is not USER:HASH", i + 1);
                        return NULL;
                }
                *colon = '\0';
                if (!g_utf8_validate(line, -1, NULL)) {
                        *ret_problem = g_strdup_printf("line %zu: the user name is not UTF-8",
                                                       i + 1);
                        return NULL;
                }
                if (!hash_accepted(colon + 1)) {
                        *ret_problem = g_strdup_printf(
                                        "line %zu: the hash of '%s' is not bcrypt ($2b$, $2y$), "
                                        "sha-crypt ($5$, $6$) or yescrypt ($y$); make one with "
                                        "'htpasswd -B' or 'mkpasswd -m bcrypt'",
                                        i + 1, line);
                        return NULL;
                }
                if (g_hash_table_contains(users, line)) {
                        *ret_problem = g_strdup_printf("line %zu: user '%s' is listed twice", i + 1,
                                                       line);
                        return NULL;
                }
                g_hash_table_insert(users, g_strdup(line), g_strdup(colon + 1));
        }
        if (g_hash_table_size(users) == 0) {
                *ret_problem = g_strdup("lists no user");
                return NULL;
        }
        return g_steal_pointer(&users);
}

bool htpasswd_verify(const char *hash, const char *password)
{
        struct crypt_data *data = g_new0(struct crypt_data, 1);
        const char *out;
        size_t a, b;
        unsigned diff = 0;
        bool ok = false;

        /* crypt_rn, not crypt_r: it returns NULL on failure instead of a "*0" string, and it is
         * not intercepted by AddressSanitizer (whose crypt_r hook crashes with libxcrypt). */
        out = crypt_rn(password, hash, data, (int)sizeof *data);
        if (out && out[0] != '*') {
                a = strlen(out);
                b = strlen(hash);
                diff = a != b;
                for (size_t i = 0; i < MIN(a, b); i++)
                        diff |= (unsigned)(out[i] ^ hash[i]);
                ok = diff == 0;
        }
        explicit_bzero(data, sizeof *data);
        g_free(data);
        return ok;
}
