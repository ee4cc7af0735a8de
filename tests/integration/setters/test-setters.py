#!/usr/bin/python3
"""Every Set… method and RawCommand of axpertd against axpert-sim, guarded by a polkit mock.

The simulator's `history` is the wire: each test asserts exactly which requests reached the
inverter, and that refused or unauthorised calls sent none. Callers that need polkit run as
nobody (65534) through setpriv."""
import json
import math
import os
import pwd
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from setterslib import testlib  # noqa: E402
import setterslib  # noqa: E402
from setterslib import DAEMON_NAME, DEVICE_PATH, IFACE, NOBODY  # noqa: E402
from gi.repository import Gio, GLib  # noqa: E402

PRIORITIES = 'org.axpert.Inverter.set-priorities'
CHARGING = 'org.axpert.Inverter.set-charging'
BATTERY = 'org.axpert.Inverter.set-battery'
FLAGS = 'org.axpert.Inverter.set-flags'
OUTPUT = 'org.axpert.Inverter.set-output'
RAW = 'org.axpert.Inverter.raw-command'
RAW_QUERY = 'org.axpert.Inverter.raw-query'
# A second unprivileged user, besides nobody (dbus-daemon refuses uids without a passwd entry).
OTHER_UID = pwd.getpwnam('daemon').pw_uid
ALL_ACTIONS = [PRIORITIES, CHARGING, BATTERY, FLAGS, OUTPUT, RAW, RAW_QUERY]

INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied'
INTERACTIVE = 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'

# method, signature, arguments, the exact request, the re-read, property, value afterwards.
# The simulator starts as a 48 V classic unit: utility-first, solar-and-utility, appliance,
# 60 A / 30 A, user battery, 46.0/54.0/42.0/56.4/54.0 V, buzzer on, 50 Hz.
SETTERS = [
    ('SetOutputSourcePriority', 's', ['sbu'], 'POP02', 'QPIRI', 'OutputSourcePriority', 'sbu'),
    ('SetChargerSourcePriority', 's', ['solar-only'], 'PCP03', 'QPIRI', 'ChargerSourcePriority',
     'solar-only'),
    ('SetInputVoltageRange', 's', ['ups'], 'PGR01', 'QPIRI', 'InputVoltageRange', 'ups'),
    ('SetMaxChargingCurrent', 'd', [40.0], 'MCHGC040', 'QPIRI', 'MaxChargingCurrent', 40.0),
    ('SetMaxChargingCurrent', 'd', [110.0], 'MNCHGC0110', 'QPIRI', 'MaxChargingCurrent', 110.0),
    ('SetMaxAcChargingCurrent', 'd', [2.0], 'MUCHGC002', 'QPIRI', 'MaxAcChargingCurrent', 2.0),
    ('SetBatteryType', 's', ['agm'], 'PBT00', 'QPIRI', 'BatteryType', 'agm'),
    ('SetBatteryRechargeVoltage', 'd', [47.0], 'PBCV47.0', 'QPIRI', 'BatteryRechargeVoltage',
     47.0),
    ('SetBatteryRedischargeVoltage', 'd', [0.0], 'PBDV00.0', 'QPIRI',
     'BatteryRedischargeVoltage', 0.0),
    ('SetBatteryUnderVoltage', 'd', [44.0], 'PSDV44.0', 'QPIRI', 'BatteryUnderVoltage', 44.0),
    ('SetBatteryBulkVoltage', 'd', [58.0], 'PCVV58.0', 'QPIRI', 'BatteryBulkVoltage', 58.0),
    ('SetBatteryFloatVoltage', 'd', [53.0], 'PBFT53.0', 'QPIRI', 'BatteryFloatVoltage', 53.0),
    ('SetFlag', 'sb', ['buzzer', False], 'PDa', 'QFLAG', 'BuzzerEnabled', False),
    ('SetFlag', 'sb', ['backlight', False], 'PDx', 'QFLAG', 'BacklightEnabled', False),
    ('SetOutputFrequency', 'd', [60.0], 'F60', 'QPIRI', 'AcOutputRatingFrequency', 60.0),
]

