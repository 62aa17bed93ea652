/*
 * fuzz.h — what the libFuzzer targets of t/fuzz/ share: a configuration
 * and an embedded store in a temporary directory (removed at exit), a
 * request built from the raw bytes of an HTTP request, and the checks
 * every response must pass whatever the input was.
 *
 * A failed check is a finding: fuzz_fail() prints it and aborts, so
 * libFuzzer saves the input as a crash. Nothing here touches the network:
 * REDIS_URL points at a closed loopback port and no target connects.
 */
#ifndef CWC_FUZZ_H
#define CWC_FUZZ_H

#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "conn/conn.h"
#include "store/store.h"
#include "web/http.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline __attribute__((noreturn, format(printf, 1, 2)))
void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FUZZ CHECK FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#define fuzz_check(cond, ...) do { if (!(cond)) fuzz_fail(__VA_ARGS__); } while (0)

/* ---- configuration and store in a temporary directory ----------------- */

static char fuzz_dir[64];

static inline void fuzz_cleanup(void)
{
	char cmd[128];

	if (!fuzz_dir[0])
		return;
	(void)buf_fmt(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fuzz_dir);
	fuzz_dir[0] = '\0';
}

/* Loads a development configuration whose data dir (and so the embedded
 * store) is a new temporary directory, removed at exit. */
static inline void fuzz_config(void)
{
	char err[256];

	snprintf(fuzz_dir, sizeof fuzz_dir, "%s", "/tmp/cwc-fuzz-XXXXXX");
	if (!mkdtemp(fuzz_dir))
		fuzz_fail("mkdtemp: cannot create a temporary directory");
	atexit(fuzz_cleanup);
	setenv("CWC_ENV_FILE", "/dev/null", 1);
	setenv("CWC_DATA_DIR", fuzz_dir, 1);
	unsetenv("MONGODB_URI");
	setenv("NEXTAUTH_URL", "http://localhost:18080", 1);
	setenv("CWC_ADMIN_URL", "http://localhost:18081", 1);
	setenv("CORS_ORIGINS", "http://localhost:18080,https://partner.example", 1);
	setenv("NEXTAUTH_SECRET", "fuzz-nextauth-secret-0123456789abcdef", 1);
	setenv("JWT_SECRET", "fuzz-jwt-secret-0123456789abcdef", 1);
	setenv("REDIS_URL", "redis://127.0.0.1:1/0", 1);
	log_init("fuzz", "error");
	if (!cfg_load(err, sizeof err))
		fuzz_fail("configuration: %s", err);
}

/* ---- a small store ---------------------------------------------------- */

/* The seeded data (fuzz_seed_store()): a client with a live session whose
 * cookie is FUZZ_TOKEN, a staff member, their direct conversation with
 * FUZZ_MESSAGES messages, and another conversation the client is not in
 * (with two messages, FUZZ_OTHER_MSG…). */
#define FUZZ_TOKEN  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FUZZ_CLIENT "65a000000000000000000001"
#define FUZZ_STAFF  "65a000000000000000000002"
#define FUZZ_CONV   "65a0000000000000000000c1"
#define FUZZ_OTHER_CONV "65a0000000000000000000c2"
#define FUZZ_MSG_FIRST  "65a0000000000000000000d0"   /* then …d1, …d2 */
#define FUZZ_OTHER_MSG  "65a0000000000000000000e0"   /* then …e1 */
#define FUZZ_MESSAGES 3

static inline void fuzz_insert(store_t *st, const char *coll, bson_t *doc)
{
	store_error_t se = { 0 };

	if (!store_insert_one(st, coll, doc, NULL, &se))
		fuzz_fail("seeding %s: %s", coll, se.message);
	bson_destroy(doc);
}

/* Opens the process's store (conn_store(), after fuzz_config()) and seeds
 * it. Dates are fixed (2026) except the session's expiry (2100). */
