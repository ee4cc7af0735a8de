#!/usr/bin/python3
"""The packages' life on a booted Debian 12 (the system test bed's guest, tests/vm/: systemd as
PID 1, the real system bus, udev): `dpkg -i` installs every file of ARCHITECTURE.md "Files
installed" with its owner and mode, creates the users, starts axpertd on the system bus as user
axpert (and the history, the publisher, the web socket); an upgrade to a rebuilt newer version
keeps the edited configuration and restarts the running daemon, the bus name gone only while the
unit restarts; `dpkg -r` keeps the configuration and the state; `dpkg -P` removes everything,
/var/lib/axpert* included, and leaves the users locked (Debian's practice: never deleted)."""
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import debs  # noqa: E402

sys.path.append(os.path.join(debs.SOURCE_ROOT, 'tests', 'vm'))
try:
    import vmlib  # noqa: E402
except ImportError:
    vmlib = None

NEXT = debs.VERSION + '+1'
USERS = ['axpert', 'axpert-mqtt', 'axpert-history', 'axpert-web']
UNITS = ['axpertd.service', 'axpert-mqtt.service', 'axpert-history.service',
         'axpert-web.socket', 'axpert-web.service']
STATE = ['/etc/axpert', '/var/lib/axpert', '/var/lib/axpert-history']
# Removal order: the clients before the package they depend on.
REMOVE = 'axpert-web axpert-history axpert-mqtt axpert-sim axpert'

SCRIPT = r'''
V1=@V1@
V2=@V2@
OUT=/vm/out
export DEBIAN_FRONTEND=noninteractive
# man-db's trigger would rebuild its index on every dpkg run (slow in an emulated guest).
rm -f /var/lib/man-db/auto-update
# The host may be a container image whose policy-rc.d forbids starting services; the guest is
# a booted machine, where maintainer scripts start them.
rm -f /usr/sbin/policy-rc.d

debs() { ls "$1"/*_"$2"_*.deb | grep -v -- -dbgsym_; }
wait_active() {
	timeout 180 sh -c "until systemctl is-active -q $1; do sleep 0.5; done" && return 0
	systemctl status --no-pager "$1" || true
	return 1
}
prop() {
	busctl --system get-property org.freedesktop.systemd1 \
		/org/freedesktop/systemd1/unit/axpertd_2eservice org.freedesktop.systemd1.Unit "$1" |
		cut -d' ' -f2
}
snapshot() {
	p=$1
	while read -r f; do
		if [ -e "$f" ] || [ -L "$f" ]; then stat -c '%n %U %G %a %F' "$f"; fi
	done <$OUT/paths >$OUT/$p.files
	for d in @STATE@; do
		if [ -e "$d" ]; then stat -c '%n %U %G %a %F' "$d"; fi
	done >$OUT/$p.dirs
	find /etc/axpert -mindepth 1 2>/dev/null >$OUT/$p.etc || true
	for u in @USERS@; do
		getent passwd "$u" || true
		getent shadow "$u" || true
	done >$OUT/$p.users
	getent group axpert >>$OUT/$p.users || true
	for u in @UNITS@; do
		enabled=$(systemctl is-enabled "$u" 2>/dev/null) || true
		active=$(systemctl is-active "$u" 2>/dev/null) || true
		echo "$u ${enabled:-none} ${active:-none}"
	done >$OUT/$p.units
	find /etc/systemd/system -name 'axpert*' ! -name 'axpert-vm*' >$OUT/$p.links 2>/dev/null ||
		true
	busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
		GetNameOwner s org.axpert.Inverter >$OUT/$p.owner 2>&1 || true
	dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' 'axpert*' \
		>$OUT/$p.dpkg 2>/dev/null || true
	grep -h -e '^# edited by the lifecycle test' -e '^PollInterval=' \
		/etc/axpert/axpertd.conf /etc/axpert/mqtt.conf >$OUT/$p.edits 2>/dev/null || true
}

echo "== install $V1"
dpkg -i $(debs "$V1" @VERSION@) </dev/null
wait_active axpertd.service
wait_active axpert-history.service
wait_active axpert-web.socket
# The socket starts the web server at the first request.
curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 http://127.0.0.1:8889/api/v1/inverters \
	>$OUT/installed.http || true
ps -o user= -p "$(systemctl show -p MainPID --value axpertd.service)" >$OUT/installed.daemon-user
busctl --system tree --list org.axpert.Inverter >$OUT/installed.tree 2>&1 || true
snapshot installed

echo "== edit the configuration"
printf '\n# edited by the lifecycle test\nPollInterval=7\n' >>/etc/axpert/axpertd.conf
printf '\n# edited by the lifecycle test\n' >>/etc/axpert/mqtt.conf
systemctl restart axpertd.service
wait_active axpertd.service

echo "== upgrade to $V2 while axpertd runs"
systemctl show -p MainPID --value axpertd.service >$OUT/upgrade.pid-before
dbus-monitor --system "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.axpert.Inverter'" \
	>$OUT/upgrade.monitor 2>&1 &
monitor=$!
sleep 2
dpkg -i $(debs "$V2" @NEXT@) </dev/null
wait_active axpertd.service
sleep 1
kill "$monitor"
systemctl show -p MainPID --value axpertd.service >$OUT/upgrade.pid-after
for t in ActiveExitTimestamp InactiveEnterTimestamp ActiveEnterTimestamp; do
	echo "$t $(prop $t)"
done >$OUT/upgrade.times
ls /var/lib/axpert-history >$OUT/upgraded.history 2>&1 || true
snapshot upgraded

echo "== remove"
dpkg -r @REMOVE@ </dev/null
snapshot removed

echo "== purge"
dpkg -P @REMOVE@ </dev/null
snapshot purged
echo "== done"
'''


