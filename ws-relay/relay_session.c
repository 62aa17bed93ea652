/*
 * relay_session.c — the lws protocol: one struct session per connection.
 *
 * Incoming: a WebSocket message may come in several frames and several
 * chunks; the pieces are gathered (up to RELAY_MAX_FRAME, checked before
 * anything is copied) and a complete text message, once past the rate
 * limit, goes to frame_handle(). Binary messages are refused with 1003,
 * oversized ones with 1009, invalid UTF-8 by lws itself with 1007.
 *
 * An unmasked frame (relay_mask.h, which libwebsockets 4.1 lets through)
 * closes the socket with 1002, checked when a frame or pong comes in and
 * by the sweep (an unmasked ping reaches no callback of ours).
 *
 * Outgoing: session_send() writes a frame at once when nothing waits before
 * it (session_write_now), otherwise queues it (shared messages, bounded);
 * each WRITEABLE writes what is queued until the kernel's buffer is full.
 * Closing is asynchronous (session_close): what is queued goes out, then
 * our close frame (session_send_close), then we wait for the client's; a
 * deadline kills a socket that never becomes writable again (a client
 * that stopped reading) or never answers.
 *
 * Idle sockets and closing ones: session_sweep(), every RELAY_SWEEP_MS,
 * pings a socket silent for relay.ping_ms, drops one silent for
 * relay.idle_ms (no pong: the peer is gone), and one still there
 * RELAY_CLOSE_GRACE_MS after we decided to close it. (Not lws' validity
 * timers nor lws_set_timeout(): see main.c for why.)
 */
#include "account/role.h"
#include "relay_session.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "relay_auth.h"
#include "relay_frame.h"
#include "relay_users.h"

/* lws' own write type for a close frame (private in lws 4.1, where
 * lws_close_reason() uses it; lws-write.h leaves the gap for it). */
#define SESSION_WRITE_CLOSE ((enum lws_write_protocol)4)

/* True when a WebSocket upgrade may proceed: the path is /ws, the
 * request authenticated (relay_auth.h), which fills in who the socket
 * belongs to, and that user has fewer than relay.max_user_sockets open
 * here. Otherwise the refusal is written (an HTTP status, not a silently
 * closed connection, which a proxy would count as a failed upstream).
 * Every upgrade gets an access-log line. */
static bool session_accept(struct session *s, struct lws *wsi)
{
	struct relay_refusal why = { 503, "unavailable", "The relay is stopping." };
	struct relay_identity who;
	struct relay_user *u;
	uint64_t started = uv_hrtime();
	char uri[128] = "";
	bool ok = false;

	if (relay.shutting_down)
		goto done;
	if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(uri, "/ws") != 0) {
		why = (struct relay_refusal){ 404, "not_found",
					      "WebSocket upgrades are on /ws only." };
		goto done;
	}
	if (!relay_auth_upgrade(wsi, &who, &why))
		goto done;
	u = relay_users_find(who.user_id);
	if (u && u->sessions.count >= relay.max_user_sockets) {
		log_info("refused a WebSocket upgrade: user %s already has %u "
			 "sockets open here", who.user_id, u->sessions.count);
		why = (struct relay_refusal){ 429, "too_many_sockets",
			"Too many connections open for this account: close some tabs." };
		goto done;
	}
	memcpy(s->user_id, who.user_id, sizeof s->user_id);
	memcpy(s->session_token, who.session_token, sizeof s->session_token);
	bson_oid_copy(&who.user_oid, &s->user_oid);
	s->role_level = who.role;
	s->role = who.role >= ROLE_STAFF ? SESSION_ROLE_STAFF : SESSION_ROLE_CLIENT;
	memcpy(s->name, who.name, sizeof s->name);
	ok = true;
done:
	if (!ok)
		relay_http_refuse(wsi, why.status, why.code, why.message);
	log_access("GET", uri[0] ? uri : "/ws", ok ? 101 : why.status,
		   (double)(uv_hrtime() - started) / 1e6);
	return ok;
}

/* Something came from the client: it is there. */
static void session_alive(struct session *s)
{
	s->alive_at = uv_now(relay.loop);
	s->pinged_at = 0;
}

