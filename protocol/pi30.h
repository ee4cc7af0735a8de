/* libaxpert-protocol: the PI30 protocol as pure functions and tables, no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <errno.h>

/*
 * Conventions
 *  - Functions return 0 (or a count) on success and a negative errno on failure; ret_* outputs are
 *    left untouched on failure.
 *  - Nothing here allocates, logs, uses globals that change, or depends on the locale.
 *  - Frames are byte buffers with explicit lengths: a CRC byte may legitimately be 0x00.
 */

/* ------------------------------------------------------------------------------------------ */
/* CRC (PI30.md §2.3, §2.4)                                                                    */

/* CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR ("123456789" -> 0x31C3). */
uint16_t pi30_crc16(const void *data, size_t len);

/* The two CRC bytes as sent on the wire, high byte first. Each byte that equals 0x28, 0x0D or
 * 0x0A is incremented; with escape_nul a 0x00 byte is incremented too (what requests need:
 * pass true for requests, false to reproduce what real inverters send). */
void pi30_crc_bytes(uint16_t crc, bool escape_nul, uint8_t ret[2]);

/* The tolerant check used for answers: each received byte may be the raw CRC byte or its
 * escaped value (raw+1 when raw is 0x00, 0x0A, 0x0D or 0x28). */
bool pi30_crc_matches(uint16_t crc, const uint8_t received[2]);

/* ------------------------------------------------------------------------------------------ */
/* Commands and the field table                                                                */

typedef enum Pi30Command {
        PI30_CMD_QPI,
        PI30_CMD_QID,
        PI30_CMD_QSID,
        PI30_CMD_QVFW,
        PI30_CMD_QVFW2,
        PI30_CMD_QVFW3,
        PI30_CMD_QMN,
        PI30_CMD_QGMN,
        PI30_CMD_QPIRI,
        PI30_CMD_QFLAG,
        PI30_CMD_QPIGS,
        PI30_CMD_QPIGS2,
        PI30_CMD_QMOD,
        PI30_CMD_QPIWS,
        PI30_CMD_QDI,
        PI30_CMD_QMCHGCR,
        PI30_CMD_QMUCHGCR,
        PI30_CMD_QOPM,
        PI30_CMD_QBOOT,
        PI30_CMD_QPGS, /* QPGSn: takes the unit index as parameter */
        PI30_CMD_QT,
        PI30_CMD_QBEQI,
        PI30_CMD_QET,
        PI30_CMD_QEY, /* QEYyyyy */
        PI30_CMD_QEM, /* QEMyyyymm */
        PI30_CMD_QED, /* QEDyyyymmdd */
        PI30_CMD_QLT,
        PI30_CMD_QLY, /* QLYyyyy */
        PI30_CMD_QLM, /* QLMyyyymm */
        PI30_CMD_QLD, /* QLDyyyymmdd */
        _PI30_CMD_MAX,
        _PI30_CMD_INVALID = -EINVAL,
} Pi30Command;

/* When the daemon asks (ARCHITECTURE.md "poller"). */
typedef enum Pi30PollClass {
        PI30_POLL_NEVER,    /* on demand only */
        PI30_POLL_IDENTITY, /* once per connection */
        PI30_POLL_SLOW,     /* settings: every SettingsInterval */
        PI30_POLL_FAST,     /* status: every PollInterval */
} Pi30PollClass;

/* How an answer's payload is cut into values. */
typedef enum Pi30AnswerShape {
        PI30_SHAPE_TOKENS, /* space-separated fields, described row by row in the field table */
        PI30_SHAPE_WHOLE,  /* the whole payload is one value (QID, QMN, QVFW, QT …) */
        PI30_SHAPE_FLAGS,  /* QFLAG: "E<letters>D<letters>" */
        PI30_SHAPE_LIST,   /* QMCHGCR/QMUCHGCR: space-separated numbers, all one list */
} Pi30AnswerShape;

typedef struct Pi30CommandInfo {
        Pi30Command id;
        const char *name;         /* the request text without parameter, "QPIGS" */
        Pi30AnswerShape shape;
        Pi30PollClass poll;
        uint8_t min_tokens;       /* fewer fields than this: the answer is not this command's */
        uint8_t max_tokens;       /* more fields than this: likewise */
        uint8_t param_digits;     /* digits of the parameter (QPGS: 1-2, QEY: 4, …); 0 = none */
        bool crc_optional;        /* documents show the answer without CRC (QT) */
        /* Polled: a cycle of its class is not complete without its answer (unless the inverter
         * does not support it); the others of the class are read after these. */
        bool required;
        /* A reading, not a setting, although polled in the slow class (the energy counters, the
         * clock): cleared while offline and when the command turns out unsupported, like the
         * status. */
        bool reading;
        /* The parameter is a date, yyyymmdd: polled with the inverter's today (QEDyyyymmdd). */
        bool param_today;
        const char *prefix;       /* WHOLE answers: text before the value ("VERFW:") */
        const char *description;
} Pi30CommandInfo;

