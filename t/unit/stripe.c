/*
 * Stripe without the network: the form encoding of requests (nested keys,
 * arrays, metadata, characters that must be escaped), the idempotency key
 * derived from a purpose, and the webhook signature (payment/webhook.h):
 * a good one at its time, stale and future timestamps, a body changed by
 * one byte, several v1 entries (secret rotation), other schemes ignored,
 * and malformed headers; and the intake of events on the embedded store
 * (recorded once, a failed handler retried, a half-handled event taken
 * over once it is stale, never while it may still be running). Run under
 * AddressSanitizer.
 */
#include "payment/stripe.h"
#include "core/doc.h"
#include "core/log.h"
#include "payment/webhook.h"
#include "store/store.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "whsec_test_0123456789abcdefghijklmnopqrstuvwxyz"
#define NOW 1767225600LL     /* 2026-01-01T00:00:00Z */

static void test_form(void)
{
	struct stripe_form f = { { 0 } };
	const struct stripe_kv meta[] = {
		{ "bookingId", "65f0c0ffee0000000000abcd" },
		{ "contactName", "Zoé Dupont-Lefèvre & fils" },
	};

	is_str(stripe_form_text(&f), "", "an empty form is empty text");
	stripe_form_add_int(&f, "amount", 3000);
	stripe_form_add(&f, "currency", "eur");
	stripe_form_add(&f, "payment_method_types[]", "card");
	stripe_form_add(&f, "skipped", NULL);
	stripe_form_add_metadata(&f, meta, 2);
	stripe_form_add(&f, "description", "a=b&c=d+e%f / g?");
	stripe_form_add(&f, "line_items[0][price_data][product_data][name]", "Atelier");
	is_str(stripe_form_text(&f),
	       "amount=3000&currency=eur&payment_method_types%5B%5D=card"
	       "&metadata%5BbookingId%5D=65f0c0ffee0000000000abcd"
	       "&metadata%5BcontactName%5D=Zo%C3%A9%20Dupont-Lef%C3%A8vre%20%26%20fils"
	       "&description=a%3Db%26c%3Dd%2Be%25f%20%2F%20g%3F"
	       "&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Atelier",
	       "keys and values percent-encoded, brackets too, in order, NULL values left out");
	stripe_form_free(&f);

	stripe_form_add_int(&f, "amount_to_capture", -1);
	is_str(stripe_form_text(&f), "amount_to_capture=-1", "negative numbers");
	stripe_form_free(&f);
}

static void test_idempotency_key(void)
{
	char k[STRIPE_IDEM_KEY_MAX + 1], k2[STRIPE_IDEM_KEY_MAX + 1], longp[400];

	stripe_idempotency_key("booking/65f0c0ffee0000000000abcd/hold", k);
	is_str(k, "cwc-booking/65f0c0ffee0000000000abcd/hold", "a short purpose is the key, prefixed");
	stripe_idempotency_key("booking/65f0c0ffee0000000000abcd/hold", k2);
	is_str(k, k2, "the same purpose, the same key");
	stripe_idempotency_key("booking/x/capture/1500", k2);
	ok(strcmp(k, k2) != 0, "another purpose, another key");

	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	stripe_idempotency_key(longp, k);
	is_int(strlen(k), 4 + 64, "a long purpose is hashed (Stripe's keys are at most 255 characters)");
	ok(strncmp(k, "cwc-", 4) == 0, "  still prefixed");
	stripe_idempotency_key("customer/zoé dupont", k2);
	is_int(strlen(k2), 4 + 64, "a purpose with spaces or UTF-8 is hashed (a header must stay ASCII)");
	ok(strchr(k2, ' ') == NULL, "  no space in the key");
}

static bool verify(const char *header, const char *body, int64_t now, const char **why)
{
	return payment_signature_verify(header, body, strlen(body), SECRET, now,
					PAYMENT_SIGNATURE_TOLERANCE_S, why);
}

