#!/usr/bin/python3
"""Issue 14 scenario 1 in the test guest: the simulated bridge (axpert-sim --hidg-gadget, 0665:5161
on dummy_hcd) is plugged in → udev applies 70-axpert.rules (group axpert, mode 0660) and pulls in
axpertd.service (SYSTEMD_WANTS) → systemd runs it as user axpert with the shipped hardening →
a plain user's busctl and `axpertctl status` show the simulator's values over the real system
bus and its policy. Also prints the fast cycle's time over hidraw. Needs root and QEMU."""
import json
import re

import vmscenario


class Plug(vmscenario.VMTestCase):
    scenario = 'plug'

    def sim_values(self):
        return dict(line.split('=', 1) for line in self.result.read('sim-dump').splitlines()
                    if '=' in line)

    def bus_values(self):
        names = ['Online', 'Transport', 'DevicePath', 'SerialNumber', 'FirmwareVersion',
                 'GridVoltage', 'BatteryVoltage', 'AcOutputActivePower', 'PvInputVoltage',
                 'BatteryCapacity', 'DeviceStatus', 'Mode']
        lines = self.result.read('busctl.json').splitlines()
        self.assertEqual(len(lines), len(names), lines)
        return {n: json.loads(x)['data'] for n, x in zip(names, lines)}

    def test_not_running_before_the_plug(self):
        self.assertIn(self.facts['before-plug'], ('inactive', 'unknown'))

    def test_udev_rule(self):
        self.assertRegex(self.facts['node'], r'^/dev/hidraw\d+$')
        self.assertEqual(self.facts['node-owner'], 'root axpert 660')
        self.assertIn('axpertd.service', self.facts['udev-wants'].split())
        # systemd started it for the device: the device unit wants it.
        self.assertRegex(self.facts['unit-WantedBy'], r'\.device\b')

    def test_unit_runs_as_axpert_hardened(self):
        self.assertEqual(self.facts['unit-User'], 'axpert')
        self.assertEqual(self.facts['unit-Group'], 'axpert')
        self.assertEqual(self.facts['unit-NRestarts'], '0')
        self.assertEqual(self.facts['process'].split(), ['axpert', 'axpert'])
        self.assertEqual(int(self.facts['proc-CapEff'], 16), 0)
        self.assertEqual(int(self.facts['proc-CapPrm'], 16), 0)
        self.assertEqual(int(self.facts['proc-CapBnd'], 16), 0)
        self.assertEqual(self.facts['proc-NoNewPrivs'], '1')
        self.assertEqual(self.facts['proc-Seccomp'], '2')
        self.assertIn('dialout', self.facts['supplementary'].split(','))

    def test_plain_user_reads_the_bus(self):
        self.assertNotIn('axpert', self.result.read('user-id'))
        bus, sim = self.bus_values(), self.sim_values()
        self.assertIs(bus['Online'], True)
        self.assertEqual(bus['Transport'], 'hidraw')
        self.assertEqual(bus['DevicePath'], self.facts['node'])
        for name in ('SerialNumber', 'FirmwareVersion', 'DeviceStatus'):
            self.assertEqual(bus[name], sim[name], name)
        for name in ('GridVoltage', 'BatteryVoltage', 'AcOutputActivePower', 'PvInputVoltage',
                     'BatteryCapacity'):
            self.assertAlmostEqual(bus[name], float(sim[name]), places=2, msg=name)

    def test_axpertctl_status(self):
        status = self.result.read('status.txt')
        sim = self.sim_values()
        self.assertIn(sim['SerialNumber'], status)
        self.assertRegex(status, re.escape(sim['BatteryVoltage'].rstrip('0').rstrip('.')))
        self.assertNotRegex(status.lower(), r'error|denied|offline')

    def test_zz_cycle_time(self):
        for key in ('cycle-baud2400', 'cycle-instant'):
            self.assertIn(key, self.facts, 'the measurement did not run')
            ms, n = self.facts[key].split()
            self.assertGreater(int(n), 0, f'{key}: no complete cycles seen')
            print(f'vm: axpertd fast cycle over hidraw, simulator '
                  f'{"at 2400 baud" if "2400" in key else "instant"}: median {ms} ms '
                  f'({n} cycles, PollInterval=0)')


if __name__ == '__main__':
    vmscenario.main()
