#!/usr/bin/python3
"""axpert-web's read-only API against the simulator and axpertd: godenerg's /cmds keys and JSON
types, merge, the native state (every property of the bus), units, the static table, errors."""
import os

import testlib
import weblib

# WEB.md's tables: key -> JSON type.
STATUS_TYPES = {
    **{k: float for k in ['grid_volt', 'grid_freq', 'ac_volt', 'ac_freq', 'batt_volt', 'pv_volts',
                          'batt_volt_scc', 'ac_va', 'ac_watt', 'load_percent', 'bus_volt',
                          'batt_charge_amps', 'batt_capacity', 'temp', 'pv_amps',
                          'batt_discharge_amps', 'pv_watts']},
    'raw_status': str,
    **{k: int for k in ['mask_b', 'mask_c', 'mask_d']},
    **{k: bool for k in ['load_status', 'batt_volt_to_steady', 'ssc_firmware_updated',
                         'configuration_changed', 'sbu_priority_version']},
    'charge_source': list,
}
STATUS_FROM = {
    'grid_volt': 'GridVoltage', 'grid_freq': 'GridFrequency', 'ac_volt': 'AcOutputVoltage',
    'ac_freq': 'AcOutputFrequency', 'batt_volt': 'BatteryVoltage', 'pv_volts': 'PvInputVoltage',
    'batt_volt_scc': 'BatteryVoltageFromScc', 'ac_va': 'AcOutputApparentPower',
    'ac_watt': 'AcOutputActivePower', 'load_percent': 'AcOutputLoadPercent',
    'bus_volt': 'BusVoltage', 'batt_charge_amps': 'BatteryChargingCurrent',
    'batt_capacity': 'BatteryCapacity', 'temp': 'HeatsinkTemperature',
    'pv_amps': 'PvInputCurrent', 'batt_discharge_amps': 'BatteryDischargeCurrent',
    'pv_watts': 'PvInputPower', 'raw_status': 'DeviceStatus', 'load_status': 'LoadOn',
    'batt_volt_to_steady': 'BatteryVoltageSteady', 'ssc_firmware_updated': 'SccFirmwareUpdated',
    'configuration_changed': 'ConfigurationChanged', 'sbu_priority_version': 'SbuPriorityVersion',
}
MODES = {'power-on': 'PM', 'standby': 'SB', 'line': 'LN', 'battery': 'BT', 'fault': 'FA',
         'power-saving': 'PS', 'shutdown': '00'}


def snake(name):
    out = ''
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out += '_'
        out += ch.lower()
    return out