# Calls that must be refused before anything is sent: (method, signature, args, words the
# error message must contain).
REFUSALS = [
    ('SetOutputSourcePriority', 's', ['solar'], 'utility-first'),
    ('SetOutputSourcePriority', 's', [''], 'utility-first'),
    ('SetChargerSourcePriority', 's', ['Solar-Onl'], 'solar-only'),
    ('SetInputVoltageRange', 's', ['wide'], 'ups'),
    ('SetBatteryType', 's', ['lead'], 'agm'),
    ('SetBatteryRechargeVoltage', 'd', [60.0], '48 V battery'),
    ('SetBatteryRechargeVoltage', 'd', [46.5], '48 V battery'),
    ('SetBatteryRechargeVoltage', 'd', [23.0], '48 V battery'),  # a 24 V value
    ('SetBatteryUnderVoltage', 'd', [30.0], '48 V battery'),
    ('SetBatteryBulkVoltage', 'd', [70.0], '48 V battery'),
    ('SetBatteryBulkVoltage', 'd', [math.nan], 'finite'),
    ('SetBatteryFloatVoltage', 'd', [math.inf], 'finite'),
    ('SetBatteryRedischargeVoltage', 'd', [-1.0], '48 V battery'),
    ('SetMaxChargingCurrent', 'd', [35.0], 'QMCHGCR'),
    ('SetMaxChargingCurrent', 'd', [2.0], 'QMCHGCR'),  # only in the AC list
    ('SetMaxChargingCurrent', 'd', [40.5], 'QMCHGCR'),
    ('SetMaxAcChargingCurrent', 'd', [5.0], 'QMUCHGCR'),
    ('SetMaxAcChargingCurrent', 'd', [1000.0], 'QMUCHGCR'),
    ('SetFlag', 'sb', ['nonsense', True], 'buzzer'),
    ('SetFlag', 'sb', ['BUZZE', True], 'buzzer'),
    # Fine on their own, but against the simulator's other settings (re-charge 46.0, cut-off
    # 42.0, bulk 56.4, float 54.0, re-discharge 54.0): the other setting is named.
    ('SetBatteryFloatVoltage', 'd', [58.0], 'conflicts with BatteryBulkVoltage 56.4 V'),
    ('SetBatteryBulkVoltage', 'd', [53.0], 'conflicts with BatteryFloatVoltage 54.0 V'),
    ('SetBatteryUnderVoltage', 'd', [46.0], 'conflicts with BatteryRechargeVoltage 46.0 V'),
    ('SetOutputFrequency', 'd', [55.0], '50 or 60'),
    ('RawCommand', 's', [''], ''),
    ('RawCommand', 's', ['Q' * 33], ''),
    ('RawCommand', 's', ['QPIGS\r'], ''),
    ('RawCommand', 's', ['QPI\nGS'], ''),
    ('RawCommand', 's', ['QPIGS\x7f'], ''),
    ('RawCommand', 's', ['QPIGSé'], ''),
]


class SetterTestCase(testlib.BusTestCase):
    bus_extra = setterslib.BUS_EXTRA
    sim_args = ()

    def setUp(self):
        super().setUp()
        self.polkit = setterslib.PolkitMock(self, setterslib.POLKIT_TEMPLATE)
        self.sim = setterslib.Sim(self, *self.sim_args)
        self.daemon = setterslib.Daemon(self, self.sim)
        self.sim.clear()
        self.polkit.clear()

    def call(self, method, signature='', args=(), uid=NOBODY, interactive=False, timeout=30):
        return setterslib.call(self.env, DAEMON_NAME, DEVICE_PATH, IFACE, method, signature,
                               args, interactive=interactive, uid=uid, timeout=timeout)

    def assertOk(self, r):
        self.assertEqual(r[0], 'ok', r)
        return r[1]

    def assertError(self, r, name):
        self.assertEqual(r[0], 'error', r)
        self.assertEqual(r[1], name, r)
        return r[2]

    def daemon_log(self):
        return self.daemon.proc.output()


