"""Helpers for the axpert-history integration tests: the simulator and the real axpertd
(daemonlib) on a private bus, axpert-history on the same bus with its own database, and typed
calls of org.axpert.History."""
import math
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'daemon'))

import gi  # noqa: E402

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

import daemonlib  # noqa: E402
import testlib  # noqa: E402

NAME = 'org.axpert.History'
ROOT = '/org/axpert/History'
IFACE = 'org.axpert.History'
XML = testlib.source_path('dbus', 'org.axpert.History.xml')
KINDS = ('Pv', 'Load', 'BatteryCharge', 'BatteryDischarge', 'Grid')
PERIODS = ('Today', 'ThisMonth', 'ThisYear', 'Total')


def history_binary():
    return testlib.build_path('history', 'axpert-history')


def object_path(serial):
    """As the XML says (sd_bus_path_encode): [A-Za-z0-9] kept, anything else _XX."""
    if not serial:
        return ROOT + '/_'
    return ROOT + '/' + ''.join(c if c.isascii() and c.isalnum() else f'_{ord(c):02x}'
                                for c in serial)


class HistoryBus:
    """Calls of org.axpert.History on the private bus."""

    def __init__(self, address):
        self.conn = Gio.DBusConnection.new_for_address_sync(
            address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def close(self):
        if not self.conn.is_closed():  # the bus may have been killed on purpose
            self.conn.close_sync(None)

    def call(self, path, iface, method, args=None, reply='()', timeout_ms=30000):
        v = self.conn.call_sync(NAME, path, iface, method, args,
                                GLib.VariantType(reply) if reply else None,
                                Gio.DBusCallFlags.NO_AUTO_START, timeout_ms, None)
        return v.unpack()

    def has_name(self):
        return self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                   'org.freedesktop.DBus', 'NameHasOwner',
                                   GLib.Variant('(s)', (NAME,)), GLib.VariantType('(b)'),
                                   Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]

    def managed(self):
        return self.call(ROOT, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects',
                         None, '(a{oa{sa{sv}}})')[0]

    def props(self, serial):
        return self.call(object_path(serial), 'org.freedesktop.DBus.Properties', 'GetAll',
                         GLib.Variant('(s)', (IFACE,)), '(a{sv})')[0]

    def get_samples(self, serial, since, until, step, fields):
        return self.call(object_path(serial), IFACE, 'GetSamples',
                         GLib.Variant('(ttuas)', (since, until, step, list(fields))),
                         '(ataad)')

    def get_energy(self, serial, period, since, until):
        return self.call(object_path(serial), IFACE, 'GetEnergy',
                         GLib.Variant('(stt)', (period, since, until)), '(a(ta{sd}))')[0]

    def introspect(self, path):
        return self.call(path, 'org.freedesktop.DBus.Introspectable', 'Introspect', None,
                         '(s)')[0]


def now_usec():
    return int(time.time() * 1e6)


def energy_sum(periods, kind):
    return sum(p[1][kind] for p in periods)


class HistoryTestCase(daemonlib.DaemonTestCase):
    """daemonlib's simulator + axpertd, and axpert-history. Subclasses call start(...) for the
    daemon (daemonlib) and start_history(...)."""

    def write_config(self, **keys):
        history = {'PollInterval': '0.5', 'CommitInterval': '1'}
        history.update({k: str(v) for k, v in keys.items()})
        path = os.path.join(self.tmpdir, 'history.conf')
        with open(path, 'w') as f:
            f.write('[History]\n' + ''.join(f'{k}={v}\n' for k, v in history.items()))
        return path

    def start_history(self, database=None, config=None, wait=True, **keys):
        self.database = database or getattr(self, 'database', None) or \
            os.path.join(self.tmpdir, 'history.db')
        config = config or self.write_config(**keys)
        self.history = self.spawn('axpert-history', [history_binary(), f'--config={config}',
                                                     f'--database={self.database}'])
        if not hasattr(self, 'hbus'):
            self.hbus = HistoryBus(self.bus.address)
            self.addCleanup(self.hbus.close)
        if wait:
            testlib.wait_for(lambda: self.hbus.has_name() or not self.history.running(), 30,
                             0.05, what='org.axpert.History on the bus')
            self.assertTrue(self.history.running(), 'axpert-history exited:\n' +
                            self.history.output())
        return self.history

    def stop_history(self, sig=signal.SIGTERM):
        rc = self.history.stop(sig, timeout=20)
        testlib.wait_for(lambda: not self.hbus.has_name(), 10, what='the name to go')
        return rc

    def serial(self):
        return self.dbus.get('SerialNumber')

    def wait_object(self, serial, timeout=30):
        path = object_path(serial)
        return testlib.wait_for(lambda: self.hbus.managed().get(path), timeout, 0.1,
                                what=f'{path} in GetManagedObjects')

    def samples(self, serial, fields, since=None, until=None, step=0):
        # The last hour by default: a step-0 query answers from the finest tier that holds
        # SINCE, and the raw tier holds the last RawDays.
        if since is None:
            since = now_usec() - 3600 * 10**6
        times, columns = self.hbus.get_samples(serial, since, until or now_usec() + 10**9,
                                               step, fields)
        return times, columns

    def wait_samples(self, serial, fields, n, timeout=30):
        """Until at least n rows of fields are recorded; returns (times, columns)."""
        def enough():
            try:
                t, c = self.samples(serial, fields)
            except GLib.Error:
                return None
            return (t, c) if len(t) >= n else None
        return testlib.wait_for(enough, timeout, 0.2, what=f'{n} samples of {fields}')

    def assert_invalid_args(self, fn, *needles):
        with self.assertRaises(GLib.Error) as cm:
            fn()
        msg = cm.exception.message
        self.assertIn('org.freedesktop.DBus.Error.InvalidArgs', msg)
        for n in needles:
            self.assertIn(n, msg)
        return msg


def finite(values):
    return [v for v in values if not math.isnan(v)]
