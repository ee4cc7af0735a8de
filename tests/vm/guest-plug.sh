# test-vm-plug: plugging the simulated bridge in starts axpertd through the shipped udev rule;
# a plain user reads it over the real system bus. Then the fast cycle's time over hidraw.
SRC=$1
usb_modules
add_user
fact before-plug "$(systemctl is-active axpertd.service || true)"
sim_start
wait_until 30 hidraw_node
NODE=$(hidraw_node)
fact node "$NODE"
udevadm settle
fact node-owner "$(stat -c '%U %G %a' "$NODE")"
fact udev-wants "$(udevadm info -q property "$NODE" | sed -n 's/^SYSTEMD_WANTS=//p')"
wait_until 60 unit_active axpertd.service
wait_until 60 online
PID=$(systemctl show -p MainPID --value axpertd.service)
for p in User Group NRestarts WantedBy; do
        fact "unit-$p" "$(systemctl show -p $p --value axpertd.service)"
done
fact process "$(ps -o user=,group= -p "$PID")"
grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' "/proc/$PID/status" |
        while read -r k v; do fact "proc-${k%:}" "$v"; done
fact supplementary "$(ps -o supgrp= -p "$PID")"

# What a plain user sees, from busctl and from axpertctl, against the simulator's own values.
sim_ctl dump >"$OUT/sim-dump"
as_user id >"$OUT/user-id"
as_user busctl --system --json=short get-property org.axpert.Inverter "$INV" \
        org.axpert.Inverter Online Transport DevicePath SerialNumber FirmwareVersion \
        GridVoltage BatteryVoltage AcOutputActivePower PvInputVoltage BatteryCapacity \
        DeviceStatus Mode >"$OUT/busctl.json"
as_user axpertctl status >"$OUT/status.txt" 2>&1

# The fast cycle with the daemon polling as fast as the link allows: first with the simulator
# paced like the inverter's 2400 baud UART behind the bridge, then instant (the USB path alone).
measure() {
        mkdir -p /etc/axpert
        printf '[Daemon]\nPollInterval=0\n' >/etc/axpert/axpertd.conf
        systemctl restart axpertd.service
        wait_until 60 online
        sleep 2
        python3 - "$1" <<'PY' >>"$OUT/facts"
import sys, time
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM)
def ts():
    v = bus.call_sync('org.axpert.Inverter', '/org/axpert/Inverter/0',
                      'org.freedesktop.DBus.Properties', 'Get',
                      GLib.Variant('(ss)', ('org.axpert.Inverter', 'LastUpdateTimestamp')),
                      None, 0, 5000, None)
    return v.unpack()[0]
seen = [ts()]
end = time.monotonic() + 20
while time.monotonic() < end and len(seen) < 12:
    t = ts()
    if t != seen[-1]:
        seen.append(t)
    time.sleep(0.02)
d = [(b - a) / 1000 for a, b in zip(seen[1:], seen[2:])]
d.sort()
print(f'cycle-{sys.argv[1]} {d[len(d) // 2] if d else -1:.0f} {len(d)}')
PY
}
measure baud2400
kill "$SIM_PID"
wait "$SIM_PID" || true
sim_start --baud=0
measure instant
