#!/usr/bin/python3
"""The protocol table (protocol/table.c, from which axpertd builds its properties) and the
documented XML agree: every exported field is a property of the XML with the same type, the
same unit, and every enum name the table can produce among the documented values."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbusapi  # noqa: E402
import testlib  # noqa: E402

DUMP = sys.argv.pop(1) if len(sys.argv) > 1 else testlib.build_path(
    'tests', 'integration', 'install', 'dump-fields')
XML = testlib.source_path('dbus', 'org.axpert.Inverter.xml')


class XmlMatchesProtocolTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([DUMP], capture_output=True, text=True, check=True).stdout
        cls.fields = [line.split('\t') for line in out.splitlines()]
        cls.xml = dbusapi.parse_xml_file(XML)

    def test_table_exports_fields(self):
        ifaces = {f[0] for f in self.fields}
        self.assertEqual(ifaces, set(dbusapi.OUR_INTERFACES))
        self.assertGreater(len(self.fields), 100)

    def test_fields_documented(self):
        problems = []
        for iface, name, sig, unit, enums in self.fields:
            p = self.xml[iface]['properties'].get(name)
            if p is None:
                problems.append(f'{iface}.{name}: exported by the table, not in the XML')
                continue
            if p['type'] != sig:
                problems.append(f'{iface}.{name}: table {sig}, XML {p["type"]}')
            if sig in ('d', 'ad') and unit and p['doc'].get('org.axpert.Doc.Unit') != unit:
                problems.append(f'{iface}.{name}: table unit {unit!r}, XML '
                                f'{p["doc"].get("org.axpert.Doc.Unit")!r}')
            documented = p['doc'].get('org.axpert.Doc.Values', '').split()
            missing = [e for e in enums.split() if e not in documented]
            if missing:
                problems.append(f'{iface}.{name}: enum names {missing} not documented')
        self.assertEqual(problems, [], '\n' + '\n'.join(problems))


if __name__ == '__main__':
    testlib.main()
