/*
 * indexes.c — the indexes of every collection, declared in one table.
 *
 * store_ensure_indexes() creates them on either backend at start-up. It is
 * idempotent and gentle with databases the original system filled: an
 * index that already exists with the same keys (under any name, e.g. the
 * one mongoose gave it) is kept as it is, provided it agrees on
 * uniqueness; a different TTL on an existing index is kept too (the
 * database's setting wins). A uniqueness mismatch is an error, because the
 * code relies on the unique ones. See docs/store.md for the choices.
 *
 * A MongoDB-compatible server without TTL indexes (FerretDB 1.x, some
 * managed services) refuses them as not implemented: the index is then
 * created without its TTL, one warning is logged, and nothing expires by
 * itself — store_purge_expired() (`cwc-cron purge-expired`) removes what
 * the TTL would have, from the same table. Expired sessions and tokens
 * are refused by their dates either way.
 */
#include "store/store.h"
#include "store/backend.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

#define NO_TTL (-1)

static const struct store_index_decl {
	const char *coll;
	const char *keys;          /* JSON, in key order */
	bool unique;
	int64_t ttl;               /* expireAfterSeconds, NO_TTL */
} store_index_decls[] = {
	/* §3 accounts */
	{ "roles", "{\"slug\": 1}", true, NO_TTL },
	{ "users", "{\"email\": 1}", true, NO_TTL },
	/* the back office's customer list, newest first (fcgi-apps/admin/customers.c) */
	{ "users", "{\"createdAt\": -1}", false, NO_TTL },
	{ "sessions", "{\"sessionToken\": 1}", true, NO_TTL },
	{ "sessions", "{\"userId\": 1}", false, NO_TTL },
	{ "sessions", "{\"expires\": 1}", false, 0 },
	{ "passwordresettokens", "{\"token\": 1}", true, NO_TTL },
	/* kept a day after expiry so the app can say "expired", not "unknown" */
	{ "passwordresettokens", "{\"expiresAt\": 1}", false, 86400 },
	/* §6 messaging */
	{ "conversations", "{\"participants.user\": 1}", false, NO_TTL },
	{ "conversations", "{\"lastMessageAt\": -1}", false, NO_TTL },
	{ "messages", "{\"conversation\": 1, \"createdAt\": -1}", false, NO_TTL },
	/* one person's messages: the GDPR export (account/manage.h) */
	{ "messages", "{\"sender\": 1}", false, NO_TTL },
	/* §7 bookings */
	{ "spaceconfigurations", "{\"spaceType\": 1}", true, NO_TTL },
	{ "spaceconfigurations", "{\"slug\": 1}", true, NO_TTL },
	{ "spaceconfigurations", "{\"isActive\": 1, \"isDeleted\": 1}", false, NO_TTL },
	{ "globalhoursconfigurations", "{\"createdAt\": -1}", false, NO_TTL },
	{ "additionalservices", "{\"slug\": 1}", true, NO_TTL },
	{ "additionalservices", "{\"order\": 1}", false, NO_TTL },
	{ "bookings", "{\"confirmationNumber\": 1}", true, NO_TTL },
	{ "bookings", "{\"user\": 1, \"date\": 1}", false, NO_TTL },
	{ "bookings", "{\"spaceType\": 1, \"date\": 1, \"status\": 1}", false, NO_TTL },
	{ "bookings", "{\"date\": 1}", false, NO_TTL },
	{ "bookings", "{\"status\": 1, \"date\": 1}", false, NO_TTL },
	/* weekly and monthly bookings still running on a day */
	{ "bookings", "{\"spaceType\": 1, \"endDate\": 1}", false, NO_TTL },
	/* the slot claims that make double booking impossible (docs/booking.md):
	 * _id is the claim's key; released by booking */
	{ "bookingclaims", "{\"booking\": 1}", false, NO_TTL },
	/* unique in the original, but sparse there: most bookings have none,
	 * and a unique index admits one missing value only (docs/store.md) */
	{ "bookings", "{\"stripePaymentIntentId\": 1}", false, NO_TTL },
	{ "payments", "{\"booking\": 1}", false, NO_TTL },
	/* the dashboard's revenue: money moved, by day (booking/stats.h) */
	{ "payments", "{\"status\": 1, \"updatedAt\": 1}", false, NO_TTL },
	{ "payments", "{\"user\": 1}", false, NO_TTL },
	{ "stripeevents", "{\"eventId\": 1}", true, NO_TTL },
	/* §8 content */
	{ "articles", "{\"slug\": 1}", true, NO_TTL },
	{ "articles", "{\"status\": 1, \"publishedAt\": -1}", false, NO_TTL },
	{ "articles", "{\"category\": 1, \"status\": 1}", false, NO_TTL },
	/* a category's newest public articles in order (the related
	 * articles read only the few they show) */
	{ "articles", "{\"category\": 1, \"status\": 1, \"publishedAt\": -1}", false, NO_TTL },
	{ "categories", "{\"slug\": 1}", true, NO_TTL },
	{ "articlelikes", "{\"user\": 1, \"article\": 1}", true, NO_TTL },
	{ "articlelikes", "{\"article\": 1}", false, NO_TTL },
	{ "articles", "{\"searchTerms\": 1}", false, NO_TTL },
	{ "events", "{\"slug\": 1}", true, NO_TTL },
	{ "eventregistrations", "{\"eventId\": 1, \"email\": 1}", true, NO_TTL },
	/* public events soonest first; an event's registrations; its seats
	 * (the claims that make overselling impossible: _id is the seat) */
	{ "events", "{\"status\": 1, \"endsAt\": 1}", false, NO_TTL },
	{ "events", "{\"startsAt\": -1}", false, NO_TTL },
	{ "eventregistrations", "{\"eventId\": 1, \"createdAt\": -1}", false, NO_TTL },
	{ "eventseats", "{\"event\": 1, \"expiresAt\": 1}", false, NO_TTL },
	{ "eventseats", "{\"registration\": 1}", false, NO_TTL },
	{ "newsletters", "{\"email\": 1}", true, NO_TTL },
	{ "newsletters", "{\"confirmTokenHash\": 1}", false, NO_TTL },
	{ "newsletters", "{\"status\": 1, \"createdAt\": -1}", false, NO_TTL },
	{ "contactmails", "{\"status\": 1, \"createdAt\": -1}", false, NO_TTL },
	{ "quoterequests", "{\"status\": 1, \"createdAt\": -1}", false, NO_TTL },
	{ "drink_categories", "{\"slug\": 1}", true, NO_TTL },
	{ "drink_categories", "{\"type\": 1, \"order\": 1}", false, NO_TTL },
	{ "drinks", "{\"category\": 1, \"order\": 1}", false, NO_TTL },
	/* §5 mail, §9 back office */
	{ "outbox", "{\"status\": 1, \"nextAttemptAt\": 1}", false, NO_TTL },
	{ "auditlog", "{\"at\": -1}", false, NO_TTL },
	/* one document's history, one collection's changes */
	{ "auditlog", "{\"collection\": 1, \"documentId\": 1, \"at\": -1}", false, NO_TTL },
	{ "auditlog", "{\"action\": 1, \"at\": -1}", false, NO_TTL },
};

