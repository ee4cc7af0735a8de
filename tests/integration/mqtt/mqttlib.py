"""Helpers for axpert-mqtt's integration tests: a real mosquitto on a free loopback port, a
recording MQTT subscriber, the python-dbusmock daemon, and axpert-mqtt itself."""
import json
import math
import os
import socket
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

import testlib
from testlib import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
# A sanitized build (meson's b_sanitize): axpert-mqtt's leaks fail the test. LeakSanitizer
# reports only memory nothing points to any more, so GLib's and Paho's singletons do not count.
LEAK_CHECK = 'address' in os.environ.get('AXPERT_SANITIZE', '')
TEMPLATE = os.path.join(HERE, 'axpert_template.py')
HISTORY_TEMPLATE = os.path.join(HERE, 'history_template.py')
SERIAL = '92931701100123'


def free_port():
    """A port reserved for this process (testlib.reserve_port): no concurrent test, of this
    module or another one, is given it."""
    return testlib.reserve_port()


def port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.2):
            return True
    except OSError:
        return False


class Broker:
    """mosquitto on 127.0.0.1:port, no persistence (a restart forgets every retained message)."""

    def __init__(self, testcase, port=None, extra=''):
        self.testcase = testcase
        self.chosen = port is None  # ours to change when something else took it
        self.extra = extra
        self.port = port or free_port()
        self.process = None
        self.write_conf()

    def write_conf(self):
        self.conf = os.path.join(self.testcase.tmpdir, f'mosquitto-{self.port}.conf')
        self.default_conf = (f'listener {self.port} 127.0.0.1\nallow_anonymous true\n'
                             f'persistence false\n{self.extra}')
        with open(self.conf, 'w') as f:
            f.write(self.default_conf)

    def start(self):
        for attempt in range(5):
            self.process = self.testcase.spawn(f'mosquitto-{self.port}',
                                               ['mosquitto', '-c', self.conf])
            # Listening, and it is this mosquitto that listens (it exits when the port is
            # taken; the port is reserved against every other test).
            wait_for(lambda: not self.process.running() or port_open(self.port), 10,
                     what='mosquitto listening')
            if self.process.running():
                return self
            log = self.process.output()
            if 'Address already in use' not in log or attempt == 4:
                raise AssertionError(f'mosquitto exited:\n{log}')
            # Something outside the tests took the port in between (a client's ephemeral
            # port): another one, when the port and configuration are ours to change.
            with open(self.conf) as f:
                own = f.read() == self.default_conf
            if self.chosen and own:
                self.port = free_port()
                self.write_conf()
            else:
                time.sleep(0.5)
        return self

    def stop(self, sig=None):
        if sig is None:
            self.process.stop()
        else:
            self.process.stop(sig)
        wait_for(lambda: not port_open(self.port), 10, what='mosquitto gone')


class Recorder:
    """Subscribes to '#' and keeps every message: (topic, payload bytes, retain, time)."""

    def __init__(self, port, topics=('#',)):
        self.messages = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(client_id=f'recorder-{os.getpid()}-{time.monotonic_ns()}')
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc: [c.subscribe(t, 1) for t in topics]
        self.client.connect('127.0.0.1', port)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload, bool(msg.retain), time.monotonic()))

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    def clear(self):
        with self.lock:
            self.messages.clear()

    def all(self, topic=None):
        with self.lock:
            return [m for m in self.messages if topic is None or m[0] == topic]

    def last(self, topic):
        msgs = self.all(topic)
        return msgs[-1][1] if msgs else None

    def last_json(self, topic):
        raw = self.last(topic)
        return json.loads(raw) if raw else None

    def latest(self):
        """topic -> last payload of every topic seen."""
        out = {}
        with self.lock:
            for t, p, _, _ in self.messages:
                out[t] = p
        return out

    def wait(self, topic, predicate=lambda p: True, timeout=20):
        """Waits for a message on topic whose payload satisfies predicate; returns it."""
        def check():
            for _, p, _, _ in reversed(self.all(topic)):
                try:
                    if predicate(p):
                        return (p,)  # a tuple: an empty payload is a match too
                except (ValueError, KeyError, TypeError):
                    pass
            return None
        return wait_for(check, timeout, what=f'a matching message on {topic}')[0]

    def wait_json(self, topic, predicate=lambda j: True, timeout=20):
        return json.loads(self.wait(topic, lambda p: predicate(json.loads(p)), timeout))

    def publish(self, topic, payload, retain=False):
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish()