static void test_signature(void)
{
	const char *body = "{\"id\":\"evt_1\",\"type\":\"payment_intent.succeeded\","
			   "\"data\":{\"object\":{\"id\":\"pi_1\",\"amount\":3000}}}";
	char h[128], h2[400], tampered[400], other[96];
	const char *why = NULL;
	struct payment_signature sig;

	payment_signature_make(body, strlen(body), SECRET, NOW, h, sizeof h);
	ok(strncmp(h, "t=1767225600,v1=", 16) == 0 && strlen(h) == 16 + 64,
	   "the header Stripe sends: t=…,v1=<64 hex> (%s)", h);
	ok(verify(h, body, NOW, &why), "a good signature verifies at its time");
	ok(verify(h, body, NOW + 299, &why), "and 299 s later");
	ok(!verify(h, body, NOW + 301, &why), "not 301 s later");
	is_str(why, "stale", "  stale");
	ok(!verify(h, body, NOW - 301, &why), "nor when it is dated 301 s in the future");
	is_str(why, "stale", "  stale");

	/* the body changed by one byte: every position of a short body */
	{
		char b[128];
		size_t n = strlen(body);
		int verified = 0;
		memcpy(b, body, n + 1);
		for (size_t i = 0; i < n; i++) {
			b[i] ^= 1;
			verified += payment_signature_verify(h, b, n, SECRET, NOW, 300, &why);
			b[i] ^= 1;
		}
		is_int(verified, 0, "the body with any one byte changed does not verify");
		ok(!payment_signature_verify(h, body, n - 1, SECRET, NOW, 300, &why),
		   "nor the body one byte shorter");
		is_str(why, "mismatch", "  mismatch");
	}
	ok(!payment_signature_verify(h, body, strlen(body), "whsec_another", NOW, 300, &why),
	   "another secret does not verify");

	/* the signature's timestamp is signed too */
	snprintf(tampered, sizeof tampered, "t=%lld,%s", NOW + 10, strchr(h, ',') + 1);
	ok(!verify(tampered, body, NOW, &why), "a signature moved to another timestamp does not verify");

	/* rotation: several v1, any one may be ours; other schemes ignored */
	payment_signature_make(body, strlen(body), "whsec_old_secret", NOW, other, sizeof other);
	snprintf(h2, sizeof h2, "t=%lld,v1=%s,%s", NOW, strstr(other, "v1=") + 3, strchr(h, ',') + 1);
	ok(verify(h2, body, NOW, &why), "two v1 (old and new secret): ours second verifies");
	snprintf(h2, sizeof h2, "%s,v1=%s", h, strstr(other, "v1=") + 3);
	ok(verify(h2, body, NOW, &why), "  ours first verifies");
	snprintf(h2, sizeof h2, "t=%lld,v1=%s", NOW, strstr(other, "v1=") + 3);
	ok(!verify(h2, body, NOW, &why), "  only the other secret's: refused");
	snprintf(h2, sizeof h2, "t=%lld,v0=%s,v1=%s,v9=zz", NOW, strstr(h, "v1=") + 3,
		 strstr(h, "v1=") + 3);
	ok(verify(h2, body, NOW, &why), "v0 and unknown schemes are ignored");
	snprintf(h2, sizeof h2, "t=%lld,v0=%s", NOW, strstr(h, "v1=") + 3);
	ok(!verify(h2, body, NOW, &why), "a v0 alone (same digest) is not accepted");
	snprintf(h2, sizeof h2, " t=%lld , v1=%s ", NOW, strstr(h, "v1=") + 3);
	ok(verify(h2, body, NOW, &why), "spaces around items are tolerated");
	{
		char upper[256];
		snprintf(upper, sizeof upper, "%s", h);
		for (char *p = strstr(upper, "v1=") + 3; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p -= 32;
		ok(verify(upper, body, NOW, &why), "upper-case hex verifies too");
	}

	/* malformed */
	const char *bad[] = {
		"", "t=", "v1=abc", "t=1767225600", "t=1767225600,v1=",
		"t=1767225600,v1=zz", "t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"t=1767225600,t=1767225600,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"t=-5,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"t=1767225600,v1=00000000000000000000000000000000000000000000000000000000000000000",
		"t=1767225600,garbage,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"t=99999999999999999999,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"=1,t=1,v1=0000000000000000000000000000000000000000000000000000000000000000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ok(!payment_signature_parse(bad[i], strlen(bad[i]), &sig), "malformed refused: \"%s\"", bad[i]);
		ok(!verify(bad[i], body, NOW, &why) && strcmp(why, "malformed") == 0,
		   "  and does not verify (malformed)");
	}
	ok(!verify(NULL, body, NOW, &why), "no header does not verify");
	ok(!payment_signature_verify(h, body, strlen(body), "", NOW, 300, &why),
	   "an empty secret verifies nothing");

	/* a NUL inside the header value ends nothing: the length is what counts */
	{
		char withnul[200];
		size_t n = (size_t)snprintf(withnul, sizeof withnul, "%s", h);
		withnul[5] = '\0';
		ok(!payment_signature_parse(withnul, n, &sig), "a NUL inside the header is refused");
	}

	/* more v1 than checked: the first ones are kept, the rest skipped */
	{
		struct buf many = { 0 };
		buf_printf(&many, "t=%lld", NOW);
		for (int i = 0; i < PAYMENT_SIGNATURE_MAX_V1 + 3; i++)
			buf_printf(&many, ",v1=%064d", i);
		ok(payment_signature_parse(many.data, many.len, &sig) &&
		   sig.nv1 == PAYMENT_SIGNATURE_MAX_V1, "at most %d v1 kept", PAYMENT_SIGNATURE_MAX_V1);
		buf_free(&many);
	}
}

