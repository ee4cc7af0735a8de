#!/usr/bin/python3
"""axpert-history's energy counters (org.axpert.History, a python-dbusmock of its XML) published
by axpert-mqtt: discovery and values; the service late, gone, restarted; a serial no inverter
has; PropertiesChanged. Never a counter that axpert-history did not serve (no invented zero)."""
import glob
import json
import os
import re
import time

import ha_rules
import history_template as ht
import mqttlib
from mqttlib import SERIAL, testlib
from testlib import wait_for

CONTRACT = ht.read_contract(testlib.source_path('dbus', 'org.axpert.History.xml'))
COUNTERS = ht.counters(CONTRACT)
STATE = f'axpert/{SERIAL}/state'
AVAIL = f'axpert/{SERIAL}/history/availability'
OTHER = 'OTHER4711'  # a serial no inverter here has


def snake(name):
    return ''.join('_' + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


KEYS = [snake(n) for n in COUNTERS]


def served(offset):
    """key -> the value the mock serves with this offset."""
    return {snake(n): ht.counter_value(i, offset) for i, n in enumerate(COUNTERS)}


def energy(state):
    """The counters in a state payload: its "history" object (absent without axpert-history)."""
    return state.get('history', {})


def config_topic(key):
    return f'homeassistant/sensor/axpert_{SERIAL}/{key}/config'


class EnergyTest(mqttlib.MqttTestCase):

    def test_no_copy_of_the_contract(self):
        """mqtt/ derives the counters from the generated History contract: none of their names
        is written out in its sources (a hand-written list would miss a counter added later)."""
        found = []
        for path in glob.glob(testlib.source_path('mqtt', '*.[ch]')):
            if os.path.basename(path).startswith('test-'):
                continue
            with open(path) as f:
                literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"', f.read())
            found += [(os.path.basename(path), s) for s in literals
                      if s in COUNTERS or s in [snake(n) for n in COUNTERS]]
        self.assertEqual(found, [])

    def energy_states(self):
        """Every state payload seen, as dicts."""
        return [json.loads(p) for _, p, _, _ in self.recorder.all(STATE) if p]

    def assert_only_served(self, allowed):
        """Every energy value ever published is one the mock served (allowed: key -> set)."""
        for state in self.energy_states():
            for key, value in energy(state).items():
                if key in allowed:
                    self.assertIn(value, allowed[key], f'{key} = {value} invented')

    def wait_state(self, predicate):
        return self.recorder.wait_json(STATE, predicate)

    def test_counters_published(self):
        """Every counter of the XML: a valid energy sensor on the inverter's device, its value
        in the native state; nothing for a History object of a serial no inverter has."""
        self.assertEqual(len(COUNTERS), 20)
        self.start_mock()
        self.start_history(serials=(SERIAL, OTHER))
        self.start_bridge()
        self.wait_online()
        want = served(0)
        state = self.wait_state(lambda s: all(energy(s).get(k) == v for k, v in want.items()))
        self.assertEqual(energy(state)['energy_source'], 'integrated')
        self.assertEqual(state['battery_voltage'], 52.3)  # still the inverter's state
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        for key in KEYS:
            cfg = json.loads(self.recorder.wait(config_topic(key)))
            self.assertEqual(ha_rules.check_payload('sensor', cfg), [], key)
            self.assertEqual(ha_rules.check_energy_dashboard(cfg), [], key)
            self.assertEqual((cfg['device_class'], cfg['unit_of_measurement'],
                              cfg['state_class']), ('energy', 'kWh', 'total_increasing'), key)
            self.assertEqual(cfg['suggested_display_precision'], 2)
            self.assertEqual(cfg['unique_id'], f'axpert_{SERIAL}_{key}')
            self.assertEqual(cfg['state_topic'], STATE)
            self.assertEqual(cfg['value_template'],
                             f'{{{{ value_json.history.{key} if value_json.history is defined '
                             f'and value_json.history.{key} is defined else None }}}}')
            self.assertEqual(cfg['device']['identifiers'], [f'axpert_{SERIAL}'])
            self.assertEqual(cfg['device']['serial_number'], SERIAL)
            self.assertEqual(cfg['availability'], [
                {'topic': 'axpert/bridge/availability'},
                {'topic': f'axpert/{SERIAL}/availability'},
                {'topic': AVAIL}])
            self.assertEqual(cfg['availability_mode'], 'all')
        self.assertEqual(json.loads(self.recorder.last(config_topic('grid_energy_total')))
                         ['name'], 'Grid energy total')
        # Only the counters: no sensor for the History object's other properties.
        time.sleep(1)
        energy_cfgs = [t for t, p in self.recorder.latest().items()
                       if t.startswith('homeassistant/') and p and
                       json.loads(p).get('device_class') == 'energy']
        self.assertEqual(len(energy_cfgs), 20)
        for t in self.recorder.latest():
            self.assertNotIn('first_sample', t)
            self.assertNotIn(OTHER, t)
        # Home Assistant restarted without the retained configs: they come again.
        topic = config_topic('pv_energy_total')
        self.recorder.publish(topic, b'', retain=True)
        self.recorder.wait(topic, lambda p: p == b'')
        self.recorder.publish('homeassistant/status', b'online')
        cfg = json.loads(self.recorder.wait(topic, lambda p: len(p) > 0))
        self.assertEqual(cfg['unique_id'], f'axpert_{SERIAL}_pv_energy_total')

    def test_inverter_counters_of_the_same_name(self):
        """org.axpert.Inverter's own PvEnergyToday … (the firmware's, in Wh) keep their keys in
        the state, axpert-history's (kWh) are apart, whether axpert-history runs or not."""
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        own = {'PvEnergyToday': 7300.0, 'PvEnergyTotal': 1234000.0}
        self.mock_update_dicts('/org/axpert/Inverter/0', own)
        state = self.wait_state(lambda s: s.get('pv_energy_today') == 7300.0)
        self.assertNotIn('history', state)
        self.start_history()
        want = served(0)
        state = self.wait_state(lambda s: all(energy(s).get(k) == v for k, v in want.items()))
        self.assertEqual((state['pv_energy_today'], state['pv_energy_total']),
                         (7300.0, 1234000.0))
        # The sensors read axpert-history's, never the firmware's Wh as kWh.
        cfg = json.loads(self.recorder.wait(config_topic('pv_energy_today')))
        self.assertIn('value_json.history.pv_energy_today', cfg['value_template'])

    def test_unknown_serial_only(self):
        """axpert-history knows only another inverter: nothing of it is published, and this
        inverter's counters are unavailable, not zero."""
        self.start_mock()
        self.start_history(serials=(OTHER,))
        self.start_bridge()
        self.wait_online()
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        time.sleep(1)
        for topic in self.recorder.latest():
            self.assertNotIn(OTHER, topic)
        self.assertIsNone(self.recorder.last(config_topic('pv_energy_today')))
        for state in self.energy_states():
            self.assertNotIn('history', state)

    def test_service_late_vanishing_restarting(self):
        self.start_mock()
        self.start_bridge()
        # Without axpert-history: the inverter is published, its counters unavailable.
        state = self.wait_online()
        self.assertNotIn('history', state)
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        self.assertIsNone(self.recorder.last(config_topic('pv_energy_today')))

        # It appears late: discovery, availability, values.
        self.start_history(offset=0)
        first = served(0)
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.recorder.wait(config_topic('grid_energy_total'))
        self.wait_state(lambda s: all(energy(s).get(k) == v for k, v in first.items()))

        # It vanishes: unavailable; the state that follows carries no counter (no zero).
        self.stop_history()
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        state = self.wait_state(lambda s: 'history' not in s)
        self.assertNotIn('history', state)
        self.assertEqual(state['battery_voltage'], 52.3)
        # The inverter goes on: its next cycle is published, still without counters.
        self.mock_update('/org/axpert/Inverter/0', 'org.axpert.Inverter',
                         {'BatteryVoltage': 51.9})
        state = self.wait_state(lambda s: s['battery_voltage'] == 51.9)
        self.assertNotIn('history', state)
        self.assertEqual(self.recorder.last(AVAIL), b'offline')

        # It restarts with other totals: online again with those.
        self.recorder.clear()
        self.start_history(offset=100)
        second = served(100)
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.wait_state(lambda s: all(energy(s).get(k) == v for k, v in second.items()))
        # The configs are published again for the new service's objects, unchanged.
        cfg = json.loads(self.recorder.wait(config_topic('pv_energy_today')))
        self.assertEqual(cfg['unique_id'], f'axpert_{SERIAL}_pv_energy_today')
        self.assert_only_served({k: {first[k], second[k]} for k in KEYS})

    def test_properties_changed(self):
        """Each PropertiesChanged of the counters (once a minute in reality) is a new state;
        the object of a serial no inverter has changes nothing here."""
        self.start_mock()
        self.start_history(serials=(SERIAL, OTHER))
        self.start_bridge()
        self.wait_online()
        want = served(0)
        self.wait_state(lambda s: all(energy(s).get(k) == v for k, v in want.items()))
        self.history_update(SERIAL, {'PvEnergyToday': 7.125, 'PvEnergyTotal': 1234.5,
                                     'EnergySource': 'inverter'})
        state = energy(self.wait_state(lambda s: energy(s).get('pv_energy_today') == 7.125))
        self.assertEqual(state['pv_energy_total'], 1234.5)
        self.assertEqual(state['energy_source'], 'inverter')
        self.assertEqual(state['load_energy_today'], want['load_energy_today'])
        # Local midnight: Today restarts from 0, which is axpert-history's value (and a new
        # cycle for total_increasing).
        self.history_update(SERIAL, {'PvEnergyToday': 0.0})
        self.wait_state(lambda s: energy(s).get('pv_energy_today') == 0.0)
        # Another inverter's counters: no state of ours follows them.
        n = len(self.recorder.all(STATE))
        self.history_update(OTHER, {'PvEnergyToday': 99.0})
        # A later change of ours proves the other one was seen (signals arrive in order).
        self.history_update(SERIAL, {'LoadEnergyToday': 3.0})
        self.wait_state(lambda s: energy(s).get('load_energy_today') == 3.0)
        self.assertEqual(len(self.recorder.all(STATE)), n + 1)
        for state in self.energy_states():
            self.assertNotEqual(energy(state).get('pv_energy_today'), 99.0)
        for topic in self.recorder.latest():
            self.assertNotIn(OTHER, topic)

    def test_history_object_appears_and_goes(self):
        """The service runs but knows this inverter only later (its first record), and drops
        its object: discovery follows, availability and state with it."""
        self.start_mock()
        self.start_history(serials=(OTHER,))
        self.start_bridge()
        self.wait_online()
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        self.history_call('/org/axpert/History', 'org.axpert.Test', 'AddHistory', SERIAL, 10.0)
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.recorder.wait(config_topic('battery_charge_energy_this_year'))
        want = served(10)
        self.wait_state(lambda s: all(energy(s).get(k) == v for k, v in want.items()))
        self.history_call('/org/axpert/History', 'org.axpert.Test', 'RemoveHistory', SERIAL)
        wait_for(lambda: self.recorder.last(AVAIL) == b'offline', 20, what='offline')
        self.wait_state(lambda s: 'history' not in s)
        self.assert_only_served({k: {want[k]} for k in KEYS})


if __name__ == '__main__':
    testlib.main()
