/*
 * webhook.c — Stripe-Signature, and the intake of an event. See
 * payment/webhook.h.
 */
#include "payment/webhook.h"
#include "core/crypto.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the signature ------------------------------------------------------- */

bool payment_signature_parse(const char *header, size_t len, struct payment_signature *out)
{
	const char *p = header, *end = header + len;
	bool have_t = false;

	memset(out, 0, sizeof *out);
	if (!header || len == 0 || len > 4096)
		return false;
	while (p < end) {
		const char *item = p, *item_end, *eq;
		size_t klen, vlen;

		while (p < end && *p != ',')
			p++;
		item_end = p;
		if (p < end)
			p++;     /* the comma */
		while (item < item_end && (*item == ' ' || *item == '\t'))
			item++;
		while (item_end > item && (item_end[-1] == ' ' || item_end[-1] == '\t'))
			item_end--;
		if (item == item_end)
			continue;                       /* "a=1,,b=2": tolerated */
		eq = memchr(item, '=', (size_t)(item_end - item));
		if (!eq || eq == item)
			return false;
		klen = (size_t)(eq - item);
		vlen = (size_t)(item_end - eq - 1);
		if (klen == 1 && item[0] == 't') {
			int64_t t = 0;
			if (have_t || vlen == 0 || vlen > 12)
				return false;
			for (const char *d = eq + 1; d < item_end; d++) {
				if (*d < '0' || *d > '9')
					return false;
				t = t * 10 + (*d - '0');
			}
			out->timestamp = t;
			have_t = true;
		} else if (klen == 2 && item[0] == 'v' && item[1] == '1') {
			if (vlen != 64)
				return false;
			if (out->nv1 == PAYMENT_SIGNATURE_MAX_V1)
				continue;           /* more than we check: ignored */
			for (size_t i = 0; i < 32; i++) {
				int hi = crypto_hex_digit(eq[1 + 2 * i]), lo = crypto_hex_digit(eq[2 + 2 * i]);
				if (hi < 0 || lo < 0)
					return false;
				out->v1[out->nv1][i] = (uint8_t)(hi << 4 | lo);
			}
			out->nv1++;
		}
		/* any other scheme (v0, test schemes, future ones): skipped */
	}
	return have_t && out->nv1 > 0;
}

/* HMAC-SHA256(secret, "<t>." + body). */
static void expected_mac(const char *body, size_t len, const char *secret, int64_t t,
			 uint8_t mac[32])
{
	char prefix[24];
	int n = snprintf(prefix, sizeof prefix, "%lld.", (long long)t);
	size_t total = (size_t)n + len;
	char *msg = malloc(total ? total : 1);

	if (!msg)
		abort();
	memcpy(msg, prefix, (size_t)n);
	if (len)
		memcpy(msg + n, body, len);
	crypto_hmac_sha256(secret, strlen(secret), msg, total, mac);
	free(msg);
}

bool payment_signature_verify(const char *header, const char *body, size_t len,
			      const char *secret, int64_t now, int64_t tolerance_s,
			      const char **why)
{
	struct payment_signature sig;
	uint8_t mac[32];
	bool match = false;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (!header || !secret || !*secret ||
	    !payment_signature_parse(header, strlen(header), &sig)) {
		*why = "malformed";
		return false;
	}
	if (sig.timestamp < now - tolerance_s || sig.timestamp > now + tolerance_s) {
		*why = "stale";
		return false;
	}
	expected_mac(body, len, secret, sig.timestamp, mac);
	for (size_t i = 0; i < sig.nv1; i++)   /* every entry, no early exit */
		match |= crypto_equal(sig.v1[i], 32, mac, 32);
	explicit_bzero(mac, sizeof mac);
	if (!match)
		*why = "mismatch";
	return match;
}

void payment_signature_make(const char *body, size_t len, const char *secret,
			    int64_t timestamp, char *out, size_t outlen)
{
	uint8_t mac[32];
	char hex[65];

	expected_mac(body, len, secret, timestamp, mac);
	crypto_hex(mac, sizeof mac, hex);
	snprintf(out, outlen, "t=%lld,v1=%s", (long long)timestamp, hex);
}

/* ---- the intake ---------------------------------------------------------- */

bool payment_event_record_only(store_t *st, const struct payment_event *ev, struct err *e)
{
	(void)st;
	(void)ev;
	(void)e;
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An id or type as Stripe writes them: 1 to 255 printable ASCII bytes. */
static bool token_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 255)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static bool bad_event(struct err *e, const char *what)
{
	log_warn("stripe webhook: a signed body that is not an event (%s)", what);
	return err_set(e, 400, "bad_event", NULL, "This is not a Stripe event.");
}

/* Sets the record's status once the handler is done. */
static void mark(store_t *st, const char *id, const char *status)
{
	store_error_t se = { 0 };
	bson_t *filter = BCON_NEW("eventId", BCON_UTF8(id));
	bson_t *update = BCON_NEW("$set", "{", "status", BCON_UTF8(status),
				  "processedAt", BCON_DATE_TIME(now_ms()), "}");

	if (!store_update_one(st, "stripeevents", filter, update, false, NULL, &se))
		log_error("stripe webhook: event %s handled, its record not updated: %s",
			  id, se.message);
	bson_destroy(filter);
	bson_destroy(update);
}

