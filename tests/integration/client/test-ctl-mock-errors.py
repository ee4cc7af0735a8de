#!/usr/bin/python3
"""axpertctl's command line and connection errors: one line each, a hint, a distinct exit code."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402


class ErrorTest(ctltest.CtlTestCase):
    def test_no_daemon(self):
        for args in (['status'], ['show'], ['get', 'Mode'], ['list'], ['refresh'],
                     ['set-output-source-priority', 'sbu'], ['raw', 'QID']):
            with self.subTest(args=args):
                p = self.assertCtl(*args, rc=ctltest.EXIT_UNREACHABLE)
                self.assertIn('axpertd is not running; start it with "systemctl start axpertd"',
                              p.stderr)

    def test_no_bus(self):
        p = self.assertCtl('status', rc=ctltest.EXIT_UNREACHABLE,
                           env={'DBUS_SYSTEM_BUS_ADDRESS': f'unix:path={self.tmpdir}/nothing-here'})
        self.assertIn('system bus', p.stderr)
        self.assertIn('No such file or directory', p.stderr)

    def test_usage_errors(self):
        cases = [
            (['frobnicate'], 'unknown command "frobnicate"'),
            (['status', 'extra'], 'too many arguments for "status"'),
            (['get'], '"get" needs the argument NAME'),
            (['set-flag', 'buzzer'], '"set-flag" needs the argument FLAG on|off'),
            (['set-battery-type'], '"set-battery-type" needs the argument TYPE'),
            (['set-battery-type', 'agm', 'lib'], 'too many arguments'),
            (['--frobnicate'], 'unknown option "--frobnicate"'),
            (['-x'], 'unknown option "-x"'),
            (['--json=yaml', 'status'], 'unknown --json= mode "yaml"'),
            (['--json=short', 'refresh'], '--json does not apply to "refresh"'),
            (['-p', 'Mode', 'status'], 'apply only to "show"'),
            (['--device='], '--device= needs a name'),
            # What was meant, not "unknown option".
            (['show', '-p'], '-p needs a property name, as in "axpertctl show -p BatteryVoltage"'),
            (['show', '--property'], '-p needs a property name'),
            (['show', '-p', '--value'], '-p needs a property name'),
            (['show', '-P'], '-P needs a property name'),
            (['--json=status'], 'or "--json status" for the verb'),
            (['--timestamp=iso', 'show'], 'unknown --timestamp= style "iso"'),
            (['-P', 'Mode', 'status'], 'apply only to "show"'),
            (['-d'], 'option "-d" needs an argument'),
        ]
        # No bus daemon listens: a usage error is found before connecting.
        for args, text in cases:
            with self.subTest(args=args):
                p = self.assertCtl(*args, rc=ctltest.EXIT_USAGE)
                self.assertIn(text, p.stderr)

    def test_help_and_version(self):
        p = self.assertCtl('--help')
        for verb in ('status', 'show', 'get NAME', 'list', 'monitor', 'refresh', 'raw COMMAND',
                     'set-flag FLAG on|off', 'set-output-source-priority', 'set-charger-source-priority',
                     'set-input-voltage-range', 'set-max-charging-current', 'set-max-ac-charging-current',
                     'set-battery-type', 'set-battery-recharge-voltage', 'set-battery-redischarge-voltage',
                     'set-battery-under-voltage', 'set-battery-bulk-voltage', 'set-battery-float-voltage',
                     'set-output-frequency', '--json=pretty|short', '--no-ask-password', '--host=',
                     'settings', '-P NAME', '--timestamp=', '--no-legend', '--no-pager', 'NAME/unitN'):
            self.assertIn(verb, p.stdout)
        self.assertEqual(p.stderr, '')
        self.assertRegex(self.assertCtl('--version').stdout, r'^axpertctl [0-9]+\.[0-9]+\.[0-9]+\n$')

    def test_no_pager_accepted_everywhere(self):
        """--no-pager is accepted by every verb (a no-op: axpertctl has no pager); so is --no-legend."""
        for args in (['status'], ['show'], ['list'], ['settings'], ['refresh'], ['get', 'Mode']):
            with self.subTest(args=args):
                # Past option parsing: the missing axpertd is the error, not the option.
                p = self.assertCtl('--no-pager', '--no-legend', *args, rc=ctltest.EXIT_UNREACHABLE)
                self.assertIn('axpertd is not running', p.stderr)

    def test_remote_host_failure(self):
        # -H goes through ssh; an unreachable host is a connection error, in one line.
        env = {'PATH': self.tmpdir}  # no ssh binary at all: fails fast and deterministically
        p = self.ctl('-H', 'nobody@host.invalid', 'status', env=env)
        self.assertEqual(p.returncode, ctltest.EXIT_UNREACHABLE, p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn('nobody@host.invalid', p.stderr)
        self.assertIn('check that "ssh nobody@host.invalid" works', p.stderr)

    def test_bus_policy_denies(self):
        """Without the project's bus policy, the bus (not polkit) refuses an unprivileged caller."""
        self.bus.stop()
        if os.path.exists(self.bus.socket):  # the new bus must not be mistaken for ready
            os.unlink(self.bus.socket)
        self.bus = testlib.PrivateBus(self.tmpdir, (), '<policy context="default"><allow user="*"/></policy>').start()
        self.env['DBUS_SYSTEM_BUS_ADDRESS'] = self.bus.address
        self._dbus = None
        self.start_mock()
        p = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--',
                            ctltest.AXPERTCTL, 'get', 'Mode'], capture_output=True, text=True,
                           env=self.env, timeout=30)
        self.assertEqual(p.returncode, ctltest.EXIT_DENIED, p.stderr)
        self.assertEqual(p.stderr, 'axpertctl: cannot read the inverters: the D-Bus policy does not let '
                         'this user talk to axpertd; is /usr/share/dbus-1/system.d/'
                         'org.axpert.Inverter.conf installed?\n')

    def test_exit_codes_documented(self):
        """The exit code table of axpertctl(1) lists exactly the codes of client/axpertctl.h."""
        with open(testlib.source_path('client', 'axpertctl.h')) as f:
            header = {int(v) for v in re.findall(r'^\s*EXIT_[A-Z_]+ = ([0-9]+)', f.read(), re.M)}
        with open(testlib.source_path('man', 'axpertctl.1')) as f:
            page = f.read()
        table = page.split('.SH EXIT STATUS', 1)[1].split('.TE', 1)[0]
        documented = {int(m) for m in re.findall(r'^([0-9]+)\t', table, re.M)}
        self.assertEqual(header, documented)
        self.assertEqual(header, set(range(0, 11)))


if __name__ == '__main__':
    testlib.main()
