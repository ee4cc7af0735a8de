/* The axpert-web dashboard's logic: live state from /api/v1/events, history and energy charts. */
'use strict';

(function () {
  // Everything is relative, so the page also works behind a reverse proxy under a path prefix.
  const API = 'api/v1/';
  const SECOND = 1000;
  // Timestamps in answers are microseconds since the epoch, as on the bus (WEB.md, HISTORY.md);
  // since= and until= take seconds.
  const US_PER_MS = 1000;

  const RANGES = {
    day: { span: 86400, step: 300 },
    week: { span: 7 * 86400, step: 1800 },
    month: { span: 30 * 86400, step: 3 * 3600 },
  };
  const HISTORY_FIELDS = ['PvInputPower', 'AcOutputActivePower', 'BatteryVoltage', 'BatteryCapacity'];
  const ENERGY_PERIODS = { day: 14, month: 12 };
  // The energy kinds: the key in the API's answer (GetEnergy's, snake_case), label, colour.
  const ENERGY_KINDS = [
    ['pv', 'PV', '--pv'],
    ['load', 'Load', '--load'],
    ['grid', 'Grid (estimate)', '--grid'],
    ['battery_charge', 'Battery charge', '--battery'],
    ['battery_discharge', 'Battery discharge', '--warn'],
  ];
  const MODE_NAMES = {
    'power-on': 'Power on',
    standby: 'Standby',
    line: 'Line (grid)',
    battery: 'Battery',
    fault: 'Fault',
    'power-saving': 'Power saving',
    shutdown: 'Shutdown',
    unknown: '—',
  };

  const app = {
    inverters: new Map(), // serial → {values, lastGood, lastGoodTime, fresh}
    selected: null,
    es: null,
    streamUp: false,
    daemonPresent: true,
    backoff: SECOND,
    reconnectTimer: null,
    range: 'day',
    period: 'day',
    charts: {},
    historyToken: 0,
    energyToken: 0,
  };
  window.axpertDashboard = app; // for the browser test and for curious people in the console

  const $ = (id) => document.getElementById(id);

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
  }

  function isNumber(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function formatTime(ms) {
    const d = new Date(ms);
    const now = new Date();
    if (d.toDateString() === now.toDateString())
      return d.toLocaleTimeString();
    return d.toLocaleString();
  }

  function formatNumber(v, digits, signed) {
    return v.toLocaleString(undefined, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      signDisplay: signed ? 'exceptZero' : 'auto',
    });
  }

  function humanize(text) {
    if (Object.prototype.hasOwnProperty.call(MODE_NAMES, text))
      return MODE_NAMES[text];
    return String(text).replace(/-/g, ' ');
  }

  function record(serial) {
    let r = app.inverters.get(serial);
    if (!r) {
      r = { values: {}, lastGood: {}, lastGoodTime: 0, fresh: false };
      app.inverters.set(serial, r);
      updatePicker();
    }
    return r;
  }

  // Values computed from the state: what the flow picture shows.
  function derive(v) {
    const out = Object.assign({}, v);
    const pv1 = v.pv_input_power;
    const pv2 = v.pv2_input_power;
    out.pv_total_power = isNumber(pv1) ? pv1 + (isNumber(pv2) ? pv2 : 0) : (isNumber(pv2) ? pv2 : null);
    const load = isNumber(v.total_ac_output_active_power) && v.parallel_units > 0
      ? v.total_ac_output_active_power : v.ac_output_active_power;
    out.load_power = isNumber(load) ? load : null;
    const volts = v.battery_voltage;
    const chg = v.battery_charging_current;
    const dis = v.battery_discharge_current;
    out.battery_power = isNumber(volts) && isNumber(chg) && isNumber(dis)
      ? Math.round(volts * (chg - dis)) : null;
    return out;
  }

  // Remembers the values of a live reading, so that when the inverter goes offline (the daemon
  // then reports null) the page can still show them — dimmed, with the time they are from.
  function remember(r) {
    if (!r.fresh || r.values.online !== true)
      return;
    const d = derive(r.values);
    for (const [k, v] of Object.entries(d)) {
      if (v === null || v === undefined)
        delete r.lastGood[k];
      else
        r.lastGood[k] = v;
    }
    const ts = r.values.last_update_timestamp;
    r.lastGoodTime = isNumber(ts) && ts > 0 ? ts / US_PER_MS : Date.now();
  }

  function applyFull(serial, state) {
    const r = record(serial);
    r.values = Object.assign({}, state);
    r.fresh = true;
    remember(r);
  }

  function applyChanges(serial, changes) {
    const r = record(serial);
    Object.assign(r.values, changes);
    remember(r);
  }

  // --- rendering -------------------------------------------------------------------------

  function setText(el, text) {
    if (el.textContent !== text)
      el.textContent = text;
  }

  function renderValue(el, key, cur, live, r) {
    const setting = el.dataset.setting === '1';
    let v = cur[key];
    let stale = false;
    if (!live && !setting && el.dataset.always !== '1') {
      // Not live: the last value received while the inverter was online, marked as such.
      v = r ? r.lastGood[key] : undefined;
      stale = true;
    }
    let text;
    if (v === null || v === undefined || v === '' || v === 'unknown') {
      text = '—';
    } else if (el.dataset.text === '1') {
      // Enumerations are shown in words; names, versions and messages as they are.
      text = el.dataset.verbatim === '1' ? String(v) : humanize(v);
    } else if (isNumber(v)) {
      const digits = Number(el.dataset.digits || 0);
      text = (el.dataset.prefix || '') + formatNumber(v, digits, el.dataset.sign === '1') + (el.dataset.unit ? ' ' + el.dataset.unit : '');
    } else {
      text = String(v);
    }
    setText(el, text);
    el.classList.toggle('stale', stale && text !== '—');
    el.dataset.live = String(!stale);
    el.dataset.value = v === undefined ? '' : JSON.stringify(v);
    if (stale && r && r.lastGoodTime)
      el.setAttribute('title', 'last value, ' + formatTime(r.lastGoodTime));
    else
      el.removeAttribute('title');
  }

  function renderChips(ul, list, live, what) {
    while (ul.firstChild)
      ul.removeChild(ul.firstChild);
    const li = (text, cls) => {
      const e = document.createElement('li');
      e.textContent = text;
      if (cls)
        e.className = cls;
      ul.appendChild(e);
    };
    if (!live)
      li('unknown (no live data)', 'none');
    else if (!Array.isArray(list) || list.length === 0)
      li('none', 'none');
    else
      for (const item of list)
        li(humanize(item));
    ul.dataset.count = live && Array.isArray(list) ? String(list.length) : '';
    ul.setAttribute('aria-label', what);
  }

  function setLink(id, active, reverse) {
    const el = $(id);
    el.classList.toggle('active', !!active);
    el.classList.toggle('reverse', !!reverse);
  }

  function render() {
    const r = app.selected !== null ? app.inverters.get(app.selected) : null;
    const cur = r ? derive(r.values) : {};
    const online = !!(r && r.fresh && r.values.online === true);
    const live = app.streamUp && online;

    document.body.classList.toggle('disconnected', !app.streamUp);
    document.body.classList.toggle('offline', app.streamUp && !!r && !online);
    document.body.dataset.live = String(live);

    const badge = $('connection');
    badge.className = 'badge';
    if (!app.streamUp) {
      badge.classList.add('reconnecting');
      setText(badge, r ? 'reconnecting…' : 'connecting…');
    } else if (!app.daemonPresent) {
      badge.classList.add('offline');
      setText(badge, 'axpertd stopped');
    } else if (!r) {
      setText(badge, 'no inverter');
    } else if (online) {
      badge.classList.add('live');
      setText(badge, 'live');
    } else {
      badge.classList.add('offline');
      setText(badge, 'offline');
    }

    const banner = $('banner');
    let msg = '';
    const since = r && r.lastGoodTime ? formatTime(r.lastGoodTime) : null;
    // Opened while the inverter was already offline: no values to show, but the daemon still
    // says when it last read some.
    const ts = r ? r.values.last_update_timestamp : 0;
    const lastRead = isNumber(ts) && ts > 0 ? 'Last complete reading: ' + formatTime(ts / US_PER_MS) + '.'
      : 'No values read yet.';
    if (!app.streamUp && r) {
      msg = 'No connection to axpert-web, reconnecting… ' +
        (since ? 'The values shown (dimmed) are from ' + since + '.' : '');
    } else if (app.streamUp && !app.daemonPresent) {
      msg = 'axpertd is not running: no live values. ' +
        (since ? 'The values shown (dimmed) are the last ones, from ' + since + '.' : '');
    } else if (app.streamUp && r && !online) {
      msg = 'Inverter offline' + (r.values.last_error ? ': ' + r.values.last_error : '') + '. ' +
        (since ? 'The values shown (dimmed) are the last ones, from ' + since + '.' : lastRead);
    } else if (app.streamUp && !r && app.inverters.size === 0) {
      msg = 'axpertd reports no inverter.';
    }
    banner.hidden = msg === '';
    setText(banner, msg);

    const updated = $('updated');
    setText(updated, live && r.lastGoodTime ? 'as of ' + formatTime(r.lastGoodTime) : '');

    for (const el of document.querySelectorAll('[data-key]'))
      renderValue(el, el.dataset.key, cur, live, r);

    renderChips($('warnings'), cur.warnings, live, 'Warnings');
    renderChips($('faults'), cur.faults, live, 'Faults');

    $('units').classList.toggle('stale', !live);

    for (const el of document.querySelectorAll('.pv2'))
      el.hidden = cur.has_pv2 !== true;

    setLink('link-pv', live && cur.pv_total_power > 0, false);
    setLink('link-grid', live && cur.mode === 'line' && cur.grid_voltage > 0, false);
    setLink('link-load', live && cur.load_power > 0, false);
    const chg = cur.battery_charging_current;
    const dis = cur.battery_discharge_current;
    // The path runs from the inverter to the battery: charging flows along it.
    setLink('link-battery', live && (chg > 0 || dis > 0), !(chg > 0) && dis > 0);

    document.title = live && isNumber(cur.battery_capacity)
      ? 'Axpert · ' + cur.battery_capacity + ' % · ' + humanize(cur.mode) : 'Axpert';
  }

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued)
      return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  }

  function updatePicker() {
    const select = $('inverter');
    const serials = Array.from(app.inverters.keys()).sort();
    while (select.firstChild)
      select.removeChild(select.firstChild);
    for (const s of serials) {
      const o = document.createElement('option');
      o.value = s;
      o.textContent = s;
      select.appendChild(o);
    }
    $('picker').hidden = serials.length < 2;
    if (app.selected === null || !app.inverters.has(app.selected)) {
      let wanted = '';
      try {
        wanted = decodeURIComponent(location.hash.slice(1));
      } catch (e) {
        // a malformed #fragment selects nothing in particular
      }
      selectInverter(app.inverters.has(wanted) ? wanted : (serials[0] !== undefined ? serials[0] : null));
    }
    if (app.selected !== null)
      select.value = app.selected;
  }

  function selectInverter(serial) {
    if (serial === app.selected)
      return;
    app.selected = serial;
    if (serial !== null)
      $('inverter').value = serial;
    renderUnits([]);
    scheduleRender();
    loadHistory();
    loadEnergy();
    loadUnits();
  }

  // --- parallel units --------------------------------------------------------------------

  // The units have no event stream of their own: while the selected inverter is live and has
  // units, their states are read every few seconds.
  const UNITS_INTERVAL = 5 * SECOND;

  function unitCells(u) {
    const num = (v, digits, unit) => (isNumber(v) ? formatNumber(v, digits) + ' ' + unit : '—');
    const pv = isNumber(u.pv_input_voltage) && isNumber(u.pv_input_current)
      ? num(u.pv_input_voltage, 0, 'V') + ' · ' + num(u.pv_input_current, 1, 'A') : '—';
    return [
      ['', String(isNumber(u.index) ? u.index : '?')],
      ['', u.mode ? humanize(u.mode) : '—'],
      ['', num(u.ac_output_active_power, 0, 'W')],
      ['', num(u.battery_voltage, 1, 'V') + (isNumber(u.battery_capacity) ? ' · ' + u.battery_capacity + ' %' : '')],
      ['', pv],
      ['', num(u.battery_charging_current, 0, 'A')],
      [u.fault_code ? 'fault' : '', u.fault_code ? String(u.fault_code) : 'none'],
    ];
  }

  function renderUnits(units) {
    const body = $('units').querySelector('tbody');
    while (body.firstChild)
      body.removeChild(body.firstChild);
    for (const u of units) {
      const tr = document.createElement('tr');
      tr.dataset.index = String(u.index);
      if (u.serial_number)
        tr.title = 'serial number ' + u.serial_number;
      for (const [cls, text] of unitCells(u)) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls)
          td.className = cls;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  async function loadUnits() {
    const r = app.selected !== null ? app.inverters.get(app.selected) : null;
    const live = app.streamUp && r && r.fresh && r.values.online === true;
    const count = r && isNumber(r.values.parallel_units) ? r.values.parallel_units : 0;
    $('units-card').hidden = !r || (count === 0 && !r.unitsShown);
    $('units').classList.toggle('stale', !live);
    if (!live || count === 0 || app.unitsBusy)
      return; // offline: the last rows stay, dimmed
    app.unitsBusy = true;
    try {
      const base = API + 'inverters/' + encodeURIComponent(app.selected) + '/units';
      const list = await getJson(base);
      if (list.error || !Array.isArray(list.body))
        return;
      const units = [];
      for (const n of list.body) {
        if (!Number.isInteger(n))
          continue;
        const got = await getJson(base + '/' + n);
        if (got.body && typeof got.body === 'object')
          units.push(Object.assign({ index: n }, got.body));
      }
      r.unitsShown = units.length > 0;
      $('units-card').hidden = !r.unitsShown;
      renderUnits(units);
    } finally {
      app.unitsBusy = false;
    }
  }

  // --- the event stream ------------------------------------------------------------------

  function parseEvent(ev) {
    try {
      return JSON.parse(ev.data);
    } catch (e) {
      console.warn('axpert-web: unreadable event, ignoring:', e.message);
      return null;
    }
  }

  function onState(ev) {
    const d = parseEvent(ev);
    if (!d || typeof d.serial !== 'string' || typeof d.state !== 'object' || d.state === null)
      return;
    applyFull(d.serial, d.state);
    app.streamUp = true;
    app.daemonPresent = true;
    app.backoff = SECOND;
    scheduleRender();
    if (d.serial === app.selected)
      loadUnits();
  }

  function onChange(ev) {
    const d = parseEvent(ev);
    if (!d || typeof d.serial !== 'string' || typeof d.changes !== 'object' || d.changes === null)
      return;
    applyChanges(d.serial, d.changes);
    scheduleRender();
    if (d.serial === app.selected && ('parallel_units' in d.changes || 'online' in d.changes))
      loadUnits();
  }

  function onRemoved(ev) {
    const d = parseEvent(ev);
    if (!d || typeof d.serial !== 'string')
      return;
    const r = app.inverters.get(d.serial);
    if (r) {
      r.values.online = false;
      scheduleRender();
    }
  }

  // axpertd left the bus (or came back): nothing it said is live while it is away.
  function onDaemon(ev) {
    const d = parseEvent(ev);
    if (!d || typeof d.present !== 'boolean')
      return;
    // The first event of every connection: the stream is up, whether or not axpertd is.
    app.streamUp = true;
    app.backoff = SECOND;
    app.daemonPresent = d.present;
    if (!d.present)
      for (const r of app.inverters.values())
        r.values.online = false;
    scheduleRender();
  }

  function connect() {
    clearTimeout(app.reconnectTimer);
    if (app.es)
      app.es.close();
    // Not live until this connection's full state event has arrived (for each inverter: the
    // "daemon" event comes first, and what we hold is from the previous connection).
    app.streamUp = false;
    for (const r of app.inverters.values())
      r.fresh = false;
    scheduleRender();
    const es = new EventSource(API + 'events');
    app.es = es;
    es.addEventListener('state', onState);
    es.addEventListener('change', onChange);
    es.addEventListener('removed', onRemoved);
    es.addEventListener('daemon', onDaemon);
    es.addEventListener('error', () => {
      if (app.es !== es)
        return;
      app.streamUp = false;
      scheduleRender();
      // The browser retries by itself after a network error; after an HTTP error (a 503 while
      // the server starts) it gives up, so start again ourselves, backing off to 15 s.
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        app.reconnectTimer = setTimeout(connect, app.backoff);
        app.backoff = Math.min(app.backoff * 2, 15 * SECOND);
      }
    });
  }

  // --- charts ----------------------------------------------------------------------------

  function chartBox(id) {
    const box = $(id);
    return { box, canvas: box.querySelector('canvas'), message: box.querySelector('.chart-message') };
  }

  function showMessage(id, text, state) {
    const b = chartBox(id);
    b.box.dataset.state = state;
    b.message.hidden = text === '';
    b.message.textContent = text;
  }

  async function errorText(res) {
    let detail = '';
    try {
      const body = await res.json();
      if (body && typeof body.error === 'string')
        detail = body.error;
    } catch (e) {
      // not JSON: the status line says enough
    }
    if (res.status === 503)
      return 'History is not available right now' + (detail ? ' (' + detail + ')' : '') +
        '. Live values are not affected; the charts come back by themselves.';
    if (res.status === 404)
      return 'No history recorded for this inverter' + (detail ? ' (' + detail + ')' : '') + '.';
    return 'Cannot load the history: ' + res.status + ' ' + (detail || res.statusText);
  }

  async function getJson(url) {
    let res;
    try {
      res = await fetch(url, { cache: 'no-store' });
    } catch (e) {
      return { error: 'Cannot reach axpert-web; retrying.' };
    }
    if (!res.ok)
      return { error: await errorText(res) };
    try {
      return { body: await res.json() };
    } catch (e) {
      return { error: 'The history answer is not JSON.' };
    }
  }

  function timeTick(value) {
    const d = new Date(value);
    if (app.range === 'day')
      return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  }

  // Tick times on round local times (every N hours from local midnight, every N calendar
  // days), at most about FIT of them between MIN and MAX (ms): the linear scale's own "nice
  // numbers" would be arbitrary milliseconds.
  function tickTimes(min, max, fit, range) {
    if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min)
      return [];
    const hour = 3600 * SECOND;
    const day = 24 * hour;
    const choices = range === 'day' ? [1, 2, 3, 4, 6, 12, 24].map((h) => h * hour)
      : [1, 2, 3, 5, 7, 10, 14].map((n) => n * day);
    let interval = choices[choices.length - 1];
    for (const c of choices) {
      if ((max - min) / c <= fit) {
        interval = c;
        break;
      }
    }
    // Counted in local calendar terms (hour h of day d), so that on a day with a DST change
    // the ticks stay on round local hours.
    const start = new Date(min);
    const hours = interval / hour;
    const ticks = [];
    for (let k = 0; ticks.length < 100; k++) {
      const t = new Date(start.getFullYear(), start.getMonth(), start.getDate(), k * hours).getTime();
      if (t > max)
        break;
      if (t >= min)
        ticks.push(t);
    }
    return ticks;
  }

  function alignedTicks(scale) {
    const fit = Math.max(2, Math.floor(scale.width / 80));
    const ticks = tickTimes(scale.min, scale.max, fit, app.range);
    if (ticks.length)
      scale.ticks = ticks.map((value) => ({ value }));
  }

  function lineChart(canvasId, axes) {
    const canvas = $(canvasId);
    const scales = {
      x: {
        type: 'linear',
        ticks: { callback: timeTick, maxRotation: 0, autoSkip: false },
        afterBuildTicks: alignedTicks,
        grid: { color: cssVar('--line') },
      },
    };
    for (const a of axes)
      scales[a.id] = {
        position: a.position,
        title: { display: true, text: a.title },
        min: a.min,
        max: a.max,
        grid: { drawOnChartArea: a.position === 'left', color: cssVar('--line') },
      };
    return new window.Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        // Dense series as lines; a few samples (a recorder that just started) as visible dots.
        elements: {
          point: { radius: (ctx) => (ctx.dataset && ctx.dataset.data.length < 30 ? 2.5 : 0) },
          line: { borderWidth: 2, tension: 0.2 },
        },
        scales,
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: (items) => items.length ? formatTime(items[0].parsed.x) : '' } },
        },
      },
    });
  }

  function ensureCharts() {
    if (typeof window.Chart !== 'function')
      return false;
    if (!app.charts.power) {
      window.Chart.defaults.color = cssVar('--muted');
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      app.charts.power = lineChart('chart-power', [{ id: 'y', position: 'left', title: 'W', min: 0 }]);
      app.charts.battery = lineChart('chart-battery', [
        { id: 'y', position: 'left', title: 'V' },
        { id: 'soc', position: 'right', title: '%', min: 0, max: 100 },
      ]);
      app.charts.energy = new window.Chart($('chart-energy'), {
        type: 'bar',
        data: { labels: [], datasets: [] },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { y: { title: { display: true, text: 'kWh' }, beginAtZero: true } },
          plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        },
      });
    }
    return true;
  }

  // Series of one field as {x: ms, y}, with a break where rows are missing (no line is drawn
  // across a time the recorder has nothing for).
  function series(times, column, step) {
    const out = [];
    let prev = null;
    for (let i = 0; i < times.length; i++) {
      const x = times[i] / US_PER_MS;
      if (prev !== null && x - prev > 2.5 * step * SECOND)
        out.push({ x: (x + prev) / 2, y: null });
      const y = column ? column[i] : null;
      out.push({ x, y: isNumber(y) ? y : null });
      prev = x;
    }
    return out;
  }

  function dataset(label, data, colorVar, axis) {
    const color = cssVar(colorVar);
    return { label, data, borderColor: color, backgroundColor: color, yAxisID: axis, spanGaps: false };
  }

  async function loadHistory() {
    const token = ++app.historyToken;
    if (app.selected === null) {
      showMessage('history-power-box', 'No inverter yet.', 'empty');
      showMessage('history-battery-box', 'No inverter yet.', 'empty');
      return;
    }
    if (!ensureCharts()) {
      const text = 'Charts need Chart.js (Debian package libjs-chart.js), which axpert-web could not serve.';
      showMessage('history-power-box', text, 'error');
      showMessage('history-battery-box', text, 'error');
      return;
    }
    const range = RANGES[app.range];
    const until = Date.now();
    const since = until - range.span * SECOND;
    const url = API + 'inverters/' + encodeURIComponent(app.selected) + '/history?since=' +
      Math.floor(since / SECOND) + '&until=' + Math.ceil(until / SECOND) + '&step=' + range.step + '&fields=' +
      HISTORY_FIELDS.join(',') + '&format=json';
    for (const id of ['history-power-box', 'history-battery-box'])
      chartBox(id).box.dataset.state = 'loading';
    const got = await getJson(url);
    if (token !== app.historyToken)
      return; // a newer request (another range or inverter) is under way
    if (got.error) {
      showMessage('history-power-box', got.error, 'error');
      showMessage('history-battery-box', got.error, 'error');
      return;
    }
    const body = got.body || {};
    const fields = Array.isArray(body.fields) ? body.fields : HISTORY_FIELDS;
    const times = Array.isArray(body.times) ? body.times : [];
    // columns: {field: [values…]} (or [[values…]] in the order of fields).
    const columns = body.columns && typeof body.columns === 'object' ? body.columns : {};
    const col = (name) => {
      const c = Array.isArray(columns) ? columns[fields.indexOf(name)] : columns[name];
      return Array.isArray(c) ? c : null;
    };
    for (const chart of [app.charts.power, app.charts.battery]) {
      // The whole range, also when only its last minutes are recorded.
      chart.options.scales.x.min = since;
      chart.options.scales.x.max = until;
    }
    const power = app.charts.power;
    power.data.datasets = [
      dataset('PV', series(times, col('PvInputPower'), range.step), '--pv', 'y'),
      dataset('Load', series(times, col('AcOutputActivePower'), range.step), '--load', 'y'),
    ];
    power.update('none');
    const battery = app.charts.battery;
    battery.data.datasets = [
      dataset('Battery voltage', series(times, col('BatteryVoltage'), range.step), '--battery', 'y'),
      dataset('State of charge', series(times, col('BatteryCapacity'), range.step), '--soc', 'soc'),
    ];
    battery.update('none');
    const empty = times.length === 0;
    const text = empty ? 'Nothing recorded in this period yet.' : '';
    showMessage('history-power-box', text, empty ? 'empty' : 'ok');
    showMessage('history-battery-box', text, empty ? 'empty' : 'ok');
  }

  function periodStart(date, period) {
    if (period === 'month')
      return new Date(date.getFullYear(), date.getMonth(), 1);
    return new Date(date.getFullYear(), date.getMonth(), date.getDate());
  }

  function periodLabel(ms, period) {
    const d = new Date(ms);
    if (period === 'month')
      return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short' });
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  }

  async function loadEnergy() {
    const token = ++app.energyToken;
    if (app.selected === null) {
      showMessage('energy-box', 'No inverter yet.', 'empty');
      return;
    }
    if (!ensureCharts()) {
      showMessage('energy-box', 'Charts need Chart.js (Debian package libjs-chart.js), which axpert-web could not serve.', 'error');
      return;
    }
    const period = app.period;
    const now = new Date();
    const first = periodStart(now, period);
    if (period === 'month')
      first.setMonth(first.getMonth() - (ENERGY_PERIODS.month - 1));
    else
      first.setDate(first.getDate() - (ENERGY_PERIODS.day - 1));
    const url = API + 'inverters/' + encodeURIComponent(app.selected) + '/energy?period=' + period +
      '&since=' + Math.floor(first.getTime() / SECOND) + '&until=' + Math.ceil(now.getTime() / SECOND);
    chartBox('energy-box').box.dataset.state = 'loading';
    const got = await getJson(url);
    if (token !== app.energyToken)
      return;
    if (got.error) {
      showMessage('energy-box', got.error, 'error');
      setText($('energy-today'), '');
      return;
    }
    const body = got.body || {};
    const rows = Array.isArray(body.energy) ? body.energy : (Array.isArray(body) ? body : []);
    const chart = app.charts.energy;
    chart.data.labels = rows.map((row) => periodLabel(row.start / US_PER_MS, period));
    chart.data.datasets = ENERGY_KINDS.map(([key, label, color]) => ({
      label,
      data: rows.map((row) => (isNumber(row[key]) ? row[key] : null)),
      backgroundColor: cssVar(color),
    }));
    chart.update('none');
    const last = rows[rows.length - 1];
    let today = '';
    if (period === 'day' && last && last.start / US_PER_MS === periodStart(now, 'day').getTime() &&
        isNumber(last.pv) && isNumber(last.load))
      today = 'today: PV ' + formatNumber(last.pv, 1) + ' kWh · load ' + formatNumber(last.load, 1) + ' kWh';
    setText($('energy-today'), today);
    showMessage('energy-box', rows.length ? '' : 'No energy recorded in this period yet.', rows.length ? 'ok' : 'empty');
  }

  function setupTabs(id, attr, onPick) {
    const tabs = $(id);
    tabs.addEventListener('click', (ev) => {
      const b = ev.target.closest('button');
      if (!b || !tabs.contains(b))
        return;
      for (const other of tabs.querySelectorAll('button'))
        other.setAttribute('aria-selected', String(other === b));
      onPick(b.dataset[attr]);
    });
  }

  function start() {
    setupTabs('history-tabs', 'range', (range) => {
      if (!Object.prototype.hasOwnProperty.call(RANGES, range))
        return;
      app.range = range;
      loadHistory();
    });
    setupTabs('energy-tabs', 'period', (period) => {
      if (!Object.prototype.hasOwnProperty.call(ENERGY_PERIODS, period))
        return;
      app.period = period;
      loadEnergy();
    });
    $('inverter').addEventListener('change', (ev) => {
      history.replaceState(null, '', '#' + encodeURIComponent(ev.target.value));
      selectInverter(ev.target.value);
    });
    render();
    // The event stream's first events are the full state of every inverter: no list to fetch.
    connect();
    loadHistory();
    loadEnergy();
    // History grows slowly (the recorder commits once a minute); a failed load is retried too.
    setInterval(() => {
      loadHistory();
      loadEnergy();
    }, 60 * SECOND);
    // The "from HH:MM" texts name the day once midnight has passed.
    setInterval(scheduleRender, 30 * SECOND);
    setInterval(loadUnits, UNITS_INTERVAL);
    // A phone that slept may hold a connection that died without a word (a static inverter
    // sends no events, so silence proves nothing): after a while away, start afresh — the
    // full state comes with the new connection.
    let hiddenSince = 0;
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) {
        hiddenSince = Date.now();
      } else if (hiddenSince && Date.now() - hiddenSince > 30 * SECOND) {
        hiddenSince = 0;
        connect();
        app.reload();
      }
    });
    window.addEventListener('online', () => {
      connect();
      app.reload();
    });
  }

  // Loads the charts again now (the browser test, and people in the console, need not wait
  // for the minute).
  app.reload = () => {
    loadHistory();
    loadEnergy();
  };

  // The pure functions, for tests/browser/test-app.js.
  app.lib = { derive, series, humanize, formatNumber, tickTimes, periodStart };

  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start);
  else
    start();
})();
