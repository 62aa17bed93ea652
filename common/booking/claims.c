/*
 * claims.c — slot claims under unique keys. See claims.h.
 */
#include "booking/claims.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/doc.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

#define CLAIMS "bookingclaims"
#define MAX_ATTEMPTS 20000

struct slot {
	int64_t day;
	int slot;
	int next_seat;      /* seats tried so far, open-space */
};

struct claim {
	char key[64];
	int slot;           /* index into the slots */
};

static void claim_key(const struct booking_space *sp, const struct slot *s, int seat,
		      bool exclusive, char *out)
{
	char d[11], t[6];

	booking_format_date(s->day, d);
	booking_format_time(s->slot * BOOKING_SLOT_MIN, t);
	if (exclusive)
		(void)buf_fmt(out, 64, "%s|%s|%.2s%.2s", sp->space_type, d, t, t + 3);
	else
		(void)buf_fmt(out, 64, "%s|%s|%.2s%.2s|%02d", sp->space_type, d, t, t + 3, seat);
}

static bson_t *claim_doc(const char *key, const struct booking_space *sp, const bson_oid_t *booking,
			 int64_t expires_at, int64_t now)
{
	bson_t *doc = bson_new();

	BSON_APPEND_UTF8(doc, "_id", key);
	BSON_APPEND_OID(doc, "booking", booking);
	BSON_APPEND_UTF8(doc, "spaceType", sp->space_type);
	if (expires_at > 0)
		BSON_APPEND_DATE_TIME(doc, "expiresAt", expires_at);
	BSON_APPEND_DATE_TIME(doc, "createdAt", now);
	return doc;
}

/* Whether the claim `key` is in nobody's way any more (expired, or an
 * orphan), in which case it is deleted; *gone says the key is free now
 * (deleted by us or released meanwhile). */
static bool clear_stale(store_t *st, const char *key, int64_t now, bool *gone, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, doc;
	bool found = false, ok = false, stale = false;
	bson_oid_t holder;

	*gone = false;
	BSON_APPEND_UTF8(&filter, "_id", key);
	if (!store_find_one(st, CLAIMS, &filter, NULL, &doc, &found, err))
		goto done;
	if (!found) {
		*gone = true;
		ok = true;
		goto done;
	}
	if (doc_date(&doc, "expiresAt", INT64_MAX) <= now) {
		stale = true;
	} else if (doc_date(&doc, "createdAt", now) < now - BOOKING_CLAIM_ORPHAN_MS &&
		   doc_oid(&doc, "booking", &holder)) {
		bson_t bf = BSON_INITIALIZER;
		int64_t n = 0;
		BSON_APPEND_OID(&bf, "_id", &holder);
		ok = store_count(st, "bookings", &bf, &n, err);
		bson_destroy(&bf);
		if (!ok)
			goto done;
		stale = n == 0;
	}
	if (stale && doc_oid(&doc, "booking", &holder)) {
		int64_t deleted = 0;
		BSON_APPEND_OID(&filter, "booking", &holder);
		if (!store_delete_one(st, CLAIMS, &filter, &deleted, err))
			goto done;
		log_info("booking: took over the stale claim %s", key);
		*gone = true;
	}
	ok = true;
done:
	bson_destroy(&doc);
	bson_destroy(&filter);
	return ok;
}

bool booking_claims_take(store_t *st, const struct booking_space *sp,
			 const struct booking_span *spans, int nspans, int people,
			 const bson_oid_t *booking, int64_t expires_at, int64_t now, struct err *e)
{
	bool exclusive = sp->exclusive, ok = false;
	int cap = sp->max_capacity < 1 ? 1 : sp->max_capacity;
	int per = exclusive ? 1 : people, nslots = 0, nclaims = 0, attempts = 0;
	struct slot *slots = calloc(BOOKING_MAX_SPANS * BOOKING_SLOTS, sizeof *slots);
	struct claim *claims = NULL;
	bson_t **docs = NULL;
	size_t pos = 0;
	store_error_t se = { 0 };
	unsigned char rnd[2] = { 0, 0 };
	int start_seat;

	if (!slots)
		abort();
	if (!exclusive && per > cap) {
		free(slots);
		return err_set(e, 409, "booking_conflict", "numberOfPeople", "Not enough seats.");
	}
	/* a random first seat spreads concurrent bookings over the seats */
	(void)crypto_random(rnd, sizeof rnd);
	start_seat = ((rnd[0] << 8) | rnd[1]) % cap;
	for (int i = 0; i < nspans; i++) {
		int from = spans[i].start_min / BOOKING_SLOT_MIN;
		int to = (spans[i].end_min + BOOKING_SLOT_MIN - 1) / BOOKING_SLOT_MIN;
		for (int s = from; s < to && s < BOOKING_SLOTS; s++)
			slots[nslots++] = (struct slot){ spans[i].day, s, per };
	}
	claims = calloc((size_t)nslots * per + 1, sizeof *claims);
	docs = calloc((size_t)nslots * per + 1, sizeof *docs);
	if (!claims || !docs)
		abort();
	for (int i = 0; i < nslots; i++)
		for (int j = 0; j < per; j++) {
			claim_key(sp, &slots[i], (start_seat + j) % cap, exclusive, claims[nclaims].key);
			claims[nclaims].slot = i;
			docs[nclaims] = claim_doc(claims[nclaims].key, sp, booking, expires_at, now);
			nclaims++;
		}

	while (pos < (size_t)nclaims) {
		size_t inserted = 0;
		bool gone;
		if (++attempts > MAX_ATTEMPTS) {
			err_set(e, 409, "booking_conflict", "date", "This slot is too busy, please retry.");
			goto release;
		}
		if (store_insert_many(st, CLAIMS, (const bson_t *const *)docs + pos,
				      (size_t)nclaims - pos, &inserted, &se)) {
			pos = (size_t)nclaims;
			break;
		}
		pos += inserted;
		if (se.code != STORE_ERR_DUPLICATE_KEY) {
			store_fail(e, "booking: take claims", &se);
			goto release;
		}
		/* docs[pos] is held by someone: stale, or a real conflict */
		if (!clear_stale(st, claims[pos].key, now, &gone, &se)) {
			store_fail(e, "booking: stale claim", &se);
			goto release;
		}
		if (gone)
			continue;
		struct slot *s = &slots[claims[pos].slot];
		char d[11], t[6];
		booking_format_date(s->day, d);
		booking_format_time(s->slot * BOOKING_SLOT_MIN, t);
		if (exclusive) {
			err_set(e, 409, "booking_conflict", "startTime",
				"%s is already booked on %s at %s.", sp->name, d, t);
			goto release;
		}
		if (s->next_seat >= cap) {
			err_set(e, 409, "booking_conflict", "numberOfPeople",
				"Not enough seats left on %s at %s.", d, t);
			goto release;
		}
		claim_key(sp, s, (start_seat + s->next_seat++) % cap, false, claims[pos].key);
		bson_destroy(docs[pos]);
		docs[pos] = claim_doc(claims[pos].key, sp, booking, expires_at, now);
	}
	ok = true;
	goto done;
release:
	if (!booking_claims_release(st, booking, &se))
		log_error("booking: release claims after a failure: %s", se.message);
done:
	for (int i = 0; i < nclaims; i++)
		bson_destroy(docs[i]);
	free(docs);
	free(claims);
	free(slots);
	return ok;
}

