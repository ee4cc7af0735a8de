#!/usr/bin/python3
"""axpertctl energy against a dbusmock axpert-history (history_mock.py): the counters table and
EnergySource, the per day/month/year bill with its total row (sums of the known data set, local
calendar periods in Europe/Berlin), JSON, the GetEnergy arguments, and bad input."""
import datetime
import json
import os
import sys
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
import history_mock  # noqa: E402
from ctltest import testlib  # noqa: E402

US = 1000000
BERLIN = zoneinfo.ZoneInfo('Europe/Berlin')
KINDS = ['Pv', 'Load', 'BatteryCharge', 'BatteryDischarge', 'Grid']


def local(y, m, d):
    return int(datetime.datetime(y, m, d, tzinfo=BERLIN).timestamp()) * US


def total_row(days):
    """The Total row as axpertctl prints it: sums in the order of the rows, two decimals."""
    sums = [0.0] * len(KINDS)
    for day in days:
        for i, k in enumerate(KINDS):
            sums[i] += day[k]
    return ['%.2f' % s for s in sums]


class EnergyTest(ctltest.CtlTestCase):
    def setUp(self):
        super().setUp()
        # The mock computes its local periods in the same zone as axpertctl prints them.
        self.env['TZ'] = 'Europe/Berlin'

    def energy_calls(self):
        return [c for c in self.history_calls() if c[0] == 'GetEnergy']

    def test_counters(self):
        props = {}
        for i, k in enumerate(KINDS):
            for j, s in enumerate(['Today', 'ThisMonth', 'ThisYear', 'Total']):
                props[f'{k}Energy{s}'] = (i + 1) * 10 ** j + 0.25
        props['GridEnergyToday'] = 0.0
        self.start_history_mock(objects=[{'serial': '92932004102453', 'energy_source': 'inverter',
                                          'props': props}])
        p = self.assertCtl('energy')
        self.assertEqual(p.stdout, (
            'Energy in kWh of inverter 92932004102453 (PV and load from the inverter\'s own counters):\n'
            '\n'
            '                         Today  This month   This year       Total\n'
            'PV                        1.25       10.25      100.25     1000.25\n'
            'Load                      2.25       20.25      200.25     2000.25\n'
            'Battery charged           3.25       30.25      300.25     3000.25\n'
            'Battery discharged        4.25       40.25      400.25     4000.25\n'
            'Grid (estimate)           0.00       50.25      500.25     5000.25\n'))
        self.assertEqual(self.energy_calls(), [], 'the counters are properties, no call needed')
        # --no-legend: the rows alone, without the title and the header row.
        self.assertEqual(self.assertCtl('energy', '--no-legend').stdout.splitlines()[0],
                         'PV                        1.25       10.25      100.25     1000.25')
        data = json.loads(self.assertCtl('energy', '--json=short').stdout)
        self.assertEqual(data, {'SerialNumber': '92932004102453', 'EnergySource': 'inverter', **props})

    def test_integrated_source(self):
        self.start_history_mock()
        p = self.assertCtl('energy')
        self.assertIn('(PV and load integrated by axpert-history)', p.stdout.splitlines()[0])

    def test_per_day_month_year(self):
        self.start_history_mock()
        days = {d['date']: d for d in history_mock.DEFAULT_OBJECT['days']}

        p = self.assertCtl('energy', '--day', '--since=2026-11-29T12:00', '--until=2026-12-01')
        self.assertEqual(p.stdout, (
            'Energy in kWh per day of inverter 92932004102453:\n'
            '\n'
            'Date           PV   Load  Battery charged  Battery discharged  Grid (estimate)\n'
            '2026-11-29  12.34  10.20             3.50                2.75             0.00\n'
            '2026-11-30   8.12  11.00             2.00                3.00             1.88\n'
            '2026-12-01   3.20   4.10             1.25                0.50             0.00\n'
            '----------  -----  -----  ---------------  ------------------  ---------------\n'
            'Total       23.66  25.30             6.75                6.25             1.88\n'))
        self.assertEqual(p.stdout.splitlines()[-1].split()[1:],
                         total_row([days['2026-11-29'], days['2026-11-30'], days['2026-12-01']]))
        self.assertEqual(self.energy_calls()[-1][2:],
                         ['day', local(2026, 11, 29) + 12 * 3600 * US, local(2026, 12, 1)])

        p = self.assertCtl('energy', '--no-legend', '--day', '--since=2026-11-29T12:00', '--until=2026-12-01')
        self.assertEqual(p.stdout, (
            '2026-11-29  12.34  10.20             3.50                2.75             0.00\n'
            '2026-11-30   8.12  11.00             2.00                3.00             1.88\n'
            '2026-12-01   3.20   4.10             1.25                0.50             0.00\n'),
            'no title, header, separator or total')
        p = self.assertCtl('energy', '--month', '--since=2025-01-01', '--until=2026-12-31')
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], 'Energy in kWh per month of inverter 92932004102453:')
        self.assertEqual([x.split()[0] for x in lines[3:-2]], ['2025-12', '2026-10', '2026-11', '2026-12'])
        november = total_row([days['2026-11-29'], days['2026-11-30']])
        self.assertEqual(lines[5].split()[1:], november)
        self.assertEqual(lines[-1].split()[1:], total_row(days.values()))
        self.assertEqual(lines[-2].split(), ['-------', '-----', '-----', '-' * 15, '-' * 18, '-' * 15])

        p = self.assertCtl('energy', '--year', '--range=20250101000000-20261231235959')
        lines = p.stdout.splitlines()
        self.assertEqual([x.split()[0] for x in lines[3:]], ['2025', '2026', '-' * 5, 'Total'])
        self.assertEqual(lines[4].split()[1:], total_row([d for k, d in days.items() if k >= '2026']))
        self.assertEqual(self.energy_calls()[-1][2:],
                         ['year', local(2025, 1, 1), local(2026, 12, 31) + (86400 - 1) * US])

        data = json.loads(self.assertCtl('energy', '--month', '--since=2026-10-01', '--until=2026-10-31',
                                         '--json=short').stdout)
        self.assertEqual(data, [{'period': '2026-10', 'timestamp': local(2026, 10, 1),
                                 **{k: days['2026-10-31'][k] for k in KINDS}}])
        # Nothing recorded in the range: an empty bill with a zero total.
        p = self.assertCtl('energy', '--day', '--since=2026-01-01', '--until=2026-01-31')
        self.assertEqual(p.stdout.splitlines()[-1].split(), ['Total'] + ['0.00'] * 5)
        self.assertEqual(json.loads(self.assertCtl('energy', '--day', '--since=2026-01-01',
                                                   '--until=2026-01-31', '-j').stdout), [])

    def test_default_ranges(self):
        self.start_history_mock()

        def midnight(t_us, days=0, months=0):
            d = datetime.datetime.fromtimestamp(t_us / US, BERLIN).date()
            if months:
                m = d.month - 1 + months
                d = datetime.date(d.year + m // 12, m % 12 + 1, 1)
            d += datetime.timedelta(days=days)
            return local(d.year, d.month, d.day)

        for args, expect in ((['--day'], lambda now: ('day', midnight(now, days=-29))),
                             (['--since=yesterday'], lambda now: ('day', midnight(now, days=-1))),
                             (['--month'], lambda now: ('month', midnight(now, months=-11)))):
            with self.subTest(args=args):
                before = time.time_ns() // 1000
                self.assertCtl('energy', *args)
                after = time.time_ns() // 1000
                call = self.energy_calls()[-1]
                self.assertIn((call[2], call[3]), (expect(before), expect(after)))
                self.assertTrue(before <= call[4] <= after, call)
        self.assertCtl('energy', '--year')
        self.assertEqual(self.energy_calls()[-1][3], 0)

    def test_bad_input(self):
        self.start_history_mock()
        for args, text in ((['--day', '--month'], '--day and --month exclude each other'),
                           (['--since=2026-12-02', '--until=2026-12-01'], 'is after the end'),
                           (['--day', '--since=someday'], '--since=someday is not a time'),
                           (['--csv'], 'apply only to "history"'),
                           (['november'], 'too many arguments for "energy"')):
            with self.subTest(args=args):
                p = self.assertCtl('energy', *args, rc=ctltest.EXIT_USAGE)
                self.assertIn(text, p.stderr)
                self.assertEqual(p.stdout, '')
        self.assertEqual(self.energy_calls(), [])

    def test_unavailable(self):
        self.start_history_mock(fail='org.axpert.History.Error.Unavailable')
        p = self.assertCtl('energy', '--day', rc=1)
        self.assertIn('cannot read the energy: the history database cannot be read right now', p.stderr)
        self.assertEqual(p.stdout, '')


if __name__ == '__main__':
    testlib.main()
