/*
 * Accounts and sessions below HTTP: input validation, token and origin
 * helpers, throttle limits, and — on a real embedded store in a temporary
 * directory — the token lifetimes (with a moved clock), single use,
 * session revocation, anonymisation, the legacy admin import and the
 * authenticate hook with forged, expired and orphaned cookies.
 */
#include "account/account.h"
#include "core/doc.h"
#include "account/api.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "web/route.h"
#include "store/store.h"
#include "tap.h"
#include "web/throttle.h"
#include "conn/conn.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR (3600LL * 1000)

/* ---- a request as Caddy would pass it --------------------------------- */

struct fake {
	struct http_req req;
	char *env[8];
	char buf[8][512];
	int n;
};

static void fake_env(struct fake *f, const char *kv)
{
	snprintf(f->buf[f->n], sizeof f->buf[f->n], "%s", kv);
	f->env[f->n] = f->buf[f->n];
	f->n++;
}

/* method, then up to 4 "KEY=VALUE" params (NULL ends). */
static const char *site_url(void)
{
	return cfg->site_url;
}

static const char *admin_url(void)
{
	return cfg->admin_url;
}

/* The two apps as the Origin check sees them. */
static const struct app site_app = { .service = "site", .base_url = site_url };
static const struct app admin_app = { .service = "admin", .staff = true, .base_url = admin_url };

static struct http_req *fake_req(struct fake *f, const char *service,
				 const char *method, const char *a,
				 const char *b, const char *c)
{
	char m[64];

	memset(f, 0, sizeof *f);
	snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
	fake_env(f, m);
	fake_env(f, "REQUEST_URI=/api/test");
	if (a)
		fake_env(f, a);
	if (b)
		fake_env(f, b);
	if (c)
		fake_env(f, c);
	http_req_init(&f->req, f->env);
	f->req.app = strcmp(service, "admin") == 0 ? &admin_app : &site_app;
	return &f->req;
}

static const char *out_body(struct http_req *req)
{
	const char *b = req->out.data ? strstr(req->out.data, "\r\n\r\n") : NULL;

	return b ? b + 4 : "";
}

/* ---- helpers ---------------------------------------------------------- */

static bool email_ok(const char *in, const char *want)
{
	char out[ACCOUNT_EMAIL_MAX + 1];
	bool ok = account_email_normalise(in, strlen(in), out, sizeof out);

	if (!want)
		return !ok;
	return ok && strcmp(out, want) == 0;
}

static json_object *parse(const char *s)
{
	return json_tokener_parse(s);
}

/* Reads a register-like body; returns the status (0 when valid). */
static int input_status(const char *json, unsigned wanted, unsigned required,
			char *field, size_t fieldlen)
{
	json_object *o = parse(json);
	struct account_input in;
	struct err e = { 0 };
	int status = 0;

	if (!account_read_input(o, wanted, required, &in, &e))
		status = e.status;
	snprintf(field, fieldlen, "%s", e.field);
	account_input_clear(&in);
	json_object_put(o);
	return status;
}

