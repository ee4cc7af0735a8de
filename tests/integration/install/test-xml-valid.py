#!/usr/bin/python3
"""xmllint: the interface XML is valid against the D-Bus introspection DTD, the bus policy
against the bus configuration DTD (both shipped by Debian's libdbus-1-dev)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

DTD_DIR = '/usr/share/xml/dbus-1'
INTROSPECT_DTD = os.path.join(DTD_DIR, 'introspect.dtd')
BUSCONFIG_DTD = os.path.join(DTD_DIR, 'busconfig.dtd')
# busconfig.dtd (dbus 1.14) predates the send_*/receive_* match attributes that every
# current policy file uses; dbus-daemon itself checks those (test-bus-policy starts one with
# this file). Only these exact complaints are forgiven.
BUSCONFIG_NEWER_ATTRS = re.compile(
    r'validity error : No declaration for attribute '
    r'(send|receive)_(destination|interface|member|path|type|sender|error|requested_reply) '
    r'of element (allow|deny)$')


def xmllint(*args):
    return subprocess.run(['xmllint', '--nonet', '--noout', *args],
                          capture_output=True, text=True)


class XmlValid(unittest.TestCase):
    def test_interface_xml_valid(self):
        r = xmllint('--dtdvalid', INTROSPECT_DTD, testlib.source_path('dbus', 'org.axpert.Inverter.xml'))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, '')

    def test_interface_xml_declares_doctype(self):
        # The public identifier is what lets tools find the DTD through the XML catalog.
        with open(testlib.source_path('dbus', 'org.axpert.Inverter.xml')) as f:
            self.assertIn('-//freedesktop//DTD D-BUS Object Introspection 1.0//EN', f.read(400))
        r = xmllint('--valid', testlib.source_path('dbus', 'org.axpert.Inverter.xml'))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_code_generator_accepts_interface_xml(self):
        # doc/system.md promises that gdbus-codegen takes the installed XML as it is.
        if shutil.which('gdbus-codegen') is None:
            self.fail('gdbus-codegen not installed (libglib2.0-dev-bin)')
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(['gdbus-codegen', '--interface-prefix', 'org.axpert.',
                                '--c-namespace', 'Axpert', '--generate-c-code',
                                os.path.join(tmp, 'axpert-generated'),
                                testlib.source_path('dbus', 'org.axpert.Inverter.xml')],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual((r.returncode, r.stderr), (0, ''))
            with open(os.path.join(tmp, 'axpert-generated.h')) as f:
                header = f.read()
        for symbol in ('axpert_inverter_call_set_flag', 'axpert_inverter_get_battery_voltage',
                       'axpert_inverter_unit_get_fault_code'):
            self.assertIn(symbol, header)

    def test_bus_policy_valid(self):
        path = testlib.source_path('dbus', 'org.axpert.Inverter.conf')
        self.assertEqual(xmllint(path).returncode, 0, 'not well-formed')
        r = xmllint('--dtdvalid', BUSCONFIG_DTD, path)
        errors = [line for line in r.stderr.splitlines()
                  if 'validity error' in line and not BUSCONFIG_NEWER_ATTRS.search(line)]
        other = [line for line in r.stderr.splitlines()
                 if line.startswith(path) and 'validity error' not in line]
        self.assertEqual(errors + other, [], r.stderr)

    def test_dtd_check_catches_errors(self):
        # The forgiving filter above must still fail a policy with a misspelled element.
        bad = os.path.join(testlib.BUILD_ROOT, 'test-xml-valid-bad.conf')
        with open(testlib.source_path('dbus', 'org.axpert.Inverter.conf')) as f:
            text = f.read().replace('<allow own=', '<alow own=', 1)
        with open(bad, 'w') as f:
            f.write(text)
        try:
            r = xmllint('--dtdvalid', BUSCONFIG_DTD, bad)
            errors = [line for line in r.stderr.splitlines()
                      if 'validity error' in line and not BUSCONFIG_NEWER_ATTRS.search(line)]
            self.assertTrue(errors, r.stderr)
        finally:
            os.unlink(bad)


if __name__ == '__main__':
    missing = [p for p in (INTROSPECT_DTD, BUSCONFIG_DTD) if not os.path.exists(p)]
    if missing:
        print(f'SKIP: {", ".join(missing)} missing: install the Debian package libdbus-1-dev')
        sys.exit(77)
    testlib.main()
