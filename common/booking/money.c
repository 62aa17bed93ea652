/*
 * money.c — a booking's card hold at Stripe: placed, released, captured,
 * refunded, and the webhook events that report it. See money.h.
 */
#include "booking/money.h"
#include "booking/calendar.h"
#include "booking/claims.h"
#include "booking/notify.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "payment/stripe.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PURPOSE_MAX 96
#define MONEY_STALE_MS (5 * 60 * 1000)   /* a move `processing` this long: its process died */

/* ---- small readers ----------------------------------------------------------- */

static bool booking_id_hex(const bson_t *b, bson_oid_t *id, char hex[25])
{
	if (!doc_oid(b, "_id", id))
		return false;
	bson_oid_to_string(id, hex);
	return true;
}

static const char *metadata_booking(json_object *o)
{
	json_object *md = NULL;

	if (!json_object_object_get_ex(o, "metadata", &md) || !md)
		return NULL;
	return stripe_str(md, "bookingId");
}

static bool load_booking(store_t *st, const char *hex, bson_t *out, bool *found, struct err *e)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bson_oid_t id;
	bool ok;

	*found = false;
	if (!hex || !doc_parse_oid(hex, &id)) {
		bson_init(out);
		bson_destroy(&filter);
		return true;
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	ok = store_find_one(st, "bookings", &filter, NULL, out, found, &se);
	bson_destroy(&filter);
	return ok || store_fail(e, "money: load booking", &se);
}

/* ---- payments documents -------------------------------------------------------- */

/* Inserts the `payments` document of `purpose` (status processing). *mine
 * false when it exists: another caller did, or is doing, this move. */
static bool payment_claim(store_t *st, const char *purpose, const char *kind, const bson_t *b,
			  int64_t amount, int64_t now, bool *mine, struct err *e)
{
	bson_t doc = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bson_oid_t id, user;
	bool ok;

	*mine = false;
	BSON_APPEND_UTF8(&doc, "_id", purpose);
	BSON_APPEND_UTF8(&doc, "kind", kind);
	if (doc_oid(b, "_id", &id))
		BSON_APPEND_OID(&doc, "booking", &id);
	if (doc_oid(b, "user", &user))
		BSON_APPEND_OID(&doc, "user", &user);
	else
		BSON_APPEND_NULL(&doc, "user");
	BSON_APPEND_INT64(&doc, "amount", amount);
	BSON_APPEND_UTF8(&doc, "currency", "eur");
	BSON_APPEND_UTF8(&doc, "status", "processing");
	BSON_APPEND_UTF8(&doc, "paymentMethod", "card");
	if (doc_str(b, "stripePaymentIntentId"))
		BSON_APPEND_UTF8(&doc, "stripePaymentIntentId", doc_str(b, "stripePaymentIntentId"));
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	ok = store_insert_one(st, "payments", &doc, NULL, &se);
	bson_destroy(&doc);
	if (ok) {
		*mine = true;
		return true;
	}
	if (se.code != STORE_ERR_DUPLICATE_KEY)
		return store_fail(e, "money: claim payment", &se);
	{	/* left `processing` by a process that died mid-call: take it over
		 * (the idempotency key makes the Stripe call the same one) */
		bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, range, set, out;
		store_fam_opts_t opts = { 0 };
		bool found = false;
		BSON_APPEND_UTF8(&filter, "_id", purpose);
		BSON_APPEND_UTF8(&filter, "status", "processing");
		BSON_APPEND_DOCUMENT_BEGIN(&filter, "updatedAt", &range);
		BSON_APPEND_DATE_TIME(&range, "$lt", now - MONEY_STALE_MS);
		bson_append_document_end(&filter, &range);
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
		BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
		bson_append_document_end(&update, &set);
		ok = store_find_one_and_update(st, "payments", &filter, &update, &opts, &out, &found, &se);
		bson_destroy(&filter);
		bson_destroy(&update);
		if (!ok)
			return store_fail(e, "money: take over a payment", &se);
		bson_destroy(&out);
		*mine = found;
	}
	return true;
}

static void payment_forget(store_t *st, const char *purpose)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };

	BSON_APPEND_UTF8(&filter, "_id", purpose);
	if (!store_delete_one(st, "payments", &filter, NULL, &se))
		log_error("money: forget payment %s: %s", purpose, se.message);
	bson_destroy(&filter);
}

/* Sets fields of the `payments` document `purpose` (a NULL value skips). */
static void payment_set(store_t *st, const char *purpose, const char *status, int64_t amount,
			const char *key1, const char *val1, const char *key2, const char *val2,
			int64_t now)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
	store_error_t se = { 0 };

	BSON_APPEND_UTF8(&filter, "_id", purpose);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	if (status)
		BSON_APPEND_UTF8(&set, "status", status);
	if (amount >= 0)
		BSON_APPEND_INT64(&set, "amount", amount);
	if (key1 && val1)
		BSON_APPEND_UTF8(&set, key1, val1);
	if (key2 && val2)
		BSON_APPEND_UTF8(&set, key2, val2);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	if (!store_update_one(st, "payments", &filter, &update, false, NULL, &se))
		log_error("money: update payment %s: %s", purpose, se.message);
	bson_destroy(&filter);
	bson_destroy(&update);
}

