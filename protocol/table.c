/* THE table: every PI30 inquiry command and every field of its answer (PI30.md §3, §4, §6, §7).
 *
 * One row per place a field sits in an answer. Widths are what real firmware prints; ranges
 * reject physically impossible readings (a value outside is "not reported", never shown). Field
 * numbers are 1-based tokens after '(' — answers are split on spaces, never cut at offsets. */
#include <stdio.h>
#include <string.h>

#include "pi30.h"

#define ENUM(n, l, ...)                                                                            \
        static const Pi30EnumEntry n##_entries[] = {__VA_ARGS__};                                  \
        static const Pi30EnumInfo n = {                                                            \
                .letters = (l),                                                                    \
                .n_entries = sizeof n##_entries / sizeof n##_entries[0],                           \
                .entries = n##_entries,                                                            \
        }

ENUM(enum_mode, true, {'P', "power-on"}, {'S', "standby"}, {'L', "line"}, {'B', "battery"},
     {'F', "fault"}, {'H', "power-saving"}, {'D', "shutdown"});
ENUM(enum_battery_type, false, {0, "agm"}, {1, "flooded"}, {2, "user"}, {3, "pylontech"},
     {4, "shinheung"}, {5, "weco"}, {6, "soltaro"}, {7, "bak"}, {8, "lib"}, {9, "lic"});
ENUM(enum_input_voltage_range, false, {0, "appliance"}, {1, "ups"});
ENUM(enum_output_source_priority, false, {0, "utility-first"}, {1, "solar-first"}, {2, "sbu"});
ENUM(enum_charger_source_priority, false, {0, "utility-first"}, {1, "solar-first"},
     {2, "solar-and-utility"}, {3, "solar-only"});
ENUM(enum_machine_type, false, {0, "grid-tie"}, {1, "off-grid"}, {10, "hybrid"});
ENUM(enum_topology, false, {0, "transformerless"}, {1, "transformer"});
ENUM(enum_output_mode, false, {0, "single"}, {1, "parallel"}, {2, "phase1-of-3"},
     {3, "phase2-of-3"}, {4, "phase3-of-3"}, {5, "phase1-of-2"}, {6, "phase2-of-2-120"},
     {7, "phase2-of-2-180"});
ENUM(enum_pv_ok_condition, false, {0, "any-unit"}, {1, "all-units"});
ENUM(enum_pv_power_balance, false, {0, "max-current"}, {1, "max-power"});
ENUM(enum_operation_logic, false, {0, "automatic"}, {1, "on-line"}, {2, "eco"});
ENUM(enum_battery_status, false, {0, "normal"}, {1, "under"}, {2, "open"});

#define ROW(cmd, lay, tok, fld, knd, nm, un, w, dec, mn, mx, en, exp, desc)                        \
        {                                                                                          \
                .id = (fld), .command = (cmd), .layout = (lay), .token = (tok), .bit = -1,         \
                .bit_count = 0, .kind = (knd), .name = (nm), .unit = (un), .width = (w),           \
                .decimals = (dec), .min = (mn), .max = (mx), .enums = (en), .export_to = (exp),    \
                .description = (desc)                                                              \
        }
#define BIT(cmd, tok, b, cnt, fld, knd, nm, en, exp, desc)                                         \
        {                                                                                          \
                .id = (fld), .command = (cmd), .token = (tok), .bit = (b), .bit_count = (cnt),     \
                .kind = (knd), .name = (nm), .unit = "", .width = (cnt), .min = 0,                 \
                .max = (1 << (cnt)) - 1, .enums = (en), .export_to = (exp), .description = (desc)  \
        }
/* a bit slice in answer layout 1 */
#define BIT1(cmd, tok, b, cnt, fld, knd, nm, en, exp, desc)                                        \
        {                                                                                          \
                .id = (fld), .command = (cmd), .layout = 1, .token = (tok), .bit = (b),            \
                .bit_count = (cnt), .kind = (knd), .name = (nm), .unit = "", .width = (cnt),       \
                .min = 0, .max = (1 << (cnt)) - 1, .enums = (en), .export_to = (exp),              \
                .description = (desc)                                                              \
        }
#define FLAG(l, fld, nm, exp, desc)                                                                \
        {                                                                                          \
                .id = (fld), .command = PI30_CMD_QFLAG, .bit = -1, .letter = (l),                  \
                .kind = PI30_KIND_BOOL, .name = (nm), .unit = "", .width = 1, .max = 1,            \
                .export_to = (exp), .description = (desc)                                          \
        }

#define INV PI30_EXPORT_INVERTER
#define UNIT PI30_EXPORT_UNIT
#define NONE PI30_EXPORT_NONE
#define NUMBER PI30_KIND_NUMBER
#define UINT PI30_KIND_UINT
#define BOOL PI30_KIND_BOOL
#define ENUMK PI30_KIND_ENUM
#define BITS PI30_KIND_BITS
#define STRING PI30_KIND_STRING
#define LIST PI30_KIND_LIST

/* QPIGS, 21 fields (24 on MAX firmware):
 * (000.0 00.0 230.0 49.9 0161 0119 003 460 57.50 012 100 0069 0014 103.8 57.45 00000 00110110 00 00 00856 010
 *   1     2    3     4    5    6    7   8   9     10  11  12   13   14    15    16    17       18 19 20    21 */
#define QPIGS PI30_CMD_QPIGS
/* QPIRI, 25-28 fields:
 * (230.0 21.7 230.0 50.0 21.7 5000 4000 48.0 46.0 42.0 56.4 54.0 0 10 010 1 0 0 6 01 0 0 54.0 0 1 480 0 070
 *   1     2    3     4    5    6    7    8    9    10   11   12   13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 */
#define QPIRI PI30_CMD_QPIRI
/* QPGSn, 27 fields (29 on MAX):
 * (1 92931701100510 B 00 000.0 00.00 230.6 50.00 0275 0141 005 51.4 001 100 083.3 002 00574 00312 003 10100110 1 2 060 120 10 04 000 275.3 02
 *  1  2             3 4  5     6     7     8     9    10   11  12   13  14  15    16  17    18    19  20       21 22 23 24 25 26 27 28 29 */
#define QPGS PI30_CMD_QPGS
/* QDI, 25-27 fields:
 * (230.0 50.0 0030 42.0 54.0 56.4 46.0 60 0 0 2 0 0 0 0 0 1 1 0 0 1 0 54.0 0 1 000
 *   1     2    3    4    5    6    7    8  9 10 ...                 22 23  24 25 26 */
#define QDI PI30_CMD_QDI

