# test-vm-sim-gadget: the simulator's hidg transport over a real USB stack, read over hidraw;
# once with the bridge's shape (outputs as SET_REPORT), once with an OUT endpoint. The client
# shares CPU 0 with the simulator, which runs under SCHED_FIFO: woken by a SET_REPORT it reads
# it before the client can send the next one (on another vCPU its wake-up waits on the host).
SRC=$1
usb_modules
SIM="taskset -c 0 axpert-sim"
for variant in setreport outep; do
        if [ $variant = outep ]; then
                sim_start --baud=0 --hidg-out-endpoint
        else
                sim_start --baud=0
        fi
        taskset -c 0 python3 "$SRC/tests/vm/guest-sim-gadget.py" "$SRC/tests/integration/sim" \
                20 $variant
        sim_ctl history >"$OUT/history-$variant"
        kill "$SIM_PID"
        wait "$SIM_PID" || true
        # The gadget is gone from configfs once the simulator exits.
        ls /sys/kernel/config/usb_gadget >"$OUT/gadgets-after-$variant"
        wait_until 10 sh -c '! ls /sys/class/hidraw | grep -q .'
done
