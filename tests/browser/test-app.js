// The dashboard's pure functions (web/static/app.js) under Debian's node, without a browser.
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const source = path.join(process.env.AXPERT_SOURCE_ROOT || path.join(__dirname, '..', '..'),
  'web', 'static', 'app.js');

// Just enough of a window for app.js to load: the document is "loading", so start() (which
// needs the DOM) waits for an event that never comes here.
const window = {};
const sandbox = {
  window,
  document: { readyState: 'loading', addEventListener() {} },
  console,
};
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(source, 'utf8'), sandbox, { filename: source });
const lib = window.axpertDashboard && window.axpertDashboard.lib;
assert.ok(lib, 'app.js exposes window.axpertDashboard.lib');

// Values from the sandbox have its own Array prototype: compare them as plain JSON.
const plain = (x) => JSON.parse(JSON.stringify(x));

let checks = 0;
function check(name, fn) {
  fn();
  checks++;
  console.log('ok ' + checks + ' - ' + name);
}

check('derive: PV total, load, battery power with its sign', () => {
  const d = lib.derive({
    pv_input_power: 800, pv2_input_power: 200, ac_output_active_power: 300,
    battery_voltage: 50, battery_charging_current: 2, battery_discharge_current: 0,
  });
  assert.strictEqual(d.pv_total_power, 1000);
  assert.strictEqual(d.load_power, 300);
  assert.strictEqual(d.battery_power, 100);
  const dis = lib.derive({ battery_voltage: 50, battery_charging_current: 0, battery_discharge_current: 3 });
  assert.strictEqual(dis.battery_power, -150);
});

check('derive: null (offline, not reported) stays null, never 0', () => {
  const d = lib.derive({
    pv_input_power: null, pv2_input_power: null, ac_output_active_power: null,
    battery_voltage: null, battery_charging_current: 1, battery_discharge_current: 0,
  });
  assert.strictEqual(d.pv_total_power, null);
  assert.strictEqual(d.load_power, null);
  assert.strictEqual(d.battery_power, null);
  // One PV input reported, the other not: the reported one.
  assert.strictEqual(lib.derive({ pv_input_power: 500, pv2_input_power: null }).pv_total_power, 500);
});

check('derive: a parallel system shows the total output', () => {
  const d = lib.derive({ parallel_units: 2, ac_output_active_power: 100, total_ac_output_active_power: 250 });
  assert.strictEqual(d.load_power, 250);
  assert.strictEqual(lib.derive({ parallel_units: 0, ac_output_active_power: 100,
    total_ac_output_active_power: 100 }).load_power, 100);
});

check('series: µs to ms, null for NaN, a break where rows are missing', () => {
  const s = lib.series([0, 300e6, 600e6, 3600e6], [1, null, 3, 4], 300);
  assert.deepStrictEqual(plain(s.map((p) => p.y)), [1, null, 3, null, 4]);
  assert.strictEqual(s[0].x, 0);
  assert.strictEqual(s[1].x, 300e3);
  assert.strictEqual(s[3].x, (3600e3 + 600e3) / 2); // the inserted break
  assert.deepStrictEqual(plain(lib.series([], [], 300)), []);
  // A column missing from the answer: all gaps, no exception.
  assert.deepStrictEqual(plain(lib.series([0], undefined, 300).map((p) => p.y)), [null]);
});

check('tickTimes: a day in round hours from local midnight, as many as fit', () => {
  const midnight = new Date(2026, 11, 1, 0, 0, 0).getTime();
  const hour = 3600e3;
  const t = lib.tickTimes(midnight + 30 * 60e3, midnight + 24 * hour, 5, 'day');
  assert.ok(t.length >= 2 && t.length <= 5, 'count ' + t.length);
  for (const x of t)
    assert.strictEqual((x - midnight) % (6 * hour), 0, 'on a 6-hour boundary: ' + new Date(x));
  assert.ok(t[0] >= midnight + 30 * 60e3);
  const wide = lib.tickTimes(midnight, midnight + 24 * hour, 30, 'day');
  assert.strictEqual(wide.length, 25); // hourly, both ends included
  assert.deepStrictEqual(plain(lib.tickTimes(5, 5, 4, 'day')), []);
  assert.deepStrictEqual(plain(lib.tickTimes(NaN, 5, 4, 'day')), []);
});

check('tickTimes: a month on calendar days (local midnights)', () => {
  const first = new Date(2026, 9, 1).getTime();
  const last = new Date(2026, 10, 1).getTime();
  const t = lib.tickTimes(first, last, 8, 'month');
  assert.ok(t.length >= 4 && t.length <= 8, 'count ' + t.length);
  for (const x of t) {
    const d = new Date(x);
    assert.strictEqual(d.getHours() * 60 + d.getMinutes(), 0, 'midnight: ' + d);
  }
});

check('tickTimes: round local hours also on a day with a DST change', () => {
  // Wherever the test runs (TZ=Europe/Berlin: 25 October 2026 has 25 hours).
  const first = new Date(2026, 9, 25).getTime();
  const last = new Date(2026, 9, 26).getTime();
  const t = lib.tickTimes(first, last, 5, 'day');
  assert.ok(t.length >= 2);
  for (const x of t)
    assert.strictEqual(new Date(x).getHours() % 6, 0, 'on a round local hour: ' + new Date(x));
});

check('humanize and formatNumber', () => {
  assert.strictEqual(lib.humanize('line'), 'Line (grid)');
  assert.strictEqual(lib.humanize('unknown'), '—');
  assert.strictEqual(lib.humanize('solar-and-utility'), 'solar and utility');
  assert.strictEqual(lib.formatNumber(51.2, 2), (51.2).toLocaleString(undefined,
    { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  assert.ok(lib.formatNumber(5, 0, true).startsWith('+'));
  assert.ok(!lib.formatNumber(0, 0, true).startsWith('+'));
});

check('periodStart: local midnight and the first of the month', () => {
  const d = new Date(2026, 1, 17, 15, 4, 5);
  assert.strictEqual(lib.periodStart(d, 'day').getTime(), new Date(2026, 1, 17).getTime());
  assert.strictEqual(lib.periodStart(d, 'month').getTime(), new Date(2026, 1, 1).getTime());
});

console.log('1..' + checks);
