"""Helpers for the setters' integration tests: callers with another uid, the polkit mock, gi calls.

Imported by the tests in this directory only; the shared harness is tests/integration/testlib.py.
"""
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def _import_testlib():
    try:
        import testlib
        return testlib
    except AttributeError:
        # testlib.Process defines a method named "signal" before "stop(sig=signal.SIGTERM)", so
        # the default is looked up on the method and importing fails. Until the shared file is
        # fixed, load it with that one default spelled out (the same value).
        path = os.path.join(os.path.dirname(HERE), 'testlib.py')
        with open(path) as f:
            source = f.read().replace('sig=signal.SIGTERM', 'sig=15')
        spec = importlib.util.spec_from_loader('testlib', loader=None)
        module = importlib.util.module_from_spec(spec)
        module.__file__ = path
        sys.modules['testlib'] = module
        exec(compile(source, path, 'exec'), module.__dict__)
        return module


testlib = _import_testlib()

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


def call_argv(dest, path, iface, method, signature='', args=(), interactive=False,
              timeout=30, uid=None, gid=None):
    """The command line of a call through call.py, run as uid:gid when given."""
    argv = [PYTHON, CALL_PY, '--timeout', str(timeout)]
    if interactive:
        argv.append('--interactive')
    argv += [dest, path, iface, method, signature, json.dumps(list(args))]
    if uid is not None:
        argv = ['setpriv', f'--reuid={uid}', f'--regid={gid if gid is not None else uid}',
                '--clear-groups', '--'] + argv
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

    def clear(self):
        self._mock('ClearCalls')
