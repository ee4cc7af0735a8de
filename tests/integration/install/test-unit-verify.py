#!/usr/bin/python3
"""systemd-analyze verify accepts the units as installed: no unknown key, no bad value, every
referenced unit and the ExecStart binary exist. Runs offline (no systemd as PID 1) against a
scratch root holding the host's unit directory plus ours."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import unitfile  # noqa: E402

HOST_UNITS = '/usr/lib/systemd/system'
UNITS = ['axpertd.service', 'axpert-mqtt.service']
BINARIES = {'axpertd': ('daemon', 'axpertd'), 'axpert-mqtt': ('mqtt', 'axpert-mqtt'),
            'axpert-web': ('web', 'axpert-web')}


class UnitVerify(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='axpert-verify-')
        self.addCleanup(shutil.rmtree, self.root, True)
        shutil.copytree(HOST_UNITS, os.path.join(self.root, HOST_UNITS.lstrip('/')),
                        symlinks=True)

    def install_unit(self, name):
        built = testlib.build_path('systemd', name)
        unit = unitfile.read_unit(built)
        shutil.copy(built, os.path.join(self.root, HOST_UNITS.lstrip('/'), name))
        exe = unitfile.value(unit, 'Service', 'ExecStart').split()[0].lstrip('@-:+!')
        target = os.path.join(self.root, exe.lstrip('/'))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        real = testlib.build_path(*BINARIES[os.path.basename(exe)])
        if os.path.exists(real):
            shutil.copy(real, target)
            print(f'{name}: ExecStart {exe} is the built {real}')
        else:
            # verify checks that ExecStart exists and is executable; the unit's syntax is what
            # is tested here, so an executable placeholder stands in until the program is built.
            with open(target, 'w') as f:
                f.write('#!/bin/sh\nexit 1\n')
            os.chmod(target, 0o755)
            print(f'{name}: {real} not built, a placeholder stands at {exe}')
        return unit

    def verify(self, name):
        r = subprocess.run(['systemd-analyze', 'verify', '--man=no', f'--root={self.root}', name],
                           capture_output=True, text=True, timeout=60)
        # verify exits 0 on unknown keys and unparsable values, printing them: any output fails.
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((r.stdout + r.stderr).strip(), '', f'{name}: {r.stdout}{r.stderr}')

    def test_axpertd_service(self):
        self.install_unit('axpertd.service')
        self.verify('axpertd.service')

    def test_axpert_mqtt_service(self):
        if not os.path.exists(testlib.build_path('systemd', 'axpert-mqtt.service')):
            self.fail('systemd/axpert-mqtt.service.in (branch mqtt) not in this tree yet')
        self.install_unit('axpert-mqtt.service')
        self.verify('axpert-mqtt.service')

    def test_axpert_web_service_and_socket(self):
        if not os.path.exists(testlib.build_path('systemd', 'axpert-web.service')):
            self.fail('systemd/axpert-web.service.in (branch websrv) not in this tree yet')
        self.install_unit('axpert-web.service')
        shutil.copy(testlib.source_path('systemd', 'axpert-web.socket'),
                    os.path.join(self.root, HOST_UNITS.lstrip('/'), 'axpert-web.socket'))
        self.verify('axpert-web.service')
        self.verify('axpert-web.socket')

    def test_verify_reports_mistakes(self):
        # The check above is only worth something if verify complains offline, here.
        unit = self.install_unit('axpertd.service')
        path = os.path.join(self.root, HOST_UNITS.lstrip('/'), 'axpertd.service')
        with open(path, 'a') as f:
            f.write('[Service]\nProtectSytem=strict\nRestartSec=banana\n')
        self.assertTrue(unit)
        r = subprocess.run(['systemd-analyze', 'verify', '--man=no', f'--root={self.root}',
                            'axpertd.service'], capture_output=True, text=True, timeout=60)
        self.assertIn('ProtectSytem', r.stderr)
        self.assertIn('banana', r.stderr)


if __name__ == '__main__':
    if shutil.which('systemd-analyze') is None:
        print('SKIP: systemd-analyze not installed (Debian package systemd)')
        sys.exit(77)
    if not os.path.exists(os.path.join(HOST_UNITS, 'dbus.socket')):
        print(f'SKIP: {HOST_UNITS}/dbus.socket missing (Debian package dbus): '
              'verify cannot resolve Type=dbus offline')
        sys.exit(77)
    testlib.main()
