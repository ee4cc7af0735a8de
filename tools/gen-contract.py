#!/usr/bin/python3
"""Generates common/'s contract module (and axpertctl's bash completion) from
dbus/org.axpert.Inverter.xml, and with --module history the same kind of tables for
dbus/org.axpert.History.xml (history-contract.{c,h}: what axpert-history's clients may know).

Why the XML and not protocol/table.c: the XML is the public contract, and the clients
(axpertctl, axpert-mqtt, axpert-history, axpert-web) may know only the contract, never protocol/
(ARCHITECTURE.md: "if a client needs something, it belongs on the bus"). It also holds what the
protocol table has no notion of: polkit actions, which properties a method affects, SetFlag's
flag -> property map, the unit of each method argument. What the table does know (property names,
types, units, enum values) is held to the XML by tests/integration/install/
test-xml-matches-protocol-table.py, and the daemon's live vtable by test-introspect.py, so a
table generated from the XML is the daemon's truth too.

Usage: gen-contract.py XML --c OUT.c --h OUT.h | --completion TEMPLATE OUT
       gen-contract.py HISTORY-XML --module history --c OUT.c --h OUT.h
Python standard library only (Debian's /usr/bin/python3 in a clean build).
"""
import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

DOC = 'org.axpert.Doc.'
EMITS = 'org.freedesktop.DBus.Property.EmitsChangedSignal'


def annotations(elem):
    return {a.get('name'): a.get('value') for a in elem.findall('annotation')}


def c_string(s):
    if s is None:
        return 'NULL'
    out = s.replace('\\', '\\\\').replace('"', '\\"')
    # Non-ASCII (°, →, …) as octal escapes: the C source stays ASCII whatever the editor.
    return '"' + ''.join(c if ord(c) < 128 else ''.join(
        f'\\{b:03o}' for b in c.encode('utf-8')) for c in out) + '"'


def snake(name):
    """BatteryBulkVoltage -> BATTERY_BULK_VOLTAGE, Pv2InputPower -> PV2_INPUT_POWER."""
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', name).upper()


def words(method):
    """SetMaxAcChargingCurrent -> "max ac charging current"; AC stays readable as "AC"."""
    w = re.sub(r'(?<=[a-z0-9])(?=[A-Z])', ' ', method[3:] if method.startswith('Set') else method)
    return ' '.join('AC' if x == 'Ac' else x.lower() for x in w.split())


def kebab(method):
    return '-'.join(x.lower() for x in re.sub(r'(?<=[a-z0-9])(?=[A-Z])', ' ', method).split())


def fail(msg):
    sys.exit(f'gen-contract: {msg}')


def read(path):
    root = ET.parse(path).getroot()
    ifaces = []
    for iface in root.findall('interface'):
        props = []
        for p in iface.findall('property'):
            ann = annotations(p)
            values = ann.get(DOC + 'Values')
            props.append({
                'name': p.get('name'), 'type': p.get('type'),
                'unit': ann.get(DOC + 'Unit'),
                'values': values.split() if values is not None else None,
                'emits': ann.get(EMITS, 'true') == 'true',
                'summary': ann.get(DOC + 'Summary', ''),
            })
        methods = []
        for m in iface.findall('method'):
            ann = annotations(m)
            args = []
            for a in m.findall('arg'):
                aann = annotations(a)
                values = aann.get(DOC + 'Values')
                pairs = {}
                for pair in (aann.get(DOC + 'ValueAffects') or '').split():
                    k, _, v = pair.partition('=')
                    if not v:
                        fail(f'{m.get("name")}({a.get("name")}): ValueAffects "{pair}" is no '
                             'value=Property pair')
                    pairs[k] = v
                args.append({'name': a.get('name'), 'type': a.get('type'),
                             'direction': a.get('direction', 'in'),
                             'unit': aann.get(DOC + 'Unit'),
                             'values': values.split() if values is not None else None,
                             'value_affects': pairs,
                             'summary': aann.get(DOC + 'Summary', '')})
            action = ann.get(DOC + 'PolkitAction')
            methods.append({'name': m.get('name'), 'args': args,
                            'action': None if action in (None, 'none') else action,
                            'affects': (ann.get(DOC + 'Affects') or '').split(),
                            'summary': ann.get(DOC + 'Summary', '')})
        ifaces.append({'name': iface.get('name'), 'properties': props, 'methods': methods})
    return ifaces


