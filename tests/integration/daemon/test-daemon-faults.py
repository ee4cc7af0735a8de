#!/usr/bin/python3
"""Faults never crash axpertd, never show corrupt or stale values as fresh, and heal by themselves."""
import math
import time

import daemonlib
import testlib

PATH = daemonlib.ROOT + '/0'
# daemon/journal.h
CONNECTED = '4e815edfb9f24d4c91442fa2bc0e49e9'
LOST = 'ff4adbd6ba654b178f4c1694a7424deb'
REESTABLISHED = 'de5898e9ed2649d7815077fb7186e28a'
LIVE = ('BatteryVoltage', 'GridVoltage', 'AcOutputActivePower', 'PvInputVoltage')


class FaultsMixin:
    def check_signals_sane(self):
        """Every value a signal carried is the simulator's value or 'not reported'."""
        for changed in (s[1] for s in self.dbus.properties_changed()):
            for name, value in changed.items():
                if isinstance(value, float) and math.isnan(value):
                    continue
                # What a property says while the device is offline: "not reported".
                if value in ('', 'unknown', [], 0) or value is False:
                    continue
                try:
                    text = self.control.get(name)
                except RuntimeError:
                    continue
                expected = daemonlib.sim_text_to_python(text, value)
                if expected is None or (isinstance(expected, float) and math.isnan(expected)):
                    continue
                self.assertTrue(daemonlib.same(value, expected) or
                                (isinstance(value, float) and abs(value - expected) < 1e-6),
                                f'signal carried {name}={value!r}, simulator has {text!r}')

    def go_offline_and_back(self, fault, heal='fault none'):
        self.start(daemon_args=('--poll-interval=0.5',))
        self.dbus.subscribe(member='PropertiesChanged', path=PATH)
        before = self.dbus.get_all()
        self.control.command(fault)

        self.wait_online(False, timeout=60)
        props = self.dbus.get_all()
        self.assertTrue(props['LastError'], 'LastError says why')
        # Live values are not shown as current any more…
        for name in LIVE:
            self.assertTrue(math.isnan(props[name]), f'{name} still {props[name]} while offline')
        # … and the time of the last complete reading stops advancing.
        t = props['LastUpdateTimestamp']
        self.assertGreaterEqual(t, before['LastUpdateTimestamp'])
        self.dbus.pump(2.5)
        self.assertEqual(self.dbus.get('LastUpdateTimestamp'), t)
        self.assertTrue(self.daemon.running())

        self.control.command(heal)
        self.wait_online(True, timeout=60)
        props = self.dbus.get_all()
        self.assertEqual(props['LastError'], '')
        self.assertGreater(props['LastUpdateTimestamp'], t)
        self.assert_matches_sim(props)
        self.dbus.pump(0.2)
        self.check_signals_sane()
        self.assertTrue(self.daemon.running())

        # The journal got each transition once, not once per failed poll or reconnect attempt.
        log = self.daemon.output()
        self.assertEqual(log.count('MESSAGE_ID=' + CONNECTED), 1, log)
        self.assertEqual(log.count('MESSAGE_ID=' + LOST), 1, log)
        self.assertEqual(log.count('MESSAGE_ID=' + REESTABLISHED), 1, log)

    def test_human_log_without_journal_fields(self):
        """Without a journal, a person's log has the text of each event, not its MESSAGE_ID or
        other journal fields (AXPERT_LOG_FIELDS=1 adds them for programs that read them)."""
        self.start_sim()
        self.start_daemon('--poll-interval=0.5', log_fields=False)
        self.wait_online()
        testlib.wait_for(lambda: ' connected on ' in self.daemon.output(), 20,
                         what='the connection event in the log')
        log = self.daemon.output()
        self.assertNotIn('MESSAGE_ID=', log)
        self.assertNotIn('AXPERT_DEVICE=', log)

    def test_silence(self):
        self.go_offline_and_back('fault silence')

    def test_garbage(self):
        self.go_offline_and_back('fault garbage')

    def test_bad_crc(self):
        self.go_offline_and_back('fault bad-crc')

    def test_nak(self):
        self.go_offline_and_back('fault nak')

    def test_echo(self):
        self.go_offline_and_back('fault echo')

    def test_wedge(self):
        self.go_offline_and_back('fault wedge', heal='replug')

    def test_unplug_replug(self):
        self.go_offline_and_back('unplug', heal='replug')

    def test_stale_bytes_are_skipped(self):
        self.start(daemon_args=('--poll-interval=0.3',))
        self.dbus.subscribe(member='PropertiesChanged', path=PATH)
        self.control.fault('stale')
        t = self.dbus.get('LastUpdateTimestamp')
        # Several complete cycles go by with the tail of every previous answer in front.
        self.dbus.pump_until(
            lambda: self.dbus.get('LastUpdateTimestamp') > t + 3_000_000, 30,
            what='cycles under the stale fault')
        props = self.dbus.get_all()
        self.assertIs(props['Online'], True)
        self.assert_matches_sim(props)
        # Nothing changed on the simulator, so nothing may have been signalled.
        self.assertEqual(self.dbus.properties_changed(), [])
        self.control.fault('none')

    def test_fault_at_start(self):
        """A device that never answered: the name still appears and says why."""
        self.start_sim('--fault=silence')
        self.start_daemon('--poll-interval=0.5')
        props = self.dbus.get_all()
        self.assertIs(props['Online'], False)
        self.assertTrue(props['LastError'])
        self.assertTrue(math.isnan(props['BatteryVoltage']))
        self.assertEqual(props['LastUpdateTimestamp'], 0)
        self.control.fault('none')
        self.wait_online(True, timeout=60)
        self.assert_matches_sim(self.dbus.get_all())


class PtyTest(FaultsMixin, daemonlib.DaemonTestCase):
    transport = 'pty'


class SeqpacketTest(FaultsMixin, daemonlib.DaemonTestCase):
    transport = 'seqpacket'


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_garbage', 'test_silence', 'test_wedge', 'test_unplug_replug',
                                'test_bad_crc'))