const Pi30FieldInfo pi30_fields[] = {
        /* identity: whole-payload answers */
        ROW(PI30_CMD_QPI, 0, 0, PI30_F_PROTOCOL_ID, STRING, "ProtocolId", "", 4, 0, 0, 0, NULL, INV,
            "protocol id, PI30"),
        ROW(PI30_CMD_QID, 0, 0, PI30_F_SERIAL_NUMBER, STRING, "SerialNumber", "", 14, 0, 0, 0, NULL,
            INV, "serial number"),
        ROW(PI30_CMD_QSID, 0, 0, PI30_F_SERIAL_NUMBER_SID, STRING, "SerialNumberSid", "", 22, 0, 0, 0,
            NULL, NONE, "serial number with length prefix (NN + 20 characters)"),
        ROW(PI30_CMD_QVFW, 0, 0, PI30_F_FIRMWARE_VERSION, STRING, "FirmwareVersion", "", 8, 0, 0, 0,
            NULL, INV, "main CPU firmware (VERFW:)"),
        ROW(PI30_CMD_QVFW2, 0, 0, PI30_F_FIRMWARE_VERSION2, STRING, "FirmwareVersion2", "", 8, 0, 0,
            0, NULL, INV, "second CPU / SCC1 firmware (VERFW2:)"),
        ROW(PI30_CMD_QVFW3, 0, 0, PI30_F_FIRMWARE_VERSION3, STRING, "FirmwareVersion3", "", 8, 0, 0,
            0, NULL, NONE, "SCC2 or remote-panel firmware (VERFW3:)"),
        ROW(PI30_CMD_QMN, 0, 0, PI30_F_MODEL_NAME, STRING, "ModelName", "", 0, 0, 0, 0, NULL, INV,
            "model name"),
        ROW(PI30_CMD_QGMN, 0, 0, PI30_F_GENERAL_MODEL_NUMBER, STRING, "GeneralModelNumber", "", 3, 0,
            0, 0, NULL, NONE, "general model number"),
        ROW(PI30_CMD_QBOOT, 0, 0, PI30_F_HAS_BOOTLOADER, BOOL, "HasBootloader", "", 1, 0, 0, 1, NULL,
            NONE, "DSP has a boot-loader"),
        ROW(PI30_CMD_QOPM, 0, 0, PI30_F_QOPM_OUTPUT_MODE, ENUMK, "OutputModeQopm", "", 2, 0, 0, 99,
            &enum_output_mode, NONE, "output mode (QOPM)"),
        ROW(PI30_CMD_QT, 0, 0, PI30_F_DEVICE_TIME, STRING, "DeviceTime", "", 14, 0, 0, 0, NULL, INV,
            "inverter clock, YYYYMMDDHHMMSS"),
        /* The energy counters (MAX): eight digits of Wh. QED/QLD are polled for the inverter's
         * today, hence the names. */
        ROW(PI30_CMD_QET, 0, 0, PI30_F_PV_ENERGY_TOTAL, NUMBER, "PvEnergyTotal", "Wh", 8, 0, 0,
            99999999, NULL, INV, "total PV energy"),
        ROW(PI30_CMD_QEY, 0, 0, PI30_F_PV_ENERGY_YEAR, NUMBER, "PvEnergyYear", "Wh", 8, 0, 0,
            99999999, NULL, NONE, "PV energy of a year"),
        ROW(PI30_CMD_QEM, 0, 0, PI30_F_PV_ENERGY_MONTH, NUMBER, "PvEnergyMonth", "Wh", 8, 0, 0,
            99999999, NULL, NONE, "PV energy of a month"),
        ROW(PI30_CMD_QED, 0, 0, PI30_F_PV_ENERGY_DAY, NUMBER, "PvEnergyToday", "Wh", 8, 0, 0,
            99999999, NULL, INV, "PV energy of the day asked (the inverter's today)"),
        ROW(PI30_CMD_QLT, 0, 0, PI30_F_LOAD_ENERGY_TOTAL, NUMBER, "LoadEnergyTotal", "Wh", 8, 0, 0,
            99999999, NULL, INV, "total output load energy"),
        ROW(PI30_CMD_QLY, 0, 0, PI30_F_LOAD_ENERGY_YEAR, NUMBER, "LoadEnergyYear", "Wh", 8, 0, 0,
            99999999, NULL, NONE, "output load energy of a year"),
        ROW(PI30_CMD_QLM, 0, 0, PI30_F_LOAD_ENERGY_MONTH, NUMBER, "LoadEnergyMonth", "Wh", 8, 0, 0,
            99999999, NULL, NONE, "output load energy of a month"),
        ROW(PI30_CMD_QLD, 0, 0, PI30_F_LOAD_ENERGY_DAY, NUMBER, "LoadEnergyToday", "Wh", 8, 0, 0,
            99999999, NULL, INV, "output load energy of the day asked (the inverter's today)"),

        /* QPIGS */
        ROW(QPIGS, 0, 1, PI30_F_GRID_VOLTAGE, NUMBER, "GridVoltage", "V", 5, 1, 0, 999.9, NULL, INV,
            "grid (AC input) voltage"),
        ROW(QPIGS, 0, 2, PI30_F_GRID_FREQUENCY, NUMBER, "GridFrequency", "Hz", 4, 1, 0, 99.99, NULL,
            INV, "grid frequency"),
        ROW(QPIGS, 0, 3, PI30_F_AC_OUTPUT_VOLTAGE, NUMBER, "AcOutputVoltage", "V", 5, 1, 0, 999.9,
            NULL, INV, "AC output voltage"),
        ROW(QPIGS, 0, 4, PI30_F_AC_OUTPUT_FREQUENCY, NUMBER, "AcOutputFrequency", "Hz", 4, 1, 0,
            99.99, NULL, INV, "AC output frequency"),
        ROW(QPIGS, 0, 5, PI30_F_AC_OUTPUT_APPARENT_POWER, NUMBER, "AcOutputApparentPower", "VA", 4,
            0, 0, 99999, NULL, INV, "AC output apparent power"),
        ROW(QPIGS, 0, 6, PI30_F_AC_OUTPUT_ACTIVE_POWER, NUMBER, "AcOutputActivePower", "W", 4, 0, 0,
            99999, NULL, INV, "AC output active power"),
        ROW(QPIGS, 0, 7, PI30_F_AC_OUTPUT_LOAD_PERCENT, NUMBER, "AcOutputLoadPercent", "%", 3, 0, 0,
            999, NULL, INV, "output load, the larger of W% and VA%"),
        ROW(QPIGS, 0, 8, PI30_F_BUS_VOLTAGE, NUMBER, "BusVoltage", "V", 3, 0, 0, 999, NULL, INV,
            "DC bus voltage"),
        ROW(QPIGS, 0, 9, PI30_F_BATTERY_VOLTAGE, NUMBER, "BatteryVoltage", "V", 5, 2, 0, 99.99, NULL,
            INV, "battery voltage"),
        ROW(QPIGS, 0, 10, PI30_F_BATTERY_CHARGING_CURRENT, NUMBER, "BatteryChargingCurrent", "A", 3,
            0, 0, 999, NULL, INV, "battery charging current"),
        ROW(QPIGS, 0, 11, PI30_F_BATTERY_CAPACITY, NUMBER, "BatteryCapacity", "%", 3, 0, 0, 100,
            NULL, INV, "battery capacity"),
        ROW(QPIGS, 0, 12, PI30_F_HEATSINK_TEMPERATURE, NUMBER, "HeatsinkTemperature", "°C", 4, 0,
            -99, 9999, NULL, INV,
            "inverter heat-sink temperature (a raw NTC count on some 1-3 kVA units)"),
        ROW(QPIGS, 0, 13, PI30_F_PV_INPUT_CURRENT, NUMBER, "PvInputCurrent", "A", 4, 1, 0, 9999,
            NULL, INV, "PV1 input current for battery (NNNN or NN.N)"),
        ROW(QPIGS, 0, 14, PI30_F_PV_INPUT_VOLTAGE, NUMBER, "PvInputVoltage", "V", 5, 1, 0, 999.9,
            NULL, INV, "PV1 input voltage"),
        ROW(QPIGS, 0, 15, PI30_F_BATTERY_VOLTAGE_FROM_SCC, NUMBER, "BatteryVoltageFromScc", "V", 5,
            2, 0, 99.99, NULL, INV, "battery voltage measured by SCC1"),
        ROW(QPIGS, 0, 16, PI30_F_BATTERY_DISCHARGE_CURRENT, NUMBER, "BatteryDischargeCurrent", "A",
            5, 0, 0, 99999, NULL, INV, "battery discharge current"),
        ROW(QPIGS, 0, 17, PI30_F_DEVICE_STATUS, BITS, "DeviceStatus", "", 8, 0, 0, 0, NULL, INV,
            "device status bits b7..b0 as sent"),
        BIT(QPIGS, 17, 0, 1, PI30_F_SBU_PRIORITY_VERSION, BOOL, "SbuPriorityVersion", NULL, INV,
            "b7: SBU priority version added"),
        BIT(QPIGS, 17, 1, 1, PI30_F_CONFIGURATION_CHANGED, BOOL, "ConfigurationChanged", NULL, INV,
            "b6: configuration changed"),
        BIT(QPIGS, 17, 2, 1, PI30_F_SCC_FIRMWARE_UPDATED, BOOL, "SccFirmwareUpdated", NULL, INV,
            "b5: SCC firmware updated"),
        BIT(QPIGS, 17, 3, 1, PI30_F_LOAD_ON, BOOL, "LoadOn", NULL, INV, "b4: load on"),
        BIT(QPIGS, 17, 4, 1, PI30_F_BATTERY_VOLTAGE_STEADY, BOOL, "BatteryVoltageSteady", NULL, INV,
            "b3: battery voltage steady while charging"),
        BIT(QPIGS, 17, 5, 1, PI30_F_CHARGING, BOOL, "Charging", NULL, INV, "b2: charging"),
        BIT(QPIGS, 17, 6, 1, PI30_F_SCC_CHARGING, BOOL, "SccCharging", NULL, INV,
            "b1: SCC (solar) charging"),
        BIT(QPIGS, 17, 7, 1, PI30_F_AC_CHARGING, BOOL, "AcCharging", NULL, INV,
            "b0: AC (utility) charging"),
        ROW(QPIGS, 0, 18, PI30_F_BATTERY_VOLTAGE_OFFSET_FOR_FANS, NUMBER,
            "BatteryVoltageOffsetForFans", "10mV", 2, 0, 0, 99, NULL, INV,
            "battery voltage offset for fans on"),
        ROW(QPIGS, 0, 19, PI30_F_EEPROM_VERSION, UINT, "EepromVersion", "", 2, 0, 0, 99, NULL, INV,
            "EEPROM version"),
        ROW(QPIGS, 0, 20, PI30_F_PV_CHARGING_POWER, NUMBER, "PvChargingPower", "W", 5, 0, 0, 99999,
            NULL, NONE, "PV1 charging power"),
        ROW(QPIGS, 0, 21, PI30_F_DEVICE_STATUS2, BITS, "DeviceStatus2", "", 3, 0, 0, 0, NULL, INV,
            "device status bits b10..b8 as sent"),
        BIT(QPIGS, 21, 0, 1, PI30_F_CHARGING_TO_FLOAT, BOOL, "ChargingToFloat", NULL, INV,
            "b10: charging in float mode"),
        BIT(QPIGS, 21, 1, 1, PI30_F_SWITCHED_ON, BOOL, "SwitchedOn", NULL, INV, "b9: switched on"),
        BIT(QPIGS, 21, 2, 1, PI30_F_DUSTPROOF_INSTALLED, BOOL, "DustproofInstalled", NULL, NONE,
            "b8: dust-proof kit installed (reserved on KS-2015)"),
        ROW(QPIGS, 0, 22, PI30_F_SOLAR_FEED_TO_GRID_STATUS, UINT, "SolarFeedToGridStatus", "", 1, 0,
            0, 9, NULL, NONE, "solar feed-to-grid status (MAX, reserved)"),
        ROW(QPIGS, 0, 23, PI30_F_COUNTRY_REGULATION, UINT, "CountryRegulation", "", 2, 0, 0, 99,
            NULL, NONE, "country regulation (MAX, reserved)"),
        ROW(QPIGS, 0, 24, PI30_F_SOLAR_FEED_TO_GRID_POWER, NUMBER, "SolarFeedToGridPower", "W", 4,
            0, 0, 99999, NULL, NONE, "solar feed-to-grid power (MAX, reserved)"),

        /* QPIGS2 layout 0, MAX-2021: (03.1 327.3 01026 <- note the trailing space */
        ROW(PI30_CMD_QPIGS2, 0, 1, PI30_F_PV2_INPUT_CURRENT, NUMBER, "Pv2InputCurrent", "A", 4, 1,
            0, 9999, NULL, INV, "PV2 input current"),
        ROW(PI30_CMD_QPIGS2, 0, 2, PI30_F_PV2_INPUT_VOLTAGE, NUMBER, "Pv2InputVoltage", "V", 5, 1,
            0, 999.9, NULL, INV, "PV2 input voltage"),
        ROW(PI30_CMD_QPIGS2, 0, 3, PI30_F_PV2_INPUT_POWER, NUMBER, "Pv2InputPower", "W", 5, 0, 0,
            99999, NULL, INV, "PV2 charging power"),
        /* QPIGS2 layout 1, KS-2015 three-tracker units, 12 fields */
        ROW(PI30_CMD_QPIGS2, 1, 1, PI30_F_PV2_INPUT_CURRENT, NUMBER, "Pv2InputCurrent", "A", 4, 0,
            0, 9999, NULL, INV, "PV2 input current"),
        ROW(PI30_CMD_QPIGS2, 1, 2, PI30_F_PV2_INPUT_VOLTAGE, NUMBER, "Pv2InputVoltage", "V", 5, 1,
            0, 999.9, NULL, INV, "PV2 input voltage"),
        ROW(PI30_CMD_QPIGS2, 1, 3, PI30_F_BATTERY_VOLTAGE_FROM_SCC2, NUMBER,
            "BatteryVoltageFromScc2", "V", 5, 2, 0, 99.99, NULL, NONE, "battery voltage from SCC2"),
        ROW(PI30_CMD_QPIGS2, 1, 4, PI30_F_PV2_INPUT_POWER, NUMBER, "Pv2InputPower", "W", 5, 0, 0,
            99999, NULL, INV, "PV2 charging power"),
        ROW(PI30_CMD_QPIGS2, 1, 5, PI30_F_SCC_STATUS2, BITS, "SccStatus2", "", 8, 0, 0, 0, NULL,
            NONE, "status bits b24..b31"),
        BIT1(PI30_CMD_QPIGS2, 5, 0, 1, PI30_F_SCC2_CHARGING, BOOL, "Scc2Charging", NULL, NONE,
             "b24: SCC2 charging"),
        BIT1(PI30_CMD_QPIGS2, 5, 1, 1, PI30_F_SCC3_CHARGING, BOOL, "Scc3Charging", NULL, NONE,
             "b25: SCC3 charging"),
        ROW(PI30_CMD_QPIGS2, 1, 6, PI30_F_AC_CHARGING_CURRENT, NUMBER, "AcChargingCurrent", "A", 4,
            0, 0, 9999, NULL, NONE, "AC charging current"),
        ROW(PI30_CMD_QPIGS2, 1, 7, PI30_F_AC_CHARGING_POWER, NUMBER, "AcChargingPower", "W", 4, 0,
            0, 99999, NULL, NONE, "AC charging power"),
        ROW(PI30_CMD_QPIGS2, 1, 8, PI30_F_PV3_INPUT_CURRENT, NUMBER, "Pv3InputCurrent", "A", 4, 0,
            0, 9999, NULL, NONE, "PV3 input current"),
        ROW(PI30_CMD_QPIGS2, 1, 9, PI30_F_PV3_INPUT_VOLTAGE, NUMBER, "Pv3InputVoltage", "V", 5, 1,
            0, 999.9, NULL, NONE, "PV3 input voltage"),
        ROW(PI30_CMD_QPIGS2, 1, 10, PI30_F_BATTERY_VOLTAGE_FROM_SCC3, NUMBER,
            "BatteryVoltageFromScc3", "V", 5, 2, 0, 99.99, NULL, NONE, "battery voltage from SCC3"),
        ROW(PI30_CMD_QPIGS2, 1, 11, PI30_F_PV3_INPUT_POWER, NUMBER, "Pv3InputPower", "W", 5, 0, 0,
            99999, NULL, NONE, "PV3 charging power"),
        ROW(PI30_CMD_QPIGS2, 1, 12, PI30_F_PV_TOTAL_CHARGING_POWER, NUMBER, "PvTotalChargingPower",
            "W", 5, 0, 0, 99999, NULL, NONE, "total PV charging power"),

        /* QMOD, QPIWS */
        ROW(PI30_CMD_QMOD, 0, 0, PI30_F_MODE, ENUMK, "Mode", "", 1, 0, 0, 0, &enum_mode, INV,
            "operating mode"),
        ROW(PI30_CMD_QPIWS, 0, 0, PI30_F_WARNING_STATUS, BITS, "WarningStatus", "", 36, 0, 0, 0,
            NULL, NONE, "QPIWS bits a0..a35 as sent (32, 36 or 38 characters)"),

        /* QPIRI */
        ROW(QPIRI, 0, 1, PI30_F_GRID_RATING_VOLTAGE, NUMBER, "GridRatingVoltage", "V", 5, 1, 0,
            999.9, NULL, INV, "grid rating voltage"),
        ROW(QPIRI, 0, 2, PI30_F_GRID_RATING_CURRENT, NUMBER, "GridRatingCurrent", "A", 4, 1, 0,
            999.9, NULL, INV, "grid rating current"),
        ROW(QPIRI, 0, 3, PI30_F_AC_OUTPUT_RATING_VOLTAGE, NUMBER, "AcOutputRatingVoltage", "V", 5, 1,
            0, 999.9, NULL, INV, "AC output rating voltage"),
        ROW(QPIRI, 0, 4, PI30_F_AC_OUTPUT_RATING_FREQUENCY, NUMBER, "AcOutputRatingFrequency", "Hz",
            4, 1, 0, 99.9, NULL, INV, "AC output rating frequency"),
        ROW(QPIRI, 0, 5, PI30_F_AC_OUTPUT_RATING_CURRENT, NUMBER, "AcOutputRatingCurrent", "A", 4, 1,
            0, 999.9, NULL, INV, "AC output rating current"),
        ROW(QPIRI, 0, 6, PI30_F_AC_OUTPUT_RATING_APPARENT_POWER, NUMBER,
            "AcOutputRatingApparentPower", "VA", 4, 0, 0, 99999, NULL, INV,
            "AC output rating apparent power"),
        ROW(QPIRI, 0, 7, PI30_F_AC_OUTPUT_RATING_ACTIVE_POWER, NUMBER, "AcOutputRatingActivePower",
            "W", 4, 0, 0, 99999, NULL, INV, "AC output rating active power"),
        ROW(QPIRI, 0, 8, PI30_F_BATTERY_RATING_VOLTAGE, NUMBER, "BatteryRatingVoltage", "V", 4, 1, 0,
            99.9, NULL, INV, "battery rating voltage (12, 24 or 48 V)"),
        ROW(QPIRI, 0, 9, PI30_F_BATTERY_RECHARGE_VOLTAGE, NUMBER, "BatteryRechargeVoltage", "V", 4,
            1, 0, 99.9, NULL, INV, "battery re-charge ('back to grid') voltage"),
        ROW(QPIRI, 0, 10, PI30_F_BATTERY_UNDER_VOLTAGE, NUMBER, "BatteryUnderVoltage", "V", 4, 1, 0,
            99.9, NULL, INV, "battery under (cut-off) voltage"),
        ROW(QPIRI, 0, 11, PI30_F_BATTERY_BULK_VOLTAGE, NUMBER, "BatteryBulkVoltage", "V", 4, 1, 0,
            99.9, NULL, INV, "battery bulk (C.V.) voltage"),
        ROW(QPIRI, 0, 12, PI30_F_BATTERY_FLOAT_VOLTAGE, NUMBER, "BatteryFloatVoltage", "V", 4, 1, 0,
            99.9, NULL, INV, "battery float voltage"),
        ROW(QPIRI, 0, 13, PI30_F_BATTERY_TYPE, ENUMK, "BatteryType", "", 1, 0, 0, 9,
            &enum_battery_type, INV, "battery type"),
        ROW(QPIRI, 0, 14, PI30_F_MAX_AC_CHARGING_CURRENT, NUMBER, "MaxAcChargingCurrent", "A", 2, 0,
            0, 999, NULL, INV, "max AC (utility) charging current (2 or 3 digits)"),
        ROW(QPIRI, 0, 15, PI30_F_MAX_CHARGING_CURRENT, NUMBER, "MaxChargingCurrent", "A", 3, 0, 0,
            999, NULL, INV, "max charging current (3 digits, 2 on some 24 V units)"),
        ROW(QPIRI, 0, 16, PI30_F_INPUT_VOLTAGE_RANGE, ENUMK, "InputVoltageRange", "", 1, 0, 0, 9,
            &enum_input_voltage_range, INV, "AC input voltage range"),
        ROW(QPIRI, 0, 17, PI30_F_OUTPUT_SOURCE_PRIORITY, ENUMK, "OutputSourcePriority", "", 1, 0, 0,
            9, &enum_output_source_priority, INV, "output source priority"),
        ROW(QPIRI, 0, 18, PI30_F_CHARGER_SOURCE_PRIORITY, ENUMK, "ChargerSourcePriority", "", 1, 0,
            0, 9, &enum_charger_source_priority, INV, "charger source priority"),
        ROW(QPIRI, 0, 19, PI30_F_PARALLEL_MAX_UNITS, UINT, "ParallelMaxUnits", "", 1, 0, 0, 99, NULL,
            INV, "parallel max number ('-' when parallel is not supported)"),
        ROW(QPIRI, 0, 20, PI30_F_MACHINE_TYPE, ENUMK, "MachineType", "", 2, 0, 0, 99,
            &enum_machine_type, INV, "machine type"),
        ROW(QPIRI, 0, 21, PI30_F_TOPOLOGY, ENUMK, "Topology", "", 1, 0, 0, 9, &enum_topology, INV,
            "topology"),
        ROW(QPIRI, 0, 22, PI30_F_OUTPUT_MODE, ENUMK, "OutputMode", "", 1, 0, 0, 9, &enum_output_mode,
            INV, "output mode"),
        ROW(QPIRI, 0, 23, PI30_F_BATTERY_REDISCHARGE_VOLTAGE, NUMBER, "BatteryRedischargeVoltage",
            "V", 4, 1, 0, 99.9, NULL, INV, "battery re-discharge voltage (0 = when full)"),
        ROW(QPIRI, 0, 24, PI30_F_PV_OK_CONDITION, ENUMK, "PvOkCondition", "", 1, 0, 0, 9,
            &enum_pv_ok_condition, INV, "PV OK condition for parallel systems"),
        ROW(QPIRI, 0, 25, PI30_F_PV_POWER_BALANCE, ENUMK, "PvPowerBalance", "", 1, 0, 0, 9,
            &enum_pv_power_balance, INV, "PV power balance"),
        ROW(QPIRI, 0, 26, PI30_F_MAX_CHARGING_TIME_AT_CV, NUMBER, "MaxChargingTimeAtCv", "min", 3, 0,
            0, 999, NULL, INV, "max charging time at C.V. stage (0 = automatic)"),
        ROW(QPIRI, 0, 27, PI30_F_OPERATION_LOGIC, ENUMK, "OperationLogic", "", 1, 0, 0, 9,
            &enum_operation_logic, INV, "operation logic"),
        ROW(QPIRI, 0, 28, PI30_F_MAX_DISCHARGING_CURRENT, NUMBER, "MaxDischargingCurrent", "A", 3, 0,
            0, 999, NULL, INV, "max discharging current (0 = disabled)"),

        /* QFLAG: (EakxyDbjuvz */
        FLAG('a', PI30_F_FLAG_BUZZER, "BuzzerEnabled", INV, "buzzer"),
        FLAG('b', PI30_F_FLAG_OVERLOAD_BYPASS, "OverloadBypassEnabled", INV, "overload bypass"),
        FLAG('d', PI30_F_FLAG_SOLAR_FEED_TO_GRID, "SolarFeedToGridEnabled", NONE,
             "solar feed to grid (MAX, reserved)"),
        FLAG('j', PI30_F_FLAG_POWER_SAVING, "PowerSavingEnabled", INV, "power saving"),
        FLAG('k', PI30_F_FLAG_LCD_RETURN_TO_DEFAULT, "LcdReturnToDefaultEnabled", INV,
             "LCD returns to the default page after 1 min"),
        FLAG('l', PI30_F_FLAG_DATA_LOG_POPUP, "DataLogPopupEnabled", NONE,
             "data-log pop-up (KS-2015)"),
        FLAG('u', PI30_F_FLAG_OVERLOAD_RESTART, "OverloadRestartEnabled", INV, "overload restart"),
        FLAG('v', PI30_F_FLAG_OVER_TEMPERATURE_RESTART, "OverTemperatureRestartEnabled", INV,
             "over-temperature restart"),
        FLAG('x', PI30_F_FLAG_BACKLIGHT, "BacklightEnabled", INV, "LCD backlight"),
        FLAG('y', PI30_F_FLAG_PRIMARY_SOURCE_INTERRUPT_ALARM, "PrimarySourceInterruptAlarmEnabled",
             INV, "alarm when the primary source is interrupted"),
        FLAG('z', PI30_F_FLAG_FAULT_CODE_RECORD, "FaultCodeRecordEnabled", INV, "fault code record"),

        /* QMCHGCR, QMUCHGCR: (010 020 030 … */
        ROW(PI30_CMD_QMCHGCR, 0, 0, PI30_F_CHARGING_CURRENT_OPTIONS, LIST, "ChargingCurrentOptions",
            "A", 3, 0, 0, 999, NULL, INV, "max charging current values the inverter accepts"),
        ROW(PI30_CMD_QMUCHGCR, 0, 0, PI30_F_AC_CHARGING_CURRENT_OPTIONS, LIST,
            "AcChargingCurrentOptions", "A", 3, 0, 0, 999, NULL, INV,
            "max AC charging current values the inverter accepts"),

        /* QDI: factory defaults */
        ROW(QDI, 0, 1, PI30_F_DEFAULT_AC_OUTPUT_VOLTAGE, NUMBER, "DefaultAcOutputVoltage", "V", 5, 1,
            0, 999.9, NULL, NONE, "default AC output voltage"),
        ROW(QDI, 0, 2, PI30_F_DEFAULT_AC_OUTPUT_FREQUENCY, NUMBER, "DefaultAcOutputFrequency", "Hz",
            4, 1, 0, 99.9, NULL, NONE, "default AC output frequency"),
        ROW(QDI, 0, 3, PI30_F_DEFAULT_MAX_AC_CHARGING_CURRENT, NUMBER, "DefaultMaxAcChargingCurrent",
            "A", 4, 0, 0, 9999, NULL, NONE,
            "default max AC charging current (max charging current on Plus Duo units)"),
        ROW(QDI, 0, 4, PI30_F_DEFAULT_BATTERY_UNDER_VOLTAGE, NUMBER, "DefaultBatteryUnderVoltage",
            "V", 4, 1, 0, 99.9, NULL, NONE, "default battery under voltage"),
        ROW(QDI, 0, 5, PI30_F_DEFAULT_BATTERY_FLOAT_VOLTAGE, NUMBER, "DefaultBatteryFloatVoltage",
            "V", 4, 1, 0, 99.9, NULL, NONE, "default float voltage"),
        ROW(QDI, 0, 6, PI30_F_DEFAULT_BATTERY_BULK_VOLTAGE, NUMBER, "DefaultBatteryBulkVoltage", "V",
            4, 1, 0, 99.9, NULL, NONE, "default bulk voltage"),
        ROW(QDI, 0, 7, PI30_F_DEFAULT_BATTERY_RECHARGE_VOLTAGE, NUMBER,
            "DefaultBatteryRechargeVoltage", "V", 4, 1, 0, 99.9, NULL, NONE,
            "default re-charge voltage"),
        ROW(QDI, 0, 8, PI30_F_DEFAULT_MAX_CHARGING_CURRENT, NUMBER, "DefaultMaxChargingCurrent", "A",
            2, 0, 0, 999, NULL, NONE,
            "default max charging current (max AC charging current on Plus Duo units)"),
        ROW(QDI, 0, 9, PI30_F_DEFAULT_INPUT_VOLTAGE_RANGE, ENUMK, "DefaultInputVoltageRange", "", 1,
            0, 0, 9, &enum_input_voltage_range, NONE, "default input voltage range"),
        ROW(QDI, 0, 10, PI30_F_DEFAULT_OUTPUT_SOURCE_PRIORITY, ENUMK,
            "DefaultOutputSourcePriority", "", 1, 0, 0, 9, &enum_output_source_priority, NONE,
            "default output source priority"),
        ROW(QDI, 0, 11, PI30_F_DEFAULT_CHARGER_SOURCE_PRIORITY, ENUMK,
            "DefaultChargerSourcePriority", "", 1, 0, 0, 9, &enum_charger_source_priority, NONE,
            "default charger source priority"),
        ROW(QDI, 0, 12, PI30_F_DEFAULT_BATTERY_TYPE, ENUMK, "DefaultBatteryType", "", 1, 0, 0, 9,
            &enum_battery_type, NONE, "default battery type"),
        ROW(QDI, 0, 13, PI30_F_DEFAULT_BUZZER, BOOL, "DefaultBuzzer", "", 1, 0, 0, 1, NULL, NONE,
            "default buzzer setting (0 = buzzer on)"),
        ROW(QDI, 0, 14, PI30_F_DEFAULT_POWER_SAVING, BOOL, "DefaultPowerSaving", "", 1, 0, 0, 1,
            NULL, NONE, "default power saving"),
        ROW(QDI, 0, 15, PI30_F_DEFAULT_OVERLOAD_RESTART, BOOL, "DefaultOverloadRestart", "", 1, 0, 0,
            1, NULL, NONE, "default overload restart"),
        ROW(QDI, 0, 16, PI30_F_DEFAULT_OVER_TEMPERATURE_RESTART, BOOL,
            "DefaultOverTemperatureRestart", "", 1, 0, 0, 1, NULL, NONE,
            "default over-temperature restart"),
        ROW(QDI, 0, 17, PI30_F_DEFAULT_BACKLIGHT, BOOL, "DefaultBacklight", "", 1, 0, 0, 1, NULL,
            NONE, "default LCD backlight"),
        ROW(QDI, 0, 18, PI30_F_DEFAULT_PRIMARY_SOURCE_INTERRUPT_ALARM, BOOL,
            "DefaultPrimarySourceInterruptAlarm", "", 1, 0, 0, 1, NULL, NONE,
            "default alarm on source interrupt"),
        ROW(QDI, 0, 19, PI30_F_DEFAULT_FAULT_CODE_RECORD, BOOL, "DefaultFaultCodeRecord", "", 1, 0,
            0, 1, NULL, NONE, "default fault code record"),
        ROW(QDI, 0, 20, PI30_F_DEFAULT_OVERLOAD_BYPASS, BOOL, "DefaultOverloadBypass", "", 1, 0, 0,
            1, NULL, NONE, "default overload bypass"),
        ROW(QDI, 0, 21, PI30_F_DEFAULT_LCD_RETURN_TO_DEFAULT, BOOL, "DefaultLcdReturnToDefault", "",
            1, 0, 0, 1, NULL, NONE, "default LCD escape to default page"),
        ROW(QDI, 0, 22, PI30_F_DEFAULT_OUTPUT_MODE, ENUMK, "DefaultOutputMode", "", 1, 0, 0, 9,
            &enum_output_mode, NONE, "default output mode"),
        ROW(QDI, 0, 23, PI30_F_DEFAULT_BATTERY_REDISCHARGE_VOLTAGE, NUMBER,
            "DefaultBatteryRedischargeVoltage", "V", 4, 1, 0, 99.9, NULL, NONE,
            "default re-discharge voltage"),
        ROW(QDI, 0, 24, PI30_F_DEFAULT_PV_OK_CONDITION, ENUMK, "DefaultPvOkCondition", "", 1, 0, 0,
            9, &enum_pv_ok_condition, NONE, "default PV OK condition"),
        ROW(QDI, 0, 25, PI30_F_DEFAULT_PV_POWER_BALANCE, ENUMK, "DefaultPvPowerBalance", "", 1, 0, 0,
            9, &enum_pv_power_balance, NONE, "default PV power balance"),
        ROW(QDI, 0, 26, PI30_F_DEFAULT_MAX_CHARGING_TIME_AT_CV, NUMBER,
            "DefaultMaxChargingTimeAtCv", "min", 3, 0, 0, 999, NULL, NONE,
            "default max C.V. charging time"),
        ROW(QDI, 0, 27, PI30_F_DEFAULT_FIELD27, UINT, "DefaultField27", "", 3, 0, 0, 999, NULL, NONE,
            "operation logic (GK/MK) or max discharging current (MAX)"),

        /* QBEQI: (1 030 030 080 021 55.40 224 030 0 0234 */
        ROW(PI30_CMD_QBEQI, 0, 1, PI30_F_EQ_ENABLED, BOOL, "EqualizationEnabled", "", 1, 0, 0, 1,
            NULL, NONE, "battery equalisation enabled"),
        ROW(PI30_CMD_QBEQI, 0, 2, PI30_F_EQ_TIME, NUMBER, "EqualizationTime", "min", 3, 0, 0, 999,
            NULL, NONE, "equalisation time"),
        ROW(PI30_CMD_QBEQI, 0, 3, PI30_F_EQ_PERIOD, NUMBER, "EqualizationPeriod", "d", 3, 0, 0, 999,
            NULL, NONE, "equalisation period"),
        ROW(PI30_CMD_QBEQI, 0, 4, PI30_F_EQ_MAX_CURRENT, NUMBER, "EqualizationMaxCurrent", "A", 3, 0,
            0, 999, NULL, NONE, "equalisation max current"),
        ROW(PI30_CMD_QBEQI, 0, 5, PI30_F_EQ_RESERVED1, UINT, "EqualizationReserved1", "", 3, 0, 0,
            999, NULL, NONE, "reserved"),
        ROW(PI30_CMD_QBEQI, 0, 6, PI30_F_EQ_VOLTAGE, NUMBER, "EqualizationVoltage", "V", 5, 2, 0,
            99.99, NULL, NONE, "equalisation voltage"),
        ROW(PI30_CMD_QBEQI, 0, 7, PI30_F_EQ_RESERVED2, UINT, "EqualizationReserved2", "", 3, 0, 0,
            999, NULL, NONE, "reserved"),
        ROW(PI30_CMD_QBEQI, 0, 8, PI30_F_EQ_OVER_TIME, NUMBER, "EqualizationOverTime", "min", 3, 0, 0,
            999, NULL, NONE, "equalisation over-time"),
        ROW(PI30_CMD_QBEQI, 0, 9, PI30_F_EQ_ACTIVE, BOOL, "EqualizationActive", "", 1, 0, 0, 1, NULL,
            NONE, "equalisation active now"),
        ROW(PI30_CMD_QBEQI, 0, 10, PI30_F_EQ_ELAPSED_TIME, NUMBER, "EqualizationElapsedTime", "h", 4,
            0, 0, 9999, NULL, NONE, "equalisation elapsed time"),

        /* QPGSn */
        ROW(QPGS, 0, 1, PI30_F_UNIT_PRESENT, BOOL, "Present", "", 1, 0, 0, 1, NULL, NONE,
            "the unit exists"),
        ROW(QPGS, 0, 2, PI30_F_UNIT_SERIAL_NUMBER, STRING, "SerialNumber", "", 14, 0, 0, 0, NULL,
            UNIT, "unit serial number (zeros for an empty slot)"),
        ROW(QPGS, 0, 3, PI30_F_UNIT_MODE, ENUMK, "Mode", "", 1, 0, 0, 0, &enum_mode, UNIT,
            "work mode"),
        ROW(QPGS, 0, 4, PI30_F_UNIT_FAULT_CODE, UINT, "FaultCode", "", 2, 0, 0, 99, NULL, UNIT,
            "fault code, 0 = none"),
        ROW(QPGS, 0, 5, PI30_F_UNIT_GRID_VOLTAGE, NUMBER, "GridVoltage", "V", 5, 1, 0, 999.9, NULL,
            UNIT, "grid voltage"),
        ROW(QPGS, 0, 6, PI30_F_UNIT_GRID_FREQUENCY, NUMBER, "GridFrequency", "Hz", 5, 2, 0, 99.99,
            NULL, UNIT, "grid frequency"),
        ROW(QPGS, 0, 7, PI30_F_UNIT_AC_OUTPUT_VOLTAGE, NUMBER, "AcOutputVoltage", "V", 5, 1, 0,
            999.9, NULL, UNIT, "AC output voltage"),
        ROW(QPGS, 0, 8, PI30_F_UNIT_AC_OUTPUT_FREQUENCY, NUMBER, "AcOutputFrequency", "Hz", 5, 2, 0,
            99.99, NULL, UNIT, "AC output frequency"),
        ROW(QPGS, 0, 9, PI30_F_UNIT_AC_OUTPUT_APPARENT_POWER, NUMBER, "AcOutputApparentPower", "VA",
            4, 0, 0, 99999, NULL, UNIT, "AC output apparent power"),
        ROW(QPGS, 0, 10, PI30_F_UNIT_AC_OUTPUT_ACTIVE_POWER, NUMBER, "AcOutputActivePower", "W", 4,
            0, 0, 99999, NULL, UNIT, "AC output active power"),
        ROW(QPGS, 0, 11, PI30_F_UNIT_AC_OUTPUT_LOAD_PERCENT, NUMBER, "AcOutputLoadPercent", "%", 3,
            0, 0, 999, NULL, UNIT, "output load"),
        ROW(QPGS, 0, 12, PI30_F_UNIT_BATTERY_VOLTAGE, NUMBER, "BatteryVoltage", "V", 4, 1, 0, 99.9,
            NULL, UNIT, "battery voltage"),
        ROW(QPGS, 0, 13, PI30_F_UNIT_BATTERY_CHARGING_CURRENT, NUMBER, "BatteryChargingCurrent",
            "A", 3, 0, 0, 999, NULL, UNIT, "battery charging current"),
        ROW(QPGS, 0, 14, PI30_F_UNIT_BATTERY_CAPACITY, NUMBER, "BatteryCapacity", "%", 3, 0, 0, 100,
            NULL, UNIT, "battery capacity"),
        ROW(QPGS, 0, 15, PI30_F_UNIT_PV_INPUT_VOLTAGE, NUMBER, "PvInputVoltage", "V", 5, 1, 0, 999.9,
            NULL, UNIT, "PV1 input voltage"),
        ROW(QPGS, 0, 16, PI30_F_UNIT_TOTAL_CHARGING_CURRENT, NUMBER, "TotalChargingCurrent", "A", 3,
            0, 0, 9999, NULL, UNIT, "total charging current of the system"),
        ROW(QPGS, 0, 17, PI30_F_UNIT_TOTAL_AC_OUTPUT_APPARENT_POWER, NUMBER,
            "TotalAcOutputApparentPower", "VA", 5, 0, 0, 999999, NULL, UNIT,
            "total AC output apparent power"),
        ROW(QPGS, 0, 18, PI30_F_UNIT_TOTAL_AC_OUTPUT_ACTIVE_POWER, NUMBER,
            "TotalAcOutputActivePower", "W", 5, 0, 0, 999999, NULL, UNIT,
            "total AC output active power"),
        ROW(QPGS, 0, 19, PI30_F_UNIT_TOTAL_AC_OUTPUT_LOAD_PERCENT, NUMBER,
            "TotalAcOutputLoadPercent", "%", 3, 0, 0, 999, NULL, UNIT, "total output load"),
        ROW(QPGS, 0, 20, PI30_F_UNIT_INVERTER_STATUS, BITS, "InverterStatus", "", 8, 0, 0, 0, NULL,
            UNIT, "inverter status bits b7..b0 as sent"),
        BIT(QPGS, 20, 0, 1, PI30_F_UNIT_SCC_OK, BOOL, "SccOk", NULL, UNIT, "b7: SCC OK"),
        BIT(QPGS, 20, 1, 1, PI30_F_UNIT_AC_CHARGING, BOOL, "AcCharging", NULL, UNIT,
            "b6: AC charging"),
        BIT(QPGS, 20, 2, 1, PI30_F_UNIT_SCC_CHARGING, BOOL, "SccCharging", NULL, UNIT,
            "b5: SCC charging"),
        BIT(QPGS, 20, 3, 2, PI30_F_UNIT_BATTERY_STATUS, ENUMK, "BatteryStatus", &enum_battery_status,
            UNIT, "b4b3: battery status (2-bit number)"),
        BIT(QPGS, 20, 5, 1, PI30_F_UNIT_LINE_LOSS, BOOL, "LineLoss", NULL, UNIT, "b2: line lost"),
        BIT(QPGS, 20, 6, 1, PI30_F_UNIT_LOAD_ON, BOOL, "LoadOn", NULL, UNIT, "b1: load on"),
        BIT(QPGS, 20, 7, 1, PI30_F_UNIT_CONFIGURATION_CHANGED, BOOL, "ConfigurationChanged", NULL,
            UNIT, "b0: configuration changed"),
        ROW(QPGS, 0, 21, PI30_F_UNIT_OUTPUT_MODE, ENUMK, "OutputMode", "", 1, 0, 0, 9,
            &enum_output_mode, UNIT, "output mode"),
        ROW(QPGS, 0, 22, PI30_F_UNIT_CHARGER_SOURCE_PRIORITY, ENUMK, "ChargerSourcePriority", "", 1,
            0, 0, 9, &enum_charger_source_priority, UNIT, "charger source priority"),
        ROW(QPGS, 0, 23, PI30_F_UNIT_MAX_CHARGING_CURRENT, NUMBER, "MaxChargingCurrent", "A", 3, 0,
            0, 999, NULL, UNIT, "max charging current setting"),
        ROW(QPGS, 0, 24, PI30_F_UNIT_MAX_CHARGER_RANGE, NUMBER, "MaxChargerRange", "A", 3, 0, 0, 999,
            NULL, UNIT, "max charging current range"),
        ROW(QPGS, 0, 25, PI30_F_UNIT_MAX_AC_CHARGING_CURRENT, NUMBER, "MaxAcChargingCurrent", "A", 2,
            0, 0, 999, NULL, UNIT, "max AC charging current setting (2 or 3 digits)"),
        ROW(QPGS, 0, 26, PI30_F_UNIT_PV_INPUT_CURRENT, NUMBER, "PvInputCurrent", "A", 2, 0, 0, 999,
            NULL, UNIT, "PV1 input current"),
        ROW(QPGS, 0, 27, PI30_F_UNIT_BATTERY_DISCHARGE_CURRENT, NUMBER, "BatteryDischargeCurrent",
            "A", 3, 0, 0, 999, NULL, UNIT, "battery discharge current"),
        ROW(QPGS, 0, 28, PI30_F_UNIT_PV2_INPUT_VOLTAGE, NUMBER, "Pv2InputVoltage", "V", 5, 1, 0,
            999.9, NULL, UNIT, "PV2 input voltage (MAX)"),
        ROW(QPGS, 0, 29, PI30_F_UNIT_PV2_INPUT_CURRENT, NUMBER, "Pv2InputCurrent", "A", 2, 0, 0, 999,
            NULL, UNIT, "PV2 input current (MAX)"),
};

