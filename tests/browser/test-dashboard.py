#!/usr/bin/python3
"""The axpert-web dashboard in Debian's headless Chromium against sim + axpertd + history + axpert-web.

org.axpert.History is axpert-history when it is built, else a python-dbusmock stand-in serving
a small recorded series per dbus/org.axpert.History.xml (history_template.py).

One scenario, one browser (starting Chromium is the expensive part): live values equal the
simulator's, a change on the simulator's control socket reaches the page, the history and energy
charts are drawn from recorded history, nothing comes from another origin, the page fits 375 px,
the event stream comes back by itself after axpert-web restarts, a history service that is gone
gives a message in the chart area, and an inverter that goes silent is shown offline with its
last values dimmed and dated, never as live. The browser console must stay free of errors
(the only ones tolerated are the network errors those outages cause, each checked by URL).
Screenshots go to $AXPERT_BROWSER_ARTIFACTS (meson: build/meson-logs/browser/).

Exit status 77 (skipped) when chromium, chromedriver or python3-selenium is missing.
"""
import json
import os
import signal
import socket
import sys
import tempfile
import time

# Debian's packages; the variables exist to check the skip path, not to use another browser.
CHROMIUM = os.environ.get('AXPERT_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('AXPERT_CHROMEDRIVER', '/usr/bin/chromedriver')


def missing_browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f'{path} is not installed (Debian packages chromium, chromium-driver)'
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'python3-selenium is not installed'
    return None


if __name__ == '__main__':
    why = missing_browser()
    if why:
        print(f'SKIP: {why}')
        sys.exit(77)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

import daemonlib  # noqa: E402
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HISTORY_TEMPLATE = os.path.join(HERE, 'history_template.py')  # until axpert-history is built
ARTIFACTS = os.environ.get('AXPERT_BROWSER_ARTIFACTS',
                           testlib.build_path('meson-logs', 'browser'))
# Markup, if anything parsed it (the daemon's shape checks keep it out of real values, so the
# test hands it to the page's own event handlers).
MARKUP = '<img src=x onerror="window.pwned=1"><b>bold</b>'
DESKTOP = (1280, 900)
PHONE = (375, 812)


def web_binary():
    return testlib.build_path('web', 'axpert-web')


def real_history_binary():
    """axpert-history when it is built here; None: the python-dbusmock stand-in is used
    (AXPERT_BROWSER_MOCK_HISTORY=1 forces the stand-in)."""
    path = testlib.build_path('history', 'axpert-history')
    if os.environ.get('AXPERT_BROWSER_MOCK_HISTORY') or not os.access(path, os.X_OK):
        return None
    return path


def free_port():
    """A port of this process's own (testlib.reserve_port): axpert-web is restarted on it, and
    no concurrent test can be listening there when the page is pointed at it."""
    return testlib.reserve_port()


def port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5):
            return True
    except OSError:
        return False


