# test-vm-unplug: the gadget unplugged (UDC unbound) and replugged, then re-enumerated under
# another hidraw number while the old one is held: axpertd says Online=false with a reason and
# comes back by itself, on the new node, without a restart.
SRC=$1
usb_modules
sim_start --baud=0
wait_until 60 unit_active axpertd.service
wait_until 90 online
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
prop() {
        busctl --system get-property org.axpert.Inverter "$INV" org.axpert.Inverter "$1" |
                cut -d' ' -f2-
}
offline() { ! online; }
pid=$(systemctl show -p MainPID --value axpertd.service)
fact pid_before "$pid"
fact path_before "$(prop DevicePath)"

# 1. Unplugged: offline with a reason, and stays so while unplugged.
t0=$(now)
sim_ctl unplug
wait_until 30 offline
fact unplug_offline_after "$(since "$t0")"
fact unplug_error "$(prop LastError)"
sleep 3
fact unplug_online_later "$(prop Online)"

# 2. Replugged: back by itself.
t0=$(now)
sim_ctl replug
wait_until 60 online
fact replug_online_after "$(since "$t0")"
fact path_replug "$(prop DevicePath)"

# 3. Re-enumerated while the old node is held: another hidraw number.
held=$(sim_ctl renumber | sed -n 's/^held=//p')
fact held "$held"
renumbered() { online && [ "$(prop DevicePath)" != "\"$held\"" ]; }
t0=$(now)
wait_until 60 renumbered
fact renumber_online_after "$(since "$t0")"
fact path_renumber "$(prop DevicePath)"
fact hidraw_now "$(hidraw_node)"
fact last_error "$(prop LastError)"
fact node_found "$(journalctl -b -o cat MESSAGE_ID=70e220182eb54995815f6c4fb988e33d | tail -1)"
fact lost_entries "$(journalctl -b -o cat MESSAGE_ID=ff4adbd6ba654b178f4c1694a7424deb | wc -l)"
fact pid_after "$(systemctl show -p MainPID --value axpertd.service)"
fact restarts "$(systemctl show -p NRestarts --value axpertd.service)"
journalctl -b -u axpertd.service -o short-monotonic >"$OUT/axpertd.log" || true
