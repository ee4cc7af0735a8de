#!/usr/bin/python3
"""What Home Assistant offers is what the inverter takes (issue 11's acceptance test).

axpert-sim (12, 24 and 48 V; classic and MAX firmware) -> axpertd -> axpert-mqtt with commands
enabled -> mosquitto. Every Home Assistant number and select config published is read, and:
each of its values (every option of a select; min, min + step, a middle step, max - step and max
of a number) published on its command topic is answered "ok" and the simulator holds the value
afterwards (it ACKed the setter: a NAK would be Rejected); min - step and max + step of a number,
and values a select does not offer, are answered InvalidArgs and nothing reaches the simulator.
Commands run as root, whom axpertd's polkit check always lets through (uid 0)."""
import json
import math
import sys
import xml.etree.ElementTree as ET

import mqttlib
from mqttlib import testlib, wait_for

INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
IFACE = 'org.axpert.Inverter'
DEV = '/org/axpert/Inverter/0'


def contract_methods():
    """Set… method -> (first affected property, documented string values or None)."""
    root = ET.parse(testlib.source_path('dbus', 'org.axpert.Inverter.xml')).getroot()
    out = {}
    for m in root.find(f"interface[@name='{IFACE}']").findall('method'):
        ann = {a.get('name'): a.get('value') for a in m.findall('annotation')}
        args = m.findall('arg')
        values = None
        if args:
            aann = {a.get('name'): a.get('value') for a in args[0].findall('annotation')}
            if args[0].get('type') == 's' and 'org.axpert.Doc.Values' in aann:
                values = aann['org.axpert.Doc.Values'].split()
        if m.get('name').startswith('Set'):
            out[m.get('name')] = ((ann.get('org.axpert.Doc.Affects') or '').split()[:1] or
                                  [None])[0], values
    return out


def method_of(object_id):
    """set_battery_bulk_voltage -> SetBatteryBulkVoltage."""
    return 'Set' + ''.join(w.capitalize() for w in object_id[len('set_'):].split('_'))


def tenths(v):
    return round(v * 10) / 10


def number_payload(v):
    """What Home Assistant's MQTT number sends: an integral value without decimals."""
    return str(int(v)) if float(v).is_integer() else repr(tenths(v))


