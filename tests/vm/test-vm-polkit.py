#!/usr/bin/python3
"""Issue 14 scenario 2 in the test guest: the real polkitd (Debian's polkitd, D-Bus activated)
refuses a plain user's `axpertctl set-output-source-priority` by default, with nothing sent to
the inverter; the shipped example rule (50-axpert-mqtt.rules.example) installed, the MQTT
bridge's user axpert-mqtt may change it (and the gadget gets POP01) but not the battery type.
Needs root and QEMU, else SKIPPED (77)."""
import vmscenario


class Polkit(vmscenario.VMTestCase):
    scenario = 'polkit'

    def sent(self, name):
        return [r for r in self.result.read(f'{name}.history').split()
                if r.startswith(('POP', 'PBT'))]

    def assert_refused(self, name):
        self.assertNotEqual(self.facts[name], '0', self.result.read(f'{name}.txt'))
        self.assertRegex(self.result.read(f'{name}.txt').lower(),
                         r'access denied by polkit')
        self.assertEqual(self.sent(name), [], 'a refused call reached the inverter')

    def test_polkitd_decides(self):
        self.assertEqual(self.facts['polkit-active'], 'active')

    def test_plain_user_refused_by_default(self):
        self.assert_refused('plain-default')

    def test_mqtt_user_refused_without_the_rule(self):
        self.assert_refused('mqtt-default')

    def test_the_rule_is_for_the_mqtt_user_only(self):
        self.assert_refused('plain-rule')

    def test_mqtt_user_allowed_with_the_rule(self):
        self.assertEqual(self.facts['mqtt-rule'], '0', self.result.read('mqtt-rule.txt'))
        self.assertEqual(self.sent('mqtt-rule'), ['POP01'])
        self.assertEqual(self.facts['bus-priority'], 's "solar-first"')
        self.assertEqual(self.facts['sim-priority'], 'OutputSourcePriority=solar-first')

    def test_rule_does_not_grant_battery_settings(self):
        self.assert_refused('mqtt-battery')
        self.assertEqual(self.facts['sim-battery'], 'BatteryType=user')


if __name__ == '__main__':
    vmscenario.main()
