"""Helpers for the setters' integration tests: callers with another uid, the polkit mock, gi calls.

Imported by the tests in this directory only; the shared harness is tests/integration/testlib.py.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import testlib  # noqa: E402
from gi.repository import Gio, GLib  # noqa: E402

CALL_PY = os.path.join(HERE, 'call.py')
POLKIT_TEMPLATE = os.path.join(HERE, 'polkitd_challenge.py')
PYTHON = '/usr/bin/python3'
NOBODY = 65534
NOGROUP = 65534


def connect(address):
    """A gi connection to the private bus, as the test's own (root) user."""
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    return Gio.DBusConnection.new_for_address_sync(address, flags, None, None)


def name_has_owner(conn, name):
    r = conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                       'NameHasOwner', GLib.Variant('(s)', (name,)), None,
                       Gio.DBusCallFlags.NONE, 5000, None)
    return r.unpack()[0]


def as_user(uid, gid=None):
    """The setpriv prefix that runs a command as uid:gid without supplementary groups."""
    return ['setpriv', f'--reuid={uid}', f'--regid={gid if gid is not None else uid}',
            '--clear-groups', '--']


def call_argv(dest, path, iface, method, signature='', args=(), interactive=False,
              timeout=30, uid=None, gid=None):
    """The command line of a call through call.py, run as uid:gid when given."""
    argv = [PYTHON, CALL_PY, '--timeout', str(timeout)]
    if interactive:
        argv.append('--interactive')
    argv += [dest, path, iface, method, signature, json.dumps(list(args))]
    if uid is not None:
        argv = as_user(uid, gid) + argv
    return argv


def call(env, dest, path, iface, method, signature='', args=(), interactive=False, timeout=30,
         uid=None, gid=None):
    """Calls a method in a separate process (so it can run as another uid).

    Returns ('ok', [values]) or ('error', name, message)."""
    argv = call_argv(dest, path, iface, method, signature, args, interactive, timeout, uid, gid)
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout + 30)
    if r.returncode != 0:
        raise AssertionError(f'{argv} failed ({r.returncode}): {r.stderr}')
    answer = json.loads(r.stdout)
    if 'error' in answer:
        return ('error', answer['error'], answer['message'])
    return ('ok', answer['result'])


class PolkitMock:
    """python-dbusmock's polkitd template (or its challenge-capable extension) on the private
    bus, controlled through org.freedesktop.DBus.Mock."""

    def __init__(self, case, template='polkitd'):
        self.case = case
        self.conn = connect(case.bus.address)
        self.proc = case.spawn('polkitd', [PYTHON, '-m', 'dbusmock', '--template', template,
                                            '--system'])
        testlib.wait_for(lambda: name_has_owner(self.conn, 'org.freedesktop.PolicyKit1'), 20,
                         what='the polkitd mock on the bus')

    def _mock(self, method, signature=None, args=None, ret='()'):
        r = self.conn.call_sync('org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority',
                                'org.freedesktop.DBus.Mock', method,
                                GLib.Variant(signature, args) if signature else None,
                                GLib.VariantType(ret), Gio.DBusCallFlags.NONE, 10000, None)
        return r.unpack()

    def set_allowed(self, actions):
        self._mock('SetAllowed', '(as)', (list(actions),))

    def set_challenge(self, actions):
        self._mock('SetChallenge', '(as)', (list(actions),))

    def hang(self, on):
        self._mock('SimulateHang', '(b)', (on,))

    def release(self):
        self._mock('ReleaseHangingCalls')

    def have_hanging(self):
        return self._mock('HaveHangingCalls', ret='(b)')[0]

    def checks(self):
        """Every CheckAuthorization received: [(subject_kind, subject_name, action, flags)]."""
        calls = self._mock('GetMethodCalls', '(s)', ('CheckAuthorization',), ret='(a(tav))')[0]
        out = []
        for _, args in calls:
            kind, details = args[0]
            out.append((kind, details.get('name'), args[1], args[3]))
        return out

    def cancellation_ids(self):
        """The cancellation ids of every CheckAuthorization received, in order."""
        calls = self._mock('GetMethodCalls', '(s)', ('CheckAuthorization',), ret='(a(tav))')[0]
        return [args[4] for _, args in calls]

    def cancels(self):
        """The cancellation ids of every CancelCheckAuthorization received (the challenge
        template only)."""
        calls = self._mock('GetMethodCalls', '(s)', ('CancelCheckAuthorization',),
                           ret='(a(tav))')[0]
        return [args[0] for _, args in calls]

    def clear(self):
        self._mock('ClearCalls')