/* Cents refunded so far for `booking` (its refund documents that went through). */
static bool refunded_cents(store_t *st, const bson_oid_t *booking, int64_t *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER;
	store_cursor_t *cur;
	store_error_t se = { 0 };
	const bson_t *d;

	*out = 0;
	BSON_APPEND_OID(&filter, "booking", booking);
	BSON_APPEND_UTF8(&filter, "kind", "refund");
	BSON_APPEND_UTF8(&filter, "status", "succeeded");
	cur = store_find(st, "payments", &filter, NULL, &se);
	bson_destroy(&filter);
	if (!cur)
		return store_fail(e, "money: refunds", &se);
	while (store_cursor_next(cur, &d))
		*out += doc_int(d, "amount", 0);
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		return store_fail(e, "money: refunds", &se);
	}
	store_cursor_destroy(cur);
	return true;
}

/* ---- the booking from Stripe's word ------------------------------------------------ */

/* Updates the booking `id` when its paymentStatus is one of `from` (NULL-
 * terminated; NULL: any). *hit whether it did; `out` (may be NULL) the
 * booking after. */
static bool booking_payment_update(store_t *st, const bson_oid_t *id, const char *const *from,
				   const bson_t *update, bson_t *out, bool *hit, struct err *e)
{
	bson_t filter = BSON_INITIALIZER, in, arr, after;
	store_fam_opts_t opts = { .return_new = true };
	store_error_t se = { 0 };
	bool found = false, ok;

	BSON_APPEND_OID(&filter, "_id", id);
	if (from) {
		char key[8];
		BSON_APPEND_DOCUMENT_BEGIN(&filter, "paymentStatus", &in);
		BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
		for (int i = 0; from[i]; i++) {
			(void)buf_fmt(key, sizeof key, "%d", i);
			BSON_APPEND_UTF8(&arr, key, from[i]);
		}
		bson_append_array_end(&in, &arr);
		bson_append_document_end(&filter, &in);
	}
	ok = store_find_one_and_update(st, "bookings", &filter, update, &opts, &after, &found, &se);
	bson_destroy(&filter);
	if (!ok)
		return store_fail(e, "money: update booking", &se);
	*hit = found;
	if (out)
		bson_copy_to(&after, out);
	bson_destroy(&after);
	return true;
}

static const char *const before_hold[] = { "pending", "failed", "card_saved", "action_required", NULL };
static const char *const before_money[] = { "pending", "failed", "card_saved", "action_required",
					    "authorized", NULL };

/* When the authorisation of `pi` lapses at Stripe (ms), from its latest
 * charge's `payment_method_details.card.capture_before`: the expanded
 * charge, or the charge read by id; 0 when Stripe gives none. */
static int64_t intent_capture_before(json_object *pi)
{
	json_object *v = NULL, *ch = NULL;
	const char *cid = stripe_latest_charge_id(pi);
	int64_t at = 0;

	if (!cid)
		return 0;
	if (json_object_object_get_ex(pi, "latest_charge", &v) && json_object_is_type(v, json_type_object))
		return stripe_capture_before(v) * 1000;
	struct err e = { 0 };
	stripe_t *sc = stripe_client(&e);
	if (sc && stripe_charge_retrieve(sc, cid, &ch, &e))
		at = stripe_capture_before(ch) * 1000;
	else
		log_warn("money: read charge %s: %s", cid, e.message);
	json_object_put(ch);
	return at;
}

