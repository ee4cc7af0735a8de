#!/usr/bin/python3
"""The hassio-axpert (MindFreeze) topics: exactly the keys, spellings, JSON types and value texts
of MQTT.md, from the mock daemon's values."""
import time

import mqttlib
from mqttlib import SERIAL, testlib
import axpert_template as t

PARALLEL = {  # key -> JSON type
    'SerialNumber': int, 'Gridmode': int, 'Solarmode': int,
    'BatteryChargingCurrent': int, 'BatteryDischargeCurrent': int, 'TotalChargingCurrent': int,
    'GridVoltage': float, 'GridFrequency': float, 'OutputVoltage': float,
    'OutputFrequency': float, 'OutputAparentPower': int, 'OutputActivePower': int,
    'LoadPercentage': int, 'BatteryVoltage': float, 'BatteryCapacity': float,
    'PvInputVoltage': float, 'TotalAcOutputApparentPower': int, 'TotalAcOutputActivePower': int,
    'TotalAcOutputPercentage': int, 'OutputMode': int, 'ChargerSourcePriority': int,
    'MaxChargeCurrent': int, 'MaxChargerRange': int, 'MaxAcChargerCurrent': int,
    'PvInputCurrentForBattery': int,
}
INVERTER = {
    'BusVoltage': float, 'InverterHeatsinkTemperature': float, 'BatteryVoltageFromScc': float,
    'PvInputVoltage': float, 'PvInputCurrent': int, 'PvInputPower': int,
    'BatteryChargingCurrent': int, 'BatteryDischargeCurrent': int, 'DeviceStatus': str,
}
SETTINGS = {
    'AcInputVoltage': float, 'AcInputCurrent': float, 'AcOutputVoltage': float,
    'AcOutputFrequency': float, 'AcOutputCurrent': float, 'BatteryVoltage': float,
    'BatteryRechargeVoltage': float, 'BatteryUnderVoltage': float, 'BatteryBulkVoltage': float,
    'BatteryFloatVoltage': float, 'BatteryRedischargeVoltage': float,
    'AcOutputApparentPower': int, 'AcOutputActivePower': int, 'MaxAcChargingCurrent': int,
    'MaxChargingCurrent': int, 'MaxParallelUnits': int, 'MaxBatteryCvChargingTime': int,
    'BatteryType': str, 'InputVoltageRange': str, 'OutputSourcePriority': str,
    'ChargerSourcePriority': str, 'MachineType': str, 'Topology': str, 'OutputMode': str,
    'PvOkCondition': str, 'PvPowerBalance': str,
}
TEXTS = {  # MQTT.md's value texts for each settings key
    'BatteryType': {'AGM', 'Flooded', 'User'},
    'InputVoltageRange': {'Appliance', 'UPS'},
    'OutputSourcePriority': {'utility', 'solar', 'battery'},
    'ChargerSourcePriority': {'utility first', 'solar first', 'solar + utility', 'solar only'},
    'MachineType': {'Grid tie', 'Off Grid', 'Hybrid'},
    'Topology': {'transformerless', 'transformer'},
    'OutputMode': {'single machine output', 'parallel output', 'Phase 1 of 3 Phase output',
                   'Phase 2 of 3 Phase output', 'Phase 3 of 3 Phase output'},
    'PvOkCondition': {
        'As long as one unit of inverters has connect PV, parallel system will consider PV OK',
        'Only All of inverters have connect PV, parallel system will consider PV OK'},
    'PvPowerBalance': {
        'PV input max current will be the max charged current',
        'PV input max power will be the sum of the max charged power and loads power'},
}
INV = '/org/axpert/Inverter/0'


