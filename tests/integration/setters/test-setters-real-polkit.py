#!/usr/bin/python3
"""axpertd's setters against the real polkitd, with the project's action file and example rule.

polkitd reads actions only from /usr/share/polkit-1/actions and rules from /etc/polkit-1/rules.d.
Nothing is installed: polkitd runs in its own mount namespace (unshare -m) where a temporary
directory is bind-mounted over each. That needs root and a kernel that allows mount namespaces;
without them the test exits 77 (skipped) and says why.

This machine has no "axpert-mqtt" or "axpert" users, so the example rule is used with the user
name changed to "nobody" (the caller here), and the action owner to the user the daemon runs as.
"""
import os
import pwd
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from setterslib import testlib  # noqa: E402
import setterslib  # noqa: E402
from setterslib import DAEMON_NAME, DEVICE_PATH, IFACE, NOBODY  # noqa: E402

POLKITD = '/usr/lib/polkit-1/polkitd'
POLKIT_BUS_CONF = '/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf'
POLICY = testlib.source_path('polkit', 'org.axpert.Inverter.policy')
RULES = testlib.source_path('polkit', '50-axpert-mqtt.rules.example')
DAEMON_USER = 'daemon'  # uid 1 on Debian: an unprivileged user the daemon can run as here

ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied'
INTERACTIVE = 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'


def unavailable():
    """Why this machine cannot run the real polkitd privately, or None."""
    if os.geteuid() != 0:
        return 'needs root (bind mounts in a private mount namespace)'
    if not os.access(POLKITD, os.X_OK):
        return f'{POLKITD} missing (Debian package polkitd)'
    if not os.path.exists(POLKIT_BUS_CONF):
        return f'{POLKIT_BUS_CONF} missing'
    for user in ('polkitd', DAEMON_USER, 'nobody'):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f'user {user!r} does not exist'
    if not shutil.which('unshare') or not shutil.which('setpriv'):
        return 'unshare/setpriv missing (util-linux)'
    r = subprocess.run(['unshare', '-m', '--propagation', 'private', 'mount', '--bind', '/tmp',
                        '/tmp'], capture_output=True, text=True)
    if r.returncode != 0:
        return f'mount namespaces are not allowed here: {r.stderr.strip()}'
    return None


class RealPolkit(testlib.BusTestCase):
    policy_files = (POLKIT_BUS_CONF,)
    # The daemon runs as DAEMON_USER in one of the tests and must be able to own its name.
    bus_extra = setterslib.BUS_EXTRA + f'''
    <policy user="{DAEMON_USER}">
      <allow own="{DAEMON_NAME}"/>
    </policy>'''

    def start_polkitd(self, owner):
        actions = os.path.join(self.tmpdir, 'polkit-actions')
        rules = os.path.join(self.tmpdir, 'polkit-rules')
        os.makedirs(actions)
        os.makedirs(rules)
        with open(POLICY) as f:
            policy = f.read()
        self.assertIn('unix-user:axpert<', policy)
        with open(os.path.join(actions, 'org.axpert.Inverter.policy'), 'w') as f:
            f.write(policy.replace('unix-user:axpert<', f'unix-user:{owner}<'))
        with open(RULES) as f:
            rule = f.read()
        self.assertIn('"axpert-mqtt"', rule)
        with open(os.path.join(rules, '50-axpert-mqtt.rules'), 'w') as f:
            f.write(rule.replace('"axpert-mqtt"', '"nobody"'))
        for d in (actions, rules):
            os.chmod(d, 0o755)
            for name in os.listdir(d):
                os.chmod(os.path.join(d, name), 0o644)
        script = (f'mount --bind {actions} /usr/share/polkit-1/actions && '
                  f'mount --bind {rules} /etc/polkit-1/rules.d && exec {POLKITD} --no-debug')
        self.polkitd = self.spawn('polkitd', ['unshare', '-m', '--propagation', 'private', 'sh',
                                              '-c', script])
        conn = setterslib.connect(self.bus.address)
        testlib.wait_for(lambda: setterslib.name_has_owner(conn, 'org.freedesktop.PolicyKit1'),
                         20, what='polkitd on the private bus')

    def start(self, daemon_user=None, owner='root'):
        self.start_polkitd(owner)
        prefix = ()
        rundir = self.tmpdir
        if daemon_user:
            pw = pwd.getpwnam(daemon_user)
            prefix = setterslib.as_user(pw.pw_uid, pw.pw_gid)
            rundir = os.path.join(self.tmpdir, 'run')
            os.makedirs(rundir)
            os.chown(rundir, pw.pw_uid, pw.pw_gid)
        # The simulator runs as the daemon's user so that its pty is the daemon's to open.
        self.sim = setterslib.Sim(self, rundir=rundir, prefix=prefix)
        self.daemon = setterslib.Daemon(self, self.sim, prefix=prefix)
        self.sim.clear()

    def call(self, method, signature, args, interactive=False):
        return setterslib.call(self.env, DAEMON_NAME, DEVICE_PATH, IFACE, method, signature, args,
                               interactive=interactive, uid=NOBODY)

    def test_rule_grants_priorities_not_battery(self):
        self.start()
        self.assertEqual(self.call('SetOutputSourcePriority', 's', ['solar-first']), ('ok', []))
        self.assertEqual(self.call('SetFlag', 'sb', ['buzzer', False]), ('ok', []))
        self.assertEqual(self.call('SetMaxChargingCurrent', 'd', [40.0]), ('ok', []))
        # auth_admin, no password allowed to be asked: polkit answers "challenge".
        r = self.call('SetBatteryBulkVoltage', 'd', [57.6])
        self.assertEqual(r[:2], ('error', INTERACTIVE), r)
        r = self.call('RawCommand', 's', ['PBCV47.0'])
        self.assertEqual(r[:2], ('error', INTERACTIVE), r)
        # An inquiry is checked against raw-query, which polkitd knows from the action file:
        # outside an active session (this caller has none) it is auth_admin_keep.
        r = self.call('RawCommand', 's', ['QPIGS'])
        self.assertEqual(r[:2], ('error', INTERACTIVE), r)
        # Asking is allowed, but no authentication agent is running: denied.
        r = self.call('SetOutputFrequency', 'd', [60.0], interactive=True)
        self.assertEqual(r[:2], ('error', ACCESS_DENIED), r)
        self.assertEqual(self.sim.history(),
                         ['POP01', 'QPIRI', 'PDa', 'QFLAG', 'MCHGC040', 'QPIRI'])
        self.assertEqual(self.sim.get('BatteryBulkVoltage'), '56.4')

    def test_unprivileged_daemon_is_an_action_owner(self):
        # axpertd runs as its own user: polkitd answers it only because the action file names
        # that user as owner.
        self.start(daemon_user=DAEMON_USER, owner=DAEMON_USER)
        self.assertEqual(self.call('SetOutputSourcePriority', 's', ['sbu']), ('ok', []))
        self.assertEqual(self.sim.history(), ['POP02', 'QPIRI'])

    def test_unprivileged_daemon_without_ownership_is_refused(self):
        # The negative control: the same with an owner that is not the daemon's user.
        self.start(daemon_user=DAEMON_USER, owner='root')
        r = self.call('SetOutputSourcePriority', 's', ['sbu'])
        self.assertEqual(r[:2], ('error', ACCESS_DENIED), r)
        self.assertIn('polkit', r[2])  # polkitd refused to answer, it did not say no
        self.assertEqual(self.sim.history(), [])


if __name__ == '__main__':
    why = unavailable()
    if why:
        print(f'SKIP: the real polkitd cannot run here: {why}')
        sys.exit(77)
    testlib.main()
