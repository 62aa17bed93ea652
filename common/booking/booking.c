/*
 * booking.c — creating, reading and moving bookings. See booking.h.
 */
#include "booking/booking.h"
#include "booking/claims.h"
#include "booking/money.h"
#include "booking/notify.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/doc.h"
#include "core/config.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONFIRMATION_TRIES 5

bool booking_quote(store_t *st, const struct booking_request *rq, struct booking_space *space,
		   struct booking_quote *q, struct err *e)
{
	struct booking_service services[BOOKING_MAX_SERVICES];
	store_error_t se = { 0 };
	bool found = false;

	if (!booking_space_load(st, rq->space_type, space, &found, &se))
		return store_fail(e, "booking: load space", &se);
	if (!found)
		return err_set(e, 422, "unknown_space_type", "spaceType",
			       "There is no space \"%.60s\".", rq->space_type);
	for (int i = 0; i < rq->nservices; i++) {
		bson_t filter = BSON_INITIALIZER, doc;
		char field[32];
		bool ok;
		BSON_APPEND_OID(&filter, "_id", &rq->services[i].id);
		ok = store_find_one(st, "additionalservices", &filter, NULL, &doc, &found, &se);
		bson_destroy(&filter);
		if (!ok)
			return store_fail(e, "booking: load service", &se);
		if (found && doc_bool(&doc, "isDeleted", false))
			found = false;
		if (found)
			booking_service_from_doc(&doc, &services[i]);
		bson_destroy(&doc);
		(void)buf_fmt(field, sizeof field, "services[%d]", i);
		if (!found)
			return err_set(e, 422, "unknown_service", field, "There is no such service.");
	}
	return booking_price_quote(space, services, rq, q, e);
}

static void new_confirmation_number(char out[11])
{
	static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";   /* 32, no 0/O/1/I */
	unsigned char rnd[6];

	if (!crypto_random(rnd, sizeof rnd))
		abort();
	memcpy(out, "CWC-", 4);
	for (int i = 0; i < 6; i++)
		out[4 + i] = alphabet[rnd[i] % 32];
	out[10] = '\0';
}

static void append_opt(bson_t *doc, const char *key, const char *value)
{
	if (value && *value)
		BSON_APPEND_UTF8(doc, key, value);
}