static void forget(store_t *st, const char *id)
{
	store_error_t se = { 0 };
	bson_t *filter = BCON_NEW("eventId", BCON_UTF8(id));

	if (!store_delete_one(st, "stripeevents", filter, NULL, &se))
		log_error("stripe webhook: event %s failed and its record stays (%s): "
			  "Stripe's retry will be taken for a duplicate", id, se.message);
	bson_destroy(filter);
}

/* An event whose handling started more than PAYMENT_WEBHOOK_STALE_S ago and
 * never finished (the worker died in between) is taken over by this
 * delivery, atomically: *taken says whether it was. */
static bool take_over(store_t *st, const char *id, bool *taken, struct err *e)
{
	store_error_t se = { 0 };
	int64_t now = now_ms();
	bson_t *filter = BCON_NEW("eventId", BCON_UTF8(id), "status", BCON_UTF8("processing"),
				  "receivedAt", "{", "$lt",
				  BCON_DATE_TIME(now - PAYMENT_WEBHOOK_STALE_S * 1000), "}");
	bson_t *update = BCON_NEW("$set", "{", "receivedAt", BCON_DATE_TIME(now), "}",
				  "$inc", "{", "attempts", BCON_INT32(1), "}");
	bson_t out;
	bool ok = store_find_one_and_update(st, "stripeevents", filter, update, NULL, &out,
					    taken, &se);

	if (ok)
		bson_destroy(&out);
	else
		store_fail(e, "stripe webhook: take over a stale event", &se);
	bson_destroy(filter);
	bson_destroy(update);
	return ok;
}

bool payment_webhook_process(store_t *st, const char *body, size_t len,
			     const struct payment_event_handler *table, size_t ntable,
			     enum payment_webhook_outcome *outcome, struct err *e)
{
	json_tokener *tok = json_tokener_new();
	json_object *event = NULL, *data, *created;
	struct payment_event ev = { 0 };
	const struct payment_event_handler *h = NULL;
	store_error_t se = { 0 };
	bson_t *doc = NULL;
	bool ok = false;

	if (!tok)
		abort();
	event = json_tokener_parse_ex(tok, body, (int)len);
	if (!event || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(event, json_type_object)) {
		bad_event(e, "not a JSON object");
		goto done;
	}
	ev.event = event;
	ev.id = member_str(event, "id");
	ev.type = member_str(event, "type");
	if (!token_ok(ev.id) || !token_ok(ev.type) ||
	    !json_object_object_get_ex(event, "data", &data) ||
	    !json_object_object_get_ex(data, "object", &ev.object) ||
	    !json_object_is_type(ev.object, json_type_object)) {
		bad_event(e, "no id, type or data.object");
		goto done;
	}
	ev.object_id = member_str(ev.object, "id");
	if (!token_ok(ev.object_id))
		ev.object_id = "";
	ev.created = json_object_object_get_ex(event, "created", &created) &&
		     json_object_is_type(created, json_type_int) ? json_object_get_int64(created) : 0;
	if (ev.created < 0 || ev.created > 100000000000LL)    /* not a date of ours */
		ev.created = 0;
	for (size_t i = 0; i < ntable; i++)
		if (strcmp(table[i].type, ev.type) == 0) {
			h = &table[i];
			break;
		}

	doc = BCON_NEW("eventId", BCON_UTF8(ev.id), "type", BCON_UTF8(ev.type),
		       "objectId", BCON_UTF8(ev.object_id),
		       "created", BCON_DATE_TIME(ev.created * 1000),
		       "status", BCON_UTF8(h ? "processing" : "unhandled"),
		       "receivedAt", BCON_DATE_TIME(now_ms()));
	if (!store_insert_one(st, "stripeevents", doc, NULL, &se)) {
		bool taken = false;
		if (se.code != STORE_ERR_DUPLICATE_KEY) {
			store_fail(e, "stripe webhook: record the event", &se);
			goto done;
		}
		if (h && !take_over(st, ev.id, &taken, e))
			goto done;
		if (!taken) {
			log_info("stripe webhook: event %s (%s) again: ignored", ev.id, ev.type);
			*outcome = PAYMENT_WEBHOOK_DUPLICATE;
			ok = true;
			goto done;
		}
		log_warn("stripe webhook: event %s (%s) was left half-handled: handled again",
			 ev.id, ev.type);
	}
	if (!h) {
		log_info("stripe webhook: event %s (%s) recorded, nothing to do", ev.id, ev.type);
		*outcome = PAYMENT_WEBHOOK_UNHANDLED;
		ok = true;
		goto done;
	}
	if (!h->handle(st, &ev, e)) {
		log_error("stripe webhook: event %s (%s) failed (%d %s): Stripe will retry",
			  ev.id, ev.type, e->status, e->code ? e->code : "internal");
		forget(st, ev.id);
		goto done;
	}
	mark(st, ev.id, "processed");
	log_info("stripe webhook: event %s (%s) on %s handled", ev.id, ev.type,
		 ev.object_id[0] ? ev.object_id : "-");
	*outcome = PAYMENT_WEBHOOK_HANDLED;
	ok = true;
done:
	if (doc)
		bson_destroy(doc);
	json_object_put(event);
	json_tokener_free(tok);
	return ok;
}
