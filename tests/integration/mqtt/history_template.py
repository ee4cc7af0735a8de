"""python-dbusmock template: org.axpert.History (axpert-history) as dbus/org.axpert.History.xml says.

One object per serial number at /org/axpert/History/<serial>, every property of the XML with a
value of its type; the energy counters (the 'd' properties in kWh) all different and non-zero,
so that a value published from anywhere else (a made-up 0, a counter under the wrong key) shows.
Like the real service, PropertiesChanged only when asked (the real one: at most once a minute).
Parameters (JSON, -p):
  xml: path of org.axpert.History.xml (default: the source tree's, beside this file)
  serials: the serial numbers to serve at start (default ["92931701100123"])
  offset: added to every counter (default 0), to tell one run's values from another's
Test methods on /org/axpert/History, interface org.axpert.Test:
  AddHistory(s serial, d offset)  a new object, announced with InterfacesAdded
  RemoveHistory(s serial)         announced with InterfacesRemoved, then removed
Counters change with the mock's own UpdateProperties (org.freedesktop.DBus.Mock) on the object.
"""
import os
import xml.etree.ElementTree as ET

import dbus

BUS_NAME = 'org.axpert.History'
MAIN_OBJ = '/org/axpert/History'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

IFACE = 'org.axpert.History'
TEST_IFACE = 'org.axpert.Test'
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_XML = os.path.join(HERE, '..', '..', '..', 'dbus', 'org.axpert.History.xml')
UNIT = 'org.axpert.Doc.Unit'


def read_contract(path):
    """[(name, signature, unit or None)] of org.axpert.History's properties, in XML order."""
    root = ET.parse(path).getroot()
    iface = next(i for i in root.findall('interface') if i.get('name') == IFACE)
    out = []
    for p in iface.findall('property'):
        unit = next((a.get('value') for a in p.findall('annotation') if a.get('name') == UNIT),
                    None)
        out.append((p.get('name'), p.get('type'), unit))
    return out


def counters(contract):
    """The energy counters: the 'd' properties in kWh, in XML order."""
    return [name for name, sig, unit in contract if sig == 'd' and unit == 'kWh']


def counter_value(index, offset=0.0):
    """The value the mock serves for the index-th counter: distinct, non-zero, not integral."""
    return round(1.25 + 3.5 * index + offset, 3)


def escape(serial):
    """An object path element as sd_bus_path_encode() makes it."""
    return ''.join(c if c.isascii() and c.isalnum() else '_%02x' % ord(c) for c in serial)


def history_properties(contract, serial, offset):
    values = {}
    names = counters(contract)
    for name, sig, _ in contract:
        if name == 'SerialNumber':
            v = dbus.String(serial)
        elif name == 'Device':
            v = dbus.ObjectPath('/org/axpert/Inverter/0')
        elif name == 'EnergySource':
            v = dbus.String('integrated')
        elif name in names:
            v = dbus.Double(counter_value(names.index(name), offset))
        elif sig == 't':
            v = dbus.UInt64(1700000000000000)
        elif sig == 'd':
            v = dbus.Double(0.0)
        elif sig == 's':
            v = dbus.String('')
        elif sig == 'as':
            v = dbus.Array(['BatteryVoltage', 'PvInputPower'], signature='s')
        else:
            raise ValueError(f'history_template: no value for {name} of type {sig}')
        values[name] = v
    return values


METHODS = [
    ('GetSamples', 'ttuas', 'ataad',
     'ret = (dbus.Array([], signature="t"), dbus.Array([], signature="ad"))'),
    ('GetEnergy', 'stt', 'a(ta{sd})', 'ret = dbus.Array([], signature="(ta{sd})")'),
]


def load(mock, parameters):
    contract = read_contract(parameters.get('xml', DEFAULT_XML))
    offset = float(parameters.get('offset', 0))

    def add(serial, offset):
        path = f'{MAIN_OBJ}/{escape(serial)}'
        mock.AddObject(path, IFACE, history_properties(contract, serial, offset), METHODS)
        return path

    def add_history(self, serial, offset):
        mock.object_manager_emit_added(add(str(serial), float(offset)))

    def remove_history(self, serial):
        path = f'{MAIN_OBJ}/{escape(str(serial))}'
        mock.object_manager_emit_removed(path)
        mock.RemoveObject(path)

    for serial in parameters.get('serials', ['92931701100123']):
        add(serial, offset)
    mock.AddMethod(TEST_IFACE, 'AddHistory', 'sd', '', add_history)
    mock.AddMethod(TEST_IFACE, 'RemoveHistory', 's', '', remove_history)
