#!/usr/bin/python3
"""axpertctl monitor against a dbusmock axpertd: one timestamped line per change, objects appearing
and vanishing, JSON lines, -d filtering (units too), a clean exit on SIGINT/SIGTERM and when axpertd
leaves; no no-op lines, one line for an outage and one for the recovery, waiting for axpertd."""
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
UNIT_IFACE = 'org.axpert.Inverter.Unit'
NAN = dbus.Double(float('nan'))
TS = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}'


class MonitorTest(ctltest.CtlTestCase):
    def start_monitor(self, *args, prime=True):
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'monitor'] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        self.addCleanup(self._stop, proc)
        reader = ctltest.LineReader(proc)
        if prime:
            target = args[args.index('-d') + 1] if '-d' in args else '0'
            if '/' in target:
                self.prime(reader, '/org/axpert/Inverter/' + target, UNIT_IFACE, 'InverterStatus')
            else:
                self.prime(reader, '/org/axpert/Inverter/' + target)
        return proc, reader

    def _stop(self, proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def prime(self, reader, path, iface=IFACE, prop='LastError'):
        """Changes LastError until the monitor reports it: from then on it is subscribed."""
        counter = itertools.count()

        def seen():
            token = f'prime-{next(counter)}'
            self.mock_update(path, iface, {prop: token})
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
        # Pv2InputPower is NaN already: no change, not in the event.
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(50.1), 'GridVoltage': NAN,
                                      'Pv2InputPower': NAN})
        event = json.loads(reader.next())
        self.assertEqual(event['Event'], 'changed')
        self.assertEqual(event['Object'], '0')
        self.assertEqual(event['Path'], DEV)
        self.assertEqual(event['Properties'], {'BatteryVoltage': 50.1, 'GridVoltage': None})
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

    def test_waits_for_daemon(self):
        """Started before axpertd: one "waiting" line, then it follows the daemon once it comes."""
        proc, reader = self.start_monitor(prime=False)
        self.assertRegex(reader.next(timeout=20),
                         rf'^{TS} waiting for axpertd \(org\.axpert\.Inverter\) to appear on the bus…$')
        self.assertIsNone(proc.poll(), 'monitor waits instead of exiting 3')
        self.start_mock()
        self.assertRegex(reader.next(timeout=20), rf'^{TS} axpertd appeared on the bus$')
        self.prime(reader, DEV)
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(50.1)})
        self.assertRegex(reader.next(), rf'^{TS} 0 BatteryVoltage: 52\.1 V → 50\.1 V$')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)
        self.assertEqual(proc.stderr.read(), '')

    def test_waits_for_daemon_json(self):
        proc, reader = self.start_monitor('--json=short', prime=False)
        testlib.wait_for(lambda: 'waiting for axpertd' in proc.stderr.readline(), 20,
                         what='the waiting line on stderr')
        self.start_mock()
        self.assertEqual(json.loads(reader.next(timeout=20))['Event'], 'daemon-started')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)

    def test_no_op_changes_not_printed(self):
        """A signal repeating the current value (a monitor started mid-cycle) prints nothing."""
        self.start_mock()
        proc, reader = self.start_monitor()
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(52.1), 'Mode': 'line',
                                      'Pv2InputPower': NAN, 'Warnings': dbus.Array([], signature='s')})
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(52.1),
                                      'BatteryCapacity': dbus.Double(80)})
        self.assertRegex(reader.next(), rf'^{TS} 0 BatteryCapacity: 87 % → 80 %$',
                         'no "52.1 V → 52.1 V" line before it')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)

    def test_offline_is_one_line(self):
        """Going offline is one line with the reason, not every property flipping; back online is
        one line, and later changes are measured against the last live values."""
        self.start_mock()
        proc, reader = self.start_monitor()
        self.mock_update(DEV, IFACE, {'Online': False, 'LastError': 'no valid answer to 3 requests',
                                      'BatteryVoltage': NAN, 'LoadOn': False, 'Mode': 'unknown',
                                      'Warnings': dbus.Array([], signature='s')})
        self.assertRegex(reader.next(), rf'^{TS} 0 offline: no valid answer to 3 requests$')
        self.mock_update(DEV, IFACE, {'AcOutputActivePower': NAN, 'Charging': False})
        self.mock_update(DEV, IFACE, {'LastError': 'cannot open /dev/hidraw0'})
        self.assertRegex(reader.next(), rf'^{TS} 0 still offline: cannot open /dev/hidraw0$',
                         'values cleared during the outage print nothing')
        self.mock_update(DEV, IFACE, {'Online': True, 'LastError': '', 'BatteryVoltage': dbus.Double(52.1),
                                      'LoadOn': True, 'Mode': 'line', 'AcOutputActivePower': dbus.Double(1250),
                                      'Charging': True})
        self.assertRegex(reader.next(), rf'^{TS} 0 online again$')
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(51)})
        self.assertRegex(reader.next(), rf'^{TS} 0 BatteryVoltage: 52\.1 V → 51 V$',
                         'nothing but "online again" for the values that came back as they were')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)

    def test_unit_filter(self):
        """-d NAME/unitN, as "list" prints it: that unit's changes, and its inverter's outages."""
        self.start_mock(units=2)
        proc, reader = self.start_monitor('-d', '0/unit1')
        self.mock_update(DEV + '/unit0', UNIT_IFACE, {'AcOutputActivePower': dbus.Double(1)})
        self.mock_update(DEV, IFACE, {'BatteryVoltage': dbus.Double(40)})
        self.mock_update(DEV + '/unit1', UNIT_IFACE, {'AcOutputActivePower': dbus.Double(700)})
        self.assertRegex(reader.next(), rf'^{TS} 0/unit1 AcOutputActivePower: 625 W → 700 W$')
        self.mock_update(DEV, IFACE, {'Online': False, 'LastError': 'gone'})
        self.mock_update(DEV + '/unit1', UNIT_IFACE, {'AcOutputActivePower': NAN})
        self.assertRegex(reader.next(), rf'^{TS} 0 offline: gone$')
        self.mock_update(DEV, IFACE, {'Online': True, 'LastError': ''})
        self.assertRegex(reader.next(), rf'^{TS} 0 online again$',
                         'the unit\'s values cleared by the outage print nothing')
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(10), 0)
        p = self.assertCtl('monitor', '-d', '0/unit7', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('"0/unit7"', p.stderr)


if __name__ == '__main__':
    testlib.main()
