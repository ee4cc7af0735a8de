/* Transports: how request bytes reach the inverter and answer bytes come back on one fd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum TransportKind {
        TRANSPORT_HIDRAW,
        TRANSPORT_SERIAL,
} TransportKind;

/* HID reports are 8 bytes in both directions (PI30.md §1.2). */
#define TRANSPORT_HID_REPORT_SIZE 8

typedef struct TransportSpec {
        TransportKind kind;
        char *path;   /* NULL for an inherited descriptor */
        int fd;       /* the inherited descriptor, or -1 */
} TransportSpec;

/* "/dev/hidraw*" -> hidraw, "hidraw:PATH", "serial:PATH", "hidraw:fd:N", anything else serial. */
int transport_spec_parse(const char *s, TransportSpec *ret);
void transport_spec_done(TransportSpec *spec);
const char *transport_kind_to_string(TransportKind k);

/* Opens the node non-blocking and close-on-exec, configured for the transport
 * (termios 2400 8N1 raw for serial). Returns the fd or a negative errno. */
int transport_open(const TransportSpec *spec);
int transport_hidraw_open(const char *path);
int transport_serial_open(const char *path);

/* Writes a whole request: hidraw cuts it into 8-byte reports (the last one padded with NULs),
 * serial writes it as is. -EAGAIN when the kernel buffer is full (the caller retries later). */
int transport_write(TransportKind k, int fd, const uint8_t *buf, size_t len);
int transport_hidraw_write(int fd, const uint8_t *buf, size_t len);
int transport_serial_write(int fd, const uint8_t *buf, size_t len);

/* Reads what is available into buf; 0 with *ret_n = 0 when nothing is waiting, -ENODEV when the
 * node went away (EOF, EIO, ENODEV). hidraw reads report by report. */
int transport_read(TransportKind k, int fd, uint8_t *buf, size_t size, size_t *ret_n);

/* Throws away whatever input is waiting (stale bytes of an earlier, abandoned answer).
 * Returns the number of bytes dropped or -ENODEV. */
ssize_t transport_drain(TransportKind k, int fd);
