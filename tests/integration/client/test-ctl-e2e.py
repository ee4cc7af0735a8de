#!/usr/bin/python3
"""axpertctl end to end: the real axpertd and axpert-sim on a private bus. Every reading verb, text
and JSON output compared with what the bus says, monitor seeing a change made in the simulator."""
import json
import math
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

DEV = '/org/axpert/Inverter/0'
TS = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}'


def bus_json(v):
    """A dbus-python value as axpertctl's JSON (NaN -> None)."""
    import dbus
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, dbus.Double):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (dbus.Byte, dbus.UInt16, dbus.UInt32, dbus.UInt64, dbus.Int16, dbus.Int32, dbus.Int64)):
        return int(v)
    if isinstance(v, dbus.Array):
        return [bus_json(x) for x in v]
    if isinstance(v, dbus.Dictionary):
        # SettingLimits' (min, max, step) as an object, the option lists as arrays
        return {str(k): dict(zip(('min', 'max', 'step'), [bus_json(d) for d in x]))
                if isinstance(x, dbus.Struct) else bus_json(x) for k, x in v.items()}
    return str(v)


def bus_text(v):
    """A dbus-python value as axpertctl show prints it."""
    import dbus
    if isinstance(v, dbus.Boolean):
        return 'yes' if v else 'no'
    if isinstance(v, dbus.Double):
        return 'nan' if math.isnan(v) else repr(float(v)).removesuffix('.0')
    if isinstance(v, dbus.Array):
        return ' '.join(bus_text(x) for x in v)
    if isinstance(v, dbus.Dictionary):
        # Key=min..max/step, Key=a,b,c
        return ' '.join(f'{k}=' + ('{}..{}/{}'.format(*(bus_text(d) for d in x))
                                   if isinstance(x, dbus.Struct)
                                   else ','.join(bus_text(e) for e in x)) for k, x in v.items())
    if isinstance(v, (dbus.Byte, dbus.UInt16, dbus.UInt32, dbus.UInt64, dbus.Int16, dbus.Int32, dbus.Int64)):
        return str(int(v))
    return str(v)