const Pi30CommandInfo *pi30_command_info(Pi30Command cmd);
/* "QPIGS" -> PI30_CMD_QPIGS; "QPGS3" -> PI30_CMD_QPGS with *ret_param = 3 (ret_param may be
 * NULL); -EOPNOTSUPP for anything the table does not know. */
Pi30Command pi30_command_from_string(const char *s, int *ret_param);
/* The request text: "QPIGS", "QPGS1", "QEY2024". param < 0 for commands without one. */
int pi30_command_format(Pi30Command cmd, int param, char *buf, size_t size);

/* The longest answer payload (without '(' and CRC) the table describes for cmd, in bytes, from
 * the fields' widths: what the daemon sizes an answer's time on the wire from (real firmware
 * may print a few wider fields). 0 for an invalid command. */
size_t pi30_answer_max_len(Pi30Command cmd);

typedef enum Pi30Field {
        /* identity */
        PI30_F_PROTOCOL_ID,
        PI30_F_SERIAL_NUMBER,
        PI30_F_SERIAL_NUMBER_SID,
        PI30_F_FIRMWARE_VERSION,
        PI30_F_FIRMWARE_VERSION2,
        PI30_F_FIRMWARE_VERSION3,
        PI30_F_MODEL_NAME,
        PI30_F_GENERAL_MODEL_NUMBER,
        PI30_F_HAS_BOOTLOADER,
        PI30_F_QOPM_OUTPUT_MODE,
        PI30_F_DEVICE_TIME,
        PI30_F_PV_ENERGY_TOTAL,
        PI30_F_PV_ENERGY_YEAR,
        PI30_F_PV_ENERGY_MONTH,
        PI30_F_PV_ENERGY_DAY,
        PI30_F_LOAD_ENERGY_TOTAL,
        PI30_F_LOAD_ENERGY_YEAR,
        PI30_F_LOAD_ENERGY_MONTH,
        PI30_F_LOAD_ENERGY_DAY,

        /* QPIGS */
        PI30_F_GRID_VOLTAGE,
        PI30_F_GRID_FREQUENCY,
        PI30_F_AC_OUTPUT_VOLTAGE,
        PI30_F_AC_OUTPUT_FREQUENCY,
        PI30_F_AC_OUTPUT_APPARENT_POWER,
        PI30_F_AC_OUTPUT_ACTIVE_POWER,
        PI30_F_AC_OUTPUT_LOAD_PERCENT,
        PI30_F_BUS_VOLTAGE,
        PI30_F_BATTERY_VOLTAGE,
        PI30_F_BATTERY_CHARGING_CURRENT,
        PI30_F_BATTERY_CAPACITY,
        PI30_F_HEATSINK_TEMPERATURE,
        PI30_F_PV_INPUT_CURRENT,
        PI30_F_PV_INPUT_VOLTAGE,
        PI30_F_BATTERY_VOLTAGE_FROM_SCC,
        PI30_F_BATTERY_DISCHARGE_CURRENT,
        PI30_F_DEVICE_STATUS,
        PI30_F_SBU_PRIORITY_VERSION,
        PI30_F_CONFIGURATION_CHANGED,
        PI30_F_SCC_FIRMWARE_UPDATED,
        PI30_F_LOAD_ON,
        PI30_F_BATTERY_VOLTAGE_STEADY,
        PI30_F_CHARGING,
        PI30_F_SCC_CHARGING,
        PI30_F_AC_CHARGING,
        PI30_F_BATTERY_VOLTAGE_OFFSET_FOR_FANS,
        PI30_F_EEPROM_VERSION,
        PI30_F_PV_CHARGING_POWER,
        PI30_F_DEVICE_STATUS2,
        PI30_F_CHARGING_TO_FLOAT,
        PI30_F_SWITCHED_ON,
        PI30_F_DUSTPROOF_INSTALLED,
        PI30_F_SOLAR_FEED_TO_GRID_STATUS,
        PI30_F_COUNTRY_REGULATION,
        PI30_F_SOLAR_FEED_TO_GRID_POWER,

        /* QPIGS2 (both layouts) */
        PI30_F_PV2_INPUT_CURRENT,
        PI30_F_PV2_INPUT_VOLTAGE,
        PI30_F_PV2_INPUT_POWER,
        PI30_F_BATTERY_VOLTAGE_FROM_SCC2,
        PI30_F_SCC_STATUS2,
        PI30_F_SCC2_CHARGING,
        PI30_F_SCC3_CHARGING,
        PI30_F_AC_CHARGING_CURRENT,
        PI30_F_AC_CHARGING_POWER,
        PI30_F_PV3_INPUT_CURRENT,
        PI30_F_PV3_INPUT_VOLTAGE,
        PI30_F_BATTERY_VOLTAGE_FROM_SCC3,
        PI30_F_PV3_INPUT_POWER,
        PI30_F_PV_TOTAL_CHARGING_POWER,

        /* QMOD, QPIWS */
        PI30_F_MODE,
        PI30_F_WARNING_STATUS,

        /* QPIRI */
        PI30_F_GRID_RATING_VOLTAGE,
        PI30_F_GRID_RATING_CURRENT,
        PI30_F_AC_OUTPUT_RATING_VOLTAGE,
        PI30_F_AC_OUTPUT_RATING_FREQUENCY,
        PI30_F_AC_OUTPUT_RATING_CURRENT,
        PI30_F_AC_OUTPUT_RATING_APPARENT_POWER,
        PI30_F_AC_OUTPUT_RATING_ACTIVE_POWER,
        PI30_F_BATTERY_RATING_VOLTAGE,
        PI30_F_BATTERY_RECHARGE_VOLTAGE,
        PI30_F_BATTERY_UNDER_VOLTAGE,
        PI30_F_BATTERY_BULK_VOLTAGE,
        PI30_F_BATTERY_FLOAT_VOLTAGE,
        PI30_F_BATTERY_TYPE,
        PI30_F_MAX_AC_CHARGING_CURRENT,
        PI30_F_MAX_CHARGING_CURRENT,
        PI30_F_INPUT_VOLTAGE_RANGE,
        PI30_F_OUTPUT_SOURCE_PRIORITY,
        PI30_F_CHARGER_SOURCE_PRIORITY,
        PI30_F_PARALLEL_MAX_UNITS,
        PI30_F_MACHINE_TYPE,
        PI30_F_TOPOLOGY,
        PI30_F_OUTPUT_MODE,
        PI30_F_BATTERY_REDISCHARGE_VOLTAGE,
        PI30_F_PV_OK_CONDITION,
        PI30_F_PV_POWER_BALANCE,
        PI30_F_MAX_CHARGING_TIME_AT_CV,
        PI30_F_OPERATION_LOGIC,
        PI30_F_MAX_DISCHARGING_CURRENT,

        /* QFLAG */
        PI30_F_FLAG_BUZZER,
        PI30_F_FLAG_OVERLOAD_BYPASS,
        PI30_F_FLAG_SOLAR_FEED_TO_GRID,
        PI30_F_FLAG_POWER_SAVING,
        PI30_F_FLAG_LCD_RETURN_TO_DEFAULT,
        PI30_F_FLAG_DATA_LOG_POPUP,
        PI30_F_FLAG_OVERLOAD_RESTART,
        PI30_F_FLAG_OVER_TEMPERATURE_RESTART,
        PI30_F_FLAG_BACKLIGHT,
        PI30_F_FLAG_PRIMARY_SOURCE_INTERRUPT_ALARM,
        PI30_F_FLAG_FAULT_CODE_RECORD,

        /* QMCHGCR, QMUCHGCR */
        PI30_F_CHARGING_CURRENT_OPTIONS,
        PI30_F_AC_CHARGING_CURRENT_OPTIONS,

        /* QDI: factory defaults */
        PI30_F_DEFAULT_AC_OUTPUT_VOLTAGE,
        PI30_F_DEFAULT_AC_OUTPUT_FREQUENCY,
        PI30_F_DEFAULT_MAX_AC_CHARGING_CURRENT,
        PI30_F_DEFAULT_BATTERY_UNDER_VOLTAGE,
        PI30_F_DEFAULT_BATTERY_FLOAT_VOLTAGE,
        PI30_F_DEFAULT_BATTERY_BULK_VOLTAGE,
        PI30_F_DEFAULT_BATTERY_RECHARGE_VOLTAGE,
        PI30_F_DEFAULT_MAX_CHARGING_CURRENT,
        PI30_F_DEFAULT_INPUT_VOLTAGE_RANGE,
        PI30_F_DEFAULT_OUTPUT_SOURCE_PRIORITY,
        PI30_F_DEFAULT_CHARGER_SOURCE_PRIORITY,
        PI30_F_DEFAULT_BATTERY_TYPE,
        PI30_F_DEFAULT_BUZZER,
        PI30_F_DEFAULT_POWER_SAVING,
        PI30_F_DEFAULT_OVERLOAD_RESTART,
        PI30_F_DEFAULT_OVER_TEMPERATURE_RESTART,
        PI30_F_DEFAULT_BACKLIGHT,
        PI30_F_DEFAULT_PRIMARY_SOURCE_INTERRUPT_ALARM,
        PI30_F_DEFAULT_FAULT_CODE_RECORD,
        PI30_F_DEFAULT_OVERLOAD_BYPASS,
        PI30_F_DEFAULT_LCD_RETURN_TO_DEFAULT,
        PI30_F_DEFAULT_OUTPUT_MODE,
        PI30_F_DEFAULT_BATTERY_REDISCHARGE_VOLTAGE,
        PI30_F_DEFAULT_PV_OK_CONDITION,
        PI30_F_DEFAULT_PV_POWER_BALANCE,
        PI30_F_DEFAULT_MAX_CHARGING_TIME_AT_CV,
        PI30_F_DEFAULT_FIELD27,

        /* QBEQI */
        PI30_F_EQ_ENABLED,
        PI30_F_EQ_TIME,
        PI30_F_EQ_PERIOD,
        PI30_F_EQ_MAX_CURRENT,
        PI30_F_EQ_RESERVED1,
        PI30_F_EQ_VOLTAGE,
        PI30_F_EQ_RESERVED2,
        PI30_F_EQ_OVER_TIME,
        PI30_F_EQ_ACTIVE,
        PI30_F_EQ_ELAPSED_TIME,

        /* QPGSn: one parallel unit (org.axpert.Inverter.Unit) */
        PI30_F_UNIT_PRESENT,
        PI30_F_UNIT_SERIAL_NUMBER,
        PI30_F_UNIT_MODE,
        PI30_F_UNIT_FAULT_CODE,
        PI30_F_UNIT_GRID_VOLTAGE,
        PI30_F_UNIT_GRID_FREQUENCY,
        PI30_F_UNIT_AC_OUTPUT_VOLTAGE,
        PI30_F_UNIT_AC_OUTPUT_FREQUENCY,
        PI30_F_UNIT_AC_OUTPUT_APPARENT_POWER,
        PI30_F_UNIT_AC_OUTPUT_ACTIVE_POWER,
        PI30_F_UNIT_AC_OUTPUT_LOAD_PERCENT,
        PI30_F_UNIT_BATTERY_VOLTAGE,
        PI30_F_UNIT_BATTERY_CHARGING_CURRENT,
        PI30_F_UNIT_BATTERY_CAPACITY,
        PI30_F_UNIT_PV_INPUT_VOLTAGE,
        PI30_F_UNIT_TOTAL_CHARGING_CURRENT,
        PI30_F_UNIT_TOTAL_AC_OUTPUT_APPARENT_POWER,
        PI30_F_UNIT_TOTAL_AC_OUTPUT_ACTIVE_POWER,
        PI30_F_UNIT_TOTAL_AC_OUTPUT_LOAD_PERCENT,
        PI30_F_UNIT_INVERTER_STATUS,
        PI30_F_UNIT_SCC_OK,
        PI30_F_UNIT_AC_CHARGING,
        PI30_F_UNIT_SCC_CHARGING,
        PI30_F_UNIT_BATTERY_STATUS,
        PI30_F_UNIT_LINE_LOSS,
        PI30_F_UNIT_LOAD_ON,
        PI30_F_UNIT_CONFIGURATION_CHANGED,
        PI30_F_UNIT_OUTPUT_MODE,
        PI30_F_UNIT_CHARGER_SOURCE_PRIORITY,
        PI30_F_UNIT_MAX_CHARGING_CURRENT,
        PI30_F_UNIT_MAX_CHARGER_RANGE,
        PI30_F_UNIT_MAX_AC_CHARGING_CURRENT,
        PI30_F_UNIT_PV_INPUT_CURRENT,
        PI30_F_UNIT_BATTERY_DISCHARGE_CURRENT,
        PI30_F_UNIT_PV2_INPUT_VOLTAGE,
        PI30_F_UNIT_PV2_INPUT_CURRENT,

        _PI30_FIELD_MAX,
        _PI30_FIELD_INVALID = -EINVAL,
} Pi30Field;

