/*
 * booking-store.c — the booking rules against a real store, in the store
 * conformance style: the embedded store in a fresh temporary directory, or
 * CWC_TEST_STORE_URI (a MongoDB database of its own, dropped at the end;
 * t/bookings-mongodb.t runs it against the FerretDB test server).
 *
 * Proves: the seeded catalogue; every availability rule with a date that
 * makes it bite; open-space seats counted at every moment; half-open
 * intervals; privatisation; expired holds; the transitions allowed and
 * refused; cancellation fees; and no double booking when 200 conflicting
 * requests arrive at once from 8 processes, each with its own store.
 * Prints TAP.
 */
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/claims.h"
#include "booking/staff.h"
#include "core/doc.h"
#include "core/log.h"
#include "store/backend.h"   /* store_sqlite_docs_examined() */
#include "store/store.h"
#include "tap.h"
#include "testdoc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static store_t *st;
static const char *uri;

static int64_t D(const char *s)
{
	int64_t d = 0;

	booking_parse_date(s, &d);
	return d;
}

/* An instant given as Paris local time. */
static int64_t at(const char *date, const char *time)
{
	int m = 0;

	booking_parse_time(time, false, &m);
	return booking_paris_to_utc(D(date), m);
}

static struct booking_new req(const char *space, const char *rtype, const char *date,
			      const char *start, const char *end, int people)
{
	struct booking_new nb = { .contact = { "Camille Martin", "camille@example.com", "0612345678", NULL } };

	snprintf(nb.rq.space_type, sizeof nb.rq.space_type, "%s", space);
	nb.rq.rtype = booking_rtype_parse(rtype);
	nb.rq.day = D(date);
	nb.rq.start_min = nb.rq.end_min = -1;
	if (start)
		booking_parse_time(start, false, &nb.rq.start_min);
	if (end)
		booking_parse_time(end, true, &nb.rq.end_min);
	nb.rq.people = people;
	return nb;
}

static int64_t NOW;   /* 2027-03-01 10:00 Paris unless a test says otherwise */

/* Creates; returns the error code ("ok" on success) and keeps the booking in *out. */
static const char *book_nb(const struct booking_new *nb, bson_t *out)
{
	static char code[160];
	struct err e = { 0 };
	char token[BOOKING_TOKEN_HEX + 1];
	bson_t tmp;

	if (booking_create(st, nb, NOW, out ? out : &tmp, NULL, token, &e)) {
		if (!out)
			bson_destroy(&tmp);
		return "ok";
	}
	if (out)
		bson_init(out);
	snprintf(code, sizeof code, "%d %s %s", e.status, e.code ? e.code : "?", e.field);
	if (e.status >= 500)
		diag("store error: %s", e.message);
	return code;
}

static const char *book(const char *space, const char *rtype, const char *date,
			const char *start, const char *end, int people)
{
	struct booking_new nb = req(space, rtype, date, start, end, people);

	return book_nb(&nb, NULL);
}

static void drop_all(void)
{
	static const char *colls[] = { "spaceconfigurations", "globalhoursconfigurations",
		"bookingsettings", "additionalservices", "bookings", "bookingclaims" };
	store_error_t err;

	for (size_t i = 0; i < sizeof colls / sizeof *colls; i++)
		store_drop(st, colls[i], &err);
}

static void test_seed(void)
{
	store_error_t err = { 0 };
	struct booking_space sp;
	bool found = false;
	int64_t n = -1;

	ok(store_ensure_indexes(st, &err) || strstr(err.message, "238") || getenv("CWC_TEST_STORE_PEER"),
	   "indexes (%s)", err.message);
	ok(booking_seed_catalogue(st, NOW, NULL, &err), "seed the catalogue: %s", err.message);
	ok(booking_seed_catalogue(st, NOW, NULL, &err), "seed again: %s", err.message);
	store_count(st, "spaceconfigurations", NULL, &n, &err);
	is_int(n, 4, "four spaces, once");
	ok(booking_space_load(st, "open-space", &sp, &found, &err) && found && sp.hourly == 600 &&
	   sp.daily == 2900 && sp.weekly == 9900 && sp.monthly == 29000 && sp.per_person &&
	   sp.max_capacity == 40 && !sp.exclusive, "open-space: 6/29/99/290 € per person, 40 seats, shared");
	ok(booking_space_load(st, "salle-verriere", &sp, &found, &err) && found && sp.exclusive &&
	   sp.ntiers == 1 && sp.tiers[0].max_people == 4 && sp.max_capacity == 5 &&
	   sp.tiers[0].hourly == 2400 && sp.tiers[0].daily == 12000,
	   "salle-verriere: 4 people at 24 €/h or 120 €/day, a fifth at the extra rate");
	ok(booking_space_load(st, "evenementiel", &sp, &found, &err) && found && sp.requires_quote,
	   "evenementiel is on quote");
}

static void test_rules(void)
{
	bson_t b;

	/* past, closed, hours */
	is_str(book("salle-verriere", "hourly", "2027-02-26", "10:00", "12:00", 2), "422 date_in_past date",
	       "a date in the past");
	is_str(book("salle-verriere", "hourly", "2027-03-01", "09:00", "10:00", 2), "422 date_in_past startTime",
	       "today, an hour already gone (it is 10:00 in Paris)");
	ok(strcmp(book("salle-verriere", "hourly", "2027-03-01", "10:00", "11:00", 2), "ok") == 0,
	   "today from 10:00 (now) is fine");
	is_str(book("salle-verriere", "hourly", "2027-03-29", "09:00", "11:00", 2), "422 outside_hours startTime",
	       "Easter Monday 2027 follows the holiday hours: 09:00 is before opening");
	ok(strcmp(book("salle-verriere", "hourly", "2027-03-29", "10:00", "12:00", 2), "ok") == 0,
	   "Easter Monday 10:00–12:00 is fine");
	is_str(book("salle-verriere", "hourly", "2027-03-26", "09:00", "11:00", 2), "422 outside_hours startTime",
	       "Good Friday (Alsace-Moselle) too");
	is_str(book("salle-verriere", "hourly", "2027-03-30", "19:00", "20:30", 2), "422 outside_hours endTime",
	       "ending after closing");
	is_str(book("salle-verriere", "daily", "2027-12-25", NULL, NULL, 2), "422 closed date",
	       "Christmas is an annual closure");
	ok(strcmp(book("salle-verriere", "hourly", "2027-03-28", "10:00", "20:00", 4), "ok") == 0,
	   "the March DST Sunday 10:00–20:00");
	ok(strcmp(book("salle-etage", "hourly", "2027-10-31", "18:00", "20:00", 8), "ok") == 0,
	   "the October DST Sunday 18:00–20:00");
	is_str(book("salle-etage", "hourly", "2027-10-31", "19:30", "20:30", 8), "422 outside_hours endTime",
	       "…and 20:30 is still after closing on it");

	/* exceptional closures, full and partial */
	{
		store_error_t err;
		bson_t upd = BSON_INITIALIZER;
		bson_t *u = J("{'$push': {'exceptionalClosures': {'$each': ["
			      "{'date': {'$date': '2027-04-13T00:00:00Z'}, 'isFullDay': true, 'reason': 'Inventaire'},"
			      "{'date': {'$date': '2027-04-14T00:00:00Z'}, 'isFullDay': false, 'startTime': '14:00', 'endTime': '16:00'}]}}}");
		ok(store_update_one(st, "globalhoursconfigurations", NULL, u, false, NULL, &err),
		   "add closures: %s", err.message);
		bson_destroy(&upd);
	}
	is_str(book("open-space", "daily", "2027-04-13", NULL, NULL, 1), "422 closed date", "a full-day closure");
	is_str(book("salle-verriere", "hourly", "2027-04-14", "15:00", "17:00", 2), "422 closed startTime",
	       "overlapping a partial closure 14:00–16:00");
	ok(strcmp(book("salle-verriere", "hourly", "2027-04-14", "16:00", "17:00", 2), "ok") == 0 &&
	   strcmp(book("salle-verriere", "hourly", "2027-04-14", "13:00", "14:00", 2), "ok") == 0,
	   "right after and right before it (half-open)");

	/* exclusive overlap, half-open intervals */
	ok(strcmp(book("salle-verriere", "hourly", "2027-04-15", "10:00", "11:00", 2), "ok") == 0,
	   "Verrière 10–11");
	ok(strcmp(book("salle-verriere", "hourly", "2027-04-15", "11:00", "12:00", 2), "ok") == 0,
	   "Verrière 11–12 fits next to it");
	is_str(book("salle-verriere", "hourly", "2027-04-15", "10:30", "11:30", 2), "409 booking_conflict startTime",
	       "10:30–11:30 overlaps");
	is_str(book("salle-verriere", "daily", "2027-04-15", NULL, NULL, 2), "409 booking_conflict startTime",
	       "a day overlaps");
	ok(strcmp(book("salle-etage", "hourly", "2027-04-15", "10:00", "11:00", 2), "ok") == 0,
	   "another room is independent");

	/* open-space: seats at every moment */
	ok(strcmp(book("open-space", "hourly", "2027-04-16", "09:00", "12:00", 30), "ok") == 0,
	   "open-space: 30 people 09–12");
	ok(strcmp(book("open-space", "hourly", "2027-04-16", "11:00", "14:00", 10), "ok") == 0,
	   "10 people 11–14 (40 at 11–12)");
	is_str(book("open-space", "hourly", "2027-04-16", "11:30", "12:30", 1), "409 booking_conflict numberOfPeople",
	       "a 41st person at 11:30 is refused");
	ok(strcmp(book("open-space", "hourly", "2027-04-16", "12:00", "13:00", 1), "ok") == 0,
	   "at 12:00 there is room again (counted per moment, not per day)");
	ok(strcmp(book("open-space", "hourly", "2027-04-16", "09:00", "11:00", 10), "ok") == 0,
	   "10 more 09–11 (40 then)");
	is_str(book("open-space", "daily", "2027-04-16", NULL, NULL, 1), "409 booking_conflict numberOfPeople",
	       "a day pass on that day is refused (full at 09–12)");
	ok(strcmp(book("open-space", "weekly", "2027-04-17", NULL, NULL, 39), "ok") == 0,
	   "a week for 39 from the next day");
	ok(strcmp(book("open-space", "hourly", "2027-04-17", "10:00", "11:00", 1), "ok") == 0,
	   "the week's first day still has its last seat (the week counted once)");
	is_str(book("open-space", "hourly", "2027-04-17", "10:00", "11:00", 1), "409 booking_conflict numberOfPeople",
	       "and not one more");
	is_str(book("open-space", "hourly", "2027-04-20", "15:00", "16:00", 2), "409 booking_conflict numberOfPeople",
	       "2 people during that week are refused (1 seat left)");
	ok(strcmp(book("open-space", "hourly", "2027-04-23", "15:00", "16:00", 1), "ok") == 0,
	   "the week's last seat can be taken on its 7th day");
	ok(strcmp(book("open-space", "hourly", "2027-04-23", "15:00", "16:00", 1), "ok") != 0 &&
	   strcmp(book("open-space", "hourly", "2027-04-24", "15:00", "16:00", 2), "ok") == 0,
	   "and the day after the week is free again");

	/* privatisation */
	{
		store_error_t err;
		ok(store_insert_one(st, "bookings", J("{'spaceType': 'evenementiel', 'date': {'$date': '2027-05-20T00:00:00Z'},"
			"'startTime': '18:00', 'endTime': '20:00', 'status': 'confirmed', 'numberOfPeople': 50,"
			"'isPartialPrivatization': false, 'confirmationNumber': 'CWC-EVENT1'}"), NULL, &err),
		   "a confirmed event privatises 20 May 18:00–20:00");
		ok(store_insert_one(st, "bookings", J("{'spaceType': 'event-space', 'date': {'$date': '2027-05-21T00:00:00Z'},"
			"'startTime': '18:00', 'endTime': '20:00', 'status': 'confirmed', 'numberOfPeople': 50,"
			"'isPartialPrivatization': true, 'confirmationNumber': 'CWC-EVENT2'}"), NULL, &err),
		   "a partial privatisation the next day (legacy space type)");
	}
	is_str(book("open-space", "hourly", "2027-05-20", "19:00", "20:00", 1), "409 booking_conflict date",
	       "the open-space during the privatisation");
	is_str(book("salle-etage", "hourly", "2027-05-20", "17:00", "19:00", 2), "409 booking_conflict date",
	       "a room overlapping it");
	ok(strcmp(book("salle-etage", "hourly", "2027-05-20", "16:00", "18:00", 2), "ok") == 0,
	   "before it is fine");
	ok(strcmp(book("open-space", "hourly", "2027-05-21", "18:00", "20:00", 1), "ok") == 0,
	   "a partial privatisation blocks nothing else");

	/* legacy bookings count too */
	{
		store_error_t err;
		ok(store_insert_one(st, "bookings", J("{'spaceType': 'meeting-room-glass', 'date': {'$date': '2027-05-24T00:00:00Z'},"
			"'startTime': '9:00', 'endTime': '12:00', 'status': 'confirmed', 'numberOfPeople': 3,"
			"'confirmationNumber': 'BT-LEGACY-1'}"), NULL, &err), "a legacy booking (meeting-room-glass, 9:00)");
	}
	is_str(book("salle-verriere", "hourly", "2027-05-24", "11:00", "13:00", 2), "409 booking_conflict startTime",
	       "is read as the Verrière");

	/* expired holds free the slot */
	{
		struct booking_new nb = req("salle-verriere", "hourly", "2027-06-01", "10:00", "12:00", 2);
		int64_t saved = NOW;
		int n = -1;
		store_error_t err;
		nb.hold_minutes = 15;
		nb.requires_payment = true;
		is_str(book_nb(&nb, &b), "ok", "a pending booking with a 15-minute hold");
		ok(doc_date(&b, "holdExpiresAt", 0) == NOW + 15 * 60000, "holdExpiresAt is now + 15 min");
		bson_destroy(&b);
		is_str(book("salle-verriere", "hourly", "2027-06-01", "11:00", "12:00", 2), "409 booking_conflict startTime",
		       "blocks the slot while held");
		NOW += 16 * 60000;
		is_str(book("salle-verriere", "hourly", "2027-06-01", "11:00", "12:00", 2), "ok",
		       "after 16 minutes the slot is free (the expired claim taken over)");
		{
			struct booking_actor staff = { .staff = true };
			struct err e = { 0 };
			bson_t held, after;
			bool found = false;
			store_find_one(st, "bookings", J("{'holdExpiresAt': {'$exists': true}, 'status': 'pending'}"),
				       NULL, &held, &found, &err);
			ok(found && !booking_transition(st, &held, "confirmed", &staff, NULL, NOW, &after, &e) &&
			   strcmp(e.code, "hold_expired") == 0, "staff cannot confirm it any more: 422 hold_expired");
			bson_destroy(&held);
		}
		ok(booking_expire_holds(st, NOW, &n, &err) && n == 1, "the expire job cancels it (%d)", n);
		is_str(book("salle-verriere", "hourly", "2027-06-01", "10:00", "11:00", 2), "ok",
		       "and its other slot is free too");
		NOW = saved;
	}
}

