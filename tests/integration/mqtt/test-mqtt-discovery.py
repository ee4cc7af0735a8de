#!/usr/bin/python3
"""Home Assistant discovery payloads checked against what Home Assistant accepts (ha_rules)."""
import json
import time

import ha_rules
import history_template
import mqttlib
from mqttlib import SERIAL, testlib

PREFIX = f'homeassistant/'


def configs(recorder):
    """(component, object_id) -> payload of every non-empty discovery config seen last."""
    out = {}
    for topic, payload in recorder.latest().items():
        parts = topic.split('/')
        if len(parts) == 5 and parts[0] == 'homeassistant' and parts[4] == 'config':
            if payload:
                out[(parts[1], parts[2], parts[3])] = json.loads(payload)
    return out


def snake(name):
    return ''.join('_' + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


# The energy counters of org.axpert.History (its XML), as their object ids.
ENERGY_IDS = {snake(n) for n in history_template.counters(history_template.read_contract(
    testlib.source_path('dbus', 'org.axpert.History.xml')))}


class DiscoveryTest(mqttlib.MqttTestCase):

    def collect(self, commands=False, units=1, count_min=50, history=False):
        if history:
            self.start_history()
        self.start_mock(units=units)
        self.start_bridge(Commands={'Enabled': 'true' if commands else 'false'})
        self.wait_online()
        self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/battery_voltage/config')
        # Let the whole burst arrive.
        n = -1
        while n != len(self.recorder.all()):
            n = len(self.recorder.all())
            time.sleep(0.5)
        cfgs = configs(self.recorder)
        self.assertGreater(len(cfgs), count_min)
        return cfgs

    def check_all(self, cfgs):
        problems = []
        unique_ids = set()
        for (component, node, object_id), cfg in cfgs.items():
            where = f'{component}/{node}/{object_id}'
            for p in ha_rules.check_payload(component, cfg):
                problems.append(f'{where}: {p}')
            self.assertEqual(node, f'axpert_{SERIAL}', where)
            device_id = cfg['device']['identifiers'][0]
            # unique_id is axpert_<serial>_<object_id> (units: axpert_<serial>_unit<N>_…).
            self.assertEqual(cfg['unique_id'], f'axpert_{SERIAL}_{object_id}', where)
            self.assertNotIn(cfg['unique_id'], unique_ids)
            unique_ids.add(cfg['unique_id'])
            # The energy counters also need axpert-history (its own availability topic).
            extra = ([{'topic': f'axpert/{SERIAL}/history/availability'}]
                     if object_id in ENERGY_IDS else [])
            # What explains an offline inverter stays available while it is offline.
            inverter = ([] if object_id == 'last_error'
                        else [{'topic': f'axpert/{SERIAL}/availability'}])
            self.assertEqual(cfg['availability'], [
                {'topic': 'axpert/bridge/availability'}] + inverter + extra, where)
            self.assertEqual(cfg['availability_mode'], 'all')
            self.assertEqual(cfg['device']['manufacturer'], 'Voltronic Power')
            self.assertEqual(cfg['device']['model'], 'MKS2-5000')
            if object_id.startswith('unit'):
                n = object_id[4:object_id.index('_')]
                self.assertEqual(device_id, f'axpert_{SERIAL}_unit{n}', where)
                self.assertEqual(cfg['device']['via_device'], f'axpert_{SERIAL}', where)
                self.assertEqual(cfg['state_topic'], f'axpert/{SERIAL}/unit{n}/state', where)
            else:
                self.assertEqual(device_id, f'axpert_{SERIAL}', where)
                self.assertNotIn('via_device', cfg['device'])
                self.assertEqual(cfg['device']['serial_number'], SERIAL)
                self.assertEqual(cfg['device']['sw_version'], '00072.70')
                self.assertEqual(cfg['state_topic'], f'axpert/{SERIAL}/state', where)
            self.assertIn('value_json.', cfg['value_template'], where)
        self.assertEqual(problems, [])

    def test_rules_reject_bad_combinations(self):
        """The checker itself: each of these is something Home Assistant rejects or warns about."""
        base = {'name': 'x', 'unique_id': 'x', 'state_topic': 't', 'value_template': 'v',
                'availability': [], 'availability_mode': 'all', 'device': {}}
        for component, extra in [('binary_sensor', {'payload_on': 'ON', 'payload_off': 'OFF',
                                                      'entity_category': 'config'}),
                                 ('switch', {'payload_on': 'ON', 'payload_off': 'OFF',
                                             'state_on': 'ON', 'state_off': 'OFF',
                                             'command_topic': 'c',
                                             'entity_category': 'diagnostic'}),
                                 ('sensor', {'enabled_by_default': 'no'}),
                                 ('sensor', {'name': ' '})]:
            self.assertNotEqual(ha_rules.check_payload(component, {**base, **extra}), [], extra)
        device = {'identifiers': ['d']}
        self.assertNotEqual(ha_rules.check_device_names({
            ('sensor', 'battery_type'): {'name': 'Battery type', 'device': device},
            ('select', 'set_battery_type'): {'name': 'Battery type', 'device': device}}), [])
        bad = [
            {'device_class': 'voltage', 'unit_of_measurement': 'W'},
            {'device_class': 'power', 'unit_of_measurement': 'VA'},
            {'device_class': 'energy', 'unit_of_measurement': 'kWh', 'state_class': 'measurement'},
            {'device_class': 'enum', 'unit_of_measurement': 'V', 'options': ['a']},
            {'device_class': 'enum', 'state_class': 'measurement', 'options': ['a']},
            {'device_class': 'enum'},
            {'device_class': 'volts', 'unit_of_measurement': 'V'},
            {'state_class': 'sometimes'},
            {'entity_category': 'config'},
            {'availability_mode': 'any'},
        ]
        for extra in bad:
            self.assertNotEqual(ha_rules.check_payload('sensor', {**base, **extra}), [], extra)
        self.assertEqual(ha_rules.check_payload('sensor', {**base, 'device_class': 'energy',
                                                           'unit_of_measurement': 'kWh',
                                                           'state_class': 'total_increasing'}),
                         [])
        self.assertNotEqual(ha_rules.check_payload(
            'binary_sensor', {**base, 'payload_on': 'ON', 'payload_off': 'OFF',
                              'device_class': 'warning'}), [])
        # Energy sensors: what Home Assistant refuses, and what keeps one off the Energy
        # dashboard.
        energy = {**base, 'device_class': 'energy', 'unit_of_measurement': 'kWh',
                  'state_class': 'total_increasing', 'suggested_display_precision': 2}
        self.assertEqual(ha_rules.check_payload('sensor', energy), [])
        self.assertEqual(ha_rules.check_energy_dashboard(energy), [])
        for extra in [{'unit_of_measurement': 'W'}, {'unit_of_measurement': None},
                      {'unit_of_measurement': 'kwh'}, {'state_class': 'measurement'},
                      {'suggested_display_precision': -1},
                      {'suggested_display_precision': '2'},
                      {'suggested_display_precision': True},
                      {'last_reset_value_template': '{{ value_json.reset }}'},
                      {'availability': [{'topic': ''}]}, {'availability': 'a/b'}]:
            self.assertNotEqual(ha_rules.check_payload('sensor', {**energy, **extra}), [], extra)
        for extra in [{'state_class': None}, {'device_class': 'power', 'unit_of_measurement': 'W',
                                              'state_class': 'measurement'},
                      {'unit_of_measurement': 'W'}]:
            self.assertNotEqual(ha_rules.check_energy_dashboard({**energy, **extra}), [], extra)

    def test_sensors_valid(self):
        cfgs = self.collect()
        self.check_all(cfgs)
        inv = {oid: c for (comp, _, oid), c in cfgs.items()}
        # Spot checks of the classes that matter most to the energy dashboard.
        self.assertEqual((inv['battery_voltage']['device_class'],
                          inv['battery_voltage']['unit_of_measurement'],
                          inv['battery_voltage']['state_class']), ('voltage', 'V', 'measurement'))
        self.assertEqual(inv['ac_output_apparent_power']['unit_of_measurement'], 'VA')
        self.assertEqual(inv['ac_output_apparent_power']['device_class'], 'apparent_power')
        self.assertEqual(inv['pv_input_power']['device_class'], 'power')
        self.assertEqual(inv['battery_capacity']['device_class'], 'battery')
        self.assertEqual(inv['heatsink_temperature']['unit_of_measurement'], '°C')
        self.assertEqual(inv['grid_frequency']['unit_of_measurement'], 'Hz')
        # Enums: device_class enum, options, no unit or state class.
        mode = inv['mode']
        self.assertEqual(mode['device_class'], 'enum')
        self.assertIn('line', mode['options'])
        self.assertNotIn('unit_of_measurement', mode)
        self.assertNotIn('state_class', mode)
        self.assertIn('sbu', inv['output_source_priority']['options'])
        # "Last error" is available with the bridge alone: it matters while offline.
        self.assertEqual(inv['last_error']['availability'],
                         [{'topic': 'axpert/bridge/availability'}])
        # Diagnostics.
        for oid in ('firmware_version', 'serial_number', 'model_name', 'protocol_id'):
            self.assertEqual(inv[oid]['entity_category'], 'diagnostic', oid)
        # Binary sensors: warnings, faults, status bits, and one per QPIWS condition.
        bins = {oid for (comp, _, oid) in cfgs if comp == 'binary_sensor'}
        for oid in ('warnings', 'faults', 'load_on', 'charging', 'scc_charging',
                    'condition_line_fail', 'condition_overload', 'condition_fan_locked',
                    'unit0_line_loss'):
            self.assertIn(oid, bins)
        self.assertEqual(cfgs[('binary_sensor', f'axpert_{SERIAL}', 'warnings')]['device_class'],
                         'problem')
        # No command entities without Commands Enabled.
        self.assertFalse([k for k in cfgs if k[0] in ('select', 'number', 'switch')])
        # Unit device.
        self.assertIn(('sensor', f'axpert_{SERIAL}', 'unit0_battery_voltage'), cfgs)
        # Properties the daemon does not export get no entity (nothing that never has a value).
        self.assertNotIn('last_update_timestamp', inv)

    def test_energy_sensors_valid(self):
        """With axpert-history on the bus: its energy counters, every one the XML has, are
        sensors on the inverter's device that Home Assistant and its Energy dashboard accept."""
        cfgs = self.collect(history=True)
        self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/pv_energy_total/config')
        cfgs = configs(self.recorder)
        self.check_all(cfgs)
        energy = {oid: c for (comp, _, oid), c in cfgs.items() if c.get('device_class') == 'energy'}
        self.assertEqual(len(ENERGY_IDS), 20)
        self.assertEqual(set(energy), ENERGY_IDS)
        for oid, cfg in energy.items():
            self.assertEqual(ha_rules.check_energy_dashboard(cfg), [], oid)
            self.assertEqual((cfg['unit_of_measurement'], cfg['state_class']),
                             ('kWh', 'total_increasing'), oid)
            self.assertEqual(cfg['device']['identifiers'], [f'axpert_{SERIAL}'], oid)
            self.assertIsInstance(cfg['suggested_display_precision'], int)
        self.assertEqual(energy['pv_energy_today']['name'], 'PV energy today')
        self.assertEqual(energy['battery_discharge_energy_this_month']['name'],
                         'Battery discharge energy this month')

    def test_command_entities_valid(self):
        cfgs = self.collect(commands=True)
        self.check_all(cfgs)
        by = {(comp, oid): c for (comp, _, oid), c in cfgs.items()}
        sel = by[('select', 'set_output_source_priority')]
        self.assertEqual(sel['options'], ['utility-first', 'solar-first', 'sbu'])
        self.assertEqual(sel['command_topic'], f'axpert/{SERIAL}/set/output_source_priority')
        self.assertEqual(sel['entity_category'], 'config')
        # What the daemon says this inverter accepts (SettingChoices): no lithium types here.
        self.assertEqual(by[('select', 'set_battery_type')]['options'], ['agm', 'flooded', 'user'])
        # A list of values (SettingOptions) is a select, printed as the state prints them.
        cur = by[('select', 'set_max_charging_current')]
        self.assertEqual(cur['options'], [f'{v}.0' for v in range(10, 101, 10)])
        self.assertEqual(cur['value_template'], '{{ value_json.max_charging_current }}')
        ac = by[('select', 'set_max_ac_charging_current')]
        self.assertEqual(ac['options'], ['2.0', '10.0', '20.0', '30.0', '40.0', '50.0', '60.0'])
        rd = by[('select', 'set_battery_redischarge_voltage')]
        self.assertEqual(rd['options'], ['0.0'] + [f'{v}.0' for v in range(48, 59)])
        self.assertEqual(by[('select', 'set_output_frequency')]['options'], ['50.0', '60.0'])
        for oid in ('set_max_charging_current', 'set_max_ac_charging_current',
                    'set_battery_redischarge_voltage', 'set_output_frequency'):
            self.assertNotIn(('number', oid), by)
            self.assertNotIn('unit_of_measurement', by[('select', oid)])
        # A stepped range (SettingLimits) is a number.
        rc = by[('number', 'set_battery_recharge_voltage')]
        self.assertEqual((rc['min'], rc['max'], rc['step']), (44, 51, 1))
        self.assertEqual(rc['unit_of_measurement'], 'V')
        bulk = by[('number', 'set_battery_bulk_voltage')]
        self.assertEqual((bulk['min'], bulk['max'], bulk['step']), (48, 58.4, 0.1))
        self.assertEqual(sorted(oid for comp, oid in by if comp == 'number'),
                         ['set_battery_bulk_voltage', 'set_battery_float_voltage',
                          'set_battery_recharge_voltage', 'set_battery_under_voltage'])
        sw = by[('switch', 'set_flag_buzzer')]
        self.assertEqual(sw['command_topic'], f'axpert/{SERIAL}/set/flag/buzzer')
        self.assertIn('buzzer_enabled', sw['value_template'])
        self.assertEqual(len([1 for comp, oid in by if comp == 'switch']), 9)

    def test_controls_follow_the_bus(self):
        """SettingLimits, SettingOptions and SettingChoices change (a new battery rating, other
        firmware): the command entities change with them, and only they are published again;
        one that changed kind or can no longer be set is removed (an empty retained config)."""
        import axpert_template as tpl
        cfgs = self.collect(commands=True)
        self.assertIn(('number', f'axpert_{SERIAL}', 'set_battery_recharge_voltage'), cfgs)
        node = f'homeassistant/{{}}/axpert_{SERIAL}/{{}}/config'
        self.recorder.clear()
        limits = dict(tpl.LIMITS)
        del limits['SetBatteryRechargeVoltage']  # now a list
        del limits['SetBatteryBulkVoltage']      # now not settable at all
        options = dict(tpl.OPTIONS, SetBatteryRechargeVoltage=[44.0, 45.5, 47.0])
        choices = dict(tpl.CHOICES, SetBatteryType=['agm', 'flooded', 'user', 'pylontech'],
                       SetFlag=[f for f in tpl.CHOICES['SetFlag'] if f != 'buzzer'])
        self.mock_update_dicts('/org/axpert/Inverter/0', {
            'SettingLimits': tpl.setting_limits(limits),
            'SettingOptions': tpl.setting_options(options),
            'SettingChoices': tpl.setting_choices(choices)})
        sel = json.loads(self.recorder.wait(
            node.format('select', 'set_battery_recharge_voltage'), lambda p: len(p) > 0))
        self.assertEqual(sel['options'], ['44.0', '45.5', '47.0'])
        self.recorder.wait(node.format('number', 'set_battery_recharge_voltage'),
                           lambda p: p == b'')
        self.recorder.wait(node.format('number', 'set_battery_bulk_voltage'), lambda p: p == b'')
        self.recorder.wait(node.format('switch', 'set_flag_buzzer'), lambda p: p == b'')
        types = json.loads(self.recorder.wait(node.format('select', 'set_battery_type')))
        self.assertEqual(types['options'], ['agm', 'flooded', 'user', 'pylontech'])
        time.sleep(1)
        seen = self.recorder.latest()
        # Nothing of the bulk voltage is offered: it is a sensor now (one entity per setting),
        # and no other sensor config was sent again.
        self.assertNotIn(node.format('select', 'set_battery_bulk_voltage'), seen)
        self.assertEqual([t for t in seen if t.startswith('homeassistant/sensor/')],
                         [node.format('sensor', 'battery_bulk_voltage')])
        self.assertEqual([t for t in seen if t.startswith('homeassistant/binary_sensor/')],
                         [node.format('binary_sensor', 'buzzer_enabled')])
        # Unchanged controls are published again as they were; the other kind stays unused.
        self.assertEqual(json.loads(seen[node.format('number', 'set_battery_float_voltage')])
                         ['max'], 58.4)
        self.assertNotIn(node.format('select', 'set_battery_float_voltage'), seen)

        # Back: the number returns, the select of the recharge voltage is removed.
        self.recorder.clear()
        self.mock_update_dicts('/org/axpert/Inverter/0', {
            'SettingLimits': tpl.setting_limits(tpl.LIMITS),
            'SettingOptions': tpl.setting_options(tpl.OPTIONS)})
        num = json.loads(self.recorder.wait(
            node.format('number', 'set_battery_recharge_voltage'), lambda p: len(p) > 0))
        self.assertEqual((num['min'], num['max'], num['step']), (44, 51, 1))
        self.recorder.wait(node.format('select', 'set_battery_recharge_voltage'),
                           lambda p: p == b'')
        self.recorder.wait(node.format('number', 'set_battery_bulk_voltage'), lambda p: len(p) > 0)
        self.recorder.wait(node.format('sensor', 'battery_bulk_voltage'), lambda p: p == b'')

    def test_one_entity_per_setting(self):
        """With Commands a setting is its control alone (which shows the value too), not also
        a sensor of the same name; a sensor config an earlier version left is emptied."""
        old = f'homeassistant/sensor/axpert_{SERIAL}/battery_type/config'
        self.recorder.publish(old, b'{"name": "Battery type"}', retain=True)
        self.recorder.wait(old)
        cfgs = self.collect(commands=True)
        by = {(comp, oid): c for (comp, _, oid), c in cfgs.items()}
        self.assertEqual(ha_rules.check_device_names(by), [])
        for comp, oid in [('select', 'set_battery_type'), ('select', 'set_output_frequency'),
                          ('select', 'set_max_ac_charging_current'),
                          ('number', 'set_battery_bulk_voltage'), ('switch', 'set_flag_buzzer')]:
            self.assertIn((comp, oid), by)
        for comp, oid in [('sensor', 'battery_type'), ('sensor', 'max_ac_charging_current'),
                          ('sensor', 'battery_bulk_voltage'), ('sensor', 'output_source_priority'),
                          ('binary_sensor', 'buzzer_enabled'),
                          ('sensor', 'ac_output_rating_frequency')]:
            self.assertNotIn((comp, oid), by)
        # The output frequency is the rating's value: its select, named as the setting.
        self.assertEqual(by[('select', 'set_output_frequency')]['name'], 'Output frequency')
        self.assertEqual(self.recorder.last(old), b'')
        # Without Commands the settings are sensors, as before.
        by = {(comp, oid) for (comp, _, oid) in self.collect_again()}
        self.assertIn(('sensor', 'battery_type'), by)
        self.assertIn(('sensor', 'ac_output_rating_frequency'), by)

    def collect_again(self):
        self.bridge.stop()
        self.recorder.clear()
        self.start_bridge()
        self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/battery_type/config',
                           lambda p: len(p) > 0)
        time.sleep(1)
        return configs(self.recorder)

    def test_no_clutter(self):
        """Entities whose value this inverter never reported (NaN: no PV2, no max discharging
        current on this firmware) are omitted until a value comes, and kept after; the system
        totals are the inverter's alone (not again per unit); the QPIWS conditions are
        diagnostic, with readable names from the contract's identifiers."""
        cfgs = self.collect(units=2)
        self.check_all(cfgs)
        by = {(comp, oid): c for (comp, _, oid), c in cfgs.items()}
        oids = {oid for _, oid in by}
        for oid in ('pv2_input_voltage', 'pv2_input_current', 'pv2_input_power',
                    'max_discharging_current', 'unit0_pv2_input_voltage',
                    'unit1_pv2_input_current'):
            self.assertNotIn(oid, oids)
        self.assertIn('max_charging_time_at_cv', oids)  # reported (224 min) here
        totals = [oid for oid in oids if 'total_ac_output_active_power' in oid]
        self.assertEqual(totals, ['total_ac_output_active_power'])
        self.assertFalse([oid for oid in oids if oid.startswith('unit') and '_total_' in oid])
        conditions = {oid: c for (comp, oid), c in by.items() if oid.startswith('condition_')}
        self.assertEqual(len(conditions), 29)
        for oid, cfg in conditions.items():
            self.assertEqual(cfg['entity_category'], 'diagnostic', oid)
            self.assertEqual(cfg['device_class'], 'problem', oid)
        names = {oid: c['name'] for oid, c in conditions.items()}
        self.assertEqual(names['condition_eeprom_fault'], 'EEPROM fault')
        self.assertEqual(names['condition_mppt_overload_warning'], 'MPPT overload warning')
        self.assertEqual(names['condition_pv_voltage_high'], 'PV voltage high')
        self.assertEqual(names['condition_op_dc_voltage_over'], 'OP DC voltage over')
        self.assertEqual(names['condition_fan_locked'], 'Fan locked')
        # The sums stay on the main card.
        self.assertNotIn('entity_category', by[('binary_sensor', 'warnings')])
        # A value comes (PV2 connected): its entity appears, and stays through a NaN.
        self.recorder.clear()
        node = f'homeassistant/sensor/axpert_{SERIAL}/{{}}/config'
        self.mock_update('/org/axpert/Inverter/0', 'org.axpert.Inverter',
                         {'Pv2InputVoltage': 121.5})
        cfg = json.loads(self.recorder.wait(node.format('pv2_input_voltage'), lambda p: len(p) > 0))
        self.assertEqual(cfg['unit_of_measurement'], 'V')
        self.mock_update('/org/axpert/Inverter/0', 'org.axpert.Inverter',
                         {'Pv2InputVoltage': float('nan'), 'BatteryVoltage': 51.0})
        self.recorder.wait_json(f'axpert/{SERIAL}/state', lambda j: j['battery_voltage'] == 51.0)
        self.recorder.clear()
        self.recorder.publish('homeassistant/status', b'online')
        self.recorder.wait(node.format('pv2_input_voltage'), lambda p: len(p) > 0)
        # The units' totals an earlier version published are emptied (the units come last).
        self.recorder.wait(node.format('unit1_total_ac_output_active_power'), lambda p: p == b'')
        self.assertNotIn(node.format('pv2_input_current'), self.recorder.latest())
        self.assertFalse([t for t, p in self.recorder.latest().items() if p == b'' and
                          '/sensor/' in t and 'total' not in t])

    def test_stale_control_of_another_kind_is_removed(self):
        """A number config an earlier version left retained for what is a select now (or one
        this inverter cannot set) is emptied when axpert-mqtt starts."""
        stale = {'name': 'x', 'command_topic': f'axpert/{SERIAL}/set/max_charging_current'}
        old = f'homeassistant/number/axpert_{SERIAL}/set_max_charging_current/config'
        self.recorder.publish(old, json.dumps(stale).encode(), retain=True)
        self.recorder.wait(old)
        cfgs = self.collect(commands=True)
        self.assertIn(('select', f'axpert_{SERIAL}', 'set_max_charging_current'), cfgs)
        self.assertNotIn(('number', f'axpert_{SERIAL}', 'set_max_charging_current'), cfgs)
        # The broker no longer keeps it: a new subscriber gets nothing.
        late = mqttlib.Recorder(self.broker.port, topics=(old,))
        self.addCleanup(late.close)
        time.sleep(1)
        self.assertEqual(late.all(old), [])

    def test_without_units(self):
        cfgs = self.collect(units=0)
        self.check_all(cfgs)
        self.assertFalse([k for k in cfgs if k[2].startswith('unit')])

    def test_republish_on_ha_status_online(self):
        self.collect()
        topic = f'homeassistant/sensor/axpert_{SERIAL}/battery_voltage/config'
        # Home Assistant restarted without retained configs (e.g. a fresh broker).
        self.recorder.publish(topic, b'', retain=True)
        self.recorder.wait(topic, lambda p: p == b'')
        self.recorder.publish('homeassistant/status', b'offline')
        time.sleep(0.5)
        self.assertEqual(self.recorder.last(topic), b'')
        self.recorder.publish('homeassistant/status', b'online')
        cfg = json.loads(self.recorder.wait(topic, lambda p: len(p) > 0))
        self.assertEqual(cfg['unique_id'], f'axpert_{SERIAL}_battery_voltage')

    def test_republish_when_identity_changes(self):
        """A firmware update changes the device block: discovery follows."""
        self.collect()
        topic = f'homeassistant/sensor/axpert_{SERIAL}/battery_voltage/config'
        self.mock_update('/org/axpert/Inverter/0', 'org.axpert.Inverter',
                         {'FirmwareVersion': '00073.00'})
        cfg = json.loads(self.recorder.wait(
            topic, lambda p: json.loads(p)['device']['sw_version'] == '00073.00'))
        self.assertEqual(cfg['device']['identifiers'], [f'axpert_{SERIAL}'])

    def test_discovery_disabled(self):
        self.start_mock()
        self.start_bridge(HomeAssistant={'Discovery': 'false'})
        self.wait_online()
        time.sleep(1)
        self.assertEqual(configs(self.recorder), {})

    def test_discovery_prefix(self):
        self.start_mock()
        self.start_bridge(HomeAssistant={'DiscoveryPrefix': 'ha'}, MQTT={'TopicPrefix': 'solar'})
        self.recorder.wait(f'solar/{SERIAL}/availability', lambda p: p == b'online')
        cfg = json.loads(self.recorder.wait(f'ha/sensor/axpert_{SERIAL}/battery_voltage/config'))
        self.assertEqual(cfg['state_topic'], f'solar/{SERIAL}/state')
        self.assertEqual(cfg['availability'][0]['topic'], 'solar/bridge/availability')


if __name__ == '__main__':
    testlib.main(jobs=4)
