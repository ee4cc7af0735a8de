#!/usr/bin/python3
"""Copies dbus/org.axpert.History.xml for gdbus-codegen without the org.axpert.Doc.*
annotations: codegen pastes annotation values into C strings unescaped, and the summaries hold
quotes. What the bus serves (names, types, access, EmitsChangedSignal) is the XML's; the doc
annotations are not part of the wire contract (tests/integration/install/dbusapi.py ignores
them too). Usage: codegen-xml.py IN OUT"""
import sys
import xml.etree.ElementTree as ET

tree = ET.parse(sys.argv[1])
for parent in tree.iter():
    for a in list(parent.findall('annotation')):
        if a.get('name', '').startswith('org.axpert.Doc.'):
            parent.remove(a)
tree.write(sys.argv[2], encoding='utf-8', xml_declaration=True)
