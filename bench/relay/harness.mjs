// The client side of bench/relay, the same for both servers: opens N
// sockets (plain WebSocket to the relay, socket.io-client to the
// reference), sends chat messages over HTTP through Caddy like the chat
// page, and times each delivery from just before the POST to the frame's
// arrival. Then a broadcast: events PUBLISHed on Redis for every socket.
//
//   node harness.mjs CONFIG.json   → one JSON result object on stdout
//
// CONFIG (written by bench/relay/run): {mode: "relay"|"socketio", url,
// site, admin, redis, origin, n, staffSockets, serverPid, staff: {cookie,
// userId}, active: [{cookie, userId, conv}], idle: [{cookie, userId}],
// steadyRate, steadySecs, maxConcurrency, maxSecs, broadcasts}
// Sockets: staffSockets on the staff account, one per active customer
// (the senders), the rest spread over the idle customers (connected,
// addressed by nothing but the broadcasts). A message is delivered to its
// sender's socket and every staff socket.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const { createClient } = require('redis');

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(method, url, cookie, body) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const data = body ? JSON.stringify(body) : null;
    const req = http.request({
      agent, method, hostname: u.hostname, port: u.port, path: u.pathname + u.search,
      headers: {
        Cookie: 'cwc_session=' + cookie, Origin: u.origin,
        ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(Buffer.concat(chunks).toString()); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json });
      });
    });
    req.on('error', () => resolve({ status: 0, json: null }));
    if (data) req.write(data);
    req.end();
  });
}

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch { return 0; }
}

// CPU time (user + system) the server process has used, in ms.
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(f[11]) + Number(f[12])) * 1000 / (cfg.clkTck || 100);
  } catch { return 0; }
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
}

// ---- deliveries ------------------------------------------------------------

const sentAt = new Map();     // message seq → performance.now() before the POST
let latencies = [];           // ms, one per delivery of a bench message
let delivered = 0;
const bcastAt = new Map();    // broadcast k → time of the PUBLISH
let bcastLat = [];
let closedEarly = 0;

function onEvent(ev) {
  const now = performance.now();
  if (!ev) return;
  if (ev.type === 'message') {
    const c = ev.message && ev.message.content;
    if (typeof c === 'string' && c.startsWith('bench ')) {
      const t0 = sentAt.get(Number(c.slice(6)));
      if (t0 !== undefined) { latencies.push(now - t0); delivered++; }
    }
  } else if (ev.type === 'read' && ev.userId === 'bench-broadcast') {
    const t0 = bcastAt.get(ev.k);
    if (t0 !== undefined) bcastLat.push(now - t0);
  }
}

// ---- sockets ------------------------------------------------------------------

async function ticket(user, host) {
  const r = await request('GET', (host === 'admin' ? cfg.admin : cfg.site) + '/api/messages/ticket', user.cookie);
  if (r.status !== 200) throw new Error('ticket: HTTP ' + r.status);
  return r.json.ticket;
}

function openSocket(t) {
  return new Promise((resolve) => {
    if (cfg.mode === 'relay') {
      const ws = new WebSocket(cfg.url + '?ticket=' + encodeURIComponent(t),
        { headers: { Origin: cfg.origin }, perMessageDeflate: false });
      ws.on('open', () => resolve(ws));
      ws.on('error', () => resolve(null));
      ws.on('message', (data) => { let ev; try { ev = JSON.parse(data); } catch { return; } onEvent(ev); });
      ws.on('close', () => { if (!closing) closedEarly++; });
    } else {
      const s = io(cfg.url, { transports: ['websocket'], auth: { ticket: t }, reconnection: false,
        forceNew: true, timeout: 20000 });
      s.on('connect', () => resolve(s));
      s.on('connect_error', () => resolve(null));
      s.on('event', onEvent);
      s.on('disconnect', () => { if (!closing) closedEarly++; });
    }
  });
}

let closing = false;
const sockets = [];
let failed = 0;

// `count` sockets for `user`, `parallel` handshakes at a time, a fresh
// ticket (valid 60 s) for every batch.
async function openFor(user, host, count, parallel = 200) {
  for (let done = 0; done < count;) {
    const t = await ticket(user, host);
    const batch = Math.min(parallel, count - done);
    const got = await Promise.all(Array.from({ length: batch }, () => openSocket(t)));
    for (const s of got) s ? sockets.push(s) : failed++;
    done += batch;
  }
}

// ---- sending ------------------------------------------------------------------

let seq = 0;
async function sendOne() {
  const who = cfg.active[seq % cfg.active.length];
  const k = ++seq;
  sentAt.set(k, performance.now());
  const r = await request('POST', `${cfg.site}/api/conversations/${who.conv}/messages`, who.cookie,
    { content: 'bench ' + k });
  return r.status === 201;
}

