#!/usr/bin/python3
"""Soak: hostile faults mixed at random, and at every sample what axpertd shows is the truth.

For a bounded time (SOAK_SECONDS, default 50 per transport) the simulator is made to misbehave
in random ways — late answers, a trickling line, half-answered cycles, NAKed and silent single
commands, stale bytes, garbage, bad CRCs, unplug/replug, a wedge, the process stopped — while
the test changes its live values now and then. Every ~0.25 s the daemon's properties are read
(GetAll), and:

- while Online is true, every identity property, every setting and every status field equals
  the simulator's state: identity and settings exactly (they never change here), the fields
  the test changes equal a value the simulator had at some time during the last complete cycle
  (LastUpdateTimestamp minus the longest a cycle can take, up to now) — so neither an answer
  taken for another command's nor an old value from before an outage can pass;
- while Online is false, the live values are cleared (NaN), never stale numbers.

At the end every fault is cleared; the daemon must come back by itself and match the simulator
exactly. SOAK_SEED picks another random sequence (the seed is printed).
"""
import math
import os
import random
import signal
import sys
import time

import daemonlib
import testlib

PATH = daemonlib.ROOT + '/0'
SOAK_SECONDS = float(os.environ.get('SOAK_SECONDS', '50'))
SEED = int(os.environ.get('SOAK_SEED', '17'))
# The longest a complete cycle can take from its first request to its end: five status and
# settings requests, each with its retry at the link's deadline and guard time, generously.
CYCLE_MAX = 30.0
SAMPLE_EVERY = 0.25

IDENTITY = ('ProtocolId', 'SerialNumber', 'FirmwareVersion', 'FirmwareVersion2', 'ModelName',
            'ChargingCurrentOptions', 'AcChargingCurrentOptions')
# Fields the test changes while it runs, with a generator of distinct values.
MUTATED = {
    'BatteryVoltage': lambda k: f'{48 + (k % 90) * 0.1:.2f}',
    'AcOutputActivePower': lambda k: f'{100 + (k * 37) % 4000}',
    'GridVoltage': lambda k: f'{220 + (k % 20):.1f}',
    'Mode': lambda k: ('line', 'battery')[k % 2],
}
# Cleared to NaN while offline (DBUS-API.md: offline values are "not reported").
LIVE = ('BatteryVoltage', 'AcOutputActivePower', 'GridVoltage', 'PvInputVoltage')
# Properties the daemon computes itself, or that the simulator reports in another form.
DERIVED = {'Online', 'LastUpdateTimestamp', 'LastError', 'DevicePath', 'Transport', 'HasPv2',
           'PvInputPower', 'Warnings', 'Faults', 'ParallelUnits', 'TotalAcOutputActivePower',
           'TotalAcOutputApparentPower', 'TotalAcOutputLoadPercent', 'TotalChargingCurrent'}

# (name, how long it is held in seconds (min, max)).
FAULTS = [
    ('late', (2, 8)), ('trickle', (2, 8)), ('half', (2, 6)), ('stale', (2, 6)),
    ('garbage', (1, 5)), ('bad-crc', (1, 5)), ('silence', (2, 20)), ('echo', (1, 4)),
    ('nak', (1, 4)), ('wedge', (2, 8)), ('unplug', (1, 20)), ('stop', (3, 12)),
    ('late-1100', (2, 8)), ('nak-next QPIGS', (2, 4)), ('nak-next QPI', (2, 4)),
    ('nak-next QID', (2, 4)), ('silence-next QMOD 2', (2, 4)), ('nak-next QMCHGCR', (2, 4)),
    ('silence-next QVFW 2', (2, 4)),
] + [('none', (3, 10))] * 4  # time to come back, so the online samples are many


def close(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) < 1e-6
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


