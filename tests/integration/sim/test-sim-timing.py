#!/usr/bin/python3
"""The timing faults of axpert-sim (late, trickle), seen through an independent client. Only lower bounds on times are asserted: load can make an
answer later, never earlier."""
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import SerialClient, Timeout, parse_frame, request
import simtest
import testlib

SERIAL = b'92932105105335'


def read_timed(fd, duration):
    """Every read() on fd within `duration` seconds, as (arrival time, bytes)."""
    reads = []
    end = time.monotonic() + duration
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return reads
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                continue
            reads.append((time.monotonic(), data))


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


class LateTest(simtest.SimTestCase):

    def test_late_answer_misses_the_deadline(self):
        c = self.start_seqpacket('--baud=0', '--fault=late')
        self.assertEqual(self.status()['late-time'], '1500')
        sent = time.monotonic()
        c.write(request('QPI'))
        frame, first, _ = c.read_answer_timed(timeout=10)
        # Still the right answer, but long after a 1.0 s first-byte timeout.
        self.assertEqual(parse_frame(frame), b'PI30')
        self.assertGreaterEqual(first - sent, 1.4)

    def test_late_answers_stay_in_order(self):
        c = self.start_seqpacket('--baud=0', '--fault=late')
        sent = time.monotonic()
        c.write(request('QPI'))
        c.write(request('QID'))
        c.write(request('QMOD'))
        got = [c.read_answer_timed(timeout=10) for _ in range(3)]
        self.assertEqual([parse_frame(f) for f, _, _ in got], [b'PI30', SERIAL, b'L'])
        for _, first, _ in got:
            self.assertGreaterEqual(first - sent, 1.4)
        self.assertEqual(self.status()['queued'], '0')

    def test_requester_that_gave_up_takes_the_wrong_answer(self):
        # What a requester with a 1.0 s timeout sees: QPI's answer arrives while it waits for
        # QID's. Three seconds late leaves plenty of margin on a loaded machine.
        c = self.start_seqpacket('--baud=0', '--fault=late', '--late-time=3000')
        self.assertEqual(self.status()['late-time'], '3000')
        sent = time.monotonic()
        c.write(request('QPI'))
        with self.assertRaises(Timeout):
            c.read_answer(timeout=1.0)
        c.write(request('QID'))
        frame, first, _ = c.read_answer_timed(timeout=10)
        self.assertEqual(parse_frame(frame), b'PI30')
        self.assertGreaterEqual(first - sent, 2.9)
        self.assertEqual(parse_frame(c.read_answer(timeout=10)), SERIAL)

    def test_late_time_by_control(self):
        c = self.start_seqpacket('--baud=0')
        self.control_ok('late-time 200')
        self.assertEqual(self.control_ok('late-time'), ['late-time=200'])
        self.control_ok('fault late')
        sent = time.monotonic()
        c.write(request('QMOD'))
        frame, first, _ = c.read_answer_timed(timeout=10)
        self.assertEqual(parse_frame(frame), b'L')
        self.assertGreaterEqual(first - sent, 0.2)

    def test_fault_none_keeps_queued_late_answers(self):
        c = self.start_seqpacket('--baud=0', '--fault=late')
        sent = time.monotonic()
        c.write(request('QPI'))
        c.write(request('QID'))
        testlib.wait_for(lambda: self.status()['queued'] == '2', 5, what='two answers queued')
        # The slow firmware has already been asked: its answers still come, late, and a new
        # request is answered after them, in order.
        self.control_ok('fault none')
        c.write(request('QMOD'))
        got = [c.read_answer_timed(timeout=10) for _ in range(3)]
        self.assertEqual([parse_frame(f) for f, _, _ in got], [b'PI30', SERIAL, b'L'])
        self.assertGreaterEqual(got[0][1] - sent, 1.4)
        self.assertGreaterEqual(got[2][1], got[1][1])
        # Afterwards the line is normal again.
        self.assertEqual(c.query('QPI', timeout=10), b'PI30')

    def test_flush_drops_queued_answers(self):
        c = self.start_seqpacket('--baud=0', '--fault=late', '--late-time=3000')
        c.write(request('QPI'))
        c.write(request('QID'))
        testlib.wait_for(lambda: self.status()['queued'] == '2', 5, what='two answers queued')
        self.control_ok('flush')
        self.assertEqual(self.status()['queued'], '0')
        self.assertEqual(c.read_answers(quiet=3.5), [])
        self.control_ok('fault none')
        self.assertEqual(c.query('QMOD'), b'L')


