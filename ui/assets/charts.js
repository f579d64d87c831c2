// Small SVG charts drawn by hand: per-tool latency bars and calls per
// minute. Text goes in as text nodes only.

import { el, svg, fmtDuration, quantile } from './dom.js';

// width is the chart's drawing width: the width of its box, so that text
// keeps its size.
function width(root) {
  const w = root.clientWidth;
  return w > 0 ? Math.max(480, Math.round(w - 36)) : 960;
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function truncate(s, n) {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function empty(text) {
  return el('p', { class: 'empty' }, text);
}

// latencyGroups computes p50/p95 per server and name over calls that have
// a name (tools, prompts, resources), busiest-p95 first.
export function latencyGroups(calls) {
  const groups = new Map();
  for (const c of calls) {
    if (!c.name || typeof c.durationNs !== 'number') continue;
    const key = `${c.server || ''}\u0000${c.name}`;
    let g = groups.get(key);
    if (!g) { g = { server: c.server || '', name: c.name, method: c.method, d: [] }; groups.set(key, g); }
    g.d.push(c.durationNs);
  }
  const out = [];
  for (const g of groups.values()) {
    g.d.sort((a, b) => a - b);
    out.push({ server: g.server, name: g.name, method: g.method, n: g.d.length, p50: quantile(g.d, 0.5), p95: quantile(g.d, 0.95) });
  }
  out.sort((a, b) => b.p95 - a.p95 || a.name.localeCompare(b.name));
  return out;
}

// drawLatency renders up to max groups as horizontal bars into root.
export function drawLatency(root, groups, max = 20) {
  const rows = groups.slice(0, max);
  if (rows.length === 0) {
    root.replaceChildren(empty('No calls with a tool, prompt or resource name loaded yet.'));
    return;
  }
  const W = width(root);
  const rowH = 28, top = 26, left = Math.min(300, Math.round(W * 0.28)), right = 190;
  const H = top + rows.length * rowH + 8;
  const scaleMax = niceCeil(Math.max(...rows.map((r) => r.p95)));
  const x = (v) => left + (v / scaleMax) * (W - left - right);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Latency by tool, p50 and p95', id: 'latency-svg' });

  for (let i = 0; i <= 4; i++) {
    const v = (scaleMax * i) / 4;
    const gx = x(v);
    s.append(svg('line', { class: 'grid-line', x1: gx, x2: gx, y1: top - 6, y2: H - 8 }));
    s.append(svg('text', { x: gx, y: 14, 'text-anchor': i === 0 ? 'start' : 'middle' }, i === 0 ? '0' : fmtDuration(v)));
  }
  // legend
  s.append(svg('rect', { class: 'bar-p50', x: W - right + 24, y: 5, width: 10, height: 10, rx: 2 }));
  s.append(svg('text', { x: W - right + 40, y: 14 }, 'p50'));
  s.append(svg('rect', { class: 'bar-p95', x: W - right + 80, y: 5, width: 10, height: 10, rx: 2 }));
  s.append(svg('text', { x: W - right + 96, y: 14 }, 'p95'));

  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const label = r.server ? `${r.server} · ${r.name}` : r.name;
    const g = svg('g', { class: 'latency-row', 'data-server': r.server, 'data-name': r.name });
    g.append(svg('title', {}, `${label}\n${r.n} call${r.n === 1 ? '' : 's'} · p50 ${fmtDuration(r.p50)} · p95 ${fmtDuration(r.p95)}`));
    g.append(svg('rect', { class: 'hit', x: 0, y, width: W, height: rowH }));
    g.append(svg('text', { class: 'label', x: left - 12, y: y + 18, 'text-anchor': 'end' }, truncate(label, Math.floor((left - 16) / 7))));
    g.append(svg('rect', { class: 'bar-p95', x: left, y: y + 7, width: Math.max(2, x(r.p95) - left), height: 14, rx: 3 }));
    g.append(svg('rect', { class: 'bar-p50', x: left, y: y + 7, width: Math.max(2, x(r.p50) - left), height: 14, rx: 3 }));
    g.append(svg('text', { class: 'value', x: W - right + 24, y: y + 18 }, `${fmtDuration(r.p50)} / ${fmtDuration(r.p95)}`));
    g.append(svg('text', { x: W - 8, y: y + 18, 'text-anchor': 'end' }, `n=${r.n}`));
    s.append(g);
  });
  root.replaceChildren(s);
}

const pad = (n) => String(n).padStart(2, '0');

// perMinute counts calls in each of the last minutes minutes up to now:
// [{t (ms, minute start), ok, fail}], oldest first.
export function perMinute(calls, now = Date.now(), minutes = 60) {
  const end = Math.floor(now / 60000) * 60000;
  const start = end - (minutes - 1) * 60000;
  const buckets = [];
  for (let i = 0; i < minutes; i++) buckets.push({ t: start + i * 60000, ok: 0, fail: 0 });
  for (const c of calls) {
    const t = Date.parse(c.time);
    if (Number.isNaN(t) || t < start || t >= end + 60000) continue;
    const b = buckets[Math.floor((t - start) / 60000)];
    if (c.status === 'ok') b.ok++; else b.fail++;
  }
  return buckets;
}

// drawRate renders per-minute buckets as stacked columns into root.
export function drawRate(root, buckets) {
  const total = buckets.reduce((n, b) => n + b.ok + b.fail, 0);
  if (total === 0) {
    root.replaceChildren(empty('No calls in the last hour among those loaded.'));
    return;
  }
  const W = width(root);
  const H = 220, top = 28, bottom = 26, left = 44, right = 8;
  const peak = Math.max(...buckets.map((b) => b.ok + b.fail));
  const yMax = Math.max(4, niceCeil(peak));
  const plotH = H - top - bottom;
  const colW = (W - left - right) / buckets.length;
  const y = (v) => top + plotH - (v / yMax) * plotH;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Calls per minute', id: 'rate-svg' });

  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    s.append(svg('line', { class: i === 0 ? 'axis' : 'grid-line', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    s.append(svg('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }
  s.append(svg('rect', { class: 'legend-ok', x: W - 190, y: 6, width: 10, height: 10, rx: 2 }));
  s.append(svg('text', { x: W - 174, y: 15 }, 'ok'));
  s.append(svg('rect', { class: 'legend-fail', x: W - 140, y: 6, width: 10, height: 10, rx: 2 }));
  s.append(svg('text', { x: W - 124, y: 15 }, 'failed or refused'));

  buckets.forEach((b, i) => {
    const x0 = left + i * colW;
    const d = new Date(b.t);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const g = svg('g', { class: 'rate-col', 'data-minute': hm });
    g.append(svg('title', {}, `${hm} · ${b.ok + b.fail} call${b.ok + b.fail === 1 ? '' : 's'} (${b.fail} failed or refused)`));
    g.append(svg('rect', { class: 'hit', x: x0, y: top, width: colW, height: plotH }));
    const w = Math.max(1, colW - 3);
    if (b.ok > 0) g.append(svg('rect', { class: 'col-ok', x: x0 + 1.5, y: y(b.ok), width: w, height: y(0) - y(b.ok), rx: 1.5 }));
    if (b.fail > 0) g.append(svg('rect', { class: 'col-fail', x: x0 + 1.5, y: y(b.ok + b.fail), width: w, height: y(b.ok) - y(b.ok + b.fail), rx: 1.5 }));
    if (i % 10 === 0 || i === buckets.length - 1) {
      g.append(svg('text', { x: x0 + colW / 2, y: H - 8, 'text-anchor': 'middle' }, hm));
    }
    s.append(g);
  });
  root.replaceChildren(s);
}
