#!/usr/bin/python3
"""In the test guest: GetAll on axpertd's first object over the system bus every 50 ms until
SIGTERM; each call's start (/proc/uptime, the scenario's clock), duration, and the Online,
LastError and UsbResets it returned go to DIR/getall.json. DIR/sampler.ready appears after the
first call, DIR/recovered once Online is true again after having been false — so the scenario
waits on files instead of spawning busctl while the latency is measured."""
import json
import os
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


def touch(name):
    with open(os.path.join(out, name), 'w') as f:
        f.write(f'{uptime()}\n')


signal.signal(signal.SIGTERM, stop)
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
was_offline = False
while running:
    t, start = uptime(), time.monotonic()
    sample = {'t': t}
    try:
        reply = bus.call_sync('org.axpert.Inverter', '/org/axpert/Inverter/0',
                              'org.freedesktop.DBus.Properties', 'GetAll',
                              GLib.Variant('(s)', ('org.axpert.Inverter',)),
                              GLib.VariantType('(a{sv})'), Gio.DBusCallFlags.NONE, 10000, None)
        sample['ms'] = (time.monotonic() - start) * 1000
        props = reply.get_child_value(0)
        for name in ('Online', 'LastError', 'UsbResets'):
            v = props.lookup_value(name, None)
            sample[name] = v.unpack() if v is not None else None
    except GLib.Error as e:
        sample['ms'] = (time.monotonic() - start) * 1000
        sample['error'] = e.message
    # The bus daemon's own answer, timed the same way just after: the guest's scheduling noise
    # (an emulated CPU on a loaded host) that is not the daemon's.
    start = time.monotonic()
    try:
        bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                      'GetId', None, GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE, 10000, None)
        sample['bus_ms'] = (time.monotonic() - start) * 1000
    except GLib.Error:
        pass
    samples.append(sample)
    if len(samples) == 1:
        touch('sampler.ready')
    if sample.get('Online') is False:
        was_offline = True
    elif sample.get('Online') and was_offline and not os.path.exists(f'{out}/recovered'):
        touch('recovered')
    time.sleep(0.05)
with open(os.path.join(out, 'getall.json'), 'w') as f:
    json.dump(samples, f)
