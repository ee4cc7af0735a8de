"""What Home Assistant accepts in MQTT discovery, as tables.

Derived from Home Assistant's sensor device class documentation and its
homeassistant/components/sensor/const.py (DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES), the
binary_sensor and number device class lists. Only the classes an inverter could plausibly use are
listed in full; a device class missing here is a test failure, not a pass.
"""

# sensor device_class -> accepted units of measurement
SENSOR_UNITS = {
    'apparent_power': {'mVA', 'VA', 'kVA'},
    'battery': {'%'},
    'current': {'mA', 'A'},
    'duration': {'d', 'h', 'min', 's', 'ms', 'µs'},
    'energy': {'J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal',
               'Mcal', 'Gcal'},
    'frequency': {'Hz', 'kHz', 'MHz', 'GHz'},
    'power': {'mW', 'W', 'kW', 'MW', 'GW', 'TW', 'BTU/h'},
    'power_factor': {'%', None},
    'reactive_power': {'mvar', 'var', 'kvar'},
    'temperature': {'°C', '°F', 'K'},
    'voltage': {'µV', 'mV', 'V', 'kV', 'MV'},
    'enum': {None},
    'timestamp': {None},
    'date': {None},
}

# sensor device_class -> accepted state classes (None = no state_class)
SENSOR_STATE_CLASSES = {
    'apparent_power': {'measurement', None},
    'battery': {'measurement', None},
    'current': {'measurement', None},
    'duration': {'measurement', 'total', 'total_increasing', None},
    'energy': {'total', 'total_increasing', None},
    'frequency': {'measurement', None},
    'power': {'measurement', None},
    'power_factor': {'measurement', None},
    'reactive_power': {'measurement', None},
    'temperature': {'measurement', None},
    'voltage': {'measurement', None},
    'enum': {None},
    'timestamp': {None},
    'date': {None},
}

SENSOR_STATE_CLASS_VALUES = {'measurement', 'total', 'total_increasing'}

BINARY_SENSOR_CLASSES = {
    'battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door',
    'garage_door', 'gas', 'heat', 'light', 'lock', 'moisture', 'motion', 'moving', 'occupancy',
    'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke', 'sound',
    'tamper', 'update', 'vibration', 'window',
}

# number device_class -> accepted units (the number domain shares the sensor's unit rules)
NUMBER_UNITS = {
    'current': {'mA', 'A'},
    'voltage': {'µV', 'mV', 'V', 'kV', 'MV'},
    'frequency': {'Hz', 'kHz', 'MHz', 'GHz'},
    'power': {'mW', 'W', 'kW', 'MW', 'GW', 'TW', 'BTU/h'},
}

ENTITY_CATEGORIES = {'config', 'diagnostic'}

# Keys every discovery payload of ours must carry, per component.
REQUIRED = {
    'sensor': {'name', 'unique_id', 'state_topic', 'value_template', 'availability',
               'availability_mode', 'device'},
    'binary_sensor': {'name', 'unique_id', 'state_topic', 'value_template', 'availability',
                      'availability_mode', 'device', 'payload_on', 'payload_off'},
    'select': {'name', 'unique_id', 'state_topic', 'value_template', 'command_topic', 'options',
               'availability', 'availability_mode', 'device'},
    'number': {'name', 'unique_id', 'state_topic', 'value_template', 'command_topic', 'min',
               'max', 'step', 'availability', 'availability_mode', 'device'},
    'switch': {'name', 'unique_id', 'state_topic', 'value_template', 'command_topic',
               'payload_on', 'payload_off', 'state_on', 'state_off', 'availability',
               'availability_mode', 'device'},
}


def check_payload(component, cfg):
    """Returns a list of problems with one discovery payload (empty when Home Assistant would
    accept it without a warning)."""
    problems = []
    missing = REQUIRED[component] - cfg.keys()
    if missing:
        problems.append(f'missing {sorted(missing)}')
    dc = cfg.get('device_class')
    unit = cfg.get('unit_of_measurement')
    sc = cfg.get('state_class')
    if component == 'sensor':
        if sc is not None and sc not in SENSOR_STATE_CLASS_VALUES:
            problems.append(f'state_class {sc!r} does not exist')
        if dc is not None:
            if dc not in SENSOR_UNITS:
                problems.append(f'sensor device_class {dc!r} is not in the table')
            else:
                if unit not in SENSOR_UNITS[dc]:
                    problems.append(f'unit {unit!r} is not valid for device_class {dc!r}')
                if sc not in SENSOR_STATE_CLASSES[dc]:
                    problems.append(f'state_class {sc!r} is not valid for device_class {dc!r}')
        if dc == 'enum':
            if not isinstance(cfg.get('options'), list) or not cfg['options']:
                problems.append('enum sensor without options')
        elif 'options' in cfg:
            problems.append('options on a non-enum sensor')
        if cfg.get('entity_category') == 'config':
            problems.append('a sensor cannot have entity_category config')
    elif component == 'binary_sensor':
        if dc is not None and dc not in BINARY_SENSOR_CLASSES:
            problems.append(f'binary_sensor device_class {dc!r} does not exist')
        if unit is not None or sc is not None:
            problems.append('binary_sensor with a unit or state_class')
    elif component == 'number':
        if dc is not None and unit not in NUMBER_UNITS.get(dc, set()):
            problems.append(f'number unit {unit!r} not valid for device_class {dc!r}')
        if not cfg.get('min', 0) <= cfg.get('max', -1):
            problems.append('min > max')
        if not cfg.get('step', 0) > 0:
            problems.append('step must be positive')
    elif component == 'select':
        if len(set(cfg.get('options', []))) != len(cfg.get('options', [])):
            problems.append('duplicate options')
    cat = cfg.get('entity_category')
    if cat is not None and cat not in ENTITY_CATEGORIES:
        problems.append(f'entity_category {cat!r} does not exist')
    if cfg.get('availability_mode') != 'all':
        problems.append('availability_mode is not all')
    return problems
