#!/usr/bin/python3
"""An inverter with its own energy counters (the simulator's MAX model: QET/QLT through axpertd's
PvEnergyTotal/LoadEnergyTotal): EnergySource says "inverter", PV and load are exactly the
counters' differences, battery energy is still integrated."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import historylib  # noqa: E402
import testlib  # noqa: E402


class Counters(historylib.HistoryTestCase):

    def test_inverter_counters_are_used(self):
        conf = os.path.join(self.tmpdir, 'axpertd.conf')
        with open(conf, 'w') as f:
            # The counters are in the slow class: read them every second here.
            f.write('[Daemon]\nPollInterval=0.5\nSettingsInterval=1\n')
        self.start('--baud=0', '--model=max', '--scenario=day', '--day-length=50',
                   daemon_args=(f'--config={conf}',))
        sn = self.serial()
        self.start_history()
        self.wait_object(sn)
        testlib.wait_for(lambda: self.hbus.props(sn)['EnergySource'] == 'inverter', 20, 0.2,
                         what='EnergySource inverter')
        # Toward noon PV (two inputs, up to ~10 kW) moves the Wh counter every second or so.
        time.sleep(15)
        self.daemon.stop()
        time.sleep(0.5)
        times, (pv_counter, load_counter, pv_w) = self.samples(
            sn, ['PvEnergyTotal', 'LoadEnergyTotal', 'PvInputPower'])
        pv_counter = historylib.finite(pv_counter)
        load_counter = historylib.finite(load_counter)
        periods = self.hbus.get_energy(sn, 'day', 0, historylib.now_usec() + 10**9)
        pv = historylib.energy_sum(periods, 'Pv') * 1000
        load = historylib.energy_sum(periods, 'Load') * 1000
        self.assertGreater(pv_counter[-1] - pv_counter[0], 5, 'the counter hardly moved')
        # Exactly the differences of the inverter's counters (whole Wh), not integrated power.
        self.assertAlmostEqual(pv, pv_counter[-1] - pv_counter[0], places=6)
        self.assertAlmostEqual(load, load_counter[-1] - load_counter[0], places=6)
        self.assertGreater(historylib.energy_sum(periods, 'BatteryCharge'), 0)
        self.assertEqual(self.hbus.props(sn)['EnergySource'], 'inverter')
        self.assertGreater(max(historylib.finite(pv_w)), 1000)


if __name__ == '__main__':
    testlib.main()
