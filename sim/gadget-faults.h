/* Gadget-level faults of --hidg-gadget (the simulator as the USB device): a bridge wedged until
 * the host resets it, a re-enumeration under another hidraw number, and the count of USB resets
 * the host did. */
#pragma once

#include "sim.h"

/* Starts watching the UDC's state (/sys/class/udc/UDC/state) of the simulator's own gadget: a
 * USB reset by the host (the state leaves "configured" while the gadget stays bound) is counted
 * and clears the wedge fault. Without --hidg-gadget: -EOPNOTSUPP. Idempotent. */
int sim_gadget_faults_start(Sim *sim);
void sim_gadget_faults_stop(void);

/* The simulator itself unplugs or replugs: what the state does next is not the host's doing. */
void sim_gadget_faults_forget(void);

/* USB resets seen since the watch started. */
unsigned sim_gadget_usb_resets(void);

/* Re-enumerates the gadget under another hidraw number: holds the host's current hidraw node of
 * 0665:5161 open (its minor cannot be reused while open), unplugs, replugs, and lets go of it
 * once the new node is there (or after a few seconds). ret_old: the node held (static).
 * -ENODEV when no hidraw node of ours is there, -EOPNOTSUPP without --hidg-gadget. */
int sim_gadget_renumber(Sim *sim, const char **ret_old);
