/*
 * audit.c — the audit log's pieces without HTTP: the changed fields of a
 * write (only those, secrets redacted at any depth, updatedAt ignored),
 * the entries written from the notes (one per note, or one naming the
 * action alone; none after a discard), and the action a route declares
 * (route_audit_action). Against the embedded store in a temporary
 * directory. Prints TAP.
 */
#include "audit/audit.h"
#include "core/doc.h"
#include "core/log.h"
#include "store/store.h"
#include "web/route.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, key);
}

static void test_changes(void)
{
	bson_t *before = BCON_NEW("status", "pending", "contactName", "Camille", "totalPrice", BCON_DOUBLE(48),
				  "manageTokenHash", "aaaa", "updatedAt", BCON_DATE_TIME(1),
				  "payment", "{", "clientSecret", "s1", "amount", BCON_INT32(100), "}");
	bson_t *after = BCON_NEW("status", "confirmed", "contactName", "Camille", "totalPrice", BCON_DOUBLE(48),
				 "manageTokenHash", "bbbb", "updatedAt", BCON_DATE_TIME(2),
				 "payment", "{", "clientSecret", "s2", "amount", BCON_INT32(200), "}",
				 "confirmedBy", "staff");
	bson_t b = BSON_INITIALIZER, a = BSON_INITIALIZER;

	audit_changes(before, after, &b, &a);
	is_str(doc_str(&b, "status"), "pending", "before: the status that changed");
	is_str(doc_str(&a, "status"), "confirmed", "after: its new value");
	ok(!has(&b, "contactName") && !has(&a, "contactName"), "an unchanged field is left out");
	ok(!has(&b, "totalPrice"), "an unchanged number is left out");
	ok(!has(&a, "updatedAt"), "updatedAt is not a change");
	is_str(doc_str(&a, "manageTokenHash"), "<redacted>", "a changed secret is redacted");
	{
		char *ja = bson_as_relaxed_extended_json(&a, NULL);
		ok(!strstr(ja, "bbbb"), "the secret's value is nowhere");
		ok(strstr(ja, "\"clientSecret\" : \"<redacted>\"") && !strstr(ja, "s2"),
		   "a secret inside a subdocument is redacted: %s", ja);
		ok(strstr(ja, "\"amount\" : 200") != NULL, "…the rest of it is kept");
		bson_free(ja);
	}
	ok(has(&a, "confirmedBy") && !has(&b, "confirmedBy"), "a new field is in after only");
	bson_destroy(&a);
	bson_destroy(&b);

	bson_init(&a);
	bson_init(&b);
	audit_changes(NULL, after, &b, &a);
	ok(bson_empty(&b) && has(&a, "status") && has(&a, "contactName"), "a creation: every field after");
	bson_destroy(&a);
	bson_destroy(&b);
	bson_destroy(before);
	bson_destroy(after);

	ok(audit_secret_field("passwordHash") && audit_secret_field("sessionToken") &&
	   audit_secret_field("STRIPE_SECRET") && audit_secret_field("codeHash"), "secret names");
	ok(!audit_secret_field("contactEmail") && !audit_secret_field("status"), "ordinary names");
}

