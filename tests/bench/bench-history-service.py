#!/usr/bin/python3
"""Benchmark of the axpert-history process (not part of the pass/fail suite): prints figures.

The store's own figures (database size for a year, fsyncs, query times) come from
bench-history.py at full speed; this one runs the service for real — axpert-sim (day scenario,
two parallel units: the widest cycles) and axpertd at PollInterval=1 — and measures:
  - resident memory of axpert-history (VmRSS, peak VmHWM) after the run,
  - its CPU time per poll cycle (utime + stime from /proc over the cycles it recorded),
  - fsyncs per hour of axpert-history (strace -f -c -e fsync,fdatasync when strace exists).

Usage: tests/bench/bench-history-service.py [--build DIR] [--seconds N]
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

from figures import figure  # noqa: E402 (beside this script)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration'))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration', 'daemon'))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration', 'history'))


def cpu_seconds(pid):
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--seconds', type=float, default=60)
    args = ap.parse_args()
    os.environ['AXPERT_BUILD_ROOT'] = os.path.abspath(args.build)
    os.environ['AXPERT_SOURCE_ROOT'] = SRC

    import historylib

    class Bench(historylib.HistoryTestCase):
        def runTest(self):
            pass

    case = Bench()
    case.setUp()
    try:
        case.start('--units=2', '--scenario=day', '--day-length=120',
                   daemon_args=('--poll-interval=1',))
        serial = case.serial()
        case.start_history(PollInterval='1', CommitInterval='60')
        case.wait_object(serial)
        pid = case.history.pid
        strace = None
        log = os.path.join(case.tmpdir, 'strace.txt')
        if shutil.which('strace'):
            strace = subprocess.Popen(['strace', '-f', '-c', '-e', 'trace=fsync,fdatasync',
                                       '-o', log, '-p', str(pid)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        fields = ['BatteryVoltage']
        n0 = len(case.samples(serial, fields, since=0)[0])
        c0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(args.seconds)
        c1, t1 = cpu_seconds(pid), time.monotonic()
        n1 = len(case.samples(serial, fields, since=0)[0])
        fsyncs = None
        if strace:
            strace.terminate()
            strace.wait(10)
            fsyncs = 0
            for line in open(log):
                parts = line.split()
                if parts and parts[-1] in ('fsync', 'fdatasync'):
                    fsyncs += int(parts[3])  # % time, seconds, usecs/call, calls, [errors,] name
        status = open(f'/proc/{pid}/status').read()
        rss = {k: int(v.split()[0]) for k, v in (x.split(':', 1) for x in status.splitlines())
               if k in ('VmRSS', 'VmHWM')}
        n_fields = len(case.hbus.props(serial)['Fields'])
        cycles = max(n1 - n0, 1)
        per_cycle_us = (c1 - c0) / cycles * 1e6
        print(f'axpert-history on axpertd + axpert-sim (day scenario, 2 parallel units), '
              f'PollInterval=1, CommitInterval=60, {n_fields} fields per cycle')
        print(f'cycles recorded: {cycles} in {t1 - t0:.0f} s')
        print(f'CPU per poll cycle: {per_cycle_us:.0f} us (utime+stime in clock ticks of '
              f'{1e3 / os.sysconf("SC_CLK_TCK"):.0f} ms, over all cycles)')
        print(f'memory: VmRSS {rss["VmRSS"] / 1024:.2f} MiB, peak VmHWM {rss["VmHWM"] / 1024:.2f} '
              f'MiB (goal <= 12 MiB)')
        figure('axpert-history (sim, 2 units): RSS', rss['VmRSS'] / 1024, 'MiB', '<= 12 MiB')
        figure('axpert-history (sim, 2 units): CPU per poll cycle', per_cycle_us, 'us')
        if fsyncs is not None:
            per_hour = fsyncs * 3600 / (t1 - t0)
            print(f'fsyncs: {fsyncs} in {t1 - t0:.0f} s = {per_hour:.0f} per hour (goal <= 60)')
            figure('axpert-history (sim): fsyncs per hour', per_hour, '/h', '<= 60')
        else:
            print('fsyncs: not measured (strace is not installed)')
    finally:
        case.doCleanups()


if __name__ == '__main__':
    main()
