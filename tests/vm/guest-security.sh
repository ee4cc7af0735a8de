# test-vm-security: systemd-analyze security read off the running axpertd.service.
SRC=$1
usb_modules
sim_start --baud=0
wait_until 60 hidraw_node
wait_until 90 unit_active axpertd.service
systemd-analyze security --no-pager axpertd.service >"$OUT/security-online.txt" 2>&1 || true
systemd-analyze security --offline=true --no-pager /usr/lib/systemd/system/axpertd.service \
        >"$OUT/security-offline.txt" 2>&1 || true
fact active "$(systemctl is-active axpertd.service)"