class Authorization(SetterTestCase):
    """The done-when of issue 5, and the three polkit outcomes."""

    def test_nobody_changes_output_priority_when_polkit_allows(self):
        self.polkit.set_allowed([PRIORITIES])
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['solar-first']))
        self.assertEqual(self.sim.history(), ['POP01', 'QPIRI'])
        self.assertEqual(self.sim.get('OutputSourcePriority'), 'solar-first')
        self.assertEqual(self.daemon.get('OutputSourcePriority'), 'solar-first')
        # polkit was asked about the caller's bus name, for the priorities action, no interaction.
        checks = self.polkit.checks()
        self.assertEqual([(c[0], c[2], c[3]) for c in checks],
                         [('system-bus-name', PRIORITIES, 0)])
        # The change is logged with old and new value, uid and bus name (stderr without journald).
        testlib.wait_for(lambda: 'OutputSourcePriority changed from utility-first to solar-first '
                                 f'by uid {NOBODY} ({checks[0][1]})' in self.daemon_log(), 5,
                         what='the journal entry')
        entry = [line for line in self.daemon_log().splitlines()
                 if 'OutputSourcePriority changed' in line]
        self.assertEqual(len(entry), 1, entry)
        for field in ('MESSAGE_ID=ebb0344ec62a4940b860996ba1460439', 'AXPERT_DEVICE=inv',
                      'AXPERT_SETTING=OutputSourcePriority', 'AXPERT_OLD_VALUE=utility-first',
                      'AXPERT_NEW_VALUE=solar-first', 'AXPERT_COMMAND=POP01',
                      f'AXPERT_CALLER_UID={NOBODY}', f'AXPERT_CALLER_NAME={checks[0][1]}'):
            self.assertIn(field, entry[0])

    def test_priorities_action_does_not_cover_battery_voltages(self):
        self.polkit.set_allowed([PRIORITIES])
        for method, value in [('SetBatteryBulkVoltage', 57.6), ('SetBatteryFloatVoltage', 53.5),
                              ('SetBatteryRechargeVoltage', 47.0),
                              ('SetBatteryUnderVoltage', 44.0),
                              ('SetBatteryRedischargeVoltage', 55.0)]:
            self.assertError(self.call(method, 'd', [value]), ACCESS_DENIED)
        self.assertError(self.call('SetBatteryType', 's', ['agm']), ACCESS_DENIED)
        self.assertError(self.call('SetMaxChargingCurrent', 'd', [40.0]), ACCESS_DENIED)
        self.assertError(self.call('SetFlag', 'sb', ['buzzer', False]), ACCESS_DENIED)
        self.assertError(self.call('SetOutputFrequency', 'd', [60.0]), ACCESS_DENIED)
        self.assertError(self.call('RawCommand', 's', ['PBCV47.0']), ACCESS_DENIED)
        self.assertEqual(self.sim.history(), [])
        self.assertEqual(self.sim.get('BatteryBulkVoltage'), '56.4')
        self.assertEqual([c[2] for c in self.polkit.checks()],
                         [BATTERY] * 6 + [CHARGING, FLAGS, OUTPUT, RAW])

    def test_denied_sends_nothing(self):
        self.polkit.set_allowed([])
        for method, sig, args, *_ in SETTERS:
            self.assertError(self.call(method, sig, args), ACCESS_DENIED)
        self.assertError(self.call('RawCommand', 's', ['QPIGS']), ACCESS_DENIED)
        self.assertEqual(self.sim.history(), [])

    def test_interactive_authorization(self):
        self.polkit.set_challenge([BATTERY])
        r = self.call('SetBatteryBulkVoltage', 'd', [57.6], interactive=False)
        self.assertError(r, INTERACTIVE)
        self.assertEqual(self.sim.history(), [])
        self.assertOk(self.call('SetBatteryBulkVoltage', 'd', [57.6], interactive=True))
        self.assertEqual(self.sim.history(), ['PCVV57.6', 'QPIRI'])
        self.assertEqual([c[3] for c in self.polkit.checks()], [0, 1])

    def test_root_needs_no_polkit(self):
        self.polkit.set_allowed([])
        self.assertOk(self.call('SetBatteryFloatVoltage', 'd', [53.5], uid=None))
        self.assertEqual(self.sim.history(), ['PBFT53.5', 'QPIRI'])
        self.assertEqual(self.polkit.checks(), [])

    def test_unchanged_value_returns_at_once(self):
        # Already set: no polkit question, nothing sent, success even for an unauthorised caller.
        self.polkit.set_allowed([])
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['utility-first']))
        self.assertOk(self.call('SetBatteryBulkVoltage', 'd', [56.4]))
        self.assertOk(self.call('SetFlag', 'sb', ['buzzer', True]))
        self.assertOk(self.call('SetMaxChargingCurrent', 'd', [60.0]))
        self.assertEqual(self.sim.history(), [])
        self.assertEqual(self.polkit.checks(), [])

    def test_caller_gone_while_polkit_thinks(self):
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        caller = subprocess.Popen(setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE,
                                                       'SetOutputSourcePriority', 's', ['sbu'],
                                                       uid=NOBODY),
                                  env=self.env, stdout=subprocess.DEVNULL)
        testlib.wait_for(self.polkit.have_hanging, 10, what='the check to reach polkit')
        caller.kill()
        caller.wait()
        time.sleep(0.5)
        self.polkit.hang(False)
        self.polkit.release()
        time.sleep(0.5)
        # polkit's late "yes" for a caller that left changes nothing.
        self.assertEqual(self.sim.history(), [])
        self.assertTrue(self.daemon.proc.running())
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['sbu']))
        self.assertEqual(self.sim.history(), ['POP02', 'QPIRI'])


class Fairness(SetterTestCase):
    """One user's hanging polkit checks lock out neither root nor other users (issue 17.3)."""

    def test_hanging_user_does_not_lock_out_root_or_others(self):
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        argv = setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE, 'SetOutputSourcePriority',
                                    's', ['sbu'], uid=NOBODY, interactive=True, timeout=120)
        argv.insert(argv.index(setterslib.CALL_PY) + 1, '--repeat=70')
        flood = subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(lambda: len(self.polkit.checks()) >= 32, 30,
                         what="nobody's checks to reach polkit")
        # root needs no polkit and is served at once, for a setter and for RawCommand.
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['solar-first'], uid=None))
        self.assertEqual(self.assertOk(self.call('RawCommand', 's', ['QMOD'], uid=None)), ['L'])
        self.assertEqual(self.sim.history(), ['POP01', 'QPIRI', 'QMOD'])
        # Another user's check still reaches polkit and gets its answer.
        n = len(self.polkit.checks())
        other = subprocess.Popen(setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE,
                                                      'SetOutputSourcePriority', 's', ['sbu'],
                                                      uid=OTHER_UID),
                                 env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(lambda: len(self.polkit.checks()) == n + 1, 30,
                         what="the other user's check")
        self.assertEqual(len(self.polkit.checks()), 33)  # 32 of nobody's 70 were asked
        self.polkit.hang(False)
        self.polkit.release()
        self.assertIn('"result"', other.communicate(timeout=60)[0])
        answers = json.loads(flood.communicate(timeout=120)[0])['answers']
        self.assertEqual(len(answers), 70)
        refused = [a for a in answers
                   if a.get('error') == 'org.freedesktop.DBus.Error.LimitsExceeded']
        self.assertEqual(len(refused), 70 - 32, answers)
        self.assertEqual(self.daemon.get('OutputSourcePriority'), 'sbu')


