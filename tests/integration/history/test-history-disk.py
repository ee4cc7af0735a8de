#!/usr/bin/python3
"""A full disk (a size-limited tmpfs): recording pauses with one log line, reads keep working,
and it resumes by itself when there is room again, keeping what was buffered meanwhile.
Needs to mount a tmpfs (root, CAP_SYS_ADMIN); exits 77 (skipped) where that is not permitted."""
import errno
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import historylib  # noqa: E402
import testlib  # noqa: E402

WARNING = 'Cannot write the database'
RESUMED = 'recording resumed'


def mount_tmpfs(path, size):
    return subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size},mode=0755', 'tmpfs', path],
                          capture_output=True, text=True)


def fill(path):
    """Writes until the file system is full (unbuffered: a buffered close would fail too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        for size in (1 << 20, 65536, 512):
            block = b'\0' * size
            try:
                while True:
                    os.write(fd, block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)


class DiskFull(historylib.HistoryTestCase):

    def test_disk_full_pauses_and_resumes(self):
        disk = os.path.join(self.tmpdir, 'disk')
        os.mkdir(disk)
        r = mount_tmpfs(disk, '32m')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(subprocess.run, ['umount', '-l', disk], capture_output=True)
        self.database = os.path.join(disk, 'history.db')

        self.start('--baud=0', daemon_args=('--poll-interval=0.5',))
        sn = self.serial()
        self.start_history(CommitInterval='1')
        self.wait_object(sn)
        self.wait_samples(sn, ['BatteryVoltage'], 3)
        time.sleep(1.5)  # committed at least once

        filler = os.path.join(disk, 'filler')
        fill(filler)
        t_full = historylib.now_usec()
        testlib.wait_for(lambda: WARNING in self.history.output(), 20, 0.1,
                         what='the disk-full warning')
        time.sleep(3)  # several more commits fail
        out = self.history.output()
        self.assertEqual(out.count(WARNING), 1, 'logged once, not per commit:\n' + out)
        self.assertIn('disk is full', out)
        # Reads keep working, and they include what is buffered.
        times, _ = self.samples(sn, ['BatteryVoltage'])
        during = [t for t in times if t > t_full]
        self.assertTrue(during, 'no sample visible while the disk is full')
        self.assertTrue(self.history.running())

        os.unlink(filler)
        testlib.wait_for(lambda: RESUMED in self.history.output(), 20, 0.1,
                         what='recording to resume')
        time.sleep(1.5)
        # What was buffered while full is on disk now: it survives a SIGKILL.
        self.history.stop(signal.SIGKILL)
        self.start_history(CommitInterval='1')
        self.wait_object(sn)
        times, _ = self.samples(sn, ['BatteryVoltage'])
        self.assertTrue(set(during) <= set(times), 'samples buffered while full were lost')


if __name__ == '__main__':
    probe = tempfile.mkdtemp(prefix='axpert-tmpfs-probe-')
    r = mount_tmpfs(probe, '1m')
    if r.returncode != 0:
        os.rmdir(probe)
        print(f'SKIP: cannot mount a tmpfs here ({r.stderr.strip()}): needs root and '
              'CAP_SYS_ADMIN')
        sys.exit(77)
    subprocess.run(['umount', probe], check=True)
    os.rmdir(probe)
    testlib.main()
