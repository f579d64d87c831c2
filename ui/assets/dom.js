// DOM and formatting helpers. Data is only ever put into the page as text
// (textContent, text nodes, attribute values): never parsed as HTML, since
// names and descriptions come from untrusted MCP servers.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(e, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = String(v);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv !== undefined && dv !== null) e.dataset[dk] = String(dv); }
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'style' || k === 'href' || k === 'src' || k.startsWith('on')) throw new Error('el: attribute not allowed: ' + k);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// el('td', {class: 'num', dataset: {x: 1}}, 'text', child...) builds an element.
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// svg('rect', {x: 1, ...}) builds an SVG element.
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return Array.from(root.querySelectorAll(sel)); }

export function setText(sel, text) {
  const e = typeof sel === 'string' ? $(sel) : sel;
  if (e) e.textContent = text === undefined || text === null ? '' : String(text);
}

// replaceRows swaps the rows of tbody for rows in one go.
export function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// fmtTime shows a time of day, with the date when it is not today.
export function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return t;
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${t}`;
}

export function fmtFullTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// sig3 shows a number with at most three significant digits, without
// trailing zeros (37, 4.85, 382, 1.2).
function sig3(v) {
  return String(Number.parseFloat(v.toPrecision(3)));
}

// fmtDuration formats nanoseconds.
export function fmtDuration(ns) {
  if (typeof ns !== 'number' || !Number.isFinite(ns) || ns < 0) return '–';
  if (ns === 0) return '0 ms';
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${sig3(ns / 1e3)} µs`;
  if (ns < 999.5e6) return `${sig3(ns / 1e6)} ms`;
  if (ns < 60e9) return `${sig3(ns / 1e9)} s`;
  return `${Math.floor(ns / 60e9)} min ${Math.round((ns % 60e9) / 1e9)} s`;
}

export function fmtBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

export function fmtAgo(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

// debounce calls fn once calls to the result pause for ms.
export function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// quantile of sorted numbers (linear interpolation), q in [0, 1].
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
