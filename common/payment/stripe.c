/*
 * stripe.c — Stripe's API over libcurl. See payment/stripe.h.
 *
 * One function sends requests (stripe_request: headers, the retry loop,
 * the mapping of Stripe's errors); the operations below it only build
 * forms. Nothing here logs or returns the secret key: it lives in the
 * Authorization header, which is wiped before it is freed.
 */
#include "payment/stripe.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RESPONSE (1024 * 1024)
#define BACKOFF_CAP_MS 4000L

/* ---- form encoding ------------------------------------------------------ */

static void form_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
			buf_add(b, (const char *)&c, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

void stripe_form_add(struct stripe_form *f, const char *key, const char *value)
{
	if (!key || !value)
		return;
	if (f->b.len)
		buf_add(&f->b, "&", 1);
	form_escape(&f->b, key);
	buf_add(&f->b, "=", 1);
	form_escape(&f->b, value);
}

void stripe_form_add_int(struct stripe_form *f, const char *key, int64_t value)
{
	char n[24];

	snprintf(n, sizeof n, "%lld", (long long)value);
	stripe_form_add(f, key, n);
}

void stripe_form_add_metadata(struct stripe_form *f, const struct stripe_kv *kv, size_t n)
{
	struct buf key = { 0 };

	for (size_t i = 0; i < n; i++) {
		key.len = 0;
		buf_printf(&key, "metadata[%s]", kv[i].key);
		stripe_form_add(f, key.data, kv[i].value);
	}
	buf_free(&key);
}

const char *stripe_form_text(const struct stripe_form *f)
{
	return f && f->b.data ? f->b.data : "";
}

void stripe_form_free(struct stripe_form *f)
{
	buf_free(&f->b);
}

void stripe_idempotency_key(const char *purpose, char *out)
{
	size_t n = strlen(purpose);
	bool plain = n > 0 && n <= 200;

	for (const unsigned char *p = (const unsigned char *)purpose; plain && *p; p++)
		plain = *p > 0x20 && *p < 0x7f;
	if (plain) {
		memcpy(out, "cwc-", 4);
		memcpy(out + 4, purpose, n + 1);
		return;
	}
	memcpy(out, "cwc-", 4);
	crypto_sha256_hex(purpose, n, out + 4);
}

/* ---- the client ---------------------------------------------------------- */

struct stripe {
	CURL *curl;
	char *base;              /* without a trailing '/' */
	char *auth_header;       /* "Authorization: Bearer sk_…" (a secret) */
	long connect_timeout_ms, timeout_ms, backoff_ms;
	int max_attempts;
	struct stripe_failure last;
};

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static bool not_configured(struct err *e)
{
	return err_set(e, 503, "payments_unavailable", NULL, "Payments are not configured.");
}

stripe_t *stripe_open(const struct stripe_options *o, struct err *e)
{
	stripe_t *s;
	struct buf auth = { 0 };
	size_t n;

	if (!o->secret_key || !*o->secret_key)
		return not_configured(e), NULL;
	if (!o->api_base || (strncmp(o->api_base, "https://", 8) != 0 &&
			     strncmp(o->api_base, "http://", 7) != 0)) {
		log_error("stripe: STRIPE_API_BASE must be an http(s) URL");
		return err_set(e, 500, "internal", NULL, "Internal error."), NULL;
	}
	if (strpbrk(o->secret_key, "\r\n")) {
		log_error("stripe: STRIPE_SECRET_KEY contains a line break");
		return not_configured(e), NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("stripe: libcurl cannot be initialised");
		return err_set(e, 503, "payment_unavailable", NULL,
			       "The payment service cannot be reached right now. Please try again in a moment."), NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->curl = curl_easy_init();
	if (!s->curl)
		abort();
	n = strlen(o->api_base);
	while (n && o->api_base[n - 1] == '/')
		n--;
	s->base = strndup(o->api_base, n);
	if (!s->base)
		abort();
	buf_printf(&auth, "Authorization: Bearer %s", o->secret_key);
	s->auth_header = auth.data;
	s->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
	s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 20000;
	s->max_attempts = o->max_attempts > 0 ? o->max_attempts : 3;
	s->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 500;
	return s;
}

void stripe_close(stripe_t *s)
{
	if (!s)
		return;
	curl_easy_cleanup(s->curl);
	curl_global_cleanup();
	free(s->base);
	free_secret(s->auth_header);
	free(s);
}

static stripe_t *process_client;

stripe_t *stripe_client(struct err *e)
{
	if (!process_client) {
		struct stripe_options o = {
			.secret_key = cfg->stripe_secret_key,
			.api_base = cfg->stripe_api_base,
		};
		process_client = stripe_open(&o, e);
	}
	return process_client;
}

void stripe_client_release(void)
{
	stripe_close(process_client);
	process_client = NULL;
}

const struct stripe_failure *stripe_last_failure(const stripe_t *s)
{
	return &s->last;
}

bool stripe_config_check(char *errbuf, size_t errlen)
{
	static const char *const vars[] = {
		"STRIPE_SECRET_KEY", "STRIPE_PUBLIC_KEY", "STRIPE_WEBHOOK_SECRET",
	};
	const char *values[] = {
		cfg->stripe_secret_key, cfg->stripe_public_key, cfg->stripe_webhook_secret,
	};

	if (!cfg->production)
		return true;
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		if (!values[i] || !*values[i]) {
			snprintf(errbuf, errlen, "%s is not set (required in production)", vars[i]);
			return false;
		}
	return true;
}

/* ---- one request --------------------------------------------------------- */

struct response {
	struct buf body;
	int should_retry;        /* Stripe-Should-Retry: -1 absent, 0 false, 1 true */
	char request_id[64];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;

	if (r->body.len + len > MAX_RESPONSE)
		return 0;
	buf_add(&r->body, p, len);
	return len;
}

/* The value of header `name` in the header line `p` (`len` bytes), copied
 * trimmed into `out`; false when the line is another header. */
static bool header_value(const char *p, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return false;
	p += nl + 1;
	len -= nl + 1;
	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;
	char v[16];

	if (header_value(p, len, "Stripe-Should-Retry", v, sizeof v))
		r->should_retry = strcasecmp(v, "true") == 0 ? 1 : 0;
	else
		header_value(p, len, "Request-Id", r->request_id, sizeof r->request_id);
	return len;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The pause before retry `attempt` (1 = the first retry): backoff × 2^(n-1),
 * capped, and jittered down to half so that workers do not retry in step. */
static long backoff(const stripe_t *s, int attempt)
{
	long ms = s->backoff_ms;
	uint16_t r = 0;

	for (int i = 1; i < attempt && ms < BACKOFF_CAP_MS; i++)
		ms *= 2;
	if (ms > BACKOFF_CAP_MS)
		ms = BACKOFF_CAP_MS;
	(void)crypto_random(&r, sizeof r);
	return ms / 2 + (long)((ms / 2) * (r / 65535.0));
}

/* A copy of `s` fit for a log line or a customer: at most `max` bytes,
 * control characters as spaces. */
static void clean_copy(char *out, size_t outlen, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n + 1 < outlen && n < max; s++)
		out[n++] = (unsigned char)*s < 0x20 ? ' ' : *s;
	out[n] = '\0';
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool unavailable(struct err *e)
{
	return err_set(e, 503, "payment_unavailable", NULL,
		       "The payment service cannot be reached right now. Please try again in a moment.");
}

/* Turns a failed answer (or none: status 0) into `e`, logging what the
 * operator needs. `error` is Stripe's error object, or NULL. */
static bool map_failure(stripe_t *s, const char *method, const char *path, long status,
			const char *curl_error, json_object *error, struct err *e)
{
	static const char *const conflicts[] = {
		"payment_intent_unexpected_state", "setup_intent_unexpected_state",
		"charge_already_captured", "charge_already_refunded",
		"charge_expired_for_capture", "payment_intent_invalid_parameter",
	};
	struct stripe_failure *f = &s->last;
	char msg[256];
	const char *type = member_str(error, "type"), *code = member_str(error, "code");
	const char *param = member_str(error, "param");

	f->http_status = status;
	clean_copy(f->type, sizeof f->type, type, 39);
	clean_copy(f->code, sizeof f->code, code, 63);
	clean_copy(f->decline_code, sizeof f->decline_code, member_str(error, "decline_code"), 63);
	clean_copy(msg, sizeof msg, member_str(error, "message"), 200);

	if (status == 0) {
		log_error("stripe: %s %s: no answer after %d attempt%s: %s", method, path,
			  f->attempts, f->attempts == 1 ? "" : "s", curl_error);
		return unavailable(e);
	}
	if (status == 402 || (type && strcmp(type, "card_error") == 0)) {
		bool auth = code && strcmp(code, "authentication_required") == 0;
		log_info("stripe: %s %s: card refused (%s%s%s)", method, path,
			 f->code[0] ? f->code : "card_error", f->decline_code[0] ? " / " : "",
			 f->decline_code);
		/* Stripe writes card errors' messages for the customer */
		return err_set(e, 402, auth ? "authentication_required" : "card_declined", NULL, "%s",
			       msg[0] ? msg : auth ? "Your bank asks you to confirm this payment."
					       : "Your card was declined.");
	}
	if (status == 401 || status == 403) {
		log_error("stripe: %s %s: Stripe refused the API key (HTTP %ld%s%s): check "
			  "STRIPE_SECRET_KEY", method, path, status, msg[0] ? ": " : "", msg);
		return unavailable(e);
	}
	if (status == 429 || status >= 500 || (type && strcmp(type, "api_error") == 0) ||
	    status == 409) {
		log_error("stripe: %s %s: HTTP %ld after %d attempt%s (%s%s%s; request %s)",
			  method, path, status, f->attempts, f->attempts == 1 ? "" : "s",
			  f->type[0] ? f->type : "no error type", msg[0] ? ": " : "", msg,
			  f->request_id[0] ? f->request_id : "-");
		return unavailable(e);
	}
	for (size_t i = 0; code && i < sizeof conflicts / sizeof *conflicts; i++)
		if (strcmp(code, conflicts[i]) == 0) {
			log_warn("stripe: %s %s: %s: %s (request %s)", method, path, code, msg,
				 f->request_id[0] ? f->request_id : "-");
			return err_set(e, 409, "payment_conflict", NULL,
				       "This payment cannot be changed in its current state.");
		}
	/* invalid_request_error, idempotency_error, resource_missing: ours to fix */
	log_error("stripe: %s %s: HTTP %ld %s%s%s%s%.64s%s%s (request %s)", method, path, status,
		  f->type[0] ? f->type : "error", f->code[0] ? " " : "", f->code,
		  param ? " param " : "", param ? param : "", msg[0] ? ": " : "", msg,
		  f->request_id[0] ? f->request_id : "-");
	return err_set(e, 500, "internal", NULL, "Internal error.");
}

static bool id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > 255)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

bool stripe_request(stripe_t *s, const char *method, const char *path,
		    const struct stripe_form *params, const char *purpose,
		    json_object **out, struct err *e)
{
	bool post = strcmp(method, "POST") == 0;
	char key[STRIPE_IDEM_KEY_MAX + 1], errbuf[CURL_ERROR_SIZE], idem[STRIPE_IDEM_KEY_MAX + 32];
	struct curl_slist *h = NULL;
	struct buf url = { 0 };
	const char *form = stripe_form_text(params);
	struct response r;
	long status = 0;
	CURLcode rc = CURLE_OK;
	json_object *answer = NULL, *error = NULL;
	bool ok = false;

	*out = NULL;
	memset(&s->last, 0, sizeof s->last);
	memset(&r, 0, sizeof r);
	if (post && (!purpose || !*purpose)) {
		log_error("stripe: POST %s without a purpose (no idempotency key)", path);
		return err_set(e, 500, "internal", NULL, "Internal error.");
	}
	buf_printf(&url, "%s%s", s->base, path);
	if (!post && *form)
		buf_printf(&url, "?%s", form);
	h = curl_slist_append(h, s->auth_header);
	h = curl_slist_append(h, "Stripe-Version: " STRIPE_API_VERSION);
	h = curl_slist_append(h, "User-Agent: cwc/1 (CoworKing Café)");
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	if (post) {
		stripe_idempotency_key(purpose, key);
		snprintf(idem, sizeof idem, "Idempotency-Key: %s", key);
		h = curl_slist_append(h, idem);
		h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	}

	for (int attempt = 1; attempt <= s->max_attempts; attempt++) {
		bool retry;

		if (attempt > 1)
			pause_ms(backoff(s, attempt - 1));
		buf_free(&r.body);
		memset(&r, 0, sizeof r);
		r.should_retry = -1;
		errbuf[0] = '\0';
		curl_easy_reset(s->curl);
		curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
		curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, s->timeout_ms);
		curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(s->curl, CURLOPT_URL, url.data);
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, method);
		if (post) {
			curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, form);
			curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
		}
		curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &r);
		curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, &r);
		rc = curl_easy_perform(s->curl);
		status = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		s->last.attempts = attempt;
		if (rc == CURLE_OK && status >= 200 && status < 300)
			break;
		retry = rc != CURLE_OK || status == 409 || status == 429 || status >= 500;
		if (r.should_retry >= 0)
			retry = r.should_retry == 1;
		if (!retry)
			break;
		log_warn("stripe: %s %s: attempt %d of %d failed (%s%ld)%s", method, path,
			 attempt, s->max_attempts, rc != CURLE_OK ? "network, " : "HTTP ",
			 rc != CURLE_OK ? 0L : status,
			 attempt < s->max_attempts ? ", retrying with the same key" : "");
	}
	snprintf(s->last.request_id, sizeof s->last.request_id, "%s", r.request_id);

	if (rc != CURLE_OK) {
		map_failure(s, method, path, 0, errbuf[0] ? errbuf : curl_easy_strerror(rc), NULL, e);
		goto done;
	}
	answer = r.body.data ? json_tokener_parse(r.body.data) : NULL;
	if (status >= 200 && status < 300) {
		if (!answer || !json_object_is_type(answer, json_type_object)) {
			log_error("stripe: %s %s: HTTP %ld without a JSON object", method, path, status);
			s->last.http_status = status;
			unavailable(e);
			goto done;
		}
		*out = answer;
		answer = NULL;
		ok = true;
		goto done;
	}
	if (answer && json_object_is_type(answer, json_type_object))
		json_object_object_get_ex(answer, "error", &error);
	map_failure(s, method, path, status, NULL, error, e);
