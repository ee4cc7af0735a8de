#!/usr/bin/python3
"""axpertctl monitor against a dbusmock axpertd: one timestamped line per change, objects appearing
and vanishing, JSON lines, -d filtering, a clean exit on SIGINT/SIGTERM and when axpertd leaves."""
import itertools
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

import dbus  # noqa: E402

DEV = '/org/axpert/Inverter/0'
IFACE = 'org.axpert.Inverter'
TS = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}'


class MonitorTest(ctltest.CtlTestCase):
    def start_monitor(self, *args):
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'monitor'] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        self.addCleanup(self._stop, proc)
        reader = ctltest.LineReader(proc)
        self.prime(reader, '/org/axpert/Inverter/' + (args[args.index('-d') + 1] if '-d' in args else '0'))
        return proc, reader

    def _stop(self, proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def prime(self, reader, path):
        """Changes LastError until the monitor reports it: from then on it is subscribed."""
        counter = itertools.count()

        def seen():
            token = f'prime-{next(counter)}'
            self.mock_update(path, IFACE, {'LastError': token})
            try:
                reader.until(lambda line: token in line, timeout=0.5)
                return True
            except TimeoutError:
                return False
        testlib.wait_for(seen, 15, interval=0, what='the monitor to subscribe')

    def test_changes_one_line_each(self):
        self.start_mock()
        proc, reader = self.start_monitor()
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(50.1)})
        self.assertRegex(reader.next(), rf'^{TS} 0 BatteryVoltage: 52\.1 V → 50\.1 V$')
        # One signal with two properties: two lines, and the cache makes "old" right next time.
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(49.8),
                                      'Mode': dbus.String('battery')})
        self.assertRegex(reader.next(), rf'^{TS} 0 BatteryVoltage: 50\.1 V → 49\.8 V$')
        self.assertRegex(reader.next(), rf'^{TS} 0 Mode: line → battery$')
        self.mock_update(DEV, IFACE, {'Warnings': dbus.Array(['line-fail'], signature='s')})
        self.assertRegex(reader.next(), rf'^{TS} 0 Warnings: \(none\) → line-fail$')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0, 'Ctrl-C is a clean exit')
        self.assertEqual(proc.stderr.read(), '')

    def test_units_appear_and_vanish(self):
        self.start_mock(units=1)
        proc, reader = self.start_monitor()
        root = self.mock_object('/org/axpert/Inverter')
        root.AddUnit('0', dbus.UInt32(1), dbus_interface='org.axpert.Test')
        self.assertRegex(reader.next(), rf'^{TS} 0/unit1 appeared$')
        self.mock_update(DEV + '/unit1', 'org.axpert.Inverter.Unit',
                         {'AcOutputActivePower': dbus.Double(700)})
        self.assertRegex(reader.next(), rf'^{TS} 0/unit1 AcOutputActivePower: 625 W → 700 W$')
        root.RemoveUnit('0', dbus.UInt32(1), dbus_interface='org.axpert.Test')
        self.assertRegex(reader.next(), rf'^{TS} 0/unit1 vanished$')
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(10), 0)

    def test_json_lines(self):
        self.start_mock(units=1)
        proc, reader = self.start_monitor('--json=short')
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(50.1),
                                      'Pv2InputPower': dbus.Double(float('nan'))})
        event = json.loads(reader.next())
        self.assertEqual(event['Event'], 'changed')
        self.assertEqual(event['Object'], '0')
        self.assertEqual(event['Path'], DEV)
        self.assertEqual(event['Properties'], {'BatteryVoltage': 50.1, 'Pv2InputPower': None})
        self.assertIsInstance(event['Timestamp'], int)
        self.mock_object('/org/axpert/Inverter').AddUnit('0', dbus.UInt32(1),
                                                         dbus_interface='org.axpert.Test')
        event = json.loads(reader.next())
        self.assertEqual((event['Event'], event['Object']), ('appeared', '0/unit1'))
        self.assertEqual(event['Properties']['Index'], 1)
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)

    def test_device_filter(self):
        self.start_mock(devices=['0', 'garage'])
        proc, reader = self.start_monitor('-d', 'garage')
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(40)})
        self.mock_update('/org/axpert/Inverter/garage', IFACE, {'BatteryVoltage': dbus.Double(41)})
        line = reader.next()
        self.assertRegex(line, rf'^{TS} garage BatteryVoltage: 52\.1 V → 41 V$',
                         'the change of device 0 is not shown')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)

    def test_daemon_leaves(self):
        mock = self.start_mock()
        proc, reader = self.start_monitor()
        mock.stop()
        self.assertRegex(reader.next(), rf'^{TS} axpertd left the bus$')
        self.assertIsNone(proc.poll(), 'monitor keeps waiting for axpertd to come back')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)

    def test_unknown_device(self):
        self.start_mock()
        p = self.assertCtl('monitor', '-d', 'shed', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('"shed"', p.stderr)

    def test_no_daemon(self):
        p = self.assertCtl('monitor', rc=ctltest.EXIT_UNREACHABLE)
        self.assertIn('systemctl start axpertd', p.stderr)


if __name__ == '__main__':
    testlib.main()
