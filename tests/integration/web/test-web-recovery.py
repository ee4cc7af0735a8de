#!/usr/bin/python3
"""axpert-web when things fail: the inverter offline (values null, online false, never stale
numbers as live), the daemon going away (503, the event stream says so and stays open) and
coming back (recovery by itself, the same stream resumes with the full state)."""
import testlib
import weblib

CONFIG = '[Web]\nKeepAliveSec=1\n'


class WebRecoveryTest(weblib.WebMixin, weblib.DaemonTestCase):
    def stream(self, **kwargs):
        ev = weblib.EventStream(self.web_port, **kwargs)
        self.addCleanup(ev.close)
        return ev

    def test_daemon_restart_and_offline(self):
        self.start(daemon_args=('--poll-interval=0.3',))
        self.start_web(config=CONFIG)
        serial = self.serial()
        ev = self.stream()
        ev.wait_event(lambda e, d: e == 'state', what='state')

        # The inverter goes silent: the daemon says offline, values become null, never old.
        self.control.fault('silence')
        ev.wait_event(lambda e, d: e == 'change' and d['changes'].get('online') is False, 30,
                      what='online false')
        state = self.get_json(f'/api/v1/inverters/{serial}')
        self.assertIs(state['online'], False)
        self.assertIsNone(state['battery_voltage'])
        st = self.get_json('/cmds?cmd=status')['status']
        self.assertIsNone(st['batt_volt'])
        self.assertIsNone(st['pv_watts'])
        self.assertIs(self.get_json('/api/v1/inverters')[0]['online'], False)
        self.assertNotIn('axpert_battery_voltage', self.request('/metrics').body.decode())
        self.control.fault('none')
        ev.wait_event(lambda e, d: e == 'change' and d['changes'].get('online') is True, 30,
                      what='online again')

        # The daemon goes away: 503, the stream says so and stays open.
        self.daemon.stop()
        ev.wait_event(lambda e, d: e == 'daemon' and d == {'present': False}, 20,
                      what='daemon gone')
        self.assert_error('/api/v1/inverters', 503, contains='org.axpert.Inverter')
        self.assert_error(f'/api/v1/inverters/{serial}', 503)
        self.assert_error('/cmds?cmd=status', 503)
        # … and comes back: the same stream resumes with the full state.
        self.start_daemon('--poll-interval=0.3')
        self.wait_online()
        _, data = ev.wait_event(lambda e, d: e == 'state', 30, what='state after restart')
        self.assertEqual(data['serial'], serial)
        self.assertEqual(self.get_json('/api/v1/inverters')[0]['serial'], serial)
        self.control.set('BatteryVoltage', '51.1')
        ev.wait_event(lambda e, d: e == 'change' and
                      d['changes'].get('battery_voltage') == 51.1, 15, what='change after restart')


if __name__ == '__main__':
    testlib.main()