static void session_open(struct session *s, struct lws *wsi)
{
	int one = 1;

	/* frames are small and each should leave at once: no Nagle delay
	 * behind an unacknowledged one (the client may delay its ACK 40 ms) */
	if (setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one,
		       sizeof one) != 0)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	s->wsi = wsi;
	s->id = ++relay.next_session_id;
	s->fd = lws_get_socket_fd(wsi);
	relay_mask_watch(s->fd, &s->mask);
	lws_get_peer_simple(wsi, s->peer, sizeof s->peer);
	s->tokens = RELAY_RATE_BURST;
	s->tokens_at = uv_now(relay.loop);
	s->alive_at = s->tokens_at;
	lws_dll2_add_tail(&s->list, &relay.sessions);
	relay_users_add(s);
	log_debug("socket %lu open from %s for user %s (%u open)", s->id,
		  s->peer, s->user_id, relay.sessions.count);
}

/*
 * Sends the close frame ourselves: lws 4.1 sends none for a socket closed
 * from WRITEABLE or by a timeout, and when it does send one it closes the
 * TCP connection at once, so a client still sending gets a reset that can
 * destroy the frame. Here the socket stays open, reading and ignoring,
 * until the client answers with its own close (then lws just closes, see
 * LWS_CALLBACK_WS_PEER_INITIATED_CLOSE) or the close timeout ends it.
 */