def descendants(pid):
    """PIDs of pid's children, grandchildren … (from /proc), deepest last."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: PPID follows the last ')'.
        ppid = int(stat.rsplit(')', 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def pid_alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class Browser:
    """chromedriver + headless Chromium with a private profile; every process stopped by PID.

    Chromium is started through a two-line wrapper that writes its PID before exec'ing
    /usr/bin/chromium (which execs the real binary: same PID), so the browser and the processes
    it forked can be stopped by PID even when chromedriver or selenium fail."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.profile = tempfile.mkdtemp(prefix='chromium-profile-', dir=tmpdir)
        self.pidfile = os.path.join(tmpdir, 'chromium.pid')
        self.wrapper = os.path.join(tmpdir, 'chromium-wrapper')
        with open(self.wrapper, 'w') as f:
            f.write(f'#!/bin/sh\necho $$ > {self.pidfile}\nexec {CHROMIUM} "$@"\n')
        os.chmod(self.wrapper, 0o755)
        self.driver_log = os.path.join(tmpdir, 'chromedriver.log')
        self.service = None
        self.driver = None

    def start(self):
        options = webdriver.ChromeOptions()
        options.binary_location = self.wrapper
        for arg in ('--headless=new', '--no-sandbox', f'--user-data-dir={self.profile}',
                    '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
                    '--no-default-browser-check', '--disable-background-networking',
                    '--disable-component-update', '--disable-sync', '--disable-extensions',
                    '--disable-features=Translate,MediaRouter,OptimizationHints',
                    '--lang=en-US', f'--window-size={DESKTOP[0]},{DESKTOP[1]}'):
            options.add_argument(arg)
        options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        self.service = Service(CHROMEDRIVER, log_path=self.driver_log)
        self.driver = webdriver.Chrome(service=self.service, options=options)
        self.driver.set_page_load_timeout(60)
        self.driver.set_script_timeout(30)
        return self.driver

    def browser_pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.browser_pid()
        tree = ([pid] + descendants(pid)) if pid else []
        if self.driver:
            try:
                self.driver.quit()
            except Exception as e:  # noqa: BLE001 - the PIDs below are stopped anyway
                sys.stderr.write(f'driver.quit(): {e}\n')
            self.driver = None
        for p in tree:
            if pid_alive(p):
                try:
                    os.kill(p, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in tree:
            if pid_alive(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.service:
            proc = getattr(self.service, 'process', None)
            try:
                self.service.stop()
            except Exception as e:  # noqa: BLE001
                sys.stderr.write(f'chromedriver stop: {e}\n')
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            self.service = None


class DashboardTest(daemonlib.DaemonTestCase):

    # --- the services ------------------------------------------------------------------

    def start_history(self, serial):
        real = real_history_binary()
        self.real_history = bool(real)
        if real:
            # What it records while the test runs is the history the page draws: poll and
            # commit every half second / second, like the history tests do.
            config = os.path.join(self.tmpdir, 'history.conf')
            with open(config, 'w') as f:
                f.write('[History]\nPollInterval=0.5\nCommitInterval=1\n')
            self.history = self.spawn('axpert-history', [
                real, f'--config={config}', f'--database={os.path.join(self.tmpdir, "history.db")}'])
        else:
            self.history = self.spawn('history-mock', [
                '/usr/bin/python3', '-m', 'dbusmock', '--system', '-t', HISTORY_TEMPLATE,
                '-p', json.dumps({'serial': serial})])
        testlib.wait_for(lambda: self.bus_has('org.axpert.History') or not self.history.running(),
                         30, 0.1, what='org.axpert.History on the bus')
        self.assertTrue(self.history.running(), 'the history service exited')

    def bus_has(self, name):
        return self.dbus.conn.call_sync(
            'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
            'NameHasOwner', daemonlib.GLib.Variant('(s)', (name,)),
            daemonlib.GLib.VariantType('(b)'), daemonlib.Gio.DBusCallFlags.NONE, 5000,
            None).unpack()[0]

    def start_web(self):
        self.web = self.spawn('axpert-web', [web_binary(), f'--listen=127.0.0.1:{self.port}'])
        testlib.wait_for(lambda: port_open(self.port) or not self.web.running(), 30, 0.1,
                         what='axpert-web listening')
        self.assertTrue(self.web.running(), 'axpert-web exited')

    # --- the page ----------------------------------------------------------------------

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, predicate, what, timeout=30):
        return testlib.wait_for(predicate, timeout, 0.1, what=what)

    def shown(self, key):
        """What the first element showing KEY says: its text, raw value and whether it is live."""
        return self.js('''
            const el = document.querySelector('[data-key="' + arguments[0] + '"]');
            return el && {text: el.textContent, value: el.dataset.value, live: el.dataset.live,
                          stale: el.classList.contains('stale'), title: el.getAttribute('title')};
        ''', key)

    def shown_number(self, key):
        s = self.shown(key)
        if not s or s['value'] in ('', 'null', None) or s['live'] != 'true':
            return None
        return json.loads(s['value'])

    def wait_value(self, key, expected, what=None):
        def check():
            v = self.shown_number(key)
            return v is not None and abs(v - expected) < 1e-6
        try:
            self.wait(check, what or f'{key} = {expected} on the page')
        except TimeoutError:
            self.fail(f'{key}: the page shows {self.shown(key)!r}, expected {expected}')

    def badge(self):
        return self.js("return document.getElementById('connection').textContent")

    def chart_info(self, canvas_id, color_var):
        """Chart.js's data length for the canvas and how many pixels have the dataset's colour."""
        return self.js('''
            const canvas = document.getElementById(arguments[0]);
            const chart = window.Chart && Chart.getChart(canvas);
            if (!chart) return null;
            const points = chart.data.datasets.reduce(
                (n, d) => n + d.data.filter((p) => p !== null && (typeof p === 'number' ||
                                                   (p && p.y !== null))).length, 0);
            const hex = getComputedStyle(document.documentElement)
                .getPropertyValue(arguments[1]).trim();
            const want = [1, 3, 5].map((i) => parseInt(hex.substr(i, 2), 16));
            // Read a copy: reading the chart's own canvas back again and again makes Chromium
            // warn (willReadFrequently) in the console this test keeps clean.
            const copy = document.createElement('canvas');
            copy.width = canvas.width;
            copy.height = canvas.height;
            const ctx = copy.getContext('2d', {willReadFrequently: true});
            ctx.drawImage(canvas, 0, 0);
            const img = ctx.getImageData(0, 0, copy.width, copy.height).data;
            let colored = 0, painted = 0;
            for (let i = 0; i < img.length; i += 4) {
                if (img[i + 3] === 0) continue;
                painted++;
                if (Math.abs(img[i] - want[0]) < 24 && Math.abs(img[i + 1] - want[1]) < 24 &&
                    Math.abs(img[i + 2] - want[2]) < 24 && img[i + 3] > 200)
                    colored++;
            }
            const box = canvas.parentElement;
            return {points, colored, painted, state: box.dataset.state,
                    message: box.querySelector('.chart-message').hidden ? null :
                             box.querySelector('.chart-message').textContent};
        ''', canvas_id, color_var)

    def wait_chart(self, canvas_id, color_var):
        info = {}
        # The stand-in serves six hours: lines. The real recorder has only the seconds this test
        # ran (a row or two, drawn as dots), and it may take a commit before it has any.
        pixels = 5 if self.real_history else 30

        reloaded = [time.monotonic()]

        def check():
            info['last'] = self.chart_info(canvas_id, color_var)
            i = info['last']
            if i and i['state'] == 'empty' and time.monotonic() - reloaded[0] > 2:
                self.js('window.axpertDashboard.reload()')
                reloaded[0] = time.monotonic()
            return i and i['state'] == 'ok' and i['points'] > 0 and i['colored'] >= pixels
        try:
            self.wait(check, f'{canvas_id} drawn from the history')
        except TimeoutError:
            self.fail(f'{canvas_id} not drawn: {info.get("last")!r}')
        return info['last']

    def console(self):
        return self.driver.get_log('browser')

    def assert_console_clean(self, allowed=()):
        """No console entry at level SEVERE or WARNING except network errors matching allowed
        (pairs of URL part and error text part)."""
        bad = []
        for e in self.console():
            if e['level'] not in ('SEVERE', 'WARNING'):
                continue
            msg = e['message']
            if e.get('source') == 'network' and any(u in msg and t in msg for u, t in allowed):
                continue
            bad.append(e)
        self.assertEqual(bad, [], 'browser console errors')

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f'dashboard-{name}.png')
        # The whole page: make the window as tall as the document first.
        width = self.driver.get_window_size()['width']
        height = self.js('return document.documentElement.scrollHeight')
        self.driver.set_window_size(width, min(max(height + 120, 600), 4000))
        self.assertTrue(self.driver.save_screenshot(path), f'screenshot {path}')
        print(f'screenshot: {path}')
        return path

    # --- the scenario ------------------------------------------------------------------

    def phase(self, name):
        print(f'{time.monotonic() - self.t0:6.1f} s  {name}', flush=True)

    def test_dashboard(self):
        self.t0 = t0 = time.monotonic()
        # Two parallel units, so that the units table is tested too.
        self.start('--scenario=static', '--units=2', daemon_args=('--poll-interval=0.5',))
        serial = self.dbus.get('SerialNumber')
        self.assertTrue(serial)
        self.start_history(serial)
        self.port = free_port()
        self.start_web()

        self.phase('services up; starting the browser')
        browser = Browser(self.tmpdir)
        self.addCleanup(browser.stop)
        self.driver = browser.start()
        self.phase('browser started; loading the page')
        url = f'http://127.0.0.1:{self.port}/'
        self.driver.get(url)

        self.phase('page loaded')
        # Live values: what the simulator says, through the bus and the event stream.
        self.wait(lambda: self.badge() == 'live', 'the page live')
        for key, name in (('battery_voltage', 'BatteryVoltage'),
                          ('grid_voltage', 'GridVoltage'),
                          ('battery_capacity', 'BatteryCapacity'),
                          ('pv_input_voltage', 'PvInputVoltage'),
                          ('ac_output_active_power', 'AcOutputActivePower')):
            self.wait_value(key, float(self.control.get(name)))
        shown = self.shown('battery_voltage')
        self.assertIn(f'{float(self.control.get("BatteryVoltage")):.2f} V', shown['text'])
        self.assertEqual(self.shown('mode')['text'], 'Line (grid)')
        self.assertEqual(self.shown('serial_number')['text'], serial)
        self.assertEqual(self.js("return document.body.dataset.live"), 'true')

        # The parallel units, one row each, with the simulator's values.
        def unit_rows():
            return self.js('''return Array.from(document.querySelectorAll('#units tbody tr'))
                              .map((tr) => Array.from(tr.cells).map((td) => td.textContent))''')
        self.wait(lambda: len(unit_rows()) == 2, 'two unit rows')
        self.assertFalse(self.js("return document.getElementById('units-card').hidden"))
        for i, row in enumerate(unit_rows()):
            watts = int(float(self.control.get('AcOutputActivePower', unit=i)))
            self.assertEqual(row[0], str(i), row)
            self.assertEqual(row[2], f'{watts:,} W', row)

        # Nothing from another origin (no CDN, no fonts), and the chart library is Debian's.
        origins = self.js('''return performance.getEntriesByType('resource')
                             .map((e) => new URL(e.name).origin)''')
        self.assertTrue(origins, 'no resources loaded')
        self.assertEqual(set(origins), {f'http://127.0.0.1:{self.port}'})
        self.assertEqual(self.js('return window.Chart && Chart.version'), '3.9.1')

        self.phase('live values shown')
        # A change on the simulator reaches the page within a few poll cycles.
        self.control.set('BatteryVoltage', '49.60')
        self.control.set('AcOutputActivePower', '2345')
        self.control.set('Mode', 'battery')
        # QPIWS a5 line-fail (a warning), a1 inverter-fault + a9 over-temperature (faults
        # while a1 is set); position N of the bit string is aN.
        bits = ['0'] * 32
        for n in (1, 5, 9):
            bits[n] = '1'
        self.control.set('WarningStatus', ''.join(bits))
        self.wait_value('battery_voltage', 49.6, 'the new battery voltage on the page')
        self.wait_value('ac_output_active_power', 2345)
        self.wait(lambda: self.shown('mode')['text'] == 'Battery', 'mode Battery')
        # Warnings and faults are the bus's lists, in words.
        warnings = testlib.wait_for(lambda: self.dbus.get('Warnings'), 20, 0.1,
                                    what='a warning on the bus')

        def chips(ul):
            return self.js(f"return Array.from(document.querySelectorAll('#{ul} li'))"
                           ".map((li) => li.textContent)")
        faults = self.dbus.get('Faults')
        self.assertTrue(faults)
        self.wait(lambda: chips('warnings') == [w.replace('-', ' ') for w in warnings] and
                  chips('faults') == [f.replace('-', ' ') for f in faults],
                  f'the warnings {warnings} and faults {faults} on the page')

        self.phase('change followed')
        # Charts from the recorded history (day range) and the energy bars.
        power = self.wait_chart('chart-power', '--pv')
        self.wait_chart('chart-battery', '--battery')
        self.wait_chart('chart-energy', '--pv')
        if not self.real_history:
            self.assertGreater(power['points'], 10)
        self.js("document.querySelector('#history-tabs [data-range=week]').click()")
        self.wait_chart('chart-power', '--pv')
        self.js("document.querySelector('#energy-tabs [data-period=month]').click()")
        self.wait_chart('chart-energy', '--pv')

        self.assert_console_clean()
        self.screenshot('desktop')

        self.phase('charts drawn')
        # A phone: nothing wider than the screen.
        self.driver.set_window_size(*PHONE)
        self.wait(lambda: self.js('return window.innerWidth') <= PHONE[0], 'the narrow window')
        # The page follows a resize asynchronously (the charts resize their canvases from a
        # ResizeObserver, on a later frame): a loaded machine shows the old widths for a while
        # after innerWidth changed. Whatever is wider than the screen must go once it settled.
        overflow = []

        def fits():
            overflow[:] = self.js('''return [document.documentElement.scrollWidth,
                                             document.documentElement.clientWidth]''')
            return overflow[0] <= overflow[1]
        try:
            self.wait(fits, 'no horizontal scrolling at 375 px', timeout=15)
        except TimeoutError:
            self.fail(f'horizontal scrolling at 375 px: scrollWidth, clientWidth = {overflow}')
        self.wait_chart('chart-power', '--pv')
        self.screenshot('phone')
        self.driver.set_window_size(*DESKTOP)

        self.phase('phone layout checked')
        # axpert-web restarts: the page says so, dims what it shows, and comes back by itself.
        self.web.stop()
        self.wait(lambda: self.badge() in ('reconnecting…', 'connecting…'),
                  'the page noticing the server is gone')
        self.assertEqual(self.shown('battery_voltage')['live'], 'false')
        self.assertTrue(self.shown('battery_voltage')['stale'])
        self.control.set('BatteryVoltage', '50.40')
        self.start_web()
        self.wait_value('battery_voltage', 50.4, 'the page live again after the restart')
        self.assertEqual(self.badge(), 'live')
        restart_errors = (('/api/v1/', 'net::ERR_'),)
        self.assert_console_clean(restart_errors)

        self.phase('back after the restart')
        # axpertd stops: the stream stays, the page says so and shows nothing as live; it is
        # live again when the daemon is back.
        self.daemon.stop()
        self.wait(lambda: self.badge() == 'axpertd stopped', 'axpertd stopped on the page')
        self.assertIn('axpertd is not running', self.js(
            "return document.getElementById('banner').textContent"))
        bv = self.shown('battery_voltage')
        self.assertEqual((bv['live'], bv['stale']), ('false', True), bv)
        self.control.set('BatteryVoltage', '50.80')
        self.start_daemon('--poll-interval=0.5')
        self.wait_online()
        self.wait_value('battery_voltage', 50.8, 'live again with axpertd back')
        self.assertEqual(self.badge(), 'live')
        # The units are read every 5 s: one such read may meet the daemon's absence.
        daemon_errors = restart_errors + (('/units', '503'),)
        self.assert_console_clean(daemon_errors)
        self.phase('back after axpertd restarted')
        # The history service goes away: a message in the chart area, live values unaffected.
        self.history.stop()
        self.wait(lambda: not self.bus_has('org.axpert.History'), 'the history service gone')
        self.js("document.querySelector('#history-tabs [data-range=day]').click()")

        def history_message():
            i = self.chart_info('chart-power', '--pv')
            return i and i['state'] == 'error' and i['message']
        message = self.wait(history_message, 'the history error message')
        self.assertIn('not available', message)
        self.control.set('BatteryVoltage', '51.10')
        self.wait_value('battery_voltage', 51.1, 'live values without history')
        history_errors = daemon_errors + (('/history?', '503'), ('/energy?', '503'))
        self.assert_console_clean(history_errors)

        self.phase('history message shown')
        # The inverter goes silent: offline, clearly, with the last values dimmed and dated.
        self.control.fault('silence')
        self.wait(lambda: self.badge() == 'offline', 'offline on the page', timeout=60)
        banner = self.js("const b = document.getElementById('banner');"
                         "return b.hidden ? null : b.textContent")
        self.assertIsNotNone(banner)
        self.assertIn('offline', banner)
        self.assertIn('from', banner)  # … the last ones, from HH:MM:SS.
        bv = self.shown('battery_voltage')
        self.assertEqual(bv['live'], 'false')
        self.assertTrue(bv['stale'], f'battery voltage not dimmed: {bv!r}')
        self.assertIn('51.10 V', bv['text'])
        self.assertIn('last value', bv['title'] or '')
        self.assertEqual(self.js("return document.body.dataset.live"), 'false')
        self.assertEqual(self.js("return document.querySelectorAll('.link.active').length"), 0)
        self.screenshot('offline')
        # Unit objects go when the inverter goes offline: a read may meet that.
        offline_errors = history_errors + (('/units/', '404'),)
        self.assert_console_clean(offline_errors)
        self.phase('offline shown')
        # Whatever the server sends is text: fed through the page's own event handlers, markup
        # in every kind of field (a value, an enumeration, a list, a serial number) stays text.
        self.js('''
            const es = window.axpertDashboard.es, markup = arguments[0], serial = arguments[1];
            es.dispatchEvent(new MessageEvent('change', {data: JSON.stringify({serial, changes: {
                online: true, parallel_units: 0, model_name: markup, last_error: markup, mode: markup,
                warnings: [markup], faults: [markup], battery_type: markup}})}));
            es.dispatchEvent(new MessageEvent('state', {data: JSON.stringify({
                serial: markup, state: {online: true, serial_number: markup}})}));
        ''', MARKUP, serial)
        self.wait(lambda: self.badge() == 'live', 'the injected state shown')
        self.assertEqual(self.shown('model_name')['text'], MARKUP)
        self.assertEqual(self.shown('last_error')['text'], MARKUP)
        self.assertEqual(self.js("return document.querySelector('#warnings li').textContent"),
                         MARKUP)
        self.assertEqual(self.js("return document.querySelector('#faults li').textContent"),
                         MARKUP)
        self.assertEqual(self.js("return Array.from(document.querySelectorAll('#inverter option'))"
                                 ".map((o) => o.textContent)"), sorted([serial, MARKUP]))
        self.assertEqual(self.js('return document.querySelectorAll("img, b").length'), 0)
        self.assertIsNone(self.js('return window.pwned === undefined ? null : window.pwned'))
        self.assert_console_clean(offline_errors)
        print(f'scenario took {time.monotonic() - t0:.1f} s; screenshots in {ARTIFACTS}')


if __name__ == '__main__':
    testlib.main()
