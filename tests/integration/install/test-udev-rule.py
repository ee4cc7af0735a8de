#!/usr/bin/python3
"""70-axpert.rules: every line parses as udev rule syntax (udev 252 has no `udevadm verify`),
and the rule gives the inverters' USB bridge (0665:5161) hidraw nodes to group axpert with
mode 0660, tags them for systemd and pulls in axpertd.service; the bridge's USB device node
(/dev/bus/usb/BBB/DDD, for USBDEVFS_RESET) gets exactly the group and mode, nothing else."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

RULE = testlib.source_path('systemd', '70-axpert.rules')

# udev(7): keys that only match, keys that only assign, keys that do both.
MATCH_ONLY = {'ACTION', 'DEVPATH', 'KERNEL', 'KERNELS', 'SUBSYSTEM', 'SUBSYSTEMS', 'DRIVER',
              'DRIVERS', 'SYMLINK', 'NAME', 'TEST', 'PROGRAM', 'RESULT', 'CONST'}
ASSIGN_ONLY = {'OWNER', 'GROUP', 'MODE', 'RUN', 'LABEL', 'GOTO', 'IMPORT', 'OPTIONS',
               'SECLABEL', 'WAIT_FOR'}
BOTH = {'TAG', 'TAGS', 'ENV', 'ATTR', 'ATTRS', 'SYSCTL'}
WITH_ATTRIBUTE = {'ATTR', 'ATTRS', 'ENV', 'TEST', 'IMPORT', 'RUN', 'SYSCTL', 'SECLABEL', 'CONST'}
MATCH_OPS = {'==', '!='}
ASSIGN_OPS = {'=', '+=', '-=', ':='}
TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


def parse(text):
    """-> list of (line number, [(key, attribute, op, value), …]); raises ValueError."""
    rules = []
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        while line.endswith('\\'):
            i += 1
            line = line[:-1] + lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        tokens, pos = [], 0
        while True:
            m = TOKEN.match(line, pos)
            if not m:
                raise ValueError(f'line {number}: cannot parse at {line[pos:]!r}')
            key, attr, op, value = m.groups()
            where = f'line {number}: {key}'
            if key not in MATCH_ONLY | ASSIGN_ONLY | BOTH:
                raise ValueError(f'{where}: unknown key')
            if (attr is not None) != (key in WITH_ATTRIBUTE) and key not in ('RUN', 'IMPORT'):
                raise ValueError(f'{where}: attribute {attr!r} not expected')
            if key in MATCH_ONLY and op not in MATCH_OPS:
                raise ValueError(f'{where}: {op} on a match-only key')
            if key in ASSIGN_ONLY and op not in ASSIGN_OPS:
                raise ValueError(f'{where}: {op} on an assign-only key')
            if key == 'MODE' and not re.fullmatch(r'0?[0-7]{3}', value):
                raise ValueError(f'{where}: mode {value!r}')
            tokens.append((key, attr, op, value))
            pos = m.end()
            if pos >= len(line):
                break
            if line[pos] != ',':
                raise ValueError(f'line {number}: expected "," at {line[pos:]!r}')
            pos += 1
        rules.append((number, tokens))
    return rules


class UdevRule(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(RULE) as f:
            cls.rules = parse(f.read())

    def test_parser_rejects_mistakes(self):
        for bad in ('SUBSYSTEM="hidraw", GROUP="axpert"',         # assignment on a match key
                    'SUBSYSTEM=="hidraw" GROUP="axpert"',          # missing comma
                    'SUBSYTEM=="hidraw"',                          # unknown key
                    'GROUP=="axpert"',                             # match on an assign key
                    'ATTRS=="0665"',                               # attribute missing
                    'MODE="0669"'):                                # not octal
            with self.assertRaises(ValueError, msg=bad):
                parse(bad + '\n')

    def test_gotos_have_labels(self):
        labels = {v for _, t in self.rules for k, _, _, v in t if k == 'LABEL'}
        gotos = {v for _, t in self.rules for k, _, _, v in t if k == 'GOTO'}
        self.assertTrue(gotos <= labels, gotos - labels)

    def test_inverter_rule(self):
        matching = [t for _, t in self.rules
                    if ('ATTRS', 'idVendor', '==', '0665') in t
                    and ('ATTRS', 'idProduct', '==', '5161') in t]
        self.assertEqual(len(matching), 1, 'one rule for 0665:5161')
        rule = matching[0]
        for token in (('GROUP', None, '=', 'axpert'), ('MODE', None, '=', '0660'),
                      ('TAG', None, '+=', 'systemd'),
                      ('ENV', 'SYSTEMD_WANTS', '+=', 'axpertd.service')):
            self.assertIn(token, rule)
        # Only hidraw nodes: the same bridge also appears as a usb device and an input device.
        hidraw_only = any(('SUBSYSTEM', None, '==', 'hidraw') in t for _, t in self.rules) or \
            any(('SUBSYSTEM', None, '!=', 'hidraw') in t and
                any(k == 'GOTO' for k, _, _, _ in t) for _, t in self.rules)
        self.assertTrue(hidraw_only)

    def test_usb_device_rule(self):
        matching = [t for _, t in self.rules
                    if ('ATTR', 'idVendor', '==', '0665') in t
                    and ('ATTR', 'idProduct', '==', '5161') in t]
        self.assertEqual(len(matching), 1, 'one rule for the usb_device node of 0665:5161')
        self.assertEqual(sorted(matching[0]), sorted([
            ('SUBSYSTEM', None, '==', 'usb'), ('ENV', 'DEVTYPE', '==', 'usb_device'),
            ('ATTR', 'idVendor', '==', '0665'), ('ATTR', 'idProduct', '==', '5161'),
            ('GROUP', None, '=', 'axpert'), ('MODE', None, '=', '0660')]),
            'the USB device node gets the group and mode, nothing more')
        # Before the hidraw-only jump, or it would never be reached.
        numbers = {n for n, t in self.rules if t is matching[0]}
        jump = [n for n, t in self.rules if ('SUBSYSTEM', None, '!=', 'hidraw') in t]
        self.assertTrue(jump and min(numbers) < min(jump))

    def test_rules_apply_as_udev_would(self):
        """A small evaluation of the rules for the three devices the bridge makes: the hidraw
        node and the usb_device node get group axpert, the interface and other ids nothing."""
        def run(props, attrs, parent_attrs=None):
            # ATTR: the device's own attributes; ATTRS: its own or a parent's.
            parents = dict(parent_attrs or {}, **attrs)
            out, label = {}, None
            for _, tokens in self.rules:
                if label is not None:
                    if ('LABEL', None, '=', label) in tokens:
                        label = None
                    continue
                ok = True
                for key, attr, op, value in tokens:
                    have = {'SUBSYSTEM': props.get('SUBSYSTEM'), 'ACTION': props.get('ACTION'),
                            'ENV': props.get(attr), 'ATTR': attrs.get(attr),
                            'SUBSYSTEMS': 'usb' if 'usb' in props.get('PARENTS', ()) else None,
                            'ATTRS': parents.get(attr)}.get(key, ...)
                    if have is ... or op not in MATCH_OPS:
                        continue
                    if (have == value) != (op == '=='):
                        ok = False
                        break
                if not ok:
                    continue
                for key, attr, op, value in tokens:
                    if key == 'GOTO':
                        label = value
                    elif op in ASSIGN_OPS and key in ('GROUP', 'MODE'):
                        out[key] = value
            return out
        ids = {'idVendor': '0665', 'idProduct': '5161'}
        axpert = {'GROUP': 'axpert', 'MODE': '0660'}
        self.assertEqual(run({'ACTION': 'add', 'SUBSYSTEM': 'hidraw', 'PARENTS': ('usb',)}, {},
                             ids), axpert)
        self.assertEqual(run({'ACTION': 'add', 'SUBSYSTEM': 'usb', 'DEVTYPE': 'usb_device'},
                             ids), axpert)
        self.assertEqual(run({'ACTION': 'add', 'SUBSYSTEM': 'usb', 'DEVTYPE': 'usb_interface',
                              'PARENTS': ('usb',)}, {}, ids), {})
        self.assertEqual(run({'ACTION': 'add', 'SUBSYSTEM': 'usb', 'DEVTYPE': 'usb_device'},
                             {'idVendor': '0665', 'idProduct': '5160'}), {})
        self.assertEqual(run({'ACTION': 'remove', 'SUBSYSTEM': 'usb', 'DEVTYPE': 'usb_device'},
                             ids), {})

    def test_file_name_orders_before_uaccess_and_systemd(self):
        # 73-seat-late.rules applies uaccess, 99-systemd.rules reads TAG+="systemd".
        n = int(os.path.basename(RULE).split('-')[0])
        self.assertLess(n, 73)


if __name__ == '__main__':
    testlib.main()
