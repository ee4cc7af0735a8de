#!/usr/bin/python3
"""axpert-sim's state as a test reads it: "dump" (every field in one answer), "get", "status",
and that they agree with what the inverter sends on the wire."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import request
import simtest
import testlib

# The identity and status properties a soak test compares (DBUS-API.md); dump must have them.
EXPECTED = ['ProtocolId', 'SerialNumber', 'FirmwareVersion', 'FirmwareVersion2', 'ModelName',
            'GeneralModelNumber', 'Mode', 'BatteryVoltage', 'GridVoltage', 'AcOutputActivePower',
            'BatteryCapacity', 'DeviceStatus', 'WarningStatus', 'OutputSourcePriority',
            'ChargingCurrentOptions', 'AcChargingCurrentOptions', 'BatteryRatingVoltage']


class StateTest(simtest.SimTestCase):

    def dump(self, prefix=''):
        lines = self.control_ok(prefix + 'dump')
        for line in lines:
            self.assertRegex(line, r'^[A-Za-z0-9]+=\S+$')
        names = [line.split('=', 1)[0] for line in lines]
        self.assertEqual(len(names), len(set(names)), 'a field twice in dump')
        return dict(line.split('=', 1) for line in lines)

    def test_dump_equals_get_and_the_wire(self):
        c = self.start_seqpacket('--baud=0', '--model=max')
        d = self.dump()
        for name in EXPECTED:
            self.assertIn(name, d)
        # get of every field prints the very line dump printed.
        for name, value in d.items():
            self.assertEqual(self.control_ok(f'get {name}'), [f'{name}={value}'])
        # And it is what the inverter says.
        self.assertEqual(d['ProtocolId'].encode(), c.query('QPI'))
        self.assertEqual(d['SerialNumber'].encode(), c.query('QID'))
        self.assertEqual(b'VERFW:' + d['FirmwareVersion'].encode(), c.query('QVFW'))
        self.assertEqual(b'VERFW2:' + d['FirmwareVersion2'].encode(), c.query('QVFW2'))
        self.assertEqual(d['ModelName'].encode(), c.query('QMN'))
        self.assertEqual(d['Mode'], 'line')
        self.assertEqual(c.query('QMOD'), b'L')
        qpigs = c.query('QPIGS').split(b' ')
        self.assertEqual(float(d['BatteryVoltage']), float(qpigs[8]))
        self.assertEqual(float(d['GridVoltage']), float(qpigs[0]))
        self.assertEqual(d['DeviceStatus'].encode(), qpigs[16])
        self.assertEqual(d['ChargingCurrentOptions'],
                         ','.join(str(int(x)) for x in c.query('QMCHGCR').split(b' ')))

    def test_dump_follows_changes(self):
        c = self.start_seqpacket('--baud=0')
        before = self.dump()
        self.control_ok('set BatteryVoltage 49.5')
        self.control_ok('set Mode battery')
        self.control_ok('set SerialNumber 12345678901234')
        # A setter over the wire changes the state too.
        self.assertEqual(c.query('POP02'), b'ACK')
        after = self.dump()
        self.assertEqual(after['BatteryVoltage'], '49.50')
        self.assertEqual(after['Mode'], 'battery')
        self.assertEqual(after['SerialNumber'], '12345678901234')
        self.assertEqual(after['OutputSourcePriority'], 'sbu')
        self.assertEqual(c.query('QID'), b'12345678901234')
        changed = {k for k in before if before[k] != after[k]}
        self.assertEqual(changed, {'BatteryVoltage', 'Mode', 'SerialNumber',
                                   'OutputSourcePriority'})
        # Absent is '-', and the wire agrees.
        self.control_ok('set BatteryVoltage -')
        self.assertEqual(self.dump()['BatteryVoltage'], '-')
        self.assertEqual(c.query('QPIGS').split(b' ')[8], b'-')

    def test_fields_a_model_never_sends(self):
        self.start_seqpacket('--baud=0')
        d = self.dump()
        # A classic unit NAKs QPIGS2: those fields are no part of its state, and cannot be set.
        self.assertEqual(d['Pv2InputVoltage'], '-')
        out = self.control('set Pv2InputVoltage 100')
        self.assertIn('in no answer this classic model sends', out[-1])
        self.assertEqual(self.dump(), d)

    def test_unit_dump(self):
        c = self.start_seqpacket('--baud=0', '--units=2')
        u1 = self.dump('unit 1 ')
        self.assertEqual(u1['SerialNumber'], '92932105105336')
        for name, value in u1.items():
            self.assertEqual(self.control_ok(f'unit 1 get {name}'), [f'{name}={value}'])
        self.control_ok('unit 1 set BatteryVoltage 50.1')
        self.assertEqual(self.dump('unit 1 ')['BatteryVoltage'], '50.1')
        self.assertEqual(c.query('QPGS1').split(b' ')[11], b'50.1')
        # Unit fields are not in the inverter's dump, nor the other way round.
        self.assertNotIn('BatteryStatus', self.dump())
        self.assertNotIn('GridRatingVoltage', u1)
        self.assertTrue(self.control('unit 2 dump')[-1].startswith('error: unit 2 does not'))

    def test_status(self):
        c = self.start_seqpacket('--baud=0', '--late-time=700', '--trickle-time=50')
        s = self.status()
        self.assertEqual(s, {'fault': 'none', 'plugged': 'true', 'wedged': 'false',
                             'late-time': '700', 'trickle-time': '50', 'queued': '0',
                             'rules': '0', 'requests': '0', 'usb-resets': '0'})
        self.control_ok('fault late')
        c.write(request('QPI'))
        testlib.wait_for(lambda: self.status()['queued'] == '1', 5, what='late answer queued')
        self.control_ok('nak-next QPIGS 2')
        self.control_ok('unplug')
        s = self.status()
        self.assertEqual((s['fault'], s['plugged'], s['queued'], s['rules'], s['requests']),
                         ('late', 'false', '0', '1', '1'))
        self.control_ok('fault wedge')
        self.assertEqual(self.status()['wedged'], 'true')
        self.control_ok('replug')
        self.assertEqual(self.status()['wedged'], 'false')
        self.assertEqual(self.status()['fault'], 'none')


if __name__ == '__main__':
    simtest.main()
