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


def main():
    unittest.main(verbosity=2)
