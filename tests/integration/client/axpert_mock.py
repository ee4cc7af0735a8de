'''python-dbusmock template of axpertd's org.axpert.Inverter (DBUS-API.md), for axpertctl's tests.

Deterministic stand-in for the daemon: the object tree, every property with a realistic value and
the right D-Bus type, Refresh/RawCommand and the Set… methods with the daemon's validation rules
(InvalidArgs naming the accepted values), and switches for the error paths.

Parameters (JSON through "python3 -m dbusmock -p"):
  devices: list of device ids (default ["0"])
  units: number of parallel units below the first device (default 0)
  props: {Name: value} overrides for every device (typed by the property's table type)
  unit_props: {Name: value} overrides for every unit
  deny: error name every Set…/RawCommand raises (polkit said no), e.g.
        "org.freedesktop.DBus.Error.AccessDenied"
  fail: error name every Set…/Refresh/RawCommand raises (e.g. "org.axpert.Inverter.Error.Offline")
  fail_message: the message of that error (default "mock failure NAME")
  family: FirmwareFamily; limits {Method: [min, max, step]} (SettingLimits), options {Method:
        [values]} (SettingOptions), choices {Method: [strings]} (SettingChoices): published only
        when given, as an axpertd that knows them does

Control interface org.axpert.Test on /org/axpert/Inverter: AddUnit(s device, u index) and
RemoveUnit(s device, u index) emit InterfacesAdded/InterfacesRemoved like the daemon.
'''
import math
import time

import dbus
from dbusmock import mockobject

BUS_NAME = 'org.axpert.Inverter'
MAIN_OBJ = '/org/axpert/Inverter'
MAIN_IFACE = 'org.axpert.Test'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

IFACE = 'org.axpert.Inverter'
UNIT_IFACE = 'org.axpert.Inverter.Unit'
ERR_INVALID = 'org.freedesktop.DBus.Error.InvalidArgs'

# (name, D-Bus type, default value), in the order of DBUS-API.md.
DEVICE_PROPERTIES = [
    ('Online', 'b', True),
    ('LastUpdateTimestamp', 't', None),  # now - 2 s at load time
    ('LastError', 's', ''),
    ('DevicePath', 's', '/dev/hidraw0'),
    ('Transport', 's', 'hidraw'),
    ('ProtocolId', 's', 'PI30'),
    ('SerialNumber', 's', '92932004102453'),
    ('FirmwareVersion', 's', '00072.70'),
    ('FirmwareVersion2', 's', '00072.20'),
    ('ModelName', 's', 'MKS2-5000'),
    ('GridVoltage', 'd', 230.1),
    ('AcOutputVoltage', 'd', 229.8),
    ('BusVoltage', 'd', 410.0),
    ('BatteryVoltage', 'd', 52.1),
    ('BatteryVoltageFromScc', 'd', 52.2),
    ('PvInputVoltage', 'd', 310.2),
    ('GridFrequency', 'd', 49.9),
    ('AcOutputFrequency', 'd', 49.9),
    ('AcOutputApparentPower', 'd', 1311.0),
    ('AcOutputActivePower', 'd', 1250.0),
    ('PvInputPower', 'd', 1270.0),
    ('AcOutputLoadPercent', 'd', 26.0),
    ('BatteryCapacity', 'd', 87.0),
    ('BatteryChargingCurrent', 'd', 12.0),
    ('BatteryDischargeCurrent', 'd', 0.0),
    ('PvInputCurrent', 'd', 4.1),
    ('HeatsinkTemperature', 'd', 41.0),
    ('HasPv2', 'b', False),
    ('Pv2InputVoltage', 'd', math.nan),
    ('Pv2InputCurrent', 'd', math.nan),
    ('Pv2InputPower', 'd', math.nan),
    ('DeviceStatus', 's', '00010110'),
    ('LoadOn', 'b', True),
    ('Charging', 'b', True),
    ('SccCharging', 'b', True),
    ('AcCharging', 'b', False),
    ('ChargingToFloat', 'b', False),
    ('SwitchedOn', 'b', True),
    ('BatteryVoltageSteady', 'b', False),
    ('ConfigurationChanged', 'b', False),
    ('SccFirmwareUpdated', 'b', False),
    ('SbuPriorityVersion', 'b', False),
    ('Mode', 's', 'line'),
    ('Warnings', 'as', []),
    ('Faults', 'as', []),
    ('GridRatingVoltage', 'd', 230.0),
    ('AcOutputRatingVoltage', 'd', 230.0),
    ('BatteryRatingVoltage', 'd', 48.0),
    ('GridRatingCurrent', 'd', 21.7),
    ('AcOutputRatingCurrent', 'd', 21.7),
    ('AcOutputRatingFrequency', 'd', 50.0),
    ('AcOutputRatingApparentPower', 'd', 5000.0),
    ('AcOutputRatingActivePower', 'd', 5000.0),
    ('BatteryRechargeVoltage', 'd', 46.0),
    ('BatteryUnderVoltage', 'd', 42.0),
    ('BatteryBulkVoltage', 'd', 56.4),
    ('BatteryFloatVoltage', 'd', 54.0),
    ('BatteryRedischargeVoltage', 'd', 54.0),
    ('BatteryType', 's', 'agm'),
    ('MaxAcChargingCurrent', 'd', 30.0),
    ('MaxChargingCurrent', 'd', 60.0),
    ('ChargingCurrentOptions', 'ad', [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]),
    ('AcChargingCurrentOptions', 'ad', [2.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]),
    ('InputVoltageRange', 's', 'appliance'),
    ('OutputSourcePriority', 's', 'solar-first'),
    ('ChargerSourcePriority', 's', 'solar-first'),
    ('ParallelMaxUnits', 'u', 9),
    ('MachineType', 's', 'off-grid'),
    ('Topology', 's', 'transformerless'),
    ('OutputMode', 's', 'single'),
    ('PvOkCondition', 's', 'any-unit'),
    ('PvPowerBalance', 's', 'max-power'),
    ('BuzzerEnabled', 'b', True),
    ('OverloadBypassEnabled', 'b', False),
    ('PowerSavingEnabled', 'b', False),
    ('LcdReturnToDefaultEnabled', 'b', True),
    ('OverloadRestartEnabled', 'b', True),
    ('OverTemperatureRestartEnabled', 'b', True),
    ('BacklightEnabled', 'b', True),
    ('PrimarySourceInterruptAlarmEnabled', 'b', True),
    ('FaultCodeRecordEnabled', 'b', False),
    ('ParallelUnits', 'u', 0),
    ('TotalAcOutputActivePower', 'd', 1250.0),
    ('TotalAcOutputApparentPower', 'd', 1311.0),
    ('TotalAcOutputLoadPercent', 'd', 26.0),
    ('TotalChargingCurrent', 'd', 12.0),
    ('MaxChargingTimeAtCv', 'd', 120.0),
    ('OperationLogic', 's', 'automatic'),
    ('MaxDischargingCurrent', 'd', 150.0),
]

