/*
 * The Stripe client (payment/stripe.h) against the fake of Stripe's API
 * (t/fake/stripe), which it starts: the bearer key (a wrong one is refused
 * once, not retried), idempotency (the same purpose twice is one object;
 * the same purpose with other parameters is our bug, not a second hold),
 * retries with the same key after 500s and after a timeout (one object
 * created, the key sent every time), Stripe-Should-Retry: false, a
 * network error, the hold's life (authorise, partial capture, cancel,
 * capture after cancel refused, refunds up to what was captured), cards
 * declined off session (402 with Stripe's message for the customer),
 * customers found by email, SetupIntents and Checkout Sessions. Run from
 * the checkout's root (prove does), under AddressSanitizer.
 */
#include "core/buf.h"
#include "core/log.h"
#include "payment/stripe.h"
#include "tap.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY "sk_test_cwc_0123456789abcdefghijklmnop"

static pid_t fake_pid;
static char fake_url[64], record[256], tmpdir[128];

static bool fake_start(void)
{
	int p[2];
	char line[64] = "";
	FILE *f;
	const char *prog = getenv("CWC_STRIPE_FAKE") ? getenv("CWC_STRIPE_FAKE") : "t/fake/stripe";

	snprintf(tmpdir, sizeof tmpdir, "/tmp/cwc-stripe-fake-XXXXXX");
	if (!mkdtemp(tmpdir) || pipe(p) < 0)
		return false;
	snprintf(record, sizeof record, "%s/record.jsonl", tmpdir);
	fake_pid = fork();
	if (fake_pid == 0) {
		char err[200];
		snprintf(err, sizeof err, "%s/stderr.log", tmpdir);
		dup2(p[1], 1);
		if (!freopen(err, "a", stderr))
			_exit(126);
		close(p[0]);
		execl("/usr/bin/python3", "python3", prog, "--key", KEY, "--record", record, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	if (!f || !fgets(line, sizeof line, f) || strncmp(line, "ready ", 6) != 0)
		return false;
	fclose(f);
	snprintf(fake_url, sizeof fake_url, "http://127.0.0.1:%d", atoi(line + 6));
	return true;
}

static void fake_stop(void)
{
	char cmd[200];

	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	if (!getenv("CWC_KEEP_TMP")) {
		snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* POST `json` to the fake's test endpoint `path`; its answer (caller puts). */
static json_object *fake_post(const char *path, const char *json)
{
	CURL *c = curl_easy_init();
	struct buf url = { 0 }, out = { 0 };
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	json_object *o = NULL;

	buf_printf(&url, "%s%s", fake_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	if (curl_easy_perform(c) == CURLE_OK && out.data)
		o = json_tokener_parse(out.data);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	buf_free(&url);
	buf_free(&out);
	return o;
}

static void control(const char *json)
{
	json_object_put(fake_post("/_fake/control", json));
}

/* The fake's records of API requests sent with Idempotency-Key `key`
 * (NULL: every request), as "outcome status" words joined by spaces. */
static void outcomes(const char *key, const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(record, "r");
	char line[65536];
	struct buf b = { 0 };

	while (f && fgets(line, sizeof line, f)) {
		json_object *o = json_tokener_parse(line);
		const char *k = stripe_str(o, "idempotencyKey"), *p = stripe_str(o, "path");
		if (o && stripe_str(o, "method") && (!key || (k && strcmp(k, key) == 0)) &&
		    (!path || (p && strcmp(p, path) == 0)))
			buf_printf(&b, "%s%s %lld", b.len ? " " : "", stripe_str(o, "outcome"),
				   (long long)stripe_int(o, "status", 0));
		json_object_put(o);
	}
	if (f)
		fclose(f);
	snprintf(out, outlen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

/* How many API requests the fake recorded with this method, path and
 * outcome (NULL: any). */
static int count(const char *method, const char *path, const char *outcome)
{
	FILE *f = fopen(record, "r");
	char line[65536];
	int n = 0;

	while (f && fgets(line, sizeof line, f)) {
		json_object *o = json_tokener_parse(line);
		const char *m = stripe_str(o, "method"), *p = stripe_str(o, "path");
		const char *oc = stripe_str(o, "outcome");
		if (m && (!method || strcmp(m, method) == 0) && (!path || (p && strcmp(p, path) == 0)) &&
		    (!outcome || (oc && strcmp(oc, outcome) == 0)))
			n++;
		json_object_put(o);
	}
	if (f)
		fclose(f);
	return n;
}

/* The last record of the fake (a request), parsed (caller puts). */
static json_object *last_record(void)
{
	FILE *f = fopen(record, "r");
	char line[65536];
	json_object *last = NULL;

	while (f && fgets(line, sizeof line, f)) {
		json_object *o = json_tokener_parse(line);
		if (o && stripe_str(o, "method")) {
			json_object_put(last);
			last = o;
		} else {
			json_object_put(o);
		}
	}
	if (f)
		fclose(f);
	return last;
}

static const char *path_str(json_object *o, const char *dotted)
{
	char key[128];
	const char *p = dotted;

	while (o) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof key, "%.*s", (int)n, p);
		if (!p[n] && !json_object_is_type(o, json_type_array))
			return stripe_str(o, key);
		if (!p[n]) {
			o = json_object_array_get_idx(o, (size_t)atoi(key));
			return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
		}
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p += n + 1;
	}
	return NULL;
}

static stripe_t *client(const char *key, const char *base, int attempts, long timeout_ms)
{
	struct stripe_options o = {
		.secret_key = key, .api_base = base, .max_attempts = attempts,
		.backoff_ms = 50, .timeout_ms = timeout_ms, .connect_timeout_ms = 2000,
	};
	struct err e = { 0 };
	stripe_t *s = stripe_open(&o, &e);

	if (!s)
		diag("stripe_open: %s", e.message);
	return s;
}

static const struct stripe_kv booking_meta[] = {
	{ "bookingId", "65f0c0ffee0000000000abcd" },
	{ "confirmationNumber", "CWC-7K3Q9M" },
};

static void test_keys(void)
{
	struct err e = { 0 };
	struct stripe_options none = { .secret_key = "", .api_base = fake_url };
	stripe_t *s;
	json_object *o = NULL;
	char got[512];

	ok(!stripe_open(&none, &e), "no secret key: no client");
	ok(e.status == 503 && strcmp(e.code, "payments_unavailable") == 0 &&
	   strcmp(e.message, "Payments are not configured.") == 0,
	   "  503 payments_unavailable, \"Payments are not configured.\" (%d %s)", e.status, e.code);

	s = client("sk_test_wrong_key_0000000000000000", fake_url, 3, 5000);
	memset(&e, 0, sizeof e);
	ok(!stripe_customer_find_or_create(s, "zoe@example.com", "Zoé", NULL, &o, &e),
	   "a wrong key: the call fails");
	is_int(e.status, 503, "  503 for the customer (our configuration, not theirs)");
	is_str(e.code, "payment_unavailable", "  payment_unavailable");
	ok(strstr(e.message, "sk_test") == NULL, "  the key is not in the message");
	is_int(stripe_last_failure(s)->http_status, 401, "  Stripe said 401");
	outcomes(NULL, NULL, got, sizeof got);
	is_str(got, "unauthorized 401", "  one request, not retried (the key will not get better)");
	stripe_close(s);
}

static char client_log[300];

/* What the log says about a refused key: which variable, never a key. */
static void test_log_keys(void)
{
	FILE *f;
	char text[8192] = "";
	size_t n;

	if (!client_log[0]) {
		skip("the client's log is on the terminal (CWC_TEST_LOG)");
		return;
	}
	fflush(stderr);
	f = fopen(client_log, "r");
	n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	ok(strstr(text, "Stripe refused the API key (HTTP 401") &&
	   strstr(text, "check STRIPE_SECRET_KEY"), "the log says the key was refused and what to check");
	ok(!strstr(text, "sk_test_wrong_key_0000000000000000") && !strstr(text, KEY),
	   "  and never shows a key");
}

static void test_hold(stripe_t *s)
{
	struct stripe_intent in = {
		.amount = 3000, .description = "Réservation CWC-7K3Q9M (open-space)",
		.metadata = booking_meta, .nmetadata = 2,
	};
	json_object *pi = NULL, *pi2 = NULL, *x = NULL, *rec;
	struct err e = { 0 };
	char got[512], id[64];

	ok(stripe_payment_intent_create(s, &in, "booking/65f0c0ffee0000000000abcd/hold", &pi, &e),
	   "a hold: PaymentIntent created (%s)", e.message);
	is_str(stripe_str(pi, "status"), "requires_payment_method", "  waiting for the card");
	is_str(stripe_str(pi, "capture_method"), "manual", "  capture_method=manual (a hold)");
	is_int(stripe_int(pi, "amount", 0), 3000, "  3000 cents");
	is_str(stripe_str(pi, "currency"), "eur", "  in euros");
	ok(stripe_str(pi, "client_secret") != NULL, "  with a client_secret for the browser");
	rec = last_record();
	is_str(path_str(rec, "params.metadata.bookingId"), "65f0c0ffee0000000000abcd",
	       "  metadata[bookingId] arrived as a nested key");
	is_str(path_str(rec, "params.payment_method_types.0"), "card", "  payment_method_types[]=card");
	is_str(stripe_str(rec, "authorization"), "Bearer " KEY, "  the secret key as a bearer");
	is_str(stripe_str(rec, "stripeVersion"), STRIPE_API_VERSION, "  the API version pinned");
	is_str(stripe_str(rec, "idempotencyKey"), "cwc-booking/65f0c0ffee0000000000abcd/hold",
	       "  Idempotency-Key derived from the purpose");
	json_object_put(rec);
	snprintf(id, sizeof id, "%s", stripe_str(pi, "id"));

	ok(stripe_payment_intent_create(s, &in, "booking/65f0c0ffee0000000000abcd/hold", &pi2, &e),
	   "the same hold asked again (a second worker, a retried request)");
	is_str(stripe_str(pi2, "id"), id, "  the same PaymentIntent: no second hold");
	outcomes("cwc-booking/65f0c0ffee0000000000abcd/hold", NULL, got, sizeof got);
	is_str(got, "ok 200 replayed 200", "  Stripe replayed its first answer");

	in.amount = 4500;
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_create(s, &in, "booking/65f0c0ffee0000000000abcd/hold", &x, &e),
	   "the same purpose with another amount is refused");
	ok(e.status == 500 && strcmp(e.code, "internal") == 0, "  as our bug: 500 internal (%d %s)",
	   e.status, e.code);
	is_str(stripe_last_failure(s)->type, "idempotency_error", "  Stripe said idempotency_error");
	json_object_put(pi);
	json_object_put(pi2);

	/* the customer's browser authorises the card (Stripe.js) */
	{
		char body[160];
		json_object *r;
		snprintf(body, sizeof body, "{\"id\":\"%s\",\"paymentMethod\":\"pm_card_visa\"}", id);
		r = fake_post("/_fake/confirm", body);
		is_str(stripe_str(r, "status"), "requires_capture", "the card authorised: requires_capture");
		json_object_put(r);
	}
	ok(stripe_payment_intent_retrieve(s, id, &pi, &e), "retrieve");
	is_int(stripe_int(pi, "amount_capturable", 0), 3000, "  3000 cents capturable");
	{	/* expand[]=latest_charge: the Charge, with Stripe's capture_before */
		json_object *lc = NULL, *ch = NULL;
		const char *cid = stripe_latest_charge_id(pi);
		int64_t cb = 0;
		ok(cid && strncmp(cid, "ch_", 3) == 0, "  latest_charge expanded, a charge (%s)", cid ? cid : "none");
		ok(json_object_object_get_ex(pi, "latest_charge", &lc) && json_object_is_type(lc, json_type_object),
		   "  as an object");
		cb = stripe_capture_before(lc);
		is_int(cb - stripe_int(lc, "created", 0), 7 * 86400,
		       "  capture_before: 7 days after an on-session authorisation");
		ok(cid && stripe_charge_retrieve(s, cid, &ch, &e), "GET the charge");
		is_int(stripe_capture_before(ch), cb, "  the same capture_before");
		json_object_put(ch);
	}
	json_object_put(pi);
	{	/* the fake rejects other GET parameters, as Stripe does */
		struct stripe_form q = { 0 };
		char path[160];
		json_object *bad = NULL;
		snprintf(path, sizeof path, "/v1/payment_intents/%s", id);
		stripe_form_add(&q, "bogus", "1");
		ok(!stripe_request(s, "GET", path, &q, NULL, &bad, &e) &&
		   stripe_last_failure(s)->http_status == 400 &&
		   strcmp(stripe_last_failure(s)->code, "parameter_unknown") == 0,
		   "  an unknown parameter: 400 parameter_unknown (%ld %s)",
		   stripe_last_failure(s)->http_status, stripe_last_failure(s)->code);
		json_object_put(bad);
		stripe_form_free(&q);
	}

	ok(stripe_payment_intent_capture(s, id, 1200, "booking/65f0c0ffee0000000000abcd/capture/1200",
					 &pi, &e), "a no-show fee: partial capture of 1200");
	is_str(stripe_str(pi, "status"), "succeeded", "  succeeded");
	is_int(stripe_int(pi, "amount_received", 0), 1200, "  1200 received, the rest released");
	is_int(stripe_int(pi, "amount_capturable", -1), 0, "  nothing capturable any more");
	json_object_put(pi);
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_capture(s, id, 500, "booking/65f0c0ffee0000000000abcd/capture/500",
					  &pi, &e), "a second capture is refused");
	ok(e.status == 409 && strcmp(e.code, "payment_conflict") == 0, "  409 payment_conflict (%d %s)",
	   e.status, e.code);
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_cancel(s, id, "requested_by_customer",
					 "booking/65f0c0ffee0000000000abcd/release", &pi, &e),
	   "releasing a captured hold is refused");
	is_int(e.status, 409, "  409");

	/* refunds: up to what was captured */
	ok(stripe_refund_create(s, id, 500, "requested_by_customer", NULL, 0,
				"booking/65f0c0ffee0000000000abcd/refund/500", &x, &e),
	   "refund 500 of the 1200 captured");
	is_int(stripe_int(x, "amount", 0), 500, "  500");
	is_str(stripe_str(x, "status"), "succeeded", "  succeeded");
	json_object_put(x);
	memset(&e, 0, sizeof e);
	ok(!stripe_refund_create(s, id, 800, NULL, NULL, 0,
				 "booking/65f0c0ffee0000000000abcd/refund/800", &x, &e),
	   "refund 800 more (only 700 left) is refused");
	is_int(e.status, 500, "  500: our arithmetic, logged");
	ok(stripe_refund_create(s, id, -1, NULL, NULL, 0,
				"booking/65f0c0ffee0000000000abcd/refund/rest", &x, &e),
	   "refund the rest");
	is_int(stripe_int(x, "amount", 0), 700, "  700");
	json_object_put(x);
	memset(&e, 0, sizeof e);
	ok(!stripe_refund_create(s, id, -1, NULL, NULL, 0,
				 "booking/65f0c0ffee0000000000abcd/refund/again", &x, &e),
	   "nothing left to refund");
	ok(e.status == 409 && strcmp(e.code, "payment_conflict") == 0,
	   "  409 payment_conflict (charge_already_refunded)");

	/* a released hold cannot be captured */
	in.amount = 2900;
	ok(stripe_payment_intent_create(s, &in, "booking/65f0c0ffee000000000000aa/hold", &pi, &e),
	   "another hold");
	snprintf(id, sizeof id, "%s", stripe_str(pi, "id"));
	json_object_put(pi);
	ok(stripe_payment_intent_cancel(s, id, "requested_by_customer",
					"booking/65f0c0ffee000000000000aa/release", &pi, &e),
	   "released (cancel)");
	is_str(stripe_str(pi, "status"), "canceled", "  canceled");
	json_object_put(pi);
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_capture(s, id, -1, "booking/65f0c0ffee000000000000aa/capture",
					  &pi, &e), "capture after cancel is refused");
	ok(e.status == 409 && strcmp(e.code, "payment_conflict") == 0, "  409 payment_conflict");
	is_str(stripe_last_failure(s)->code, "payment_intent_unexpected_state",
	       "  Stripe's code kept for the caller");
}

static void test_retries(stripe_t *s)
{
	struct stripe_intent in = { .amount = 1500, .metadata = booking_meta, .nmetadata = 1 };
	json_object *pi = NULL;
	struct err e = { 0 };
	char got[512];

	control("{\"failFirst\":2,\"failStatus\":500}");
	ok(stripe_payment_intent_create(s, &in, "booking/retry-500/hold", &pi, &e),
	   "Stripe answers 500 twice, then the hold is created (%s)", e.message);
	outcomes("cwc-booking/retry-500/hold", NULL, got, sizeof got);
	is_str(got, "injected 500 injected 500 ok 200",
	       "  three requests with the same key, one PaymentIntent created");
	is_int(stripe_last_failure(s)->attempts, 3, "  three attempts");
	json_object_put(pi);

	control("{\"failFirst\":5,\"failStatus\":503}");
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_create(s, &in, "booking/retry-503/hold", &pi, &e),
	   "Stripe down for longer than the retries");
	ok(e.status == 503 && strcmp(e.code, "payment_unavailable") == 0,
	   "  503 payment_unavailable (%d %s)", e.status, e.code);
	outcomes("cwc-booking/retry-503/hold", NULL, got, sizeof got);
	is_str(got, "injected 503 injected 503 injected 503", "  bounded: three attempts, then it gives up");
	control("{\"failFirst\":0}");

	control("{\"failFirst\":1,\"failStatus\":500,\"shouldRetry\":false}");
	ok(!stripe_payment_intent_create(s, &in, "booking/no-retry/hold", &pi, &e),
	   "a 500 with Stripe-Should-Retry: false");
	outcomes("cwc-booking/no-retry/hold", NULL, got, sizeof got);
	is_str(got, "injected 500", "  is not retried");
	control("{\"shouldRetry\":null}");

	/* a timeout: the first request ran at Stripe, its answer was lost */
	{
		stripe_t *slow = client(KEY, fake_url, 8, 400);
		control("{\"delayFirst\":1.5}");
		memset(&e, 0, sizeof e);
		ok(stripe_payment_intent_create(slow, &in, "booking/timeout/hold", &pi, &e),
		   "the first answer times out; the retries with the same key get the hold (%s)",
		   e.message);
		outcomes("cwc-booking/timeout/hold", NULL, got, sizeof got);
		ok(strstr(got, "ok 200") && !strstr(strstr(got, "ok 200") + 1, "ok 200") &&
		   strstr(got, "replayed 200"),
		   "  created once, the key held meanwhile (409), then replayed (%s)", got);
		json_object_put(pi);
		stripe_close(slow);
	}

	/* nobody listening */
	{
		stripe_t *off = client(KEY, "http://127.0.0.1:9", 3, 2000);
		memset(&e, 0, sizeof e);
		ok(!stripe_payment_intent_retrieve(off, "pi_123", &pi, &e), "Stripe unreachable");
		ok(e.status == 503 && strcmp(e.code, "payment_unavailable") == 0,
		   "  503 payment_unavailable");
		is_int(stripe_last_failure(off)->attempts, 3, "  after three attempts");
		is_int(stripe_last_failure(off)->http_status, 0, "  no answer");
		stripe_close(off);
	}

	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_retrieve(s, "pi_does_not_exist", &pi, &e), "an unknown PaymentIntent");
	is_int(e.status, 500, "  500 (we only ask for ids we stored)");
	is_str(stripe_last_failure(s)->code, "resource_missing", "  resource_missing kept");
	memset(&e, 0, sizeof e);
	{
		int before = count(NULL, NULL, NULL);
		ok(!stripe_payment_intent_retrieve(s, "pi_1/../../v1/refunds", &pi, &e),
		   "an id that is not an id is not sent");
		is_int(count(NULL, NULL, NULL), before, "  nothing reached the fake");
	}
	memset(&e, 0, sizeof e);
	ok(!stripe_request(s, "POST", "/v1/customers", NULL, NULL, &pi, &e),
	   "a POST without a purpose is refused before it is sent");
}

