"""Shared helpers for the integration tests: private system-like bus, processes stopped by PID.

Every test gets its own temporary directory, its own dbus-daemon (exported as
DBUS_SYSTEM_BUS_ADDRESS), and prints the logs of what it started only when it fails.
Component-specific helpers live beside the component's tests, not here.
"""
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BUILD_ROOT = os.environ.get('AXPERT_BUILD_ROOT', os.path.abspath('build'))
SOURCE_ROOT = os.environ.get('AXPERT_SOURCE_ROOT', os.path.abspath('.'))


def build_path(*parts):
    return os.path.join(BUILD_ROOT, *parts)


def source_path(*parts):
    return os.path.join(SOURCE_ROOT, *parts)


def wait_for(predicate, timeout=10.0, interval=0.02, what='condition'):
    """Polls predicate() until it returns a true value, which is returned; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f'timed out after {timeout}s waiting for {what}')
        time.sleep(interval)


def sim_control(path, line, check=True, timeout=10):
    """One command on axpert-sim's control socket (--control=PATH).

    Returns the answer lines before the final 'ok'. With check=False the final status line
    ('ok' or 'error: …') is returned as the last element instead of an error raising
    AssertionError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() + b'\n')
        data = b''
        while True:
            lines = data.decode(errors='replace').split('\n')
            done = [x for x in lines[:-1] if x == 'ok' or x.startswith('error: ')]
            if done:
                out = lines[:lines.index(done[0]) + 1]
                if not check:
                    return out
                if out[-1] != 'ok':
                    raise AssertionError(f'sim control {line!r}: {out[-1]}')
                return out[:-1]
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError(f'sim control {line!r}: socket closed after {data!r}')
            data += chunk


_reserved_ports = {}  # port -> the open lock file that reserves it, held until exit


