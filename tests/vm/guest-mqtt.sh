# test-vm-mqtt: axpert-mqtt.service against the Debian mosquitto inside the guest publishes what
# axpertd shows on the bus.
SRC=$1
usb_modules
systemctl start mosquitto.service
sim_start --baud=0
wait_until 60 hidraw_node
wait_until 90 online
systemctl start axpert-mqtt.service
fact mqtt-user "$(systemctl show -p User --value axpert-mqtt.service)"
SERIAL=$(busctl --system get-property org.axpert.Inverter "$INV" org.axpert.Inverter SerialNumber | sed 's/^s "\(.*\)"$/\1/')
fact serial "$SERIAL"
mosquitto_sub -h localhost -t "axpert/$SERIAL/availability" -C 1 -W 90 >"$OUT/availability" || true
mosquitto_sub -h localhost -t "axpert/$SERIAL/state" -C 1 -W 90 >"$OUT/state.json" || true
busctl --system --json=short get-property org.axpert.Inverter "$INV" org.axpert.Inverter \
        GridVoltage BatteryVoltage AcOutputActivePower PvInputVoltage BatteryCapacity \
        DeviceStatus Mode FirmwareVersion OutputSourcePriority >"$OUT/busctl.json"
fact mqtt-active "$(systemctl is-active axpert-mqtt.service || true)"
