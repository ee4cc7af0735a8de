# test-vm-polkit: the real polkitd decides a plain user's setting change (refused by default)
# and the shipped example rule grants it to the MQTT bridge's user; a refused call sends nothing.
SRC=$1
usb_modules
add_user
sim_start --baud=0
wait_until 60 hidraw_node
wait_until 90 online
RULE=/usr/share/doc/axpert/examples/50-axpert-mqtt.rules.example

# Runs axpertctl as user $1 with the rest; records "NAME rc" and the output in $OUT/NAME.txt.
try() {
        name=$1 user=$2
        shift 2
        sim_ctl history clear >/dev/null
        rc=0
        runuser -u "$user" -- axpertctl "$@" >"$OUT/$name.txt" 2>&1 || rc=$?
        sim_ctl history >"$OUT/$name.history"
        fact "$name" "$rc"
}

try plain-default "$VM_USER" set-output-source-priority solar-first
fact polkit-active "$(systemctl is-active polkit.service || true)"
try mqtt-default axpert-mqtt set-output-source-priority solar-first

install -m 0644 "$RULE" /etc/polkit-1/rules.d/50-axpert-mqtt.rules
# polkitd reloads its rules when the directory changes; a restart makes the moment certain.
systemctl restart polkit.service
try plain-rule "$VM_USER" set-output-source-priority solar-first
try mqtt-rule axpert-mqtt set-output-source-priority solar-first
fact bus-priority "$(busctl --system get-property org.axpert.Inverter "$INV" org.axpert.Inverter OutputSourcePriority)"
fact sim-priority "$(sim_ctl get OutputSourcePriority)"
# The rule grants the everyday actions only: battery settings stay with an administrator.
try mqtt-battery axpert-mqtt set-battery-type agm
fact sim-battery "$(sim_ctl get BatteryType)"
