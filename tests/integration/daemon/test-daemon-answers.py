#!/usr/bin/python3
"""An answer belongs to its request: late, stale and shifted answers never become another
command's values, and RawCommand never returns another command's answer (issue 17 item 1)."""
import math
import signal
import time

from gi.repository import Gio, GLib

import daemonlib
import relay
import testlib

PATH = daemonlib.ROOT + '/0'
IDENTITY = ('ProtocolId', 'SerialNumber', 'FirmwareVersion', 'ModelName', 'ChargingCurrentOptions',
            'AcChargingCurrentOptions')
STATUS = ('BatteryVoltage', 'GridVoltage', 'AcOutputActivePower', 'Mode')


class AnswersMixin:
    def truth(self):
        """The simulator's identity and status as text (it cannot be asked while stopped)."""
        return {name: self.control.get(name) for name in IDENTITY + STATUS}

    def errors(self, props, names, truth=None):
        """Properties that differ from the simulator ("" / [] = not reported is fine)."""
        truth = truth or self.truth()
        errors = []
        for name in names:
            value = props[name]
            if value in ('', []):
                continue
            expected = daemonlib.sim_text_to_python(truth[name], value)
            if expected is None:
                continue
            if not daemonlib.same(value, expected):
                errors.append(f'{name}={value!r} (simulator: {truth[name]!r})')
        return errors

    def identity_errors(self, props, truth=None):
        return self.errors(props, IDENTITY, truth)

    def assert_shown_values_true(self, props, what, truth=None):
        """Whenever Online is true, identity and status are the simulator's."""
        if not props['Online']:
            return
        self.assertEqual(self.errors(props, IDENTITY + STATUS, truth), [],
                         f'{what}: Online=true with wrong values')

    def raw(self, command, timeout_ms=30000):
        """RawCommand's answer, or the D-Bus error name."""
        try:
            return self.dbus.call(PATH, daemonlib.IFACE, 'RawCommand',
                                  GLib.Variant('(s)', (command,)), '(s)', timeout_ms)[0]
        except GLib.Error as e:
            return 'error:' + (Gio.DBusError.get_remote_error(e) or e.message)

    def test_stale_fault_then_replug(self):
        """The stale tail of QPI's answer is a complete "(PI30" frame in front of QID's answer."""
        self.start(daemon_args=('--poll-interval=0.5',))
        self.assertEqual(self.identity_errors(self.dbus.get_all()), [])
        self.control.fault('stale')
        self.control.command('unplug')
        self.wait_online(False, timeout=60)
        self.control.command('replug')
        self.wait_online(True, timeout=60)
        # A few cycles under the fault, every sample checked.
        t = self.dbus.get('LastUpdateTimestamp')
        end = time.monotonic() + 30
        while self.dbus.get('LastUpdateTimestamp') < t + 3_000_000:
            self.assertLess(time.monotonic(), end, 'no complete cycles under the stale fault')
            self.assert_shown_values_true(self.dbus.get_all(), 'stale fault after replug')
            time.sleep(0.1)
        props = self.dbus.get_all()
        self.assertIs(props['Online'], True)
        self.assertEqual(self.identity_errors(props), [])
        self.assertEqual(props['SerialNumber'], self.control.get('SerialNumber'))
        self.control.fault('none')

    def test_raw_command_skips_a_stale_answer(self):
        """RawCommand('QMOD') right after RawCommand('QPI') under the stale fault: the complete
        "(PI30" frame queued in front of QMOD's answer is not QMOD's answer."""
        self.start(daemon_args=('--poll-interval=60',))
        self.control.fault('stale')
        self.assertEqual(self.raw('QPI'), 'PI30')
        mode = self.raw('QMOD')
        self.assertEqual(mode, 'L', 'RawCommand(QMOD) returned another answer')
        # QMOD's 5-byte answer is complete in front of QID's: the serial number, not "L".
        self.assertEqual(self.raw('QID'), self.control.get('SerialNumber'))
        self.control.fault('none')

    def test_think_time_longer_than_the_timeout(self):
        """Every answer comes 1.1 s after its request (PollInterval=1, 2400 baud): each one is
        late for its own request, and must never be taken for the next command's."""
        self.start_sim('--think-time=1100')
        self.start_daemon('--poll-interval=1')
        end = time.monotonic() + 25
        raw_done = False
        errors = set()
        while time.monotonic() < end:
            self.assertTrue(self.daemon.running(), 'axpertd exited')
            props = self.dbus.get_all()
            self.assert_shown_values_true(props, 'think time 1.1 s')
            if not props['Online']:
                self.assertNotEqual(props['LastError'], '')
                errors.add(props['LastError'])
                self.assertTrue(math.isnan(props['BatteryVoltage']))
            if not raw_done and time.monotonic() > end - 15:
                answer = self.raw('QMOD')
                # Offline or timed out; if it ever answers, it is QMOD's answer.
                self.assertTrue(answer.startswith('error:') or answer == 'L', answer)
                raw_done = True
            time.sleep(0.2)
        # It says why (rather than showing the next command's answers as fresh).
        self.assertTrue([e for e in errors if 'no answer' in e], errors)


