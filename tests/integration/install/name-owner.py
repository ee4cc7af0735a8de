#!/usr/bin/python3
"""A stand-in owner of org.axpert.Inverter for the bus policy test: owns the name on
DBUS_SYSTEM_BUS_ADDRESS and exports /org/axpert/Inverter/0 with the interfaces of the XML
given as argv[1], answering every property with a zero value. Prints "ready" once it owns the
name; exits 3 if the bus refuses it."""
import signal
import sys

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

ZERO = {'b': False, 'd': 0.0, 'u': 0, 't': 0, 's': '', 'as': [], 'ad': []}


def main():
    with open(sys.argv[1]) as f:
        node = Gio.DBusNodeInfo.new_for_xml(f.read())
    loop = GLib.MainLoop()
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)

    def get_property(conn, sender, path, iface, name):
        info = node.lookup_interface(iface).lookup_property(name)
        return GLib.Variant(info.signature, ZERO[info.signature])

    def method_call(conn, sender, path, iface, method, params, invocation):
        invocation.return_dbus_error('org.axpert.Inverter.Error.Offline', 'stand-in owner')

    for iface in node.interfaces:
        if iface.name == 'org.axpert.Inverter':
            bus.register_object('/org/axpert/Inverter/0', iface, method_call, get_property, None)

    reply = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                          'RequestName', GLib.Variant('(su)', ('org.axpert.Inverter', 4)),
                          GLib.VariantType('(u)'), Gio.DBusCallFlags.NONE, -1, None)
    if reply.unpack()[0] != 1:
        print(f'RequestName answered {reply.unpack()[0]}', flush=True)
        return 3
    print('ready', flush=True)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except GLib.Error as e:
        print(f'error: {e.message}', flush=True)
        sys.exit(3)
