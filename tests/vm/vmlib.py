"""The test guest: Debian's own kernel under QEMU, the host's root read-only over 9p with a tmpfs
overlay, systemd as PID 1 (../shared/design/TESTBED.md, issue 14).

Public API (used by vmscenario.py here and by the .deb tests):

    kernel = vmlib.ensure_kernel(cache_dir)          # downloads/extracts once per kernel version
    stage = vmlib.stage_install(build_root, dest)    # `meson install --destdir`, or None
    guest = vmlib.Guest(kernel, workdir, stage=stage)
    guest.add_file('/etc/foo.conf', 'text')           # files of the test's own layer
    result = guest.run(script, timeout=240)           # boots, runs `script` as root, powers off
    result.rc, result.out_dir, result.boot_seconds, result.wall_seconds, result.serial_tail()

`script` is shell text run by a systemd unit once basic.target is up; whatever it writes to
/vm/out shows up in result.out_dir. The guest powers itself off afterwards; the journal of the
boot is always saved as out/journal.txt.

skip_reason() says why a guest cannot run here (not root, no QEMU, no kernel package), or None.
"""
import glob
import os
import re
import shutil
import subprocess
import time

SOURCE_ROOT = os.environ.get('AXPERT_SOURCE_ROOT',
                             os.path.dirname(os.path.dirname(os.path.dirname(
                                 os.path.abspath(__file__)))))
HERE = os.path.dirname(os.path.abspath(__file__))
QEMU = '/usr/bin/qemu-system-x86_64'
BUSYBOX = '/bin/busybox'
# Modules the initramfs needs for its root file system; their dependencies come along.
INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay']
CACHE_FORMAT = '2'
# Host units that only slow the guest's boot down.
MASKED_UNITS = ['systemd-timesyncd.service', 'systemd-pstore.service', 'apt-daily.timer',
                'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer',
                'fstrim.timer', 'man-db.timer', 'systemd-tmpfiles-clean.timer',
                'postgresql.service', 'mosquitto.service']


def default_cache_dir():
    return os.path.join(SOURCE_ROOT, 'build', 'vm-cache')


def skip_reason():
    if os.geteuid() != 0:
        return 'the VM tests need root (QEMU shares the root file system with the guest)'
    if not os.access(QEMU, os.X_OK):
        return f'{QEMU} is missing (Debian package qemu-system-x86)'
    if not os.access(BUSYBOX, os.X_OK) or not _is_static(BUSYBOX):
        return 'a static busybox is missing (Debian package busybox-static)'
    if not shutil.which('depmod'):
        return 'depmod is missing (Debian package kmod)'
    if not os.path.exists('/lib/systemd/systemd'):
        return 'systemd is missing (Debian package systemd)'
    return None


def _is_static(path):
    out = subprocess.run(['file', '-L', path], capture_output=True, text=True).stdout \
        if shutil.which('file') else 'statically'
    return 'statically' in out or 'static-pie' in out


def _read(path, mode='r'):
    with open(path, mode) as f:
        return f.read()


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _candidate(package):
    out = subprocess.run(['apt-cache', 'policy', package], capture_output=True,
                         text=True).stdout
    m = re.search(r'Candidate:\s*(\S+)', out)
    return m.group(1) if m and m.group(1) != '(none)' else None


def kernel_package():
    """(package, version) of Debian's 6.1 amd64 kernel image: the one linux-image-amd64 points
    at, or else the newest linux-image-6.1.0-N-amd64 apt knows."""
    out = subprocess.run(['apt-cache', 'depends', 'linux-image-amd64'], capture_output=True,
                         text=True).stdout
    m = re.search(r'Depends:\s*(linux-image-6\.1\.\S+-amd64)\s', out + '\n')
    if m and _candidate(m.group(1)):
        return m.group(1), _candidate(m.group(1))
    out = subprocess.run(['apt-cache', 'search', '--names-only', r'^linux-image-6\.1\.0-[0-9]+-amd64$'],
                         capture_output=True, text=True).stdout
    names = sorted((n.split()[0] for n in out.splitlines() if n.strip()),
                   key=lambda n: int(re.search(r'6\.1\.0-(\d+)-', n).group(1)))
    for name in reversed(names):
        if _candidate(name):
            return name, _candidate(name)
    return None, None


class Kernel:
    def __init__(self, root, version, package):
        self.root = root          # extracted package: boot/, lib/modules/<version>/
        self.version = version    # uname -r, e.g. 6.1.0-57-amd64
        self.package = package    # "linux-image-6.1.0-57-amd64 6.1.192-3"
        self.vmlinuz = os.path.join(root, 'boot', f'vmlinuz-{version}')
        self.modules = os.path.join(root, 'lib', 'modules', version)
        self.initramfs = os.path.join(root, 'initramfs.cpio')


