/*
 * api.h — the HTTP face of accounts that both apps share (SPEC §4): the
 * session cookie, CSRF, the authenticate hook, and the login / logout /
 * session endpoints. Sessions themselves are session.h's.
 *
 * A session is a `sessions` document {sessionToken: SHA-256 hex of the
 * cookie's random token, userId, expires (30 days), createdAt, ip,
 * userAgent}; the cookie `cwc_session` carries the raw token (64 hex
 * digits) and is HttpOnly, SameSite=Lax, Secure in production, with
 * Domain=CWC_COOKIE_DOMAIN when set, so site and admin share it.
 *
 * auth_authenticate() is the `authenticate` hook of both apps' route
 * tables (route.h). It refuses cross-origin state-changing requests
 * (403 `bad_origin`, see auth_origin_ok), then resolves the cookie to the
 * session, its non-deleted user and the user's role, and sets
 * req->session / req->role. A forged, expired or orphaned cookie is
 * simply "signed out".
 *
 * req->session points at a per-process struct auth_session that the next
 * request overwrites (a worker serves one request at a time): handlers
 * read it through auth_session() and never keep it.
 */
#ifndef CWC_ACCOUNT_API_H
#define CWC_ACCOUNT_API_H

#include "account/session.h"
#include "web/http.h"
#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define AUTH_COOKIE "cwc_session"

struct auth_session {
	bson_oid_t user_id;
	char user_id_hex[25];
	char token_hash[65];   /* sessionToken of this session */
	int role;              /* enum role */
	bson_t user;           /* the user document */
};

/* The route tables' authenticate hook (see the file comment). */
void auth_authenticate(struct http_req *req);

/* The signed-in session of `req`, or NULL. Valid during this request. */
const struct auth_session *auth_session(const struct http_req *req);

/* Frees the per-process session (at exit, for leak checkers). */
void auth_release(void);

/* CSRF rule: true unless `req` is a POST/PUT/PATCH/DELETE whose Origin
 * (or, without one, the origin of its Referer) is neither the app's own
 * (NEXTAUTH_URL for site, CWC_ADMIN_URL for admin) nor in CORS_ORIGINS.
 * Requests that carry no session cookie are only checked when they send
 * an Origin or Referer; with a cookie, a missing origin is refused. */
bool auth_origin_ok(struct http_req *req);

/* "https://a.example:8443/x?y" → "https://a.example:8443" into `out`;
 * false when `url` has no scheme://host or does not fit. */
bool auth_origin_of(const char *url, char *out, size_t outlen);

/* Set-Cookie headers that set / clear the session cookie. */
void auth_cookie_set(struct http_req *req, const char *raw_token);
void auth_cookie_clear(struct http_req *req);

/* Signs in with `email_in` and `password` (not NUL-terminated needed:
 * lengths given), for both apps and both faces (the JSON API, the form of
 * the login page): the throttles, the credentials, activation and
 * `min_role` checked, then a new session and its cookie on the response.
 * `user` (initialised by the caller, destroyed by the caller) receives the
 * user document and *role its role. False with `e`: 422 email malformed
 * (field "email"), 401 bad_credentials, 403 not_activated / forbidden,
 * 429 too_many_requests (Retry-After already added to the response),
 * 5xx when the store fails. */
bool auth_sign_in(struct http_req *req, int min_role, const char *email_in,
		  size_t email_len, const char *password, size_t password_len,
		  bson_t *user, int *role, struct err *e);

/* POST /api/auth/login {email,password}: for both apps; `min_role` is
 * the lowest role the app admits (the admin app refuses a client with
 * 403 `forbidden`). Use with ROUTE_JSON. */
void auth_login(struct http_req *req, int min_role);
/* POST /api/auth/logout: ends the session, clears the cookie, 204. */
void auth_logout(struct http_req *req);
/* GET /api/auth/session: 200 {user} (the route needs a session). */
void auth_session_get(struct http_req *req);

#endif
