/*
 * Request parsing, routing and the error shape, driven through
 * server_handle() with FastCGI params as Caddy sends them.
 */
#include "account/api.h"
#include "account/role.h"
#include "core/config.h"
#include "web/http.h"
#include "core/log.h"
#include "web/route.h"
#include "web/server.h"
#include "tap.h"

#include <stdlib.h>

static void echo_id(struct http_req *req)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(http_param(req, "id")));
	json_object_object_add(o, "q", json_object_new_string(http_query(req, "q") ? http_query(req, "q") : ""));
	json_object_object_add(o, "sid", json_object_new_string(http_cookie(req, "sid") ? http_cookie(req, "sid") : ""));
	http_send_json(req, 200, o);
}

static void echo_json(struct http_req *req)
{
	http_send_json(req, 201, json_object_get(req->json));
}

static void secret(struct http_req *req)
{
	http_send_json(req, 200, json_object_new_object());
}

static void fake_auth(struct http_req *req)
{
	const char *role = http_cookie(req, "role");

	if (role) {
		static const struct auth_session someone;

		req->session = &someone;
		req->role = atoi(role);
	}
}

static void no_response(struct http_req *req)
{
}

static const struct route routes[] = {
	{ HTTP_GET | HTTP_DELETE, "/api/bookings/:id", echo_id, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/echo", echo_json, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_GET, "/api/staff", secret, ROLE_STAFF, 0 },
	{ HTTP_GET, "/api/broken", no_response, ROLE_PUBLIC, 0 },
};

static const struct app app = {
	.service = "test",
	.routes = routes,
	.nroutes = sizeof routes / sizeof *routes,
	.authenticate = fake_auth,
};

struct result {
	int status;
	char *out;      /* the whole FastCGI response */
	json_object *json;
};

static struct result run(const char *method, const char *uri, const char *body,
			 const char *extra1, const char *extra2)
{
	char m[64], u[512], cl[64];
	char *env[8] = { 0 };
	int n = 0;
	struct http_req req;
	struct result r = { 0 };

	snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof u, "REQUEST_URI=%s", uri);
	snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", body ? strlen(body) : 0);
	env[n++] = m;
	env[n++] = u;
	env[n++] = cl;
	if (extra1)
		env[n++] = (char *)extra1;
	if (extra2)
		env[n++] = (char *)extra2;

	/* the pipeline reads the body from FastCGI; give it directly */
	if (http_req_init(&req, env)) {
		if (body && !http_req_read_body(&req, body, strlen(body)))
			goto done;
		route_dispatch(&app, &req);
	}
done:
	r.status = req.status;
	r.out = strdup(req.out.data ? req.out.data : "");
	{
		char *b = strstr(r.out, "\r\n\r\n");
		if (b && b[4] == '{')
			r.json = json_tokener_parse(b + 4);
	}
	http_req_free(&req);
	return r;
}

static const char *jstr(json_object *o, const char *a, const char *b)
{
	json_object *x = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (b && !json_object_object_get_ex(x, b, &x))
		return NULL;
	return json_object_get_string(x);
}

static void result_free(struct result *r)
{
	free(r->out);
	json_object_put(r->json);
}

/* A JSON body given in memory (`len` bytes), parsed as the pipeline does;
 * the finished response's body, or "" when it parsed. Caller frees. */
static char *parse_body(const char *body, size_t len)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/api/echo", NULL };
	struct http_req req;
	char *out;

	http_req_init(&req, env);
	if (http_req_read_body(&req, body, len))
		http_req_parse_json(&req);
	out = strdup(req.out.data && strstr(req.out.data, "\r\n\r\n")
		     ? strstr(req.out.data, "\r\n\r\n") + 4 : "");
	http_req_free(&req);
	return out;
}

