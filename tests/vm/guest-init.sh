#!/bin/busybox sh
# /init of the test guest's initramfs (tests/vm/vmlib.py builds it): loads the few modules the
# root file system needs, puts the host's root (read-only, 9p) under a tmpfs overlay, adds the
# staged install and the test's own layer on top, and hands over to systemd as PID 1.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
        echo "axpert-vm-init: $*" >/dev/console
        echo o >/proc/sysrq-trigger
        sleep 60
}

for m in $(cat /modules.order); do
        insmod "/modules/$m" || fail "insmod $m failed"
done

arg() {
        for w in $(cat /proc/cmdline); do
                case "$w" in "$1="*) echo "${w#*=}"; return ;; esac
        done
}

P9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /lower/host /lower/stage /vm /rw /newroot
mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower/host || fail "cannot mount the host root"
mount -t 9p -o "$P9,cache=none" vm /vm || fail "cannot mount the test share"
lower=/vm/layer
if [ "$(arg axpert.stage)" = 1 ]; then
        mount -t 9p -o "$P9,ro,cache=loose" stage /lower/stage || fail "cannot mount the stage"
        lower="$lower:/lower/stage"
fi
lower="$lower:/lower/host"

mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o "lowerdir=$lower,upperdir=/rw/upper,workdir=/rw/work" overlay /newroot ||
        fail "cannot mount the overlay ($lower)"

kver=$(uname -r)
mkdir -p "/newroot/lib/modules/$kver"
mount -t 9p -o "$P9,ro,cache=loose" modules "/newroot/lib/modules/$kver" ||
        fail "cannot mount the kernel modules"

# The guest is a machine of its own: its own id, no host hostname.
cat /proc/sys/kernel/random/uuid | tr -d - >/newroot/etc/machine-id
echo axpert-vm >/newroot/etc/hostname
# The host may be a container: its marker would make systemd believe it runs in one too (and
# ignore the kernel command line).
rm -f /newroot/.dockerenv
# The host's temporary files are not the guest's (systemd-tmpfiles would empty them, slowly).
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp
mkdir -p /newroot/vm
mount --move /vm /newroot/vm

umount /proc /sys 2>/dev/null
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd
