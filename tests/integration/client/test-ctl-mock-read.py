#!/usr/bin/python3
"""axpertctl's reading verbs against a dbusmock axpertd: status, show, get, list, JSON, -d."""
import json
import math
import os
import pty
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402


def status_fields(text):
    """{'Battery': '52.1 V, …'} from the right-aligned "Key: value" lines."""
    fields = {}
    for line in text.splitlines():
        m = re.match(r'^ *([A-Za-z0-9 ]+): (.*)$', line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields


def bus_value(v):
    """A dbus-python value as the JSON axpertctl prints (NaN -> None)."""
    import dbus
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, dbus.Double):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (dbus.UInt32, dbus.UInt64, dbus.Int32, dbus.Int64, dbus.Byte)):
        return int(v)
    if isinstance(v, dbus.Array):
        return [bus_value(x) for x in v]
    return str(v)


class ReadTest(ctltest.CtlTestCase):
    def get_all(self, path='/org/axpert/Inverter/0', iface='org.axpert.Inverter'):
        return self.mock_object(path).GetAll(iface, dbus_interface='org.freedesktop.DBus.Properties')

    def test_status_summary(self):
        self.start_mock()
        p = self.assertCtl('status')
        out = p.stdout
        self.assertNotIn('\x1b', out, 'no escape sequences when stdout is not a terminal')
        f = status_fields(out)
        self.assertEqual(f['Inverter'], '0')
        self.assertRegex(f['State'], r'^online, updated [0-9]+ s ago$')
        self.assertEqual(f['Mode'], 'line')
        self.assertEqual(f['Warnings'], 'none')
        self.assertEqual(f['Faults'], 'none')
        self.assertEqual(f['Grid'], '230.1 V, 49.9 Hz')
        self.assertEqual(f['Output'], '229.8 V, 49.9 Hz')
        self.assertEqual(f['Load'], '1250 W, 1311 VA, 26 %, load on')
        self.assertEqual(f['Battery'], '52.1 V, 87 %, charging 12 A, discharging 0 A, SCC 52.2 V')
        self.assertEqual(f['PV'], '310.2 V, 4.1 A, 1270 W')
        self.assertNotIn('PV2', f, 'no PV2 line without HasPv2')
        self.assertEqual(f['Temperature'], '41 °C, bus 410 V')
        self.assertEqual(f['Output priority'], 'solar-first')
        self.assertEqual(f['Charger priority'], 'solar-first')
        self.assertEqual(f['Charging current'], 'max 60 A, AC max 30 A')
        self.assertEqual(f['Battery voltages'],
                         'bulk 56.4 V, float 54 V, recharge 46 V, redischarge 54 V, cut-off 42 V')
        self.assertNotIn('Parallel units', f, 'a single inverter has no parallel section')
        # The keys are right-aligned: every ": " is in the same column.
        columns = {line.index(': ') for line in out.splitlines() if ': ' in line}
        self.assertEqual(len(columns), 1, out)

    def test_status_is_default_verb(self):
        self.start_mock()
        self.assertEqual(self.assertCtl().stdout.splitlines()[2:],
                         self.assertCtl('status').stdout.splitlines()[2:])

    def test_status_ascii_locale(self):
        self.start_mock()
        out = self.assertCtl('status', env={'LC_ALL': 'C'}).stdout
        self.assertIn('Temperature: 41 C,', out)
        self.assertTrue(out.isascii())

    def test_status_pv2_nan_and_warnings(self):
        self.start_mock(props={'HasPv2': True, 'Pv2InputVoltage': 300.5, 'Pv2InputCurrent': 2,
                               'Pv2InputPower': 601, 'GridVoltage': None, 'GridFrequency': None,
                               'Warnings': ['line-fail', 'battery-low-alarm'],
                               'Faults': ['over-temperature'], 'Mode': 'fault'})
        f = status_fields(self.assertCtl('status').stdout)
        self.assertEqual(f['PV2'], '300.5 V, 2 A, 601 W')
        self.assertEqual(f['Grid'], 'n/a', 'NaN is shown as n/a, never as a number')
        self.assertEqual(f['Warnings'], 'line-fail, battery-low-alarm')
        self.assertEqual(f['Faults'], 'over-temperature')
        self.assertEqual(f['Mode'], 'fault')

    def test_status_highlight_on_terminal(self):
        self.start_mock(props={'Warnings': ['line-fail'], 'Faults': ['over-temperature']})
        master, slave = pty.openpty()
        env = dict(self.env, TERM='xterm')
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'status'], stdout=slave, stderr=slave, env=env)
        os.close(slave)
        out = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        self.assertEqual(proc.wait(10), 0)
        text = out.decode()
        self.assertIn('\x1b[0;1;31mover-temperature\x1b[0m', text, 'faults in red')
        self.assertIn('\x1b[0;1;33mline-fail\x1b[0m', text, 'warnings in yellow')
        # NO_COLOR turns it off even on a terminal.
        master, slave = pty.openpty()
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'status'], stdout=slave, stderr=slave,
                                env=dict(env, NO_COLOR='1'))
        os.close(slave)
        out = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        proc.wait(10)
        self.assertNotIn(b'\x1b[', out)

    def test_status_offline(self):
        """Offline: said first, with axpertd's reason; no value shown as a reading; exit 7."""
        self.start_mock(props={'Online': False, 'LastError': 'no answer from /dev/hidraw0',
                               'LastUpdateTimestamp': 1763715600 * 1000000,  # 2025-11-21 09:00 UTC
                               'LoadOn': False, 'GridVoltage': None, 'BatteryVoltage': None})
        p = self.ctl('status')
        self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE, p.stderr)
        self.assertEqual(p.stderr, '')
        lines = p.stdout.splitlines()
        self.assertRegex(lines[1], r'^ *State: offline since 2025-11-21 09:00:00 UTC \([0-9]+ [a-z]+ ago\): '
                         r'no answer from /dev/hidraw0$')
        f = status_fields(p.stdout)
        self.assertEqual(f['Connection'], '/dev/hidraw0, hidraw, protocol PI30')
        self.assertIn('none while offline', f['Values'])
        for row in ('Mode', 'Warnings', 'Faults', 'Grid', 'Load', 'Battery', 'PV', 'Output priority'):
            self.assertNotIn(row, f, f'no "{row}" row while offline')
        # JSON: the same data and the same exit code.
        p = self.ctl('--json=short', 'status')
        self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE)
        self.assertIs(json.loads(p.stdout)['Online'], False)

    def test_status_offline_without_timestamp(self):
        self.start_mock(props={'Online': False, 'LastError': 'cannot open /dev/hidraw0: No such file',
                               'LastUpdateTimestamp': 0})
        p = self.ctl('status')
        self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE)
        f = status_fields(p.stdout)
        self.assertEqual(f['State'], 'offline: cannot open /dev/hidraw0: No such file')
        self.assertNotIn('Load', f)

    def test_status_parallel(self):
        self.start_mock(units=2, props={'TotalAcOutputActivePower': 2500, 'TotalAcOutputApparentPower': 2622,
                                        'TotalAcOutputLoadPercent': 26, 'TotalChargingCurrent': 24},
                        unit_props={'FaultCode': 0})
        f = status_fields(self.assertCtl('status').stdout)
        self.assertEqual(f['Parallel units'], '2, total 2500 W, 2622 VA, load 26 %, charging 24 A')
        self.assertTrue(f['unit 0'].startswith('92932004102450, line, 625 W, load 13 %, battery 52.1 V'),
                        f['unit 0'])
        self.assertIn('unit 1', f)

    def test_status_json_matches_bus(self):
        self.start_mock(units=1, props={'Warnings': ['line-fail'], 'HasPv2': False})
        for mode in ('short', 'pretty'):
            p = self.assertCtl(f'--json={mode}', 'status')
            self.assertEqual(len(p.stdout.splitlines()) == 1, mode == 'short')
            data = json.loads(p.stdout)
            props = self.get_all()
            self.assertEqual(set(data) - {'Units'}, set(str(k) for k in props))
            for k, v in props.items():
                self.assertEqual(data[str(k)], bus_value(v), k)
            self.assertIsNone(data['Pv2InputPower'], 'NaN becomes null')
            self.assertEqual(len(data['Units']), 1)
            unit = self.get_all('/org/axpert/Inverter/0/unit0', 'org.axpert.Inverter.Unit')
            for k, v in unit.items():
                self.assertEqual(data['Units'][0][str(k)], bus_value(v), k)

    def test_show_all(self):
        self.start_mock()
        out = self.assertCtl('show').stdout
        props = self.get_all()
        lines = out.splitlines()
        self.assertEqual(len(lines), len(props))
        shown = dict(line.split('=', 1) for line in lines)
        self.assertEqual(list(shown), [str(k) for k in props], 'names in the daemon\'s order')
        self.assertEqual(shown['BatteryVoltage'], '52.1')
        self.assertEqual(shown['Online'], 'yes')
        self.assertEqual(shown['Pv2InputPower'], 'nan')
        self.assertEqual(shown['ChargingCurrentOptions'], '10 20 30 40 50 60')
        self.assertEqual(shown['Warnings'], '')
        self.assertEqual(shown['ParallelMaxUnits'], '9')
        self.assertRegex(shown['LastUpdateTimestamp'],
                         r'^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$')

    def test_show_timestamps(self):
        """Timestamps as systemctl show prints them; --timestamp= for scripts; JSON stays µs."""
        self.start_mock(props={'LastUpdateTimestamp': 1763715600123456})  # Fri 2025-11-21 09:00 UTC
        show = ['show', '-p', 'LastUpdateTimestamp']
        self.assertEqual(self.assertCtl(*show).stdout, 'LastUpdateTimestamp=Fri 2025-11-21 09:00:00 UTC\n')
        berlin = {'TZ': 'Europe/Berlin'}
        self.assertEqual(self.assertCtl(*show, env=berlin).stdout,
                         'LastUpdateTimestamp=Fri 2025-11-21 10:00:00 CET\n', 'local time')
        cases = [('unix', '@1763715600'), ('us', 'Fri 2025-11-21 10:00:00.123456 CET'),
                 ('utc', 'Fri 2025-11-21 09:00:00 UTC'), ('us+utc', 'Fri 2025-11-21 09:00:00.123456 UTC'),
                 ('pretty', 'Fri 2025-11-21 10:00:00 CET')]
        for style, text in cases:
            with self.subTest(style=style):
                self.assertEqual(self.assertCtl(f'--timestamp={style}', *show, '--value', env=berlin).stdout,
                                 text + '\n')
        self.assertEqual(self.assertCtl('--timestamp=unix', 'get', 'LastUpdateTimestamp').stdout,
                         '@1763715600\n')
        self.assertEqual(json.loads(self.assertCtl(*show, '--json=short').stdout),
                         {'LastUpdateTimestamp': 1763715600123456})
        p = self.assertCtl('--timestamp=iso', *show, rc=ctltest.EXIT_USAGE)
        self.assertIn('use pretty, us, utc, us+utc or unix', p.stderr)

    def test_show_timestamp_never(self):
        self.start_mock(props={'LastUpdateTimestamp': 0})
        self.assertEqual(self.assertCtl('show', '-p', 'LastUpdateTimestamp').stdout,
                         'LastUpdateTimestamp=\n', '0 = never: empty, as in systemctl show')

    def test_show_P(self):
        self.start_mock()
        self.assertEqual(self.assertCtl('show', '-P', 'Mode').stdout, 'line\n')
        self.assertEqual(self.assertCtl('show', '-P', 'BatteryVoltage', '-P', 'Online').stdout, '52.1\nyes\n')
        p = self.assertCtl('show', '-P', 'Nope', rc=ctltest.EXIT_USAGE)
        self.assertIn('no property "Nope"', p.stderr)
    def test_show_property_and_value(self):
        self.start_mock()
        self.assertEqual(self.assertCtl('show', '-p', 'Mode,BatteryVoltage', '--property=Online').stdout,
                         'Mode=line\nBatteryVoltage=52.1\nOnline=yes\n')
        self.assertEqual(self.assertCtl('show', '-p', 'Mode', '-p', 'BatteryCapacity', '--value').stdout,
                         'line\n87\n')
        p = self.assertCtl('show', '-p', 'NoSuchThing', rc=ctltest.EXIT_USAGE)
        self.assertIn('"NoSuchThing"', p.stderr)
        data = json.loads(self.assertCtl('show', '-p', 'Mode,Faults', '--json=short').stdout)
        self.assertEqual(data, {'Mode': 'line', 'Faults': []})
        # -j: short when stdout is not a terminal.
        self.assertEqual(self.assertCtl('show', '-p', 'Mode', '-j').stdout, '{"Mode":"line"}\n')

    def test_get(self):
        self.start_mock(props={'Warnings': ['line-fail', 'overload']})
        self.assertEqual(self.assertCtl('get', 'BatteryVoltage').stdout, '52.1\n')
        self.assertEqual(self.assertCtl('get', 'Warnings', 'Online', 'ParallelUnits').stdout,
                         'line-fail overload\nyes\n0\n')
        self.assertEqual(json.loads(self.assertCtl('--json=short', 'get', 'Warnings', 'Pv2InputVoltage').stdout),
                         {'Warnings': ['line-fail', 'overload'], 'Pv2InputVoltage': None})
        p = self.assertCtl('get', 'Bogus', rc=ctltest.EXIT_USAGE)
        self.assertIn('no property "Bogus"', p.stderr)
        self.assertCtl('get', rc=ctltest.EXIT_USAGE)

    def test_list(self):
        self.start_mock(devices=['0', 'garage'], units=2)
        out = self.assertCtl('list').stdout
        rows = [line.split() for line in out.splitlines()]
        self.assertEqual(rows[0], ['NAME', 'STATE', 'MODE', 'SERIAL', 'DEVICE'])
        self.assertEqual(rows[1], ['0', 'online', 'line', '92932004102453', '/dev/hidraw0'])
        self.assertEqual(rows[2][:2], ['0/unit0', 'unit'])
        self.assertEqual(rows[3][:2], ['0/unit1', 'unit'])
        self.assertEqual(rows[4], ['garage', 'online', 'line', '92932004102453', '/dev/hidraw1'])
        self.assertIn('2 inverters, 2 parallel units.', out)
        data = json.loads(self.assertCtl('list', '--json=pretty').stdout)
        self.assertEqual([d['Device'] for d in data], ['0', 'garage'])
        self.assertEqual([u['Index'] for u in data[0]['Units']], [0, 1])
        self.assertEqual(data[0]['Units'][1]['Path'], '/org/axpert/Inverter/0/unit1')
        self.assertEqual(data[1]['Units'], [])
        self.assertIs(data[1]['Online'], True)

    def test_list_no_legend_and_names_usable(self):
        """Every name "list" prints works with -d: inverters and NAME/unitN."""
        self.start_mock(devices=['0', 'garage'], units=2)
        out = self.assertCtl('list', '--no-legend').stdout
        names = [line.split()[0] for line in out.splitlines()]
        self.assertEqual(names, ['0', '0/unit0', '0/unit1', 'garage'], 'no header, no footer')
        self.assertEqual(self.assertCtl('--no-pager', 'list', '--no-legend').stdout, out)
        for name in names:
            with self.subTest(name=name):
                serial = self.assertCtl('-d', name, 'show', '-P', 'SerialNumber').stdout
                self.assertTrue(serial.strip(), name)
                self.assertEqual(self.assertCtl('-d', name, 'get', 'SerialNumber').stdout, serial)
                self.assertCtl('-d', name, 'status')
                json.loads(self.assertCtl('-d', name, 'status', '--json=short').stdout)

    def test_unit_reading(self):
        self.start_mock(units=2)
        self.assertEqual(self.assertCtl('-d', '0/unit1', 'get', 'Index', 'AcOutputActivePower').stdout,
                         '1\n625\n')
        shown = dict(line.split('=', 1) for line in self.assertCtl('-d', '0/unit1', 'show').stdout.splitlines())
        self.assertEqual(shown['SerialNumber'], '92932004102451')
        self.assertNotIn('Online', shown, 'the unit\'s own properties')
        f = status_fields(self.assertCtl('-d', '0/unit1', 'status').stdout)
        self.assertEqual(f['Unit'], '0/unit1')
        self.assertRegex(f['State'], r'^online, ')
        self.assertEqual(f['Load'], '625 W, 655 VA, 13 %, load on')
        p = self.assertCtl('-d', '0/unit1', 'get', 'Online', rc=ctltest.EXIT_USAGE)
        self.assertIn('unit "0/unit1" has no property "Online"', p.stderr)
        p = self.assertCtl('-d', '0/unit5', 'status', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('inverter "0" has no parallel unit "unit5"; known: "0/unit0", "0/unit1"', p.stderr)
        p = self.assertCtl('-d', 'shed/unit0', 'status', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('no inverter named "shed"', p.stderr)

    def test_unit_of_offline_inverter(self):
        self.start_mock(units=1, props={'Online': False, 'LastError': 'gone', 'LastUpdateTimestamp': 0})
        p = self.ctl('-d', '0/unit0', 'status')
        self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE)
        f = status_fields(p.stdout)
        self.assertEqual(f['State'], 'offline: gone')
        self.assertNotIn('Load', f)

    def test_device_selection(self):
        self.start_mock(devices=['0', 'garage'], props={'SerialNumber': 'X'})
        p = self.assertCtl('status', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('choose one with -d NAME: "0", "garage"', p.stderr)
        self.assertCtl('get', 'Mode', rc=ctltest.EXIT_NO_DEVICE)
        p = self.assertCtl('-d', 'shed', 'status', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('no inverter named "shed"; known: "0", "garage"', p.stderr)
        self.assertEqual(self.assertCtl('-d', 'garage', 'get', 'DevicePath').stdout, '/dev/hidraw1\n')
        self.assertEqual(self.assertCtl('get', '--device=0', 'DevicePath').stdout, '/dev/hidraw0\n')
        self.assertIn('Inverter: garage', self.assertCtl('-d', 'garage').stdout)

    def test_no_device_configured(self):
        self.start_mock(devices=[])
        p = self.assertCtl('status', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('no inverter configured', p.stderr)
        self.assertIn('0 inverters', self.assertCtl('list').stdout)

    def test_remote_host(self):
        """-H goes through "ssh HOST systemd-stdio-bridge"; a stand-in ssh runs the bridge here."""
        self.start_mock()
        bindir = os.path.join(self.tmpdir, 'bin')
        os.mkdir(bindir)
        argslog = os.path.join(self.tmpdir, 'ssh-args')
        with open(os.path.join(bindir, 'ssh'), 'w') as f:
            f.write('#!/bin/sh\n'
                    f'printf "%s\\n" "$@" > {argslog}\n'
                    'exec /usr/bin/systemd-stdio-bridge --bus-path="$DBUS_SYSTEM_BUS_ADDRESS"\n')
        os.chmod(os.path.join(bindir, 'ssh'), 0o755)
        env = {'PATH': bindir + os.pathsep + self.env['PATH']}
        self.assertEqual(self.assertCtl('-H', 'pi@garage', 'get', 'BatteryVoltage', env=env).stdout, '52.1\n')
        with open(argslog) as f:
            args = f.read().split('\n')
        self.assertIn('pi@garage', args)
        self.assertIn('systemd-stdio-bridge', args)
        self.assertEqual(self.assertCtl('--host=pi@garage', 'set-battery-type', 'user', env=env).stdout,
                         'BatteryType: agm → user\n')


if __name__ == '__main__':
    testlib.main()
