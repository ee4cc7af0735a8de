/* Requests and answers on the wire: CRC, '(' framing, ACK/NAK/echo, HID padding (PI30.md §2). */
#include <string.h>

#include "pi30.h"

#define PI30_COMMAND_MAX 32

int pi30_raw_command_validate(const char *command, char *error, size_t error_size)
{
        size_t len = command ? strlen(command) : 0;
        const char *why = NULL;

        if (len == 0)
                why = "the command is empty";
        else if (len > PI30_COMMAND_MAX)
                why = "the command is longer than 32 characters";
        else
                for (size_t i = 0; i < len; i++) {
                        unsigned char c = command[i];
                        if (c < 0x21 || c > 0x7e || c == '(') {
                                why = "the command must be printable ASCII without spaces, '(' or CR/LF";
                                break;
                        }
                }
        if (!why)
                return 0;
        if (error && error_size > 0) {
                strncpy(error, why, error_size - 1);
                error[error_size - 1] = 0;
        }
        return -EINVAL;
}

ssize_t pi30_request_encode(const char *command, uint8_t *buf, size_t size)
{
        size_t len;

        if (pi30_raw_command_validate(command, NULL, 0) < 0)
                return -EINVAL;
        len = strlen(command);
        if (size < len + 3)
                return -ENOBUFS;

        memcpy(buf, command, len);
        /* Requests escape 0x00 as well: VM IV firmware times out on a raw 0x00 CRC byte. */
        pi30_crc_bytes(pi30_crc16(command, len), true, buf + len);
        buf[len + 2] = '\r';
        return (ssize_t)(len + 3);
}

ssize_t pi30_answer_encode(const char *payload, size_t payload_len, bool escape_nul, uint8_t *buf,
                           size_t size)
{
        if (size < payload_len + 4)
                return -ENOBUFS;

        buf[0] = '(';
        memcpy(buf + 1, payload, payload_len);
        pi30_crc_bytes(pi30_crc16(buf, payload_len + 1), escape_nul, buf + 1 + payload_len);
        buf[payload_len + 3] = '\r';
        return (ssize_t)(payload_len + 4);
}

ssize_t pi30_frame_end(const uint8_t *buf, size_t len)
{
        const uint8_t *p = memchr(buf, '\r', len);

        if (!p)
                p = memchr(buf, '\n', len);
        if (!p)
                return -EAGAIN;
        return p - buf + 1;
}

static bool is_echo(const uint8_t *buf, size_t n, const char *request)
{
        uint8_t enc[PI30_COMMAND_MAX + 3];
        size_t rlen;
        ssize_t l;

        if (!request)
                return false;
        rlen = strlen(request);
        if (n < rlen || memcmp(buf, request, rlen) != 0)
                return false;
        if (n == rlen)
                return true; /* echoed without CRC */
        l = pi30_request_encode(request, enc, sizeof enc);
        /* echoed with its CRC (raw or escaped): same tolerance as answers */
        return l > 0 && n == (size_t)l - 1 &&
               pi30_crc_matches(pi30_crc16(request, rlen), buf + rlen);
}

int pi30_frame_parse(const uint8_t *buf, size_t len, const char *request, bool allow_no_crc,
                     Pi30Frame *ret)
{
        ssize_t end = pi30_frame_end(buf, len);
        Pi30Frame f = {0};
        size_t n;

        if (end < 0)
                return (int)end;
        n = (size_t)end - 1; /* without the terminator */

        if (n > 0 && buf[0] != '(') {
                if (is_echo(buf, n, request)) {
                        f.kind = PI30_FRAME_ECHO;
                        f.crc = n > strlen(request) ? PI30_CRC_OK : PI30_CRC_ABSENT;
                        f.payload = (const char *)buf;
                        f.payload_len = strlen(request);
                        f.frame_len = (size_t)end;
                        *ret = f;
                        return 0;
                }
                return -EBADMSG;
        }
        if (n < 2)
                return -EBADMSG;

        /* Payload candidate with a CRC: everything between '(' and the last two bytes. */
        if (n >= 3 && pi30_crc_matches(pi30_crc16(buf, n - 2), buf + n - 2)) {
                uint16_t crc = pi30_crc16(buf, n - 2);
                uint8_t raw[2] = {crc >> 8, crc & 0xff};
                f.crc = memcmp(raw, buf + n - 2, 2) == 0 ? PI30_CRC_OK : PI30_CRC_ESCAPED;
                f.payload_len = n - 3;
        } else if (allow_no_crc || (n == 4 && memcmp(buf, "(NAK", 4) == 0)) {
                /* The documents print "(NAK<cr>" without CRC; accept that one always. */
                f.crc = PI30_CRC_ABSENT;
                f.payload_len = n - 1;
        } else
                return -EILSEQ;

        f.payload = (const char *)buf + 1;
        for (size_t i = 0; i < f.payload_len; i++) {
                unsigned char c = f.payload[i];
                if (c < 0x20 || c > 0x7e)
                        return -EBADMSG;
        }

        if (f.payload_len == 3 && memcmp(f.payload, "ACK", 3) == 0)
                f.kind = PI30_FRAME_ACK;
        else if (f.payload_len == 3 && memcmp(f.payload, "NAK", 3) == 0)
                f.kind = PI30_FRAME_NAK;
        else
                f.kind = PI30_FRAME_DATA;
        f.frame_len = (size_t)end;
        *ret = f;
        return 0;
}
