/*
 * route.c — route matching and the request pipeline. See route.h.
 */
#include "web/route.h"
#include "core/config.h"
#include "core/log.h"
#include "web/page.h"
#include "core/template.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#define ALLOWED_HEADERS "Content-Type, Authorization, X-Requested-With, X-Request-Id"

bool route_match(const char *pattern, const char *raw_path, struct http_req *req)
{
	struct http_kv params[8];
	size_t n = 0;
	const char *p = pattern, *s = raw_path;
	bool ok = false;

	while (*p && *s) {
		if (*p == '/' && *s == '/') {
			p++;
			s++;
			continue;
		}
		size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
		if (*p == ':') {
			if (slen == 0 || n == sizeof params / sizeof *params)
				goto done;
			char *value = http_percent_decode(s, slen, false);
			if (!value)
				goto done;
			params[n].key = strndup(p + 1, plen - 1);
			params[n].value = value;
			n++;
		} else if (plen != slen || strncmp(p, s, plen) != 0) {
			goto done;
		}
		p += plen;
		s += slen;
	}
	ok = *p == '\0' && *s == '\0';
done:
	for (size_t i = 0; i < n; i++) {
		if (ok) {
			req->paramv = realloc(req->paramv, (req->paramn + 1) * sizeof *req->paramv);
			if (!req->paramv)
				abort();
			req->paramv[req->paramn++] = params[i];
		} else {
			free(params[i].key);
			free(params[i].value);
		}
	}
	return ok;
}

bool route_audit_action(const struct route *r, unsigned method, char *out, size_t outlen)
{
	const char *p = r->pattern;
	size_t len = 0;
	bool last_param = false, last_after_param = false, seen_param = false;
	const char *verb = NULL;

	if (strncmp(p, "/api/", 5) == 0)
		p += 5;
	if (outlen == 0)
		return false;
	out[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n > 0 && *p == ':') {
			last_param = seen_param = true;
			last_after_param = false;
		} else if (n > 0) {
			if (len + n + 2 > outlen)
				return false;
			if (len)
				out[len++] = '.';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
			last_after_param = seen_param;
			last_param = false;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (method & (HTTP_GET | HTTP_HEAD))
		verb = "export";     /* a read that is audited: a CSV export */
	else if ((method & (HTTP_PUT | HTTP_PATCH)) || (r->flags & ROUTE_SINGLETON))
		verb = "update";
	else if (method & HTTP_DELETE)
		verb = "delete";
	else if (!last_param && !last_after_param)
		verb = "create";     /* a POST to a collection */
	else if (last_param)
		verb = "update";     /* a POST to a document */
	if (verb && !buf_fmt(out + len, outlen - len, "%s%s", len ? "." : "", verb))
		return false;
	return true;
}

static void allow_header(struct http_req *req, unsigned methods)
{
	char allow[128] = "";
	static const unsigned order[] = { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT,
					  HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS };

	if (methods & HTTP_GET)
		methods |= HTTP_HEAD;
	methods |= HTTP_OPTIONS;
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		if (!(methods & order[i]))
			continue;
		if (allow[0])
			strcat(allow, ", ");
		strcat(allow, http_method_name(order[i]));
	}
	http_add_header(req, "Allow", allow);
}

static void cors_headers(struct http_req *req, const char *origin)
{
	http_add_header(req, "Access-Control-Allow-Origin", origin);
	http_add_header(req, "Access-Control-Allow-Credentials", "true");
	http_add_header(req, "Vary", "Origin");
}

static void preflight(struct http_req *req, unsigned methods, bool origin_ok,
		      const char *origin)
{
	if (!origin_ok) {
		http_error(req, 403, "bad_origin", "This origin is not allowed.");
		return;
	}
	cors_headers(req, origin);
	allow_header(req, methods);
	{
		/* the same list as Allow, for the browser */
		char list[128] = "";
		static const unsigned order[] = { HTTP_GET, HTTP_POST, HTTP_PUT,
						  HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS };
		for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
			if (!((methods | HTTP_OPTIONS) & order[i]))
				continue;
			if (list[0])
				strcat(list, ", ");
			strcat(list, http_method_name(order[i]));
		}
		http_add_header(req, "Access-Control-Allow-Methods", list);
	}
	http_add_header(req, "Access-Control-Allow-Headers", ALLOWED_HEADERS);
	http_add_header(req, "Access-Control-Max-Age", "600");
	http_send(req, 204, NULL, NULL, 0);
}

