/* Helpers shared inside libaxpert-protocol only. */
#pragma once

#include <stddef.h>

/* Zero-padded fixed-point text without printf (locale-free): (57.5, 5, 2) -> "57.50".
 * Returns the length written (NUL-terminated), or -ENOBUFS. */
int pi30_format_fixed(double d, unsigned width, unsigned decimals, char *buf, size_t size);
