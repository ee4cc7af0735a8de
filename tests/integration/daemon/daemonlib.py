"""Helpers for the axpertd integration tests: simulator + daemon on a private bus, GDBus access.

The simulator runs behind a pty (serial transport) or behind one end of a SOCK_SEQPACKET
socketpair whose other end the daemon inherits as hidraw:fd:N. Its control socket is the
ground truth the tests compare the daemon's properties with.
"""
import math
import os
import socket
import threading
import time

import gi

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

import testlib  # noqa: E402

BUS_NAME = 'org.axpert.Inverter'
ROOT = '/org/axpert/Inverter'
IFACE = 'org.axpert.Inverter'
UNIT_IFACE = 'org.axpert.Inverter.Unit'


def sim_binary():
    return testlib.build_path('sim', 'axpert-sim')


def daemon_binary():
    return testlib.build_path('daemon', 'axpertd')


# The inverter's clock and counters: they change between the daemon's read and the test's.
RUNNING_READINGS = ('DeviceTime', 'PvEnergyTotal', 'PvEnergyToday', 'LoadEnergyTotal',
                    'LoadEnergyToday')


class Control:
    """The simulator's control socket: one command per line, answered by lines ending in ok/error."""

    def __init__(self, path):
        self.path = path
        self.sock = None

    def connect(self):
        # The socket file exists from bind(), before the simulator listens: retry until it
        # accepts instead of trusting the file.
        def attempt():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                return None
            return sock
        self.sock = testlib.wait_for(attempt, 10, what='sim control socket')
        self.sock.settimeout(10)
        self.buf = b''
        return self

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def command(self, line):
        self.sock.sendall(line.encode() + b'\n')
        lines = []
        while True:
            while b'\n' not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError('control socket closed')
                self.buf += chunk
            raw, self.buf = self.buf.split(b'\n', 1)
            text = raw.decode()
            if text == 'ok':
                return lines
            if text.startswith('error:'):
                raise RuntimeError(f'{line!r}: {text}')
            lines.append(text)

    def get(self, name, unit=None):
        prefix = f'unit {unit} ' if unit is not None else ''
        out = self.command(f'{prefix}get {name}')
        key, _, value = out[-1].partition('=')
        assert key == name, out
        return value

    def set(self, name, value, unit=None):
        prefix = f'unit {unit} ' if unit is not None else ''
        self.command(f'{prefix}set {name} {value}')

    def count(self):
        out = self.command('count')
        return int(out[-1].split('=')[1])

    def history(self):
        return self.command('history')

    def history_clear(self):
        self.command('history clear')

    def fault(self, name):
        self.command(f'fault {name}')


class Bus:
    """A GDBus connection to the private system bus."""

    def __init__(self, address):
        self.conn = Gio.DBusConnection.new_for_address_sync(
            address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.signals = []
        self.ctx = GLib.MainContext.default()

    def close(self):
        self.conn.close_sync(None)

    def call(self, path, iface, method, args=None, reply='()', timeout_ms=30000):
        v = self.conn.call_sync(BUS_NAME, path, iface, method, args,
                                GLib.VariantType(reply), Gio.DBusCallFlags.NONE, timeout_ms,
                                None)
        return v.unpack()

    def get_all(self, path=ROOT + '/0', iface=IFACE):
        return self.call(path, 'org.freedesktop.DBus.Properties', 'GetAll',
                         GLib.Variant('(s)', (iface,)), '(a{sv})')[0]

    def get(self, name, path=ROOT + '/0', iface=IFACE):
        return self.call(path, 'org.freedesktop.DBus.Properties', 'Get',
                         GLib.Variant('(ss)', (iface, name)), '(v)')[0]

    def managed_objects(self):
        return self.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects',
                         None, '(a{oa{sa{sv}}})')[0]

    def has_name(self):
        return self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                   'org.freedesktop.DBus', 'NameHasOwner',
                                   GLib.Variant('(s)', (BUS_NAME,)), GLib.VariantType('(b)'),
                                   Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]

    def subscribe(self, member=None, path=None, iface=None):
        """Records signals from the daemon into self.signals as (path, member, args)."""
        def cb(conn, sender, obj, interface, sig, params):
            self.signals.append((obj, sig, params.unpack()))
        return self.conn.signal_subscribe(None, iface, member, path, None,
                                          Gio.DBusSignalFlags.NONE, cb)

    def pump(self, seconds):
        """Lets GLib dispatch signals for this long."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            while self.ctx.pending():
                self.ctx.iteration(False)
            time.sleep(0.01)
        while self.ctx.pending():
            self.ctx.iteration(False)

    def pump_until(self, predicate, timeout=20, what='condition'):
        end = time.monotonic() + timeout
        while True:
            while self.ctx.pending():
                self.ctx.iteration(False)
            value = predicate()
            if value:
                return value
            if time.monotonic() > end:
                raise TimeoutError(f'timed out after {timeout}s waiting for {what}')
            time.sleep(0.02)

    def properties_changed(self, path=ROOT + '/0'):
        return [s[2] for s in self.signals
                if s[0] == path and s[1] == 'PropertiesChanged']


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def sim_text_to_python(text, like):
    """Converts the sim's `get` text to the type of the D-Bus value it should equal."""
    if text == '-':
        if isinstance(like, float):
            return float('nan')
        if isinstance(like, bool):
            return False
        if isinstance(like, list):
            return []
        if isinstance(like, int):
            return 0
        return None  # strings: not comparable ("" or "unknown")
    if isinstance(like, bool):
        return text == 'true'
    if isinstance(like, float):
        return float(text)
    if isinstance(like, int):
        return int(text)
    if isinstance(like, list):
        return [float(x) for x in text.split(',')] if text else []
    return text


