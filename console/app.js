// Keel web console: plain JavaScript, no build step, no libraries.
// Pages are chosen by the URL's hash (#/overview, #/requests?model=x, #/requests/ID, #/spend,
// #/guardrails, #/routes). Every API call carries the key the user pasted at login, kept in
// sessionStorage (gone when the tab closes) and never put in a URL. The server scopes every answer
// by the key's role; the console only hides what a role cannot use.
'use strict';

const KEY_STORAGE = 'keel.console.key';
const state = { key: sessionStorage.getItem(KEY_STORAGE), who: null, timers: [], renderID: 0, teamNames: new Map(), keyNames: new Map() };

// ---------------------------------------------------------------------------------------------
// DOM helpers (text is always set as text, never parsed as HTML)

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'value') el.value = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

// ---------------------------------------------------------------------------------------------
// Formatting

const fmt = {
  int: (n) => (n === null || n === undefined || Number.isNaN(n)) ? '—' : Math.round(n).toLocaleString('en-US'),
  ms: (n) => (n === null || n === undefined || Number.isNaN(n)) ? '—' : (n >= 10000 ? (n / 1000).toFixed(1) + ' s' : n >= 10 || n === 0 ? Math.round(n) + ' ms' : n.toFixed(1) + ' ms'),
  // Small amounts keep three significant digits (a single request often costs under $0.0001).
  usd: (n) => (n === null || n === undefined || Number.isNaN(n)) ? '—' : '$' + (n >= 100 ? n.toFixed(2) : n >= 1 ? n.toFixed(3) : n >= 0.0001 || n === 0 ? n.toFixed(4) : String(Number(n.toPrecision(3)))),
  pct: (n) => (n === null || n === undefined || Number.isNaN(n)) ? '—' : (n * 100).toFixed(n < 0.1 ? 2 : 1) + '%',
  time: (ms) => (ms === null || ms === undefined || Number.isNaN(ms)) ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19),
  day: (ms) => new Date(ms).toISOString().slice(0, 10),
};

function statusBadge(status) {
  const cls = status >= 200 && status < 300 ? 'ok' : status === 429 || status === 499 ? 'warn' : status >= 400 ? 'bad' : '';
  return h('span', { class: 'badge ' + cls, text: status });
}

function roleLabel(role) { return (role || '').replace('_', ' '); }
function teamName(id) { return id ? (state.teamNames.get(id) || id) : '(none)'; }
function keyName(id) { return id ? (state.keyNames.has(id) ? `${state.keyNames.get(id)} (${id})` : id) : '(none)'; }
function groupName(dim, value) { return dim === 'team' ? teamName(value) : dim === 'key' ? keyName(value) : (value || '(none)'); }

// Names for the team and key ids the reports use, as far as the role may read them.
async function loadNames() {
  const role = state.who.role;
  const teams = role === 'super_admin' ? api('/admin/teams').then((b) => b.data || [])
    : (state.who.team && (role === 'team_admin' || role === 'viewer')) ? api('/admin/teams/' + encodeURIComponent(state.who.team)).then((t) => [t]) : Promise.resolve([]);
  const keys = (role === 'super_admin' || role === 'team_admin') ? api('/admin/keys').then((b) => b.data || []) : Promise.resolve([]);
  const [teamList, keyList] = await Promise.all([teams.catch(() => []), keys.catch(() => [])]);
  state.teamNames = new Map(teamList.map((t) => [t.id, t.name]));
  state.keyNames = new Map(keyList.filter((k) => k.name).map((k) => [k.id, k.name]));
}

// ---------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, message, code) { super(message); this.status = status; this.code = code; }
}

async function api(path, key) {
  const res = await fetch(path, {
    headers: { authorization: 'Bearer ' + (key || state.key), accept: 'application/json' },
    cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
  });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (!res.ok) {
    const e = body && body.error;
    if (res.status === 401 && !key) logout('Your key is no longer accepted; log in again.');
    throw new ApiError(res.status, (e && e.message) || ('HTTP ' + res.status), e && e.code);
  }
  return body;
}

async function metricsText() {
  const res = await fetch('/metrics', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new ApiError(res.status, 'metrics unavailable');
  return res.text();
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const text = q.toString();
  return text ? '?' + text : '';
}

// A request-log entry in one shape, whichever of the API's field spellings the server uses.
function normalizeRequest(r) {
  const usage = r.usage || {};
  const metadata = r.metadata || {};
  const timings = r.timings || {};
  const pick = (...values) => { for (const v of values) if (v !== undefined && v !== null) return v; return null; };
  let time = pick(r.time_ms, typeof r.time === 'number' ? r.time : null);
  if (time === null) time = Date.parse(pick(r.created_at, r.time, ''));
  let findings = pick(r.guardrail_findings, null);
  if (findings === null && typeof metadata.guardrail_findings === 'string') {
    try { findings = JSON.parse(metadata.guardrail_findings); } catch (_) { findings = null; }
  }
  const attempts = Array.isArray(r.attempts) ? r.attempts : null;
  const cost = pick(r.cost_usd, metadata.cost_usd !== undefined ? parseFloat(metadata.cost_usd) : null);
  return {
    id: r.id, time, inbound_api: r.inbound_api, model: r.model, provider: r.provider,
    upstream_model: r.upstream_model, status: r.status,
    latency_ms: pick(r.latency_ms, timings.latency_ms),
    ttft_ms: pick(r.ttft_ms, r.time_to_first_token_ms, timings.time_to_first_token_ms),
    input_tokens: pick(r.input_tokens, usage.input_tokens),
    output_tokens: pick(r.output_tokens, usage.output_tokens),
    cached_tokens: pick(r.cached_tokens, r.cached_input_tokens, usage.cached_input_tokens),
    stream: !!r.stream, error: pick(r.error, r.error_message), attempts,
    attempt_count: pick(r.attempt_count, attempts ? attempts.length : null),
    cache: r.cache, cost_usd: cost, team: pick(r.team, metadata.team), key_id: pick(r.key_id, metadata.key_id),
    trace_id: pick(r.trace_id, metadata.trace_id), metadata, feedback: Array.isArray(r.feedback) ? r.feedback : [],
    guardrail_findings: Array.isArray(findings) ? findings : [],
    content: r.content && typeof r.content === 'object' ? r.content : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Prometheus text (the subset /metrics writes: counters, gauges, histograms)

function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[3])) !== null) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1], labels, value: parseFloat(m[4]) });
  }
  return samples;
}

