#!/usr/bin/python3
"""axpert-sim --scenario=day: PV rises and falls, the battery charges and discharges, the mode
switches between line and battery, a warning appears and clears."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import SerialClient
import simtest


class DayTest(simtest.SimTestCase):

    def test_a_day_goes_by(self):
        self.start_sim('--baud=0', '--scenario=day', '--day-length=4', '--units=2')
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        pv, charging, discharging, modes, warnings, units = set(), set(), set(), set(), set(), set()
        end = time.monotonic() + 6
        while time.monotonic() < end:
            qpigs = c.query('QPIGS').decode().split(' ')
            pv.add(float(qpigs[13]) > 0)
            charging.add(int(qpigs[9]) > 0)
            discharging.add(int(qpigs[15]) > 0)
            modes.add(c.query('QMOD').decode())
            warnings.add(c.query('QPIWS').decode()[12])
            units.add(c.query('QPGS1').decode().split(' ')[2])
            time.sleep(0.05)
        self.assertEqual(pv, {True, False}, 'PV never rose or never fell')
        self.assertEqual(charging, {True, False})
        self.assertIn(True, discharging)
        self.assertEqual(modes, {'L', 'B'})
        self.assertEqual(warnings, {'0', '1'}, 'battery-low warning never came and went')
        self.assertEqual(units, {'L', 'B'})


if __name__ == '__main__':
    simtest.main()