static void test_flush(store_t *st)
{
	bson_oid_t uid;
	struct audit_actor actor = { &uid, "staff@example.com", "staff", "203.0.113.9", "req-1" };
	bson_t *before = BCON_NEW("status", "pending"), *after = BCON_NEW("status", "confirmed");
	bson_t filter = BSON_INITIALIZER, entry;
	store_error_t se = { 0 };
	int64_t n = -1;
	bool found = false;

	bson_oid_init(&uid, NULL);
	audit_note_add("bookings", "64b000000000000000000001", before, after);
	audit_note_add("bookings", "64b000000000000000000002", NULL, after);
	is_int(audit_pending(), 2, "two notes pending");
	ok(audit_flush(st, &actor, "booking.reservations.validate", 1000, &se), "flushed: %s", se.message);
	is_int(audit_pending(), 0, "…and forgotten");
	ok(store_count(st, AUDIT_COLLECTION, &filter, &n, &se), "count");
	is_int(n, 2, "one entry per note");
	BSON_APPEND_UTF8(&filter, "documentId", "64b000000000000000000001");
	ok(store_find_one(st, AUDIT_COLLECTION, &filter, NULL, &entry, &found, &se) && found, "the entry of the first note");
	if (found) {
		bson_t sub;
		bson_iter_t it;
		is_str(doc_str(&entry, "action"), "booking.reservations.validate", "its action");
		is_str(doc_str(&entry, "collection"), "bookings", "its collection");
		is_str(doc_str(&entry, "ip"), "203.0.113.9", "its address");
		is_str(doc_str(&entry, "requestId"), "req-1", "its request id");
		is_int(doc_date(&entry, "at", 0), 1000, "its time");
		if (bson_iter_init_find(&it, &entry, "actor") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
			uint32_t len;
			const uint8_t *data;
			bson_iter_document(&it, &len, &data);
			bson_init_static(&sub, data, len);
			is_str(doc_str(&sub, "email"), "staff@example.com", "its actor");
		} else {
			ok(false, "its actor");
		}
		bson_destroy(&entry);
	}
	bson_destroy(&filter);

	audit_note_add("bookings", "64b000000000000000000003", before, after);
	audit_discard();
	ok(audit_flush(st, &actor, "booking.reservations.edit", 2000, &se), "a flush with no note");
	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "action", "booking.reservations.edit");
	ok(store_find_one(st, AUDIT_COLLECTION, &filter, NULL, &entry, &found, &se) && found,
	   "a write that noted nothing is still on record");
	if (found) {
		ok(!has(&entry, "before") && !has(&entry, "after"), "…with the action alone");
		bson_destroy(&entry);
	}
	bson_destroy(&filter);
	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "documentId", "64b000000000000000000003");
	ok(store_count(st, AUDIT_COLLECTION, &filter, &n, &se) && n == 0, "a discarded note is never written");
	bson_destroy(&filter);
	bson_destroy(before);
	bson_destroy(after);
}

static void action_is(unsigned method, const char *pattern, const char *want)
{
	struct route r = { method, pattern, NULL, 0, ROUTE_AUDIT };
	char out[128];

	ok(route_audit_action(&r, method, out, sizeof out), "%s has an action", pattern);
	is_str(out, want, "%s %s", http_method_name(method), pattern);
}

static void test_actions(void)
{
	struct route r = { HTTP_POST, "/api/booking/reservations/:id/mark-noshow", NULL, 0, ROUTE_AUDIT };
	char small[10];

	action_is(HTTP_POST, "/api/booking/reservations", "booking.reservations.create");
	action_is(HTTP_PATCH, "/api/booking/reservations/:id", "booking.reservations.update");
	action_is(HTTP_PUT, "/api/booking/reservations/:id", "booking.reservations.update");
	action_is(HTTP_DELETE, "/api/booking/reservations/:id", "booking.reservations.delete");
	action_is(HTTP_POST, "/api/booking/reservations/:id/cancel", "booking.reservations.cancel");
	action_is(HTTP_POST, "/api/booking/reservations/:id/mark-noshow", "booking.reservations.mark-noshow");
	action_is(HTTP_POST, "/api/users/:id", "users.update");
	action_is(HTTP_POST, "/bookings/:id/cancel", "bookings.cancel");
	action_is(HTTP_GET, "/api/booking/reservations", "booking.reservations.export");
	ok(!route_audit_action(&r, HTTP_POST, small, sizeof small), "an action too long is refused");
	{
		struct route single = { HTTP_POST, "/api/booking-settings", NULL, 0, ROUTE_AUDIT | ROUTE_SINGLETON };
		char out[64];
		ok(route_audit_action(&single, HTTP_POST, out, sizeof out), "a singleton has an action");
		is_str(out, "booking-settings.update", "a POST to a singleton is an update");
	}
}

int main(void)
{
	char dir[] = "/tmp/cwc-audit-XXXXXX", path[256];
	store_error_t err;
	store_t *st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("audit", "warn");
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot create a temporary directory: %s\n", strerror(errno));
		return 0;
	}
	snprintf(path, sizeof path, "%s/cwc.sqlite3", dir);
	st = store_open(path, &err);
	if (!st) {
		printf("not ok 1 - open the store: %s\n1..1\n", err.message);
		return 1;
	}
	test_changes();
	test_flush(st);
	test_actions();
	store_close(st);
	unlink(path);
	{
		char other[300];
		snprintf(other, sizeof other, "%s-wal", path);
		unlink(other);
		snprintf(other, sizeof other, "%s-shm", path);
		unlink(other);
	}
	rmdir(dir);
	return tap_done();
}
