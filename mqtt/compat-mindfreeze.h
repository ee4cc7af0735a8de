/* The hassio-axpert (MindFreeze) compatible topics (MQTT.md). */
#pragma once

#include "app.h"

/* power/axpert, power/axpert{sn} and power/axpert_settings for one inverter. */
void compat_publish(App *app, Inverter *inv);
