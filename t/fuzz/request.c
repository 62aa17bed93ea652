/*
 * request.c — fuzz target: a whole request through the apps' pipeline
 * (common/web/http.c: request line, percent-decoding of the path, query
 * and cookie parsing, forms; common/web/route.c: `:params`, 404/405,
 * CORS and preflight, the sign-in redirect of pages, JSON bodies).
 *
 * Input: a raw HTTP/1 request (see fuzz_req_parse() in fuzz.h), served by
 * a route table shaped like the apps' whose handlers only look at what
 * the parsers give them. Nothing reaches a store: the authenticate hook
 * signs in whoever sends the cookie `fuzz-role=<digit>`.
 *
 * Checks: every request ends with one response fuzz_check_response()
 * accepts; path parameters are non-empty, NUL-free and only those the
 * pattern names; a sign-in redirect carries the page's path in `next=`,
 * well percent-encoded (or no `next` when it would not fit).
 */
#include "fuzz.h"
#include "account/api.h"
#include "account/role.h"
#include "web/page.h"
#include "web/route.h"

static void check_params(struct http_req *req)
{
	static const char *const names[] = { "id", "slug", "day" };

	for (size_t i = 0; i < req->paramn; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof names / sizeof *names; k++)
			known |= strcmp(req->paramv[i].key, names[k]) == 0;
		fuzz_check(known, "a path parameter named %.40s", req->paramv[i].key);
		fuzz_check(req->paramv[i].value[0] != '\0', "an empty path parameter");
	}
}

/* Reads what a handler reads, and answers with counts only (a real
 * handler validates before it echoes anything). */
static void handler(struct http_req *req)
{
	json_object *o = json_object_new_object();
	size_t n = 0;

	check_params(req);
	for (size_t i = 0; i < req->queryn; i++)
		n += strlen(req->queryv[i].value) + (http_query(req, req->queryv[i].key) != NULL);
	for (size_t i = 0; i < req->cookien; i++)
		n += strlen(req->cookiev[i].value) + (http_cookie(req, req->cookiev[i].key) != NULL);
	if (req->method == HTTP_POST && !req->json)
		n += http_form(req, "email") != NULL;
	json_object_object_add(o, "params", json_object_new_int((int)req->paramn));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "json", json_object_new_boolean(req->json != NULL));
	http_send_json(req, 200, o);
}

static void fake_auth(struct http_req *req)
{
	const char *role = http_cookie(req, "fuzz-role");

	if (role && role[0] >= '1' && role[0] <= '4' && !role[1]) {
		static const struct auth_session someone;

		req->session = &someone;
		req->role = role[0] - '0';
	}
}

static const struct route routes[] = {
	{ HTTP_GET, "/api/health", handler, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/", handler, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/auth/login", handler, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_GET | HTTP_DELETE, "/api/bookings/:id", handler, ROLE_CLIENT, 0 },
	{ HTTP_GET, "/api/conversations/:id/messages", handler, ROLE_CLIENT, 0 },
	{ HTTP_POST, "/api/conversations/:id/messages", handler, ROLE_CLIENT, ROUTE_JSON },
	{ HTTP_GET, "/api/spaces/:slug/days/:day", handler, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_POST, "/api/webhooks/stripe", handler, ROLE_PUBLIC, ROUTE_RAW_BODY },
	{ HTTP_POST, "/contact", handler, ROLE_PUBLIC, ROUTE_RAW_BODY },
	{ HTTP_GET, "/auth/login", handler, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_GET, "/dashboard/messages", handler, ROLE_CLIENT, ROUTE_PAGE },
	{ HTTP_GET, "/dashboard/:id", handler, ROLE_STAFF, ROUTE_PAGE },
};

static const char *base_url(void)
{
	return cfg->site_url;
}

static const struct app app = {
	.service = "site",
	.base_url = base_url,
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
	.authenticate = fake_auth,
	.not_found = page_not_found,
	.login_path = "/auth/login",
};

/* A 303 to the login page names the page asked for in a `next` that
 * decodes back to its raw path. */
static void check_redirect(struct http_req *req)
{
	const char *loc = strstr(req->out.data, "\r\nLocation: ");
	const char *next, *eol;
	char *path;

	fuzz_check(loc != NULL, "a 303 without Location");
	loc += 12;
	eol = strstr(loc, "\r\n");
	if (eol == loc + 11 && strncmp(loc, "/auth/login", 11) == 0)
		return;   /* a path too long to come back to */
	fuzz_check(strncmp(loc, "/auth/login?next=", 17) == 0,
		   "a sign-in redirect to %.60s", loc);
	next = loc + 17;
	path = http_percent_decode(next, (size_t)(eol - next), false);
	fuzz_check(path != NULL, "next= is not well percent-encoded: %.*s",
		   (int)(eol - next), next);
	fuzz_check(strcmp(path, req->raw_path) == 0,
		   "next= decodes to %.60s, not the page %.60s", path, req->raw_path);
	free(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_config();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req f;
	const char *body;
	size_t body_len;

	fuzz_req_parse(&f, data, size, &body, &body_len);
	if (http_req_init(&f.req, f.env)) {
		fuzz_check(strlen(f.req.path) <= strlen(f.req.raw_path),
			   "the decoded path is longer than the raw one");
		if (body_len && !http_req_read_body(&f.req, body, body_len))
			goto done;
		route_dispatch(&app, &f.req);
		if (f.req.status == 303)
			check_redirect(&f.req);
	}
done:
	fuzz_check_response(&f.req);
	fuzz_req_free(&f);
	return 0;
}
