/* libFuzzer harness for the answer path: frame parsing, decoding every command, and the oracle
 * that whatever decodes formats back into something that decodes to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pi30.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Pi30Value values[_PI30_FIELD_MAX], again[_PI30_FIELD_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Pi30Frame frame;
        Pi30DecodeResult res;
        char request[16], out[1024];

        if (size < 1)
                return 0;
        Pi30Command cmd = (Pi30Command)(data[0] % _PI30_CMD_MAX);
        const Pi30CommandInfo *info = pi30_command_info(cmd);
        if (pi30_command_format(cmd, info->param_digits ? 1 : -1, request, sizeof request) < 0)
                abort();
        data++;
        size--;

        /* the raw bytes as a frame (with an echo check against the request) */
        if (pi30_frame_parse(data, size, request, info->crc_optional, &frame) == 0) {
                if (frame.payload_len > size || frame.frame_len > size)
                        abort();
                if (frame.kind == PI30_FRAME_DATA)
                        (void)pi30_decode(cmd, frame.payload, frame.payload_len, values, &res);
        }
        (void)pi30_frame_end(data, size);

        /* the raw bytes as a payload */
        memset(values, 0, sizeof values);
        int r = pi30_decode(cmd, (const char *)data, size, values, &res);
        /* The explanation agrees with the verdict and is a terminated string, whatever the input.
         */
        char why[160];
        int e = pi30_decode_explain(cmd, (const char *)data, size, why, sizeof why);
        if ((r < 0) != (e < 0) || memchr(why, 0, sizeof why) == NULL ||
            (e == -EBADMSG && why[0] == 0) || (e == 0 && why[0] != 0))
                abort();
        if (r < 0)
                return 0;
        if ((unsigned)r != res.n_valid)
                abort();

        ssize_t n = pi30_answer_format(cmd, res.layout, res.n_tokens, values, out, sizeof out);
        if (n < 0)
                return 0; /* more than fits an answer */
        if (cmd == PI30_CMD_QFLAG && n <= 2)
                return 0; /* "ED": nothing to re-decode */
        memset(again, 0, sizeof again);
        if (pi30_decode(cmd, out, (size_t)n, again, NULL) < 0)
                abort();
        for (size_t i = 0; i < pi30_n_fields; i++) {
                Pi30Field f = pi30_fields[i].id;
                if (pi30_fields[i].command == cmd && !pi30_value_equal(&values[f], &again[f]))
                        abort();
        }

        /* frames built from it parse back to the same payload */
        uint8_t frame_buf[1100];
        ssize_t fl = pi30_answer_encode(out, (size_t)n, false, frame_buf, sizeof frame_buf);
        if (fl < 0 || pi30_frame_parse(frame_buf, (size_t)fl, request, false, &frame) < 0 ||
            frame.payload_len != (size_t)n || memcmp(frame.payload, out, (size_t)n) != 0)
                abort();
        return 0;
}
