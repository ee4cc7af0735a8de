#!/usr/bin/python3
"""`axpertd --bus-introspect` (the live vtables) and dbus/org.axpert.Inverter.xml agree on every
interface, member, type/signature, argument name and direction, access and annotation.
Standard org.freedesktop.DBus.* interfaces and the XML's doc-only annotations are ignored;
the D-Bus spec's default (EmitsChangedSignal "true") is applied to both sides."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbusapi  # noqa: E402
import testlib  # noqa: E402

AXPERTD = testlib.build_path('daemon', 'axpertd')
XML = testlib.source_path('dbus', 'org.axpert.Inverter.xml')


class Introspect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = dict(os.environ)
        # Prove "without a bus": nothing to connect to even if it tried.
        env['DBUS_SYSTEM_BUS_ADDRESS'] = 'unix:path=/nonexistent/axpert-test-no-bus'
        r = subprocess.run([AXPERTD, '--bus-introspect'], capture_output=True, text=True,
                           timeout=30, env=env)
        cls.returncode, cls.stdout, cls.stderr = r.returncode, r.stdout, r.stderr

    def test_exit_status(self):
        self.assertEqual(self.returncode, 0, self.stderr)

    def test_live_matches_xml(self):
        live = dbusapi.parse_introspection(self.stdout)
        xml = dbusapi.parse_xml_file(XML)
        self.assertEqual(sorted(live), sorted(dbusapi.OUR_INTERFACES),
                         'both interfaces must be in the live introspection')
        diffs = dbusapi.compare(xml, live, 'XML', 'axpertd --bus-introspect')
        if any('org.freedesktop.systemd1.Privileged' in d for d in diffs):
            diffs.append('hint: sd-bus marks a method Privileged when its vtable entry lacks '
                         'SD_BUS_VTABLE_UNPRIVILEGED; sd-bus then refuses every non-root caller '
                         'before the handler (and its polkit check) runs')
        self.assertEqual(diffs, [], '\n' + '\n'.join(diffs))

    def test_comparison_catches_differences(self):
        # The comparison must see a changed type, a renamed argument and an annotation.
        live = dbusapi.parse_introspection(self.stdout)
        text = self.stdout.replace('name="BatteryVoltage" type="d"',
                                   'name="BatteryVoltage" type="u"', 1)
        self.assertNotEqual(dbusapi.compare(live, dbusapi.parse_introspection(text), 'a', 'b'),
                            [])
        with open(XML) as f:
            xml_text = f.read()
        for old, new in (('name="priority" type="s"', 'name="prio" type="s"'),
                         ('value="false"/>', 'value="true"/>')):
            self.assertIn(old, xml_text)
            changed = dbusapi.parse_introspection(xml_text.replace(old, new, 1))
            self.assertNotEqual(dbusapi.compare(dbusapi.parse_xml_file(XML), changed, 'a', 'b'),
                                [], old)


if __name__ == '__main__':
    if not os.path.exists(AXPERTD):
        print(f'SKIP: {AXPERTD} is not built (branch daemon): nothing to compare the XML with')
        sys.exit(77)
    testlib.main()
