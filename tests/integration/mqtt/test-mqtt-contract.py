#!/usr/bin/python3
"""Every enum value, flag name, condition name and unit axpert-mqtt uses is the bus contract's
(dbus/org.axpert.Inverter.xml, through common/'s generated module), and mqtt/ keeps no copy:
what it publishes in discovery is held to the XML, and its sources are searched for the
contract's strings written out again (issue 11)."""
import glob
import json
import os
import re
import time
import unittest
import xml.etree.ElementTree as ET

import mqttlib
from mqttlib import SERIAL, testlib

DOC = 'org.axpert.Doc.'
INVERTER = 'org.axpert.Inverter'
UNIT = 'org.axpert.Inverter.Unit'
# The hassio-axpert add-on's tables map its own texts to the bus's strings: that is its
# contract, held to ours by mqtt-units (/mqtt/contract/compat).
COMPAT = 'compat-mindfreeze.c'
# Home Assistant's own words that happen to equal a bus value: device_class "battery" is not
# Mode "battery".
# Home Assistant's own words that happen to equal a contract string: its device class
# "battery", and the energy units its energy device class accepts (mqtt/energy.c's rule).
HA_WORDS = {'battery', 'Wh', 'kWh', 'MWh'}


def annotations(elem):
    return {a.get('name'): a.get('value') for a in elem.findall('annotation')}


def read_contract():
    """{interface: {property: (unit, values)}}, {method: [(arg, unit, values)]}."""
    root = ET.parse(testlib.source_path('dbus', 'org.axpert.Inverter.xml')).getroot()
    props, methods = {}, {}
    for iface in root.findall('interface'):
        for p in iface.findall('property'):
            a = annotations(p)
            values = a.get(DOC + 'Values')
            props.setdefault(iface.get('name'), {})[p.get('name')] = (
                a.get(DOC + 'Unit'), values.split() if values else None)
        for m in iface.findall('method'):
            methods[m.get('name')] = []
            for arg in m.findall('arg'):
                a = annotations(arg)
                values = a.get(DOC + 'Values')
                methods[m.get('name')].append((arg.get('name'), a.get(DOC + 'Unit'),
                                               values.split() if values else None))
    return props, methods


def camel(key):
    """battery_bulk_voltage -> BatteryBulkVoltage (state_json_key's inverse)."""
    return ''.join(w[:1].upper() + w[1:] for w in key.split('_'))


class NoCopyTest(unittest.TestCase):

    def test_no_hand_copy_in_mqtt(self):
        """No enum value, flag, condition or unit of the contract is a string literal in mqtt/
        (outside the add-on's tables): each comes from the generated module or the bus."""
        props, methods = read_contract()
        strings = {}
        for iface in props.values():
            for name, (unit, values) in iface.items():
                for v in values or ():
                    strings.setdefault(v, f'a value of {name}')
                if unit:
                    strings.setdefault(unit, f'the unit of {name}')
        for name, args in methods.items():
            for arg, unit, values in args:
                for v in values or ():
                    strings.setdefault(v, f'a value of {name}({arg})')
                if unit:
                    strings.setdefault(unit, f'the unit of {name}({arg})')
        self.assertIn('battery-weak', strings)  # the conditions (Warnings' values) too
        self.assertIn('buzzer', strings)
        self.assertIn('°C', strings)

        self.assertFalse(os.path.exists(testlib.source_path('mqtt', 'contract.c')),
                         'mqtt/contract.c, the hand copy, is back')
        self.assertFalse(os.path.exists(testlib.source_path('mqtt', 'contract.h')))
        sources = [f for f in glob.glob(testlib.source_path('mqtt', '*.[ch]'))
                   if not os.path.basename(f).startswith('test-')
                   and os.path.basename(f) != COMPAT]
        self.assertGreater(len(sources), 20)
        literal = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
        problems = []
        for path in sources:
            with open(path, encoding='utf-8') as f:
                text = f.read()
            # Comments may name values ("buzzer"); blanked, so that line numbers stay.
            text = re.sub(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*',
                          lambda c: c.group(0) if c.group(0).startswith('"')
                          else re.sub(r'[^\n]', ' ', c.group(0)), text, flags=re.S)
            # C's octal escapes (the generated module writes °C as "\302\260C") as text.
            for m in literal.finditer(text):
                s = re.sub(rb'\\([0-7]{3})', lambda o: bytes([int(o.group(1), 8)]),
                           m.group(1).encode()).decode('utf-8', 'replace')
                if s not in strings or s in HA_WORDS:
                    continue
                # A JSON member name of Home Assistant's ("min", "max") is no unit.
                if text[max(0, m.start() - 4):m.start()] == '(b, ':
                    continue
                line = text.count('\n', 0, m.start()) + 1
                problems.append(f'{os.path.basename(path)}:{line}: "{s}" is {strings[s]}')
        self.assertEqual(problems, [])


