#!/usr/bin/python3
"""Inside the test guest: axpert-sim --hidg-gadget as a real USB HID device on dummy_hcd, talked to
over the hidraw node usbhid makes of it. Writes results-VARIANT.json for test-vm-sim-gadget.py."""
import glob
import json
import os
import select
import sys
import time

sys.path.insert(0, sys.argv[1])  # tests/integration/sim
from pi30client import parse_frame, request  # noqa: E402

OUT = '/vm/out'


def find_hidraw():
    for node in glob.glob('/sys/class/hidraw/hidraw*'):
        try:
            uevent = open(os.path.join(node, 'device', 'uevent')).read()
        except OSError:
            continue
        if '00000665:00005161' in uevent.upper():
            return '/dev/' + os.path.basename(node), uevent
    return None, None


def transact(fd, command, timeout=3.0):
    data = request(command)
    t0 = time.monotonic()
    for i in range(0, len(data), 8):
        os.write(fd, data[i:i + 8].ljust(8, b'\0'))
    out = b''
    while b'\r' not in out:
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return None, time.monotonic() - t0, out
        report = os.read(fd, 64)
        if len(report) != 8:
            return None, time.monotonic() - t0, out + b'<short report>'
        out += report
    frame = out[:out.index(b'\r') + 1]
    try:
        return parse_frame(frame), time.monotonic() - t0, out
    except Exception as e:  # noqa: BLE001 - recorded for the host to show
        return None, time.monotonic() - t0, out + f' <{e}>'.encode()


def main():
    res = {}
    deadline = time.monotonic() + 20
    while True:
        path, uevent = find_hidraw()
        if path or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    res['hidraw'] = path
    res['uevent'] = uevent
    if not path:
        json.dump(res, open(os.path.join(OUT, f'results-{sys.argv[3]}.json'), 'w'), indent=1)
        return
    # bInterface* and speed of the USB device behind it, as lsusb would show.
    usbdev = os.path.realpath(f'/sys/class/hidraw/{os.path.basename(path)}/device/../..')
    for attr in ('idVendor', 'idProduct', 'speed', 'bcdDevice', 'bMaxPacketSize0'):
        try:
            res[attr] = open(os.path.join(usbdev, attr)).read().strip()
        except OSError:
            res[attr] = None
    intf = os.path.realpath(f'/sys/class/hidraw/{os.path.basename(path)}/device/..')
    res['endpoints'] = sorted(os.path.basename(e) for e in glob.glob(intf + '/ep_*'))
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    answers = {}
    times = {}
    for command in ['QPI', 'QPIGS', 'QMCHGCR', 'QMUCHGCR', 'QPIRI']:
        got = []
        for _ in range(int(sys.argv[2])):
            payload, dt, raw = transact(fd, command)
            got.append(payload.decode(errors='replace') if payload is not None
                       else 'FAILED ' + raw.decode(errors='replace'))
            times.setdefault(command, []).append(dt)
        answers[command] = got
    os.close(fd)
    res['answers'] = answers
    res['times'] = times
    json.dump(res, open(os.path.join(OUT, f'results-{sys.argv[3]}.json'), 'w'), indent=1)


main()