class Wire(SetterTestCase):
    """Exact requests, read-back, refusals, inverter errors."""

    def test_every_setter_exact_bytes_and_read_back(self):
        self.polkit.set_allowed(ALL_ACTIONS)
        for method, sig, args, command, reread, prop, value in SETTERS:
            with self.subTest(method=method, args=args):
                self.sim.clear()
                self.assertOk(self.call(method, sig, args))
                self.assertEqual(self.sim.history(), [command, reread])
                got = self.daemon.get(prop)
                if isinstance(value, float):
                    self.assertAlmostEqual(got, value, places=3)
                else:
                    self.assertEqual(got, value)

    def test_fractional_voltages_exact_bytes(self):
        # The bytes and the simulator's state only: axpert-sim re-prints a changed voltage
        # without its decimals ("0058" for 57.6; it keeps the width, not the decimals), so the
        # read-back of fractional values is checked where the simulator gets it right (above).
        for method, value, command, prop in [
                ('SetBatteryBulkVoltage', 57.6, 'PCVV57.6', 'BatteryBulkVoltage'),
                ('SetBatteryFloatVoltage', 53.5, 'PBFT53.5', 'BatteryFloatVoltage'),
                ('SetBatteryRechargeVoltage', 45.0, 'PBCV45.0', 'BatteryRechargeVoltage')]:
            self.sim.clear()
            self.assertOk(self.call(method, 'd', [value], uid=None))
            self.assertEqual(self.sim.history(), [command, 'QPIRI'])
            self.assertEqual(float(self.sim.get(prop)), value)

    def test_refusals_send_nothing(self):
        self.polkit.set_allowed(ALL_ACTIONS)
        for method, sig, args, words in REFUSALS:
            with self.subTest(method=method, args=args):
                message = self.assertError(self.call(method, sig, args), INVALID_ARGS)
                self.assertIn(words, message)
        # Not even polkit was asked: validation comes first.
        self.assertEqual(self.polkit.checks(), [])
        self.assertEqual(self.sim.history(), [])

    def test_wrong_argument_types_send_nothing(self):
        self.polkit.set_allowed(ALL_ACTIONS)
        self.assertError(self.call('SetBatteryBulkVoltage', 's', ['57.6']), INVALID_ARGS)
        self.assertError(self.call('SetOutputSourcePriority', 'u', [2]), INVALID_ARGS)
        self.assertError(self.call('SetFlag', 's', ['buzzer']), INVALID_ARGS)
        self.assertEqual(self.sim.history(), [])

    def test_one_properties_changed_per_change(self):
        conn = setterslib.connect(self.bus.address)
        signals = []

        def on_signal(_conn, sender, path, iface, member, params):
            signals.append((path, params.unpack()))

        conn.signal_subscribe(None, 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
                              None, None, Gio.DBusSignalFlags.NONE, on_signal)
        ctx = GLib.MainContext.default()
        replies = []
        conn.call(DAEMON_NAME, DEVICE_PATH, IFACE, 'SetChargerSourcePriority',
                  GLib.Variant('(s)', ('utility-first',)), None, Gio.DBusCallFlags.NONE, 30000,
                  None, lambda c, res: replies.append(c.call_finish(res)))
        deadline = time.monotonic() + 30
        while not replies and time.monotonic() < deadline:
            ctx.iteration(False) or time.sleep(0.01)
        self.assertTrue(replies)
        # Signals were sent before the reply; give the bus a moment, then count.
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            ctx.iteration(False) or time.sleep(0.01)
        device_signals = [s for s in signals if s[0] == DEVICE_PATH]
        self.assertEqual(len(device_signals), 1, signals)
        iface, changed, invalidated = device_signals[0][1]
        self.assertEqual(iface, IFACE)
        self.assertEqual(changed, {'ChargerSourcePriority': 'utility-first'})
        self.assertEqual(self.sim.history(), ['PCP00', 'QPIRI'])

    def test_nak_is_rejected(self):
        self.sim.ctl('fault nak')
        message = self.assertError(self.call('SetOutputSourcePriority', 's', ['sbu'], uid=None),
                                   'org.axpert.Inverter.Error.Rejected')
        self.assertIn('POP02', message)
        self.sim.ctl('fault none')
        self.assertEqual(self.sim.writes(), ['POP02'])
        self.assertEqual(self.daemon.get('OutputSourcePriority'), 'utility-first')
        # Nothing stuck: the next change goes through.
        self.sim.clear()
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['sbu'], uid=None))
        self.assertEqual(self.sim.history(), ['POP02', 'QPIRI'])

    def test_silence_is_timeout(self):
        self.sim.ctl('fault silence')
        started = time.monotonic()
        self.assertError(self.call('SetInputVoltageRange', 's', ['ups'], uid=None),
                         'org.axpert.Inverter.Error.Timeout')
        self.assertLess(time.monotonic() - started, 25)
        self.sim.ctl('fault none')
        # Every request that reached the inverter was the one asked for (retries included).
        writes = self.sim.writes()
        self.assertTrue(writes and set(writes) == {'PGR01'}, writes)
        self.assertEqual(self.daemon.get('InputVoltageRange'), 'appliance')

    def test_garbled_answers_are_protocol(self):
        self.sim.ctl('fault bad-crc')
        self.assertError(self.call('SetInputVoltageRange', 's', ['ups'], uid=None),
                         'org.axpert.Inverter.Error.Protocol')
        self.sim.ctl('fault none')
        self.assertEqual(set(self.sim.writes()), {'PGR01'})

    def test_echo_is_not_supported(self):
        self.sim.ctl('fault echo')
        self.assertError(self.call('SetOutputFrequency', 'd', [60.0], uid=None),
                         'org.axpert.Inverter.Error.NotSupported')
        self.sim.ctl('fault none')

    def test_offline_sends_nothing(self):
        self.sim.ctl('unplug')
        testlib.wait_for(lambda: not self.daemon.get('Online'), 30, what='the device offline')
        self.sim.clear()
        self.assertError(self.call('SetOutputSourcePriority', 's', ['sbu'], uid=None),
                         'org.axpert.Inverter.Error.Offline')
        self.assertError(self.call('RawCommand', 's', ['QPI'], uid=None),
                         'org.axpert.Inverter.Error.Offline')
        # Validation still comes first.
        self.assertError(self.call('SetOutputSourcePriority', 's', ['sideways'], uid=None),
                         INVALID_ARGS)
        self.sim.ctl('replug')
        self.assertEqual(self.sim.writes(), [])

    def test_raw_command(self):
        self.polkit.set_allowed([RAW, RAW_QUERY])
        r = self.assertOk(self.call('RawCommand', 's', ['QPIRI']))
        self.assertRegex(r[0], r'^\d{3}\.\d ')
        self.assertEqual(self.sim.history(), ['QPIRI'])
        # A raw change: the answer, then the settings re-read so no property is stale.
        self.sim.clear()
        self.assertEqual(self.assertOk(self.call('RawCommand', 's', ['POP02'])), ['ACK'])
        self.assertEqual(self.sim.history(), ['POP02', 'QPIRI', 'QFLAG'])
        self.assertEqual(self.daemon.get('OutputSourcePriority'), 'sbu')
        self.sim.ctl('fault nak')
        self.assertError(self.call('RawCommand', 's', ['PBT01']),
                         'org.axpert.Inverter.Error.Rejected')
        self.sim.ctl('fault none')
        # Journalled as what it is: a raw command and its answer, not a setting "changed from
        # -"; queries are not journalled.
        testlib.wait_for(lambda: 'Raw command "PBT01"' in self.daemon_log(), 5,
                         what='the journal entry of the refused raw command')
        log = self.daemon_log()
        self.assertNotIn('RawCommand changed', log)
        self.assertNotIn('Raw command "QPIRI"', log)
        lines = [line for line in log.splitlines() if 'Raw command' in line]
        self.assertEqual(len(lines), 2, lines)
        self.assertIn(f'inv: Raw command "POP02" answered "ACK" (uid {NOBODY}, :', lines[0])
        self.assertIn(f'inv: Raw command "PBT01" answered "NAK" (uid {NOBODY}, :', lines[1])
        for field in ('MESSAGE_ID=283767e5b3124ea4b04993848ffa5c8f', 'AXPERT_DEVICE=inv',
                      'AXPERT_COMMAND=POP02', 'AXPERT_ANSWER=ACK', f'AXPERT_CALLER_UID={NOBODY}'):
            self.assertIn(field, lines[0])

    def test_raw_query_has_its_own_action(self):
        # Inquiries (Q…) are checked against raw-query, everything else against raw-command:
        # neither action covers the other.
        self.polkit.set_allowed([RAW])
        self.assertError(self.call('RawCommand', 's', ['QPIRI']), ACCESS_DENIED)
        self.assertEqual(self.sim.history(), [])
        self.polkit.set_allowed([RAW_QUERY])
        r = self.assertOk(self.call('RawCommand', 's', ['QPIRI']))
        self.assertRegex(r[0], r'^\d{3}\.\d ')
        self.assertError(self.call('RawCommand', 's', ['POP02']), ACCESS_DENIED)
        self.assertError(self.call('RawCommand', 's', ['qPIRI']), ACCESS_DENIED)
        self.assertEqual(self.sim.history(), ['QPIRI'])
        self.assertEqual([c[2] for c in self.polkit.checks()],
                         [RAW_QUERY, RAW_QUERY, RAW, RAW])

    def test_enum_values_in_another_case(self):
        # Matched case-insensitively; the canonical value is what is sent, compared, journalled.
        self.polkit.set_allowed(ALL_ACTIONS)
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['SBU']))
        self.assertOk(self.call('SetChargerSourcePriority', 's', ['Solar-Only']))
        self.assertOk(self.call('SetBatteryType', 's', ['AGM']))
        self.assertOk(self.call('SetFlag', 'sb', ['Buzzer', False]))
        self.assertEqual(self.sim.history(),
                         ['POP02', 'QPIRI', 'PCP03', 'QPIRI', 'PBT00', 'QPIRI', 'PDa', 'QFLAG'])
        self.assertEqual(self.daemon.get('OutputSourcePriority'), 'sbu')
        # Already so, in any case: nothing to send.
        self.sim.clear()
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['Sbu']))
        self.assertOk(self.call('SetFlag', 'sb', ['BUZZER', False]))
        self.assertEqual(self.sim.history(), [])
        testlib.wait_for(lambda: 'BatteryType changed from user to agm' in self.daemon_log(), 5,
                         what='the journal entry of the battery type')
        log = self.daemon_log()
        self.assertIn('OutputSourcePriority changed from utility-first to sbu', log)
        self.assertIn('AXPERT_NEW_VALUE=solar-only', log)
        self.assertNotIn('SBU', log)
        self.assertNotIn('AGM', log)
        # A refusal names what was given and what is accepted, once, without "accepted:" twice.
        message = self.assertError(self.call('SetOutputSourcePriority', 's', ['SBX']),
                                   INVALID_ARGS)
        self.assertIn('SetOutputSourcePriority: "SBX" is not one of: utility-first, '
                      'solar-first, sbu', message)
        self.assertNotIn('accepted:', message)

    def test_conflicting_settings_are_refused(self):
        self.polkit.set_allowed(ALL_ACTIONS)
        # Re-charge must stay below re-discharge; re-discharge 0 ("when full") has no order.
        self.assertOk(self.call('SetBatteryRedischargeVoltage', 'd', [48.0]))
        message = self.assertError(self.call('SetBatteryRechargeVoltage', 'd', [48.0]),
                                   INVALID_ARGS)
        self.assertIn('BatteryRechargeVoltage 48.0 V conflicts with BatteryRedischargeVoltage '
                      '48.0 V', message)
        self.assertError(self.call('SetBatteryRedischargeVoltage', 'd', [46.0]), INVALID_ARGS)
        self.assertEqual(self.sim.history(), ['PBDV48.0', 'QPIRI'])
        self.assertOk(self.call('SetBatteryRedischargeVoltage', 'd', [0.0]))
        self.assertOk(self.call('SetBatteryRechargeVoltage', 'd', [48.0]))
        # Cut-off below re-charge (now 48.0), float at most bulk: equal is fine.
        self.assertError(self.call('SetBatteryUnderVoltage', 'd', [48.0]), INVALID_ARGS)
        self.assertOk(self.call('SetBatteryFloatVoltage', 'd', [56.4]))
        self.assertEqual(self.sim.history(), ['PBDV48.0', 'QPIRI', 'PBDV00.0', 'QPIRI',
                                              'PBCV48.0', 'QPIRI', 'PBFT56.4', 'QPIRI'])
        self.assertEqual(self.sim.get('BatteryUnderVoltage'), '42.0')

    def test_identical_burst_sends_once(self):
        # 30 callers ask for the same change at once (polkit answers them all together): each
        # is checked against the inverter's value when its turn comes, so the first one changes
        # it and the other 29 succeed without sending anything (issue 17.9: they used to send
        # it again and again, "changed from solar-first to solar-first").
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        argv = setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE, 'SetOutputSourcePriority',
                                    's', ['solar-first'], uid=NOBODY, timeout=120)
        argv.insert(argv.index(setterslib.CALL_PY) + 1, '--repeat=30')
        burst = subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(lambda: len(self.polkit.checks()) == 30, 30, what='30 polkit checks')
        self.polkit.hang(False)
        self.polkit.release()
        answers = json.loads(burst.communicate(timeout=120)[0])['answers']
        self.assertEqual(answers, [{'result': []}] * 30)
        self.assertEqual(self.sim.writes(), ['POP01'])
        self.assertEqual(self.daemon.get('OutputSourcePriority'), 'solar-first')
        changes = [line for line in self.daemon_log().splitlines()
                   if 'OutputSourcePriority changed' in line]
        self.assertEqual(len(changes), 1, changes)
        self.assertIn('changed from utility-first to solar-first', changes[0])

    def test_burst_is_serialised(self):
        self.polkit.set_allowed(ALL_ACTIONS)
        calls = [('SetOutputSourcePriority', 's', ['sbu']),
                 ('SetChargerSourcePriority', 's', ['solar-first']),
                 ('SetInputVoltageRange', 's', ['ups']),
                 ('SetBatteryType', 's', ['flooded']),
                 ('SetFlag', 'sb', ['buzzer', False]),
                 ('SetBatteryRechargeVoltage', 'd', [48.0]),
                 ('SetMaxAcChargingCurrent', 'd', [50.0]),
                 ('SetOutputFrequency', 'd', [60.0])]
        procs = [subprocess.Popen(setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE, m, s, a,
                                                       uid=NOBODY),
                                  env=self.env, stdout=subprocess.PIPE, text=True)
                 for m, s, a in calls]
        outs = [p.communicate(timeout=60)[0] for p in procs]
        for out in outs:
            self.assertIn('"result"', out)
        history = self.sim.history()
        # One change at a time: each command is followed by its own re-read before the next.
        self.assertEqual(len(history), 2 * len(calls), history)
        writes = history[0::2]
        rereads = history[1::2]
        self.assertEqual(sorted(writes), sorted(['POP02', 'PCP01', 'PGR01', 'PBT01', 'PDa',
                                                 'PBCV48.0', 'MUCHGC050', 'F60']))
        for w, r in zip(writes, rereads):
            self.assertEqual(r, 'QFLAG' if w.startswith('PD') else 'QPIRI', history)
        state = self.daemon.get_all()
        self.assertEqual(state['OutputSourcePriority'], 'sbu')
        self.assertEqual(state['ChargerSourcePriority'], 'solar-first')
        self.assertEqual(state['BatteryType'], 'flooded')
        self.assertEqual(state['BuzzerEnabled'], False)
        self.assertAlmostEqual(state['BatteryRechargeVoltage'], 48.0)
        self.assertAlmostEqual(state['MaxAcChargingCurrent'], 50.0)
        self.assertAlmostEqual(state['AcOutputRatingFrequency'], 60.0)


