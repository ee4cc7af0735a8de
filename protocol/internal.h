/* Helpers shared inside libaxpert-protocol only. */
#pragma once

#include <stddef.h>

/* Zero-padded fixed-point text without printf (locale-free): (57.5, 5, 2) -> "57.50".
 * Returns the length written (NUL-terminated), or -ENOBUFS. */
int pi30_format_fixed(double d, unsigned width, unsigned decimals, char *buf, size_t size);

/* Round half away from zero, for the magnitudes PI30 uses (|x| < 2^62); keeps the library off
 * libm (ARCHITECTURE.md: protocol/ uses libc only). */
static inline long long pi30_round(double x)
{
        return x < 0 ? -(long long)(-x + 0.5) : (long long)(x + 0.5);
}

static inline double pi30_fabs(double x)
{
        return x < 0 ? -x : x;
}