static int session_send_close(struct session *s)
{
	unsigned char frame[LWS_PRE + 2 + 123];
	size_t reason_len = strlen(s->close_reason);

	if (reason_len > 123)
		reason_len = 123;
	frame[LWS_PRE] = (unsigned char)(s->close_code >> 8);
	frame[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
	memcpy(frame + LWS_PRE + 2, s->close_reason, reason_len);
	s->close_sent = true;
	if (lws_write(s->wsi, frame + LWS_PRE, 2 + reason_len,
		      SESSION_WRITE_CLOSE) < 0)
		return -1;
	return 0;
}

/* Frees what the socket owns; safe to call twice. */
static void session_release(struct session *s)
{
	if (!s || !s->wsi)
		return;
	lws_dll2_remove(&s->list);
	relay_mask_forget(s->fd);
	relay_users_remove(s);
	outq_clear(&s->out);
	free(s->rx);
	s->rx = NULL;
	s->rx_len = 0;
	log_debug("socket %lu closed (%u open)", s->id, relay.sessions.count);
	s->wsi = NULL;
}

/* RFC 6455 §5.1: a client that sent an unmasked frame (relay_mask.h) is
 * closed with 1002 before anything more of it is served. True then. */
static bool session_unmasked(struct session *s)
{
	if (!s->mask.unmasked)
		return false;
	if (!s->close_code) {
		log_info("socket %lu (%s): unmasked frame, closing", s->id, s->peer);
		session_close(s, RELAY_CLOSE_PROTOCOL, "unmasked frame");
	}
	return true;
}

/* Token bucket: RELAY_RATE_PER_SEC frames a second, bursts of
 * RELAY_RATE_BURST. False when this frame is over the limit. */
static bool session_rate_allow(struct session *s)
{
	uint64_t now = uv_now(relay.loop);

	s->tokens += (double)(now - s->tokens_at) * RELAY_RATE_PER_SEC / 1000.0;
	s->tokens_at = now;
	if (s->tokens >= RELAY_RATE_BURST) {
		s->tokens = RELAY_RATE_BURST;
		s->dropped = 0;
	}
	if (s->tokens < 1.0) {
		s->dropped++;
		return false;
	}
	s->tokens -= 1.0;
	return true;
}

/* One complete text message. */
static int session_message(struct session *s, const char *text, size_t len)
{
	if (session_rate_allow(s))
		return frame_handle(s, text, len);
	if (s->dropped == 1)
		frame_send_error(s, "rate_limited",
				 "too many frames: slow down or be disconnected");
	if (s->dropped < RELAY_RATE_MAX_DROPPED)
		return 0;
	log_warn("socket %lu (%s): over the frame rate limit, closing",
		 s->id, s->peer);
	session_close(s, RELAY_CLOSE_POLICY, "rate limit exceeded");
	return 0;
}

static int session_receive(struct session *s, const char *in, size_t len)
{
	size_t remaining = lws_remaining_packet_payload(s->wsi);
	bool final = lws_is_final_fragment(s->wsi);
	char *grown;
	int rc;

	if (s->close_code || session_unmasked(s))
		return 0;  /* closing: what the client still says is ignored */
	if (lws_frame_is_binary(s->wsi)) {
		log_info("socket %lu (%s): binary frame, closing", s->id, s->peer);
		session_close(s, RELAY_CLOSE_UNSUPPORTED,
			      "binary frames are not accepted");
		return 0;
	}
	if (s->rx_len + len + remaining > RELAY_MAX_FRAME) {
		log_info("socket %lu (%s): message over %d bytes, closing",
			 s->id, s->peer, RELAY_MAX_FRAME);
		session_close(s, RELAY_CLOSE_TOO_BIG, "message over 16 KiB");
		return 0;
	}
	if (final && !s->rx_len)
		return session_message(s, in, len);  /* the usual case: no copy */

	grown = realloc(s->rx, s->rx_len + len);
	if (!grown) {
		session_close(s, RELAY_CLOSE_TRY_AGAIN, "out of memory");
		return 0;
	}
	s->rx = grown;
	memcpy(s->rx + s->rx_len, in, len);
	s->rx_len += len;
	if (!final)
		return 0;
	rc = session_message(s, s->rx, s->rx_len);
	free(s->rx);
	s->rx = NULL;
	s->rx_len = 0;
	return rc;
}

/* A WebSocket ping (lws writes the header in the headroom). Not empty:
 * lws 4.1 does not report an empty pong (LWS_CALLBACK_RECEIVE_PONG). */
static int session_write_ping(struct session *s)
{
	unsigned char frame[LWS_PRE + 1];

	frame[LWS_PRE] = 'p';
	return lws_write(s->wsi, frame + LWS_PRE, 1, LWS_WRITE_PING);
}

static int session_write(struct session *s)
{
	struct outq_msg *m;

	if (s->write_failed)
		return -1;
	if (s->ping_due) {
		if (session_write_ping(s) < 0)
			return -1;
		s->ping_due = false;
		if (lws_partial_buffered(s->wsi)) {
			lws_callback_on_writable(s->wsi);
			return 0;
		}
	}
	while ((m = outq_peek(&s->out))) {
		if (lws_write(s->wsi, OUTQ_PAYLOAD(m), m->len, LWS_WRITE_TEXT) <
		    (int)m->len)
			return -1;
		outq_pop(&s->out);
		if (lws_partial_buffered(s->wsi))
			break;   /* the kernel is full: wait for the next WRITEABLE */
	}
	if (s->out.count || (s->close_code && !s->close_sent)) {
		if (!s->out.count && !lws_partial_buffered(s->wsi))
			return session_send_close(s);
		lws_callback_on_writable(s->wsi);
	}
	return 0;
}

/*
 * The fast path of session_send(): nothing queued before `m` and nothing
 * of an earlier write left in lws' own buffer, so the frame is written at
 * once, without asking for a WRITEABLE callback. That request costs two
 * epoll_ctl() calls per socket on the libuv loop (arm, then disarm), which
 * was a third of the relay's CPU time when one event goes to thousands of
 * sockets (bench/relay). lws allows it on a plain-TCP HTTP/1 WebSocket:
 * a short write keeps the rest in the wsi's buffer and asks for WRITEABLE
 * itself, and lws_partial_buffered() then sends later frames through the
 * queue, so frames never interleave. A failed write cannot close the
 * socket from here: the next WRITEABLE does (write_failed).
 */
static bool session_write_now(struct session *s, struct outq_msg *m)
{
	if (s->out.count || lws_partial_buffered(s->wsi))
		return false;
	if (lws_write(s->wsi, OUTQ_PAYLOAD(m), m->len, LWS_WRITE_TEXT) <
	    (int)m->len) {
		s->write_failed = true;
		lws_callback_on_writable(s->wsi);
	}
	return true;
}

bool session_send(struct session *s, struct outq_msg *m)
{
	if (!s->wsi || s->close_code || s->write_failed || s->killed)
		return false;
	if (session_write_now(s, m))
		return true;
	if (!outq_push(&s->out, m)) {
		log_warn("socket %lu (%s): outgoing queue full (%u frames, %zu bytes),"
			 " closing a client too slow to read", s->id, s->peer,
			 s->out.count, s->out.bytes);
		outq_clear(&s->out);
		session_close(s, RELAY_CLOSE_TRY_AGAIN, "too slow: queue full");
		return false;
	}
	lws_callback_on_writable(s->wsi);
	return true;
}

/* A WebSocket ping now when nothing waits, else before the next frame. */
static void session_ping(struct session *s)
{
	s->pinged_at = uv_now(relay.loop);
	if (!s->out.count && !lws_partial_buffered(s->wsi)) {
		if (session_write_ping(s) < 0)
			s->write_failed = true;
		else
			return;
	}
	s->ping_due = !s->write_failed;
	lws_callback_on_writable(s->wsi);
}

/*
 * Hangs up now, without a close frame: the peer is gone or will not
 * cooperate. shutdown() makes the socket readable at EOF, so lws closes
 * it on the loop's next turn even if it can never be written again (lws'
 * own LWS_TO_KILL_ASYNC waits for lws' next timer run, seconds later on a
 * foreign loop); SO_LINGER 0 makes that close a reset, so nothing unsent
 * lingers in the kernel for a peer that is not reading.
 */
static void session_kill(struct session *s, const char *why)
{
	struct linger now = { .l_onoff = 1, .l_linger = 0 };
	int fd = lws_get_socket_fd(s->wsi);

	if (s->killed)
		return;
	s->killed = true;
	log_debug("socket %lu (%s): %s, dropped", s->id, s->peer, why);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
		shutdown(fd, SHUT_RDWR);
	}
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void session_sweep(void)
{
	uint64_t now = uv_now(relay.loop);

	lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
				   lws_dll2_get_head(&relay.sessions)) {
		struct session *s = lws_container_of(d, struct session, list);

		if (s->write_failed) {
			session_kill(s, "a write failed");
		} else if (session_unmasked(s) || s->close_code) {
			if (now >= s->close_deadline)
				session_kill(s, "still there after its close");
		} else if (now - s->alive_at >= relay.idle_ms) {
			session_kill(s, "silent past the idle timeout");
		} else if (now - s->alive_at >= relay.ping_ms && !s->pinged_at) {
			session_ping(s);
		}
	} lws_end_foreach_dll_safe(d, d1);
}

