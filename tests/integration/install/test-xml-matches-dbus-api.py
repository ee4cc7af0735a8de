#!/usr/bin/python3
"""dbus/org.axpert.Inverter.xml states exactly the contract of DBUS-API.md (plus the agreed
additions), and documents every member: unit, enum values, polkit action, errors."""
import os
import re
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbusapi  # noqa: E402
import testlib  # noqa: E402

XML = testlib.source_path('dbus', 'org.axpert.Inverter.xml')
DESIGN = dbusapi.find_design_doc(testlib.SOURCE_ROOT)
# '10mV': BatteryVoltageOffsetForFans, QPIGS field 18 as sent (the table has no scaling to V).
UNITS = {'V', 'A', 'W', 'VA', 'Hz', '°C', '%', 'min', 'us', 'Wh', '10mV'}
LINK_ERRORS = {'org.axpert.Inverter.Error.Offline', 'org.axpert.Inverter.Error.Timeout',
               'org.axpert.Inverter.Error.Protocol'}
SETTER_ERRORS = {'org.freedesktop.DBus.Error.InvalidArgs',
                 'org.freedesktop.DBus.Error.AccessDenied',
                 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired',
                 'org.axpert.Inverter.Error.Rejected',
                 'org.axpert.Inverter.Error.NotSupported'} | LINK_ERRORS