const size_t pi30_n_fields = sizeof pi30_fields / sizeof pi30_fields[0];

#define CMD(i, nm, shp, pl, mn, mx, pd, nocrc, desc, ...)                                          \
        [i] = {.id = (i), .name = (nm), .shape = (shp), .poll = (pl), .min_tokens = (mn),          \
               .max_tokens = (mx), .param_digits = (pd), .crc_optional = (nocrc),                  \
               .description = (desc), __VA_ARGS__}

static const Pi30CommandInfo commands[_PI30_CMD_MAX] = {
        CMD(PI30_CMD_QPI, "QPI", PI30_SHAPE_WHOLE, PI30_POLL_IDENTITY, 1, 1, 0, false,
            "protocol id", .required = true),
        CMD(PI30_CMD_QID, "QID", PI30_SHAPE_WHOLE, PI30_POLL_IDENTITY, 1, 1, 0, false,
            "serial number"),
        CMD(PI30_CMD_QSID, "QSID", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 0, false,
            "serial number with length (GK/MK, MAX)"),
        CMD(PI30_CMD_QVFW, "QVFW", PI30_SHAPE_WHOLE, PI30_POLL_IDENTITY, 1, 1, 0, false,
            "main CPU firmware version", .prefix = "VERFW:"),
        CMD(PI30_CMD_QVFW2, "QVFW2", PI30_SHAPE_WHOLE, PI30_POLL_IDENTITY, 1, 1, 0, false,
            "second CPU firmware version", .prefix = "VERFW2:"),
        CMD(PI30_CMD_QVFW3, "QVFW3", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 0, false,
            "third CPU / remote panel firmware version", .prefix = "VERFW3:"),
        CMD(PI30_CMD_QMN, "QMN", PI30_SHAPE_WHOLE, PI30_POLL_IDENTITY, 1, 1, 0, false,
            "model name"),
        CMD(PI30_CMD_QGMN, "QGMN", PI30_SHAPE_WHOLE, PI30_POLL_IDENTITY, 1, 1, 0, false,
            "general model number"),
        CMD(PI30_CMD_QPIRI, "QPIRI", PI30_SHAPE_TOKENS, PI30_POLL_SLOW, 25, 28, 0, false,
            "ratings and settings", .required = true),
        CMD(PI30_CMD_QFLAG, "QFLAG", PI30_SHAPE_FLAGS, PI30_POLL_SLOW, 1, 1, 0, false,
            "enable/disable flags"),
        CMD(PI30_CMD_QPIGS, "QPIGS", PI30_SHAPE_TOKENS, PI30_POLL_FAST, 17, 24, 0, false,
            "general status", .required = true),
        CMD(PI30_CMD_QPIGS2, "QPIGS2", PI30_SHAPE_TOKENS, PI30_POLL_FAST, 3, 12, 0, false,
            "second (and third) charger status"),
        CMD(PI30_CMD_QMOD, "QMOD", PI30_SHAPE_WHOLE, PI30_POLL_FAST, 1, 1, 0, false,
            "operating mode", .required = true),
        CMD(PI30_CMD_QPIWS, "QPIWS", PI30_SHAPE_WHOLE, PI30_POLL_FAST, 1, 1, 0, false,
            "warning and fault bits", .required = true),
        CMD(PI30_CMD_QDI, "QDI", PI30_SHAPE_TOKENS, PI30_POLL_NEVER, 25, 30, 0, false,
            "factory default settings"),
        /* At least two options: a single three-digit number is QGMN's answer ("044"). */
        CMD(PI30_CMD_QMCHGCR, "QMCHGCR", PI30_SHAPE_LIST, PI30_POLL_IDENTITY, 2, PI30_LIST_MAX, 0,
            false, "max charging current options"),
        CMD(PI30_CMD_QMUCHGCR, "QMUCHGCR", PI30_SHAPE_LIST, PI30_POLL_IDENTITY, 2, PI30_LIST_MAX,
            0, false, "max utility charging current options"),
        CMD(PI30_CMD_QOPM, "QOPM", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 0, false,
            "output mode"),
        CMD(PI30_CMD_QBOOT, "QBOOT", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 0, false,
            "DSP boot-loader present"),
        CMD(PI30_CMD_QPGS, "QPGS", PI30_SHAPE_TOKENS, PI30_POLL_FAST, 27, 29, 2, false,
            "parallel unit status"),
        /* The clock and the energy counters (MAX; GK/MK have QT): read with the settings, the
         * clock first, as it gives QED/QLD their date. */
        CMD(PI30_CMD_QT, "QT", PI30_SHAPE_WHOLE, PI30_POLL_SLOW, 1, 1, 0, true, "inverter clock",
            .reading = true),
        CMD(PI30_CMD_QBEQI, "QBEQI", PI30_SHAPE_TOKENS, PI30_POLL_NEVER, 10, 10, 0, false,
            "battery equalisation"),
        CMD(PI30_CMD_QET, "QET", PI30_SHAPE_WHOLE, PI30_POLL_SLOW, 1, 1, 0, false,
            "total PV energy", .reading = true),
        CMD(PI30_CMD_QEY, "QEY", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 4, false,
            "PV energy of year yyyy"),
        CMD(PI30_CMD_QEM, "QEM", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 6, false,
            "PV energy of month yyyymm"),
        CMD(PI30_CMD_QED, "QED", PI30_SHAPE_WHOLE, PI30_POLL_SLOW, 1, 1, 8, false,
            "PV energy of day yyyymmdd", .reading = true, .param_today = true),
        CMD(PI30_CMD_QLT, "QLT", PI30_SHAPE_WHOLE, PI30_POLL_SLOW, 1, 1, 0, false,
            "total output load energy", .reading = true),
        CMD(PI30_CMD_QLY, "QLY", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 4, false,
            "output load energy of year yyyy"),
        CMD(PI30_CMD_QLM, "QLM", PI30_SHAPE_WHOLE, PI30_POLL_NEVER, 1, 1, 6, false,
            "output load energy of month yyyymm"),
        CMD(PI30_CMD_QLD, "QLD", PI30_SHAPE_WHOLE, PI30_POLL_SLOW, 1, 1, 8, false,
            "output load energy of day yyyymmdd", .reading = true, .param_today = true),
};

