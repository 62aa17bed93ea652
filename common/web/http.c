/*
 * http.c — request parsing and response building. See http.h.
 */
#include "web/http.h"
#include "conn/conn.h"
#include "core/config.h"
#include "core/crypto.h"

#include <ctype.h>
#include <fcgiapp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void error_field_len(struct http_req *req, int status, const char *code,
			    const char *field, size_t field_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}



static const struct {
	const char *name;
	unsigned bit;
} methods[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
	{ "PUT", HTTP_PUT }, { "PATCH", HTTP_PATCH }, { "DELETE", HTTP_DELETE },
	{ "OPTIONS", HTTP_OPTIONS },
};

const char *http_method_name(unsigned method)
{
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
		if (methods[i].bit == method)
			return methods[i].name;
	return "?";
}

const char *http_env(const struct http_req *req, const char *name)
{
	size_t n = strlen(name);

	for (char **e = req->env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *http_header(const struct http_req *req, const char *name)
{
	char key[128] = "HTTP_";
	size_t i = 5;

	for (const char *p = name; *p && i < sizeof key - 1; p++)
		key[i++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	key[i] = '\0';
	if (strcmp(key, "HTTP_CONTENT_TYPE") == 0)
		return http_env(req, "CONTENT_TYPE");
	if (strcmp(key, "HTTP_CONTENT_LENGTH") == 0)
		return http_env(req, "CONTENT_LENGTH");
	return http_env(req, key);
}

char *http_percent_decode(const char *in, size_t len, bool plus_is_space)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%') {
			int hi, lo;
			if (i + 2 >= len || (hi = crypto_hex_digit(in[i + 1])) < 0 ||
			    (lo = crypto_hex_digit(in[i + 2])) < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (in[i] == '+' && plus_is_space) {
			*o++ = ' ';
		} else if (in[i] == '\0') {
			goto bad;
		} else {
			*o++ = in[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static void kv_push(struct http_kv **v, size_t *n, char *key, char *value)
{
	*v = realloc(*v, (*n + 1) * sizeof **v);
	if (!*v)
		abort();
	(*v)[*n].key = key;
	(*v)[*n].value = value;
	(*n)++;
}

static void kv_free(struct http_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static const char *kv_get(const struct http_kv *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].value;
	return NULL;
}

/* "a=1&b=%20x" → pairs. False on a malformed escape or an encoded NUL,
 * with `*bad` (a new string, caller frees) naming the field at fault: its
 * name decoded as far as it can be, or its raw text. */
static bool parse_urlencoded(const char *s, struct http_kv **v, size_t *n, char **bad)
{
	*bad = NULL;
	while (*s) {
		size_t len = strcspn(s, "&");
		const char *eq = memchr(s, '=', len);
		size_t klen = eq ? (size_t)(eq - s) : len;

		if (len > 0) {
			char *k = http_percent_decode(s, klen, true);
			char *val = eq ? http_percent_decode(eq + 1, len - klen - 1, true)
				       : strdup("");
			if (!k || !val) {
				*bad = k ? k : strndup(s, klen < 64 ? klen : 64);
				free(val);
				return false;
			}
			kv_push(v, n, k, val);
		}
		s += len;
		if (*s == '&')
			s++;
	}
	return true;
}

static void parse_cookies(struct http_req *req)
{
	const char *s = http_header(req, "Cookie");

	while (s && *s) {
		size_t len = strcspn(s, ";");
		const char *eq;

		/* RFC 6265 §5.2: blanks around the pair go; the relay reads
		 * cookies the same way (relay_auth_cookie_value) */
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		eq = memchr(s, '=', len);
		if (eq && eq > s) {
			const char *v = eq + 1;
			size_t vl = len - (size_t)(v - s);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v++;
				vl -= 2;
			}
			kv_push(&req->cookiev, &req->cookien,
				strndup(s, (size_t)(eq - s)), strndup(v, vl));
		}
		s += len;
		if (*s == ';')
			s++;
	}
}

static bool valid_request_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return false;
	return n >= 8 && n < 40;
}

bool http_req_init(struct http_req *req, char **env)
{
	const char *uri, *method, *rid, *q;
	char *bad;

	memset(req, 0, sizeof *req);
	req->env = env;
	req->started_ms = now_ms();
	req->status = 200;

	rid = http_header(req, "X-Request-Id");
	if (rid && valid_request_id(rid))
		snprintf(req->request_id, sizeof req->request_id, "%s", rid);
	else
		crypto_random_hex(req->request_id, 8);

	method = http_env(req, "REQUEST_METHOD");
	req->method_name = method ? method : "";
	for (size_t i = 0; method && i < sizeof methods / sizeof *methods; i++)
		if (strcmp(method, methods[i].name) == 0)
			req->method = methods[i].bit;

	uri = http_env(req, "REQUEST_URI");
	if (!uri)
		uri = http_env(req, "DOCUMENT_URI");
	if (!uri || uri[0] != '/') {
		req->raw_path = strdup("/");
		req->path = strdup("/");
		req->query = "";
		http_error(req, 400, "bad_request", "The request line is malformed.");
		return false;
	}
	q = strchr(uri, '?');
	req->raw_path = strndup(uri, q ? (size_t)(q - uri) : strlen(uri));
	req->query = q ? q + 1 : "";
	req->path = http_percent_decode(req->raw_path, strlen(req->raw_path), false);
	if (!req->path) {
		req->path = strdup(req->raw_path);
		http_error(req, 400, "bad_request",
			   "The path has a malformed percent-encoding or an encoded NUL.");
		return false;
	}
	if (!parse_urlencoded(req->query, &req->queryv, &req->queryn, &bad)) {
		http_error_field(req, 400, "bad_request", bad,
				 "The query parameter %.64s has a malformed percent-encoding "
				 "or an encoded NUL.", bad);
		free(bad);
		return false;
	}
	parse_cookies(req);
	if (!req->method) {
		http_error(req, 405, "method_not_allowed", "Method %.16s is not supported.",
			   req->method_name);
		return false;
	}
	return true;
}

/* Reads the body into req->body (or takes `body`, for tests) if it is no
 * larger than `max` bytes; false when it is. */
static bool read_body(struct http_req *req, const char *body, size_t len, size_t max)
{
	const char *cl = http_env(req, "CONTENT_LENGTH");
	struct buf b = { 0 };

	if (body) {
		if (len > max)
			return false;
		/* all `len` bytes, NULs included: body_len must be what is there */
		req->body = malloc(len + 1);
		if (!req->body)
			abort();
		memcpy(req->body, body, len);
		req->body[len] = '\0';
		req->body_len = len;
		return true;
	}
	if (cl && *cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || n > max)
			return false;
	}
	if (!req->fcgx)
		return true;
	for (;;) {
		char chunk[16384];
		int got = FCGX_GetStr(chunk, sizeof chunk, req->fcgx->in);
		if (got <= 0)
			break;
		if (b.len + (size_t)got > max) {
			free(b.data);
			return false;
		}
		buf_add(&b, chunk, (size_t)got);
	}
	req->body = b.data;
	req->body_len = b.len;
	return true;
}

bool http_req_read_body(struct http_req *req, const char *body, size_t len)
{
	size_t max = cfg ? cfg->max_body : (size_t)1 << 20;

	if (read_body(req, body, len, max))
		return true;
	http_error(req, 413, "payload_too_large",
		   "The request body is larger than %zu bytes.", max);
	return false;
}

bool http_req_read_upload(struct http_req *req, const char *body, size_t len, struct err *e)
{
	size_t max = cfg ? cfg->max_upload : (size_t)10 << 20;

	if (read_body(req, body, len, max))
		return true;
	if (max >= 1 << 20)
		return err_set(e, 413, "too_large", "file", "Fichier trop lourd : %zu Mo au plus.",
			       max >> 20);
	return err_set(e, 413, "too_large", "file", "Fichier trop lourd : %zu Ko au plus.", max >> 10);
}

bool http_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* The end of the JSON string token starting at `s` (its opening quote),
 * past the closing quote; whether it holds a NUL (\u0000 or a raw one). */
static size_t json_string_end(const char *s, size_t len, bool *nul)
{
	size_t i = 1;

	*nul = false;
	while (i < len && s[i] != '"') {
		if (s[i] == '\0')
			*nul = true;
		if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len && strncmp(s + i + 2, "0000", 4) == 0)
				*nul = true;
			i++;
		}
		i++;
	}
	return i < len ? i + 1 : len;
}

enum json_text { JSON_TEXT_OK, JSON_TEXT_NUL, JSON_TEXT_QUOTE };

/* Reads the JSON object text `s` (already parsed by json-c) for what the
 * tree cannot show: a NUL in a string (json-c keeps one inside a value but
 * cuts a member name at it), and a member name in single quotes (which
 * json-c accepts even in strict mode; it is not JSON). Returns the first
 * found; for a NUL, `*field` (a new JSON string, caller puts) names the
 * top-level member it belongs to, NUL included. Everything before the
 * first single quote outside a string is JSON, so the reading stays in
 * step with json-c's up to there. */
static enum json_text json_check_text(const char *s, size_t len, json_object **field)
{
	size_t depth = 0, key_at = 0, key_end = 0;

	*field = NULL;
	for (size_t i = 0; i < len; i++) {
		bool nul;
		size_t end, j;

		switch (s[i]) {
		case '{': case '[':
			depth++;
			continue;
		case '}': case ']':
			depth--;
			continue;
		case '\'':
			return JSON_TEXT_QUOTE;
		case '"':
			break;
		default:
			continue;
		}
		end = json_string_end(s + i, len - i, &nul) + i;
		for (j = end; j < len && isspace((unsigned char)s[j]); j++)
			;
		if (depth == 1 && j < len && s[j] == ':') {
			key_at = i;
			key_end = end;
		}
		if (nul) {
			char *tok = strndup(s + key_at, key_end - key_at);
			*field = tok ? json_tokener_parse(tok) : NULL;
			free(tok);
			return JSON_TEXT_NUL;
		}
		i = end - 1;
	}
	return JSON_TEXT_OK;
}

/* Whether every string and member name inside `v` is valid UTF-8. */
static bool json_utf8_ok(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return http_utf8_valid(json_object_get_string(v),
					  (size_t)json_object_get_string_len(v));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!json_utf8_ok(json_object_array_get_idx(v, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			if (!http_utf8_valid(key, strlen(key)) || !json_utf8_ok(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

bool http_req_parse_json(struct http_req *req)
{
	struct json_tokener *tok;
	const char *ct = http_header(req, "Content-Type");
	enum json_tokener_error jerr;
	json_object *field;

	if (!req->body || req->body_len == 0) {
		http_error(req, 400, "bad_json", "A JSON body is required.");
		return false;
	}
	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		http_error(req, 415, "unsupported_media_type",
			   "The body must be application/json.");
		return false;
	}
	tok = json_tokener_new_ex(64);
	/* UTF-8 is checked after parsing, per member, to name the field */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	req->json = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	if (jerr == json_tokener_success && req->json)
		for (size_t i = json_tokener_get_parse_end(tok); i < req->body_len; i++)
			if (!isspace((unsigned char)req->body[i]))
				jerr = json_tokener_error_parse_unexpected;
	if (jerr != json_tokener_success || !req->json) {
		size_t pos = json_tokener_get_parse_end(tok);
		json_object_put(req->json);
		req->json = NULL;
		http_error(req, 400, "bad_json", "Invalid JSON at byte %zu: %s.",
			   pos, json_tokener_error_desc(jerr));
		json_tokener_free(tok);
		return false;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req->json, json_type_object)) {
		http_error(req, 400, "bad_json", "The body must be a JSON object.");
		return false;
	}
	switch (json_check_text(req->body, req->body_len, &field)) {
	case JSON_TEXT_OK:
		break;
	case JSON_TEXT_QUOTE:
		http_error(req, 400, "bad_json",
			   "Member names must be in double quotes.");
		return false;
	case JSON_TEXT_NUL: {
		/* the member's name as sent, NUL and all; the message stops at it */
		const char *name = field ? json_object_get_string(field) : NULL;
		size_t name_len = field ? (size_t)json_object_get_string_len(field) : 0;
		error_field_len(req, 400, "bad_json", name, name_len,
				"%.64s contains a NUL character (\\u0000).", name ? name : "A string");
		json_object_put(field);
		return false;
	}
	}
	json_object_object_foreach(req->json, key, val) {
		if (!http_utf8_valid(key, strlen(key))) {
			http_error(req, 400, "bad_json", "A member name is not valid UTF-8.");
			return false;
		}
		if (!json_utf8_ok(val)) {
			http_error_field(req, 400, "bad_json", key, "%.64s is not valid UTF-8.", key);
			return false;
		}
	}
	return true;
}

void http_req_free(struct http_req *req)
{
	free(req->path);
	free(req->raw_path);
	free(req->body);
	json_object_put(req->json);
	kv_free(req->queryv, req->queryn);
	kv_free(req->cookiev, req->cookien);
	kv_free(req->paramv, req->paramn);
	kv_free(req->formv, req->formn);
	free(req->headers.data);
	free(req->out.data);
	memset(req, 0, sizeof *req);
}

const char *http_query(struct http_req *req, const char *key)
{
	return kv_get(req->queryv, req->queryn, key);
}

const char *http_cookie(struct http_req *req, const char *name)
{
	return kv_get(req->cookiev, req->cookien, name);
}

const char *http_param(const struct http_req *req, const char *name)
{
	return kv_get(req->paramv, req->paramn, name);
}

bool http_req_parse_form(struct http_req *req)
{
	char *bad;

	if (req->form_parsed)
		return true;
	req->form_parsed = true;
	if (!req->body || parse_urlencoded(req->body, &req->formv, &req->formn, &bad))
		return true;
	http_error_field(req, 400, "bad_request", bad,
			 "The form field %.64s has a malformed percent-encoding or an encoded NUL.",
			 bad);
	free(bad);
	return false;
}

const char *http_form(const struct http_req *req, const char *key)
{
	return kv_get(req->formv, req->formn, key);
}

const char *http_client_ip(const struct http_req *req)
{
	const char *ip = http_env(req, "REMOTE_ADDR");

	return ip ? ip : "";
}

bool http_is_api(const struct http_req *req)
{
	return strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0;
}

bool http_add_header(struct http_req *req, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return false;
	buf_str(&req->headers, name);
	buf_add(&req->headers, ": ", 2);
	buf_str(&req->headers, value);
	buf_add(&req->headers, "\r\n", 2);
	return true;
}

bool http_add_headerf(struct http_req *req, const char *name, const char *fmt, ...)
{
	char value[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	return http_add_header(req, name, value);
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

void http_send(struct http_req *req, int status, const char *content_type,
	       const char *body, size_t len)
{
	char line[128];

	if (req->finished)
		return;
	req->finished = true;
	req->status = status;
	snprintf(line, sizeof line, "Status: %d %s\r\n", status, http_status_text(status));
	buf_str(&req->out, line);
	if (content_type && status != 204 && status != 304) {
		buf_str(&req->out, "Content-Type: ");
		buf_str(&req->out, content_type);
		buf_add(&req->out, "\r\n", 2);
	}
	if (status != 204 && status != 304) {
		snprintf(line, sizeof line, "Content-Length: %zu\r\n", len);
		buf_str(&req->out, line);
	}
	snprintf(line, sizeof line, "X-Request-Id: %s\r\n", req->request_id);
	buf_str(&req->out, line);
	if (req->headers.len)
		buf_add(&req->out, req->headers.data, req->headers.len);
	buf_add(&req->out, "\r\n", 2);
	if (body && len && req->method != HTTP_HEAD && status != 204 && status != 304)
		buf_add(&req->out, body, len);
}

void http_send_json(struct http_req *req, int status, json_object *obj)
{
	const char *s;
	size_t len;

	if (!obj) {
		http_send(req, status == 200 ? 204 : status, NULL, NULL, 0);
		return;
	}
	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	http_add_header(req, "Cache-Control", "no-store");
	http_send(req, status, "application/json; charset=utf-8", s, len);
	json_object_put(obj);
}

/* Replaces with '?' every byte of `s` (`len` bytes) that does not start a
 * well-formed UTF-8 sequence: a message that quotes the input cut with
 * "%.64s" (or cut by its buffer) may end inside a character, and a field
 * named after the input (a member, a query parameter) may not be UTF-8. */
static void utf8_scrub(char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		if (n > len - i || !http_utf8_valid(s + i, n)) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
}

static void error_v(struct http_req *req, int status, const char *code,
		    const char *field, size_t field_len, const char *fmt, va_list ap)
{
	char msg[512];
	json_object *root = json_object_new_object(), *err = json_object_new_object();

	vsnprintf(msg, sizeof msg, fmt, ap);
	utf8_scrub(msg, strlen(msg));
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(msg));
	if (field) {
		json_object *f = json_object_new_string_len(field, (int)field_len);
		if (!http_utf8_valid(field, field_len)) {
			char *copy = malloc(field_len + 1);
			if (!copy)
				abort();
			memcpy(copy, field, field_len);
			utf8_scrub(copy, field_len);
			json_object_set_string_len(f, copy, (int)field_len);
			free(copy);
		}
		json_object_object_add(err, "field", f);
	}
	json_object_object_add(root, "error", err);
	http_send_json(req, status, root);
}

/* http_error_field() for a field name that may hold a NUL. */
static void error_field_len(struct http_req *req, int status, const char *code,
			    const char *field, size_t field_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_v(req, status, code, field, field_len, fmt, ap);
	va_end(ap);
}

void http_error(struct http_req *req, int status, const char *code,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_v(req, status, code, NULL, 0, fmt, ap);
	va_end(ap);
}

void http_error_field(struct http_req *req, int status, const char *code,
		      const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_v(req, status, code, field, field ? strlen(field) : 0, fmt, ap);
	va_end(ap);
}

store_t *http_store(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);

	if (!st)
		http_send_store_fail(req, "open the store", &se);
	return st;
}

void http_send_store_fail(struct http_req *req, const char *what, const store_error_t *se)
{
	struct err e;

	store_fail(&e, what, se);
	http_send_err(req, &e);
}

bool http_query_long(struct http_req *req, const char *key, long min, long max, long *out)
{
	const char *s = http_query(req, key);
	char *end;
	long v;

	if (!s)
		return true;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < min || v > max) {
		http_error_field(req, 400, "invalid_request", key, "%s is a whole number from %ld to %ld.",
				 key, min, max);
		return false;
	}
	*out = v;
	return true;
}

json_object *http_pagination(int64_t page, int64_t limit, int64_t total)
{
	json_object *pg = json_object_new_object();

	json_object_object_add(pg, "page", json_object_new_int64(page));
	json_object_object_add(pg, "limit", json_object_new_int64(limit));
	json_object_object_add(pg, "total", json_object_new_int64(total));
	json_object_object_add(pg, "pages", json_object_new_int64(limit > 0 ? (total + limit - 1) / limit : 0));
	return pg;
}

void http_send_err(struct http_req *req, const struct err *e)
{
	http_error_field(req, e->status ? e->status : 500, e->code ? e->code : "internal",
			 e->field[0] ? e->field : NULL, "%s", e->message);
}

void http_redirect(struct http_req *req, int status, const char *location)
{
	if (!http_add_header(req, "Location", location)) {
		http_error(req, 400, "bad_request", "Invalid redirect.");
		return;
	}
	http_send(req, status, "text/plain; charset=utf-8", "", 0);
}

/* One level of the check of http_return_path(). */
static bool return_path_level_ok(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || p[1] == '/' || len > 2048 || !http_utf8_valid(p, len))
		return false;
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || *c == '\\')
			return false;
	return true;
}

const char *http_return_path(const char *next, const char *fallback)
{
	char *cur;
	bool ok = true;

	if (!next || !return_path_level_ok(next))
		return fallback;
	/* a browser decodes nothing in a path, but a page or a proxy on the
	 * way might: every decoding must still be a plain local path */
	cur = strdup(next);
	for (int level = 0; ok && cur && strchr(cur, '%') && level < 4; level++) {
		char *dec = http_percent_decode(cur, strlen(cur), false);
		ok = dec && return_path_level_ok(dec);
		free(cur);
		cur = dec;
	}
	ok = ok && cur && !strchr(cur, '%');
	free(cur);
	return ok ? next : fallback;
}

void http_flush(struct http_req *req)
{
	if (!req->fcgx || !req->out.len)
		return;
	FCGX_PutStr(req->out.data, (int)req->out.len, req->fcgx->out);
	req->out.len = 0;
}

void http_stream_begin(struct http_req *req, int status, const char *content_type)
{
	char line[128];

	if (req->finished)
		return;
	req->finished = req->streaming = true;
	req->status = status;
	snprintf(line, sizeof line, "Status: %d %s\r\n", status, http_status_text(status));
	buf_str(&req->out, line);
	buf_str(&req->out, "Content-Type: ");
	buf_str(&req->out, content_type);
	buf_add(&req->out, "\r\n", 2);
	snprintf(line, sizeof line, "X-Request-Id: %s\r\n", req->request_id);
	buf_str(&req->out, line);
	if (req->headers.len)
		buf_add(&req->out, req->headers.data, req->headers.len);
	buf_add(&req->out, "\r\n", 2);
}

void http_stream_write(struct http_req *req, const char *data, size_t len)
{
	if (!req->streaming || req->method == HTTP_HEAD || !len)
		return;
	buf_add(&req->out, data, len);
	if (req->fcgx && req->out.len >= HTTP_STREAM_CHUNK)
		http_flush(req);
}
