#!/usr/bin/python3
"""axpertd serves every property with the simulator's value, over a pty and over seqpacket."""
import math
import subprocess
import xml.etree.ElementTree as ET

import daemonlib
import testlib


class PropertiesMixin:
    def test_every_property_matches_the_simulator(self):
        self.start()
        props = self.dbus.get_all()

        # The contract: every property of the live introspection is present in GetAll.
        xml = subprocess.run([daemonlib.daemon_binary(), '--bus-introspect'], check=True,
                             capture_output=True, text=True).stdout
        root = ET.fromstring(xml)
        iface = [i for i in root.findall('interface') if i.get('name') == daemonlib.IFACE][0]
        names = {p.get('name') for p in iface.findall('property')}
        self.assertEqual(names, set(props))

        compared = self.assert_matches_sim(props)
        # Most of the ~100 properties are simulator fields; a handful are derived.
        self.assertGreater(compared, 70)
        # QPIGS fields 18, 19, 21 (godenerg's mask_b, mask_c, mask_d) are on the bus and move.
        self.control.set('BatteryVoltageOffsetForFans', '7')
        self.control.set('EepromVersion', '12')
        self.control.set('DeviceStatus2', '110')
        self.dbus.call(daemonlib.ROOT + '/0', daemonlib.IFACE, 'Refresh')
        moved = self.dbus.get_all()
        self.assertEqual((moved['BatteryVoltageOffsetForFans'], moved['EepromVersion'],
                          moved['DeviceStatus2']), (7.0, 12, '110'))

        # Derived properties.
        self.assertIs(props['Online'], True)
        self.assertEqual(props['LastError'], '')
        self.assertGreater(props['LastUpdateTimestamp'], 0)
        self.assertEqual(props['Transport'], self.expected_transport)
        self.assertEqual(props['DevicePath'], self.expected_path())
        self.assertEqual(props['ModelName'], self.control.get('ModelName'))
        self.assertEqual(props['ParallelUnits'], 0)
        # A single inverter: the totals are its own values.
        self.assertEqual(props['TotalAcOutputActivePower'], props['AcOutputActivePower'])
        self.assertEqual(props['TotalAcOutputApparentPower'], props['AcOutputApparentPower'])
        self.assertEqual(props['TotalAcOutputLoadPercent'], props['AcOutputLoadPercent'])
        self.assertEqual(props['TotalChargingCurrent'], props['BatteryChargingCurrent'])
        pv = self.control.get('PvChargingPower')
        if pv != '-':
            self.assertEqual(props['PvInputPower'], float(pv))
        self.assertIsInstance(props['Warnings'], list)
        self.assertIsInstance(props['Faults'], list)
        # The classic model has no second tracker: QPIGS2 is refused, PV2 is NaN.
        self.assertIs(props['HasPv2'], False)
        self.assertTrue(math.isnan(props['Pv2InputVoltage']))

        # The object tree: ObjectManager at the root, the device below it.
        objects = self.dbus.managed_objects()
        self.assertEqual(list(objects), [daemonlib.ROOT + '/0'])
        self.assertIn(daemonlib.IFACE, objects[daemonlib.ROOT + '/0'])

    def test_warnings_and_faults(self):
        self.start()
        # a5 line-fail (warning), a1 inverter-fault + a9 over-temperature (fault while a1).
        bits = ['0'] * 36
        bits[1] = '1'   # position 2 = a1
        bits[5] = '1'   # position 6 = a5
        bits[9] = '1'   # position 10 = a9
        self.control.set('WarningStatus', ''.join(bits))
        self.dbus.call(daemonlib.ROOT + '/0', daemonlib.IFACE, 'Refresh')
        props = self.dbus.get_all()
        self.assertEqual(props['Warnings'], ['line-fail'])
        self.assertEqual(props['Faults'], ['inverter-fault', 'over-temperature'])

    def test_max_model_has_pv2(self):
        self.start('--model=max')
        props = self.dbus.get_all()
        self.assert_matches_sim(props)
        self.assertIs(props['HasPv2'], True)
        self.assertEqual(props['Pv2InputVoltage'], float(self.control.get('Pv2InputVoltage')))
        self.assertEqual(props['ModelName'], self.control.get('ModelName'))


class PtyTest(PropertiesMixin, daemonlib.DaemonTestCase):
    transport = 'pty'
    expected_transport = 'serial'

    def expected_path(self):
        return self.link


class SeqpacketTest(PropertiesMixin, daemonlib.DaemonTestCase):
    transport = 'seqpacket'
    expected_transport = 'hidraw'

    def expected_path(self):
        return self.device_spec[len('hidraw:'):]


if __name__ == '__main__':
    testlib.main(jobs=3)