class SoakMixin:
    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        self.stopped = False
        self.history = {}  # name -> [(monotonic time it became current, simulator text)]
        self.epoch = 0

    # -- the simulator --------------------------------------------------------------------

    def sim_dump(self):
        return dict(line.split('=', 1) for line in self.control.command('dump'))

    def record(self, since):
        """Reads the simulator's whole state; fields that changed became current after since."""
        dump = self.sim_dump()
        for name, text in dump.items():
            changes = self.history.setdefault(name, [])
            if not changes or changes[-1][1] != text:
                changes.append((since, text))
        return dump

    def mutate(self):
        self.epoch += 1
        t = time.monotonic()
        for name, gen in MUTATED.items():
            self.control.set(name, gen(self.epoch))
        # What else the model derives from them (status bits follow the mode) is tracked too.
        self.truth = self.record(t)

    def start_fault(self, name):
        ctl = self.control
        if name == 'stop':
            self.sim.signal(signal.SIGSTOP)
            self.stopped = True
        elif name == 'unplug':
            ctl.command('unplug')
        elif name == 'late-1100':
            ctl.command('late-time 1100')
            ctl.fault('late')
        elif name.startswith(('nak-next', 'silence-next')):
            ctl.command(name)
        else:
            ctl.fault(name)

    def end_fault(self, name):
        ctl = self.control
        if name == 'stop':
            self.sim.signal(signal.SIGCONT)
            self.stopped = False
        elif name in ('unplug', 'wedge'):
            ctl.command('replug')
        if name == 'late-1100':
            ctl.command('late-time 1500')
        if name == 'wedge':
            ctl.fault('none')
        # Now and then the next fault starts straight away on top of what is left.
        if self.rng.random() < 0.8:
            ctl.fault('none')
            ctl.command('next clear')

    # -- the checks -------------------------------------------------------------------------

    def allowed(self, name, since):
        """Simulator texts of name current at any time from `since` (monotonic) until now."""
        changes = self.history[name]
        out = set()
        for i, (t, text) in enumerate(changes):
            until = changes[i + 1][0] if i + 1 < len(changes) else math.inf
            if until >= since:
                out.add(text)
        return out

    def check_sample(self, props, truth, stats):
        name = 'Online'
        if not props[name]:
            stats['offline'] += 1
            for n in LIVE:
                self.assertTrue(math.isnan(props[n]),
                                f'offline but {n}={props[n]!r} (stale value shown)')
            return
        stats['online'] += 1
        now_real = time.time()
        age = now_real - props['LastUpdateTimestamp'] / 1e6
        since = time.monotonic() - age - CYCLE_MAX
        where = f'(Online, LastError={props["LastError"]!r}, update {age:.1f} s old)'
        for n in IDENTITY:
            expected = daemonlib.sim_text_to_python(truth[n], props[n])
            self.assertTrue(close(props[n], expected),
                            f'{n}={props[n]!r}, the simulator says {truth[n]!r} {where}')
        for n, value in props.items():
            if n in DERIVED or n in IDENTITY or n not in truth:
                continue
            texts = self.allowed(n, since)
            candidates = [daemonlib.sim_text_to_python(t, value) for t in texts]
            if None in candidates:
                continue  # a string the simulator does not report: not comparable
            self.assertTrue(any(close(value, c) for c in candidates),
                            f'{n}={value!r}, the simulator had only {sorted(texts)} during '
                            f'the last cycle {where}')
        self.assertEqual(props['Warnings'], [], where)
        self.assertEqual(props['Faults'], [], where)

    # -- the run ----------------------------------------------------------------------------

    def test_soak(self):
        self.start(daemon_args=('--poll-interval=0.5',))
        self.truth = self.record(0.0)
        print(f'soak: seed {SEED}, {SOAK_SECONDS:.0f} s, transport {self.transport}',
              file=sys.stderr)

        stats = {'online': 0, 'offline': 0, 'faults': 0}
        end = time.monotonic() + SOAK_SECONDS
        fault, fault_end = None, 0.0
        next_mutation = time.monotonic() + 1.0
        log = []
        while time.monotonic() < end:
            now = time.monotonic()
            if fault is None or now >= fault_end:
                if fault is not None:
                    self.end_fault(fault)
                fault, (lo, hi) = self.rng.choice(FAULTS)
                fault_end = now + self.rng.uniform(lo, hi)
                log.append(f'{now - end + SOAK_SECONDS:6.1f} s {fault}')
                self.start_fault(fault)
                stats['faults'] += 1
            if now >= next_mutation and not self.stopped:
                self.mutate()
                next_mutation = now + self.rng.uniform(1.0, 4.0)
            self.assertTrue(self.daemon.running(), 'axpertd exited')
            props = self.dbus.get_all()
            if os.environ.get('SOAK_TRACE'):
                print(f'{now - end + SOAK_SECONDS:6.1f} {fault:22} online={props["Online"]!s:5} '
                      f'{props["LastError"]}', file=sys.stderr)
            try:
                self.check_sample(props, self.truth, stats)
            except AssertionError:
                print('faults so far:\n  ' + '\n  '.join(log), file=sys.stderr)
                raise
            time.sleep(SAMPLE_EVERY)
        if fault is not None:
            self.end_fault(fault)

        # Healed: everything cleared, the daemon comes back by itself and matches exactly.
        self.control.fault('none')
        self.control.command('next clear')
        settled_at = time.time()
        self.wait_online(timeout=60)
        testlib.wait_for(lambda: self.dbus.get('LastUpdateTimestamp') / 1e6 > settled_at + 5,
                         60, 0.2, what='a complete cycle after the faults')
        final = self.dbus.get_all()
        truth = self.sim_dump()
        self.assertTrue(final['Online'])
        for n in IDENTITY + tuple(MUTATED):
            expected = daemonlib.sim_text_to_python(truth[n], final[n])
            self.assertTrue(close(final[n], expected), f'after the soak {n}={final[n]!r}, '
                                                       f'the simulator says {truth[n]!r}')
        self.assertEqual(final['LastError'], '')
        print(f'soak: {stats["faults"]} faults, {stats["online"]} samples online, '
              f'{stats["offline"]} offline', file=sys.stderr)
        # The run must have tested something: the daemon was online for part of it (a count, not
        # a speed: on a loaded machine fewer samples are taken, so the bar is low).
        self.assertGreater(stats['online'], 8, stats)


class SoakSerial(SoakMixin, daemonlib.DaemonTestCase):
    transport = 'pty'


class SoakReports(SoakMixin, daemonlib.DaemonTestCase):
    transport = 'seqpacket'


if __name__ == '__main__':
    testlib.main(jobs=2)