static void test_transitions(void)
{
	struct booking_actor staff = { .staff = true }, customer = { .staff = false };
	struct booking_new nb = req("open-space", "hourly", "2027-03-20", "10:00", "12:00", 2);
	struct err e;
	bson_t b, after, after2;

	is_str(book_nb(&nb, &b), "ok", "a booking to move");
	e = (struct err){ 0 };
	ok(!booking_transition(st, &b, "confirmed", &customer, NULL, NOW, &after, &e) &&
	   strcmp(e.code, "invalid_transition") == 0, "a customer cannot confirm");
	ok(!booking_transition(st, &b, "completed", &staff, NULL, NOW, &after, &e) &&
	   e.status == 422 && strcmp(e.code, "invalid_transition") == 0, "pending → completed is refused");
	ok(booking_transition(st, &b, "confirmed", &staff, NULL, NOW, &after, &e), "staff confirm");
	is_str(doc_str(&after, "status"), "confirmed", "confirmed");
	ok(!booking_transition(st, &b, "confirmed", &staff, NULL, NOW, &after2, &e) &&
	   strcmp(e.code, "invalid_transition") == 0, "confirming the stale pending copy again is refused");
	ok(booking_transition(st, &after, "completed", &staff, NULL, NOW, &after2, &e), "confirmed → completed");
	is_str(doc_str(&after2, "attendanceStatus"), "present", "attendance present");
	bson_destroy(&after);
	ok(!booking_transition(st, &after2, "cancelled", &staff, NULL, NOW, &after, &e) &&
	   strcmp(e.code, "invalid_transition") == 0, "completed → cancelled is refused");
	ok(!booking_transition(st, &after2, "no-show", &staff, NULL, NOW, &after, &e),
	   "completed → no-show is refused");
	bson_destroy(&after2);
	bson_destroy(&b);

	/* no-show and cancel release the slot */
	nb = req("salle-verriere", "hourly", "2027-03-22", "10:00", "12:00", 2);
	is_str(book_nb(&nb, &b), "ok", "a room booking");
	booking_transition(st, &b, "confirmed", &staff, NULL, NOW, &after, &e);
	ok(booking_transition(st, &after, "no-show", &staff, NULL, NOW, &after2, &e), "confirmed → no-show");
	is_str(doc_str(&after2, "attendanceStatus"), "absent", "attendance absent");
	is_str(book("salle-verriere", "hourly", "2027-03-22", "10:00", "12:00", 2), "ok", "the slot is free again");
	ok(!booking_transition(st, &after2, "cancelled", &customer, NULL, NOW, &b, &e) &&
	   strcmp(e.code, "invalid_transition") == 0, "no-show → cancelled is refused");
	bson_destroy(&b);
	bson_destroy(&after);
	bson_destroy(&after2);

	/* fees */
	{
		struct booking_settings s;
		struct booking_fees f;
		store_error_t err;
		booking_settings_load(st, &s, &err);
		nb = req("open-space", "daily", "2027-03-06", NULL, NULL, 2);   /* 58 € */
		is_str(book_nb(&nb, &b), "ok", "a day for 2 on 6 March (58 €)");
		booking_cancellation_fees(&b, &s, NOW, &f);
		ok(f.pending && f.percentage == 0 && f.fee == 0 && f.refund == 5800, "pending: no fee");
		booking_transition(st, &b, "confirmed", &staff, NULL, NOW, &after, &e);
		booking_cancellation_fees(&after, &s, NOW, &f);
		ok(f.days_until == 5 && f.percentage == 50 && f.fee == 2900 && f.refund == 2900,
		   "confirmed, 5 days before: 50 %% → 29 € (%d days, %d %%)", f.days_until, f.percentage);
		booking_cancellation_fees(&after, &s, at("2027-02-26", "23:59"), &f);
		ok(f.days_until == 8 && f.percentage == 0, "8 days before: free");
		booking_cancellation_fees(&after, &s, at("2027-03-06", "08:00"), &f);
		ok(f.days_until == 0 && f.percentage == 100 && f.fee == 5800, "on the day: 100 %%");
		ok(!booking_transition(st, &after, "cancelled", &customer, NULL, at("2027-03-06", "11:00"), &after2, &e) &&
		   strcmp(e.code, "booking_started") == 0, "a customer cannot cancel once it started");
		ok(booking_transition(st, &after, "cancelled", &customer, NULL, NOW, &after2, &e),
		   "the customer cancels 5 days before");
		ok(doc_int(&after2, "cancellationFee", -1) == 29 && doc_int(&after2, "refundAmount", -1) == 29,
		   "fee and refund recorded in euros");
		bson_destroy(&after);
		bson_destroy(&after2);
		bson_destroy(&b);
		nb = req("salle-etage", "daily", "2027-03-11", NULL, NULL, 8);   /* 300 €, 10 days */
		book_nb(&nb, &b);
		booking_transition(st, &b, "confirmed", &staff, NULL, NOW, &after, &e);
		booking_cancellation_fees(&after, &s, NOW, &f);
		ok(f.days_until == 10 && f.percentage == 50 && f.fee == 15000,
		   "a meeting room 10 days before: the rooms' policy, 50 %%");
		bson_destroy(&after);
		bson_destroy(&b);
	}
}

