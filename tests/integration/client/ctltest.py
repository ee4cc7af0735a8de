"""Helpers for axpertctl's integration tests: run the client, start a mock or the real daemon."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


import testlib  # noqa: E402

MOCK_TEMPLATE = os.path.join(HERE, 'axpert_mock.py')
HISTORY_MOCK_TEMPLATE = os.path.join(HERE, 'history_mock.py')
AXPERTCTL = testlib.build_path('client', 'axpertctl')

# Exit codes of axpertctl(1).
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_DENIED = 4
EXIT_INVALID = 5
EXIT_NO_DEVICE = 6
EXIT_OFFLINE = 7
EXIT_REJECTED = 8
EXIT_COMMUNICATION = 9
EXIT_NOT_SUPPORTED = 10


class CtlTestCase(testlib.BusTestCase):
    """A private bus; start_mock() puts the dbusmock axpertd on it; ctl() runs axpertctl."""

    def setUp(self):
        super().setUp()
        # A UTF-8 locale for "→" and "°C", a fixed zone for timestamps; no colors unless asked.
        self.env['LC_ALL'] = 'C.UTF-8'
        self.env['TZ'] = 'UTC'
        self.env.pop('SYSTEMD_COLORS', None)
        self.env.pop('NO_COLOR', None)
        self._dbus = None

    def dbus(self):
        import dbus
        if self._dbus is None:
            self._dbus = dbus.bus.BusConnection(self.bus.address)
            self.addCleanup(self._dbus.close)
        return self._dbus

    def start_mock(self, **params):
        self.mock = self.spawn('axpertd-mock', [sys.executable, '-m', 'dbusmock', '--system', '-t',
                                                MOCK_TEMPLATE, '-p', json.dumps(params)])
        testlib.wait_for(lambda: self.dbus().name_has_owner('org.axpert.Inverter') or
                         not self.mock.running(), 20, what='the mock on the bus')
        self.assertTrue(self.mock.running(), 'the dbusmock axpertd died:\n' + self.mock.output())
        return self.mock

    def start_history_mock(self, **params):
        """The dbusmock axpert-history (history_mock.py) on the bus, beside or without axpertd."""
        self.history_mock = self.spawn('axpert-history-mock',
                                       [sys.executable, '-m', 'dbusmock', '--system', '-t',
                                        HISTORY_MOCK_TEMPLATE, '-p', json.dumps(params)])
        testlib.wait_for(lambda: self.dbus().name_has_owner('org.axpert.History') or
                         not self.history_mock.running(), 20, what='the history mock on the bus')
        self.assertTrue(self.history_mock.running(),
                        'the dbusmock axpert-history died:\n' + self.history_mock.output())
        return self.history_mock

    def history_calls(self):
        """The GetSamples/GetEnergy calls the history mock received, with their arguments."""
        obj = self.dbus().get_object('org.axpert.History', '/org/axpert/History')
        return json.loads(str(obj.Calls(dbus_interface='org.axpert.Test')))

    def mock_object(self, path):
        return self.dbus().get_object('org.axpert.Inverter', path)

    def mock_update(self, path, iface, props):
        """Changes properties of a mock object and emits PropertiesChanged (dbusmock's API)."""
        self.mock_object(path).UpdateProperties(iface, props,
                                                dbus_interface='org.freedesktop.DBus.Mock')

    def ctl(self, *args, env=None, timeout=30, input=None):
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run([AXPERTCTL] + [str(a) for a in args], capture_output=True,
                              text=True, env=e, timeout=timeout, input=input)

    def assertCtl(self, *args, rc=0, **kwargs):
        """Runs axpertctl and checks its exit code (and that stderr is one line on failure)."""
        p = self.ctl(*args, **kwargs)
        self.assertEqual(p.returncode, rc, f'axpertctl {" ".join(map(str, args))}: '
                         f'rc={p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}')
        if rc != 0:
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, f'error is not one line: {p.stderr!r}')
            self.assertTrue(lines[0].startswith('axpertctl: '), p.stderr)
        return p


class LineReader:
    """The stdout of a running axpertctl (e.g. monitor), line by line, with timeouts."""

    def __init__(self, proc):
        import queue
        import threading
        self.proc = proc
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip('\n'))
        self.lines.put(None)

    def next(self, timeout=10):
        """The next line; fails after timeout, returns None at end of output."""
        import queue
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f'no output within {timeout}s') from None

    def until(self, predicate, timeout=10):
        """Skips lines until one satisfies predicate, which is returned."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(max(0.01, deadline - time.monotonic()))
            if line is None:
                raise EOFError('output ended')
            if predicate(line):
                return line


AXPERTD = testlib.build_path('daemon', 'axpertd')
AXPERT_SIM = testlib.build_path('sim', 'axpert-sim')


class E2ETestCase(CtlTestCase):
    """The real axpertd on the private bus, talking to axpert-sim over a pty.

    The simulator runs the static scenario at full speed (--baud=0); axpertd polls rarely
    (--poll-interval=600) so that values only change when a test changes them (then
    "axpertctl refresh" makes the daemon see it at once)."""
    sim_args = ()

    def setUp(self):
        super().setUp()
        if not (os.access(AXPERTD, os.X_OK) and os.access(AXPERT_SIM, os.X_OK)):
            self.fail(f'{AXPERTD} and {AXPERT_SIM} must be built for the end-to-end tests')
        self.link = os.path.join(self.tmpdir, 'ttyAXPERT')
        self.control = os.path.join(self.tmpdir, 'sim.control')
        self.sim = self.spawn('axpert-sim', [AXPERT_SIM, f'--pty={self.link}', '--baud=0',
                                             f'--control={self.control}', *self.sim_args])
        testlib.wait_for(lambda: 'ready' in self.sim.output() or not self.sim.running(), 20,
                         what='axpert-sim ready')
        self.assertTrue(self.sim.running(), self.sim.output())
        config = os.path.join(self.tmpdir, 'axpertd.conf')
        with open(config, 'w') as f:
            f.write('[Daemon]\nPollInterval=600\n')
        self.daemon = self.spawn('axpertd', [AXPERTD, f'--config={config}', f'--device={self.link}',
                                             '--poll-interval=600'])
        testlib.wait_for(self.online, 30, what='axpertd serving an online inverter')

    def online(self):
        self.assertTrue(self.daemon.running(), 'axpertd died:\n' + self.daemon.output())
        if not self.dbus().name_has_owner('org.axpert.Inverter'):
            return False
        try:
            return bool(self.props()['Online'])
        except Exception:  # noqa: BLE001 - the object may not be there yet
            return False

    def props(self, path='/org/axpert/Inverter/0', iface='org.axpert.Inverter'):
        return self.mock_object(path).GetAll(iface, dbus_interface='org.freedesktop.DBus.Properties')

    def sim_command(self, line):
        """One control command; returns the lines before "ok" (fails on "error: …")."""
        return testlib.sim_control(self.control, line)