static inline store_t *fuzz_seed_store(void)
{
	const int64_t t0 = 1767225600000LL;   /* 2026-01-01 */
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	bson_oid_t client, staff, conv, other, msg;
	char hash[65], hex[25];

	if (!st || !store_ensure_indexes(st, &se))
		fuzz_fail("the embedded store: %s", se.message);
	bson_oid_init_from_string(&client, FUZZ_CLIENT);
	bson_oid_init_from_string(&staff, FUZZ_STAFF);
	bson_oid_init_from_string(&conv, FUZZ_CONV);
	bson_oid_init_from_string(&other, FUZZ_OTHER_CONV);
	fuzz_insert(st, "users", BCON_NEW("_id", BCON_OID(&client),
		"email", BCON_UTF8("client@example.com"), "username", BCON_UTF8("client"),
		"givenName", BCON_UTF8("Zoé Lefèvre-Castañeda"), "role", BCON_UTF8("client"),
		"createdAt", BCON_DATE_TIME(t0)));
	fuzz_insert(st, "users", BCON_NEW("_id", BCON_OID(&staff),
		"email", BCON_UTF8("staff@example.com"), "username", BCON_UTF8("staff"),
		"givenName", BCON_UTF8("Barista"), "role", BCON_UTF8("staff"),
		"createdAt", BCON_DATE_TIME(t0)));
	crypto_sha256_hex(FUZZ_TOKEN, 64, hash);
	fuzz_insert(st, "sessions", BCON_NEW("sessionToken", BCON_UTF8(hash),
		"userId", BCON_OID(&client), "expires", BCON_DATE_TIME(4102444800000LL),
		"createdAt", BCON_DATE_TIME(t0)));
	fuzz_insert(st, "conversations", BCON_NEW("_id", BCON_OID(&conv),
		"type", BCON_UTF8("direct"),
		"participants", "[", "{", "user", BCON_OID(&client), "}", "]",
		"createdAt", BCON_DATE_TIME(t0)));
	fuzz_insert(st, "conversations", BCON_NEW("_id", BCON_OID(&other),
		"type", BCON_UTF8("group"),
		"participants", "[", "{", "user", BCON_OID(&staff), "}", "]",
		"createdAt", BCON_DATE_TIME(t0)));
	for (int i = 0; i < FUZZ_MESSAGES; i++) {
		(void)buf_fmt(hex, sizeof hex, "65a0000000000000000000d%d", i);
		bson_oid_init_from_string(&msg, hex);
		fuzz_insert(st, "messages", BCON_NEW("_id", BCON_OID(&msg),
			"conversation", BCON_OID(&conv),
			"sender", BCON_OID(i % 2 ? &staff : &client),
			"content", BCON_UTF8(i % 2 ? "Bonjour ! Une table pour deux ?" : "Oui, à 14 h"),
			"createdAt", BCON_DATE_TIME(t0 + i * 60000)));
	}
	for (int i = 0; i < 2; i++) {   /* in the conversation the client is not in */
		(void)buf_fmt(hex, sizeof hex, "65a0000000000000000000e%d", i);
		bson_oid_init_from_string(&msg, hex);
		fuzz_insert(st, "messages", BCON_NEW("_id", BCON_OID(&msg),
			"conversation", BCON_OID(&other), "sender", BCON_OID(&staff),
			"content", BCON_UTF8("réservé au staff"),
			"createdAt", BCON_DATE_TIME(t0 + i * 30000)));
	}
	return st;
}

/* ---- UTF-8, independently of http_utf8_valid() ------------------------ */

/* Well-formed UTF-8 after Unicode's table 3-7: the allowed byte ranges of
 * each position, by lead byte. */
static inline bool fuzz_utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need;

		if (c <= 0x7f) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return false;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (len - i <= need)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += need + 1;
	}
	return true;
}

/* Every string and member name inside `v` is well-formed UTF-8. */
static inline bool fuzz_json_utf8_ok(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return fuzz_utf8_ok((const unsigned char *)json_object_get_string(v),
				    (size_t)json_object_get_string_len(v));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!fuzz_json_utf8_ok(json_object_array_get_idx(v, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
			if (!fuzz_utf8_ok((const unsigned char *)key, strlen(key)) ||
			    !fuzz_json_utf8_ok(val))
				return false;
		return true;
	}
	default:
		return true;
	}
}

/* `len` bytes of `text` are exactly one JSON value (blanks around it). A
 * new object, or NULL. */
static inline json_object *fuzz_json_parse(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	size_t end = json_tokener_get_parse_end(tok);

	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	for (; o && end < len; end++)
		if (!strchr(" \t\r\n", text[end]) || !text[end]) {
			json_object_put(o);
			o = NULL;
		}
	return o;
}

/* ---- a request from raw bytes ----------------------------------------- */

#define FUZZ_ENV_MAX 24

struct fuzz_req {
	struct http_req req;
	char *env[FUZZ_ENV_MAX + 1];
	int n;
};

static inline void fuzz_env_add(struct fuzz_req *f, const char *key, const char *v, size_t vlen)
{
	struct buf b = { 0 };

	if (f->n == FUZZ_ENV_MAX)
		return;
	buf_str(&b, key);
	buf_add(&b, "=", 1);
	buf_add(&b, v, vlen);
	f->env[f->n++] = b.data;
}

static inline void fuzz_req_free(struct fuzz_req *f)
{
	http_req_free(&f->req);
	for (int i = 0; i < f->n; i++)
		free(f->env[i]);
	f->n = 0;
}

/*
 * Parses `data` like an HTTP/1 request as Caddy hands it over FastCGI:
 *   METHOD SP URI [SP HTTP/1.1] LF  (Name: value LF)*  LF  body
 * (a CR before an LF is dropped; an incomplete head is taken as it is).
 * Header names become HTTP_NAME params (CONTENT_TYPE, CONTENT_LENGTH
 * without the prefix); a line without ':' is skipped. Fills f->env only:
 * the caller runs http_req_init(). `*body` / `*body_len` receive the rest.
 */
