#!/usr/bin/python3
"""End to end: axpert-sim -> axpertd (real, on a private bus) -> axpert-mqtt -> mosquitto.

Every compatible topic's keys and values against the simulator's own state, discovery payloads,
state following a change, availability (inverter silent, daemon stopped, bridge stopped or
killed), broker restart, command topics allowed and denied."""
import json
import os
import shutil
import signal
import subprocess
import time

import ha_rules
import mqttlib
from mqttlib import testlib, wait_for

# key -> (simulator/D-Bus name, kind); kind: int, num, str, serial, flag:<mode>, code:<map>
PARALLEL = {
    'SerialNumber': ('SerialNumber', 'serial'), 'Gridmode': ('Mode', 'flag:line'),
    'Solarmode': ('Mode', 'flag:battery'),
    'BatteryChargingCurrent': ('BatteryChargingCurrent', 'int'),
    'BatteryDischargeCurrent': ('BatteryDischargeCurrent', 'int'),
    'TotalChargingCurrent': ('TotalChargingCurrent', 'int'),
    'GridVoltage': ('GridVoltage', 'num'), 'GridFrequency': ('GridFrequency', 'num'),
    'OutputVoltage': ('AcOutputVoltage', 'num'), 'OutputFrequency': ('AcOutputFrequency', 'num'),
    'OutputAparentPower': ('AcOutputApparentPower', 'int'),
    'OutputActivePower': ('AcOutputActivePower', 'int'),
    'LoadPercentage': ('AcOutputLoadPercent', 'int'), 'BatteryVoltage': ('BatteryVoltage', 'num'),
    'BatteryCapacity': ('BatteryCapacity', 'num'), 'PvInputVoltage': ('PvInputVoltage', 'num'),
    'TotalAcOutputApparentPower': ('TotalAcOutputApparentPower', 'int'),
    'TotalAcOutputActivePower': ('TotalAcOutputActivePower', 'int'),
    'TotalAcOutputPercentage': ('TotalAcOutputLoadPercent', 'int'),
    'OutputMode': ('OutputMode', 'code:output_mode'),
    'ChargerSourcePriority': ('ChargerSourcePriority', 'code:charger'),
    'MaxChargeCurrent': ('MaxChargingCurrent', 'int'),
    'MaxChargerRange': ('MaxChargerRange', 'int'),
    'MaxAcChargerCurrent': ('MaxAcChargingCurrent', 'int'),
    'PvInputCurrentForBattery': ('PvInputCurrent', 'int'),
}
INVERTER = {
    'BusVoltage': ('BusVoltage', 'num'),
    'InverterHeatsinkTemperature': ('HeatsinkTemperature', 'num'),
    'BatteryVoltageFromScc': ('BatteryVoltageFromScc', 'num'),
    'PvInputVoltage': ('PvInputVoltage', 'num'), 'PvInputCurrent': ('PvInputCurrent', 'int'),
    'PvInputPower': ('PvChargingPower', 'int'),
    'BatteryChargingCurrent': ('BatteryChargingCurrent', 'int'),
    'BatteryDischargeCurrent': ('BatteryDischargeCurrent', 'int'),
    'DeviceStatus': ('DeviceStatus', 'str'),
}
SETTINGS = {
    'AcInputVoltage': ('GridRatingVoltage', 'num'), 'AcInputCurrent': ('GridRatingCurrent', 'num'),
    'AcOutputVoltage': ('AcOutputRatingVoltage', 'num'),
    'AcOutputFrequency': ('AcOutputRatingFrequency', 'num'),
    'AcOutputCurrent': ('AcOutputRatingCurrent', 'num'),
    'AcOutputApparentPower': ('AcOutputRatingApparentPower', 'int'),
    'AcOutputActivePower': ('AcOutputRatingActivePower', 'int'),
    'BatteryVoltage': ('BatteryRatingVoltage', 'num'),
    'BatteryRechargeVoltage': ('BatteryRechargeVoltage', 'num'),
    'BatteryUnderVoltage': ('BatteryUnderVoltage', 'num'),
    'BatteryBulkVoltage': ('BatteryBulkVoltage', 'num'),
    'BatteryFloatVoltage': ('BatteryFloatVoltage', 'num'),
    'BatteryRedischargeVoltage': ('BatteryRedischargeVoltage', 'num'),
    'MaxAcChargingCurrent': ('MaxAcChargingCurrent', 'int'),
    'MaxChargingCurrent': ('MaxChargingCurrent', 'int'),
    'MaxParallelUnits': ('ParallelMaxUnits', 'int'),
    'MaxBatteryCvChargingTime': ('MaxChargingTimeAtCv', 'int'),
    'BatteryType': ('BatteryType', 'text:battery_type'),
    'InputVoltageRange': ('InputVoltageRange', 'text:input_range'),
    'OutputSourcePriority': ('OutputSourcePriority', 'text:output_priority'),
    'ChargerSourcePriority': ('ChargerSourcePriority', 'text:charger'),
    'MachineType': ('MachineType', 'text:machine_type'),
    'Topology': ('Topology', 'text:topology'),
    'OutputMode': ('OutputMode', 'text:output_mode'),
    'PvOkCondition': ('PvOkCondition', 'text:pv_ok'),
    'PvPowerBalance': ('PvPowerBalance', 'text:pv_balance'),
}
CODES = {
    'output_mode': {'single': 0, 'parallel': 1, 'phase1-of-3': 2, 'phase2-of-3': 3,
                    'phase3-of-3': 4, 'phase1-of-2': 5, 'phase2-of-2-120': 6,
                    'phase2-of-2-180': 7},
    'charger': {'utility-first': 0, 'solar-first': 1, 'solar-and-utility': 2, 'solar-only': 3},
}
TEXTS = {  # MQTT.md
    'battery_type': {'agm': 'AGM', 'flooded': 'Flooded', 'user': 'User'},
    'input_range': {'appliance': 'Appliance', 'ups': 'UPS'},
    'output_priority': {'utility-first': 'utility', 'solar-first': 'solar', 'sbu': 'battery'},
    'charger': {'utility-first': 'utility first', 'solar-first': 'solar first',
                'solar-and-utility': 'solar + utility', 'solar-only': 'solar only'},
    'machine_type': {'grid-tie': 'Grid tie', 'off-grid': 'Off Grid', 'hybrid': 'Hybrid'},
    'topology': {'transformerless': 'transformerless', 'transformer': 'transformer'},
    'output_mode': {'single': 'single machine output', 'parallel': 'parallel output',
                    'phase1-of-3': 'Phase 1 of 3 Phase output',
                    'phase2-of-3': 'Phase 2 of 3 Phase output',
                    'phase3-of-3': 'Phase 3 of 3 Phase output'},
    'pv_ok': {'any-unit': 'As long as one unit of inverters has connect PV, parallel system '
                          'will consider PV OK',
              'all-units': 'Only All of inverters have connect PV, parallel system will '
                           'consider PV OK'},
    'pv_balance': {'max-current': 'PV input max current will be the max charged current',
                   'max-power': 'PV input max power will be the sum of the max charged power '
                                'and loads power'},
}


