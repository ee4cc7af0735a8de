# test-vm-sim-gadget: the simulator's hidg transport over a real USB stack, read over hidraw.
SRC=$1
usb_modules
sim_start --baud=0
python3 "$SRC/tests/vm/guest-sim-gadget.py" "$SRC/tests/integration/sim" 20
sim_ctl history >"$OUT/history"
kill "$SIM_PID"
wait "$SIM_PID" || true
# The gadget is gone from configfs once the simulator exits.
ls /sys/kernel/config/usb_gadget >"$OUT/gadgets-after"