/* ---- the intake -------------------------------------------------------------- */

static int handled;
static bool handler_fails;

static bool count_handler(store_t *st, const struct payment_event *ev, struct err *e)
{
	(void)st;
	if (handler_fails)
		return err_set(e, 503, "unavailable", NULL, "try again");
	if (strcmp(ev->object_id, "pi_intake") == 0)
		handled++;
	return true;
}

static const struct payment_event_handler table[] = {
	{ "payment_intent.succeeded", count_handler },
	{ "payment_intent.canceled", payment_event_record_only },
};

static bool take(store_t *st, const char *id, const char *type, enum payment_webhook_outcome *out,
		 struct err *e)
{
	char body[512];
	int n = snprintf(body, sizeof body, "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\","
			 "\"created\":1767225600,\"data\":{\"object\":{\"id\":\"pi_intake\","
			 "\"object\":\"payment_intent\"}}}", id, type);
	memset(e, 0, sizeof *e);
	return payment_webhook_process(st, body, (size_t)n, table, 2, out, e);
}

static const char *status_of(store_t *st, const char *id)
{
	static char status[32];
	bson_t *filter = BCON_NEW("eventId", BCON_UTF8(id)), doc;
	bool found = false;

	status[0] = '\0';
	if (store_find_one(st, "stripeevents", filter, NULL, &doc, &found, NULL)) {
		if (found && doc_str(&doc, "status"))
			snprintf(status, sizeof status, "%s", doc_str(&doc, "status"));
		bson_destroy(&doc);
	}
	bson_destroy(filter);
	return found ? status : NULL;
}

