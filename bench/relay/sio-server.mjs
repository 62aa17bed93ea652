// The reference for bench/relay: what the original system ran, a socket.io
// server fed by a Redis channel, doing the relay's job the idiomatic
// socket.io way. Same input (the events the apps PUBLISH on cwc:events),
// same rule (a socket gets an event when its user is in `participants`,
// or when it is staff and `audience` is "staff"), implemented with rooms:
// each socket joins `u:<userId>`, staff sockets also `staff`, and an event
// goes to io.to([rooms]) without its routing fields.
//
// Authentication: the ticket of GET /api/messages/ticket in the handshake's
// `auth.ticket`, verified with JWT_SECRET (HMAC-SHA256, like ticket.c).
// Unlike the relay it trusts the ticket's role and does not read the
// store: that only makes connecting cheaper for the reference.
//
//   PORT=… REDIS_URL=redis://… JWT_SECRET=… node sio-server.mjs
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Server } = require('socket.io');
const { createClient } = require('redis');

const port = Number(process.env.PORT);
const secret = process.env.JWT_SECRET;

function verifyTicket(ticket) {
  if (typeof ticket !== 'string') return null;
  const dot = ticket.indexOf('.');
  if (dot < 0) return null;
  const p64 = ticket.slice(0, dot);
  const mac = Buffer.from(createHmac('sha256', secret).update(p64).digest('base64url'));
  const given = Buffer.from(ticket.slice(dot + 1));
  if (mac.length !== given.length || !timingSafeEqual(mac, given)) return null;
  const m = /^([0-9a-f]{24})\.(\d+)\.(\d+)\.[0-9a-f]{32}$/.exec(Buffer.from(p64, 'base64url').toString());
  if (!m || Number(m[3]) < Date.now() / 1000) return null;
  return { userId: m[1], role: Number(m[2]) };
}

const http = createServer((req, res) => { res.writeHead(404); res.end(); });
const io = new Server(http, { transports: ['websocket'], serveClient: false });

io.use((socket, next) => {
  const who = verifyTicket(socket.handshake.auth && socket.handshake.auth.ticket);
  if (!who) return next(new Error('unauthorized'));
  socket.data.who = who;
  next();
});

io.on('connection', (socket) => {
  socket.join('u:' + socket.data.who.userId);
  if (socket.data.who.role >= 2) socket.join('staff');
});

const sub = createClient({ url: process.env.REDIS_URL });
sub.on('error', () => {});
await sub.connect();
await sub.subscribe('cwc:events', (text) => {
  let ev;
  try { ev = JSON.parse(text); } catch { return; }
  if (!ev || typeof ev.type !== 'string') return;
  const rooms = (Array.isArray(ev.participants) ? ev.participants : []).map((id) => 'u:' + id);
  if (ev.audience === 'staff') rooms.push('staff');
  delete ev.participants;
  delete ev.audience;
  if (rooms.length) io.to(rooms).emit('event', ev);
});

http.listen(port, '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