function phaseResult(name, secs, ok, cpu0) {
  const sorted = latencies.slice().sort((a, b) => a - b);
  const perMsg = 1 + cfg.staffSockets;
  const cpu = cpuMs(cfg.serverPid) - cpu0;
  return {
    phase: name, seconds: secs, sent: ok.sent, accepted: ok.accepted,
    serverCpuMs: cpu, serverCpuUsPerDelivery: delivered ? cpu * 1000 / delivered : null,
    msgsPerSec: ok.accepted / secs, deliveries: delivered, expected: ok.accepted * perMsg,
    deliveriesPerSec: delivered / secs,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? null,
  };
}

function resetCounters() {
  latencies = []; delivered = 0; sentAt.clear();
}

// Open loop: `rate` messages a second for `secs`, whatever the answers.
async function steady(rate, secs) {
  resetCounters();
  const cpu0 = cpuMs(cfg.serverPid);
  const ok = { sent: 0, accepted: 0 };
  const start = performance.now();
  const pending = [];
  while (performance.now() - start < secs * 1000) {
    const due = Math.floor((performance.now() - start) / 1000 * rate);
    while (ok.sent < due) {
      ok.sent++;
      pending.push(sendOne().then((y) => { if (y) ok.accepted++; }));
    }
    await sleep(2);
  }
  await Promise.all(pending);
  await sleep(1500);
  return phaseResult(`steady ${rate}/s`, secs, ok, cpu0);
}

// Closed loop: `conc` senders, each sending as soon as its last was answered.
async function flat(conc, secs) {
  resetCounters();
  const cpu0 = cpuMs(cfg.serverPid);
  const ok = { sent: 0, accepted: 0 };
  const end = performance.now() + secs * 1000;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (performance.now() < end) {
      ok.sent++;
      if (await sendOne()) ok.accepted++;
    }
  }));
  await sleep(1500);
  return phaseResult(`max (${conc} senders)`, secs, ok, cpu0);
}

// Events PUBLISHed straight on Redis for every socket: fan-out alone.
async function broadcast(count) {
  const pub = createClient({ url: cfg.redis });
  await pub.connect();
  const everyone = [cfg.staff, ...cfg.active, ...cfg.idle].map((u) => u.userId);
  bcastLat = [];
  const lastAt = [];
  const cpu0 = cpuMs(cfg.serverPid);
  for (let k = 1; k <= count; k++) {
    const before = bcastLat.length;
    bcastAt.set(k, performance.now());
    await pub.publish('cwc:events', JSON.stringify({ type: 'read', userId: 'bench-broadcast', k,
      participants: everyone, audience: 'staff' }));
    const deadline = performance.now() + 10000;
    while (bcastLat.length - before < sockets.length && performance.now() < deadline) await sleep(1);
    lastAt.push(Math.max(...bcastLat.slice(before)));
    await sleep(200);
  }
  const cpu = cpuMs(cfg.serverPid) - cpu0;
  await pub.quit();
  const sorted = bcastLat.slice().sort((a, b) => a - b);
  lastAt.sort((a, b) => a - b);
  return {
    phase: `broadcast to all ${sockets.length}`, events: count, deliveries: bcastLat.length,
    expected: count * sockets.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99),
    serverCpuMs: cpu, serverCpuUsPerDelivery: bcastLat.length ? cpu * 1000 / bcastLat.length : null,
    lastSocketP50: percentile(lastAt, 50),
  };
}

// ---- the run --------------------------------------------------------------------

const out = { mode: cfg.mode, n: cfg.n };
const rssBefore = rssKiB(cfg.serverPid);
const t0 = performance.now();
await openFor(cfg.staff, 'admin', cfg.staffSockets);
for (const a of cfg.active) await openFor(a, 'site', 1);
const idleCount = cfg.n - cfg.staffSockets - cfg.active.length;
for (let i = 0; i < cfg.idle.length; i++) {
  const share = Math.floor(idleCount / cfg.idle.length) + (i < idleCount % cfg.idle.length ? 1 : 0);
  await openFor(cfg.idle[i], 'site', share);
}
out.connectSeconds = (performance.now() - t0) / 1000;
out.connected = sockets.length;
out.connectFailed = failed;
await sleep(1000);
out.rssBeforeKiB = rssBefore;
out.rssAfterKiB = rssKiB(cfg.serverPid);
out.rssPerSocketKiB = (out.rssAfterKiB - rssBefore) / Math.max(1, sockets.length);

await steady(20, 2);   // warm-up, not reported
out.phases = [];
out.phases.push(await steady(cfg.steadyRate, cfg.steadySecs));
out.phases.push(await flat(cfg.maxConcurrency, cfg.maxSecs));
out.phases.push(await broadcast(cfg.broadcasts));
out.closedEarly = closedEarly;
out.rssEndKiB = rssKiB(cfg.serverPid);

closing = true;
for (const s of sockets) { try { cfg.mode === 'relay' ? s.terminate() : s.disconnect(); } catch { /* gone */ } }
console.log(JSON.stringify(out));
process.exit(0);
