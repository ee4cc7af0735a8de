#!/usr/bin/python3
"""Every relative link in README.md and doc/*.md points at a file of this repository, and no
document sends the reader to a design document that is not in it (DBUS-API.md, …)."""
import glob
import os
import re
import unittest

import testlib

DESIGN_ONLY = ('DBUS-API.md', 'ARCHITECTURE.md', 'HISTORY.md', 'WEB.md', 'MQTT.md',
               'TESTBED.md', 'STYLE.md')


class DocLinks(unittest.TestCase):

    def documents(self):
        docs = [testlib.source_path('README.md')] + sorted(glob.glob(testlib.source_path('doc',
                                                                                         '*.md')))
        self.assertGreater(len(docs), 5)
        return docs

    def test_relative_links_exist(self):
        problems = []
        for path in self.documents():
            text = open(path, encoding='utf-8').read()
            for m in re.finditer(r'\]\(([^)\s]+)\)', text):
                target = m.group(1).split('#')[0]
                if not target or re.match(r'[a-z]+:', target):
                    continue
                if not os.path.exists(os.path.join(os.path.dirname(path), target)):
                    line = text.count('\n', 0, m.start()) + 1
                    problems.append(f'{os.path.relpath(path, testlib.source_path())}:{line}: '
                                    f'{target}')
        self.assertEqual(problems, [])

    def test_no_design_document_named_as_if_here(self):
        problems = []
        for path in self.documents():
            for n, line in enumerate(open(path, encoding='utf-8'), 1):
                for name in DESIGN_ONLY:
                    if name in line:
                        problems.append(f'{os.path.basename(path)}:{n}: {name}')
        self.assertEqual(problems, [])


if __name__ == '__main__':
    testlib.main()
