"""Reads the D-Bus contract in its three forms: DBUS-API.md, the XML, live introspection.

Each reader returns the same shape, so tests compare like with like:
  {interface: {'properties': {name: {'type', 'access', 'annotations'}},
               'methods': {name: {'args': [(direction, name, type)], 'annotations'}},
               'signals': {name: {'args': [(name, type)], 'annotations'}}}}
Annotations whose name starts with org.axpert.Doc. are documentation and kept apart ('doc').
"""
import os
import re
import xml.etree.ElementTree as ET

OUR_INTERFACES = ('org.axpert.Inverter', 'org.axpert.Inverter.Unit')
DOC_PREFIX = 'org.axpert.Doc.'
EMITS = 'org.freedesktop.DBus.Property.EmitsChangedSignal'

# Members the daemon exports beyond DBUS-API.md (TEAM.md "Cross-team contracts": the API only
# grows). Anything else in the XML that the design document lacks is an error.
ADDITIONS = {
    'org.axpert.Inverter': {'MaxChargingTimeAtCv': 'd', 'OperationLogic': 's',
                            'MaxDischargingCurrent': 'd',
                            # issue 11: what the setters accept on this inverter
                            'FirmwareFamily': 's', 'SettingLimits': 'a{s(ddd)}',
                            'SettingOptions': 'a{sad}', 'SettingChoices': 'a{sas}',
                            # issue 12: the inverter's clock and energy counters (PI30MAX)
                            'DeviceTime': 's', 'PvEnergyTotal': 'd', 'PvEnergyToday': 'd',
                            'LoadEnergyTotal': 'd', 'LoadEnergyToday': 'd',
                            # QPIGS fields 18, 19, 21 for godenerg's mask_b, mask_c, mask_d
                            'BatteryVoltageOffsetForFans': 'd', 'EepromVersion': 'u',
                            'DeviceStatus2': 's',
                            # issue 14: the USB recovery ladder's resets
                            'UsbResets': 'u'},
    'org.axpert.Inverter.Unit': {'Pv2InputVoltage': 'd', 'Pv2InputCurrent': 'd'},
}


