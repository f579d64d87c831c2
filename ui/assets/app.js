// The dashboard: loads the API, follows the live stream, renders the
// sections. No framework; see views.js for the rendering and api.js for
// the transport.

import { getJSON, AuthError, HTTPError, LiveStream, getToken, setToken } from './api.js';
import { $, $$, setText, debounce, quantile } from './dom.js';
import { renderServers, renderBackend, renderCatalog, renderHidden, renderCalls, renderSecurity, renderSummary } from './views.js';
import { latencyGroups, drawLatency, perMinute, drawRate } from './charts.js';

const MAX_CALLS = 1000;
const MAX_EVENTS = 1000;
const INITIAL = 200;
const TABS = ['servers', 'catalog', 'calls', 'security', 'latency'];

// A CSP violation is a bug in this page: make it loud.
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`);
});

const S = {
  tab: 'servers',
  servers: [],
  serversAt: 0,
  catalogAll: [],
  catalogShown: null, // search result: {items, total} or null for catalogAll
  catalogQ: '',
  catalogKind: '',
  hiddenOnly: false,
  calls: [],
  callKeys: new Set(),
  callsText: '',
  callsStatus: '',
  paused: false,
  pending: [],
  expanded: new Set(),
  fresh: new Map(), // requestId → time it arrived live
  security: [],
  backend: [],
  eventKeys: new Set(),
  secFilter: 'all',
  noAudit: false, // the API said the gateway keeps no audit trail
  stopped: true,
  timers: [],
};

// ---- rendering, coalesced ----

const dirty = new Set();
let renderTimer = 0;

function invalidate(...parts) {
  for (const p of parts) dirty.add(p);
  if (!renderTimer) renderTimer = setTimeout(flushRender, 16);
}

function flushRender() {
  renderTimer = 0;
  const parts = new Set(dirty);
  dirty.clear();
  try {
    if (parts.has('servers')) {
      renderServers(S.servers, S.serversAt);
      renderBackend(S.backend);
    }
    if (parts.has('catalog')) {
      const shown = S.catalogShown || { items: S.catalogAll, total: S.catalogAll.length };
      renderCatalog(shown.items, shown.total, S.hiddenOnly);
      renderHidden(S.catalogAll);
    }
    if (parts.has('calls')) {
      renderCalls(S.calls, { text: S.callsText, status: S.callsStatus, expanded: S.expanded, fresh: S.fresh, onToggle: toggleCall });
      const btn = $('#calls-pause');
      btn.setAttribute('aria-pressed', String(S.paused));
      btn.textContent = S.paused ? (S.pending.length ? `Resume (${S.pending.length} new)` : 'Resume') : 'Pause';
    }
    if (parts.has('security')) renderSecurity(S.security, S.secFilter, setSecFilter, showCall);
    if (S.noAudit) {
      setText('#calls-empty', 'The gateway keeps no audit trail, so there is no call log to show.');
      setText('#security-empty', 'The gateway keeps no audit trail, so there are no security events to show.');
      setText('#backend-empty', 'The gateway keeps no audit trail, so there is no backend activity to show.');
    }
    if ((parts.has('calls') || parts.has('latency')) && S.tab === 'latency') renderLatency();
    renderCounts();
  } catch (err) {
    console.error('render failed:', err);
  }
}

function renderLatency() {
  const groups = latencyGroups(S.calls);
  drawLatency($('#latency-chart'), groups);
  setText('#latency-sub', `p50 and p95 over the ${S.calls.length} call${S.calls.length === 1 ? '' : 's'} loaded · ${groups.length} tool${groups.length === 1 ? '' : 's'} · slowest p95 first`);
  drawRate($('#rate-chart'), perMinute(S.calls));
}

function renderCounts() {
  const durations = S.calls.map((c) => c.durationNs).filter((d) => typeof d === 'number').sort((a, b) => a - b);
  const hourAgo = Date.now() - 3600e3;
  const recent = S.security.filter((e) => Date.parse(e.time) >= hourAgo).length;
  renderSummary({ servers: S.servers, catalog: S.catalogAll, calls: S.calls, p95: quantile(durations, 0.95), security: S.security.length, securityRecent: recent });
  setText('#count-servers', S.servers.length || '');
  setText('#count-catalog', S.catalogAll.length || '');
  setText('#count-calls', S.calls.length || '');
  setText('#count-security', recent || '');
}

// ---- connection indicator and notices ----

function setConn(state, text, title) {
  const c = $('#conn');
  c.dataset.state = state;
  c.title = title || '';
  setText('#conn-text', text);
}

function onLiveState(state, detail) {
  switch (state) {
    case 'connecting': setConn('connecting', 'Connecting…'); break;
    case 'live': setConn('live', 'Live', 'Following new calls and events as they are stored'); break;
    case 'reconnecting':
      setConn('reconnecting', detail ? `Reconnecting in ${Math.max(1, Math.round(detail / 1000))} s` : 'Reconnecting…', 'The live stream was interrupted');
      break;
    case 'unavailable': setConn('unavailable', 'No live feed', detail || 'The gateway keeps no audit trail'); break;
    case 'auth': needAuth(detail); break;
    default: break;
  }
}

const notices = new Map();

function notice(key, text) {
  if (text) notices.set(key, text); else notices.delete(key);
  const n = $('#notice');
  n.hidden = notices.size === 0;
  n.textContent = [...notices.values()].join(' · ');
}

// guard runs an API load, turning failures into the sign-in form or a notice.
async function guard(key, what, fn) {
  try {
    await fn();
    notice(key, '');
  } catch (err) {
    if (err instanceof AuthError) { needAuth(err.message); return; }
    if (err?.name === 'AbortError') return;
    if (err instanceof HTTPError && err.status === 503) {
      // No audit trail: one notice for the calls, the events and the live view.
      const m = err.message.charAt(0).toUpperCase() + err.message.slice(1);
      notice('audit', `${m}: the call log, security events and live updates are off.`);
      if (!S.noAudit) { S.noAudit = true; invalidate('calls', 'security', 'servers'); }
      return;
    }
    notice(key, `Could not load ${what}: ${err?.message || err}`);
  }
}

// ---- data ----

function callKey(c) { return c.requestId || `id:${c.id}`; }

function eventKey(e) {
  return [Date.parse(e.time), e.kind, e.type, e.plugin, e.server, e.name, e.rule, e.direction, e.requestId, e.reason].join('\u0000');
}

const byTimeDesc = (a, b) => Date.parse(b.time) - Date.parse(a.time) || (b.id || 0) - (a.id || 0);

function addCalls(list, live) {
  let added = 0;
  for (const c of list) {
    const k = callKey(c);
    if (S.callKeys.has(k)) continue;
    S.callKeys.add(k);
    S.calls.push(c);
    if (live) S.fresh.set(c.requestId, Date.now());
    added++;
  }
  if (!added) return;
  S.calls.sort(byTimeDesc);
  if (S.calls.length > MAX_CALLS) {
    for (const c of S.calls.splice(MAX_CALLS)) S.callKeys.delete(callKey(c));
  }
  invalidate('calls', 'latency');
}

function addEvents(list) {
  let sec = false, back = false;
  for (const e of list) {
    const k = eventKey(e);
    if (S.eventKeys.has(k)) continue;
    S.eventKeys.add(k);
    if (e.kind === 'backend') { S.backend.push(e); back = true; } else { S.security.push(e); sec = true; }
  }
  const trim = (arr) => {
    arr.sort(byTimeDesc);
    for (const e of arr.splice(MAX_EVENTS)) S.eventKeys.delete(eventKey(e));
  };
  if (sec) { trim(S.security); invalidate('security'); }
  if (back) { trim(S.backend); invalidate('servers'); }
}

async function loadServers() {
  await guard('servers', 'the servers', async () => {
    const r = await getJSON('api/servers');
    S.servers = r.servers || [];
    S.serversAt = Date.now();
    if (r.version) setText('#version', r.version);
    invalidate('servers');
  });
}

async function loadCatalogAll() {
  await guard('catalog', 'the catalog', async () => {
    const r = await getJSON('api/catalog');
    S.catalogAll = r.items || [];
    invalidate('catalog');
  });
}

let searchCtrl = null;
let searchSeq = 0;

async function searchCatalog() {
  searchCtrl?.abort();
  if (!S.catalogQ && !S.catalogKind) {
    S.catalogShown = null;
    invalidate('catalog');
    return;
  }
  const ctrl = new AbortController();
  searchCtrl = ctrl;
  const seq = ++searchSeq;
  await guard('search', 'the search results', async () => {
    const r = await getJSON('api/catalog', { q: S.catalogQ, kind: S.catalogKind }, ctrl.signal);
    if (seq !== searchSeq) return; // a newer search is on its way
    S.catalogShown = { items: r.items || [], total: r.total ?? 0 };
    invalidate('catalog');
  });
}

async function loadCalls() {
  await guard('calls', 'the calls', async () => {
    const r = await getJSON('api/calls', { limit: INITIAL });
    addCalls(r.calls || [], false);
    invalidate('calls');
  });
}

async function loadEvents() {
  await guard('events', 'the events', async () => {
    const [sec, back] = await Promise.all([
      getJSON('api/events', { kind: 'security', limit: INITIAL }),
      getJSON('api/events', { kind: 'backend', limit: 50 }),
    ]);
    addEvents([...(sec.events || []), ...(back.events || [])]);
    invalidate('security', 'servers');
  });
}

// ---- live ----

const live = new LiveStream({
  onState: onLiveState,
  onOpen: (reconnected) => {
    // Fill what happened while the stream was down.
    if (reconnected) { loadCalls(); loadEvents(); }
  },
  onCall: (c) => {
    if (S.paused) {
      S.pending.push(c);
      if (S.pending.length > MAX_CALLS) S.pending.shift();
      invalidate('calls');
      return;
    }
    addCalls([c], true);
  },
  onEvent: (e) => addEvents([e]),
  onMissed: () => { loadCalls(); loadEvents(); },
});

// ---- interactions ----

function toggleCall(id) {
  if (S.expanded.has(id)) S.expanded.delete(id); else S.expanded.add(id);
  invalidate('calls');
}

function setSecFilter(f) {
  S.secFilter = f;
  invalidate('security');
}

function showCall(requestId) {
  S.callsText = requestId;
  S.callsStatus = '';
  $('#calls-filter').value = requestId;
  $('#calls-status').value = '';
  S.expanded.add(requestId);
  selectTab('calls');
  invalidate('calls');
}

function selectTab(tab, focus) {
  if (!TABS.includes(tab)) tab = 'servers';
  S.tab = tab;
  for (const b of $$('.tabs [role="tab"]')) {
    const on = b.dataset.tab === tab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  for (const v of $$('main .view')) v.hidden = v.dataset.view !== tab;
  if (location.hash !== `#tab=${tab}`) history.replaceState(null, '', `#tab=${tab}`);
  if (tab === 'latency') invalidate('latency');
  if (tab === 'catalog') $('#catalog-search').focus({ preventScroll: true });
}