static inline void fuzz_req_parse(struct fuzz_req *f, const uint8_t *data, size_t size,
			   const char **body, size_t *body_len)
{
	const char *p = (const char *)data, *end = p + size;
	bool first = true;

	memset(f, 0, sizeof *f);
	*body = end;
	*body_len = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t len = (size_t)(eol - p);

		if (len && p[len - 1] == '\r')
			len--;
		if (first) {
			const char *sp = memchr(p, ' ', len);
			size_t mlen = sp ? (size_t)(sp - p) : len;
			fuzz_env_add(f, "REQUEST_METHOD", p, mlen);
			if (sp) {
				const char *uri = sp + 1;
				const char *sp2 = memchr(uri, ' ', (size_t)(p + len - uri));
				fuzz_env_add(f, "REQUEST_URI", uri,
					     (size_t)((sp2 ? sp2 : p + len) - uri));
			}
			first = false;
		} else if (len == 0) {
			*body = nl ? nl + 1 : end;
			*body_len = (size_t)(end - *body);
			break;
		} else {
			const char *colon = memchr(p, ':', len);
			if (colon && colon > p) {
				char key[80] = "HTTP_";
				size_t k = 5;
				for (const char *q = p; q < colon && k < sizeof key - 1; q++)
					key[k++] = *q == '-' ? '_' :
						(char)((*q >= 'a' && *q <= 'z') ? *q - 32 : *q);
				key[k] = '\0';
				const char *v = colon + 1;
				while (v < p + len && *v == ' ')
					v++;
				if (!strcmp(key, "HTTP_CONTENT_TYPE") ||
				    !strcmp(key, "HTTP_CONTENT_LENGTH"))
					fuzz_env_add(f, key + 5, v, (size_t)(p + len - v));
				else
					fuzz_env_add(f, key, v, (size_t)(p + len - v));
			}
		}
		p = nl ? nl + 1 : end;
	}
	/* FastCGI params are C strings: what follows a NUL is not seen */
	f->env[f->n] = NULL;
}

/* ---- what every finished response must be ----------------------------- */

/*
 * The response of `req`, once finished: a Status line with a known code,
 * header lines that are single printable lines (no header injected by a
 * CR or LF of the input), a Content-Length that is the body's, and for
 * JSON one well-formed UTF-8 JSON value — for an error status the error
 * object of SPEC §11 with a string `code` and `message`.
 */
static inline void fuzz_check_response(const struct http_req *req)
{
	const char *out = req->out.data, *head_end, *p;
	size_t head_len, body_len;
	long status;
	char *endp;

	fuzz_check(req->finished && out, "the request has no finished response");
	fuzz_check(strncmp(out, "Status: ", 8) == 0, "the response starts with %.20s", out);
	status = strtol(out + 8, &endp, 10);
	fuzz_check(status >= 200 && status <= 599 && *endp == ' ' &&
		   *http_status_text((int)status), "bad status line %.40s", out);
	head_end = strstr(out, "\r\n\r\n");
	fuzz_check(head_end != NULL, "the response head does not end");
	head_len = (size_t)(head_end - out) + 2;
	body_len = req->out.len - head_len - 2;
	for (p = out; p < out + head_len;) {
		const char *crlf = strstr(p, "\r\n");
		fuzz_check(crlf && crlf < out + head_len + 1, "a header line does not end");
		for (const char *c = p; c < crlf; c++)
			fuzz_check((unsigned char)*c >= 0x20 && *c != 0x7f,
				   "a header line has control byte 0x%02x: %.*s",
				   (unsigned char)*c, (int)(crlf - p), p);
		fuzz_check(crlf == p || memchr(p, ':', (size_t)(crlf - p)),
			   "a header line has no colon: %.*s", (int)(crlf - p), p);
		p = crlf + 2;
	}
	if ((p = strstr(out, "\r\nContent-Length: ")) && p < head_end)
		fuzz_check(strtoul(p + 18, NULL, 10) == body_len ||
			   req->method == HTTP_HEAD,
			   "Content-Length %.12s for %zu bytes", p + 18, body_len);
	if ((p = strstr(out, "\r\nContent-Type: application/json")) && p < head_end &&
	    req->method != HTTP_HEAD) {
		const char *body = head_end + 4;
		json_object *o = fuzz_json_parse(body, body_len);
		json_object *err, *v;

		fuzz_check(o != NULL, "the JSON body does not parse: %.200s", body);
		fuzz_check(fuzz_utf8_ok((const unsigned char *)body, body_len),
			   "the JSON body is not UTF-8: %.200s", body);
		if (status >= 400) {
			fuzz_check(json_object_object_get_ex(o, "error", &err) &&
				   json_object_object_get_ex(err, "code", &v) &&
				   json_object_is_type(v, json_type_string) &&
				   json_object_object_get_ex(err, "message", &v) &&
				   json_object_is_type(v, json_type_string),
				   "an error body without code and message: %.200s", body);
		}
		json_object_put(o);
	}
}

#endif
