#!/usr/bin/python3
"""axpertd reads the inverter's own clock and energy counters (QT, QET, QEDyyyymmdd, QLT,
QLDyyyymmdd) with the settings and shows them as DeviceTime, PvEnergyTotal, PvEnergyToday,
LoadEnergyTotal and LoadEnergyToday: tracking the simulator's counters, asked for the
inverter's date (the system's without QT), NaN where the firmware has none (asked in three
cycles, then not), when they stop answering, and while offline."""
import math
import re
import time

import daemonlib
import testlib

COUNTERS = ('PvEnergyTotal', 'PvEnergyToday', 'LoadEnergyTotal', 'LoadEnergyToday')
READINGS = ('QT', 'QET', 'QED', 'QLT', 'QLD')
# A command is unsupported after this many refusals in separate cycles (device.h).
REFUSALS_UNSUPPORTED = 3
# What the simulator's counters are on top of its ground truth (doc/sim.md).
BASE = {'PvEnergyTotal': ('pv_wh', 238800), 'PvEnergyToday': ('pv_wh', 0),
        'LoadEnergyTotal': ('load_wh', 310200), 'LoadEnergyToday': ('load_wh', 0)}


def system_date():
    return time.strftime('%Y%m%d')


class EnergyMixin:
    def energy(self):
        line = self.control.command('energy')[0]
        return {k: float(v) for k, v in (kv.split('=') for kv in line.split(' '))}

    def refresh(self):
        self.dbus.call(daemonlib.ROOT + '/0', daemonlib.IFACE, 'Refresh')

    def asked(self, name):
        """The requests of a reading in the simulator's history (QED: every QEDyyyymmdd)."""
        pattern = re.compile(name + (r'\d{8}$' if name in ('QED', 'QLD') else '$'))
        return [h for h in self.control.history() if pattern.match(h)]

    def test_counters_track_the_simulator(self):
        self.start('--model=max', '--baud=0')
        # Large powers, so the counters move by whole Wh within a second.
        for name in ('PvChargingPower', 'Pv2InputPower', 'AcOutputActivePower'):
            self.control.set(name, 90000)
        for _ in range(2):
            before = self.energy()
            self.refresh()
            after = self.energy()
            props = self.dbus.get_all()
            for name, (key, base) in BASE.items():
                self.assertIsInstance(props[name], float, name)
                self.assertGreaterEqual(props[name], math.floor(base + before[key]), name)
                self.assertLessEqual(props[name], math.floor(base + after[key]), name)
            time.sleep(1)
        self.assertGreater(props['PvEnergyToday'], 40, 'the counters do not move')
        # The clock, and the date QED/QLD were asked for: the inverter's.
        clock = self.control.get('DeviceTime')
        self.assertRegex(props['DeviceTime'], r'^\d{14}$')
        self.assertEqual(props['DeviceTime'][:8], clock[:8])
        self.assertEqual(self.asked('QED')[-1], 'QED' + clock[:8])
        self.assertEqual(self.asked('QLD')[-1], 'QLD' + clock[:8])

        # The inverter's clock on another date: its day is asked, which starts at 0 there.
        self.control.set('DeviceTime', '20300615120000')
        self.refresh()
        props = self.dbus.get_all()
        self.assertTrue(props['DeviceTime'].startswith('2030061512'), props['DeviceTime'])
        self.assertEqual(self.asked('QED')[-1], 'QED20300615')
        self.assertEqual(self.asked('QLD')[-1], 'QLD20300615')
        self.assertLess(props['PvEnergyToday'], 200)  # 50 Wh/s since the clock was set
        self.assertGreater(props['PvEnergyTotal'], 238800 + 40)
        self.assertTrue(self.dbus.get('Online'))


class PtyTest(EnergyMixin, daemonlib.DaemonTestCase):
    transport = 'pty'

    def test_without_qt_the_system_date(self):
        self.start_sim('--model=max', '--baud=0')
        self.control.command('nak-next QT 1000')
        self.control.set('DeviceTime', '20300615120000')  # never the system's date
        self.start_daemon('--poll-interval=0.5')
        self.wait_online()
        days = {system_date()}
        for _ in range(REFUSALS_UNSUPPORTED + 1):
            self.refresh()
        days.add(system_date())  # a test across midnight may see either
        props = self.dbus.get_all()
        self.assertEqual(props['DeviceTime'], '')
        # Refused in 3 settings cycles (a lost report is refused too): then no more.
        self.assertEqual(len(self.asked('QT')), REFUSALS_UNSUPPORTED,
                         'a QT refused in three cycles is not asked again')
        qed = self.asked('QED')
        self.assertGreaterEqual(len(qed), 2)
        self.assertTrue(all(q[3:] in days for q in qed), qed)
        self.assertTrue(all(q[3:] in days for q in self.asked('QLD')))
        for name in COUNTERS:
            self.assertFalse(math.isnan(props[name]), name)

    def test_classic_unsupported_nan_asked_three_times(self):
        self.start('--baud=0')
        for _ in range(5):  # settings cycles (fewer than the 10 of a re-probe)
            self.refresh()
        props = self.dbus.get_all()
        for name in COUNTERS:
            self.assertTrue(math.isnan(props[name]), f'{name}: {props[name]}')
        self.assertEqual(props['DeviceTime'], '')
        self.assertTrue(props['Online'])
        self.assertEqual(props['LastError'], '')
        for name in READINGS:
            self.assertEqual(len(self.asked(name)), REFUSALS_UNSUPPORTED,
                             f'{name}: {self.asked(name)}')

    def test_answered_then_refused_then_nan(self):
        self.start('--model=max', '--baud=0')
        self.refresh()
        total = self.dbus.get('PvEnergyTotal')
        self.assertGreaterEqual(total, 238800)
        self.control.command('nak-next QET 1000')
        # Refusals in separate cycles: the first two keep the last count (a flaky link must
        # not remove a counter), the third makes QET unsupported and the count goes.
        for i in range(2):
            self.refresh()
            self.assertEqual(self.dbus.get('PvEnergyTotal'), total, f'refusal {i + 1}')
        self.refresh()
        self.assertTrue(math.isnan(self.dbus.get('PvEnergyTotal')))
        asked = len(self.asked('QET'))
        self.refresh()
        self.assertEqual(len(self.asked('QET')), asked, 'an unsupported QET asked again')
        # The others are still read, and the cycle is complete.
        self.assertFalse(math.isnan(self.dbus.get('LoadEnergyTotal')))
        self.assertEqual(self.dbus.get('LastError'), '')

    def test_offline_nan(self):
        self.start('--model=max', '--baud=0')
        self.refresh()
        self.assertFalse(math.isnan(self.dbus.get('PvEnergyToday')))
        self.control.command('unplug')
        self.wait_online(False)
        props = self.dbus.get_all()
        for name in COUNTERS:
            self.assertTrue(math.isnan(props[name]), f'{name} offline: {props[name]}')
        self.assertEqual(props['DeviceTime'], '')
        # Settings stay (doc/daemon.md): only the readings go.
        self.assertFalse(math.isnan(props['BatteryFloatVoltage']))


class SeqpacketTest(EnergyMixin, daemonlib.DaemonTestCase):
    """HID reports: QED/QLDyyyymmdd plus CRC and CR are 14 bytes, two reports."""
    transport = 'seqpacket'


if __name__ == '__main__':
    testlib.main()