/* The booking document (without confirmationNumber, added by the caller). */
static void build_doc(bson_t *doc, const bson_oid_t *id, const struct booking_new *nb,
		      const struct booking_quote *q, const char *token_hash, int64_t expires,
		      int64_t now)
{
	const struct booking_request *rq = &nb->rq;
	bson_t arr, line;
	char t[6], key[16];

	BSON_APPEND_OID(doc, "_id", id);
	if (nb->user)
		BSON_APPEND_OID(doc, "user", nb->user);
	else
		BSON_APPEND_NULL(doc, "user");
	BSON_APPEND_UTF8(doc, "spaceType", rq->space_type);
	BSON_APPEND_DATE_TIME(doc, "date", booking_day_ms(rq->day));
	if (rq->rtype == BOOKING_HOURLY) {
		booking_format_time(rq->start_min, t);
		BSON_APPEND_UTF8(doc, "startTime", t);
		booking_format_time(rq->end_min, t);
		BSON_APPEND_UTF8(doc, "endTime", t);
	}
	if (q->days > 1)
		BSON_APPEND_DATE_TIME(doc, "endDate", booking_day_ms(rq->day + q->days - 1));
	BSON_APPEND_INT32(doc, "numberOfPeople", rq->people);
	BSON_APPEND_UTF8(doc, "reservationType", booking_rtype_name(rq->rtype));
	BSON_APPEND_UTF8(doc, "status", "pending");
	BSON_APPEND_UTF8(doc, "paymentStatus", nb->requires_payment ? "pending" : "unpaid");
	booking_append_euros(doc, "basePrice", q->base_price);
	booking_append_euros(doc, "servicesPrice", q->services_price);
	booking_append_euros(doc, "totalPrice", q->total);
	BSON_APPEND_ARRAY_BEGIN(doc, "additionalServices", &arr);
	for (int i = 0; i < q->nlines; i++) {
		(void)buf_fmt(key, sizeof key, "%d", i);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &line);
		BSON_APPEND_OID(&line, "service", &q->lines[i].service);
		BSON_APPEND_UTF8(&line, "name", q->lines[i].name);
		BSON_APPEND_INT32(&line, "quantity", q->lines[i].quantity);
		booking_append_euros(&line, "unitPrice", q->lines[i].unit_price);
		booking_append_euros(&line, "totalPrice", q->lines[i].total);
		bson_append_document_end(&arr, &line);
	}
	bson_append_array_end(doc, &arr);
	append_opt(doc, "contactName", nb->contact.name);
	append_opt(doc, "contactEmail", nb->contact.email);
	append_opt(doc, "contactPhone", nb->contact.phone);
	append_opt(doc, "companyName", nb->contact.company);
	append_opt(doc, "specialRequests", nb->special_requests);
	BSON_APPEND_BOOL(doc, "requiresPayment", nb->requires_payment);
	BSON_APPEND_INT64(doc, "depositAmount", q->hold);
	BSON_APPEND_BOOL(doc, "isAdminBooking", false);
	BSON_APPEND_BOOL(doc, "invoiceOption", false);
	BSON_APPEND_DOUBLE(doc, "amountPaid", 0);
	BSON_APPEND_DOUBLE(doc, "cancellationFee", 0);
	BSON_APPEND_DOUBLE(doc, "refundAmount", 0);
	if (expires > 0)
		BSON_APPEND_DATE_TIME(doc, "holdExpiresAt", expires);
	if (token_hash)
		BSON_APPEND_UTF8(doc, "manageTokenHash", token_hash);
	BSON_APPEND_DATE_TIME(doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(doc, "updatedAt", now);
}

bool booking_create(store_t *st, const struct booking_new *nb, int64_t now, bson_t *out,
		    struct booking_quote *quote, char guest_token[BOOKING_TOKEN_HEX + 1],
		    struct err *e)
{
	struct booking_space space;
	struct booking_quote q;
	struct booking_hours hours;
	struct booking_span spans[BOOKING_MAX_SPANS];
	store_error_t se = { 0 };
	bson_oid_t id;
	char token_hash[65];
	int64_t expires = nb->hold_minutes > 0 ? now + (int64_t)nb->hold_minutes * 60000 : 0;
	int nspans;
	bool ok = false;

	if (!booking_quote(st, &nb->rq, &space, &q, e))
		return false;
	if (!booking_hours_load(st, &hours, &se))
		return store_fail(e, "booking: load hours", &se);
	if (!booking_check_available(st, &space, &hours, &nb->rq, now, e))
		goto done;
	nspans = booking_request_spans(&hours, &nb->rq, spans);
	if (!nb->user) {
		if (!crypto_random_hex(guest_token, BOOKING_TOKEN_HEX / 2))
			abort();
		crypto_sha256_hex(guest_token, BOOKING_TOKEN_HEX, token_hash);
	}
	bson_oid_init(&id, NULL);
	if (!booking_claims_take(st, &space, spans, nspans, nb->rq.people,
				 booking_privatises(space.space_type, false), &id, expires, now, e))
		goto done;
	for (int attempt = 0; attempt < CONFIRMATION_TRIES; attempt++) {
		char number[11];
		bson_t doc = BSON_INITIALIZER;
		new_confirmation_number(number);
		build_doc(&doc, &id, nb, &q, nb->user ? NULL : token_hash, expires, now);
		BSON_APPEND_UTF8(&doc, "confirmationNumber", number);
		ok = store_insert_one(st, "bookings", &doc, NULL, &se);
		if (ok)
			bson_copy_to(&doc, out);
		bson_destroy(&doc);
		if (ok || se.code != STORE_ERR_DUPLICATE_KEY)
			break;
	}
	if (!ok) {
		store_error_t re = { 0 };
		store_fail(e, "booking: insert", &se);
		if (!booking_claims_release(st, &id, &re))
			log_error("booking: release claims after a failed insert: %s", re.message);
	}
	if (ok && quote)
		*quote = q;
	if (ok && !nb->requires_payment)   /* else once its card step started (money.h) */
		booking_notify_created(st, out, nb->user ? NULL : guest_token, now);
done:
	booking_hours_free(&hours);
	return ok;
}

