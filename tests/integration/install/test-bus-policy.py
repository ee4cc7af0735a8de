#!/usr/bin/python3
"""The bus policy, loaded by a real dbus-daemon: root and axpert may own org.axpert.Inverter,
nobody else; every user may call our interfaces and the standard ones, and nothing else."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = testlib.source_path('dbus', 'org.axpert.Inverter.conf')
XML = testlib.source_path('dbus', 'org.axpert.Inverter.xml')
NAME = 'org.axpert.Inverter'
PATH = '/org/axpert/Inverter/0'
UNPRIVILEGED = 'nobody'
# As on a real system bus (dbus's system.conf): any user may connect. testlib's configuration
# lacks this, and without it dbus-daemon only admits its own uid.
ANY_USER_MAY_CONNECT = '<policy context="default"><allow user="*"/></policy>'


class BusPolicy(testlib.BusTestCase):
    policy_files = (POLICY,)
    bus_extra = ANY_USER_MAY_CONNECT

    def busctl(self, *args, user=None):
        argv = ['busctl', f'--address={self.bus.address}', '--timeout=10', *args]
        if user is not None:
            argv = ['setpriv', f'--reuid={user}', f'--regid={user_group(user)}',
                    '--clear-groups', *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30)

    def request_name(self, user=None):
        return self.busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                           'org.freedesktop.DBus', 'RequestName', 'su', NAME, '4', user=user)

    def start_owner(self):
        owner = self.spawn('name-owner', ['/usr/bin/python3', os.path.join(HERE, 'name-owner.py'),
                                          XML])
        testlib.wait_for(lambda: 'ready' in owner.output() or not owner.running(), 10,
                         what='the stand-in owner')
        self.assertIn('ready', owner.output())
        return owner

    def test_policy_loaded(self):
        # dbus-daemon refuses a configuration it cannot parse: it must be running.
        self.assertIsNone(self.bus.proc.poll(), 'dbus-daemon rejected the configuration')

    def test_root_may_own(self):
        # (testlib's bus lets root own anything; PolicyUserBlocksGrantOwn tests our root block.)
        r = self.request_name()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), 'u 1')

    def test_unprivileged_may_not_own(self):
        r = self.request_name(user=UNPRIVILEGED)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('denied', r.stderr.lower())

    def test_unprivileged_may_call_our_and_standard_interfaces(self):
        self.start_owner()
        calls = [
            ('introspect', '--xml-interface', NAME, PATH),
            ('call', NAME, PATH, 'org.freedesktop.DBus.Introspectable', 'Introspect'),
            ('get-property', NAME, PATH, 'org.axpert.Inverter', 'Online'),
            ('call', NAME, PATH, 'org.freedesktop.DBus.Properties', 'GetAll', 's',
             'org.axpert.Inverter'),
            ('call', NAME, PATH, 'org.freedesktop.DBus.Peer', 'Ping'),
        ]
        for args in calls:
            r = self.busctl(*args, user=UNPRIVILEGED)
            self.assertEqual(r.returncode, 0, f'{args}: {r.stderr}')
        r = self.busctl('get-property', NAME, PATH, 'org.axpert.Inverter', 'Online',
                        user=UNPRIVILEGED)
        self.assertEqual(r.stdout.strip(), 'b false')
        # A method of ours reaches the service (its error, not the bus's AccessDenied).
        r = self.busctl('call', NAME, PATH, 'org.axpert.Inverter', 'Refresh', user=UNPRIVILEGED)
        self.assertIn('stand-in owner', r.stderr)
        # ObjectManager and Unit: the bus lets them through; the stand-in has no such object,
        # so the service answers, not the bus.
        for iface, member in (('org.freedesktop.DBus.ObjectManager', 'GetManagedObjects'),
                              ('org.axpert.Inverter.Unit', 'Anything')):
            r = self.busctl('call', NAME, '/org/axpert/Inverter', iface, member, user=UNPRIVILEGED)
            self.assertNotIn('denied', r.stderr.lower(), f'{iface}: {r.stderr}')
            self.assertNotEqual(r.stderr, '', iface)

    def test_unprivileged_may_not_call_other_interfaces(self):
        self.start_owner()
        r = self.busctl('call', NAME, PATH, 'org.example.Other', 'Anything', user=UNPRIVILEGED)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('denied', r.stderr.lower(), r.stderr)
        # Root is not limited by the default context.
        r = self.busctl('call', NAME, PATH, 'org.example.Other', 'Anything')
        self.assertNotIn('denied', r.stderr.lower(), r.stderr)

    def test_root_owner_serves_while_unprivileged_is_refused(self):
        self.start_owner()
        r = self.request_name(user=UNPRIVILEGED)
        self.assertIn('denied', r.stderr.lower())
        r = self.busctl('status', NAME, user=UNPRIVILEGED)
        self.assertEqual(r.returncode, 0, r.stderr)


class PolicyUserBlocksGrantOwn(testlib.BusTestCase):
    """Who may own the name, block by block. The axpert user does not exist on a build machine,
    and testlib's bus lets root own any name, so each <policy user="…"> block is loaded alone
    with its user replaced by the unprivileged test user: the user gets the name only through
    that block (BusPolicy proves the user gets nothing without it)."""
    start_bus = False

    def test_blocks(self):
        root = ET.parse(POLICY).getroot()
        users = {p.get('user'): [a.get('own') for a in p.findall('allow')]
                 for p in root.findall('policy') if p.get('user')}
        self.assertEqual(users, {'axpert': [NAME], 'root': [NAME]})

    def own_with_only(self, user):
        with open(POLICY) as f:
            text = f.read()
        for other in ('axpert', 'root'):
            if other != user:
                text, n = re.subn(rf'<policy user="{other}">.*?</policy>', '', text, flags=re.S)
                self.assertEqual(n, 1)
        text, n = re.subn(rf'<policy user="{user}">', f'<policy user="{UNPRIVILEGED}">', text)
        self.assertEqual(n, 1)
        copy = os.path.join(self.tmpdir, f'policy-{user}-as-{UNPRIVILEGED}.conf')
        with open(copy, 'w') as f:
            f.write(text)
        self.bus = testlib.PrivateBus(self.tmpdir, [copy], ANY_USER_MAY_CONNECT).start()
        r = subprocess.run(['setpriv', f'--reuid={UNPRIVILEGED}',
                            f'--regid={user_group(UNPRIVILEGED)}', '--clear-groups',
                            'busctl', f'--address={self.bus.address}', 'call',
                            'org.freedesktop.DBus', '/org/freedesktop/DBus',
                            'org.freedesktop.DBus', 'RequestName', 'su', NAME, '4'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), 'u 1')

    def test_axpert_block_grants_own(self):
        self.own_with_only('axpert')

    def test_root_block_grants_own(self):
        self.own_with_only('root')


HISTORY_POLICY = testlib.source_path('dbus', 'org.axpert.History.conf')
HISTORY_NAME = 'org.axpert.History'
HISTORY = testlib.build_path('history', 'axpert-history')


class HistoryBusPolicy(testlib.BusTestCase):
    """org.axpert.History.conf (branch historyd): only axpert-history and root may own the name;
    everyone may read through our interface and the standard ones, nothing else."""
    policy_files = (HISTORY_POLICY,)
    bus_extra = ANY_USER_MAY_CONNECT

    busctl = BusPolicy.busctl

    def test_blocks(self):
        root = ET.parse(HISTORY_POLICY).getroot()
        users = {p.get('user'): [a.get('own') for a in p.findall('allow')]
                 for p in root.findall('policy') if p.get('user')}
        self.assertEqual(users, {'axpert-history': [HISTORY_NAME], 'root': [HISTORY_NAME]})

    def test_unprivileged_may_not_own(self):
        r = self.busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                        'org.freedesktop.DBus', 'RequestName', 'su', HISTORY_NAME, '4',
                        user=UNPRIVILEGED)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('denied', r.stderr.lower())

    def test_history_user_block_grants_own(self):
        with open(HISTORY_POLICY) as f:
            text = f.read()
        text, n = re.subn(r'<policy user="root">.*?</policy>', '', text, flags=re.S)
        self.assertEqual(n, 1)
        text, n = re.subn(r'<policy user="axpert-history">', f'<policy user="{UNPRIVILEGED}">',
                          text)
        self.assertEqual(n, 1)
        copy = os.path.join(self.tmpdir, 'history-policy-as-nobody.conf')
        with open(copy, 'w') as f:
            f.write(text)
        own_dir = os.path.join(self.tmpdir, 'own')
        os.mkdir(own_dir)
        bus = testlib.PrivateBus(own_dir, [copy], ANY_USER_MAY_CONNECT).start()
        self.addCleanup(bus.stop)
        r = subprocess.run(['setpriv', f'--reuid={UNPRIVILEGED}',
                            f'--regid={user_group(UNPRIVILEGED)}', '--clear-groups',
                            'busctl', f'--address={bus.address}', 'call',
                            'org.freedesktop.DBus', '/org/freedesktop/DBus',
                            'org.freedesktop.DBus', 'RequestName', 'su', HISTORY_NAME, '4'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), 'u 1')

    def test_unprivileged_may_read(self):
        if not os.path.exists(HISTORY):
            self.fail(f'{HISTORY} not built')
        db = os.path.join(self.tmpdir, 'history.db')
        conf = os.path.join(self.tmpdir, 'history.conf')
        with open(conf, 'w') as f:
            f.write('')
        p = self.spawn('axpert-history', [HISTORY, f'--config={conf}', f'--database={db}'])
        testlib.wait_for(lambda: 'Serving' in p.output() or not p.running(), 20,
                         what='axpert-history on the bus')
        for args in (('call', HISTORY_NAME, '/org/axpert/History',
                      'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects'),
                     ('call', HISTORY_NAME, '/org/axpert/History',
                      'org.freedesktop.DBus.Introspectable', 'Introspect'),
                     ('call', HISTORY_NAME, '/org/axpert/History', 'org.freedesktop.DBus.Peer',
                      'Ping')):
            r = self.busctl(*args, user=UNPRIVILEGED)
            self.assertEqual(r.returncode, 0, f'{args}: {r.stderr}')
        # Our interface reaches the service (no object there: its error, not AccessDenied).
        r = self.busctl('call', HISTORY_NAME, '/org/axpert/History/X', 'org.axpert.History',
                        'GetEnergy', 'stt', 'day', '0', '1', user=UNPRIVILEGED)
        self.assertNotIn('denied', r.stderr.lower(), r.stderr)
        self.assertNotEqual(r.stderr, '')
        r = self.busctl('call', HISTORY_NAME, '/org/axpert/History', 'org.example.Other',
                        'Anything', user=UNPRIVILEGED)
        self.assertIn('denied', r.stderr.lower(), r.stderr)


def user_group(user):
    import grp
    import pwd
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


if __name__ == '__main__':
    if os.geteuid() != 0:
        print('SKIP: needs root to run the client as another user (setpriv)')
        sys.exit(77)
    testlib.main()
