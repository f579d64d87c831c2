// Rendering of each dashboard section from plain data. Every value is put
// in as text (see dom.js).

import { el, $, setText, replaceRows, fmtTime, fmtFullTime, fmtDuration, fmtBytes, fmtAgo } from './dom.js';

const STATE_ORDER = { down: 0, blocked: 1, starting: 2, ready: 3, stopped: 4, disabled: 5 };

function num(n) {
  return el('td', { class: n ? 'num' : 'num zero' }, String(n ?? 0));
}

function timeCell(iso) {
  return el('td', { class: 'time', title: fmtFullTime(iso) }, fmtTime(iso));
}

function dash(v) {
  return v === undefined || v === null || v === '' ? '–' : v;
}

// ---- servers ----

export function renderServers(servers, updatedAt) {
  const list = [...servers].sort((a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) || a.name.localeCompare(b.name));
  const rows = list.map((s) => el('tr', { dataset: { server: s.name, state: s.state } },
    el('td', {}, el('span', { class: 'server-name' }, s.name), s.transport ? el('span', { class: 'chip' }, s.transport) : null,
      s.replicas && s.replicas.length ? el('ul', { class: 'replicas' }, ...s.replicas.map((r) =>
        el('li', { dataset: { replica: String(r.index), state: r.outOfRotation ? 'ejected' : r.state }, title: r.error || '' },
          el('span', { class: 'mono' }, `#${r.index} ${r.target}`), ' ',
          el('span', { class: 'badge', dataset: { state: r.outOfRotation ? 'down' : r.state } }, r.outOfRotation ? 'out of rotation' : (r.state || 'unknown'))))) : null),
    el('td', {}, el('span', { class: 'badge', dataset: { state: s.state } }, s.state || 'unknown')),
    el('td', { class: 'mono' }, dash(s.protocol), s.era ? el('span', { class: 'chip' }, s.era) : null),
    num(s.tools), num(s.prompts), num(s.resources),
    el('td', { class: s.restarts ? 'num restarts' : 'num zero' }, String(s.restarts ?? 0)),
    el('td', { class: 'err' }, s.error || ''),
  ));
  replaceRows($('#servers tbody'), rows);
  $('#servers-empty').hidden = rows.length > 0;
  setText('#servers-updated', updatedAt ? `updated ${fmtAgo(Date.now() - updatedAt)}` : '');
}

export function renderBackend(events) {
  const rows = events.slice(0, 50).map((e) => el('tr', { dataset: { type: e.type, server: e.server || '' } },
    timeCell(e.time),
    el('td', {}, el('span', { class: 'badge', dataset: { type: e.type } }, e.type)),
    el('td', { class: 'server-name' }, dash(e.server)),
    el('td', { class: 'desc' }, e.reason || ''),
  ));
  replaceRows($('#backend tbody'), rows);
  $('#backend-empty').hidden = rows.length > 0;
}

// ---- catalog ----

function hiddenCell(it) {
  if (!it.hidden) return el('td', {}, el('span', { class: 'ok-text' }, 'Exposed'));
  return el('td', {},
    el('span', { class: 'badge', dataset: { type: 'hidden' } }, 'Hidden'),
    it.hiddenReason ? el('span', { class: 'flag-reason' }, it.hiddenReason) : null);
}

export function renderCatalog(items, total, hiddenOnly) {
  const shown = hiddenOnly ? items.filter((it) => it.hidden) : items;
  const rows = shown.map((it) => el('tr', { class: it.hidden ? 'is-hidden' : '', dataset: { kind: it.kind, name: it.name, server: it.server, hidden: it.hidden ? 'true' : 'false' } },
    el('td', {}, el('span', { class: 'kind', dataset: { kind: it.kind } }, it.kind)),
    el('td', { class: 'name' }, it.name),
    el('td', {}, it.server),
    el('td', { class: 'desc' },
      it.title ? el('span', { class: 'title' }, it.title) : null,
      it.description ? el('span', { class: 'clamp', title: it.description }, it.description) : null),
    hiddenCell(it),
  ));
  replaceRows($('#catalog tbody'), rows);
  $('#catalog-empty').hidden = rows.length > 0;
  setText('#catalog-count', `Showing ${shown.length} of ${total} item${total === 1 ? '' : 's'}`);
}

