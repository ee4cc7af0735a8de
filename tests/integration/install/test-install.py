#!/usr/bin/python3
"""`meson install` into a scratch DESTDIR installs every file of ARCHITECTURE.md "Files
installed" to its place, and nothing unaccounted for. Paths follow the build's own options
(`meson introspect --buildoptions`); with prefix /usr they must be exactly the documented ones."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import unitfile  # noqa: E402

# ARCHITECTURE.md "Files installed", for prefix /usr (the CI configuration).
DOCUMENTED = {
    '/usr/libexec/axpertd', '/usr/bin/axpertctl', '/usr/libexec/axpert-mqtt',
    '/usr/bin/axpert-sim',
    '/usr/share/dbus-1/system.d/org.axpert.Inverter.conf',
    '/usr/share/dbus-1/system-services/org.axpert.Inverter.service',
    '/usr/share/dbus-1/interfaces/org.axpert.Inverter.xml',
    '/usr/share/polkit-1/actions/org.axpert.Inverter.policy',
    '/usr/lib/systemd/system/axpertd.service', '/usr/lib/systemd/system/axpert-mqtt.service',
    '/usr/lib/sysusers.d/axpert.conf',
    '/usr/lib/udev/rules.d/70-axpert.rules',
    # Examples, not /etc files (issue 16; ARCHITECTURE.md still says /etc/axpert/*.conf):
    # a reinstall must never overwrite the administrator's configuration.
    '/usr/share/axpert/axpertd.conf', '/usr/share/axpert/mqtt.conf',
    '/usr/share/man/man8/axpertd.8', '/usr/share/man/man1/axpertctl.1',
    '/usr/share/man/man8/axpert-mqtt.8', '/usr/share/man/man1/axpert-sim.1',
}
EXECUTABLES = {'axpertd', 'axpertctl', 'axpert-mqtt', 'axpert-sim', 'axpert-history',
               'axpert-web'}
# Installed beyond the documented list, each for a stated reason.
EXTRAS = {
    '/usr/lib/tmpfiles.d/axpert.conf',                   # /var/lib/axpert (history, later)
    '/usr/share/bash-completion/completions/axpertctl',  # branch ctl
    '/usr/share/doc/axpert/examples/50-axpert-mqtt.rules.example',  # branch setters
    # axpert-history (HISTORY.md, issue 12; branch historyd)
    '/usr/libexec/axpert-history',
    '/usr/lib/systemd/system/axpert-history.service',
    '/usr/share/dbus-1/system.d/org.axpert.History.conf',
    '/usr/share/dbus-1/system-services/org.axpert.History.service',
    '/usr/share/dbus-1/interfaces/org.axpert.History.xml',
    '/usr/share/axpert/history.conf',
    '/usr/share/man/man8/axpert-history.8',
    # branch websrv (issue 13): axpert-web, not yet in ARCHITECTURE.md "Files installed".
    '/usr/libexec/axpert-web', '/usr/lib/systemd/system/axpert-web.service',
    '/usr/lib/systemd/system/axpert-web.socket', '/usr/share/axpert/web.conf',
    '/usr/share/man/man8/axpert-web.8',
}
# Which build option turns a program (and its unit, config and man page) off.
COMPONENT = {'axpertd': 'daemon', 'axpertctl': 'client', 'axpert-mqtt': 'mqtt',
             'axpert-sim': 'sim', 'mqtt.conf': 'mqtt'}
COMPONENT.update({'axpert-history': 'history', 'history.conf': 'history',
                  'org.axpert.History.conf': 'history', 'org.axpert.History.service': 'history',
                  'org.axpert.History.xml': 'history'})


def build_options():
    r = subprocess.run(['meson', 'introspect', '--buildoptions', testlib.BUILD_ROOT],
                       capture_output=True, text=True, check=True)
    return {o['name']: o['value'] for o in json.loads(r.stdout)}


def expected_paths(opts):
    """The documented list mapped onto this build's directories."""
    prefix = opts['prefix']

    def d(name):
        return os.path.join(prefix, opts[name])

    unitdir = opts.get('systemdsystemunitdir') or os.path.join(prefix, 'lib/systemd/system')
    udevdir = opts.get('udevrulesdir') or os.path.join(prefix, 'lib/udev/rules.d')
    mapping = [
        ('/usr/libexec/', d('libexecdir')), ('/usr/bin/', d('bindir')),
        ('/usr/share/man/', d('mandir')),
        ('/usr/share/', d('datadir')), ('/usr/lib/systemd/system/', unitdir),
        ('/usr/lib/udev/rules.d/', udevdir), ('/usr/lib/', os.path.join(prefix, 'lib')),
        ('/etc/', d('sysconfdir')),
    ]
    out = {}
    for doc in DOCUMENTED | EXTRAS:
        for old, new in mapping:
            if doc.startswith(old):
                out[doc] = os.path.normpath(os.path.join(new, doc[len(old):]))
                break
        else:
            raise AssertionError(f'no directory for {doc}')
    return out


