/* The HID shape of the inverters' USB bridge (Cypress, 0665:5161) as hidraw sees it. */
#include <string.h>

#include "hid-report.h"

const uint8_t sim_hid_report_descriptor[] = {
                0x06, 0x00, 0xff, /* Usage Page (Vendor Defined 0xFF00) */
                0x09, 0x01,       /* Usage (0x01) */
                0xa1, 0x01,       /* Collection (Application) */
                0x15, 0x00,       /*   Logical Minimum (0) */
                0x26, 0xff, 0x00, /*   Logical Maximum (255) */
                0x75, 0x08,       /*   Report Size (8) */
                0x95, 0x08,       /*   Report Count (8) */
                0x09, 0x01,       /*   Usage (0x01) */
                0x81, 0x02,       /*   Input (Data, Var, Abs) */
                0x95, 0x08,       /*   Report Count (8) */
                0x09, 0x01,       /*   Usage (0x01) */
                0x91, 0x02,       /*   Output (Data, Var, Abs) */
                0xc0,             /* End Collection */
};
const size_t sim_hid_report_descriptor_size = sizeof sim_hid_report_descriptor;

size_t sim_hid_report_fill(uint8_t report[static SIM_HID_REPORT_SIZE], const uint8_t *buf,
                           size_t len)
{
        if (len > SIM_HID_REPORT_SIZE)
                len = SIM_HID_REPORT_SIZE;
        memset(report, 0, SIM_HID_REPORT_SIZE);
        memcpy(report, buf, len);
        return len;
}
