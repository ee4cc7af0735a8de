# test-vm-wedge: the bridge stops delivering input reports until a USB reset (axpert-sim's wedge
# on the gadget): axpertd resets the USB device, recovers without a restart and answers the bus
# all the while; GetAll is timed every 50 ms throughout, and a hidraw write() is timed on its own.
SRC=$1
usb_modules
sim_start
wait_until 60 unit_active axpertd.service
wait_until 120 online
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
prop() {
        busctl --system get-property org.axpert.Inverter "$INV" org.axpert.Inverter "$1" |
                cut -d' ' -f2-
}
offline() { ! online; }
fact pid_before "$(systemctl show -p MainPID --value axpertd.service)"
fact resets_before "$(prop UsbResets)"

python3 "$SRC/tests/vm/guest-getall.py" "$OUT/getall.json" &
SAMPLER=$!
sleep 3

t0=$(now)
fact wedge_at "$t0"
sim_ctl fault wedge
wait_until 60 offline
fact offline_at "$(now)"
fact offline_error "$(prop LastError)"
wait_until 120 online
t1=$(now)
fact online_at "$t1"
fact recovery "$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')"
sleep 3
kill "$SAMPLER"
wait "$SAMPLER" || true

fact resets_after "$(prop UsbResets)"
fact sim_status "$(sim_ctl status | tr '\n' ' ')"
fact pid_after "$(systemctl show -p MainPID --value axpertd.service)"
fact restarts "$(systemctl show -p NRestarts --value axpertd.service)"
fact last_error "$(prop LastError)"
fact reset_entry "$(journalctl -b -o cat MESSAGE_ID=af1952d1256d4f3d81653fd4dca22ffe | tail -1)"
fact reset_done "$(journalctl -b -o cat MESSAGE_ID=af7f6be32dd34e8aa5f28831bd23bf55 | tail -1)"
fact slow_writes "$(journalctl -b -u axpertd.service -o cat | grep -c 'writing .* took' || true)"
journalctl -b -u axpertd.service -o short-monotonic >"$OUT/axpertd.log" || true

# A write() on the node by itself, with axpertd stopped: healthy, then wedged.
systemctl stop axpertd.service
node=$(hidraw_node)
python3 "$SRC/tests/vm/guest-hidraw-write.py" "$node" 10 >"$OUT/write-healthy.json"
sim_ctl fault wedge
python3 "$SRC/tests/vm/guest-hidraw-write.py" "$node" 10 >"$OUT/write-wedged.json"
