#!/usr/bin/python3
"""axpert-sim on an inherited SOCK_SEQPACKET socket: hidraw semantics, 8-byte reports both ways."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import ReportClient, Timeout, parse_frame, request
import simtest
import testlib

NAK = b'(NAKss\r'


class SeqpacketTest(simtest.SimTestCase):

    def start(self, *args):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.addCleanup(ours.close)
        theirs.set_inheritable(True)
        fd = theirs.fileno()
        self.start_sim(f'--seqpacket={fd}', *args, pty=False, pass_fds=(fd,))
        theirs.close()
        return ReportClient(ours)

    def test_reports(self):
        c = self.start('--baud=0')
        payload = c.query('QPIGS')
        self.assertEqual(len(payload.split(b' ')), 21)
        # Every answer report is exactly 8 bytes; the one with the CR is filled with NULs.
        self.assertTrue(all(len(r) == 8 for r in c.reports), c.reports)
        frame = b''.join(c.reports)
        end = frame.index(b'\r') + 1
        self.assertEqual(len(c.reports), (end + 7) // 8)
        self.assertEqual(frame[end:], b'\0' * (len(frame) - end))

    def test_long_commands_in_several_reports(self):
        c = self.start('--baud=0', '--model=max', '--units=2')
        # QPIGS2 + CRC + CR is 9 bytes, QED20260101 14: two reports each.
        self.assertEqual(len(c.query('QPIGS2').split()), 3)
        self.assertRegex(c.query('QED20260101').decode(), r'^\d{8}$')
        self.assertEqual(c.query('QPGS1')[:1], b'1')
        # Unpadded remainder (AxpertControl style) works as well.
        self.assertEqual(len(c.query('QPIGS2', pad=False).split()), 3)
        self.assertEqual(c.query('MNCHGC0120', pad=False), b'ACK')
        self.assertEqual(self.control_ok('unit 0 get MaxChargingCurrent'),
                         ['MaxChargingCurrent=120'])
        hist = self.history()
        self.assertEqual(hist, ['QPIGS2', 'QED20260101', 'QPGS1', 'QPIGS2', 'MNCHGC0120'])

    def test_setting_and_nak(self):
        c = self.start('--baud=0')
        c.write(b'POP02\xe2\x0a\r')
        self.assertEqual(c.read_answer(), NAK)
        self.assertEqual(c.query('POP02'), b'ACK')
        self.assertEqual(c.query('QPIRI').split(b' ')[16], b'2')

    def test_paced_reports(self):
        c = self.start()  # 2400 baud
        start = time.monotonic()
        c.write(request('QPIGS'))
        first = c.read_report()
        t_first = time.monotonic() - start
        frame = first + c.read_answer()
        elapsed = time.monotonic() - start
        frame = frame[:frame.index(b'\r') + 1]
        parse_frame(frame)
        wire = (8 + len(frame)) * 10 / 2400
        sys.stderr.write(f'QPIGS over reports: first report after {t_first * 1000:.0f} ms, '
                         f'answer after {elapsed * 1000:.0f} ms (wire time {wire * 1000:.0f} ms)\n')
        self.assertGreaterEqual(elapsed, 0.9 * wire)
        # Reports trickle in as a UART would fill them, not all at once.
        self.assertLess(t_first, elapsed / 2)

    def test_unplug_and_peer_close(self):
        c = self.start('--baud=0')
        self.control_ok('unplug')
        c.write(request('QPI'))
        with self.assertRaises(Timeout):
            c.read_answer(timeout=0.5)
        self.control_ok('replug')
        self.assertEqual(c.query('QPI'), b'PI30')
        # The peer going away ends the simulator cleanly.
        c.sock.close()
        testlib.wait_for(lambda: not self.sim.running(), 5, what='axpert-sim exit')
        self.assertEqual(self.sim.proc.returncode, 0, self.sim.output())


if __name__ == '__main__':
    simtest.main()
