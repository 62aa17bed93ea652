/*
 * http.h — one HTTP request and its response, as a FastCGI worker sees it.
 *
 * The request is parsed from the FastCGI parameters that Caddy sends
 * (REQUEST_METHOD, REQUEST_URI, HTTP_*), its body read up to
 * cfg->max_body. The response is built in memory and written once, so a
 * handler can change its mind (an error after a partial page) until the
 * end. Every response carries X-Request-Id, and every error is the JSON of
 * SPEC §11: {"error":{"code":"…","message":"…"}}.
 *
 * Memory: everything hanging off a struct http_req is owned by it and freed
 * by http_req_free(); strings returned by the getters live until then.
 */
#ifndef CWC_HTTP_H
#define CWC_HTTP_H

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct FCGX_Request;
struct app;           /* web/route.h */
struct auth_session;  /* account/api.h: set by the app's authenticate hook */

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
};

struct http_kv {
	char *key, *value;
};

struct http_req {
	/* request */
	unsigned method;             /* one enum http_method bit; 0 = unknown */
	const char *method_name;     /* as sent */
	char *path;                  /* percent-decoded, never contains NUL */
	char *raw_path;              /* as sent, without the query */
	const char *query;           /* raw query string ("" when none) */
	char request_id[40];
	char **env;                  /* FastCGI params, "KEY=VALUE" */
	char *body;                  /* NUL-terminated; NULL when none */
	size_t body_len;
	json_object *json;           /* the parsed body, for JSON routes */
	struct http_kv *queryv, *cookiev, *paramv, *formv;
	size_t queryn, cookien, paramn, formn;
	bool form_parsed;
	double started_ms;
	const struct app *app;       /* the app serving it (route.h), set by the dispatcher */

	/* set by the authentication layer, for handlers */
	const struct auth_session *session;  /* the signed-in user (account/api.h), or NULL */
	int role;                    /* enum role of account/role.h */

	/* response */
	int status;
	struct buf headers;     /* "Name: value\r\n"… */
	struct buf out;         /* the whole response, once finished */
	bool finished;
	bool streaming;         /* http_stream_begin() was called */
	struct FCGX_Request *fcgx;   /* NULL in unit tests */
};

/* Parses the request from FastCGI params `env`. Returns false when the
 * request is malformed; the response (400) is then already finished.
 * Does not read the body. */
bool http_req_init(struct http_req *req, char **env);

/* Reads the body from the FastCGI stream (or takes `body` of `len` bytes
 * when not NULL, for tests). False when it is too large (413 finished). */
bool http_req_read_body(struct http_req *req, const char *body, size_t len);

/* The same for a ROUTE_UPLOAD route (an uploaded file), up to
 * CWC_MAX_UPLOAD bytes; `body`/`len` as above. When it is larger, nothing
 * is finished: false with *e = 413 `too_large` on field "file", its
 * message in French naming the limit ("10 Mo au plus"), for the handler
 * to show where the file was chosen. */
bool http_req_read_upload(struct http_req *req, const char *body, size_t len, struct err *e);

/* Parses the body as a JSON object into req->json. On failure finishes a
 * 400 `bad_json` — with the byte position for a syntax error, with the
 * top-level member in `error.field` for invalid UTF-8 or a NUL character
 * (\u0000) in a value or a member name at any depth — and returns false. */
bool http_req_parse_json(struct http_req *req);

/* Parses the body as an application/x-www-form-urlencoded form (once).
 * On a malformed escape or an encoded NUL finishes a 400 `bad_request`
 * naming the field in `error.field` and returns false. */
bool http_req_parse_form(struct http_req *req);

void http_req_free(struct http_req *req);

