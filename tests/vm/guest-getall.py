#!/usr/bin/python3
"""In the test guest: GetAll on axpertd's first object over the system bus every 50 ms until
SIGTERM, each call's start (/proc/uptime, the scenario's clock) and duration into a JSON file;
a call that fails counts with its error."""
import json
import signal
import sys
import time

import gi

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

out = sys.argv[1]
samples = []
running = True


def stop(*_):
    global running
    running = False


def uptime():
    with open('/proc/uptime') as f:
        return float(f.read().split()[0])


signal.signal(signal.SIGTERM, stop)
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
while running:
    t, start = uptime(), time.monotonic()
    error = None
    try:
        bus.call_sync('org.axpert.Inverter', '/org/axpert/Inverter/0',
                      'org.freedesktop.DBus.Properties', 'GetAll',
                      GLib.Variant('(s)', ('org.axpert.Inverter',)), GLib.VariantType('(a{sv})'),
                      Gio.DBusCallFlags.NONE, 10000, None)
    except GLib.Error as e:
        error = e.message
    samples.append({'t': t, 'ms': (time.monotonic() - start) * 1000, 'error': error})
    time.sleep(0.05)
with open(out, 'w') as f:
    json.dump(samples, f)