function wire() {
  for (const b of $$('.tabs [role="tab"]')) {
    b.addEventListener('click', () => selectTab(b.dataset.tab));
    b.addEventListener('keydown', (e) => {
      const i = TABS.indexOf(S.tab);
      if (e.key === 'ArrowRight') { e.preventDefault(); selectTab(TABS[(i + 1) % TABS.length], true); }
      if (e.key === 'ArrowLeft') { e.preventDefault(); selectTab(TABS[(i + TABS.length - 1) % TABS.length], true); }
    });
  }
  window.addEventListener('hashchange', () => selectTab(tabFromHash()));
  window.addEventListener('resize', debounce(() => { if (S.tab === 'latency') invalidate('latency'); }, 150));

  const search = debounce(() => searchCatalog(), 200);
  $('#catalog-search').addEventListener('input', (e) => { S.catalogQ = e.target.value.trim(); search(); });
  for (const b of $$('#catalog-kinds button')) {
    b.addEventListener('click', () => {
      S.catalogKind = b.dataset.kind;
      for (const o of $$('#catalog-kinds button')) o.setAttribute('aria-pressed', String(o === b));
      searchCatalog();
    });
  }
  $('#catalog-hidden-only').addEventListener('change', (e) => { S.hiddenOnly = e.target.checked; invalidate('catalog'); });

  const filterCalls = debounce(() => invalidate('calls'), 120);
  $('#calls-filter').addEventListener('input', (e) => { S.callsText = e.target.value.trim(); filterCalls(); });
  $('#calls-status').addEventListener('change', (e) => { S.callsStatus = e.target.value; invalidate('calls'); });
  $('#calls-pause').addEventListener('click', () => {
    S.paused = !S.paused;
    if (!S.paused && S.pending.length) { const p = S.pending; S.pending = []; addCalls(p, true); }
    invalidate('calls');
  });

  $('#auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('#token').value.trim();
    if (!t) return;
    setToken(t);
    $('#token').value = '';
    boot();
  });
  $('#signout').addEventListener('click', () => {
    setToken('');
    needAuth('');
  });
}

