#!/usr/bin/python3
"""Command topics: each command calls the daemon's setter; the outcome (ok or the D-Bus error
name) is published on <prefix>/<serial>/set/result; malformed payloads never crash."""
import json
import signal
import time

import mqttlib
from mqttlib import SERIAL, testlib

SET = f'axpert/{SERIAL}/set'
RESULT = f'{SET}/result'
STATE = f'axpert/{SERIAL}/state'
INV = '/org/axpert/Inverter/0'


class CommandsTest(mqttlib.MqttTestCase):

    def start(self, **mock):
        self.start_mock(**mock)
        self.start_bridge(Commands={'Enabled': 'true'})
        self.wait_online()
        # The subscription is in place once the broker has it; a probe shows it.
        self.recorder.publish(f'{SET}/no_such_setting', b'1')
        self.recorder.wait(RESULT)
        self.recorder.clear()

    def command(self, setting, payload):
        """Sends a command, returns its result."""
        self.recorder.clear()
        self.recorder.publish(f'{SET}/{setting}', payload)
        return self.recorder.wait_json(RESULT, lambda r: r['setting'] == setting)

    def test_allowed(self):
        self.start()
        r = self.command('output_source_priority', b'sbu')
        self.assertEqual(r, {'setting': 'output_source_priority', 'value': 'sbu',
                             'result': 'ok', 'message': ''})
        self.recorder.wait_json(STATE, lambda s: s['output_source_priority'] == 'sbu')
        r = self.command('max_charging_current', b'40')
        self.assertEqual((r['result'], r['value']), ('ok', 40.0))
        self.recorder.wait_json(STATE, lambda s: s['max_charging_current'] == 40.0)
        r = self.command('battery_float_voltage', b'53.5')
        self.assertEqual((r['result'], r['value']), ('ok', 53.5))
        r = self.command('flag/buzzer', b'ON')
        self.assertEqual((r['result'], r['value']), ('ok', True))
        self.recorder.wait_json(STATE, lambda s: s['buzzer_enabled'] is True)
        r = self.command('flag/buzzer', b'off')
        self.assertEqual((r['result'], r['value']), ('ok', False))
        r = self.command('charger_source_priority', b'solar-only')
        self.assertEqual(r['result'], 'ok')
        r = self.command('output_frequency', b'60')
        self.assertEqual(r['result'], 'ok')
        # Results are events: not retained.
        late = mqttlib.Recorder(self.broker.port, topics=(RESULT,))
        self.addCleanup(late.close)
        time.sleep(0.5)
        self.assertEqual(late.all(RESULT), [])

    def test_daemon_validation(self):
        self.start()
        r = self.command('max_charging_current', b'55')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.InvalidArgs')
        self.assertIn('55', r['message'])
        r = self.command('output_source_priority', b'moon-first')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.InvalidArgs')
        self.assertEqual(r['value'], 'moon-first')

    def test_denied(self):
        self.start(deny=True)
        r = self.command('output_source_priority', b'sbu')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.AccessDenied')
        self.assertTrue(r['message'])
        time.sleep(0.3)
        states = [json.loads(m[1]) for m in self.recorder.all(STATE)]
        self.assertFalse([s for s in states if s['output_source_priority'] != 'solar-first'])

    def test_malformed(self):
        self.start()
        cases = [
            ('max_charging_current', b'abc', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('max_charging_current', b'40A', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('max_charging_current', b'nan', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('max_charging_current', b'', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('max_charging_current', b'\xff\xfe', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('max_charging_current', b'4\x000', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('max_charging_current', b'9' * 5000, 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('flag/buzzer', b'maybe', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('flag/no-such-flag', b'ON', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('no_such_setting', b'1', 'org.freedesktop.DBus.Error.InvalidArgs'),
            ('output_source_priority', b'{"json": true}', 'org.freedesktop.DBus.Error.InvalidArgs'),
        ]
        for setting, payload, result in cases:
            r = self.command(setting, payload)
            self.assertEqual(r['result'], result, (setting, payload))
            self.assertTrue(r['message'], (setting, payload))
        # Numbers are plain decimals: nothing else is guessed at, nothing reaches the daemon.
        for payload in (b'0x28', b'4e1', b' 40 ', b'40\n', b'+40', b'-40', b'40.', b'.5',
                        b'inf', b'nan', b'1e999', b'4,0', b'\xd9\xa4\xd9\xa0'):
            r = self.command('max_charging_current', payload)
            self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.InvalidArgs', payload)
            self.assertEqual(r['value'], payload.decode(), payload)
            self.assertIn('not a plain decimal number', r['message'], payload)
        self.assertEqual(self.setter_calls('SetMaxChargingCurrent'), 0)
        self.assertEqual(self.setter_calls('SetBatteryFloatVoltage'), 0)
        # Unknown inverter.
        self.recorder.clear()
        self.recorder.publish('axpert/000000/set/output_source_priority', b'sbu')
        r = self.recorder.wait_json('axpert/000000/set/result')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.UnknownObject')
        # Still alive and still working.
        self.assertTrue(self.bridge.running())
        self.assertEqual(self.command('output_source_priority', b'sbu')['result'], 'ok')

    def setter_calls(self, method):
        return len(self.mock_call(INV, 'GetMethodCalls', method))

    def test_retained_command_not_replayed(self):
        """A retained command is executed when it arrives, but the broker's retained copy,
        handed out again on every (re)subscription, is not executed again."""
        self.start()
        self.recorder.publish(f'{SET}/output_source_priority', b'sbu', retain=True)
        r = self.recorder.wait_json(RESULT, lambda r: r['setting'] == 'output_source_priority')
        self.assertEqual((r['result'], r['value']), ('ok', 'sbu'))
        self.assertEqual(self.setter_calls('SetOutputSourcePriority'), 1)
        # An administrator changes it on the inverter directly.
        import dbus
        bus = dbus.bus.BusConnection(self.bus.address)
        bus.get_object('org.axpert.Inverter', INV).SetOutputSourcePriority(
            'utility-first', dbus_interface='org.axpert.Inverter')
        bus.close()
        self.recorder.wait_json(STATE, lambda s: s['output_source_priority'] == 'utility-first')
        self.assertEqual(self.setter_calls('SetOutputSourcePriority'), 2)

        # axpert-mqtt restarts and subscribes again: the broker hands out the retained copy.
        self.assertEqual(self.bridge.stop(), 0)
        self.recorder.clear()
        self.start_bridge(Commands={'Enabled': 'true'})
        self.wait_online()
        r = self.recorder.wait_json(RESULT, lambda r: r['setting'] == 'output_source_priority')
        self.assertEqual(r, {'setting': 'output_source_priority', 'value': 'sbu',
                             'result': 'retained', 'message': 'retained command ignored'})
        self.assertEqual(self.bridge.output().count('Retained message on command topic'), 1)

        # A broker reconnect subscribes again: ignored again, but logged only once per topic.
        # (A client with the bridge's id takes its session over; the bridge reconnects.)
        import paho.mqtt.client as mqtt
        self.recorder.clear()
        thief = mqtt.Client(client_id='axpert-mqtt-test')
        thief.connect('127.0.0.1', self.broker.port)
        thief.loop(1)
        thief.disconnect()
        r = self.recorder.wait_json(RESULT, lambda r: r['setting'] == 'output_source_priority',
                                    timeout=40)
        self.assertEqual(r['result'], 'retained')
        self.assertEqual(self.bridge.output().count('Retained message on command topic'), 1)
        self.assertEqual(self.setter_calls('SetOutputSourcePriority'), 2)
        # The state published after the reconnect still shows the administrator's value (the
        # retained result may arrive before the first state message: wait for one).
        self.assertEqual(self.recorder.wait_json(STATE)['output_source_priority'],
                         'utility-first')

        # A command sent without the retain flag still works.
        self.assertEqual(self.command('output_source_priority', b'solar-first')['result'], 'ok')
        self.assertEqual(self.setter_calls('SetOutputSourcePriority'), 3)
        # Clearing the retained message (an empty retained publish) is no command either.
        self.recorder.publish(f'{SET}/output_source_priority', b'', retain=True)
        r = self.recorder.wait_json(RESULT, lambda r: r['value'] == '')
        self.assertEqual(r['result'], 'org.freedesktop.DBus.Error.InvalidArgs')
        self.assertEqual(self.setter_calls('SetOutputSourcePriority'), 3)

    def test_flood(self):
        """Hundreds of commands at once: every one gets its result, nothing is lost or crashes."""
        self.start()
        n = 300
        for i in range(n):
            payload = b'sbu' if i % 3 == 0 else (b'x%d' % i)
            self.recorder.client.publish(f'{SET}/output_source_priority', payload, qos=1)
        testlib.wait_for(lambda: len(self.recorder.all(RESULT)) >= n, 60, what='all results')
        results = [json.loads(m[1]) for m in self.recorder.all(RESULT)]
        self.assertEqual(len(results), n)
        # One at a time to the daemon: no bus or daemon limit is hit, each is validated there.
        self.assertEqual(sum(r['result'] == 'ok' for r in results), 100)
        self.assertEqual(sum(r['result'] == 'org.freedesktop.DBus.Error.InvalidArgs'
                             for r in results), 200)
        self.assertTrue(self.bridge.running())

    def test_stop_with_command_unanswered(self):
        """A command still waiting for the daemon's reply when axpert-mqtt stops is dropped,
        with those queued behind it: the stop is not held up, the exit status is 0, the log
        names the command that had no reply, and no result is made up for any of them."""
        self.start()
        self.mock.signal(signal.SIGSTOP)  # the daemon hangs: no reply comes
        self.addCleanup(self.mock.signal, signal.SIGCONT)
        for payload in (b'sbu', b'solar-first', b'utility-first'):
            self.recorder.publish(f'{SET}/output_source_priority', payload)
        testlib.wait_for(
            lambda: self.bridge.output().count('Command output_source_priority = ') == 3, 20,
            what='the three commands received')
        started = time.monotonic()
        self.assertEqual(self.bridge.stop(), 0)
        self.assertLess(time.monotonic() - started, 8)
        self.assertIn(f'Stopping: command output_source_priority on {SERIAL} has no reply yet '
                      'and 2 more are waiting', self.bridge.output())
        self.recorder.wait('axpert/bridge/availability', lambda p: p == b'offline')
        self.assertEqual(self.recorder.all(RESULT), [])
        # Only the first was sent; the daemon, running again, gets no other.
        self.mock.signal(signal.SIGCONT)
        self.assertEqual(self.setter_calls('SetOutputSourcePriority'), 1)

    def test_disabled_by_default(self):
        self.start_mock()
        self.start_bridge()
        self.wait_online()
        self.recorder.publish(f'{SET}/output_source_priority', b'sbu')
        time.sleep(1.5)
        self.assertEqual(self.recorder.all(RESULT), [])
        self.assertEqual(self.recorder.last_json(STATE)['output_source_priority'], 'solar-first')


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_allowed',))
