#!/usr/bin/python3
"""axpert-web's …/history and …/energy against a python-dbusmock org.axpert.History (the XML's
contract; the real service is not on main yet): JSON and CSV, parameters and their errors, the
service absent (503) and back (recovery by itself), its own errors mapped to statuses. No
axpertd: history is served whether the daemon runs or not."""
import calendar
import json
import os
import subprocess
import time

import testlib
import weblib

SERIAL = '92932105105335'
TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'history_template.py')


class WebHistoryTest(weblib.WebMixin, testlib.BusTestCase):
    def start_mock(self):
        self.mock = self.spawn('history-mock', ['/usr/bin/python3', '-m', 'dbusmock', '--system',
                                                '-t', TEMPLATE, '-p',
                                                json.dumps({'serials': [SERIAL, 'a-b c']})])
        testlib.wait_for(lambda: subprocess.run(
            ['busctl', '--address', self.bus.address, 'status', 'org.axpert.History'],
            capture_output=True).returncode == 0, 15, what='the History mock on the bus')

    def test_history_and_energy(self):
        self.start_mock()
        self.start_web()
        base = f'/api/v1/inverters/{SERIAL}'
        # No daemon: its endpoints say so, history still answers.
        self.assert_error('/api/v1/inverters', 503, contains='org.axpert.Inverter')

        since = calendar.timegm((2026, 12, 2, 0, 0, 0))
        until = since + 3600
        h = self.get_json(f'{base}/history?since={since}&until={until}&step=600'
                          '&fields=PvInputPower,battery_voltage')
        self.assertEqual(h['serial'], SERIAL)
        self.assertEqual(h['fields'], ['PvInputPower', 'BatteryVoltage'])
        self.assertEqual(h['step'], 600)
        self.assertEqual(h['times'], [(since + i * 600) * 1000000 for i in range(7)])
        pv = h['columns']['PvInputPower']
        bv = h['columns']['BatteryVoltage']
        for i, t in enumerate(h['times']):
            s = t // 1000000
            if (s // 600) % 7 == 0:
                self.assertIsNone(pv[i])  # NaN from the bus is null
            else:
                self.assertEqual(pv[i], float(s % 1000))
                self.assertEqual(bv[i], float(s % 1000 + 1))

        # ISO 8601 and relative times; the default fields.
        iso = self.get_json(f'{base}/history?since=2026-12-02T00:00:00Z'
                            '&until=2026-12-02T01:00:00Z&step=600')
        self.assertEqual(iso['times'], h['times'])
        self.assertEqual(len(iso['fields']), 4)
        rel = self.get_json(f'{base}/history?since=-3600&step=60')
        self.assertAlmostEqual(rel['until'] / 1e6, time.time(), delta=60)
        self.assertAlmostEqual((rel['until'] - rel['since']) / 1e6, 3600, delta=1)

        # CSV: a header line, ISO times, empty cells for NaN.
        r = self.request(f'{base}/history?since={since}&until={until}&step=600'
                         '&fields=PvInputPower&format=csv')
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header('content-type').startswith('text/csv'))
        lines = r.body.decode().split('\r\n')
        self.assertEqual(lines[0], 'time,PvInputPower')
        self.assertEqual(len([x for x in lines[1:] if x]), 7)
        first = lines[1].split(',')
        self.assertEqual(calendar.timegm(time.strptime(first[0], '%Y-%m-%dT%H:%M:%SZ')), since)

        # Energy per day.
        e = self.get_json(f'{base}/energy?period=day&since={since}&until={since + 2 * 86400}')
        self.assertEqual(e['period'], 'day')
        self.assertEqual(len(e['energy']), 3)
        self.assertEqual(e['energy'][0], {'start': since * 1000000, 'pv': 5.5, 'load': 4.25,
                                          'battery_charge': 1.0, 'battery_discharge': 0.5,
                                          'grid': 0.0})
        self.assertEqual(len(self.get_json(f'{base}/energy')['energy']), 32)  # 31 days back

        # A serial that is not a path element is escaped as the XML says.
        self.get_json('/api/v1/inverters/a-b%20c/energy')

        # Bad parameters: 400 naming them; the service's own InvalidArgs passes through.
        for query, text in [('since=yesterday', 'since'), ('until=1e400', 'until'),
                            (f'since={until}&until={since}', 'since is after until'),
                            ('step=-1', 'step'), ('step=10&step=20', 'more than once'),
                            ('format=xml', 'format'), ('fields=', 'field'),
                            ('fields=Nope', 'unknown field Nope'), ('limit=5', "'limit'")]:
            self.assert_error(f'{base}/history?{query}', 400, contains=text)
        self.assert_error(f'{base}/energy?period=week', 400, contains='period')
        self.assert_error(f'{base}/energy?step=1', 400, contains="'step'")
        self.assert_error(f'{base}/history?since={since}&until={since + 10 ** 8}&step=1', 400,
                          contains='100000')
        # Unknown serial: 404; the service failing: 503.
        self.assert_error('/api/v1/inverters/0000/history', 404, contains="'0000'")
        self.assert_error('/api/v1/inverters/BROKEN/energy', 503, contains='cannot be read')
        self.assert_error(f'{base}/history', 405, method='POST', body=b'')

        # The service goes away: 503; it comes back: served again, by itself.
        self.mock.stop()
        testlib.wait_for(lambda: self.request(f'{base}/energy').status == 503, 15,
                         what='503 without the service')
        self.assert_error(f'{base}/history', 503, contains='org.axpert.History')
        self.start_mock()
        testlib.wait_for(lambda: self.request(f'{base}/energy').status == 200, 15,
                         what='history served again')
        self.assertTrue(self.web.running())


if __name__ == '__main__':
    testlib.main()
