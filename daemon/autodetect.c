/* Finds the inverters' USB-HID nodes (0665:5161, the Cypress bridge) by walking sysfs. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configuration.h"

#define AXPERT_USB_VENDOR 0x0665
#define AXPERT_USB_PRODUCT 0x5161

static bool hidraw_matches(const char *sysfs_root, const char *node)
{
        char path[512], line[256];
        bool found = false;
        FILE *f;

        snprintf(path, sizeof path, "%s/class/hidraw/%s/device/uevent", sysfs_root, node);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof line, f)) {
                unsigned bus, vendor, product;
                /* HID_ID=0003:00000665:00005161 (bus USB = 3) */
                if (sscanf(line, "HID_ID=%x:%x:%x", &bus, &vendor, &product) == 3 &&
                    vendor == AXPERT_USB_VENDOR && product == AXPERT_USB_PRODUCT)
                        found = true;
        }
        fclose(f);
        return found;
}

static int compare_nodes(const void *a, const void *b)
{
        const char *x = *(const char *const *)a, *y = *(const char *const *)b;
        size_t lx = strlen(x), ly = strlen(y);
        /* hidraw2 before hidraw10 */
        return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

int autodetect_hidraw(const char *sysfs_root, char ***ret_paths, size_t *ret_n)
{
        char path[512], **paths = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *dir;

        snprintf(path, sizeof path, "%s/class/hidraw", sysfs_root);
        dir = opendir(path);
        if (!dir) {
                *ret_paths = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(dir))) {
                if (!strneq(de->d_name, "hidraw", 6) || !hidraw_matches(sysfs_root, de->d_name))
                        continue;
                char **a = realloc(paths, (n + 1) * sizeof *a);
                if (!a)
                        break;
                paths = a;
                if (asprintf(&paths[n], "/dev/%s", de->d_name) < 0)
                        break;
                n++;
        }
        closedir(dir);
        if (n > 1)
                qsort(paths, n, sizeof *paths, compare_nodes);
        *ret_paths = paths;
        *ret_n = n;
        return 0;
}