static void test_helpers(void)
{
	char field[64], hash[65], origin[128];
	struct err e;
	struct throttle_limit l;
	const unsigned all = AF_EMAIL | AF_PASSWORD | AF_USERNAME | AF_GIVEN_NAME |
			     AF_PHONE | AF_COMPANY | AF_NEWSLETTER;
	const unsigned req = AF_EMAIL | AF_PASSWORD | AF_GIVEN_NAME;

	/* email */
	ok(email_ok("  Alice.Martin@Example.COM \t", "alice.martin@example.com"),
	   "an email is trimmed and lower-cased");
	ok(email_ok("a+tag@sub.example.fr", "a+tag@sub.example.fr"), "plus tags and subdomains");
	ok(email_ok("admin@coworkingcafe.local", "admin@coworkingcafe.local"),
	   "the demo .local addresses are accepted");
	ok(email_ok("no-at-sign.example.com", NULL), "no @: refused");
	ok(email_ok("a@b@example.com", NULL), "two @: refused");
	ok(email_ok("a@localhost", NULL), "a domain without a dot: refused");
	ok(email_ok("a..b@example.com", NULL), "consecutive dots: refused");
	ok(email_ok(".a@example.com", NULL), "a leading dot: refused");
	ok(email_ok("a@-example.com", NULL), "a label starting with '-': refused");
	ok(email_ok("a@example.c", NULL), "a one-letter TLD: refused");
	ok(email_ok("a@1.2.3.4", NULL), "a numeric TLD: refused");
	ok(email_ok("a b@example.com", NULL), "a space inside: refused");
	ok(email_ok("caf\xc3\xa9@example.com", NULL), "non-ASCII: refused");
	ok(email_ok("", NULL), "empty: refused");
	ok(email_ok("deleted-1@deleted.invalid", NULL), ".invalid (deleted accounts): refused");
	{
		char longmail[300];
		memset(longmail, 'a', sizeof longmail);
		memcpy(longmail + 240, "@example.com", 13);
		ok(email_ok(longmail, NULL), "an email over 254 bytes: refused");
		memset(longmail, 'a', 65);
		memcpy(longmail + 65, "@example.com", 13);
		ok(email_ok(longmail, NULL), "a local part over 64 bytes: refused");
	}

	/* UTF-8 */
	ok(http_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14), "valid UTF-8");
	ok(!http_utf8_valid("\xc3\x28", 2), "a bad continuation byte");
	ok(!http_utf8_valid("\xc0\xaf", 2), "an overlong encoding");
	ok(!http_utf8_valid("\xed\xa0\x80", 3), "a surrogate");
	ok(!http_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
	ok(!http_utf8_valid("ab\xe2\x82", 4), "a truncated sequence at the end");
	ok(!http_utf8_valid("\xff", 1), "a byte that is never UTF-8");

	/* tokens */
	{
		char raw[ACCOUNT_TOKEN_HEX + 1], h[65];
		ok(account_new_token(raw, h), "a new token");
		is_int(strlen(raw), 64, "of 64 hex digits (256 bits)");
		ok(account_token_hash(raw, strlen(raw), hash) && strcmp(hash, h) == 0,
		   "its hash is the SHA-256 of what the link carries");
		ok(strcmp(raw, h) != 0, "and differs from it");
		raw[5] = 'G';
		ok(!account_token_hash(raw, strlen(raw), hash), "a non-hex token is refused");
		ok(!account_token_hash(raw, 63, hash), "a short token is refused");
	}

	/* passwords */
	ok(account_check_password("12345678", 8, "password", &e), "8 characters are enough");
	ok(!account_check_password("1234567", 7, "password", &e) && e.status == 422 &&
	   strcmp(e.field, "password") == 0, "7 are not (422, field password)");
	ok(!account_check_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 14,
				   "password", &e), "characters are counted, not bytes");
	ok(!account_check_password("abcd\0efgh", 9, "password", &e), "a NUL is refused");

	/* the fields of a body */
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"12345678\","
			    "\"givenName\":\" Ana \",\"username\":\"ana\",\"phone\":\"+33 6 12 34 56 78\","
			    "\"newsletter\":true}", all, req, field, sizeof field),
	       0, "a full registration is valid");
	is_int(input_status("{\"password\":\"12345678\",\"givenName\":\"Ana\"}", all, req,
			    field, sizeof field), 400, "a missing email is 400");
	is_str(field, "email", "naming email");
	is_int(input_status("{\"email\":null,\"password\":\"12345678\",\"givenName\":\"Ana\"}",
			    all, req, field, sizeof field), 400, "a null email is 400");
	is_int(input_status("{\"email\":42,\"password\":\"12345678\",\"givenName\":\"Ana\"}",
			    all, req, field, sizeof field), 400, "a number as email is 400");
	is_str(field, "email", "naming email");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":[\"x\"],\"givenName\":\"Ana\"}",
			    all, req, field, sizeof field), 400, "an array as password is 400");
	is_str(field, "password", "naming password");
	is_int(input_status("{\"email\":\"a@\",\"password\":\"12345678\",\"givenName\":\"Ana\"}",
			    all, req, field, sizeof field), 422, "an invalid email is 422");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"1234\",\"givenName\":\"Ana\"}",
			    all, req, field, sizeof field), 422, "a short password is 422");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"12345678\",\"givenName\":\"   \"}",
			    all, req, field, sizeof field), 422, "a blank givenName is 422");
	is_str(field, "givenName", "naming givenName");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"12345678\",\"givenName\":\"A\\nB\"}",
			    all, req, field, sizeof field), 422, "a control character in a name is 422");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"12345678\",\"givenName\":\"A\\u0000B\"}",
			    all, req, field, sizeof field), 422, "an escaped NUL in a name is 422");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"12345678\",\"givenName\":\"A\","
			    "\"phone\":\"call me\"}", all, req, field, sizeof field),
	       422, "letters in a phone number are 422");
	is_str(field, "phone", "naming phone");
	is_int(input_status("{\"email\":\"a@example.com\",\"password\":\"12345678\",\"givenName\":\"A\","
			    "\"newsletter\":\"yes\"}", all, req, field, sizeof field),
	       400, "a string as newsletter is 400");
	{
		char body[1024];
		snprintf(body, sizeof body, "{\"email\":\"a@example.com\",\"password\":\"12345678\","
			 "\"givenName\":\"Ana\",\"username\":\"%0*d\"}", ACCOUNT_USERNAME_MAX + 1, 0);
		is_int(input_status(body, all, req, field, sizeof field), 422,
		       "a username over %d characters is 422", ACCOUNT_USERNAME_MAX);
		is_str(field, "username", "naming username");
		snprintf(body, sizeof body, "{\"email\":\"a@example.com\",\"password\":\"12345678\","
			 "\"givenName\":\"%s\"}",
			 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
		is_int(input_status(body, all, req, field, sizeof field), 0,
		       "lengths are in characters: 10 accented letters are 10");
	}

	/* the body itself: invalid UTF-8 named by its field */
	{
		struct fake f;
		static const char bad[] = "{\"email\":\"a@example.com\",\"givenName\":\"\xc3\x28\"}";
		struct http_req *r = fake_req(&f, "site", "POST", "CONTENT_TYPE=application/json",
					      NULL, NULL);
		http_req_read_body(r, bad, sizeof bad - 1);
		ok(!http_req_parse_json(r), "a body with invalid UTF-8 is refused");
		is_int(r->status, 400, "with 400");
		ok(strstr(out_body(r), "\"field\":\"givenName\"") != NULL,
		   "naming the field (%s)", out_body(r));
		http_req_free(r);

		r = fake_req(&f, "site", "POST", "CONTENT_TYPE=application/json", NULL, NULL);
		http_req_read_body(r, "[1]", 3);
		ok(!http_req_parse_json(r) && r->status == 400, "a JSON array is 400");
		http_req_free(r);

		r = fake_req(&f, "site", "POST", "CONTENT_TYPE=text/plain", NULL, NULL);
		http_req_read_body(r, "{}", 2);
		ok(!http_req_parse_json(r) && r->status == 415, "another content type is 415");
		http_req_free(r);

		r = fake_req(&f, "site", "POST", "CONTENT_TYPE=application/json", NULL, NULL);
		http_req_read_body(r, "{\"a\":1}", 7);
		ok(http_req_parse_json(r) && r->json, "a JSON object is parsed");
		http_req_free(r);
	}

	/* origins */
	ok(auth_origin_of("https://www.example.com:8443/a/b?c#d", origin, sizeof origin) &&
	   strcmp(origin, "https://www.example.com:8443") == 0, "the origin of a URL");
	ok(!auth_origin_of("/relative", origin, sizeof origin), "a relative URL has none");
	ok(!auth_origin_of("https://", origin, sizeof origin), "nor a URL without a host");
	{
		struct fake f;
		struct http_req *r;

		r = fake_req(&f, "site", "POST", "HTTP_ORIGIN=http://localhost:18080", NULL, NULL);
		ok(auth_origin_ok(r), "site: a POST from the site's origin passes");
		http_req_free(r);
		r = fake_req(&f, "site", "POST", "HTTP_ORIGIN=https://evil.example", NULL, NULL);
		ok(!auth_origin_ok(r), "a POST from another origin is refused, even without cookie");
		http_req_free(r);
		r = fake_req(&f, "site", "GET", "HTTP_ORIGIN=https://evil.example",
			     "HTTP_COOKIE=cwc_session=x", NULL);
		ok(auth_origin_ok(r), "a GET is never refused");
		http_req_free(r);
		r = fake_req(&f, "site", "DELETE", "HTTP_COOKIE=cwc_session=x", NULL, NULL);
		ok(!auth_origin_ok(r), "a DELETE with the cookie but no Origin/Referer is refused");
		http_req_free(r);
		r = fake_req(&f, "site", "POST", NULL, NULL, NULL);
		ok(auth_origin_ok(r), "a POST without cookie nor Origin passes (not a browser's CSRF)");
		http_req_free(r);
		r = fake_req(&f, "site", "PUT", "HTTP_COOKIE=cwc_session=x",
			     "HTTP_REFERER=http://localhost:18080/compte?x=1", NULL);
		ok(auth_origin_ok(r), "without Origin, the Referer's origin counts");
		http_req_free(r);
		r = fake_req(&f, "site", "PUT", "HTTP_COOKIE=cwc_session=x",
			     "HTTP_REFERER=https://evil.example/page", NULL);
		ok(!auth_origin_ok(r), "a foreign Referer is refused");
		http_req_free(r);
		r = fake_req(&f, "admin", "POST", "HTTP_ORIGIN=http://localhost:18081",
			     "HTTP_COOKIE=cwc_session=x", NULL);
		ok(auth_origin_ok(r), "admin: its own origin passes");
		http_req_free(r);
		r = fake_req(&f, "site", "POST", "HTTP_ORIGIN=https://partner.example",
			     "HTTP_COOKIE=cwc_session=x", NULL);
		ok(auth_origin_ok(r), "an origin of CORS_ORIGINS passes");
		http_req_free(r);
		r = fake_req(&f, "site", "POST", "HTTP_ORIGIN=null", "HTTP_COOKIE=cwc_session=x", NULL);
		ok(!auth_origin_ok(r), "Origin: null is refused");
		http_req_free(r);
	}

	/* throttle limits */
	ok(throttle_parse_limit("5/900", &l) && l.max == 5 && l.window == 900, "\"5/900\" parses");
	ok(!throttle_parse_limit("5", &l), "\"5\" does not");
	ok(!throttle_parse_limit("0/60", &l), "a zero count does not");
	ok(!throttle_parse_limit("5/60s", &l), "trailing garbage does not");
	l = throttle_limit_of(THROTTLE_LOGIN, THROTTLE_ACCOUNT);
	ok(l.max == 3 && l.window == 7, "CWC_THROTTLE_LOGIN sets the login limit");
	l = throttle_limit_of(THROTTLE_LOGIN, THROTTLE_IP);
	ok(l.max == 50 && l.window == 7, "CWC_THROTTLE_LOGIN_IP overrides it per address");
	l = throttle_limit_of(THROTTLE_FORGOT, THROTTLE_IP);
	ok(l.max == 5 && l.window == 3600, "defaults: forgot-password 5/3600");

	/* roles */
	is_int(account_role_from_slug("staff"), ROLE_STAFF, "slug staff → ROLE_STAFF");
	is_int(account_role_from_slug("Staff"), ROLE_PUBLIC, "slugs are exact");
	is_str(account_role_slug(ROLE_DEV), "dev", "ROLE_DEV → dev");
	ok(account_role_slug(ROLE_PUBLIC) == NULL, "ROLE_PUBLIC has no slug");
}