static void test_customers_and_cards(stripe_t *s)
{
	json_object *c1 = NULL, *c2 = NULL, *si = NULL, *pi = NULL, *r;
	struct err e = { 0 };
	char got[512], cus[64], body[160];
	struct stripe_intent off = { .amount = 4500, .metadata = booking_meta, .nmetadata = 2 };

	ok(stripe_customer_find_or_create(s, "zoe.dupont@example.com", "Zoé Dupont", "0611223344",
					  &c1, &e), "a customer created");
	ok(stripe_customer_find_or_create(s, "zoe.dupont@example.com", "Zoé Dupont", NULL, &c2, &e),
	   "asked again");
	is_str(stripe_str(c2, "id"), stripe_str(c1, "id"), "  found by email: the same customer");
	is_int(count("POST", "/v1/customers", NULL), 1, "  created once");
	is_int(count("GET", "/v1/customers", "ok"), 2, "  looked up twice");
	snprintf(cus, sizeof cus, "%s", stripe_str(c1, "id"));
	json_object_put(c1);
	json_object_put(c2);

	ok(stripe_setup_intent_create(s, cus, booking_meta, 2, "booking/far-ahead/setup", &si, &e),
	   "a SetupIntent for a booking far ahead");
	is_str(stripe_str(si, "status"), "requires_payment_method", "  waiting for the card");
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"paymentMethod\":\"pm_card_visa\"}",
		 stripe_str(si, "id"));
	json_object_put(fake_post("/_fake/confirm", body));
	{
		char sid[64];
		snprintf(sid, sizeof sid, "%s", stripe_str(si, "id"));
		json_object_put(si);
		ok(stripe_setup_intent_retrieve(s, sid, &si, &e), "retrieved");
	}
	is_str(stripe_str(si, "status"), "succeeded", "  succeeded once the card is saved");
	is_str(stripe_str(si, "payment_method"), "pm_card_visa", "  with its payment method");
	json_object_put(si);

	off.customer = cus;
	off.payment_method = "pm_card_visa";
	ok(stripe_payment_intent_create(s, &off, "booking/far-ahead/hold", &pi, &e),
	   "the hold placed off session from the saved card");
	is_str(stripe_str(pi, "status"), "requires_capture", "  authorised at once");
	json_object_put(pi);
	r = last_record();
	ok(path_str(r, "params.off_session") && strcmp(path_str(r, "params.off_session"), "true") == 0 &&
	   strcmp(path_str(r, "params.confirm"), "true") == 0, "  sent off_session=true, confirm=true");
	json_object_put(r);

	off.payment_method = "pm_card_chargeDeclined";
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_create(s, &off, "booking/declined/hold", &pi, &e),
	   "a declined card, off session");
	ok(e.status == 402 && strcmp(e.code, "card_declined") == 0, "  402 card_declined (%d %s)",
	   e.status, e.code);
	is_str(e.message, "Your card was declined.", "  Stripe's message, written for the customer");
	is_str(stripe_last_failure(s)->decline_code, "generic_decline", "  the decline code kept");
	outcomes("cwc-booking/declined/hold", NULL, got, sizeof got);
	is_str(got, "error 402", "  not retried");

	off.payment_method = "pm_card_authenticationRequired";
	memset(&e, 0, sizeof e);
	ok(!stripe_payment_intent_create(s, &off, "booking/auth/hold", &pi, &e),
	   "a card that needs the customer, off session");
	ok(e.status == 402 && strcmp(e.code, "authentication_required") == 0,
	   "  402 authentication_required (the customer gets a link)");
}