def check(ifaces):
    """What the clients rely on, refused at build time rather than found wrong at run time."""
    names = {(i['name'], p['name']) for i in ifaces for p in i['properties']}
    inverter = next(i for i in ifaces if i['name'] == 'org.axpert.Inverter')
    for m in inverter['methods']:
        for prop in m['affects']:
            iface, _, name = prop.rpartition('.')
            if (iface or 'org.axpert.Inverter', name) not in names:
                fail(f'{m["name"]}: affects unknown property {prop}')
        for a in m['args']:
            for value, prop in a['value_affects'].items():
                if a['values'] is None or value not in a['values']:
                    fail(f'{m["name"]}({a["name"]}): {value} is not one of its values')
                if ('org.axpert.Inverter', prop) not in names:
                    fail(f'{m["name"]}({a["name"]}): {value} affects unknown property {prop}')
    if not any(m['name'] == 'SetFlag' and m['args'][0]['value_affects']
               for m in inverter['methods']):
        fail('SetFlag has no flag=Property map (org.axpert.Doc.ValueAffects)')


def strv(name, values, out):
    """A NULL-terminated static string list; returns its C name or NULL."""
    if values is None:
        return 'NULL'
    out.append(f'static const char *const {name}[] = {{' +
               ''.join(f'{c_string(v)}, ' for v in values) + 'NULL};')
    return name


def tables(ifaces):
    """The C rows of every interface's properties and methods: (lists, props, methods, flags)."""
    lists = []
    props = []
    methods = []
    flags = []
    for ii, iface in enumerate(ifaces):
        for p in iface['properties']:
            v = strv(f'values_{ii}_{p["name"]}', p['values'], lists)
            props.append(f'        {{{c_string(iface["name"])}, {c_string(p["name"])}, '
                         f'{c_string(p["type"])}, {c_string(p["unit"])}, {v}, '
                         f'{"true" if p["emits"] else "false"}, {c_string(p["summary"])}}},')
        for m in iface['methods']:
            args = []
            for a in m['args']:
                v = strv(f'values_{ii}_{m["name"]}_{a["name"]}', a['values'], lists)
                args.append(f'{{{c_string(a["name"])}, {c_string(a["type"])}, '
                            f'{"true" if a["direction"] == "in" else "false"}, '
                            f'{c_string(a["unit"])}, {v}, {c_string(a["summary"])}}}')
                for value, prop in a['value_affects'].items():
                    if m['name'] == 'SetFlag':
                        flags.append(f'        {{{c_string(value)}, {c_string(prop)}}},')
            if args:
                lists.append(f'static const AxpertContractArg args_{ii}_{m["name"]}[] = {{\n        ' +
                             ',\n        '.join(args) + '};')
            aff = strv(f'affects_{ii}_{m["name"]}', m['affects'], lists)
            methods.append(f'        {{{c_string(iface["name"])}, {c_string(m["name"])}, '
                           f'{c_string(words(m["name"]))}, {c_string(kebab(m["name"]))}, '
                           f'{c_string(m["action"])}, '
                           f'{"args_%d_%s" % (ii, m["name"]) if args else "NULL"}, {len(args)}, '
                           f'{aff}, {c_string(m["summary"])}}},')
    return lists, props, methods, flags


