#!/usr/bin/python3
"""sysusers.d and tmpfiles.d entries applied by the real tools to a scratch root: users axpert
and axpert-mqtt, group axpert, /var/lib/axpert owned by axpert, mode 0750, and an existing
/etc/axpert/mqtt.conf made 0640 root:axpert-mqtt."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402


def read_db(path):
    with open(path) as f:
        return {line.split(':')[0]: line.rstrip('\n').split(':') for line in f if line.strip()}


class SysusersTmpfiles(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='axpert-sysusers-')
        self.addCleanup(shutil.rmtree, self.root, True)
        os.makedirs(os.path.join(self.root, 'etc'))
        for d, src in (('sysusers.d', 'axpert.sysusers'), ('tmpfiles.d', 'axpert.tmpfiles')):
            os.makedirs(os.path.join(self.root, 'usr/lib', d))
            shutil.copy(testlib.source_path('systemd', src),
                        os.path.join(self.root, 'usr/lib', d, 'axpert.conf'))

    def run_tool(self, *argv):
        r = subprocess.run([*argv, f'--root={self.root}'], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Both tools exit 0 on lines they cannot parse, complaining as "FILE:LINE: …".
        self.assertNotIn('axpert.conf:', r.stderr, r.stderr)
        return r

    def test_users_and_group(self):
        self.run_tool('systemd-sysusers')
        passwd = read_db(os.path.join(self.root, 'etc/passwd'))
        group = read_db(os.path.join(self.root, 'etc/group'))
        # axpert-history: branch historyd (issue 12).
        self.assertEqual(sorted(passwd), ['axpert', 'axpert-history', 'axpert-mqtt',
                                          'axpert-web'])
        self.assertIn('axpert', group)
        axpert, mqtt = passwd['axpert'], passwd['axpert-mqtt']
        self.assertEqual(axpert[3], group['axpert'][2], 'axpert is in group axpert')
        self.assertEqual(axpert[5], '/var/lib/axpert')
        for entry in (axpert, mqtt):
            uid = int(entry[2])
            self.assertTrue(0 < uid < 1000, f'{entry[0]}: system uid, got {uid}')
            self.assertIn('nologin', entry[6])
        self.assertNotEqual(mqtt[3], group['axpert'][2], 'the publisher has no device group')
        web = passwd['axpert-web']
        self.assertTrue(0 < int(web[2]) < 1000, f'axpert-web: system uid, got {web[2]}')
        self.assertIn('nologin', web[6])
        self.assertNotEqual(web[3], group['axpert'][2], 'the web server has no device group')

    def test_history_user(self):
        self.run_tool('systemd-sysusers')
        passwd = read_db(os.path.join(self.root, 'etc/passwd'))
        group = read_db(os.path.join(self.root, 'etc/group'))
        history = passwd['axpert-history']
        self.assertTrue(0 < int(history[2]) < 1000, history)
        self.assertIn('nologin', history[6])
        self.assertNotEqual(history[3], group['axpert'][2], 'the recorder has no device group')
        self.assertIn('axpert-history', group, 'its own group (the unit\'s Group=)')

    def test_state_directory(self):
        self.run_tool('systemd-sysusers')
        self.run_tool('systemd-tmpfiles', '--create')
        st = os.stat(os.path.join(self.root, 'var/lib/axpert'))
        passwd = read_db(os.path.join(self.root, 'etc/passwd'))
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)
        self.assertEqual(st.st_uid, int(passwd['axpert'][2]))
        self.assertEqual(st.st_gid, int(passwd['axpert'][3]))

    def test_secret_config_is_not_world_readable(self):
        # mqtt.conf may hold Password=: however the administrator copied it (cp keeps 0644),
        # tmpfiles makes it root:axpert-mqtt 0640, readable by the publisher and nobody else.
        self.run_tool('systemd-sysusers')
        conf = os.path.join(self.root, 'etc/axpert/mqtt.conf')
        os.makedirs(os.path.dirname(conf))
        with open(conf, 'w') as f:
            f.write('[MQTT]\nPassword=s3cret\n')
        os.chmod(conf, 0o644)
        self.run_tool('systemd-tmpfiles', '--create')
        st = os.stat(conf)
        group = read_db(os.path.join(self.root, 'etc/group'))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual(st.st_gid, int(group['axpert-mqtt'][2]))
        with open(conf) as f:
            self.assertIn('s3cret', f.read(), 'the content is untouched')
        # Without the file nothing is created: the publisher runs on its defaults.
        os.unlink(conf)
        self.run_tool('systemd-tmpfiles', '--create')
        self.assertFalse(os.path.exists(conf))

    def test_tools_report_garbage(self):
        # The complaint format the checks above look for, provoked on purpose.
        for d, tool in (('sysusers.d', ['systemd-sysusers']),
                        ('tmpfiles.d', ['systemd-tmpfiles', '--create'])):
            with open(os.path.join(self.root, 'usr/lib', d, 'axpert.conf'), 'a') as f:
                f.write('x bogus line\n')
            r = subprocess.run([*tool, f'--root={self.root}'], capture_output=True, text=True,
                               timeout=60)
            self.assertIn('axpert.conf:', r.stderr, f'{tool}: {r.stderr}')


if __name__ == '__main__':
    missing = [t for t in ('systemd-sysusers', 'systemd-tmpfiles') if shutil.which(t) is None]
    if missing:
        print(f'SKIP: {" ".join(missing)} not installed (Debian package systemd)')
        sys.exit(77)
    testlib.main()