def wanted(doc, opts):
    base = os.path.basename(doc)
    stem = base.split('.')[0] if not base.endswith('.conf') else base
    for key in (base, stem):
        if key in COMPONENT:
            return bool(opts.get(COMPONENT[key], True))
    return True


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.opts = build_options()
        cls.destdir = tempfile.mkdtemp(prefix='axpert-destdir-')
        cls.install = subprocess.run(
            ['meson', 'install', '-C', testlib.BUILD_ROOT, '--no-rebuild', '--quiet',
             '--destdir', cls.destdir],
            capture_output=True, text=True, timeout=240)
        cls.installed = set()
        for top, _, files in os.walk(cls.destdir):
            for f in files:
                cls.installed.add('/' + os.path.relpath(os.path.join(top, f), cls.destdir))
        cls.paths = expected_paths(cls.opts)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.destdir, ignore_errors=True)

    def at(self, doc):
        return os.path.join(self.destdir, self.paths[doc].lstrip('/'))

    def test_install_succeeded(self):
        self.assertEqual(self.install.returncode, 0, self.install.stdout + self.install.stderr)

    def test_documented_paths_with_prefix_usr(self):
        if self.opts['prefix'] != '/usr':
            self.skipTest(f'prefix is {self.opts["prefix"]}; paths were mapped onto it')
        for doc, path in self.paths.items():
            self.assertEqual(path, doc, 'with prefix /usr the documented path is the path')

    def test_every_documented_file_installed(self):
        missing = sorted(self.paths[d] for d in DOCUMENTED
                         if wanted(d, self.opts) and self.paths[d] not in self.installed)
        self.assertEqual(missing, [], 'not installed (from other branches not merged yet?)')

    def test_history_files_installed(self):
        if not self.opts.get('history', True):
            self.skipTest('-Dhistory=false')
        history = [d for d in EXTRAS if 'istory' in d]
        self.assertEqual(len(history), 7)
        missing = sorted(self.paths[d] for d in history if self.paths[d] not in self.installed)
        self.assertEqual(missing, [], 'axpert-history files not installed')

    def test_nothing_unaccounted_for(self):
        known = {self.paths[d] for d in DOCUMENTED | EXTRAS}
        self.assertEqual(sorted(self.installed - known), [],
                         'installed but neither in ARCHITECTURE.md nor in EXTRAS')

    def test_programs_executable(self):
        for doc in DOCUMENTED:
            if os.path.basename(doc) in EXECUTABLES and self.paths[doc] in self.installed:
                mode = os.stat(self.at(doc)).st_mode
                self.assertTrue(mode & stat.S_IXUSR and mode & stat.S_IXOTH, doc)

    def test_installed_units_point_at_installed_programs(self):
        for unit_doc, exe_doc in (('/usr/lib/systemd/system/axpertd.service',
                                   '/usr/libexec/axpertd'),
                                  ('/usr/lib/systemd/system/axpert-mqtt.service',
                                   '/usr/libexec/axpert-mqtt'),
                                  ('/usr/lib/systemd/system/axpert-history.service',
                                   '/usr/libexec/axpert-history'),
                                  ('/usr/lib/systemd/system/axpert-web.service',
                                   '/usr/libexec/axpert-web')):
            if self.paths[unit_doc] not in self.installed:
                continue
            unit = unitfile.read_unit(self.at(unit_doc))
            exec_start = unitfile.value(unit, 'Service', 'ExecStart').split()[0]
            self.assertEqual(exec_start, self.paths[exe_doc], unit_doc)

    def test_activation_names_installed_unit(self):
        for doc in ('/usr/share/dbus-1/system-services/org.axpert.Inverter.service',
                    '/usr/share/dbus-1/system-services/org.axpert.History.service'):
            if self.paths[doc] not in self.installed:
                continue
            act = unitfile.read_unit(self.at(doc))
            unit = unitfile.value(act, 'D-BUS Service', 'SystemdService')
            self.assertIn(self.paths['/usr/lib/systemd/system/' + unit], self.installed)

    def test_nothing_in_etc(self):
        # Configuration is the administrator's: meson install puts nothing there
        # (doc/system.md "Configuration files").
        etc = os.path.join(self.opts['prefix'], self.opts['sysconfdir'])
        etc = os.path.normpath(etc if os.path.isabs(etc) else os.path.join('/', etc))
        self.assertEqual(sorted(p for p in self.installed if p.startswith(etc + '/')), [])

    def test_reinstall_keeps_the_configuration(self):
        # The documented way to configure: copy an example to /etc and edit it. Then install
        # again (an upgrade from source): what the administrator wrote stays, byte for byte,
        # with its mode, and the examples are refreshed.
        etc = os.path.join(self.destdir, 'etc', 'axpert')
        os.makedirs(etc, exist_ok=True)
        mine = {}
        for name, text in (('axpertd.conf', '[Daemon]\nPollInterval=2\n'),
                           ('mqtt.conf', '[MQTT]\nBroker=tcp://broker:1883\nPassword=s3cret\n')):
            path = os.path.join(etc, name)
            with open(path, 'w') as f:
                f.write(text)
            os.chmod(path, 0o640)
            mine[path] = text
        example = self.at('/usr/share/axpert/mqtt.conf')
        if os.path.exists(example):  # (test_every_documented_file_installed says if not)
            with open(example, 'w') as f:
                f.write('# clobbered\n')
        again = subprocess.run(
            ['meson', 'install', '-C', testlib.BUILD_ROOT, '--no-rebuild', '--quiet',
             '--destdir', self.destdir], capture_output=True, text=True, timeout=240)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        for path, text in mine.items():
            with open(path) as f:
                self.assertEqual(f.read(), text, path)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o640, path)
        with open(example, 'rb') as a, open(testlib.source_path('mqtt', 'mqtt.conf'), 'rb') as b:
            self.assertEqual(a.read(), b.read(), 'the example is refreshed')

    def test_installed_copies_are_the_sources(self):
        for doc, src in (('/usr/share/dbus-1/interfaces/org.axpert.Inverter.xml',
                          ('dbus', 'org.axpert.Inverter.xml')),
                         ('/usr/share/dbus-1/system.d/org.axpert.Inverter.conf',
                          ('dbus', 'org.axpert.Inverter.conf')),
                         ('/usr/lib/sysusers.d/axpert.conf', ('systemd', 'axpert.sysusers')),
                         ('/usr/lib/udev/rules.d/70-axpert.rules',
                          ('systemd', '70-axpert.rules')),
                         ('/usr/share/axpert/axpertd.conf', ('systemd', 'axpertd.conf')),
                         ('/usr/share/axpert/mqtt.conf', ('mqtt', 'mqtt.conf')),
                         ('/usr/share/dbus-1/interfaces/org.axpert.History.xml',
                          ('dbus', 'org.axpert.History.xml')),
                         ('/usr/share/dbus-1/system.d/org.axpert.History.conf',
                          ('dbus', 'org.axpert.History.conf')),
                         ('/usr/share/axpert/history.conf', ('history', 'history.conf')),
                         ('/usr/share/axpert/web.conf', ('web', 'web.conf'))):
            if self.paths[doc] not in self.installed and not wanted(doc, self.opts):
                continue
            with open(self.at(doc), 'rb') as a, open(testlib.source_path(*src), 'rb') as b:
                self.assertEqual(a.read(), b.read(), doc)


if __name__ == '__main__':
    if not os.path.exists(os.path.join(testlib.BUILD_ROOT, 'meson-private', 'install.dat')):
        print(f'SKIP: {testlib.BUILD_ROOT} is not a configured meson build directory')
        sys.exit(77)
    testlib.main()