# ----------------------------------------------------------------------------------------------
# The simulator and the daemon

DAEMON_NAME = 'org.axpert.Inverter'
DEVICE_ID = 'inv'
DEVICE_PATH = f'/org/axpert/Inverter/{DEVICE_ID}'
IFACE = 'org.axpert.Inverter'

# Callers of any uid may talk to the daemon (what dbus/org.axpert.Inverter.conf grants on a real
# system).
BUS_EXTRA = f'''<policy context="default">
  <allow send_destination="{DAEMON_NAME}"/>
</policy>'''


class Sim:
    """axpert-sim behind a pty, with its control socket."""

    def __init__(self, case, *args, rundir=None, prefix=()):
        rundir = rundir or case.tmpdir
        self.tty = os.path.join(rundir, 'tty')
        self.control = os.path.join(rundir, 'sim.control')
        self.proc = case.spawn('axpert-sim', [*prefix, testlib.build_path('sim', 'axpert-sim'),
                                               f'--pty={self.tty}', '--baud=0',
                                               f'--control={self.control}', *args])
        testlib.wait_for(lambda: os.path.exists(self.tty) and os.path.exists(self.control), 10,
                         what='the simulator')

    def ctl(self, command):
        return testlib.sim_control(self.control, command)

    def history(self):
        return self.ctl('history')

    def writes(self):
        """Requests that are not queries: what could change the inverter."""
        return [h for h in self.history() if not h.startswith('Q')]

    def clear(self):
        self.ctl('history clear')

    def get(self, name):
        line = self.ctl(f'get {name}')[0]
        key, _, value = line.partition('=')
        assert key == name, line
        return value


class Daemon:
    """axpertd on the private bus for one simulated inverter. Polling is slowed right down so
    that the simulator's history shows the setters' requests and nothing else."""

    def __init__(self, case, sim, poll=3600, settings=3600, extra_env=None, prefix=()):
        self.conf = os.path.join(case.tmpdir, 'axpertd.conf')
        with open(self.conf, 'w') as f:
            f.write(f'[Daemon]\nPollInterval={poll}\nSettingsInterval={settings}\n\n'
                    f'[Device {DEVICE_ID}]\nPath=serial:{sim.tty}\n')
        env = dict(case.env, AXPERT_LOG_FIELDS='1')  # the tests read MESSAGE_ID=… from stderr
        env.update(extra_env or {})
        self.proc = case.spawn('axpertd', [*prefix, testlib.build_path('daemon', 'axpertd'),
                                            f'--config={self.conf}'], env=env)
        self.conn = connect(case.bus.address)
        testlib.wait_for(lambda: name_has_owner(self.conn, DAEMON_NAME), 30,
                         what='axpertd on the bus')
        testlib.wait_for(lambda: self.get('Online'), 30, what='the inverter online')

    def get(self, prop):
        r = self.conn.call_sync(DAEMON_NAME, DEVICE_PATH, 'org.freedesktop.DBus.Properties', 'Get',
                                GLib.Variant('(ss)', (IFACE, prop)), GLib.VariantType('(v)'),
                                Gio.DBusCallFlags.NONE, 10000, None)
        return r.unpack()[0]

    def get_all(self, path=DEVICE_PATH, iface=IFACE):
        r = self.conn.call_sync(DAEMON_NAME, path, 'org.freedesktop.DBus.Properties', 'GetAll',
                                GLib.Variant('(s)', (iface,)), GLib.VariantType('(a{sv})'),
                                Gio.DBusCallFlags.NONE, 10000, None)
        return r.unpack()[0]
