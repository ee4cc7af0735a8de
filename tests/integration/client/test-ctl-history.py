#!/usr/bin/python3
"""axpertctl history against a dbusmock axpert-history (history_mock.py): every TIME form reaches
GetSamples as the right microseconds (DST days in Europe/Berlin, godenerg's range form), the table,
CSV and JSON of a known data set exactly, -o FILE, the choice of the inverter, and bad input: a
clear one-line error, the documented exit code, no call to the service and no file written."""
import datetime
import json
import os
import stat
import sys
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctltest  # noqa: E402
from ctltest import testlib  # noqa: E402

US = 1000000
T0 = 1796119200 * US  # 2026-12-01T10:00:00Z, the mock's first sample
ALL = ['BatteryVoltage', 'PvInputPower', 'Mode', 'LoadOn', 'HeatsinkTemperature',
       'unit1.BatteryCapacity']
DAY = ['--since=2026-12-01', '--until=2026-12-02']


def utc(text):
    """µs of a UTC time written out, independent of the code under test."""
    return int(datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)
               .timestamp()) * US


class HistoryTest(ctltest.CtlTestCase):
    def calls(self, method='GetSamples'):
        return [c for c in self.history_calls() if c[0] == method]

    def last_call(self):
        calls = self.calls()
        self.assertTrue(calls, 'no GetSamples call')
        return calls[-1]

    def test_time_forms(self):
        self.env['TZ'] = 'Europe/Berlin'
        self.start_history_mock()
        until = '--until=2027-01-01T00:00Z'
        cases = [
            ('2026-12-01', utc('2026-11-30T23:00:00')),
            ('2026-12-01T10:00', utc('2026-12-01T09:00:00')),
            ('2026-12-01T10:00:30', utc('2026-12-01T09:00:30')),
            ('2026-12-01 10:00:30.25', utc('2026-12-01T09:00:30') + 250000),
            ('2026-12-01T10:00:30.123456789', utc('2026-12-01T09:00:30') + 123456),
            ('2026-12-01T10:00Z', utc('2026-12-01T10:00:00')),
            ('2026-12-01T10:00+05:30', utc('2026-12-01T04:30:00')),
            ('2026-12-01T10:00:00-0200', utc('2026-12-01T12:00:00')),
            ('2026-07-01T10:00', utc('2026-07-01T08:00:00')),  # summer time: +02:00
            ('20261201100000', utc('2026-12-01T09:00:00')),  # godenerg
            ('20261201', utc('2026-11-30T23:00:00')),
            ('@1796119200', T0),
            # Spring forward (02:00 -> 03:00): the day starts at +01:00 and has 23 hours.
            ('2026-03-29', utc('2026-03-28T23:00:00')),
            ('2026-03-29T01:59:59', utc('2026-03-29T00:59:59')),
            ('2026-03-29T03:00', utc('2026-03-29T01:00:00')),
            ('2026-03-30', utc('2026-03-29T22:00:00')),
            # Fall back (03:00 -> 02:00): 02:30 happens twice, the first (+02:00) is taken.
            ('2026-10-25', utc('2026-10-24T22:00:00')),
            ('2026-10-25T02:30', utc('2026-10-25T00:30:00')),
            ('20261025023000', utc('2026-10-25T00:30:00')),
            ('2026-10-25T02:30+01:00', utc('2026-10-25T01:30:00')),
            ('2026-10-25T03:00', utc('2026-10-25T02:00:00')),
            ('2026-10-26', utc('2026-10-25T23:00:00')),
        ]
        for text, expected in cases:
            with self.subTest(since=text):
                self.assertCtl('history', '--step=1d', f'--since={text}', until, 'Mode')
                self.assertEqual(self.last_call()[2:4], [expected, utc('2027-01-01T00:00:00')])
        # --until takes the same forms.
        self.assertCtl('history', '--step=1d', '--since=@0', '--until=2026-10-25T02:59:59', 'Mode')
        self.assertEqual(self.last_call()[3], utc('2026-10-25T00:59:59'))

        # godenerg's range form, as --range= or as --since=, local times at both ends.
        for args in (['--range=20261025000000-20261025235959'],
                     ['--since=20261025000000-20261025235959']):
            with self.subTest(args=args):
                self.assertCtl('history', *args, 'Mode', 'LoadOn')
                self.assertEqual(self.last_call()[2:],
                                 [utc('2026-10-24T22:00:00'), utc('2026-10-25T22:59:59'), 0,
                                  ['Mode', 'LoadOn']])
        self.assertCtl('history', '--range=20260329000000-20260329235959', 'Mode')
        self.assertEqual(self.last_call()[2:4], [utc('2026-03-28T23:00:00'), utc('2026-03-29T21:59:59')])

        # Relative to now: the call's value lies between the clock before and after the run.
        berlin = zoneinfo.ZoneInfo('Europe/Berlin')

        def midnight(t_us, days):
            d = datetime.datetime.fromtimestamp(t_us / US, berlin).date() + datetime.timedelta(days=days)
            return int(datetime.datetime(d.year, d.month, d.day, tzinfo=berlin).timestamp()) * US

        relative = [
            ('now', lambda now: now, True),
            ('-1d', lambda now: now - 86400 * US, True),
            ('-12h', lambda now: now - 12 * 3600 * US, True),
            ('-30m', lambda now: now - 30 * 60 * US, True),
            ('-90s', lambda now: now - 90 * US, True),
            ('-1h30m', lambda now: now - 5400 * US, True),
            ('today', lambda now: midnight(now, 0), False),
            ('yesterday', lambda now: midnight(now, -1), False),
        ]
        for text, f, continuous in relative:
            with self.subTest(since=text):
                before = time.time_ns() // 1000
                self.assertCtl('history', '--step=1d', f'--since={text}', '--until=2030-01-01', 'Mode')
                after = time.time_ns() // 1000
                got = self.last_call()[2]
                if continuous:
                    self.assertGreaterEqual(got, f(before))
                    self.assertLessEqual(got, f(after))
                else:
                    self.assertIn(got, (f(before), f(after)))
        # The default: the last 24 hours, ending now.
        before = time.time_ns() // 1000
        self.assertCtl('history', 'Mode')
        after = time.time_ns() // 1000
        call = self.last_call()
        self.assertEqual(call[3] - call[2], 86400 * US)
        self.assertTrue(before <= call[3] <= after, call)
        self.assertEqual(call[4], 0)
        # --step passes seconds (units accepted) through as they are.
        for text, seconds in (('90', 90), ('5m', 300), ('1h', 3600), ('1d', 86400), ('0', 0)):
            self.assertCtl('history', f'--step={text}', *DAY, 'Mode')
            self.assertEqual(self.last_call()[4], seconds)

    def test_bad_input(self):
        self.start_history_mock()
        out = os.path.join(self.tmpdir, 'out.csv')
        usage = [
            (['Foo'], '"Foo" is not recorded for inverter 92932004102453; accepted fields: '
                      'BatteryVoltage, HeatsinkTemperature, LoadOn, Mode, PvInputPower, '
                      'unit1.BatteryCapacity'),
            (['--since=2026-12-02', '--until=2026-12-01', 'Mode'],
             'the start (2026-12-02T00:00:00+00:00) is after the end (2026-12-01T00:00:00+00:00)'),
            (['--since=yesterdy', 'Mode'], '--since=yesterdy is not a time; use YYYY-mm-dd'),
            (['--since=2026-13-01', 'Mode'], 'is not a time'),
            (['--since=2026-02-29', 'Mode'], 'is not a time'),
            (['--since=2026-12-01T24:00', 'Mode'], 'is not a time'),
            (['--since=2026-12-01T10:00+25:00', 'Mode'], 'is not a time'),
            (['--since=-5x', 'Mode'], 'is not a time'),
            (['--since=', 'Mode'], 'is not a time'),
            (['--until=2026-12-01X', 'Mode'], '--until=2026-12-01X is not a time'),
            (['--since=1969-12-31', 'Mode'], 'out of range (years 1970 to 9999)'),
            (['--range=2026-12-01', 'Mode'], '--range=2026-12-01: use YYYYmmddHHMMSS-YYYYmmddHHMMSS'),
            (['--range=20261301000000-20261201000000', 'Mode'], 'is not a time'),
            (['--range=20261201000000-20261202000000', '--until=now', 'Mode'],
             '--range= gives both ends'),
            (['--since=20261201000000-20261202000000', '--until=now', 'Mode'], 'gives both ends'),
            (['--range=20261202000000-20261201000000', 'Mode'], 'is after the end'),
            (['--step=abc', 'Mode'], '--step=abc is not a number of seconds'),
            (['--step=-1', 'Mode'], 'is not a number of seconds'),
            (['--step=99999999999', 'Mode'], 'is too large'),
            (['--csv', '--json=short', 'Mode'], '--csv and --json exclude each other'),
            (['--day', 'Mode'], '--day, --month and --year apply only to "energy"'),
            (['--csv'], '"history" needs the fields to print'),
        ]
        for args, text in usage:
            with self.subTest(args=args):
                p = self.assertCtl('history', '-o', out, *args, rc=ctltest.EXIT_USAGE)
                self.assertIn(text, p.stderr)
                self.assertEqual(p.stdout, '')
        # A skipped local hour never happened.
        self.env['TZ'] = 'Europe/Berlin'
        p = self.assertCtl('history', '-o', out, '--since=2026-03-29T02:30', 'Mode',
                           rc=ctltest.EXIT_USAGE)
        self.assertIn('that local time does not exist (skipped by a daylight saving time change)',
                      p.stderr)
        self.assertEqual(self.calls(), [], 'bad input reached the service')
        for args in (['status', '--since=now'], ['energy', '--csv'], ['energy', '--step=60'],
                     ['energy', '-o', out]):
            with self.subTest(args=args):
                self.assertCtl(*args, rc=ctltest.EXIT_USAGE)

        # What only the service can judge is passed through; its InvalidArgs is shown (exit 5).
        for step, since in (('1', '2000-01-01'), ('0', '2020-01-01')):
            with self.subTest(step=step):
                p = self.assertCtl('history', '-o', out, f'--step={step}', f'--since={since}',
                                   'Mode', rc=ctltest.EXIT_INVALID)
                self.assertRegex(p.stderr, r'^axpertctl: cannot read the history: axpert-history '
                                           r'refused it: at most 100000 rows per call \(.*\); '
                                           r'narrow the range or raise STEP\n$')
                self.assertEqual(self.last_call()[4], int(step))
        self.assertFalse(os.path.exists(out), 'a failed command wrote the file')
        self.assertFalse([f for f in os.listdir(self.tmpdir) if f.startswith('.out.csv')],
                         'a temporary file was left behind')

    def test_table_csv_json(self):
        self.start_history_mock()
        p = self.assertCtl('history', *DAY, *ALL)
        self.assertEqual(p.stdout, (
            'Time                 BatteryVoltage  PvInputPower     Mode  LoadOn  HeatsinkTemperature  unit1.BatteryCapacity\n'
            '2026-12-01 10:00:00          52.1 V        1270 W     line     yes                41 °C                   87 %\n'
            '2026-12-01 10:01:00         52.25 V      1300.5 W     line     yes              41.5 °C                   87 %\n'
            '2026-12-01 10:02:00               -        1250 W     line      no                42 °C                   88 %\n'
            '2026-12-01 10:03:00          51.9 V             -  battery      no                42 °C                   88 %\n'
            '2026-12-01 10:04:00            52 V           0 W  battery     yes              42.5 °C                   89 %\n'
            '2026-12-01 10:05:00          52.4 V          10 W  battery     yes                43 °C                      -\n'))
        self.assertEqual(self.last_call()[2:], [utc('2026-12-01T00:00:00'), utc('2026-12-02T00:00:00'),
                                                0, ALL])
        # Averaged rows (the mock averages what a STEP holds) are rounded for reading.
        p = self.assertCtl('history', '--step=180', *DAY, 'BatteryVoltage', 'LoadOn')
        self.assertEqual(p.stdout, ('Time                 BatteryVoltage  LoadOn\n'
                                    '2026-12-01 10:00:00         52.17 V    0.67\n'
                                    '2026-12-01 10:03:00          52.1 V    0.67\n'))
        # --no-legend: the rows without the header row.
        p = self.assertCtl('history', '--no-legend', '--step=180', *DAY, 'BatteryVoltage', 'LoadOn')
        self.assertEqual(p.stdout, ('2026-12-01 10:00:00         52.17 V    0.67\n'
                                    '2026-12-01 10:03:00          52.1 V    0.67\n'))
        # Field names are matched without regard to case, printed as the service spells them.
        p = self.assertCtl('history', '--csv', '--range=20261201100000-20261201100100', 'batteryvoltage')
        self.assertEqual(p.stdout, 'datetime,BatteryVoltage\n2026-12-01T10:00:00+00:00,52.1\n'
                                   '2026-12-01T10:01:00+00:00,52.25\n')

        csv = ('datetime,BatteryVoltage,PvInputPower,Mode,LoadOn,HeatsinkTemperature,unit1.BatteryCapacity\n'
               '2026-12-01T10:00:00+00:00,52.1,1270,2,1,41,87\n'
               '2026-12-01T10:01:00+00:00,52.25,1300.5,2,1,41.5,87\n'
               '2026-12-01T10:02:00+00:00,,1250,2,0,42,88\n'
               '2026-12-01T10:03:00+00:00,51.9,,3,0,42,88\n'
               '2026-12-01T10:04:00+00:00,52,0,3,1,42.5,89\n'
               '2026-12-01T10:05:00+00:00,52.4,10,3,1,43,\n')
        self.assertEqual(self.assertCtl('history', '--csv', *DAY, *ALL).stdout, csv)
        # Local time with its offset: unambiguous across DST.
        p = self.assertCtl('history', '--csv', *DAY, 'Mode', env={'TZ': 'Europe/Berlin'})
        self.assertEqual(p.stdout.splitlines()[1], '2026-12-01T11:00:00+01:00,2')

        rows = [
            {'BatteryVoltage': 52.1, 'PvInputPower': 1270, 'LoadOn': 1},
            {'BatteryVoltage': 52.25, 'PvInputPower': 1300.5, 'LoadOn': 1},
            {'BatteryVoltage': None, 'PvInputPower': 1250, 'LoadOn': 0},
            {'BatteryVoltage': 51.9, 'PvInputPower': None, 'LoadOn': 0},
            {'BatteryVoltage': 52, 'PvInputPower': 0, 'LoadOn': 1},
            {'BatteryVoltage': 52.4, 'PvInputPower': 10, 'LoadOn': 1},
        ]
        for i, r in enumerate(rows):
            r['datetime'] = f'2026-12-01T10:0{i}:00+00:00'
            r['timestamp'] = T0 + i * 60 * US
        fields = ['BatteryVoltage', 'PvInputPower', 'LoadOn']
        p = self.assertCtl('history', '--json=short', *DAY, *fields)
        self.assertEqual(p.stdout.count('\n'), 1)
        self.assertIn('{"datetime":"2026-12-01T10:02:00+00:00","timestamp":1796119320000000,'
                      '"BatteryVoltage":null,"PvInputPower":1250,"LoadOn":0}', p.stdout)
        self.assertEqual(json.loads(p.stdout), rows)
        for args in (['--json=pretty'], ['--json'], ['-j']):
            with self.subTest(args=args):
                p = self.assertCtl('history', *args, *DAY, *fields)
                self.assertEqual(json.loads(p.stdout), rows)
        # Nothing in the range: just the header, or [].
        empty = ['--since=2026-11-01', '--until=2026-11-02']
        self.assertEqual(self.assertCtl('history', '--csv', *empty, 'Mode').stdout, 'datetime,Mode\n')
        self.assertEqual(json.loads(self.assertCtl('history', '-j', *empty, 'Mode').stdout), [])

        # Without FIELD: what can be asked for.
        listed = self.assertCtl('history').stdout.split()
        self.assertEqual(listed, sorted(ALL))
        self.assertEqual(json.loads(self.assertCtl('history', '--json=short').stdout), sorted(ALL))

    def test_output_file(self):
        self.start_history_mock()
        out = os.path.join(self.tmpdir, 'battery.csv')
        p = self.assertCtl('history', '--csv', '-o', out, '--range=20261201100000-20261201100100',
                           'BatteryVoltage')
        self.assertEqual(p.stdout, '')
        with open(out) as f:
            self.assertEqual(f.read(), 'datetime,BatteryVoltage\n2026-12-01T10:00:00+00:00,52.1\n'
                                       '2026-12-01T10:01:00+00:00,52.25\n')
        # Replaced as a whole (a new inode), keeping the file's mode.
        os.chmod(out, 0o640)
        inode = os.stat(out).st_ino
        self.assertCtl('history', f'--output={out}', '--json=short',
                       '--range=20261201100000-20261201100000', 'Mode')
        self.assertNotEqual(os.stat(out).st_ino, inode)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o640)
        with open(out) as f:
            self.assertEqual(json.load(f), [{'datetime': '2026-12-01T10:00:00+00:00',
                                             'timestamp': T0, 'Mode': 2}])
        # A new file gets what the umask allows.
        fresh = os.path.join(self.tmpdir, 'fresh.txt')
        self.assertCtl('history', '-o', fresh, *DAY, 'Mode')
        self.assertEqual(stat.S_IMODE(os.stat(fresh).st_mode), 0o666 & ~self.umask())
        with open(fresh) as f:
            self.assertEqual(f.readline(), 'Time                    Mode\n')
        # Errors name the file; nothing is left behind.
        missing = os.path.join(self.tmpdir, 'no-such-dir', 'x.csv')
        p = self.assertCtl('history', '--csv', '-o', missing, *DAY, 'Mode', rc=1)
        self.assertEqual(p.stderr, f'axpertctl: cannot write "{missing}": No such file or directory\n')
        p = self.assertCtl('history', '--csv', '-o', self.tmpdir, *DAY, 'Mode', rc=1)
        self.assertIn(f'cannot write "{self.tmpdir}"', p.stderr)
        self.assertFalse([f for f in os.listdir(self.tmpdir)
                          if f.startswith(('.battery.csv.', '.fresh.txt.'))], 'temporary files left')
        self.assertFalse(os.path.exists(os.path.dirname(missing)))

    def umask(self):
        m = os.umask(0)
        os.umask(m)
        return m

    def test_no_service(self):
        for args in (['history', 'Mode'], ['history'], ['energy'], ['energy', '--day']):
            with self.subTest(args=args):
                p = self.assertCtl(*args, rc=ctltest.EXIT_UNREACHABLE)
                self.assertIn('axpert-history is not running; start it with "systemctl start '
                              'axpert-history"', p.stderr)

    def test_unavailable(self):
        self.start_history_mock(fail='org.axpert.History.Error.Unavailable')
        out = os.path.join(self.tmpdir, 'x.csv')
        p = self.assertCtl('history', '-o', out, '--csv', 'Mode', rc=1)
        self.assertIn('cannot read the history: the history database cannot be read right now',
                      p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_help(self):
        p = self.assertCtl('--help')
        for text in ('history [FIELD...]', 'energy', '--since=TIME', '--until=TIME',
                     '--range=YYYYmmddHHMMSS-YYYYmmddHHMMSS', '--step=SECONDS', '--csv',
                     '-o --output=FILE', '--day --month --year', '-j --json'):
            self.assertIn(text, p.stdout)

    def test_answers_checked(self):
        self.start_history_mock(quirk='short-column')
        out = os.path.join(self.tmpdir, 'x.csv')
        p = self.assertCtl('history', '-o', out, *DAY, 'Mode', 'LoadOn', rc=1)
        self.assertEqual(p.stderr, 'axpertctl: cannot read the history: axpert-history answered '
                                   'something unexpected: Bad message\n')
        self.assertFalse(os.path.exists(out))

    def test_empty_answer_without_columns(self):
        self.start_history_mock(quirk='no-empty-columns')
        p = self.assertCtl('history', '--csv', '--since=2026-11-01', '--until=2026-11-02', 'Mode', 'LoadOn')
        self.assertEqual(p.stdout, 'datetime,Mode,LoadOn\n')
        self.assertEqual(self.assertCtl('history', '--csv', *DAY, 'Mode').stdout.count('\n'), 7)

    def test_choosing_the_inverter(self):
        self.start_history_mock(objects=[
            {'serial': 'A-1', 'device': '/org/axpert/Inverter/0', 'samples': {'Mode': [1] * 6}},
            {'serial': 'B2', 'device': '/', 'samples': {'Mode': [2] * 6}},
            {'serial': 'C3', 'device': '/', 'samples': {'Mode': [3] * 6}},
        ])

        def mode_of(*args):
            p = self.assertCtl(*args, 'history', '--csv', '--range=20261201100000-20261201100000', 'Mode')
            return p.stdout.splitlines()[1].split(',')[1]

        self.assertEqual(mode_of(), '1')  # the one connected now
        self.assertEqual(mode_of('-d', '0'), '1')  # axpertd's name, from Device
        self.assertEqual(mode_of('-d', 'A-1'), '1')  # a serial (escaped in the object path)
        self.assertEqual(mode_of('--device=C3'), '3')
        p = self.assertCtl('-d', 'garage', 'history', 'Mode', rc=ctltest.EXIT_NO_DEVICE)
        self.assertEqual(p.stderr, 'axpertctl: no history of "garage"; recorded: "A-1" (inverter "0"), '
                                   '"B2", "C3"\n')
        # An inverter axpertd knows but that is not connected now: found by its serial number.
        self.start_mock(devices=['garage'], props={'SerialNumber': 'B2', 'Online': False})
        self.assertEqual(mode_of('-d', 'garage'), '2')

    def test_several_connected(self):
        self.start_history_mock(objects=[
            {'serial': 'S1', 'device': '/org/axpert/Inverter/0'},
            {'serial': 'S2', 'device': '/org/axpert/Inverter/1'},
        ])
        p = self.assertCtl('history', 'Mode', rc=ctltest.EXIT_NO_DEVICE)
        self.assertEqual(p.stderr, 'axpertctl: axpert-history has recorded 2 inverters; choose one '
                                   'with -d NAME or -d SERIAL: "S1" (inverter "0"), "S2" (inverter "1")\n')
        self.assertCtl('-d', '1', 'history', 'Mode')
        self.assertEqual(self.last_call()[1], '/org/axpert/History/S2')

    def test_nothing_recorded(self):
        self.start_history_mock(objects=[])
        p = self.assertCtl('history', 'Mode', rc=ctltest.EXIT_NO_DEVICE)
        self.assertIn('axpert-history has recorded no inverter yet', p.stderr)


if __name__ == '__main__':
    testlib.main()