/* Sets `b` (its stored copy) from the PaymentIntent `pi` as Stripe has it now. */
static bool apply_intent(store_t *st, const bson_t *b, json_object *pi, int64_t now, struct err *e)
{
	const char *status = stripe_str(pi, "status"), *pid = stripe_str(pi, "id");
	const char *mine = doc_str(b, "stripePaymentIntentId"), *booking_status = doc_str(b, "status");
	bson_t update = BSON_INITIALIZER, set, unset;
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	bool hit = false, ok = true;

	if (!status || !pid || !mine || strcmp(mine, pid) != 0 || !booking_id_hex(b, &id, hex)) {
		log_warn("money: intent %s is not its booking's; ignored", pid ? pid : "?");
		bson_destroy(&update);
		return true;
	}
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/hold", hex);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	if (strcmp(status, "requires_capture") == 0) {
		bool live = booking_status && (strcmp(booking_status, "pending") == 0 ||
					       strcmp(booking_status, "confirmed") == 0);
		payment_set(st, purpose, "authorized", stripe_int(pi, "amount_capturable", -1),
			    "stripeChargeId", stripe_latest_charge_id(pi), NULL, NULL, now);
		if (!live) {   /* cancelled meanwhile (an expired hold…): give it back */
			bson_append_document_end(&update, &set);
			bson_destroy(&update);
			return booking_money_release(st, b, now, e);
		}
		int64_t capture_before = intent_capture_before(pi);
		BSON_APPEND_UTF8(&set, "paymentStatus", "authorized");
		if (capture_before > 0) {
			log_debug("money: hold %s lapses at %lld (capture_before from Stripe)", pid,
				  (long long)(capture_before / 1000));
			BSON_APPEND_DATE_TIME(&set, "holdCaptureBefore", capture_before);
		} else {
			log_debug("money: hold %s: Stripe gave no capture_before; its expiry follows the rule",
				  pid);
		}
		bson_append_document_end(&update, &set);
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
		BSON_APPEND_UTF8(&unset, "holdExpiresAt", "");
		if (capture_before <= 0)
			BSON_APPEND_UTF8(&unset, "holdCaptureBefore", "");
		bson_append_document_end(&update, &unset);
		ok = booking_payment_update(st, &id, before_hold, &update, NULL, &hit, e);
		if (ok && hit) {
			store_error_t se = { 0 };
			if (!booking_claims_set_expiry(st, &id, 0, &se))
				log_error("money: clear claims' expiry: %s", se.message);
			if (strcmp(booking_status, "pending") == 0)
				booking_notify_hold_placed(st, b, now);
		}
	} else if (strcmp(status, "succeeded") == 0) {
		int64_t received = stripe_int(pi, "amount_received", 0), refunded = 0;
		if (!refunded_cents(st, &id, &refunded, e)) {
			bson_append_document_end(&update, &set);
			bson_destroy(&update);
			return false;
		}
		payment_set(st, purpose, "captured", -1, NULL, NULL, NULL, NULL, now);   /* the hold's end */
		BSON_APPEND_UTF8(&set, "paymentStatus", refunded <= 0 ? "paid"
				 : refunded >= received ? "refunded" : "partial");
		booking_append_euros(&set, "amountPaid", received - refunded);
		bson_append_document_end(&update, &set);
		ok = booking_payment_update(st, &id, NULL, &update, NULL, &hit, e);
	} else if (strcmp(status, "canceled") == 0) {
		payment_set(st, purpose, "canceled", -1, NULL, NULL, NULL, NULL, now);
		BSON_APPEND_UTF8(&set, "paymentStatus", stripe_latest_charge_id(pi) ? "released" : "unpaid");
		bson_append_document_end(&update, &set);
		ok = booking_payment_update(st, &id, before_money, &update, NULL, &hit, e);
	} else if (strcmp(status, "requires_payment_method") == 0) {
		json_object *lpe = NULL;
		const char *why = NULL;
		if (json_object_object_get_ex(pi, "last_payment_error", &lpe) && lpe)
			why = stripe_str(lpe, "message");
		if (why) {
			static const char *const waiting[] = { "pending", "failed", NULL };
			payment_set(st, purpose, "failed", -1, "failureReason", why, NULL, NULL, now);
			BSON_APPEND_UTF8(&set, "paymentStatus", "failed");
			bson_append_document_end(&update, &set);
			ok = booking_payment_update(st, &id, waiting, &update, NULL, &hit, e);
		} else {
			bson_append_document_end(&update, &set);
		}
	} else {
		bson_append_document_end(&update, &set);
	}
	bson_destroy(&update);
	return ok;
}

/* Whether the last failed call of `sc` was about an object Stripe does not
 * have: an event naming one moves no money, and retrying it cannot help. */
static bool unknown_at_stripe(stripe_t *sc, const char *id)
{
	if (strcmp(stripe_last_failure(sc)->code, "resource_missing") != 0)
		return false;
	log_warn("money: Stripe has no %s; the event is ignored", id);
	return true;
}

/* Reads intent `pid` from Stripe and applies it to its booking. */
static bool sync_intent(store_t *st, const char *pid, int64_t now, struct err *e)
{
	stripe_t *sc = stripe_client(e);
	json_object *pi = NULL;
	bson_t b;
	bool found = false, ok;

	if (!sc)
		return false;
	if (!stripe_payment_intent_retrieve(sc, pid, &pi, e))
		return unknown_at_stripe(sc, pid);
	ok = load_booking(st, metadata_booking(pi), &b, &found, e);
	if (ok && found)
		ok = apply_intent(st, &b, pi, now, e);
	else if (ok)
		log_warn("money: intent %s names no booking; ignored", pid);
	if (ok || found)
		bson_destroy(&b);
	json_object_put(pi);
	return ok;
}

/* ---- starting the hold ------------------------------------------------------------- */

bool booking_money_hold_start(store_t *st, const bson_t *b, const struct booking_settings *s,
			      int64_t now, char *client_secret, size_t len, bool *setup,
			      struct err *e)
{
	stripe_t *sc = stripe_client(e);
	json_object *customer = NULL, *intent = NULL;
	bson_t update = BSON_INITIALIZER, set;
	store_error_t se = { 0 };
	struct stripe_kv md[2];
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	int64_t today, day = booking_day_of_ms(doc_date(b, "date", 0));
	int64_t amount = doc_int(b, "depositAmount", 0);
	int minute;
	bool mine = false, ok = false;
	const char *cus, *secret, *iid;

