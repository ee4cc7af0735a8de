# test-vm-uhid: the simulator's --uhid test (tests/integration/sim/test-sim-uhid.py) where
# /dev/uhid exists, from the build tree as meson runs it.
SRC=$1
modprobe uhid
fact uhid "$(test -c /dev/uhid && echo present || echo missing)"
rc=0
AXPERT_BUILD_ROOT=$BUILD_ROOT AXPERT_SOURCE_ROOT=$SRC PYTHONPATH=$SRC/tests/integration \
        python3 "$SRC/tests/integration/sim/test-sim-uhid.py" >"$OUT/uhid.log" 2>&1 || rc=$?
fact uhid-rc "$rc"
