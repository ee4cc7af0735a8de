#!/usr/bin/python3
"""0665:5161 is also the USB id of Megatec-protocol UPSes (NUT's blazer_usb, nutdrv_qx): an
autodetected node that does not speak PI30 is closed, logged once and left alone while it stays
plugged, so installing axpert never takes a UPS away from NUT. A node configured by path is the
user's word that it is an inverter: it is retried as before.

The "UPS" is axpert-sim with the echo fault (a Megatec UPS echoes commands it does not know) or
the silence fault, behind a pty that a fake sysfs (AXPERT_TEST_SYSFS) lists as hidraw0 with the
ids 0665:5161; AXPERT_TEST_DEVDIR holds the node, a link to the pty."""
import os
import time

import daemonlib
import testlib

ALONE = 'does not speak PI30 (a UPS?), leaving it alone'


class ProbeTest(daemonlib.DaemonTestCase):
    transport = 'pty'

    def fake_sysfs(self):
        sysfs = os.path.join(self.tmpdir, 'sys')
        device = os.path.join(sysfs, 'class', 'hidraw', 'hidraw0', 'device')
        os.makedirs(device)
        with open(os.path.join(device, 'uevent'), 'w') as f:
            f.write('DRIVER=hid-generic\nHID_ID=0003:00000665:00005161\nHID_NAME=UPS\n')
        devdir = os.path.join(self.tmpdir, 'dev')
        os.makedirs(devdir)
        os.symlink(self.link, os.path.join(devdir, 'hidraw0'))
        self.env['AXPERT_TEST_SYSFS'] = sysfs
        self.env['AXPERT_TEST_DEVDIR'] = devdir

    def holds_pty(self):
        """Whether axpertd has the simulator's pty open."""
        try:
            target = os.path.realpath(self.link)
        except OSError:
            return False
        fds = f"/proc/{self.daemon.pid}/fd"
        for fd in os.listdir(fds):
            try:
                if os.readlink(os.path.join(fds, fd)) == target:
                    return True
            except OSError:
                pass
        return False

    def steady_count(self, seconds):
        """The simulator's request count over a span of several poll intervals and reconnect
        backoffs; returns (first, last)."""
        first = self.control.count()
        time.sleep(seconds)
        return first, self.control.count()

    def check_left_alone(self, fault):
        self.start_sim(f'--fault={fault}')
        self.fake_sysfs()
        self.start_daemon('--poll-interval=0.5', device=False)
        testlib.wait_for(lambda: ALONE in self.daemon.output(), 30, 0.1,
                         what='the "leaving it alone" message')
        props = self.dbus.get_all()
        self.assertIs(props['Online'], False)
        self.assertIn(ALONE, props['LastError'])
        testlib.wait_for(lambda: not self.holds_pty(), 5, what='the node closed')
        # Not reopened: no request reaches the "UPS", the node stays closed, one message.
        first, last = self.steady_count(4)
        self.assertEqual(first, last, 'the node was probed again while it stayed plugged')
        self.assertFalse(self.holds_pty())
        self.assertEqual(self.daemon.output().count(ALONE), 1, self.daemon.output())
        self.assertIn(ALONE, self.dbus.get('LastError'))
        self.assertTrue(self.daemon.running())

        # Replugged (a new node behind the path), now an inverter: probed and taken.
        self.control.command('fault none')
        self.control.command('unplug')
        self.control.command('replug')
        self.wait_online(True, timeout=30)
        self.assertEqual(self.dbus.get('LastError'), '')
        self.assertTrue(self.holds_pty())

    def test_echoing_ups_is_left_alone(self):
        self.check_left_alone('echo')

    def test_silent_device_is_left_alone(self):
        # No answer at all: given a few connections (a booting inverter is slow), then left.
        self.check_left_alone('silence')

    def test_configured_path_is_retried(self):
        # The same "UPS" named by path: the user says it is an inverter, so it is retried.
        self.start_sim('--fault=echo')
        self.start_daemon('--poll-interval=0.5', f'--device=serial:{self.link}', device=False)
        testlib.wait_for(lambda: self.control.count() >= 4, 20, what='QPI asked twice')
        first, last = self.steady_count(2.5)
        self.assertGreater(last, first)
        self.assertNotIn(ALONE, self.daemon.output())
        self.control.command('fault none')
        self.wait_online(True, timeout=30)

    def test_inverter_is_taken(self):
        # The autodetected node of a real inverter: probed, online, then flaky - never left.
        self.start_sim()
        self.fake_sysfs()
        self.start_daemon('--poll-interval=0.5', device=False)
        self.wait_online(True, timeout=30)
        self.control.command('fault echo')
        self.wait_online(False, timeout=30)
        first, last = self.steady_count(2.5)
        self.assertGreater(last, first, 'a PI30 inverter that echoes for a while is retried')
        self.assertNotIn(ALONE, self.daemon.output())
        self.control.command('fault none')
        self.wait_online(True, timeout=30)


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_silent_device_is_left_alone',))
