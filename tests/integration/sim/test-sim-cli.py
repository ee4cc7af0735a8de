#!/usr/bin/python3
"""axpert-sim's command line and control socket refuse bad input clearly and change nothing."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pi30client import SerialClient
import simtest
import testlib


class CliTest(simtest.SimTestCase):

    def test_bad_command_lines(self):
        link = os.path.join(self.tmpdir, 'tty')
        pty = f'--pty={link}'
        cases = [
            ([], 'Exactly one of'),
            ([pty, '--seqpacket=3'], 'Exactly one of'),
            ([pty, '--baud=fast'], '--baud'),
            ([pty, '--baud=-1'], '--baud'),
            ([pty, '--battery=36'], '--battery'),
            ([pty, '--units=0'], '--units'),
            ([pty, '--units=10'], '--units'),
            ([pty, '--model=pi18'], '--model'),
            ([pty, '--scenario=night'], '--scenario'),
            ([pty, '--day-length=1'], '--day-length'),
            ([pty, '--fault=explode'], '--fault'),
            ([pty, '--think-time=1s'], '--think-time'),
            ([pty, '--late-time=1.5'], '--late-time'),
            ([pty, '--late-time=60001'], '--late-time'),
            ([pty, '--late-time='], '--late-time'),
            ([pty, '--trickle-time=0'], '--trickle-time'),
            ([pty, '--trickle-time=-5'], '--trickle-time'),
            ([pty, '--no-such-option'], 'no-such-option'),
            ([pty, 'extra'], 'extra'),
            (['--seqpacket=abc'], '--seqpacket'),
            (['--seqpacket=0'], '--seqpacket'),
            (['--seqpacket=99'], 'not an open file descriptor'),
            ([f'--pty={self.tmpdir}/no/such/dir/tty'], 'link'),
            ([pty, f'--control={self.tmpdir}/' + 'x' * 120], 'too long'),
        ]
        for args, word in cases:
            rc, out, err = simtest.run_sim(*args)
            self.assertNotEqual(rc, 0, f'{args} accepted')
            self.assertIn(word, err, f'{args}: {err!r}')
            self.assertIn('<3>', err, f'{args}: not logged as an error: {err!r}')
            self.assertNotIn('ready', out)
            self.assertFalse(os.path.lexists(link), f'{args} left the link behind')

    def test_link_is_not_ours(self):
        path = os.path.join(self.tmpdir, 'precious')
        with open(path, 'w') as f:
            f.write('keep me\n')
        rc, out, err = simtest.run_sim(f'--pty={path}')
        self.assertNotEqual(rc, 0)
        self.assertIn('not a symbolic link', err)
        with open(path) as f:
            self.assertEqual(f.read(), 'keep me\n')
        # A stale link from an earlier run is simply replaced.
        os.unlink(path)
        os.symlink('/dev/pts/nonexistent', path)
        p = self.spawn('sim-stale-link', [simtest.SIM, f'--pty={path}', '--baud=0'])
        testlib.wait_for(lambda: 'ready\n' in p.output() or not p.running(), 10)
        self.assertTrue(p.running(), p.output())
        self.assertNotEqual(os.readlink(path), '/dev/pts/nonexistent')
        self.assertTrue(os.path.exists(path))

    def test_seqpacket_not_a_socket(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        import subprocess
        p = subprocess.run([simtest.SIM, f'--seqpacket={r}'], pass_fds=(r,),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b'SOCK_SEQPACKET', p.stderr)

    def test_uhid_missing_is_a_clear_error(self):
        if os.path.exists('/dev/uhid'):
            self.skipTest('/dev/uhid exists here; test-sim-uhid covers it')
        rc, out, err = simtest.run_sim('--uhid')
        self.assertNotEqual(rc, 0)
        self.assertIn('/dev/uhid does not exist', err)
        self.assertNotIn('ready', out)

    def test_help_and_version(self):
        rc, out, err = simtest.run_sim('--help')
        self.assertEqual(rc, 0)
        self.assertIn('--pty=LINK', out)
        rc, out, err = simtest.run_sim('--version')
        self.assertEqual(rc, 0)
        self.assertRegex(out, r'^axpert-sim \d')

    def test_fault_control_errors(self):
        self.start_sim('--baud=0', '--units=2')
        self.control_ok('nak-next QPIGS 2')
        self.control_ok('late-time 700')
        before = self.control_ok('status'), self.control_ok('next')
        # The USB resets a gadget saw (none without one).
        self.assertIn('usb-resets=0', before[0])
        cases = [
            ('late-time abc', 'usage: late-time [MSEC]'),
            ('late-time 60001', '0-60000'),
            ('late-time -1', 'usage: late-time'),
            ('late-time 10 20', 'usage: late-time'),
            ('trickle-time 0', '1-60000'),
            ('trickle-time 1.5', 'usage: trickle-time'),
            ('nak-next', 'usage: nak-next COMMAND [N]'),
            ('silence-next', 'usage: silence-next COMMAND [N]'),
            ('nak-next QPIGS 0', '"0" is not a count'),
            ('nak-next QPIGS x', '"x" is not a count'),
            ('nak-next QPIGS -1', 'is not a count'),
            ('nak-next QPIGS 1000001', 'is not a count'),
            ('nak-next QPIGS 1 2', 'usage: nak-next'),
            ('nak-next Q*IGS', 'no command text'),
            ('nak-next (QPI', 'no command text'),
            ('nak-next ' + 'Q' * 33, '1-32 characters'),
            ('nak-next QPIGS 999999', 'within 1000000'),
            ('next forget', 'usage: next [clear]'),
            ('flush now', 'flush takes no arguments'),
            ('status now', 'status takes no arguments'),
            ('renumber', 'renumber needs --hidg-gadget=NAME'),
            ('renumber now', 'renumber takes no arguments'),
            ('dump now', 'dump takes no arguments'),
            ('unit 0 dump now', 'dump takes no arguments'),
            ('unit 2 dump', 'unit 2 does not exist'),
            ('unit 0 explode', 'unit N dump'),
            ('set Pv2InputVoltage 100', 'in no answer this classic model sends'),
        ]
        for line, word in cases:
            out = self.control(line)
            self.assertTrue(out[-1].startswith('error: '), f'{line!r} -> {out!r}')
            self.assertIn(word, out[-1], f'{line!r} -> {out!r}')
        self.assertEqual((self.control_ok('status'), self.control_ok('next')), before,
                         'a refused control command changed something')
        # One rule too many is refused, naming the limit.
        self.control_ok('next clear')
        for i in range(32):
            self.control_ok(f'silence-next X{i}')
        out = self.control('nak-next QPI')
        self.assertIn('too many rules (at most 32', out[-1])
        self.assertEqual(len(self.control_ok('next')), 32)

    def test_control_errors(self):
        self.start_sim('--baud=0', '--units=2')
        cases = [
            ('explode', 'unknown command "explode"'),
            ('fault', 'usage: fault NAME'),
            ('fault explode', 'unknown fault "explode"'),
            ('fault nak now', 'usage: fault NAME'),
            ('set', 'needs a field name'),
            ('set BatteryVoltage', 'needs a value'),
            ('set NoSuchField 1', 'unknown field "NoSuchField"'),
            ('set BatteryVoltage abc', '"abc" is not a number'),
            ('set BatteryVoltage 123456', 'does not fit'),
            ('set Mode flying', '"flying" is not one of'),
            ('set WarningStatus 0102', 'not a string of 0 and 1'),
            ('set OutputSourcePriority nonsense', 'is not one of'),
            ('set BatteryStatus normal', 'parallel-unit field'),
            ('get', 'needs a field name'),
            ('get NoSuchField', 'unknown field'),
            ('unit', 'usage: unit N'),
            ('unit x set BatteryVoltage 1', 'usage: unit N'),
            ('unit 0 fly', 'usage: unit N'),
            ('unit 5 get BatteryVoltage', 'unit 5 does not exist'),
            ('unit 0 set GridRatingVoltage 230', 'not a parallel-unit'),
            ('history forget', 'usage: history'),
            ('count 1', 'takes no arguments'),
            ('unplug now', 'takes no arguments'),
        ]
        c = SerialClient(self.link)
        self.addCleanup(c.close)
        before = c.query('QPIGS'), c.query('QPIRI'), c.query('QPGS0')
        for line, word in cases:
            out = self.control(line)
            self.assertTrue(out[-1].startswith('error: '), f'{line!r} -> {out!r}')
            self.assertIn(word, out[-1], f'{line!r} -> {out!r}')
        self.assertEqual((c.query('QPIGS'), c.query('QPIRI'), c.query('QPGS0')), before,
                         'a refused control command changed the model')
        # Several commands on one connection, answered in order; the link still works.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.control_path)
            s.sendall(b'count\nget Mode\nbogus\n')
            data = b''
            while data.count(b'\n') < 5:
                data += s.recv(4096)
        self.assertEqual(data.decode().split('\n')[:5],
                         ['requests=6', 'ok', 'Mode=line', 'ok',
                          'error: unknown command "bogus" (try "help")'])
        # A line that never ends is refused, not buffered forever.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.control_path)
            s.sendall(b'x' * 5000)
            data = s.recv(4096)
        self.assertIn(b'error: line longer', data)
        self.assertTrue(self.sim.running())


if __name__ == '__main__':
    simtest.main()