class Battery24(SetterTestCase):
    """Voltage limits follow the battery rating the inverter reports."""
    sim_args = ('--battery=24',)

    def test_limits_follow_the_rating(self):
        message = self.assertError(self.call('SetBatteryRechargeVoltage', 'd', [47.0], uid=None),
                                   INVALID_ARGS)
        self.assertIn('24 V battery', message)
        self.assertOk(self.call('SetBatteryRechargeVoltage', 'd', [23.5], uid=None))
        self.assertEqual(self.sim.history(), ['PBCV23.5', 'QPIRI'])


class Parallel(SetterTestCase):
    """Per-unit settings go to every unit of a parallel system."""
    sim_args = ('--units=2',)

    def setUp(self):
        super().setUp()
        testlib.wait_for(lambda: self.daemon.get('ParallelUnits') == 2, 30,
                         what='two parallel units')
        self.sim.clear()

    def test_charger_priority_per_unit(self):
        self.assertOk(self.call('SetChargerSourcePriority', 's', ['solar-only'], uid=None))
        self.assertEqual(self.sim.history(),
                         ['PPCP003', 'PPCP103', 'QPIRI', 'QPGS0', 'QPGS1'])
        for n in (0, 1):
            unit = self.daemon.get_all(f'{DEVICE_PATH}/unit{n}', 'org.axpert.Inverter.Unit')
            self.assertEqual(unit['ChargerSourcePriority'], 'solar-only')

    def test_currents_per_unit(self):
        self.assertOk(self.call('SetMaxChargingCurrent', 'd', [40.0], uid=None))
        self.assertEqual(self.sim.history(),
                         ['MCHGC040', 'MCHGC140', 'QPIRI', 'QPGS0', 'QPGS1'])
        self.sim.clear()
        self.assertOk(self.call('SetMaxAcChargingCurrent', 'd', [100.0], uid=None))
        self.assertEqual(self.sim.history(),
                         ['MUCHGC0100', 'MUCHGC1100', 'QPIRI', 'QPGS0', 'QPGS1'])

    def test_refusal_names_the_unit(self):
        self.sim.ctl('fault nak')
        message = self.assertError(self.call('SetMaxChargingCurrent', 'd', [40.0], uid=None),
                                   'org.axpert.Inverter.Error.Rejected')
        self.sim.ctl('fault none')
        self.assertIn('Unit 0', message)
        # Stopped at the first refusal: unit 1 was never asked.
        self.assertEqual(self.sim.writes(), ['MCHGC040'])

    def test_parallel_change_is_journalled_per_unit(self):
        # The intent before the first unit's command, then each unit's outcome, then the change.
        self.assertOk(self.call('SetMaxChargingCurrent', 'd', [40.0], uid=None))
        testlib.wait_for(lambda: 'MaxChargingCurrent changed' in self.daemon_log(), 5,
                         what='the journal entry')
        lines = [line for line in self.daemon_log().splitlines() if 'MaxChargingCurrent' in line]
        self.assertEqual(len(lines), 4, lines)
        self.assertIn('inv: changing MaxChargingCurrent to 40 on units 0, 1 for uid 0 (:',
                      lines[0])
        for field in ('MESSAGE_ID=fce7e6ba95da4875a946d08cc54c91e7', 'AXPERT_DEVICE=inv',
                      'AXPERT_SETTING=MaxChargingCurrent', 'AXPERT_NEW_VALUE=40',
                      'AXPERT_UNITS=0 1', 'AXPERT_CALLER_UID=0'):
            self.assertIn(field, lines[0])
        self.assertIn('inv: unit 0 accepted MCHGC040 (MaxChargingCurrent 40)', lines[1])
        self.assertIn('MESSAGE_ID=0fe1c8a744ad45248bd22fc31bf8996e', lines[1])
        self.assertIn('AXPERT_UNIT=0', lines[1])
        self.assertIn('AXPERT_RESULT=accepted', lines[1])
        self.assertIn('inv: unit 1 accepted MCHGC140 (MaxChargingCurrent 40)', lines[2])
        self.assertIn('MaxChargingCurrent changed from 60 to 40 by uid 0', lines[3])

    def test_refusing_unit_is_journalled(self):
        self.sim.ctl('fault nak')
        self.assertError(self.call('SetMaxChargingCurrent', 'd', [40.0], uid=None),
                         'org.axpert.Inverter.Error.Rejected')
        self.sim.ctl('fault none')
        testlib.wait_for(lambda: 'unit 1 not asked' in self.daemon_log(), 5,
                         what='the journal entries')
        lines = [line for line in self.daemon_log().splitlines() if 'MaxChargingCurrent' in line]
        self.assertIn('changing MaxChargingCurrent to 40 on units 0, 1', lines[0])
        self.assertIn('inv: unit 0 refused (NAK) MCHGC040 (MaxChargingCurrent 40)', lines[1])
        self.assertIn('AXPERT_RESULT=refused', lines[1])
        self.assertIn('inv: unit 1 not asked MCHGC140 (MaxChargingCurrent 40)', lines[2])
        self.assertIn('AXPERT_RESULT=not-sent', lines[2])
        self.assertNotIn('changed from', self.daemon_log())

    def test_unit_level_settings_are_not_per_unit(self):
        self.assertOk(self.call('SetOutputSourcePriority', 's', ['sbu'], uid=None))
        self.assertEqual(self.sim.history(), ['POP02', 'QPIRI'])


