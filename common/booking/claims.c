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
#include <time.h>

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
	int space;          /* index into the spaces: 0 the booking's own */
};

/* The spaces a privatisation also claims: every other one of these. */
static const char *const privatised_types[] = { "open-space", "salle-verriere", "salle-etage", "evenementiel" };
#define MAX_SPACES (1 + sizeof privatised_types / sizeof *privatised_types)

bool booking_privatises(const char *space_type, bool partial)
{
	const char *cur = booking_space_type_current(space_type);

	return !partial && cur && strcmp(cur, "evenementiel") == 0;
}

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
			 bool privatisation, int64_t expires_at, int64_t now)
{
	bson_t *doc = bson_new();

	BSON_APPEND_UTF8(doc, "_id", key);
	BSON_APPEND_OID(doc, "booking", booking);
	BSON_APPEND_UTF8(doc, "spaceType", sp->space_type);
	if (privatisation)
		BSON_APPEND_BOOL(doc, "privatisation", true);
	if (expires_at > 0)
		BSON_APPEND_DATE_TIME(doc, "expiresAt", expires_at);
	BSON_APPEND_DATE_TIME(doc, "createdAt", now);
	return doc;
}

/* What holds the claim `key`. */
struct holder {
	bool gone;          /* nobody any more (stale and deleted by us, or released) */
	bool privatisation; /* a privatisation's claim */
	bool written;       /* its booking is stored (else still being made) */
};

/* Reads the claim `key` in the way; deletes it when it is in nobody's way
 * any more (expired, or an orphan). */