	if (!sc || !booking_id_hex(b, &id, hex))
		goto done;
	booking_paris_local(now, &today, &minute);
	*setup = day - today > s->hold_lead_days;
	md[0] = (struct stripe_kv){ "bookingId", hex };
	md[1] = (struct stripe_kv){ "confirmationNumber", doc_str(b, "confirmationNumber") };
	if (!stripe_customer_find_or_create(sc, doc_str(b, "contactEmail"), doc_str(b, "contactName"),
					    doc_str(b, "contactPhone"), &customer, e))
		goto done;
	cus = stripe_str(customer, "id");
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/%s", hex, *setup ? "setup" : "hold");
	if (*setup) {
		if (!stripe_setup_intent_create(sc, cus, md, 2, purpose, &intent, e))
			goto done;
	} else {
		struct stripe_intent in = { .amount = amount, .customer = cus, .metadata = md,
					    .nmetadata = 2, .description = doc_str(b, "confirmationNumber") };
		if (!stripe_payment_intent_create(sc, &in, purpose, &intent, e))
			goto done;
	}
	iid = stripe_str(intent, "id");
	secret = stripe_str(intent, "client_secret");
	if (!iid || !secret || !buf_fmt(client_secret, len, "%s", secret)) {
		err_set(e, 500, "internal", NULL, "Internal error.");
		goto release;
	}
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, *setup ? "stripeSetupIntentId" : "stripePaymentIntentId", iid);
	if (cus)
		BSON_APPEND_UTF8(&set, "stripeCustomerId", cus);
	BSON_APPEND_UTF8(&set, "captureMethod", *setup ? "deferred" : "manual");
	bson_append_document_end(&update, &set);
	{
		bson_t filter = BSON_INITIALIZER;
		BSON_APPEND_OID(&filter, "_id", &id);
		ok = store_update_one(st, "bookings", &filter, &update, false, NULL, &se);
		bson_destroy(&filter);
	}
	if (!ok) {
		store_fail(e, "money: record the intent", &se);
		goto release;
	}
	{
		bson_t copy;
		bson_copy_to(b, &copy);
		if (!*setup)
			BSON_APPEND_UTF8(&copy, "stripePaymentIntentId", iid);
		ok = payment_claim(st, purpose, *setup ? "setup" : "hold", &copy, *setup ? 0 : amount,
				   now, &mine, e);
		bson_destroy(&copy);
	}
	if (ok) {
		payment_set(st, purpose, stripe_str(intent, "status"), -1,
			    *setup ? "stripeSetupIntentId" : NULL, iid, "stripeCustomerId", cus, now);
		goto done;
	}
release:
	ok = false;
	if (!*setup && iid) {
		struct err ce;
		json_object *o = NULL;
		char rp[PURPOSE_MAX];
		(void)buf_fmt(rp, sizeof rp, "booking/%s/release", hex);
		if (stripe_payment_intent_cancel(sc, iid, "abandoned", rp, &o, &ce))
			json_object_put(o);
		else
			log_error("money: cancel intent %s of an abandoned booking: %s", iid, ce.message);
	}
done:
	bson_destroy(&update);
	json_object_put(customer);
	json_object_put(intent);
	return ok;
}

bool booking_money_book(store_t *st, const struct booking_new *nb, const struct booking_settings *s,
			int64_t now, bson_t *out, struct booking_quote *quote,
			char guest_token[BOOKING_TOKEN_HEX + 1], char *client_secret, size_t len,
			bool *setup, struct err *e)
{
	bson_oid_t id;

	client_secret[0] = '\0';
	*setup = false;
	if (!booking_create(st, nb, now, out, quote, guest_token, e))
		return false;
	if (!nb->requires_payment)
		return true;
	if (!booking_money_hold_start(st, out, s, now, client_secret, len, setup, e)) {
		if (doc_oid(out, "_id", &id))
			booking_money_abandon(st, &id);
		bson_destroy(out);
		return false;
	}
	booking_notify_created(st, out, nb->user ? NULL : guest_token, now);
	return true;
}

void booking_money_abandon(store_t *st, const bson_oid_t *id)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };

	BSON_APPEND_OID(&filter, "booking", id);
	if (!store_delete_many(st, "payments", &filter, NULL, &se))
		log_error("money: abandon: payments: %s", se.message);
	bson_reinit(&filter);
	BSON_APPEND_OID(&filter, "_id", id);
	if (!store_delete_one(st, "bookings", &filter, NULL, &se))
		log_error("money: abandon: booking: %s", se.message);
	if (!booking_claims_release(st, id, &se))
		log_error("money: abandon: claims: %s", se.message);
	bson_destroy(&filter);
}

/* ---- the moves -------------------------------------------------------------------- */

bool booking_money_release(store_t *st, const bson_t *b, int64_t now, struct err *e)
{
	const char *pid = doc_str(b, "stripePaymentIntentId");
	json_object *pi = NULL;
	stripe_t *sc;
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	bool mine = false;

	if (!pid || !booking_id_hex(b, &id, hex))
		return true;
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/release", hex);
	if (!payment_claim(st, purpose, "release", b, 0, now, &mine, e))
		return false;
	if (!mine)
		return true;
	if (!(sc = stripe_client(e)))
		goto fail;
	if (!stripe_payment_intent_cancel(sc, pid, "requested_by_customer", purpose, &pi, e)) {
		if (e->status != 409)
			goto fail;
		/* captured or cancelled already: nothing held to give back */
		payment_set(st, purpose, "skipped", -1, NULL, NULL, NULL, NULL, now);
		return sync_intent(st, pid, now, e);
	}
	payment_set(st, purpose, "succeeded", stripe_int(pi, "amount", -1), NULL, NULL, NULL, NULL, now);
	{
		bool ok = apply_intent(st, b, pi, now, e);
		json_object_put(pi);
		return ok;
	}
fail:
	payment_forget(st, purpose);
	return false;
}

bool booking_money_refund_difference(store_t *st, const bson_t *b, int64_t fee, int64_t now,
				     struct err *e)
{
	const char *pid = doc_str(b, "stripePaymentIntentId");
	json_object *pi = NULL, *re = NULL;
	stripe_t *sc;
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	int64_t refunded = 0, amount;
	bool mine = false, ok = false;

