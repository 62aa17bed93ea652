/*
 * route.h — the declarative route table of an app, and its dispatcher.
 *
 * An app is a table of routes: methods, a path pattern with `:name`
 * parameters ("/api/bookings/:id"), the handler, the minimum role, and
 * flags. route_dispatch() does everything common to every request before
 * and after the handler: request id, body limit, JSON parsing, CORS and
 * preflight, 404 / 405 (with Allow), the role check (through the app's
 * authenticate hook), the error shape, the access log.
 */
#ifndef CWC_ROUTE_H
#define CWC_ROUTE_H

#include "web/http.h"

#include <json-c/json.h>

enum route_flags {
	ROUTE_JSON = 1 << 0,        /* the body must be a JSON object (parsed into req->json) */
	ROUTE_RAW_BODY = 1 << 1,    /* read the body, do not parse it (webhooks, forms) */
	ROUTE_PUBLIC_CORS = 1 << 2, /* Access-Control-Allow-Origin: * (read-only public API) */
	ROUTE_PAGE = 1 << 3,        /* an HTML page: signed out → redirect to the login page */
	ROUTE_FORM = 1 << 4,        /* the body is a urlencoded form (parsed for http_form) */
	/* a write of the audit log: after the handler the dispatcher hands
	 * the app's `audit` hook the route's action (route_audit_action()) */
	ROUTE_AUDIT = 1 << 5,
	/* the path names one document (the settings), not a collection: an
	 * audited POST to it is an "update", not a "create" */
	ROUTE_SINGLETON = 1 << 6,
	/* the body is an uploaded file: left unread by the dispatcher, the
	 * handler reads it with http_req_read_upload() (CWC_MAX_UPLOAD) and
	 * answers a file too large in its own way (a page, a field) */
	ROUTE_UPLOAD = 1 << 7,
};

typedef void (*route_handler)(struct http_req *req);

struct route {
	unsigned methods;           /* enum http_method bits */
	const char *pattern;
	route_handler handler;
	int min_role;               /* enum role of account/role.h; 0: anyone */
	unsigned flags;
};

struct app {
	const char *service;        /* "site" | "admin" */
	const struct route *routes;
	size_t nroutes;
	/* Finds the session of the request (cookie…), sets req->session and
	 * req->role. NULL: nobody is ever signed in (routes above
	 * min_role 0 answer 401). */
	void (*authenticate)(struct http_req *req);
	/* Renders a non-API 404 (an HTML page); NULL: the JSON error. */
	void (*not_found)(struct http_req *req);
	/* Where ROUTE_PAGE routes send a signed-out visitor ("/auth/login");
	 * the page's path is appended as ?next=. */
	const char *login_path;
	/* The back office: shared pages and APIs (chat) show the staff's view. */
	bool staff;
	/* The app's public base URL (NEXTAUTH_URL, ADMIN_URL…) and listen
	 * address, read from the configuration at each call (a reload
	 * replaces it). */
	const char *(*base_url)(void);
	const char *(*listen_addr)(void);
	/* Loads the app's templates (pages, mails) into the calling process;
	 * false with "file:line: reason" in `err`. The server calls it in
	 * the master at start-up and on SIGHUP (a check: refused templates
	 * stop start-up, or keep the old workers on a reload) and in every
	 * worker after fork(); templates_free() undoes it. */
	bool (*templates_load)(char *err, size_t errlen);
	void (*templates_free)(void);
	/* Adds to every page's data what the app's layout shows (the
	 * signed-in user…); NULL: nothing. */
	void (*page_data)(struct http_req *req, json_object *data);
	/* What this app needs of the configuration beyond cfg_load() (e.g.
	 * Stripe's keys in production), checked once at start-up: false with
	 * the reason in `errbuf` stops the program. NULL: nothing more. */
	bool (*config_check)(char *errbuf, size_t errlen);
	/* Called after every handler with the route's audit action (NULL
	 * for a route without ROUTE_AUDIT) once the answer is finished: it
	 * records what the handler said it changed when the status is below
	 * 400, and forgets it otherwise. NULL: nothing is audited. */
	void (*audit)(struct http_req *req, const char *action);
	/* Per-worker start and end (after fork / before exit). */
	bool (*worker_start)(void);
	void (*worker_stop)(void);
};

/* Serves one request whose params are parsed already (http_req_init ok). */
void route_dispatch(const struct app *app, struct http_req *req);

/* The audit action of `method` on route `r`, from its pattern: the
 * segments after /api/ that are not parameters, joined by ".", then
 * "create" for a POST to a collection (a pattern ending in a name), an
 * "update" for PUT / PATCH (and a POST to a ROUTE_SINGLETON), "delete"
 * for DELETE, "export" for GET / HEAD (a list whose CSV export is
 * audited: audit/api.h audit_export()); a POST to an action
 * ("…/:id/cancel") is the action itself:
 *   POST /api/booking/reservations            booking.reservations.create
 *   PATCH /api/booking/reservations/:id       booking.reservations.update
 *   POST /api/booking/reservations/:id/cancel booking.reservations.cancel
 *   GET /api/booking/reservations?format=csv  booking.reservations.export
 * False when it does not fit `outlen`. */
bool route_audit_action(const struct route *r, unsigned method, char *out, size_t outlen);

/* Matches `path` against `pattern`; on success fills req's path params.
 * Exposed for unit tests. */
bool route_match(const char *pattern, const char *raw_path, struct http_req *req);

#endif
