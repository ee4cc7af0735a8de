"""python-dbusmock template: org.axpert.History (dbus/org.axpert.History.xml) with a small recorded series.

Stands in for axpert-history in the browser test until that service is on main: one inverter
whose last six hours are "recorded" (one row per 5 minutes, or per STEP when it is larger) and
whose last three local days have energy. Parameters (JSON, -p):
  serial: the inverter's serial number (default 92932105105335, the simulator's)
  device: its org.axpert.Inverter object path (default /org/axpert/Inverter/0)
"""
import dbus

BUS_NAME = 'org.axpert.History'
MAIN_OBJ = '/org/axpert/History'
MAIN_IFACE = 'org.axpert.History'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

FIELDS = ['AcOutputActivePower', 'BatteryCapacity', 'BatteryVoltage', 'Mode', 'PvInputPower']


def path_encode(serial):
    """sd_bus_path_encode()'s escaping of one path element: [A-Za-z0-9] as is, else _XX."""
    return ''.join(c if c.isascii() and c.isalnum() else f'_{ord(c):02x}' for c in serial)


# The methods run inside python-dbusmock: 'args' are the call's arguments, 'ret' the reply. The
# code is a function because python-dbusmock exec()s it with separate locals, which
# comprehensions and nested functions would not see.
GET_SAMPLES = '''
def _run(args):
    import dbus
    import math, time
    since, until, step, fields = args
    known = %r
    bad = [f for f in fields if f not in known]
    if bad:
        raise dbus.exceptions.DBusException(
            'unknown field %%s; known fields: %%s' %% (bad[0], ' '.join(known)),
            name='org.freedesktop.DBus.Error.InvalidArgs')
    if len(fields) > 64:
        raise dbus.exceptions.DBusException('at most 64 fields per call',
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
    now = int(time.time())
    every = max(int(step), 300)
    first = max(int(since) // 1000000, now - 6 * 3600)
    last = min(int(until) // 1000000, now)
    first = (first + every - 1) // every * every
    times = list(range(first, last + 1, every)) if last >= first else []
    def value(name, t):
        # Waves of a few hours, whatever the time of day the test runs at: a flat line at
        # zero (PV at night) would be hard to tell from an empty chart.
        wave = math.sin(t / 2400.0)
        if name == 'PvInputPower':
            return round(1600.0 + 1400.0 * wave, 1)
        if name == 'AcOutputActivePower':
            return round(450.0 + 250.0 * math.sin(t / 1700.0), 1)
        if name == 'BatteryVoltage':
            return round(51.0 + 2.0 * wave, 2)
        if name == 'BatteryCapacity':
            return round(70.0 + 25.0 * wave, 1)
        return 2.0
    columns = [dbus.Array([value(f, t) for t in times], signature='d') for f in fields]
    return (dbus.Array([dbus.UInt64(t * 1000000) for t in times], signature='t'),
           dbus.Array(columns, signature='ad'))
ret = _run(args)
''' % (FIELDS,)

GET_ENERGY = '''
def _run(args):
    import dbus
    import time
    period, since, until = args
    if period not in ('day', 'month', 'year'):
        raise dbus.exceptions.DBusException(
            'unknown period %s; accepted: day month year' % period,
            name='org.freedesktop.DBus.Error.InvalidArgs')
    now = time.localtime()
    starts = []
    if period == 'day':
        for back in (2, 1, 0):
            starts.append(int(time.mktime((now.tm_year, now.tm_mon, now.tm_mday - back, 0, 0, 0, 0, 0, -1))))
    elif period == 'month':
        starts.append(int(time.mktime((now.tm_year, now.tm_mon, 1, 0, 0, 0, 0, 0, -1))))
    else:
        starts.append(int(time.mktime((now.tm_year, 1, 1, 0, 0, 0, 0, 0, -1))))
    rows = []
    for i, s in enumerate(starts):
        if s * 1000000 > int(until):
            continue
        kwh = {'Pv': 11.5 + i, 'Load': 9.25, 'BatteryCharge': 3.5, 'BatteryDischarge': 2.75, 'Grid': 1.5}
        rows.append((dbus.UInt64(s * 1000000), dbus.Dictionary(kwh, signature='sd')))
    return dbus.Array(rows, signature='(ta{sd})')
ret = _run(args)
'''


def load(mock, parameters):
    serial = parameters.get('serial', '92932105105335')
    device = parameters.get('device', '/org/axpert/Inverter/0')
    import time
    now_us = int(time.time()) * 1000000
    props = {
        'SerialNumber': serial,
        'Device': dbus.ObjectPath(device),
        'FirstSampleTimestamp': dbus.UInt64(now_us - 6 * 3600 * 1000000),
        'LastSampleTimestamp': dbus.UInt64(now_us),
        'Fields': dbus.Array(FIELDS, signature='s'),
        'EnergySource': 'integrated',
    }
    for kind in ('Pv', 'Load', 'BatteryCharge', 'BatteryDischarge', 'Grid'):
        for when in ('Today', 'ThisMonth', 'ThisYear', 'Total'):
            props[f'{kind}Energy{when}'] = dbus.Double(1.5)
    mock.AddObject(f'{MAIN_OBJ}/{path_encode(serial)}', MAIN_IFACE, props, [
        ('GetSamples', 'ttuas', 'ataad', GET_SAMPLES),
        ('GetEnergy', 'stt', 'a(ta{sd})', GET_ENERGY),
    ])