	if (!pid || !booking_id_hex(b, &id, hex))
		return true;
	if (!(sc = stripe_client(e)) || !stripe_payment_intent_retrieve(sc, pid, &pi, e))
		return false;
	if (!refunded_cents(st, &id, &refunded, e))
		goto done;
	amount = stripe_int(pi, "amount_received", 0) - refunded - (fee > 0 ? fee : 0);
	if (amount <= 0) {
		ok = true;
		goto done;
	}
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/refund/%lld", hex, (long long)amount);
	if (!payment_claim(st, purpose, "refund", b, amount, now, &mine, e))
		goto done;
	if (!mine) {
		ok = true;
		goto done;
	}
	if (!stripe_refund_create(sc, pid, amount, "requested_by_customer", NULL, 0, purpose, &re, e)) {
		payment_forget(st, purpose);
		goto done;
	}
	payment_set(st, purpose, "succeeded", amount, "stripeRefundId", stripe_str(re, "id"),
		    "stripeChargeId", stripe_str(re, "charge"), now);
	ok = apply_intent(st, b, pi, now, e);
done:
	json_object_put(pi);
	json_object_put(re);
	return ok;
}

bool booking_money_capture_fee(store_t *st, const bson_t *b, int64_t fee, int64_t now,
			       struct err *e)
{
	const char *pid = doc_str(b, "stripePaymentIntentId");
	json_object *pi = NULL;
	stripe_t *sc;
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	bool mine = false, ok;

	if (fee <= 0)
		return booking_money_release(st, b, now, e);
	if (!pid || !booking_id_hex(b, &id, hex))
		return true;
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/capture/%lld", hex, (long long)fee);
	if (!payment_claim(st, purpose, "capture", b, fee, now, &mine, e))
		return false;
	if (!mine)
		return true;
	if (!(sc = stripe_client(e))) {
		payment_forget(st, purpose);
		return false;
	}
	if (!stripe_payment_intent_capture(sc, pid, fee, purpose, &pi, e)) {
		payment_forget(st, purpose);
		if (e->status != 409)
			return false;
		/* captured already (or never held): refund what is above the fee */
		return booking_money_refund_difference(st, b, fee, now, e);
	}
	payment_set(st, purpose, "succeeded", stripe_int(pi, "amount_received", fee),
		    "stripeChargeId", stripe_latest_charge_id(pi), NULL, NULL, now);
	ok = apply_intent(st, b, pi, now, e);
	json_object_put(pi);
	return ok;
}

static bool after_transition(store_t *st, const bson_t *before, const bson_t *after,
			     const char *to, int64_t now, struct err *e);

/* Sets (or with `to` NULL, removes) the booking's mark of a card step
 * that failed, which expire-holds retries: {to, from, paymentStatus, at}.
 * Removing takes `at`, the mark's own: a mark set again since (a
 * concurrent retry that failed) stays. */
static void mark_retry(store_t *st, const bson_t *before, const char *to, int64_t now,
		       const char *why, int64_t at)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, mark;
	store_error_t se = { 0 };
	bson_oid_t id;

	if (!doc_oid(before, "_id", &id)) {
		bson_destroy(&filter);
		bson_destroy(&update);
		return;
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	if (!to)
		BSON_APPEND_DATE_TIME(&filter, "paymentRetry.at", at);
	if (to) {
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
		BSON_APPEND_DOCUMENT_BEGIN(&set, "paymentRetry", &mark);
		BSON_APPEND_UTF8(&mark, "to", to);
		BSON_APPEND_UTF8(&mark, "from", doc_str(before, "status") ? doc_str(before, "status") : "");
		BSON_APPEND_UTF8(&mark, "paymentStatus",
				 doc_str(before, "paymentStatus") ? doc_str(before, "paymentStatus") : "");
		BSON_APPEND_UTF8(&mark, "error", why ? why : "");
		BSON_APPEND_DATE_TIME(&mark, "at", now);
		bson_append_document_end(&set, &mark);
		bson_append_document_end(&update, &set);
	} else {
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &set);
		BSON_APPEND_UTF8(&set, "paymentRetry", "");
		bson_append_document_end(&update, &set);
	}
	if (!store_update_one(st, "bookings", &filter, &update, false, NULL, &se))
		log_error("money: mark the card step to retry: %s", se.message);
	bson_destroy(&filter);
	bson_destroy(&update);
}

bool booking_money_after_transition(store_t *st, const bson_t *before, const bson_t *after,
				    const char *to, int64_t now, struct err *e)
{
	if (after_transition(st, before, after, to, now, e))
		return true;
	mark_retry(st, before, to, now, e->message, 0);
	return false;
}

/* `b` as it was before the move its paymentRetry mark records. */
static void before_of(const bson_t *b, const char *from, const char *paid, bson_t *out)
{
	bson_iter_t all;

	bson_init(out);
	if (bson_iter_init(&all, b))
		while (bson_iter_next(&all)) {
			const char *k = bson_iter_key(&all);
			if (strcmp(k, "status") && strcmp(k, "paymentStatus") && strcmp(k, "paymentRetry"))
				bson_append_iter(out, k, -1, &all);
		}
	BSON_APPEND_UTF8(out, "status", from ? from : "");
	BSON_APPEND_UTF8(out, "paymentStatus", paid ? paid : "");
}

