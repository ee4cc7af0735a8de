#!/usr/bin/python3
"""Parallel units appear as objects (InterfacesAdded) and vanish (InterfacesRemoved)."""
import daemonlib
import testlib

PATH = daemonlib.ROOT + '/0'


class ParallelTest(daemonlib.DaemonTestCase):
    transport = 'pty'

    def test_units_appear_with_the_simulators_values(self):
        self.start('--units=3', daemon_args=('--poll-interval=0.5',))
        objects = self.dbus.pump_until(
            lambda: (lambda o: o if len(o) == 4 else None)(self.dbus.managed_objects()), 30,
            what='three unit objects')
        units = sorted(p for p in objects if '/unit' in p)
        self.assertEqual(units, [f'{PATH}/unit{i}' for i in range(3)])
        props = self.dbus.get_all()
        self.assertEqual(props['ParallelUnits'], 3)
        self.assertEqual(props['OutputMode'], 'parallel')
        for i in range(3):
            u = self.dbus.get_all(f'{PATH}/unit{i}', daemonlib.UNIT_IFACE)
            self.assertEqual(u['Index'], i)
            self.assertGreater(self.assert_matches_sim(u, unit=i), 20)
        # The system totals come from QPGS.
        self.assertEqual(props['TotalAcOutputActivePower'],
                         float(self.control.get('TotalAcOutputActivePower', unit=0)))

    def test_units_vanish_and_come_back(self):
        self.start('--units=2', daemon_args=('--poll-interval=0.5',))
        self.dbus.subscribe(path=None, iface='org.freedesktop.DBus.ObjectManager')
        self.dbus.pump_until(lambda: len(self.dbus.managed_objects()) == 3, 30,
                             what='two unit objects')
        self.dbus.signals.clear()

        # The system becomes a single inverter: QPIRI says so on the next Refresh.
        self.control.set('OutputMode', 'single')
        self.dbus.call(PATH, daemonlib.IFACE, 'Refresh')
        self.dbus.pump(0.3)
        removed = sorted(s[2][0] for s in self.dbus.signals if s[1] == 'InterfacesRemoved')
        self.assertEqual(removed, [f'{PATH}/unit0', f'{PATH}/unit1'])
        self.assertEqual(list(self.dbus.managed_objects()), [PATH])
        self.assertEqual(self.dbus.get('ParallelUnits'), 0)

        self.dbus.signals.clear()
        self.control.set('OutputMode', 'parallel')
        self.dbus.call(PATH, daemonlib.IFACE, 'Refresh')
        self.dbus.pump(0.3)
        added = sorted(s[2][0] for s in self.dbus.signals if s[1] == 'InterfacesAdded')
        self.assertEqual(added, [f'{PATH}/unit0', f'{PATH}/unit1'])
        self.assertEqual(self.dbus.get('ParallelUnits'), 2)


if __name__ == '__main__':
    testlib.main(jobs=2, first=('test_units_vanish_and_come_back',))