/* ---- on a store ------------------------------------------------------- */

static int64_t count(store_t *st, const char *coll, bson_t *filter)
{
	int64_t n = -1;

	store_count(st, coll, filter, &n, NULL);
	if (filter)
		bson_destroy(filter);
	return n;
}

static bool outbox_mentions(store_t *st, const char *needle)
{
	store_cursor_t *cur = store_find(st, "outbox", NULL, NULL, NULL);
	const bson_t *doc;
	bool found = false;

	while (cur && store_cursor_next(cur, &doc)) {
		char *json = bson_as_relaxed_extended_json(doc, NULL);
		if (json && strstr(json, needle))
			found = true;
		bson_free(json);
	}
	if (cur)
		store_cursor_destroy(cur);
	return found;
}

static void fill_input(struct account_input *in, const char *email, const char *pw)
{
	memset(in, 0, sizeof *in);
	snprintf(in->email, sizeof in->email, "%s", email);
	snprintf(in->password, sizeof in->password, "%s", pw);
	in->password_len = strlen(pw);
	snprintf(in->given_name, sizeof in->given_name, "Ana");
	in->present = AF_EMAIL | AF_PASSWORD | AF_GIVEN_NAME;
}

/* `out` is always a valid document afterwards (destroy it once at the end). */
static bool user_of(store_t *st, const char *email, bson_t *out)
{
	bool found = false;

	bson_destroy(out);
	if (!account_find_by_email(st, email, out, &found, NULL)) {
		bson_init(out);
		return false;
	}
	return found;
}

