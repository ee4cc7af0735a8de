/* Serving captured answers verbatim from a transcript in corpus.tsv format. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macros.h"

typedef struct Replay Replay;

/* Loads FILE: one "command TAB response [TAB …]" line per answer, responses with C escapes. A
 * header line starting "command\tresponse" and lines starting with '#' are skipped. On a
 * malformed line error names the line and the problem. */
int replay_load(const char *path, Replay **ret, char *error, size_t error_size);
Replay *replay_free(Replay *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Replay *, replay_free)

/* The exact bytes for a command (several answers for one command are served in turn), or an
 * encoded NAK when the transcript does not know the command. Returns the length. */
size_t replay_answer(Replay *r, const char *command, uint8_t *buf, size_t size);
size_t replay_count(const Replay *r);