const Pi30CommandInfo *pi30_command_info(Pi30Command cmd)
{
        if (cmd < 0 || cmd >= _PI30_CMD_MAX)
                return NULL;
        return &commands[cmd];
}

Pi30Command pi30_command_from_string(const char *s, int *ret_param)
{
        const Pi30CommandInfo *best = NULL;
        size_t best_len = 0;

        if (!s)
                return -EINVAL;
        /* Longest name that prefixes s wins (QPIGS2 over QPIGS, QMUCHGCR over nothing). */
        for (size_t i = 0; i < _PI30_CMD_MAX; i++) {
                size_t l = strlen(commands[i].name);
                if (strncmp(s, commands[i].name, l) == 0 && l > best_len) {
                        const char *rest = s + l;
                        size_t rl = strlen(rest);
                        bool ok;

                        if (commands[i].param_digits == 0)
                                ok = rl == 0;
                        else if (commands[i].id == PI30_CMD_QPGS)
                                ok = rl >= 1 && rl <= commands[i].param_digits;
                        else
                                ok = rl == commands[i].param_digits;
                        for (size_t k = 0; ok && k < rl; k++)
                                ok = rest[k] >= '0' && rest[k] <= '9';
                        if (ok) {
                                best = &commands[i];
                                best_len = l;
                        }
                }
        }
        if (!best)
                return -EOPNOTSUPP;
        if (ret_param) {
                int p = -1;
                if (best->param_digits > 0) {
                        p = 0;
                        for (const char *c = s + best_len; *c; c++)
                                p = p * 10 + (*c - '0');
                }
                *ret_param = p;
        }
        return best->id;
}