class XmlMatchesDesign(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.design, cls.extra = dbusapi.parse_design(DESIGN)
        cls.xml = dbusapi.parse_xml_file(XML)

    def test_design_parsed_completely(self):
        # Guards the parser: a table it silently skipped would make every other check vacuous.
        inv = self.design['org.axpert.Inverter']
        unit = self.design['org.axpert.Inverter.Unit']
        self.assertGreaterEqual(len(inv['properties']), 85)
        self.assertEqual(len(inv['methods']), 15)
        self.assertGreaterEqual(len(unit['properties']), 34)
        for name in ('Online', 'LastUpdateTimestamp', 'Warnings', 'ChargingCurrentOptions',
                     'TotalChargingCurrent', 'FaultCodeRecordEnabled'):
            self.assertIn(name, inv['properties'])
        for name in ('Index', 'FaultCode', 'MaxAcChargingCurrent', 'BatteryStatus',
                     'InverterStatus', 'ConfigurationChanged'):
            self.assertIn(name, unit['properties'])
        self.assertEqual(inv['properties']['Warnings']['type'], 'as')
        self.assertEqual(inv['properties']['ChargingCurrentOptions']['type'], 'ad')
        self.assertEqual(unit['properties']['FaultCode']['type'], 'u')
        self.assertEqual(unit['properties']['SccOk']['type'], 'b')
        self.assertEqual(inv['methods']['RawCommand']['args'],
                         [('in', 'command', 's'), ('out', 'response', 's')])
        self.assertEqual(len(self.extra['errors']), 8)

    def test_same_members_names_types(self):
        xml = {}
        for iface, entry in self.xml.items():
            props = {k: v for k, v in entry['properties'].items()
                     if k not in dbusapi.ADDITIONS.get(iface, {})}
            xml[iface] = dict(entry, properties=props, annotations={})
        diffs = dbusapi.compare(self.design, xml, 'DBUS-API.md', 'XML')
        self.assertEqual(diffs, [], '\n' + '\n'.join(diffs))

    def test_additions_present(self):
        for iface, props in dbusapi.ADDITIONS.items():
            for name, typ in props.items():
                p = self.xml[iface]['properties'].get(name)
                self.assertIsNotNone(p, f'{iface}.{name} missing from the XML')
                self.assertEqual(p['type'], typ, f'{iface}.{name}')
                self.assertNotIn(name, self.design[iface]['properties'],
                                 f'{name} is in DBUS-API.md now: drop it from ADDITIONS')

    def test_every_property_documented(self):
        for iface, entry in self.xml.items():
            for name, p in entry['properties'].items():
                where = f'{iface}.{name}'
                self.assertEqual(p['access'], 'read', where)
                self.assertIn(dbusapi.EMITS, p['annotations'], f'{where}: EmitsChangedSignal')
                self.assertEqual(p['annotations'][dbusapi.EMITS],
                                 'false' if name == 'LastUpdateTimestamp' else 'true', where)
                self.assertGreater(len(p['doc'].get('org.axpert.Doc.Summary', '')), 10, where)
                if p['type'] in ('d', 'ad'):
                    self.assertIn(p['doc'].get('org.axpert.Doc.Unit'), UNITS, f'{where}: unit')
                values = p['doc'].get('org.axpert.Doc.Values')
                # Transport is the daemon's own word, not a code the inverter sends.
                if values is not None and p['type'] == 's' and name != 'Transport':
                    self.assertIn('unknown', values.split(), f'{where}: enums include unknown')

    def test_enum_values_documented(self):
        for (iface, name), values in self.extra['enums'].items():
            if '.' in name:
                method, arg = name.split('.')
                doc = self.xml[iface]['methods'][method]['argdoc'][arg]
            else:
                doc = self.xml[iface]['properties'][name]['doc']
            documented = doc.get('org.axpert.Doc.Values', '').split()
            missing = [v for v in values if v not in documented]
            self.assertEqual(missing, [], f'{iface}.{name}: values of DBUS-API.md not in the XML')
        self.assertIn(('org.axpert.Inverter', 'OutputSourcePriority'), self.extra['enums'])
        self.assertIn(('org.axpert.Inverter.Unit', 'BatteryStatus'), self.extra['enums'])

    def test_every_method_documented(self):
        for name, m in self.xml['org.axpert.Inverter']['methods'].items():
            doc = m['doc']
            self.assertGreater(len(doc.get('org.axpert.Doc.Summary', '')), 10, name)
            self.assertEqual(doc.get('org.axpert.Doc.PolkitAction'), self.extra['polkit'][name],
                             f'{name}: polkit action')
            errors = set(doc.get('org.axpert.Doc.Errors', '').split())
            self.assertTrue(errors, f'{name}: errors')
            self.assertLessEqual(errors, self.extra['errors'], f'{name}: unknown error names')
            self.assertLessEqual(LINK_ERRORS, errors, name)
            if name != 'Refresh':
                self.assertEqual(errors, SETTER_ERRORS, name)
            for arg, argdoc in m['argdoc'].items():
                self.assertGreater(len(argdoc.get('org.axpert.Doc.Summary', '')), 5,
                                   f'{name}({arg})')
            for direction, arg, typ in m['args']:
                if typ == 'd':
                    self.assertIn(m['argdoc'][arg].get('org.axpert.Doc.Unit'), UNITS,
                                  f'{name}({arg}): unit')

    def test_polkit_actions_exist(self):
        policy = testlib.source_path('polkit', 'org.axpert.Inverter.policy')
        if not os.path.exists(policy):
            self.fail('polkit/org.axpert.Inverter.policy not in this tree yet')
        ids = {a.get('id') for a in ET.parse(policy).getroot().iter('action')}
        for name, m in self.xml['org.axpert.Inverter']['methods'].items():
            action = m['doc']['org.axpert.Doc.PolkitAction']
            if action != 'none':
                self.assertIn(action, ids, f'{name}: action missing from the policy file')

    def test_no_undocumented_annotation_names(self):
        with open(XML, encoding='utf-8') as f:
            names = set(re.findall(r'<annotation name="([^"]+)"', f.read()))
        allowed = {dbusapi.EMITS} | {dbusapi.DOC_PREFIX + n for n in (
            'Summary', 'Unit', 'Values', 'Source', 'Command', 'PolkitAction', 'Errors',
            'Affects', 'ValueAffects')}
        self.assertEqual(names - allowed, set())


if __name__ == '__main__':
    if DESIGN is None:
        print('SKIP: shared/design/DBUS-API.md not found above the source tree '
              '(set AXPERT_DBUS_API_MD)')
        sys.exit(77)
    testlib.main()