bool booking_claims_release(store_t *st, const bson_oid_t *booking, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER;
	bool ok;

	BSON_APPEND_OID(&filter, "booking", booking);
	ok = store_delete_many(st, CLAIMS, &filter, NULL, err);
	bson_destroy(&filter);
	return ok;
}

bool booking_claims_set_expiry(store_t *st, const bson_oid_t *booking, int64_t expires_at,
			       store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, sub;
	bool ok;

	BSON_APPEND_OID(&filter, "booking", booking);
	if (expires_at > 0) {
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &sub);
		BSON_APPEND_DATE_TIME(&sub, "expiresAt", expires_at);
	} else {
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &sub);
		BSON_APPEND_UTF8(&sub, "expiresAt", "");
	}
	bson_append_document_end(&update, &sub);
	ok = store_update_many(st, CLAIMS, &filter, &update, false, NULL, err);
	bson_destroy(&filter);
	bson_destroy(&update);
	return ok;
}

bool booking_claims_backfill(store_t *st, int64_t now, int *claimed, int *conflicts,
			     void (*report)(const char *line), store_error_t *err)
{
	bson_t *filter;
	store_cursor_t *cur;
	const bson_t *b;
	struct booking_hours h;
	bson_t **todo = NULL;
	size_t n = 0;
	int64_t today;
	int minute;
	bool ok = true;

	*claimed = *conflicts = 0;
	booking_paris_local(now, &today, &minute);
	if (!booking_hours_load(st, &h, err))
		return false;
	/* a booking running today may have started BOOKING_MAX_SPANS days ago */
	filter = BCON_NEW("date", "{", "$gte", BCON_DATE_TIME(booking_day_ms(today - BOOKING_MAX_SPANS)), "}");
	cur = store_find(st, "bookings", filter, NULL, err);
	bson_destroy(filter);
	if (!cur) {
		booking_hours_free(&h);
		return false;
	}
	while (store_cursor_next(cur, &b))
		if (booking_is_live(b, now)) {
			todo = realloc(todo, (n + 1) * sizeof *todo);
			if (!todo)
				abort();
			todo[n++] = bson_copy(b);
		}
	if (store_cursor_error(cur, err))
		ok = false;
	store_cursor_destroy(cur);
	for (size_t i = 0; ok && i < n; i++) {
		struct booking_span spans[BOOKING_MAX_SPANS];
		struct booking_space space;
		const char *type = booking_space_type_current(doc_str(todo[i], "spaceType"));
		bson_oid_t id;
		bson_t *mine;
		int64_t have = 0;
		bool found = false;
		struct err e = { 0 };
		char line[200];
		int nspans;

		if (!type || !doc_oid(todo[i], "_id", &id))
			continue;
		mine = BCON_NEW("booking", BCON_OID(&id));
		ok = store_count(st, CLAIMS, mine, &have, err);
		bson_destroy(mine);
		if (!ok || have > 0)
			continue;
		if (!(ok = booking_space_load(st, type, &space, &found, err)) || !found)
			continue;
		nspans = booking_stored_spans(&h, todo[i], spans);
		if (booking_claims_take(st, &space, spans, nspans, (int)doc_int(todo[i], "numberOfPeople", 1),
					&id, doc_date(todo[i], "holdExpiresAt", 0), now, &e)) {
			(*claimed)++;
		} else if (e.status == 409) {
			(*conflicts)++;
			(void)buf_fmt(line, sizeof line, "conflict: %s (%s): %s",
				      doc_str(todo[i], "confirmationNumber") ? doc_str(todo[i], "confirmationNumber") : "?",
				      type, e.message);
			if (report)
				report(line);
		} else {
			err->code = STORE_ERR_INTERNAL;
			(void)buf_fmt(err->message, sizeof err->message, "%s", e.message);
			ok = false;
		}
	}
	for (size_t i = 0; i < n; i++)
		bson_destroy(todo[i]);
	free(todo);
	booking_hours_free(&h);
	return ok;
}
