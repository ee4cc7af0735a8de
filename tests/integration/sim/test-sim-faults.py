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

    def test_fault_names(self):
        self.start_sim('--baud=0')
        for name in ('none', 'silence', 'garbage', 'bad-crc', 'nak', 'echo', 'stale', 'wedge'):
            self.control_ok(f'fault {name}')


if __name__ == '__main__':
    simtest.main()
