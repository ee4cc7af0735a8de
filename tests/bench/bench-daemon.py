#!/usr/bin/python3
"""Benchmark of axpertd against axpert-sim at 2400 baud (not part of the pass/fail suite).

Reports (a) the achieved fast-cycle time against the pure wire time of the same bytes,
(b) GetAll calls/s and p50/p99 latency with 1, 8 and 64 concurrent clients, (c) device
requests/s with and without those clients, (d) the daemon's RSS and CPU time per poll cycle.

Usage: /usr/bin/python3 tests/bench/bench-daemon.py [--build=BUILDDIR] [--seconds=N]
"""
import argparse
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from figures import figure  # beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'integration', 'daemon'))

BAUD = 2400
FAST = ('QPIGS', 'QMOD', 'QPIWS')


def crc_bytes(data):
    """CRC-16/XMODEM with the PI30 escape rule (requests: 0x00 escaped too)."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    out = []
    for b in (crc >> 8, crc & 0xFF):
        out.append(b + 1 if b in (0x00, 0x0A, 0x0D, 0x28) else b)
    return bytes(out)


def wire_bytes(link, commands):
    """Sends each command to a simulator on link and counts request and answer bytes."""
    import termios
    import tty
    fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIOFLUSH)
    total = 0
    per = {}
    try:
        for c in commands:
            req = c.encode() + crc_bytes(c.encode()) + b'\r'
            os.write(fd, req)
            ans = b''
            while not ans.endswith(b'\r'):
                ans += os.read(fd, 256)
            per[c] = (len(req), len(ans))
            total += len(req) + len(ans)
    finally:
        os.close(fd)
    return total, per


def proc_stats(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    mem = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmHWM:')):
                mem[line.split(':')[0]] = int(line.split()[1])
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            if line.startswith(('Pss:', 'Private_Clean:', 'Private_Dirty:', 'Shared_Clean:')):
                mem[line.split(':')[0]] = int(line.split()[1])
    return cpu, mem


def client_worker(address, seconds, start_at, queue):
    import daemonlib
    bus = daemonlib.Bus(address)
    lat = []
    while time.time() < start_at:
        time.sleep(0.001)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        bus.get_all()
        lat.append(time.perf_counter() - t)
    bus.close()
    queue.put(lat)


def run_clients(address, n, seconds, control):
    # Not fork: the parent's GDBus worker thread would not survive it.
    ctx = multiprocessing.get_context('spawn')
    queue = ctx.Queue()
    start_at = time.time() + 1.0 + n * 0.02
    procs = [ctx.Process(target=client_worker, args=(address, seconds, start_at, queue))
             for _ in range(n)]
    for p in procs:
        p.start()
    # Device traffic over exactly the window in which the clients run.
    while time.time() < start_at:
        time.sleep(0.001)
    c0 = control.count()
    time.sleep(seconds)
    c1 = control.count()
    lat = []
    for _ in procs:
        lat += queue.get()
    for p in procs:
        p.join()
    return lat, (c1 - c0) / seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.environ.get('AXPERT_BUILD_ROOT', 'build'))
    ap.add_argument('--seconds', type=float, default=10.0)
    args = ap.parse_args()
    os.environ['AXPERT_BUILD_ROOT'] = os.path.abspath(args.build)
    import daemonlib
    import testlib

    tmp = tempfile.mkdtemp(prefix='axpert-bench-')
    procs = []

    def spawn(name, argv, **kw):
        p = testlib.Process(name, argv, tmp, env=env, **kw).start()
        procs.append(p)
        return p

    try:
        bus = testlib.PrivateBus(tmp).start()
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)

        # Byte counts of the fast cycle, measured on an instant simulator of the same model.
        probe_link = os.path.join(tmp, 'ttyPROBE')
        probe = spawn('probe-sim', [daemonlib.sim_binary(), f'--pty={probe_link}', '--baud=0'])
        testlib.wait_for(lambda: os.path.exists(probe_link), 10)
        nbytes, per = wire_bytes(probe_link, FAST)
        probe.stop()
        wire = nbytes * 10 / BAUD

        link = os.path.join(tmp, 'ttyAXPERT')
        control_path = os.path.join(tmp, 'sim.control')
        spawn('axpert-sim', [daemonlib.sim_binary(), f'--pty={link}', f'--baud={BAUD}',
                             f'--control={control_path}'])
        testlib.wait_for(lambda: os.path.exists(link), 10)
        control = daemonlib.Control(control_path).connect()
        conf = os.path.join(tmp, 'axpertd.conf')
        with open(conf, 'w') as f:
            f.write('[Daemon]\nSettingsInterval=86400\n')
        daemon = spawn('axpertd', [daemonlib.daemon_binary(), f'--config={conf}',
                                   f'--device={link}', '--poll-interval=0'])
        dbus = daemonlib.Bus(bus.address)
        testlib.wait_for(dbus.has_name, 60, what='the daemon on the bus')

        # (a) fast-cycle time: distinct LastUpdateTimestamp values over a window.
        stamps = []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            t = dbus.get('LastUpdateTimestamp')
            if not stamps or t != stamps[-1]:
                stamps.append(t)
            time.sleep(0.005)
        deltas = [(b - a) / 1e6 for a, b in zip(stamps[1:], stamps[2:])]
        cycle = statistics.median(deltas)

        # (c, d) without clients
        c0, cpu0 = control.count(), proc_stats(daemon.pid)[0]
        s0 = dbus.get('LastUpdateTimestamp')
        time.sleep(args.seconds)
        c1, cpu1 = control.count(), proc_stats(daemon.pid)[0]
        s1 = dbus.get('LastUpdateTimestamp')
        idle_rate = (c1 - c0) / args.seconds
        idle_cycles = (c1 - c0) / len(FAST)
        cpu_per_cycle = (cpu1 - cpu0) / idle_cycles if idle_cycles else float('nan')

        # (b, c) with clients
        results = []
        for n in (1, 8, 64):
            lat, device_rate = run_clients(bus.address, n, args.seconds, control)
            calls = len(lat)
            lat.sort()
            results.append((n, calls / args.seconds, lat[len(lat) // 2] * 1e3,
                            lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
                            device_rate))
        cpu, mem = proc_stats(daemon.pid)

        print()
        print('axpertd benchmark (axpert-sim classic model, pty, %d baud 8N1, PollInterval=0)' % BAUD)
        print('-' * 78)
        print('(a) fast cycle %s' % ' '.join(FAST))
        for c in FAST:
            print('      %-6s request %3d B, answer %3d B' % (c, per[c][0], per[c][1]))
        print('    wire time of those %d bytes  : %8.1f ms' % (nbytes, wire * 1e3))
        print('    achieved cycle (median of %d): %8.1f ms  (%+.1f%% vs wire)'
              % (len(deltas), cycle * 1e3, (cycle / wire - 1) * 100))
        print('(b,c) GetAll load')
        print('    %8s %12s %10s %10s %16s' % ('clients', 'GetAll/s', 'p50 ms', 'p99 ms',
                                              'device req/s'))
        print('    %8s %12s %10s %10s %16.2f' % ('0', '-', '-', '-', idle_rate))
        for n, rate, p50, p99, dev in results:
            print('    %8d %12.0f %10.2f %10.2f %16.2f' % (n, rate, p50, p99, dev))
        print('(d) daemon RSS %.2f MiB (peak %.2f MiB), of which shared library pages %.2f MiB;'
              % (mem['VmRSS'] / 1024, mem['VmHWM'] / 1024, mem['Shared_Clean'] / 1024))
        print('    private %.2f MiB, PSS %.2f MiB'
              % ((mem['Private_Clean'] + mem['Private_Dirty']) / 1024, mem['Pss'] / 1024))
        print('    CPU %.2f ms per poll cycle (%d cycles without clients; %.3f s CPU in total)'
              % (cpu_per_cycle * 1e3, idle_cycles, cpu))
        print('    cycles by LastUpdateTimestamp over the idle window: %.1f s apart on average'
              % ((s1 - s0) / 1e6 / max(1, idle_cycles)))
        figure('axpertd: fast cycle QPIGS+QMOD+QPIWS at 2400 baud', cycle * 1e3, 'ms')
        figure('axpertd: pure wire time of the same bytes', wire * 1e3, 'ms')
        figure('axpertd: cycle vs wire time', (cycle / wire - 1) * 100, '%', 'within 5 %')
        figure('axpertd: device requests/s, no clients', idle_rate, 'req/s')
        for n, rate, p50, p99, dev in results:
            figure(f'axpertd: GetAll/s with {n} concurrent clients', rate, 'calls/s')
            figure(f'axpertd: GetAll p50 / p99 latency, {n} clients', f'{p50:.2f} / {p99:.2f}',
                   'ms')
            figure(f'axpertd: device requests/s with {n} clients', dev, 'req/s',
                   'same as without')
        figure('axpertd: RSS', mem['VmRSS'] / 1024, 'MiB', '< 4 MiB')
        figure('axpertd: private memory (RSS without shared libraries)',
               (mem['Private_Clean'] + mem['Private_Dirty']) / 1024, 'MiB')
        figure('axpertd: CPU time per poll cycle', cpu_per_cycle * 1e3, 'ms')
        control.close()
        dbus.close()
    finally:
        for p in reversed(procs):
            p.stop()
        try:
            bus.stop()
        except Exception:  # noqa: BLE001
            pass
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
