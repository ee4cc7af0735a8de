# Sourced by every scenario inside the test guest (vmscenario.py runs them with `sh -e` as
# root, after basic.target). What a scenario wants the host to check goes to $OUT.
OUT=/vm/out
SIM_SOCK=/run/axpert-sim.sock
VM_USER=axtest
export PYTHONDONTWRITEBYTECODE=1

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

# A fact for the host: one "key value…" line in $OUT/facts.
fact() {
        k=$1
        shift
        echo "$k $*" >>"$OUT/facts"
}

# Waits until the command succeeds; fails after $1 seconds.
wait_until() {
        t=$1
        shift
        end=$(($(cut -d. -f1 /proc/uptime) + t))
        until "$@" >/dev/null 2>&1; do
                if [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ]; then
                        log "timed out after ${t}s waiting for: $*"
                        return 1
                fi
                sleep 0.2
        done
}

# dummy_hcd at full speed (the bridge is USB 1.1) and the HID gadget function.
usb_modules() {
        modprobe dummy_hcd is_high_speed=0
        modprobe libcomposite
        modprobe usb_f_hid
        wait_until 10 test -d /sys/kernel/config/usb_gadget
        wait_until 10 sh -c 'ls /sys/class/udc | grep -q .'
}

# A plain user for the client side (no groups, no polkit rights).
add_user() {
        getent passwd "$VM_USER" >/dev/null || useradd -m -s /bin/sh "$VM_USER"
}
as_user() { runuser -u "$VM_USER" -- "$@"; }

# The simulator as the gadget: axpert-sim --hidg-gadget=axpert plus what the scenario adds.
SIM=${SIM:-axpert-sim}
sim_start() {
        rm -f "$SIM_SOCK" "$OUT/sim.ready"
        "$SIM" --hidg-gadget=axpert --control="$SIM_SOCK" "$@" >"$OUT/sim.ready" 2>"$OUT/sim.log" &
        SIM_PID=$!
        wait_until 20 grep -q ready "$OUT/sim.ready"
        log "axpert-sim running ($SIM_PID)"
}
sim_ctl() {
        python3 - "$SIM_SOCK" "$*" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b'\n')
data = b''
while True:
    lines = data.decode(errors='replace').split('\n')
    if any(x == 'ok' or x.startswith('error: ') for x in lines[:-1]):
        break
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
for x in data.decode(errors='replace').split('\n'):
    if x == 'ok':
        break
    if x.startswith('error: '):
        print(x, file=sys.stderr)
        sys.exit(1)
    print(x)
PY
}

# The hidraw node of the simulated bridge (0665:5161), or nothing.
hidraw_node() {
        for d in /sys/class/hidraw/hidraw*; do
                [ -e "$d" ] || continue
                if grep -qi 'HID_ID=0003:00000665:00005161' "$d/device/uevent" 2>/dev/null; then
                        echo "/dev/${d##*/}"
                        return 0
                fi
        done
        return 1
}

unit_active() { [ "$(systemctl is-active "$1")" = active ]; }

# axpertd's first object answers with Online=true.
INV=/org/axpert/Inverter/0
online() {
        busctl --system get-property org.axpert.Inverter "$INV" org.axpert.Inverter Online |
                grep -q true
}
