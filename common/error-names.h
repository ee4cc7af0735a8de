/* The D-Bus error names of org.axpert.Inverter (DBUS-API.md "Errors"); plain strings so that GLib
 * clients can use them without libsystemd. The errno mapping lives in bus-errors.c. */
#pragma once

#define AXPERT_ERROR_OFFLINE "org.axpert.Inverter.Error.Offline"
#define AXPERT_ERROR_REJECTED "org.axpert.Inverter.Error.Rejected"
#define AXPERT_ERROR_TIMEOUT "org.axpert.Inverter.Error.Timeout"
#define AXPERT_ERROR_PROTOCOL "org.axpert.Inverter.Error.Protocol"
#define AXPERT_ERROR_NOT_SUPPORTED "org.axpert.Inverter.Error.NotSupported"

#define AXPERT_ERROR_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define AXPERT_ERROR_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define AXPERT_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED                                            \
        "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
