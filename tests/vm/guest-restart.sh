# test-vm-restart: axpertd SIGKILLed; systemd restarts it (Restart=on-failure) and it serves again.
SRC=$1
usb_modules
add_user
sim_start --baud=0
wait_until 60 hidraw_node
wait_until 90 online
OLD=$(systemctl show -p MainPID --value axpertd.service)
fact old-pid "$OLD"
fact restarts-before "$(systemctl show -p NRestarts --value axpertd.service)"
kill -KILL "$OLD"
log "killed $OLD"
new_pid() {
        p=$(systemctl show -p MainPID --value axpertd.service)
        [ "$p" != 0 ] && [ "$p" != "$OLD" ]
}
wait_until 60 new_pid
wait_until 90 online
log "serving again"
fact new-pid "$(systemctl show -p MainPID --value axpertd.service)"
fact restarts-after "$(systemctl show -p NRestarts --value axpertd.service)"
fact result "$(journalctl -b -u axpertd.service -o cat | grep -c 'Main process exited, code=killed, status=9/KILL' || true)"
as_user busctl --system get-property org.axpert.Inverter "$INV" org.axpert.Inverter Online SerialNumber >"$OUT/after.txt"
sim_ctl get SerialNumber >"$OUT/sim-serial"
