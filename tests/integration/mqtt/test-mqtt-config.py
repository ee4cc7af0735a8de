#!/usr/bin/python3
"""Configuration: bad files, keys and values stop axpert-mqtt at start with a message naming
file, group and key; credentials (PasswordFile, $CREDENTIALS_DIRECTORY) and TLS work."""
import os
import shutil
import subprocess
import time

import mqttlib
from mqttlib import SERIAL, testlib

BINARY = testlib.build_path('mqtt', 'axpert-mqtt')


class ConfigTest(mqttlib.MqttTestCase):

    def run_bridge(self, config, timeout=10):
        return subprocess.run([BINARY, '--config', config], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def test_bad_values(self):
        cases = [
            ('[MQTT]\nQoS=7\n', '[MQTT] QoS'),
            ('[MQTT]\nBroker=http://x:1883\n', '[MQTT] Broker'),
            ('[MQTT]\nBroker=mqtts//x\n', '[MQTT] Broker'),
            ('[MQTT]\nBroker=tcp://x:0\n', '[MQTT] Broker'),
            ('[MQTT]\nTopicPrefix=a/#\n', '[MQTT] TopicPrefix'),
            ('[MQTT]\nTopicPrefix=axpert/\n', '[MQTT] TopicPrefix'),
            ('[MQTT]\nUsername=u\nPasswordFile=/nonexistent\n', '[MQTT] PasswordFile'),
            ('[MQTT]\nCAFile=/etc/hostname\n', '[MQTT] CAFile'),
            ('[MQTT]\nPort=1883\n', '[MQTT] Port: unknown key'),
            ('[HomeAssistant]\nDiscovery=perhaps\n', '[HomeAssistant] Discovery'),
            ('[HomeAssistant]\nDiscoveryPrefix=\n', '[HomeAssistant] DiscoveryPrefix'),
            ('[MindFreeze]\nEnabled=enable\n', '[MindFreeze] Enabled'),
            ('[MindFreeze]\nParallelTopic=power/+\n', '[MindFreeze] ParallelTopic'),
            ('[Commands]\nEnabled=1x\n', '[Commands] Enabled'),
            ('[Command]\nEnabled=true\n', '[Command]: unknown group'),
            ('[MQTT\nBroker=tcp://x\n', ''),
            ('\xff\xfe garbage\n', ''),
        ]
        for text, expect in cases:
            path = os.path.join(self.tmpdir, 'bad.conf')
            with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
                f.write(text)
            r = self.run_bridge(path)
            self.assertEqual(r.returncode, 1, (text, r.stderr))
            self.assertIn(path, r.stderr, text)
            self.assertIn(expect, r.stderr, text)
            self.assertTrue(r.stderr.startswith('<3>'), r.stderr)
            # Nothing was published: a bad configuration changes nothing.
        time.sleep(0.3)
        self.assertEqual(self.recorder.all(), [])

    def run_bridge_bounded(self, config, env=None, max_rss_kib=256 * 1024, timeout=20):
        """Runs axpert-mqtt to its exit, but kills it (and fails) when it hangs or its memory
        grows without bound, so that a regression is a failed test, not an exhausted machine."""
        with open(os.path.join(self.tmpdir, 'bounded.log'), 'w+') as log:
            p = subprocess.Popen([BINARY, '--config', config], env=env or self.env,
                                 stdout=subprocess.DEVNULL, stderr=log, text=True)
            deadline = time.monotonic() + timeout
            try:
                while p.poll() is None:
                    try:
                        with open(f'/proc/{p.pid}/status') as f:
                            rss = next((int(line.split()[1]) for line in f
                                        if line.startswith('VmRSS:')), 0)
                    except (FileNotFoundError, ProcessLookupError, StopIteration):
                        rss = 0
                    if rss > max_rss_kib:
                        self.fail(f'axpert-mqtt grew to {rss} KiB reading {config}')
                    if time.monotonic() > deadline:
                        self.fail(f'axpert-mqtt did not exit within {timeout}s ({config})')
                    time.sleep(0.02)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            log.seek(0)
            return p.returncode, log.read()

    def test_secret_and_config_files_bounded(self):
        """PasswordFile is a short regular file: no device, FIFO or directory (which would hang
        or grow memory without end), nothing over 4 KiB; the configuration file itself is a
        regular file of at most 1 MiB."""
        fifo = os.path.join(self.tmpdir, 'fifo')
        os.mkfifo(fifo)
        big = os.path.join(self.tmpdir, 'big-password')
        with open(big, 'w') as f:
            f.write('x' * 4097)
        limit = os.path.join(self.tmpdir, 'limit-password')
        with open(limit, 'w') as f:
            f.write('y' * 4095 + '\n')
        cases = [
            ('/dev/zero', "'/dev/zero' is not a regular file (a character device)"),
            (fifo, f"'{fifo}' is not a regular file (a FIFO)"),
            (self.tmpdir, f"'{self.tmpdir}' is not a regular file (a directory)"),
            (big, f"'{big}' is larger than 4096 bytes"),
        ]
        for path, expect in cases:
            config = self.write_config(MQTT={'Username': 'u', 'PasswordFile': path})
            rc, err = self.run_bridge_bounded(config)
            self.assertEqual(rc, 1, (path, err))
            self.assertIn(f'{config}: [MQTT] PasswordFile: {expect}', err)
        # The configuration file itself.
        for path, expect in [('/dev/zero', 'is not a regular file (a character device)'),
                             (fifo, 'is not a regular file (a FIFO)')]:
            rc, err = self.run_bridge_bounded(path)
            self.assertEqual(rc, 1, (path, err))
            self.assertIn(f'{path}: {expect}', err)
        huge = os.path.join(self.tmpdir, 'huge.conf')
        with open(huge, 'w') as f:
            f.write('[MQTT]\n' + '#' * (1024 * 1024) + '\n')
        rc, err = self.run_bridge_bounded(huge)
        self.assertEqual(rc, 1, err)
        self.assertIn(f'{huge}: is larger than 1048576 bytes', err)
        time.sleep(0.3)
        self.assertEqual(self.recorder.all(), [])
        # 4096 bytes with the trailing newline is still a password (the newline stripped): the
        # broker accepts the login.
        pwfile = os.path.join(self.tmpdir, 'mosquitto.passwd')
        subprocess.run(['mosquitto_passwd', '-c', '-b', pwfile, 'axpert', 'y' * 4095],
                       check=True, capture_output=True)
        os.chmod(pwfile, 0o644)
        self.recorder.close()
        self.broker.stop()
        self.broker = mqttlib.Broker(self)
        with open(self.broker.conf, 'w') as f:
            f.write(f'listener {self.broker.port} 127.0.0.1\nallow_anonymous false\n'
                    f'persistence false\npassword_file {pwfile}\n')
        self.broker.start()
        self.start_bridge(MQTT={'Broker': f'tcp://127.0.0.1:{self.broker.port}',
                                'Username': 'axpert', 'PasswordFile': limit})
        testlib.wait_for(lambda: 'Connected to the MQTT broker' in self.bridge.output(), 20,
                         what='the login with a 4095-byte password')

    def test_mqtt_url_and_yes_no(self):
        """mqtt:// (the broker's own spelling) reaches Paho as tcp://, and yes/no, on/off and
        1/0 are booleans: this bridge connects, publishes discovery and the compatible topics,
        and says what it uses."""
        self.start_mock()
        self.start_bridge(MQTT={'Broker': f'mqtt://127.0.0.1:{self.broker.port}'},
                          HomeAssistant={'Discovery': 'yes'}, MindFreeze={'Enabled': 'on'},
                          Commands={'Enabled': '0'})
        self.wait_online()
        self.recorder.wait(f'homeassistant/sensor/axpert_{SERIAL}/battery_voltage/config')
        self.recorder.wait('power/axpert_settings')
        testlib.wait_for(lambda: f'Publishing to tcp://127.0.0.1:{self.broker.port}'
                         in self.bridge.output(), 10, what='the rewritten URL in the log')
        time.sleep(0.5)
        self.assertFalse([t for t in self.recorder.latest()
                          if t.startswith(('homeassistant/select/', 'homeassistant/switch/'))])

    def test_missing_file_and_bad_arguments(self):
        r = self.run_bridge(os.path.join(self.tmpdir, 'nonexistent.conf'))
        self.assertEqual(r.returncode, 1)
        self.assertIn('nonexistent.conf', r.stderr)
        r = subprocess.run([BINARY, '--no-such-option'], capture_output=True, text=True,
                           env=self.env, timeout=10)
        self.assertEqual(r.returncode, 1)
        r = subprocess.run([BINARY, '--version'], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith('axpert-mqtt '))

    def test_password_credential(self):
        """Username + PasswordFile given as a systemd credential name (LoadCredential=)."""
        pwfile = os.path.join(self.tmpdir, 'mosquitto.passwd')
        subprocess.run(['mosquitto_passwd', '-c', '-b', pwfile, 'axpert', 's3cret pass'],
                       check=True, capture_output=True)
        os.chmod(pwfile, 0o644)
        self.recorder.close()
        self.broker.stop()
        self.broker = mqttlib.Broker(self, extra=f'password_file {pwfile}\n')
        with open(self.broker.conf, 'w') as f:
            f.write(f'listener {self.broker.port} 127.0.0.1\nallow_anonymous false\n'
                    f'persistence false\npassword_file {pwfile}\n')
        self.broker.start()
        creds = os.path.join(self.tmpdir, 'credentials')
        os.mkdir(creds)
        with open(os.path.join(creds, 'mqtt-password'), 'w') as f:
            f.write('s3cret pass\n')
        # The recorder logs in too.
        import paho.mqtt.client as mqtt
        orig = mqtt.Client.connect

        def connect(client, *a, **kw):
            client.username_pw_set('axpert', 's3cret pass')
            return orig(client, *a, **kw)
        mqtt.Client.connect = connect
        try:
            self.recorder = mqttlib.Recorder(self.broker.port)
        finally:
            mqtt.Client.connect = orig
        self.addCleanup(self.recorder.close)
        self.start_mock()
        env = dict(self.env, CREDENTIALS_DIRECTORY=creds)
        self.start_bridge(env=env, MQTT={'Broker': f'tcp://127.0.0.1:{self.broker.port}',
                                         'Username': 'axpert', 'PasswordFile': 'mqtt-password'})
        self.wait_online()

    def test_wrong_password_retries(self):
        pwfile = os.path.join(self.tmpdir, 'mosquitto.passwd')
        subprocess.run(['mosquitto_passwd', '-c', '-b', pwfile, 'axpert', 'right'],
                       check=True, capture_output=True)
        os.chmod(pwfile, 0o644)
        self.recorder.close()
        self.broker.stop()
        self.broker = mqttlib.Broker(self)
        with open(self.broker.conf, 'w') as f:
            f.write(f'listener {self.broker.port} 127.0.0.1\nallow_anonymous false\n'
                    f'persistence false\npassword_file {pwfile}\n')
        self.broker.start()
        self.start_mock()
        self.start_bridge(MQTT={'Broker': f'tcp://127.0.0.1:{self.broker.port}',
                                'Username': 'axpert', 'Password': 'wrong'})
        testlib.wait_for(lambda: 'Cannot connect' in self.bridge.output(), 10,
                         what='the refusal logged')
        time.sleep(2)
        self.assertTrue(self.bridge.running())
        self.assertNotIn('s3cret', self.bridge.output())

    def test_tls(self):
        if shutil.which('openssl') is None:
            self.fail('openssl (Debian package openssl) is needed to make certificates')
        d = self.tmpdir
        def ssl(*args):
            subprocess.run(['openssl', *args], check=True, capture_output=True, cwd=d)
        ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out',
            'ca.pem', '-days', '2', '-subj', '/CN=axpert test CA')
        ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
            '-subj', '/CN=127.0.0.1')
        with open(os.path.join(d, 'san.ext'), 'w') as f:
            f.write('subjectAltName=IP:127.0.0.1\n')
        ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext')
        for f in ('server.key', 'server.pem', 'ca.pem'):
            os.chmod(os.path.join(d, f), 0o644)
        tls = mqttlib.Broker(self)
        with open(tls.conf, 'w') as f:
            f.write(f'listener {tls.port} 127.0.0.1\nallow_anonymous true\npersistence false\n'
                    f'cafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n')
        tls.start()
        import paho.mqtt.client as mqtt
        rec = mqtt.Client(client_id='tls-recorder')
        got = []
        rec.tls_set(ca_certs=os.path.join(d, 'ca.pem'))
        rec.on_connect = lambda c, u, f, rc: c.subscribe('#')
        rec.on_message = lambda c, u, m: got.append((m.topic, m.payload))
        rec.connect('127.0.0.1', tls.port)
        rec.loop_start()
        self.addCleanup(rec.loop_stop)
        self.start_mock()
        self.start_bridge(MQTT={'Broker': f'ssl://127.0.0.1:{tls.port}',
                                'CAFile': os.path.join(d, 'ca.pem')})
        testlib.wait_for(lambda: (f'axpert/{SERIAL}/availability', b'online') in got, 15,
                         what='state over TLS')
        # A CA that did not sign the server's certificate is refused.
        ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out',
            'other.pem', '-days', '2', '-subj', '/CN=other CA')
        self.bridge.stop()
        got.clear()
        self.start_bridge(MQTT={'Broker': f'ssl://127.0.0.1:{tls.port}',
                                'CAFile': os.path.join(d, 'other.pem'),
                                'ClientId': 'axpert-mqtt-other'})
        testlib.wait_for(lambda: self.bridge.output().count('Cannot connect') >= 1, 15,
                         what='the TLS refusal')
        self.assertFalse([g for g in got if g[0].startswith('axpert/')])


if __name__ == '__main__':
    testlib.main(jobs=4, first=('test_password_credential', 'test_tls'))