bool booking_find(store_t *st, const char *key, bson_t *out, bool *found, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER;
	bson_oid_t id;
	bool ok;

	if (key && doc_parse_oid(key, &id)) {
		BSON_APPEND_OID(&filter, "_id", &id);
	} else if (key && strlen(key) <= 40) {
		char upper[41];
		size_t i;
		for (i = 0; key[i]; i++)
			upper[i] = (char)(key[i] >= 'a' && key[i] <= 'z' ? key[i] - 32 : key[i]);
		upper[i] = '\0';
		BSON_APPEND_UTF8(&filter, "confirmationNumber", upper);
	} else {
		bson_init(out);
		*found = false;
		bson_destroy(&filter);
		return true;
	}
	ok = store_find_one(st, "bookings", &filter, NULL, out, found, err);
	bson_destroy(&filter);
	return ok;
}

bool booking_token_ok(const bson_t *b, const char *token)
{
	const char *want = doc_str(b, "manageTokenHash");
	char got[65];
	bool ok = false;
	bson_iter_t it, arr;

	if (!token || strlen(token) != BOOKING_TOKEN_HEX)
		return false;
	crypto_sha256_hex(token, BOOKING_TOKEN_HEX, got);
	if (want)
		ok = crypto_equal(got, 64, want, strlen(want));
	if (bson_iter_init_find(&it, b, "manageTokenHashes") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr))
		while (bson_iter_next(&arr))   /* every one compared: no early exit */
			if (BSON_ITER_HOLDS_UTF8(&arr)) {
				uint32_t len;
				const char *h = bson_iter_utf8(&arr, &len);
				ok |= crypto_equal(got, 64, h, len);
			}
	return ok;
}

bool booking_customer_link(store_t *st, const bson_t *b, struct buf *out)
{
	const char *number = doc_str(b, "confirmationNumber");
	char token[BOOKING_TOKEN_HEX + 1], hash[65];
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, push;
	store_error_t se = { 0 };
	store_update_result_t res = { 0 };
	bson_oid_t id;
	bool ok;

	if (!number || !doc_oid(b, "_id", &id))
		return false;
	if (doc_oid(b, "user", &id)) {
		buf_printf(out, "%s/dashboard/reservations/%s", cfg->site_url, number);
		return true;
	}
	(void)doc_oid(b, "_id", &id);
	if (!crypto_random_hex(token, BOOKING_TOKEN_HEX / 2))
		return false;
	crypto_sha256_hex(token, BOOKING_TOKEN_HEX, hash);
	BSON_APPEND_OID(&filter, "_id", &id);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$push", &push);
	BSON_APPEND_UTF8(&push, "manageTokenHashes", hash);
	bson_append_document_end(&update, &push);
	ok = store_update_one(st, "bookings", &filter, &update, false, &res, &se);
	bson_destroy(&filter);
	bson_destroy(&update);
	if (!ok || res.matched != 1) {
		log_error("booking %s: a new private link could not be stored: %s", number,
			  ok ? "the booking is gone" : se.message);
		return false;
	}
	buf_printf(out, "%s/reservation/%s?token=%s", cfg->site_url, number, token);
	return true;
}

/* ---- fees and transitions ----------------------------------------------- */

void booking_cancellation_fees(const bson_t *b, const struct booking_settings *s, int64_t now,
			       struct booking_fees *f)
{
	const char *status = doc_str(b, "status");
	const struct booking_policy *p = booking_settings_policy(s, doc_str(b, "spaceType"));
	int64_t today, day = booking_day_of_ms(doc_date(b, "date", 0));
	int minute;

