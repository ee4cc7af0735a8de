#!/usr/bin/python3
"""axpertctl settings against a dbusmock axpertd: every setting with its value, the command that
changes it and what this inverter accepts (SettingLimits, SettingOptions, SettingChoices), as a
table (--no-legend) and as JSON; an axpertd without those properties; offline; a unit."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

FLAGS = ['buzzer', 'overload-bypass', 'power-saving', 'lcd-return-to-default', 'overload-restart',
         'over-temperature-restart', 'backlight', 'primary-source-interrupt-alarm']  # no fault-code-record
BUS = dict(
    family='hs-ks',
    limits={'SetBatteryBulkVoltage': [48, 58.4, 0.1], 'SetBatteryFloatVoltage': [48, 58.4, 0.1],
            'SetBatteryUnderVoltage': [40, 48, 0.1]},
    options={'SetMaxChargingCurrent': [10, 20, 30, 40, 50, 60], 'SetOutputFrequency': [50, 60],
             'SetMaxAcChargingCurrent': [2, 10, 20, 30]},
    choices={'SetOutputSourcePriority': ['utility-first', 'solar-first', 'sbu'],
             'SetBatteryType': ['agm', 'flooded', 'user'],
             'SetChargerSourcePriority': ['solar-first', 'solar-and-utility', 'solar-only'],
             'SetFlag': FLAGS})


def table(text):
    """{SETTING: (VALUE, COMMAND, ACCEPTS)} from the columns (split at runs of 2+ blanks)."""
    import re
    rows = {}
    for line in text.splitlines():
        cells = re.split(r'  +', line.strip())
        if len(cells) == 4 and cells[0] != 'SETTING':
            rows[cells[0]] = tuple(cells[1:])
    return rows


class SettingsTest(ctltest.CtlTestCase):
    def test_table(self):
        self.start_mock(**BUS)
        out = self.assertCtl('settings').stdout
        lines = out.splitlines()
        self.assertRegex(lines[0], r'^SETTING +VALUE +COMMAND +ACCEPTS$')
        self.assertEqual(lines[-1], '21 settings of inverter 0 (firmware family hs-ks).')
        rows = table(out)
        self.assertEqual(rows['BatteryBulkVoltage'],
                         ('56.4 V', 'set-battery-bulk-voltage', '48 to 58.4 V in steps of 0.1 V'))
        self.assertEqual(rows['MaxChargingCurrent'],
                         ('60 A', 'set-max-charging-current', 'one of 10, 20, 30, 40, 50, 60 A'))
        self.assertEqual(rows['AcOutputRatingFrequency'],
                         ('50 Hz', 'set-output-frequency', 'one of 50, 60 Hz'))
        self.assertEqual(rows['BatteryType'], ('agm', 'set-battery-type', 'one of agm, flooded, user'))
        self.assertEqual(rows['OutputSourcePriority'],
                         ('solar-first', 'set-output-source-priority', 'one of utility-first, solar-first, sbu'))
        self.assertEqual(rows['BuzzerEnabled'], ('yes', 'set-flag buzzer', 'on, off'))
        self.assertEqual(rows['FaultCodeRecordEnabled'],
                         ('no', 'set-flag fault-code-record', 'not offered by this inverter'))
        self.assertEqual(rows['BatteryRechargeVoltage'][2],
                         'not known yet (axpertd has not read the battery rating)')
        # Every set-* verb of --help has its row.
        verbs = {line.split()[0] for line in self.assertCtl('--help').stdout.splitlines()
                 if line.strip().startswith('set-') and not line.strip().startswith('set-flag')}
        self.assertEqual({r[1] for r in rows.values() if not r[1].startswith('set-flag')}, verbs)
        # --no-legend: the rows alone.
        bare = self.assertCtl('settings', '--no-legend').stdout.splitlines()
        self.assertEqual(len(bare), 21)
        self.assertTrue(bare[0].startswith('OutputSourcePriority'), bare[0])

    def test_json(self):
        self.start_mock(**BUS)
        data = json.loads(self.assertCtl('settings', '--json=short').stdout)
        by = {d['Setting']: d for d in data}
        self.assertEqual(by['BatteryBulkVoltage'],
                         {'Setting': 'BatteryBulkVoltage', 'Method': 'SetBatteryBulkVoltage',
                          'Command': 'set-battery-bulk-voltage', 'Value': 56.4, 'Unit': 'V',
                          'Min': 48, 'Max': 58.4, 'Step': 0.1,
                          'Accepts': '48 to 58.4 V in steps of 0.1 V'})
        self.assertEqual(by['MaxChargingCurrent']['Values'], [10, 20, 30, 40, 50, 60])
        self.assertEqual(by['BatteryType']['Values'], ['agm', 'flooded', 'user'])
        self.assertEqual(by['BuzzerEnabled']['Flag'], 'buzzer')
        self.assertEqual(by['BuzzerEnabled']['Values'], [False, True])
        self.assertIs(by['BuzzerEnabled']['Value'], True)
        self.assertIsNone(by['FaultCodeRecordEnabled']['Values'])
        self.assertIsNone(by['BatteryRechargeVoltage']['Values'])

    def test_older_daemon_without_setting_properties(self):
        """No SettingChoices on the bus: the contract's documented values; numbers unknown."""
        self.start_mock()
        rows = table(self.assertCtl('settings').stdout)
        self.assertEqual(rows['OutputSourcePriority'][2], 'one of utility-first, solar-first, sbu')
        self.assertTrue(rows['BatteryType'][2].startswith('one of agm, flooded, user, pylontech'))
        self.assertEqual(rows['BuzzerEnabled'][2], 'on, off')
        self.assertIn('not known yet', rows['BatteryBulkVoltage'][2])

    def test_offline(self):
        self.start_mock(props={'Online': False, 'LastError': 'gone'}, **BUS)
        p = self.ctl('settings')
        self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE, p.stderr)
        rows = table(p.stdout)
        self.assertEqual(rows['BatteryBulkVoltage'][0], '-', 'no stale value shown as current')
        self.assertIn('offline', p.stdout.splitlines()[-1])
        p = self.ctl('settings', '--json=short')
        self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE)
        self.assertIsNone({d['Setting']: d for d in json.loads(p.stdout)}['BatteryType']['Value'])

    def test_several_devices(self):
        self.start_mock(devices=['0', 'garage'])
        self.assertCtl('settings', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('settings of inverter garage', self.assertCtl('-d', 'garage', 'settings').stdout)


if __name__ == '__main__':
    testlib.main()
