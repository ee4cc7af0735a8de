'''python-dbusmock template of axpert-history's org.axpert.History (dbus/org.axpert.History.xml).

A stand-in for axpert-history over a small in-memory data set, for axpertctl's history/energy
tests: the ObjectManager at /org/axpert/History, one /org/axpert/History/<serial> per recorded
inverter with the documented properties, and GetSamples/GetEnergy implemented as the XML says
(inclusive ranges, STEP buckets aligned to the epoch and averaged, rows without data left out,
NaN where a field has no value; local calendar periods; InvalidArgs naming what is accepted).

Parameters (JSON through "python3 -m dbusmock -p"):
  objects: list of recorded inverters (default: one, DEFAULT_OBJECT), each a dict with
    serial, device (object path or "/"), energy_source, times (µs), samples {field: [value or
    None]} (Fields is its sorted keys), days [{date: "YYYY-MM-DD", Pv: kWh, …}],
    props {Name: value} (e.g. PvEnergyToday)
  fail: an error name every GetSamples/GetEnergy raises (e.g. "org.axpert.History.Error.Unavailable")
  quirk: how GetSamples bends its answer, for the client's checks: "no-empty-columns" (no rows:
    COLUMNS is [] rather than one empty array per field), "short-column" (the last column lacks
    its last value: a malformed answer)

Control interface org.axpert.Test on /org/axpert/History: Calls() returns the JSON list of the
method calls received ([method, path, args…]), so that tests see the exact arguments axpertctl sent.
'''
import datetime
import json
import math
import time

import dbus

BUS_NAME = 'org.axpert.History'
MAIN_OBJ = '/org/axpert/History'
MAIN_IFACE = 'org.axpert.Test'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

IFACE = 'org.axpert.History'
ERR_INVALID = 'org.freedesktop.DBus.Error.InvalidArgs'
MAX_ROWS = 100000
MAX_FIELDS = 64
RAW_INTERVAL_USEC = 5 * 1000000  # what step 0 (raw cycles) would hold per row
KINDS = ['Pv', 'Load', 'BatteryCharge', 'BatteryDischarge', 'Grid']
SPANS = ['Today', 'ThisMonth', 'ThisYear', 'Total']

T0 = 1796119200 * 1000000  # 2026-12-01T10:00:00Z
DEFAULT_OBJECT = {
    'serial': '92932004102453',
    'device': '/org/axpert/Inverter/0',
    'energy_source': 'integrated',
    'times': [T0 + i * 60 * 1000000 for i in range(6)],
    'samples': {
        'BatteryVoltage': [52.1, 52.25, None, 51.9, 52.0, 52.4],
        'PvInputPower': [1270.0, 1300.5, 1250.0, None, 0.0, 10.0],
        'Mode': [2, 2, 2, 3, 3, 3],
        'LoadOn': [1, 1, 0, 0, 1, 1],
        'HeatsinkTemperature': [41.0, 41.5, 42.0, 42.0, 42.5, 43.0],
        'unit1.BatteryCapacity': [87.0, 87.0, 88.0, 88.0, 89.0, None],
    },
    'days': [
        {'date': '2025-12-31', 'Pv': 1.5, 'Load': 2.0, 'BatteryCharge': 0.5, 'BatteryDischarge': 0.25, 'Grid': 1.0},
        {'date': '2026-10-31', 'Pv': 4.0, 'Load': 5.0, 'BatteryCharge': 1.0, 'BatteryDischarge': 1.5, 'Grid': 0.5},
        {'date': '2026-11-29', 'Pv': 12.34, 'Load': 10.2, 'BatteryCharge': 3.5, 'BatteryDischarge': 2.75, 'Grid': 0.0},
        {'date': '2026-11-30', 'Pv': 8.125, 'Load': 11.0, 'BatteryCharge': 2.0, 'BatteryDischarge': 3.0, 'Grid': 1.875},
        {'date': '2026-12-01', 'Pv': 3.2, 'Load': 4.1, 'BatteryCharge': 1.25, 'BatteryDischarge': 0.5, 'Grid': 0.0},
    ],
    'props': {},
}


def raise_error(name, message):
    raise dbus.exceptions.DBusException(message, name=name)


def path_encode(serial):
    '''sd_bus_path_encode()'s escaping: characters outside [A-Za-z0-9], and a leading digit, as _XX.'''
    out = ''
    for i, c in enumerate(serial):
        if (c.isascii() and c.isalnum()) and not (i == 0 and c.isdigit()):
            out += c
        else:
            out += '_%02x' % ord(c)
    return out or '_'


def local_midnight(y, m, d):
    return int(time.mktime((y, m, d, 0, 0, 0, 0, 0, -1))) * 1000000


