/* Request encoding and answer framing: CR/LF/NUL padding, ACK, NAK, echo, CRC verdicts. */
#include <string.h>

#include "pi30.h"
#include "tests.h"

static int parse(const char *bytes, size_t len, const char *req, bool no_crc, Pi30Frame *f)
{
        return pi30_frame_parse((const uint8_t *)bytes, len, req, no_crc, f);
}

int main(void)
{
        uint8_t buf[64];
        Pi30Frame f;
        ssize_t n;

        /* Requests */
        n = pi30_request_encode("QPIGS", buf, sizeof buf);
        CHECK_INT(n, 8);
        CHECK(memcmp(buf, "QPIGS\xb7\xa9\r", 8) == 0);
        n = pi30_request_encode("POP02", buf, sizeof buf);
        CHECK(n == 8 && memcmp(buf, "POP02\xe2\x0b\r", 8) == 0); /* the escaped CRC */
        CHECK_INT(pi30_request_encode("", buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_request_encode("QP\rIGS", buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_request_encode("QPI GS", buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_request_encode("(ACK", buf, sizeof buf), -EINVAL);
        CHECK_INT(pi30_request_encode("Q23456789012345678901234567890123", buf, sizeof buf),
                  -EINVAL);
        CHECK_INT(pi30_request_encode("Q2345678901234567890123456789012", buf, sizeof buf), 35);
        CHECK_INT(pi30_request_encode("QPIGS", buf, 7), -ENOBUFS);
        /* a request whose CRC has a 0x00 byte is sent with 0x01 (PI30.md §2.4) */
        for (int d = 0; d < 10000; d++) {
                char cmd[16];
                snprintf(cmd, sizeof cmd, "QED2024%04d", d);
                n = pi30_request_encode(cmd, buf, sizeof buf);
                CHECK(n == 14);
                CHECK(buf[11] != 0 && buf[12] != 0 && buf[11] != '\r' && buf[12] != '\r');
        }
        /* … the date asked for today's counters: QLD20240428's CRC is 0xCF00, QED20240615's 0x0090
         * (14 bytes: two HID reports) */
        CHECK_INT(pi30_crc16("QLD20240428", 11), 0xCF00);
        n = pi30_request_encode("QLD20240428", buf, sizeof buf);
        CHECK(n == 14 && memcmp(buf, "QLD20240428\xcf\x01\r", 14) == 0);
        CHECK_INT(pi30_crc16("QED20240615", 11), 0x0090);
        n = pi30_request_encode("QED20240615", buf, sizeof buf);
        CHECK(n == 14 && memcmp(buf, "QED20240615\x01\x90\r", 14) == 0);
        for (int d = 0; d < 10000; d++) {
                char cmd[16];
                snprintf(cmd, sizeof cmd, "QLD2024%04d", d);
                n = pi30_request_encode(cmd, buf, sizeof buf);
                CHECK(n == 14);
                CHECK(buf[11] != 0 && buf[12] != 0 && buf[11] != '\r' && buf[12] != '\r');
        }
        /* answers carry a 0x00 CRC byte raw (syssi#87); the counters' too */
        {
                uint8_t a[32];
                const char *p = NULL;
                char payload[16];

                for (int k = 0; k < 100000 && !p; k++) {
                        snprintf(payload, sizeof payload, "%08d", k);
                        uint8_t raw[2], with_paren[9] = {'('};
                        memcpy(with_paren + 1, payload, 8);
                        pi30_crc_bytes(pi30_crc16(with_paren, 9), false, raw);
                        if (raw[0] == 0 || raw[1] == 0)
                                p = payload;
                }
                CHECK(p != NULL);
                if (p) {
                        n = pi30_answer_encode(p, 8, false, a, sizeof a);
                        CHECK(n == 12 && (a[9] == 0 || a[10] == 0));
                        CHECK_INT(pi30_frame_parse(a, (size_t)n, "QET", false, &f), 0);
                        CHECK(f.kind == PI30_FRAME_DATA && f.payload_len == 8 &&
                              memcmp(f.payload, p, 8) == 0);
                }
        }

        /* Answers */
        CHECK_INT(parse("(ACK9 \r", 7, "POP02", false, &f), 0);
        CHECK(f.kind == PI30_FRAME_ACK && f.crc == PI30_CRC_OK && f.frame_len == 7);
        CHECK_INT(parse("(NAKss\r", 7, "QPIGS2", false, &f), 0);
        CHECK(f.kind == PI30_FRAME_NAK);
        CHECK_INT(parse("(NAK\r", 5, "QPIGS2", false, &f), 0); /* as the documents print it */
        CHECK(f.kind == PI30_FRAME_NAK && f.crc == PI30_CRC_ABSENT);
        CHECK_INT(parse("(PI30\x9a\x0b\r", 8, "QPI", false, &f), 0);
        CHECK(f.kind == PI30_FRAME_DATA && f.payload_len == 4 && memcmp(f.payload, "PI30", 4) == 0);
        /* HID padding after the CR, and a trailing LF, are ignored */
        CHECK_INT(parse("(PI30\x9a\x0b\r\0\0\0", 11, NULL, false, &f), 0);
        CHECK(f.kind == PI30_FRAME_DATA && f.frame_len == 8);
        CHECK_INT(parse("(PI30\x9a\x0b\r\n", 9, NULL, false, &f), 0);
        /* bad CRC */
        CHECK_INT(parse("(PI30\x9a\x0c\r", 8, "QPI", false, &f), -EILSEQ);
        /* not terminated yet */
        CHECK_INT(parse("(PI30\x9a\x0b", 7, "QPI", false, &f), -EAGAIN);
        CHECK_INT(pi30_frame_end((const uint8_t *)"(PI30\x9a\x0b", 7), -EAGAIN);
        CHECK_INT(pi30_frame_end((const uint8_t *)"(PI30\x9a\x0b\rxyz", 11), 8);
        /* garbage */
        CHECK_INT(parse("\xff\r", 2, "QPI", false, &f), -EBADMSG);
        CHECK_INT(parse("#-1\r", 4, "QPI", false, &f), -EBADMSG);
        CHECK_INT(parse("\r", 1, "QPI", false, &f), -EBADMSG);
        CHECK_INT(parse("(\r", 2, "QPI", false, &f), -EBADMSG);
        /* control byte inside a payload whose CRC is right */
        {
                uint8_t a[32];
                n = pi30_answer_encode("PI\x01" "30", 5, false, a, sizeof a);
                CHECK(n == 9);
                CHECK_INT(pi30_frame_parse(a, (size_t)n, NULL, false, &f), -EBADMSG);
        }
        /* echo of the request, with and without its CRC */
        CHECK_INT(parse("QPGS0?\xda\r", 8, "QPGS0", false, &f), 0);
        CHECK(f.kind == PI30_FRAME_ECHO);
        CHECK_INT(parse("QPGS0\r", 6, "QPGS0", false, &f), 0);
        CHECK(f.kind == PI30_FRAME_ECHO);
        CHECK_INT(parse("QPGS0?\xda\r", 8, "QPGS1", false, &f), -EBADMSG);
        CHECK_INT(parse("QPGS0?\xda\r", 8, NULL, false, &f), -EBADMSG);
        /* CRC-less answers only when allowed (QT) */
        CHECK_INT(parse("(20210726122606\r", 16, "QT", false, &f), -EILSEQ);
        CHECK_INT(parse("(20210726122606\r", 16, "QT", true, &f), 0);
        CHECK(f.crc == PI30_CRC_ABSENT && f.payload_len == 14);
        CHECK_INT(parse("(20210726122606JF\r", 18, "QT", true, &f), 0);
        CHECK(f.crc == PI30_CRC_OK && f.payload_len == 14);

        /* answer encoding round trip, incl. the escape and the raw 0x00 firmware sends */
        {
                const char *p = "230.0 49.9 230.0 49.9 0805 0751 020 448 29.00 000 100 0037 02.3 "
                                "271.1 00.00 00007 00010000 00 00 00647 011 0 00 0000";
                uint8_t a[160];
                n = pi30_answer_encode(p, strlen(p), false, a, sizeof a);
                CHECK(n == (ssize_t)strlen(p) + 4);
                CHECK(a[n - 3] == 0x00 && a[n - 2] == 0xe7 && a[n - 1] == '\r');
                CHECK_INT(pi30_frame_parse(a, (size_t)n, "QPIGS", false, &f), 0);
                CHECK(f.crc == PI30_CRC_OK && f.payload_len == strlen(p));
                n = pi30_answer_encode(p, strlen(p), true, a, sizeof a);
                CHECK(a[n - 3] == 0x01);
                CHECK_INT(pi30_frame_parse(a, (size_t)n, "QPIGS", false, &f), 0);
                CHECK(f.crc == PI30_CRC_ESCAPED);
                CHECK_INT(pi30_answer_encode(p, strlen(p), false, a, 10), -ENOBUFS);
        }

        /* raw command rule */
        char err[128];
        CHECK_INT(pi30_raw_command_validate("QPIGS", err, sizeof err), 0);
        CHECK_INT(pi30_raw_command_validate("", err, sizeof err), -EINVAL);
        CHECK(strstr(err, "empty") != NULL);
        CHECK_INT(pi30_raw_command_validate("QPIGS\r", err, sizeof err), -EINVAL);
        CHECK_INT(pi30_raw_command_validate("QPIGS\n", err, sizeof err), -EINVAL);
        CHECK_INT(pi30_raw_command_validate("Q\xc3\xa9", err, sizeof err), -EINVAL);
        CHECK_INT(pi30_raw_command_validate(NULL, err, sizeof err), -EINVAL);
        CHECK_INT(pi30_raw_command_validate("123456789012345678901234567890123", err, sizeof err),
                  -EINVAL);
        CHECK(strstr(err, "32") != NULL);
        return tests_finish("test-frame");
}
