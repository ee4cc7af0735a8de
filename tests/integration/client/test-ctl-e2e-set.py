#!/usr/bin/python3
"""axpertctl's set verbs end to end: the real axpertd (with the setters) and axpert-sim.

As root polkit is skipped (uid 0); a second case runs axpertctl as an unprivileged user with the
project's bus policy and python-dbusmock's polkitd saying no."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

NOBODY = 65534


class SetEndToEndTest(ctltest.E2ETestCase):
    def check_set(self, args, expected_line, prop, value, command):
        """Runs a set verb; checks its output, the property on the bus and the PI30 command."""
        self.sim_command('history clear')
        p = self.assertCtl(*args)
        self.assertEqual(p.stdout, expected_line + '\n')
        self.assertEqual(self.props()[prop], value, prop)
        history = self.sim_command('history')
        self.assertIn(command, history, f'{command} reached the inverter')

    def test_every_set_verb(self):
        props = self.props()

        def arrow(name, new, unit=''):
            old = props[name]
            if isinstance(old, float):
                old = f'{old:g}'
            return f'{name}: {old}{unit} → {new}{unit}'
        cases = [
            (['set-output-source-priority', 'sbu'], arrow('OutputSourcePriority', 'sbu'),
             'OutputSourcePriority', 'sbu', 'POP02'),
            (['set-charger-source-priority', 'solar-only'], arrow('ChargerSourcePriority', 'solar-only'),
             'ChargerSourcePriority', 'solar-only', 'PCP03'),
            (['set-input-voltage-range', 'ups'], arrow('InputVoltageRange', 'ups'),
             'InputVoltageRange', 'ups', 'PGR01'),
            (['set-battery-type', 'agm'], arrow('BatteryType', 'agm'), 'BatteryType', 'agm', 'PBT00'),
            (['set-max-charging-current', '40'], arrow('MaxChargingCurrent', '40', ' A'),
             'MaxChargingCurrent', 40.0, 'MCHGC040'),
            (['set-max-ac-charging-current', '20'], arrow('MaxAcChargingCurrent', '20', ' A'),
             'MaxAcChargingCurrent', 20.0, 'MUCHGC020'),
            (['set-battery-recharge-voltage', '47'], arrow('BatteryRechargeVoltage', '47', ' V'),
             'BatteryRechargeVoltage', 47.0, 'PBCV47.0'),
            (['set-battery-redischarge-voltage', '52'], arrow('BatteryRedischargeVoltage', '52', ' V'),
             'BatteryRedischargeVoltage', 52.0, 'PBDV52.0'),
            (['set-battery-under-voltage', '44'], arrow('BatteryUnderVoltage', '44', ' V'),
             'BatteryUnderVoltage', 44.0, 'PSDV44.0'),
            (['set-battery-bulk-voltage', '56'], arrow('BatteryBulkVoltage', '56', ' V'),
             'BatteryBulkVoltage', 56.0, 'PCVV56.0'),
            (['set-battery-float-voltage', '53'], arrow('BatteryFloatVoltage', '53', ' V'),
             'BatteryFloatVoltage', 53.0, 'PBFT53.0'),
            (['set-output-frequency', '60'], arrow('AcOutputRatingFrequency', '60', ' Hz'),
             'AcOutputRatingFrequency', 60.0, 'F60'),
            (['set-flag', 'buzzer', 'off'], 'BuzzerEnabled: yes → no', 'BuzzerEnabled', False, 'PDa'),
            (['set-flag', 'buzzer', 'on'], 'BuzzerEnabled: no → yes', 'BuzzerEnabled', True, 'PEa'),
        ]
        for args, line, prop, value, command in cases:
            with self.subTest(args=args):
                self.check_set(args, line, prop, value, command)

    def test_unchanged_sends_nothing(self):
        current = str(self.props()['OutputSourcePriority'])
        self.sim_command('history clear')
        p = self.assertCtl('set-output-source-priority', current)
        self.assertEqual(p.stdout, f'OutputSourcePriority: {current} (unchanged)\n')
        self.assertFalse([c for c in self.sim_command('history') if c.startswith('POP')])

    def test_invalid_values_reach_nothing(self):
        self.sim_command('history clear')
        p = self.assertCtl('set-output-source-priority', 'battery-first', rc=ctltest.EXIT_INVALID)
        self.assertIn('utility-first, solar-first, sbu', p.stderr, 'the accepted values')
        p = self.assertCtl('set-max-charging-current', '45', rc=ctltest.EXIT_INVALID)
        self.assertIn('10, 20, 30', p.stderr)
        p = self.assertCtl('set-battery-float-voltage', '99', rc=ctltest.EXIT_INVALID)
        self.assertCtl('set-battery-float-voltage', '5,5', rc=ctltest.EXIT_USAGE)
        history = self.sim_command('history')
        self.assertFalse([c for c in history if c[0] in 'PMF'], history)

    def test_case_and_wording(self):
        """Enum values and flags in another case reach axpertd as the API spells them; a refused
        flag is answered with this inverter's flags, not axpertd's raw message."""
        props = self.props()
        self.check_set(['set-output-source-priority', 'SBU'],
                       f'OutputSourcePriority: {props["OutputSourcePriority"]} → sbu',
                       'OutputSourcePriority', 'sbu', 'POP02')
        old = 'yes' if props['BuzzerEnabled'] else 'no'
        self.check_set(['set-flag', 'Buzzer', 'off' if props['BuzzerEnabled'] else 'on'],
                       f'BuzzerEnabled: {old} → {"no" if props["BuzzerEnabled"] else "yes"}',
                       'BuzzerEnabled', not props['BuzzerEnabled'],
                       'PDa' if props['BuzzerEnabled'] else 'PEa')
        p = self.assertCtl('set-flag', 'disco', 'on', rc=ctltest.EXIT_INVALID)
        self.assertRegex(p.stderr, r'^axpertctl: cannot turn flag "disco" on: this inverter has the flags '
                         r'buzzer, [a-z, -]+\n$')

    def test_raw_and_nak(self):
        self.assertEqual(self.assertCtl('raw', 'QMOD').stdout.strip(), 'L' if
                         str(self.props()['Mode']) == 'line' else self.assertCtl('raw', 'QMOD').stdout.strip())
        self.sim_command('fault nak')
        p = self.assertCtl('set-output-source-priority', 'sbu', rc=ctltest.EXIT_REJECTED)
        self.assertIn('refused', p.stderr)


class DeniedEndToEndTest(ctltest.E2ETestCase):
    """An unprivileged user, the project's bus policy, and a polkit that says no."""
    policy_files = (testlib.source_path('dbus', 'org.axpert.Inverter.conf'),)
    # dbus-daemon lets only its own uid connect unless told otherwise (a real system bus does).
    bus_extra = '<policy context="default"><allow user="*"/></policy>'

    def setUp(self):
        super().setUp()
        self.polkit = self.spawn('polkitd', [sys.executable, '-m', 'dbusmock', '--template', 'polkitd',
                                             '--system'])
        testlib.wait_for(lambda: self.dbus().name_has_owner('org.freedesktop.PolicyKit1'), 20,
                         what='the polkitd mock')

    def ctl_as_nobody(self, *args):
        argv = ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', '--',
                ctltest.AXPERTCTL] + list(args)
        import subprocess
        return subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=60,
                              stdin=subprocess.DEVNULL)

    def test_denied(self):
        self.sim_command('history clear')
        p = self.ctl_as_nobody('get', 'Online')
        self.assertEqual((p.returncode, p.stdout), (0, 'yes\n'), p.stderr + '\n' + self.daemon.output())
        p = self.ctl_as_nobody('set-output-source-priority', 'sbu')
        self.assertEqual(p.returncode, ctltest.EXIT_DENIED, p.stderr + '\n' + self.daemon.output())
        self.assertEqual(p.stderr, 'axpertctl: cannot set the output source priority to "sbu": access '
                         'denied by polkit (action org.axpert.Inverter.set-priorities); run it as root '
                         'or ask the administrator for a polkit rule\n')
        p = self.ctl_as_nobody('--no-ask-password', 'set-flag', 'buzzer', 'off')
        self.assertEqual(p.returncode, ctltest.EXIT_DENIED, p.stderr)
        self.assertIn('org.axpert.Inverter.set-flags', p.stderr)
        self.assertFalse([c for c in self.sim_command('history') if c[0] == 'P'])


if __name__ == '__main__':
    testlib.main()
