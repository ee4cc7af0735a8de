#!/usr/bin/python3
"""One D-Bus method call on the system bus, answer as JSON on stdout (run as any uid).

Usage: call.py [--interactive] [--timeout S] [--no-wait] DEST PATH IFACE METHOD SIGNATURE JSON_ARGS
--interactive sets ALLOW_INTERACTIVE_AUTHORIZATION; --no-wait sends the call and exits at once
(a caller that goes away while the service is still working on it)."""
import argparse
import json
import sys

from gi.repository import Gio, GLib


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--interactive', action='store_true')
    p.add_argument('--timeout', type=float, default=30)
    p.add_argument('--no-wait', action='store_true')
    p.add_argument('--repeat', type=int, default=1,
                   help='send the call this many times at once; print every answer')
    for a in ('dest', 'path', 'iface', 'method', 'signature', 'args'):
        p.add_argument(a)
    a = p.parse_args()

    conn = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    values = json.loads(a.args)
    params = GLib.Variant(f'({a.signature})', tuple(values)) if a.signature else None
    flags = Gio.DBusCallFlags.NONE
    if a.interactive:
        flags |= Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION

    if a.no_wait:
        msg = Gio.DBusMessage.new_method_call(a.dest, a.path, a.iface, a.method)
        if params is not None:
            msg.set_body(params)
        conn.send_message(msg, Gio.DBusSendMessageFlags.NONE)
        conn.flush_sync(None)
        print(json.dumps({'sent': True}))
        return 0

    if a.repeat > 1:
        answers = []
        loop = GLib.MainLoop()

        def done(c, res):
            try:
                answers.append({'result': list(c.call_finish(res).unpack())})
            except GLib.Error as e:
                name = Gio.DBusError.get_remote_error(e) or f'{e.domain}:{e.code}'
                Gio.DBusError.strip_remote_error(e)
                answers.append({'error': name, 'message': e.message})
            if len(answers) == a.repeat:
                loop.quit()

        for _ in range(a.repeat):
            conn.call(a.dest, a.path, a.iface, a.method, params, None, flags,
                      int(a.timeout * 1000), None, done)
        loop.run()
        print(json.dumps({'answers': answers}))
        return 0

    try:
        r = conn.call_sync(a.dest, a.path, a.iface, a.method, params, None, flags,
                           int(a.timeout * 1000), None)
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) or f'{e.domain}:{e.code}'
        Gio.DBusError.strip_remote_error(e)
        print(json.dumps({'error': name, 'message': e.message}))
        return 0
    print(json.dumps({'result': list(r.unpack())}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
