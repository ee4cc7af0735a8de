#!/usr/bin/python3
"""axpert-web with parallel units: …/units lists them, …/units/<N> is every property of the
unit (as on the bus), the event stream carries a "unit" event per unit on connect and when a
unit changes."""
import testlib
import weblib


def snake(name):
    return ''.join(('_' if c.isupper() and i else '') + c.lower() for i, c in enumerate(name))


class WebUnitsTest(weblib.WebMixin, weblib.DaemonTestCase):
    def test_units(self):
        self.start('--units=2', daemon_args=('--poll-interval=0.3',))
        self.start_web()
        serial = self.serial()
        base = f'/api/v1/inverters/{serial}'
        units = testlib.wait_for(lambda: self.get_json(f'{base}/units') == [0, 1], 20,
                                 what='two units')
        self.assertTrue(units)
        self.assertEqual(self.get_json('/api/v1/inverters')[0]['units'], 2)
        objects = self.dbus.managed_objects()
        paths = sorted(p for p, ifaces in objects.items() if weblib.daemonlib.UNIT_IFACE in ifaces)
        props = objects[paths[1]][weblib.daemonlib.UNIT_IFACE]
        unit1 = self.get_json(f'{base}/units/1')
        self.assertEqual(set(unit1), {snake(k) for k in props})
        self.assertEqual(unit1['index'], 1)
        self.assert_error(f'{base}/units/2', 404, contains='no unit 2')

        ev = weblib.EventStream(self.web_port)
        self.addCleanup(ev.close)
        seen = set()
        while len(seen) < 2:
            name, data = ev.next_event()
            if name == 'unit':
                self.assertEqual(data['serial'], serial)
                seen.add(data['unit'])
        self.assertEqual(seen, {0, 1})
        self.control.set('BatteryVoltage', '50.6', unit=1)
        _, data = ev.wait_event(lambda e, d: e == 'unit' and d['unit'] == 1 and
                                d['state'].get('battery_voltage') == 50.6, 20,
                                what='unit 1 change')
        self.assertEqual(self.get_json(f'{base}/units/1')['battery_voltage'], 50.6)


if __name__ == '__main__':
    testlib.main()