/* Runs the authenticate hook on a request with `cookie`. */
static int authenticate(const char *method, const char *cookie, const char *origin,
			bool *signed_in, int *status)
{
	struct fake f;
	char c[256], o[256];
	struct http_req *r;
	int role;

	snprintf(c, sizeof c, "HTTP_COOKIE=%s", cookie);
	snprintf(o, sizeof o, "HTTP_ORIGIN=%s", origin ? origin : "");
	r = fake_req(&f, "site", method, c, origin ? o : NULL, NULL);
	auth_authenticate(r);
	*signed_in = auth_session(r) != NULL;
	*status = r->finished ? r->status : 0;
	role = r->role;
	http_req_free(r);
	return role;
}

static void test_store(store_t *st)
{
	struct account_input in;
	struct err e = { 0 };
	char raw[ACCOUNT_TOKEN_HEX + 1], raw2[ACCOUNT_TOKEN_HEX + 1], th[65];
	struct mail_rendered mr = { 0 };
	char errbuf[256] = "";
	char sess1[65], sess2[65], cookie[128], h1[65];
	int64_t now = account_now_ms();
	bson_oid_t uid, rid;
	bson_t user = BSON_INITIALIZER;
	bool found, signed_in;
	int role, status;
	store_error_t se = { 0 };

	/* roles */
	ok(account_ensure_roles(st, now, &se) && account_ensure_roles(st, now, &se),
	   "system roles are ensured, twice");
	is_int(count(st, "roles", NULL), 4, "four roles, no duplicate");
	ok(account_role_id(st, "client", now, &rid, &found, &se) && found, "the client role is found by slug");

	/* register */
	fill_input(&in, "ana@example.com", "first-pass-1");
	ok(account_register(st, &in, now, &uid, raw, &e), "register (%s)", e.message);
	ok(user_of(st, "ana@example.com", &user), "the account exists");
	ok(account_is_pending(&user), "pending activation");
	account_token_hash(raw, strlen(raw), th);
	is_str(doc_str(&user, "activationToken"), th, "the store keeps the token's hash");
	{
		char *j = bson_as_relaxed_extended_json(&user, NULL);
		ok(j && !strstr(j, raw), "and never the raw token");
		bson_free(j);
	}
	ok(account_user_role(st, &user, &role, &se) && role == ROLE_CLIENT, "role client");
	ok(password_scheme(doc_str(&user, "password")) == PASSWORD_ARGON2ID,
	   "the password is stored as Argon2id");
	ok(outbox_mentions(st, raw), "the activation mail carries the raw token");
	ok(outbox_mentions(st, "/auth/activate-account?token="), "in the activation link");
	ok(!account_register(st, &in, now, NULL, NULL, &e) && e.status == 409 &&
	   strcmp(e.code, "email_taken") == 0, "the same email again: 409 email_taken");
	account_input_clear(&in);

	/* activation: 48 h, once */
	ok(!account_activate(st, raw, strlen(raw), NULL, 0, now + 49 * HOUR, NULL, &e) &&
	   e.status == 410 && strcmp(e.code, "token_expired") == 0,
	   "activation after 49 h: 410 token_expired");
	ok(strstr(e.message, "new one") != NULL, "pointing to a new link (%s)", e.message);
	ok(!account_activate(st, "0123", 4, NULL, 0, now, NULL, &e) && e.status == 410,
	   "a malformed token: 410");
	ok(account_activate(st, raw, strlen(raw), NULL, 0, now + 47 * HOUR, NULL, &e),
	   "activation after 47 h works (%s)", e.message);
	ok(user_of(st, "ana@example.com", &user) && !account_is_pending(&user) &&
	   !doc_str(&user, "activationToken"), "the account is active, the token gone");
	ok(!account_activate(st, raw, strlen(raw), NULL, 0, now + 47 * HOUR, NULL, &e) &&
	   e.status == 410, "the same link twice: 410");
	ok(account_mail_resolve(st, "activation", "ana@example.com", now, &mr, raw2,
				errbuf, sizeof errbuf) == 0 && raw2[0] == '\0',
	   "a new activation link for an active account: nothing to send");

	/* forgot / reset: the request is one insert whoever asks */
	{
		int64_t before = count(st, "outbox", NULL);
		ok(account_request_mail(st, "password_reset", "nobody@example.com", &e) &&
		   account_request_mail(st, "password_reset", "ana@example.com", &e),
		   "forgot-password requests for an unknown and a known address");
		is_int(count(st, "outbox", NULL), before + 2, "one outbox request each");
		is_int(count(st, "outbox", BCON_NEW("request", BCON_BOOL(true),
						    "html", "{", "$exists", BCON_BOOL(false), "}")),
		       2, "both without a body, the same document shape");
		is_int(count(st, "passwordresettokens", NULL), 0, "and no token yet");
	}
	/* forgot / reset: resolved by the sender; 1 h, once */
	ok(account_mail_resolve(st, "password_reset", "nobody@example.com", now, &mr, raw2,
				errbuf, sizeof errbuf) == 0 && raw2[0] == '\0',
	   "resolving it for an unknown email: nothing to send");
	ok(account_mail_resolve(st, "password_reset", "ana@example.com", now, &mr, raw,
				errbuf, sizeof errbuf) == 1 && raw[0],
	   "resolving it for ana makes a token (%s)", errbuf);
	ok(mr.text && strstr(mr.text, "/auth/reset-password?token=") && strstr(mr.text, raw),
	   "the reset mail has the link with the raw token");
	mail_rendered_free(&mr);
	account_token_hash(raw, strlen(raw), th);
	is_int(count(st, "passwordresettokens", BCON_NEW("token", BCON_UTF8(th), "used", BCON_BOOL(false))),
	       1, "stored hashed, unused");
	ok(account_mail_resolve(st, "nonsense", "ana@example.com", now, &mr, NULL,
				errbuf, sizeof errbuf) == -1, "an unknown request: an error");
	ok(session_create(st, &uid, "127.0.0.1", "test", now, sess1, &se) &&
	   session_create(st, &uid, "127.0.0.1", "test", now, sess2, &se), "two sessions");
	ok(!account_reset_password(st, raw, strlen(raw), "second-pass-2", 13, now + 61 * 60000,
				   NULL, &e) && e.status == 410, "reset after 61 min: 410");
	ok(!account_reset_password(st, raw, strlen(raw), "short", 5, now, NULL, &e) &&
	   e.status == 422, "reset with a short password: 422, token kept");
	ok(account_reset_password(st, raw, strlen(raw), "second-pass-2", 13, now + 59 * 60000,
				  NULL, &e), "reset after 59 min works (%s)", e.message);
	ok(!account_reset_password(st, raw, strlen(raw), "third-pass-3", 12, now + 59 * 60000,
				   NULL, &e) && e.status == 410, "the same token twice: 410");
	is_int(count(st, "sessions", BCON_NEW("userId", BCON_OID(&uid))), 0,
	       "every session of the user ended");
	ok(user_of(st, "ana@example.com", &user) &&
	   password_verify("second-pass-2", 13, doc_str(&user, "password"), NULL),
	   "the new password is in force");

	/* password change keeps this session, ends the others */
	ok(session_create(st, &uid, "127.0.0.1", "test", now, sess1, &se) &&
	   session_create(st, &uid, "127.0.0.1", "test", now, sess2, &se), "two sessions again");
	crypto_sha256_hex(sess1, 64, h1);
	ok(!account_change_password(st, &user, "wrong-pass", 10, "fourth-pass-4", 13, h1, now, &e) &&
	   e.status == 401 && strcmp(e.code, "bad_credentials") == 0,
	   "a wrong current password: 401 bad_credentials");
	ok(account_change_password(st, &user, "second-pass-2", 13, "fourth-pass-4", 13, h1, now, &e),
	   "password change (%s)", e.message);
	is_int(count(st, "sessions", BCON_NEW("userId", BCON_OID(&uid))), 1,
	       "only the current session is left");
	is_int(count(st, "sessions", BCON_NEW("sessionToken", BCON_UTF8(h1))), 1, "and it is this one");

	/* the authenticate hook */
	snprintf(cookie, sizeof cookie, "cwc_session=%s", sess1);
	role = authenticate("GET", cookie, NULL, &signed_in, &status);
	ok(signed_in && role == ROLE_CLIENT, "a live session cookie signs in, as client");
	role = authenticate("POST", cookie, "https://evil.example", &signed_in, &status);
	is_int(status, 403, "a cross-origin POST with the cookie is refused");
	snprintf(cookie, sizeof cookie, "cwc_session=%s", sess2);
	authenticate("GET", cookie, NULL, &signed_in, &status);
	ok(!signed_in && status == 0, "an ended session is signed out");
	authenticate("GET", "cwc_session=not-a-token", NULL, &signed_in, &status);
	ok(!signed_in && status == 0, "a forged cookie is signed out");
	{
		char fake_raw[65], fake_hash[65];
		crypto_random_hex(fake_raw, 32);
		crypto_sha256_hex(fake_raw, 64, fake_hash);
		bson_t *doc = BCON_NEW("sessionToken", BCON_UTF8(fake_hash), "userId", BCON_OID(&uid),
				       "expires", BCON_DATE_TIME(now - 1000),
				       "createdAt", BCON_DATE_TIME(now - 1000));
		ok(store_insert_one(st, "sessions", doc, NULL, &se), "an expired session");
		bson_destroy(doc);
		snprintf(cookie, sizeof cookie, "cwc_session=%s", fake_raw);
		authenticate("GET", cookie, NULL, &signed_in, &status);
		ok(!signed_in, "does not sign in");
	}

	/* legacy admins */
	{
		bson_oid_t aid;
		enum account_import_outcome out;
		bson_t *admin;
		static const char bcrypt_secret[] =
			"$2b$10$Zk435EM2VxeVCLpsmD4lOesBHTncmgIEAtrwsC5uQO7O6wA1wOG..";

		bson_oid_init(&aid, NULL);
		admin = BCON_NEW("_id", BCON_OID(&aid), "email", BCON_UTF8("Boss@Example.com"),
				 "password", BCON_UTF8(bcrypt_secret),
				 "dashboardPin", BCON_UTF8(bcrypt_secret),
				 "role", BCON_UTF8("admin"), "givenName", BCON_UTF8("Léa"));
		ok(account_import_admin(st, admin, now, &out, &se) && out == ACCOUNT_IMPORTED,
		   "a legacy admin is imported");
		ok(account_import_admin(st, admin, now, &out, &se) && out == ACCOUNT_ALREADY_THERE,
		   "twice: left as it is");
		bson_destroy(admin);
		ok(user_of(st, "boss@example.com", &user), "under its lower-cased email");
		{
			bson_oid_t got;
			ok(doc_oid(&user, "_id", &got) && bson_oid_equal(&got, &aid), "keeping its _id");
		}
		is_str(doc_str(&user, "password"), bcrypt_secret, "and its bcrypt hash");
		ok(doc_str(&user, "dashboardPin") != NULL, "and its dashboard PIN");
		ok(account_user_role(st, &user, &role, &se) && role == ROLE_ADMIN, "role admin, by slug");
		ok(!account_is_pending(&user), "active");
	
		admin = BCON_NEW("_id", BCON_UTF8("not-an-oid"), "email", BCON_UTF8("x@example.com"));
		ok(account_import_admin(st, admin, now, &out, &se) && out == ACCOUNT_IMPORT_INVALID,
		   "a document without an ObjectId is skipped");
		bson_destroy(admin);
		bson_oid_init(&aid, NULL);
		admin = BCON_NEW("_id", BCON_OID(&aid), "email", BCON_UTF8("ana@example.com"),
				 "role", BCON_UTF8("dev"));
		ok(account_import_admin(st, admin, now, &out, &se) && out == ACCOUNT_ALREADY_THERE,
		   "an admin whose email is a user's already: left as it is");
		bson_destroy(admin);
	}

	/* deletion */
	ok(account_delete(st, &uid, now, &e), "delete the account");
	ok(!user_of(st, "ana@example.com", &user), "its email is gone");
	{
		bson_t *f = BCON_NEW("_id", BCON_OID(&uid));
		bson_t doc = BSON_INITIALIZER;
		char hex[25], want[64];
		found = false;
		store_find_one(st, "users", f, NULL, &doc, &found, NULL);
		bson_oid_to_string(&uid, hex);
		snprintf(want, sizeof want, "deleted-%s@deleted.invalid", hex);
		ok(found, "the document stays (bookings point at it)");
		is_str(doc_str(&doc, "email"), want, "with an anonymous email");
		ok(!doc_str(&doc, "password") && !doc_str(&doc, "givenName"),
		   "no password, no name");
		ok(account_is_deleted(&doc), "deletedAt set");
		bson_destroy(&doc);
		bson_destroy(f);
	}
	is_int(count(st, "sessions", BCON_NEW("userId", BCON_OID(&uid))), 0, "no session left");
	snprintf(cookie, sizeof cookie, "cwc_session=%s", sess1);
	authenticate("GET", cookie, NULL, &signed_in, &status);
	ok(!signed_in, "the old cookie is signed out");

	bson_destroy(&user);
}

