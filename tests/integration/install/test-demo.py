#!/usr/bin/python3
"""tools/demo.sh as a new user meets it, on a terminal (a pty), with the build under test
(AXPERT_DEMO_BUILD): it starts everything, its instructions are the last thing printed and stay
on screen (the live view is one line that rewrites itself), what they say works (the bus
address, axpertctl status/energy, the dashboard's URL), and Ctrl-C stops every process it
started and removes its directory."""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

import testlib

MARK = 'Press Ctrl-C to stop everything.'
LIVE = '\r\033[K'


class Demo(unittest.TestCase):

    def setUp(self):
        self.out = b''
        master, slave = pty.openpty()
        env = dict(os.environ, AXPERT_DEMO_BUILD=testlib.build_path(), TERM='dumb')
        for k in ('DBUS_SYSTEM_BUS_ADDRESS', 'DBUS_SESSION_BUS_ADDRESS'):
            env.pop(k, None)
        self.proc = subprocess.Popen([testlib.source_path('tools', 'demo.sh')], stdin=slave,
                                     stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.addCleanup(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        os.close(self.master)

    def read_until(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate(self.text()):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.fail(f'{what}: not seen; the demo printed:\n{self.text()}')
            r, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if r:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:
                    pass
        return self.text()

    def text(self):
        return self.out.decode('utf-8', 'replace')

    def test_demo(self):
        self.read_until(lambda t: t.count(LIVE) >= 3 and MARK in t, 240,
                        'the instructions and three live updates')
        text = self.text()
        after = text[text.index(MARK) + len(MARK):]
        # Nothing scrolls the instructions away: after them only the live line, rewritten.
        self.assertEqual(after.replace('\r\n', '\n').strip('\n').count('\n'), 0, repr(after))
        live = [x for x in after.split(LIVE) if x.strip()]
        self.assertTrue(all(re.match(r'\S+ \| PV \S+ W \| battery \S+ V \S+ % \| load \S+ W', x)
                            for x in live), live)

        state = re.search(r'logs in (/tmp/axpert-demo\.\w+)', text).group(1)
        bus = re.search(r'export DBUS_SYSTEM_BUS_ADDRESS=(\S+)', text).group(1)
        url = re.search(r'xdg-open (http://127\.0\.0\.1:\d+/)', text).group(1)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus)
        ctl = testlib.build_path('client', 'axpertctl')
        status = subprocess.run([ctl, 'status'], env=env, capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn('online', status.stdout)
        energy = subprocess.run([ctl, 'energy'], env=env, capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(energy.returncode, 0, energy.stderr)
        self.assertIn('This month', energy.stdout)
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(b'<html', r.read().lower())
        with urllib.request.urlopen(url + 'cmds?cmd=operation_mode', timeout=10) as r:
            self.assertRegex(r.read().decode(), r'"mode":"(PM|SB|LN|BT|FA|PS|00)"')

        # Ctrl-C: everything it started stops, its directory goes.
        os.killpg(self.proc.pid, signal.SIGINT)
        self.read_until(lambda t: 'nothing left running' in t, 30, 'the stop message')
        self.assertIn(self.proc.wait(30), (0, 128 + signal.SIGINT))  # 130: the shell's Ctrl-C
        self.assertFalse(os.path.exists(state))

        def ours():
            found = []
            for pid in filter(str.isdigit, os.listdir('/proc')):
                try:
                    cmd = open(f'/proc/{pid}/cmdline', 'rb').read()
                except OSError:
                    continue
                if state.encode() in cmd:
                    found.append((pid, cmd))
            return found
        testlib.wait_for(lambda: not ours(), 10, what='no process of the demo left')


if __name__ == '__main__':
    testlib.main()