typedef enum Pi30Kind {
        PI30_KIND_NUMBER, /* double in a unit; D-Bus 'd' */
        PI30_KIND_UINT,   /* unsigned count or code; D-Bus 'u' */
        PI30_KIND_BOOL,   /* '0'/'1' token, one bit of a bit string, or a QFLAG letter; 'b' */
        PI30_KIND_ENUM,   /* code -> lowercase-dashed name from a closed list; 's' */
        PI30_KIND_BITS,   /* a string of '0'/'1' kept as sent (DeviceStatus); 's' */
        PI30_KIND_STRING, /* printable text (serial, firmware, model, time); 's' */
        PI30_KIND_LIST,   /* list of unsigned numbers (current options); 'ad' */
} Pi30Kind;

/* Which D-Bus interface shows the field as a property (DBUS-API.md). */
typedef enum Pi30Export {
        PI30_EXPORT_NONE,
        PI30_EXPORT_INVERTER, /* org.axpert.Inverter */
        PI30_EXPORT_UNIT,     /* org.axpert.Inverter.Unit */
} Pi30Export;

typedef struct Pi30EnumEntry {
        int code; /* numeric code, or the character for letter codes (QMOD 'B') */
        const char *name;
} Pi30EnumEntry;

typedef struct Pi30EnumInfo {
        bool letters;                /* codes are single letters, not numbers */
        size_t n_entries;
        const Pi30EnumEntry *entries;
} Pi30EnumInfo;

