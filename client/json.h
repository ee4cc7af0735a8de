/* A small streaming JSON writer for axpertctl's output: proper string escaping, NaN -> null. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

/* Writes one JSON document to f; pretty adds newlines and 2-space indentation. Nesting deeper than
 * JSON_DEPTH_MAX is a programming error (asserted). Every value written inside an object must be
 * preceded by json_key(). The writer never fails: errors of f are the caller's (ferror()). */
typedef struct JsonWriter {
        FILE *f;
        bool pretty;
        unsigned depth;
        bool first[JSON_DEPTH_MAX];
        bool after_key;
} JsonWriter;

void json_init(JsonWriter *w, FILE *f, bool pretty);
void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);
/* NaN and infinities are not JSON numbers: they become null ("unknown" in DBUS-API.md terms). */
void json_double(JsonWriter *w, double d);
void json_int(JsonWriter *w, int64_t i);
void json_uint(JsonWriter *w, uint64_t u);
void json_bool(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
/* Ends the document with a newline. */
void json_finish(JsonWriter *w);
