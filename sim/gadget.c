/* The configfs USB HID gadget that looks like the inverters' bridge (lsusb of a 0665:5161: USB
 * 1.10, bMaxPacketSize0 8, one interface, one interrupt IN endpoint, no OUT endpoint: outputs
 * travel as SET_REPORT control transfers). ../shared/design/TESTBED.md has what was checked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gadget.h"
#include "hid-report.h"
#include "log.h"
#include "macros.h"
#include "sim.h"

#define GADGET_ROOT "/sys/kernel/config/usb_gadget"
#define UDC_CLASS "/sys/class/udc"
#define FUNCTION "functions/hid.usb0"
#define CONFIG "configs/c.1"
#define LINK CONFIG "/hid.usb0"

struct Gadget {
        char *dir;
        char *udc;      /* as given, or NULL */
        char *bound_to; /* the UDC it is bound to now */
        bool created;
};

static int write_attr(const char *dir, const char *name, const void *data, size_t len)
{
        char path[512];
        int fd, r = 0;
        ssize_t n;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
        if (fd < 0)
                return -errno;
        n = write(fd, data, len);
        if (n < 0)
                r = -errno;
        else if ((size_t)n != len)
                r = -EIO;
        safe_close(fd);
        return r;
}

static int write_str(const char *dir, const char *name, const char *value)
{
        int r = write_attr(dir, name, value, strlen(value));

        if (r < 0)
                log_error_errno(r, "Failed to write \"%s\" to %s/%s: %s", value, dir, name,
                                ERRSTR(r));
        return r;
}

static int mkdir_at(const char *dir, const char *sub)
{
        char path[512];

        snprintf(path, sizeof path, "%s/%s", dir, sub);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %s", path, ERRSTR(errno));
        return 0;
}

