#!/usr/bin/python3
"""axpertctl's set verbs, set-flag, raw and refresh against a dbusmock axpertd: what is sent, what
is printed, and every error path (bad value, bad number, denied, offline, NAK, not supported)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

DEV = '/org/axpert/Inverter/0'


class SetTest(ctltest.CtlTestCase):
    def calls(self, method):
        """The arguments of every call of method on the mock device, oldest first."""
        return [list(args) for _, args in
                self.mock_object(DEV).GetMethodCalls(method, dbus_interface='org.freedesktop.DBus.Mock')]

    def prop(self, name):
        return self.mock_object(DEV).Get('org.axpert.Inverter', name,
                                         dbus_interface='org.freedesktop.DBus.Properties')

    def test_set_enums_print_change(self):
        self.start_mock()
        cases = [
            ('set-output-source-priority', 'sbu', 'SetOutputSourcePriority',
             'OutputSourcePriority: solar-first → sbu'),
            ('set-charger-source-priority', 'solar-only', 'SetChargerSourcePriority',
             'ChargerSourcePriority: solar-first → solar-only'),
            ('set-input-voltage-range', 'ups', 'SetInputVoltageRange',
             'InputVoltageRange: appliance → ups'),
            ('set-battery-type', 'pylontech', 'SetBatteryType', 'BatteryType: agm → pylontech'),
        ]
        for verb, value, method, expected in cases:
            with self.subTest(verb=verb):
                self.assertEqual(self.assertCtl(verb, value).stdout, expected + '\n')
                self.assertEqual(self.calls(method), [[value]])

    def test_set_numbers_print_change(self):
        self.start_mock()
        cases = [
            ('set-max-charging-current', '40', 'SetMaxChargingCurrent', 40.0,
             'MaxChargingCurrent: 60 A → 40 A'),
            ('set-max-ac-charging-current', '2', 'SetMaxAcChargingCurrent', 2.0,
             'MaxAcChargingCurrent: 30 A → 2 A'),
            ('set-battery-recharge-voltage', '47.5', 'SetBatteryRechargeVoltage', 47.5,
             'BatteryRechargeVoltage: 46 V → 47.5 V'),
            ('set-battery-redischarge-voltage', '52', 'SetBatteryRedischargeVoltage', 52.0,
             'BatteryRedischargeVoltage: 54 V → 52 V'),
            ('set-battery-under-voltage', '44.2', 'SetBatteryUnderVoltage', 44.2,
             'BatteryUnderVoltage: 42 V → 44.2 V'),
            ('set-battery-bulk-voltage', '57.6', 'SetBatteryBulkVoltage', 57.6,
             'BatteryBulkVoltage: 56.4 V → 57.6 V'),
            ('set-battery-float-voltage', '54.6', 'SetBatteryFloatVoltage', 54.6,
             'BatteryFloatVoltage: 54 V → 54.6 V'),
            ('set-output-frequency', '60', 'SetOutputFrequency', 60.0,
             'AcOutputRatingFrequency: 50 Hz → 60 Hz'),
        ]
        for verb, value, method, sent, expected in cases:
            with self.subTest(verb=verb):
                self.assertEqual(self.assertCtl(verb, value).stdout, expected + '\n')
                self.assertEqual(self.calls(method), [[sent]])

    def test_enum_case_insensitive(self):
        """"SBU", "Pylontech", "Buzzer": matched without regard to case, sent as the API spells them."""
        self.start_mock()
        self.assertEqual(self.assertCtl('set-output-source-priority', 'SBU').stdout,
                         'OutputSourcePriority: solar-first → sbu\n')
        self.assertEqual(self.calls('SetOutputSourcePriority'), [['sbu']])
        self.assertEqual(self.assertCtl('set-battery-type', 'Pylontech').stdout,
                         'BatteryType: agm → pylontech\n')
        self.assertEqual(self.calls('SetBatteryType'), [['pylontech']])
        self.assertEqual(self.assertCtl('set-flag', 'Buzzer', 'OFF').stdout, 'BuzzerEnabled: yes → no\n')
        self.assertEqual(self.calls('SetFlag'), [['buzzer', False]])
        self.assertEqual(self.assertCtl('set-input-voltage-range', 'UPS').stdout,
                         'InputVoltageRange: appliance → ups\n')

    def test_enum_case_against_bus_choices(self):
        """What this inverter offers (SettingChoices) decides; a value it lacks is refused with the list."""
        self.start_mock(choices={'SetBatteryType': ['agm', 'flooded', 'user'],
                                 'SetFlag': ['buzzer', 'backlight']})
        self.assertEqual(self.assertCtl('set-battery-type', 'USER').stdout, 'BatteryType: agm → user\n')
        p = self.assertCtl('set-battery-type', 'Pylontech', rc=ctltest.EXIT_INVALID)
        self.assertEqual(p.stderr, 'axpertctl: cannot set the battery type to "Pylontech": this inverter '
                         'accepts one of agm, flooded, user\n')
        p = self.assertCtl('set-flag', 'disco', 'on', rc=ctltest.EXIT_INVALID)
        self.assertEqual(p.stderr, 'axpertctl: cannot turn flag "disco" on: this inverter has the flags '
                         'buzzer, backlight\n')
        self.assertEqual(self.assertCtl('set-flag', 'BackLight', 'off').stdout, 'BacklightEnabled: yes → no\n')

    def test_offline_said_once_with_reason(self):
        self.start_mock(fail='org.axpert.Inverter.Error.Offline', fail_message='The inverter is offline.',
                        props={'LastError': 'no valid answer to 3 requests in a row (timeouts)'})
        for args in (['set-battery-type', 'user'], ['refresh'], ['raw', 'QID'], ['set-flag', 'buzzer', 'on']):
            with self.subTest(args=args):
                p = self.assertCtl(*args, rc=ctltest.EXIT_OFFLINE)
                self.assertIn(': the inverter is offline: no valid answer to 3 requests in a row (timeouts); '
                              'check the cable', p.stderr)
                self.assertNotIn('The inverter is offline.', p.stderr)

    def test_offline_said_once_without_reason(self):
        self.start_mock(fail='org.axpert.Inverter.Error.Offline', fail_message='The inverter is offline.')
        p = self.assertCtl('refresh', rc=ctltest.EXIT_OFFLINE)
        self.assertEqual(p.stderr, 'axpertctl: cannot refresh the inverter: the inverter is offline; check '
                         'the cable and "axpertctl status"\n')

    def test_raw_nak_is_no_setter_refusal(self):
        self.start_mock()
        p = self.assertCtl('raw', 'qpigs', rc=ctltest.EXIT_REJECTED)
        self.assertEqual(p.stderr, 'axpertctl: raw command "qpigs" failed: the inverter answered NAK; PI30 '
                         'inquiries are upper case: "axpertctl raw QPIGS"\n')
        p = self.assertCtl('raw', 'QBOGUS', rc=ctltest.EXIT_REJECTED)
        self.assertNotIn('some settings', p.stderr)
        self.assertIn('this model does not know the command', p.stderr)

    def test_unit_is_no_setter_target(self):
        self.start_mock(units=2)
        for args in (['set-battery-type', 'user'], ['set-flag', 'buzzer', 'on'], ['raw', 'QID'], ['refresh'],
                     ['settings']):
            with self.subTest(args=args):
                p = self.assertCtl('-d', '0/unit1', *args, rc=ctltest.EXIT_NO_DEVICE)
                self.assertIn('"0/unit1" is a parallel unit; this command acts on its inverter', p.stderr)
                self.assertIn('use -d 0', p.stderr)
        self.assertEqual(self.calls('SetBatteryType') + self.calls('SetFlag') + self.calls('RawCommand'), [])

    def test_set_unchanged(self):
        self.start_mock()
        self.assertEqual(self.assertCtl('set-output-source-priority', 'solar-first').stdout,
                         'OutputSourcePriority: solar-first (unchanged)\n')

    def test_set_ascii_arrow(self):
        self.start_mock()
        self.assertEqual(self.assertCtl('set-battery-type', 'user', env={'LC_ALL': 'C'}).stdout,
                         'BatteryType: agm -> user\n')

    def test_bad_enum_shows_accepted_values(self):
        self.start_mock()
        p = self.assertCtl('set-output-source-priority', 'battery-first', rc=ctltest.EXIT_INVALID)
        self.assertIn('cannot set the output source priority to "battery-first"', p.stderr)
        self.assertIn('utility-first, solar-first, sbu', p.stderr)
        self.assertEqual(str(self.prop('OutputSourcePriority')), 'solar-first')

    def test_bad_number_range_shows_accepted(self):
        self.start_mock()
        p = self.assertCtl('set-max-charging-current', '45', rc=ctltest.EXIT_INVALID)
        self.assertIn('10, 20, 30, 40, 50, 60 A', p.stderr)
        p = self.assertCtl('set-battery-float-voltage', '70', rc=ctltest.EXIT_INVALID)
        self.assertIn('out of range', p.stderr)
        self.assertEqual(float(self.prop('BatteryFloatVoltage')), 54.0)

    def test_malformed_number_never_sent(self):
        self.start_mock()
        for value in ('54,6', 'fifty', '', 'nan', 'inf', '5 4', '0x36'):
            with self.subTest(value=value):
                p = self.assertCtl('set-battery-float-voltage', value, rc=ctltest.EXIT_USAGE)
                self.assertIn('is not a number', p.stderr)
        # A comma locale changes nothing: "54.6" is still the only spelling.
        self.assertCtl('set-battery-float-voltage', '54.6', env={'LC_ALL': 'de_DE.UTF-8'})
        self.assertEqual(self.calls('SetBatteryFloatVoltage'), [[54.6]])

    def test_set_flag(self):
        self.start_mock()
        self.assertEqual(self.assertCtl('set-flag', 'buzzer', 'off').stdout, 'BuzzerEnabled: yes → no\n')
        self.assertEqual(self.assertCtl('set-flag', 'power-saving', 'on').stdout,
                         'PowerSavingEnabled: no → yes\n')
        self.assertEqual(self.calls('SetFlag'), [['buzzer', False], ['power-saving', True]])
        p = self.assertCtl('set-flag', 'buzzer', 'maybe', rc=ctltest.EXIT_USAGE)
        self.assertIn('"maybe" is not on or off', p.stderr)
        p = self.assertCtl('set-flag', 'disco', 'on', rc=ctltest.EXIT_INVALID)
        self.assertIn('accepted flags are buzzer', p.stderr)
        self.assertCtl('set-flag', 'buzzer', rc=ctltest.EXIT_USAGE)

    def test_raw(self):
        self.start_mock()
        self.assertEqual(self.assertCtl('raw', 'QID').stdout, '92932004102453\n')
        self.assertEqual(json.loads(self.assertCtl('raw', 'QMOD', '--json=short').stdout),
                         {'Command': 'QMOD', 'Response': 'L'})
        p = self.assertCtl('raw', 'QBOGUS', rc=ctltest.EXIT_REJECTED)
        self.assertIn('raw command "QBOGUS" failed', p.stderr)
        self.assertIn('NAK', p.stderr)

    def test_refresh(self):
        self.start_mock(props={'LastUpdateTimestamp': 1000000})
        self.assertEqual(self.assertCtl('refresh').stdout, '')
        self.assertEqual(len(self.calls('Refresh')), 1)
        self.assertGreater(int(self.prop('LastUpdateTimestamp')), 1000000)

    def test_denied_names_polkit_action(self):
        self.start_mock(deny='org.freedesktop.DBus.Error.AccessDenied')
        cases = [
            (['set-output-source-priority', 'sbu'], 'org.axpert.Inverter.set-priorities'),
            (['set-max-charging-current', '40'], 'org.axpert.Inverter.set-charging'),
            (['set-battery-bulk-voltage', '56'], 'org.axpert.Inverter.set-battery'),
            (['set-flag', 'buzzer', 'off'], 'org.axpert.Inverter.set-flags'),
            (['set-output-frequency', '60'], 'org.axpert.Inverter.set-output'),
            # Inquiries have their own, lower-risk action; other raw commands need raw-command.
            (['raw', 'QID'], 'org.axpert.Inverter.raw-query'),
            (['raw', 'PEa'], 'org.axpert.Inverter.raw-command'),
        ]
        for args, action in cases:
            with self.subTest(args=args):
                p = self.assertCtl(*args, rc=ctltest.EXIT_DENIED)
                self.assertIn(f'access denied by polkit (action {action})', p.stderr)
        self.assertEqual(str(self.prop('OutputSourcePriority')), 'solar-first')

    def test_interactive_required(self):
        self.start_mock(deny='org.freedesktop.DBus.Error.InteractiveAuthorizationRequired')
        p = self.assertCtl('--no-ask-password', 'set-battery-type', 'user', rc=ctltest.EXIT_DENIED)
        self.assertIn('authentication is required (polkit action org.axpert.Inverter.set-battery)',
                      p.stderr)
        self.assertIn('without --no-ask-password', p.stderr)

    def test_inverter_errors(self):
        cases = [
            ('org.axpert.Inverter.Error.Offline', ctltest.EXIT_OFFLINE, 'the inverter is offline'),
            ('org.axpert.Inverter.Error.Rejected', ctltest.EXIT_REJECTED, 'refused the command'),
            ('org.axpert.Inverter.Error.Timeout', ctltest.EXIT_COMMUNICATION, 'communication with the inverter failed'),
            ('org.axpert.Inverter.Error.Protocol', ctltest.EXIT_COMMUNICATION, 'communication with the inverter failed'),
            ('org.axpert.Inverter.Error.NotSupported', ctltest.EXIT_NOT_SUPPORTED, 'does not support it'),
        ]
        for error, rc, text in cases:
            with self.subTest(error=error):
                mock = self.start_mock(fail=error)
                p = self.assertCtl('set-output-source-priority', 'sbu', rc=rc)
                self.assertIn(text, p.stderr)
                p = self.assertCtl('refresh', rc=rc)
                self.assertIn('cannot refresh the inverter', p.stderr)
                mock.stop()
                self.processes.remove(mock)
                testlib.wait_for(lambda: not self.dbus().name_has_owner('org.axpert.Inverter'), 10)

    def test_json_refused_for_set_verbs(self):
        self.start_mock()
        p = self.assertCtl('--json=short', 'set-battery-type', 'user', rc=ctltest.EXIT_USAGE)
        self.assertIn('--json does not apply', p.stderr)
        self.assertEqual(self.calls('SetBatteryType'), [])

    def test_several_devices_need_d(self):
        self.start_mock(devices=['0', 'garage'])
        p = self.assertCtl('set-output-source-priority', 'sbu', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('"0", "garage"', p.stderr)
        self.assertEqual(self.calls('SetOutputSourcePriority'), [])
        self.assertEqual(self.assertCtl('-d', 'garage', 'set-output-source-priority', 'sbu').stdout,
                         'OutputSourcePriority: solar-first → sbu\n')
        garage = self.mock_object('/org/axpert/Inverter/garage')
        self.assertEqual(str(garage.Get('org.axpert.Inverter', 'OutputSourcePriority',
                                        dbus_interface='org.freedesktop.DBus.Properties')), 'sbu')
        self.assertEqual(str(self.prop('OutputSourcePriority')), 'solar-first')


if __name__ == '__main__':
    testlib.main()