done:
	json_object_put(answer);
	buf_free(&r.body);
	buf_free(&url);
	curl_slist_free_all(h);
	return ok;
}

/* ---- operations ---------------------------------------------------------- */

static bool bad_id(const char *what, struct err *e)
{
	log_error("stripe: refused to send an unusable %s id", what);
	return err_set(e, 500, "internal", NULL, "Internal error.");
}

/* "/v1/<collection>/<id><suffix>" into `b`, when `id` is a Stripe id. */
static bool object_path(struct buf *b, const char *collection, const char *id,
			const char *suffix, struct err *e)
{
	if (!id_ok(id))
		return bad_id(collection, e);
	buf_printf(b, "/v1/%s/%s%s", collection, id, suffix ? suffix : "");
	return true;
}

bool stripe_customer_find_or_create(stripe_t *s, const char *email, const char *name,
				    const char *phone, json_object **out, struct err *e)
{
	struct stripe_form q = { { 0 } }, f = { { 0 } };
	json_object *list = NULL, *data, *first;
	char hash[65];
	struct buf purpose = { 0 };
	bool ok = false;

	*out = NULL;
	if (!email || !*email)
		return err_set(e, 422, "validation_failed", "email", "An email address is needed.");
	stripe_form_add(&q, "email", email);
	stripe_form_add(&q, "limit", "1");
	if (!stripe_request(s, "GET", "/v1/customers", &q, NULL, &list, e))
		goto done;
	if (json_object_object_get_ex(list, "data", &data) &&
	    json_object_is_type(data, json_type_array) && json_object_array_length(data) > 0 &&
	    (first = json_object_array_get_idx(data, 0)) &&
	    json_object_is_type(first, json_type_object)) {
		*out = json_object_get(first);
		ok = true;
		goto done;
	}
	stripe_form_add(&f, "email", email);
	stripe_form_add(&f, "name", name && *name ? name : NULL);
	stripe_form_add(&f, "phone", phone && *phone ? phone : NULL);
	crypto_sha256_hex(email, strlen(email), hash);
	buf_printf(&purpose, "customer/%s", hash);
	ok = stripe_request(s, "POST", "/v1/customers", &f, purpose.data, out, e);
done:
	json_object_put(list);
	stripe_form_free(&q);
	stripe_form_free(&f);
	buf_free(&purpose);
	return ok;
}