def expected(raw, kind):
    """What the add-on's key must hold for the simulator's value raw ('-' = not reported)."""
    if kind.startswith('flag:'):
        return 1 if raw == kind[5:] else 0
    if raw == '-':
        return None
    if kind == 'int':
        return int(round(float(raw)))
    if kind == 'num':
        return float(raw)
    if kind == 'serial':
        return int(raw)
    if kind == 'str':
        return raw
    table, name = kind.split(':')
    return (CODES if table == 'code' else TEXTS)[name][raw]


class EndToEndTest(mqttlib.EndToEndTestCase):

    def up(self, *sim_args, settings_interval=None, **groups):
        self.start_sim(*sim_args)
        self.start_daemon(settings_interval=settings_interval)
        self.start_bridge(**groups)
        self.serial = self.wait_serial()
        self.recorder.wait(f'axpert/{self.serial}/availability', lambda p: p == b'online')
        return self.serial

    def check_compat(self, payload, spec, unit=None):
        self.assertEqual(set(payload), set(spec))
        for key, (name, kind) in spec.items():
            raw = self.sim_get(name, unit)
            want = expected(raw, kind)
            got = payload[key]
            self.assertEqual(got, want, f'{key} ({name}={raw})')
            if want is not None:
                self.assertIs(type(got), type(want), key)

    def test_compat_topics_against_sim(self):
        serial = self.up('--units=2', MindFreeze={'Enabled': 'true'})
        self.assertEqual(serial, self.sim_get('SerialNumber'))
        time.sleep(1.5)  # a settled cycle: the simulator is static
        self.check_compat(self.recorder.last_json('power/axpert'), PARALLEL, unit=0)
        self.check_compat(self.recorder.last_json(f'power/axpert{serial}'), INVERTER)
        self.check_compat(self.recorder.last_json('power/axpert_settings'), SETTINGS)

    def test_compat_without_parallel_units(self):
        # A single inverter: the daemon polls no QPGS and exports no unit.
        self.up('--units=1', MindFreeze={'Enabled': 'true'})
        time.sleep(1.5)
        self.assertFalse([t for t in self.recorder.latest() if '/unit' in t])
        p = self.recorder.last_json('power/axpert')
        self.assertEqual(set(p), set(PARALLEL))
        # Filled from the inverter's own status, never empty.
        self.assertEqual(p['SerialNumber'], int(self.serial))
        self.assertEqual(p['BatteryVoltage'], float(self.sim_get('BatteryVoltage')))
        self.assertEqual(p['GridVoltage'], float(self.sim_get('GridVoltage')))
        self.assertEqual(p['OutputActivePower'], round(float(self.sim_get('AcOutputActivePower'))))
        self.assertEqual(p['Gridmode'], 1 if self.sim_get('Mode') == 'line' else 0)
        self.assertEqual(p['OutputMode'], CODES['output_mode'][self.sim_get('OutputMode')])
        self.assertEqual(p['TotalAcOutputActivePower'], p['OutputActivePower'])
        self.assertIs(type(p['MaxChargerRange']), int)

    def test_discovery_real_daemon(self):
        serial = self.up('--units=1', Commands={'Enabled': 'true'})
        self.recorder.wait(f'homeassistant/sensor/axpert_{serial}/battery_voltage/config')
        time.sleep(1.5)
        problems, n = [], 0
        for topic, payload in self.recorder.latest().items():
            parts = topic.split('/')
            if parts[0] != 'homeassistant' or not payload:
                continue
            n += 1
            cfg = json.loads(payload)
            problems += [f'{topic}: {p}' for p in ha_rules.check_payload(parts[1], cfg)]
            self.assertEqual(cfg['unique_id'], f'axpert_{serial}_{parts[3]}')
        self.assertEqual(problems, [])
        self.assertGreater(n, 100)

    def test_state_follows_change(self):
        # A setting reaches the state with the daemon's next settings poll: every 5 s here,
        # not the default minute.
        serial = self.up(settings_interval=5)
        self.control('set BatteryVoltage 50.1')
        state = self.recorder.wait_json(f'axpert/{serial}/state',
                                        lambda s: s['battery_voltage'] == 50.1, timeout=10)
        self.assertTrue(state['online'])
        self.control('set OutputSourcePriority sbu')
        self.recorder.wait_json(f'axpert/{serial}/state',
                                lambda s: s['output_source_priority'] == 'sbu', timeout=90)

    def test_inverter_goes_silent(self):
        """An outage with parallel units: the daemon drops the units while the inverter is
        offline, but Home Assistant must keep them (unavailable): no config of theirs is
        emptied, before, during or after it; their states come back."""
        serial = self.up('--units=2')
        cfg = f'homeassistant/sensor/axpert_{serial}/unit1_battery_voltage/config'
        self.recorder.wait(cfg, lambda p: len(p) > 0, timeout=30)
        self.control('fault silence')
        self.recorder.wait(f'axpert/{serial}/availability', lambda p: p == b'offline', timeout=60)
        self.recorder.wait_json(f'axpert/{serial}/state', lambda s: s['online'] is False)
        last_error = json.loads(self.recorder.last(
            f'homeassistant/sensor/axpert_{serial}/last_error/config'))
        self.assertEqual(last_error['availability'], [{'topic': 'axpert/bridge/availability'}])
        self.control('fault none')
        self.recorder.wait(f'axpert/{serial}/availability', lambda p: p == b'online', timeout=60)
        # The units are back (a state of theirs after the outage) and, some cycles later,
        # nothing of theirs was removed. (Waiting for an absence: under load this checks fewer
        # cycles, it cannot fail wrongly.)
        n = len(self.recorder.all(f'axpert/{serial}/unit1/state'))
        testlib.wait_for(lambda: len(self.recorder.all(f'axpert/{serial}/unit1/state')) > n
                         or None, 30, what='unit 1 back')
        time.sleep(5)
        emptied = [m[0] for m in self.recorder.all()
                   if m[1] == b'' and '/unit' in m[0] and '_total_' not in m[0]]
        self.assertEqual(emptied, [])

    def test_daemon_stops_and_starts(self):
        serial = self.up()
        self.daemon.stop()
        self.recorder.wait(f'axpert/{serial}/availability', lambda p: p == b'offline')
        self.assertEqual(self.recorder.last('axpert/bridge/availability'), b'online')
        self.recorder.clear()
        self.start_daemon()
        self.recorder.wait(f'axpert/{serial}/availability', lambda p: p == b'online', timeout=30)
        self.recorder.wait(f'axpert/{serial}/state')
        self.recorder.wait(f'homeassistant/sensor/axpert_{serial}/battery_voltage/config')

    def test_bridge_stops_and_dies(self):
        self.up()
        self.assertEqual(self.bridge.stop(signal.SIGTERM), 0)
        self.recorder.wait('axpert/bridge/availability', lambda p: p == b'offline')
        self.recorder.clear()
        self.start_bridge()
        self.recorder.wait('axpert/bridge/availability', lambda p: p == b'online')
        self.bridge.stop(signal.SIGKILL)
        self.recorder.wait('axpert/bridge/availability', lambda p: p == b'offline')  # the will

    def test_broker_restart(self):
        serial = self.up()
        port = self.broker.port
        self.recorder.close()
        self.broker.stop()
        time.sleep(1)
        self.broker = mqttlib.Broker(self, port=port).start()
        self.recorder = mqttlib.Recorder(port)
        self.addCleanup(self.recorder.close)
        self.recorder.wait('axpert/bridge/availability', lambda p: p == b'online', timeout=70)
        self.recorder.wait(f'axpert/{serial}/state')
        self.recorder.wait(f'homeassistant/sensor/axpert_{serial}/battery_voltage/config')

    def command(self, serial, setting, payload, timeout=60):
        result = f'axpert/{serial}/set/result'
        self.recorder.clear()
        self.recorder.publish(f'axpert/{serial}/set/{setting}', payload)
        return self.recorder.wait_json(result, lambda r: r['setting'] == setting, timeout=timeout)

    def test_command_allowed(self):
        """As root, polkit is skipped (uid 0): the change reaches the inverter."""
        serial = self.up(Commands={'Enabled': 'true'})
        time.sleep(1)
        r = self.command(serial, 'output_source_priority', b'sbu')
        self.assertEqual(r, {'setting': 'output_source_priority', 'value': 'sbu', 'result': 'ok',
                             'message': ''})
        self.assertEqual(self.sim_get('OutputSourcePriority'), 'sbu')
        self.recorder.wait_json(f'axpert/{serial}/state',
                                lambda s: s['output_source_priority'] == 'sbu', timeout=30)
        r = self.command(serial, 'max_charging_current', b'40')
        self.assertEqual(r['result'], 'ok')
        self.assertEqual(float(self.sim_get('MaxChargingCurrent')), 40.0)
        # The daemon's own validation: 55 A is not in the inverter's list; nothing is sent.
        self.control('history clear')
        r = self.command(serial, 'max_charging_current', b'55')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.InvalidArgs')
        self.assertFalse([h for h in self.control('history') if not h.startswith('Q')])
        r = self.command(serial, 'max_charging_current', b'lots')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.InvalidArgs')


