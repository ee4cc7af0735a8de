#!/usr/bin/python3
"""daemon/polkit.c against python-dbusmock's polkitd, through a one-method test service.

The service (polkit-test-server) guards Guarded(s action) with polkit_verify() and counts how
often the guarded part ran, so each test can tell "allowed" from "denied" on the service's side
too, not only from the reply."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from setterslib import testlib  # noqa: E402
import setterslib  # noqa: E402

NAME = 'org.axpert.PolkitTest'
PATH = '/org/axpert/PolkitTest'
SERVER = testlib.build_path('tests', 'integration', 'setters', 'polkit-test-server')
PRIORITIES = 'org.axpert.Inverter.set-priorities'
BATTERY = 'org.axpert.Inverter.set-battery'


class PolkitAsyncTests:
    """The tests every polkit mock must pass (mixed into the concrete classes below)."""
    bus_extra = f'''<policy context="default">
      <allow send_destination="{NAME}"/>
    </policy>'''
    def setUp(self):
        super().setUp()
        self.polkit = setterslib.PolkitMock(self, self.template)
        self.conn = setterslib.connect(self.bus.address)
        self.server = self.spawn('server', [SERVER])
        testlib.wait_for(lambda: setterslib.name_has_owner(self.conn, NAME), 10,
                         what='the test service')

    def guarded(self, action, uid=setterslib.NOBODY, interactive=False, timeout=30):
        return setterslib.call(self.env, NAME, PATH, NAME, 'Guarded', 's', [action],
                               interactive=interactive, uid=uid, timeout=timeout)

    def stats(self):
        r = setterslib.call(self.env, NAME, PATH, NAME, 'Stats')
        self.assertEqual(r[0], 'ok', r)
        allowed, dispatched, pending = r[1]
        return {'allowed': allowed, 'dispatched': dispatched, 'pending': pending}

    def test_denied(self):
        self.polkit.set_allowed([])
        r = self.guarded(PRIORITIES)
        self.assertEqual(r[0], 'error')
        self.assertEqual(r[1], 'org.freedesktop.DBus.Error.AccessDenied')
        self.assertEqual(self.stats()['allowed'], 0)
        # One polkit question, about the caller's bus name, without interaction.
        checks = self.polkit.checks()
        self.assertEqual(len(checks), 1)
        kind, name, action, flags = checks[0]
        self.assertEqual((kind, action, flags), ('system-bus-name', PRIORITIES, 0))
        self.assertTrue(name.startswith(':'), name)

    def test_allowed_returns_the_callers_uid(self):
        self.polkit.set_allowed([PRIORITIES])
        self.assertEqual(self.guarded(PRIORITIES), ('ok', [setterslib.NOBODY]))
        s = self.stats()
        self.assertEqual(s['allowed'], 1)
        # The handler ran twice: once to ask, once with the answer.
        self.assertEqual(s['dispatched'], 2)
        self.assertEqual(s['pending'], 0)

    def test_only_the_granted_action(self):
        self.polkit.set_allowed([PRIORITIES])
        self.assertEqual(self.guarded(PRIORITIES)[0], 'ok')
        r = self.guarded(BATTERY)
        self.assertEqual(r[1], 'org.freedesktop.DBus.Error.AccessDenied')
        self.assertEqual(self.stats()['allowed'], 1)

    def test_root_needs_no_polkit(self):
        self.polkit.set_allowed([])
        self.assertEqual(self.guarded(BATTERY, uid=None), ('ok', [0]))
        self.assertEqual(self.polkit.checks(), [])

    def test_polkit_absent_means_denied(self):
        self.polkit.proc.stop()
        testlib.wait_for(lambda: not setterslib.name_has_owner(self.conn,
                                                               'org.freedesktop.PolicyKit1'), 10)
        r = self.guarded(PRIORITIES)
        self.assertEqual(r[1], 'org.freedesktop.DBus.Error.AccessDenied')
        self.assertIn('polkit', r[2])
        self.assertEqual(self.stats()['allowed'], 0)
        self.assertTrue(self.server.running())

    def test_loop_not_blocked_while_polkit_thinks(self):
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        waiting = subprocess.Popen(setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's',
                                                        [PRIORITIES], uid=setterslib.NOBODY),
                                   env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(self.polkit.have_hanging, 10, what='the check to reach polkit')
        # The service keeps answering others while one caller waits for polkit.
        s = self.stats()
        self.assertEqual((s['allowed'], s['pending']), (0, 1))
        self.assertEqual(self.guarded(BATTERY, uid=None), ('ok', [0]))
        self.polkit.hang(False)
        self.polkit.release()
        out, _ = waiting.communicate(timeout=30)
        self.assertIn('"result": [65534]', out)
        self.assertEqual(self.stats()['allowed'], 2)

    def test_caller_disappears_while_waiting(self):
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        caller = subprocess.Popen(setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's',
                                                       [PRIORITIES], uid=setterslib.NOBODY),
                                  env=self.env, stdout=subprocess.DEVNULL)
        testlib.wait_for(self.polkit.have_hanging, 10, what='the check to reach polkit')
        self.assertEqual(self.stats()['pending'], 1)
        caller.kill()  # setpriv exec()s, so this is the caller itself
        caller.wait()
        # The caller is gone: its query is dropped …
        testlib.wait_for(lambda: self.stats()['pending'] == 0, 10,
                         what='the vanished caller to be forgotten')
        # … and polkit's late "yes" does nothing.
        self.polkit.hang(False)
        self.polkit.release()
        time.sleep(0.3)
        self.assertEqual(self.stats()['allowed'], 0)
        self.assertTrue(self.server.running())
        self.assertEqual(self.guarded(PRIORITIES), ('ok', [setterslib.NOBODY]))

    def test_caller_gone_before_it_is_identified(self):
        self.polkit.set_allowed([PRIORITIES])
        argv = setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's', [PRIORITIES],
                                    uid=setterslib.NOBODY)
        argv.insert(argv.index(setterslib.CALL_PY) + 1, '--no-wait')
        for _ in range(5):
            r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
        # Whether the driver still knew them or not, nothing is left waiting, and nobody who
        # could not be identified got through.
        testlib.wait_for(lambda: self.stats()['pending'] == 0, 10, what='no pending queries')
        for kind, name, action, flags in self.polkit.checks():
            self.assertEqual(kind, 'system-bus-name')
        self.assertTrue(self.server.running())
        self.assertEqual(self.guarded(PRIORITIES), ('ok', [setterslib.NOBODY]))

    def test_waiting_callers_are_capped(self):
        # Any local user can call: the number of callers waiting for polkit is bounded (64), the
        # rest are told to come back later, and nothing is allowed by the overflow. Two callers
        # with 40 calls each stay below dbus-daemon's per-connection limits.
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        argv = setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's', [PRIORITIES],
                                    uid=setterslib.NOBODY, timeout=60)
        argv.insert(argv.index(setterslib.CALL_PY) + 1, '--repeat=40')
        callers = [subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE, text=True)
                   for _ in range(2)]
        testlib.wait_for(lambda: self.stats()['dispatched'] >= 80, 30, what='80 calls')
        self.assertEqual(self.stats()['pending'], 64)
        self.polkit.hang(False)
        self.polkit.release()
        answers = []
        for c in callers:
            out, _ = c.communicate(timeout=60)
            answers += json.loads(out)['answers']
        ok = [a for a in answers if 'result' in a]
        refused = [a for a in answers if a.get('error') ==
                   'org.freedesktop.DBus.Error.LimitsExceeded']
        self.assertEqual((len(ok), len(refused)), (64, 16), answers)
        self.assertIn('Too many callers', refused[0]['message'])
        self.assertEqual(self.stats(), {'allowed': 64, 'dispatched': 80 + 64, 'pending': 0})

    def test_burst_of_callers(self):
        self.polkit.set_allowed([PRIORITIES])
        procs = [subprocess.Popen(setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's',
                                                       [PRIORITIES if i % 2 else BATTERY],
                                                       uid=setterslib.NOBODY),
                                  env=self.env, stdout=subprocess.PIPE, text=True)
                 for i in range(20)]
        outs = [p.communicate(timeout=60)[0] for p in procs]
        ok = [o for o in outs if '"result"' in o]
        denied = [o for o in outs if 'AccessDenied' in o]
        self.assertEqual((len(ok), len(denied)), (10, 10), outs)
        s = self.stats()
        self.assertEqual((s['allowed'], s['pending']), (10, 0))
        self.assertEqual(self.server.stop(), 0)


class PolkitAsyncStockTemplate(PolkitAsyncTests, testlib.BusTestCase):
    """Against python-dbusmock's stock polkitd template."""
    template = 'polkitd'


class PolkitAsyncChallenge(PolkitAsyncTests, testlib.BusTestCase):
    """Against the template extended with auth_admin-like challenges."""
    template = setterslib.POLKIT_TEMPLATE

    def test_challenge_without_interaction(self):
        self.polkit.set_challenge([BATTERY])
        r = self.guarded(BATTERY, interactive=False)
        self.assertEqual(r[1], 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired')
        self.assertEqual(self.stats()['allowed'], 0)

    def test_challenge_with_interaction(self):
        self.polkit.set_challenge([BATTERY])
        self.assertEqual(self.guarded(BATTERY, interactive=True), ('ok', [setterslib.NOBODY]))
        # The message's flag became CheckAuthorization's AllowUserInteraction.
        self.assertEqual([c[3] for c in self.polkit.checks()], [1])


if __name__ == '__main__':
    testlib.main()
