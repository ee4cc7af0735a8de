/* The D-Bus side: follows org.axpert.Inverter's objects through its ObjectManager. */
#pragma once

#include "app.h"

Bridge *bridge_new(App *app, GError **error);
Bridge *bridge_free(Bridge *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Bridge, bridge_free)
