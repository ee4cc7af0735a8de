#!/usr/bin/python3
"""Every fault mode of axpert-sim, seen through an independent client on the pty."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pi30client
from pi30client import FrameError, SerialClient, Timeout, parse_frame, request
import simtest
import testlib

NAK = b'(NAKss\r'


class FaultTest(simtest.SimTestCase):

    def client(self):
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        return c

    def good(self, c):
        """One healthy exchange: the link works."""
        c.drain()
        self.assertEqual(c.query('QPI'), b'PI30')

    def test_silence(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('fault silence')
        c.write(request('QPIGS'))
        self.assertEqual(c.read_raw(0.5), b'')
        # The request did arrive; it was just not answered.
        self.assertEqual(self.history(), ['QPIGS'])
        self.control_ok('fault none')
        self.good(c)

    def test_garbage(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('fault garbage')
        frame = c.transact_raw(request('QPIGS'))
        self.assertEqual(frame, b'\xff#-1\r')
        with self.assertRaises(FrameError):
            parse_frame(frame)
        self.control_ok('fault none')
        self.good(c)

    def test_bad_crc(self):
        self.start_sim('--baud=0')
        c = self.client()
        good = c.transact_raw(request('QPIGS'))
        self.control_ok('fault bad-crc')
        bad = c.transact_raw(request('QPIGS'))
        with self.assertRaisesRegex(FrameError, 'CRC mismatch'):
            parse_frame(bad)
        # Same payload and length, only the checksum is wrong.
        self.assertEqual(len(bad), len(good))
        self.assertEqual(bad[:-3], good[:-3])
        self.control_ok('fault none')
        self.assertEqual(c.transact_raw(request('QPIGS')), good)

    def test_nak(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('fault nak')
        self.assertEqual(c.transact_raw(request('QPIGS')), NAK)
        # A NAK fault must not let a setter through.
        self.assertEqual(c.transact_raw(request('POP02')), NAK)
        self.control_ok('fault none')
        self.assertEqual(c.query('QPIRI').split(b' ')[16], b'0')

    def test_nak_from_start(self):
        self.start_sim('--baud=0', '--fault=nak')
        c = self.client()
        self.assertEqual(c.transact_raw(request('QPI')), NAK)

    def test_echo(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('fault echo')
        req = request('QPGS0')
        self.assertEqual(c.transact_raw(req), req)
        self.control_ok('fault none')
        self.good(c)

    def test_stale(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('fault stale')
        first = c.transact_raw(request('QPIRI'))
        parse_frame(first)
        c.write(request('QMOD'))
        # The tail of the previous answer comes first, ending in its own CR …
        stale = c.read_until_cr()
        self.assertTrue(first.endswith(stale), (first, stale))
        self.assertLess(len(stale), len(first))
        with self.assertRaises(FrameError):
            parse_frame(stale)
        # … and a client that resynchronises on '(' still gets its answer.
        self.assertEqual(parse_frame(c.read_until_cr()), b'L')
        self.control_ok('fault none')
        self.good(c)

    def test_wedge_until_replug(self):
        self.start_sim('--baud=0')
        c = self.client()
        old_target = os.readlink(self.link)
        self.control_ok('fault wedge')
        c.write(request('QPI'))
        self.assertEqual(c.read_raw(0.5), b'')
        # Clearing the fault is not enough: only a replug unwedges the unit.
        self.control_ok('fault none')
        c.write(request('QPI'))
        self.assertEqual(c.read_raw(0.5), b'')
        self.control_ok('replug')
        self.assertTrue(os.path.islink(self.link))
        c2 = self.client()
        self.good(c2)
        self.assertEqual(self.history(), ['QPI', 'QPI', 'QPI'])
        sys.stderr.write(f'pty before replug {old_target}, after {os.readlink(self.link)}\n')

    def test_unplug_replug(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.good(c)
        self.control_ok('unplug')
        self.assertFalse(os.path.lexists(self.link), 'link still there after unplug')
        # The open descriptor is dead: the other side hung up.
        with self.assertRaises(OSError):
            c.write(request('QPI'))
            c.read_until_cr(0.5)
        self.control_ok('replug')
        self.assertTrue(os.path.islink(self.link))
        self.good(self.client())

    def test_unplug_by_signal(self):
        self.start_sim('--baud=0')
        self.sim.signal(signal.SIGUSR1)
        testlib.wait_for(lambda: not os.path.lexists(self.link), 5, what='link removed')
        self.sim.signal(signal.SIGUSR2)
        testlib.wait_for(lambda: os.path.islink(self.link), 5, what='link back')
        self.good(self.client())

    def test_start_unplugged(self):
        self.start_sim('--baud=0', '--fault=unplug')
        self.assertFalse(os.path.lexists(self.link))
        self.control_ok('fault replug')
        self.good(self.client())

    def test_stale_survives_unplug_replug(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('fault stale')
        parse_frame(c.transact_raw(request('QPIRI')))
        self.control_ok('unplug')
        self.control_ok('replug')
        self.assertEqual(self.status()['fault'], 'stale')
        c = self.client()
        # Nothing of the answer before the unplug comes back: the first answer is clean …
        qpi = c.transact_raw(request('QPI'))
        self.assertEqual(parse_frame(qpi), b'PI30')
        self.assertEqual(c.read_raw(0.3), b'')
        # … and the next one is preceded by it: a client that takes the first frame after
        # sending QID reads QPI's "(PI30" (issue 17).
        c.write(request('QID'))
        self.assertEqual(c.read_until_cr(), qpi)
        self.assertEqual(parse_frame(c.read_until_cr()), b'92932105105335')

    def test_stale_survives_replug_on_reports(self):
        c = self.start_seqpacket('--baud=0', '--fault=stale')
        self.assertEqual(c.query('QPI'), b'PI30')
        self.control_ok('unplug')
        self.control_ok('replug')
        self.assertEqual(c.query('QMOD'), b'L')
        c.write(request('QID'))
        # The stale tail and the answer leave the bridge together, in the same reports.
        data = b''
        while data.count(b'\r') < 2:
            data += c.read_report()
        stale, answer = data.split(b'\r')[:2]
        self.assertEqual(stale + b'\r', b'(L\x06\x07\r')
        self.assertEqual(parse_frame(answer + b'\r'), b'92932105105335')

    def test_half(self):
        c = self.start_seqpacket('--baud=0')
        self.control_ok('fault half')
        commands = ['QPI', 'QID', 'QMOD', 'QVFW', 'QGMN', 'QBOOT', 'QMN']
        for cmd in commands:
            c.write(request(cmd))
        # Exactly the 1st, 3rd, 5th and 7th are answered, each correctly.
        self.assertEqual([parse_frame(a) for a in c.read_answers(quiet=1.0)],
                         [b'PI30', b'L', b'044', b'MKS2-5000'])
        self.assertEqual(self.history(), commands)
        # "fault half" starts counting again: the next request is answered, the one after not.
        self.control_ok('fault half')
        self.assertEqual(c.query('QID'), b'92932105105335')
        c.write(request('QMOD'))
        with self.assertRaises(Timeout):
            c.read_answer(timeout=0.5)
        self.assertEqual(c.query('QMOD'), b'L')
        self.control_ok('fault none')
        self.assertEqual([c.query('QMOD') for _ in range(3)], [b'L'] * 3)

    def test_nak_next(self):
        c = self.start_seqpacket('--baud=0', '--model=max')
        self.control_ok('nak-next QPIGS 2')
        self.assertEqual(self.control_ok('next'), ['nak-next QPIGS 2'])
        c.write(request('QPIGS'))
        self.assertEqual(c.read_answer(), NAK)
        # Other commands, QPIGS2 included, are served normally meanwhile.
        self.assertEqual(len(c.query('QPIGS2').split()), 3)
        self.assertEqual(len(c.query('QPIRI').split(b' ')), 28)
        self.assertEqual(self.control_ok('next'), ['nak-next QPIGS 1'])
        c.write(request('QPIGS'))
        self.assertEqual(c.read_answer(), NAK)
        self.assertEqual(self.control_ok('next'), [])
        self.assertEqual(len(c.query('QPIGS').split(b' ')), 24)
        self.assertEqual(len(c.query('QPIGS').split(b' ')), 24)

    def test_nak_next_setter_changes_nothing(self):
        c = self.start_seqpacket('--baud=0')
        self.control_ok('nak-next POP02')
        c.write(request('POP02'))
        self.assertEqual(c.read_answer(), NAK)
        self.assertEqual(self.control_ok('get OutputSourcePriority'),
                         ['OutputSourcePriority=utility-first'])
        self.assertEqual(c.query('POP02'), b'ACK')
        self.assertEqual(c.query('QPIRI').split(b' ')[16], b'2')

    def test_nak_next_parameter_rules(self):
        c = self.start_seqpacket('--baud=0', '--units=2')
        # The bare name of a command with a parameter matches every parameter; a full command
        # only itself; '*' is a prefix.
        # A request uses up the first rule that matches, in the order they were given.
        self.control_ok('nak-next QPGS')
        self.control_ok('nak-next QPGS1')
        self.control_ok('nak-next QVFW*')
        for cmd in ('QPGS0', 'QPGS1', 'QVFW2'):
            c.write(request(cmd))
            self.assertEqual(c.read_answer(), NAK, cmd)
        self.assertEqual(c.query('QPGS0')[:1], b'1')
        self.assertEqual(c.query('QPGS1')[:1], b'1')
        self.assertEqual(c.query('QVFW'), b'VERFW:00072.70')
        self.control_ok('nak-next QMOD 5')
        self.control_ok('next clear')
        self.assertEqual(self.control_ok('next'), [])
        self.assertEqual(c.query('QMOD'), b'L')

    def test_silence_next(self):
        c = self.start_seqpacket('--baud=0')
        self.control_ok('silence-next QMOD')
        self.control_ok('nak-next QID')
        c.write(request('QMOD'))
        with self.assertRaises(Timeout):
            c.read_answer(timeout=0.5)
        self.assertEqual(c.query('QPI'), b'PI30')
        c.write(request('QID'))
        self.assertEqual(c.read_answer(), NAK)
        self.assertEqual(c.query('QMOD'), b'L')
        self.assertEqual(c.query('QID'), b'92932105105335')
        self.assertEqual(self.history(), ['QMOD', 'QPI', 'QID', 'QMOD', 'QID'])

    def test_rules_with_a_fault(self):
        c = self.start_seqpacket('--baud=0', '--fault=late', '--late-time=200')
        self.control_ok('nak-next QPI')
        # The rule decides the answer, the fault still delays it.
        c.write(request('QPI'))
        c.write(request('QID'))
        self.assertEqual(c.read_answer(timeout=10), NAK)
        self.assertEqual(parse_frame(c.read_answer(timeout=10)), b'92932105105335')
        # A request a fault leaves unanswered does not use a rule up.
        self.control_ok('fault silence')
        self.control_ok('nak-next QMOD')
        c.write(request('QMOD'))
        with self.assertRaises(Timeout):
            c.read_answer(timeout=0.5)
        self.control_ok('fault none')
        c.write(request('QMOD'))
        self.assertEqual(c.read_answer(), NAK)

    def test_fault_names(self):
        self.start_sim('--baud=0')
        names = ('none', 'silence', 'garbage', 'bad-crc', 'nak', 'echo', 'stale', 'wedge',
                 'late', 'trickle', 'half')
        for name in names:
            self.control_ok(f'fault {name}')
            self.assertEqual(self.status()['fault'], name)
        # The help and the error of a bad name list them all.
        help_line = self.control_ok('help')[0]
        error = self.control('fault explode')[-1]
        rc, out, err = simtest.run_sim('--help')
        for name in names:
            for text in (help_line, error, out):
                self.assertRegex(text, rf'[ (]{name}[ )]')


if __name__ == '__main__':
    simtest.main()