static void test_intake(void)
{
	char dir[] = "/tmp/cwc-stripe-unit-XXXXXX", path[128], cmd[160];
	store_error_t se = { 0 };
	enum payment_webhook_outcome out;
	struct err e;
	store_t *st;

	if (!mkdtemp(dir)) {
		ok(false, "a temporary directory");
		return;
	}
	snprintf(path, sizeof path, "%s/store.sqlite3", dir);
	st = store_open(path, &se);
	ok(st && store_ensure_indexes(st, &se), "an embedded store with the declared indexes (%s)", se.message);
	if (!st)
		return;

	ok(take(st, "evt_a", "payment_intent.succeeded", &out, &e) && out == PAYMENT_WEBHOOK_HANDLED,
	   "an event: handled");
	is_int(handled, 1, "  its handler ran once");
	is_str(status_of(st, "evt_a"), "processed", "  recorded as processed");
	ok(take(st, "evt_a", "payment_intent.succeeded", &out, &e) && out == PAYMENT_WEBHOOK_DUPLICATE,
	   "the same event again: a duplicate");
	is_int(handled, 1, "  the handler did not run again");

	handler_fails = true;
	ok(!take(st, "evt_b", "payment_intent.succeeded", &out, &e), "a handler that fails");
	is_int(e.status, 503, "  its error is the answer (Stripe retries)");
	ok(status_of(st, "evt_b") == NULL, "  and the event is forgotten");
	handler_fails = false;
	ok(take(st, "evt_b", "payment_intent.succeeded", &out, &e) && out == PAYMENT_WEBHOOK_HANDLED,
	   "Stripe's retry is handled");
	is_int(handled, 2, "  the handler ran");

	/* a worker died while handling evt_c: its record stays "processing" */
	{
		int64_t now = (int64_t)time(NULL) * 1000;
		bson_t *stale = BCON_NEW("eventId", BCON_UTF8("evt_c"), "type", BCON_UTF8("payment_intent.succeeded"),
					 "status", BCON_UTF8("processing"),
					 "receivedAt", BCON_DATE_TIME(now - 10 * 60 * 1000));
		bson_t *fresh = BCON_NEW("eventId", BCON_UTF8("evt_d"), "type", BCON_UTF8("payment_intent.succeeded"),
					 "status", BCON_UTF8("processing"), "receivedAt", BCON_DATE_TIME(now));
		ok(store_insert_one(st, "stripeevents", stale, NULL, NULL) &&
		   store_insert_one(st, "stripeevents", fresh, NULL, NULL), "two half-handled events");
		bson_destroy(stale);
		bson_destroy(fresh);
	}
	ok(take(st, "evt_c", "payment_intent.succeeded", &out, &e) && out == PAYMENT_WEBHOOK_HANDLED,
	   "one left 10 minutes ago is taken over by the next delivery");
	is_int(handled, 3, "  handled");
	is_str(status_of(st, "evt_c"), "processed", "  processed");
	ok(take(st, "evt_d", "payment_intent.succeeded", &out, &e) && out == PAYMENT_WEBHOOK_DUPLICATE,
	   "one started just now (it may still be running) is a duplicate");
	is_int(handled, 3, "  not handled twice");

	ok(take(st, "evt_e", "customer.created", &out, &e) && out == PAYMENT_WEBHOOK_UNHANDLED,
	   "a type without a handler: recorded");
	is_str(status_of(st, "evt_e"), "unhandled", "  as unhandled");
	ok(take(st, "evt_e", "customer.created", &out, &e) && out == PAYMENT_WEBHOOK_DUPLICATE,
	   "  and recognised when it comes again");

	const char *bad[] = { "", "[]", "{\"id\":\"evt_f\"}", "{\"id\":\"evt f\",\"type\":\"x\",\"data\":{\"object\":{}}}",
			      "{\"id\":\"evt_g\",\"type\":\"x\",\"data\":{\"object\":[]}}",
			      "{\"id\":\"evt_h\",\"type\":\"x\",\"data\":{\"object\":{}}}x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&e, 0, sizeof e);
		ok(!payment_webhook_process(st, bad[i], strlen(bad[i]), table, 2, &out, &e) &&
		   e.status == 400 && strcmp(e.code, "bad_event") == 0, "not an event: 400 bad_event (%s)", bad[i]);
	}
	{
		int64_t n = 0;
		store_count(st, "stripeevents", NULL, &n, NULL);
		is_int(n, 5, "five events recorded in all");
	}
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

int main(void)
{
	log_init("stripe-unit", "error");
	test_form();
	test_idempotency_key();
	test_signature();
	test_intake();
	return tap_done();
}
