#!/usr/bin/python3
"""What the inverter and the daemon do to the recording: offline (no samples, a gap, no energy
for it), another serial number on the same path (a new history object, nothing attributed to
the wrong one), axpertd restarting, parallel units recorded as unitN.Property, a unit vanishing
(its fields stop, nothing made up for it, the rest goes on)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gi.repository import GLib  # noqa: E402

import historylib  # noqa: E402  (puts daemon/ on the path)
import daemonlib  # noqa: E402
import testlib  # noqa: E402

PATH = '/org/axpert/Inverter/0'


class Inverter(historylib.HistoryTestCase):

    def start_all(self, *sim_args):
        self.start('--baud=0', *sim_args, daemon_args=('--poll-interval=0.5',))
        self.sn = self.serial()
        self.start_history()
        self.wait_object(self.sn)
        self.wait_samples(self.sn, ['BatteryVoltage'], 3)

    def load_total(self, serial):
        periods = self.hbus.get_energy(serial, 'day', 0, historylib.now_usec() + 10**9)
        return historylib.energy_sum(periods, 'Load')

    def test_offline_records_nothing_and_counts_no_energy(self):
        self.start_all()
        self.control.fault('silence')
        self.wait_online(False, timeout=30)
        t_off = historylib.now_usec()
        time.sleep(1)  # a last cycle's reply may still be on its way
        n_off = len(self.samples(self.sn, ['BatteryVoltage'])[0])
        e_off = self.load_total(self.sn)
        time.sleep(4)
        self.assertEqual(len(self.samples(self.sn, ['BatteryVoltage'])[0]), n_off,
                         'samples while offline')
        self.assertEqual(self.load_total(self.sn), e_off, 'energy while offline')
        t_clear = historylib.now_usec()
        self.control.fault('none')
        self.wait_online(True, timeout=30)
        t_on = historylib.now_usec()
        self.wait_samples(self.sn, ['BatteryVoltage'], n_off + 3)
        times, _ = self.samples(self.sn, ['BatteryVoltage'])
        # A gap stays a gap: no row between going offline and coming back.
        self.assertFalse([t for t in times if t_off + 500_000 < t < t_clear], times)
        # The energy after: only the intervals between the samples since coming back, never
        # the time offline. The first sample after the gap starts a new run (it adds nothing),
        # each later one adds its interval at the (static) load: at most the load times the
        # span of those samples, however fast or slow the machine polled. Samples are read
        # after the energy, so every one whose energy was counted is there.
        load_w = float(self.control.get('AcOutputActivePower'))
        after = self.load_total(self.sn) - e_off
        times, _ = self.samples(self.sn, ['BatteryVoltage'])
        back = [t for t in times if t > t_clear]
        self.assertTrue(back, times)
        span_s = (back[-1] - back[0]) / 1e6 + 0.05  # + the wall and monotonic clocks' drift
        since_clear = [(t - t_clear) / 1e6 for t in times if t > t_off]
        self.assertLessEqual(after, load_w * span_s / 3600 / 1000,
                             f'{after} kWh counted after coming back, {span_s:.2f} s of samples '
                             f'at {load_w} W; the samples since going offline, in s after the '
                             f'fault was cleared: {since_clear}')

    def test_serial_change_makes_a_new_history(self):
        self.start_all()
        old = self.sn
        new = '92932105109999'
        testlib.wait_for(lambda: self.load_total(old) > 0, 20, 0.2, what='energy of the first')
        self.control.set('SerialNumber', new)
        t_change = historylib.now_usec()
        try:
            self.dbus.call(PATH, daemonlib.IFACE, 'Refresh')
        except GLib.Error:
            pass
        testlib.wait_for(lambda: self.dbus.get('SerialNumber') == new, 30, 0.1,
                         what='the daemon to see the new serial')
        props = self.wait_object(new)[historylib.IFACE]
        self.assertEqual(props['SerialNumber'], new)
        testlib.wait_for(lambda: self.hbus.props(old)['Device'] == '/', 10, 0.1,
                         what="the old serial's Device to go")
        self.assertEqual(self.hbus.props(new)['Device'], PATH)
        e_old = self.load_total(old)
        self.wait_samples(new, ['BatteryVoltage'], 3)
        time.sleep(2)
        # Nothing of the new inverter goes to the old one, and its first sample is after the
        # change (no interval bridged across inverters).
        self.assertEqual(self.load_total(old), e_old)
        old_times, _ = self.samples(old, ['BatteryVoltage'])
        new_times, _ = self.samples(new, ['BatteryVoltage'])
        self.assertGreater(new_times[0], t_change - 1_000_000)
        self.assertLess(old_times[-1], new_times[0])
        self.assertGreater(self.load_total(new), 0)
        self.assertEqual(sorted(self.hbus.managed()),
                         sorted([historylib.object_path(old), historylib.object_path(new)]))

    def test_daemon_restart_continues_the_same_history(self):
        self.start_all()
        self.daemon.stop()
        testlib.wait_for(lambda: self.hbus.props(self.sn)['Device'] == '/', 10, 0.1,
                         what='Device / after the daemon left')
        n = len(self.samples(self.sn, ['BatteryVoltage'])[0])
        self.start_daemon('--poll-interval=0.5')
        self.wait_online()
        testlib.wait_for(lambda: self.hbus.props(self.sn)['Device'] == PATH, 20, 0.1,
                         what='Device back')
        self.wait_samples(self.sn, ['BatteryVoltage'], n + 3)
        self.assertEqual(list(self.hbus.managed()), [historylib.object_path(self.sn)])
        self.assertTrue(self.history.running())

    def test_parallel_units_are_recorded(self):
        self.start_all('--units=2')
        testlib.wait_for(lambda: 'unit1.BatteryVoltage' in self.hbus.props(self.sn)['Fields']
                         or self.samples_ok('unit1.BatteryVoltage'), 20, 0.2,
                         what='unit1.BatteryVoltage recorded')
        t, c = self.samples(self.sn, ['unit0.BatteryVoltage', 'unit1.Mode'])
        self.assertTrue(historylib.finite(c[0]))
        self.assertTrue(historylib.finite(c[1]))

    def test_unit_vanishing_records_no_phantom(self):
        self.start_all('--units=2')
        testlib.wait_for(lambda: self.samples_ok('unit1.BatteryVoltage'), 20, 0.2,
                         what='unit1.BatteryVoltage recorded')
        unit1 = f'{PATH}/unit1'
        self.assertIn(unit1, self.dbus.managed_objects())
        # The inverter reports the second unit's slot empty: axpertd removes its object.
        self.control.set('Present', '0', unit=1)
        testlib.wait_for(lambda: unit1 not in self.dbus.managed_objects(), 30, 0.1,
                         what='the daemon to remove unit1')
        gone = historylib.now_usec()
        testlib.wait_for(lambda: len(self.samples(self.sn, ['BatteryVoltage'],
                                                  since=gone + 1_000_000)[0]) >= 3, 60, 0.2,
                         what='three cycles recorded after the unit vanished')
        self.assertTrue(self.history.running(), self.history.output())
        t, c = self.samples(self.sn, ['unit1.BatteryVoltage', 'unit0.BatteryVoltage',
                                      'BatteryVoltage'], since=gone + 1_000_000)
        self.assertGreaterEqual(len(t), 3)
        self.assertTrue(all(v != v for v in c[0]), f'unit1 values after it vanished: {c[0]}')
        self.assertEqual(len(historylib.finite(c[1])), len(t), 'unit0 goes on')
        self.assertEqual(len(historylib.finite(c[2])), len(t), 'the inverter goes on')
        # Energy keeps counting for what is left.
        e = self.load_total(self.sn)
        testlib.wait_for(lambda: self.load_total(self.sn) > e, 20, 0.2,
                         what='energy after the unit vanished')

    def samples_ok(self, field):
        try:
            return bool(self.samples(self.sn, [field])[0])
        except GLib.Error:
            return False


if __name__ == '__main__':
    testlib.main(jobs=3, first=('test_offline_records_nothing_and_counts_no_energy',))
