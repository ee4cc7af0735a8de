#!/usr/bin/python3
"""Many clients reading at once add no device traffic: they are served from the daemon's state."""
import os
import subprocess
import time

import daemonlib
import testlib

PATH = daemonlib.ROOT + '/0'


class ClientsTest(daemonlib.DaemonTestCase):
    transport = 'seqpacket'
    # The project's bus policy: everyone may call our interfaces.
    policy_files = (testlib.source_path('dbus', 'org.axpert.Inverter.conf'),)

    def test_unprivileged_reader(self):
        """A non-root client reads everything and may Refresh (no authorization needed)."""
        self.start(daemon_args=('--poll-interval=120',))
        env = dict(self.env)

        def busctl(*args):
            return subprocess.run(['busctl', '--system', '--no-pager'] + list(args), env=env,
                                  capture_output=True, text=True, timeout=30, user=65534,
                                  group=65534, cwd='/')
        r = busctl('call', daemonlib.BUS_NAME, PATH, daemonlib.IFACE, 'Refresh')
        self.assertEqual(r.returncode, 0, r.stderr)
        r = busctl('get-property', daemonlib.BUS_NAME, PATH, daemonlib.IFACE, 'SerialNumber')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), 's "%s"' % self.control.get('SerialNumber'))
        r = busctl('tree', daemonlib.BUS_NAME)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(PATH, r.stdout)

    def test_many_concurrent_getall_add_no_device_traffic(self):
        # A long poll interval: after the first cycle the device is quiet unless a client
        # caused traffic.
        self.start(daemon_args=('--poll-interval=120',))
        time.sleep(0.5)
        before = self.control.count()
        reference = self.dbus.get_all()

        def client(i):
            bus = daemonlib.Bus(self.bus.address)
            try:
                for _ in range(20):
                    props = bus.get_all()
                    assert props['SerialNumber'] == reference['SerialNumber']
                bus.get('BatteryVoltage')
                bus.managed_objects()
                return len(props)
            finally:
                bus.close()

        sizes = self.concurrent(64, client)
        self.assertEqual(set(sizes), {len(reference)})
        self.assertEqual(self.control.count(), before)

    def test_first_getall_is_a_complete_reading(self):
        """The name appears only after the first cycle: the first GetAll is never half-filled."""
        self.start_sim()
        self.start_daemon('--poll-interval=120')
        props = self.dbus.get_all()
        self.assertIs(props['Online'], True)
        self.assertGreater(props['LastUpdateTimestamp'], 0)
        self.assert_matches_sim(props)

    def test_refresh_on_an_offline_device_fails_cleanly(self):
        self.start_sim('--fault=silence')
        self.start_daemon('--poll-interval=120')
        self.assertIs(self.dbus.get('Online'), False)
        with self.assertRaises(Exception) as e:
            self.dbus.call(PATH, daemonlib.IFACE, 'Refresh')
        self.assertIn('org.axpert.Inverter.Error', str(e.exception))
        self.assertTrue(self.daemon.running())


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_many_concurrent_getall_add_no_device_traffic',))