/* One row of THE table: where a field sits in which answer, and what it is. */
typedef struct Pi30FieldInfo {
        Pi30Field id;
        Pi30Command command;
        uint8_t layout;      /* answer layout (QPIGS2: 0 = MAX 3 fields, 1 = KS 12 fields) */
        uint8_t token;       /* 1-based field number after '(' (0 for WHOLE/FLAGS/LIST shapes) */
        int8_t bit;          /* -1: the whole token; else first character of a bit slice */
        uint8_t bit_count;   /* characters in the bit slice (1, or 2 for QPGS b4b3) */
        char letter;         /* QFLAG letter */
        Pi30Kind kind;
        const char *name;    /* property name on D-Bus, or an internal CamelCase name */
        const char *unit;    /* "V", "A", "W", "VA", "Hz", "°C", "%", "min", "Wh", … or "" */
        uint8_t width;       /* characters real firmware prints (zero-padded) */
        uint8_t decimals;    /* digits after the point */
        double min, max;     /* a value outside is OUT_OF_RANGE, i.e. not reported */
        const Pi30EnumInfo *enums;
        Pi30Export export_to;
        const char *description;
} Pi30FieldInfo;

/* THE table, every row. Fields reached from several answers (QPIGS2 layouts) have several rows. */
extern const Pi30FieldInfo pi30_fields[];
extern const size_t pi30_n_fields;