def reserve_port():
    """A loopback TCP port no other test (of any build, in any process on this machine) is
    given while this process lives, for a server that cannot listen on port 0 itself.

    The kernel picks a port nothing is bound to (bind to port 0), and an exclusive lock on
    $TMPDIR/axpert-test-ports/PORT (released by the kernel when this process ends, however it
    ends) keeps every other reserve_port() off it. A program outside the tests may still take
    it in between: a server that then fails to listen is retried on another port by its
    caller (mqttlib.Broker, the dashboard's axpert-web)."""
    import fcntl
    lockdir = os.path.join(tempfile.gettempdir(), 'axpert-test-ports')
    os.makedirs(lockdir, exist_ok=True)
    try:
        os.chmod(lockdir, 0o1777)
    except PermissionError:
        pass  # another user's directory, already shared
    for _ in range(1000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
            if port in _reserved_ports:
                continue
            fd = os.open(os.path.join(lockdir, str(port)), os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC,
                         0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            _reserved_ports[port] = fd
            return port
    raise RuntimeError('no free loopback port could be reserved')


SYSTEM_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
  <policy user="root">
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
  {extra}
  {includes}
</busconfig>
"""


class PrivateBus:
    """A dbus-daemon with a system-bus-like policy on a socket in tmpdir.

    policy_files: bus policy files to <include> (e.g. the project's org.axpert.Inverter.conf);
    extra: raw XML added to the configuration (more <policy> blocks).
    """

    def __init__(self, tmpdir, policy_files=(), extra=''):
        self.tmpdir = tmpdir
        self.socket = os.path.join(tmpdir, 'system_bus_socket')
        self.conf = os.path.join(tmpdir, 'system.conf')
        includes = '\n'.join(f'<include>{p}</include>' for p in policy_files)
        with open(self.conf, 'w') as f:
            f.write(SYSTEM_BUS_CONF.format(socket=self.socket, extra=extra, includes=includes))
        self.log = os.path.join(tmpdir, 'dbus-daemon.log')
        self.proc = None
        self.address = f'unix:path={self.socket}'

    def start(self):
        logf = open(self.log, 'w')
        # The address is printed once the socket listens: the file alone can exist before
        # listen(), when a connect() is still refused.
        rfd, wfd = os.pipe()
        self.proc = subprocess.Popen(
            ['dbus-daemon', '--config-file', self.conf, '--nofork', '--nopidfile',
             f'--print-address={wfd}'],
            stdout=logf, stderr=subprocess.STDOUT, pass_fds=(wfd,))
        logf.close()
        os.close(wfd)
        try:
            ready, _, _ = select.select([rfd], [], [], 10)
            if not ready or not os.read(rfd, 4096):
                raise TimeoutError('dbus-daemon did not start listening within 10 s')
        finally:
            os.close(rfd)
        # The socket must be usable by unprivileged test users too.
        os.chmod(self.tmpdir, 0o755)
        os.chmod(self.socket, 0o777)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Process:
    """A background process with its output in a log file, stopped by PID."""

    def __init__(self, name, argv, tmpdir, env=None, **kwargs):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log = os.path.join(tmpdir, f'{name}.log')
        self.env = env
        self.kwargs = kwargs
        self.proc = None

    def start(self):
        logf = open(self.log, 'ab')
        self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT,
                                     env=self.env, **self.kwargs)
        logf.close()
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def stop(self, sig=None, timeout=10):
        """Stops the process; returns its exit status (negative signal number if killed)."""
        # (The default cannot be signal.SIGTERM: in the class body 'signal' is the method above.)
        if sig is None:
            sig = signal.SIGTERM
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        return rc

    def output(self):
        try:
            with open(self.log, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''


class BusTestCase(unittest.TestCase):
    """Base class: a temporary directory and a private system-like bus per test.

    Subclasses register processes with self.spawn(); all are stopped (by PID) in tearDown and
    their logs printed when the test failed.
    """
    policy_files = ()
    bus_extra = ''
    start_bus = True

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='axpert-test-')
        os.chmod(self.tmpdir, 0o755)
        self.processes = []
        self.env = dict(os.environ)
        self.bus = None
        if self.start_bus:
            self.bus = PrivateBus(self.tmpdir, self.policy_files, self.bus_extra).start()
            self.env['DBUS_SYSTEM_BUS_ADDRESS'] = self.bus.address
            # Nothing may talk to a session bus by accident.
            self.env['DBUS_SESSION_BUS_ADDRESS'] = self.bus.address
        self.addCleanup(self._cleanup)

    def spawn(self, name, argv, env=None, **kwargs):
        p = Process(name, argv, self.tmpdir, env=env if env is not None else self.env, **kwargs)
        p.start()
        self.processes.append(p)
        return p

    def _failed(self):
        outcome = getattr(self, '_outcome', None)
        if outcome is None:
            return False
        result = getattr(outcome, 'result', None)
        if result is not None:
            for test, _ in list(result.errors) + list(result.failures):
                if test is self:
                    return True
        return not getattr(outcome, 'success', True)

    def _cleanup(self):
        for p in reversed(self.processes):
            p.stop()
        if self.bus:
            self.bus.stop()
        if self._failed() or os.environ.get('AXPERT_TEST_VERBOSE'):
            for p in self.processes:
                sys.stderr.write(f'\n----- {p.name} ({" ".join(p.argv)}) -----\n{p.output()}')
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def _case_ids(module):
    """The ids (Class.test_name) of every test case of module, in unittest's order."""
    def flatten(suite):
        for t in suite:
            if isinstance(t, unittest.TestSuite):
                yield from flatten(t)
            else:
                yield t
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    return [t.id().split('.', 1)[1] for t in flatten(suite)]


def _run_parallel(jobs, first):
    """Runs every test case of __main__ in a process of its own, jobs at a time: the cases in
    first (method names or Class.method ids, longest first) start first, the rest in unittest's
    order. Each case's output is printed whole when it ends. Exit status: 0 when every case
    passed (or was skipped), 1 otherwise."""
    script = os.path.abspath(sys.argv[0])
    ids = _case_ids(sys.modules['__main__'])
    rank = {}
    for i, name in enumerate(first):
        matches = [c for c in ids if c == name or c.endswith('.' + name)]
        if not matches:
            raise SystemExit(f'testlib.main: no test case {name!r} in {script} (first=)')
        for c in matches:
            rank.setdefault(c, i)
    order = sorted(ids, key=lambda c: (rank.get(c, len(first)), ids.index(c)))
    pending = list(order)
    running = {}  # Popen -> (case id, output file, start time)
    failed = []
    t0 = time.monotonic()
    sys.stdout.write(f'{len(order)} test cases, {jobs} at a time, each in its own process\n')
    sys.stdout.flush()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                case = pending.pop(0)
                out = tempfile.TemporaryFile()
                proc = subprocess.Popen([sys.executable, script, case], stdout=out,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                running[proc] = (case, out, time.monotonic())
            pid, status = os.wait()
            proc = next((p for p in running if p.pid == pid), None)
            if proc is None:
                continue
            proc.returncode = os.waitstatus_to_exitcode(status)
            case, out, started = running.pop(proc)
            out.seek(0)
            text = out.read().decode('utf-8', 'replace')
            out.close()
            verdict = 'ok' if proc.returncode == 0 else f'FAILED (exit status {proc.returncode})'
            if proc.returncode != 0:
                failed.append(case)
            sys.stdout.write(f'===== {case}: {verdict}, {time.monotonic() - started:.1f} s '
                             f'=====\n{text}')
            sys.stdout.flush()
    finally:
        for proc in running:
            proc.kill()
            proc.wait()
    sys.stdout.write(f'\n{len(order)} test cases in {time.monotonic() - t0:.1f} s, '
                     f'{len(failed)} failed{": " + ", ".join(failed) if failed else ""}\n')
    sys.exit(1 if failed else 0)


def main(jobs=1, first=()):
    """Runs the test cases of the calling module (__main__).

    jobs > 1: every case in a process of its own, jobs of them at a time (each case has its own
    temporary directory, bus, simulator and ports already; see reserve_port()); first: the
    longest cases, started first so that the run does not end waiting for one of them.
    AXPERT_TEST_JOBS overrides jobs (1: all in this process, as unittest.main() does); test
    names on the command line run in this process too."""
    jobs = int(os.environ.get('AXPERT_TEST_JOBS', jobs))
    if jobs > 1 and len(sys.argv) == 1:
        _run_parallel(jobs, first)
    unittest.main(verbosity=2)