def generate_c(ifaces, header_name):
    lists, props, methods, flags = tables(ifaces)
    warnings = next(p['values'] for i in ifaces for p in i['properties']
                    if i['name'] == 'org.axpert.Inverter' and p['name'] == 'Warnings')

    return f'''/* Generated by tools/gen-contract.py from dbus/org.axpert.Inverter.xml: do not edit. */
#include <string.h>

#include "{header_name}"

{chr(10).join(lists)}

const AxpertContractProperty axpert_contract_properties[] = {{
{chr(10).join(props)}
}};
const size_t axpert_contract_n_properties =
        sizeof axpert_contract_properties / sizeof axpert_contract_properties[0];

const AxpertContractMethod axpert_contract_methods[] = {{
{chr(10).join(methods)}
}};
const size_t axpert_contract_n_methods =
        sizeof axpert_contract_methods / sizeof axpert_contract_methods[0];

const AxpertContractFlag axpert_contract_flags[] = {{
{chr(10).join(flags)}
}};
const size_t axpert_contract_n_flags = sizeof axpert_contract_flags / sizeof axpert_contract_flags[0];

const char *const axpert_contract_warning_names[] = {{{''.join(c_string(w) + ', ' for w in warnings if w != 'unknown')}NULL}};

static bool same(const char *a, const char *b)
{{
        return a && b && strcmp(a, b) == 0;
}}

const AxpertContractProperty *axpert_contract_property(const char *interface, const char *name)
{{
        /* Without an interface: org.axpert.Inverter's first, the units' after (table order). */
        for (size_t i = 0; i < axpert_contract_n_properties; i++)
                if (same(axpert_contract_properties[i].name, name) &&
                    (!interface || same(axpert_contract_properties[i].interface, interface)))
                        return &axpert_contract_properties[i];
        return NULL;
}}

const AxpertContractMethod *axpert_contract_method(const char *name)
{{
        for (size_t i = 0; i < axpert_contract_n_methods; i++)
                if (same(axpert_contract_methods[i].name, name))
                        return &axpert_contract_methods[i];
        return NULL;
}}

const AxpertContractArg *axpert_contract_method_input(const AxpertContractMethod *m, size_t index)
{{
        for (size_t i = 0; m && i < m->n_args; i++)
                if (m->args[i].in && index-- == 0)
                        return &m->args[i];
        return NULL;
}}

const AxpertContractFlag *axpert_contract_flag(const char *name)
{{
        for (size_t i = 0; i < axpert_contract_n_flags; i++)
                if (same(axpert_contract_flags[i].name, name))
                        return &axpert_contract_flags[i];
        return NULL;
}}

const AxpertContractFlag *axpert_contract_flag_for_property(const char *property)
{{
        for (size_t i = 0; i < axpert_contract_n_flags; i++)
                if (same(axpert_contract_flags[i].property, property))
                        return &axpert_contract_flags[i];
        return NULL;
}}

const char *axpert_contract_unit(const char *property)
{{
        const AxpertContractProperty *p = axpert_contract_property(NULL, property);
        return p ? p->unit : NULL;
}}

bool axpert_contract_has_value(const char *const *values, const char *value)
{{
        for (; values && *values; values++)
                if (same(*values, value))
                        return true;
        return false;
}}

const char *axpert_polkit_action(const char *method)
{{
        const AxpertContractMethod *m = axpert_contract_method(method);
        return m ? m->polkit_action : NULL;
}}
'''