function sumMetric(samples, name, filter) {
  return samples.filter((x) => x.name === name && (!filter || filter(x.labels))).reduce((a, x) => a + x.value, 0);
}

// A quantile from histogram buckets summed over every series (linear inside a bucket, like PromQL).
function histogramQuantile(samples, name, q) {
  const byLe = new Map();
  for (const x of samples) {
    if (x.name !== name + '_bucket') continue;
    const le = x.labels.le === '+Inf' ? Infinity : parseFloat(x.labels.le);
    byLe.set(le, (byLe.get(le) || 0) + x.value);
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  if (!buckets.length) return null;
  const total = buckets[buckets.length - 1][1];
  if (!total) return null;
  const rank = q * total;
  let prevLe = 0, prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(count - prevCount, 1e-9));
    }
    prevLe = le; prevCount = count;
  }
  return prevLe;
}

function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

// ---------------------------------------------------------------------------------------------
// Charts (SVG drawn here)

const CHART_W = 1000;

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axisLabel(v, unit) {
  if (unit === 'usd') return fmt.usd(v);
  if (unit === 'ms') return fmt.ms(v);
  return v >= 1000 ? (v / 1000).toFixed(1) + 'k' : String(Math.round(v * 100) / 100);
}

// Vertical bars, stacked by series: labels[i] on the x axis, series = [{name, values[]}].
function barChart(labels, series, opts = {}) {
  const H = opts.height || 220, left = 64, right = 12, top = 12, bottom = 38;
  const plotW = CHART_W - left - right, plotH = H - top - bottom;
  const totals = labels.map((_, i) => series.reduce((a, sr) => a + (sr.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${CHART_W} ${H}`, role: 'img', 'aria-label': opts.title || 'chart' });
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (plotH * t) / 4;
    svg.append(s('line', { class: 'grid-line', x1: left, x2: CHART_W - right, y1: y, y2: y }));
    svg.append(s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', text: axisLabel((max * t) / 4, opts.unit) }));
  }
  const slot = plotW / Math.max(labels.length, 1);
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, i) => {
    const x = left + slot * i + (slot - barW) / 2;
    let y = top + plotH;
    series.forEach((sr, k) => {
      const v = sr.values[i] || 0;
      if (v <= 0) return;
      const bh = (plotH * v) / max;
      y -= bh;
      svg.append(s('rect', { class: 'bar ' + (sr.cls || 's' + (k % 8)), x, y, width: barW, height: bh },
        s('title', { text: `${label} · ${sr.name}: ${axisLabel(v, opts.unit)}` })));
    });
    if (i % every === 0) svg.append(s('text', { x: x + barW / 2, y: H - bottom + 16, 'text-anchor': 'middle', text: label }));
  });
  svg.append(s('line', { class: 'axis', x1: left, x2: CHART_W - right, y1: top + plotH, y2: top + plotH }));
  return h('div', null, svg, series.length > 1 || opts.legend ? legend(series.map((x) => x.name), series.map((x) => x.cls)) : null);
}

// Lines, one per series, over the same labels.
function lineChart(labels, series, opts = {}) {
  const H = opts.height || 220, left = 64, right = 12, top = 12, bottom = 38;
  const plotW = CHART_W - left - right, plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${CHART_W} ${H}`, role: 'img', 'aria-label': opts.title || 'chart' });
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (plotH * t) / 4;
    svg.append(s('line', { class: 'grid-line', x1: left, x2: CHART_W - right, y1: y, y2: y }));
    svg.append(s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', text: axisLabel((max * t) / 4, opts.unit) }));
  }
  const xAt = (i) => left + (labels.length <= 1 ? plotW / 2 : (plotW * i) / (labels.length - 1));
  const yAt = (v) => top + plotH - (plotH * v) / max;
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, i) => {
    if (i % every === 0) svg.append(s('text', { x: xAt(i), y: H - bottom + 16, 'text-anchor': 'middle', text: label }));
  });
  series.forEach((sr, k) => {
    const points = sr.values.map((v, i) => `${xAt(i).toFixed(1)},${yAt(v || 0).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { class: 'line s' + (k % 8), points }));
    sr.values.forEach((v, i) => svg.append(s('circle', { class: 's' + (k % 8), cx: xAt(i), cy: yAt(v || 0), r: 2.5 },
      s('title', { text: `${labels[i]} · ${sr.name}: ${axisLabel(v || 0, opts.unit)}` }))));
  });
  svg.append(s('line', { class: 'axis', x1: left, x2: CHART_W - right, y1: top + plotH, y2: top + plotH }));
  return h('div', null, svg, legend(series.map((x) => x.name)));
}

function legend(names, classes = []) {
  return h('div', { class: 'legend' }, names.map((n, k) => h('span', null, h('span', { class: 'swatch ' + (classes[k] || 's' + (k % 8)) }), n)));
}

// Keeps the `limit` largest series by total and folds the rest into "other".
function topSeries(series, limit) {
  const sorted = [...series].sort((a, b) => b.values.reduce((x, y) => x + y, 0) - a.values.reduce((x, y) => x + y, 0));
  if (sorted.length <= limit) return sorted;
  const rest = sorted.slice(limit - 1);
  const other = { name: 'other', values: rest[0].values.map((_, i) => rest.reduce((a, x) => a + (x.values[i] || 0), 0)) };
  return [...sorted.slice(0, limit - 1), other];
}

// The attempts of one request on a time axis from its arrival: a bar per attempt.
function attemptTimeline(entry) {
  const attempts = entry.attempts || [];
  const end = Math.max(entry.latency_ms || 0, ...attempts.map((a) => (a.started_ms || 0) + (a.latency_ms || 0)), 1);
  const left = 210, right = 110, rowH = 30, top = 22;
  const plotW = CHART_W - left - right;
  const H = top + rowH * (attempts.length + 1) + 10;
  const x = (ms) => left + (plotW * ms) / end;
  const svg = s('svg', { class: 'chart', id: 'attempt-timeline', viewBox: `0 0 ${CHART_W} ${H}`, role: 'img', 'aria-label': 'attempt timeline' });
  const step = niceMax(end / 5) / 2 >= end / 5 ? niceMax(end / 5) / 2 : niceMax(end / 5);
  for (let t = 0; t <= end + 1e-9; t += step) {
    svg.append(s('line', { class: 'grid-line', x1: x(t), x2: x(t), y1: top - 4, y2: H - 8 }));
    svg.append(s('text', { x: x(t), y: 12, 'text-anchor': 'middle', text: fmt.ms(t) }));
  }
  const row = (i) => top + rowH * i;
  svg.append(s('text', { class: 'label', x: 8, y: row(0) + 17, text: 'request (' + entry.model + ')' }));
  svg.append(s('rect', { class: 'request-bar', x: x(0), y: row(0) + 5, width: Math.max(2, x(entry.latency_ms || 0) - x(0)), height: rowH - 12, rx: 3 },
    s('title', { text: `whole request: ${fmt.ms(entry.latency_ms)}` })));
  if (entry.ttft_ms) {
    svg.append(s('line', { class: 'ttft', x1: x(entry.ttft_ms), x2: x(entry.ttft_ms), y1: row(0) + 2, y2: row(0) + rowH - 4 },
      s('title', { text: `first token at ${fmt.ms(entry.ttft_ms)}` })));
  }
  svg.append(s('text', { x: x(entry.latency_ms || 0) + 6, y: row(0) + 17, text: fmt.ms(entry.latency_ms) }));
  attempts.forEach((a, i) => {
    const y = row(i + 1);
    const cls = a.status >= 200 && a.status < 300 ? 'ok' : a.status === 499 ? 'cancelled'
      : (a.status === 408 || a.status === 429 || a.status >= 500) ? 'retryable' : 'failed';
    svg.append(s('text', { class: 'label', x: 8, y: y + 17, text: `${i + 1}. ${a.provider}/${a.model}` }));
    svg.append(s('rect', { class: 'attempt-bar ' + cls, x: x(a.started_ms || 0), y: y + 5, width: Math.max(2, x((a.started_ms || 0) + (a.latency_ms || 0)) - x(a.started_ms || 0)), height: rowH - 12, rx: 3 },
      s('title', { text: `${a.provider}/${a.model}: ${a.status}${a.error ? ' — ' + a.error : ''}, started at ${fmt.ms(a.started_ms)}, took ${fmt.ms(a.latency_ms)}` })));
    svg.append(s('text', { x: x((a.started_ms || 0) + (a.latency_ms || 0)) + 6, y: y + 17, text: `${a.status} · ${fmt.ms(a.latency_ms)}` }));
  });
  return svg;
}

// ---------------------------------------------------------------------------------------------
// Roles: what each may use (the server enforces it; this only hides what would be refused)

const can = {
  spend: () => ['super_admin', 'team_admin', 'viewer'].includes(state.who.role),
  // The request log: everything for the super admin, its own team's for team admins and viewers.
  requests: () => ['super_admin', 'team_admin', 'viewer'].includes(state.who.role),
  routes: () => ['super_admin', 'team_admin'].includes(state.who.role),
  allTeams: () => state.who.role === 'super_admin',
  // /metrics is not scoped: only the super admin sees its totals; teams see series labelled with their team.
  globalMetrics: () => state.who.role === 'super_admin',
};

const PAGES = [
  { id: 'overview', title: 'Overview', show: () => true, render: renderOverview },
  { id: 'requests', title: 'Requests', show: () => can.requests(), render: renderRequests },
  { id: 'spend', title: 'Spend', show: () => can.spend(), render: renderSpend },
  { id: 'guardrails', title: 'Guardrails', show: () => true, render: renderGuardrails },
  { id: 'routes', title: 'Routes', show: () => can.routes(), render: renderRoutes },
];

// ---------------------------------------------------------------------------------------------
// Shell: login, navigation, routing

function logout(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = null;
  state.who = null;
  state.loginMessage = message || null;
  if (location.hash !== '#/login') location.hash = '#/login';
  else route();
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(qs || '') };
}

function renderShell(active) {
  const nav = clear(document.getElementById('nav'));
  const who = document.getElementById('who');
  const out = document.getElementById('logout');
  if (!state.who) { who.textContent = ''; out.hidden = true; return; }
  for (const page of PAGES) {
    if (!page.show()) continue;
    nav.append(h('a', { href: '#/' + page.id, class: page.id === active ? 'active' : null, id: 'nav-' + page.id, text: page.title }));
  }
  who.textContent = `${state.who.actor} · ${roleLabel(state.who.role)}${state.who.team ? ' · team ' + teamName(state.who.team) : ''}`;
  out.hidden = false;
}

async function route() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  const renderID = ++state.renderID;
  const main = document.getElementById('main');
  const { parts, params } = parseHash();
  if (!state.key) { renderShell(null); return renderLogin(main); }
  if (!state.who) {
    try { state.who = await api('/admin/whoami'); } catch (e) {
      if (e.status !== 401) { clear(main).append(errorBox(e)); }
      return;
    }
    await loadNames();
    if (renderID !== state.renderID) return;
  }
  let page = PAGES.find((p) => p.id === parts[0] && p.show());
  if (!page) { location.replace('#/overview'); return; }
  renderShell(page.id);
  clear(main);
  const isCurrent = () => renderID === state.renderID;
  try {
    await page.render(main, parts.slice(1), params, isCurrent);
  } catch (e) {
    if (isCurrent()) main.append(errorBox(e));
  }
}

function errorBox(e) {
  if (e && e.status === 403) return h('div', { class: 'notice' }, `Your role (${roleLabel(state.who && state.who.role)}) cannot see this: ${e.message}`);
  if (e && e.status === 404 && e.code === 'not_found') return h('div', { class: 'notice' }, 'This server does not offer this API: ' + e.message);
  return h('div', { class: 'notice error' }, (e && e.message) || String(e));
}

function renderLogin(main) {
  clear(main);
  const input = h('input', { type: 'password', id: 'login-key', name: 'key', autocomplete: 'off', placeholder: 'sk-keel-… or the master key', required: true });
  const message = h('p', { class: 'error', id: 'login-error', text: state.loginMessage || '' });
  const form = h('form', { class: 'panel login', id: 'login-form' },
    h('h1', { text: 'Keel console' }),
    h('p', { class: 'muted', text: 'Paste a Keel key. It stays in this tab (sessionStorage) and is sent only to this server, in the Authorization header.' }),
    h('label', { class: 'field' }, 'API key', input),
    h('p', null, h('button', { class: 'primary', type: 'submit', text: 'Log in' })),
    message);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    try {
      const who = await api('/admin/whoami', key);
      sessionStorage.setItem(KEY_STORAGE, key);
      state.key = key;
      state.who = who;
      state.loginMessage = null;
      await loadNames();
      location.hash = '#/overview';
      if (location.hash === '#/overview') route();
    } catch (e) {
      message.textContent = e.status === 401 ? 'This key is not valid.' : e.message;
    }
  });
  main.append(form);
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// Overview

function card(label, value, hint, id) {
  return h('div', { class: 'card', id }, h('div', { class: 'label', text: label }), h('div', { class: 'value', text: value }), hint ? h('div', { class: 'hint', text: hint }) : null);
}

function utcMidnight(ms) { const d = new Date(ms); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()); }

async function renderOverview(main, _parts, _params, isCurrent) {
  main.append(h('h1', { text: 'Overview' }));
  const now = Date.now();
  const since = now - 24 * 3600 * 1000;
  const [requests, spendToday, metrics] = await Promise.all([
    can.requests()
      ? api('/admin/requests' + query({ from: Math.floor(since / 1000), limit: 500 })).then((b) => ({ ok: b }), (e) => ({ error: e }))
      : { error: { status: 403 } },
    can.spend() ? api('/admin/spend' + query({ group_by: 'model', from: Math.floor(utcMidnight(now) / 1000) })).catch(() => null) : null,
    can.globalMetrics() ? metricsText().then(parseMetrics).catch(() => null) : null,
  ]);
  if (!isCurrent()) return;
  const cards = h('div', { class: 'cards', id: 'overview-cards' });
  main.append(cards);
  const grid = h('div', { class: 'grid' });
  if (requests.ok) {
    const rows = (requests.ok.data || []).map(normalizeRequest);
    const latencies = rows.map((r) => r.latency_ms).filter((x) => typeof x === 'number').sort((a, b) => a - b);
    const errors = rows.filter((r) => r.status >= 400).length;
    const more = requests.ok.next_cursor ? ' (latest 500)' : '';
    cards.append(
      card('Requests, 24 h', fmt.int(rows.length) + (more ? '+' : ''), 'throughput ' + (rows.length / 24).toFixed(1) + ' / hour' + more, 'card-requests'),
      card('Error rate', rows.length ? fmt.pct(errors / rows.length) : '—', `${errors} answered ≥ 400`, 'card-errors'),
      card('Latency p50', fmt.ms(percentile(latencies, 0.5)), 'last 24 h', 'card-p50'),
      card('Latency p99', fmt.ms(percentile(latencies, 0.99)), 'last 24 h', 'card-p99'));
    const hours = [];
    for (let i = 23; i >= 0; i--) hours.push(Math.floor((now - i * 3600 * 1000) / 3600000) * 3600000);
    const ok = hours.map(() => 0), failed = hours.map(() => 0);
    for (const r of rows) {
      const i = hours.findIndex((start) => r.time >= start && r.time < start + 3600000);
      if (i >= 0) (r.status >= 400 ? failed : ok)[i]++;
    }
    grid.append(h('div', { class: 'panel' }, h('h2', { text: 'Throughput per hour (UTC)' }),
      barChart(hours.map((t) => new Date(t).toISOString().slice(11, 16)), [{ name: 'succeeded', values: ok, cls: 's1' }, { name: 'failed', values: failed, cls: 's4' }], { legend: true })));
    const byModel = new Map();
    for (const r of rows) {
      const m = byModel.get(r.model) || { requests: 0, errors: 0, latencies: [] };
      m.requests++; if (r.status >= 400) m.errors++; if (typeof r.latency_ms === 'number') m.latencies.push(r.latency_ms);
      byModel.set(r.model, m);
    }
    const top = [...byModel.entries()].sort((a, b) => b[1].requests - a[1].requests).slice(0, 8);
    grid.append(h('div', { class: 'panel' }, h('h2', { text: 'Top models, 24 h' }),
      top.length ? table(['Model', 'Requests', 'Errors', 'p50'], top.map(([name, m]) => {
        m.latencies.sort((a, b) => a - b);
        return [h('a', { href: '#/requests' + query({ model: name }), text: name }), num(fmt.int(m.requests)), num(fmt.int(m.errors)), num(fmt.ms(percentile(m.latencies, 0.5)))];
      }), { id: 'top-models' }) : h('p', { class: 'muted', text: 'No requests in the last 24 hours.' })));
  } else {
    cards.append(card('Requests, 24 h', '—', requests.error.status === 403 ? 'not visible to your role' : 'request log unavailable'));
  }
  if (spendToday) {
    cards.append(card('Spend today', fmt.usd(spendToday.total_cost_usd), 'since 00:00 UTC' + (spendToday.team ? ', team ' + teamName(spendToday.team) : ''), 'card-spend'));
    const byCost = [...(spendToday.data || [])].sort((a, b) => b.cost_usd - a.cost_usd).slice(0, 8);
    grid.append(h('div', { class: 'panel' }, h('h2', { text: 'Spend today by model' }),
      byCost.length ? table(['Model', 'Requests', 'Tokens in / out', 'Cost'], byCost.map((g) => [g.model, num(fmt.int(g.requests)), num(`${fmt.int(g.input_tokens)} / ${fmt.int(g.output_tokens)}`), num(fmt.usd(g.cost_usd))]))
        : h('p', { class: 'muted', text: 'Nothing spent today.' })));
  }
  if (metrics) {
    const total = sumMetric(metrics, 'keel_gen_ai_requests_total');
    if (total > 0) {
      const errs = sumMetric(metrics, 'keel_gen_ai_request_errors_total');
      const p50 = histogramQuantile(metrics, 'gen_ai_client_operation_duration_seconds', 0.5);
      const p99 = histogramQuantile(metrics, 'gen_ai_client_operation_duration_seconds', 0.99);
      grid.append(h('div', { class: 'panel', id: 'metrics-panel' }, h('h2', { text: 'Since this replica started (/metrics)' }),
        h('dl', { class: 'kv' }, h('dt', { text: 'Requests' }), h('dd', { text: fmt.int(total) }),
          h('dt', { text: 'Error rate' }), h('dd', { text: fmt.pct(errs / total) }),
          h('dt', { text: 'p50 / p99' }), h('dd', { text: `${fmt.ms(p50 === null ? null : p50 * 1000)} / ${fmt.ms(p99 === null ? null : p99 * 1000)}` }),
          h('dt', { text: 'Cost' }), h('dd', { text: fmt.usd(sumMetric(metrics, 'keel_gen_ai_cost_usd_total')) }))));
    }
  }
  main.append(grid);
}

function num(text) { return { num: true, text }; }

// rows: arrays of cells; a cell is a Node, text, or {num, text}.
function table(headers, rows, opts = {}) {
  const numeric = rows.length ? rows[0].map((c) => c && c.num === true) : [];
  const tbody = h('tbody');
  rows.forEach((row, i) => {
    const tr = h('tr', opts.rowAttrs ? opts.rowAttrs(i) : null);
    for (const cell of row) {
      if (cell && cell.num === true) tr.append(h('td', { class: 'num', text: cell.text }));
      else if (cell && cell.wrap === true) tr.append(h('td', { class: 'wrap', text: cell.text }));
      else tr.append(h('td', null, cell === null || cell === undefined ? '—' : cell));
    }
    tbody.append(tr);
  });
  return h('div', { class: 'scroll' }, h('table', { id: opts.id },
    h('thead', null, h('tr', null, headers.map((x, i) => h('th', { class: numeric[i] ? 'num' : null, text: x })))), tbody));
}

// ---------------------------------------------------------------------------------------------
// Requests: filters, pages, detail

const FILTERS = ['from', 'to', 'model', 'provider', 'team', 'key', 'status', 'min_latency_ms', 'error_contains'];
const PAGE_SIZE = 25;

function toSeconds(localValue) {
  if (!localValue) return '';
  const ms = new Date(localValue).getTime();
  return Number.isNaN(ms) ? '' : String(Math.floor(ms / 1000));
}

function toLocalInput(seconds) {
  if (!seconds) return '';
  const d = new Date(Number(seconds) * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function renderRequests(main, parts, params, isCurrent) {
  if (parts.length) return renderRequestDetail(main, parts[0], isCurrent);
  main.append(h('h1', { text: 'Requests' }));
  const models = await api('/v1/models').then((b) => (b.data || []).map((m) => m.id)).catch(() => []);
  if (!isCurrent()) return;
  const field = (name, label, control) => h('label', { class: 'field' }, label, control);
  const value = (name) => params.get(name) || '';
  const select = (name, options) => h('select', { name, id: 'filter-' + name },
    options.map(([v, text]) => { const o = h('option', { value: v, text }); if (v === value(name)) o.selected = true; return o; }));
  const controls = [
    field('from', 'From', h('input', { type: 'datetime-local', name: 'from', id: 'filter-from', value: toLocalInput(value('from')) })),
    field('to', 'To', h('input', { type: 'datetime-local', name: 'to', id: 'filter-to', value: toLocalInput(value('to')) })),
    field('model', 'Model', select('model', [['', 'any'], ...[...new Set([...models, value('model')].filter(Boolean))].sort().map((m) => [m, m])])),
    field('provider', 'Provider', h('input', { name: 'provider', id: 'filter-provider', value: value('provider'), placeholder: 'any' })),
    can.allTeams() ? field('team', 'Team', select('team', [['', 'any'], ...[...state.teamNames].map(([id, name]) => [id, name])])) : null,
    field('key', 'Key id', h('input', { name: 'key', id: 'filter-key', value: value('key'), placeholder: 'key_…' })),
    field('status', 'Status', select('status', [['', 'any'], ['2xx', '2xx'], ['4xx', '4xx'], ['5xx', '5xx'], ['429', '429'], ['499', '499'], ['502', '502'], ['503', '503'], ['504', '504']])),
    field('min_latency_ms', 'Latency ≥ ms', h('input', { type: 'number', min: 0, name: 'min_latency_ms', id: 'filter-min_latency_ms', value: value('min_latency_ms') })),
    field('error_contains', 'Error contains', h('input', { name: 'error_contains', id: 'filter-error_contains', value: value('error_contains') })),
  ];
  const form = h('form', { class: 'panel filters', id: 'filters' }, controls,
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', id: 'apply-filters', text: 'Apply' }),
      h('button', { type: 'button', id: 'reset-filters', text: 'Reset', onclick: () => { location.hash = '#/requests'; } })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const name of FILTERS) {
      let v = (data.get(name) || '').toString().trim();
      if (name === 'from' || name === 'to') v = toSeconds(v);
      if (v) next[name] = v;
    }
    location.hash = '#/requests' + query(next);
  });
  main.append(form);
  const results = h('div', { class: 'panel', id: 'request-results' });
  main.append(results);
  const filters = {};
  for (const name of FILTERS) if (value(name)) filters[name] = value(name);
  const cursors = [null];
  const load = async () => {
    const cursor = cursors[cursors.length - 1];
    const page = await api('/admin/requests' + query({ ...filters, limit: PAGE_SIZE, cursor }));
    if (!isCurrent()) return;
    clear(results);
    const rows = (page.data || []).map(normalizeRequest);
    results.append(requestTable(rows, 'requests-table'));
    if (!rows.length) results.append(h('p', { class: 'muted', id: 'no-requests', text: 'No requests match these filters.' }));
    const prev = h('button', { type: 'button', id: 'page-prev', text: '← Newer', disabled: cursors.length === 1 });
    const next = h('button', { type: 'button', id: 'page-next', text: 'Older →', disabled: !page.next_cursor });
    prev.addEventListener('click', () => { cursors.pop(); load().catch((e) => results.append(errorBox(e))); });
    next.addEventListener('click', () => { cursors.push(page.next_cursor); load().catch((e) => results.append(errorBox(e))); });
    results.append(h('div', { class: 'pager' }, prev, next, h('span', { class: 'muted', text: `page ${cursors.length}` })));
  };
  await load();
}

function requestTable(rows, id) {
  return table(['Time (UTC)', 'Model', 'Route', 'Status', 'Latency', 'Tokens in / out', 'Cost', 'Attempts', 'Cache', 'Error'],
    rows.map((r) => [
      h('a', { href: '#/requests/' + encodeURIComponent(r.id), text: fmt.time(r.time) }), r.model,
      r.provider ? `${r.provider}/${r.upstream_model || r.model}` : '—', statusBadge(r.status), num(fmt.ms(r.latency_ms)),
      num(r.input_tokens === null && r.output_tokens === null ? '—' : `${fmt.int(r.input_tokens)} / ${fmt.int(r.output_tokens)}`),
      num(fmt.usd(r.cost_usd)), num(r.attempt_count === null ? '—' : String(r.attempt_count)), r.cache || '—',
      { wrap: true, text: r.error ? r.error.slice(0, 80) : '' },
    ]),
    { id, rowAttrs: (i) => ({ class: 'clickable', 'data-id': rows[i].id, onclick: (ev) => { if (ev.target.tagName !== 'A') location.hash = '#/requests/' + encodeURIComponent(rows[i].id); } }) });
}

async function renderRequestDetail(main, id, isCurrent) {
  const r = normalizeRequest(await api('/admin/requests/' + encodeURIComponent(id)));
  if (!isCurrent()) return;
  main.append(h('p', null, h('a', { href: '#/requests', text: '← Requests' })),
    h('h1', { id: 'request-title' }, 'Request ', h('code', { text: r.id })));
  const kv = [
    ['Time (UTC)', fmt.time(r.time)], ['Inbound API', r.inbound_api], ['Model', r.model],
    ['Route', r.provider ? `${r.provider}/${r.upstream_model || r.model}` : '—'], ['Status', statusBadge(r.status)],
    ['Latency', fmt.ms(r.latency_ms)], ['Time to first token', fmt.ms(r.ttft_ms)], ['Stream', r.stream ? 'yes' : 'no'],
    ['Tokens', `${fmt.int(r.input_tokens)} in (${fmt.int(r.cached_tokens)} cached) / ${fmt.int(r.output_tokens)} out`],
    ['Cost', fmt.usd(r.cost_usd)], ['Cache', r.cache || '—'], ['Team', r.team ? teamName(r.team) : '—'], ['Key', r.key_id ? keyName(r.key_id) : '—'], ['Trace', r.trace_id || '—'],
  ];
  if (r.error) kv.push(['Error', r.error]);
  main.append(h('div', { class: 'panel' }, h('dl', { class: 'kv', id: 'request-summary' }, kv.map(([k, v]) => [h('dt', { text: k }), h('dd', null, v === null || v === undefined ? '—' : v)]))));
  const attempts = r.attempts || [];
  main.append(h('div', { class: 'panel', id: 'attempts' }, h('h2', { text: `Attempts (${attempts.length})` }),
    attempts.length || r.latency_ms ? attemptTimeline(r) : null,
    attempts.length ? table(['#', 'Provider', 'Model', 'Status', 'Started', 'Took', 'Error'], attempts.map((a, i) => [
      String(i + 1), a.provider, a.model, statusBadge(a.status), num(fmt.ms(a.started_ms)), num(fmt.ms(a.latency_ms)), { wrap: true, text: a.error || '' },
    ]), { id: 'attempts-table' }) : h('p', { class: 'muted', text: r.cache === 'hit' ? 'Answered from the response cache: nothing was sent upstream.' : 'Nothing was sent upstream.' })));
  main.append(capturedContent(r.content));
  if (r.guardrail_findings.length) {
    const cols = [...new Set(r.guardrail_findings.flatMap((f) => Object.keys(f || {})))];
    main.append(h('div', { class: 'panel', id: 'request-guardrails' }, h('h2', { text: 'Guardrail findings' }),
      table(cols, r.guardrail_findings.map((f) => cols.map((c) => (f[c] === undefined ? '' : typeof f[c] === 'object' ? JSON.stringify(f[c]) : String(f[c])))))));
  }
  if (r.feedback.length) {
    main.append(h('div', { class: 'panel' }, h('h2', { text: 'Feedback' }),
      table(['Time', 'Name', 'Score', 'Label', 'Source', 'Comment'], r.feedback.map((f) => [f.created_at || '', f.name, num(String(f.score)), f.label || '', f.source || '', { wrap: true, text: f.comment || '' }]))));
  }
  const meta = Object.entries(r.metadata).filter(([k]) => k !== 'guardrail_findings');
  if (meta.length) {
    main.append(h('div', { class: 'panel' }, h('h2', { text: 'Metadata' }), h('dl', { class: 'kv' }, meta.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]))));
  }
}

// The captured prompt and answer (telemetry.capture_content): each message's role and texts, as
// text; a long side starts collapsed.
const CONTENT_COLLAPSE_CHARS = 1200;

function capturedContent(content) {
  const panel = h('div', { class: 'panel', id: 'request-content' }, h('h2', { text: 'Captured content' }));
  if (!content) {
    panel.append(h('p', { class: 'muted', id: 'content-not-captured', text: 'Not captured: prompts and answers are kept only with telemetry.capture_content on.' }));
    return panel;
  }
  panel.append(h('p', { class: 'muted', id: 'content-redaction',
    text: content.redaction === 'pii' ? 'Personal data and secrets are replaced by placeholders such as [EMAIL_1].' : 'Not redacted.' }));
  const side = (name, messages, truncated) => {
    const id = 'content-' + name.toLowerCase();
    if (!Array.isArray(messages)) {
      return h('div', { class: 'content-side', id }, h('h3', { text: name }),
        h('p', { class: 'muted', text: typeof messages === 'string' ? messages : name === 'Output' ? 'No answer.' : 'Not captured.' }));
    }
    const rendered = messages.map(contentMessage);
    const chars = JSON.stringify(messages).length;
    const label = `${name}: ${messages.length} message${messages.length === 1 ? '' : 's'}` + (truncated ? ' (truncated to the size limit)' : '');
    return h('div', { class: 'content-side', id },
      h('details', { open: chars <= CONTENT_COLLAPSE_CHARS }, h('summary', { text: label }), rendered));
  };
  panel.append(side('Input', content.input_messages, content.input_truncated), side('Output', content.output_messages, content.output_truncated));
  return panel;
}

function contentMessage(message) {
  const parts = Array.isArray(message && message.parts) ? message.parts : [];
  const texts = parts.map((p) => {
    if (!p || typeof p !== 'object') return '';
    switch (p.type) {
      case 'text': return String(p.content ?? '');
      case 'tool_call': return `→ tool call ${p.name || ''}(${typeof p.arguments === 'string' ? p.arguments : JSON.stringify(p.arguments ?? {})})`;
      case 'tool_call_response': return `← tool result: ${String(p.response ?? '')}`;
      case 'uri': return `[image: ${String(p.uri ?? '')}]`;
      case 'blob': return `[image: ${p.mime_type || 'inline data'}]`;
      default: return JSON.stringify(p);
    }
  });
  const role = String((message && message.role) || '?') + (message && message.finish_reason ? ` · ${message.finish_reason}` : '');
  return h('div', { class: 'message' }, h('div', { class: 'role', text: role }), h('pre', { text: texts.join('\n') }));
}

// ---------------------------------------------------------------------------------------------
// Spend

async function renderSpend(main, _parts, params, isCurrent) {
  const days = Math.min(90, Math.max(2, parseInt(params.get('days') || '14', 10) || 14));
  main.append(h('h1', { text: 'Spend' }),
    h('p', { class: 'actions' }, 'Last', [7, 14, 30, 90].map((d) => h('a', { class: 'button' + (d === days ? ' primary' : ''), href: '#/spend?days=' + d, text: d + ' days' }))));
  const today = utcMidnight(Date.now());
  const starts = [];
  for (let i = days - 1; i >= 0; i--) starts.push(today - i * 86400000);
  const from = Math.floor(starts[0] / 1000);
  const range = (start) => ({ from: Math.floor(start / 1000), to: Math.floor((start + 86400000) / 1000) - 1 });
  const teamDim = can.allTeams() ? 'team' : 'key';
  const [byTeam, byModel, byKey, perDayModel, perDayTeam] = await Promise.all([
    api('/admin/spend' + query({ group_by: 'team', from })),
    api('/admin/spend' + query({ group_by: 'model', from })),
    api('/admin/spend' + query({ group_by: 'key', from })),
    Promise.all(starts.map((t) => api('/admin/spend' + query({ group_by: 'model', ...range(t) })))),
    Promise.all(starts.map((t) => api('/admin/spend' + query({ group_by: teamDim, ...range(t) })))),
  ]);
  if (!isCurrent()) return;
  const labels = starts.map((t) => fmt.day(t).slice(5));
  const seriesOf = (reports, dim) => {
    const names = [...new Set(reports.flatMap((r) => (r.data || []).map((g) => g[dim])))];
    return names.map((name) => ({ name: groupName(dim, name), values: reports.map((r) => ((r.data || []).find((g) => g[dim] === name) || {}).cost_usd || 0) }));
  };
  main.append(h('div', { class: 'cards' },
    card('Total', fmt.usd(byModel.total_cost_usd), `last ${days} days (UTC)`, 'spend-total'),
    card('Requests', fmt.int((byModel.data || []).reduce((a, g) => a + g.requests, 0)), 'settled with a cost'),
    card('Models', fmt.int((byModel.data || []).length), 'with spend')));
  main.append(h('div', { class: 'grid' },
    h('div', { class: 'panel', id: 'spend-by-model-chart' }, h('h2', { text: 'By model per day' }), barChart(labels, topSeries(seriesOf(perDayModel, 'model'), 8), { unit: 'usd', legend: true })),
    h('div', { class: 'panel', id: 'spend-by-team-chart' }, h('h2', { text: teamDim === 'team' ? 'By team per day' : 'By key per day' }), lineChart(labels, topSeries(seriesOf(perDayTeam, teamDim), 8), { unit: 'usd' }))));
  const totals = (report, dim, title, id) => h('div', { class: 'panel', id }, h('h2', { text: title }),
    (report.data || []).length ? table([dim === 'key' ? 'Key' : dim[0].toUpperCase() + dim.slice(1), 'Requests', 'Input tokens', 'Output tokens', 'Cached', 'Cost'],
      [...report.data].sort((a, b) => b.cost_usd - a.cost_usd).map((g) => [groupName(dim, g[dim]), num(fmt.int(g.requests)), num(fmt.int(g.input_tokens)), num(fmt.int(g.output_tokens)), num(fmt.int(g.cached_input_tokens)), num(fmt.usd(g.cost_usd))]))
      : h('p', { class: 'muted', text: 'No spend in this period.' }));
  main.append(h('div', { class: 'grid' },
    totals(byTeam, 'team', 'By team', 'spend-by-team'), totals(byModel, 'model', 'By model', 'spend-by-model'), totals(byKey, 'key', 'By key', 'spend-by-key')));
}

// ---------------------------------------------------------------------------------------------
// Guardrails

async function renderGuardrails(main, _parts, _params, isCurrent) {
  main.append(h('h1', { text: 'Guardrails' }));
  const [samples, flagged] = await Promise.all([
    metricsText().then(parseMetrics).catch(() => []),
    can.requests()
      ? api('/admin/requests' + query({ error_contains: 'guardrail', limit: 50 })).catch((e) => ({ error: e }))
      : { error: { status: 403, message: 'The request log is not visible to your role.' } },
  ]);
  if (!isCurrent()) return;
  const mine = (labels) => can.globalMetrics() || (state.who.team && labels.team === state.who.team);
  const actions = samples.filter((x) => x.name === 'keel_guardrail_actions_total' && x.value > 0 && mine(x.labels));
  const panel = h('div', { class: 'panel', id: 'guardrail-actions' }, h('h2', { text: 'Actions since this replica started' }));
  if (!can.globalMetrics() && !samples.some((x) => x.name === 'keel_guardrail_actions_total' && 'team' in x.labels)) {
    panel.append(h('p', { class: 'muted', text: 'Guardrail counters are not broken down by team on this server; ask an administrator.' }));
  } else if (!actions.length) {
    panel.append(h('p', { class: 'muted', id: 'no-guardrail-actions', text: 'No guardrail has blocked, redacted or flagged anything yet.' }));
  } else {
    const cols = [...new Set(actions.flatMap((x) => Object.keys(x.labels)))];
    const byDetector = new Map();
    for (const x of actions) {
      const key = x.labels.detector || '?';
      const entry = byDetector.get(key) || {};
      entry[x.labels.action || '?'] = (entry[x.labels.action || '?'] || 0) + x.value;
      byDetector.set(key, entry);
    }
    const actionNames = [...new Set(actions.map((x) => x.labels.action || '?'))].sort();
    const detectors = [...byDetector.keys()].sort();
    panel.append(barChart(detectors, actionNames.map((a) => ({ name: a, values: detectors.map((d) => byDetector.get(d)[a] || 0) })), { legend: true }),
      table([...cols, 'Count'], actions.sort((a, b) => b.value - a.value).map((x) => [...cols.map((c) => x.labels[c] || '—'), num(fmt.int(x.value))]), { id: 'guardrail-table' }));
  }
  main.append(panel);
  const recent = h('div', { class: 'panel', id: 'guardrail-requests' }, h('h2', { text: 'Requests stopped by a guardrail' }));
  if (flagged.error) recent.append(errorBox(flagged.error));
  else {
    const rows = (flagged.data || []).map(normalizeRequest);
    recent.append(rows.length ? requestTable(rows, 'guardrail-requests-table') : h('p', { class: 'muted', text: 'None in the request log.' }),
      h('p', { class: 'muted', text: 'Open a request to see its findings (detector, type, action — never the matched text).' }));
  }
  main.append(recent);
}

// ---------------------------------------------------------------------------------------------
// Routes

async function renderRoutes(main, _parts, _params, isCurrent) {
  main.append(h('h1', { text: 'Routes' }), h('p', { class: 'muted', text: 'Circuit breakers, load and averages of every route since this replica started; refreshed every 5 seconds.' }));
  const box = h('div', { id: 'routes' });
  main.append(box);
  const draw = async () => {
    const body = await api('/admin/routes');
    if (!isCurrent()) return;
    clear(box);
    const models = body.data || [];
    if (!models.length) box.append(h('p', { class: 'muted', text: 'No models are configured.' }));
    for (const m of models) {
      const breaker = (state) => h('span', { class: 'badge ' + (state === 'closed' ? 'ok' : state === 'half_open' ? 'warn' : 'bad'), text: state.replace('_', '-') });
      box.append(h('div', { class: 'panel route-model', 'data-model': m.model },
        h('h2', null, m.model, ' ', h('span', { class: 'muted', text: `· ${m.strategy} · ${fmt.int(m.requests)} requests · ${fmt.int(m.retries)} retries · ${fmt.int(m.hedges)} hedges · ${fmt.int(m.fallbacks)} fallbacks · ${fmt.int(m.queue_waits)} queue waits · ${fmt.int(m.queue_timeouts)} queue timeouts` })),
        table(['Provider', 'Upstream model', 'Breaker', 'In flight', 'Avg latency', 'Avg first token', 'Attempts', 'Failures', 'Failure rate', 'Times opened'],
          (m.routes || []).map((r) => [r.provider, r.model, breaker(r.breaker), num(fmt.int(r.in_flight)), num(fmt.ms(r.latency_ms)), num(fmt.ms(r.time_to_first_token_ms)),
            num(fmt.int(r.attempts)), num(fmt.int(r.failures)), num(r.attempts ? fmt.pct(r.failures / r.attempts) : '—'), num(fmt.int(r.times_opened))]))));
    }
  };
  await draw();
  state.timers.push(setInterval(() => { if (isCurrent()) draw().catch(() => {}); }, 5000));
}

// ---------------------------------------------------------------------------------------------

document.getElementById('logout').addEventListener('click', () => logout());
window.addEventListener('hashchange', route);
route();