export function renderHidden(items) {
  const hidden = items.filter((it) => it.hidden);
  const rows = hidden.map((it) => el('tr', { dataset: { kind: it.kind, name: it.name, server: it.server } },
    el('td', {}, el('span', { class: 'kind', dataset: { kind: it.kind } }, it.kind)),
    el('td', { class: 'name' }, it.name),
    el('td', {}, it.server),
    el('td', { class: 'desc' }, it.hiddenReason || ''),
  ));
  replaceRows($('#hidden-items tbody'), rows);
  $('#hidden-empty').hidden = rows.length > 0;
}

// ---- calls ----

export function callMatches(c, text, status) {
  if (status && c.status !== status) return false;
  if (!text) return true;
  const hay = `${c.principal || ''}\u0000${c.server || ''}\u0000${c.name || ''}\u0000${c.method || ''}\u0000${c.requestId || ''}\u0000${c.client || ''}`.toLowerCase();
  return text.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

function callDetail(c) {
  const kv = el('dl', { class: 'kv' });
  const add = (k, v) => { if (v !== undefined && v !== null && v !== '' && v !== 0) kv.append(el('dt', {}, k), el('dd', {}, String(v))); };
  add('Request ID', c.requestId);
  add('Trace ID', c.traceId);
  add('Time', fmtFullTime(c.time));
  add('Client', c.client);
  add('Session', c.session);
  add('Arguments SHA-256', c.argsDigest);
  add('Error code', c.code);
  add('Error', c.error);
  add('Plugin', c.plugin);
  if (c.cached) add('Cached', 'yes');
  for (const f of c.findings || []) {
    add('Finding', [f.plugin, f.type, f.rule, f.direction, f.count ? `×${f.count}` : ''].filter(Boolean).join(' · '));
  }
  return el('tr', { class: 'detail', dataset: { detailFor: c.requestId } }, el('td', { colspan: 8 }, kv));
}

export function renderCalls(calls, { text, status, expanded, fresh, limit = 500, onToggle }) {
  const rows = [];
  let shown = 0;
  for (const c of calls) {
    if (!callMatches(c, text, status)) continue;
    if (shown++ >= limit) continue;
    const nFind = (c.findings || []).length;
    const tr = el('tr', { class: `clickable${fresh.has(c.requestId) ? ' fresh' : ''}`, dataset: { requestId: c.requestId, status: c.status }, title: c.error || '' },
      timeCell(c.time),
      el('td', {}, dash(c.principal)),
      el('td', { class: 'server-name' }, dash(c.server)),
      el('td', { class: 'name' }, dash(c.name), c.cached ? el('span', { class: 'chip' }, 'cached') : null,
        nFind ? el('span', { class: 'chip' }, `${nFind} finding${nFind === 1 ? '' : 's'}`) : null),
      el('td', { class: 'mono' }, c.method),
      el('td', {}, el('span', { class: 'badge', dataset: { status: c.status } }, c.status)),
      el('td', { class: 'num' }, fmtDuration(c.durationNs)),
      el('td', { class: 'num' }, `${fmtBytes(c.bytesIn)} / ${fmtBytes(c.bytesOut)}`),
    );
    tr.addEventListener('click', () => onToggle(c.requestId));
    rows.push(tr);
    if (expanded.has(c.requestId)) rows.push(callDetail(c));
  }
  replaceRows($('#calls tbody'), rows);
  $('#calls-empty').hidden = rows.length > 0;
  const more = shown > limit ? ` (newest ${limit} shown)` : '';
  setText('#calls-count', calls.length === 0 ? '' : `${shown} of ${calls.length} loaded call${calls.length === 1 ? '' : 's'}${more} · newest first · click a row for details`);
}

// ---- security ----

// secCategory groups an event for the filter: rug pulls are the pinning
// plugin's (a tool definition changed after it was pinned).
export function secCategory(e) {
  if (e.plugin === 'pinning') return 'rugpull';
  switch (e.type) {
    case 'blocked': return 'blocked';
    case 'masked': return 'masked';
    case 'hidden': return 'hidden';
    case 'denied': case 'refused': return 'denied';
    case 'rate_limited': case 'limited': return 'rate_limited';
    default: return 'other';
  }
}

export const SEC_FILTERS = [
  ['all', 'All'], ['blocked', 'Blocked'], ['masked', 'Masked'], ['hidden', 'Hidden'],
  ['rugpull', 'Rug pulls'], ['denied', 'Denied'], ['rate_limited', 'Rate limited'], ['other', 'Other'],
];

const TYPE_LABEL = { rugpull: 'rug pull', rate_limited: 'rate limited', limited: 'rate limited' };

export function renderSecurity(events, filter, onFilter, onRequest) {
  const counts = { all: events.length };
  for (const e of events) { const k = secCategory(e); counts[k] = (counts[k] || 0) + 1; }
  const seg = $('#security-types');
  seg.replaceChildren(...SEC_FILTERS.filter(([k]) => k === 'all' || counts[k] || k === filter).map(([k, label]) => {
    const b = el('button', { type: 'button', 'aria-pressed': String(k === filter), dataset: { filter: k } }, label, el('span', { class: 'n' }, String(counts[k] || 0)));
    b.addEventListener('click', () => onFilter(k));
    return b;
  }));

  const rows = [];
  for (const e of events) {
    const cat = secCategory(e);
    if (filter !== 'all' && cat !== filter) continue;
    if (rows.length >= 500) break;
    const badgeType = cat === 'rugpull' ? 'rugpull' : e.type;
    const rule = [e.rule, e.direction, e.count ? `×${e.count}` : ''].filter(Boolean).join(' · ');
    let req = el('td', { class: 'mono req' }, '–');
    if (e.requestId) {
      const a = el('button', { type: 'button', class: 'linkish mono', title: `Show call ${e.requestId}` }, e.requestId.length > 14 ? `${e.requestId.slice(0, 12)}…` : e.requestId);
      a.addEventListener('click', () => onRequest(e.requestId));
      req = el('td', { class: 'req' }, a);
    }
    rows.push(el('tr', { dataset: { type: e.type, category: cat, requestId: e.requestId || '', plugin: e.plugin || '' } },
      timeCell(e.time),
      el('td', {}, el('span', { class: 'badge', dataset: { type: badgeType } }, cat === 'rugpull' ? `rug pull · ${e.type}` : (TYPE_LABEL[e.type] || e.type))),
      el('td', {}, dash(e.plugin)),
      el('td', { class: 'server-name' }, dash(e.server)),
      el('td', { class: 'name' }, dash(e.name)),
      el('td', { class: 'mono' }, rule || '–'),
      el('td', { class: 'desc' }, e.reason || ''),
      el('td', {}, dash(e.principal)),
      req,
    ));
  }
  replaceRows($('#security tbody'), rows);
  $('#security-empty').hidden = rows.length > 0;
}

// ---- summary ----

export function renderSummary({ servers, catalog, calls, p95, security, securityRecent }) {
  const ready = servers.filter((s) => s.state === 'ready').length;
  const down = servers.filter((s) => s.state === 'down' || s.state === 'blocked').length;
  setText('#sum-servers', servers.length ? `${ready} / ${servers.length}` : '–');
  setText('#sum-servers-sub', down ? `${down} down or blocked` : servers.length ? 'all healthy' : '');
  const tileS = $('#tile-servers');
  tileS.classList.toggle('bad', down > 0);
  tileS.classList.toggle('good', servers.length > 0 && down === 0 && ready === servers.length);

  const hidden = catalog.filter((it) => it.hidden).length;
  const tools = catalog.filter((it) => it.kind === 'tool').length;
  setText('#sum-catalog', catalog.length ? String(catalog.length) : '–');
  setText('#sum-catalog-sub', catalog.length ? `${tools} tool${tools === 1 ? '' : 's'}${hidden ? ` · ${hidden} hidden` : ''}` : '');
  $('#tile-catalog').classList.toggle('warn', hidden > 0);

  const failed = calls.filter((c) => c.status !== 'ok').length;
  setText('#sum-calls', calls.length ? String(calls.length) : '0');
  setText('#sum-calls-sub', calls.length ? `${((failed / calls.length) * 100).toFixed(1)}% not ok` : 'none yet');

  setText('#sum-latency', Number.isFinite(p95) ? fmtDuration(p95) : '–');
  setText('#sum-latency-sub', calls.length ? 'over the calls loaded' : '');

  setText('#sum-security', String(security));
  setText('#sum-security-sub', securityRecent ? `${securityRecent} in the last hour` : security ? 'none in the last hour' : '');
  $('#tile-security').classList.toggle('warn', securityRecent > 0);
}
