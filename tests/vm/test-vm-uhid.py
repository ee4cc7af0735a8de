#!/usr/bin/python3
"""axpert-sim --uhid in the test guest: the integration test test-sim-uhid.py, which skips where
/dev/uhid is missing (containers, CI), runs here against the guest's kernel and must pass, not
skip. Needs root and QEMU, else SKIPPED (77)."""
import vmscenario


class Uhid(vmscenario.VMTestCase):
    scenario = 'uhid'
    stage = False  # the build tree's axpert-sim, as meson runs the integration test
    # No gadget, no daemon: nothing here needs the udev rule's service.
    env = {'BUILD_ROOT': vmscenario.BUILD_ROOT}

    def test_uhid_present(self):
        self.assertEqual(self.facts['uhid'], 'present')

    def test_sim_uhid_passes(self):
        log = self.result.read('uhid.log')
        self.assertEqual(self.facts['uhid-rc'], '0', log)
        self.assertRegex(log, r'test_hidraw_query .* ok')
        self.assertNotIn('skipped', log)


if __name__ == '__main__':
    vmscenario.main()