class CompatTest(mqttlib.MqttTestCase):

    def start(self, **mock):
        self.start_mock(**mock)
        self.start_bridge(MindFreeze={'Enabled': 'true'})
        self.wait_online()
        p = self.recorder.wait_json('power/axpert')
        i = self.recorder.wait_json(f'power/axpert{SERIAL}')
        s = self.recorder.wait_json('power/axpert_settings')
        return p, i, s

    def check_types(self, payload, spec):
        self.assertEqual(set(payload), set(spec))
        for key, typ in spec.items():
            # bool is an int in Python; JSON true/false would be wrong here.
            self.assertIs(type(payload[key]), typ, key)

    def test_parallel_from_unit0(self):
        p, i, s = self.start()
        self.check_types(p, PARALLEL)
        self.check_types(i, INVERTER)
        self.check_types(s, SETTINGS)
        u = t.unit_properties(0, '92931701100200')
        self.assertEqual(p['SerialNumber'], 92931701100200)
        self.assertEqual((p['Gridmode'], p['Solarmode']), (0, 1))  # unit 0 is in battery mode
        self.assertEqual(p['GridVoltage'], u['GridVoltage'])
        self.assertEqual(p['GridFrequency'], u['GridFrequency'])
        self.assertEqual(p['OutputVoltage'], u['AcOutputVoltage'])
        self.assertEqual(p['OutputFrequency'], u['AcOutputFrequency'])
        self.assertEqual(p['OutputAparentPower'], 1012)
        self.assertEqual(p['OutputActivePower'], 961)
        self.assertEqual(p['LoadPercentage'], 20)
        self.assertEqual(p['BatteryVoltage'], 52.1)
        self.assertEqual(p['BatteryCapacity'], 86.0)
        self.assertEqual(p['PvInputVoltage'], 305.5)
        self.assertEqual(p['TotalAcOutputApparentPower'], 2024)
        self.assertEqual(p['TotalAcOutputActivePower'], 1922)
        self.assertEqual(p['TotalAcOutputPercentage'], 20)
        self.assertEqual(p['TotalChargingCurrent'], 16)
        self.assertEqual(p['OutputMode'], 1)               # parallel
        self.assertEqual(p['ChargerSourcePriority'], 2)    # solar + utility
        self.assertEqual((p['MaxChargeCurrent'], p['MaxChargerRange'],
                          p['MaxAcChargerCurrent']), (60, 100, 30))
        self.assertEqual(p['PvInputCurrentForBattery'], 6)
        self.assertEqual(p['BatteryChargingCurrent'], 8)
        self.assertEqual(p['BatteryDischargeCurrent'], 0)
        # power/axpert{sn}
        self.assertEqual(i, {'BusVoltage': 395.0, 'InverterHeatsinkTemperature': 41.0,
                             'BatteryVoltageFromScc': 52.35, 'PvInputVoltage': 312.6,
                             'PvInputCurrent': 7, 'PvInputPower': 2313,
                             'BatteryChargingCurrent': 12, 'BatteryDischargeCurrent': 0,
                             'DeviceStatus': '00010110'})
        # power/axpert_settings
        self.assertEqual(s['AcInputVoltage'], 230.0)
        self.assertEqual(s['AcInputCurrent'], 21.7)
        self.assertEqual(s['AcOutputApparentPower'], 5000)
        self.assertEqual(s['BatteryVoltage'], 48.0)
        self.assertEqual(s['BatteryBulkVoltage'], 56.4)
        self.assertEqual(s['MaxParallelUnits'], 9)
        self.assertEqual(s['MaxBatteryCvChargingTime'], 224)
        self.assertEqual(s['BatteryType'], 'User')
        self.assertEqual(s['InputVoltageRange'], 'Appliance')
        self.assertEqual(s['OutputSourcePriority'], 'solar')
        self.assertEqual(s['ChargerSourcePriority'], 'solar first')
        self.assertEqual(s['MachineType'], 'Off Grid')
        self.assertEqual(s['Topology'], 'transformerless')
        self.assertEqual(s['OutputMode'], 'single machine output')
        self.assertEqual(s['PvOkCondition'], 'As long as one unit of inverters has connect PV, '
                                             'parallel system will consider PV OK')
        self.assertEqual(s['PvPowerBalance'], 'PV input max power will be the sum of the max '
                                              'charged power and loads power')
        for key, texts in TEXTS.items():
            self.assertIn(s[key], texts, key)
        # Not retained, as the add-on published them: test_not_retained_like_the_add_on.

    def test_every_text(self):
        """Each enum value of the bus maps to MQTT.md's text."""
        self.start()
        cases = [
            ('BatteryType', [('agm', 'AGM'), ('flooded', 'Flooded'), ('user', 'User')]),
            ('InputVoltageRange', [('ups', 'UPS'), ('appliance', 'Appliance')]),
            ('OutputSourcePriority', [('utility-first', 'utility'), ('sbu', 'battery'),
                                      ('solar-first', 'solar')]),
            ('ChargerSourcePriority', [('utility-first', 'utility first'),
                                       ('solar-and-utility', 'solar + utility'),
                                       ('solar-only', 'solar only')]),
            ('MachineType', [('grid-tie', 'Grid tie'), ('hybrid', 'Hybrid'),
                             ('off-grid', 'Off Grid')]),
            ('Topology', [('transformer', 'transformer')]),
            ('OutputMode', [('parallel', 'parallel output'),
                            ('phase1-of-3', 'Phase 1 of 3 Phase output'),
                            ('phase2-of-3', 'Phase 2 of 3 Phase output'),
                            ('phase3-of-3', 'Phase 3 of 3 Phase output')]),
            ('PvOkCondition', [('all-units', 'Only All of inverters have connect PV, parallel '
                                             'system will consider PV OK')]),
            ('PvPowerBalance', [('max-current', 'PV input max current will be the max charged '
                                                'current')]),
        ]
        for prop, pairs in cases:
            for bus, text in pairs:
                self.mock_update(INV, 'org.axpert.Inverter', {prop: bus})
                self.recorder.wait_json('power/axpert_settings',
                                        lambda s, k=prop, v=text: s[k] == v)

    def test_without_parallel_support(self):
        """No unit 0: the same keys from the inverter's own status, never an empty topic."""
        p, i, s = self.start(units=0)
        self.check_types(p, PARALLEL)
        inv = t.inverter_properties(SERIAL, 0)
        self.assertEqual(p['SerialNumber'], int(SERIAL))
        self.assertEqual((p['Gridmode'], p['Solarmode']), (1, 0))  # the inverter is on line
        self.assertEqual(p['GridVoltage'], inv['GridVoltage'])
        self.assertEqual(p['OutputVoltage'], inv['AcOutputVoltage'])
        self.assertEqual(p['OutputAparentPower'], 1150)
        self.assertEqual(p['OutputActivePower'], 1083)
        self.assertEqual(p['LoadPercentage'], 23)
        self.assertEqual(p['BatteryVoltage'], 52.3)
        self.assertEqual(p['TotalAcOutputActivePower'], 1083)
        self.assertEqual(p['TotalChargingCurrent'], 12)
        self.assertEqual(p['OutputMode'], 0)             # single
        self.assertEqual(p['ChargerSourcePriority'], 1)  # solar first
        self.assertEqual(p['MaxChargeCurrent'], 60)
        self.assertEqual(p['MaxChargerRange'], 100)      # the largest accepted current
        self.assertEqual(p['MaxAcChargerCurrent'], 30)
        self.assertEqual(p['PvInputCurrentForBattery'], 7)
        self.assertEqual(s['MaxParallelUnits'], 0)

    def test_published_every_cycle_not_when_offline(self):
        self.start()
        self.mock_update(INV, 'org.axpert.Inverter', {'BusVoltage': 401.0})
        self.recorder.wait_json(f'power/axpert{SERIAL}', lambda j: j['BusVoltage'] == 401.0)
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': False})
        self.recorder.wait(f'axpert/{SERIAL}/availability', lambda p: p == b'offline')
        self.recorder.clear()
        # While offline, stale values are not presented as fresh on topics without availability.
        self.mock_update(INV, 'org.axpert.Inverter', {'BusVoltage': 402.0})
        self.recorder.wait_json(f'axpert/{SERIAL}/state', lambda j: j['bus_voltage'] == 402.0)
        self.assertEqual(self.recorder.all(f'power/axpert{SERIAL}'), [])

    def test_not_retained_like_the_add_on(self):
        """The add-on published without the retain flag, so that expire_after in the users'
        sensor configs marks the values stale while the inverter is offline: nothing is kept
        by the broker, and what an earlier version left retained is removed."""
        stale = b'{"BusVoltage": 1.0}'
        for topic in ('power/axpert', f'power/axpert{SERIAL}', 'power/axpert_settings'):
            self.recorder.publish(topic, stale, retain=True)
            self.recorder.wait(topic)
        self.recorder.clear()
        self.start()
        self.mock_update(INV, 'org.axpert.Inverter', {'BusVoltage': 401.0})
        self.recorder.wait_json(f'power/axpert{SERIAL}', lambda j: j['BusVoltage'] == 401.0)
        topics = ('power/axpert', f'power/axpert{SERIAL}', 'power/axpert_settings')
        late = mqttlib.Recorder(self.broker.port, topics=topics)
        self.addCleanup(late.close)
        # A subscriber that comes later gets nothing: neither the values nor the stale copies.
        # (Its subscription is confirmed by a message of its own.)
        late.client.subscribe('late/probe', 1)
        time.sleep(0.5)
        self.recorder.publish('late/probe', b'x')
        testlib.wait_for(lambda: late.all('late/probe') or None, 10, what='the probe')
        self.assertEqual([m for m in late.all() if m[0] in topics and m[1]], [])
        # Offline: the values stop; nothing retained is left to look current.
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': False})
        self.recorder.wait(f'axpert/{SERIAL}/availability', lambda p: p == b'offline')
        later = mqttlib.Recorder(self.broker.port, topics=topics + ('late/probe',))
        self.addCleanup(later.close)
        time.sleep(0.5)
        self.recorder.publish('late/probe', b'y')
        testlib.wait_for(lambda: later.all('late/probe') or None, 10, what='the probe')
        self.assertEqual([m for m in later.all() if m[0] in topics and m[1]], [])

    def test_unexpected_types_from_the_bus(self):
        """A daemon sending other types than the contract says: nulls, no crash, no made-up
        values."""
        import dbus
        p, i, s = self.start()
        self.mock_update(INV, 'org.axpert.Inverter', {
            'BusVoltage': 'four hundred', 'PvInputPower': dbus.Array([1.0, 2.0], signature='d'),
            'DeviceStatus': dbus.UInt32(7), 'BatteryType': dbus.Double(1.5)})
        i = self.recorder.wait_json(f'power/axpert{SERIAL}', lambda j: j['BusVoltage'] is None)
        self.assertIsNone(i['DeviceStatus'])
        self.assertEqual(i['PvInputPower'], 2)  # the largest entry of a list, as for ranges
        s = self.recorder.wait_json('power/axpert_settings', lambda j: j['BatteryType'] is None)
        state = self.recorder.wait_json(f'axpert/{SERIAL}/state',
                                        lambda j: j['bus_voltage'] == 'four hundred')
        self.assertEqual(state['device_status'], 7)
        self.assertTrue(self.bridge.running())

    def test_custom_topics(self):
        self.start_mock()
        self.start_bridge(MindFreeze={'Enabled': 'true', 'ParallelTopic': 'p/all',
                                      'InverterTopic': 'inv/{sn}/now',
                                      'SettingsTopic': 'inv/settings'})
        self.recorder.wait('p/all')
        self.recorder.wait(f'inv/{SERIAL}/now')
        self.recorder.wait('inv/settings')

    def test_disabled_by_default(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.assertFalse([m for m in self.recorder.all() if m[0].startswith('power/')])


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_not_retained_like_the_add_on',))