def ensure_kernel(cache_dir=None, log=print):
    """The extracted kernel in cache_dir, downloaded and extracted when the package version
    changed (or on first use). Raises RuntimeError when no kernel package is available."""
    cache_dir = cache_dir or default_cache_dir()
    stamp = os.path.join(cache_dir, 'kernel.stamp')
    root = os.path.join(cache_dir, 'kernel')
    package, version = kernel_package()
    if not package:
        # Offline: whatever was extracted before still boots.
        if os.path.exists(stamp):
            with open(stamp) as f:
                package, version = f.read().split()[:2]
        else:
            raise RuntimeError('no linux-image-6.1.0-*-amd64 package known to apt '
                               '(apt-get update?)')
    want = f'{package} {version} {CACHE_FORMAT}\n'
    kver = package[len('linux-image-'):]
    if os.path.exists(stamp) and _read(stamp) == want and \
            os.path.exists(os.path.join(root, 'initramfs.cpio')):
        return Kernel(root, kver, want.strip())

    log(f'vm: preparing {package} {version} in {cache_dir}')
    shutil.rmtree(root, ignore_errors=True)
    if os.path.exists(stamp):
        os.unlink(stamp)
    os.makedirs(cache_dir, exist_ok=True)
    debdir = os.path.join(cache_dir, 'deb')
    shutil.rmtree(debdir, ignore_errors=True)
    os.makedirs(debdir)
    os.chmod(debdir, 0o777)
    _run(['apt-get', 'download', f'{package}={version}'], cwd=debdir)
    deb = glob.glob(os.path.join(debdir, '*.deb'))[0]
    _run(['dpkg-deb', '-x', deb, root])
    shutil.rmtree(debdir)
    _run(['depmod', '-b', root, kver])
    kernel = Kernel(root, kver, want.strip())
    build_initramfs(kernel)
    with open(stamp, 'w') as f:
        f.write(want)
    return kernel


def _module_order(modules_dir, names):
    deps = {}
    with open(os.path.join(modules_dir, 'modules.dep')) as f:
        for line in f:
            path, _, rest = line.partition(':')
            deps[path] = rest.split()
    by_name = {os.path.basename(p).split('.ko')[0].replace('-', '_'): p for p in deps}
    order = []

    def visit(path):
        if path in order:
            return
        for d in reversed(deps[path]):
            visit(d)
        order.append(path)

    for n in names:
        visit(by_name[n.replace('-', '_')])
    return order