def generate_h(ifaces):
    defines = []
    seen = set()
    for iface in ifaces:
        for p in iface['properties']:
            if p['name'] not in seen:
                seen.add(p['name'])
                defines.append(f'#define AXPERT_PROPERTY_{snake(p["name"])} {c_string(p["name"])}')
    for iface in ifaces:
        for m in iface['methods']:
            defines.append(f'#define AXPERT_METHOD_{snake(m["name"])} {c_string(m["name"])}')
    return f'''/* Generated by tools/gen-contract.py from dbus/org.axpert.Inverter.xml: do not edit.
 *
 * The static half of the org.axpert.Inverter contract as plain tables: property names, types,
 * units and closed value lists; methods with their polkit action, arguments and the properties
 * they change; SetFlag's flag names; the QPIWS identifiers. For sd-bus and GLib programs alike
 * (libc only). What depends on the inverter (ranges, option lists) is on the bus instead:
 * SettingLimits, SettingOptions, SettingChoices. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct AxpertContractProperty {{
        const char *interface;     /* "org.axpert.Inverter" or "org.axpert.Inverter.Unit" */
        const char *name;          /* "BatteryBulkVoltage" */
        const char *signature;     /* "d", "as", "a{{s(ddd)}}" … */
        const char *unit;          /* "V", "A", "W", "VA", "Hz", "%", "°C", "min", "us"; NULL */
        const char *const *values; /* the closed list of an enumeration (with "unknown"), or NULL */
        bool emits_change;         /* PropertiesChanged carries it */
        const char *summary;
}} AxpertContractProperty;

typedef struct AxpertContractArg {{
        const char *name;
        const char *signature;
        bool in;
        const char *unit;          /* of a 'd' argument; NULL */
        const char *const *values; /* what a string argument may be, or NULL */
        const char *summary;
}} AxpertContractArg;

typedef struct AxpertContractMethod {{
        const char *interface;
        const char *name;          /* "SetMaxAcChargingCurrent" */
        const char *words;         /* "max AC charging current": the name without Set, in words */
        const char *kebab;         /* "set-max-ac-charging-current" */
        const char *polkit_action; /* NULL: no polkit check (Refresh) */
        const AxpertContractArg *args;
        size_t n_args;
        const char *const *affects; /* properties it changes; "org.axpert.Inverter.Unit.X" for
                                       the units' own; NULL-terminated, never NULL */
        const char *summary;
}} AxpertContractMethod;

typedef struct AxpertContractFlag {{
        const char *name;     /* SetFlag's flag: "buzzer" */
        const char *property; /* the property it changes: "BuzzerEnabled" */
}} AxpertContractFlag;

extern const AxpertContractProperty axpert_contract_properties[];
extern const size_t axpert_contract_n_properties;
extern const AxpertContractMethod axpert_contract_methods[];
extern const size_t axpert_contract_n_methods;
extern const AxpertContractFlag axpert_contract_flags[];
extern const size_t axpert_contract_n_flags;
/* The identifiers Warnings and Faults may hold (QPIWS), NULL-terminated. */
extern const char *const axpert_contract_warning_names[];

/* Lookups; NULL when not in the contract. interface NULL: org.axpert.Inverter, then .Unit. */
const AxpertContractProperty *axpert_contract_property(const char *interface, const char *name);
const AxpertContractMethod *axpert_contract_method(const char *name);
/* The index-th input argument of a method. */
const AxpertContractArg *axpert_contract_method_input(const AxpertContractMethod *m, size_t index);
const AxpertContractFlag *axpert_contract_flag(const char *name);
const AxpertContractFlag *axpert_contract_flag_for_property(const char *property);
/* The unit of a property of either interface, NULL for none. */
const char *axpert_contract_unit(const char *property);
/* Whether value is in a NULL-terminated list (values may be NULL). */
bool axpert_contract_has_value(const char *const *values, const char *value);
/* The polkit action guarding a method, NULL for none (Refresh) or an unknown method. */
const char *axpert_polkit_action(const char *method);

/* Every name, for code that must not misspell one. */
{chr(10).join(defines)}
'''


def generate_history_c(ifaces, header_name):
    """org.axpert.History's tables, in the types of the Inverter contract (contract.h)."""
    lists, props, methods, _ = tables(ifaces)
    return f'''/* Generated by tools/gen-contract.py from dbus/org.axpert.History.xml: do not edit. */
#include <string.h>

#include "{header_name}"

{chr(10).join(lists)}

const AxpertContractProperty axpert_history_properties[] = {{
{chr(10).join(props)}
}};
const size_t axpert_history_n_properties =
        sizeof axpert_history_properties / sizeof axpert_history_properties[0];

const AxpertContractMethod axpert_history_methods[] = {{
{chr(10).join(methods)}
}};
const size_t axpert_history_n_methods =
        sizeof axpert_history_methods / sizeof axpert_history_methods[0];

const AxpertContractProperty *axpert_history_property(const char *name)
{{
        for (size_t i = 0; name && i < axpert_history_n_properties; i++)
                if (strcmp(axpert_history_properties[i].name, name) == 0)
                        return &axpert_history_properties[i];
        return NULL;
}}
'''


