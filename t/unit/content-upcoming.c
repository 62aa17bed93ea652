/*
 * content-upcoming.c — the home page's next events (event_upcoming(),
 * content/event.h) against the embedded store in a fresh temporary
 * directory: only published events that have not ended, at most the
 * limit, soonest first, an ongoing one included, seats from the stored
 * currentParticipants, no description; and one query read in the order
 * of the (status, endsAt) index — no sort, a handful of documents
 * examined among forty. Prints TAP.
 */
#include "booking/calendar.h"
#include "content/event.h"
#include "core/log.h"
#include "store/backend.h"   /* store_sqlite_docs_examined(), store_sqlite_last_plan() */
#include "store/store.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static store_t *st;
static int64_t NOW, TODAY;

/* An event `days` from today, start–end local times; false on failure. */
static bool add(const char *slug, int days, const char *start, const char *end, bool published)
{
	char date[16], title[64];
	struct err e = { 0 };
	bson_oid_t by;

	bson_oid_init(&by, NULL);
	booking_format_date(TODAY + days, date);
	snprintf(title, sizeof title, "Événement %s", slug);
	struct event_input in = {
		.title = title, .slug = slug, .category = "Atelier", .short_description = "Court.",
		.description = "Une **longue** description.", .date = date, .start_time = start,
		.end_time = end, .location = "Open Space", .capacity = "10", .price = "",
		.published = published,
	};
	if (!event_save(st, NOW, NULL, &in, &by, NULL, NULL, NULL, &e)) {
		diag("event %s: %s", slug, e.message);
		return false;
	}
	return true;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	char path[512];

	while (d && (ent = readdir(d)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	char dir[] = "/tmp/cwc-upcoming-test-XXXXXX", path[256], slug[32];
	store_error_t se = { 0 };
	struct err e = { 0 };
	json_object *items = NULL;
	bool all = true;
	int minute;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("content-upcoming", "warn");
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot create a temporary directory: %s\n", strerror(errno));
		return 0;
	}
	snprintf(path, sizeof path, "%s/cwc.sqlite3", dir);
	if (!(st = store_open(path, &se))) {
		printf("not ok 1 - open the store: %s\n1..1\n", se.message);
		return 1;
	}
	ok(store_ensure_indexes(st, &se), "indexes (%s)", se.message);
	booking_parse_date("2027-03-01", &TODAY);
	booking_parse_time("10:00", false, &minute);
	NOW = booking_paris_to_utc(TODAY, minute);

	/* forty later ones, written latest first (the _id order is not the date order) */
	for (int i = 40; i >= 1; i--) {
		snprintf(slug, sizeof slug, "plus-tard-%02d", i);
		all &= add(slug, 2 + i, "18:30", "20:00", true);
	}
	all &= add("en-cours", 0, "09:00", "11:00", true);      /* started, not ended: public */
	all &= add("fini-ce-matin", 0, "08:00", "09:30", true); /* ended */
	all &= add("brouillon-demain", 1, "09:00", "10:00", false);
	all &= add("demain-soir", 1, "19:00", "21:00", true);
	all &= add("demain-matin", 1, "09:00", "22:00", true);  /* ends after demain-soir, starts before */
	ok(all, "45 events written");
	{
		bson_t *f = BCON_NEW("slug", BCON_UTF8("demain-soir"));
		bson_t *u = BCON_NEW("$set", "{", "currentParticipants", BCON_INT32(10), "}");
		ok(store_update_one(st, "events", f, u, false, NULL, &se), "demain-soir: 10 of 10 seats taken");
		bson_destroy(f);
		bson_destroy(u);
	}

	uint64_t before = store_sqlite_docs_examined(st);
	ok(event_upcoming(st, NOW, 3, &items, &e), "event_upcoming: %s", e.message);
	uint64_t examined = store_sqlite_docs_examined(st) - before;
	const char *plan = store_sqlite_last_plan(st);
	ok(strstr(plan, "IXSCAN") && !strstr(plan, "SORT"), "one index scan, no sort (%s)", plan);
	ok(examined <= 4, "%llu documents examined of 45", (unsigned long long)examined);
	is_int(json_object_array_length(items), 3, "three events");
	if (json_object_array_length(items) == 3) {
		json_object *a = json_object_array_get_idx(items, 0), *b = json_object_array_get_idx(items, 1),
			    *c = json_object_array_get_idx(items, 2), *v;
		is_str(str(a, "slug"), "en-cours", "the ongoing one first");
		is_str(str(b, "slug"), "demain-matin", "then tomorrow's, by their start");
		is_str(str(c, "slug"), "demain-soir", "…");
		is_str(str(a, "dateLabel"), "lundi 1 mars 2027", "the date in words");
		ok(json_object_object_get_ex(c, "full", &v) && json_object_get_boolean(v),
		   "the stored seats count: demain-soir is full");
		ok(json_object_object_get_ex(a, "seatsLeft", &v) && json_object_get_int(v) == 10, "en-cours: 10 seats left");
		ok(!json_object_object_get_ex(a, "description", &v), "no description");
		is_str(str(a, "url"), "/events/en-cours", "its address");
	}
	json_object_put(items);
	ok(event_upcoming(st, NOW + 100LL * 86400 * 1000, 3, &items, &e) && json_object_array_length(items) == 0,
	   "none left later: an empty list");
	json_object_put(items);

	store_close(st);
	remove_dir(dir);
	return tap_done();
}