UNIT_PROPERTIES = [
    ('Index', 'u', 0),
    ('SerialNumber', 's', '9293200410245'),
    ('Mode', 's', 'line'),
    ('FaultCode', 'u', 0),
    ('GridVoltage', 'd', 230.1),
    ('GridFrequency', 'd', 49.9),
    ('AcOutputVoltage', 'd', 229.8),
    ('AcOutputFrequency', 'd', 49.9),
    ('AcOutputApparentPower', 'd', 655.0),
    ('AcOutputActivePower', 'd', 625.0),
    ('AcOutputLoadPercent', 'd', 13.0),
    ('BatteryVoltage', 'd', 52.1),
    ('BatteryChargingCurrent', 'd', 6.0),
    ('BatteryCapacity', 'd', 87.0),
    ('PvInputVoltage', 'd', 310.2),
    ('PvInputCurrent', 'd', 2.0),
    ('BatteryDischargeCurrent', 'd', 0.0),
    ('TotalChargingCurrent', 'd', 12.0),
    ('TotalAcOutputApparentPower', 'd', 1311.0),
    ('TotalAcOutputActivePower', 'd', 1250.0),
    ('TotalAcOutputLoadPercent', 'd', 13.0),
    ('MaxChargingCurrent', 'd', 60.0),
    ('MaxChargerRange', 'd', 80.0),
    ('MaxAcChargingCurrent', 'd', 30.0),
    ('OutputMode', 's', 'parallel'),
    ('ChargerSourcePriority', 's', 'solar-first'),
    ('SccOk', 'b', True),
    ('AcCharging', 'b', False),
    ('SccCharging', 'b', True),
    ('LineLoss', 'b', False),
    ('LoadOn', 'b', True),
    ('ConfigurationChanged', 'b', False),
    ('BatteryStatus', 's', 'normal'),
    ('InverterStatus', 's', '00000000'),
]

