/*
 * relay_session.h — one connection to the relay, and the lws protocol.
 *
 * The relay has one lws protocol, at index 0 so that a browser's
 * `new WebSocket(url)` (no subprotocol) lands on it. Its callback is a
 * switch on the reason with short cases, in the shape of lws' minimal
 * examples: HTTP requests go to relay_http.c, WebSocket frames to
 * relay_frame.c, and everything a socket owns lives in struct session
 * (lws allocates it zeroed, per connection, and frees it).
 */
#ifndef CWC_RELAY_SESSION_H
#define CWC_RELAY_SESSION_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "account/role.h"
#include "relay.h"
#include "relay_http.h"
#include "relay_mask.h"
#include "relay_outq.h"

/* Who is behind a socket, as far as delivery cares. */
enum session_role {
	SESSION_ROLE_NONE = 0,   /* not authenticated: never opened */
	SESSION_ROLE_CLIENT,     /* a customer: their own conversations */
	SESSION_ROLE_STAFF,      /* staff, admin or dev: "audience":"staff" too */
};

struct relay_user;

struct session {
	struct relay_http_reply http;    /* plain HTTP requests only */

	/* WebSocket; everything below is zero until the upgrade */
	struct lws *wsi;                 /* NULL when not an open WebSocket */
	lws_dll2_t list;                 /* in relay.sessions while open */
	unsigned long id;                /* names the socket in the log */
	char peer[48];

	/* set by the upgrade's authentication (relay_auth.c) */
	char user_id[25];                /* 24 hex digits */
	bson_oid_t user_oid;
	int role_level;                  /* enum role of route.h */
	enum session_role role;          /* what delivery needs of it */
	char name[128];                  /* givenName (or username), for typing */
	char session_token[65];          /* the session it lives and dies with */

	struct relay_user *user;         /* relay_users.c: this user's sockets here */
	lws_dll2_t user_node;            /* in user->sessions */
	lws_dll2_t staff_node;           /* in relay.staff when role is staff */
	unsigned long delivered_seq;     /* relay_event.c: last event queued here */

	struct outq out;
	uint16_t close_code;             /* nonzero: closing with this code */
	const char *close_reason;        /* static text sent with the close */
	bool close_sent;                 /* our close frame is out */
	bool write_failed;               /* a direct write failed: close at WRITEABLE */
	uint64_t close_deadline;         /* uv_now() by which a closing socket is dropped */
	bool killed;                     /* dropped without a close frame */

	uint64_t alive_at;               /* uv_now() of the last frame or pong received */
	uint64_t pinged_at;              /* uv_now() of our ping since then, or 0 */
	bool ping_due;                   /* a ping waits for the next WRITEABLE */

	int fd;                          /* the socket's, for relay_mask.c */
	struct relay_mask mask;          /* frames read: an unmasked one? */

	char *rx;                        /* fragments of the message coming in */
	size_t rx_len;

	double tokens;                   /* incoming-frame rate limit bucket */
	uint64_t tokens_at;              /* uv_now() of its last refill */
	unsigned dropped;                /* frames refused since it was last full */
};

/* The protocol list for lws_context_creation_info.protocols. */
extern const struct lws_protocols session_protocols[];

/* Sends `m`: written at once when nothing waits before it, otherwise
 * queued (taking a reference) for the next WRITEABLE. When the queue is
 * full the socket is closed with 1013 instead (a client that does not
 * read must not grow memory); false then, and when already closing. */
bool session_send(struct session *s, struct outq_msg *m);

/* Closes the socket once what is queued is written (or after
 * RELAY_CLOSE_GRACE_MS at the latest), sending `code` and `reason`
 * (a static string). Idempotent. */
void session_close(struct session *s, uint16_t code, const char *reason);

/* session_close() on every open socket. */
void session_close_all(uint16_t code, const char *reason);

/* Every RELAY_SWEEP_MS: pings silent sockets, drops those silent for
 * relay.idle_ms and those closing for more than RELAY_CLOSE_GRACE_MS. */
void session_sweep(void);

#endif