class WebApiTest(weblib.WebMixin, weblib.DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.start(daemon_args=('--poll-interval=0.3',))
        self.start_web()

    def test_cmds_status_keys_and_types(self):
        props = self.dbus.get_all()
        status = self.get_json('/cmds?cmd=status')
        self.assertEqual(list(status), ['status'])
        st = status['status']
        self.assertEqual(set(st), set(STATUS_TYPES))
        for key, typ in STATUS_TYPES.items():
            if typ is float:
                # JSON numbers: a whole number may come as int in other servers, ours prints x.0.
                self.assertIsInstance(st[key], (int, float), key)
                self.assertNotIsInstance(st[key], bool, key)
                self.assertAlmostEqual(st[key], props[STATUS_FROM[key]], places=3, msg=key)
            else:
                self.assertIsInstance(st[key], typ, key)
                if key in STATUS_FROM:
                    self.assertEqual(st[key], props[STATUS_FROM[key]], key)
        # QPIGS fields 18, 19, 21 as the sim sends them (the classic model: 00 00 010).
        self.assertEqual(st['mask_b'], int(self.control.get('BatteryVoltageOffsetForFans')))
        self.assertEqual(st['mask_c'], int(self.control.get('EepromVersion')))
        self.assertEqual(st['mask_d'], int(self.control.get('DeviceStatus2')))
        self.assertEqual(st['mask_d'], int(props['DeviceStatus2']))
        expected = []
        if props['Charging'] and props['SccCharging']:
            expected.append('solar_charging')
        if props['Charging'] and props['AcCharging']:
            expected.append('ac_charging')
        self.assertEqual(st['charge_source'], expected or ['not_charging'])

    def test_charge_source_and_mode_follow_the_sim(self):
        # DeviceStatus b2 = charging, b1 = SCC charging, b0 = AC charging.
        self.control.set('DeviceStatus', '00010111')
        self.wait_state(lambda s: s['device_status'] == '00010111', what='status bits')
        st = self.get_json('/cmds?cmd=status')['status']
        self.assertEqual(st['charge_source'], ['solar_charging', 'ac_charging'])
        self.assertEqual(st['raw_status'], '00010111')
        self.control.set('DeviceStatus', '00010000')
        self.wait_state(lambda s: s['device_status'] == '00010000', what='status bits')
        st = self.get_json('/cmds?cmd=status')['status']
        self.assertEqual(st['charge_source'], ['not_charging'])
        for letter, code in MODES.items():
            self.control.set('Mode', letter)
            testlib.wait_for(lambda: self.get_json('/cmds?cmd=operation_mode') ==
                             {'operation_mode': {'mode': code}}, 20, 0.05, what=f'mode {code}')

    def test_masks_follow_the_sim(self):
        # mask_b, mask_c, mask_d: QPIGS fields 18, 19, 21 as godenerg parses them (integers).
        self.control.set('BatteryVoltageOffsetForFans', '7')
        self.control.set('EepromVersion', '12')
        self.control.set('DeviceStatus2', '110')
        self.wait_state(lambda s: s['device_status2'] == '110' and s['eeprom_version'] == 12 and
                        s['battery_voltage_offset_for_fans'] == 7, what='fields 18, 19, 21')
        st = self.get_json('/cmds?cmd=status')['status']
        self.assertEqual((st['mask_b'], st['mask_c'], st['mask_d']), (7, 12, 110))
        for key in ('mask_b', 'mask_c', 'mask_d'):
            self.assertIs(type(st[key]), int, key)
        # Firmware without fields 18 and 19 (the sim sends '-'): 0, as WEB.md says.
        for name in ('BatteryVoltageOffsetForFans', 'EepromVersion'):
            self.control.set(name, '-')
        self.wait_state(lambda s: s['eeprom_version'] == 0 and
                        s['battery_voltage_offset_for_fans'] is None, what='fields 18, 19 absent')
        st = self.get_json('/cmds?cmd=status')['status']
        self.assertEqual((st['mask_b'], st['mask_c'], st['mask_d']), (0, 0, 110))

    def test_several_and_merge(self):
        both = self.get_json('/cmds?cmd=operation_mode&cmd=status')
        self.assertEqual(set(both), {'operation_mode', 'status'})
        merged = self.get_json('/cmds?cmd=operation_mode&cmd=status&merge=1')
        self.assertEqual(set(merged), set(STATUS_TYPES) | {'mode'})
        self.assertEqual(merged['mode'], both['operation_mode']['mode'])
        self.assertEqual(merged['raw_status'], both['status']['raw_status'])
        self.assertEqual(self.get_json(f'/cmds?cmd=status&serial={self.serial()}')['status']
                         ['raw_status'], both['status']['raw_status'])

    def test_errors_and_native_state(self):
        self.assert_error('/cmds?cmd=status&cmd=QPIGS', 400, contains="'QPIGS'")
        self.assert_error('/cmds', 400, contains='no cmd')
        self.assert_error('/cmds?cmd=status&merge=2', 400, contains='merge')
        self.assert_error('/cmds?cmd=status&verbose=1', 400, contains="'verbose'")
        self.assert_error('/cmds?cmd=status&serial=nope', 404, contains="'nope'")
        # libsoup refuses a URI with a bad %-escape itself (400, before any handler).
        self.assertEqual(self.request('/cmds?cmd=%zz').status, 400)
        self.assert_error('/cmds?cmd=st%00atus', 400, contains='malformed')
        props = self.dbus.get_all()
        state = self.get_json(f'/api/v1/inverters/{self.serial()}')
        self.assertEqual(set(state), {snake(k) for k in props})
        self.assertIs(state['online'], True)
        self.assertEqual(state['serial_number'], self.serial())
        self.assertIsInstance(state['setting_limits'], dict)
        self.assertAlmostEqual(state['battery_voltage'], props['BatteryVoltage'], places=3)
        self.assertIsInstance(state['mode'], str)

    def test_inverters_units_metrics(self):
        lst = self.get_json('/api/v1/inverters')
        self.assertEqual(len(lst), 1)
        self.assertEqual(lst[0]['serial'], self.serial())
        self.assertEqual(lst[0]['device'], '0')
        self.assertIs(lst[0]['online'], True)
        self.assert_error('/api/v1/inverters/nope', 404, contains="'nope'")
        self.assert_error('/api/v1/inverters?x=1', 400, contains="'x'")
        self.assert_error(f'/api/v1/inverters/{self.serial()}/bogus', 404)
        self.assert_error(f'/api/v1/inverters/{self.serial()}/units/0/x', 404)
        units = self.get_json(f'/api/v1/inverters/{self.serial()}/units')
        self.assertEqual(units, [])  # a single inverter has none
        self.assert_error(f'/api/v1/inverters/{self.serial()}/units/0', 404)
        self.assert_error(f'/api/v1/inverters/{self.serial()}/units/x', 400)
        r = self.request('/metrics')
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header('content-type').startswith('text/plain'))
        text = r.body.decode()
        self.assertIn('axpert_web_daemon_up 1\n', text)
        self.assertIn(f'axpert_online{{serial="{self.serial()}"}} 1\n', text)
        line = [x for x in text.splitlines() if x.startswith('axpert_battery_voltage{')][0]
        self.assertAlmostEqual(float(line.split()[-1]), self.dbus.get('BatteryVoltage'), places=3)

    def test_read_only_and_static_table(self):
        for method in ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']:
            r = self.assert_error('/cmds?cmd=status', 405, method=method, body=b'x')
            self.assertIn('GET', r.header('allow'))
        self.assert_error(f'/api/v1/inverters/{self.serial()}', 405, method='POST', body=b'{}')
        r = self.request('/cmds?cmd=status', method='HEAD')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'')
        chart = '/usr/share/javascript/chart.js/chart.min.js'
        r = self.request('/javascript/chart.js/chart.min.js')
        if os.path.exists(chart):
            self.assertEqual(r.status, 200)
            with open(chart, 'rb') as f:
                self.assertEqual(r.body, f.read())
            self.assertTrue(r.header('content-type').startswith('text/javascript'))
        else:
            self.assertEqual(r.status, 404)
            self.assertIn('libjs-chart.js', r.json()['error'])
        for path in ['/', '/app.js', '/style.css']:
            r = self.request(path)
            self.assertIn(r.status, (200, 404), path)
            if r.status == 404:
                self.assertIn('error', r.json())
        for path in ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/static/../../etc/passwd',
                     '/javascript/chart.js/../../../../etc/passwd', '/javascript/chart.js/chart.js',
                     '/javascript/chart.js/', '//etc/passwd', '/app.js%00',
                     '/etc/passwd', '/web/static/index.html']:
            r = self.request(path)
            # A NUL in the path is a bad request to libsoup (400), never a file.
            self.assertIn(r.status, (400, 404) if '%00' in path else (404,), path)
            self.assertNotIn(b'root:', r.body, path)
        # "/index.html/.." is "/" once normalized: the dashboard, nothing beside it.
        r = self.request('/index.html/..')
        self.assertEqual((r.status, r.body), (200, self.request('/').body))


if __name__ == '__main__':
    testlib.main(jobs=3, first=('test_charge_source_and_mode_follow_the_sim',))
