#!/usr/bin/python3
"""axpertd and its bus connection: losing the system bus is fatal, so systemd restarts it."""
import signal

import daemonlib
import testlib


class BusLossTest(daemonlib.DaemonTestCase):
    transport = 'pty'

    def test_exits_with_failure_when_the_bus_dies(self):
        # Issue 17.4: with dbus-daemon killed, axpertd used to keep polling the inverter and
        # pinging the watchdog, serving nobody, and was never restarted. Now it says so and
        # exits non-zero, which Restart=on-failure in axpertd.service acts on.
        self.start_sim()
        # Not start_daemon(): its bus connection would be closed at cleanup, and this one dies
        # with the bus.
        self.daemon = self.spawn('axpertd', [daemonlib.daemon_binary(),
                                             f'--device={self.device_spec}',
                                             '--poll-interval=0.5'])
        bus = daemonlib.Bus(self.bus.address)
        testlib.wait_for(lambda: bus.has_name() or not self.daemon.running(), 30,
                         what='org.axpert.Inverter on the bus')
        testlib.wait_for(lambda: bus.get('Online') or not self.daemon.running(), 30,
                         what='the inverter online')
        self.assertTrue(self.daemon.running(), self.daemon.output())
        self.bus.proc.send_signal(signal.SIGKILL)
        self.bus.proc.wait(10)
        testlib.wait_for(lambda: not self.daemon.running(), 15, 0.1,
                         what='axpertd to exit after losing the bus')
        self.assertNotEqual(self.daemon.proc.returncode, 0, self.daemon.output())
        self.assertGreater(self.daemon.proc.returncode, 0, 'an exit, not a crash')
        lost = [line for line in self.daemon.output().splitlines() if 'system bus' in line]
        self.assertEqual(len(lost), 1, self.daemon.output())
        self.assertTrue(lost[0].startswith('<3>'), lost[0])
        self.assertIn('Lost the connection to the system bus, exiting', lost[0])

    def test_sigterm_is_still_a_clean_exit(self):
        self.start(daemon_args=('--poll-interval=0.5',))
        self.assertEqual(self.daemon.stop(), 0)
        self.assertNotIn('Lost the connection', self.daemon.output())


if __name__ == '__main__':
    testlib.main()