static bool clear_stale(store_t *st, const char *key, int64_t now, struct holder *h, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, doc;
	bool found = false, ok = false, stale = false;
	bson_oid_t holder;

	*h = (struct holder){ .written = true };
	BSON_APPEND_UTF8(&filter, "_id", key);
	if (!store_find_one(st, CLAIMS, &filter, NULL, &doc, &found, err))
		goto done;
	if (!found) {
		h->gone = true;
		ok = true;
		goto done;
	}
	h->privatisation = doc_bool(&doc, "privatisation", false);
	if (doc_date(&doc, "expiresAt", INT64_MAX) <= now) {
		stale = true;
	} else if ((h->privatisation || doc_date(&doc, "createdAt", now) < now - BOOKING_CLAIM_ORPHAN_MS) &&
		   doc_oid(&doc, "booking", &holder)) {
		bson_t bf = BSON_INITIALIZER;
		int64_t n = 0;
		BSON_APPEND_OID(&bf, "_id", &holder);
		ok = store_count(st, "bookings", &bf, &n, err);
		bson_destroy(&bf);
		if (!ok)
			goto done;
		ok = false;
		h->written = n > 0;
		stale = n == 0 && doc_date(&doc, "createdAt", now) < now - BOOKING_CLAIM_ORPHAN_MS;
	}
	if (stale && doc_oid(&doc, "booking", &holder)) {
		int64_t deleted = 0;
		BSON_APPEND_OID(&filter, "booking", &holder);
		if (!store_delete_one(st, CLAIMS, &filter, &deleted, err))
			goto done;
		log_info("booking: took over the stale claim %s", key);
		h->gone = true;
	}
	ok = true;
done:
	bson_destroy(&doc);
	bson_destroy(&filter);
	return ok;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The other spaces a privatisation claims, after `sp` in `spaces`. */
static bool load_privatised(store_t *st, const struct booking_space *sp, struct booking_space *spaces,
			    int *nspaces, struct err *e)
{
	for (size_t i = 0; i < sizeof privatised_types / sizeof *privatised_types; i++) {
		store_error_t se = { 0 };
		bool found = false;
		if (strcmp(privatised_types[i], sp->space_type) == 0)
			continue;
		if (!booking_space_load(st, privatised_types[i], &spaces[*nspaces], &found, &se))
			return store_fail(e, "booking: privatised spaces", &se);
		if (found)
			(*nspaces)++;
	}
	return true;
}

bool booking_claims_take(store_t *st, const struct booking_space *sp,
			 const struct booking_span *spans, int nspans, int people, bool privatise,
			 const bson_oid_t *booking, int64_t expires_at, int64_t now, struct err *e)
{
	bool exclusive = sp->exclusive, ok = false;
	int cap = sp->max_capacity < 1 ? 1 : sp->max_capacity;
	int per = exclusive ? 1 : people, nslots = 0, nclaims = 0, attempts = 0, nspaces = 1;
	struct slot *slots = calloc(BOOKING_MAX_SPANS * BOOKING_SLOTS, sizeof *slots);
	struct booking_space spaces[MAX_SPACES];
	struct claim *claims = NULL;
	bson_t **docs = NULL;
	size_t pos = 0, max = 0;
	store_error_t se = { 0 };
	unsigned char rnd[2] = { 0, 0 };
	int64_t wait_until = 0;
	int start_seat;

	if (!slots)
		abort();
	if (!exclusive && per > cap) {
		free(slots);
		return err_set(e, 409, "booking_conflict", "numberOfPeople", "Not enough seats.");
	}
	spaces[0] = *sp;
	if (privatise && !load_privatised(st, sp, spaces, &nspaces, e)) {
		free(slots);
		return false;
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
	max = (size_t)per;
	for (int k = 1; k < nspaces; k++)
		max += spaces[k].exclusive ? 1 : (size_t)(spaces[k].max_capacity < 1 ? 1 : spaces[k].max_capacity);
	max = max * (size_t)nslots + 1;
	claims = calloc(max, sizeof *claims);
	docs = calloc(max, sizeof *docs);
	if (!claims || !docs)
		abort();
	/* its own slots first, then (a privatisation) every other space's,
	 * every seat of the open-space: each one exactly, never another */
	for (int k = 0; k < nspaces; k++)
		for (int i = 0; i < nslots; i++) {
			bool ex = spaces[k].exclusive;
			int n = k == 0 ? per : ex ? 1 : (spaces[k].max_capacity < 1 ? 1 : spaces[k].max_capacity);
			for (int j = 0; j < n; j++) {
				claim_key(&spaces[k], &slots[i], k == 0 ? (start_seat + j) % cap : j, ex,
					  claims[nclaims].key);
				claims[nclaims].slot = i;
				claims[nclaims].space = k;
				docs[nclaims] = claim_doc(claims[nclaims].key, sp, booking, privatise,
							  expires_at, now);
				nclaims++;
			}
		}

	while (pos < (size_t)nclaims) {
		size_t inserted = 0;
		struct holder h;
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
		if (!clear_stale(st, claims[pos].key, now, &h, &se)) {
			store_fail(e, "booking: stale claim", &se);
			goto release;
		}
		if (h.gone)
			continue;
		struct slot *s = &slots[claims[pos].slot];
		const struct booking_space *csp = &spaces[claims[pos].space];
		char d[11], t[6];
		booking_format_date(s->day, d);
		booking_format_time(s->slot * BOOKING_SLOT_MIN, t);
		if (h.privatisation && !privatise && !h.written) {
			/* a privatisation being made: it wins or gives all
			 * back within moments (it never waits itself) */
			struct timespec pause = { 0, 2 * 1000000 };
			if (!wait_until)
				wait_until = mono_ms() + BOOKING_CLAIM_WAIT_MS;
			if (mono_ms() < wait_until) {
				nanosleep(&pause, NULL);
				attempts--;
				continue;
			}
		}
		if (h.privatisation && !privatise) {
			err_set(e, 409, "booking_conflict", "date",
				"The café is privatised on %s at %s.", d, t);
			goto release;
		}
		if (claims[pos].space > 0) {
			err_set(e, 409, "booking_conflict", "date",
				"The café cannot be privatised on %s at %s: %s is booked then "
				"(move or cancel that booking first).", d, t, csp->name);
			goto release;
		}
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
		docs[pos] = claim_doc(claims[pos].key, sp, booking, privatise, expires_at, now);
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

static bool privatises(const bson_t *b)
{
	return booking_privatises(doc_str(b, "spaceType"), doc_bool(b, "isPartialPrivatization", false));
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
	/* privatisations first: a booking the original let through under
	 * one is the one reported, for the staff to move */
	for (size_t i = 0, first = 0; i < n; i++)
		if (privatises(todo[i])) {
			bson_t *tmp = todo[first];
			todo[first++] = todo[i];
			todo[i] = tmp;
		}
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
		/* a privatisation claimed before privatisations claimed every
		 * space has no `privatisation` claim: claimed again */
		if (privatises(todo[i]))
			mine = BCON_NEW("booking", BCON_OID(&id), "privatisation", BCON_BOOL(true));
		else
			mine = BCON_NEW("booking", BCON_OID(&id));
		ok = store_count(st, CLAIMS, mine, &have, err);
		bson_destroy(mine);
		if (!ok || have > 0)
			continue;
		if (privatises(todo[i]) && !(ok = booking_claims_release(st, &id, err)))
			continue;
		if (!(ok = booking_space_load(st, type, &space, &found, err)) || !found)
			continue;
		nspans = booking_stored_spans(&h, todo[i], spans);
		if (booking_claims_take(st, &space, spans, nspans, (int)doc_int(todo[i], "numberOfPeople", 1),
					privatises(todo[i]), &id, doc_date(todo[i], "holdExpiresAt", 0), now, &e)) {
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