/* The index with the same key pattern as `keys` in `list` (listIndexes
 * form: same fields in the same order, same directions), copied into
 * `found` (initialised when this returns true). */
static bool find_same_keys(const bson_t *list, const bson_t *keys, bson_t *found)
{
	bson_iter_t it;

	if (!bson_iter_init(&it, list))
		return false;
	while (bson_iter_next(&it)) {
		bson_iter_t spec;
		const uint8_t *d;
		uint32_t l;
		bson_t have;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &spec) ||
		    !bson_iter_find(&spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&spec))
			continue;
		bson_iter_document(&spec, &l, &d);
		if (!bson_init_static(&have, d, l) || bson_count_keys(&have) != bson_count_keys(keys))
			continue;
		{
			bson_iter_t a, b;
			bool same = bson_iter_init(&a, &have) && bson_iter_init(&b, keys);
			while (same && bson_iter_next(&a) && bson_iter_next(&b))
				same = strcmp(bson_iter_key(&a), bson_iter_key(&b)) == 0 &&
				       (bson_iter_as_int64(&a) > 0) == (bson_iter_as_int64(&b) > 0);
			if (!same)
				continue;
		}
		bson_iter_document(&it, &l, &d);
		bson_init_static(&have, d, l);
		bson_copy_to(&have, found);
		return true;
	}
	return false;
}

