#!/usr/bin/python3
"""axpert-history's faults: a corrupt database at start, SIGKILL and restart, SIGTERM with
nothing committed yet, the bus going away, a bad configuration."""
import glob
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import historylib  # noqa: E402  (puts daemon/ on the path)
import daemonlib  # noqa: E402
import testlib  # noqa: E402


class Faults(historylib.HistoryTestCase):

    def start_all(self, **keys):
        self.start('--baud=0', daemon_args=('--poll-interval=0.5',))
        self.sn = self.serial()
        self.start_history(**keys)
        self.wait_object(self.sn)

    def total(self, kind='Load'):
        periods = self.hbus.get_energy(self.sn, 'day', 0, historylib.now_usec() + 10**9)
        return historylib.energy_sum(periods, kind)

    def test_corrupt_database_is_renamed_aside(self):
        self.database = os.path.join(self.tmpdir, 'history.db')
        with open(self.database, 'wb') as f:
            f.write(b'this is not an SQLite database' * 100)
        self.start_all()
        self.wait_samples(self.sn, ['BatteryVoltage'], 3)
        aside = glob.glob(self.database + '.corrupt-*')
        self.assertEqual(len(aside), 1, os.listdir(self.tmpdir))
        with open(aside[0], 'rb') as f:
            self.assertTrue(f.read().startswith(b'this is not'))
        out = self.history.output()
        self.assertEqual(out.count(os.path.basename(aside[0])), 1, out)
        self.assertTrue(self.history.running())

    def test_sigkill_loses_at_most_one_commit_interval(self):
        self.start_all(CommitInterval='1')
        testlib.wait_for(lambda: self.total() > 0, 20, 0.2, what='load energy')
        time.sleep(3)
        load_w = float(self.control.get('AcOutputActivePower'))
        before = self.total()
        self.history.stop(signal.SIGKILL)
        t_killed = time.monotonic()
        self.start_history(CommitInterval='1')
        props = self.wait_object(self.sn)[historylib.IFACE]
        after = props['LoadEnergyTotal']
        # Lost: what was buffered since the last commit, at most one interval (plus one poll
        # cycle that may have been integrated but not yet committed).
        self.assertLessEqual(after, before + 1e-9)
        self.assertGreaterEqual(after, before - load_w * 1.5 / 3600 / 1000,
                                (before, after, load_w))
        # And it goes on counting from there.
        testlib.wait_for(lambda: self.total() > before + load_w * 1.0 / 3600 / 1000, 20, 0.2,
                         what='the total to continue')
        self.assertGreater(time.monotonic() - t_killed, 0)

    def test_sigterm_commits_everything(self):
        # No commit by the timer during the test: only SIGTERM writes.
        self.start_all(CommitInterval='3600')
        self.wait_samples(self.sn, ['BatteryVoltage'], 4)
        testlib.wait_for(lambda: self.total() > 0, 20, 0.2, what='load energy')
        self.daemon.stop()  # nothing changes any more
        time.sleep(0.5)
        times, _ = self.samples(self.sn, ['BatteryVoltage'])
        before = self.total()
        self.assertEqual(self.stop_history(signal.SIGTERM), 0, self.history.output())
        self.assertIn('Stopping.', self.history.output())
        self.start_history(CommitInterval='3600')
        self.wait_object(self.sn)
        self.assertEqual(self.samples(self.sn, ['BatteryVoltage'])[0], times)
        self.assertAlmostEqual(self.total(), before, places=9)

    def test_bus_lost_exits_1(self):
        self.start_sim('--baud=0')
        # Not start_daemon(): its bus connection would be closed at cleanup, and this one dies
        # with the bus.
        self.daemon = self.spawn('axpertd', [daemonlib.daemon_binary(),
                                             f'--device={self.device_spec}',
                                             '--poll-interval=0.5'])
        self.start_history()
        testlib.wait_for(lambda: self.hbus.managed(), 30, 0.1, what='a history object')
        self.bus.proc.kill()
        self.bus.proc.wait()
        testlib.wait_for(lambda: not self.history.running(), 20, what='axpert-history to exit')
        self.assertEqual(self.history.proc.returncode, 1, self.history.output())
        self.assertIn('Lost the connection to the system bus', self.history.output())

    def test_bad_configuration_names_file_group_key(self):
        conf = os.path.join(self.tmpdir, 'bad.conf')
        with open(conf, 'w') as f:
            f.write('[History]\nCommitInterval=soon\n')
        p = self.spawn('axpert-history-bad', [historylib.history_binary(), f'--config={conf}',
                                              f'--database={self.tmpdir}/x.db'])
        self.assertEqual(p.proc.wait(20), 1)
        self.assertIn(f"{conf}: [History] CommitInterval: 'soon' is not a number", p.output())
        self.assertFalse(os.path.exists(f'{self.tmpdir}/x.db'), 'nothing created')


if __name__ == '__main__':
    testlib.main()