class PublishedTest(mqttlib.MqttTestCase):

    def test_discovery_strings_are_the_contracts(self):
        """What discovery publishes, against the XML: each sensor's unit is its property's, each
        enum sensor's options its property's values, each number's unit its setter's
        argument's, each switch's flag one of SetFlag's, each condition one of Warnings'."""
        props, methods = read_contract()
        self.start_mock()
        self.start_bridge(Commands={'Enabled': 'true'})
        self.wait_online()
        self.recorder.wait(f'homeassistant/switch/axpert_{SERIAL}/set_flag_buzzer/config')
        n = -1
        while n != len(self.recorder.all()):
            n = len(self.recorder.all())
            time.sleep(0.5)
        setters = methods
        key = re.compile(r'value_json\.([a-z0-9_]+)')
        seen = {'sensor': 0, 'enum': 0, 'number': 0, 'switch': 0, 'condition': 0, 'select': 0}
        flags = methods['SetFlag'][0][2]
        warnings = props[INVERTER]['Warnings'][1]
        for topic, payload in self.recorder.latest().items():
            parts = topic.split('/')
            if parts[0] != 'homeassistant' or not payload:
                continue
            component, object_id, cfg = parts[1], parts[3], json.loads(payload)
            where = f'{component}/{object_id}'
            iface = UNIT if object_id.startswith('unit') else INVERTER
            if object_id.startswith('condition_'):
                self.assertIn(object_id[len('condition_'):].replace('_', '-'), warnings, where)
                self.assertIn(f"'{object_id[len('condition_'):].replace('_', '-')}'",
                              cfg['value_template'])
                seen['condition'] += 1
                continue
            prop = camel(key.search(cfg['value_template']).group(1))
            self.assertIn(prop, props[iface], where)
            unit, values = props[iface][prop]
            if component == 'sensor':
                self.assertEqual(cfg.get('unit_of_measurement'), unit, where)
                seen['sensor'] += 1
                if cfg.get('device_class') == 'enum':
                    self.assertEqual(cfg['options'], values, where)
                    seen['enum'] += 1
            elif component == 'number':
                method = 'Set' + camel(object_id[len('set_'):])
                self.assertEqual(cfg['unit_of_measurement'], setters[method][0][1], where)
                seen['number'] += 1
            elif component == 'switch':
                self.assertIn(cfg['command_topic'].rsplit('/', 1)[1], flags, where)
                seen['switch'] += 1
            elif component == 'select':
                method = 'Set' + camel(object_id[len('set_'):])
                documented = setters[method][0][2]
                if documented and method != 'SetOutputFrequency':
                    self.assertLessEqual(set(cfg['options']), set(documented), where)
                seen['select'] += 1
        self.assertEqual(seen['switch'], len(flags))
        self.assertEqual(seen['condition'], len(warnings))
        # With Commands the settings' enums (battery type, priorities, input range) are their
        # selects only, checked above.
        self.assertGreaterEqual(seen['enum'], 11)
        # Fewer than without Commands: a setting is its control alone; nor are the units'
        # totals or what this inverter never reports (NaN) sensors.
        self.assertGreater(seen['sensor'], 65)
        self.assertGreaterEqual(seen['number'], 4)
        self.assertGreaterEqual(seen['select'], 8)


if __name__ == '__main__':
    testlib.main()