class PtyTest(AnswersMixin, daemonlib.DaemonTestCase):
    transport = 'pty'

    def test_late_answer_is_not_the_next_commands(self):
        """QVFW2's answers come 1.2 s late (after its timeout) and delay everything behind them,
        as on a real wire: QMN, QGMN, QMCHGCR … must not take each other's answers."""
        self.start_sim()
        self.relay = relay.Relay(self.tmpdir, self.link).start()
        self.addCleanup(self.relay.stop)
        self.relay.policy = lambda command, n: ('delay', 1.2) if command == 'QVFW2' else relay.PASS
        self.device_spec = self.relay.link
        self.start_daemon('--poll-interval=1')
        end = time.monotonic() + 20
        while time.monotonic() < end:
            props = self.dbus.get_all()
            self.assert_shown_values_true(props, 'late QVFW2 answers')
            time.sleep(0.1)
        self.relay.policy = lambda command, n: relay.PASS
        self.wait_online(True, timeout=60)
        self.assertEqual(self.identity_errors(self.dbus.get_all()), [])

    def test_raw_command_after_a_late_answer(self):
        """RawCommand('QID') whose answer comes 3 s late, then RawCommand('QMOD'): QMOD's
        answer is QMOD's, not the serial number that arrives while it waits."""
        self.start_relayed(daemon_args=('--poll-interval=60',))
        self.relay.policy = lambda command, n: ('delay', 3.0) if command == 'QID' else relay.PASS
        first = self.raw('QID')
        self.assertTrue(first.startswith('error:') or first == self.control.get('SerialNumber'),
                        first)
        mode = self.raw('QMOD')
        self.assertTrue(mode.startswith('error:') or mode == 'L',
                        f'RawCommand(QMOD) returned {mode!r}')
        self.relay.policy = lambda command, n: relay.PASS
        testlib.wait_for(lambda: self.raw('QMOD') == 'L', 30, 0.5, what='QMOD answered again')

    def test_serial_number_changes_within_a_connection(self):
        """Another inverter answers on the same port: the settings cycle's serial number check
        notices, the identity is read again and the new one shown."""
        self.start(daemon_args=('--poll-interval=0.5',))
        old = self.dbus.get('SerialNumber')
        new = '92932105109999'
        self.control.set('SerialNumber', new)
        try:
            # Refresh() is a settings cycle: it fails (identity not confirmed) or passes.
            self.dbus.call(PATH, daemonlib.IFACE, 'Refresh')
        except GLib.Error:
            pass
        testlib.wait_for(lambda: self.dbus.get('SerialNumber') == new, 30, 0.1,
                         what='the new serial number')
        props = self.dbus.get_all()
        self.assertIs(props['Online'], True)
        self.assertNotEqual(old, new)
        self.assertEqual(self.identity_errors(props), [])
        self.assertIn('serial number', self.daemon.output())

    def test_sigstop_sigcont(self):
        """The simulator stops for 12 s while requests pile up, then answers all of them."""
        self.start(daemon_args=('--poll-interval=1',))
        truth = self.truth()
        self.sim.signal(signal.SIGSTOP)
        try:
            end = time.monotonic() + 12
            while time.monotonic() < end:
                self.assert_shown_values_true(self.dbus.get_all(), 'simulator stopped', truth)
                time.sleep(0.2)
        finally:
            self.sim.signal(signal.SIGCONT)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            self.assert_shown_values_true(self.dbus.get_all(), 'after SIGCONT')
            time.sleep(0.1)
        self.wait_online(True, timeout=60)
        self.assertEqual(self.identity_errors(self.dbus.get_all()), [])


class SeqpacketTest(AnswersMixin, daemonlib.DaemonTestCase):
    transport = 'seqpacket'


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_sigstop_sigcont', 'test_think_time_longer_than_the_timeout',
                                'test_late_answer_is_not_the_next_commands',
                                'test_stale_fault_then_replug'))