def generate_history_h(ifaces):
    defines = [f'#define AXPERT_HISTORY_INTERFACE {c_string(ifaces[0]["name"])}']
    for iface in ifaces:
        for p in iface['properties']:
            defines.append(f'#define AXPERT_HISTORY_PROPERTY_{snake(p["name"])} '
                           f'{c_string(p["name"])}')
        for m in iface['methods']:
            defines.append(f'#define AXPERT_HISTORY_METHOD_{snake(m["name"])} '
                           f'{c_string(m["name"])}')
    return f'''/* Generated by tools/gen-contract.py from dbus/org.axpert.History.xml: do not edit.
 *
 * The org.axpert.History contract (axpert-history's API) as plain tables, in the types of the
 * org.axpert.Inverter contract: property names, types, units (the energy counters' "kWh") and
 * closed value lists; methods and their arguments. libc only. */
#pragma once

#include "contract.h"

extern const AxpertContractProperty axpert_history_properties[];
extern const size_t axpert_history_n_properties;
extern const AxpertContractMethod axpert_history_methods[];
extern const size_t axpert_history_n_methods;

/* A property of org.axpert.History; NULL when not in the contract. */
const AxpertContractProperty *axpert_history_property(const char *name);

/* Every name, for code that must not misspell one. */
{chr(10).join(defines)}
'''


def check_history(ifaces):
    if [i['name'] for i in ifaces] != ['org.axpert.History']:
        fail('--module history: the XML must hold exactly the interface org.axpert.History')
    for p in ifaces[0]['properties']:
        if p['unit'] is not None and p['type'] != 'd':
            fail(f'{p["name"]}: a unit on a property of type {p["type"]} (numbers are d)')


def generate_completion(ifaces, template):
    inverter = next(i for i in ifaces if i['name'] == 'org.axpert.Inverter')
    set_verbs, cases = [], []
    for m in inverter['methods']:
        ins = [a for a in m['args'] if a['direction'] == 'in']
        if not m['name'].startswith('Set') or len(ins) != 1:
            continue
        set_verbs.append(kebab(m['name']))
        if ins[0]['values']:
            cases.append(f'                {kebab(m["name"])}) ((nargs == 0)) && '
                         f'values="{" ".join(ins[0]["values"])}" ;;')
    flags = next(a['values'] for m in inverter['methods'] if m['name'] == 'SetFlag'
                 for a in m['args'] if a['name'] == 'flag')

    def wrap(names):
        lines, line = [], ''
        for n in names:
            if len(line) + len(n) + 1 > 95:
                lines.append(line)
                line = ''
            line = f'{line} {n}' if line else n
        return '\n'.join(lines + [line])

    out = template
    for key, value in (('@PROPERTIES@', wrap(p['name'] for p in inverter['properties'])),
                       ('@SET_VERBS@', ' '.join(set_verbs)),
                       ('@FLAGS@', ' '.join(flags)),
                       ('@VALUE_CASES@', '\n'.join(cases))):
        if key not in out:
            fail(f'completion template lacks {key}')
        out = out.replace(key, value)
    return out


def main():
    ap = argparse.ArgumentParser(description='Generates the contract module from the XML.')
    ap.add_argument('xml')
    ap.add_argument('--c', metavar='OUT.c')
    ap.add_argument('--h', metavar='OUT.h')
    ap.add_argument('--completion', nargs=2, metavar=('TEMPLATE', 'OUT'))
    ap.add_argument('--module', choices=('inverter', 'history'), default='inverter',
                    help='which contract the XML is (history: org.axpert.History, --c/--h only)')
    args = ap.parse_args()
    if not (args.c and args.h) and not args.completion:
        ap.error('give --c and --h, or --completion')
    ifaces = read(args.xml)
    if args.module == 'history':
        if args.completion or not (args.c and args.h):
            ap.error('--module history takes --c and --h only')
        check_history(ifaces)
        with open(args.c, 'w', encoding='utf-8') as f:
            f.write(generate_history_c(ifaces, os.path.basename(args.h)))
        with open(args.h, 'w', encoding='utf-8') as f:
            f.write(generate_history_h(ifaces))
        return
    check(ifaces)
    if args.c and args.h:
        with open(args.c, 'w', encoding='utf-8') as f:
            f.write(generate_c(ifaces, os.path.basename(args.h)))
        with open(args.h, 'w', encoding='utf-8') as f:
            f.write(generate_h(ifaces))
    if args.completion:
        with open(args.completion[0], encoding='utf-8') as f:
            template = f.read()
        with open(args.completion[1], 'w', encoding='utf-8') as f:
            f.write(generate_completion(ifaces, template))


if __name__ == '__main__':
    main()
