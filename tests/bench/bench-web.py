#!/usr/bin/python3
"""Benchmark of axpert-web against axpertd and axpert-sim (not part of the pass/fail suite).

Reports (a) requests/s from wrk on /api/v1/inverters/<serial> and /cmds?cmd=status, (b) the
time a change takes to reach 200 event-stream clients (from the first client seeing it to the
last, and from the simulator's change to the last), (c) axpert-web's RSS, (d) the device
requests per minute without web clients and with 200 event streams plus wrk running.

Usage: /usr/bin/python3 tests/bench/bench-web.py [--build=BUILDDIR] [--seconds=N] [--clients=N]
"""
import argparse
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from figures import figure  # beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'integration', 'daemon'))


def rss(pid):
    mem = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmHWM:')):
                mem[line.split(':')[0]] = int(line.split()[1]) / 1024
    return mem


def wrk(url, seconds, connections=50):
    r = subprocess.run(['wrk', '-t2', f'-c{connections}', f'-d{int(seconds)}s', url],
                       capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r'Requests/sec:\s+([\d.]+)', r.stdout)
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', r.stdout)
    if not m:
        raise RuntimeError(f'wrk: {r.stdout}{r.stderr}')
    return float(m.group(1)), int(errors.group(1)) if errors else 0


class Streams:
    """n event-stream clients on non-blocking sockets, read by one selector."""

    def __init__(self, port, n):
        self.sel = selectors.DefaultSelector()
        self.bufs = {}
        for _ in range(n):
            s = socket.create_connection(('127.0.0.1', port), timeout=10)
            s.sendall(b'GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n')
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.bufs[s] = b''

    def pump(self, timeout):
        for key, _ in self.sel.select(timeout):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            if data:
                self.bufs[key.fileobj] += data

    def wait_all(self, needle, timeout):
        """Seconds (monotonic) at which each client had needle in its stream."""
        seen = {}
        deadline = time.monotonic() + timeout
        while len(seen) < len(self.bufs) and time.monotonic() < deadline:
            self.pump(0.05)
            now = time.monotonic()
            for s, buf in self.bufs.items():
                if s not in seen and needle in buf:
                    seen[s] = now
        return list(seen.values())

    def settle(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(0.05)
        for s in self.bufs:
            self.bufs[s] = b''

    def close(self):
        for s in self.bufs:
            s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.environ.get('AXPERT_BUILD_ROOT', 'build'))
    ap.add_argument('--seconds', type=float, default=10.0)
    ap.add_argument('--clients', type=int, default=200)
    args = ap.parse_args()
    os.environ['AXPERT_BUILD_ROOT'] = os.path.abspath(args.build)
    import daemonlib
    import testlib

    if shutil.which('wrk') is None:
        print('wrk is not installed (Debian package wrk)')
        return 1
    tmp = tempfile.mkdtemp(prefix='axpert-bench-web-')
    procs = []

    def spawn(name, argv, **kw):
        p = testlib.Process(name, argv, tmp, env=env, **kw).start()
        procs.append(p)
        return p

    try:
        bus = testlib.PrivateBus(tmp).start()
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
        link = os.path.join(tmp, 'ttyAXPERT')
        control_path = os.path.join(tmp, 'sim.control')
        spawn('axpert-sim', [daemonlib.sim_binary(), f'--pty={link}', '--baud=2400',
                             f'--control={control_path}'])
        testlib.wait_for(lambda: os.path.exists(link), 10)
        control = daemonlib.Control(control_path).connect()
        daemon = spawn('axpertd', [daemonlib.daemon_binary(), f'--device={link}',
                                   '--poll-interval=1'])
        dbus = daemonlib.Bus(bus.address)
        testlib.wait_for(dbus.has_name, 60, what='the daemon on the bus')
        conf = os.path.join(tmp, 'web.conf')
        with open(conf, 'w') as f:
            f.write('[Web]\nMaxConnections=1024\n')
        web = spawn('axpert-web', [testlib.build_path('web', 'axpert-web'), f'--config={conf}',
                                   '--listen=127.0.0.1:0'])
        port = int(testlib.wait_for(lambda: (re.search(r'Listening on http://[^ ]*:(\d+)/',
                                                       web.output()) or [None, None])[1], 20))
        serial = control.get('SerialNumber')
        testlib.wait_for(lambda: dbus.get('Online'), 60, what='the inverter online')
        base = f'http://127.0.0.1:{port}'

        # (d) without web clients
        c0 = control.count()
        time.sleep(args.seconds)
        idle_rate = (control.count() - c0) / args.seconds * 60

        # (a) wrk
        state_rate, state_errors = wrk(f'{base}/api/v1/inverters/{serial}', args.seconds)
        cmds_rate, cmds_errors = wrk(f'{base}/cmds?cmd=status', args.seconds)

        # (b) fan-out
        streams = Streams(port, args.clients)
        streams.settle(3)
        fan = []
        total = []
        for i in range(5):
            value = f'{45 + i}.{i + 1}'
            t0 = time.monotonic()
            control.set('BatteryVoltage', value)
            times = streams.wait_all(f'"battery_voltage":{value}'.encode(), 30)
            if len(times) < args.clients:
                print(f'only {len(times)} of {args.clients} clients saw the change')
            if times:
                fan.append((max(times) - min(times)) * 1e3)
                total.append((max(times) - t0) * 1e3)
        fan.sort()
        total.sort()

        # (d) with 200 event streams and wrk running
        c0 = control.count()
        t0 = time.monotonic()
        busy = subprocess.Popen(['wrk', '-t1', '-c20', f'-d{int(args.seconds)}s',
                                 f'{base}/cmds?cmd=status'], stdout=subprocess.DEVNULL)
        while busy.poll() is None:
            streams.pump(0.05)
        busy_rate = (control.count() - c0) / (time.monotonic() - t0) * 60
        mem = rss(web.pid)
        streams.close()

        print()
        print('axpert-web benchmark (axpert-sim at 2400 baud, axpertd --poll-interval=1)')
        print('-' * 78)
        print(f'(a) wrk -t2 -c50: /api/v1/inverters/<serial> {state_rate:.0f} req/s '
              f'({state_errors} non-2xx), /cmds?cmd=status {cmds_rate:.0f} req/s '
              f'({cmds_errors} non-2xx)')
        print(f'(b) a change to {args.clients} event streams: first to last client '
              f'{fan[len(fan) // 2]:.1f} ms (median of {len(fan)}), sim change to last '
              f'client {total[len(total) // 2]:.1f} ms (includes the poll cycle)')
        print(f'(c) RSS {mem["VmRSS"]:.2f} MiB (peak {mem["VmHWM"]:.2f} MiB)')
        print(f'(d) device requests/min: {idle_rate:.1f} without web clients, {busy_rate:.1f} '
              f'with {args.clients} event streams and wrk')
        figure('axpert-web: GET /api/v1/inverters/<serial> (wrk -c50)', state_rate, 'req/s',
               '>= 5000')
        figure('axpert-web: GET /cmds?cmd=status (wrk -c50)', cmds_rate, 'req/s', '>= 5000')
        figure(f'axpert-web: a change to {args.clients} event streams (first to last)',
               fan[len(fan) // 2], 'ms', '<= 50 ms')
        figure(f'axpert-web: sim change to the last of {args.clients} streams (with poll)',
               total[len(total) // 2], 'ms')
        figure('axpert-web: RSS', mem['VmRSS'], 'MiB', '<= 12 MiB')
        figure('axpert-web: device requests/min, no web clients', idle_rate, 'req/min')
        figure(f'axpert-web: device requests/min, {args.clients} streams + wrk', busy_rate,
               'req/min', 'same as without')
        control.close()
        dbus.close()
    finally:
        for p in reversed(procs):
            p.stop()
        try:
            bus.stop()
        except NameError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