bool stripe_payment_intent_create(stripe_t *s, const struct stripe_intent *in,
				  const char *purpose, json_object **out, struct err *e)
{
	struct stripe_form f = { { 0 } };
	bool ok;

	*out = NULL;
	if (in->amount <= 0) {
		log_error("stripe: a PaymentIntent of %lld cents", (long long)in->amount);
		return err_set(e, 500, "internal", NULL, "Internal error.");
	}
	if (in->customer && !id_ok(in->customer))
		return bad_id("customer", e);
	if (in->payment_method && !id_ok(in->payment_method))
		return bad_id("payment method", e);
	stripe_form_add_int(&f, "amount", in->amount);
	stripe_form_add(&f, "currency", in->currency ? in->currency : "eur");
	stripe_form_add(&f, "capture_method", in->automatic_capture ? "automatic" : "manual");
	stripe_form_add(&f, "payment_method_types[]", "card");
	stripe_form_add(&f, "customer", in->customer);
	stripe_form_add(&f, "description", in->description);
	stripe_form_add_metadata(&f, in->metadata, in->nmetadata);
	if (in->payment_method) {
		stripe_form_add(&f, "payment_method", in->payment_method);
		stripe_form_add(&f, "off_session", "true");
		stripe_form_add(&f, "confirm", "true");
	}
	ok = stripe_request(s, "POST", "/v1/payment_intents", &f, purpose, out, e);
	stripe_form_free(&f);
	return ok;
}