def range_sample(lo, hi, step):
    n = round((hi - lo) / step)
    return [tenths(lo + k * step) for k in sorted({0, 1, n // 2, n - 1, n} & set(range(n + 1)))]


def offered_values(component, cfg):
    if component == 'select':
        return list(cfg['options'])
    n = round((cfg['max'] - cfg['min']) / cfg['step'])
    return [tenths(cfg['min'] + k * cfg['step']) for k in range(n + 1)]


def bus_accepts(method, value, limits, options, choices):
    """Whether the daemon's SettingLimits/Options/Choices say it accepts value."""
    if method in choices:
        return value in [str(c) for c in choices[method]]
    if method in options:
        return any(math.isclose(float(value), float(o), abs_tol=1e-6) for o in options[method])
    if method in limits:
        lo, hi, step = (float(x) for x in limits[method])
        k = round((float(value) - lo) / step)
        return lo - 1e-6 <= float(value) <= hi + 1e-6 and math.isclose(lo + k * step,
                                                                       float(value),
                                                                       abs_tol=1e-6)
    return False


def option_text(v):
    """The text a select offers for a number: as the state JSON prints it."""
    return f'{v:.1f}' if tenths(v) == v else repr(v)


class LimitsCase(mqttlib.EndToEndTestCase):
    battery = 48
    model = 'classic'
    family = 'hs-ks'

    def props(self):
        import dbus
        bus = dbus.bus.BusConnection(self.bus.address)
        try:
            return bus.get_object(IFACE, DEV).GetAll(
                IFACE, dbus_interface='org.freedesktop.DBus.Properties')
        finally:
            bus.close()

    def sent(self):
        """The setters that reached the simulator since the last 'history clear'."""
        return [c for c in self.control('history') if not c.startswith('Q')]

    def command(self, setting, payload):
        topic = f'axpert/{self.serial}/set/{setting}'
        self.recorder.clear()
        self.recorder.publish(topic, payload.encode())
        return self.recorder.wait_json(f'axpert/{self.serial}/set/result',
                                       lambda r: r['setting'] == setting and
                                       r['value'] is not None, timeout=60)

    def controls(self):
        """object_id -> (component, config) of every number and select config retained now."""
        out = {}
        for topic, payload in self.recorder.latest().items():
            parts = topic.split('/')
            if (len(parts) == 5 and parts[0] == 'homeassistant' and
                    parts[1] in ('number', 'select') and parts[2] == f'axpert_{self.serial}'
                    and payload):
                self.assertNotIn(parts[3], out, f'{parts[3]} is both a number and a select')
                out[parts[3]] = (parts[1], json.loads(payload))
        return out

    def as_the_bus_says(self, controls, limits, options, choices):
        """Whether the configs are those of the daemon's SettingLimits/Options/Choices now."""
        want = {}
        for m, (lo, hi, step) in limits.items():
            want[m] = ('number', (float(lo), float(hi), float(step)))
        for m, values in options.items():
            want[m] = ('select', [option_text(float(v)) for v in values])
        for m, names in choices.items():
            if m != 'SetFlag':
                want[m] = ('select', [str(n) for n in names])
        got = {}
        for oid, (component, cfg) in controls.items():
            got[method_of(oid)] = (component, (cfg['min'], cfg['max'], cfg['step'])
                                   if component == 'number' else cfg['options'])
        return got == want

    def assertAccepted(self, setting, prop, payload, value):
        before = self.sim_get(prop)
        self.control('history clear')
        r = self.command(setting, payload)
        # A value in range that contradicts another setting the inverter holds (float above
        # bulk, cut-off not below re-charge: issue 16 item 8) is refused by the relation,
        # naming the other setting, before anything is sent: the range is not at fault.
        if (r['result'] == 'org.freedesktop.DBus.Error.InvalidArgs'
                and ' conflicts with ' in r['message']):
            self.assertEqual(self.sent(), [], f'{setting} = {payload}')
            self.conflicts.append(f'{setting} = {payload}')
            return
        if r['result'] != 'ok':
            self.refused.append(f'{setting} = {payload}: {r["result"]} {r["message"]}')
            return
        now = self.sim_get(prop)
        if isinstance(value, float):
            self.assertTrue(math.isclose(float(now), value, abs_tol=1e-6),
                            f'{setting} = {payload}: the simulator has {prop}={now}')
            changed = not math.isclose(float(before), value, abs_tol=1e-6)
        else:
            self.assertEqual(now, value, f'{setting} = {payload}')
            changed = before != value
        # Not set already: the setter went to the inverter, which ACKed it (a NAK is Rejected).
        if changed:
            self.assertTrue(self.sent(), f'{setting} = {payload}: nothing reached the simulator')

    def assertRefused(self, setting, payload):
        self.control('history clear')
        r = self.command(setting, payload)
        self.assertEqual(r['result'], INVALID_ARGS, f'{setting} = {payload} accepted: {r}')
        self.assertEqual(self.sent(), [], f'{setting} = {payload} reached the simulator')

    def test_every_value_offered_is_accepted(self):
        self.start_sim(f'--battery={self.battery}', f'--model={self.model}')
        self.start_daemon()
        self.start_bridge(Commands={'Enabled': 'true'})
        self.serial = self.wait_serial()
        wait_for(lambda: str(self.props()['FirmwareFamily']) == self.family, 30,
                 what=f'FirmwareFamily {self.family}')
        p = self.props()
        self.assertEqual(float(p['BatteryRatingVoltage']), self.battery)
        limits, options, choices = (p['SettingLimits'], p['SettingOptions'],
                                    p['SettingChoices'])
        wait_for(lambda: self.as_the_bus_says(self.controls(), limits, options, choices), 30,
                 what=f'number and select configs as SettingLimits {dict(limits)}, '
                 f'SettingOptions {dict(options)}, SettingChoices {dict(choices)} say; '
                 f'got {self.controls()}')
        controls = self.controls()
        methods = contract_methods()
        # Every setter but SetFlag (switches) has its control: the rating is known.
        self.assertEqual({method_of(oid) for oid in controls}, set(methods) - {'SetFlag'})

        offered = tested = 0
        self.refused, self.conflicts = [], []
        # All the values offered, held to what the daemon says it accepts.
        all_offered = [(oid, v) for oid, (c, cfg) in controls.items()
                       for v in offered_values(c, cfg)]
        accepted = [(oid, v) for oid, v in all_offered
                    if bus_accepts(method_of(oid), v, limits, options, choices)]
        numbers = sorted(oid for oid, (c, _) in controls.items() if c == 'number')
        # The order of test-ctl-e2e-limits.py: ranges, lists of numbers, then the names.
        selects = sorted((oid for oid, (c, _) in controls.items() if c == 'select'),
                         key=lambda oid: (methods[method_of(oid)][1] is not None, oid))
        for oid in numbers + selects:
            component, cfg = controls[oid]
            setting = cfg['command_topic'].split('/set/', 1)[1]
            self.assertEqual(oid, 'set_' + setting)
            prop, documented = methods[method_of(oid)]
            with self.subTest(entity=f'{component}.{oid}'):
                if component == 'number':
                    lo, hi, step = cfg['min'], cfg['max'], cfg['step']
                    self.assertGreater(step, 0)
                    self.assertLess(lo, hi)
                    offered += round((hi - lo) / step) + 1
                    for v in range_sample(lo, hi, step):
                        self.assertAccepted(setting, prop, number_payload(v), v)
                        tested += 1
                    self.assertRefused(setting, number_payload(tenths(lo - step)))
                    self.assertRefused(setting, number_payload(tenths(hi + step)))
                    continue
                offered += len(cfg['options'])
                numeric = documented is None
                for option in cfg['options']:
                    self.assertAccepted(setting, prop, option,
                                        float(option) if numeric else option)
                    tested += 1
                if numeric:
                    values = [float(o) for o in cfg['options']]
                    self.assertRefused(setting, option_text(values[-1] + 1))
                    gaps = [tenths(a + 0.5) for a, b in zip(values, values[1:]) if b - a > 0.5]
                    if gaps:
                        self.assertRefused(setting, option_text(gaps[len(gaps) // 2]))
                else:
                    self.assertRefused(setting, 'no-such-' + cfg['options'][0])
                    # What the contract documents but this inverter does not take is neither
                    # offered nor accepted (lithium types on classic firmware, …).
                    for value in sorted(set(documented) - set(cfg['options'])):
                        self.assertRefused(setting, value)
        sys.stderr.write(f'\n{self.model} {self.battery} V ({self.family}): Home Assistant '
                         f'offers {offered} values in {len(numbers)} numbers and '
                         f'{len(selects)} selects, the daemon accepts {len(accepted)} of '
                         f'them; {tested} sent, {len(self.refused)} refused\n')
        self.assertEqual(offered, len(all_offered))
        self.assertEqual(self.refused, [])
        # The relations refuse a few extremes next to another setting's value, never most.
        self.assertLess(len(self.conflicts) * 5, tested, self.conflicts)
        self.assertEqual(len(accepted), offered)
        # Every result came from the daemon: axpert-mqtt is still running.
        self.assertTrue(self.bridge.running())


class Classic12(LimitsCase):
    battery = 12


class Classic24(LimitsCase):
    battery = 24


class Classic48(LimitsCase):
    battery = 48


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


del LimitsCase  # the base runs only through its subclasses

if __name__ == '__main__':
    testlib.main(jobs=4)
