#!/usr/bin/python3
"""The bash completion of axpertctl: verbs, options, enum values, flags, live property and device
names from axpertd (the mock), the static fallback, and that fallback against the D-Bus XML."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

# Generated from shell-completion/bash/axpertctl.in and the XML (tools/gen-contract.py).
COMPLETION = testlib.build_path('common', 'axpertctl')
BASH_COMPLETION = '/usr/share/bash-completion/bash_completion'

SCRIPT = r'''
source "$1"
source "$2"
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
_axpertctl axpertctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


class CompletionTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(BASH_COMPLETION):
            self.fail(f'{BASH_COMPLETION} is needed (Debian package bash-completion)')
        # The completion calls "axpertctl" from PATH: the one just built.
        self.env['PATH'] = os.path.dirname(ctltest.AXPERTCTL) + os.pathsep + self.env.get('PATH', '')

    def complete(self, *words):
        p = subprocess.run(['bash', '-c', SCRIPT, 'bash', BASH_COMPLETION, COMPLETION, 'axpertctl', *words],
                           capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return sorted(w for w in p.stdout.split('\n') if w)

    def test_verbs_and_values(self):
        self.assertEqual(self.complete('set-o'), ['set-output-frequency', 'set-output-source-priority'])
        self.assertIn('monitor', self.complete(''))
        self.assertEqual(self.complete('set-output-source-priority', ''),
                         ['sbu', 'solar-first', 'utility-first'])
        self.assertEqual(self.complete('-d', 'x', 'set-charger-source-priority', 'solar-'),
                         ['solar-and-utility', 'solar-first', 'solar-only'])
        self.assertEqual(self.complete('set-battery-type', 'p'), ['pylontech'])
        self.assertEqual(self.complete('set-flag', 'b'), ['backlight', 'buzzer'])
        self.assertEqual(self.complete('set-flag', 'buzzer', ''), ['off', 'on'])
        self.assertEqual(self.complete('set-flag', 'buzzer', 'on', ''), [])
        self.assertEqual(self.complete('--json='), ['off', 'pretty', 'short'])
        self.assertIn('--no-ask-password', self.complete('--no'))
        self.assertEqual(self.complete('--no-'), ['--no-ask-password', '--no-legend', '--no-pager'])
        self.assertEqual(self.complete('sett'), ['settings'])
        self.assertEqual(self.complete('--timestamp='), ['pretty', 'unix', 'us', 'us+utc', 'utc'])
        self.assertEqual(self.complete('--timestamp', 'u'), ['unix', 'us', 'us+utc', 'utc'])
        self.assertEqual(self.complete('-P'), ['-P'])
        # -P takes a property: the word after it is no verb.
        self.assertEqual(self.complete('show', '-P', 'Mode', '--timestamp', 'unix', ''), [])

    def test_live_names(self):
        self.start_mock(devices=['0', 'garage'], props={'ZzAddedLater': 1.5})
        self.assertEqual(self.complete('-d', ''), ['0', 'garage'])
        self.assertEqual(self.complete('show', '-P', 'BatteryVo'),
                         ['BatteryVoltage', 'BatteryVoltageFromScc', 'BatteryVoltageOffsetForFans',
                          'BatteryVoltageSteady'])
        # Property names come from the running daemon: one the static list lacks is offered.
        self.assertEqual(self.complete('-d', 'garage', 'get', 'Zz'), ['ZzAddedLater'])
        self.assertEqual(self.complete('-d', 'garage', 'show', '-p', 'BatteryVo'),
                         ['BatteryVoltage', 'BatteryVoltageFromScc', 'BatteryVoltageSteady'])

    def test_units_complete_for_d(self):
        """Every name "list" prints, NAME/unitN too, is offered after -d (and works there)."""
        self.start_mock(units=2)
        self.assertEqual(self.complete('-d', ''), ['0', '0/unit0', '0/unit1'])
        self.assertEqual(self.complete('--device=0/'), ['0/unit0', '0/unit1'])
        self.assertEqual(self.complete('-d', '0/unit1', 'get', 'AcOutputActiveP'), ['AcOutputActivePower'])

    def test_history_and_energy(self):
        self.assertIn('history', self.complete(''))
        self.assertIn('energy', self.complete(''))
        self.assertEqual(self.complete('history', '--st'), ['--step='])
        self.assertEqual(self.complete('history', '--s'), ['--since=', '--step='])
        self.assertEqual(self.complete('history', '--u'), ['--until='])
        self.assertEqual(self.complete('history', '--r'), ['--range='])
        self.assertEqual(self.complete('history', '--c'), ['--csv'])
        self.assertEqual(self.complete('history', '--o'), ['--output='])
        self.assertEqual(self.complete('energy', '--m'), ['--month'])
        self.assertEqual(self.complete('energy', '--d'), ['--day', '--device='])
        self.assertEqual(self.complete('energy', '--y'), ['--year'])
        self.assertEqual(self.complete('history', '--since='),
                         ['-12h', '-1d', '-30m', '-90s', 'now', 'today', 'yesterday'])
        self.assertEqual(self.complete('history', '--until=y'), ['yesterday'])
        self.assertEqual(self.complete('energy', ''), [])
        # -o completes files.
        target = os.path.join(self.tmpdir, 'export-me.csv')
        open(target, 'w').close()
        self.assertEqual(self.complete('history', '-o', os.path.join(self.tmpdir, 'export')), [target])
        self.assertEqual(self.complete('history', '-o', target, 'BatteryVo'),
                         ['BatteryVoltage', 'BatteryVoltageFromScc', 'BatteryVoltageOffsetForFans',
                          'BatteryVoltageSteady'])
        # Fields come from axpert-history when it runs: "unit1.…" is in no static list.
        self.start_history_mock()
        self.assertEqual(self.complete('history', 'unit'), ['unit1.BatteryCapacity'])
        self.assertEqual(self.complete('history', '--csv', 'BatteryVo'), ['BatteryVoltage'])

    def test_static_fallback_matches_contract(self):
        # No daemon: the static list.
        self.assertEqual(self.complete('get', 'BatteryVo'),
                         ['BatteryVoltage', 'BatteryVoltageFromScc', 'BatteryVoltageOffsetForFans',
                          'BatteryVoltageSteady'])
        self.assertEqual(self.complete('get', 'Zz'), [])
        static = set(self.complete('get', ''))
        xml = testlib.source_path('dbus', 'org.axpert.Inverter.xml')
        if not os.path.exists(xml):
            self.fail(f'{xml} (branch system) is needed to check the static list')
        ns = ET.parse(xml).getroot()
        contract = {p.get('name') for i in ns.iter('interface') if i.get('name') == 'org.axpert.Inverter'
                    for p in i.iter('property')}
        self.assertEqual(static, contract, 'the static list is the documented interface')


if __name__ == '__main__':
    testlib.main()