/* GET /v1/<collection>/<id>, with `expand[]=<expand>` when not NULL. */
static bool get_expanded(stripe_t *s, const char *collection, const char *id,
			 const char *expand, json_object **out, struct err *e)
{
	struct buf path = { 0 };
	struct stripe_form q = { 0 };
	bool ok;

	*out = NULL;
	if (expand)
		stripe_form_add(&q, "expand[]", expand);
	ok = object_path(&path, collection, id, NULL, e) &&
	     stripe_request(s, "GET", path.data, expand ? &q : NULL, NULL, out, e);
	buf_free(&path);
	stripe_form_free(&q);
	return ok;
}

static bool get_object(stripe_t *s, const char *collection, const char *id,
		       json_object **out, struct err *e)
{
	return get_expanded(s, collection, id, NULL, out, e);
}

/* POST /v1/<collection>/<id><suffix> with `f`. */
static bool post_action(stripe_t *s, const char *collection, const char *id, const char *suffix,
			const struct stripe_form *f, const char *purpose, json_object **out,
			struct err *e)
{
	struct buf path = { 0 };
	bool ok;

	*out = NULL;
	ok = object_path(&path, collection, id, suffix, e) &&
	     stripe_request(s, "POST", path.data, f, purpose, out, e);
	buf_free(&path);
	return ok;
}

