# Sourced by tools/test.sh and tools/demo.sh: the Debian packages each needs, and the one function
# that installs them (as root) or prints the apt-get line and stops (as anybody else).

# Building: compilers, meson, the libraries of every component.
AXPERT_BUILD_PACKAGES="meson ninja-build gcc clang libclang-rt-14-dev pkg-config libc6-dev
 libsystemd-dev libglib2.0-dev libjson-glib-dev libsqlite3-dev libpaho-mqtt-dev libsoup-3.0-dev
 libglib2.0-dev-bin libcrypt-dev zlib1g-dev"
# Running the components together: a bus, a broker and its clients; Debian's Chart.js, which
# axpert-web serves.
AXPERT_RUN_PACKAGES="dbus dbus-daemon mosquitto mosquitto-clients python3 procps socat
 libjs-chart.js"
# Testing: the integration tests' tools (Debian's python3 with dbusmock, gi and paho; xmllint;
# the D-Bus DTDs from libdbus-1-dev; systemd-analyze and busctl; polkit; setpriv for
# unprivileged callers; strace for the fsync count; Chromium, its driver and selenium for the
# dashboard's browser test).
AXPERT_TEST_PACKAGES="python3-gi gir1.2-glib-2.0 python3-dbus python3-dbusmock python3-paho-mqtt
 libxml2-utils libdbus-1-dev systemd polkitd pkexec util-linux bash-completion man-db groff-base
 openssl nodejs libglib2.0-dev-bin strace sqlite3 tzdata curl libfaketime
 chromium chromium-driver python3-selenium"
# The system test bed and the Debian packages: QEMU (TCG) boots Debian's own kernel, downloaded
# by tests/vm with `apt-get download` and never installed, over a busybox initramfs, with real udev
# inside; dpkg-buildpackage, debhelper and lintian build and check the .debs; debootstrap is not
# needed (the guest is the throw-away root).
AXPERT_SYSTEM_PACKAGES="qemu-system-x86 kmod busybox-static udev cpio dpkg-dev debhelper lintian
 fakeroot git"
# Benchmarks: wrk for the web server's request rate.
AXPERT_BENCH_PACKAGES="wrk strace"

axpert_ensure_packages() {
        local missing="" p
        for p in "$@"; do
                if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
                        missing="$missing $p"
                fi
        done
        [ -z "$missing" ] && return 0
        if [ "$(id -u)" -ne 0 ]; then
                echo "Missing Debian packages. Install them with:" >&2
                echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
                exit 1
        fi
        echo "Installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        if ! apt-get install -y --no-install-recommends $missing >/tmp/axpert-apt.log 2>&1; then
                apt-get update -qq >>/tmp/axpert-apt.log 2>&1 || true
                # shellcheck disable=SC2086
                apt-get install -y --no-install-recommends $missing >>/tmp/axpert-apt.log 2>&1 || {
                        cat /tmp/axpert-apt.log >&2
                        echo "apt-get install failed" >&2
                        exit 1
                }
        fi
}
