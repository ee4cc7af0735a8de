/* Command topics <prefix>/<serial>/set/<setting> -> the daemon's Set… methods. */
#pragma once

#include "app.h"

/* The subscription filter for the command topics. */
char *commands_filter(App *app);
/* Drops the commands still waiting and what was remembered (at exit). */
void commands_clear(App *app);
/* Handles one message on a command topic; false when the topic is no command topic. A retained
 * message is never executed. */
bool commands_handle(App *app, const char *topic, const char *payload, size_t len, bool retained);
/* A number payload: plain decimal digits, optionally '.' and more digits; nothing else. */
bool commands_parse_number(const char *text, double *ret);
