# test-vm-sim-gadget: the simulator's hidg transport over a real USB stack, read over hidraw;
# once with the bridge's shape (outputs as SET_REPORT), once with an OUT endpoint.
SRC=$1
usb_modules
for variant in setreport outep; do
        if [ $variant = outep ]; then
                sim_start --baud=0 --hidg-out-endpoint
        else
                sim_start --baud=0
        fi
        python3 "$SRC/tests/vm/guest-sim-gadget.py" "$SRC/tests/integration/sim" 20 $variant
        sim_ctl history >"$OUT/history-$variant"
        kill "$SIM_PID"
        wait "$SIM_PID" || true
        # The gadget is gone from configfs once the simulator exits.
        ls /sys/kernel/config/usb_gadget >"$OUT/gadgets-after-$variant"
        wait_until 10 sh -c '! ls /sys/class/hidraw | grep -q .'
done