/* ---- 200 conflicting requests from 8 processes ----------------------------- */

static const char *race_date = "2027-07-07";

static int child(int gate, const char *space, const char *start, const char *end, int per, int *wins)
{
	store_error_t err;
	char c;
	int won = 0, failed = 0;

	st = store_open(uri, &err);
	if (!st)
		return 100;
	if (read(gate, &c, 1) != 1)
		return 101;
	for (int i = 0; i < per; i++) {
		struct booking_new nb = req(space, "hourly", race_date, start, end, 1);
		struct err e = { 0 };
		bson_t out;
		char token[BOOKING_TOKEN_HEX + 1];
		if (booking_create(st, &nb, NOW, &out, NULL, token, &e)) {
			won++;
			bson_destroy(&out);
		} else if (e.status != 409) {
			fprintf(stderr, "unexpected %d %s %s\n", e.status, e.code, e.message);
			failed++;
		}
	}
	store_close(st);
	*wins = won;
	return failed ? 102 : 0;
}

static int race(const char *space, const char *start, const char *end)
{
	int gate[2], total = 0, bad = 0;
	int results[2];
	pid_t kids[8];
	int pipes[8][2];

	if (pipe(gate))
		return -1;
	fflush(stdout);
	for (int k = 0; k < 8; k++) {
		if (pipe(pipes[k]))
			return -1;
		kids[k] = fork();
		if (kids[k] == 0) {
			int wins = 0, rc;
			close(gate[1]);
			rc = child(gate[0], space, start, end, 25, &wins);
			if (write(pipes[k][1], &wins, sizeof wins) != sizeof wins)
				rc = 103;
			_exit(rc);
		}
		close(pipes[k][1]);
	}
	close(gate[0]);
	if (write(gate[1], "gggggggg", 8) != 8)   /* open the gate: all at once */
		return -1;
	close(gate[1]);
	for (int k = 0; k < 8; k++) {
		int status;
		results[0] = 0;
		if (read(pipes[k][0], &results[0], sizeof results[0]) != sizeof results[0])
			bad++;
		close(pipes[k][0]);
		total += results[0];
		if (waitpid(kids[k], &status, 0) != kids[k] || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	return bad ? -bad * 1000 : total;
}

static int64_t count_bookings(const char *space)
{
	int64_t n = -1;
	store_error_t err;

	store_count(st, "bookings", J("{'date': {'$date': '2027-07-07T00:00:00Z'}}"), &n, &err);
	(void)space;
	return n;
}

static void test_concurrency(void)
{
	int got;

	got = race("salle-verriere", "10:00", "12:00");
	is_int(got, 1, "200 simultaneous requests for the Verrière 10–12 from 8 processes: exactly one booking");
	is_int(count_bookings("salle-verriere"), 1, "one booking stored");
	ok(strcmp(book("open-space", "hourly", "2027-07-07", "10:00", "12:00", 15), "ok") == 0,
	   "15 open-space seats taken 10–12 first");
	got = race("open-space", "11:00", "13:00");
	is_int(got, 25, "200 simultaneous 1-person requests for the open-space 11–13: exactly the 25 seats left");
	is_int(count_bookings("open-space"), 1 + 1 + 25, "27 bookings stored that day");
	{
		int64_t n = -1;
		store_error_t err;
		store_count(st, "bookingclaims", J("{'_id': {'$gte': 'open-space|2027-07-07|1100|', '$lt': 'open-space|2027-07-07|1100|~'}}"), &n, &err);
		is_int(n, 40, "40 seat claims at 11:00, no more");
	}
}

/* A day's occupancy reads that day's bookings through the indexes. */
static void test_reads_by_index(void)
{
	struct booking_hours h;
	struct booking_occupancy o;
	store_error_t err;
	uint64_t before;
	int64_t total = 0;

	if (strcmp(store_backend_name(st), "sqlite") != 0) {
		skip("reads by index: the embedded store's counter of examined documents");
		return;
	}
	store_count(st, "bookings", NULL, &total, &err);
	booking_hours_load(st, &h, &err);
	before = store_sqlite_docs_examined(st);
	ok(booking_day_occupancy(st, "open-space", &h, D("2027-04-16"), NOW, NULL, &o, &err),
	   "the open-space's occupancy on a busy day");
	ok(o.taken[22] == 40 && o.taken[18] == 40 && o.taken[24] == 11,
	   "40 people at 09:00 and 11:00, 11 at 12:00 (%d, %d, %d)", o.taken[18], o.taken[22], o.taken[24]);
	ok(store_sqlite_docs_examined(st) - before <= 8 && total > 50,
	   "…examined %llu documents of %lld", (unsigned long long)(store_sqlite_docs_examined(st) - before),
	   (long long)total);
	booking_hours_free(&h);
}

/* Bookings imported from the original have no claims until
 * booking_claims_backfill() (cwc-ctl booking-claims) gives them theirs. */
static void test_backfill(void)
{
	store_error_t err = { 0 };
	int claimed = -1, conflicts = -1, got;
	int64_t n = -1;

	ok(store_insert_one(st, "bookings", J("{'spaceType': 'desk', 'date': {'$date': '2027-08-02T00:00:00Z'},"
		"'startTime': '10:00', 'endTime': '12:00', 'status': 'confirmed', 'numberOfPeople': 18,"
		"'confirmationNumber': 'BT-IMPORT-1'}"), NULL, &err) &&
	   store_insert_one(st, "bookings", J("{'spaceType': 'open-space', 'date': {'$date': '2027-08-02T00:00:00Z'},"
		"'startTime': '9:00', 'endTime': '11:30', 'status': 'pending', 'numberOfPeople': 12,"
		"'confirmationNumber': 'BT-IMPORT-2'}"), NULL, &err) &&
	   store_insert_one(st, "bookings", J("{'spaceType': 'salle-verriere', 'date': {'$date': '2027-08-03T00:00:00Z'},"
		"'startTime': '10:00', 'endTime': '12:00', 'status': 'confirmed', 'numberOfPeople': 2,"
		"'confirmationNumber': 'BT-IMPORT-3'}"), NULL, &err) &&
	   store_insert_one(st, "bookings", J("{'spaceType': 'meeting-room-glass', 'date': {'$date': '2027-08-03T00:00:00Z'},"
		"'startTime': '11:00', 'endTime': '13:00', 'status': 'confirmed', 'numberOfPeople': 2,"
		"'confirmationNumber': 'BT-IMPORT-4'}"), NULL, &err) &&
	   store_insert_one(st, "bookings", J("{'spaceType': 'open-space', 'date': {'$date': '2026-01-05T00:00:00Z'},"
		"'startTime': '10:00', 'endTime': '12:00', 'status': 'confirmed', 'numberOfPeople': 3,"
		"'confirmationNumber': 'BT-IMPORT-OLD'}"), NULL, &err),
	   "five imported bookings without claims (one long past, two Verrière ones overlapping)");
	ok(booking_claims_backfill(st, NOW, &claimed, &conflicts, NULL, &err), "backfill: %s", err.message);
	is_int(conflicts, 1, "the original's double booking of the Verrière is reported");
	ok(claimed >= 3, "the others are claimed (%d, with test_rules' imported ones)", claimed);
	store_count(st, "bookingclaims", J("{'_id': {'$gte': 'open-space|2027-08-02|1100|', '$lt': 'open-space|2027-08-02|1100|~'}}"), &n, &err);
	is_int(n, 30, "30 seats claimed at 11:00 for the imported 18 + 12 people");
	ok(booking_claims_backfill(st, NOW, &claimed, &conflicts, NULL, &err) && claimed == 0 && conflicts == 1,
	   "backfill again claims nothing more (%d)", claimed);
	race_date = "2027-08-02";
	got = race("open-space", "11:00", "12:00");
	is_int(got, 10, "200 simultaneous requests next to the imported bookings: exactly the 10 seats left");
}

/* ---- a whole-café privatisation claims every space ------------------------ */

static int64_t claims_of(const bson_t *b)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t err;
	bson_oid_t id;
	int64_t n = -1;

	if (doc_oid(b, "_id", &id)) {
		BSON_APPEND_OID(&filter, "booking", &id);
		store_count(st, "bookingclaims", &filter, &n, &err);
	}
	bson_destroy(&filter);
	return n;
}

/* Creates; returns "ok" or the error's status, code and message. */
static const char *book_msg(const char *space, const char *date, const char *start, const char *end,
			    int people, bson_t *out)
{
	static char msg[400];
	struct booking_new nb = req(space, "hourly", date, start, end, people);
	struct err e = { 0 };
	char token[BOOKING_TOKEN_HEX + 1];
	bson_t tmp;

	if (booking_create(st, &nb, NOW, out ? out : &tmp, NULL, token, &e)) {
		if (!out)
			bson_destroy(&tmp);
		return "ok";
	}
	if (out)
		bson_init(out);
	snprintf(msg, sizeof msg, "%d %s %s", e.status, e.code ? e.code : "?", e.message);
	return msg;
}

/* The claims alone (the rules bypassed, as under a race): `space`'s
 * claims for one span, privatising or not; "ok" or the error. */
static const char *claim_only(const char *space, bool privatise, const char *date, const char *start,
			      const char *end, int people, bson_oid_t *id)
{
	static char msg[400];
	struct booking_space sp;
	struct booking_span span = { D(date), 0, 0 };
	store_error_t err = { 0 };
	struct err e = { 0 };
	bool found = false;

	booking_parse_time(start, false, &span.start_min);
	booking_parse_time(end, true, &span.end_min);
	bson_oid_init(id, NULL);
	if (!booking_space_load(st, space, &sp, &found, &err) || !found)
		return "no space";
	if (booking_claims_take(st, &sp, &span, 1, people, privatise, id, 0, NOW, &e))
		return "ok";
	snprintf(msg, sizeof msg, "%d %s %s", e.status, e.code ? e.code : "?", e.message);
	return msg;
}

static void release(const bson_oid_t *id)
{
	store_error_t err;

	booking_claims_release(st, id, &err);
}

static void test_privatisation(void)
{
	struct booking_actor staff = { .staff = true };
	store_error_t err = { 0 };
	struct err e = { 0 };
	bson_t p, room, after;
	bson_oid_t id;
	const char *r;
	struct timespec t0, t1;
	double ms;

	ok(store_update_one(st, "spaceconfigurations", J("{'spaceType': 'evenementiel'}"),
			    J("{'$set': {'requiresQuote': false}}"), false, NULL, &err),
	   "the événementiel space bookable directly (staff lift requiresQuote)");

	/* privatisation first, 10 hours: its claims, their cost */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = book_msg("evenementiel", "2027-09-07", "10:00", "20:00", 50, &p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	is_str(r, "ok", "a privatisation 10:00–20:00 (pending, as every new booking)");
	is_int(claims_of(&p), 20 * (1 + 40 + 1 + 1),
	       "it claims 20 slots × (its own + 40 seats + 2 rooms) = 860 keys "
	       "(its booking_create took %.0f ms on %s)", ms, store_backend_name(st));
	r = book_msg("salle-verriere", "2027-09-07", "14:00", "15:00", 2, NULL);
	ok(strncmp(r, "409 booking_conflict The café is privatised on 2027-09-07 at 14:00", 66) == 0,
	   "a room during a pending privatisation: 409 naming it (%s)", r);
	r = book_msg("open-space", "2027-09-07", "19:00", "20:00", 1, NULL);
	ok(strncmp(r, "409 booking_conflict The café is privatised", 43) == 0,
	   "a seat during it: 409 (%s)", r);
	is_str(claim_only("salle-verriere", false, "2027-09-07", "14:00", "15:00", 2, &id),
	       "409 booking_conflict The café is privatised on 2027-09-07 at 14:00.",
	       "the room's claims alone collide with the privatisation's");
	release(&id);
	is_str(claim_only("open-space", false, "2027-09-07", "19:30", "20:30", 1, &id),
	       "409 booking_conflict The café is privatised on 2027-09-07 at 19:30.",
	       "a seat's claims alone too (every seat is held)");
	release(&id);
	is_str(claim_only("open-space", false, "2027-09-07", "20:00", "21:00", 1, &id), "ok",
	       "the seat's claims after it are free (half-open)");
	release(&id);
	is_str(book_msg("salle-etage", "2027-09-07", "09:00", "10:00", 2, NULL), "ok",
	       "a room before it is fine");

	/* released with it: cancelled, then the others go through */
	ok(booking_transition(st, &p, "cancelled", &staff, NULL, NOW, &after, &e),
	   "staff cancel the privatisation: %s", e.message);
	bson_destroy(&after);
	is_int(claims_of(&p), 0, "every one of its claims is released");
	is_str(book_msg("salle-verriere", "2027-09-07", "14:00", "15:00", 2, NULL), "ok",
	       "the room can be booked then");
	is_str(book_msg("open-space", "2027-09-07", "19:00", "20:00", 40, NULL), "ok",
	       "and all 40 seats");
	bson_destroy(&p);

	/* bookings first: the privatisation is refused, saying how many */
	r = book_msg("evenementiel", "2027-09-07", "10:00", "20:00", 50, &p);
	is_str(r, "409 booking_conflict The café cannot be privatised then: 2 bookings of other spaces are "
	       "in the way (the first on 2027-09-07 at 14:00). Move or cancel them first.",
	       "a privatisation over 2 live bookings: 409 saying how many (the room 09–10 before it is not)");
	is_int(claims_of(&p), -1, "nothing stored");
	bson_destroy(&p);
	is_str(claim_only("evenementiel", true, "2027-09-07", "14:00", "15:00", 50, &id),
	       "409 booking_conflict The café cannot be privatised on 2027-09-07 at 14:00: Salle Verrière is "
	       "booked then (move or cancel that booking first).",
	       "its claims alone collide with the room's");
	release(&id);
	is_str(claim_only("evenementiel", true, "2027-09-07", "19:30", "20:00", 50, &id),
	       "409 booking_conflict The café cannot be privatised on 2027-09-07 at 19:30: Open-space is "
	       "booked then (move or cancel that booking first).",
	       "and with the seats' (the open-space full)");
	release(&id);
	is_str(book_msg("open-space", "2027-09-08", "10:00", "11:00", 1, &room), "ok", "one seat booked the next day");
	is_str(claim_only("evenementiel", true, "2027-09-08", "10:00", "11:00", 50, &id),
	       "409 booking_conflict The café cannot be privatised on 2027-09-08 at 10:00: Open-space is "
	       "booked then (move or cancel that booking first).",
	       "one seat is enough to stop its claims");
	release(&id);
	{
		int64_t n = -1;
		store_count(st, "bookingclaims", J("{'_id': {'$gte': 'open-space|2027-09-08|', '$lt': 'open-space|2027-09-08|~'}}"), &n, &err);
		is_int(n, 2, "and it gave back everything it took (the seat's 2 claims are all left)");
	}
	ok(booking_transition(st, &room, "cancelled", &staff, NULL, NOW, &after, &e), "the seat cancelled");
	bson_destroy(&after);
	bson_destroy(&room);

	/* moved: the claims follow */
	is_str(book_msg("evenementiel", "2027-09-08", "10:00", "12:00", 50, &p), "ok", "a privatisation on the 8th now");
	{
		struct booking_new nb = req("evenementiel", "hourly", "2027-09-09", "15:00", "16:00", 50);
		struct booking_quote q;
		e = (struct err){ 0 };
		ok(booking_staff_move(st, &p, &nb.rq, NOW, &after, &q, &e), "moved to the 9th 15–16: %s", e.message);
		is_int(claims_of(&p), 2 * 43, "its claims: 2 slots × 43");
		is_str(book_msg("salle-etage", "2027-09-08", "10:00", "11:00", 2, NULL), "ok", "the 8th is free again");
		is_str(claim_only("salle-etage", false, "2027-09-09", "15:30", "16:00", 2, &id),
		       "409 booking_conflict The café is privatised on 2027-09-09 at 15:30.",
		       "the 9th 15–16 is held");
		release(&id);
		bson_destroy(&after);
	}
	bson_destroy(&p);

	/* pending, imported: blocks through the rules too */
	ok(store_insert_one(st, "bookings", J("{'spaceType': 'event-space', 'date': {'$date': '2027-09-10T00:00:00Z'},"
		"'startTime': '18:00', 'endTime': '20:00', 'status': 'pending', 'numberOfPeople': 50,"
		"'confirmationNumber': 'BT-EVENT-P'}"), NULL, &err), "an imported pending privatisation (no claims)");
	is_str(book("open-space", "hourly", "2027-09-10", "19:00", "20:00", 1), "409 booking_conflict date",
	       "a pending privatisation blocks the open-space (the rules)");

	/* a partial privatisation claims only its own space */
	is_str(claim_only("evenementiel", booking_privatises("evenementiel", true), "2027-09-13", "10:00", "12:00", 50, &id),
	       "ok", "a partial privatisation's claims");
	{
		bson_t f = BSON_INITIALIZER;
		int64_t n = -1;
		BSON_APPEND_OID(&f, "booking", &id);
		store_count(st, "bookingclaims", &f, &n, &err);
		bson_destroy(&f);
		is_int(n, 4, "only its own 4 slots");
	}
	{
		bson_oid_t other;
		is_str(claim_only("salle-verriere", false, "2027-09-13", "10:00", "12:00", 2, &other), "ok",
		       "a room at the same time claims freely");
		release(&other);
	}
	release(&id);
}

/* cwc-ctl booking-claims gives an imported privatisation every space's
 * claims, before the bookings it would refuse. */
static void test_backfill_privatisation(void)
{
	store_error_t err = { 0 };
	int claimed = -1, conflicts = -1;
	int64_t n = -1;
	bson_oid_t id;

	ok(store_insert_one(st, "bookings", J("{'spaceType': 'salle-etage', 'date': {'$date': '2027-10-05T00:00:00Z'},"
		"'startTime': '15:00', 'endTime': '16:00', 'status': 'confirmed', 'numberOfPeople': 4,"
		"'confirmationNumber': 'BT-IMPORT-R'}"), NULL, &err) &&
	   store_insert_one(st, "bookings", J("{'spaceType': 'evenementiel', 'date': {'$date': '2027-10-05T00:00:00Z'},"
		"'startTime': '14:00', 'endTime': '18:00', 'status': 'pending', 'numberOfPeople': 50,"
		"'isPartialPrivatization': false, 'confirmationNumber': 'BT-IMPORT-EV'}"), NULL, &err) &&
	   store_insert_one(st, "bookings", J("{'spaceType': 'evenementiel', 'date': {'$date': '2027-10-06T00:00:00Z'},"
		"'startTime': '14:00', 'endTime': '18:00', 'status': 'confirmed', 'numberOfPeople': 20,"
		"'isPartialPrivatization': true, 'confirmationNumber': 'BT-IMPORT-PP'}"), NULL, &err),
	   "imported: a room booking under a privatisation (the original let it through), a partial one");
	ok(booking_claims_backfill(st, NOW, &claimed, &conflicts, NULL, &err), "backfill: %s", err.message);
	is_int(conflicts, 2, "the room booking under it is reported (with test_backfill's)");
	store_count(st, "bookingclaims", J("{'_id': {'$gte': 'open-space|2027-10-05|', '$lt': 'open-space|2027-10-05|~'}}"), &n, &err);
	is_int(n, 8 * 40, "the privatisation holds every seat of its 8 slots");
	is_str(claim_only("salle-verriere", false, "2027-10-05", "17:00", "18:00", 2, &id),
	       "409 booking_conflict The café is privatised on 2027-10-05 at 17:00.", "and the rooms");
	release(&id);
	store_count(st, "bookingclaims", J("{'_id': {'$gte': 'open-space|2027-10-06|', '$lt': 'open-space|2027-10-06|~'}}"), &n, &err);
	is_int(n, 0, "the partial privatisation claims no seat");
	store_count(st, "bookingclaims", J("{'_id': {'$gte': 'evenementiel|2027-10-06|', '$lt': 'evenementiel|2027-10-06|~'}}"), &n, &err);
	is_int(n, 8, "only its own 8 slots");
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	char dir[] = "/tmp/cwc-booking-test-XXXXXX";
	char path[256];
	bool own_dir = false;
	store_error_t err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("booking-store", "warn");   /* the stale-claim takeovers are info */
	uri = getenv("CWC_TEST_STORE_URI");
	if (!uri || !*uri) {
		if (!mkdtemp(dir)) {
			printf("1..0 # SKIP cannot create a temporary directory: %s\n", strerror(errno));
			return 0;
		}
		snprintf(path, sizeof path, "%s/cwc.sqlite3", dir);
		uri = path;
		own_dir = true;
	}
	st = store_open(uri, &err);
	if (!st) {
		printf("not ok 1 - open the store: %s\n1..1\n", err.message);
		return 1;
	}
	diag("backend %s", store_backend_name(st));
	drop_all();
	NOW = at("2027-03-01", "10:00");
	test_seed();
	test_rules();
	test_transitions();
	test_concurrency();
	test_reads_by_index();
	test_backfill();
	test_privatisation();
	test_backfill_privatisation();
	drop_all();
	store_close(st);
	if (own_dir)
		remove_dir(dir);
	testdoc_free();
	return tap_done();
}
