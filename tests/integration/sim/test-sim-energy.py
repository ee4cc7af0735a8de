#!/usr/bin/python3
"""axpert-sim's energy ground truth ("energy" on the control socket) grows as power x real time,
and the MAX model's own counters (QET, QEDyyyymmdd, QLT, QLDyyyymmdd) and clock (QT) agree
with it; the classic model NAKs them."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import SerialClient, parse_frame, request
import simtest

KEYS = ['pv_wh', 'load_wh', 'battery_charge_wh', 'battery_discharge_wh', 'grid_wh']
NAK = b'(NAKss\r'


class EnergyTest(simtest.SimTestCase):

    def energy(self):
        """(energy dict, monotonic time before asking, after the answer)."""
        before = time.monotonic()
        out = self.control_ok('energy')
        after = time.monotonic()
        self.assertEqual(len(out), 1, out)
        pairs = dict(kv.split('=', 1) for kv in out[0].split(' '))
        self.assertEqual(list(pairs), KEYS)
        return {k: float(v) for k, v in pairs.items()}, before, after

    def set_all(self, **values):
        for name, value in values.items():
            self.control_ok(f'set {name} {value}')

    def check_growth(self, watts, seconds=3.0):
        """Each counter grows by its power times the elapsed time (which the simulator took
        somewhere between our send and our receive: both bounds are checked, with 1 %)."""
        e0, b0, a0 = self.energy()
        time.sleep(seconds)
        e1, b1, a1 = self.energy()
        shortest, longest = b1 - a0, a1 - b0
        for k in KEYS:
            got = e1[k] - e0[k]
            low, high = watts[k] * shortest / 3600, watts[k] * longest / 3600
            if watts[k] == 0:
                self.assertEqual(got, 0, k)
            else:
                self.assertGreaterEqual(got, low * 0.99, f'{k}: {got} Wh for {watts[k]} W')
                self.assertLessEqual(got, high * 1.01, f'{k}: {got} Wh for {watts[k]} W')
        return e1

    def test_ground_truth_static(self):
        self.start_sim('--baud=0', '--model=max')
        # Line mode, PV short of load + charging: the grid gives the rest.
        self.set_all(Mode='line', PvChargingPower=1000, Pv2InputPower=500,
                     AcOutputActivePower=1800, BatteryVoltage='50.00', BatteryChargingCurrent=10,
                     BatteryDischargeCurrent=0)
        self.check_growth({'pv_wh': 1500, 'load_wh': 1800, 'battery_charge_wh': 500,
                           'battery_discharge_wh': 0, 'grid_wh': 800})
        # Battery mode: the battery gives, the grid nothing.
        self.set_all(Mode='battery', PvChargingPower=0, Pv2InputPower=0,
                     AcOutputActivePower=1000, BatteryChargingCurrent=0,
                     BatteryDischargeCurrent=20)
        self.check_growth({'pv_wh': 0, 'load_wh': 1000, 'battery_charge_wh': 0,
                           'battery_discharge_wh': 1000, 'grid_wh': 0})

    def query(self, c, cmd):
        return parse_frame(c.transact_raw(request(cmd))).decode()

    def test_counters_follow_the_truth(self):
        self.start_sim('--baud=0', '--model=max')
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        self.set_all(PvChargingPower=6000, Pv2InputPower=4000, AcOutputActivePower=9000)
        clock = self.query(c, 'QT')
        self.assertRegex(clock, r'^\d{14}$')
        today = clock[:8]
        self.assertEqual(today, time.strftime('%Y%m%d'), 'the clock follows the system\'s')
        time.sleep(2)  # 10 kW for 2 s: about 5.6 Wh
        for cmd, key, base in (('QET', 'pv_wh', 238800), (f'QED{today}', 'pv_wh', 0),
                               ('QLT', 'load_wh', 310200), (f'QLD{today}', 'load_wh', 0)):
            e0, _, _ = self.energy()
            answer = self.query(c, cmd)
            e1, _, _ = self.energy()
            self.assertRegex(answer, r'^\d{8}$', cmd)
            self.assertGreaterEqual(int(answer), int(base + e0[key]), cmd)
            self.assertLessEqual(int(answer), int(base + e1[key]), cmd)
            self.assertGreater(int(answer), base, f'{cmd} did not grow')
        # This month and year include today and what was counted before.
        self.assertGreaterEqual(int(self.query(c, f'QEM{today[:6]}')), 12300 + int(e1['pv_wh']))
        self.assertGreaterEqual(int(self.query(c, f'QEY{today[:4]}')), 123400 + int(e1['pv_wh']))
        # A day the inverter did not see: 0.
        self.assertEqual(self.query(c, 'QED20200101'), '00000000')
        self.assertEqual(self.query(c, 'QLD20200101'), '00000000')
        # get/dump show the same counters (today's).
        e, _, _ = self.energy()
        got = int(self.control_ok('get PvEnergyToday')[0].split('=')[1])
        self.assertIn(got, (int(e['pv_wh']), int(e['pv_wh']) + 1))

        # The device clock can be set; it runs on, and the counters of its new day start at 0.
        self.control_ok('set DeviceTime 20300615120000')
        self.assertTrue(self.query(c, 'QT').startswith('2030061512'))
        self.assertEqual(self.query(c, 'QED20300615'), '00000000')
        time.sleep(1.5)
        self.assertGreater(int(self.query(c, 'QED20300615')), 0)
        self.assertGreater(int(self.query(c, f'QED{today}')), 0, 'the old day is remembered')
        # Bad input changes nothing.
        for line in ('set DeviceTime 20301315120000', 'set DeviceTime tomorrow',
                     'set PvEnergyTotal 5', 'set LoadEnergyToday 5', 'energy now'):
            out = self.control(line)
            self.assertTrue(out[-1].startswith('error: '), f'{line}: {out}')
        self.assertTrue(self.query(c, 'QT').startswith('2030061512'))
        self.assertGreater(int(self.query(c, 'QET')), 238800)

    def test_classic_naks_the_counters(self):
        self.start_sim('--baud=0')
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        for cmd in ('QT', 'QET', 'QLT', 'QED20260101', 'QLD20260101'):
            self.assertEqual(c.transact_raw(request(cmd)), NAK, cmd)
        out = self.control('set DeviceTime 20300615120000')
        self.assertTrue(out[-1].startswith('error: '), out)
        # The ground truth is kept all the same.
        e, _, _ = self.energy()
        self.assertGreater(e['pv_wh'], 0)

    def test_day_scenario_counters(self):
        """The compressed day changes the powers all the time; the counters still follow the
        truth, in real-time Wh."""
        self.start_sim('--baud=0', '--model=max', '--scenario=day', '--day-length=20')
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        today = self.query(c, 'QT')[:8]
        e0, _, _ = self.energy()
        time.sleep(4)
        e1, _, _ = self.energy()
        qed = int(self.query(c, f'QED{today}'))
        e2, _, _ = self.energy()
        self.assertGreater(e1['pv_wh'], e0['pv_wh'])
        self.assertGreater(e1['load_wh'], e0['load_wh'])
        self.assertTrue(int(e1['pv_wh']) <= qed <= int(e2['pv_wh']), (e1, qed, e2))
        # At most 6 kW + 4.8 kW for 4 s: real time, not simulated hours.
        self.assertLess(e1['pv_wh'] - e0['pv_wh'], 10800 * 5 / 3600)


if __name__ == '__main__':
    simtest.main()
