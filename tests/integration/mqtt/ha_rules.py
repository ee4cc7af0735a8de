"""What Home Assistant accepts in MQTT discovery, as tables.

Derived from Home Assistant's sensor device class documentation and its
homeassistant/components/sensor/const.py (DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES), the
binary_sensor and number device class lists, the MQTT sensor's options (suggested_display_precision,
last_reset_value_template) and the Energy dashboard's validation of its sensors
(check_energy_dashboard). Only the classes an inverter could plausibly use are
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


# What the Energy dashboard takes as an energy sensor (its validation: an energy unit it can
# convert, and statistics, which need a state class that sums: total or total_increasing).
ENERGY_DASHBOARD_UNITS = {'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'J', 'kJ', 'MJ', 'GJ'}
ENERGY_DASHBOARD_STATE_CLASSES = {'total', 'total_increasing'}


def check_energy_dashboard(cfg):
    """Problems that keep a sensor config out of Home Assistant's Energy dashboard (on top of
    check_payload's)."""
    problems = []
    if cfg.get('device_class') != 'energy':
        problems.append(f'device_class {cfg.get("device_class")!r} is not energy')
    if cfg.get('unit_of_measurement') not in ENERGY_DASHBOARD_UNITS:
        problems.append(f'unit {cfg.get("unit_of_measurement")!r} is no energy unit')
    if cfg.get('state_class') not in ENERGY_DASHBOARD_STATE_CLASSES:
        problems.append(f'state_class {cfg.get("state_class")!r}: no statistics for the '
                        'Energy dashboard (total or total_increasing needed)')
    return problems


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
        if 'suggested_display_precision' in cfg:
            pr = cfg['suggested_display_precision']
            if isinstance(pr, bool) or not isinstance(pr, int) or pr < 0:
                problems.append(f'suggested_display_precision {pr!r} is no integer >= 0')
            if dc == 'enum' or 'options' in cfg:
                problems.append('suggested_display_precision on a non-numeric sensor')
        # A meter cycle by last_reset exists for state_class total only; total_increasing
        # finds its cycles itself (a decrease starts one).
        if 'last_reset_value_template' in cfg and sc != 'total':
            problems.append(f'last_reset_value_template with state_class {sc!r}')
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
    availability = cfg.get('availability')
    if not isinstance(availability, list) or \
            not all(isinstance(a, dict) and isinstance(a.get('topic'), str) and a['topic']
                    for a in availability):
        problems.append('availability is not a list of {topic: …}')
    return problems