	memset(f, 0, sizeof *f);
	booking_paris_local(now, &today, &minute);
	f->days_until = day > today ? (int)(day - today) : 0;
	f->pending = status && strcmp(status, "pending") == 0;
	f->total = booking_field_cents(b, "totalPrice");
	f->hold = doc_int(b, "depositAmount", f->total);
	if (f->pending) {
		f->percentage = 0;
	} else {
		f->percentage = 100;
		for (int i = 0; i < p->n; i++)
			if (f->days_until >= p->days[i]) {
				f->percentage = p->pct[i];
				break;
			}
	}
	f->fee = (f->total * f->percentage + 50) / 100;
	if (f->fee > f->hold)
		f->fee = f->hold;
	f->refund = f->hold - f->fee;
}

json_object *booking_fees_json(const bson_t *b, const struct booking_fees *f)
{
	json_object *o = json_object_new_object();
	char id[25];
	bson_oid_t oid;
	const char *number = doc_str(b, "confirmationNumber");

	if (doc_oid(b, "_id", &oid)) {
		bson_oid_to_string(&oid, id);
		json_object_object_add(o, "bookingId", json_object_new_string(id));
	}
	if (number)
		json_object_object_add(o, "confirmationNumber", json_object_new_string(number));
	json_object_object_add(o, "status", json_object_new_string(doc_str(b, "status") ? doc_str(b, "status") : ""));
	json_object_object_add(o, "totalPrice", booking_euros_json(f->total));
	json_object_object_add(o, "depositAmount", booking_euros_json(f->hold));
	json_object_object_add(o, "daysUntilBooking", json_object_new_int(f->days_until));
	json_object_object_add(o, "chargePercentage", json_object_new_int(f->percentage));
	json_object_object_add(o, "cancellationFee", booking_euros_json(f->fee));
	json_object_object_add(o, "refundAmount", booking_euros_json(f->refund));
	json_object_object_add(o, "isPending", json_object_new_boolean(f->pending));
	return o;
}

int64_t booking_no_show_fee(const bson_t *b, const struct booking_settings *s)
{
	const struct booking_policy *p = booking_settings_policy(s, doc_str(b, "spaceType"));
	bson_iter_t it;
	int64_t total = 0, hold, fee;
	int pct = 100;

	for (int i = 0; i < p->n; i++)
		if (p->days[i] == 0) {   /* the no-show fee: the 0-day tier */
			pct = p->pct[i];
			break;
		}
	if (bson_iter_init_find(&it, b, "totalPrice") && BSON_ITER_HOLDS_NUMBER(&it))
		total = booking_cents(&it);
	hold = doc_int(b, "depositAmount", total);
	fee = (total * pct + 50) / 100;
	return fee > hold ? hold : fee;
}

/* Who may move a booking from `from` to `to` (NULL: nobody). */
static bool transition_allowed(const char *from, const char *to, bool staff)
{
	static const struct { const char *from, *to; bool staff_only; } table[] = {
		{ "pending", "confirmed", true },
		{ "pending", "cancelled", false },
		{ "confirmed", "cancelled", false },
		{ "confirmed", "completed", true },
		{ "confirmed", "no-show", true },
	};

	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(table[i].from, from) == 0 && strcmp(table[i].to, to) == 0)
			return staff || !table[i].staff_only;
	return false;
}

/* The instant the booking starts (its day's opening for a full day). */
static int64_t booking_start(store_t *st, const bson_t *b)
{
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0));
	const char *t = doc_str(b, "startTime");
	int minute = 0;

	if (!t || !booking_parse_time(t, false, &minute)) {
		struct booking_hours h;
		struct booking_day bd;
		store_error_t se;
		if (booking_hours_load(st, &h, &se)) {
			booking_hours_day(&h, day, &bd);
			minute = bd.open ? bd.open_min : 0;
			booking_hours_free(&h);
		}
	}
	return booking_paris_to_utc(day, minute);
}

