"""Small readers for the files under systemd/ and dbus/ used by the install tests."""
import re


def read_unit(path):
    """systemd unit / D-Bus service file -> {section: [(key, value), …]} (repeated keys kept,
    continuation lines joined)."""
    sections, current = {}, None
    with open(path, encoding='utf-8') as f:
        lines = f.read().replace('\\\n', ' ').splitlines()
    for line in lines:
        line = line.strip()
        if not line or line[0] in '#;':
            continue
        m = re.fullmatch(r'\[([^\]]+)\]', line)
        if m:
            current = sections.setdefault(m.group(1), [])
            continue
        if current is None or '=' not in line:
            raise ValueError(f'{path}: cannot read {line!r}')
        key, value = line.split('=', 1)
        current.append((key.strip(), value.strip()))
    return sections


def values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def value(unit, section, key):
    v = values(unit, section, key)
    return v[-1] if v else None
