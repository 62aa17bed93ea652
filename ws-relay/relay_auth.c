/*
 * relay_auth.c — authenticating an upgrade. See relay_auth.h.
 *
 * The store is read synchronously (relay_store.h says why that is fine):
 * three indexed lookups for a cookie; for a ticket, the user and role,
 * then the user's live sessions (userId index) to find the one that
 * issued it.
 */
#include "relay_auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account/account.h"
#include "core/doc.h"
#include "account/api.h"
#include "core/config.h"
#include "core/log.h"
#include "relay_store.h"
#include "account/role.h"
#include "chat/ticket.h"

#define COOKIE_HEADER_MAX 8192

/* Copies the UTF-8 string `s` into `out`, cut at a character boundary. */
static void copy_utf8(char *out, size_t outlen, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= outlen) {
		n = outlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
}

bool relay_auth_load_user(store_t *st, const bson_oid_t *id,
			  struct relay_identity *who, bool *found,
			  store_error_t *err)
{
	bson_t user;
	const char *name;
	int role = ROLE_CLIENT;
	bool ok;

	*found = false;
	if (!account_find_by_id(st, id, &user, found, err))
		return false;
	ok = !*found || account_user_role(st, &user, &role, err);
	if (ok && *found) {
		memset(who, 0, sizeof *who);
		bson_oid_copy(id, &who->user_oid);
		bson_oid_to_string(id, who->user_id);
		who->role = role;
		name = doc_str(&user, "givenName");
		if (!name || !*name)
			name = doc_str(&user, "username");
		copy_utf8(who->name, sizeof who->name, name);
	}
	bson_destroy(&user);
	return ok;
}

bool relay_auth_session_user(store_t *st, const char *raw, size_t len,
			     struct relay_identity *who, bool *found,
			     store_error_t *err)
{
	char hash[65];
	bson_t *filter, sess;
	bson_iter_t it;
	bson_oid_t uid;
	bool ok;

	*found = false;
	if (!account_token_hash(raw, len, hash))
		return true;   /* not one of our tokens: signed out */
	filter = BCON_NEW("sessionToken", BCON_UTF8(hash),
			  "expires", "{", "$gt", BCON_DATE_TIME(account_now_ms()), "}");
	ok = store_find_one(st, "sessions", filter, NULL, &sess, found, err);
	bson_destroy(filter);
	if (!ok)
		return false;
	if (*found && bson_iter_init_find(&it, &sess, "userId") &&
	    BSON_ITER_HOLDS_OID(&it)) {
		bson_oid_copy(bson_iter_oid(&it), &uid);
		bson_destroy(&sess);
		ok = relay_auth_load_user(st, &uid, who, found, err);
		if (ok && *found)
			memcpy(who->session_token, hash, sizeof who->session_token);
		return ok;
	}
	*found = false;
	bson_destroy(&sess);
	return true;
}

bool relay_auth_ticket_session(store_t *st, const bson_oid_t *id,
			       const char *ref, char session_token[65],
			       bool *found, store_error_t *err)
{
	bson_t *filter = BCON_NEW("userId", BCON_OID(id),
				  "expires", "{", "$gt", BCON_DATE_TIME(account_now_ms()), "}");
	bson_t *fields = BCON_NEW("sessionToken", BCON_INT32(1));
	store_find_opts_t opts = { .projection = fields };
	store_cursor_t *cur = store_find(st, "sessions", filter, &opts, err);
	char candidate[TICKET_REF_LEN + 1];
	const bson_t *doc;
	const char *token;
	bool ok = cur != NULL;

	*found = false;
	while (ok && !*found && store_cursor_next(cur, &doc)) {
		token = doc_str(doc, "sessionToken");
		if (!token || strlen(token) != 64)
			continue;
		ticket_session_ref(token, candidate);
		if (strcmp(candidate, ref) == 0) {
			memcpy(session_token, token, 65);
			*found = true;
		}
	}
	if (ok && !*found && store_cursor_error(cur, err))
		ok = false;
	store_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(fields);
	return ok;
}

bool relay_auth_origin_allowed(const char *origin)
{
	char own[512];

	if (auth_origin_of(cfg->site_url, own, sizeof own) && strcmp(origin, own) == 0)
		return true;
	if (auth_origin_of(cfg->admin_url, own, sizeof own) && strcmp(origin, own) == 0)
		return true;
	return cfg_origin_allowed(origin);
}