bool booking_money_retry(store_t *st, int64_t now, int *done, int *failed, struct err *e)
{
	bson_t *filter = BCON_NEW("paymentRetry", "{", "$exists", BCON_BOOL(true), "}");
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, "bookings", filter, NULL, &se);
	const bson_t *d;
	bson_t **due = NULL;
	size_t ndue = 0;
	bool ok = true;

	*done = *failed = 0;
	bson_destroy(filter);
	if (!cur)
		return store_fail(e, "money: retries", &se);
	while (store_cursor_next(cur, &d)) {
		due = realloc(due, (ndue + 1) * sizeof *due);
		if (!due)
			abort();
		due[ndue++] = bson_copy(d);
	}
	if (store_cursor_error(cur, &se))
		ok = store_fail(e, "money: retries", &se);
	store_cursor_destroy(cur);
	for (size_t i = 0; i < ndue; i++) {
		bson_iter_t it, sub;
		const char *to = NULL, *from = NULL, *paid = NULL;
		struct err one = { 0 };
		if (ok && bson_iter_init_find(&it, due[i], "paymentRetry") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
		    bson_iter_recurse(&it, &sub)) {
			bson_t before;
			int64_t at = 0;
			while (bson_iter_next(&sub)) {
				const char *k = bson_iter_key(&sub);
				const char *v = BSON_ITER_HOLDS_UTF8(&sub) ? bson_iter_utf8(&sub, NULL) : NULL;
				if (strcmp(k, "to") == 0)
					to = v;
				else if (strcmp(k, "from") == 0)
					from = v;
				else if (strcmp(k, "paymentStatus") == 0)
					paid = v;
				else if (strcmp(k, "at") == 0 && BSON_ITER_HOLDS_DATE_TIME(&sub))
					at = bson_iter_date_time(&sub);
			}
			before_of(due[i], from, paid, &before);
			if (to && after_transition(st, &before, due[i], to, now, &one)) {
				/* done, or under way in another process (its payments
				 * document): that one marks the booking again if it fails */
				mark_retry(st, due[i], NULL, now, NULL, at);
				(*done)++;
			} else {
				struct timespec ts;
				log_error("money: retry of booking %s → %s: %s", doc_str(due[i], "confirmationNumber"),
					  to ? to : "?", one.message);
				clock_gettime(CLOCK_REALTIME, &ts);
				if (to)   /* a new `at`: a concurrent success keeps it */
					mark_retry(st, &before, to, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
						   one.message, 0);
				(*failed)++;
			}
			bson_destroy(&before);
		}
		bson_destroy(due[i]);
	}
	free(due);
	return ok;
}

static bool after_transition(store_t *st, const bson_t *before, const bson_t *after,
			     const char *to, int64_t now, struct err *e)
{
	const char *from = doc_str(before, "status"), *paid = doc_str(before, "paymentStatus");
	bson_iter_t it;
	int64_t fee = 0;

	if (!doc_str(before, "stripePaymentIntentId"))
		return true;
	if (strcmp(to, "completed") == 0 || (strcmp(to, "cancelled") == 0 && from &&
					     strcmp(from, "pending") == 0))
		return booking_money_release(st, after, now, e);
	if (strcmp(to, "cancelled") == 0) {
		if (bson_iter_init_find(&it, after, "cancellationFee") && BSON_ITER_HOLDS_NUMBER(&it))
			fee = booking_cents(&it);
		if (paid && (strcmp(paid, "paid") == 0 || strcmp(paid, "partial") == 0))
			return booking_money_refund_difference(st, after, fee, now, e);
		return booking_money_capture_fee(st, after, fee, now, e);
	}
	if (strcmp(to, "no-show") == 0) {
		struct booking_settings s;
		store_error_t se = { 0 };

		if (!booking_settings_load(st, &s, &se))
			return store_fail(e, "money: settings", &se);
		return booking_money_capture_fee(st, after, booking_no_show_fee(before, &s), now, e);
	}
	return true;
}

bool booking_money_refresh(store_t *st, const bson_t *b, int64_t now, struct err *e)
{
	const char *pid = doc_str(b, "stripePaymentIntentId"), *sid = doc_str(b, "stripeSetupIntentId");

	if (pid)
		return sync_intent(st, pid, now, e);
	if (sid) {   /* a card saved for later: the SetupIntent, read as its events do */
		struct payment_event ev = { .id = "", .type = "setup_intent.refresh", .object_id = sid };
		return booking_money_on_setup_event(st, &ev, e);
	}
	return true;
}

bool booking_money_client_secret(store_t *st, const bson_t *b, int64_t now, char *out, size_t len,
				 struct err *e)
{
	const char *paid = doc_str(b, "paymentStatus"), *status = doc_str(b, "status");
	const char *pid = doc_str(b, "stripePaymentIntentId"), *sid = doc_str(b, "stripeSetupIntentId");
	json_object *o = NULL;
	stripe_t *sc;
	bool ok = false;