/* The first row describing a field. */
const Pi30FieldInfo *pi30_field_info(Pi30Field field);
/* Looks a field up by its name ("GridVoltage") within one export (or any with PI30_EXPORT_NONE). */
Pi30Field pi30_field_from_name(const char *name, Pi30Export export_to);
/* D-Bus signature of a field's value: "d", "u", "b", "s" or "ad". */
const char *pi30_field_signature(Pi30Field field);

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                      */

#define PI30_STRING_MAX 48
#define PI30_LIST_MAX 24

typedef enum Pi30ValueStatus {
        PI30_VALUE_ABSENT = 0,   /* not reported: '-', a missing trailing field, or never read */
        PI30_VALUE_VALID,
        PI30_VALUE_OUT_OF_RANGE, /* parsed, but outside the field's range: not reported either */
} Pi30ValueStatus;

typedef struct Pi30Value {
        uint8_t status;       /* Pi30ValueStatus */
        uint8_t width;        /* characters of the token as received; 0 = use the table's width */
        uint8_t n;            /* LIST: entries; BITS: characters */
        uint8_t decimals;     /* NUMBER: digits after the point as received (with width) */
        double d;             /* NUMBER, UINT, BOOL (0/1), ENUM (the code) */
        uint64_t bits;        /* BITS: bit i set when character i (from the left) is '1' */
        const char *name;     /* ENUM: the name from the closed list, "unknown" otherwise */
        union {
                char s[PI30_STRING_MAX];      /* STRING and BITS text, NUL-terminated */
                uint16_t list[PI30_LIST_MAX]; /* LIST */
        };
} Pi30Value;

static inline bool pi30_value_valid(const Pi30Value *v)
{
        return v->status == PI30_VALUE_VALID;
}

/* Equality as a client would see it (used for change detection). */
bool pi30_value_equal(const Pi30Value *a, const Pi30Value *b);

