#!/usr/bin/python3
"""axpert-web under bad input: huge URLs and headers, malformed query strings, many idle
connections (a cap and idle timeouts; new clients are still served), clients that never finish
their request, and bad configuration (the error names the file, group and key)."""
import os
import socket
import subprocess
import time

import testlib
import weblib

CONFIG = '[Web]\nMaxConnections=20\nIdleTimeoutSec=2\n'


class WebLimitsTest(weblib.WebMixin, weblib.DaemonTestCase):
    def test_bad_requests_and_connection_limits(self):
        self.start(daemon_args=('--poll-interval=0.5',))
        self.start_web(config=CONFIG)
        serial = self.serial()

        # Huge URLs: refused (libsoup closes the connection beyond its header limit), the
        # server goes on.
        self.refused('/cmds?cmd=status&' + 'x' * 100000)
        self.refused('/cmds?cmd=' + 'status&cmd=' * 1000 + 'status')
        self.assert_error('/' + 'a/' * 3000, 414)
        # Huge headers: refused the same way.
        self.refused('/cmds?cmd=status', headers={'X-Big': 'y' * 200000})
        self.refused('/cmds?cmd=status', headers={f'X-H{i}': 'z' * 100 for i in range(2000)})
        self.assertEqual(self.request('/cmds?cmd=status').status, 200)
        # Malformed query strings and unknown parameters.
        self.assert_error('/cmds?cmd=status&=1', 400, contains='malformed')
        self.assert_error('/cmds?cmd=status&cmd', 400, contains="unknown cmd ''")
        self.assert_error('/cmds?cmd=%C3%28', 400, contains='malformed')
        self.assert_error('/api/v1/events?x=1', 400, contains="'x'")
        self.assert_error('/metrics?format=json', 400, contains="'format'")
        self.assert_error(f'/api/v1/inverters/{serial}?pretty=1', 400, contains="'pretty'")
        self.assert_error('/cmds?' + '&'.join(f'cmd=status' for _ in range(100)), 400,
                          contains='more than 64')
        # Garbage on the socket: answered (or closed), the server goes on.
        for junk in [b'\x00\x01\x02\r\n\r\n', b'GET\r\n\r\n', b'GET / HTTP/9.9\r\n\r\n',
                     b'GET /cmds?cmd=status HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n']:
            with socket.create_connection(('127.0.0.1', self.web_port), timeout=10) as s:
                s.sendall(junk)
                try:
                    s.recv(4096)
                except (ConnectionError, socket.timeout):
                    pass
        self.assertEqual(self.request('/cmds?cmd=status').status, 200)

        # Many idle connections (twice the cap) and clients that never finish their request.
        idle = []
        for i in range(40):
            s = socket.create_connection(('127.0.0.1', self.web_port), timeout=10)
            if i % 2:
                s.sendall(b'GET /cmds?cmd=status HTTP/1.1\r\nHost: x\r\n')  # never finished
            idle.append(s)
        self.addCleanup(lambda: [s.close() for s in idle])
        # New clients are still served, at once.
        for _ in range(5):
            self.assertEqual(self.request('/cmds?cmd=status').status, 200)
        metrics = self.request('/metrics').body.decode()
        count = int([x for x in metrics.splitlines()
                     if x.startswith('axpert_web_connections ')][0].split()[1])
        self.assertLessEqual(count, 20)
        self.assertNotIn('axpert_web_connections_evicted_total 0\n', metrics)
        # The idle timeout closes what is left: every idle socket sees its end.
        for s in idle:
            s.settimeout(15)
            try:
                while s.recv(4096):
                    pass
            except (ConnectionError, socket.timeout) as e:
                self.assertNotIsInstance(e, socket.timeout, 'an idle connection stayed open')
        testlib.wait_for(lambda: 'axpert_web_connections 1\n' in
                         self.request('/metrics').body.decode(), 15, 0.2,
                         what='idle connections closed')
        self.assertTrue(self.web.running())

    def refused(self, path, **kwargs):
        try:
            r = self.request(path, **kwargs)
        except (ConnectionError, BrokenPipeError):
            return
        self.assertIn(r.status, (400, 413, 414, 431), f'{path[:80]}: {r.status}')

    def run_web(self, *args, config=None):
        argv = [weblib.web_binary()] + list(args)
        if config is not None:
            path = os.path.join(self.tmpdir, 'bad.conf')
            with open(path, 'w') as f:
                f.write(config)
            argv.append(f'--config={path}')
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=20)

    def test_bad_configuration(self):
        path = os.path.join(self.tmpdir, 'bad.conf')
        cases = [
            ('[Web]\nListen=localhost:80\n', '[Web] Listen:'),
            ('[Web]\nListen=127.0.0.1:99999\n', '[Web] Listen:'),
            ('[Web]\nListen=127.0.0.1\n', '[Web] Listen:'),
            ('[Web]\nListen=\n', '[Web] Listen: empty value'),
            ('[Web]\nPort=1\n', '[Web] Port: unknown key'),
            ('[Other]\nListen=127.0.0.1:1\n', '[Other]: unknown group'),
            ('[Web]\nMaxConnections=0\n', '[Web] MaxConnections:'),
            ('[Web]\nIdleTimeoutSec=abc\n', '[Web] IdleTimeoutSec:'),
            ('[Web]\nTLSCertificate=/nonexistent.pem\nTLSKey=/nonexistent.key\n',
             '[Web] TLSCertificate:'),
            ('[Web]\nTLSKey=/etc/hostname\n', '[Web] TLSKey: a key needs a TLSCertificate'),
            ('[Web]\nBasicAuthFile=/nonexistent\n', '[Web] BasicAuthFile:'),
            ('[Web]\nBasicAuthFile=/dev/zero\n', 'not a regular file'),
            ('not a key file\n', path),
        ]
        for text, expected in cases:
            r = self.run_web(config=text)
            self.assertEqual(r.returncode, 1, text)
            self.assertIn(expected, r.stderr, text)
            self.assertIn(path, r.stderr, text)
        htpasswd = os.path.join(self.tmpdir, 'users')
        with open(htpasswd, 'w') as f:
            f.write('admin:$apr1$abc$def\n')
        r = self.run_web(config=f'[Web]\nBasicAuthFile={htpasswd}\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('line 1: the hash of \'admin\' is not bcrypt', r.stderr)
        r = self.run_web('--listen=nowhere')
        self.assertEqual(r.returncode, 1)
        self.assertIn('--listen:', r.stderr)
        r = self.run_web('--config=/nonexistent/web.conf')
        self.assertEqual(r.returncode, 1)
        self.assertIn('/nonexistent/web.conf', r.stderr)

    def test_socket_activation(self):
        # As systemd passes axpert-web.socket: fd 3, LISTEN_FDS=1, LISTEN_PID=the server's pid.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(('127.0.0.1', 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        empty = os.path.join(self.tmpdir, 'activated.conf')
        with open(empty, 'w') as f:
            f.write('[Web]\nListen=127.0.0.1:1\n')  # ignored: systemd's socket wins
        fd = listener.fileno()
        proc = self.spawn('axpert-web-activated', [
            '/bin/sh', '-c', f'exec 3<&{fd}; LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" "$@"',
            weblib.web_binary(), f'--config={empty}'], pass_fds=(fd,))
        testlib.wait_for(lambda: 'socket(s) from systemd' in proc.output() or
                         not proc.running(), 20, what='axpert-web on the passed socket')
        self.assertTrue(proc.running(), proc.output())
        r = self.request('/metrics', port=port)
        self.assertEqual(r.status, 200)
        self.assertIn('axpert_web_daemon_up 0', r.body.decode())
        self.assert_error('/cmds?cmd=status', 503, port=port)

    def test_tls(self):
        cert = os.path.join(self.tmpdir, 'web.crt')
        key = os.path.join(self.tmpdir, 'web.key')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                        '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1',
                        '-keyout', key, '-out', cert], check=True, capture_output=True,
                       timeout=60)
        self.start_web(config=f'[Web]\nTLSCertificate={cert}\nTLSKey={key}\n')
        self.assertIn('Listening on https://', self.web.output())
        import http.client
        import ssl
        ctx = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection('127.0.0.1', self.web_port, context=ctx, timeout=10)
        conn.request('GET', '/metrics')
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertIn(b'axpert_web_daemon_up 0', r.read())
        conn.close()
        # Plain HTTP on the TLS port gets no answer in clear text.
        with socket.create_connection(('127.0.0.1', self.web_port), timeout=10) as s:
            s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
            try:
                data = s.recv(4096)
            except (ConnectionError, socket.timeout):
                data = b''
            self.assertNotIn(b'axpert_web', data)

    def test_basic_auth(self):
        import crypt  # noqa: F401 (deprecated, still in 3.11): makes the test's own hash
        htpasswd = os.path.join(self.tmpdir, 'users')
        with open(htpasswd, 'w') as f:
            f.write('# comment\nadmin:' + crypt.crypt('s3cret', crypt.METHOD_SHA512) + '\n')
        self.start_web(config=f'[Web]\nBasicAuthFile={htpasswd}\n')
        import base64
        r = self.request('/metrics')
        self.assertEqual(r.status, 401)
        self.assertIn('Basic', r.header('www-authenticate'))
        bad = base64.b64encode(b'admin:wrong').decode()
        self.assertEqual(self.request('/metrics', headers={'Authorization': f'Basic {bad}'})
                         .status, 401)
        good = base64.b64encode(b'admin:s3cret').decode()
        for _ in range(2):  # the second one from the cache
            r = self.request('/metrics', headers={'Authorization': f'Basic {good}'})
            self.assertEqual(r.status, 200)
        self.assertEqual(self.request('/api/v1/events?x=1',
                                      headers={'Authorization': f'Basic {bad}'}).status, 401)


if __name__ == '__main__':
    testlib.main()
