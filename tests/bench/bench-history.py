#!/usr/bin/python3
"""Benchmark of axpert-history's storage layer (not part of the pass/fail suite).

One simulated year at PollInterval=5 with 60 fields is written through the store API at full
speed by history/bench-fill (the tiers and the retention run at every commit as in the
service, on a simulated clock; CommitInterval=60). Reports (a) the database size at the end
of the year with the default tiers (raw 14 days, 1-minute 400 days, 1-hour forever), (b) the
fsyncs per hour, counted by strace on one more simulated day appended to that year's database
(each commit of the year was a real SQLite transaction, but at full speed; strace counts what
the kernel was asked to sync), (c) GetSamples of one day at 60 s for 4 fields and (d) a year of
daily energy, both through the store's query functions (median of 21, wall and CPU time),
(e) the store's CPU time per poll cycle.
The RSS of the whole axpert-history process is not measured here (it needs the service).

Usage: /usr/bin/python3 tests/bench/bench-history.py [--build=BUILDDIR] [--days=N] [--keep=DIR]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from figures import figure  # beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))


def run_fill(tool, db, args, strace_out=None):
    cmd = [tool, '--database=' + db] + args
    if strace_out:
        cmd = ['strace', '-f', '-c', '-e', 'trace=fsync,fdatasync,msync,sync_file_range',
               '-o', strace_out] + cmd
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def strace_calls(path):
    """The calls column of strace -c's table, per syscall."""
    calls = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$', line)
            if m and m.group(2) != 'total':
                calls[m.group(2)] = int(m.group(1))
    return calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(TOP, 'build', 'dev'))
    ap.add_argument('--days', type=float, default=365,
                    help='simulated days (default one year; fewer for a quick look)')
    ap.add_argument('--strace-days', type=float, default=1)
    ap.add_argument('--keep', help='leave the database in this directory')
    args = ap.parse_args()

    tool = os.path.join(args.build, 'history', 'bench-fill')
    if not os.access(tool, os.X_OK):
        sys.exit(f'{tool} not found: build first (ninja -C {args.build})')

    tmp = args.keep or tempfile.mkdtemp(prefix='axpert-bench-history.')
    os.makedirs(tmp, exist_ok=True)
    db = os.path.join(tmp, 'history.db')
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    # Europe/Berlin unless the caller set a zone: the year then has both DST changes.
    os.environ.setdefault('TZ', 'Europe/Berlin')
    try:
        t0 = time.monotonic()
        print(f'filling {args.days:g} simulated days (60 fields every 5 s) into {db} ...',
              flush=True)
        year = run_fill(tool, db, [f'--days={args.days}'])
        wall = time.monotonic() - t0

        fs = None
        if shutil.which('strace'):
            so = os.path.join(tmp, 'strace.txt')
            more = run_fill(tool, db, ['--continue', f'--days={args.strace_days}', '--no-query'],
                            strace_out=so)
            calls = strace_calls(so)
            syncs = sum(calls.values())
            fs = {'calls': calls, 'syncs': syncs, 'commits': more['commits'],
                  'hours': more['simulated_hours'],
                  'per_hour': syncs / more['simulated_hours'],
                  'per_commit': syncs / max(1, more['commits'])}
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    mb = year['db_bytes'] / 1e6
    print()
    print(f'simulated: {year["cycles"]} cycles x {year["fields"]} fields = {year["samples"]} '
          f'values, {year["commits"]} commits ({year["failed_commits"]} failed), '
          f'{wall:.0f} s wall, {year["total_cpu_s"]:.0f} s CPU')
    print(f'database after {args.days:g} days: {mb:.1f} MB (goal <= 150 MB for 365 days)')
    for name, size in year.get('tables', {}).items():
        if size >= 100000:
            print(f'    {name:<12} {size / 1e6:8.1f} MB')
    print(f'    free pages   {year.get("free_pages", 0)}')
    if fs:
        print(f'fsyncs: {fs["syncs"]} in {fs["hours"]:g} simulated hours with {fs["commits"]} '
              f'commits = {fs["per_hour"]:.2f}/h, {fs["per_commit"]:.3f}/commit '
              f'({", ".join(f"{k} {v}" for k, v in sorted(fs["calls"].items())) or "none"}; '
              f'goal <= 60/h)')
    else:
        print('fsyncs: not measured (strace is not installed)')
    print(f'GetSamples 1 day @ 60 s, 4 fields ({year["day_60s_rows"]} rows): '
          f'{year["day_60s_4_fields_ms"]:.2f} ms wall, {year["day_60s_4_fields_cpu_ms"]:.2f} ms '
          f'CPU (goal <= 20 ms)')
    print(f'GetSamples 1 week @ 300 s, 4 fields ({year["week_300s_rows"]} rows): '
          f'{year["week_300s_4_fields_ms"]:.2f} ms wall')
    print(f'GetEnergy a year of days ({year["energy_days"]} days): '
          f'{year["energy_year_days_ms"]:.3f} ms wall, {year["energy_year_days_cpu_ms"]:.3f} ms '
          f'CPU (goal <= 5 ms); today/month/year/total sums {year["energy_sums_ms"]:.3f} ms')
    print(f'store CPU per poll cycle: {year["store_cpu_us_per_cycle"]:.1f} us '
          f'(adding 60 values {year["add_samples_cpu_us_per_cycle"]:.1f}, energy '
          f'{year["add_energy_cpu_us_per_cycle"]:.1f}, commit + tiers + retention '
          f'{year["commit_cpu_us_per_cycle"]:.1f} amortised)')
    print('RSS of axpert-history: not measured here (the whole service; see its own benchmark)')

    days = f'{args.days:g} days' if args.days != 365 else '1 year'
    figure(f'axpert-history database, {days} at PollInterval=5, 60 fields', round(mb, 1), 'MB',
           '<= 150')
    if fs:
        figure('axpert-history fsyncs per hour (CommitInterval=60)', round(fs['per_hour'], 2),
               '/h', '<= 60')
    figure('axpert-history GetSamples 1 day @60 s, 4 fields (store, wall)',
           round(year['day_60s_4_fields_ms'], 2), 'ms', '<= 20')
    figure('axpert-history GetSamples 1 day @60 s, 4 fields (store, CPU)',
           round(year['day_60s_4_fields_cpu_ms'], 2), 'ms', '<= 20')
    figure('axpert-history GetEnergy 1 year of days (store)',
           round(year['energy_year_days_ms'], 3), 'ms', '<= 5')
    figure('axpert-history store CPU per poll cycle', round(year['store_cpu_us_per_cycle'], 1),
           'us', '')


if __name__ == '__main__':
    main()