def period_start(period, date):
    y, m, d = (int(x) for x in date.split('-'))
    if period == 'day':
        return local_midnight(y, m, d), local_midnight(*next_day(y, m, d))
    if period == 'month':
        return local_midnight(y, m, 1), local_midnight(y + (m == 12), m % 12 + 1, 1)
    return local_midnight(y, 1, 1), local_midnight(y + 1, 1, 1)


def next_day(y, m, d):
    n = datetime.date(y, m, d) + datetime.timedelta(days=1)
    return n.year, n.month, n.day


def make_methods(data, fail, calls, quirk):
    fields = sorted(data['samples'])

    def get_samples(self, since, until, step, wanted):
        calls.append(['GetSamples', str(self.path), int(since), int(until), int(step),
                      [str(f) for f in wanted]])
        if fail:
            raise_error(fail, 'mock failure ' + fail)
        if len(wanted) > MAX_FIELDS:
            raise_error(ERR_INVALID, f'at most {MAX_FIELDS} fields per call')
        for f in wanted:
            if f not in fields:
                raise_error(ERR_INVALID, f'unknown field "{f}"; accepted fields: ' + ', '.join(fields))
        if since > until:
            raise_error(ERR_INVALID, 'since is after until')
        rows = (until - since) // (step * 1000000 if step else RAW_INTERVAL_USEC) + 1
        if rows > MAX_ROWS:
            raise_error(ERR_INVALID, f'at most {MAX_ROWS} rows per call ({rows} at step {step}); '
                                     'narrow the range or raise STEP')
        picked = [j for j, t in enumerate(data['times']) if since <= t <= until]
        if step == 0:
            times = [data['times'][j] for j in picked]
            columns = [[math.nan if data['samples'][f][j] is None else float(data['samples'][f][j])
                        for j in picked] for f in wanted]
        else:
            buckets = {}
            for j in picked:
                t = data['times'][j]
                buckets.setdefault(t // (step * 1000000) * step * 1000000, []).append(j)
            times = sorted(buckets)
            columns = []
            for f in wanted:
                col = []
                for b in times:
                    vals = [data['samples'][f][j] for j in buckets[b] if data['samples'][f][j] is not None]
                    col.append(sum(vals) / len(vals) if vals else math.nan)
                columns.append(col)
        if quirk == 'no-empty-columns' and not times:
            columns = []
        if quirk == 'short-column' and columns and columns[-1]:
            columns[-1] = columns[-1][:-1]
        return (dbus.Array(times, signature='t'),
                dbus.Array([dbus.Array(c, signature='d') for c in columns], signature='ad'))

    def get_energy(self, period, since, until):
        calls.append(['GetEnergy', str(self.path), str(period), int(since), int(until)])
        if fail:
            raise_error(fail, 'mock failure ' + fail)
        if period not in ('day', 'month', 'year'):
            raise_error(ERR_INVALID, f'unknown period "{period}"; accepted periods: day, month, year')
        if since > until:
            raise_error(ERR_INVALID, 'since is after until')
        sums = {}
        for day in data['days']:
            start, end = period_start(period, day['date'])
            if start <= until and end > since:
                s = sums.setdefault(start, {k: 0.0 for k in KINDS})
                for k in KINDS:
                    s[k] += day[k]
        return dbus.Array([dbus.Struct((dbus.UInt64(t), dbus.Dictionary(sums[t], signature='sd')),
                                       signature='ta{sd}') for t in sorted(sums)],
                          signature='(ta{sd})')

    return [('GetSamples', 'ttuas', 'ataad', get_samples),
            ('GetEnergy', 'stt', 'a(ta{sd})', get_energy)]


def build_props(data):
    times = data['times']
    props = {
        'SerialNumber': dbus.String(data['serial']),
        'Device': dbus.ObjectPath(data.get('device', '/')),
        'FirstSampleTimestamp': dbus.UInt64(min(times) if times else 0),
        'LastSampleTimestamp': dbus.UInt64(max(times) if times else 0),
        'Fields': dbus.Array(sorted(data['samples']), signature='s'),
        'EnergySource': dbus.String(data.get('energy_source', 'integrated')),
    }
    for i, k in enumerate(KINDS):
        for j, s in enumerate(SPANS):
            props[f'{k}Energy{s}'] = dbus.Double(data.get('props', {}).get(f'{k}Energy{s}',
                                                                          (i + 1) * 10 ** j + 0.125))
    return dbus.Dictionary(props, signature='sv')


def load(mock, parameters):
    objects = parameters.get('objects', [DEFAULT_OBJECT])
    fail = parameters.get('fail')
    calls = []
    for data in objects:
        merged = dict(DEFAULT_OBJECT)
        merged.update(data)
        mock.AddObject(f'{MAIN_OBJ}/{path_encode(merged["serial"])}', IFACE, build_props(merged),
                       make_methods(merged, fail, calls, parameters.get('quirk')))
    mock.AddMethod(MAIN_IFACE, 'Calls', '', 's', lambda self: json.dumps(calls))