/* Helpers to fill a value by hand (the simulator, tests); width stays 0 = table width. */
void pi30_value_set_number(Pi30Value *v, double d);
void pi30_value_set_bool(Pi30Value *v, bool b);
int pi30_value_set_enum(Pi30Value *v, Pi30Field field, const char *name); /* -EINVAL if not listed */
int pi30_value_set_string(Pi30Value *v, const char *s);
int pi30_value_set_bits(Pi30Value *v, const char *bits);  /* "00110110" */
int pi30_value_set_list(Pi30Value *v, const uint16_t *list, size_t n);

/* The date of a decoded clock reading (QT's DeviceTime, YYYYMMDDHHMMSS) as yyyymmdd, the
 * parameter QEDyyyymmdd and QLDyyyymmdd take; -ENODATA when clock holds no valid reading. */
int pi30_clock_date(const Pi30Value *clock);

/* Enum name for a code of a field's enum ("unknown" when not listed). */
const char *pi30_enum_name(const Pi30EnumInfo *e, int code);
/* Code for a name; -EINVAL when the name is not in the list. */
int pi30_enum_code(const Pi30EnumInfo *e, const char *name);

/* ------------------------------------------------------------------------------------------ */
/* Framing (PI30.md §2)                                                                        */

/* Request bytes: the command text, the CRC (escaped, 0x00 included), CR. Returns the length.
 * The command must be 1–32 printable ASCII characters without '(' (else -EINVAL). */
ssize_t pi30_request_encode(const char *command, uint8_t *buf, size_t size);

typedef enum Pi30FrameKind {
        PI30_FRAME_DATA, /* "(payload" */
        PI30_FRAME_ACK,  /* "(ACK" */
        PI30_FRAME_NAK,  /* "(NAK" */
        PI30_FRAME_ECHO, /* the device sent our own request back (unknown command on some firmware) */
} Pi30FrameKind;

typedef enum Pi30CrcStatus {
        PI30_CRC_OK,      /* the raw CRC */
        PI30_CRC_ESCAPED, /* valid only with the escape rule applied to at least one byte */
        PI30_CRC_ABSENT,  /* no CRC (accepted only when the caller allows it) */
} Pi30CrcStatus;

typedef struct Pi30Frame {
        Pi30FrameKind kind;
        Pi30CrcStatus crc;
        const char *payload;  /* into the caller's buffer: after '(' up to the CRC, not terminated */
        size_t payload_len;
        size_t frame_len;     /* bytes up to and including the terminator */
} Pi30Frame;

/* Finds the end of an answer in a receive buffer: the index one past the first CR (or, failing
 * that, LF), or -EAGAIN when the buffer holds no terminator yet. */
ssize_t pi30_frame_end(const uint8_t *buf, size_t len);

/* Parses one answer. Bytes after the terminator (HID NUL padding, a trailing LF) are ignored.
 * request (may be NULL) is the command text that was sent, used to recognise an echo.
 * allow_no_crc accepts an answer whose last two bytes are no valid CRC as CRC-less.
 * Errors: -EAGAIN no terminator yet; -EBADMSG not a frame (no '(', empty, control bytes in the
 * payload); -EILSEQ the CRC does not match. */
int pi30_frame_parse(const uint8_t *buf, size_t len, const char *request, bool allow_no_crc,
                     Pi30Frame *ret);

/* Builds an answer as an inverter sends it: "(" payload CRC CR. The payload given excludes the
 * '('. escape_nul false reproduces real firmware (raw 0x00 CRC bytes). Returns the length. */
ssize_t pi30_answer_encode(const char *payload, size_t payload_len, bool escape_nul, uint8_t *buf,
                           size_t size);

/* ------------------------------------------------------------------------------------------ */
/* Decoding and formatting answers                                                             */

typedef struct Pi30DecodeResult {
        uint8_t layout;      /* which layout matched (QPIGS2) */
        uint8_t n_tokens;    /* fields in the answer */
        uint16_t n_valid;    /* fields decoded VALID */
        uint16_t n_absent;   /* fields not reported ('-' or missing trailing fields) */
        uint16_t n_out_of_range;
} Pi30DecodeResult;

/* Decodes a payload (without '(' and CRC) of cmd into values[] indexed by Pi30Field. Every
 * field of the command is written (ABSENT when not reported); no other entry is touched.
 * -EBADMSG when the payload is not an answer of cmd (wrong number of fields, a token that is not
 * what its field requires, non-printable bytes); values[] is then untouched. */
int pi30_decode(Pi30Command cmd, const char *payload, size_t len, Pi30Value values[],
                Pi30DecodeResult *ret);

/* Why pi30_decode() refuses payload as an answer of cmd, in words naming the field and the
 * token ("field 9 \"5x.10\" is not a valid BatteryVoltage"): -EBADMSG with the reason in buf,
 * 0 (buf "") when it decodes. For logs and LastError; nothing is decoded into any state. */
