// bench/load/load.mjs — the full-café mix, one Node process (bench/load/run
// starts it; `node load.mjs CONFIG.json` writes the result as JSON on
// stdout). No npm package: node:http with kept-alive connections and a
// minimal WebSocket client (handshake, unmasked frames in, pings answered).
//
// `connections` loops, each sending one request at a time until the end:
// every request is of a kind drawn by weight —
//   page 70 (a page of the site, cfg.pages), availability 10 (half GET
//   /api/availability, half POST /api/calculate-price), login 5, booking 5
//   (open-space, a signed-in client, a day of cfg.days and an hour in its
//   opening hours), chat 5 (POST a message in the client's conversation),
//   admin 5 (a back-office page, signed in as staff);
// and `sockets` WebSocket clients (tickets of cfg.clients) are connected
// to cfg.ws during the run and count the frames they get. A request is an
// error when its status is not the kind's (booking: 201, or 409 when the
// slot is full — a correct answer); `ceiling` mode sends the same mix to a
// Caddy `respond` site, where every answer is 200.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ceiling = cfg.mode === 'ceiling';
const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.connections * 2 });

const weights = cfg.weights || [['page', 70], ['availability', 10], ['login', 5], ['booking', 5], ['chat', 5], ['admin', 5]];
const totalWeight = weights.reduce((a, [, w]) => a + w, 0);
const kinds = {};
for (const k of ['page', 'availability', 'login', 'booking', 'chat', 'admin']) kinds[k] = { n: 0, errors: 0, lat: [], statuses: {} };
const firstErrors = [];

function pick(list) { return list[Math.floor(Math.random() * list.length)]; }
function drawKind() {
  let x = Math.random() * totalWeight;
  for (const [k, w] of weights) { if ((x -= w) < 0) return k; }
  return 'page';
}

function request(method, url, cookie, body) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const headers = {};
    if (cookie) headers.Cookie = cookie;
    let data;
    if (body !== undefined) {
      data = Buffer.from(JSON.stringify(body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length;
      headers.Origin = u.origin;
    }
    const req = http.request({ method, host: u.hostname, port: u.port, path: u.pathname + u.search,
      headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve({ status: 0, body: String(e) }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}

let seq = 0;
const sentAt = new Map();
const delivery = [];

// The request of one kind: [method, url, cookie, body, accepted statuses].
function build(kind) {
  if (ceiling) return ['GET', cfg.site + '/' + kind, null, undefined, [200]];
  const c = pick(cfg.clients);
  switch (kind) {
    case 'page':
      return ['GET', cfg.site + pick(cfg.pages), null, undefined, [200]];
    case 'availability': {
      const d = pick(cfg.days);
      if (Math.random() < 0.5)
        return ['GET', `${cfg.site}/api/availability?spaceType=${pick(['open-space', 'salle-verriere', 'salle-etage'])}&date=${d.date}`,
          null, undefined, [200]];
      return ['POST', cfg.site + '/api/calculate-price', null, { spaceType: 'open-space', reservationType: 'hourly',
        date: d.date, startTime: d.start, endTime: d.mid, numberOfPeople: 1 + Math.floor(Math.random() * 3) }, [200]];
    }
    case 'login': {
      const u = pick(cfg.clients);
      return ['POST', cfg.site + '/api/auth/login', null, { email: u.email, password: u.password }, [200]];
    }
    case 'booking': {
      const d = pick(cfg.days);
      return ['POST', cfg.site + '/api/bookings', c.cookie, { spaceType: 'open-space', reservationType: 'hourly',
        date: d.date, startTime: d.start, endTime: d.mid, numberOfPeople: 1, contactName: c.name,
        contactEmail: c.email, contactPhone: '+33 6 12 34 56 78' }, [201, 409]];
    }
    case 'chat': {
      const k = ++seq;
      sentAt.set(k, performance.now());
      return ['POST', `${cfg.site}/api/conversations/${c.conv}/messages`, c.cookie,
        { content: `charge m${k}x` }, [201]];
    }
    default:
      return ['GET', cfg.admin + pick(cfg.adminPages), cfg.staff.cookie, undefined, [200]];
  }
}

// ---- WebSocket clients ------------------------------------------------------
const ws = { open: 0, failed: 0, frames: 0, closedEarly: 0 };
const sockets = [];
let closing = false;

function frame(op, payload) {
  const mask = crypto.randomBytes(4);
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x80 | op;
  out[1] = 0x80 | payload.length;   // control frames only: < 126 bytes
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3];
  return out;
}

function onFrame(text) {
  ws.frames++;
  const m = /charge m(\d+)x/.exec(text);
  if (m && sentAt.has(+m[1])) {
    delivery.push(performance.now() - sentAt.get(+m[1]));
    sentAt.delete(+m[1]);
  }
}

function connect(url, origin) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const sock = net.connect(+u.port, u.hostname);
    let buf = Buffer.alloc(0);
    let open = false;
    sock.setNoDelay(true);
    sock.on('connect', () => sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `Origin: ${origin}\r\n\r\n`));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!open) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        if (!/^HTTP\/1\.1 101/.test(buf.subarray(0, i).toString())) { sock.destroy(); resolve(null); return; }
        open = true;
        buf = buf.subarray(i + 4);
        resolve(sock);
      }
      while (buf.length >= 2) {
        const op = buf[0] & 0x0f;
        let len = buf[1] & 0x7f, off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (op === 0x9) sock.write(frame(0xA, payload));
        else if (op === 0x8) sock.end();
        else if (op === 0x1 || op === 0x2 || op === 0x0) onFrame(payload.toString());
      }
    });
    sock.on('error', () => { if (!open) resolve(null); });
    sock.on('close', () => { if (open && !closing) ws.closedEarly++; });
  });
}

