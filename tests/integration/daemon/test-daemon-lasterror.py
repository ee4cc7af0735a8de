#!/usr/bin/python3
"""LastError names the most specific cause of an outage: garbage on the line (a wrong baud rate,
a bad cable) reads "answers failed CRC/framing (N in a row)" for as long as the outage lasts,
never a timeout or "no answer"; after a recovery a silent line reads as silent again."""
import re
import time

import daemonlib
import testlib

CRC = re.compile(r'answers failed CRC/framing \((\d+) in a row\)')


class LastErrorMixin:
    def errors_for(self, seconds):
        """Every LastError seen while offline over a span that covers several reconnects."""
        seen = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            props = self.dbus.get_all()
            if not props['Online']:
                seen.append(props['LastError'])
            time.sleep(0.2)
        return seen

    def check_garbage_outage(self, fault, transport, then_silence):
        self.start(daemon_args=('--poll-interval=0.5',), transport=transport)
        self.control.command(fault)
        self.wait_online(False, timeout=30)
        testlib.wait_for(lambda: CRC.search(self.dbus.get('LastError')), 15,
                         what='LastError naming CRC/framing')
        # Through the reconnect attempts (backoff 1, 2, 4 s): the cause stays the garbage. Only
        # the short "connecting" between a reopen and its first answer may show.
        seen = self.errors_for(4)
        counts = []
        for e in seen:
            if e == 'connecting':
                continue
            m = CRC.search(e)
            self.assertTrue(m, f'LastError {e!r} during a garbage outage (all: {set(seen)})')
            self.assertNotIn('too slow', e)
            self.assertNotIn('no answer', e)
            counts.append(int(m.group(1)))
        self.assertTrue(counts, seen)
        # "in a row" counts every garbled answer since the last valid one.
        self.assertGreater(max(counts), min(counts), counts)
        self.assertGreaterEqual(min(counts), 2)

        # Healed, then silent: the count started again, a silent line is no CRC error.
        self.control.command('fault none')
        self.wait_online(True, timeout=60)
        self.assertEqual(self.dbus.get('LastError'), '')
        if not then_silence:
            return
        self.control.command('fault silence')
        self.wait_online(False, timeout=30)
        e = self.dbus.get('LastError')
        self.assertNotIn('CRC', e)
        self.assertTrue(e, 'LastError says why')
        self.control.command('fault none')
        self.wait_online(True, timeout=60)

    def test_garbage_serial(self):
        self.check_garbage_outage('fault garbage', 'pty', then_silence=True)

    def test_bad_crc_hidraw(self):
        self.check_garbage_outage('fault bad-crc', 'seqpacket', then_silence=False)


class LastErrorTest(LastErrorMixin, daemonlib.DaemonTestCase):
    pass


if __name__ == '__main__':
    testlib.main(jobs=2, first=('test_garbage_serial',))
