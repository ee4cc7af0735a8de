#!/usr/bin/python3
"""axpert-sim --hidg-gadget in the test guest: a configfs HID gadget with the bridge's identity and
shape on dummy_hcd, enumerated by the real usbhid as /dev/hidrawN; PI30 requests over that hidraw
node, including two-report requests (QMCHGCR, QMUCHGCR) that f_hid's single SET_REPORT buffer
loses when the simulator reads late. Needs root and QEMU, else SKIPPED (77)."""
import json
import statistics

import vmscenario

REPEAT = 20


class SimGadget(vmscenario.VMTestCase):
    scenario = 'sim-gadget'
    # The plugged gadget would start axpertd (the udev rule), whose requests would interleave.
    masked = ('axpertd.service',)

    def results(self):
        text = self.result.read('results.json')
        self.assertTrue(text, 'the guest wrote no results.json')
        return json.loads(text)

    def test_enumerates_like_the_bridge(self):
        res = self.results()
        self.assertIsNotNone(res['hidraw'], 'no hidraw node 0665:5161 appeared')
        self.assertIn('HID_ID=0003:00000665:00005161', res['uevent'])
        self.assertIn('DRIVER=hid-generic', res['uevent'])
        self.assertEqual((res['idVendor'], res['idProduct']), ('0665', '5161'))
        self.assertEqual(res['speed'], '12', 'the bridge is a full-speed USB 1.1 device')
        # One interrupt IN endpoint and no OUT endpoint: outputs travel as SET_REPORT.
        eps = [e for e in res['endpoints'] if e != 'ep_00']
        self.assertEqual(len(eps), 1, res['endpoints'])
        self.assertGreaterEqual(int(eps[0][3:], 16), 0x80, 'the one endpoint must be IN')

    def test_answers(self):
        answers = self.results()['answers']
        self.assertEqual(answers['QPI'], ['PI30'] * REPEAT)
        for command in ('QPIGS', 'QPIRI'):
            bad = [a for a in answers[command] if a.startswith('FAILED')]
            self.assertEqual(bad, [], command)
            self.assertEqual(len(set(answers[command])), 1, answers[command])

    def test_two_report_requests_lose_nothing(self):
        res = self.results()
        for command in ('QMCHGCR', 'QMUCHGCR'):
            self.assertEqual([a for a in res['answers'][command] if a.startswith('FAILED')
                              or a == 'NAK'], [], command)
        # The simulator saw every request whole, exactly as often as it was sent.
        history = self.result.read('history').split()
        for command in ('QPI', 'QPIGS', 'QMCHGCR', 'QMUCHGCR', 'QPIRI'):
            self.assertEqual(history.count(command), REPEAT, f'{command} in {history}')
        self.assertEqual(len(history), 5 * REPEAT, history)

    def test_gadget_removed_at_exit(self):
        self.assertEqual(self.result.read('gadgets-after').split(), [])

    def test_zz_timing(self):
        times = self.results()['times']
        for command, t in times.items():
            print(f'vm: {command} over hidraw (simulator at --baud=0): median '
                  f'{statistics.median(t) * 1000:.1f} ms, max {max(t) * 1000:.1f} ms')


if __name__ == '__main__':
    vmscenario.main()
