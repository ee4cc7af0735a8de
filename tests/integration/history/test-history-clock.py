#!/usr/bin/python3
"""The wall clock of axpert-history made wrong with libfaketime (the monotonic clock left real):
a Raspberry Pi's boot at 1970 until NTP syncs, then the clock set back an hour and put right.
No sample is put on a wrong time, no energy is lost or made up: the held energy is attributed
once the clock is plausible. Exits 77 (skipped) without libfaketime (Debian package
libfaketime)."""
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import historylib  # noqa: E402
import testlib  # noqa: E402

FAKETIME = (glob.glob('/usr/lib/*/faketime/libfaketime.so.1') +
            glob.glob('/usr/lib/faketime/libfaketime.so.1'))


def stamp(t):
    return '@' + time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t))


class Clock(historylib.HistoryTestCase):

    def set_clock(self, t):
        tmp = self.clock_file + '.new'
        with open(tmp, 'w') as f:
            f.write(stamp(t) + '\n')
        os.rename(tmp, self.clock_file)

    def test_boot_at_1970_then_set_back(self):
        self.start('--baud=0', daemon_args=('--poll-interval=0.5',))
        sn = self.serial()
        load_w = float(self.control.get('AcOutputActivePower'))
        self.clock_file = os.path.join(self.tmpdir, 'faketime')
        self.set_clock(600)  # 1970-01-01 00:10 UTC
        env = dict(self.env, LD_PRELOAD=FAKETIME[0], FAKETIME_TIMESTAMP_FILE=self.clock_file,
                   FAKETIME_NO_CACHE='1', FAKETIME_DONT_FAKE_MONOTONIC='1', TZ='UTC')
        saved, self.env = self.env, env
        t0 = time.monotonic()
        self.start_history()
        self.env = saved
        self.wait_object(sn)
        time.sleep(4)
        # At 1970 nothing is recorded, and no energy is on any day yet: it is held.
        props = self.hbus.props(sn)
        self.assertEqual(props['FirstSampleTimestamp'], 0, props)
        self.assertEqual(self.hbus.get_energy(sn, 'day', 0, 2**63), [])

        # NTP: the clock is right.
        t_sync = time.time()
        self.set_clock(t_sync)
        testlib.wait_for(lambda: self.hbus.get_energy(sn, 'day', 0, 2**63), 10, 0.1,
                         what='the held energy to be attributed')
        time.sleep(2)
        # Set back an hour (before the last sample): implausible again, for 3 s.
        t_back = time.time()
        self.set_clock(t_back - 3600)
        time.sleep(3)
        n_back = len(self.samples(sn, ['BatteryVoltage'], int((t_back - 7200) * 1e6),
                                  int((t_back + 3600) * 1e6))[0])
        time.sleep(1)
        self.assertEqual(len(self.samples(sn, ['BatteryVoltage'], int((t_back - 7200) * 1e6),
                                          int((t_back + 3600) * 1e6))[0]), n_back,
                         'samples recorded while the clock was set back')
        self.set_clock(time.time())
        time.sleep(2)
        self.daemon.stop()
        t1 = time.monotonic()
        time.sleep(0.5)

        times, _ = self.samples(sn, ['BatteryVoltage'], int((t_back - 7200) * 1e6),
                                int((time.time() + 3600) * 1e6))
        self.assertTrue(times)
        # No sample before the clock was plausible, none in the hour it was set back to.
        self.assertGreaterEqual(min(times), int(t_sync * 1e6) - 1_000_000, times[:3])
        self.assertFalse([t for t in times if t < int((t_back - 3000) * 1e6)],
                         [t / 1e6 - t_back for t in times])
        # And a gap where the clock was wrong.
        self.assertFalse([t for t in times if int(t_back * 1e6) + 500_000 < t <
                          int((t_back + 2.5) * 1e6)], [t / 1e6 - t_back for t in times])
        periods = self.hbus.get_energy(sn, 'day', 0, 2**63)
        self.assertTrue(all(p[0] > 946684800 * 10**6 for p in periods), periods)  # none in 1970
        load = historylib.energy_sum(periods, 'Load') * 1000
        # All of it, about 12 s of which 7 s were on a wrong clock: nothing lost (a lost 1970
        # or set-back phase would leave about 5 s), nothing made up (the hour jumped over).
        run_s = t1 - t0
        self.assertLessEqual(load, load_w * run_s / 3600 * 1.02, (load, load_w, run_s))
        self.assertGreaterEqual(load, load_w * (run_s - 2.5) / 3600, (load, load_w, run_s))


if __name__ == '__main__':
    if not FAKETIME:
        print('SKIP: libfaketime not installed (Debian package libfaketime)')
        sys.exit(77)
    if os.environ.get('AXPERT_SANITIZE', 'none') not in ('', 'none'):
        # Preloaded into an ASan binary it recurses in clock_gettime() and hangs.
        print('SKIP: libfaketime cannot be preloaded into a sanitized build; the gcc build '
              'runs this test')
        sys.exit(77)
    testlib.main()