class DeniedTest(mqttlib.EndToEndTestCase):
    """axpert-mqtt as an unprivileged user: polkit (python-dbusmock's polkitd) decides."""
    bus_extra = '''<policy context="default">
  <allow user="*"/>
  <allow send_destination="org.axpert.Inverter"/>
</policy>'''

    def polkit(self, method, *args):
        import dbus
        bus = dbus.bus.BusConnection(self.bus.address)
        try:
            obj = bus.get_object('org.freedesktop.PolicyKit1',
                                 '/org/freedesktop/PolicyKit1/Authority')
            return obj.get_dbus_method(method, 'org.freedesktop.DBus.Mock')(*args)
        finally:
            bus.close()

    def test_command_denied_then_allowed(self):
        self.spawn('polkitd', ['/usr/bin/python3', '-m', 'dbusmock', '--template', 'polkitd',
                               '--system'])
        wait_for(lambda: self.bus_has_name('org.freedesktop.PolicyKit1'), 20, what='polkitd')
        self.start_sim()
        self.start_daemon()
        config = self.write_config(Commands={'Enabled': 'true'})
        os.chmod(config, 0o644)
        # A copy in the test's own directory: the build tree may not be reachable for nobody.
        binary = os.path.join(self.tmpdir, 'axpert-mqtt')
        shutil.copy(testlib.build_path('mqtt', 'axpert-mqtt'), binary)
        os.chmod(binary, 0o755)
        nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']
        probe = subprocess.run(nobody + [binary, '--version'], capture_output=True)
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.bridge = self.spawn('axpert-mqtt', nobody + [binary, '--config', config])
        serial = self.wait_serial()
        time.sleep(1)
        self.control('history clear')
        self.polkit('SetAllowed', [])
        self.recorder.clear()
        self.recorder.publish(f'axpert/{serial}/set/output_source_priority', b'sbu')
        r = self.recorder.wait_json(f'axpert/{serial}/set/result', timeout=30)
        self.assertIn(r['result'], ('org.freedesktop.DBus.Error.AccessDenied',
                                    'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'))
        self.assertFalse([h for h in self.control('history') if not h.startswith('Q')])
        self.assertNotEqual(self.sim_get('OutputSourcePriority'), 'sbu')
        # The example rule grants the low-risk actions: allowed now.
        self.polkit('SetAllowed', ['org.axpert.Inverter.set-priorities'])
        self.recorder.clear()
        self.recorder.publish(f'axpert/{serial}/set/output_source_priority', b'sbu')
        r = self.recorder.wait_json(f'axpert/{serial}/set/result', timeout=30)
        self.assertEqual(r['result'], 'ok', r)
        self.assertEqual(self.sim_get('OutputSourcePriority'), 'sbu')


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_inverter_goes_silent', 'test_state_follows_change',
                                'test_broker_restart'))