bool stripe_payment_intent_retrieve(stripe_t *s, const char *id, json_object **out,
				    struct err *e)
{
	return get_expanded(s, "payment_intents", id, "latest_charge", out, e);
}

bool stripe_charge_retrieve(stripe_t *s, const char *id, json_object **out, struct err *e)
{
	return get_object(s, "charges", id, out, e);
}

bool stripe_payment_intent_capture(stripe_t *s, const char *id, int64_t amount,
				   const char *purpose, json_object **out, struct err *e)
{
	struct stripe_form f = { { 0 } };
	bool ok;

	if (amount >= 0)
		stripe_form_add_int(&f, "amount_to_capture", amount);
	ok = post_action(s, "payment_intents", id, "/capture", &f, purpose, out, e);
	stripe_form_free(&f);
	return ok;
}

bool stripe_payment_intent_cancel(stripe_t *s, const char *id, const char *reason,
				  const char *purpose, json_object **out, struct err *e)
{
	struct stripe_form f = { { 0 } };
	bool ok;

	stripe_form_add(&f, "cancellation_reason", reason);
	ok = post_action(s, "payment_intents", id, "/cancel", &f, purpose, out, e);
	stripe_form_free(&f);
	return ok;
}

bool stripe_setup_intent_create(stripe_t *s, const char *customer,
				const struct stripe_kv *metadata, size_t nmetadata,
				const char *purpose, json_object **out, struct err *e)
{
	struct stripe_form f = { { 0 } };
	bool ok;

	*out = NULL;
	if (customer && !id_ok(customer))
		return bad_id("customer", e);
	stripe_form_add(&f, "customer", customer);
	stripe_form_add(&f, "payment_method_types[]", "card");
	stripe_form_add(&f, "usage", "off_session");
	stripe_form_add_metadata(&f, metadata, nmetadata);
	ok = stripe_request(s, "POST", "/v1/setup_intents", &f, purpose, out, e);
	stripe_form_free(&f);
	return ok;
}

