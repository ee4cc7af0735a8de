#!/usr/bin/python3
"""axpert-sim over the pty, checked by an independent PI30 client: every command answers with a
valid frame and CRC, settings round-trip, NAKs where a real unit NAKs, parallel units, timing."""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pi30client
from pi30client import SerialClient, parse_frame, request
import simtest

INQUIRIES = ['QPI', 'QID', 'QSID', 'QVFW', 'QVFW2', 'QVFW3', 'QMN', 'QGMN', 'QPIRI', 'QFLAG',
             'QPIGS', 'QMOD', 'QPIWS', 'QDI', 'QMCHGCR', 'QMUCHGCR', 'QOPM', 'QBOOT', 'QBEQI']
# The clock and the energy counters: MAX firmware only (MAX-2021); HS/MS/KS firmware NAKs them.
MAX_ONLY = ['QT', 'QET', 'QEY2026', 'QEM202601', 'QED20260101', 'QLT', 'QLY2026', 'QLM202601',
            'QLD20260101']
NAK = b'(NAKss\r'
ACK = b'(ACK9 \r'


class PtyTest(simtest.SimTestCase):

    def client(self):
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        return c

    def fields(self, c, command):
        return c.query(command).decode().split(' ')

    def check_every_command(self, model, battery):
        self.start_sim('--baud=0', f'--model={model}', f'--battery={battery}')
        c = self.client()
        answers = {}
        for cmd in INQUIRIES:
            frame = c.transact_raw(request(cmd))
            payload = parse_frame(frame)  # raises on a bad frame or CRC
            self.assertNotEqual(frame, NAK, f'{cmd} NAKed on {model}')
            answers[cmd] = payload.decode()

        self.assertEqual(answers['QPI'], 'PI30')
        self.assertRegex(answers['QID'], r'^\d{14}$')
        self.assertTrue(answers['QVFW'].startswith('VERFW:'))
        qpigs = answers['QPIGS'].split(' ')
        qpiri = answers['QPIRI'].split(' ')
        self.assertEqual(qpiri[7], f'{battery}.0')
        # Real firmware widths: zero-padded, fixed per field.
        self.assertRegex(qpigs[0], r'^\d{3}\.\d$')
        self.assertRegex(qpigs[8], r'^\d{2}\.\d{2}$')
        self.assertRegex(qpigs[16], r'^[01]{8}$')
        if model == 'classic':
            self.assertEqual(len(qpigs), 21)
            self.assertRegex(qpigs[4], r'^\d{4}$')
            self.assertRegex(qpigs[5], r'^\d{4}$')
            self.assertEqual(len(qpiri), 25)
            self.assertEqual(c.transact_raw(request('QPIGS2')), NAK)
        else:
            self.assertEqual(len(qpigs), 24)
            self.assertRegex(qpigs[4], r'^\d{5}$')
            self.assertRegex(qpigs[5], r'^\d{5}$')
            self.assertEqual(len(qpiri), 28)
            qpigs2 = c.query('QPIGS2').decode()
            self.assertEqual(len(qpigs2.split()), 3)
        for cmd in MAX_ONLY:
            frame = c.transact_raw(request(cmd))
            if model == 'classic':
                self.assertEqual(frame, NAK, f'{cmd} answered on classic')
            else:
                payload = parse_frame(frame).decode()
                self.assertRegex(payload, r'^\d{14}$' if cmd == 'QT' else r'^\d{8}$', cmd)
        self.assertIn(len(answers['QPIWS']), (32, 36))
        self.assertRegex(answers['QFLAG'], r'^E[a-z]*D[a-z]*$')
        self.assertEqual(answers['QMOD'], 'L')
        # Every request shows in the history, without its CRC.
        hist = self.history()
        self.assertEqual(hist[:len(INQUIRIES)], INQUIRIES)

    def test_every_command_classic_48(self):
        self.check_every_command('classic', 48)

    def test_every_command_classic_24(self):
        self.check_every_command('classic', 24)

    def test_every_command_max_48(self):
        self.check_every_command('max', 48)

    def test_every_command_max_12(self):
        self.check_every_command('max', 12)

    def test_pop02_escape_rule(self):
        self.start_sim('--baud=0')
        c = self.client()
        # Our own CRC says POP02 is 0xE20A on the wire as E2 0B (PI30.md §2.3).
        self.assertEqual(pi30client.crc16_xmodem(b'POP02'), 0xE20A)
        self.assertEqual(request('POP02'), b'POP02\xe2\x0b\r')
        self.assertEqual(self.fields(c, 'QPIRI')[16], '0')

        self.assertEqual(c.transact_raw(b'POP02\xe2\x0a\r'), NAK)
        self.assertEqual(self.fields(c, 'QPIRI')[16], '0', 'a NAKed setter changed the model')

        self.assertEqual(c.transact_raw(request('POP02')), ACK)
        self.assertEqual(self.fields(c, 'QPIRI')[16], '2')
        self.assertEqual(self.control_ok('get OutputSourcePriority'), ['OutputSourcePriority=sbu'])
        hist = self.history()
        self.assertEqual(hist, ['QPIRI', 'BADCRC:POP02', 'QPIRI', 'POP02', 'QPIRI'])

    def test_settings_round_trip(self):
        self.start_sim('--baud=0')
        c = self.client()
        # (command, answer, field index (0-based) or None for QFLAG, expected token)
        cases = [
            ('POP01', 'QPIRI', 16, '1'),
            ('PCP03', 'QPIRI', 17, '3'),
            ('PGR01', 'QPIRI', 15, '1'),
            ('PBT01', 'QPIRI', 12, '1'),
            ('PBCV44.0', 'QPIRI', 8, '44.0'),
            ('PBDV50.0', 'QPIRI', 22, '50.0'),
            ('PSDV44.0', 'QPIRI', 9, '44.0'),
            ('PCVV56.0', 'QPIRI', 10, '56.0'),
            ('PBFT53.0', 'QPIRI', 11, '53.0'),
            ('MCHGC040', 'QPIRI', 14, '040'),
            ('MUCHGC020', 'QPIRI', 13, '20'),
            ('F60', 'QPIRI', 3, '60.0'),
        ]
        for cmd, query, index, token in cases:
            before = self.fields(c, query)[index]
            self.assertNotEqual(before, token, f'{cmd}: already {token}, the test proves nothing')
            frame = c.transact_raw(request(cmd))
            self.assertEqual(frame, ACK, f'{cmd} not accepted')
            self.assertEqual(self.fields(c, query)[index], token, f'{cmd} not shown in {query}')

        flags = c.query('QFLAG').decode()
        self.assertIn('a', flags.split('D')[0])
        self.assertEqual(c.transact_raw(request('PDa')), ACK)
        flags = c.query('QFLAG').decode()
        self.assertIn('a', flags.split('D')[1], flags)
        self.assertEqual(c.transact_raw(request('PEa')), ACK)
        self.assertIn('a', c.query('QFLAG').decode().split('D')[0])

    def test_naks(self):
        self.start_sim('--baud=0')
        c = self.client()
        qpigs = request('QPIGS')
        bad = qpigs[:-2] + bytes([qpigs[-2] ^ 0x01]) + b'\r'
        cases = [
            request('QXYZ'),            # unknown command
            request('qpigs'),           # firmware is case-sensitive
            request('QPIGS2'),          # classic units have no second tracker
            request('QPGS0'),           # a single inverter: no parallel data
            bad,                        # CRC off by one bit
            b'QPIGS\r',                 # no CRC at all (PI16 style)
            request('PBCV60.0'),        # out of range for a 48 V battery
            request('PBCV47'),          # wrong format
            request('MCHGC045'),        # not in the QMCHGCR list
            request('POP05'),           # no such priority
            request('PSDV30.0'),        # far below the 48 V range
        ]
        for data in cases:
            self.assertEqual(c.transact_raw(data), NAK, f'{data!r} not NAKed')
        qpiri = self.fields(c, 'QPIRI')
        self.assertEqual(qpiri[8], '46.0', 'a NAKed PBCV changed the model')
        hist = self.history()
        self.assertIn('BADCRC:QPIGS', hist)
        self.assertEqual(self.control_ok('count'), [f'requests={len(cases) + 1}'])
        self.control_ok('history clear')
        self.assertEqual(self.control_ok('count'), ['requests=0'])

    def check_family_rules(self, model, accepted):
        self.start_sim('--baud=0', f'--model={model}')
        c = self.client()
        for cmd in ('PCVV60.0', 'PBFT58.5', 'PBT03'):
            self.assertEqual(c.transact_raw(request(cmd)), ACK if accepted else NAK,
                             f'{model}: {cmd}')
        self.assertEqual(c.transact_raw(request('PCVV58.4')), ACK, f'{model}: PCVV58.4')

    def test_family_rules_classic(self):
        """The simulator refuses what the real firmware family refuses (PI30.md's setter table):
        a classic 48 V unit (HS/KS) takes bulk/float only up to 58.4 V and no lithium types."""
        self.check_family_rules('classic', False)

    def test_family_rules_max(self):
        """A MAX takes bulk/float up to 63 V and the lithium battery types."""
        self.check_family_rules('max', True)

    def test_two_units(self):
        self.start_sim('--baud=0', '--units=2')
        c = self.client()
        u0 = self.fields(c, 'QPGS0')
        u1 = self.fields(c, 'QPGS1')
        u2 = self.fields(c, 'QPGS2')
        self.assertEqual(len(u0), 27)
        self.assertEqual((u0[0], u1[0]), ('1', '1'))
        self.assertRegex(u0[1], r'^\d{14}$')
        self.assertRegex(u1[1], r'^\d{14}$')
        self.assertNotEqual(u0[1], u1[1])
        self.assertEqual(u0[1], c.query('QID').decode())
        self.assertEqual((u2[0], u2[1]), ('0', '0' * 14))
        # Output mode "parallel" in QPIRI and in every unit.
        self.assertEqual(self.fields(c, 'QPIRI')[21], '1')
        self.assertEqual((u0[20], u1[20]), ('1', '1'))
        # Totals are the sum of the units.
        self.assertEqual(int(u0[17]), int(u0[9]) + int(u1[9]))
        self.assertEqual(u0[17], u1[17])

        self.control_ok('unit 1 set BatteryVoltage 50.1')
        self.assertEqual(self.fields(c, 'QPGS1')[11], '50.1')
        self.assertEqual(self.control_ok('unit 1 get BatteryVoltage'), ['BatteryVoltage=50.1'])
        # A setter for every unit shows in each unit's QPGS answer.
        self.assertEqual(c.transact_raw(request('PCP03')), ACK)
        self.assertEqual(self.fields(c, 'QPGS0')[21], '3')
        self.assertEqual(self.fields(c, 'QPGS1')[21], '3')
        # Per-unit forms reach only their unit: PPCP<m><nn>, MCHGC<m><nn>.
        self.assertEqual(c.transact_raw(request('PPCP101')), ACK)
        self.assertEqual(self.fields(c, 'QPGS1')[21], '1')
        self.assertEqual(self.fields(c, 'QPGS0')[21], '3')
        self.assertEqual(c.transact_raw(request('MCHGC140')), ACK)
        self.assertEqual(self.fields(c, 'QPGS1')[22], '040')
        self.assertEqual(self.fields(c, 'QPGS0')[22], '060')
        self.assertEqual(self.fields(c, 'QPIRI')[14], '060')
        self.assertEqual(c.transact_raw(request('PPCP201')), NAK, 'unit 2 does not exist')

    def test_control_set_shows_in_answers(self):
        self.start_sim('--baud=0')
        c = self.client()
        self.control_ok('set BatteryVoltage 51.2')
        self.assertEqual(self.fields(c, 'QPIGS')[8], '51.20')
        self.assertEqual(self.control_ok('get BatteryVoltage'), ['BatteryVoltage=51.20'])
        self.control_ok('set Mode battery')
        self.assertEqual(c.query('QMOD'), b'B')
        warnings = '00000100000000000000000000000000'
        self.control_ok(f'set WarningStatus {warnings}')
        self.assertEqual(c.query('QPIWS').decode(), warnings)
        self.control_ok('set OutputSourcePriority sbu')
        self.assertEqual(self.fields(c, 'QPIRI')[16], '2')
        # Static scenario: nothing moves on its own.
        first = c.query('QPIGS')
        time.sleep(1.2)
        self.assertEqual(c.query('QPIGS'), first)

    def test_hostile_input(self):
        self.start_sim('--baud=0')
        c = self.client()
        before = c.query('QPIRI')
        rng = random.Random(1234)
        for _ in range(200):
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            c.write(junk + b'\r')
        c.write(b'Q' * 5000 + b'\r')   # longer than any request: dropped whole
        c.write(b'\r\n\0\0\r')          # empty lines and NUL fill
        c.drain(quiet=0.3)
        self.assertEqual(c.query('QPI'), b'PI30')
        self.assertEqual(c.query('QPIRI'), before, 'junk changed a setting')
        self.assertTrue(self.sim.running())
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.control_path)
            s.sendall(bytes(rng.randrange(256) for _ in range(3000)) + b'\n')
        self.assertEqual(self.control_ok('get Mode'), ['Mode=line'])

    def test_answer_time_2400_baud(self):
        self.start_sim()  # default --baud=2400
        c = self.client()
        results = {}
        for cmd in ('QPIGS', 'QPIRI', 'QMOD'):
            req = request(cmd)
            start = time.monotonic()
            frame = c.transact_raw(req, timeout=5)
            elapsed = time.monotonic() - start
            parse_frame(frame)
            # 10 bits per byte at 2400 baud, for the request and the answer on the wire.
            wire = (len(req) + len(frame)) * 10 / 2400
            results[cmd] = (len(frame), elapsed, wire)
            sys.stderr.write(f'{cmd}: {len(frame)} bytes answered in {elapsed * 1000:.0f} ms '
                             f'(wire time {wire * 1000:.0f} ms)\n')
            self.assertGreaterEqual(elapsed, 0.9 * wire, f'{cmd} faster than a 2400 baud line')
        # A short answer comes back quicker than a long one, as on the wire.
        self.assertLess(results['QMOD'][1], results['QPIGS'][1])


if __name__ == '__main__':
    simtest.main()