int pi30_command_format(Pi30Command cmd, int param, char *buf, size_t size)
{
        const Pi30CommandInfo *info = pi30_command_info(cmd);
        char tmp[40];
        int n;

        if (!info)
                return -EINVAL;
        if (info->param_digits == 0) {
                if (param >= 0)
                        return -EINVAL;
                n = snprintf(tmp, sizeof tmp, "%s", info->name);
        } else if (cmd == PI30_CMD_QPGS) {
                if (param < 0 || param > 99)
                        return -EINVAL;
                n = snprintf(tmp, sizeof tmp, "%s%d", info->name, param);
        } else {
                if (param < 0)
                        return -EINVAL;
                n = snprintf(tmp, sizeof tmp, "%s%0*d", info->name, info->param_digits, param);
                if (n != (int)(strlen(info->name) + info->param_digits))
                        return -EINVAL;
        }
        if (n < 0 || (size_t)n >= size)
                return -ENOBUFS;
        memcpy(buf, tmp, (size_t)n + 1);
        return n;
}

const Pi30FieldInfo *pi30_field_info(Pi30Field field)
{
        for (size_t i = 0; i < pi30_n_fields; i++)
                if (pi30_fields[i].id == field)
                        return &pi30_fields[i];
        return NULL;
}

Pi30Field pi30_field_from_name(const char *name, Pi30Export export_to)
{
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < pi30_n_fields; i++)
                if ((export_to == PI30_EXPORT_NONE || pi30_fields[i].export_to == export_to) &&
                    strcmp(pi30_fields[i].name, name) == 0)
                        return pi30_fields[i].id;
        return -EINVAL;
}