def same_number(a, b):
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)


class MqttTestCase(testlib.BusTestCase):
    """A private bus, a broker and a recorder per test; helpers to start the mock daemon and
    axpert-mqtt."""

    def setUp(self):
        super().setUp()
        self.broker = Broker(self).start()
        self.recorder = Recorder(self.broker.port)
        self.addCleanup(self.recorder.close)
        self.mock = None
        self.bridge = None

    # --- the daemon (python-dbusmock) ---

    def start_mock(self, **parameters):
        self.mock = self.spawn('dbusmock', ['/usr/bin/python3', '-m', 'dbusmock', '--system',
                                            '-t', TEMPLATE, '-p', json.dumps(parameters)])
        wait_for(lambda: self.bus_has_name('org.axpert.Inverter'), 10,
                 what='the mock on the bus')
        return self.mock

    def bus_has_name(self, name):
        r = subprocess.run(['busctl', '--address', self.bus.address, 'status', name],
                           capture_output=True)
        return r.returncode == 0

    def mock_call(self, path, method, *args):
        """Calls a method of python-dbusmock's control interface on object path."""
        import dbus
        bus = dbus.bus.BusConnection(self.bus.address)
        try:
            obj = bus.get_object('org.axpert.Inverter', path)
            return obj.get_dbus_method(method, 'org.freedesktop.DBus.Mock')(*args)
        finally:
            bus.close()

    def mock_update(self, path, interface, props):
        return self.mock_call(path, 'UpdateProperties', interface, props)

    def mock_update_dicts(self, path, props):
        """Like mock_update for org.axpert.Inverter, for values python-dbusmock cannot wrap
        (dictionaries such as SettingLimits): one PropertiesChanged."""
        import dbus
        bus = dbus.bus.BusConnection(self.bus.address)
        try:
            obj = bus.get_object('org.axpert.Inverter', path)
            obj.get_dbus_method('UpdateProperties', 'org.axpert.Test')(
                dbus.Dictionary(props, signature='sv'))
        finally:
            bus.close()

    # --- axpert-history (python-dbusmock of org.axpert.History) ---

    def start_history(self, serials=(SERIAL,), offset=0.0):
        """Serves org.axpert.History (history_template.py) for serials; returns the process."""
        params = {'xml': testlib.source_path('dbus', 'org.axpert.History.xml'),
                  'serials': list(serials), 'offset': offset}
        self.history = self.spawn('dbusmock-history',
                                  ['/usr/bin/python3', '-m', 'dbusmock', '--system', '-t',
                                   HISTORY_TEMPLATE, '-p', json.dumps(params)])
        wait_for(lambda: self.bus_has_name('org.axpert.History'), 10,
                 what='the History mock on the bus')
        return self.history

    def stop_history(self):
        self.history.stop()
        wait_for(lambda: not self.bus_has_name('org.axpert.History'), 10,
                 what='the History mock gone')

    def history_call(self, path, interface, method, *args):
        import dbus
        bus = dbus.bus.BusConnection(self.bus.address)
        try:
            obj = bus.get_object('org.axpert.History', path)
            return obj.get_dbus_method(method, interface)(*args)
        finally:
            bus.close()

    def history_update(self, serial, props):
        """New values on /org/axpert/History/<serial>: one PropertiesChanged, as the real
        service sends (at most) once a minute."""
        import dbus
        return self.history_call(f'/org/axpert/History/{serial}', 'org.freedesktop.DBus.Mock',
                                 'UpdateProperties', 'org.axpert.History',
                                 dbus.Dictionary(props, signature='sv'))

    # --- axpert-mqtt ---

    def write_config(self, text=None, **groups):
        """Writes a config file: text verbatim, or groups {'MQTT': {...}, ...} with the broker's
        address filled in."""
        path = os.path.join(self.tmpdir, 'mqtt.conf')
        if text is None:
            mqtt_group = {'Broker': f'tcp://127.0.0.1:{self.broker.port}',
                          'ClientId': 'axpert-mqtt-test'}
            mqtt_group.update(groups.pop('MQTT', {}))
            groups = {'MQTT': mqtt_group, **groups}
            text = ''.join(f'[{g}]\n' + ''.join(f'{k}={v}\n' for k, v in kv.items())
                           for g, kv in groups.items())
        with open(path, 'w') as f:
            f.write(text)
        return path

    def start_bridge(self, config=None, env=None, **groups):
        config = config or self.write_config(**groups)
        env = dict(env if env is not None else self.env)
        if LEAK_CHECK:
            env['ASAN_OPTIONS'] = 'detect_leaks=1:abort_on_error=1'
        self.bridge = self.spawn('axpert-mqtt',
                                 [testlib.build_path('mqtt', 'axpert-mqtt'), '--config', config],
                                 env=env)
        if LEAK_CHECK:
            self.addCleanup(self.check_no_leaks, self.bridge)
        return self.bridge

    def check_no_leaks(self, process):
        """Stops process (if the test did not) and fails on what LeakSanitizer reported."""
        process.stop()
        out = process.output()
        if 'LeakSanitizer' in out:
            self.fail(f'{process.name} leaked memory:\n{out[out.index("LeakSanitizer"):]}')

    def wait_online(self, serial=SERIAL, timeout=20):
        self.recorder.wait('axpert/bridge/availability', lambda p: p == b'online', timeout)
        self.recorder.wait(f'axpert/{serial}/availability', lambda p: p == b'online', timeout)
        return self.recorder.wait_json(f'axpert/{serial}/state', timeout=timeout)