class TrickleTest(simtest.SimTestCase):

    def test_trickle_on_a_serial_line(self):
        self.start_sim('--fault=trickle')  # 2400 baud, 900 ms per byte
        self.assertEqual(self.status()['trickle-time'], '900')
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        sent = time.monotonic()
        c.write(request('QPIGS'))
        reads = read_timed(c.fd, 4.5)
        data = b''.join(d for _, d in reads)
        # Bytes keep coming, but far apart, and no frame is complete after 4 s.
        self.assertNotIn(b'\r', data)
        self.assertGreaterEqual(len(reads), 3, reads)
        self.assertTrue(data.startswith(b'(2'), data)
        gaps = [b[0] - a[0] for a, b in zip(reads, reads[1:])]
        self.assertGreater(median(gaps), 0.5, gaps)
        self.assertGreater((reads[-1][0] - reads[0][0]) / (len(data) - 1), 0.5, reads)
        self.assertGreaterEqual(reads[0][0] - sent, 0.5)

        # A slower pace takes effect at once for the rest of the answer.
        self.control_ok('trickle-time 2000')
        changed = time.monotonic()
        more = read_timed(c.fd, 2.5)
        self.assertTrue(more, 'no byte after trickle-time 2000')
        self.assertGreaterEqual(more[0][0] - changed, 1.5)
        data += b''.join(d for _, d in more)

        # Clearing the fault speeds the rest of the answer up: it completes, and it is
        # QPIGS's own answer.
        self.control_ok('fault none')
        rest = c.read_until_cr(timeout=10)
        self.assertEqual(len(parse_frame(data + rest).split(b' ')), 21)
        self.assertEqual(c.query('QMOD', timeout=10), b'L')

    def test_trickle_over_reports(self):
        c = self.start_seqpacket('--baud=0', '--fault=trickle')
        sent = time.monotonic()
        c.write(request('QPIGS'))
        reports = []
        end = sent + 4.5
        while time.monotonic() < end:
            try:
                reports.append((time.monotonic(), c.read_report(end - time.monotonic())))
            except Timeout:
                break
        # A HID bridge hands over whole reports: one per interval, never a NUL inside.
        data = b''.join(r for _, r in reports)
        self.assertNotIn(b'\r', data)
        self.assertNotIn(b'\0', data)
        self.assertGreaterEqual(len(reports), 3, reports)
        self.assertTrue(all(len(r) == 8 for _, r in reports))
        gaps = [b[0] - a[0] for a, b in zip(reports, reports[1:])]
        self.assertGreater(median(gaps), 0.5, gaps)
        self.control_ok('trickle-time 20')
        rest = c.read_answer(timeout=10)
        self.assertEqual(len(parse_frame(data + rest).split(b' ')), 21)

    def test_trickle_time_option(self):
        c = self.start_seqpacket('--baud=0', '--fault=trickle', '--trickle-time=2000')
        self.assertEqual(self.status()['trickle-time'], '2000')
        sent = time.monotonic()
        c.write(request('QPI'))
        frame, first, _ = c.read_answer_timed(timeout=10)
        # QPI's answer is exactly one report, which takes one interval.
        self.assertEqual(parse_frame(frame), b'PI30')
        self.assertGreaterEqual(first - sent, 1.9)


if __name__ == '__main__':
    simtest.main()
