/* The control socket: one text command per line, answered with lines ending "ok" or "error: …". */
#pragma once

#include "sim.h"

int control_new(Sim *sim, const char *path, Control **ret);
Control *control_free(Control *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Control *, control_free)
