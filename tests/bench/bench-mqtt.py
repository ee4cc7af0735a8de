#!/usr/bin/python3
"""Benchmark of axpert-mqtt (not part of the pass/fail suite): prints figures.

  - publish latency from a PropertiesChanged on the bus to the state message at the broker
    (p50/p99; the signal is timestamped by a bus monitor in this process, the message by a
    subscriber on the same host),
  - messages per poll cycle (native state, units, compatible topics),
  - resident memory of axpert-mqtt (VmRSS and its peak VmHWM) after discovery and the run.

Daemon: python-dbusmock (default) with one inverter and N parallel units, or --real: axpertd
with axpert-sim (--scenario=day, so that every poll cycle changes something).

Usage: tests/bench/bench-mqtt.py [--build DIR] [--cycles N] [--units N] [--real]
"""
import argparse
import json
import os
import statistics
import sys
import threading

from figures import figure  # noqa: E402 (beside this script)
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration'))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration', 'mqtt'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--cycles', type=int, default=300)
    ap.add_argument('--units', type=int, default=2)
    ap.add_argument('--real', action='store_true')
    args = ap.parse_args()
    os.environ['AXPERT_BUILD_ROOT'] = os.path.abspath(args.build)
    os.environ['AXPERT_SOURCE_ROOT'] = SRC

    import mqttlib
    from gi.repository import Gio, GLib

    class Bench(mqttlib.EndToEndTestCase):
        def runTest(self):
            pass

    case = Bench()
    case.setUp()
    try:
        if args.real:
            case.start_sim(f'--units={max(args.units, 1)}', '--scenario=day', '--day-length=60')
            case.start_daemon(poll_interval=1)
        else:
            case.start_mock(units=args.units)
        case.start_bridge(MindFreeze={'Enabled': 'true'})
        serial = case.wait_serial()
        state_topic = f'axpert/{serial}/state'
        time.sleep(2)
        pid = case.bridge.pid

        # Timestamps of the inverter's PropertiesChanged, seen on the bus by this process.
        conn = Gio.DBusConnection.new_for_address_sync(
            case.bus.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        signals = []

        def on_signal(c, sender, path, iface, name, params):
            if params.unpack()[0] == 'org.axpert.Inverter':
                signals.append(time.monotonic())
        conn.signal_subscribe(None, 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
                              None, None, Gio.DBusSignalFlags.NONE, on_signal)
        loop = GLib.MainLoop()
        threading.Thread(target=loop.run, daemon=True).start()

        case.recorder.clear()
        start_msgs = len(case.recorder.all())
        latencies = []
        cycles = 0
        if args.real:
            deadline = time.monotonic() + args.cycles  # 1 s poll interval
            while time.monotonic() < deadline:
                time.sleep(0.5)
        else:
            inv = '/org/axpert/Inverter/0'
            for i in range(args.cycles):
                before = len(case.recorder.all(state_topic))
                v = 48.0 + (i % 50) / 10
                case.mock_update(inv, 'org.axpert.Inverter', {'BatteryVoltage': v,
                                                              'PvInputPower': 1000.0 + i})
                for u in range(args.units):
                    case.mock_update(f'{inv}/unit{u}', 'org.axpert.Inverter.Unit',
                                     {'BatteryVoltage': v})
                mqttlib.wait_for(lambda: len(case.recorder.all(state_topic)) > before, 10)
                time.sleep(0.01)
        time.sleep(1)
        loop.quit()

        # Pair each state message with the latest signal before it.
        msgs = case.recorder.all()
        states = [m[3] for m in msgs if m[0] == state_topic]
        for t in states:
            earlier = [s for s in signals if s <= t]
            if earlier:
                latencies.append((t - earlier[-1]) * 1000)
        cycles = len(states)
        total = len(msgs) - start_msgs
        by_topic = {}
        for m in msgs:
            key = m[0].replace(serial, '<serial>')
            by_topic[key] = by_topic.get(key, 0) + 1

        status = open(f'/proc/{pid}/status').read()
        rss = {k: v.strip() for k, v in (l.split(':', 1) for l in status.splitlines())
               if k in ('VmRSS', 'VmHWM')}

        print(f'daemon: {"axpertd + axpert-sim (day scenario)" if args.real else "python-dbusmock"}'
              f', parallel units: {args.units}, MindFreeze topics on, discovery on')
        print(f'poll cycles measured: {cycles}')
        if latencies:
            q = statistics.quantiles(latencies, n=100, method='inclusive')
            print(f'publish latency PropertiesChanged -> broker -> subscriber: '
                  f'p50 {q[49]:.2f} ms, p99 {q[98]:.2f} ms, max {max(latencies):.2f} ms')
        print(f'messages per cycle: {total / max(cycles, 1):.2f} '
              f'({total} messages in {cycles} cycles)')
        for topic, n in sorted(by_topic.items()):
            print(f'  {topic}: {n}')
        print(f'axpert-mqtt memory: VmRSS {rss["VmRSS"]}, peak VmHWM {rss["VmHWM"]} '
              f'(target < 8 MiB)')
        setup = 'real daemon + sim' if args.real else f'mock daemon, {args.units} units'
        if latencies:
            figure(f'axpert-mqtt ({setup}): publish latency p50 / p99',
                   f'{q[49]:.2f} / {q[98]:.2f}', 'ms')
        figure(f'axpert-mqtt ({setup}): messages per cycle', total / max(cycles, 1), 'msgs')
        figure(f'axpert-mqtt ({setup}): RSS', int(rss['VmRSS'].split()[0]) / 1024, 'MiB',
               '< 8 MiB')
    finally:
        case.doCleanups()


if __name__ == '__main__':
    main()
