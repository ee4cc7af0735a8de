#!/usr/bin/python3
"""axpert-mqtt against a python-dbusmock daemon and a real mosquitto: native topics,
availability, following the daemon and the broker."""
import json
import math
import signal
import time

import mqttlib
from mqttlib import SERIAL, testlib

INV = '/org/axpert/Inverter/0'
UNIT0 = '/org/axpert/Inverter/0/unit0'
STATE = f'axpert/{SERIAL}/state'
AVAIL = f'axpert/{SERIAL}/availability'
BRIDGE = 'axpert/bridge/availability'


def snake(name):
    return ''.join('_' + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


class NativeTest(mqttlib.MqttTestCase):

    def test_state_has_every_property(self):
        self.start_mock()
        self.start_bridge()
        state = self.wait_online()
        import axpert_template as t
        props = t.inverter_properties(SERIAL, 1)
        self.assertEqual(set(state), {snake(k) for k in props})
        for name, value in props.items():
            got = state[snake(name)]
            if isinstance(value, float) and math.isnan(value):
                self.assertIsNone(got, name)  # NaN -> null
            elif isinstance(value, bool):
                self.assertIs(got, bool(value), name)
            elif isinstance(value, float):
                self.assertIsInstance(got, float, name)
                self.assertEqual(got, float(value), name)
            elif isinstance(value, int):
                self.assertIsInstance(got, int, name)
                self.assertEqual(got, int(value), name)
            elif isinstance(value, str):
                self.assertEqual(got, str(value), name)
            elif isinstance(value, dict):  # SettingLimits …: an object of arrays
                self.assertEqual(got, {str(k): [x if isinstance(x, str) else float(x)
                                                for x in v] for k, v in value.items()}, name)
            else:  # arrays
                self.assertEqual(got, [type(got[0])(x) for x in value] if got else [], name)
        # The timestamp is read fresh (it has no change signal), not from a stale cache.
        self.assertEqual(state['last_update_timestamp'], 1700000000123456)
        unit = self.recorder.wait_json(f'axpert/{SERIAL}/unit0/state')
        self.assertEqual(set(unit), {snake(k) for k in t.unit_properties(0, 'x')})
        self.assertEqual(unit['index'], 0)
        self.assertIsNone(unit['pv2_input_voltage'])
        self.assertEqual(unit['battery_status'], 'normal')
        # Retained, so that a late subscriber sees the last state.
        late = mqttlib.Recorder(self.broker.port, topics=(STATE, BRIDGE, AVAIL))
        self.addCleanup(late.close)
        for topic in (STATE, BRIDGE, AVAIL):
            late.wait(topic)
            self.assertTrue(late.all(topic)[0][2], topic)  # the replay on subscribing

    def test_one_state_message_per_cycle(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        time.sleep(0.5)
        self.recorder.clear()
        # One PropertiesChanged carrying several properties = one poll cycle.
        self.mock_update(INV, 'org.axpert.Inverter',
                         {'BatteryVoltage': 50.1, 'GridVoltage': 228.5, 'Mode': 'battery'})
        state = self.recorder.wait_json(STATE, lambda s: s['battery_voltage'] == 50.1)
        self.assertEqual(state['grid_voltage'], 228.5)
        self.assertEqual(state['mode'], 'battery')
        time.sleep(1.0)
        self.assertEqual(len(self.recorder.all(STATE)), 1)
        # Nothing changes -> nothing is published: no timer of its own.
        self.recorder.clear()
        time.sleep(2.0)
        self.assertEqual(self.recorder.all(STATE), [])
        # A unit's cycle publishes the unit's state.
        self.mock_update(UNIT0, 'org.axpert.Inverter.Unit', {'BatteryVoltage': 51.7})
        unit = self.recorder.wait_json(f'axpert/{SERIAL}/unit0/state',
                                       lambda s: s['battery_voltage'] == 51.7)
        self.assertEqual(unit['index'], 0)

    def test_inverter_offline(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': False})
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        self.recorder.wait_json(STATE, lambda s: s['online'] is False)
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': True})
        self.recorder.wait(AVAIL, lambda p: p == b'online')

    def test_daemon_stop_and_start(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.mock.stop()
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        self.assertEqual(self.recorder.last(BRIDGE), b'online')
        self.recorder.clear()
        self.start_mock()
        # Full republish: availability, state, discovery.
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.recorder.wait(STATE)
        self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/battery_voltage/config')
        self.assertTrue(self.bridge.running())

    def test_system_bus_lost(self):
        """The bus itself dying is not the daemon leaving: axpert-mqtt cannot follow anything
        any more, so it exits non-zero (Restart=on-failure brings it back) and the broker says
        offline, for the bridge and for the inverter."""
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.recorder.clear()
        self.bus.proc.kill()
        self.bus.proc.wait()
        testlib.wait_for(lambda: not self.bridge.running(), 20, what='axpert-mqtt to exit')
        rc = self.bridge.proc.returncode
        self.assertNotEqual(rc, 0, self.bridge.output())
        self.assertGreater(rc, 0, 'killed by a signal instead of exiting')
        out = self.bridge.output()
        self.assertIn('Lost the connection to the system bus', out)
        self.assertNotIn('Stopping.', out)
        self.recorder.wait(BRIDGE, lambda p: p == b'offline')
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        # Retained: whoever looks later sees it too.
        late = mqttlib.Recorder(self.broker.port, topics=(BRIDGE, AVAIL))
        self.addCleanup(late.close)
        self.assertEqual(late.wait(BRIDGE), b'offline')
        self.assertEqual(late.wait(AVAIL), b'offline')

    def test_bridge_clean_stop(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.assertEqual(self.bridge.stop(signal.SIGTERM), 0)
        self.recorder.wait(BRIDGE, lambda p: p == b'offline')
        self.assertNotIn('will', self.broker.process.output().lower())

    def test_bridge_killed_last_will(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.recorder.clear()
        self.bridge.stop(signal.SIGKILL)
        msg = self.recorder.wait(BRIDGE, lambda p: p == b'offline')
        self.assertEqual(msg, b'offline')
        # The will is retained.
        late = mqttlib.Recorder(self.broker.port, topics=(BRIDGE,))
        self.addCleanup(late.close)
        self.assertEqual(late.wait(BRIDGE), b'offline')
        self.assertTrue(late.all(BRIDGE)[0][2])

    def test_broker_restart(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        port = self.broker.port
        self.recorder.close()
        self.broker.stop()
        time.sleep(1)
        # Change something while the broker is away: it must arrive afterwards.
        self.mock_update(INV, 'org.axpert.Inverter', {'BatteryVoltage': 49.9})
        time.sleep(0.5)
        self.broker = mqttlib.Broker(self, port=port).start()
        self.recorder = mqttlib.Recorder(port)
        self.addCleanup(self.recorder.close)
        # No persistence: everything we see was published again by axpert-mqtt.
        self.recorder.wait(BRIDGE, lambda p: p == b'online', timeout=70)
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.recorder.wait_json(STATE, lambda s: s['battery_voltage'] == 49.9)
        self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/battery_voltage/config')
        self.assertTrue(self.bridge.running())

    def test_broker_absent_at_start(self):
        port = self.broker.port
        self.recorder.close()
        self.broker.stop()
        self.start_mock()
        self.start_bridge(config=self.write_config(MQTT={'Broker': f'tcp://127.0.0.1:{port}'}))
        time.sleep(2)
        self.assertTrue(self.bridge.running())
        self.broker = mqttlib.Broker(self, port=port).start()
        self.recorder = mqttlib.Recorder(port)
        self.addCleanup(self.recorder.close)
        self.wait_online(timeout=40)

    def cycle(self, voltage):
        """One poll cycle of the inverter (a PropertiesChanged), seen through on the state."""
        self.mock_update(INV, 'org.axpert.Inverter', {'BatteryVoltage': voltage})
        self.recorder.wait_json(STATE, lambda s: s['battery_voltage'] == voltage)

    def remove_unit(self, n):
        path = UNIT0.replace('unit0', f'unit{n}')
        # python-dbusmock's RemoveObject does not signal it; the daemon would.
        self.mock_call('/org/axpert/Inverter', 'EmitSignal', 'org.freedesktop.DBus.ObjectManager',
                       'InterfacesRemoved', 'oas', [path, ['org.axpert.Inverter.Unit']])
        self.mock_call('/org/axpert/Inverter', 'RemoveObject', path)

    def add_unit(self, n):
        import axpert_template as t
        path = UNIT0.replace('unit0', f'unit{n}')
        props = t.unit_properties(n, '9293170110%04d' % (200 + n))
        self.mock_call('/org/axpert/Inverter', 'AddObject', path, 'org.axpert.Inverter.Unit',
                       props, [])
        # Signalled explicitly, as for RemoveObject.
        import dbus
        self.mock_call('/org/axpert/Inverter', 'EmitSignal', 'org.freedesktop.DBus.ObjectManager',
                       'InterfacesAdded', 'oa{sa{sv}}', [
                           dbus.ObjectPath(path),
                           dbus.Dictionary({'org.axpert.Inverter.Unit':
                                            dbus.Dictionary(props, signature='sv')},
                                           signature='sa{sv}')])

    def emptied(self):
        """The retained configs and states emptied so far (Home Assistant deletes those),
        but for the units' totals, which are always emptied (the inverter's entities show
        them)."""
        return [m[0] for m in self.recorder.all()
                if m[1] == b'' and (m[0].endswith('/config') or '/unit' in m[0]) and
                '_total_' not in m[0]]

    def test_unit_vanishes_and_returns(self):
        """A unit that the online inverter stops reporting is removed, but only after 3 cycles
        without it (a settle time): one missed scan does not delete it in Home Assistant."""
        self.start_mock(units=2)
        self.start_bridge()
        self.wait_online()
        cfg = f'homeassistant/sensor/axpert_{SERIAL}/unit1_battery_voltage/config'
        self.recorder.wait(cfg, lambda p: len(p) > 0)
        self.recorder.wait(f'axpert/{SERIAL}/unit1/state', lambda p: len(p) > 0)
        self.remove_unit(1)
        self.cycle(50.1)
        self.cycle(50.2)
        time.sleep(0.5)
        self.assertEqual(self.emptied(), [])
        # The third cycle online without it: gone for good, its entities and state emptied.
        self.cycle(50.3)
        self.recorder.wait(cfg, lambda p: p == b'')
        self.recorder.wait(f'axpert/{SERIAL}/unit1/state', lambda p: p == b'')
        self.assertNotIn(f'homeassistant/sensor/axpert_{SERIAL}/unit0_battery_voltage/config',
                         self.emptied())
        self.recorder.clear()
        self.add_unit(1)
        self.recorder.wait(cfg, lambda p: len(p) > 0)
        unit = self.recorder.wait_json(f'axpert/{SERIAL}/unit1/state')
        self.assertEqual(unit['serial_number'], '92931701100201')

    def test_units_survive_an_outage(self):
        """The daemon drops the units when the inverter goes offline (a USB hiccup): their
        entities are unavailable, not deleted, however long the outage, and come back as they
        were; the count of cycles without a unit starts again after an outage."""
        self.start_mock(units=2)
        self.start_bridge()
        self.wait_online()
        for n in (0, 1):
            self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/unit{n}_battery_voltage/'
                               'config', lambda p: len(p) > 0)
        self.recorder.clear()
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': False, 'LastError': 'timeout'})
        self.remove_unit(0)
        self.remove_unit(1)
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        for i in range(5):  # offline cycles (LastError changes)
            self.mock_update(INV, 'org.axpert.Inverter', {'LastError': f'timeout {i}'})
            self.recorder.wait_json(STATE, lambda s, i=i: s['last_error'] == f'timeout {i}')
        # Back online with unit 0 only, first: 2 cycles, then an outage again, then 2 more.
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': True})
        self.add_unit(0)
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.cycle(50.1)
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': False})
        self.recorder.wait(AVAIL, lambda p: p == b'offline')
        self.mock_update(INV, 'org.axpert.Inverter', {'Online': True})
        self.recorder.wait(AVAIL, lambda p: p == b'online')
        self.cycle(50.2)
        self.add_unit(1)
        self.recorder.wait_json(f'axpert/{SERIAL}/unit1/state', lambda s: s is not None)
        self.cycle(50.3)
        self.cycle(50.4)
        time.sleep(0.5)
        self.assertEqual(self.emptied(), [])
        self.assertTrue(self.bridge.running())

    def test_two_inverters(self):
        self.start_mock(second='55500011122233')
        self.start_bridge(MindFreeze={'Enabled': 'true'})
        self.wait_online()
        other = self.wait_online(serial='55500011122233')
        self.assertEqual(other['battery_voltage'], 25.1)
        self.recorder.wait('power/axpert55500011122233')
        self.recorder.wait(f'power/axpert{SERIAL}')
        # A change on one inverter publishes that one only.
        time.sleep(1)  # the start-up burst (published before and after connecting) is over
        self.recorder.clear()
        self.mock_update('/org/axpert/Inverter/1', 'org.axpert.Inverter', {'BatteryVoltage': 24.0})
        self.recorder.wait_json('axpert/55500011122233/state', lambda s: s['battery_voltage'] == 24)
        time.sleep(0.5)
        self.assertEqual(self.recorder.all(STATE), [])

    def test_serial_with_topic_characters(self):
        """A serial number is data from the inverter: it must not inject topic levels or
        wildcards."""
        self.start_mock(serial='AB/+#12 x')
        self.start_bridge()
        state = self.wait_online(serial='AB___12_x')
        self.assertEqual(state['serial_number'], 'AB/+#12 x')
        self.assertFalse([t for t in self.recorder.latest() if '#' in t or '+' in t])

    def test_stop_while_broker_down(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.recorder.close()
        self.broker.stop()
        time.sleep(0.5)
        started = time.monotonic()
        self.assertEqual(self.bridge.stop(signal.SIGTERM), 0)
        self.assertLess(time.monotonic() - started, 8)

    def test_inverter_appears_later(self):
        self.start_bridge()
        self.recorder.wait(BRIDGE, lambda p: p == b'online')
        time.sleep(0.5)
        self.assertIsNone(self.recorder.last(STATE))
        self.start_mock()
        self.wait_online()


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_broker_absent_at_start', 'test_broker_restart',
                                'test_one_state_message_per_cycle'))
