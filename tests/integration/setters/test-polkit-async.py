#!/usr/bin/python3
"""daemon/polkit.c against python-dbusmock's polkitd, through a one-method test service.

The service (polkit-test-server) guards Guarded(s action) with polkit_verify() and counts how
often the guarded part ran, so each test can tell "allowed" from "denied" on the service's side
too, not only from the reply."""
import json
import os
import pwd
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
# A second unprivileged user, besides nobody (dbus-daemon refuses uids without a passwd entry).
OTHER_UID = pwd.getpwnam('daemon').pw_uid


class PolkitAsyncTests:
    """The tests every polkit mock must pass (mixed into the concrete classes below)."""
    bus_extra = f'''<policy context="default">
      <allow send_destination="{NAME}"/>
    </policy>'''
    def setUp(self):
        super().setUp()
        self.polkit = setterslib.PolkitMock(self, self.template)
        self.conn = setterslib.connect(self.bus.address)
        self.start_server()

    def start_server(self, *args):
        self.server = self.spawn('server', [SERVER, *args])
        testlib.wait_for(lambda: setterslib.name_has_owner(self.conn, NAME), 10,
                         what='the test service')

    def restart_server_with_deadline(self, seconds):
        """The test service again, with a short authorization deadline (the daemon's are 25 s,
        and 120 s for a check that may ask for a password)."""
        self.assertEqual(self.server.stop(), 0)
        testlib.wait_for(lambda: not setterslib.name_has_owner(self.conn, NAME), 10,
                         what='the old test service to go')
        self.start_server(f'--timeout={seconds}')

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

    def hanging_callers(self, n, uid=setterslib.NOBODY, action=PRIORITIES, interactive=True):
        """n calls from one connection of uid that polkit (told to hang) does not answer."""
        argv = setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's', [action], uid=uid,
                                    interactive=interactive, timeout=120)
        argv.insert(argv.index(setterslib.CALL_PY) + 1, f'--repeat={n}')
        return subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE, text=True)

    def test_waiting_callers_are_capped_per_user(self):
        # Any local user can call: the number of one user's callers waiting for polkit is
        # bounded (32), the rest are told to come back later, and nothing is allowed by the
        # overflow. Two connections of the same user with 40 calls each stay below
        # dbus-daemon's per-connection limits, and count together.
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        callers = [self.hanging_callers(40, interactive=False) for _ in range(2)]
        testlib.wait_for(lambda: self.stats()['dispatched'] >= 80, 30, what='80 calls')
        testlib.wait_for(lambda: self.stats()['pending'] == 32, 30, what='32 pending checks')
        self.polkit.hang(False)
        self.polkit.release()
        answers = []
        for c in callers:
            out, _ = c.communicate(timeout=60)
            answers += json.loads(out)['answers']
        ok = [a for a in answers if 'result' in a]
        refused = [a for a in answers if a.get('error') ==
                   'org.freedesktop.DBus.Error.LimitsExceeded']
        self.assertEqual((len(ok), len(refused)), (32, 48), answers)
        self.assertIn('Too many calls of uid 65534', refused[0]['message'])
        self.assertEqual(self.stats(), {'allowed': 32, 'dispatched': 80 + 80, 'pending': 0})

    def test_one_user_cannot_lock_out_root_or_other_users(self):
        # Issue 17.3: 70 hanging interactive calls of nobody used to fill the one global cap,
        # and root (who needs no polkit) and every other user got LimitsExceeded.
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        flood = self.hanging_callers(70)
        testlib.wait_for(lambda: self.stats()['dispatched'] >= 70, 30, what='70 calls')
        testlib.wait_for(lambda: self.stats()['pending'] == 32, 30, what='32 pending checks')
        # root is let through at once, polkit or not.
        self.assertEqual(self.guarded(PRIORITIES, uid=None), ('ok', [0]))
        # Another user is not refused: its check reaches polkit, and polkit's answer counts.
        n_checks = len(self.polkit.checks())
        other = subprocess.Popen(setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's',
                                                      [PRIORITIES], uid=OTHER_UID),
                                 env=self.env, stdout=subprocess.PIPE, text=True)
        testlib.wait_for(lambda: len(self.polkit.checks()) == n_checks + 1, 30,
                         what="the other user's check to reach polkit")
        self.assertEqual(self.stats()['pending'], 33)
        self.polkit.hang(False)
        self.polkit.release()
        out, _ = other.communicate(timeout=60)
        self.assertEqual(json.loads(out), {'result': [OTHER_UID]})
        answers = json.loads(flood.communicate(timeout=60)[0])['answers']
        self.assertEqual(len([a for a in answers if 'result' in a]), 32, answers)
        self.assertEqual(self.stats()['pending'], 0)

    def test_a_check_that_never_ends_is_given_up(self):
        # polkit (or the agent asking for a password) does not answer: the daemon stops
        # waiting after its deadline (2 s for this test service), says so, and forgets it.
        self.restart_server_with_deadline(2)
        self.polkit.set_allowed([PRIORITIES])
        self.polkit.hang(True)
        for interactive in (False, True):
            r = self.guarded(PRIORITIES, interactive=interactive, timeout=60)
            self.assertEqual(r[0:2], ('error', 'org.freedesktop.DBus.Error.AccessDenied'), r)
            self.assertIn('no answer from polkit within 2 s', r[2])
            self.assertEqual(self.stats(), {'allowed': 0, 'dispatched': 2 * (2 if interactive
                                                                            else 1),
                                            'pending': 0})
        # Each check carried its own cancellation id.
        ids = self.polkit.cancellation_ids()
        self.assertEqual(len(ids), 2)
        self.assertTrue(all(ids) and ids[0] != ids[1], ids)
        # polkit's very late "yes" changes nothing.
        self.polkit.hang(False)
        self.polkit.release()
        time.sleep(0.3)
        self.assertEqual(self.stats()['allowed'], 0)
        self.assertTrue(self.server.running())

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

    def test_given_up_check_is_cancelled(self):
        # After the deadline polkit is told to stop (it would keep an agent's password dialog
        # open otherwise), with the cancellation id of that check.
        self.restart_server_with_deadline(2)
        self.polkit.set_challenge([BATTERY])
        self.polkit.hang(True)
        r = self.guarded(BATTERY, interactive=True, timeout=60)
        self.assertIn('no answer from polkit', r[2])
        ids = self.polkit.cancellation_ids()
        testlib.wait_for(lambda: self.polkit.cancels() == ids, 10,
                         what='CancelCheckAuthorization')
        self.assertFalse(self.polkit.have_hanging())

    def test_vanished_callers_check_is_cancelled(self):
        self.polkit.set_challenge([BATTERY])
        self.polkit.hang(True)
        caller = subprocess.Popen(setterslib.call_argv(NAME, PATH, NAME, 'Guarded', 's',
                                                       [BATTERY], uid=setterslib.NOBODY,
                                                       interactive=True),
                                  env=self.env, stdout=subprocess.DEVNULL)
        testlib.wait_for(self.polkit.have_hanging, 10, what='the check to reach polkit')
        caller.kill()
        caller.wait()
        ids = self.polkit.cancellation_ids()
        testlib.wait_for(lambda: self.polkit.cancels() == ids, 10,
                         what='CancelCheckAuthorization')
        self.assertFalse(self.polkit.have_hanging())
        self.assertEqual(self.stats()['pending'], 0)


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_a_check_that_never_ends_is_given_up',))