async function openSockets() {
  const per = Math.ceil(cfg.sockets / cfg.clients.length);
  for (let i = 0; i < cfg.clients.length && sockets.length + ws.failed < cfg.sockets; i++) {
    const c = cfg.clients[i];
    const r = await request('GET', cfg.site + '/api/messages/ticket', c.cookie);
    let ticket = null;
    try { ticket = JSON.parse(r.body).ticket; } catch { /* counted below */ }
    const n = Math.min(per, cfg.sockets - sockets.length - ws.failed);
    if (!ticket) { ws.failed += n; continue; }
    const got = await Promise.all(Array.from({ length: n },
      () => connect(cfg.ws + '?ticket=' + encodeURIComponent(ticket), cfg.site)));
    for (const s of got) s ? sockets.push(s) : ws.failed++;
  }
  ws.open = sockets.length;
}

// ---- the run ------------------------------------------------------------------
async function loop(deadline) {
  while (performance.now() < deadline) {
    const kind = drawKind();
    const [method, url, cookie, body, ok] = build(kind);
    const t0 = performance.now();
    const r = await request(method, url, cookie, body);
    const ms = performance.now() - t0;
    const k = kinds[kind];
    k.n++;
    k.lat.push(ms);
    k.statuses[r.status] = (k.statuses[r.status] || 0) + 1;
    if (!ok.includes(r.status)) {
      k.errors++;
      if (firstErrors.length < 10) firstErrors.push({ kind, url, status: r.status, body: r.body.slice(0, 200) });
    }
  }
}

function pct(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

if (!ceiling && cfg.sockets > 0) await openSockets();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const deadline = t0 + cfg.seconds * 1000;
await Promise.all(Array.from({ length: cfg.connections }, () => loop(deadline)));
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await new Promise((r) => setTimeout(r, 500));   // the last deliveries
closing = true;
for (const s of sockets) s.destroy();
agent.destroy();

const out = { seconds: secs, cpu: (cpu.user + cpu.system) / 1e6, total: 0, errors: 0, kinds: {}, firstErrors, ws, delivery: {} };
for (const [k, v] of Object.entries(kinds)) {
  if (!v.n) continue;
  const s = v.lat.sort((a, b) => a - b);
  out.kinds[k] = { n: v.n, errors: v.errors, statuses: v.statuses, rps: v.n / secs,
    p50: pct(s, 0.5), p95: pct(s, 0.95), p99: pct(s, 0.99) };
  out.total += v.n;
  out.errors += v.errors;
}
out.rps = out.total / secs;
const d = delivery.sort((a, b) => a - b);
out.delivery = { n: d.length, p50: pct(d, 0.5), p95: pct(d, 0.95), p99: pct(d, 0.99) };
process.stdout.write(JSON.stringify(out) + '\n');