class ParallelPartial(SetterTestCase):
    """A unit that refuses after another one took the change: the caller learns which."""
    # Time to switch the simulator to NAK between the two units' commands: an answer is decided
    # when the request arrives and sent 300 ms later.
    sim_args = ('--units=2', '--think-time=300')

    def test_second_unit_refuses(self):
        testlib.wait_for(lambda: self.daemon.get('ParallelUnits') == 2, 30,
                         what='two parallel units')
        self.sim.clear()
        caller = subprocess.Popen(setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE,
                                                       'SetMaxChargingCurrent', 'd', [40.0]),
                                  env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(lambda: 'MCHGC040' in self.sim.history(), 10, interval=0.005,
                         what='unit 0\'s command')
        self.sim.ctl('fault nak')
        out, _ = caller.communicate(timeout=60)
        self.sim.ctl('fault none')
        self.assertIn('org.axpert.Inverter.Error.Rejected', out)
        self.assertIn('Unit 1 refused (NAK) MCHGC140', out)
        self.assertIn('Already changed: unit 0', out)
        # Nothing after the refusal: the two commands, then only re-reads.
        self.assertEqual(self.sim.writes(), ['MCHGC040', 'MCHGC140'])
        self.assertEqual(self.sim.ctl('unit 0 get MaxChargingCurrent'), ['MaxChargingCurrent=40'])
        self.assertEqual(self.sim.ctl('unit 1 get MaxChargingCurrent'), ['MaxChargingCurrent=60'])
        log = self.daemon_log()
        self.assertIn('inv: unit 0 accepted MCHGC040', log)
        self.assertIn('inv: unit 1 refused (NAK) MCHGC140', log)