	out[0] = '\0';
	if (!paid || !status || (strcmp(status, "pending") && strcmp(status, "confirmed")) ||
	    (strcmp(paid, "pending") && strcmp(paid, "failed") && strcmp(paid, "action_required")))
		return true;
	if (!(sc = stripe_client(e)))
		return false;
	if (strcmp(paid, "action_required") == 0) {
		/* the off-session hold needed its holder: one on session now */
		bson_t update = BSON_INITIALIZER, set, filter = BSON_INITIALIZER, copy;
		store_error_t se = { 0 };
		struct stripe_kv md[2];
		bson_oid_t id;
		char hex[25], purpose[PURPOSE_MAX];
		bool mine = false;
		if (!booking_id_hex(b, &id, hex)) {
			bson_destroy(&update);
			bson_destroy(&filter);
			return true;
		}
		md[0] = (struct stripe_kv){ "bookingId", hex };
		md[1] = (struct stripe_kv){ "confirmationNumber", doc_str(b, "confirmationNumber") };
		struct stripe_intent in = { .amount = doc_int(b, "depositAmount", 0),
					    .customer = doc_str(b, "stripeCustomerId"), .metadata = md,
					    .nmetadata = 2, .description = doc_str(b, "confirmationNumber") };
		(void)buf_fmt(purpose, sizeof purpose, "booking/%s/hold/on-session", hex);
		ok = stripe_payment_intent_create(sc, &in, purpose, &o, e);
		if (ok) {
			BSON_APPEND_OID(&filter, "_id", &id);
			BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
			BSON_APPEND_UTF8(&set, "stripePaymentIntentId", stripe_str(o, "id"));
			BSON_APPEND_UTF8(&set, "captureMethod", "manual");
			bson_append_document_end(&update, &set);
			ok = store_update_one(st, "bookings", &filter, &update, false, NULL, &se) ||
			     store_fail(e, "money: record the intent", &se);
		}
		if (ok) {
			bson_copy_to(b, &copy);
			BSON_APPEND_UTF8(&copy, "stripePaymentIntentId", stripe_str(o, "id"));
			ok = payment_claim(st, purpose, "hold", &copy, in.amount, now, &mine, e);
			bson_destroy(&copy);
		}
		bson_destroy(&update);
		bson_destroy(&filter);
	} else if (pid) {
		ok = stripe_payment_intent_retrieve(sc, pid, &o, e);
	} else if (sid) {
		ok = stripe_setup_intent_retrieve(sc, sid, &o, e);
	} else {
		return true;
	}
	if (ok && stripe_str(o, "client_secret"))
		(void)buf_fmt(out, len, "%s", stripe_str(o, "client_secret"));
	json_object_put(o);
	return ok;
}

/* ---- webhook events --------------------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool booking_money_on_intent_event(store_t *st, const struct payment_event *ev, struct err *e)
{
	if (!ev->object_id || strncmp(ev->object_id, "pi_", 3) != 0)
		return true;
	return sync_intent(st, ev->object_id, wall_ms(), e);
}

bool booking_money_on_charge_event(store_t *st, const struct payment_event *ev, struct err *e)
{
	const char *pid = stripe_str(ev->object, "payment_intent");

	return pid ? sync_intent(st, pid, wall_ms(), e) : true;
}

bool booking_money_on_setup_event(store_t *st, const struct payment_event *ev, struct err *e)
{
	stripe_t *sc = stripe_client(e);
	json_object *si = NULL;
	bson_t b, update = BSON_INITIALIZER, set, unset;
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	const char *status, *mine;
	int64_t now = wall_ms();
	bool found = false, hit = false, ok;

	if (!sc || !stripe_setup_intent_retrieve(sc, ev->object_id, &si, e)) {
		bson_destroy(&update);
		return sc && unknown_at_stripe(sc, ev->object_id);
	}
	ok = load_booking(st, metadata_booking(si), &b, &found, e);
	if (!ok || !found)
		goto done;
	status = stripe_str(si, "status");
	mine = doc_str(&b, "stripeSetupIntentId");
	if (!status || !mine || strcmp(mine, ev->object_id) != 0 || !booking_id_hex(&b, &id, hex))
		goto done;
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/setup", hex);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	if (strcmp(status, "succeeded") == 0 && stripe_str(si, "payment_method")) {
		static const char *const waiting[] = { "pending", "failed", NULL };
		payment_set(st, purpose, "succeeded", -1, "paymentMethodId", stripe_str(si, "payment_method"),
			    NULL, NULL, now);
		BSON_APPEND_UTF8(&set, "paymentStatus", "card_saved");
		BSON_APPEND_UTF8(&set, "stripePaymentMethodId", stripe_str(si, "payment_method"));
		bson_append_document_end(&update, &set);
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
		BSON_APPEND_UTF8(&unset, "holdExpiresAt", "");
		bson_append_document_end(&update, &unset);
		ok = booking_payment_update(st, &id, waiting, &update, NULL, &hit, e);
		if (ok && hit) {
			store_error_t se = { 0 };
			if (!booking_claims_set_expiry(st, &id, 0, &se))
				log_error("money: clear claims' expiry: %s", se.message);
			booking_notify_hold_placed(st, &b, now);
		}
	} else if (strcmp(status, "requires_payment_method") == 0) {
		static const char *const waiting[] = { "pending", NULL };
		BSON_APPEND_UTF8(&set, "paymentStatus", "failed");
		bson_append_document_end(&update, &set);
		ok = booking_payment_update(st, &id, waiting, &update, NULL, &hit, e);
	} else {
		bson_append_document_end(&update, &set);
	}
done:
	if (found || ok)
		bson_destroy(&b);
	bson_destroy(&update);
	json_object_put(si);
	return ok;
}

/* ---- place-holds ------------------------------------------------------------------- */