def _cpio_newc(entries):
    """entries: (name, mode, data or None for directories/links' target bytes)."""
    out = bytearray()
    ino = 1
    for name, mode, data in entries + [('TRAILER!!!', 0, b'')]:
        data = data or b''
        nb = name.encode() + b'\0'
        hdr = '070701' + ''.join(f'{v:08x}' for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr.encode() + nb
        out += b'\0' * (-len(out) % 4)
        out += data
        out += b'\0' * (-len(out) % 4)
        ino += 1
    return bytes(out)


def build_initramfs(kernel):
    order = _module_order(kernel.modules, INITRAMFS_MODULES)
    entries = [(d, 0o040755, None) for d in ('bin', 'dev', 'proc', 'sys', 'modules')]
    entries.append(('bin/busybox', 0o100755, _read(BUSYBOX, 'rb')))
    entries.append(('init', 0o100755, _read(os.path.join(HERE, 'guest-init.sh'), 'rb')))
    names = []
    for path in order:
        base = os.path.basename(path)
        names.append(base)
        entries.append((f'modules/{base}', 0o100644,
                        _read(os.path.join(kernel.modules, path), 'rb')))
    entries.append(('modules.order', 0o100644, ('\n'.join(names) + '\n').encode()))
    with open(kernel.initramfs + '.tmp', 'wb') as f:
        f.write(_cpio_newc(entries))
    os.replace(kernel.initramfs + '.tmp', kernel.initramfs)


def stage_install(build_root, dest):
    """Installs the build into dest as `meson install --destdir` does; returns dest."""
    shutil.rmtree(dest, ignore_errors=True)
    _run(['meson', 'install', '-C', build_root, '--destdir', dest, '--no-rebuild', '--quiet'])
    return dest


UNIT_TARGET = """[Unit]
Description=axpert test guest
Requires=basic.target axpert-vm-scenario.service
After=basic.target
AllowIsolate=yes
"""

UNIT_SCENARIO = """[Unit]
Description=axpert test scenario
After=basic.target dbus.socket systemd-udev-trigger.service systemd-sysusers.service
Wants=dbus.socket

[Service]
Type=oneshot
ExecStart=/bin/sh /vm/run.sh
TimeoutStartSec=infinity
StandardOutput=journal+console
StandardError=journal+console
"""

RUN_SH = """#!/bin/sh
# Written by tests/vm/vmlib.py: runs the scenario, saves its status and the journal, powers off.
cut -d' ' -f1 /proc/uptime >/vm/out/boot-uptime
mkdir -p /vm/out
sh -e /vm/scenario.sh >/vm/out/scenario.log 2>&1 </dev/null
echo $? >/vm/out/rc.tmp
cut -d' ' -f1 /proc/uptime >/vm/out/end-uptime
journalctl -b --no-pager -o short-monotonic >/vm/out/journal.txt 2>&1
mv /vm/out/rc.tmp /vm/out/rc
sync
systemctl poweroff -ff
echo o >/proc/sysrq-trigger
"""


class Result:
    def __init__(self, out_dir, serial, wall, timed_out):
        self.out_dir = out_dir
        self.serial = serial
        self.wall_seconds = wall
        self.timed_out = timed_out
        self.rc = None
        rc = os.path.join(out_dir, 'rc')
        if os.path.exists(rc):
            self.rc = int(self.read('rc').strip() or '-1')
        self.boot_seconds = self._uptime('boot-uptime')
        end = self._uptime('end-uptime')
        self.scenario_seconds = end - self.boot_seconds \
            if end is not None and self.boot_seconds is not None else None

    def _uptime(self, name):
        try:
            return float(self.read(name).split()[0])
        except (ValueError, IndexError):
            return None

    def read(self, name):
        path = os.path.join(self.out_dir, name)
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as f:
            return f.read()

    def serial_tail(self, lines=60):
        try:
            with open(self.serial, errors='replace') as f:
                text = f.read()
        except OSError:
            return ''
        return '\n'.join(text.splitlines()[-lines:])

    def journal_tail(self, lines=80):
        return '\n'.join(self.read('journal.txt').splitlines()[-lines:])


class Guest:
    def __init__(self, kernel, workdir, stage=None, memory=1024, smp=2, kernel_args=()):
        self.kernel = kernel
        self.workdir = workdir
        self.stage = stage
        self.memory = memory
        self.smp = smp
        self.kernel_args = list(kernel_args)
        self.share = os.path.join(workdir, 'vm')
        self.layer = os.path.join(self.share, 'layer')
        self.out_dir = os.path.join(self.share, 'out')
        os.makedirs(self.out_dir, exist_ok=True)
        os.makedirs(self.layer, exist_ok=True)
        os.chmod(self.share, 0o755)
        os.chmod(self.out_dir, 0o777)
        self.add_file('/etc/systemd/system/axpert-vm.target', UNIT_TARGET)
        self.add_file('/etc/systemd/system/axpert-vm-scenario.service', UNIT_SCENARIO)
        for unit in MASKED_UNITS:
            self.mask(unit)
        with open(os.path.join(self.share, 'run.sh'), 'w') as f:
            f.write(RUN_SH)

    def mask(self, unit):
        """Masks a unit in the guest (systemctl mask)."""
        dest = os.path.join(self.layer, 'etc/systemd/system', unit)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.lexists(dest):
            os.unlink(dest)
        os.symlink('/dev/null', dest)

    def unmask(self, unit):
        dest = os.path.join(self.layer, 'etc/systemd/system', unit)
        if os.path.islink(dest):
            os.unlink(dest)

    def add_file(self, path, text, mode=0o644):
        """A file of the test's own layer, on top of the stage and the host root."""
        dest = os.path.join(self.layer, path.lstrip('/'))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, 'w') as f:
            f.write(text)
        os.chmod(dest, mode)

    def command(self):
        args = ['console=ttyS0', 'panic=-1', 'loglevel=4', 'rw',
                'systemd.unit=axpert-vm.target', 'systemd.firstboot=off',
                'systemd.show_status=false', 'systemd.journald.forward_to_console=0',
                # Drivers udev would load for the emulated CPU: nothing the tests use.
                'modprobe.blacklist=kvm,kvm_amd,kvm_intel,powernow_k8,acpi_cpufreq',
                'axpert.stage=' + ('1' if self.stage else '0')] + self.kernel_args
        accel = os.environ.get('AXPERT_VM_ACCEL', 'tcg')
        cmd = [QEMU, '-machine', f'q35,accel={accel}', '-cpu', 'max' if accel == 'tcg' else 'host',
               '-m', str(self.memory), '-smp', str(self.smp),
               '-nodefaults', '-vga', 'none', '-display', 'none', '-monitor', 'none',
               '-no-reboot', '-nic', 'none',
               '-serial', 'file:' + os.path.join(self.workdir, 'serial.log'),
               '-kernel', self.kernel.vmlinuz, '-initrd', self.kernel.initramfs,
               '-append', ' '.join(args)]

        def virtfs(path, tag, readonly):
            return ['-virtfs', f'local,path={path},mount_tag={tag},security_model=none,'
                    f'readonly={"on" if readonly else "off"},multidevs=remap']

        cmd += virtfs('/', 'hostroot', True)
        cmd += virtfs(self.share, 'vm', False)
        cmd += virtfs(self.kernel.modules, 'modules', True)
        if self.stage:
            cmd += virtfs(self.stage, 'stage', True)
        return cmd

    def run(self, script, timeout=240):
        """Boots the guest, runs script (shell, as root, `sh -e`) and waits for the power-off."""
        with open(os.path.join(self.share, 'scenario.sh'), 'w') as f:
            f.write(script)
        serial = os.path.join(self.workdir, 'serial.log')
        start = time.monotonic()
        timed_out = False
        with open(os.path.join(self.workdir, 'qemu.log'), 'w') as qlog:
            proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=qlog,
                                    stderr=subprocess.STDOUT)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.kill()
                proc.wait()
        return Result(self.out_dir, serial, time.monotonic() - start, timed_out)
