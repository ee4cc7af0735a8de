/* The HID shape of the inverters' USB bridge, shared by the uhid and the USB gadget transports. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Every report is 8 bytes, both ways; an answer's last report is NUL-padded. */
#define SIM_HID_REPORT_SIZE 8
#define SIM_HID_VENDOR 0x0665
#define SIM_HID_PRODUCT 0x5161

/* Vendor page, no report IDs, one 8-byte input and one 8-byte output report. */
extern const uint8_t sim_hid_report_descriptor[];
extern const size_t sim_hid_report_descriptor_size;

/* One report of output from buf (at most SIM_HID_REPORT_SIZE bytes), NUL-padded into report.
 * Returns the bytes of buf taken. */
size_t sim_hid_report_fill(uint8_t report[static SIM_HID_REPORT_SIZE], const uint8_t *buf,
                           size_t len);
