#!/usr/bin/python3
"""Issue 14 scenario 6 in the test guest: `systemd-analyze security axpertd.service` of the unit
running under systemd (started by the plugged bridge) rates it at or below the target the offline
test (tests/integration/install/test-unit-security.py) holds the unit file to, and the same as
the offline analysis of the installed file. Needs root and QEMU, else SKIPPED (77)."""
import os
import re

import vmscenario

OFFLINE_TEST = os.path.join(vmscenario.SOURCE_ROOT, 'tests', 'integration', 'install',
                            'test-unit-security.py')


def target():
    with open(OFFLINE_TEST) as f:
        return float(re.search(r'^TARGET = (\d+\.\d+)', f.read(), re.M).group(1))


def exposure(text):
    m = re.search(r'Overall exposure level for \S+: (\d+\.\d+) (\S+)', text)
    return (float(m.group(1)), m.group(2)) if m else (None, None)


class Security(vmscenario.VMTestCase):
    scenario = 'security'

    def test_running_unit_at_most_target(self):
        self.assertEqual(self.facts['active'], 'active')
        text = self.result.read('security-online.txt')
        level, rating = exposure(text)
        self.assertIsNotNone(level, text)
        offline, _ = exposure(self.result.read('security-offline.txt'))
        print(f'vm: systemd-analyze security axpertd.service (running): {level} {rating}; '
              f'offline analysis of the installed file: {offline}; target <= {target()}')
        self.assertLessEqual(level, target(), text)

    def test_running_unit_matches_the_file(self):
        online, _ = exposure(self.result.read('security-online.txt'))
        offline, _ = exposure(self.result.read('security-offline.txt'))
        self.assertIsNotNone(offline, self.result.read('security-offline.txt'))
        self.assertEqual(online, offline,
                         'the running unit is rated differently from its file: a drop-in or '
                         'a property the file does not set')


if __name__ == '__main__':
    vmscenario.main()
