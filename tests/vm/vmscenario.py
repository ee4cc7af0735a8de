"""Host side of a VM scenario (test-vm-*.py): stages the build, boots the guest with vmlib, runs
tests/vm/guest-NAME.sh in it and hands the results to the test's assertions. Prints the boot and
scenario times; prints the guest's journal and serial console when a test fails."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vmlib  # noqa: E402

BUILD_ROOT = os.environ.get('AXPERT_BUILD_ROOT', os.path.join(vmlib.SOURCE_ROOT, 'build'))
SOURCE_ROOT = os.environ.get('AXPERT_SOURCE_ROOT', vmlib.SOURCE_ROOT)


def skip_reason():
    reason = vmlib.skip_reason()
    if reason:
        return reason
    if not os.path.exists(os.path.join(BUILD_ROOT, 'build.ninja')):
        return f'{BUILD_ROOT} is not a meson build directory'
    return None


class Facts(dict):
    """$OUT/facts of guest-lib.sh's fact(): key → the rest of its (last) line."""

    @classmethod
    def load(cls, text):
        f = cls()
        for line in text.splitlines():
            k, _, v = line.partition(' ')
            f[k] = v
        return f


class VMTestCase(unittest.TestCase):
    """One boot per test class: setUpClass runs the scenario, the tests assert on what it left."""
    scenario = None      # guest-<scenario>.sh
    timeout = 240
    stage = True
    files = {}           # extra files of the guest's layer: path → text
    masked = ()          # units masked in the guest
    unmasked = ()        # of vmlib.MASKED_UNITS, those this scenario needs

    @classmethod
    def setUpClass(cls):
        reason = skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        cls.tmp = tempfile.mkdtemp(prefix=f'axpert-vm-{cls.scenario}-')
        try:
            cls.kernel = vmlib.ensure_kernel()
        except (RuntimeError, OSError) as e:
            raise unittest.SkipTest(f'no kernel for the guest: {e}')
        stage = vmlib.stage_install(BUILD_ROOT, os.path.join(cls.tmp, 'stage')) \
            if cls.stage else None
        guest = vmlib.Guest(cls.kernel, cls.tmp, stage=stage)
        for unit in cls.unmasked:
            guest.unmask(unit)
        for unit in cls.masked:
            guest.mask(unit)
        for path, text in cls.files.items():
            guest.add_file(path, text)
        script = (f'. {SOURCE_ROOT}/tests/vm/guest-lib.sh\n'
                  f'set -- {SOURCE_ROOT}\n'
                  f'. {SOURCE_ROOT}/tests/vm/guest-{cls.scenario}.sh\n')
        cls.result = guest.run(script, timeout=cls.timeout)
        r = cls.result
        print(f'vm: {cls.kernel.package}; boot to the scenario {r.boot_seconds} s, '
              f'scenario {r.scenario_seconds and round(r.scenario_seconds, 1)} s, wall {r.wall_seconds:.1f} s, '
              f'exit {r.rc}{" (timed out)" if r.timed_out else ""}', flush=True)
        cls.facts = Facts.load(r.read('facts'))
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, 'result', None) is None:
            return
        if cls.failed or os.environ.get('AXPERT_VM_KEEP'):
            r = cls.result
            print('---- scenario log ----\n' + r.read('scenario.log')[-6000:])
            print('---- guest journal (tail) ----\n' + r.journal_tail(120))
            if r.rc is None:
                print('---- serial console (tail) ----\n' + r.serial_tail(80))
            print(f'vm: files kept in {cls.tmp}')
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def run(self, result=None):
        result = super().run(result)
        if result is not None and (result.failures or result.errors):
            type(self).failed = True
        return result

    def test_00_scenario_finished(self):
        r = self.result
        self.assertFalse(r.timed_out, f'the guest did not power off within {self.timeout} s')
        self.assertEqual(r.rc, 0, 'the guest scenario failed:\n' + r.read('scenario.log')[-3000:])


def main():
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    # Meson counts exit status 77 as SKIP: a skipped test must not look like a pass.
    sys.exit(77 if result.skipped else 0)
