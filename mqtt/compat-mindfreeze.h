/* The hassio-axpert (MindFreeze) compatible topics (MQTT.md). */
#pragma once

#include "app.h"

typedef enum CompatTopic {
        COMPAT_TOPIC_PARALLEL = 1 << 0, /* power/axpert */
        COMPAT_TOPIC_INVERTER = 1 << 1, /* power/axpert{sn} */
        COMPAT_TOPIC_SETTINGS = 1 << 2, /* power/axpert_settings */
        COMPAT_TOPIC_ALL = COMPAT_TOPIC_PARALLEL | COMPAT_TOPIC_INVERTER | COMPAT_TOPIC_SETTINGS,
} CompatTopic;

/* The topics in mask (CompatTopic bits) for one inverter. */
void compat_publish(App *app, Inverter *inv, unsigned mask);
