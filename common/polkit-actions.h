/* The polkit action guarding each method of org.axpert.Inverter (DBUS-API.md "methods"): one
 * table for the daemon that checks it and the clients that name it in their hints. */
#pragma once

#include <stddef.h>

typedef struct AxpertMethodAction {
        const char *method; /* "SetOutputSourcePriority" */
        const char *action; /* "org.axpert.Inverter.set-priorities" */
} AxpertMethodAction;

extern const AxpertMethodAction axpert_method_actions[];
extern const size_t axpert_n_method_actions;

/* The action for a method, NULL for methods polkit does not guard (Refresh) or unknown ones. */
const char *axpert_polkit_action(const char *method);
