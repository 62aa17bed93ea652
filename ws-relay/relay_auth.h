/*
 * relay_auth.h — who is behind a WebSocket upgrade (SPEC §6).
 *
 * An upgrade is accepted only when it carries either
 *   - the session cookie `cwc_session` (the raw token): the unexpired
 *     `sessions` document whose sessionToken is its SHA-256 hex, its
 *     non-deleted user and that user's role — what auth_authenticate()
 *     does for the apps; or
 *   - `?ticket=` from GET /api/messages/ticket (ticket_verify() with
 *     JWT_SECRET): a forged, malformed or expired ticket is refused; the
 *     user it names must still exist, and their current role is used; the
 *     session that issued it must still be live (one of the user's
 *     unexpired sessions has the ticket's session ref).
 * Either way the socket is bound to that session (its sessionToken), so
 * that relay_revoke.c can close it when the session ends.
 * The cookie wins when both are there and the cookie is valid. When the
 * request has an Origin header it must be the site's (NEXTAUTH_URL), the
 * admin's (CWC_ADMIN_URL) or one of CORS_ORIGINS: a page elsewhere cannot
 * open a socket with the visitor's cookie.
 *
 * The decision is an HTTP status, sent before the upgrade completes:
 * 401 (no or bad credentials), 403 (origin), 503 (store unavailable).
 */
#ifndef CWC_RELAY_AUTH_H
#define CWC_RELAY_AUTH_H

#include <bson/bson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

struct relay_identity {
	bson_oid_t user_oid;
	char user_id[25];       /* 24 hex digits */
	int role;               /* enum role of route.h */
	char name[128];         /* givenName, else username, else "" */
	char session_token[65]; /* sessionToken of the session behind it */
};

/* Why an upgrade was refused: status and a JSON error of SPEC §11. */
struct relay_refusal {
	int status;
	const char *code;
	const char *message;
};

/* Decides on the upgrade `wsi` (LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION).
 * True with `who` filled, or false with `why` filled. */
bool relay_auth_upgrade(struct lws *wsi, struct relay_identity *who,
			struct relay_refusal *why);

/* The signed-in user of a raw session token (the cookie's value, `len`
 * bytes), like auth_authenticate() (common/account/auth.c; this could move there
 * as a public function). True when the store answered, with *found
 * telling whether the token is a live session of a live user; false with
 * `err` filled on a store error. */
bool relay_auth_session_user(store_t *st, const char *raw, size_t len,
			     struct relay_identity *who, bool *found,
			     store_error_t *err);

/* Whether user `id` has a live (unexpired) session whose ticket ref
 * (ticket_session_ref()) is `ref`; when so, its sessionToken goes to
 * `session_token`. False with `err` filled on a store error. */
bool relay_auth_ticket_session(store_t *st, const bson_oid_t *id,
			       const char *ref, char session_token[65],
			       bool *found, store_error_t *err);

/* The non-deleted user `id` with their role and name, as above. */
bool relay_auth_load_user(store_t *st, const bson_oid_t *id,
			  struct relay_identity *who, bool *found,
			  store_error_t *err);

/* The value of cookie `name` in a Cookie header, or NULL; *len its size
 * (the value is not NUL-terminated there). */
const char *relay_auth_cookie_value(const char *header, const char *name,
				    size_t *len);

/* True when `origin` is the site's, the admin's or in CORS_ORIGINS. */
bool relay_auth_origin_allowed(const char *origin);

#endif
