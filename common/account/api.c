/*
 * api.c — the session cookie, the CSRF rule, the authenticate hook, and
 * login / logout / session. See api.h.
 *
 * The signed-in session lives in one per-process struct (`current`),
 * reset at the start of every request by auth_authenticate(): nothing to
 * free per request, and http_req_free() need not know about it.
 */
#include "account/api.h"
#include "account/account.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "web/page.h"
#include "account/password.h"
#include "web/route.h"
#include "web/throttle.h"
#include "conn/conn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static struct auth_session current;
static bool current_ready;

const struct auth_session *auth_session(const struct http_req *req)
{
	return req->session == &current ? &current : NULL;
}

void auth_release(void)
{
	if (current_ready)
		bson_destroy(&current.user);
	current_ready = false;
}

static void reset_current(void)
{
	if (current_ready)
		bson_reinit(&current.user);
	else
		bson_init(&current.user);
	current_ready = true;
	memset(&current.user_id, 0, sizeof current.user_id);
	current.user_id_hex[0] = '\0';
	current.token_hash[0] = '\0';
	current.role = ROLE_PUBLIC;
}

/* ---- origins ------------------------------------------------------- */

bool auth_origin_of(const char *url, char *out, size_t outlen)
{
	const char *sep, *host;
	size_t n;

	if (!url || !(sep = strstr(url, "://")) || sep == url)
		return false;
	for (const char *p = url; p < sep; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
	host = sep + 3;
	n = strcspn(host, "/?#");
	if (n == 0 || (size_t)(host - url) + n >= outlen)
		return false;
	memcpy(out, url, (size_t)(host - url) + n);
	out[(size_t)(host - url) + n] = '\0';
	return true;
}

bool auth_origin_ok(struct http_req *req)
{
	const char *origin = http_header(req, "Origin");
	const char *own_url;
	char ref[512], own[512];

	if (!(req->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE)))
		return true;
	if (!origin || !*origin) {
		const char *referer = http_header(req, "Referer");
		origin = referer && auth_origin_of(referer, ref, sizeof ref) ? ref : NULL;
	}
	if (!origin)   /* not a browser's cross-site request, unless it has our cookie */
		return http_cookie(req, AUTH_COOKIE) == NULL;
	own_url = req->app ? req->app->base_url() : NULL;
	if (own_url && auth_origin_of(own_url, own, sizeof own) && strcmp(origin, own) == 0)
		return true;
	return cfg_origin_allowed(origin);
}

/* ---- the cookie --------------------------------------------------- */

static void cookie_header(struct http_req *req, const char *value, long max_age)
{
	const char *domain = cfg->cookie_domain;
	bool domain_ok = domain && *domain && !strpbrk(domain, "; ,\t\"");
	/* SPEC §2: production, or a public URL in https */
	bool secure = cfg->production ||
		      (cfg->site_url && strncmp(cfg->site_url, "https://", 8) == 0);

	if (domain && *domain && !domain_ok)
		log_error("CWC_COOKIE_DOMAIN \"%s\" is not a domain; cookie is host-only", domain);
	http_add_headerf(req, "Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%ld%s%s%s",
			 AUTH_COOKIE, value, max_age, secure ? "; Secure" : "",
			 domain_ok ? "; Domain=" : "", domain_ok ? domain : "");
}

void auth_cookie_set(struct http_req *req, const char *raw_token)
{
	cookie_header(req, raw_token, SESSION_TTL_S);
}

void auth_cookie_clear(struct http_req *req)
{
	cookie_header(req, "", 0);
}

/* ---- the hook ------------------------------------------------------ */

static void unavailable(struct http_req *req, const char *what, const store_error_t *se)
{
	log_error("authentication: %s: %s", what, se->message);
	if (http_is_api(req))
		http_error(req, 503, "unavailable",
			   "The service is temporarily unavailable. Please try again.");
	else
		page_error(req, 503);
}

