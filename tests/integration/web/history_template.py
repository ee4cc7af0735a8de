"""python-dbusmock template: org.axpert.History as dbus/org.axpert.History.xml describes it.

One object per serial in parameters['serials'] (default ['92932105105335']). GetSamples answers
one row per STEP (60 s when 0) from SINCE to UNTIL, each field a known function of the time
(value = time in seconds modulo 1000, plus the field's index), NaN every 7th row; an unknown
field is InvalidArgs naming the known ones. GetEnergy answers one period per local day in the
range with fixed numbers. A serial 'BROKEN' answers org.axpert.History.Error.Unavailable.
"""
import dbus

BUS_NAME = 'org.axpert.History'
MAIN_OBJ = '/org/axpert/History'
MAIN_IFACE = 'org.freedesktop.DBus.ObjectManager'
SYSTEM_BUS = True
IFACE = 'org.axpert.History'

FIELDS = ['AcOutputActivePower', 'BatteryCapacity', 'BatteryVoltage', 'Mode', 'PvInputPower']


def encode(serial):
    return ''.join(c if c.isalnum() and c.isascii() else '_%02x' % ord(c) for c in serial) or '_'


SAMPLES = '''
import math
since, until, step, fields = args
known = %r
if self.__dict__.get('broken'):
    raise dbus.exceptions.DBusException('the database cannot be read', name='org.axpert.History.Error.Unavailable')
for f in fields:
    if f not in known:
        raise dbus.exceptions.DBusException('unknown field %%s; known: %%s' %% (f, ' '.join(known)), name='org.freedesktop.DBus.Error.InvalidArgs')
s = step or 60
first = (since + s * 1000000 - 1) // (s * 1000000) * s
if (until // 1000000 - first) // s > 100000:
    raise dbus.exceptions.DBusException('more than 100000 rows', name='org.freedesktop.DBus.Error.InvalidArgs')
times = []
for t in range(first, until // 1000000 + 1, s):
    times.append(t * 1000000)
cols = []
for i in range(len(fields)):
    col = []
    for t in times:
        sec = t // 1000000
        col.append(float('nan') if (sec // s) %% 7 == 0 else float(sec %% 1000 + i))
    cols.append(dbus.Array(col, signature='d'))
ret = (dbus.Array(times, signature='t'), dbus.Array(cols, signature='ad'))
''' % FIELDS

ENERGY = '''
period, since, until = args
if self.__dict__.get('broken'):
    raise dbus.exceptions.DBusException('the database cannot be read', name='org.axpert.History.Error.Unavailable')
if period not in ('day', 'month', 'year'):
    raise dbus.exceptions.DBusException('period %s: accepted day month year' % period, name='org.freedesktop.DBus.Error.InvalidArgs')
day = 86400 * 1000000
start = since - since % day
out = []
t = start
while t <= until and len(out) < 1000:
    out.append((dbus.UInt64(t), dbus.Dictionary({'Pv': 5.5, 'Load': 4.25, 'BatteryCharge': 1.0, 'BatteryDischarge': 0.5, 'Grid': 0.0}, signature='sd')))
    t += day
ret = dbus.Array(out, signature='(ta{sd})')
'''


def load(mock, parameters):
    for serial in parameters.get('serials', ['92932105105335']) + ['BROKEN']:
        path = f'{MAIN_OBJ}/{encode(serial)}'
        mock.AddObject(path, IFACE, {
            'SerialNumber': dbus.String(serial),
            'Device': dbus.ObjectPath('/'),
            'FirstSampleTimestamp': dbus.UInt64(0),
            'LastSampleTimestamp': dbus.UInt64(0),
            'Fields': dbus.Array(FIELDS, signature='s'),
            'EnergySource': dbus.String('integrated'),
        }, [
            ('GetSamples', 'ttuas', 'ataad', SAMPLES),
            ('GetEnergy', 'stt', 'a(ta{sd})', ENERGY),
        ])
    import dbusmock.mockobject as mo
    mo.objects[f'{MAIN_OBJ}/BROKEN'].broken = True