/* ---- the endpoints, through the dispatcher ----------------------------- */

static void h_login(struct http_req *r)
{
	auth_login(r, ROLE_CLIENT);
}

static void h_admin_login(struct http_req *r)
{
	auth_login(r, ROLE_STAFF);
}

static const struct route routes[] = {
	{ HTTP_POST, "/api/auth/login", h_login, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/admin/login", h_admin_login, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/logout", auth_logout, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/api/auth/session", auth_session_get, ROLE_CLIENT, 0 },
};

static const struct app app = {
	.service = "site",
	.base_url = site_url,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
	.authenticate = auth_authenticate,
};

struct resp {
	int status;
	char cookie[65];      /* the cwc_session set, "" when none */
	bool cleared;         /* a cwc_session=; Max-Age=0 */
	char body[1024];
};

static struct resp call(const char *method, const char *uri, const char *body,
			const char *cookie)
{
	struct fake f;
	struct resp out = { 0 };
	char m[32], u[256], cl[64], c[128];
	const char *sc, *b;

	memset(&f, 0, sizeof f);
	snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof u, "REQUEST_URI=%s", uri);
	snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
	fake_env(&f, m);
	fake_env(&f, u);
	fake_env(&f, cl);
	fake_env(&f, "CONTENT_TYPE=application/json");
	fake_env(&f, "HTTP_ORIGIN=http://localhost:18080");
	fake_env(&f, "REMOTE_ADDR=127.0.0.1");
	if (cookie) {
		snprintf(c, sizeof c, "HTTP_COOKIE=cwc_session=%s", cookie);
		fake_env(&f, c);
	}
	if (http_req_init(&f.req, f.env)) {
		if (!body || http_req_read_body(&f.req, body, strlen(body)))
			route_dispatch(&app, &f.req);
	}
	out.status = f.req.status;
	if (f.req.out.data) {
		sc = strstr(f.req.out.data, "Set-Cookie: cwc_session=");
		if (sc && sscanf(sc, "Set-Cookie: cwc_session=%64[0-9a-f]", out.cookie) != 1)
			out.cookie[0] = '\0';
		out.cleared = sc && strstr(sc, "cwc_session=;") == sc + 12 &&
			      strstr(sc, "Max-Age=0");
		b = strstr(f.req.out.data, "\r\n\r\n");
		snprintf(out.body, sizeof out.body, "%s", b ? b + 4 : "");
	}
	http_req_free(&f.req);
	return out;
}