class EndToEndTest(ctltest.E2ETestCase):
    def wait_monitor_ready(self, reader):
        """Until a monitor has subscribed and read the state (slow under a sanitizer), a change
        may come before it: change the voltage until one is printed."""
        values = iter(f'{48 + i / 10:.1f}' for i in range(1000))

        def seen():
            self.sim_command(f'set BatteryVoltage {next(values)}')
            self.assertCtl('refresh')
            try:
                return reader.until(lambda line: 'BatteryVoltage' in line, timeout=0.5)
            except TimeoutError:
                return None
        testlib.wait_for(seen, 60, interval=0, what='monitor printing a change')
        # A line of an earlier try may still be on its way: let it pass.
        try:
            while True:
                reader.next(timeout=1.5)
        except TimeoutError:
            pass

    def test_show_matches_bus(self):
        out = self.assertCtl('show', '--timestamp=unix').stdout
        shown = dict(line.split('=', 1) for line in out.splitlines())
        props = self.props()
        self.assertEqual(list(shown), [str(k) for k in props])
        for name, value in props.items():
            if name == 'LastUpdateTimestamp':
                continue  # read on demand; compared below with a tolerance
            self.assertEqual(shown[str(name)], bus_text(value), name)
        self.assertLessEqual(abs(int(shown['LastUpdateTimestamp'].lstrip('@')) -
                                 int(props['LastUpdateTimestamp']) // 1000000), 1)

    def test_json_matches_bus(self):
        props = self.props()
        for args in (['show', '--json=short'], ['status', '--json=pretty']):
            with self.subTest(args=args):
                data = json.loads(self.assertCtl(*args).stdout)
                self.assertEqual(set(data) - {'Units'}, {str(k) for k in props})
                for name, value in props.items():
                    if name != 'LastUpdateTimestamp':
                        self.assertEqual(data[str(name)], bus_json(value), name)
        self.assertIsNone(data['Pv2InputPower'], 'no PV2 on the classic model: null, not NaN')

    def test_status(self):
        out = self.assertCtl('status').stdout
        props = self.props()
        self.assertRegex(out, r'\n *State: online, updated [0-9]+ s ago\n')
        self.assertIn(f'Mode: {props["Mode"]}\n', out)
        self.assertIn(f'Connection: {self.link}, serial, protocol PI30\n', out)
        self.assertIn(f'serial {props["SerialNumber"]}', out)
        battery = float(props['BatteryVoltage'])
        self.assertRegex(out, rf'\n *Battery: {re.escape(bus_text(props["BatteryVoltage"]))} V, '
                              rf'{int(props["BatteryCapacity"])} %, charging ')
        self.assertGreater(battery, 40)
        self.assertIn(f'Output priority: {props["OutputSourcePriority"]}\n', out)
        self.assertNotIn('\x1b', out)

    def test_get_and_list(self):
        props = self.props()
        self.assertEqual(self.assertCtl('get', 'SerialNumber', 'Online').stdout,
                         f'{props["SerialNumber"]}\nyes\n')
        rows = [line.split() for line in self.assertCtl('list').stdout.splitlines()]
        self.assertEqual(rows[1], ['0', 'online', str(props['Mode']), str(props['SerialNumber']), self.link])
        data = json.loads(self.assertCtl('list', '--json=short').stdout)
        self.assertEqual(data, [{'Device': '0', 'Path': DEV, 'Online': True, 'Mode': str(props['Mode']),
                                 'SerialNumber': str(props['SerialNumber']),
                                 'ModelName': str(props['ModelName']), 'DevicePath': self.link,
                                 'Units': []}])

    def test_refresh_and_raw(self):
        before = int(self.props()['LastUpdateTimestamp'])
        self.sim_command('history clear')
        self.assertCtl('refresh')
        self.assertGreater(int(self.props()['LastUpdateTimestamp']), before)
        history = self.sim_command('history')
        self.assertIn('QPIGS', history, 'refresh polled the inverter')
        qid = self.assertCtl('raw', 'QID').stdout.strip()
        self.assertEqual(qid, str(self.props()['SerialNumber']))
        self.assertIn('QID', self.sim_command('history'))

    def test_monitor_offline_in_words(self):
        """Text monitor: the outage is one "offline: reason" line, not "LoadOn: yes → no"."""
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'monitor'], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        reader = ctltest.LineReader(proc)
        try:
            self.wait_monitor_ready(reader)
            self.sim_command('fault silence')
            self.ctl('refresh')
            line = reader.until(lambda line: 'BatteryVoltage' not in line, timeout=60)
            self.assertRegex(line, rf'^{TS} 0 offline: .+$')
            self.assertTrue(line.endswith(': ' + str(self.props()['LastError'])), line)
            # Nothing else while offline (a new reason would be "still offline: …").
            try:
                while True:
                    extra = reader.next(timeout=3)
                    self.assertRegex(extra, rf'^{TS} 0 still offline: ', 'no property flips')
            except TimeoutError:
                pass
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_monitor_sees_sim_change(self):
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'monitor'], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        reader = ctltest.LineReader(proc)
        try:
            self.wait_monitor_ready(reader)
            # One more change: it is shown from the value the monitor knew to the new one.
            old = bus_text(self.props()['BatteryVoltage'])
            self.sim_command('set BatteryVoltage 50.1')
            self.assertCtl('refresh')
            line = reader.until(lambda line: 'BatteryVoltage' in line, timeout=20)
            self.assertRegex(line, rf'^{TS} 0 BatteryVoltage: {re.escape(old)} V → 50\.1 V$')
            self.assertEqual(float(self.props()['BatteryVoltage']), 50.1)
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(10), 0)
            self.assertEqual(proc.stderr.read(), '')
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_monitor_json_and_offline(self):
        proc = subprocess.Popen([ctltest.AXPERTCTL, 'monitor', '--json=short'], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        reader = ctltest.LineReader(proc)
        try:
            self.wait_monitor_ready(reader)
            self.sim_command('set Mode battery')
            self.assertCtl('refresh')
            event = json.loads(reader.until(lambda line: '"Mode"' in line, timeout=20))
            self.assertEqual(event['Event'], 'changed')
            self.assertEqual(event['Properties']['Mode'], 'battery')
            # The inverter goes silent: Online turns false, and status says so with the error.
            self.sim_command('fault silence')
            self.ctl('refresh')
            event = json.loads(reader.until(lambda line: '"Online"' in line, timeout=60))
            self.assertIs(event['Properties']['Online'], False)
            p = self.ctl('status')
            out = p.stdout
            self.assertEqual(p.returncode, ctltest.EXIT_OFFLINE, 'status exits 7 while offline')
            props = self.props()
            self.assertTrue(props['LastError'], 'axpertd says why it is offline')
            state = re.search(r'\n *State: (.*)\n', out).group(1)
            if int(props['LastUpdateTimestamp']):
                self.assertRegex(state, r'^offline since .* ago\): ')
            else:
                self.assertRegex(state, r'^offline: ')
            self.assertTrue(state.endswith(': ' + str(props['LastError'])), state)
            # Whatever axpertd still reports is not presented as a fresh reading.
            self.assertNotIn('updated', state)
            for row in ('Load', 'Warnings', 'Faults', 'Battery'):
                self.assertNotRegex(out, rf'\n *{row}: ')
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_daemon_stopped(self):
        self.daemon.stop()
        p = self.assertCtl('status', rc=ctltest.EXIT_UNREACHABLE)
        self.assertIn('axpertd is not running; start it with "systemctl start axpertd"', p.stderr)


class ParallelTest(ctltest.E2ETestCase):
    sim_args = ('--units=2',)

    def test_units(self):
        data = json.loads(self.assertCtl('list', '--json=short').stdout)
        units = data[0]['Units']
        self.assertEqual(len(units), 2, data)
        status = json.loads(self.assertCtl('status', '--json=short').stdout)
        self.assertEqual(len(status['Units']), 2)
        for u, path in zip(status['Units'], [x['Path'] for x in units]):
            props = self.props(path, 'org.axpert.Inverter.Unit')
            for name, value in props.items():
                self.assertEqual(u[str(name)], bus_json(value), name)
        out = self.assertCtl('status').stdout
        self.assertRegex(out, r'\n *Parallel units: 2, total ')
        for u in units:
            self.assertRegex(out, rf'\n *unit {u["Index"]}: {u["SerialNumber"]}, ')


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_monitor_offline_in_words', 'test_monitor_json_and_offline'))
