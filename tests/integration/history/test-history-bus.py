#!/usr/bin/python3
"""org.axpert.History on the bus: the live introspection is dbus/org.axpert.History.xml, the
ObjectManager lists one object per serial, and bad method arguments get InvalidArgs naming what
is accepted."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'install'))
import dbusapi  # noqa: E402
import historylib  # noqa: E402
import testlib  # noqa: E402

ONLY = ('org.axpert.History',)


class Bus(historylib.HistoryTestCase):

    def setUp(self):
        super().setUp()
        self.start('--baud=0', daemon_args=('--poll-interval=0.5',))
        self.sn = self.serial()
        self.start_history()
        self.wait_object(self.sn)
        self.wait_samples(self.sn, ['BatteryVoltage'], 3)

    def test_introspection_matches_xml(self):
        live_text = self.hbus.introspect(historylib.object_path(self.sn))
        live = dbusapi.parse_introspection(live_text, only=ONLY)
        with open(historylib.XML, encoding='utf-8') as f:
            xml = dbusapi.parse_introspection(f.read(), only=ONLY)
        self.assertEqual(list(live), list(ONLY))
        diffs = dbusapi.compare(xml, live, 'XML', 'axpert-history')
        self.assertEqual(diffs, [], '\n' + '\n'.join(diffs))
        # The comparison sees a difference (it is not vacuous).
        changed = dbusapi.parse_introspection(live_text, only=ONLY)
        changed['org.axpert.History']['properties']['PvEnergyToday']['type'] = 'u'
        self.assertNotEqual(dbusapi.compare(xml, changed, 'XML', 'changed'), [])
        root = self.hbus.introspect(historylib.ROOT)
        self.assertIn('org.freedesktop.DBus.ObjectManager', root)

    def test_object_manager(self):
        objects = self.hbus.managed()
        path = historylib.object_path(self.sn)
        self.assertEqual(list(objects), [path])
        props = objects[path][historylib.IFACE]
        self.assertEqual(props['SerialNumber'], self.sn)
        self.assertEqual(props['Device'], '/org/axpert/Inverter/0')
        self.assertEqual(props['EnergySource'], 'integrated')
        for kind in historylib.KINDS:
            for period in historylib.PERIODS:
                self.assertGreaterEqual(props[f'{kind}Energy{period}'], 0)

    def test_counters_do_not_signal_every_cycle(self):
        # PropertiesChanged of the energy counters at most once a minute: over 5 s of cycles
        # (energy growing all the time) none carries a counter.
        seen = []
        ctx = historylib.GLib.MainContext.default()
        sub = self.hbus.conn.signal_subscribe(
            historylib.NAME, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', None, None,
            historylib.Gio.DBusSignalFlags.NONE,
            lambda *a: seen.append(a[5].unpack()))
        self.addCleanup(self.hbus.conn.signal_unsubscribe, sub)
        before = self.hbus.get_energy(self.sn, 'day', 0, historylib.now_usec() + 10**9)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            while ctx.pending():
                ctx.iteration(False)
            time.sleep(0.05)
        after = self.hbus.get_energy(self.sn, 'day', 0, historylib.now_usec() + 10**9)
        self.assertGreater(historylib.energy_sum(after, 'Load'),
                           historylib.energy_sum(before, 'Load'))
        counters = [k for _, changed, _ in seen for k in changed if 'Energy' in k]
        self.assertEqual(counters, [], seen)

    def test_fields_are_the_daemons_numbers(self):
        t, c = self.samples(self.sn, ['BatteryVoltage', 'Online', 'Mode'])
        self.assertEqual(c[0][-1], float(self.control.get('BatteryVoltage')))
        self.assertEqual(c[1][-1], 1.0, 'booleans as 0/1')
        # Strings other than Mode and LastUpdateTimestamp (no change signal) are not fields.
        msg = self.assert_invalid_args(
            lambda: self.samples(self.sn, ['LastUpdateTimestamp']), 'LastUpdateTimestamp',
            'BatteryVoltage', 'GridVoltage')
        self.assertNotIn('SerialNumber,', msg)

    def test_bad_arguments(self):
        now = historylib.now_usec()
        self.assert_invalid_args(lambda: self.samples(self.sn, ['NoSuchField']),
                                 "'NoSuchField'", 'BatteryVoltage')
        self.assert_invalid_args(lambda: self.samples(self.sn, ['BatteryVoltage'], now, now - 1),
                                 'since', 'until')
        self.assert_invalid_args(lambda: self.samples(self.sn, []), 'no fields', 'BatteryVoltage')
        self.assert_invalid_args(lambda: self.samples(self.sn, [f'F{i}' for i in range(65)]),
                                 '64')
        self.assert_invalid_args(
            lambda: self.samples(self.sn, ['BatteryVoltage', 'BatteryVoltage']), 'twice')
        # Too many points: a step of 1 s over a year could be 31 million rows.
        self.assert_invalid_args(
            lambda: self.samples(self.sn, ['BatteryVoltage'], now - 365 * 86400 * 10**6, now, 1),
            '100000', 'step')
        self.assert_invalid_args(lambda: self.hbus.get_energy(self.sn, 'week', 0, now),
                                 "'week'", 'day, month, year')
        self.assert_invalid_args(lambda: self.hbus.get_energy(self.sn, 'day', now, 0),
                                 'since', 'until')
        # After all that the service answers as before; step 0 over a day is what is there.
        t, c = self.samples(self.sn, ['BatteryVoltage'], now - 86400 * 10**6, now + 10**9, 0)
        self.assertGreaterEqual(len(t), 3)
        self.assertTrue(self.history.running())
        self.assertEqual(self.hbus.get_energy(self.sn, 'year', 0, now + 10**9)[0][0] > 0, True)


if __name__ == '__main__':
    testlib.main(jobs=3, first=('test_counters_do_not_signal_every_cycle',))
