#!/usr/bin/python3
"""axpert-sim --uhid: a real /dev/hidrawN with VID:PID 0665:5161. Needs /dev/uhid; without it the
test is SKIPPED (exit 77), never counted as passed."""
import glob
import os
import select
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import parse_frame, request
import simtest
import testlib


def find_hidraw():
    for node in glob.glob('/sys/class/hidraw/hidraw*'):
        try:
            with open(os.path.join(node, 'device', 'uevent')) as f:
                uevent = f.read()
        except OSError:
            continue
        if '00000665:00005161' in uevent.upper() and 'axpert-sim' in uevent:
            return '/dev/' + os.path.basename(node)
    return None


class UhidTest(simtest.SimTestCase):

    def test_hidraw_query(self):
        if not os.path.exists('/dev/uhid'):
            self.skipTest('this kernel has no /dev/uhid (CONFIG_UHID); '
                          'the hidraw path is covered through --seqpacket instead')
        self.start_sim('--uhid', '--baud=0', pty=False)
        path = testlib.wait_for(find_hidraw, 10, what='hidraw node 0665:5161')
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        data = request('QPI')
        for i in range(0, len(data), 8):
            os.write(fd, data[i:i + 8].ljust(8, b'\0'))
        out = b''
        while b'\r' not in out:
            r, _, _ = select.select([fd], [], [], 3)
            self.assertTrue(r, 'no report')
            report = os.read(fd, 64)
            self.assertEqual(len(report), 8)
            out += report
        self.assertEqual(parse_frame(out[:out.index(b'\r') + 1]), b'PI30')


if __name__ == '__main__':
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    # Meson counts exit status 77 as SKIP: a skipped check must not look like a pass.
    sys.exit(77 if result.skipped else 0)
