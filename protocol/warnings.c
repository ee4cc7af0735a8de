/* QPIWS bits -> named warnings and faults, with the "fault only while a1" rule (PI30.md §4.6). */
#include "pi30.h"

enum { WARNING, FAULT, FAULT_IF_A1 };

/* aN = character N+1 of the answer. a0, a13, a15, a30, a32-a34 are reserved or disputed. */
const Pi30Warning pi30_warnings[] = {
        {1, "inverter-fault", FAULT},
        {2, "bus-over", FAULT},
        {3, "bus-under", FAULT},
        {4, "bus-soft-fail", FAULT},
        {5, "line-fail", WARNING},
        {6, "opv-short", WARNING},
        {7, "inverter-voltage-too-low", FAULT},
        {8, "inverter-voltage-too-high", FAULT},
        {9, "over-temperature", FAULT_IF_A1},
        {10, "fan-locked", FAULT_IF_A1},
        {11, "battery-voltage-high", FAULT_IF_A1},
        {12, "battery-low-alarm", WARNING},
        {14, "battery-under-shutdown", WARNING},
        {16, "overload", FAULT_IF_A1},
        {17, "eeprom-fault", WARNING},
        {18, "inverter-over-current", FAULT},
        {19, "inverter-soft-fail", FAULT},
        {20, "self-test-fail", FAULT},
        {21, "op-dc-voltage-over", FAULT},
        {22, "battery-open", FAULT},
        {23, "current-sensor-fail", FAULT},
        {24, "battery-short", FAULT},
        {25, "power-limit", WARNING},
        {26, "pv-voltage-high", WARNING},
        {27, "mppt-overload-fault", WARNING},
        {28, "mppt-overload-warning", WARNING},
        {29, "battery-too-low-to-charge", WARNING},
        {31, "battery-weak", WARNING},
        {35, "battery-equalization", WARNING},
};

const size_t pi30_n_warnings = sizeof pi30_warnings / sizeof pi30_warnings[0];

size_t pi30_warnings_active(const Pi30Value *qpiws, bool faults, const char **ret, size_t max)
{
        size_t n = 0;
        bool a1;

        if (!qpiws || qpiws->status != PI30_VALUE_VALID)
                return 0;
        a1 = qpiws->n > 1 && (qpiws->bits & (UINT64_C(1) << 1));
        for (size_t i = 0; i < pi30_n_warnings; i++) {
                const Pi30Warning *w = &pi30_warnings[i];
                bool is_fault;

                if (w->bit >= qpiws->n || !(qpiws->bits & (UINT64_C(1) << w->bit)))
                        continue;
                is_fault = w->fault == FAULT || (w->fault == FAULT_IF_A1 && a1);
                if (is_fault != faults)
                        continue;
                if (n < max && ret)
                        ret[n] = w->name;
                n++;
        }
        return n;
}