bool stripe_setup_intent_retrieve(stripe_t *s, const char *id, json_object **out,
				  struct err *e)
{
	return get_object(s, "setup_intents", id, out, e);
}

bool stripe_refund_create(stripe_t *s, const char *payment_intent, int64_t amount,
			  const char *reason, const struct stripe_kv *metadata,
			  size_t nmetadata, const char *purpose, json_object **out,
			  struct err *e)
{
	struct stripe_form f = { { 0 } };
	bool ok;

	*out = NULL;
	if (!id_ok(payment_intent))
		return bad_id("payment intent", e);
	stripe_form_add(&f, "payment_intent", payment_intent);
	if (amount >= 0)
		stripe_form_add_int(&f, "amount", amount);
	stripe_form_add(&f, "reason", reason);
	stripe_form_add_metadata(&f, metadata, nmetadata);
	ok = stripe_request(s, "POST", "/v1/refunds", &f, purpose, out, e);
	stripe_form_free(&f);
	return ok;
}

bool stripe_checkout_session_create(stripe_t *s, const struct stripe_checkout *in,
				    const char *purpose, json_object **out, struct err *e)
{
	struct stripe_form f = { { 0 } };
	bool ok;

	*out = NULL;
	if (in->unit_amount <= 0 || in->quantity <= 0 || !in->name || !in->success_url) {
		log_error("stripe: an incomplete Checkout Session");
		return err_set(e, 500, "internal", NULL, "Internal error.");
	}
	stripe_form_add(&f, "mode", "payment");
	stripe_form_add(&f, "payment_method_types[]", "card");
	stripe_form_add(&f, "line_items[0][price_data][currency]", in->currency ? in->currency : "eur");
	stripe_form_add(&f, "line_items[0][price_data][product_data][name]", in->name);
	stripe_form_add_int(&f, "line_items[0][price_data][unit_amount]", in->unit_amount);
	stripe_form_add_int(&f, "line_items[0][quantity]", in->quantity);
	stripe_form_add(&f, "success_url", in->success_url);
	stripe_form_add(&f, "cancel_url", in->cancel_url);
	stripe_form_add(&f, "customer_email", in->customer_email);
	stripe_form_add(&f, "client_reference_id", in->client_reference_id);
	stripe_form_add_metadata(&f, in->metadata, in->nmetadata);
	if (in->expires_at > 0)
		stripe_form_add_int(&f, "expires_at", in->expires_at);
	ok = stripe_request(s, "POST", "/v1/checkout/sessions", &f, purpose, out, e);
	stripe_form_free(&f);
	return ok;
}

bool stripe_checkout_session_expire(stripe_t *s, const char *id, const char *purpose,
				    json_object **out, struct err *e)
{
	return post_action(s, "checkout/sessions", id, "/expire", NULL, purpose, out, e);
}

/* ---- readers ----------------------------------------------------------------- */

const char *stripe_str(json_object *o, const char *key)
{
	return member_str(o, key);
}

const char *stripe_latest_charge_id(json_object *pi)
{
	json_object *v;

	if (!pi || !json_object_object_get_ex(pi, "latest_charge", &v))
		return NULL;
	return json_object_is_type(v, json_type_object) ? member_str(v, "id") : member_str(pi, "latest_charge");
}

int64_t stripe_capture_before(json_object *charge)
{
	json_object *d, *card;

	if (!charge || !json_object_is_type(charge, json_type_object) ||
	    !json_object_object_get_ex(charge, "payment_method_details", &d) ||
	    !json_object_is_type(d, json_type_object) ||
	    !json_object_object_get_ex(d, "card", &card))
		return 0;
	return stripe_int(card, "capture_before", 0) > 0 ? stripe_int(card, "capture_before", 0) : 0;
}

int64_t stripe_int(json_object *o, const char *key, int64_t def)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}
