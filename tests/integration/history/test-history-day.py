#!/usr/bin/python3
"""Issue 12's done-when test: the simulator's compressed day (--scenario=day) through the real
axpertd into axpert-history; every energy counter agrees with the simulator's exact ground truth
(`energy` on its control socket) within 1 %, the totals survive a restart, and GetSamples
returns the recorded series."""
import bisect
import math
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import historylib  # noqa: E402
import testlib  # noqa: E402

TRUTH_KEYS = {'Pv': 'pv_wh', 'Load': 'load_wh', 'BatteryCharge': 'battery_charge_wh',
              'BatteryDischarge': 'battery_discharge_wh', 'Grid': 'grid_wh'}


class Truth:
    """The simulator's ground truth as a function of wall time, read every 50 ms."""

    def __init__(self, control):
        self.control = control
        self.times, self.values = [], []

    def read(self):
        t0 = time.time()
        line = self.control.command('energy')[-1]
        t1 = time.time()
        self.times.append((t0 + t1) / 2)
        self.values.append({k: float(v) for k, v in (x.split('=') for x in line.split())})

    def at(self, t, key):
        i = bisect.bisect_left(self.times, t)
        if i == 0 or i >= len(self.times):
            raise AssertionError(f'{t} is outside the ground truth read '
                                 f'({self.times[0]}..{self.times[-1]})')
        t0, t1 = self.times[i - 1], self.times[i]
        v0, v1 = self.values[i - 1][key], self.values[i][key]
        return v0 + (v1 - v0) * (t - t0) / (t1 - t0)


class Day(historylib.HistoryTestCase):

    def test_day_scenario_energy_matches_ground_truth(self):
        # --baud=0: the answers are instant, so a sample's values are those of its time.
        # --poll-interval=0: cycles back to back (some 10-30 ms apart). The scenario's powers
        # step (mode line -> battery, charging on and off): sampled every PollInterval, a
        # step costs up to half an interval of its power, which for the grid estimate (a few
        # seconds of line mode in a compressed day) would alone exceed 1 % at 0.5 s.
        self.start('--baud=0', '--scenario=day', '--day-length=50',
                   daemon_args=('--poll-interval=0',))
        serial = self.serial()
        truth = Truth(self.control)
        truth.read()
        self.start_history(PollInterval='0.1', CommitInterval='2')
        self.wait_object(serial)
        # Dawn (the scenario starts at 0.2 of a day) through noon into the evening (0.8):
        # line and battery mode, charging and discharging, PV from 0 to its peak and back.
        end = time.monotonic() + 30
        while time.monotonic() < end:
            truth.read()
            time.sleep(0.05)
        # The daemon goes: nothing is integrated after its last cycle.
        self.daemon.stop()
        self.hbus.conn.flush_sync(None)
        for _ in range(10):
            truth.read()
            time.sleep(0.05)

        fields = ['PvInputPower', 'AcOutputActivePower', 'BatteryCapacity', 'Mode']
        times, columns = self.samples(serial, fields)
        self.assertGreater(len(times), 30 / 0.5, 'fewer samples than poll cycles')
        self.assertEqual(times, sorted(times))
        first, last = times[0] / 1e6, times[-1] / 1e6
        print(f'{len(times)} samples in {last - first:.1f} s')

        periods = self.hbus.get_energy(serial, 'day', 0, historylib.now_usec() + 10**9)
        self.assertTrue(periods, 'no day has energy')
        report = []
        for kind, key in TRUTH_KEYS.items():
            expected = truth.at(last, key) - truth.at(first, key)
            got = historylib.energy_sum(periods, kind) * 1000
            report.append(f'{kind}: {got:.3f} Wh recorded, {expected:.3f} Wh true')
        print('\n'.join(report))
        for kind, key in TRUTH_KEYS.items():
            self.assertGreater(truth.at(last, key) - truth.at(first, key), 0.2,
                               f'{kind}: the scenario produced none')
        for kind, key in TRUTH_KEYS.items():
            expected = truth.at(last, key) - truth.at(first, key)
            got = historylib.energy_sum(periods, kind) * 1000
            self.assertLessEqual(abs(got - expected), 0.01 * expected,
                                 f'{kind}: {got} Wh, truth {expected} Wh\n' + '\n'.join(report))

        # The recorded series: PV rose from nothing past 1 kW, Mode was line then battery.
        pv = historylib.finite(columns[0])
        self.assertEqual(len(pv), len(times))
        self.assertEqual(min(pv), 0)
        self.assertGreater(max(pv), 1000)
        self.assertTrue(all(0 <= v <= 3000 for v in pv), pv)
        modes = set(historylib.finite(columns[3]))
        self.assertEqual(modes, {2.0, 3.0}, 'Mode as its index: line (2) and battery (3)')
        # Averages per 5 s: fewer rows, each within the raw range.
        t5, c5 = self.samples(serial, ['PvInputPower'], step=5)
        self.assertLess(len(t5), len(times))
        self.assertTrue(all(t % 5_000_000 == 0 for t in t5), t5)
        self.assertLessEqual(max(c5[0]), max(pv))

        # SIGTERM commits; a restart starts from the database: the same counters, now as the
        # object's properties.
        self.assertEqual(self.stop_history(signal.SIGTERM), 0, self.history.output())
        self.start_history(PollInterval='0.1', CommitInterval='2')
        props = self.wait_object(serial)[historylib.IFACE]
        for kind in TRUTH_KEYS:
            total = props[f'{kind}EnergyTotal']
            self.assertTrue(math.isclose(total, historylib.energy_sum(periods, kind),
                                         rel_tol=1e-9, abs_tol=1e-9), (kind, total))
            self.assertLessEqual(props[f'{kind}EnergyToday'], total + 1e-12)
        self.assertEqual(props['EnergySource'], 'integrated')
        self.assertEqual(props['Device'], '/', 'the daemon is gone')
        self.assertEqual(props['SerialNumber'], serial)
        # (a minute row counts with its start)
        self.assertLessEqual(props['FirstSampleTimestamp'], times[0])
        self.assertGreater(props['FirstSampleTimestamp'], times[0] - 60 * 10**6)
        self.assertEqual(props['LastSampleTimestamp'], times[-1])
        self.assertIn('PvInputPower', props['Fields'])
        self.assertEqual(props['Fields'], sorted(props['Fields']))


if __name__ == '__main__':
    testlib.main()