int pi30_decode_explain(Pi30Command cmd, const char *payload, size_t len, char *buf,
                        size_t size);

/* The inverse, for the simulator and round-trip tests: prints cmd's answer payload (without '('
 * and CRC) from values[] with the table's widths (or each value's own width when set), n_tokens
 * fields of the given layout (0 = the command's maximum). An ABSENT value prints as '-'.
 * Returns the length, -ENOBUFS when size is too small. */
ssize_t pi30_answer_format(Pi30Command cmd, uint8_t layout, uint8_t n_tokens,
                           const Pi30Value values[], char *buf, size_t size);

/* ------------------------------------------------------------------------------------------ */
/* QPIWS warnings and faults (PI30.md §4.6, DBUS-API.md)                                       */

typedef struct Pi30Warning {
        uint8_t bit;       /* aN: character N+1 of the QPIWS string */
        const char *name;  /* "line-fail" */
        uint8_t fault;     /* 0 warning, 1 fault, 2 fault only while a1 (inverter-fault) is set */
} Pi30Warning;

extern const Pi30Warning pi30_warnings[];
extern const size_t pi30_n_warnings;

/* Active conditions of a decoded QPIWS value: names of warnings (faults=false) or faults
 * (faults=true) in bit order into ret[0..max). Returns how many there are (may exceed max). */
size_t pi30_warnings_active(const Pi30Value *qpiws, bool faults, const char **ret, size_t max);

/* ------------------------------------------------------------------------------------------ */
/* Settings (PI30.md §5, DBUS-API.md methods)                                                  */

typedef enum Pi30Setting {
        PI30_SET_OUTPUT_SOURCE_PRIORITY,
        PI30_SET_CHARGER_SOURCE_PRIORITY,
        PI30_SET_INPUT_VOLTAGE_RANGE,
        PI30_SET_MAX_CHARGING_CURRENT,
        PI30_SET_MAX_AC_CHARGING_CURRENT,
        PI30_SET_BATTERY_TYPE,
        PI30_SET_BATTERY_RECHARGE_VOLTAGE,
        PI30_SET_BATTERY_REDISCHARGE_VOLTAGE,
        PI30_SET_BATTERY_UNDER_VOLTAGE,
        PI30_SET_BATTERY_BULK_VOLTAGE,
        PI30_SET_BATTERY_FLOAT_VOLTAGE,
        PI30_SET_FLAG,
        PI30_SET_OUTPUT_FREQUENCY,
        _PI30_SET_MAX,
        _PI30_SET_INVALID = -EINVAL,
} Pi30Setting;

typedef struct Pi30SettingInfo {
        Pi30Setting id;
        const char *method;      /* D-Bus method: "SetOutputSourcePriority" */
        const char *signature;   /* its input signature: "s", "d" or "sb" */
        Pi30Field field;         /* the field the setting changes (for flags: see pi30_flags) */
        Pi30Command reread;      /* what to read back after the ACK */
        bool per_unit;           /* in a parallel system, sent to every unit (PPCP/MCHGC/MUCHGC) */
        const char *description;
} Pi30SettingInfo;

extern const Pi30SettingInfo pi30_settings[];
const Pi30SettingInfo *pi30_setting_info(Pi30Setting s);
Pi30Setting pi30_setting_from_method(const char *method);

typedef struct Pi30Flag {
        const char *name;   /* "buzzer" (SetFlag's argument) */
        char letter;        /* 'a' */
        Pi30Field field;    /* PI30_F_FLAG_BUZZER */
} Pi30Flag;

extern const Pi30Flag pi30_flags[];
extern const size_t pi30_n_flags;
const Pi30Flag *pi30_flag_from_name(const char *name);

/* What a setter's value is checked against. Leave lists empty when the inverter did not answer
 * QMCHGCR/QMUCHGCR: the documented range 1–200 A applies then. */
typedef struct Pi30Limits {
        double battery_rating;                 /* QPIRI: 12, 24 or 48; NaN/0 = unknown */
        const uint16_t *charging_current_options;
        size_t n_charging_current_options;
        const uint16_t *ac_charging_current_options;
        size_t n_ac_charging_current_options;
        /* The inverter's decoded state (a Pi30Value per Pi30Field), or NULL. With it, the rules
         * are those of the firmware family the answers show (pi30_family_detect(); the range
         * common to all families when it cannot be told), and the rating and lists above are
         * taken from it when left unset. Without it, nothing is known of the firmware: what any
         * family accepts passes (the inverter NAKs what its own firmware does not allow). */
        const Pi30Value *values;
} Pi30Limits;

