#!/usr/bin/python3
"""axpert-web's event stream: the full state on connect, a change within one poll cycle (changed
keys only), keep-alive comments, a stuck client dropped while others go on."""
import random
import threading
import time

import daemonlib

import testlib
import weblib

CONFIG = '[Web]\nKeepAliveSec=1\nEventBufferSize=4096\nIdleTimeoutSec=30\n'
# Settable simulator fields that are numbers in the native state.
NUMBERS = ['GridVoltage', 'AcOutputVoltage', 'AcOutputApparentPower', 'AcOutputActivePower',
           'BusVoltage', 'BatteryVoltage', 'BatteryChargingCurrent', 'BatteryCapacity',
           'HeatsinkTemperature', 'PvInputCurrent', 'PvInputVoltage', 'BatteryVoltageFromScc',
           'BatteryDischargeCurrent']


class WebEventsTest(weblib.WebMixin, weblib.DaemonTestCase):
    def stream(self, **kwargs):
        ev = weblib.EventStream(self.web_port, **kwargs)
        self.addCleanup(ev.close)
        return ev

    def test_state_then_changes_and_keepalive(self):
        self.start(daemon_args=('--poll-interval=0.3',))
        self.start_web(config=CONFIG)
        ev = self.stream()
        self.assertIn('text/event-stream', ev.read_headers())
        self.assertEqual(ev.next_event(), ('daemon', {'present': True}))
        name, data = ev.next_event()
        self.assertEqual(name, 'state')
        self.assertEqual(data['serial'], self.serial())
        full = self.get_json(f'/api/v1/inverters/{self.serial()}')
        self.assertEqual(set(data['state']), set(full))

        self.control.set('BatteryVoltage', '49.7')
        start = time.monotonic()
        _, data = ev.wait_event(lambda e, d: e == 'change' and
                                d['changes'].get('battery_voltage') == 49.7, 10,
                                what='battery_voltage change')
        # Within about one poll cycle (0.3 s); generous for a loaded machine, no timing assert.
        self.assertLess(time.monotonic() - start, 10)
        # Only what changed: identity and settings are not repeated.
        self.assertNotIn('serial_number', data['changes'])
        self.assertNotIn('setting_limits', data['changes'])
        # Keep-alive comments keep coming on a quiet stream.
        deadline = time.monotonic() + 15
        while ev.comments < 2 and time.monotonic() < deadline:
            try:
                ev.next_event(1)
            except TimeoutError:
                pass
        self.assertGreaterEqual(ev.comments, 2)

    def test_stuck_client_dropped_others_served(self):
        self.start(daemon_args=('--poll-interval=0.1',))
        self.start_web(config=CONFIG)
        stuck = self.stream(rcvbuf=4096)
        good = self.stream()
        good.wait_event(lambda e, d: e == 'state', what='state')

        def dropped():
            text = self.request('/metrics').body.decode()
            return 'axpert_web_event_clients_dropped_total 1\n' in text
        # Many changed keys per cycle, from several control connections at once: the stuck
        # client's backlog grows quickly.
        stop = threading.Event()

        def change(names):
            ctl = daemonlib.Control(self.control_path).connect()
            try:
                while not stop.is_set():
                    for name in names:
                        try:
                            ctl.set(name, f'{random.uniform(10, 99):.1f}')
                        except RuntimeError:
                            pass
            finally:
                ctl.close()
        threads = [threading.Thread(target=change, args=(NUMBERS[i::3],)) for i in range(3)]
        for t in threads:
            t.start()
        try:
            deadline = time.monotonic() + 30
            next_check = 0
            while True:
                if time.monotonic() > next_check:
                    if dropped():
                        break
                    next_check = time.monotonic() + 0.5
                self.assertLess(time.monotonic(), deadline, 'the stuck client was never dropped')
                # The good client reads all the while.
                try:
                    while True:
                        good.next_event(0.05)
                except TimeoutError:
                    pass
        finally:
            stop.set()
            for t in threads:
                t.join()
        # The good one still gets every change.
        self.control.set('BatteryVoltage', '50.3')
        good.wait_event(lambda e, d: e == 'change' and
                        d['changes'].get('battery_voltage') == 50.3, 15, what='change after drop')
        # The stuck one finds its stream closed once it reads what the kernel held.
        with self.assertRaises((EOFError, ConnectionResetError)):
            while True:
                stuck.next_event(10)
        self.assertIn('axpert_web_event_clients 1\n', self.request('/metrics').body.decode())


if __name__ == '__main__':
    testlib.main()