class EndToEndTestCase(MqttTestCase):
    """The real axpertd on the private bus, attached to axpert-sim over a pty."""

    def start_sim(self, *args):
        self.link = os.path.join(self.tmpdir, 'ttyAXPERT')
        self.control_path = os.path.join(self.tmpdir, 'sim-control.sock')
        self.sim = self.spawn('axpert-sim', [testlib.build_path('sim', 'axpert-sim'),
                                             f'--pty={self.link}', '--baud=0',
                                             f'--control={self.control_path}', *args])
        wait_for(lambda: 'ready\n' in self.sim.output() or not self.sim.running(), 10,
                 what='axpert-sim ready')
        assert self.sim.running(), self.sim.output()
        return self.sim

    def start_daemon(self, poll_interval=1, settings_interval=None):
        """axpertd on the simulator; settings_interval: seconds between its polls of the
        settings (QPIRI and the like; the daemon's default is a minute)."""
        argv = [testlib.build_path('daemon', 'axpertd'), f'--device=serial:{self.link}',
                f'--poll-interval={poll_interval}']
        if settings_interval is not None:
            conf = os.path.join(self.tmpdir, 'axpertd.conf')
            with open(conf, 'w') as f:
                f.write(f'[Daemon]\nSettingsInterval={settings_interval}\n')
            argv.append(f'--config={conf}')
        self.daemon = self.spawn('axpertd', argv)
        wait_for(lambda: self.bus_has_name('org.axpert.Inverter'), 15,
                 what='axpertd on the bus')
        return self.daemon

    def control(self, line):
        """One sim control command; returns its answer lines without the final 'ok'."""
        return testlib.sim_control(self.control_path, line)

    def sim_get(self, name, unit=None):
        prefix = f'unit {unit} ' if unit is not None else ''
        out = self.control(f'{prefix}get {name}')
        key, _, value = out[0].partition('=')
        assert key == name, out
        return value

    def wait_serial(self, timeout=20):
        """The serial number the daemon reports, once its state reached the broker."""
        def find():
            for topic, payload in self.recorder.latest().items():
                parts = topic.split('/')
                if len(parts) == 3 and parts[0] == 'axpert' and parts[2] == 'state' and payload:
                    return parts[1]
            return None
        return wait_for(find, timeout, what='a state topic')