const char *relay_auth_cookie_value(const char *header, const char *name,
				    size_t *len)
{
	size_t nlen = strlen(name);
	const char *p = header;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			*len = strcspn(p, ";");
			while (*len && (p[*len - 1] == ' ' || p[*len - 1] == '\t'))
				(*len)--;
			/* a quoted value, as the apps' parser (http.c) takes it */
			if (*len >= 2 && p[0] == '"' && p[*len - 1] == '"') {
				p++;
				*len -= 2;
			}
			return p;
		}
		p += strcspn(p, ";");
	}
	return NULL;
}

static bool refuse(struct relay_refusal *why, int status, const char *code,
		   const char *message)
{
	why->status = status;
	why->code = code;
	why->message = message;
	return false;
}

static bool refuse_unavailable(struct relay_refusal *why)
{
	return refuse(why, 503, "unavailable",
		      "The service is temporarily unavailable.");
}

bool relay_auth_upgrade(struct lws *wsi, struct relay_identity *who,
			struct relay_refusal *why)
{
	char origin[512], ticket[TICKET_MAX + 16], hex[25], ref[TICKET_REF_LEN + 1];
	char cookies[COOKIE_HEADER_MAX];
	const char *raw = NULL, *arg;
	size_t raw_len = 0;
	store_error_t err = { 0 };
	uint64_t started;
	bson_oid_t uid;
	bool found = false, ok;
	store_t *st;
	int role;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0) {
		if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0 ||
		    !relay_auth_origin_allowed(origin)) {
			log_info("refused a WebSocket upgrade from origin \"%.100s\"",
				 lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <
				 (int)sizeof origin ? origin : "(too long)");
			return refuse(why, 403, "bad_origin",
				      "This origin is not allowed.");
		}
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE) > 0 &&
	    lws_hdr_copy(wsi, cookies, sizeof cookies, WSI_TOKEN_HTTP_COOKIE) > 0)
		raw = relay_auth_cookie_value(cookies, AUTH_COOKIE, &raw_len);
	arg = lws_get_urlarg_by_name(wsi, "ticket=", ticket, sizeof ticket);
	if (!raw && !arg)
		return refuse(why, 401, "unauthorized",
			      "Sign in first: session cookie or ?ticket= required.");

	if (raw) {
		if (!(st = relay_store_begin(&started)))
			return refuse_unavailable(why);
		ok = relay_auth_session_user(st, raw, raw_len, who, &found, &err);
		relay_store_done(started, "upgrade: session", ok ? NULL : &err);
		if (!ok)
			return refuse_unavailable(why);
		if (found)
			return true;
		if (!arg)
			return refuse(why, 401, "unauthorized",
				      "The session has ended: sign in again.");
	}
	/* a ticket: signed by the apps, 60 s of validity */
	if (!ticket_verify(cfg->jwt_secret, arg, (int64_t)time(NULL), hex, &role, ref) ||
	    !bson_oid_is_valid(hex, strlen(hex))) {
		log_info("refused a WebSocket upgrade: forged or expired ticket");
		return refuse(why, 401, "unauthorized",
			      "The ticket is invalid or expired.");
	}
	bson_oid_init_from_string(&uid, hex);
	if (!(st = relay_store_begin(&started)))
		return refuse_unavailable(why);
	ok = relay_auth_load_user(st, &uid, who, &found, &err);
	relay_store_done(started, "upgrade: ticket user", ok ? NULL : &err);
	if (!ok)
		return refuse_unavailable(why);
	if (!found)
		return refuse(why, 401, "unauthorized", "This account no longer exists.");
	if (!(st = relay_store_begin(&started)))
		return refuse_unavailable(why);
	ok = relay_auth_ticket_session(st, &uid, ref, who->session_token, &found, &err);
	relay_store_done(started, "upgrade: ticket session", ok ? NULL : &err);
	if (!ok)
		return refuse_unavailable(why);
	if (!found) {
		log_info("refused a WebSocket upgrade: the ticket's session has ended");
		return refuse(why, 401, "unauthorized",
			      "The session that issued this ticket has ended: sign in again.");
	}
	return true;
}