class ParallelKilled(SetterTestCase):
    """The daemon killed between two units' commands (issue 17.8)."""
    # An answer is sent 500 ms after the request arrives: time to see unit 0's command in the
    # simulator's history and kill the daemon before unit 1's is sent (the link waits 1 s for
    # a first byte, so this does not time out).
    sim_args = ('--units=2', '--think-time=500')

    def test_killed_midway_leaves_the_intent_in_the_journal(self):
        # SIGKILL after unit 0 got its command, before unit 1 got its own: the units now
        # disagree, and the journal must say what was being done, for whom, on which units.
        testlib.wait_for(lambda: self.daemon.get('ParallelUnits') == 2, 30,
                         what='two parallel units')
        self.sim.clear()
        caller = subprocess.Popen(setterslib.call_argv(DAEMON_NAME, DEVICE_PATH, IFACE,
                                                       'SetMaxChargingCurrent', 'd', [40.0]),
                                  env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(lambda: 'MCHGC040' in self.sim.history(), 10, interval=0.005,
                         what="unit 0's command")
        self.assertEqual(self.daemon.proc.stop(signal.SIGKILL), -signal.SIGKILL)
        caller.communicate(timeout=60)
        self.assertEqual(self.sim.writes(), ['MCHGC040'])
        lines = [line for line in self.daemon_log().splitlines() if 'MaxChargingCurrent' in line]
        self.assertTrue(lines, self.daemon_log())
        self.assertIn('inv: changing MaxChargingCurrent to 40 on units 0, 1 for uid 0 (:',
                      lines[0])
        self.assertIn('AXPERT_UNITS=0 1', lines[0])
        self.assertNotIn('changed from', self.daemon_log())


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_killed_midway_leaves_the_intent_in_the_journal',
                                'test_denied_sends_nothing', 'test_second_unit_refuses',
                                'test_priorities_action_does_not_cover_battery_voltages'))