/* Ensures one declared index; `*ttl_refused` becomes true when it should
 * have a TTL and has none (the server refused it, or the index that
 * exists was made without). */
static bool ensure_one(store_t *st, const struct store_index_decl *decl, bool *ttl_refused,
		       store_error_t *err)
{
	bson_error_t jerr;
	bson_t *keys = bson_new_from_json((const uint8_t *) decl->keys, -1, &jerr);
	bson_t list, existing;
	store_error_t lerr;
	store_index_t ix = { .keys = keys, .unique = decl->unique,
			     .expire_after_seconds = decl->ttl };
	bool ok = false, have_list;

	if (!keys) {
		store_error_set(err, STORE_ERR_INTERNAL, "store_indexes: bad keys %s: %s",
				decl->keys, jerr.message);
		return false;
	}
	have_list = store_list_indexes(st, decl->coll, &list, &lerr);
	if (!have_list && lerr.code != STORE_ERR_NOT_FOUND) {
		*err = lerr;
		goto done;
	}
	if (have_list && find_same_keys(&list, keys, &existing)) {
		bson_iter_t it;
		bool unique = bson_iter_init_find(&it, &existing, "unique") && bson_iter_as_bool(&it);
		if (decl->ttl != NO_TTL && !bson_iter_init_find(&it, &existing, "expireAfterSeconds"))
			*ttl_refused = true;   /* created without TTL (by an operator, or by us) */
		bson_destroy(&existing);
		if (unique != decl->unique) {
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"collection %s has an index on %s %s unique, the "
					"application needs it %s unique: fix the database "
					"(drop that index) before starting", decl->coll,
					decl->keys, unique ? "that is" : "that is not",
					decl->unique ? "" : "not");
			goto done;
		}
		ok = true;   /* same keys and uniqueness: keep it as it is */
		goto done;
	}
	ok = store_create_index(st, decl->coll, &ix, err);
	if (!ok && err->code == STORE_ERR_UNSUPPORTED && decl->ttl != NO_TTL) {
		*ttl_refused = true;
		ix.expire_after_seconds = NO_TTL;
		ok = store_create_index(st, decl->coll, &ix, err);
	}
done:
	if (have_list)
		bson_destroy(&list);
	bson_destroy(keys);
	return ok;
}

bool store_ensure_indexes(store_t *st, store_error_t *err)
{
	store_error_t local;
	bool ttl_refused = false;
	size_t i;

	if (!err)
		err = &local;
	for (i = 0; i < sizeof store_index_decls / sizeof store_index_decls[0]; i++) {
		if (!ensure_one(st, &store_index_decls[i], &ttl_refused, err)) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err->message);
			store_error_set(err, err->code, "ensure indexes of %s: %.460s",
					store_index_decls[i].coll, msg);
			return false;
		}
	}
	if (ttl_refused)
		log_warn("the %s store has no TTL indexes (the server does not support them, "
			 "or they were created without): expired sessions and tokens stay until "
			 "`cwc-cron purge-expired` removes them (run it from cron, see "
			 "docs/operations.md)", store_backend_name(st));
	err->code = STORE_OK;
	err->message[0] = '\0';
	return true;
}

bool store_purge_expired(store_t *st, int64_t now_ms, int64_t *n_removed, store_error_t *err)
{
	size_t i;

	*n_removed = 0;
	for (i = 0; i < sizeof store_index_decls / sizeof store_index_decls[0]; i++) {
		const struct store_index_decl *decl = &store_index_decls[i];
		char field[64];
		const char *q;
		bson_t *filter;
		int64_t n = 0;
		bool ok;

		if (decl->ttl == NO_TTL)
			continue;
		/* a TTL index has one field: {"name": 1} */
		q = strchr(decl->keys, '"');
		if (!q || sscanf(q + 1, "%63[^\"]", field) != 1) {
			store_error_set(err, STORE_ERR_INTERNAL, "store_indexes: bad TTL keys %s",
					decl->keys);
			return false;
		}
		filter = BCON_NEW(field, "{", "$lt", BCON_DATE_TIME(now_ms - decl->ttl * 1000), "}");
		ok = store_delete_many(st, decl->coll, filter, &n, err);
		bson_destroy(filter);
		if (!ok)
			return false;
		*n_removed += n;
	}
	return true;
}