def lines(result, name):
    return [x.strip() for x in result.read(name).splitlines() if x.strip()]


def stats(result, name):
    """{path: (user, group, mode, type)} from a snapshot's stat lines."""
    out = {}
    for line in lines(result, name):
        path, user, group, mode, kind = line.split(' ', 4)
        out[path] = (user, group, int(mode, 8), kind)
    return out


def users(result, name):
    out = {}
    for line in lines(result, name):
        fields = line.split(':')
        if len(fields) == 7:
            out.setdefault(fields[0], {})['passwd'] = fields
        elif len(fields) == 9:
            out.setdefault(fields[0], {})['shadow'] = fields
        elif len(fields) == 4:
            out.setdefault('group:' + fields[0], {})['group'] = fields
    return out


def units(result, name):
    out = {}
    for line in lines(result, name):
        unit, enabled, active = (line.split() + ['', ''])[:3]
        out[unit] = (enabled, active)
    return out


def name_changes(text):
    """[(time, old, new)] of NameOwnerChanged for org.axpert.Inverter in dbus-monitor's text."""
    changes = []
    blocks = re.split(r'\n(?=signal )', text)
    for block in blocks:
        m = re.match(r'signal time=([0-9.]+) .*member=NameOwnerChanged', block)
        if not m:
            continue
        args = re.findall(r'string "([^"]*)"', block)
        if len(args) == 3 and args[0] == 'org.axpert.Inverter':
            changes.append((float(m.group(1)), args[1], args[2]))
    return changes


class Lifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = debs.skip_reason()
        if not reason and vmlib is None:
            reason = 'tests/vm/vmlib.py (the system test bed) is not in this tree'
        if not reason:
            reason = vmlib.skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        rc, output, cls.v1 = debs.build()
        if rc != 0:
            raise AssertionError('tools/package.sh failed:\n' + output[-6000:])
        rc, output, cls.v2 = debs.build(version=NEXT, name='deb-next')
        if rc != 0:
            raise AssertionError(f'tools/package.sh --version={NEXT} failed:\n' + output[-6000:])
        kernel = vmlib.ensure_kernel(log=lambda msg: print(msg, flush=True))
        cls.workdir = tempfile.mkdtemp(prefix='axpert-package-vm-')
        guest = vmlib.Guest(kernel, cls.workdir)
        with open(os.path.join(guest.out_dir, 'paths'), 'w') as f:
            f.write(''.join(p + '\n' for p in sorted(debs.EXPECTED)))
        script = SCRIPT
        for key, value in (('@V1@', cls.v1), ('@V2@', cls.v2), ('@VERSION@', debs.VERSION),
                           ('@NEXT@', NEXT), ('@STATE@', ' '.join(STATE)),
                           ('@USERS@', ' '.join(USERS)), ('@UNITS@', ' '.join(UNITS)),
                           ('@REMOVE@', REMOVE)):
            script = script.replace(key, value)
        cls.result = guest.run(script, timeout=int(os.environ.get('AXPERT_VM_TIMEOUT', '1500')))
        print(f'guest: boot {cls.result.boot_seconds}s, scenario '
              f'{cls.result.scenario_seconds}s, wall {cls.result.wall_seconds:.1f}s', flush=True)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'workdir', None):
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        r = self.result
        self.assertFalse(r.timed_out, 'the guest timed out\n' + r.serial_tail())
        qemu = os.path.join(self.workdir, 'qemu.log')
        qemu = open(qemu, errors='replace').read()[-2000:] if os.path.exists(qemu) else ''
        self.assertEqual(r.rc, 0, 'the scenario failed:\n' + r.read('scenario.log')[-6000:] +
                         '\n--- journal\n' + r.journal_tail(60) +
                         '\n--- serial\n' + r.serial_tail(30) + '\n--- qemu\n' + qemu)

    # ---- installed ----
    def test_installed_files_owner_mode(self):
        got = stats(self.result, 'installed.files')
        for path, (_pkg, mode) in debs.EXPECTED.items():
            with self.subTest(path=path):
                self.assertIn(path, got, 'not installed')
                user, group, got_mode, kind = got[path]
                self.assertEqual(kind, 'regular file')
                if path == '/etc/axpert/mqtt.conf':
                    # It may hold the broker password: the service's group only (tmpfiles.d).
                    self.assertEqual((user, group, oct(got_mode)), ('root', 'axpert-mqtt',
                                                                    oct(0o640)))
                else:
                    self.assertEqual((user, group, oct(got_mode)), ('root', 'root', oct(mode)))

    def test_installed_users_and_state(self):
        u = users(self.result, 'installed.users')
        for name in USERS:
            self.assertIn(name, u, f'user {name} missing')
            passwd = u[name]['passwd']
            self.assertLess(int(passwd[2]), 1000, f'{name} is not a system user')
            self.assertEqual(passwd[6], '/usr/sbin/nologin', name)
            self.assertEqual(u[name]['shadow'][7], '', f'{name} expires')
        self.assertIn('group:axpert', u)
        dirs = stats(self.result, 'installed.dirs')
        self.assertEqual(dirs['/var/lib/axpert'][:3], ('axpert', 'axpert', 0o750))
        self.assertEqual(dirs['/var/lib/axpert-history'][:2],
                         ('axpert-history', 'axpert-history'))

    def test_installed_services_run(self):
        got = units(self.result, 'installed.units')
        for unit in ('axpertd.service', 'axpert-history.service', 'axpert-mqtt.service',
                     'axpert-web.socket'):
            self.assertEqual(got[unit][0], 'enabled', unit)
        for unit in ('axpertd.service', 'axpert-history.service', 'axpert-web.socket'):
            self.assertEqual(got[unit][1], 'active', unit)
        # The socket's unit, started by the request, not enabled itself.
        self.assertEqual(got['axpert-web.service'], ('disabled', 'active'))
        self.assertEqual(lines(self.result, 'installed.http'), ['200'])
        # axpertd serves on the real system bus, as user axpert.
        self.assertRegex(self.result.read('installed.owner'), r'^s ":1\.\d+"')
        self.assertEqual(lines(self.result, 'installed.daemon-user'), ['axpert'])
        self.assertIn('/org/axpert/Inverter', lines(self.result, 'installed.tree'))
        self.assertEqual(sorted(lines(self.result, 'installed.dpkg')),
                         sorted(f'{p} {debs.VERSION} ii' for p in debs.PACKAGES))

    # ---- upgraded ----
    def test_upgrade_keeps_configuration(self):
        self.assertEqual(sorted(lines(self.result, 'upgraded.dpkg')),
                         sorted(f'{p} {NEXT} ii' for p in debs.PACKAGES))
        self.assertEqual(lines(self.result, 'upgraded.edits'),
                         ['# edited by the lifecycle test', 'PollInterval=7',
                          '# edited by the lifecycle test'])
        # No conffile prompt happened and nothing was set aside.
        self.assertEqual([p for p in lines(self.result, 'upgraded.etc') if '.dpkg-' in p], [])
        got = stats(self.result, 'upgraded.files')
        self.assertEqual(got['/etc/axpert/mqtt.conf'][:3], ('root', 'axpert-mqtt', 0o640))
        # The recorder's database survived.
        self.assertIn('history.db', lines(self.result, 'upgraded.history'))

    def test_upgrade_restarts_daemon_bus_name_gone_only_for_the_restart(self):
        before = lines(self.result, 'upgrade.pid-before')
        after = lines(self.result, 'upgrade.pid-after')
        self.assertNotEqual(before, after, 'axpertd was not restarted by the upgrade')
        self.assertEqual(units(self.result, 'upgraded.units')['axpertd.service'][1], 'active')
        changes = name_changes(self.result.read('upgrade.monitor'))
        self.assertEqual([(old != '', new != '') for _, old, new in changes],
                         [(True, False), (False, True)],
                         'one loss and one return of org.axpert.Inverter: '
                         + self.result.read('upgrade.monitor')[-3000:])
        lost, back = changes[0][0], changes[1][0]
        times = dict(line.split() for line in lines(self.result, 'upgrade.times'))
        stop = int(times['ActiveExitTimestamp']) / 1e6
        active = int(times['ActiveEnterTimestamp']) / 1e6
        print(f'upgrade: bus name gone {back - lost:.3f}s; unit restart (stop begun to '
              f'active) {active - stop:.3f}s')
        # The name went away only once the unit was being stopped, and it was back when
        # systemd saw the new daemon active (dbus-monitor's clock may read the same signal a
        # little after systemd: 0.5 s of slack).
        self.assertGreaterEqual(lost, stop - 0.5)
        self.assertLessEqual(back, active + 0.5)

    # ---- removed ----
    def test_remove_keeps_configuration_and_state(self):
        got = stats(self.result, 'removed.files')
        conffiles = set(debs.CONFFILES)
        self.assertEqual(sorted(set(got) - conffiles), [], 'left after dpkg -r')
        self.assertEqual(sorted(conffiles - set(got)), [], 'configuration removed by dpkg -r')
        self.assertEqual(lines(self.result, 'removed.edits'),
                         ['# edited by the lifecycle test', 'PollInterval=7',
                          '# edited by the lifecycle test'])
        dirs = stats(self.result, 'removed.dirs')
        self.assertEqual(sorted(dirs), sorted(STATE))
        self.assertEqual(self.result.read('removed.owner').count(':1.'), 0,
                         'org.axpert.Inverter still owned after dpkg -r')
        for unit, (_enabled, active) in units(self.result, 'removed.units').items():
            self.assertNotEqual(active, 'active', unit)
        self.assertEqual(set(users(self.result, 'removed.users')) >= set(USERS), True)
        # Packages with conffiles stay "rc" until purged; axpert-sim has none and is gone.
        self.assertEqual(sorted(lines(self.result, 'removed.dpkg')),
                         sorted(f'{p} {NEXT} rc' for p in debs.PACKAGES
                                if p in debs.CONFFILES.values()))

    # ---- purged ----
    def test_purge_removes_everything(self):
        self.assertEqual(lines(self.result, 'purged.files'), [])
        self.assertEqual(lines(self.result, 'purged.dirs'), [], 'state or /etc/axpert left')
        self.assertEqual(lines(self.result, 'purged.links'), [], 'enablement links left')
        self.assertEqual([x for x in lines(self.result, 'purged.dpkg') if not x.endswith(' un')
                          and not x.endswith(' pn')], [])

    def test_purge_keeps_users_locked(self):
        u = users(self.result, 'purged.users')
        for name in USERS:
            self.assertIn(name, u, f'user {name} deleted by the purge')
            shadow = u[name]['shadow']
            self.assertEqual(shadow[7], '1', f'{name} not expired (locked) after the purge')
            self.assertTrue(shadow[1].startswith('!'), f'{name} has a usable password')


if __name__ == '__main__':
    # AXPERT_KEEP_VM=1 keeps the guest's work directory (its out/ files) for debugging.
    if os.environ.get('AXPERT_KEEP_VM'):
        Lifecycle.tearDownClass = classmethod(lambda cls: print('kept', cls.workdir))
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    # Meson counts exit status 77 as SKIP: a skipped check must not look like a pass.
    sys.exit(77 if result.skipped else 0)
