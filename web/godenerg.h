/* godenerg's /cmds answers (WEB.md "godenerg-compatible endpoint") from an inverter's proxy. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

/* The commands /cmds knows, in the order WEB.md lists them; NULL-terminated. */
extern const char *const godenerg_commands[];

/* The answer object of one command ("status", "operation_mode"), or NULL for an unknown one. */
JsonNode *godenerg_build(const char *cmd, GDBusProxy *inverter);

/* QMOD's code for a Mode value: "PM", "SB", "LN", "BT", "FA", "PS", otherwise "00". */
const char *godenerg_mode_code(const char *mode);
