"""Helpers for the axpert-sim tests: start the simulator, talk to its control socket."""
import os
import socket

import testlib

SIM = testlib.build_path('sim', 'axpert-sim')
CORPUS = testlib.source_path('tests', 'integration', 'sim', 'transcript.tsv')


class SimTestCase(testlib.BusTestCase):
    """One temporary directory per test, no bus: the simulator needs none."""
    start_bus = False

    def start_sim(self, *args, pty=True, control=True, pass_fds=(), name='axpert-sim'):
        self.link = os.path.join(self.tmpdir, 'ttyAXPERT')
        self.control_path = os.path.join(self.tmpdir, 'control.sock')
        argv = [SIM]
        if pty:
            argv.append(f'--pty={self.link}')
        if control:
            argv.append(f'--control={self.control_path}')
        argv += list(args)
        proc = self.spawn(name, argv, pass_fds=pass_fds)
        testlib.wait_for(lambda: 'ready\n' in proc.output() or not proc.running(), 10,
                         what='axpert-sim ready')
        self.assertTrue(proc.running(), f'axpert-sim exited: {proc.output()}')
        self.sim = proc
        return proc

    def start_seqpacket(self, *args):
        """The simulator on one end of a SOCK_SEQPACKET pair; returns a ReportClient on ours."""
        from pi30client import ReportClient
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.addCleanup(ours.close)
        theirs.set_inheritable(True)
        fd = theirs.fileno()
        self.start_sim(f'--seqpacket={fd}', *args, pty=False, pass_fds=(fd,))
        theirs.close()
        return ReportClient(ours)

    def status(self):
        """The simulator's "status" as a dict."""
        return dict(line.split('=', 1) for line in self.control_ok('status'))

    def control(self, line):
        """Sends one control command; returns its answer lines, the last one 'ok' or 'error: …'."""
        return testlib.sim_control(self.control_path, line, check=False)

    def control_ok(self, line):
        out = self.control(line)
        self.assertEqual(out[-1], 'ok', f'{line!r} -> {out!r}')
        return out[:-1]

    def history(self):
        return self.control_ok('history')


def run_sim(*args, timeout=10):
    """Runs axpert-sim to completion (bad command lines): returns (exit status, stderr)."""
    import subprocess
    p = subprocess.run([SIM] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def main(jobs=1, first=()):
    testlib.main(jobs, first)
