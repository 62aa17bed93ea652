/*
 * session.c — fuzz target: who a request is signed in as. The apps'
 * cookie parser (common/web/http.c), the session token check and lookup
 * and the CSRF origin rule of auth_authenticate() (common/account/api.c),
 * and the relay's own reading of the same Cookie header
 * (relay_auth_cookie_value() + relay_auth_session_user(), ws-relay/).
 *
 * Input: a raw HTTP/1 request (fuzz.h); `Host: admin…` makes it the admin
 * app's. The store is an embedded one in a temporary directory holding
 * one live session, whose cookie is FUZZ_TOKEN (in the seed corpus).
 *
 * Checks: a request is signed in only with exactly that token, as that
 * client; a refusal is the 403 `bad_origin` and only for a state-changing
 * method; the relay signs in the same Cookie header exactly when the app
 * does (one browser, one answer).
 */
#include "fuzz.h"
#include "account/api.h"
#include "relay_auth.h"
#include "account/role.h"
#include "web/route.h"

static store_t *st;

static const char *site_url(void)
{
	return cfg->site_url;
}

static const char *admin_url(void)
{
	return cfg->admin_url;
}

/* The two apps, as far as authentication looks at them. */
static const struct app site = { .service = "site", .base_url = site_url };
static const struct app admin = { .service = "admin", .base_url = admin_url, .staff = true };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_config();
	st = fuzz_seed_store();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req f;
	const char *body, *cookie, *host, *header, *raw;
	size_t body_len, raw_len = 0;
	struct relay_identity who;
	store_error_t se = { 0 };
	bool relay_found = false;

	fuzz_req_parse(&f, data, size, &body, &body_len);
	if (!http_req_init(&f.req, f.env))
		goto done;
	host = http_header(&f.req, "Host");
	f.req.app = host && strncmp(host, "admin", 5) == 0 ? &admin : &site;
	auth_authenticate(&f.req);
	cookie = http_cookie(&f.req, AUTH_COOKIE);
	if (f.req.finished) {
		fuzz_check(f.req.status == 403 && !f.req.session,
			   "authentication answered %d", f.req.status);
		fuzz_check(f.req.method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE),
			   "a %s refused for its origin", f.req.method_name);
		fuzz_check_response(&f.req);
		goto done;
	}
	if (f.req.session) {
		const struct auth_session *s = auth_session(&f.req);
		fuzz_check(cookie && strcmp(cookie, FUZZ_TOKEN) == 0,
			   "signed in with the cookie %.80s", cookie ? cookie : "(none)");
		fuzz_check(s && strcmp(s->user_id_hex, FUZZ_CLIENT) == 0 &&
			   f.req.role == ROLE_CLIENT, "signed in as someone else");
	} else {
		fuzz_check(!cookie || strcmp(cookie, FUZZ_TOKEN) != 0,
			   "the live session's cookie did not sign in");
	}

	/* the relay, on the same header */
	header = http_header(&f.req, "Cookie");
	raw = header ? relay_auth_cookie_value(header, AUTH_COOKIE, &raw_len) : NULL;
	if (raw) {
		fuzz_check(raw + raw_len <= header + strlen(header),
			   "the relay's cookie value runs past the header");
		if (!relay_auth_session_user(st, raw, raw_len, &who, &relay_found, &se))
			fuzz_fail("the store failed: %s", se.message);
	}
	fuzz_check(relay_found == (f.req.session != NULL),
		   "the relay %s the Cookie header %.200s the app %s",
		   relay_found ? "signs in" : "does not sign in", header ? header : "",
		   f.req.session ? "signs in" : "does not");
	if (relay_found)
		fuzz_check(strcmp(who.user_id, FUZZ_CLIENT) == 0 && who.role == ROLE_CLIENT,
			   "the relay signed in someone else");
done:
	fuzz_req_free(&f);
	return 0;
}