static void test_checkout(stripe_t *s)
{
	const struct stripe_kv meta[] = { { "eventId", "65f0c0ffee00000000000e01" } };
	struct stripe_checkout in = {
		.name = "Atelier « Café & code » — 12 décembre", .unit_amount = 1500, .quantity = 2,
		.success_url = "https://www.cafe.test/evenements/atelier?paid=1",
		.cancel_url = "https://www.cafe.test/evenements/atelier",
		.customer_email = "zoe.dupont@example.com", .client_reference_id = "reg-1",
		.metadata = meta, .nmetadata = 1,
	};
	json_object *cs = NULL, *r;
	struct err e = { 0 };
	char id[80];

	ok(stripe_checkout_session_create(s, &in, "event/65f0c0ffee00000000000e01/reg-1/checkout",
					  &cs, &e), "a Checkout Session for two tickets (%s)", e.message);
	is_str(stripe_str(cs, "status"), "open", "  open");
	is_int(stripe_int(cs, "amount_total", 0), 3000, "  3000 cents in all");
	ok(stripe_str(cs, "url") != NULL, "  with the page's URL");
	r = last_record();
	is_str(path_str(r, "params.line_items.0.price_data.product_data.name"), in.name,
	       "  line_items[0][price_data][product_data][name] nested, UTF-8 intact");
	json_object_put(r);
	snprintf(id, sizeof id, "%s", stripe_str(cs, "id"));
	json_object_put(cs);
	ok(stripe_checkout_session_expire(s, id, "event/65f0c0ffee00000000000e01/reg-1/expire", &cs, &e),
	   "expired");
	is_str(stripe_str(cs, "status"), "expired", "  expired");
	json_object_put(cs);
}

int main(void)
{
	stripe_t *s;

	log_init("stripe-test", getenv("CWC_TEST_LOG") ? getenv("CWC_TEST_LOG") : "error");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!fake_start()) {
		ok(false, "the fake of Stripe starts (t/fake/stripe, from the checkout's root)");
		fake_stop();
		return tap_done();
	}
	if (!getenv("CWC_TEST_LOG")) {
		/* the client's log, read below; CWC_TEST_LOG=info shows it */
		snprintf(client_log, sizeof client_log, "%s/client.log", tmpdir);
		if (!freopen(client_log, "w", stderr))
			client_log[0] = '\0';
	}
	test_keys();
	test_log_keys();
	s = client(KEY, fake_url, 3, 5000);
	test_hold(s);
	test_retries(s);
	test_customers_and_cards(s);
	test_checkout(s);
	stripe_close(s);
	fake_stop();
	curl_global_cleanup();
	return tap_done();
}