bool booking_transition(store_t *st, const bson_t *b, const char *to,
			const struct booking_actor *actor, const char *reason, int64_t now,
			bson_t *out, struct err *e)
{
	const char *from = doc_str(b, "status");
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, unset;
	store_fam_opts_t opts = { .return_new = true };
	store_error_t se = { 0 };
	bson_oid_t id;
	bool found = false, ok = false;
	bool releases = strcmp(to, "cancelled") == 0 || strcmp(to, "no-show") == 0;

	if (!from || !doc_oid(b, "_id", &id) || !transition_allowed(from, to, actor->staff))
		return err_set(e, 422, "invalid_transition", "status",
			       "A %s booking cannot become %s.", from ? from : "?", to);
	/* its slots may have gone to someone else since (claims.h) */
	if (strcmp(to, "confirmed") == 0 && doc_date(b, "holdExpiresAt", INT64_MAX) <= now)
		return err_set(e, 422, "hold_expired", "status",
			       "The payment of this booking was not completed in time: its slot was freed.");
	if (strcmp(to, "cancelled") == 0 && !actor->staff && booking_start(st, b) <= now)
		return err_set(e, 422, "booking_started", "status",
			       "This booking has started or is past: it cannot be cancelled online.");
	BSON_APPEND_OID(&filter, "_id", &id);
	BSON_APPEND_UTF8(&filter, "status", from);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "status", to);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	if (strcmp(to, "cancelled") == 0) {
		struct booking_settings s;
		struct booking_fees f;
		if (!booking_settings_load(st, &s, &se)) {
			bson_append_document_end(&update, &set);
			store_fail(e, "booking: settings", &se);
			goto done;
		}
		booking_cancellation_fees(b, &s, now, &f);
		if (actor->waive_fee) {
			f.fee = 0;
			f.refund = f.hold;
			BSON_APPEND_BOOL(&set, "feeWaived", true);
			if (actor->user)
				BSON_APPEND_OID(&set, "feeWaivedBy", actor->user);
		}
		BSON_APPEND_DATE_TIME(&set, "cancelledAt", now);
		BSON_APPEND_UTF8(&set, "cancelReason", reason && *reason ? reason
				 : actor->staff ? "Annulée par l'administrateur" : "Annulée par le client");
		booking_append_euros(&set, "cancellationFee", f.fee);
		booking_append_euros(&set, "refundAmount", f.refund);
		if (actor->user)
			BSON_APPEND_OID(&set, "cancelledBy", actor->user);
	} else if (strcmp(to, "no-show") == 0) {
		struct booking_settings s;
		if (!booking_settings_load(st, &s, &se)) {
			bson_append_document_end(&update, &set);
			store_fail(e, "booking: settings", &se);
			goto done;
		}
		booking_append_euros(&set, "cancellationFee", booking_no_show_fee(b, &s));
		BSON_APPEND_UTF8(&set, "attendanceStatus", "absent");
		BSON_APPEND_DATE_TIME(&set, "cancelledAt", now);
		BSON_APPEND_UTF8(&set, "cancelReason", reason && *reason ? reason
				 : "No-show - Client ne s'est pas présenté");
	} else if (strcmp(to, "completed") == 0) {
		BSON_APPEND_UTF8(&set, "attendanceStatus", "present");
		BSON_APPEND_DATE_TIME(&set, "completedAt", now);
	}
	bson_append_document_end(&update, &set);
	if (strcmp(to, "confirmed") == 0) {
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
		BSON_APPEND_UTF8(&unset, "holdExpiresAt", "");
		bson_append_document_end(&update, &unset);
	}
	if (!store_find_one_and_update(st, "bookings", &filter, &update, &opts, out, &found, &se)) {
		store_fail(e, "booking: transition", &se);
		goto done;
	}
	if (!found) {   /* its status moved meanwhile */
		bson_destroy(out);
		err_set(e, 422, "invalid_transition", "status",
			"This booking changed meanwhile: it is no longer %s.", from);
		goto done;
	}
	if (releases && !booking_claims_release(st, &id, &se))
		log_error("booking: release claims: %s", se.message);   /* the expiry job retries */
	if (strcmp(to, "confirmed") == 0 && !booking_claims_set_expiry(st, &id, 0, &se))
		log_error("booking: clear claims' expiry: %s", se.message);
	{	/* the card (money.h): the move stands; a failed release or capture is logged */
		struct err me = { 0 };
		if (!booking_money_after_transition(st, b, out, to, now, &me))
			log_error("booking: %s → %s: the card step failed: %s", from, to, me.message);
	}
	{	/* who moved the money: the `payments` this move made say it (`by`:
		 * the user, "system" for the jobs, "customer" for a guest's link) */
		bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, ex, bset;
		BSON_APPEND_OID(&f, "booking", &id);
		BSON_APPEND_DATE_TIME(&f, "createdAt", now);
		BSON_APPEND_DOCUMENT_BEGIN(&f, "by", &ex);
		BSON_APPEND_BOOL(&ex, "$exists", false);
		bson_append_document_end(&f, &ex);
		BSON_APPEND_DOCUMENT_BEGIN(&u, "$set", &bset);
		if (actor->user)
			BSON_APPEND_OID(&bset, "by", actor->user);
		else
			BSON_APPEND_UTF8(&bset, "by", actor->staff ? "system" : "customer");
		bson_append_document_end(&u, &bset);
		if (!store_update_many(st, "payments", &f, &u, false, NULL, &se))
			log_error("booking: who moved the money: %s", se.message);
		bson_destroy(&f);
		bson_destroy(&u);
	}
	booking_notify_transition(st, b, out, actor->staff, now);
	ok = true;
