/* A thread that performs request writes off the event loop: on hidraw without an OUT endpoint
 * each 8-byte report is a SET_REPORT control transfer the kernel does synchronously, even with
 * O_NONBLOCK (measured in the test guest: up to 0.74 s under load). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "macros.h"
#include "transport.h"

typedef struct LinkWriter LinkWriter;

/* On the loop: the write tagged token finished with result (transport_write()'s), after usec. */
typedef void (*LinkWriterDoneFunc)(int result, uint64_t usec, uint64_t token, void *userdata);

int link_writer_new(sd_event *event, LinkWriterDoneFunc done, void *userdata, LinkWriter **ret);
/* Waits for a write in progress (bounded by the kernel's USB control timeout); the queued ones
 * are dropped and done is not called any more. */
LinkWriter *link_writer_free(LinkWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(LinkWriter *, link_writer_free)

/* Queues a write of buf on a duplicate of fd (closing fd meanwhile is safe); writes happen in
 * order. */
int link_writer_submit(LinkWriter *w, TransportKind kind, int fd, const uint8_t *buf, size_t len,
                       uint64_t token);