function tabFromHash() {
  const m = /^#tab=(\w+)$/.exec(location.hash);
  return m ? m[1] : 'servers';
}

// ---- lifecycle ----

function stopAll() {
  S.stopped = true;
  live.stop();
  for (const t of S.timers) clearInterval(t);
  S.timers = [];
}

function needAuth(message) {
  if (!$('#auth').hidden) {
    if (message && getToken()) setText('#auth-error', `The token was not accepted: ${message}`);
    return;
  }
  stopAll();
  const had = getToken();
  setToken('');
  setConn('auth', 'Sign-in required');
  setText('#auth-error', had && message ? `The token was not accepted: ${message}` : '');
  $('#signout').hidden = true;
  $('#auth').hidden = false;
  $('#token').focus();
}

async function boot() {
  stopAll();
  $('#auth').hidden = true;
  $('#signout').hidden = !getToken();
  S.stopped = false;
  invalidate('servers', 'catalog', 'calls', 'security', 'latency');
  // Look at the API once before following it, so that a 401 shows the
  // sign-in form without a burst of failing requests.
  await loadServers();
  if (S.stopped) return;
  live.start();
  await Promise.all([loadCatalogAll(), loadCalls(), loadEvents()]);
  if (S.stopped) return;
  if (S.catalogQ || S.catalogKind) searchCatalog();
  S.timers.push(setInterval(() => { if (!document.hidden) loadServers(); }, 5000));
  S.timers.push(setInterval(() => { if (!document.hidden) loadCatalogAll(); }, 30000));
  S.timers.push(setInterval(() => {
    // Fade the "fresh" highlight and keep relative times current.
    const old = Date.now() - 3000;
    let changed = false;
    for (const [k, t] of S.fresh) if (t < old) { S.fresh.delete(k); changed = true; }
    if (changed) invalidate('calls');
    invalidate('servers');
    if (S.tab === 'latency') invalidate('latency');
  }, 5000));
}

wire();
selectTab(tabFromHash());
boot();
