#!/usr/bin/python3
"""Every man page under man/ renders without a groff warning and has a NAME line whatis can
read; axpertd(8) documents every option `axpertd --help` lists."""
import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

PAGES = sorted(glob.glob(testlib.source_path('man', '*.[1-8]')))
AXPERTD = testlib.build_path('daemon', 'axpertd')
HISTORY = testlib.build_path('history', 'axpert-history')


class ManPages(unittest.TestCase):
    def test_pages_present(self):
        self.assertIn(testlib.source_path('man', 'axpertd.8'), PAGES)

    def test_render_without_warnings(self):
        env = dict(os.environ, LC_ALL='C.UTF-8')
        for page in PAGES:
            r = subprocess.run(['groff', '-man', '-ww', '-z', '-Tutf8', page],
                               capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual((r.returncode, r.stderr), (0, ''), page)

    def test_whatis_entry(self):
        for page in PAGES:
            r = subprocess.run(['lexgrog', page], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, f'{page}: {r.stdout}{r.stderr}')
            name = os.path.basename(page).rsplit('.', 1)[0]
            self.assertIn(f'"{name} - ', r.stdout, page)

    def test_axpertd_options_documented(self):
        if not os.path.exists(AXPERTD):
            self.fail(f'{AXPERTD} not built')
        r = subprocess.run([AXPERTD, '--help'], capture_output=True, text=True, timeout=30)
        options = set(re.findall(r'(--[a-z][a-z-]*)', r.stdout))
        self.assertIn('--bus-introspect', options)
        with open(testlib.source_path('man', 'axpertd.8')) as f:
            page = f.read().replace('\\-', '-')
        missing = sorted(o for o in options if o not in page)
        self.assertEqual(missing, [], 'options of axpertd --help missing from axpertd.8')

    def test_axpert_history_options_documented(self):
        # branch historyd (issue 12)
        if not os.path.exists(HISTORY):
            self.skipTest(f'{HISTORY} not built (-Dhistory=false)')
        self.assertIn(testlib.source_path('man', 'axpert-history.8'), PAGES)
        r = subprocess.run([HISTORY, '--help'], capture_output=True, text=True, timeout=30)
        options = set(re.findall(r'(--[a-z][a-z-]*)', r.stdout)) - {'--help', '--help-all'}
        self.assertTrue({'--config', '--database', '--version'} <= options, r.stdout)
        with open(testlib.source_path('man', 'axpert-history.8')) as f:
            page = f.read().replace('\\-', '-')
        missing = sorted(o for o in options if o not in page)
        self.assertEqual(missing, [], 'options of axpert-history --help missing from the page')
        for key in ('PollInterval', 'CommitInterval', 'RawDays', 'MinuteDays', 'HourDays'):
            self.assertIn(key, page)


if __name__ == '__main__':
    missing = [t for t in ('groff', 'lexgrog') if shutil.which(t) is None]
    if missing:
        print(f'SKIP: {" ".join(missing)} not installed (Debian packages groff-base, man-db)')
        sys.exit(77)
    testlib.main()