static void test_endpoints(store_t *st)
{
	struct err e = { 0 };
	struct account_input in;
	store_error_t se = { 0 };
	struct resp r, r2;
	bson_t user = BSON_INITIALIZER;
	bson_oid_t id;
	int64_t now = account_now_ms(), before = 0, after = 0;
	char first[65];

	ok(account_create_active(st, "cli@example.com", "client-pass-1", 13, "client", "Cli",
				 now, &id, &e), "an active client (%s)", e.message);
	ok(account_create_active(st, "team@example.com", "staff-pass-1", 12, "staff", NULL,
				 now, NULL, &e), "an active staff member");
	ok(!account_create_active(st, "cli@example.com", "client-pass-1", 13, "client", NULL,
				  now, NULL, &e) && e.status == 409, "create twice: 409");

	r = call("POST", "/api/auth/login", "{\"email\":\"cli@example.com\",\"password\":\"nope-nope\"}", NULL);
	r2 = call("POST", "/api/auth/login", "{\"email\":\"ghost@example.com\",\"password\":\"nope-nope\"}", NULL);
	is_int(r.status, 401, "a wrong password: 401");
	ok(strstr(r.body, "bad_credentials") != NULL, "bad_credentials");
	is_int(r2.status, 401, "an unknown email: 401");
	is_str(r2.body, r.body, "the same answer for both");
	ok(!r.cookie[0], "no cookie");

	r = call("POST", "/api/auth/login", "{\"email\":\" CLI@example.com\",\"password\":\"client-pass-1\"}", NULL);
	is_int(r.status, 200, "login: 200");
	is_int(strlen(r.cookie), 64, "a 64-hex-digit session cookie");
	ok(strstr(r.body, "\"role\":\"client\"") && strstr(r.body, "\"givenName\":\"Cli\""),
	   "the user with its role (%s)", r.body);
	snprintf(first, sizeof first, "%s", r.cookie);
	r = call("GET", "/api/auth/session", NULL, first);
	is_int(r.status, 200, "session: 200");
	ok(strstr(r.body, "cli@example.com") != NULL, "naming the user");

	store_count(st, "sessions", NULL, &before, NULL);
	r = call("POST", "/api/auth/login", "{\"email\":\"cli@example.com\",\"password\":\"client-pass-1\"}", first);
	store_count(st, "sessions", NULL, &after, NULL);
	ok(r.status == 200 && r.cookie[0] && strcmp(r.cookie, first) != 0,
	   "a login from a signed-in browser gets a new token");
	is_int(after, before, "and its previous session ends");
	is_int(call("GET", "/api/auth/session", NULL, first).status, 401, "the old cookie: 401");

	r2 = call("POST", "/api/auth/logout", NULL, r.cookie);
	is_int(r2.status, 204, "logout: 204");
	ok(r2.cleared, "clears the cookie");
	is_int(call("GET", "/api/auth/session", NULL, r.cookie).status, 401, "then the session is gone");
	is_int(call("POST", "/api/auth/logout", NULL, NULL).status, 204, "logout signed out: 204 too");

	r = call("POST", "/admin/login", "{\"email\":\"cli@example.com\",\"password\":\"client-pass-1\"}", NULL);
	is_int(r.status, 403, "the admin login refuses a client");
	ok(strstr(r.body, "forbidden") && !r.cookie[0], "forbidden, no session");
	r = call("POST", "/admin/login", "{\"email\":\"team@example.com\",\"password\":\"staff-pass-1\"}", NULL);
	is_int(r.status, 200, "and admits staff");

	fill_input(&in, "fresh@example.com", "fresh-pass-1");
	ok(account_register(st, &in, now, NULL, NULL, &e), "a registered, not activated account");
	account_input_clear(&in);
	r = call("POST", "/api/auth/login", "{\"email\":\"fresh@example.com\",\"password\":\"fresh-pass-1\"}", NULL);
	is_int(r.status, 403, "cannot sign in: 403");
	ok(strstr(r.body, "not_activated") != NULL, "not_activated");
	r = call("POST", "/api/auth/login", "{\"email\":\"fresh@example.com\",\"password\":\"wrong-pass-1\"}", NULL);
	is_int(r.status, 401, "with a wrong password it is 401 (nothing revealed)");

	/* a legacy account: bcrypt, then Argon2id */
	{
		bson_t *doc = BCON_NEW("email", BCON_UTF8("old@example.com"),
				       "password", BCON_UTF8("$2b$10$Zk435EM2VxeVCLpsmD4lOesBHTncmgIEAtrwsC5uQO7O6wA1wOG.."),
				       "givenName", BCON_UTF8("Ancien"));
		ok(store_insert_one(st, "users", doc, NULL, &se),
		   "an account of the original system (no role, no activation fields)");
		bson_destroy(doc);
	}
	r = call("POST", "/api/auth/login", "{\"email\":\"old@example.com\",\"password\":\"secret\"}", NULL);
	is_int(r.status, 200, "signs in with its bcrypt password");
	ok(strstr(r.body, "\"role\":\"client\"") != NULL, "as client (no role: the lowest)");
	ok(user_of(st, "old@example.com", &user) &&
	   password_scheme(doc_str(&user, "password")) == PASSWORD_ARGON2ID,
	   "its hash is now Argon2id");
	ok(password_verify("secret", 6, doc_str(&user, "password"), NULL), "of the same password");
	ok(user_of(st, "old@example.com", &user) && bson_has_field(&user, "lastLoginAt"),
	   "lastLoginAt is set");

	r = call("POST", "/api/auth/login", "{\"email\":\"cli@example.com\"", NULL);
	is_int(r.status, 400, "truncated JSON: 400");
	r = call("POST", "/api/auth/login", "{\"email\":\"cli@example.com\",\"password\":7}", NULL);
	is_int(r.status, 400, "a number as password: 400");
	ok(strstr(r.body, "\"field\":\"password\"") != NULL, "naming password");
	bson_destroy(&user);
}

