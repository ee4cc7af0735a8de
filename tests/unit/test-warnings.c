/* QPIWS: names, warning/fault classes, the a1 promotion rule, 32 vs 36 bits. */
#include <string.h>

#include "pi30.h"
#include "tests.h"

static size_t active(const char *bits, bool faults, const char **names)
{
        Pi30Value v;
        CHECK_INT(pi30_value_set_bits(&v, bits), 0);
        return pi30_warnings_active(&v, faults, names, 40);
}

static bool has(const char **names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

int main(void)
{
        const char *names[40];
        size_t n;

        /* line fail + overload without a1: both warnings */
        n = active("00000100000000001000000000000000", false, names);
        CHECK_INT(n, 2);
        CHECK(has(names, n, "line-fail") && has(names, n, "overload"));
        CHECK_INT(active("00000100000000001000000000000000", true, names), 0);

        /* a1 set: battery-voltage-high becomes a fault, inverter-fault is one */
        n = active("01000000000100000000000000000000", true, names);
        CHECK_INT(n, 2);
        CHECK(has(names, n, "inverter-fault") && has(names, n, "battery-voltage-high"));
        CHECK_INT(active("01000000000100000000000000000000", false, names), 0);
        /* without a1 the same bit is a warning */
        n = active("00000000000100000000000000000000", false, names);
        CHECK(n == 1 && has(names, n, "battery-voltage-high"));

        /* reserved a0 (PV loss on GK/MK) is not named; a35 only exists in 36-bit answers */
        CHECK_INT(active("100000000000000000000000000000000000", false, names), 0);
        n = active("000000000000000000000000000000000001", false, names);
        CHECK(n == 1 && has(names, n, "battery-equalization"));

        /* every name is lowercase-dashed and unique; bit numbers increase */
        for (size_t i = 0; i < pi30_n_warnings; i++) {
                for (const char *p = pi30_warnings[i].name; *p; p++)
                        CHECK((*p >= 'a' && *p <= 'z') || *p == '-' || (*p >= '0' && *p <= '9'));
                if (i > 0)
                        CHECK(pi30_warnings[i].bit > pi30_warnings[i - 1].bit);
        }
        CHECK_INT(pi30_n_warnings, 29);

        /* all bits set: every condition listed exactly once, as warning or fault */
        const char *w[40], *f[40];
        size_t nw = active("111111111111111111111111111111111111", false, w);
        size_t nf = active("111111111111111111111111111111111111", true, f);
        CHECK_INT(nw + nf, pi30_n_warnings);
        CHECK(has(f, nf, "over-temperature") && has(f, nf, "fan-locked") && has(f, nf, "overload"));

        /* the caller's array bound is respected, the count is still complete */
        CHECK_INT(pi30_warnings_active(NULL, false, names, 40), 0);
        Pi30Value v;
        pi30_value_set_bits(&v, "111111111111111111111111111111111111");
        CHECK_INT(pi30_warnings_active(&v, false, names, 2), nw);
        return tests_finish("test-warnings");
}
