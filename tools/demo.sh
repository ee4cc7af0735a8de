#!/bin/bash
# The whole system on the simulator, with no hardware and no system-wide change beyond Debian
# packages: a private system-like bus, axpert-sim (a compressed solar day, two parallel units,
# 2400 baud) behind a pty, axpertd, axpert-history, a mosquitto on a loopback port, axpert-mqtt,
# and a live `axpertctl monitor`. Ctrl-C (or any exit) stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. tools/deps.sh
# shellcheck disable=SC2086
axpert_ensure_packages $AXPERT_BUILD_PACKAGES $AXPERT_RUN_PACKAGES

build=build/demo
if [ -f "$build/build.ninja" ]; then
        meson setup --reconfigure "$build" >/dev/null
else
        meson setup "$build" -Dtests=false >/dev/null
fi
ninja -C "$build" -j2 >/dev/null

state=$(mktemp -d /tmp/axpert-demo.XXXXXX)
chmod 755 "$state"
pids=()
cleanup() {
        trap - EXIT INT TERM
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
                kill "${pids[$i]}" 2>/dev/null || true
        done
        for pid in "${pids[@]}"; do
                wait "$pid" 2>/dev/null || true
        done
        rm -rf "$state"
        echo
        echo "demo stopped; nothing left running."
}
trap cleanup EXIT INT TERM

need() {
        if [ ! -x "$build/$1" ]; then
                echo "$build/$1 is not built (its component is not in this tree yet)." >&2
                exit 1
        fi
}
need sim/axpert-sim
need daemon/axpertd

# A private bus with the system bus's rules plus the project's own policy.
cat >"$state/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$state/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$state/bus.conf" --nofork --nopidfile --print-address=3 \
        3>"$state/bus.address" 2>"$state/dbus.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$state/bus.address" ] && break; sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$state/system_bus_socket"
export DBUS_SESSION_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS

"$build/sim/axpert-sim" --pty="$state/inverter" --scenario=day --units=2 --baud=2400 \
        --control="$state/sim.control" >"$state/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "$state/inverter" ] && break; sleep 0.05; done

"$build/daemon/axpertd" --device="demo=serial:$state/inverter" --poll-interval=2 \
        >"$state/axpertd.log" 2>&1 &
pids+=($!)

port=""
if [ -x "$build/mqtt/axpert-mqtt" ] && command -v mosquitto >/dev/null; then
        port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" \
                >"$state/mosquitto.conf"
        mosquitto -c "$state/mosquitto.conf" >"$state/mosquitto.log" 2>&1 &
        pids+=($!)
        cat >"$state/mqtt.conf" <<CONF
[MQTT]
Broker=tcp://127.0.0.1:$port
ClientId=axpert-mqtt-demo

[HomeAssistant]
Discovery=true

[MindFreeze]
Enabled=true
CONF
        sleep 0.3
        "$build/mqtt/axpert-mqtt" --config="$state/mqtt.conf" >"$state/axpert-mqtt.log" 2>&1 &
        pids+=($!)
fi

if [ -x "$build/history/axpert-history" ]; then
        printf '[History]\nPollInterval=2\nCommitInterval=10\n' >"$state/history.conf"
        "$build/history/axpert-history" --config="$state/history.conf" \
                --database="$state/history.db" >"$state/axpert-history.log" 2>&1 &
        pids+=($!)
fi

instructions() {
        cat <<TEXT

axpert demo is running (logs in $state). From a second terminal:

  export DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
  $top/$build/client/axpertctl status
  busctl --system tree org.axpert.Inverter
  busctl --system introspect org.axpert.Inverter /org/axpert/Inverter/demo
  $top/$build/client/axpertctl energy                       # the kWh so far (axpert-history)
  $top/$build/client/axpertctl history --csv --since=-10m BatteryVoltage PvInputPower
TEXT
        if [ -n "$port" ]; then
                echo "  mosquitto_sub -h 127.0.0.1 -p $port -v -t 'axpert/#' -t 'power/#'"
        fi
        cat <<TEXT
  echo "fault silence" | socat - UNIX-CONNECT:$state/sim.control   # make the inverter go quiet

  tail -f $state/monitor.log                              # every change (axpertctl monitor)

Press Ctrl-C to stop everything.

TEXT
}

# axpertd takes its bus name once the first full poll is done (a few seconds at 2400 baud).
printf "waiting for axpertd's first reading"
for _ in $(seq 120); do
        if busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                NameHasOwner s org.axpert.Inverter 2>/dev/null | grep -q true; then
                break
        fi
        if ! kill -0 "${pids[2]}" 2>/dev/null; then
                echo
                echo "axpertd stopped:" >&2
                cat "$state/axpertd.log" >&2
                exit 1
        fi
        printf "."
        sleep 0.5
done
echo

# The instructions come last, and stay on screen: the live view below is one line that
# rewrites itself (every change goes to monitor.log instead of scrolling them away).
if [ -x "$build/client/axpertctl" ]; then
        ctl="$build/client/axpertctl"
        "$ctl" status || true
        instructions
        "$ctl" monitor >"$state/monitor.log" 2>&1 &
        pids+=($!)
        while kill -0 "${pids[-1]}" 2>/dev/null; do
                line="$("$ctl" show -P Mode 2>/dev/null || echo offline) |"
                line+=" PV $("$ctl" show -P PvInputPower 2>/dev/null || echo -) W |"
                line+=" battery $("$ctl" show -P BatteryVoltage 2>/dev/null || echo -) V"
                line+=" $("$ctl" show -P BatteryCapacity 2>/dev/null || echo -) % |"
                line+=" load $("$ctl" show -P TotalAcOutputActivePower 2>/dev/null || echo -) W"
                if [ -t 1 ]; then
                        printf '\r\033[K%s' "$line"
                fi
                sleep 2
        done
else
        instructions
        tail -f "$state/axpertd.log" &
        pids+=($!)
        wait "${pids[-1]}" || true
fi