def find_design_doc(source_root, name='DBUS-API.md'):
    """DBUS-API.md lives in shared/design beside the clone (CI) or above the worktree."""
    env = os.environ.get('AXPERT_DBUS_API_MD')
    if env:
        return env if os.path.exists(env) else None
    d = os.path.abspath(source_root)
    while True:
        candidate = os.path.join(d, 'shared', 'design', name)
        if os.path.exists(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


# ---------------------------------------------------------------------------------------------
# DBUS-API.md

def _sections(text):
    """Splits markdown into {heading: body} for '## ' headings."""
    out = {}
    current = None
    for line in text.splitlines():
        if line.startswith('## '):
            current = line[3:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: '\n'.join(v) for k, v in out.items()}


def _table_rows(body):
    for line in body.splitlines():
        line = line.strip()
        if not line.startswith('|'):
            continue
        cells = [c.strip() for c in line.strip('|').split('|')]
        if all(re.fullmatch(r':?-+:?', c) for c in cells if c):
            continue
        if cells[0] in ('name', 'method', 'what'):
            continue
        yield cells


def _backticked(cell):
    return re.findall(r'`([^`]+)`', cell)


def parse_design(path):
    """Returns (interfaces, extra) where extra holds enums, polkit actions and error names."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    sections = _sections(text)
    props_body = sections.get('org.axpert.Inverter — properties')
    methods_body = sections.get('org.axpert.Inverter — methods')
    unit_body = sections.get('org.axpert.Inverter.Unit (one per parallel unit, from QPGSn)')
    errors_body = sections.get('Errors')
    if None in (props_body, methods_body, unit_body, errors_body):
        raise ValueError(f'{path}: expected sections not found: {sorted(sections)}')

    inv = {'properties': {}, 'methods': {}, 'signals': {}}
    enums = {}
    for cells in _table_rows(props_body):
        if len(cells) < 3:
            continue
        names = [n.strip().strip('`') for n in cells[0].split(',')]
        typ = cells[1].strip('`')
        for n in names:
            if not re.fullmatch(r'[A-Z][A-Za-z0-9]*', n):
                raise ValueError(f'{path}: odd property name {n!r}')
            if n in inv['properties']:
                raise ValueError(f'{path}: property {n} listed twice')
            inv['properties'][n] = {'type': typ, 'access': 'read', 'annotations': {
                EMITS: 'false' if n == 'LastUpdateTimestamp' else 'true'}}
            values = _backticked(cells[2])
            if (typ == 's' and values and 'e.g.' not in cells[2]
                    and all(re.fullmatch(r'[a-z][a-z0-9-]*', v) for v in values)):
                enums[('org.axpert.Inverter', n)] = values

    # QPIWS identifiers are the values of Warnings and Faults.
    qpiws = re.findall(r'a\d+ `([a-z0-9-]+)`', props_body)
    if not qpiws:
        raise ValueError(f'{path}: QPIWS identifiers not found')
    enums[('org.axpert.Inverter', 'Warnings')] = qpiws
    enums[('org.axpert.Inverter', 'Faults')] = qpiws

    polkit = {}
    for cells in _table_rows(methods_body):
        m = re.fullmatch(r'(\w+)\(([^)]*)\)(?:\s*→\s*\(([^)]*)\))?', cells[0])
        if not m:
            raise ValueError(f'{path}: cannot parse method {cells[0]!r}')
        name, ins, outs = m.group(1), m.group(2), m.group(3)
        args = []
        for direction, group in (('in', ins), ('out', outs)):
            for arg in (group or '').split(','):
                arg = arg.strip()
                if not arg:
                    continue
                typ, argname = arg.split()
                args.append((direction, argname, typ))
        inv['methods'][name] = {'args': args, 'annotations': {}}
        polkit[name] = cells[1].strip('`')
        if name == 'SetFlag':
            enums[('org.axpert.Inverter', 'SetFlag.flag')] = _backticked(cells[2])[1:]

    unit = {'properties': {}, 'methods': {}, 'signals': {}}
    prose = unit_body.split('Properties:', 1)[1]
    pending = []
    for m in re.finditer(r'([A-Z][A-Za-z0-9]*)|\(([^()]*)\)', prose):
        if m.group(1):
            pending.append(m.group(1))
            continue
        inner = m.group(2)
        tm = re.match(r'(?:all )?([a-z]+)\b', inner)
        if not tm:
            raise ValueError(f'{path}: cannot read type from ({inner})')
        for n in pending:
            if n in unit['properties']:
                raise ValueError(f'{path}: unit property {n} listed twice')
            unit['properties'][n] = {'type': tm.group(1), 'access': 'read',
                                     'annotations': {EMITS: 'true'}}
        values = _backticked(inner)
        if values and len(pending) == 1:
            enums[('org.axpert.Inverter.Unit', pending[0])] = values
        pending = []
    if pending:
        raise ValueError(f'{path}: unit properties without a type: {pending}')

    errors = set()
    for cells in _table_rows(errors_body):
        for e in _backticked(cells[0]):
            if e.startswith('…'):
                e = 'org.freedesktop.DBus.Error.' + e[1:]
            errors.add(e)
    return ({'org.axpert.Inverter': inv, 'org.axpert.Inverter.Unit': unit},
            {'enums': enums, 'polkit': polkit, 'errors': errors})


# ---------------------------------------------------------------------------------------------
# Introspection XML (the file, or what axpertd prints)

def _annotations(elem):
    ann, doc = {}, {}
    for a in elem.findall('annotation'):
        name, value = a.get('name'), a.get('value')
        (doc if name.startswith(DOC_PREFIX) else ann)[name] = value
    return ann, doc


def _documents(text):
    """Introspection output may be several XML documents one after the other."""
    text = re.sub(r'<\?xml[^>]*\?>', '', text)
    text = re.sub(r'<!DOCTYPE[^>]*>', '', text)
    return ET.fromstring(f'<documents>{text}</documents>')


def parse_introspection(text, only=OUR_INTERFACES):
    """Interfaces found anywhere in text (nested nodes too); standard ones are skipped."""
    root = _documents(text)
    result = {}
    for iface in root.iter('interface'):
        name = iface.get('name')
        if only is not None and name not in only:
            continue
        ann, doc = _annotations(iface)
        entry = {'properties': {}, 'methods': {}, 'signals': {}, 'annotations': ann, 'doc': doc}
        for p in iface.findall('property'):
            pann, pdoc = _annotations(p)
            entry['properties'][p.get('name')] = {
                'type': p.get('type'), 'access': p.get('access'), 'annotations': pann,
                'doc': pdoc}
        for m in iface.findall('method'):
            mann, mdoc = _annotations(m)
            args, argdoc = [], {}
            for a in m.findall('arg'):
                args.append((a.get('direction', 'in'), a.get('name'), a.get('type')))
                argdoc[a.get('name')] = _annotations(a)[1]
            entry['methods'][m.get('name')] = {'args': args, 'annotations': mann, 'doc': mdoc,
                                               'argdoc': argdoc}
        for s in iface.findall('signal'):
            sann, sdoc = _annotations(s)
            entry['signals'][s.get('name')] = {
                'args': [(a.get('name'), a.get('type')) for a in s.findall('arg')],
                'annotations': sann, 'doc': sdoc}
        if name in result and result[name] != entry:
            raise ValueError(f'interface {name} appears twice with different members')
        result[name] = entry
    return result


def parse_xml_file(path):
    with open(path, encoding='utf-8') as f:
        return parse_introspection(f.read())


def normalized_annotations(ann, member_kind, iface_ann):
    """The D-Bus spec's defaults made explicit: a property without EmitsChangedSignal inherits
    the interface's value, and the interface's default is "true"."""
    out = dict(ann)
    if member_kind == 'property' and EMITS not in out:
        out[EMITS] = iface_ann.get(EMITS, 'true')
    return out


def compare(a, b, a_name, b_name):
    """Differences between two parsed forms, as readable lines (empty list = they agree).
    Compared: interfaces, member names, types/signatures, argument names and directions,
    property access, annotations (doc-only annotations ignored, spec defaults applied)."""
    diffs = []
    for iface in sorted(set(a) | set(b)):
        if iface not in a or iface not in b:
            diffs.append(f'interface {iface}: only in {a_name if iface in a else b_name}')
            continue
        ia, ib = a[iface], b[iface]
        if ia.get('annotations', {}) != ib.get('annotations', {}):
            diffs.append(f'{iface}: interface annotations {ia.get("annotations")} ({a_name}) '
                         f'!= {ib.get("annotations")} ({b_name})')
        for kind, members in (('property', 'properties'), ('method', 'methods'),
                              ('signal', 'signals')):
            ma, mb = ia[members], ib[members]
            for name in sorted(set(ma) | set(mb)):
                where = f'{iface}.{name} ({kind})'
                if name not in ma or name not in mb:
                    diffs.append(f'{where}: only in {a_name if name in ma else b_name}')
                    continue
                x, y = ma[name], mb[name]
                for key in ('type', 'access', 'args'):
                    if key in x and key in y and x[key] != y[key]:
                        diffs.append(f'{where}: {key} {x[key]!r} ({a_name}) != {y[key]!r} ({b_name})')
                xa = normalized_annotations(x['annotations'], kind, ia.get('annotations', {}))
                ya = normalized_annotations(y['annotations'], kind, ib.get('annotations', {}))
                if xa != ya:
                    diffs.append(f'{where}: annotations {xa} ({a_name}) != {ya} ({b_name})')
    return diffs
