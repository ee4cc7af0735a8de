/* Minimal assertion helpers for the C unit tests: report every failure, exit non-zero at the end. */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tests_failed;
static int tests_checked;

#define CHECK(expr)                                                                                \
        do {                                                                                       \
                tests_checked++;                                                                   \
                if (!(expr)) {                                                                     \
                        tests_failed++;                                                            \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);   \
                }                                                                                  \
        } while (0)

#define CHECK_MSG(expr, ...)                                                                       \
        do {                                                                                       \
                tests_checked++;                                                                   \
                if (!(expr)) {                                                                     \
                        tests_failed++;                                                            \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #expr);   \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                CHECK_MSG(_a && _b && strcmp(_a, _b) == 0, "\"%s\" != \"%s\"", _a ? _a : "(null)", \
                          _b ? _b : "(null)");                                                     \
        } while (0)

#define CHECK_INT(a, b)                                                                            \
        do {                                                                                       \
                long long _a = (long long)(a), _b = (long long)(b);                                \
                CHECK_MSG(_a == _b, "%lld != %lld", _a, _b);                                       \
        } while (0)

#define CHECK_DOUBLE(a, b)                                                                         \
        do {                                                                                       \
                double _a = (a), _b = (b);                                                         \
                CHECK_MSG(fabs(_a - _b) < 1e-9, "%.10g != %.10g", _a, _b);                         \
        } while (0)

static inline int tests_finish(const char *name)
{
        printf("%s: %d checks, %d failed\n", name, tests_checked, tests_failed);
        return tests_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