int main(void)
{
	char err[256], dir[] = "/tmp/cwc-unit-auth-XXXXXX";
	store_error_t se = { 0 };
	store_t *st;

	if (!mkdtemp(dir))
		return 1;
	setenv("CWC_ENV_FILE", "/dev/null", 1);
	setenv("CWC_DATA_DIR", dir, 1);
	unsetenv("MONGODB_URI");
	setenv("NEXTAUTH_URL", "http://localhost:18080", 1);
	setenv("CWC_ADMIN_URL", "http://localhost:18081", 1);
	setenv("CORS_ORIGINS", "http://localhost:18080,https://partner.example", 1);
	setenv("CWC_THROTTLE_LOGIN", "3/7", 1);
	setenv("CWC_THROTTLE_LOGIN_IP", "50/7", 1);
	setenv("REDIS_URL", "redis://127.0.0.1:1/0", 1);
	log_init("test", "error");
	if (!ok(cfg_load(err, sizeof err), "config loads (%s)", err))
		return tap_done();

	test_helpers();

	st = conn_store(&se);
	if (ok(st != NULL && store_ensure_indexes(st, &se),
	       "the embedded store opens, with its indexes (%s)", se.message))
		test_store(st);
	if (st)
		test_endpoints(st);

	auth_release();
	conn_close();
	cfg_free();
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return tap_done();
}
