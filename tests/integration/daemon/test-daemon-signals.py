#!/usr/bin/python3
"""One PropertiesChanged per cycle with exactly the changed properties; none when nothing changed."""
import time

import daemonlib
import testlib

PATH = daemonlib.ROOT + '/0'


class SignalsTest(daemonlib.DaemonTestCase):
    transport = 'pty'

    def cycles_pass(self, n):
        """Waits until LastUpdateTimestamp advanced n times (complete status cycles)."""
        last = self.dbus.get('LastUpdateTimestamp')
        for _ in range(n):
            last = self.dbus.pump_until(
                lambda: (lambda t: t if t > last else None)(self.dbus.get('LastUpdateTimestamp')),
                timeout=20, what='a complete cycle')

    def test_nothing_changes_no_signal(self):
        self.start(daemon_args=('--poll-interval=0.3',))
        self.dbus.subscribe(member='PropertiesChanged', path=PATH)
        self.cycles_pass(1)
        self.dbus.signals.clear()
        t0 = self.dbus.get('LastUpdateTimestamp')
        self.cycles_pass(4)
        # Polling went on (the timestamp is read on demand) but nobody was woken.
        self.assertGreater(self.dbus.get('LastUpdateTimestamp'), t0)
        self.assertEqual(self.dbus.properties_changed(), [])

    def test_one_signal_with_exactly_the_change(self):
        self.start(daemon_args=('--poll-interval=0.3',))
        self.dbus.subscribe(member='PropertiesChanged', path=PATH)
        self.cycles_pass(1)
        self.dbus.signals.clear()

        # Whole volts: the simulator (today) prints a value set over its control socket
        # without decimals, which would make this a test of the simulator.
        self.control.set('BatteryVoltage', '51')
        self.dbus.pump_until(lambda: self.dbus.properties_changed(), 20, what='PropertiesChanged')
        self.cycles_pass(2)  # and nothing more follows
        signals = self.dbus.properties_changed()
        self.assertEqual(len(signals), 1, signals)
        iface, changed, invalidated = signals[0]
        self.assertEqual(iface, daemonlib.IFACE)
        self.assertEqual(changed, {'BatteryVoltage': 51.0})
        self.assertEqual(invalidated, [])
        self.assertEqual(self.dbus.get('BatteryVoltage'),
                         float(self.control.get('BatteryVoltage')))

    def test_changes_of_one_cycle_share_one_signal(self):
        self.start(daemon_args=('--poll-interval=5',))
        self.dbus.subscribe(member='PropertiesChanged', path=PATH)
        self.dbus.signals.clear()
        self.control.set('BatteryVoltage', '50')
        self.control.set('Mode', 'battery')
        self.control.set('OutputSourcePriority', 'sbu')
        # Refresh polls everything (settings too) and returns when the cycle is done.
        self.dbus.call(PATH, daemonlib.IFACE, 'Refresh')
        self.dbus.pump(0.5)
        signals = self.dbus.properties_changed()
        self.assertEqual(len(signals), 1, signals)
        self.assertEqual(signals[0][1], {'BatteryVoltage': 50.0, 'Mode': 'battery',
                                         'OutputSourcePriority': 'sbu'})

    def test_concurrent_refresh_calls_share_one_cycle(self):
        self.start(daemon_args=('--poll-interval=60',))
        time.sleep(0.5)
        self.control.history_clear()
        self.concurrent(10, lambda i: daemonlib.Bus(self.bus.address).call(
            PATH, daemonlib.IFACE, 'Refresh'))
        history = self.control.history()
        # One full cycle, one round trip per command: settings and status, nothing twice, and
        # the serial number that every settings cycle checks (another inverter on the port?).
        self.assertEqual(sorted(history),
                         sorted(['QPIRI', 'QFLAG', 'QPIGS', 'QMOD', 'QPIWS', 'QID']), history)


if __name__ == '__main__':
    testlib.main(jobs=4)