const char *pi30_field_signature(Pi30Field field)
{
        const Pi30FieldInfo *f = pi30_field_info(field);

        if (!f)
                return NULL;
        switch (f->kind) {
        case PI30_KIND_NUMBER:
                return "d";
        case PI30_KIND_UINT:
                return "u";
        case PI30_KIND_BOOL:
                return "b";
        case PI30_KIND_LIST:
                return "ad";
        case PI30_KIND_ENUM:
        case PI30_KIND_BITS:
        case PI30_KIND_STRING:
        default:
                return "s";
        }
}

const char *pi30_enum_name(const Pi30EnumInfo *e, int code)
{
        if (e)
                for (size_t i = 0; i < e->n_entries; i++)
                        if (e->entries[i].code == code)
                                return e->entries[i].name;
        return "unknown";
}

int pi30_enum_code(const Pi30EnumInfo *e, const char *name)
{
        if (e && name)
                for (size_t i = 0; i < e->n_entries; i++)
                        if (strcmp(e->entries[i].name, name) == 0)
                                return e->entries[i].code;
        return -EINVAL;
}

size_t pi30_answer_max_len(Pi30Command cmd)
{
        const Pi30CommandInfo *info = pi30_command_info(cmd);
        size_t best = 0;

        if (!info)
                return 0;
        switch (info->shape) {
        case PI30_SHAPE_LIST:
                return (size_t)info->max_tokens * 4; /* "NNN " each */
        case PI30_SHAPE_FLAGS:
                return 2 + 26; /* "E…D…": every letter at most once */
        case PI30_SHAPE_WHOLE:
                for (size_t i = 0; i < pi30_n_fields; i++)
                        if (pi30_fields[i].command == cmd) {
                                /* a width of 0 means free text of any length */
                                size_t w = pi30_fields[i].width ? pi30_fields[i].width
                                                                : PI30_STRING_MAX - 1;
                                if (pi30_fields[i].kind == PI30_KIND_BITS)
                                        w = 40;
                                best = w + (info->prefix ? strlen(info->prefix) : 0);
                        }
                return best;
        case PI30_SHAPE_TOKENS:
        default:
                /* Per layout, per token: the widest row (bit slices: where the last one ends),
                 * tokens separated by one space. */
                for (uint8_t layout = 0; layout < 4; layout++) {
                        uint8_t last = 0;
                        size_t len = 0;
                        for (size_t i = 0; i < pi30_n_fields; i++)
                                if (pi30_fields[i].command == cmd &&
                                    pi30_fields[i].layout == layout && pi30_fields[i].token > last)
                                        last = pi30_fields[i].token;
                        for (uint8_t t = 1; t <= last; t++) {
                                size_t w = 0;
                                bool found = false;
                                for (size_t i = 0; i < pi30_n_fields; i++) {
                                        const Pi30FieldInfo *f = &pi30_fields[i];
                                        size_t fw;
                                        if (f->command != cmd || f->layout != layout ||
                                            f->token != t)
                                                continue;
                                        found = true;
                                        fw = f->bit >= 0 ? (size_t)f->bit + f->bit_count : f->width;
                                        if (fw > w)
                                                w = fw;
                                }
                                if (!found)
                                        w = 3; /* a token the table does not describe */
                                len += w + (t > 1);
                        }
                        if (len > best)
                                best = len;
                }
                return best;
        }
}