/* Inputs the fuzz targets of t/fuzz/ found wrong once. */
static void test_fuzz_findings(void)
{
	struct result r;
	char *out;

	/* a NUL after the value: the body is all `len` bytes, not a C string */
	out = parse_body("{} \0 x", 6);
	ok(strstr(out, "\"bad_json\"") != NULL, "a NUL after the JSON value is bad_json");
	free(out);

	/* the member quoted in the message is cut at 64 bytes, inside an 'é' */
	{
		char body[256];
		int n = snprintf(body, sizeof body, "{\"%.63s\xc3\xa9\":\"\xff\"}",
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		out = parse_body(body, (size_t)n);
		ok(strstr(out, "\"bad_json\"") != NULL && http_utf8_valid(out, strlen(out)),
		   "an error naming a long member is still UTF-8 (%.80s)", out);
		free(out);
	}

	/* a field named after the input is UTF-8 even when the input is not */
	r = run("GET", "/api/bookings/1?q=1&p\xe1ge%2=x", NULL, NULL, NULL);
	ok(r.status == 400 && http_utf8_valid(r.out, strlen(r.out)),
	   "an error naming a query parameter that is not UTF-8 is UTF-8 (%d)", r.status);
	result_free(&r);
	out = parse_body("{\"caf\xe9\\u0000\":1}", 16);
	ok(strstr(out, "\"bad_json\"") != NULL && http_utf8_valid(out, strlen(out)),
	   "an error naming a member that is not UTF-8 is UTF-8 (%.80s)", out);
	free(out);

	/* the relay reads cookies the same way (relay_auth_cookie_value) */
	r = run("GET", "/api/bookings/1", NULL, "HTTP_COOKIE=sid=s3 \t; a=1", NULL);
	is_str(jstr(r.json, "sid", NULL), "s3", "blanks after a cookie value are not part of it");
	result_free(&r);
	r = run("GET", "/api/bookings/1", NULL, "HTTP_COOKIE=a=1;\tsid=\"s3\" ", NULL);
	is_str(jstr(r.json, "sid", NULL), "s3", "a tab before a cookie, blanks after a quoted value");
	result_free(&r);
}

int main(void)
{
	char err[256];
	struct result r;

	setenv("CWC_ENV_FILE", "/dev/null", 1);
	setenv("CWC_DATA_DIR", "/tmp/cwc-unit-http", 1);
	setenv("CORS_ORIGINS", "https://www.example.com, https://admin.example.com", 1);
	setenv("CWC_MAX_BODY", "2048", 1);
	log_init("test", "error");
	ok(cfg_load(err, sizeof err), "config loads (%s)", err);

	r = run("GET", "/api/bookings/abc%20d?q=caf%C3%A9&x=1", NULL, "HTTP_COOKIE=a=1; sid=\"s3\"", NULL);
	is_int(r.status, 200, "path parameter route matches");
	is_str(jstr(r.json, "id", NULL), "abc d", "path parameter is decoded");
	is_str(jstr(r.json, "q", NULL), "café", "query parameter is decoded");
	is_str(jstr(r.json, "sid", NULL), "s3", "cookie is parsed and unquoted");
	ok(strstr(r.out, "X-Request-Id: ") != NULL, "response carries a request id");
	result_free(&r);

	r = run("GET", "/api/bookings/1/extra", NULL, NULL, NULL);
	is_int(r.status, 404, "an unknown API path is 404");
	is_str(jstr(r.json, "error", "code"), "not_found", "404 has the error shape");
	ok(jstr(r.json, "error", "message") != NULL, "404 has a message");
	result_free(&r);

	r = run("PUT", "/api/bookings/7", NULL, NULL, NULL);
	is_int(r.status, 405, "a known path with another method is 405");
	ok(strstr(r.out, "Allow: GET, HEAD, DELETE, OPTIONS\r\n") != NULL, "405 lists Allow");
	is_str(jstr(r.json, "error", "code"), "method_not_allowed", "405 code");
	result_free(&r);

	r = run("BREW", "/api/bookings/7", NULL, NULL, NULL);
	is_int(r.status, 405, "an unknown method is 405");
	result_free(&r);

	r = run("GET", "/api/bookings/%zz", NULL, NULL, NULL);
	is_int(r.status, 400, "malformed percent-encoding in the path is 400");
	is_str(jstr(r.json, "error", "code"), "bad_request", "400 code");
	result_free(&r);

	r = run("GET", "/api/bookings/a%00b", NULL, NULL, NULL);
	is_int(r.status, 400, "an encoded NUL is refused");
	result_free(&r);

	r = run("GET", "/api/bookings/1?q=%G1", NULL, NULL, NULL);
	is_int(r.status, 400, "malformed percent-encoding in the query is 400");
	result_free(&r);

	r = run("POST", "/api/echo", "{\"a\": [1, 2]}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 201, "a JSON body reaches the handler");
	ok(r.json && json_object_is_type(r.json, json_type_object), "and is echoed back");
	result_free(&r);

	r = run("POST", "/api/echo", "{\"a\": [1, 2}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "bad JSON is 400");
	is_str(jstr(r.json, "error", "code"), "bad_json", "bad_json code");
	ok(jstr(r.json, "error", "message") && strstr(jstr(r.json, "error", "message"), "byte 11"),
	   "the message gives the position (%s)", jstr(r.json, "error", "message"));
	result_free(&r);

	r = run("POST", "/api/echo", "{\"a\": \"\xc3\x28\"}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "invalid UTF-8 in JSON is 400");
	result_free(&r);

	r = run("POST", "/api/echo", "[1,2]", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "a JSON array where an object is expected is 400");
	result_free(&r);

	r = run("POST", "/api/echo", "{} x", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "trailing garbage after JSON is 400");
	result_free(&r);

	{
		char big[4096];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		r = run("POST", "/api/echo", big, "CONTENT_TYPE=application/json", NULL);
		is_int(r.status, 413, "a body over CWC_MAX_BODY is 413");
		is_str(jstr(r.json, "error", "code"), "payload_too_large", "413 code");
		result_free(&r);
	}

	r = run("POST", "/api/echo", "a=1", "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	is_int(r.status, 415, "a form body on a JSON route is 415");
	result_free(&r);

	r = run("GET", "/api/staff", NULL, NULL, NULL);
	is_int(r.status, 401, "a staff route without a session is 401");
	result_free(&r);
	r = run("GET", "/api/staff", NULL, "HTTP_COOKIE=role=1", NULL);
	is_int(r.status, 403, "a staff route with a client session is 403");
	result_free(&r);
	r = run("GET", "/api/staff", NULL, "HTTP_COOKIE=role=2", NULL);
	is_int(r.status, 200, "a staff route with a staff session is 200");
	result_free(&r);

	r = run("OPTIONS", "/api/bookings/1", NULL, "HTTP_ORIGIN=https://www.example.com",
		"HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE");
	is_int(r.status, 204, "preflight from an allowed origin is 204");
	ok(strstr(r.out, "Access-Control-Allow-Origin: https://www.example.com\r\n") != NULL,
	   "preflight echoes the origin");
	ok(strstr(r.out, "Access-Control-Allow-Methods: GET, DELETE, OPTIONS\r\n") != NULL,
	   "preflight lists the route's methods");
	ok(strstr(r.out, "Access-Control-Allow-Headers: ") != NULL, "preflight lists headers");
	result_free(&r);

	r = run("OPTIONS", "/api/bookings/1", NULL, "HTTP_ORIGIN=https://evil.example",
		"HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE");
	is_int(r.status, 403, "preflight from another origin is refused");
	ok(strstr(r.out, "Access-Control-") == NULL, "with no CORS headers");
	result_free(&r);

	r = run("GET", "/api/bookings/1", NULL, "HTTP_ORIGIN=https://admin.example.com", NULL);
	ok(strstr(r.out, "Access-Control-Allow-Origin: https://admin.example.com\r\n") != NULL,
	   "a simple request from an allowed origin gets CORS headers");
	result_free(&r);
	r = run("GET", "/api/bookings/1", NULL, "HTTP_ORIGIN=https://evil.example", NULL);
	ok(strstr(r.out, "Access-Control-") == NULL, "another origin gets none");
	result_free(&r);

	r = run("GET", "/api/broken", NULL, NULL, NULL);
	is_int(r.status, 500, "a handler that answers nothing gives 500");
	ok(strstr(r.out, "internal") != NULL, "with the internal code and no detail");
	result_free(&r);

	r = run("GET", "relative", NULL, NULL, NULL);
	is_int(r.status, 400, "a request URI that is not a path is 400");
	result_free(&r);

	{
		char *dec = http_percent_decode("a+b%41", 6, true);
		is_str(dec, "a bA", "form decoding turns + into a space");
		free(dec);
		ok(http_percent_decode("%4", 2, false) == NULL, "a truncated escape is refused");
	}

	{
		/* every way a browser could read a "next" as another origin */
		static const char *const away[] = {
			"//evil.example", "/\\evil.example", "\\/evil.example",
			"/\t/evil.example", "/\n/evil.example", "/\r/evil.example",
			" /evil.example", "/ /evil.example", "https://evil.example",
			"http:/evil.example", "javascript:alert(1)", "evil.example", "",
			"/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example",
			"/%09/evil.example", "/%0a/evil.example", "/%252F%252Fevil.example",
			"/%25252F%25252Fevil.example", "/%", "/%zz", "/\x7f/evil.example",
			"/\xc0\xaf" "evil.example", "/\xff",
		};
		static const char *const here[] = {
			"/", "/dashboard/messages", "/messages?c=1&x=%C3%A9",
			"/caf\xc3\xa9/r\xc3\xa9servations", "/a/b.c#part", "/%C3%A9t%C3%A9",
		};
		for (size_t i = 0; i < sizeof away / sizeof *away; i++)
			is_str(http_return_path(away[i], "/home"), "/home",
			       "next %zu leaving the site gives the default", i);
		for (size_t i = 0; i < sizeof here / sizeof *here; i++)
			is_str(http_return_path(here[i], "/home"), here[i],
			       "local path %s is kept", here[i]);
		is_str(http_return_path(NULL, "/home"), "/home", "no next: the default");
	}

	r = run("POST", "/api/echo", "{\"a\": {\"b\": [\"x\\u0000y\"]}}",
		"CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "a NUL in a nested value is refused");
	is_str(jstr(r.json, "error", "field"), "a", "naming the top-level member");
	result_free(&r);
	r = run("POST", "/api/echo", "{\"content\\u0000x\": 1}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "a NUL in a member name is refused");
	ok(r.json && strstr(r.out, "\"field\":\"content\\u0000x\""), "naming it whole");
	result_free(&r);
	r = run("POST", "/api/echo", "{\"a\": {\"k\\u0000\": 1}}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "a NUL in a nested member name is refused");
	is_str(jstr(r.json, "error", "field"), "a", "naming the top-level member");
	result_free(&r);
	/* json-c takes 'name' even in strict mode; a quote inside one once
	 * put the NUL search out of step and named the wrong member */
	r = run("POST", "/api/echo", "{\"t\": {'~\"': 0, \"u\": 1}, \"k\\u0000\": 1}",
		"CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "a member name in single quotes is refused");
	is_str(jstr(r.json, "error", "code"), "bad_json", "as bad JSON");
	ok(r.json && !strstr(r.out, "\"field\""), "naming no member");
	result_free(&r);
	r = run("POST", "/api/echo", "{'a': 1}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 400, "a top-level name in single quotes is refused");
	result_free(&r);
	r = run("POST", "/api/echo", "{\"a\": \"it's\"}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 201, "a single quote inside a string is text");
	result_free(&r);
	r = run("POST", "/api/echo", "{\"a\": \"\\\\u0000 is text\"}", "CONTENT_TYPE=application/json", NULL);
	is_int(r.status, 201, "an escaped backslash before u0000 is text, not a NUL");
	result_free(&r);
	r = run("GET", "/api/bookings/1?q=a%00b", NULL, NULL, NULL);
	is_int(r.status, 400, "an encoded NUL in a query value is refused");
	is_str(jstr(r.json, "error", "field"), "q", "naming the parameter");
	result_free(&r);

	test_fuzz_findings();

	cfg_free();
	return tap_done();
}