void auth_authenticate(struct http_req *req)
{
	const char *cookie;
	char hash[65];
	store_error_t se = { 0 };
	store_t *st;
	bson_t sess = BSON_INITIALIZER, user = BSON_INITIALIZER;
	bson_t *filter = NULL;
	bson_iter_t it;
	bson_oid_t uid;
	bool found = false;
	int role;

	req->session = NULL;
	req->role = ROLE_PUBLIC;
	reset_current();

	if (!auth_origin_ok(req)) {
		log_info("refused a cross-origin %s (Origin: %s)", req->method_name,
			 http_header(req, "Origin") ? http_header(req, "Origin") : "-");
		http_error(req, 403, "bad_origin", "This origin is not allowed.");
		return;
	}
	cookie = http_cookie(req, AUTH_COOKIE);
	if (!cookie || !account_token_hash(cookie, strlen(cookie), hash))
		return;   /* none, or not one of ours: signed out */
	if (!(st = conn_store(&se))) {
		unavailable(req, "store", &se);
		return;
	}
	filter = BCON_NEW("sessionToken", BCON_UTF8(hash),
			  "expires", "{", "$gt", BCON_DATE_TIME(account_now_ms()), "}");
	if (!store_find_one(st, "sessions", filter, NULL, &sess, &found, &se)) {
		unavailable(req, "session", &se);
		goto done;
	}
	if (!found || !bson_iter_init_find(&it, &sess, "userId") ||
	    !BSON_ITER_HOLDS_OID(&it))
		goto done;
	bson_oid_copy(bson_iter_oid(&it), &uid);
	found = false;
	if (!account_find_by_id(st, &uid, &user, &found, &se)) {
		unavailable(req, "user", &se);
		goto done;
	}
	if (!found)
		goto done;
	if (!account_user_role(st, &user, &role, &se)) {
		unavailable(req, "role", &se);
		goto done;
	}
	bson_oid_copy(&uid, &current.user_id);
	bson_oid_to_string(&uid, current.user_id_hex);
	memcpy(current.token_hash, hash, sizeof hash);
	current.role = role;
	bson_concat(&current.user, &user);
	req->session = &current;
	req->role = role;
done:
	bson_destroy(&sess);
	bson_destroy(&user);
	if (filter)
		bson_destroy(filter);
}

/* ---- endpoints ----------------------------------------------------- */

static bool bad_credentials(struct http_req *req, const char *email, struct err *e)
{
	throttle_hit(THROTTLE_LOGIN, THROTTLE_IP, http_client_ip(req));
	throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email);
	log_info("failed login from %s", http_client_ip(req));
	return err_set(e, 401, "bad_credentials", NULL, "Wrong email or password.");
}

