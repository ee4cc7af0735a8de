#!/usr/bin/python3
"""The polkit text agent: axpertctl starts pkttyagent for a setter when stdin is a terminal (and it is
not root, and asking is allowed), and stops it afterwards. Against python-dbusmock's polkitd, which
records the agent's registration."""
import fcntl
import os
import pty
import subprocess
import sys
import termios

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

NOBODY = 65534
POLKIT = ('org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority')


class PolkitAgentTest(ctltest.CtlTestCase):
    bus_extra = '<policy context="default"><allow user="*"/><allow send_destination="*"/></policy>'

    def setUp(self):
        super().setUp()
        if not os.access('/usr/bin/pkttyagent', os.X_OK):
            self.fail('/usr/bin/pkttyagent is needed (Debian package polkitd)')
        self.start_mock(deny='org.freedesktop.DBus.Error.AccessDenied')
        self.spawn('polkitd', [sys.executable, '-m', 'dbusmock', '--template', 'polkitd', '--system'])
        testlib.wait_for(lambda: self.dbus().name_has_owner(POLKIT[0]), 20, what='the polkitd mock')
        authority = self.dbus().get_object(*POLKIT)
        # pkttyagent --fallback registers with options; the stock template lacks that method.
        authority.AddMethod('org.freedesktop.PolicyKit1.Authority', 'RegisterAuthenticationAgentWithOptions',
                            '(sa{sv})ssa{sv}', '', '', dbus_interface='org.freedesktop.DBus.Mock')
        self.authority = authority

    def registrations(self):
        calls = self.authority.GetCalls(dbus_interface='org.freedesktop.DBus.Mock')
        return [c for c in calls if str(c[1]).startswith('RegisterAuthenticationAgent')]

    def run_on_pty(self, *args):
        """axpertctl as nobody with stdin, stdout and stderr on a new pty; returns (rc, output)."""
        master, slave = pty.openpty()
        argv = ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', '--',
                ctltest.AXPERTCTL] + list(args)
        # A new session with the pty as its controlling terminal, as after an ssh login.
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=self.env,
                                start_new_session=True,
                                preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
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
        return proc.wait(30), out.decode(errors='replace')

    def agents_running(self):
        found = []
        for pid in os.listdir('/proc'):
            if pid.isdigit():
                try:
                    with open(f'/proc/{pid}/cmdline', 'rb') as f:
                        if f.read().startswith(b'/usr/bin/pkttyagent\0--notify-fd'):
                            found.append(int(pid))
                except OSError:
                    pass
        return found

    def test_agent_started_on_terminal(self):
        before = set(self.agents_running())
        rc, out = self.run_on_pty('set-output-source-priority', 'sbu')
        self.assertEqual(rc, ctltest.EXIT_DENIED, out)
        self.assertIn('org.axpert.Inverter.set-priorities', out)
        self.assertEqual(len(self.registrations()), 1, 'pkttyagent registered for the call:\n' + out)
        self.assertEqual(set(self.agents_running()) - before, set(), 'and was stopped afterwards')

    def test_no_agent_without_asking(self):
        rc, out = self.run_on_pty('--no-ask-password', 'set-output-source-priority', 'sbu')
        self.assertEqual(rc, ctltest.EXIT_DENIED, out)
        rc, out = self.run_on_pty('get', 'Mode')
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.registrations(), [], 'no agent for reads or --no-ask-password')

    def test_no_agent_without_terminal(self):
        argv = ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', '--',
                ctltest.AXPERTCTL, 'set-output-source-priority', 'sbu']
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=self.env,
                           timeout=30)
        self.assertEqual(p.returncode, ctltest.EXIT_DENIED, p.stderr)
        self.assertEqual(self.registrations(), [])


if __name__ == '__main__':
    testlib.main()
