#!/usr/bin/python3
"""axpert-sim --replay: captured answers come back byte for byte, in turn; the rest is NAK."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import SerialClient, parse_frame, request
import simtest

NAK = b'(NAKss\r'


def unescape(s):
    """corpus.tsv's C escapes, decoded independently of the simulator."""
    return s.encode('latin-1').decode('unicode_escape').encode('latin-1')


class ReplayTest(simtest.SimTestCase):

    def transcript(self):
        rows = []
        with open(simtest.CORPUS, encoding='utf-8') as f:
            for i, line in enumerate(f):
                cols = line.rstrip('\n').split('\t')
                if i == 0:
                    continue
                rows.append((cols[0], unescape(cols[1])))
        return rows

    def test_exact_bytes(self):
        self.start_sim('--baud=0', f'--replay={simtest.CORPUS}')
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        rows = self.transcript()
        expected = {}
        for cmd, data in rows:
            expected.setdefault(cmd, []).append(data)

        self.assertEqual(c.transact_raw(request('QPI')), expected['QPI'][0])
        # The escaped CRC (0x0D sent as 0x0E) and a raw 0x00 CRC byte, verbatim.
        qpiri = c.transact_raw(request('QPIRI'))
        self.assertEqual(qpiri, expected['QPIRI'][0])
        self.assertTrue(qpiri.endswith(b'\x0e>\r'))
        parse_frame(qpiri)
        qpigs = c.transact_raw(request('QPIGS'))
        self.assertEqual(qpigs, expected['QPIGS'][0])
        self.assertIn(b'\x00', qpigs)
        parse_frame(qpigs)
        # Several answers for one command are served in turn, then from the start again.
        self.assertEqual([c.transact_raw(request('QMOD')) for _ in range(3)],
                         expected['QMOD'] + expected['QMOD'][:1])
        # Quirks too: an LF-terminated answer, an echo instead of an answer, a NAK for POP02.
        c.write(request('QBMS'))
        self.assertEqual(c.read_raw(0.3), expected['QBMS'][0])
        self.assertEqual(c.transact_raw(request('QPGS0')), expected['QPGS0'][0])
        self.assertEqual(c.transact_raw(request('POP02')), NAK)
        # Commands the transcript does not know, and bad CRCs, get a NAK.
        self.assertEqual(c.transact_raw(request('QPIWS')), NAK)
        self.assertEqual(c.transact_raw(b'QPI\x00\x00\r'), NAK)

    def test_bad_transcripts(self):
        path = os.path.join(self.tmpdir, 'bad.tsv')
        for content, words in (
                ('QPI\t(PI30\\xZZ\\r\n', ['line 1', 'escape']),
                ('QPI\n', ['line 1', 'TAB']),
                ('# nothing but a comment\n', ['no answers']),
        ):
            with open(path, 'w') as f:
                f.write(content)
            rc, out, err = simtest.run_sim(f'--pty={self.tmpdir}/tty', f'--replay={path}')
            self.assertNotEqual(rc, 0)
            self.assertNotIn('ready', out)
            for w in words:
                self.assertIn(w, err)
            self.assertFalse(os.path.lexists(f'{self.tmpdir}/tty'))
        rc, out, err = simtest.run_sim(f'--pty={self.tmpdir}/tty',
                                       f'--replay={self.tmpdir}/missing.tsv')
        self.assertNotEqual(rc, 0)
        self.assertIn('missing.tsv', err)


if __name__ == '__main__':
    simtest.main()
