/* HTTP basic authentication against an htpasswd-style file of crypt(3) hashes. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define HTPASSWD_FILE_MAX (1024 * 1024)

/* Parses "user:hash" lines (empty lines and '#' comments skipped). Accepted hashes are the
 * crypt(3) ones libxcrypt verifies: bcrypt ($2b$, $2y$, $2a$), sha-crypt ($5$, $6$), yescrypt
 * ($y$) and scrypt ($7$). Apache's $apr1$ MD5, {SHA} and plain text are refused. Returns a table
 * user -> hash, or NULL with *ret_problem naming the line. */
GHashTable *htpasswd_parse(const char *text, char **ret_problem);

/* Checks a password against a hash with crypt_rn(); constant-time comparison. */
bool htpasswd_verify(const char *hash, const char *password);