done:
	bson_destroy(&filter);
	bson_destroy(&update);
	return ok;
}

bool booking_expire_holds(store_t *st, int64_t now, int *n, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, range;
	store_cursor_t *cur;
	const bson_t *b;
	struct booking_actor system = { .staff = true };
	bson_t **due = NULL;
	size_t ndue = 0;
	bool ok = true;

	*n = 0;
	BSON_APPEND_UTF8(&filter, "status", "pending");
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "holdExpiresAt", &range);
	BSON_APPEND_DATE_TIME(&range, "$lte", now);
	bson_append_document_end(&filter, &range);
	cur = store_find(st, "bookings", &filter, NULL, err);
	bson_destroy(&filter);
	if (!cur)
		return false;
	while (store_cursor_next(cur, &b)) {
		due = realloc(due, (ndue + 1) * sizeof *due);
		if (!due)
			abort();
		due[ndue++] = bson_copy(b);
	}
	if (store_cursor_error(cur, err))
		ok = false;
	store_cursor_destroy(cur);
	for (size_t i = 0; i < ndue; i++) {
		bson_t after;
		struct err e;
		if (ok && booking_transition(st, due[i], "cancelled", &system, "paiement non finalisé",
					     now, &after, &e)) {
			bson_destroy(&after);
			(*n)++;
		}
		bson_destroy(due[i]);
	}
	free(due);
	return ok;
}

/* ---- JSON ----------------------------------------------------------------- */

json_object *booking_json(const bson_t *b)
{
	json_object *o = doc_to_json(b);
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0));
	char d[11];

	json_object_object_del(o, "manageTokenHash");
	json_object_object_del(o, "manageTokenHashes");
	json_object_object_del(o, "notes");   /* staff only */
	booking_format_date(day, d);
	json_object_object_add(o, "day", json_object_new_string(d));
	if (doc_date(b, "endDate", 0)) {
		booking_format_date(booking_day_of_ms(doc_date(b, "endDate", 0)), d);
		json_object_object_add(o, "endDay", json_object_new_string(d));
	}
	return o;
}
