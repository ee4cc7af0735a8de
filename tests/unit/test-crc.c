/* CRC-16/XMODEM, the escape rule and the tolerant check (PI30.md §2.3-2.4). */
#include <string.h>

#include "pi30.h"
#include "tests.h"

int main(void)
{
        uint8_t b[2];

        CHECK_INT(pi30_crc16("123456789", 9), 0x31C3); /* the CRC-16/XMODEM check value */
        CHECK_INT(pi30_crc16("", 0), 0);
        CHECK_INT(pi30_crc16("QPIGS", 5), 0xB7A9);     /* PI30.md §2.1 */
        CHECK_INT(pi30_crc16("POP02", 5), 0xE20A);

        /* Escape rule: 0x28, 0x0D, 0x0A are bumped; 0x00 only when asked (requests). */
        pi30_crc_bytes(0xE20A, false, b);
        CHECK(b[0] == 0xE2 && b[1] == 0x0B);
        pi30_crc_bytes(0x0D3E, false, b);
        CHECK(b[0] == 0x0E && b[1] == 0x3E);
        pi30_crc_bytes(0x4028, false, b);
        CHECK(b[0] == 0x40 && b[1] == 0x29);
        pi30_crc_bytes(0x00E7, false, b);
        CHECK(b[0] == 0x00 && b[1] == 0xE7);
        pi30_crc_bytes(0x00E7, true, b);
        CHECK(b[0] == 0x01 && b[1] == 0xE7);
        pi30_crc_bytes(0x1234, true, b);
        CHECK(b[0] == 0x12 && b[1] == 0x34);

        /* Tolerant check: raw or escaped accepted per byte, nothing else. */
        CHECK(pi30_crc_matches(0xE20A, (const uint8_t[]){0xE2, 0x0A}));
        CHECK(pi30_crc_matches(0xE20A, (const uint8_t[]){0xE2, 0x0B}));
        CHECK(pi30_crc_matches(0x00E7, (const uint8_t[]){0x00, 0xE7}));
        CHECK(pi30_crc_matches(0x00E7, (const uint8_t[]){0x01, 0xE7}));
        CHECK(!pi30_crc_matches(0x00E7, (const uint8_t[]){0x02, 0xE7}));
        CHECK(!pi30_crc_matches(0x1234, (const uint8_t[]){0x12, 0x35})); /* 0x34 is not escaped */
        CHECK(!pi30_crc_matches(0x4BD2, (const uint8_t[]){0xCB, 0xD2})); /* corpus bit flip */
        for (unsigned i = 0; i < 0x10000; i += 0x101) {
                pi30_crc_bytes((uint16_t)i, false, b);
                CHECK(pi30_crc_matches((uint16_t)i, b));
                pi30_crc_bytes((uint16_t)i, true, b);
                CHECK(pi30_crc_matches((uint16_t)i, b));
                CHECK(b[0] != 0x28 && b[0] != 0x0d && b[0] != 0x0a && b[0] != 0x00);
        }
        return tests_finish("test-crc");
}