class DaemonTestCase(testlib.BusTestCase):
    """A simulator and axpertd on a private bus. Subclasses call start(...)."""

    transport = 'pty'

    def start_sim(self, *args, transport=None):
        transport = transport or self.transport
        self.control_path = os.path.join(self.tmpdir, 'sim.control')
        argv = [sim_binary(), f'--control={self.control_path}'] + list(args)
        kwargs = {}
        if transport == 'pty':
            self.link = os.path.join(self.tmpdir, 'ttyAXPERT')
            argv.append(f'--pty={self.link}')
            self.device_spec = self.link
            self.daemon_fds = ()
        else:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.addCleanup(a.close)
            self.addCleanup(b.close)
            argv.append(f'--seqpacket={a.fileno()}')
            kwargs['pass_fds'] = (a.fileno(),)
            self.device_spec = f'hidraw:fd:{b.fileno()}'
            self.daemon_fds = (b.fileno(),)
        self.sim = self.spawn('axpert-sim', argv, **kwargs)
        if transport == 'seqpacket':
            # The sim has its end now; the test must not keep reading it.
            pass
        self.control = Control(self.control_path).connect()
        self.addCleanup(self.control.close)
        if transport == 'pty':
            testlib.wait_for(lambda: os.path.exists(self.link), 10, what='sim pty link')
        return self.sim

    def start_daemon(self, *args, device=True, wait_name=True, log_fields=True):
        argv = [daemon_binary()]
        if device:
            argv.append(f'--device={self.device_spec}')
        argv += list(args)
        # The tests read the journal fields (MESSAGE_ID=…) from stderr: they ask for them, as
        # a program reading the log would; a person's log has the text alone.
        env = dict(self.env, AXPERT_LOG_FIELDS='1' if log_fields else '0')
        self.daemon = self.spawn('axpertd', argv, env=env, pass_fds=self.daemon_fds)
        self.dbus = Bus(self.bus.address)
        self.addCleanup(self.dbus.close)
        if wait_name:
            testlib.wait_for(lambda: self.dbus.has_name() or not self.daemon.running(), 30,
                             what='org.axpert.Inverter on the bus')
            self.assertTrue(self.daemon.running(), 'axpertd exited')
        return self.daemon

    def wait_online(self, online=True, timeout=30):
        def check():
            self.assertTrue(self.daemon.running(), 'axpertd exited')
            return self.dbus.get('Online') == online
        testlib.wait_for(check, timeout, 0.1, what=f'Online={online}')

    def start(self, *sim_args, daemon_args=('--poll-interval=0.5',), transport=None):
        self.start_sim(*sim_args, transport=transport)
        self.start_daemon(*daemon_args)
        self.wait_online()

    def start_relayed(self, *sim_args, daemon_args=('--poll-interval=0.5',)):
        """The simulator behind a hostile pty of the test's (relay.py), then the daemon on it."""
        import relay
        self.start_sim(*sim_args)
        self.relay = relay.Relay(self.tmpdir, self.link).start()
        self.addCleanup(self.relay.stop)
        self.device_spec = self.relay.link
        self.start_daemon(*daemon_args)
        self.wait_online()

    def assert_matches_sim(self, props, unit=None, skip=()):
        """Every property that is a simulator field equals the simulator's value (but the
        clock and the energy counters, which run on their own: test-daemon-energy.py)."""
        compared = 0
        for name, value in sorted(props.items()):
            if name in skip or name in RUNNING_READINGS:
                continue
            try:
                text = self.control.get(name, unit=unit)
            except RuntimeError:
                continue  # derived property: not a simulator field
            expected = sim_text_to_python(text, value)
            if expected is None:
                continue
            if isinstance(value, float) and isinstance(expected, float) and \
                    not math.isnan(expected):
                self.assertAlmostEqual(value, expected, places=3, msg=f'{name}: {value} != {text}')
            else:
                self.assertTrue(same(value, expected), f'{name}: daemon {value!r}, sim {text!r}')
            compared += 1
        return compared

    def concurrent(self, n, fn):
        """Runs fn(i) in n threads at once; returns their results (re-raises the first error)."""
        results = [None] * n
        errors = []
        barrier = threading.Barrier(n)

        def run(i):
            try:
                barrier.wait()
                results[i] = fn(i)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results