/* Places the off-session hold of `b` (a saved card). */
static bool place_hold(store_t *st, stripe_t *sc, const bson_t *b, int64_t now,
		       bool *placed, bool *declined, struct err *e)
{
	const char *pm = doc_str(b, "stripePaymentMethodId"), *cus = doc_str(b, "stripeCustomerId");
	json_object *pi = NULL;
	bson_t update = BSON_INITIALIZER, set, copy;
	struct stripe_kv md[2];
	bson_oid_t id;
	char hex[25], purpose[PURPOSE_MAX];
	int64_t amount = doc_int(b, "depositAmount", 0);
	bool mine = false, hit = false, ok = false;

	*placed = *declined = false;
	if (!pm || !booking_id_hex(b, &id, hex)) {
		bson_destroy(&update);
		return true;
	}
	(void)buf_fmt(purpose, sizeof purpose, "booking/%s/hold", hex);
	if (!payment_claim(st, purpose, "hold", b, amount, now, &mine, e) || !mine) {
		bson_destroy(&update);
		return mine || e->status == 0;   /* another run has it */
	}
	md[0] = (struct stripe_kv){ "bookingId", hex };
	md[1] = (struct stripe_kv){ "confirmationNumber", doc_str(b, "confirmationNumber") };
	struct stripe_intent in = { .amount = amount, .customer = cus, .metadata = md, .nmetadata = 2,
				    .description = doc_str(b, "confirmationNumber"), .payment_method = pm };
	if (!stripe_payment_intent_create(sc, &in, purpose, &pi, e)) {
		const struct stripe_failure *f = stripe_last_failure(sc);
		if (e->status == 402) {   /* the card needs its holder, or was declined */
			*declined = true;
			static const char *const saved[] = { "card_saved", NULL };
			payment_set(st, purpose, "failed", -1, "failureReason", f->code[0] ? f->code : "card_declined",
				    NULL, NULL, now);
			BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
			BSON_APPEND_UTF8(&set, "paymentStatus", "action_required");
			BSON_APPEND_UTF8(&set, "holdFailure", f->code[0] ? f->code : "card_declined");
			BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
			bson_append_document_end(&update, &set);
			ok = booking_payment_update(st, &id, saved, &update, NULL, &hit, e);
			if (ok && hit) {
				booking_notify_hold_failed(st, b, f->code[0] ? f->code : "card_declined", now);
				log_warn("place-holds: booking %s: the card needs its holder (%s)",
					 doc_str(b, "confirmationNumber"), f->code);
			}
			bson_destroy(&update);
			return ok;
		}
		payment_forget(st, purpose);
		bson_destroy(&update);
		return false;
	}
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "stripePaymentIntentId", stripe_str(pi, "id"));
	BSON_APPEND_UTF8(&set, "captureMethod", "manual");
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	{
		bson_t filter = BSON_INITIALIZER;
		store_error_t se = { 0 };
		BSON_APPEND_OID(&filter, "_id", &id);
		ok = store_update_one(st, "bookings", &filter, &update, false, NULL, &se) ||
		     store_fail(e, "place-holds: record", &se);
		bson_destroy(&filter);
	}
	payment_set(st, purpose, "processing", -1, "stripePaymentIntentId", stripe_str(pi, "id"),
		    NULL, NULL, now);
	if (ok) {
		bson_copy_to(b, &copy);
		BSON_APPEND_UTF8(&copy, "stripePaymentIntentId", stripe_str(pi, "id"));
		ok = apply_intent(st, &copy, pi, now, e);
		bson_destroy(&copy);
		*placed = ok;
	}
	bson_destroy(&update);
	json_object_put(pi);
	return ok;
}

bool booking_money_place_holds(store_t *st, int64_t now, int *placed, int *failed, struct err *e)
{
	struct booking_settings s;
	store_error_t se = { 0 };
	stripe_t *sc = stripe_client(e);
	bson_t *filter;
	store_cursor_t *cur;
	const bson_t *d;
	bson_t **due = NULL;
	size_t ndue = 0;
	int64_t today;
	int minute;
	bool ok = true;

	*placed = *failed = 0;
	if (!sc)
		return false;
	if (!booking_settings_load(st, &s, &se))
		return store_fail(e, "place-holds: settings", &se);
	booking_paris_local(now, &today, &minute);
	filter = BCON_NEW("paymentStatus", BCON_UTF8("card_saved"),
			  "status", "{", "$in", "[", BCON_UTF8("pending"), BCON_UTF8("confirmed"), "]", "}",
			  "date", "{", "$lte", BCON_DATE_TIME(booking_day_ms(today + s.hold_lead_days)), "}");
	cur = store_find(st, "bookings", filter, NULL, &se);
	bson_destroy(filter);
	if (!cur)
		return store_fail(e, "place-holds: find", &se);
	while (store_cursor_next(cur, &d)) {
		due = realloc(due, (ndue + 1) * sizeof *due);
		if (!due)
			abort();
		due[ndue++] = bson_copy(d);
	}
	if (store_cursor_error(cur, &se))
		ok = store_fail(e, "place-holds: find", &se);
	store_cursor_destroy(cur);
	for (size_t i = 0; i < ndue; i++) {
		struct err one = { 0 };
		bool done = false, declined = false;
		if (ok && !place_hold(st, sc, due[i], now, &done, &declined, &one)) {
			log_error("place-holds: booking %s: %s", doc_str(due[i], "confirmationNumber"),
				  one.message);
			(*failed)++;
		} else if (declined) {
			(*failed)++;
		}
		*placed += done;
		bson_destroy(due[i]);
	}
	free(due);
	return ok;
}
