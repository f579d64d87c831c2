// The dashboard API client: JSON requests and the live stream, both with
// the token (if any) as "Authorization: Bearer". The live stream is read
// with fetch() and parsed here, because EventSource cannot send headers.

const TOKEN_KEY = 'mcpgw.ui.token';

export class AuthError extends Error {
  constructor(message) { super(message || 'authorization required'); this.name = 'AuthError'; }
}

export class HTTPError extends Error {
  constructor(status, message) { super(message || `HTTP ${status}`); this.name = 'HTTPError'; this.status = status; }
}

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lives as long as the page */ }
  memoryToken = token || '';
}

let memoryToken = '';

function headers(accept) {
  const h = { Accept: accept };
  const t = getToken() || memoryToken;
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

// apiURL resolves an API path against the page, so that the dashboard
// works under whatever prefix it is mounted at.
function apiURL(path, params) {
  const u = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u;
}

async function errorText(res) {
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') return body.error;
  } catch { /* not JSON */ }
  return `HTTP ${res.status}`;
}

// getJSON fetches an API route; it throws AuthError on 401 and HTTPError
// on any other failure.
export async function getJSON(path, params, signal) {
  const res = await fetch(apiURL(path, params), { headers: headers('application/json'), cache: 'no-store', credentials: 'same-origin', signal });
  if (res.status === 401) throw new AuthError(await errorText(res));
  if (!res.ok) throw new HTTPError(res.status, await errorText(res));
  return res.json();
}

// SSEParser turns text chunks of an event stream into events, as the
// HTML standard's event stream interpretation does (event and data fields,
// comments, CRLF/LF/CR line ends; id and retry are ignored).
export class SSEParser {
  constructor(onEvent, onComment) {
    this.onEvent = onEvent;
    this.onComment = onComment || (() => {});
    this.buf = '';
    this.event = '';
    this.data = [];
    this.first = true;
  }

  push(chunk) {
    this.buf += chunk;
    if (this.first && this.buf.length > 0) {
      if (this.buf.charCodeAt(0) === 0xfeff) this.buf = this.buf.slice(1);
      this.first = false;
    }
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) return;
      // A CR at the very end may be the first half of a CRLF.
      if (m[0] === '\r' && m.index === this.buf.length - 1) return;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  line(l) {
    if (l === '') {
      if (this.data.length > 0) this.onEvent({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (l[0] === ':') { this.onComment(l.slice(1).trim()); return; }
    const c = l.indexOf(':');
    const field = c < 0 ? l : l.slice(0, c);
    let value = c < 0 ? '' : l.slice(c + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

// LiveStream follows api/live and reconnects with exponential backoff
// (1 s doubling to 30 s, with jitter). Callbacks:
//   onState(state, detail): connecting | live | reconnecting (detail: ms) |
//                           unavailable (detail: message) | auth (detail: message)
//   onOpen(reconnected): each time the stream is up (after its hello)
//   onCall(record), onEvent(event), onMissed(n)
export class LiveStream {
  constructor(handlers) {
    this.h = handlers;
    this.stopped = true;
    this.gen = 0; // each start runs one loop; a stopped loop sees a newer gen and quits
    this.ctrl = null;
    this.stallMs = 45000; // three keep-alives missed: the connection is dead
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.run(++this.gen);
  }

  stop() {
    this.stopped = true;
    this.gen++;
    this.ctrl?.abort();
  }

  async run(gen) {
    const done = () => this.stopped || this.gen !== gen;
    let attempt = 0;
    let opened = false;
    while (!done()) {
      const ctrl = new AbortController();
      this.ctrl = ctrl;
      let openedAt = 0;
      try {
        this.h.onState?.(attempt === 0 ? 'connecting' : 'reconnecting', 0);
        const res = await fetch(apiURL('api/live'), { headers: headers('text/event-stream'), cache: 'no-store', credentials: 'same-origin', signal: ctrl.signal });
        if (res.status === 401) {
          const msg = await errorText(res);
          if (done()) return;
          this.stopped = true;
          this.h.onState?.('auth', msg);
          return;
        }
        if (res.status === 503) {
          const msg = await errorText(res);
          if (done()) return;
          this.h.onState?.('unavailable', msg);
          await sleep(60000, ctrl.signal);
          continue;
        }
        if (!res.ok || !res.body) throw new HTTPError(res.status, await errorText(res));
        await this.read(res.body, ctrl, done, () => {
          if (done()) { ctrl.abort(); return; }
          openedAt = Date.now();
          this.h.onState?.('live');
          this.h.onOpen?.(opened);
          opened = true;
        });
      } catch (err) {
        if (done()) return;
        if (err?.name !== 'AbortError') console.warn('live stream:', err?.message || err);
      }
      if (done()) return;
      // A stream that stayed up a while resets the backoff; one that ends
      // at once (a stopping gateway) does not.
      if (openedAt && Date.now() - openedAt > 5000) attempt = 0;
      attempt++;
      const wait = Math.min(30000, 1000 * 2 ** Math.min(attempt - 1, 5)) * (0.8 + Math.random() * 0.4);
      this.h.onState?.('reconnecting', wait);
      await sleep(wait, ctrl.signal);
    }
  }

  async read(body, ctrl, done, onOpen) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let stall = 0;
    const arm = () => {
      clearTimeout(stall);
      stall = setTimeout(() => ctrl.abort(), this.stallMs);
    };
    const parser = new SSEParser((ev) => {
      if (done()) return;
      let data;
      try { data = JSON.parse(ev.data); } catch { return; }
      switch (ev.event) {
        case 'hello': onOpen(data); break;
        case 'call': this.h.onCall?.(data); break;
        case 'event': this.h.onEvent?.(data); break;
        case 'missed': this.h.onMissed?.(data.missed); break;
        default: break;
      }
    });
    arm();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        arm();
        parser.push(value);
      }
    } finally {
      clearTimeout(stall);
    }
  }
}
