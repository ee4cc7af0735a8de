#!/usr/bin/python3
"""Issue 14 scenario 5 in the test guest: axpertd SIGKILLed → systemd restarts it (Restart=
on-failure, RestartSec=) and the new process serves the inverter on the bus again. Needs root and
QEMU, else SKIPPED (77)."""
import vmscenario


class Restart(vmscenario.VMTestCase):
    scenario = 'restart'

    def test_systemd_restarted_it(self):
        self.assertEqual(self.facts['restarts-before'], '0')
        self.assertEqual(self.facts['restarts-after'], '1')
        self.assertNotEqual(self.facts['new-pid'], self.facts['old-pid'])
        self.assertNotEqual(self.facts['new-pid'], '0')
        self.assertGreaterEqual(int(self.facts['result']), 1,
                                'the journal does not show the SIGKILL')

    def test_serving_again(self):
        lines = self.result.read('after.txt').splitlines()
        serial = self.result.read('sim-serial').strip().split('=', 1)[1]
        self.assertEqual(lines, ['b true', f's "{serial}"'])


if __name__ == '__main__':
    vmscenario.main()
