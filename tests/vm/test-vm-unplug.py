#!/usr/bin/python3
"""In the test guest (real kernel, usbhid, udev, systemd): the simulated bridge unplugged (UDC
unbound) makes axpertd say Online=false with a reason and stay so; replugged, it is back by
itself; re-enumerated while the old hidraw node is held open, it comes back under another
number and axpertd follows it there (DevicePath, a journal entry) — all without a restart.
Needs root and QEMU, else SKIPPED (77)."""
import vmscenario


class Unplug(vmscenario.VMTestCase):
    scenario = 'unplug'
    timeout = 300

    def test_unplugged_offline_with_a_reason(self):
        f = self.facts
        self.assertEqual(f.get('path_before'), '"/dev/hidraw0"')
        # The loss's words, or the reconnect's that followed them.
        self.assertRegex(f.get('unplug_error', ''),
                         r'the device node went away|cannot open /dev/hidraw0: No such file', f)
        self.assertEqual(f.get('unplug_online_later'), 'false', 'online while unplugged')
        print(f'vm: unplug -> Online=false after {f.get("unplug_offline_after")} s '
              f'({f.get("unplug_error")})')

    def test_replugged_back_by_itself(self):
        f = self.facts
        self.assertEqual(f.get('path_replug'), '"/dev/hidraw0"')
        print(f'vm: replug -> Online=true after {f.get("replug_online_after")} s')

    def test_renumbered_followed(self):
        f = self.facts
        self.assertEqual(f.get('held'), '/dev/hidraw0')
        new = f.get('hidraw_now')
        self.assertTrue(new and new != '/dev/hidraw0', f)
        self.assertEqual(f.get('path_renumber'), f'"{new}"')
        self.assertIn(f'is back as {new}, was /dev/hidraw0', f.get('node_found', ''))
        self.assertEqual(f.get('last_error'), '""')
        print(f'vm: re-enumerated as {new} -> Online=true after '
              f'{f.get("renumber_online_after")} s')

    def test_no_restart(self):
        f = self.facts
        self.assertEqual(f.get('pid_before'), f.get('pid_after'))
        self.assertEqual(f.get('restarts'), '0')
        # Lost at the unplug and at the re-enumeration.
        self.assertGreaterEqual(int(f.get('lost_entries', '0')), 2)


if __name__ == '__main__':
    vmscenario.main()
