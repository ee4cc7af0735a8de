/* Firmware families: which generation of PI30 firmware answers, told from its answers' shapes. */
#include "pi30.h"

/* A field the answer had, whatever its value: trailing fields a shorter answer lacks and fields
 * never read are ABSENT. */
static bool present(const Pi30Value values[], Pi30Field f)
{
        return values[f].status != PI30_VALUE_ABSENT;
}

Pi30Family pi30_family_detect(const Pi30Value values[])
{
        if (!values)
                return PI30_FAMILY_UNKNOWN;

        /* MAX-2021: QPIRI has 28 fields (max discharging current), QPIGS 24 (feed-to-grid),
         * QPIGS2 the 3-field layout (PV2 without the KS layout's SCC2 battery voltage). The
         * 24-field QPIGS of recent VM IV / PIP-MT firmware is that generation too. */
        if (present(values, PI30_F_MAX_DISCHARGING_CURRENT) ||
            present(values, PI30_F_SOLAR_FEED_TO_GRID_STATUS) ||
            (present(values, PI30_F_PV2_INPUT_POWER) &&
             !present(values, PI30_F_BATTERY_VOLTAGE_FROM_SCC2)))
                return PI30_FAMILY_MAX;

        /* PIP-GK/MK: QPIRI field 27, operation logic. */
        if (present(values, PI30_F_OPERATION_LOGIC))
                return PI30_FAMILY_GKMK;

        /* HS-2014 and KS-2015 firmware: QPIRI of 25 fields, 26 with the C.V. time. */
        if (present(values, PI30_F_PV_POWER_BALANCE))
                return PI30_FAMILY_CLASSIC;

        /* No QPIRI yet (or one too short to be any documented layout). */
        return PI30_FAMILY_UNKNOWN;
}

const char *pi30_family_name(Pi30Family f)
{
        switch (f) {
        case PI30_FAMILY_CLASSIC:
                return "hs-ks";
        case PI30_FAMILY_GKMK:
                return "gk-mk";
        case PI30_FAMILY_MAX:
                return "max";
        default:
                return "unknown";
        }
}
