#!/usr/bin/python3
"""axpertd's command line and configuration file: errors stop it with a precise message."""
import os
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import daemonlib
import testlib


class ConfigTest(daemonlib.DaemonTestCase):
    transport = 'pty'

    def run_daemon(self, *args, timeout=10):
        return subprocess.run([daemonlib.daemon_binary()] + list(args), env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def write(self, text):
        path = os.path.join(self.tmpdir, 'axpertd.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def assert_refused(self, args, *fragments):
        r = self.run_daemon(*args)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        for f in fragments:
            self.assertIn(f, r.stderr)
        # Nothing took the name.
        self.assertFalse(daemonlib.Bus(self.bus.address).has_name())

    def test_bad_values_name_file_group_key_and_what_is_accepted(self):
        path = self.write('[Daemon]\nPollInterval=soon\n')
        self.assert_refused([f'--config={path}'], path, '[Daemon]', 'PollInterval', 'soon',
                            'accepted')
        path = self.write('[Daemon]\nSettingsInterval=0\n')
        self.assert_refused([f'--config={path}'], 'SettingsInterval', '1 to 86400')
        path = self.write('[Device roof]\nPath=ttyUSB0\n')
        self.assert_refused([f'--config={path}'], '[Device roof]', 'Path', 'ttyUSB0')
        path = self.write('[Device roof]\nPath=/dev/ttyUSB0\nBaud=9600\n')
        self.assert_refused([f'--config={path}'], '[Device roof]', 'Baud', 'Path')
        path = self.write('[Inverter]\nPath=/dev/ttyUSB0\n')
        self.assert_refused([f'--config={path}'], '[Inverter]', '[Device NAME]')
        self.assert_refused([f'--config={self.tmpdir}/missing.conf'], 'missing.conf')

    def test_two_devices_on_one_port_are_refused(self):
        # Issue 17.7: they used to be accepted and fought over the port.
        port = os.path.join(self.tmpdir, 'ttyS9')
        alias = os.path.join(self.tmpdir, 'by-id-port0')
        open(port, 'w').close()
        os.symlink(port, alias)
        path = self.write(f'[Device roof]\nPath={port}\n[Device shed]\nPath=serial:{alias}\n')
        self.assert_refused([f'--config={path}'], path, '[Device roof]', '[Device shed]',
                            'same device')
        self.assert_refused([f'--device={port}', f'--device=b={alias}'], f'--device={port}',
                            f'--device=b={alias}', 'same device')
        path = self.write(f'[Device roof]\nPath={port}\n[Device roof]\nPath={alias}\n')
        self.assert_refused([f'--config={path}'], '[Device roof]',
                            'device name "roof" is used twice')
        self.assert_refused([f'--device=x={port}', '--device=x=/dev/ttyUSB7'],
                            'device name "x" is used twice')

    def test_bad_command_line(self):
        self.assert_refused(['--poll-interval=often'], '--poll-interval=often', 'accepted')
        self.assert_refused(['--device=my-dev=/dev/ttyUSB0'], 'my-dev', 'NAME')
        self.assert_refused(['--device=hidraw:fd:x'], 'hidraw:fd:x')
        self.assert_refused(['--no-such-option'])
        self.assert_refused(['stray'], 'stray')

    def test_version_and_introspection_need_no_bus(self):
        env = dict(self.env, DBUS_SYSTEM_BUS_ADDRESS='unix:path=/nonexistent')
        r = subprocess.run([daemonlib.daemon_binary(), '--version'], env=env,
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith('axpertd '))
        r = subprocess.run([daemonlib.daemon_binary(), '--bus-introspect'], env=env,
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        root = ET.fromstring(r.stdout)
        names = [i.get('name') for i in root.findall('interface')]
        self.assertEqual(names, [daemonlib.IFACE, daemonlib.UNIT_IFACE])
        inverter = root.find('interface')
        ts = [p for p in inverter.findall('property') if p.get('name') == 'LastUpdateTimestamp'][0]
        self.assertEqual(ts.find('annotation').get('value'), 'false')
        methods = {m.get('name') for m in inverter.findall('method')}
        self.assertIn('Refresh', methods)
        self.assertIn('SetOutputSourcePriority', methods)

    def test_file_devices_and_command_line_override(self):
        self.start_sim()
        # The file names the device and a slow poll; the command line makes polling fast.
        path = self.write(f'[Daemon]\nPollInterval=300\nSettingsInterval=600\n'
                          f'[Device garage]\nPath=serial:{self.link}\n')
        self.start_daemon(f'--config={path}', '--poll-interval=0.3', device=False)
        objects = self.dbus.managed_objects()
        self.assertEqual(list(objects), [daemonlib.ROOT + '/garage'])
        get = lambda n: self.dbus.get(n, path=daemonlib.ROOT + '/garage')  # noqa: E731
        self.assertEqual(get('Transport'), 'serial')
        t = get('LastUpdateTimestamp')
        testlib.wait_for(lambda: get('LastUpdateTimestamp') > t, 10, what='fast polling')

    def test_missing_device_is_not_fatal(self):
        self.start_sim()
        missing = os.path.join(self.tmpdir, 'ttyLATER')
        self.start_daemon(f'--device=later={missing}', '--poll-interval=0.5', device=False)
        get = lambda n: self.dbus.get(n, path=daemonlib.ROOT + '/later')  # noqa: E731
        self.assertIs(get('Online'), False)
        self.assertIn('ttyLATER', get('LastError'))
        # The node appears (no udev here: the daemon polls the path).
        os.symlink(os.readlink(self.link) if os.path.islink(self.link) else self.link, missing)
        testlib.wait_for(lambda: get('Online'), 30, what='the device to come online')


    def test_notify_ready_and_watchdog(self):
        """READY=1 once the name is ours; the event loop pets the watchdog by itself."""
        path = os.path.join(self.tmpdir, 'notify')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.2)
        self.addCleanup(sock.close)
        messages = []
        stop = threading.Event()

        def reader():
            # Read as the service manager does: a full queue would block sd_notify().
            while not stop.is_set():
                try:
                    messages.append(sock.recv(4096).decode())
                except socket.timeout:
                    pass
        t = threading.Thread(target=reader)
        t.start()
        self.addCleanup(t.join)
        self.addCleanup(stop.set)
        self.start_sim()
        self.env['NOTIFY_SOCKET'] = path
        self.env['WATCHDOG_USEC'] = '400000'
        self.start_daemon('--poll-interval=1')
        time.sleep(2)
        text = '\n'.join(messages)
        self.assertIn('READY=1', text)
        self.assertGreaterEqual(text.count('WATCHDOG=1'), 3, text)
        self.daemon.stop()
        self.assertEqual(self.daemon.proc.returncode, 0, 'SIGTERM is a clean exit')


if __name__ == '__main__':
    testlib.main()