void session_close(struct session *s, uint16_t code, const char *reason)
{
	if (!s->wsi || s->close_code)
		return;
	s->close_code = code;
	s->close_reason = reason;
	s->close_deadline = uv_now(relay.loop) + RELAY_CLOSE_GRACE_MS;
	lws_callback_on_writable(s->wsi);
}

void session_close_all(uint16_t code, const char *reason)
{
	lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1,
				   lws_dll2_get_head(&relay.sessions)) {
		session_close(lws_container_of(d, struct session, list), code,
			      reason);
	} lws_end_foreach_dll_safe(d, d1);
}

static int session_callback(struct lws *wsi, enum lws_callback_reasons reason,
			    void *user, void *in, size_t len)
{
	struct session *s = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return relay_http_serve(wsi, &s->http, in, len);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return relay_http_write(wsi, &s->http);
	case LWS_CALLBACK_HTTP_BODY:
		return 0;  /* no route takes a body: it is read and dropped */
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return session_accept(s, wsi) ? 0 : 1;
	case LWS_CALLBACK_ESTABLISHED:
		session_open(s, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		session_alive(s);
		return session_receive(s, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		session_alive(s);
		session_unmasked(s);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return session_write(s);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return s->close_sent;  /* our close answered: just close */
	case LWS_CALLBACK_CLOSED:
		session_release(s);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

const struct lws_protocols session_protocols[] = {
	{
		.name = "cwc-relay",
		.callback = session_callback,
		.per_session_data_size = sizeof(struct session),
		.rx_buffer_size = 4096,
	},
	{ .name = NULL },
};