/* A FastCGI param ("HTTP_ORIGIN", "CONTENT_TYPE"…) or NULL. */
const char *http_env(const struct http_req *req, const char *name);
/* A request header by its HTTP name ("Origin", "Content-Type"), or NULL. */
const char *http_header(const struct http_req *req, const char *name);
/* A decoded query parameter, cookie, path parameter or form field, or NULL
 * (form fields once http_req_parse_form() succeeded: ROUTE_FORM routes).
 * A query with a malformed escape or an encoded NUL was refused by
 * http_req_init() (400 naming the parameter). */
const char *http_query(struct http_req *req, const char *key);
const char *http_cookie(struct http_req *req, const char *name);
const char *http_param(const struct http_req *req, const char *name);
const char *http_form(const struct http_req *req, const char *key);
/* The client's address as Caddy saw it. */
const char *http_client_ip(const struct http_req *req);
bool http_is_api(const struct http_req *req);

/* Percent-decodes `in` (`plus_is_space` for forms) into a new string.
 * NULL when malformed (bad escape, or an encoded NUL). Caller frees. */
char *http_percent_decode(const char *in, size_t len, bool plus_is_space);

/* Adds a response header. Values with CR or LF are refused (false). */
bool http_add_header(struct http_req *req, const char *name, const char *value);
bool http_add_headerf(struct http_req *req, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The process's store (conn_store()), or NULL with the response finished
 * (503 "unavailable", the reason logged). */
store_t *http_store(struct http_req *req);

/* Finishes the response with the store failure `se` through store_fail()
 * (503 when the store is unreachable, else 500 with no detail; `what` and
 * the failure go to the log). */
void http_send_store_fail(struct http_req *req, const char *what, const store_error_t *se);

/* The query parameter `key` as a whole number from `min` to `max` into
 * *out (left as it is when the parameter is absent). False with the 400
 * `invalid_request` naming the parameter finished otherwise. */
bool http_query_long(struct http_req *req, const char *key, long min, long max, long *out);

/* {page, limit, total, pages}: the "pagination" member of a list. New
 * object. */
json_object *http_pagination(int64_t page, int64_t limit, int64_t total);

/* Finishes the response with the error `e` (core/err.h). */
void http_send_err(struct http_req *req, const struct err *e);

/* Finishes the response with a body. */
void http_send(struct http_req *req, int status, const char *content_type,
	       const char *body, size_t len);
/* Finishes with `obj` as JSON; takes ownership of `obj` (may be NULL: 204). */
void http_send_json(struct http_req *req, int status, json_object *obj);
/* Finishes with the error JSON of SPEC §11. */
void http_error(struct http_req *req, int status, const char *code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same with `field` (may be NULL): the input member at fault. */
void http_error_field(struct http_req *req, int status, const char *code,
		      const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Whether `s` (`len` bytes) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool http_utf8_valid(const char *s, size_t len);
void http_redirect(struct http_req *req, int status, const char *location);

/* Where to send the browser after a login or any other "next" / return
 * parameter: `next` when it is a path on this origin however a browser
 * reads it, else `fallback`. Refused: anything not starting with one
 * "/", control characters, whitespace, backslashes (all of which a
 * browser strips or turns into "/", making "/\t/evil" mean "//evil"),
 * invalid UTF-8, and values that decode (percent-escapes, repeatedly)
 * to any of those. Returns one of its arguments. */
const char *http_return_path(const char *next, const char *fallback);

/* Writes the finished response to FastCGI (no-op in tests). */
void http_flush(struct http_req *req);

/* A streamed response, for answers too big to build in memory (CSV
 * exports): http_stream_begin() finishes the status and headers (no
 * Content-Length: FastCGI ends the body), then http_stream_write() adds
 * body bytes, handed to FastCGI whenever HTTP_STREAM_CHUNK have gathered
 * (kept in req->out in unit tests); http_flush() writes the rest. The
 * status is final once begun. A HEAD request gets the headers only. */
#define HTTP_STREAM_CHUNK 32768
void http_stream_begin(struct http_req *req, int status, const char *content_type);
void http_stream_write(struct http_req *req, const char *data, size_t len);

const char *http_status_text(int status);
const char *http_method_name(unsigned method);

#endif
