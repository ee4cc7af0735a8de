#!/usr/bin/python3
"""polkit/: the action file is valid and has the defaults of DBUS-API.md; the example rule for
axpert-mqtt grants that user exactly the three everyday actions and nobody anything else."""
import json
import os
import shutil
import subprocess
import unittest
import xml.etree.ElementTree as ET

# Needs no bus: only the source tree (testlib is not imported, nothing is started).
SOURCE_ROOT = os.environ.get('AXPERT_SOURCE_ROOT', os.path.abspath('.'))
POLICY = os.path.join(SOURCE_ROOT, 'polkit', 'org.axpert.Inverter.policy')
RULES = os.path.join(SOURCE_ROOT, 'polkit', '50-axpert-mqtt.rules.example')
HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rules-harness.js')
DTD = '/usr/share/polkit-1/policyconfig-1.dtd'

EXPECTED = {
    'org.axpert.Inverter.set-priorities': 'auth_admin_keep',
    'org.axpert.Inverter.set-charging': 'auth_admin_keep',
    'org.axpert.Inverter.set-flags': 'auth_admin_keep',
    'org.axpert.Inverter.set-battery': 'auth_admin',
    'org.axpert.Inverter.set-output': 'auth_admin',
    'org.axpert.Inverter.raw-command': 'auth_admin',
    # Inquiries only read: an active local session needs no password.
    'org.axpert.Inverter.raw-query': ('auth_admin_keep', 'auth_admin_keep', 'yes'),
}
GRANTED_TO_MQTT = {
    'org.axpert.Inverter.set-priorities',
    'org.axpert.Inverter.set-charging',
    'org.axpert.Inverter.set-flags',
}


class PolicyFile(unittest.TestCase):
    def test_valid_against_dtd(self):
        if not os.path.exists(DTD):
            self.fail(f'{DTD} missing (install polkitd)')
        r = subprocess.run(['xmllint', '--noout', '--dtdvalid', DTD, POLICY],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_actions_and_defaults(self):
        root = ET.parse(POLICY).getroot()
        actions = {a.get('id'): a for a in root.findall('action')}
        self.assertEqual(set(actions), set(EXPECTED))
        for action_id, default in EXPECTED.items():
            a = actions[action_id]
            if isinstance(default, str):
                default = (default,) * 3
            for key, want in zip(('allow_any', 'allow_inactive', 'allow_active'), default):
                self.assertEqual(a.findtext(f'defaults/{key}'), want, f'{action_id} {key}')
            # Plain English for the authentication dialog: a sentence, no placeholders.
            message = a.findtext('message')
            description = a.findtext('description')
            self.assertTrue(message and message.startswith('Authentication is required'),
                            action_id)
            self.assertTrue(message.endswith('.'), action_id)
            self.assertTrue(description and not description.endswith('.'), action_id)
            self.assertNotIn('$(', message)
            # axpertd runs as "axpert": without this polkitd refuses to answer it about other
            # users' processes ("Only trusted callers ... can use CheckAuthorization()").
            owners = [n.text for n in a.findall('annotate')
                      if n.get('key') == 'org.freedesktop.policykit.owner']
            self.assertEqual(owners, ['unix-user:axpert'], action_id)


class MqttRulesExample(unittest.TestCase):
    def evaluate(self, pairs):
        node = shutil.which('node') or shutil.which('nodejs')
        if node is None:
            self.fail('node is not installed')
        r = subprocess.run([node, HARNESS, RULES] + pairs, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_grants_exactly_the_three_actions(self):
        users = ['axpert-mqtt', 'axpert', 'nobody', 'root', 'axpert-mqttx', 'Axpert-mqtt']
        actions = sorted(EXPECTED) + ['org.freedesktop.login1.reboot']
        pairs = [f'{u}:{a}' for u in users for a in actions]
        result = self.evaluate(pairs)
        self.assertEqual(result['rules'], 1)
        for pair, verdict in result['answers'].items():
            user, action = pair.split(':')
            if user == 'axpert-mqtt' and action in GRANTED_TO_MQTT:
                self.assertEqual(verdict, 'yes', pair)
            else:
                # Not handled: the action file's defaults (an administrator's password) apply.
                self.assertIsNone(verdict, pair)


if __name__ == '__main__':
    unittest.main(verbosity=2)
