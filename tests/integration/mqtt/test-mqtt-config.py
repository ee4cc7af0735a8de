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
            ('[MQTT]\nBroker=mqtt://x:1883\n', '[MQTT] Broker'),
            ('[MQTT]\nBroker=tcp://x:0\n', '[MQTT] Broker'),
            ('[MQTT]\nTopicPrefix=a/#\n', '[MQTT] TopicPrefix'),
            ('[MQTT]\nTopicPrefix=axpert/\n', '[MQTT] TopicPrefix'),
            ('[MQTT]\nUsername=u\nPasswordFile=/nonexistent\n', '[MQTT] PasswordFile'),
            ('[MQTT]\nCAFile=/etc/hostname\n', '[MQTT] CAFile'),
            ('[MQTT]\nPort=1883\n', '[MQTT] Port: unknown key'),
            ('[HomeAssistant]\nDiscovery=perhaps\n', '[HomeAssistant] Discovery'),
            ('[HomeAssistant]\nDiscoveryPrefix=\n', '[HomeAssistant] DiscoveryPrefix'),
            ('[MindFreeze]\nEnabled=on\n', '[MindFreeze] Enabled'),
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
    testlib.main()