static bool wants_body(unsigned method)
{
	return method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE);
}

void route_dispatch(const struct app *app, struct http_req *req)
{
	const struct route *found = NULL;
	unsigned path_methods = 0;
	unsigned method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	const char *origin = http_header(req, "Origin");
	bool api = http_is_api(req);
	bool origin_ok = api && cfg_origin_allowed(origin);

	req->app = app;

	for (size_t i = 0; i < app->nroutes; i++) {
		const struct route *r = &app->routes[i];
		if (!route_match(r->pattern, req->raw_path, req))
			continue;
		path_methods |= r->methods;
		if ((r->methods & method) && !found) {
			found = r;
			break;
		}
		/* keep only the params of the route we use */
		while (req->paramn > 0) {
			req->paramn--;
			free(req->paramv[req->paramn].key);
			free(req->paramv[req->paramn].value);
		}
	}

	if (req->method == HTTP_OPTIONS && path_methods &&
	    http_header(req, "Access-Control-Request-Method")) {
		preflight(req, path_methods, origin_ok, origin);
		return;
	}
	if (found && (found->flags & ROUTE_PUBLIC_CORS))
		http_add_header(req, "Access-Control-Allow-Origin", "*");
	else if (origin_ok)
		cors_headers(req, origin);

	if (!path_methods) {
		if (!api && app->not_found)
			app->not_found(req);
		else
			http_error(req, 404, "not_found", "No such resource.");
		return;
	}
	if (!found) {
		allow_header(req, path_methods);
		if (req->method == HTTP_OPTIONS)
			http_send(req, 204, NULL, NULL, 0);
		else
			http_error(req, 405, "method_not_allowed",
				   "%s is not allowed here.", req->method_name);
		return;
	}

	if (app->authenticate)
		app->authenticate(req);
	if (req->finished)
		return;
	if (found->min_role > 0) {	/* 0: anyone */
		bool page = (found->flags & ROUTE_PAGE) && app->login_path;
		if (!req->session && page) {
			char *next = tpl_url_encode(req->raw_path);
			char location[2048];
			/* a path too long to come back to: the login page alone
			 * (a cut would end `next` inside an escape) */
			if (!buf_fmt(location, sizeof location, "%s?next=%s",
				     app->login_path, next))
				(void)buf_fmt(location, sizeof location, "%s", app->login_path);
			free(next);
			http_redirect(req, 303, location);
			return;
		}
		if (!req->session) {
			http_error(req, 401, "unauthorized", "Please sign in.");
			return;
		}
		if (req->role < found->min_role) {
			if (page)
				page_error(req, 403);
			else
				http_error(req, 403, "forbidden", "You are not allowed to do this.");
			return;
		}
	}

	if (found->flags & ROUTE_UPLOAD) {
		/* the handler reads it: http_req_read_upload() */
	} else if (wants_body(req->method) || (found->flags & (ROUTE_JSON | ROUTE_RAW_BODY | ROUTE_FORM))) {
		if (!http_req_read_body(req, NULL, 0))
			return;
		if ((found->flags & ROUTE_FORM) && !http_req_parse_form(req))
			return;
		if ((found->flags & ROUTE_JSON) && req->body_len == 0) {
			req->json = json_object_new_object();
		} else if (found->flags & ROUTE_JSON) {
			if (!http_req_parse_json(req))
				return;
		}
	}

	found->handler(req);
	if (!req->finished) {
		log_error("handler for %s %s finished no response", req->method_name,
			  found->pattern);
		http_error(req, 500, "internal", "Internal error (request %s).",
			   req->request_id);
	}
	if (app->audit) {
		char action[128];
		bool audited = (found->flags & ROUTE_AUDIT) &&
			       route_audit_action(found, req->method, action, sizeof action);
		if ((found->flags & ROUTE_AUDIT) && !audited)
			log_error("route %s: no audit action fits", found->pattern);
		app->audit(req, audited ? action : NULL);
	}
}
