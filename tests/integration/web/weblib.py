"""Helpers for the axpert-web tests: simulator + axpertd (daemonlib) + axpert-web, HTTP by urllib.

axpert-web listens on port 0 (a free one) and logs "Listening on http://ADDR:PORT/"; the tests
read the port from its log.
"""
import http.client
import json
import os
import re
import socket
import time

import testlib
from daemonlib import DaemonTestCase  # noqa: F401  (re-exported)
import daemonlib  # noqa: F401


def web_binary():
    return testlib.build_path('web', 'axpert-web')


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode())

    def header(self, name):
        return self.headers.get(name.lower())


class WebMixin:
    """Starts axpert-web against the test's private bus and speaks HTTP to it."""

    def start_web(self, *args, config=None, wait=True):
        argv = [web_binary(), '--listen=127.0.0.1:0']
        if config is not None:
            path = os.path.join(self.tmpdir, 'web.conf')
            with open(path, 'w') as f:
                f.write(config)
            argv.append(f'--config={path}')
        else:
            # Never the machine's /etc/axpert/web.conf.
            path = os.path.join(self.tmpdir, 'empty-web.conf')
            open(path, 'w').close()
            argv.append(f'--config={path}')
        argv += list(args)
        self.web = self.spawn('axpert-web', argv)
        if wait:
            self.web_port = self.wait_web_port(self.web)
        return self.web

    def wait_web_port(self, proc, timeout=20):
        def port():
            self.assertTrue(proc.running(), f'axpert-web exited:\n{proc.output()}')
            m = re.search(r'Listening on https?://[^ ]*:(\d+)/', proc.output())
            return int(m.group(1)) if m else None
        return testlib.wait_for(port, timeout, 0.05, what='axpert-web listening')

    def request(self, path, method='GET', headers=None, body=None, timeout=10, port=None):
        conn = http.client.HTTPConnection('127.0.0.1', port or self.web_port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def get_json(self, path, status=200):
        r = self.request(path)
        self.assertEqual(r.status, status, f'{path}: {r.status} {r.body[:300]!r}')
        self.assertTrue(r.header('content-type').startswith('application/json'),
                        r.header('content-type'))
        return r.json()

    def assert_error(self, path, status, method='GET', contains=None, **kwargs):
        r = self.request(path, method=method, **kwargs)
        self.assertEqual(r.status, status, f'{method} {path}: {r.status} {r.body[:300]!r}')
        if method != 'HEAD':
            err = r.json()
            self.assertIsInstance(err.get('error'), str, err)
            if contains:
                self.assertIn(contains, err['error'])
        return r

    def serial(self):
        return self.control.get('SerialNumber')

    def wait_state(self, predicate, timeout=20, what='state'):
        path = f'/api/v1/inverters/{self.serial()}'

        def check():
            r = self.request(path)
            if r.status != 200:
                return None
            s = r.json()
            return s if predicate(s) else None
        return testlib.wait_for(check, timeout, 0.05, what=what)


class EventStream:
    """A raw Server-Sent Events client on a socket: events as (event, data-dict) tuples."""

    def __init__(self, port, path='/api/v1/events', rcvbuf=None, timeout=10):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(('127.0.0.1', port))
        self.sock.sendall(f'GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n'
                          .encode())
        self.buf = b''
        self.headers = None
        self.comments = 0

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError('event stream closed')
        self.buf += chunk

    def read_headers(self):
        while b'\r\n\r\n' not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        self.headers = head.decode()
        self.body = b''
        return self.headers

    def _dechunk(self):
        # Chunked transfer encoding: take whole chunks out of buf into body.
        while True:
            i = self.buf.find(b'\r\n')
            if i < 0:
                return
            size = int(self.buf[:i].split(b';')[0], 16)
            if len(self.buf) < i + 2 + size + 2:
                return
            self.body += self.buf[i + 2:i + 2 + size]
            self.buf = self.buf[i + 2 + size + 2:]
            if size == 0:
                raise EOFError('event stream ended')

    def next_event(self, timeout=20):
        if self.headers is None:
            self.read_headers()
        deadline = time.monotonic() + timeout
        while True:
            self._dechunk()
            while b'\n\n' in self.body:
                block, self.body = self.body.split(b'\n\n', 1)
                event, data = None, None
                for line in block.decode().split('\n'):
                    if line.startswith(':'):
                        self.comments += 1
                    elif line.startswith('event: '):
                        event = line[7:]
                    elif line.startswith('data: '):
                        data = json.loads(line[6:])
                if event:
                    return event, data
            if time.monotonic() > deadline:
                raise TimeoutError('no event')
            self._fill()

    def wait_event(self, predicate, timeout=20, what='event'):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f'{what} not seen; saw {seen[-5:]}')
            ev = self.next_event(left)
            seen.append(ev)
            if predicate(*ev):
                return ev
