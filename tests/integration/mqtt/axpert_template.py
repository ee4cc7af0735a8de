"""python-dbusmock template: org.axpert.Inverter with one inverter and parallel units.

Realistic values (a 48 V 5 kVA unit), the types of DBUS-API.md, and Set… methods that validate
like the daemon and update the properties with one PropertiesChanged. Parameters (JSON, -p):
  units: number of parallel units (default 1; 0 = an inverter without parallel support)
  deny: every setter answers org.freedesktop.DBus.Error.AccessDenied (polkit said no)
  serial: the inverter's serial number (default 92931701100123)
  second: the serial number of a second inverter (/org/axpert/Inverter/1, no units), if any

What the setters accept is what axpertd says for a 48 V hs-ks inverter with these option lists
(SettingLimits, SettingOptions, SettingChoices), and they validate with exactly that.
"""
import dbus
import dbusmock.mockobject

BUS_NAME = 'org.axpert.Inverter'
MAIN_OBJ = '/org/axpert/Inverter'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

INVERTER_IFACE = 'org.axpert.Inverter'
UNIT_IFACE = 'org.axpert.Inverter.Unit'
DEVICE_PATH = '/org/axpert/Inverter/0'

NAN = float('nan')


def d(x):
    return dbus.Double(x)


# axpertd's answers for a 48 V hs-ks inverter (QMCHGCR 10 … 100, QMUCHGCR 2, 10 … 60).
LIMITS = {
    'SetBatteryRechargeVoltage': (44.0, 51.0, 1.0),
    'SetBatteryUnderVoltage': (40.0, 48.0, 0.1),
    'SetBatteryBulkVoltage': (48.0, 58.4, 0.1),
    'SetBatteryFloatVoltage': (48.0, 58.4, 0.1),
}
OPTIONS = {
    'SetMaxChargingCurrent': [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0],
    'SetMaxAcChargingCurrent': [2.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
    'SetBatteryRedischargeVoltage': [0.0] + [float(v) for v in range(48, 59)],
    'SetOutputFrequency': [50.0, 60.0],
}
CHOICES = {
    'SetOutputSourcePriority': ['utility-first', 'solar-first', 'sbu'],
    'SetChargerSourcePriority': ['utility-first', 'solar-first', 'solar-and-utility',
                                 'solar-only'],
    'SetInputVoltageRange': ['appliance', 'ups'],
    'SetBatteryType': ['agm', 'flooded', 'user'],
    'SetFlag': ['buzzer', 'overload-bypass', 'power-saving', 'lcd-return-to-default',
                'overload-restart', 'over-temperature-restart', 'backlight',
                'primary-source-interrupt-alarm', 'fault-code-record'],
}


def setting_limits(limits):
    return dbus.Dictionary({k: dbus.Struct([d(x) for x in v], signature='ddd')
                            for k, v in limits.items()}, signature='s(ddd)')


def setting_options(options):
    return dbus.Dictionary({k: dbus.Array([d(x) for x in v], signature='d')
                            for k, v in options.items()}, signature='sad')


def setting_choices(choices):
    return dbus.Dictionary({k: dbus.Array(v, signature='s') for k, v in choices.items()},
                           signature='sas')


def inverter_properties(serial, units):
    return {
        'Online': dbus.Boolean(True),
        'LastUpdateTimestamp': dbus.UInt64(1700000000123456),
        'LastError': '',
        'DevicePath': '/dev/hidraw0',
        'Transport': 'hidraw',
        'ProtocolId': 'PI30',
        'SerialNumber': serial,
        'FirmwareVersion': '00072.70',
        'FirmwareVersion2': '00044.13',
        'ModelName': 'MKS2-5000',
        'GridVoltage': d(230.1), 'GridFrequency': d(49.9),
        'AcOutputVoltage': d(229.8), 'AcOutputFrequency': d(50.0),
        'AcOutputApparentPower': d(1150), 'AcOutputActivePower': d(1083),
        'AcOutputLoadPercent': d(23), 'BusVoltage': d(395),
        'BatteryVoltage': d(52.3), 'BatteryChargingCurrent': d(12),
        'BatteryCapacity': d(87), 'HeatsinkTemperature': d(41),
        'PvInputCurrent': d(7.4), 'PvInputVoltage': d(312.6),
        'BatteryVoltageFromScc': d(52.35), 'BatteryDischargeCurrent': d(0),
        'PvInputPower': d(2313),
        'HasPv2': dbus.Boolean(False),
        'Pv2InputVoltage': d(NAN), 'Pv2InputCurrent': d(NAN), 'Pv2InputPower': d(NAN),
        'DeviceStatus': '00010110',
        'LoadOn': dbus.Boolean(True), 'Charging': dbus.Boolean(True),
        'SccCharging': dbus.Boolean(True), 'AcCharging': dbus.Boolean(False),
        'ChargingToFloat': dbus.Boolean(False), 'SwitchedOn': dbus.Boolean(True),
        'BatteryVoltageSteady': dbus.Boolean(False),
        'ConfigurationChanged': dbus.Boolean(False),
        'SccFirmwareUpdated': dbus.Boolean(False),
        'SbuPriorityVersion': dbus.Boolean(False),
        'Mode': 'line',
        'Warnings': dbus.Array(['line-fail'], signature='s'),
        'Faults': dbus.Array([], signature='s'),
        'GridRatingVoltage': d(230.0), 'GridRatingCurrent': d(21.7),
        'AcOutputRatingVoltage': d(230.0), 'AcOutputRatingFrequency': d(50.0),
        'AcOutputRatingCurrent': d(21.7), 'AcOutputRatingApparentPower': d(5000),
        'AcOutputRatingActivePower': d(5000), 'BatteryRatingVoltage': d(48.0),
        'BatteryRechargeVoltage': d(46.0), 'BatteryUnderVoltage': d(42.0),
        'BatteryBulkVoltage': d(56.4), 'BatteryFloatVoltage': d(54.0),
        'BatteryType': 'user',
        'MaxAcChargingCurrent': d(30), 'MaxChargingCurrent': d(60),
        'ChargingCurrentOptions': dbus.Array([d(10), d(20), d(30), d(40), d(50), d(60), d(70),
                                              d(80), d(90), d(100)], signature='d'),
        'AcChargingCurrentOptions': dbus.Array([d(2), d(10), d(20), d(30), d(40), d(50),
                                                d(60)], signature='d'),
        'InputVoltageRange': 'appliance',
        'OutputSourcePriority': 'solar-first',
        'ChargerSourcePriority': 'solar-first',
        'ParallelMaxUnits': dbus.UInt32(9 if units else 0),
        'MachineType': 'off-grid',
        'Topology': 'transformerless',
        'OutputMode': 'single',
        'BatteryRedischargeVoltage': d(54.0),
        'PvOkCondition': 'any-unit',
        'PvPowerBalance': 'max-power',
        'MaxChargingTimeAtCv': d(224),
        'OperationLogic': 'automatic',
        'MaxDischargingCurrent': d(NAN),
        'BuzzerEnabled': dbus.Boolean(False), 'OverloadBypassEnabled': dbus.Boolean(True),
        'PowerSavingEnabled': dbus.Boolean(False), 'LcdReturnToDefaultEnabled': dbus.Boolean(True),
        'OverloadRestartEnabled': dbus.Boolean(True),
        'OverTemperatureRestartEnabled': dbus.Boolean(True),
        'BacklightEnabled': dbus.Boolean(True),
        'PrimarySourceInterruptAlarmEnabled': dbus.Boolean(True),
        'FaultCodeRecordEnabled': dbus.Boolean(False),
        'FirmwareFamily': 'hs-ks',
        'SettingLimits': setting_limits(LIMITS),
        'SettingOptions': setting_options(OPTIONS),
        'SettingChoices': setting_choices(CHOICES),
        'ParallelUnits': dbus.UInt32(units),
        'TotalAcOutputActivePower': d(1083 * max(units, 1)),
        'TotalAcOutputApparentPower': d(1150 * max(units, 1)),
        'TotalAcOutputLoadPercent': d(23),
        'TotalChargingCurrent': d(12 * max(units, 1)),
    }


def unit_properties(index, serial):
    return {
        'Index': dbus.UInt32(index),
        'SerialNumber': serial,
        'Mode': 'battery' if index == 0 else 'line',
        'FaultCode': dbus.UInt32(0),
        'GridVoltage': d(231.4), 'GridFrequency': d(50.01),
        'AcOutputVoltage': d(230.2), 'AcOutputFrequency': d(49.98),
        'AcOutputApparentPower': d(1012), 'AcOutputActivePower': d(961),
        'AcOutputLoadPercent': d(20), 'BatteryVoltage': d(52.1),
        'BatteryChargingCurrent': d(8), 'BatteryCapacity': d(86),
        'PvInputVoltage': d(305.5), 'PvInputCurrent': d(6),
        'BatteryDischargeCurrent': d(0), 'TotalChargingCurrent': d(16),
        'TotalAcOutputApparentPower': d(2024), 'TotalAcOutputActivePower': d(1922),
        'TotalAcOutputLoadPercent': d(20),
        'MaxChargingCurrent': d(60), 'MaxChargerRange': d(100), 'MaxAcChargingCurrent': d(30),
        'OutputMode': 'parallel', 'ChargerSourcePriority': 'solar-and-utility',
        'SccOk': dbus.Boolean(True), 'AcCharging': dbus.Boolean(False),
        'SccCharging': dbus.Boolean(True), 'LineLoss': dbus.Boolean(False),
        'LoadOn': dbus.Boolean(True), 'ConfigurationChanged': dbus.Boolean(False),
        'BatteryStatus': 'normal', 'InverterStatus': '10100010',
        'Pv2InputVoltage': d(NAN), 'Pv2InputCurrent': d(NAN),
    }


def setter(prop, check):
    """Method code: validate (InvalidArgs with the accepted values), deny, or set + one signal."""
    return f'''
if self._axpert_deny:
    raise dbus.exceptions.DBusException('Not authorized by polkit',
                                        name='org.freedesktop.DBus.Error.AccessDenied')
value = args[0]
{check}
self.UpdateProperties('{INVERTER_IFACE}', {{'{prop}': value}})
'''


def accepted(method):
    """Validation as axpertd's: the value must be what the inverter's Setting… property lists."""
    return f'''props = self.props['{INVERTER_IFACE}']
limits = props['SettingLimits'].get('{method}')
options = props['SettingOptions'].get('{method}')
choices = props['SettingChoices'].get('{method}')
# (No comprehensions: python-dbusmock runs this with exec(), whose locals they cannot see.)
if choices is not None:
    if value not in choices:
        raise dbus.exceptions.DBusException('%s is not one of %s' % (value, ', '.join(choices)),
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
elif options is not None:
    found = False
    for x in options:
        found = found or abs(float(value) - float(x)) < 1e-6
    if not found:
        raise dbus.exceptions.DBusException('%g is not accepted by this inverter' % value,
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
    value = dbus.Double(value)
elif limits is not None:
    lo, hi, step = float(limits[0]), float(limits[1]), float(limits[2])
    k = round((float(value) - lo) / step)
    if not (lo - 1e-6 <= value <= hi + 1e-6) or abs(lo + k * step - value) > 1e-6:
        raise dbus.exceptions.DBusException('%g is outside %g-%g in steps of %g'
                                            % (value, lo, hi, step),
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
    value = dbus.Double(value)
else:
    raise dbus.exceptions.DBusException('cannot be set yet',
                                        name='org.freedesktop.DBus.Error.InvalidArgs')'''


FLAGS = {
    'buzzer': 'BuzzerEnabled', 'overload-bypass': 'OverloadBypassEnabled',
    'power-saving': 'PowerSavingEnabled', 'lcd-return-to-default': 'LcdReturnToDefaultEnabled',
    'overload-restart': 'OverloadRestartEnabled',
    'over-temperature-restart': 'OverTemperatureRestartEnabled',
    'backlight': 'BacklightEnabled',
    'primary-source-interrupt-alarm': 'PrimarySourceInterruptAlarmEnabled',
    'fault-code-record': 'FaultCodeRecordEnabled',
}

SET_FLAG = f'''
if self._axpert_deny:
    raise dbus.exceptions.DBusException('Not authorized by polkit',
                                        name='org.freedesktop.DBus.Error.AccessDenied')
flags = {FLAGS!r}
if args[0] not in flags:
    raise dbus.exceptions.DBusException('unknown flag %s' % args[0],
                                        name='org.freedesktop.DBus.Error.InvalidArgs')
self.UpdateProperties('{INVERTER_IFACE}', {{flags[args[0]]: dbus.Boolean(args[1])}})
'''


def setter_of(method, prop, signature):
    return (method, signature, '', setter(prop, accepted(method)))


METHODS = [
    setter_of('SetOutputSourcePriority', 'OutputSourcePriority', 's'),
    setter_of('SetChargerSourcePriority', 'ChargerSourcePriority', 's'),
    setter_of('SetInputVoltageRange', 'InputVoltageRange', 's'),
    setter_of('SetBatteryType', 'BatteryType', 's'),
    setter_of('SetMaxChargingCurrent', 'MaxChargingCurrent', 'd'),
    setter_of('SetMaxAcChargingCurrent', 'MaxAcChargingCurrent', 'd'),
    setter_of('SetBatteryRechargeVoltage', 'BatteryRechargeVoltage', 'd'),
    setter_of('SetBatteryRedischargeVoltage', 'BatteryRedischargeVoltage', 'd'),
    setter_of('SetBatteryUnderVoltage', 'BatteryUnderVoltage', 'd'),
    setter_of('SetBatteryBulkVoltage', 'BatteryBulkVoltage', 'd'),
    setter_of('SetBatteryFloatVoltage', 'BatteryFloatVoltage', 'd'),
    setter_of('SetOutputFrequency', 'AcOutputRatingFrequency', 'd'),
    ('SetFlag', 'sb', '', SET_FLAG),
    ('Refresh', '', '', ''),
]


# python-dbusmock's UpdateProperties cannot wrap dictionaries: this one takes any a{sv} of
# org.axpert.Inverter's properties, for tests only, and emits one PropertiesChanged.
TEST_IFACE = 'org.axpert.Test'
UPDATE = f'''
self.props['{INVERTER_IFACE}'].update(args[0])
self.EmitSignal('org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{{sv}}as',
                ['{INVERTER_IFACE}', args[0], []])
'''


def load(mock, parameters):
    units = int(parameters.get('units', 1))
    serial = parameters.get('serial', '92931701100123')
    mock.AddObject(DEVICE_PATH, INVERTER_IFACE, inverter_properties(serial, units), METHODS)
    device = dbusmock.mockobject.objects[DEVICE_PATH]
    device._axpert_deny = bool(parameters.get('deny', False))
    device.AddMethod(TEST_IFACE, 'UpdateProperties', 'a{sv}', '', UPDATE)
    for i in range(units):
        mock.AddObject(f'{DEVICE_PATH}/unit{i}', UNIT_IFACE,
                       unit_properties(i, '9293170110%04d' % (200 + i)), [])
    if parameters.get('second'):
        path = '/org/axpert/Inverter/1'
        props = inverter_properties(parameters['second'], 0)
        props['BatteryVoltage'] = d(25.1)
        mock.AddObject(path, INVERTER_IFACE, props, METHODS)
        dbusmock.mockobject.objects[path]._axpert_deny = False
