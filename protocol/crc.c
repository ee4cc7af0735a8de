/* CRC-16/XMODEM and the PI30 escape rule for its two bytes (PI30.md §2.3, §2.4). */
#include "pi30.h"

uint16_t pi30_crc16(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint16_t crc = 0;

        for (size_t i = 0; i < len; i++) {
                crc ^= (uint16_t)p[i] << 8;
                for (int b = 0; b < 8; b++)
                        crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
        }
        return crc;
}

static bool crc_byte_needs_escape(uint8_t b, bool escape_nul)
{
        return b == 0x28 || b == 0x0d || b == 0x0a || (escape_nul && b == 0x00);
}

void pi30_crc_bytes(uint16_t crc, bool escape_nul, uint8_t ret[2])
{
        uint8_t hi = crc >> 8, lo = crc & 0xff;

        ret[0] = crc_byte_needs_escape(hi, escape_nul) ? hi + 1 : hi;
        ret[1] = crc_byte_needs_escape(lo, escape_nul) ? lo + 1 : lo;
}

static bool crc_byte_matches(uint8_t raw, uint8_t received)
{
        return received == raw || (crc_byte_needs_escape(raw, true) && received == raw + 1);
}

bool pi30_crc_matches(uint16_t crc, const uint8_t received[2])
{
        return crc_byte_matches(crc >> 8, received[0]) && crc_byte_matches(crc & 0xff, received[1]);
}