bool auth_sign_in(struct http_req *req, int min_role, const char *email_in,
		  size_t email_len, const char *password, size_t password_len,
		  bson_t *user, int *role, struct err *e)
{
	store_error_t se = { 0 };
	char email[ACCOUNT_EMAIL_MAX + 1], raw[65];
	long retry = 0;
	store_t *st;
	bson_oid_t uid;
	bool found = false, rehash = false;

	if (!account_email_normalise(email_in, email_len, email, sizeof email))
		return err_set(e, 422, "validation_failed", "email",
			       "email is not a valid email address.");
	if (!throttle_check(THROTTLE_LOGIN, THROTTLE_IP, http_client_ip(req), &retry) ||
	    !throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email, &retry)) {
		http_add_headerf(req, "Retry-After", "%ld", retry);
		return err_set(e, 429, "too_many_requests", NULL,
			       "Too many attempts. Please try again in %ld seconds.", retry);
	}
	if (!(st = conn_store(&se))) {
		store_fail(e, "login", &se);
		return false;
	}
	if (!account_find_by_email(st, email, user, &found, &se)) {
		store_fail(e, "login: find", &se);
		return false;
	}
	if (!found || !doc_oid(user, "_id", &uid)) {
		password_burn(password, password_len);
		return bad_credentials(req, email, e);
	}
	if (!password_verify(password, password_len, doc_str(user, "password"), &rehash))
		return bad_credentials(req, email, e);
	if (account_is_pending(user))
		return err_set(e, 403, "not_activated", NULL,
			       "This account is not activated yet: use the link of the activation "
			       "email, or ask for a new one.");
	if (doc_date(user, "deactivatedAt", 0))   /* by the back office (account/manage.h) */
		return err_set(e, 403, "account_disabled", NULL,
			       "This account is deactivated. Contact the café.");
	if (!account_user_role(st, user, role, &se)) {
		store_fail(e, "login: role", &se);
		return false;
	}
	if (*role < min_role)
		return err_set(e, 403, "forbidden", NULL, "This account may not sign in here.");
	throttle_clear(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email);
	if (rehash && !account_rehash(st, &uid, password, password_len, &se))
		log_error("login: cannot upgrade the password hash: %s", se.message);
	{
		/* a fresh token at every login: the previous one of this browser ends */
		const struct auth_session *old = auth_session(req);
		if (old) {
			bson_t *f = BCON_NEW("sessionToken", BCON_UTF8(old->token_hash));
			if (!session_delete(st, &old->user_id, f, &se))
				log_error("login: cannot end the previous session: %s", se.message);
			bson_destroy(f);
		}
	}
	if (!session_create(st, &uid, http_client_ip(req),
			    http_header(req, "User-Agent"), account_now_ms(), raw, &se)) {
		store_fail(e, "login: session", &se);
		return false;
	}
	{
		bson_t *f = BCON_NEW("_id", BCON_OID(&uid));
		bson_t *u = BCON_NEW("$set", "{", "lastLoginAt", BCON_DATE_TIME(account_now_ms()), "}");
		if (!store_update_one(st, "users", f, u, false, NULL, &se))
			log_error("login: cannot set lastLoginAt: %s", se.message);
		bson_destroy(f);
		bson_destroy(u);
	}
	auth_cookie_set(req, raw);
	explicit_bzero(raw, sizeof raw);
	return true;
}

void auth_login(struct http_req *req, int min_role)
{
	struct err e;
	const char *email_in, *password;
	size_t email_len, password_len;
	bson_t user = BSON_INITIALIZER;
	int role = 0;

	if (!account_read_string(req->json, "email", true, ACCOUNT_EMAIL_MAX + 64,
				 &email_in, &email_len, &e) ||
	    !account_read_string(req->json, "password", true, PASSWORD_MAX_BYTES,
				 &password, &password_len, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	if (!auth_sign_in(req, min_role, email_in, email_len, password, password_len,
			  &user, &role, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	{
		json_object *o = json_object_new_object();
		json_object_object_add(o, "user", account_user_json(&user, role));
		http_send_json(req, 200, o);
	}
done:
	bson_destroy(&user);
}

void auth_logout(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);
	store_error_t se = { 0 };
	store_t *st;

	if (s) {
		bson_t *f = BCON_NEW("sessionToken", BCON_UTF8(s->token_hash));
		bool ok = (st = conn_store(&se)) &&
			  session_delete(st, &s->user_id, f, &se);
		bson_destroy(f);
		if (!ok) {
			struct err e;
			store_fail(&e, "logout", &se);
			http_send_err(req, &e);
			return;
		}
	}
	auth_cookie_clear(req);
	/* the "Se déconnecter" button of the pages is a plain form: a browser
	 * navigating there goes on to the login page */
	const char *accept = http_header(req, "Accept");
	if (accept && strstr(accept, "text/html") && req->app && req->app->login_path)
		http_redirect(req, 303, req->app->login_path);
	else
		http_send_json(req, 204, NULL);
}

void auth_session_get(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);
	json_object *o;

	if (!s) {
		http_error(req, 401, "unauthorized", "Please sign in.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", account_user_json(&s->user, s->role));
	http_send_json(req, 200, o);
}
