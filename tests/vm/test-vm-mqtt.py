#!/usr/bin/python3
"""Issue 14 scenario 7 in the test guest: axpert-mqtt.service (as user axpert-mqtt) against the
Debian mosquitto inside the guest publishes axpert/<serial>/state with the values axpertd shows
on the system bus, and availability online. Needs root and QEMU, else SKIPPED (77)."""
import json
import re

import vmscenario

NAMES = ['GridVoltage', 'BatteryVoltage', 'AcOutputActivePower', 'PvInputVoltage',
         'BatteryCapacity', 'DeviceStatus', 'Mode', 'FirmwareVersion', 'OutputSourcePriority']


def snake(name):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()


class Mqtt(vmscenario.VMTestCase):
    scenario = 'mqtt'
    unmasked = ('mosquitto.service',)

    def test_service_runs_as_its_user(self):
        self.assertEqual(self.facts['mqtt-user'], 'axpert-mqtt')
        self.assertEqual(self.facts['mqtt-active'], 'active')

    def test_availability(self):
        self.assertEqual(self.result.read('availability').strip(), 'online')

    def test_state_matches_the_bus(self):
        text = self.result.read('state.json')
        self.assertTrue(text.strip(), 'nothing published on axpert/<serial>/state')
        state = json.loads(text)
        lines = self.result.read('busctl.json').splitlines()
        self.assertEqual(len(lines), len(NAMES), lines)
        bus = {n: json.loads(x)['data'] for n, x in zip(NAMES, lines)}
        self.assertEqual(state.get('serial_number'), self.facts['serial'])
        for name, value in bus.items():
            key = snake(name)
            self.assertIn(key, state)
            if isinstance(value, float):
                self.assertAlmostEqual(state[key], value, places=3, msg=key)
            else:
                self.assertEqual(state[key], value, key)


if __name__ == '__main__':
    vmscenario.main()