static void rmdir_at(const char *dir, const char *sub)
{
        char path[512];

        snprintf(path, sizeof path, "%s/%s", dir, sub);
        if (rmdir(path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove %s: %s", path, ERRSTR(errno));
}

int gadget_new(const char *name, const char *udc, bool out_endpoint, Gadget **ret)
{
        _cleanup_free_ Gadget *g = NULL;
        char *dir = NULL;
        int r;

        if (!*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return log_error_errno(EINVAL, "--hidg-gadget=\"%s\": not a gadget name.", name);
        if (access(GADGET_ROOT, F_OK) < 0)
                return log_error_errno(errno,
                                       GADGET_ROOT " does not exist: configfs is not mounted or "
                                       "the kernel lacks USB gadget support (modprobe "
                                       "libcomposite; a UDC such as dummy_hcd).");
        g = calloc(1, sizeof *g);
        if (!g || asprintf(&dir, GADGET_ROOT "/%s", name) < 0)
                return log_oom();
        g->dir = dir;
        if (udc) {
                g->udc = strdup(udc);
                if (!g->udc) {
                        free(g->dir);
                        return log_oom();
                }
        }
        if (mkdir(dir, 0755) < 0) {
                r = -errno;
                if (r == -EEXIST)
                        log_error("Gadget %s exists already (another axpert-sim, or a left-over: "
                                  "remove it or pick another --hidg-gadget= name).",
                                  dir);
                else
                        log_error_errno(r, "Failed to create %s: %s", dir, ERRSTR(r));
                free(g->udc);
                free(g->dir);
                return r;
        }
        g->created = true;

        if ((r = write_str(dir, "idVendor", "0x0665")) < 0 ||
            (r = write_str(dir, "idProduct", "0x5161")) < 0 ||
            (r = write_str(dir, "bcdUSB", "0x0110")) < 0 ||
            (r = write_str(dir, "bcdDevice", "0x0000")) < 0 ||
            (r = mkdir_at(dir, "strings/0x409")) < 0 ||
            (r = write_str(dir, "strings/0x409/manufacturer", "axpert-sim")) < 0 ||
            (r = write_str(dir, "strings/0x409/product", "Voltronic PI30 inverter (simulated)")) <
                            0 ||
            (r = write_str(dir, "strings/0x409/serialnumber", name)) < 0 ||
            (r = mkdir_at(dir, FUNCTION)) < 0 ||
            (r = write_str(dir, FUNCTION "/protocol", "0")) < 0 ||
            (r = write_str(dir, FUNCTION "/subclass", "0")) < 0 ||
            (r = write_str(dir, FUNCTION "/report_length", "8")) < 0 ||
            (r = mkdir_at(dir, CONFIG)) < 0 || (r = mkdir_at(dir, CONFIG "/strings/0x409")) < 0 ||
            (r = write_str(dir, CONFIG "/strings/0x409/configuration", "PI30")) < 0 ||
            (r = write_str(dir, CONFIG "/MaxPower", "100")) < 0)
                goto fail;
        /* The real bridge has a control endpoint of 8 bytes; composite may overrule it. */
        (void)write_attr(dir, "bMaxPacketSize0", "8", 1);
        r = write_attr(dir, FUNCTION "/report_desc", sim_hid_report_descriptor,
                       sim_hid_report_descriptor_size);
        if (r < 0) {
                log_error_errno(r, "Failed to write the report descriptor: %s", ERRSTR(r));
                goto fail;
        }
        /* No OUT endpoint: output reports arrive as SET_REPORT (kernels before 6.0 lack it). */
        r = write_attr(dir, FUNCTION "/no_out_endpoint", out_endpoint ? "0" : "1", 1);
        if (r < 0 && !out_endpoint) {
                log_error_errno(r,
                                "This kernel's f_hid cannot drop the OUT endpoint "
                                "(no_out_endpoint): %s",
                                ERRSTR(r));
                goto fail;
        }
        {
                char target[600], link[600];

                snprintf(target, sizeof target, "%s/" FUNCTION, dir);
                snprintf(link, sizeof link, "%s/" LINK, dir);
                if (symlink(target, link) < 0) {
                        r = log_error_errno(errno, "Failed to add the function to %s: %s",
                                            CONFIG, ERRSTR(errno));
                        goto fail;
                }
        }
        *ret = TAKE_PTR(g);
        return 0;

fail:
        gadget_free(TAKE_PTR(g));
        return r;
}

static int first_udc(char **ret)
{
        DIR *d = opendir(UDC_CLASS);
        struct dirent *de;
        char *name = NULL;

        if (!d)
                return log_error_errno(errno,
                                       UDC_CLASS " is missing: no USB device controller "
                                       "(modprobe dummy_hcd).");
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (!name || strcmp(de->d_name, name) < 0) {
                        free(name);
                        name = strdup(de->d_name);
                        if (!name) {
                                closedir(d);
                                return log_oom();
                        }
                }
        }
        closedir(d);
        if (!name)
                return log_error_errno(ENODEV, "No USB device controller in " UDC_CLASS
                                               " (modprobe dummy_hcd).");
        *ret = name;
        return 0;
}

int gadget_bind(Gadget *g)
{
        char *udc = NULL;
        int r;

        if (g->bound_to)
                return 0;
        if (g->udc) {
                udc = strdup(g->udc);
                if (!udc)
                        return log_oom();
        } else {
                r = first_udc(&udc);
                if (r < 0)
                        return r;
        }
        r = write_attr(g->dir, "UDC", udc, strlen(udc));
        if (r < 0) {
                log_error_errno(r, "Failed to bind %s to %s: %s", g->dir, udc, ERRSTR(r));
                free(udc);
                return r;
        }
        log_info("Gadget %s bound to %s.", g->dir, udc);
        g->bound_to = udc;
        return 0;
}

int gadget_unbind(Gadget *g)
{
        int r;

        if (!g->bound_to)
                return 0;
        r = write_attr(g->dir, "UDC", "\n", 1);
        if (r < 0 && r != -ENODEV)
                return log_error_errno(r, "Failed to unbind %s: %s", g->dir, ERRSTR(r));
        log_info("Gadget %s unbound from %s.", g->dir, g->bound_to);
        free(g->bound_to);
        g->bound_to = NULL;
        return 0;
}

bool gadget_bound(const Gadget *g)
{
        return g->bound_to != NULL;
}

int gadget_hidg_path(Gadget *g, char **ret)
{
        char path[600], dev[32] = "", line[256];
        FILE *f;
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "%s/" FUNCTION "/dev", g->dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to read %s: %s", path, ERRSTR(errno));
        n = read(fd, dev, sizeof dev - 1);
        safe_close(fd);
        if (n <= 0)
                return log_error_errno(EIO, "%s is empty.", path);
        dev[n] = '\0';
        dev[strcspn(dev, "\n")] = '\0';

        snprintf(path, sizeof path, "/sys/dev/char/%s/uevent", dev);
        f = fopen(path, "re");
        if (!f)
                return log_error_errno(errno, "Failed to read %s: %s", path, ERRSTR(errno));
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strneq(line, "DEVNAME=", 8)) {
                        fclose(f);
                        if (asprintf(ret, "/dev/%s", line + 8) < 0)
                                return log_oom();
                        return 0;
                }
        }
        fclose(f);
        return log_error_errno(ENOENT, "No device node for %s (%s).", g->dir, dev);
}

Gadget *gadget_free(Gadget *g)
{
        if (!g)
                return NULL;
        if (g->created) {
                char link[600];

                (void)gadget_unbind(g);
                snprintf(link, sizeof link, "%s/" LINK, g->dir);
                if (unlink(link) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Failed to remove %s: %s", link, ERRSTR(errno));
                rmdir_at(g->dir, CONFIG "/strings/0x409");
                rmdir_at(g->dir, CONFIG);
                rmdir_at(g->dir, FUNCTION);
                rmdir_at(g->dir, "strings/0x409");
                if (rmdir(g->dir) < 0)
                        log_warning_errno(errno, "Failed to remove %s: %s", g->dir, ERRSTR(errno));
        }
        free(g->bound_to);
        free(g->udc);
        free(g->dir);
        free(g);
        return NULL;
}
