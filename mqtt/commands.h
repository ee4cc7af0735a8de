/* Command topics <prefix>/<serial>/set/<setting> -> the daemon's Set… methods. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "mqtt-config.h"
#include "publisher.h"

typedef struct Commands Commands;

/* The commands of the inverters in model; results go to publisher. Borrows all three. */
Commands *commands_new(const MqttConfig *config, Publisher *publisher, Model *model);
/* Cancels the command waiting for the daemon's reply and drops those waiting their turn; their
 * results are never published. */
Commands *commands_free(Commands *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Commands, commands_free)

/* Handles one message; false when the topic is no command topic. A retained message is never
 * executed. */
bool commands_handle(Commands *c, const char *topic, const char *payload, size_t len,
                     bool retained);
/* A number payload: plain decimal digits, optionally '.' and more digits; nothing else. */
bool commands_parse_number(const char *text, double *ret);