ENUMS = {
    'SetOutputSourcePriority': ('OutputSourcePriority', ['utility-first', 'solar-first', 'sbu']),
    'SetChargerSourcePriority': ('ChargerSourcePriority',
                                 ['utility-first', 'solar-first', 'solar-and-utility', 'solar-only']),
    'SetInputVoltageRange': ('InputVoltageRange', ['appliance', 'ups']),
    'SetBatteryType': ('BatteryType', ['agm', 'flooded', 'user', 'pylontech', 'shinheung', 'weco',
                                       'soltaro', 'bak', 'lib', 'lic']),
}
# Method -> (property, low, high) for a 48 V battery.
VOLTAGES = {
    'SetBatteryRechargeVoltage': ('BatteryRechargeVoltage', 44.0, 51.0),
    'SetBatteryRedischargeVoltage': ('BatteryRedischargeVoltage', 48.0, 58.0),
    'SetBatteryUnderVoltage': ('BatteryUnderVoltage', 40.0, 48.0),
    'SetBatteryBulkVoltage': ('BatteryBulkVoltage', 48.0, 58.4),
    'SetBatteryFloatVoltage': ('BatteryFloatVoltage', 48.0, 58.4),
}
FLAGS = {
    'buzzer': 'BuzzerEnabled', 'overload-bypass': 'OverloadBypassEnabled',
    'power-saving': 'PowerSavingEnabled', 'lcd-return-to-default': 'LcdReturnToDefaultEnabled',
    'overload-restart': 'OverloadRestartEnabled',
    'over-temperature-restart': 'OverTemperatureRestartEnabled', 'backlight': 'BacklightEnabled',
    'primary-source-interrupt-alarm': 'PrimarySourceInterruptAlarmEnabled',
    'fault-code-record': 'FaultCodeRecordEnabled',
}
RAW = {
    'QPIGS': '230.1 49.9 229.8 49.9 1311 1250 026 410 52.10 012 087 0041 04.1 310.2 52.20 00000 '
             '00010110 00 00 01270 010',
    'QID': '92932004102453',
    'QMOD': 'L',
}


def typed(sig, value):
    if sig == 'b':
        return dbus.Boolean(value)
    if sig == 'd':
        return dbus.Double(math.nan if value is None else value)
    if sig == 'u':
        return dbus.UInt32(value)
    if sig == 't':
        return dbus.UInt64(value)
    if sig == 's':
        return dbus.String(value)
    if sig == 'as':
        return dbus.Array([dbus.String(v) for v in value], signature='s')
    if sig == 'ad':
        return dbus.Array([dbus.Double(v) for v in value], signature='d')
    raise ValueError(sig)


def build(table, overrides):
    props = {}
    for name, sig, default in table:
        value = overrides.get(name, default)
        props[name] = typed(sig, value)
    for name, value in overrides.items():
        if name not in props:  # properties a newer daemon may add: typed by their JSON value
            props[name] = value
    return dbus.Dictionary(props, signature='sv')


def raise_error(name, message):
    raise dbus.exceptions.DBusException(message, name=name)


def change(obj, iface, name, value):
    '''Sets a property and emits one PropertiesChanged, only when the value changed.'''
    if obj.props[iface].get(name) == value:
        return
    obj.props[iface][name] = value
    obj.EmitSignal('org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as',
                   [iface, dbus.Dictionary({name: value}, signature='sv'),
                    dbus.Array([], signature='s')])


