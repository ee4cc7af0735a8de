"""The Debian packages the package tests check: built by tools/package.sh from the working tree's
tracked files (or reused when built from the same files before), and the table of what each
binary package must contain.

EXPECTED is ARCHITECTURE.md "Files installed" (plus what later branches added, as
tests/integration/install/test-install.py lists it) the way Debian 12 places it: units and the
udev rule under /lib (pkg-config systemd/udev; dh_installsystemd looks there), man pages
compressed, the configuration examples also as the conffiles /etc/axpert/*.conf.
"""
import json
import os
import subprocess

SOURCE_ROOT = os.environ.get('AXPERT_SOURCE_ROOT',
                             os.path.dirname(os.path.dirname(os.path.dirname(
                                 os.path.abspath(__file__)))))
BUILD_ROOT = os.environ.get('AXPERT_BUILD_ROOT', os.path.join(SOURCE_ROOT, 'build'))
PACKAGES = ['axpert', 'axpert-mqtt', 'axpert-history', 'axpert-web', 'axpert-sim']
VERSION = '0.1.0'

_X, _F = 0o755, 0o644
# path → (package, mode); every file root:root.
EXPECTED = {
    '/usr/libexec/axpertd': ('axpert', _X),
    '/usr/bin/axpertctl': ('axpert', _X),
    '/etc/axpert/axpertd.conf': ('axpert', _F),
    '/usr/share/axpert/axpertd.conf': ('axpert', _F),
    '/usr/share/dbus-1/system.d/org.axpert.Inverter.conf': ('axpert', _F),
    '/usr/share/dbus-1/system-services/org.axpert.Inverter.service': ('axpert', _F),
    '/usr/share/dbus-1/interfaces/org.axpert.Inverter.xml': ('axpert', _F),
    '/usr/share/polkit-1/actions/org.axpert.Inverter.policy': ('axpert', _F),
    '/usr/share/doc/axpert/examples/50-axpert-mqtt.rules.example': ('axpert', _F),
    '/lib/systemd/system/axpertd.service': ('axpert', _F),
    '/lib/udev/rules.d/70-axpert.rules': ('axpert', _F),
    '/usr/lib/sysusers.d/axpert.conf': ('axpert', _F),
    '/usr/lib/tmpfiles.d/axpert.conf': ('axpert', _F),
    '/usr/share/bash-completion/completions/axpertctl': ('axpert', _F),
    '/usr/share/man/man8/axpertd.8.gz': ('axpert', _F),
    '/usr/share/man/man1/axpertctl.1.gz': ('axpert', _F),
    '/usr/share/metainfo/org.axpert.axpert.metainfo.xml': ('axpert', _F),

    '/usr/libexec/axpert-mqtt': ('axpert-mqtt', _X),
    '/etc/axpert/mqtt.conf': ('axpert-mqtt', _F),
    '/usr/share/axpert/mqtt.conf': ('axpert-mqtt', _F),
    '/lib/systemd/system/axpert-mqtt.service': ('axpert-mqtt', _F),
    '/usr/share/man/man8/axpert-mqtt.8.gz': ('axpert-mqtt', _F),

    '/usr/libexec/axpert-history': ('axpert-history', _X),
    '/etc/axpert/history.conf': ('axpert-history', _F),
    '/usr/share/axpert/history.conf': ('axpert-history', _F),
    '/usr/share/dbus-1/system.d/org.axpert.History.conf': ('axpert-history', _F),
    '/usr/share/dbus-1/system-services/org.axpert.History.service': ('axpert-history', _F),
    '/usr/share/dbus-1/interfaces/org.axpert.History.xml': ('axpert-history', _F),
    '/lib/systemd/system/axpert-history.service': ('axpert-history', _F),
    '/usr/share/man/man8/axpert-history.8.gz': ('axpert-history', _F),

    '/usr/libexec/axpert-web': ('axpert-web', _X),
    '/etc/axpert/web.conf': ('axpert-web', _F),
    '/usr/share/axpert/web.conf': ('axpert-web', _F),
    '/lib/systemd/system/axpert-web.service': ('axpert-web', _F),
    '/lib/systemd/system/axpert-web.socket': ('axpert-web', _F),
    '/usr/share/man/man8/axpert-web.8.gz': ('axpert-web', _F),

    '/usr/bin/axpert-sim': ('axpert-sim', _X),
    '/usr/share/man/man1/axpert-sim.1.gz': ('axpert-sim', _F),
}
for _p in PACKAGES:
    EXPECTED[f'/usr/share/doc/{_p}/copyright'] = (_p, _F)
    EXPECTED[f'/usr/share/doc/{_p}/changelog.gz'] = (_p, _F)
CONFFILES = {p: pkg for p, (pkg, _) in EXPECTED.items() if p.startswith('/etc/')}


def build(version=None, name='deb'):
    """Runs tools/package.sh --worktree --reuse into BUILD_ROOT/NAME; returns (rc, output, dir)."""
    out = os.path.join(BUILD_ROOT, name)
    cmd = [os.path.join(SOURCE_ROOT, 'tools', 'package.sh'), '--worktree', '--reuse',
           f'--out={out}']
    if version:
        cmd.append(f'--version={version}')
    r = subprocess.run(cmd, cwd=SOURCE_ROOT, capture_output=True, text=True, timeout=1500)
    return r.returncode, r.stdout + r.stderr, out


def deb_path(out, package, version=VERSION):
    arch = subprocess.run(['dpkg', '--print-architecture'], capture_output=True, text=True,
                          check=True).stdout.strip()
    return os.path.join(out, f'{package}_{version}_{arch}.deb')


def skip_reason():
    for tool in ('dpkg-buildpackage', 'dh', 'lintian', 'fakeroot'):
        if subprocess.run(['sh', '-c', f'command -v {tool}'], capture_output=True).returncode:
            return f'{tool} is missing (Debian packages dpkg-dev debhelper lintian fakeroot)'
    if not os.path.isdir(os.path.join(SOURCE_ROOT, '.git')) and \
            not os.path.isfile(os.path.join(SOURCE_ROOT, '.git')):
        return 'not a git checkout: tools/package.sh builds from the tracked files'
    try:
        r = subprocess.run(['meson', 'introspect', '--buildoptions', BUILD_ROOT],
                           capture_output=True, text=True, timeout=60)
        opts = {o['name']: o['value'] for o in json.loads(r.stdout)}
    except (OSError, ValueError, subprocess.TimeoutExpired):
        opts = {}
    if opts.get('b_sanitize', 'none') not in ('none', ''):
        return ('sanitized build: the packages come from dpkg-buildpackage with Debian\'s flags, '
                'not from this build; the unsanitized build runs these tests')
    return None
