/* axpertd's configuration: /etc/axpert/axpertd.conf (GKeyFile) and command-line overrides. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "macros.h"

#define CONFIG_DEFAULT_FILE SYSCONFDIR "/axpert/axpertd.conf"
#define CONFIG_DEFAULT_POLL_INTERVAL_USEC (5 * USEC_PER_SEC)
#define CONFIG_DEFAULT_SETTINGS_INTERVAL_USEC (60 * USEC_PER_SEC)

typedef struct ConfigDevice {
        char *name; /* [A-Za-z0-9_]+ */
        char *path; /* the transport spec as given */
        bool probe; /* autodetected: leave it alone unless it speaks PI30 (link_set_probe()) */
} ConfigDevice;

typedef struct Config {
        uint64_t poll_interval_usec; /* 0 = as fast as the link allows */
        uint64_t settings_interval_usec;
        ConfigDevice *devices;
        size_t n_devices;
} Config;

/* Command-line options, applied on top of the file. */
typedef struct ConfigOverrides {
        const char *config_file; /* NULL: CONFIG_DEFAULT_FILE, missing file is fine */
        char **devices;          /* "[NAME=]PATH" each; NULL-terminated; replaces the file's */
        bool poll_interval_set;
        uint64_t poll_interval_usec;
} ConfigOverrides;

Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free)

/* Loads the file (when it exists, or always when given explicitly) and applies the overrides.
 * On a bad file or value, returns -EINVAL and writes a message naming the file, group, key and
 * what is accepted into error. Without any device configured the list stays empty: the caller
 * (main.c) then fills it with autodetect_hidraw(). */
int config_load(const ConfigOverrides *o, Config **ret, char *error, size_t error_size);

/* "5", "0.5", "2s", "500ms" -> microseconds; -EINVAL otherwise. Locale-free. */
int config_parse_seconds(const char *s, uint64_t *ret_usec);
/* "[NAME=]PATH" -> name (may be NULL) and path. */
int config_parse_device_arg(const char *arg, char **ret_name, char **ret_path);
bool config_name_valid(const char *name);

/* Every hidraw node with USB ids 0665:5161 under sysfs_root ("/sys"), as "/dev/hidrawN". */
int autodetect_hidraw(const char *sysfs_root, char ***ret_paths, size_t *ret_n);