def make_methods(params):
    deny = params.get('deny')
    fail = params.get('fail')

    def guard(privileged=True):
        if fail:
            raise_error(fail, params.get('fail_message', 'mock failure ' + fail))
        if privileged and deny:
            raise_error(deny, 'Not authorized (mock)')

    def enum_setter(method):
        prop, allowed = ENUMS[method]

        def run(self, value):
            if value not in allowed:
                raise_error(ERR_INVALID, f'invalid value "{value}": accepted values are '
                                         + ', '.join(allowed))
            guard()
            change(self, IFACE, prop, dbus.String(value))
        return run

    def voltage_setter(method):
        prop, low, high = VOLTAGES[method]

        def run(self, volts):
            if not (low <= volts <= high):
                raise_error(ERR_INVALID, f'{volts:g} V is out of range: accepted {low:g}–{high:g} V '
                                         'for a 48 V battery')
            guard()
            change(self, IFACE, prop, dbus.Double(volts))
        return run

    def current_setter(prop, options):
        def run(self, amps):
            allowed = [float(v) for v in self.props[IFACE][options]]
            if float(amps) not in allowed:
                raise_error(ERR_INVALID, f'{amps:g} A is not offered: accepted values are '
                                         + ', '.join(f'{v:g}' for v in allowed) + ' A')
            guard()
            change(self, IFACE, prop, dbus.Double(amps))
        return run

    def set_flag(self, flag, enabled):
        if flag not in FLAGS:
            raise_error(ERR_INVALID, f'unknown flag "{flag}": accepted flags are ' + ', '.join(FLAGS))
        guard()
        change(self, IFACE, FLAGS[flag], dbus.Boolean(enabled))

    def set_frequency(self, hertz):
        if hertz not in (50.0, 60.0):
            raise_error(ERR_INVALID, f'{hertz:g} Hz is not possible: accepted values are 50, 60')
        guard()
        change(self, IFACE, 'AcOutputRatingFrequency', dbus.Double(hertz))

    def refresh(self):
        guard(privileged=False)
        change(self, IFACE, 'LastUpdateTimestamp', dbus.UInt64(int(time.time() * 1e6)))

    def raw(self, command):
        if not command or len(command) > 32 or not command.isprintable() or not command.isascii():
            raise_error(ERR_INVALID, 'a raw command has 1–32 printable ASCII characters')
        guard()
        if command not in RAW:
            raise_error('org.axpert.Inverter.Error.Rejected', f'the inverter answered NAK to {command}')
        return RAW[command]

    methods = [(m, 's', '', enum_setter(m)) for m in ENUMS]
    methods += [(m, 'd', '', voltage_setter(m)) for m in VOLTAGES]
    methods += [
        ('SetMaxChargingCurrent', 'd', '', current_setter('MaxChargingCurrent', 'ChargingCurrentOptions')),
        ('SetMaxAcChargingCurrent', 'd', '',
         current_setter('MaxAcChargingCurrent', 'AcChargingCurrentOptions')),
        ('SetFlag', 'sb', '', set_flag),
        ('SetOutputFrequency', 'd', '', set_frequency),
        ('Refresh', '', '', refresh),
        ('RawCommand', 's', 's', raw),
    ]
    return methods


def unit_path(device, index):
    return f'{MAIN_OBJ}/{device}/unit{index}'


def add_unit(mock, params, device, index):
    overrides = dict(params.get('unit_props', {}))
    overrides['Index'] = index
    overrides.setdefault('SerialNumber', f'929320041024{50 + index}')
    path = unit_path(device, index)
    mock.AddObject(path, UNIT_IFACE, build(UNIT_PROPERTIES, overrides), [])
    return path


def load(mock, parameters):
    params = {k: parameters[k] for k in parameters}
    devices = list(params.get('devices', ['0']))
    overrides = dict(params.get('props', {}))
    overrides.setdefault('LastUpdateTimestamp', int((time.time() - 2) * 1e6))
    n_units = int(params.get('units', 0))
    if n_units:
        overrides.setdefault('ParallelUnits', n_units)
        overrides.setdefault('OutputMode', 'parallel')

    for i, device in enumerate(devices):
        dev_overrides = dict(overrides)
        dev_overrides.setdefault('DevicePath', f'/dev/hidraw{i}')
        props = build(DEVICE_PROPERTIES, dev_overrides)
        if 'family' in params:
            props['FirmwareFamily'] = dbus.String(params['family'])
        if 'limits' in params:
            props['SettingLimits'] = dbus.Dictionary(
                {k: dbus.Struct([dbus.Double(x) for x in v], signature='ddd')
                 for k, v in params['limits'].items()}, signature='s(ddd)')
        if 'options' in params:
            props['SettingOptions'] = dbus.Dictionary(
                {k: dbus.Array([dbus.Double(x) for x in v], signature='d')
                 for k, v in params['options'].items()}, signature='sad')
        if 'choices' in params:
            props['SettingChoices'] = dbus.Dictionary(
                {k: dbus.Array([dbus.String(x) for x in v], signature='s')
                 for k, v in params['choices'].items()}, signature='sas')
        mock.AddObject(f'{MAIN_OBJ}/{device}', IFACE, props, make_methods(params))
    for index in range(n_units):
        add_unit(mock, params, devices[0], index)

    def add_unit_method(self, device, index):
        path = add_unit(mock, params, device, index)
        mock.object_manager_emit_added(path)

    def remove_unit_method(self, device, index):
        path = unit_path(device, index)
        self.EmitSignal('org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', 'oas',
                        [dbus.ObjectPath(path), dbus.Array([UNIT_IFACE], signature='s')])
        mock.RemoveObject(path)

    mock.AddMethod(MAIN_IFACE, 'AddUnit', 'su', '', add_unit_method)
    mock.AddMethod(MAIN_IFACE, 'RemoveUnit', 'su', '', remove_unit_method)
