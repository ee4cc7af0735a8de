#!/usr/bin/python3
"""The example configuration (installed as /usr/share/axpert/axpertd.conf, copied to
/etc/axpert/axpertd.conf by the administrator) is accepted by the real axpertd: as shipped (all
commented out: autodetect), and with every commented key switched on (the devices it names do
not exist, which is not fatal: their objects appear with Online=false)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

AXPERTD = testlib.build_path('daemon', 'axpertd')
EXAMPLE = testlib.source_path('systemd', 'axpertd.conf')
POLICY = testlib.source_path('dbus', 'org.axpert.Inverter.conf')


class ExampleConfig(testlib.BusTestCase):
    policy_files = (POLICY,)

    def busctl(self, *args):
        return subprocess.run(['busctl', f'--address={self.bus.address}', '--timeout=10', *args],
                              capture_output=True, text=True, timeout=30)

    def start_daemon(self, config):
        daemon = self.spawn('axpertd', [AXPERTD, f'--config={config}'])

        def up():
            if not daemon.running():
                return 'exited'
            r = self.busctl('status', 'org.axpert.Inverter')
            return 'owned' if r.returncode == 0 else None
        state = testlib.wait_for(up, 15, what='axpertd to own its name or exit')
        return daemon, state

    def write(self, name, text):
        path = os.path.join(self.tmpdir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_as_shipped(self):
        daemon, state = self.start_daemon(EXAMPLE)
        self.assertEqual(state, 'owned', daemon.output())

    def test_every_key_enabled(self):
        with open(EXAMPLE) as f:
            text = f.read()
        enabled = re.sub(r'^#(\[Device [^\]]+\]|[A-Za-z]+=.*)$', r'\1', text, flags=re.M)
        self.assertNotEqual(enabled, text)
        groups = re.findall(r'^\[Device ([^\]]+)\]$', enabled, flags=re.M)
        self.assertGreaterEqual(len(groups), 2)
        daemon, state = self.start_daemon(self.write('enabled.conf', enabled))
        self.assertEqual(state, 'owned', daemon.output())
        tree = self.busctl('tree', '--list', 'org.axpert.Inverter').stdout.split()
        for g in groups:
            self.assertIn(f'/org/axpert/Inverter/{g}', tree)

    def test_runs_without_a_configuration_file(self):
        # Nothing is installed into /etc (the example lives in /usr/share/axpert/): without
        # --config and without the default file the daemon runs on its defaults (autodetect).
        default = '/etc/axpert/axpertd.conf'
        if os.path.exists(default):
            self.skipTest(f'{default} exists on this machine')
        daemon = self.spawn('axpertd', [AXPERTD])
        state = testlib.wait_for(
            lambda: 'exited' if not daemon.running() else
            ('owned' if self.busctl('status', 'org.axpert.Inverter').returncode == 0 else None),
            15, what='axpertd to own its name or exit')
        self.assertEqual(state, 'owned', daemon.output())

    def test_a_bad_key_is_refused(self):
        # What the two tests above would see if the example had a mistake in it.
        daemon, state = self.start_daemon(self.write('bad.conf', '[Daemon]\nPollIntervall=5\n'))
        self.assertEqual(state, 'exited')
        self.assertNotEqual(daemon.stop(), 0)
        self.assertIn('PollIntervall', daemon.output())


HISTORY = testlib.build_path('history', 'axpert-history')
HISTORY_EXAMPLE = testlib.source_path('history', 'history.conf')


class HistoryExampleConfig(testlib.BusTestCase):
    """history/history.conf (the example, installed to /usr/share/axpert): accepted by the real axpert-history as
    shipped and with every commented key switched on; every key the program knows is in it."""

    def run_history(self, config):
        p = self.spawn('axpert-history', [HISTORY, f'--config={config}',
                                          f'--database={self.tmpdir}/history.db'])
        testlib.wait_for(lambda: 'Serving org.axpert.History' in p.output() or not p.running(),
                         20, what='axpert-history to serve or exit')
        return p

    def test_as_shipped_and_every_key_enabled(self):
        if not os.path.exists(HISTORY):
            self.skipTest(f'{HISTORY} not built')
        p = self.run_history(HISTORY_EXAMPLE)
        self.assertTrue(p.running(), p.output())
        self.assertEqual(p.stop(), 0, p.output())
        with open(HISTORY_EXAMPLE) as f:
            text = f.read()
        enabled = re.sub(r'^#([A-Za-z]+=.*)$', r'\1', text, flags=re.M)
        keys = re.findall(r'^([A-Za-z]+)=', enabled, flags=re.M)
        self.assertEqual(sorted(keys), sorted(['PollInterval', 'CommitInterval', 'RawDays',
                                               'MinuteDays', 'HourDays']))
        path = os.path.join(self.tmpdir, 'enabled.conf')
        with open(path, 'w') as f:
            f.write(enabled)
        p = self.run_history(path)
        self.assertTrue(p.running(), p.output())


if __name__ == '__main__':
    if not os.path.exists(AXPERTD):
        print(f'SKIP: {AXPERTD} is not built (branch daemon)')
        sys.exit(77)
    testlib.main()
