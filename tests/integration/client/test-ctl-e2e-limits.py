#!/usr/bin/python3
"""What the bus advertises a setter accepts is what axpertd and the inverter accept (issue 11).

For the simulator at 12, 24 and 48 V, classic and MAX firmware: every setting of SettingLimits,
SettingOptions and SettingChoices is called (as root: no polkit) with min, max and a sample of
steps including both ends' neighbours, or every option; each is accepted by axpertd and, when it
was not set already, ACKed by the simulator (a NAK would be Rejected) and read back. min - step,
max + step and a value outside a list are refused with InvalidArgs and send nothing. Then every
axpertctl set verb does the same for an accepted and a refused value; and on a classic 48 V
inverter the values Home Assistant used to offer wrongly are neither advertised nor accepted."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

IFACE = 'org.axpert.Inverter'
DEV = '/org/axpert/Inverter/0'
INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
NUMERIC = {'SetMaxChargingCurrent', 'SetMaxAcChargingCurrent', 'SetBatteryRechargeVoltage',
           'SetBatteryRedischargeVoltage', 'SetBatteryUnderVoltage', 'SetBatteryBulkVoltage',
           'SetBatteryFloatVoltage', 'SetOutputFrequency'}
STRINGS = {'SetOutputSourcePriority', 'SetChargerSourcePriority', 'SetInputVoltageRange',
           'SetBatteryType', 'SetFlag'}
# The property each numeric setter changes (the XML's org.axpert.Doc.Affects).
AFFECTS = {'SetMaxChargingCurrent': 'MaxChargingCurrent',
           'SetMaxAcChargingCurrent': 'MaxAcChargingCurrent',
           'SetBatteryRechargeVoltage': 'BatteryRechargeVoltage',
           'SetBatteryRedischargeVoltage': 'BatteryRedischargeVoltage',
           'SetBatteryUnderVoltage': 'BatteryUnderVoltage',
           'SetBatteryBulkVoltage': 'BatteryBulkVoltage',
           'SetBatteryFloatVoltage': 'BatteryFloatVoltage',
           'SetOutputFrequency': 'AcOutputRatingFrequency',
           'SetOutputSourcePriority': 'OutputSourcePriority',
           'SetChargerSourcePriority': 'ChargerSourcePriority',
           'SetInputVoltageRange': 'InputVoltageRange', 'SetBatteryType': 'BatteryType'}


def tenths(v):
    return round(v * 10) / 10


def range_sample(lo, hi, step):
    """min, its neighbour, a middle step, max's neighbour, max (no more: at 2400 baud each
    setter costs a second, and the ends are where limits go wrong)."""
    n = round((hi - lo) / step)
    ks = sorted({0, 1, n // 2, n - 1, n} & set(range(n + 1)))
    return [tenths(lo + k * step) for k in ks]


class LimitsCase(ctltest.E2ETestCase):
    battery = 48
    model = 'classic'
    family = 'hs-ks'

    @property
    def sim_args(self):
        return (f'--battery={self.battery}', f'--model={self.model}')

    def call(self, method, *args):
        """Calls a setter as root; returns None or the D-Bus error's name and message."""
        import dbus
        try:
            self.mock_object(DEV).get_dbus_method(method, IFACE)(*args, timeout=60)
            return None
        except dbus.exceptions.DBusException as e:
            return e.get_dbus_name(), e.get_dbus_message()

    def settings(self):
        p = self.props()
        return ({str(k): tuple(float(x) for x in v) for k, v in p['SettingLimits'].items()},
                {str(k): [float(x) for x in v] for k, v in p['SettingOptions'].items()},
                {str(k): [str(x) for x in v] for k, v in p['SettingChoices'].items()})

    def sent(self):
        """The setting commands that reached the simulator since the last clear."""
        return [c for c in self.sim_command('history') if c[:1] in 'PMF']

    def assertAccepted(self, method, value):
        import dbus
        arg = dbus.Double(value) if isinstance(value, float) else dbus.String(value)
        args = (arg, dbus.Boolean(True)) if method == 'SetFlag' else (arg,)
        self.sim_command('history clear')
        r = self.call(method, *args)
        # A value in range may still contradict another setting the inverter holds (float above
        # bulk, cut-off not below re-charge: issue 16 item 8): refused naming the other one,
        # before anything is sent. That is the relation check, not the range; say so.
        if r is not None and r[0] == INVALID_ARGS and ' conflicts with ' in r[1]:
            self.assertEqual(self.sent(), [], f'{method}({value!r}) reached the inverter')
            self.conflicts += 1
            return
        # Rejected would be the inverter's NAK: what the daemon accepts the inverter takes.
        self.assertIsNone(r, f'{method}({value!r}) refused: {r}')
        self.accepted += 1
        if method == 'SetFlag':
            return
        now = self.props()[AFFECTS[method]]
        if isinstance(value, float):
            self.assertAlmostEqual(float(now), value, places=6, msg=f'{method}({value})')
        else:
            self.assertEqual(str(now), value, method)

    def assertRefused(self, method, value):
        import dbus
        arg = dbus.Double(value) if isinstance(value, float) else dbus.String(value)
        args = (arg, dbus.Boolean(True)) if method == 'SetFlag' else (arg,)
        self.sim_command('history clear')
        r = self.call(method, *args)
        self.assertIsNotNone(r, f'{method}({value!r}) accepted')
        self.assertEqual(r[0], INVALID_ARGS, f'{method}({value!r}): {r}')
        self.assertEqual(self.sent(), [], f'{method}({value!r}) reached the inverter')

    def test_advertised_is_accepted(self):
        p = self.props()
        self.assertEqual(str(p['FirmwareFamily']), self.family)
        self.assertEqual(float(p['BatteryRatingVoltage']), self.battery)
        limits, options, choices = self.settings()
        # Every numeric setter in exactly one of the two, every string one in the third.
        self.assertEqual(set(limits) | set(options), NUMERIC)
        self.assertEqual(set(limits) & set(options), set())
        self.assertEqual(set(choices), STRINGS)

        self.accepted = self.conflicts = 0
        for method, (lo, hi, step) in limits.items():
            with self.subTest(method=method, limits=(lo, hi, step)):
                self.assertGreater(step, 0)
                self.assertLess(lo, hi)
                for v in range_sample(lo, hi, step):
                    self.assertAccepted(method, v)
                self.assertRefused(method, tenths(lo - step))
                self.assertRefused(method, tenths(hi + step))
                if step >= 0.2:
                    self.assertRefused(method, tenths(lo + 0.1))  # between two steps
        for method, values in options.items():
            with self.subTest(method=method, options=values):
                self.assertEqual(values, sorted(values))
                for v in values:
                    self.assertAccepted(method, v)
                self.assertRefused(method, tenths(values[-1] + 1))
                gaps = [tenths(a + 0.5) for a, b in zip(values, values[1:]) if b - a > 0.5]
                if gaps:
                    self.assertRefused(method, gaps[len(gaps) // 2])
        for method, names in choices.items():
            with self.subTest(method=method, choices=names):
                for v in names:
                    self.assertAccepted(method, v)
                self.assertRefused(method, 'no-such-' + names[0])
        # The relations refuse a few extremes (those next to another setting's value), never
        # most of what is advertised.
        self.assertGreater(self.accepted, 4 * self.conflicts, (self.accepted, self.conflicts))

    def test_every_ctl_set_verb(self):
        limits, options, choices = self.settings()
        verbs = 0
        for method in sorted(NUMERIC | STRINGS - {'SetFlag'}):
            verb = 'set-' + '-'.join(w.lower() for w in
                                     __import__('re').findall('[A-Z][a-z0-9]*', method[3:]))
            if method in limits:
                lo, hi, step = limits[method]
                good, bad, words = [lo, hi], tenths(hi + step), 'in steps of'
            elif method in options:
                good, bad, words = [options[method][0], options[method][-1]], \
                    tenths(options[method][-1] + 1), 'one of'
            else:
                good, bad, words = [choices[method][0], choices[method][-1]], 'nonsense', 'one of'
            with self.subTest(verb=verb):
                applied = 0
                for v in good:
                    arg = f'{v:g}' if isinstance(v, float) else v
                    self.sim_command('history clear')
                    p = self.ctl(verb, arg)
                    if p.returncode == ctltest.EXIT_INVALID and ' conflicts with ' in p.stderr:
                        # An extreme next to another setting's value (issue 16 item 8): refused
                        # by the relation, naming the other setting, nothing sent.
                        self.assertEqual(self.sent(), [], f'{verb} {arg}')
                        continue
                    self.assertEqual(p.returncode, 0, f'{verb} {arg}: {p.stderr}')
                    applied += 1
                    now = self.props()[AFFECTS[method]]
                    self.assertEqual(f'{float(now):g}' if isinstance(v, float) else str(now), arg)
                self.assertGreater(applied, 0, f'{verb}: neither end of the range applied')
                self.sim_command('history clear')
                arg = f'{bad:g}' if isinstance(bad, float) else bad
                p = self.assertCtl(verb, arg, rc=ctltest.EXIT_INVALID)
                # The message says what THIS inverter accepts, as the bus advertises it.
                self.assertIn(f'this inverter accepts ', p.stderr)
                self.assertIn(words, p.stderr)
                self.assertEqual(self.sent(), [])
                verbs += 1
        self.assertEqual(verbs, 12)
        for flag in choices['SetFlag']:
            self.assertCtl('set-flag', flag, 'on')


class Classic12(LimitsCase):
    battery = 12


class Classic24(LimitsCase):
    battery = 24


class Classic48(LimitsCase):
    battery = 48

    def test_issue_11_values_are_gone(self):
        """On a classic 48 V inverter 18 of 71 values Home Assistant offered were refused: by the
        daemon (re-discharge 13 and 29 V, AC charging 18, 42, 52 A) or by the inverter
        (bulk/float 61.5-63 V, the lithium battery types). Neither is offered nor accepted now."""
        limits, options, choices = self.settings()
        for v in (13.0, 29.0):
            self.assertNotIn(v, options['SetBatteryRedischargeVoltage'])
            self.assertRefused('SetBatteryRedischargeVoltage', v)
        for v in (18.0, 42.0, 52.0):
            self.assertNotIn(v, options['SetMaxAcChargingCurrent'])
            self.assertRefused('SetMaxAcChargingCurrent', v)
        for method in ('SetBatteryBulkVoltage', 'SetBatteryFloatVoltage'):
            self.assertEqual(limits[method], (48.0, 58.4, 0.1))
            for v in (58.5, 61.5, 63.0):
                self.assertRefused(method, v)
        self.assertEqual(choices['SetBatteryType'], ['agm', 'flooded', 'user'])
        for t in ('pylontech', 'shinheung', 'weco', 'soltaro', 'bak', 'lib', 'lic'):
            self.assertRefused('SetBatteryType', t)

    def test_limits_follow_the_rating(self):
        """The limits are the device's: a new battery rating changes them, with a signal."""
        import dbus
        from dbus.mainloop.glib import DBusGMainLoop
        from gi.repository import GLib
        conn = dbus.bus.BusConnection(self.bus.address, mainloop=DBusGMainLoop())
        self.addCleanup(conn.close)
        changed = []
        conn.add_signal_receiver(lambda iface, props, inval: changed.append(set(props)),
                                 'PropertiesChanged', 'org.freedesktop.DBus.Properties',
                                 path=DEV)
        self.sim_command('set BatteryRatingVoltage 24.0')
        # On the same connection as the match: the bus has the match before the cycle runs.
        conn.get_object('org.axpert.Inverter', DEV).Refresh(dbus_interface=IFACE, timeout=60)
        ctx = GLib.MainContext.default()

        def seen():
            while ctx.iteration(False):
                pass
            return any({'SettingLimits', 'SettingOptions'} <= c for c in changed)
        testlib.wait_for(seen, 20,
                         what=f'PropertiesChanged with SettingLimits and SettingOptions, '
                         f'got {changed}, now {self.props()["BatteryRatingVoltage"]}')
        limits, options, _ = self.settings()
        self.assertEqual(limits['SetBatteryBulkVoltage'], (24.0, 31.5, 0.1))
        self.assertIn(24.5, options['SetBatteryRedischargeVoltage'])
        self.assertIsInstance(self.props()['SettingLimits'], dbus.Dictionary)


class Max12(LimitsCase):
    battery = 12
    model = 'max'
    family = 'max'


class Max24(LimitsCase):
    battery = 24
    model = 'max'
    family = 'max'


class Max48(LimitsCase):
    battery = 48
    model = 'max'
    family = 'max'

    def test_max_firmware_gets_its_own(self):
        limits, _, choices = self.settings()
        self.assertEqual(limits['SetBatteryBulkVoltage'], (48.0, 63.0, 0.1))
        self.assertEqual(limits['SetBatteryUnderVoltage'], (42.0, 48.0, 0.1))
        self.assertIn('pylontech', choices['SetBatteryType'])
        self.assertNotIn('utility-first', choices['SetChargerSourcePriority'])


del LimitsCase  # the base runs only through its subclasses

if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_advertised_is_accepted',))