typedef struct Pi30SettingArg {
        const char *s;  /* 's' settings, and the flag name of PI30_SET_FLAG */
        double d;       /* 'd' settings */
        bool b;         /* PI30_SET_FLAG: enable */
} Pi30SettingArg;

/* Validates arg and writes the exact command ("POP02", "PBCV48.0", "MNCHGC0120", "PEa").
 * unit < 0: a single inverter; unit >= 0: the per-unit form for that parallel unit (only for
 * per_unit settings). On -EINVAL, error (if given) names what is accepted, e.g.
 * "44.0–51.0 V in steps of 1.0 for a 48 V battery". -ENODATA when the battery rating needed for
 * a voltage is unknown. */
int pi30_setting_encode(Pi30Setting s, const Pi30SettingArg *arg, const Pi30Limits *limits,
                        int unit, char *ret_command, size_t size, char *error, size_t error_size);

/* Whether arg contradicts another setting of values[] (the device's state, may be NULL):
 * cut-off < re-charge < re-discharge (00.0 = "when full" excepted), float <= bulk. -EINVAL with
 * error naming the other setting, e.g. "BatteryFloatVoltage 58.0 V conflicts with
 * BatteryBulkVoltage 53.0 V: …". Separate from pi30_setting_encode(), which checks a value
 * on its own: the daemon refuses conflicts, the simulator decides for itself. */
int pi30_setting_conflicts(Pi30Setting s, const Pi30SettingArg *arg, const Pi30Value values[],
                           char *error, size_t error_size);

/* True when values[] (a device's current state) already holds what arg asks for. */
bool pi30_setting_is_current(Pi30Setting s, const Pi30SettingArg *arg, const Pi30Value values[]);

/* RawCommand's rule: 1–32 printable ASCII characters, no CR/LF. -EINVAL with a message otherwise. */
int pi30_raw_command_validate(const char *command, char *error, size_t error_size);

/* ------------------------------------------------------------------------------------------ */
/* What each setter accepts on one inverter (PI30.md §5 per firmware family), as data: the same
 * rules pi30_setting_encode() checks, so what is advertised is what is accepted.              */

typedef enum Pi30Family {
        PI30_FAMILY_UNKNOWN, /* no QPIRI yet: only what every family accepts */
        PI30_FAMILY_CLASSIC, /* HS/MS/MSX (HS-2014), KS/MKS (KS-2015): QPIRI of 25 or 26 fields */
        PI30_FAMILY_GKMK,    /* PIP-GK/MK: QPIRI of 27 fields (operation logic) */
        PI30_FAMILY_MAX,     /* Axpert MAX (MAX-2021): QPIRI 28, QPIGS 24 or QPIGS2 3 fields */
        _PI30_FAMILY_MAX,
} Pi30Family;

/* The family a device's decoded state shows (values may be NULL: unknown). */
Pi30Family pi30_family_detect(const Pi30Value values[]);
/* The lowercase-dashed name clients see (FirmwareFamily): "hs-ks", "gk-mk", "max", "unknown". */
const char *pi30_family_name(Pi30Family f);

/* The limits of a device from its decoded state: rating and option lists as reported (lists only
 * when answered and not empty), values set. What the daemon validates with and advertises. */
void pi30_limits_from_values(const Pi30Value values[], Pi30Limits *ret);

/* Longer option lists than this are cut (the decoder keeps PI30_LIST_MAX entries anyway). */
#define PI30_ACCEPTED_MAX 64

typedef enum Pi30AcceptedKind {
        PI30_ACCEPTED_RANGE, /* every value min, min + step, …, max */
        PI30_ACCEPTED_LIST,  /* exactly values[0..n): a set that is no such range */
        PI30_ACCEPTED_NAMES, /* exactly names[0..n): string settings, SetFlag's flag name */
} Pi30AcceptedKind;

typedef struct Pi30Accepted {
        Pi30AcceptedKind kind;
        double min, max, step;               /* RANGE */
        size_t n;                            /* LIST, NAMES */
        double values[PI30_ACCEPTED_MAX];    /* LIST, ascending */
        const char *names[PI30_ACCEPTED_MAX]; /* NAMES, in code order; static strings */
} Pi30Accepted;

/* What setting s accepts with these limits (limits may be NULL: nothing known). -ENODATA when
 * it depends on what is not known (the battery rating), -EINVAL for an unknown setting. */
int pi30_setting_accepted(Pi30Setting s, const Pi30Limits *limits, Pi30Accepted *ret);

/* Whether a number is one of what a (numeric) Pi30Accepted describes, to 0.1 (the setters'
 * resolution). */
bool pi30_accepted_has_number(const Pi30Accepted *a, double v);
