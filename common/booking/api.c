/*
 * api.c — the bookings' site API: reads the request, calls the booking
 * modules, shapes the answer. See api.h.
 */
#include "booking/api.h"
#include "account/account.h"
#include "account/api.h"
#include "booking/availability.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/contact.h"
#include "booking/money.h"
#include "booking/price.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "web/route.h"
#include "web/throttle.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX_CHARS 500
#define LIST_LIMIT_DEFAULT 10
#define LIST_LIMIT_MAX 50

static const char *const statuses[] = { "pending", "confirmed", "cancelled", "completed", "no-show", NULL };

/* ---- reading input --------------------------------------------------------- */

/* A string member: absent → *out NULL (400 when required); not a string
 * → 400. */
static bool member_string(json_object *body, const char *key, bool required, const char **out,
			  struct err *e)
{
	json_object *v = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(body, key, &v) || !v) {
		if (required)
			return err_set(e, 400, "invalid_request", key, "%s is required.", key);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(e, 400, "invalid_request", key, "%s must be a string.", key);
	*out = json_object_get_string(v);
	return true;
}

/* A trimmed text of at most `max_chars`, without control characters, into
 * `out` (outlen ≥ 4 × max_chars + 1); "" when absent. */
static bool member_text(json_object *body, const char *key, bool required, size_t max_chars,
			char *out, size_t outlen, struct err *e)
{
	const char *s;

	out[0] = '\0';
	if (!member_string(body, key, required, &s, e))
		return false;
	return booking_text_check(key, s, max_chars, true, required, out, outlen, e);
}

/* The booking request of `body` (see api.h for the members). */
static bool read_request(json_object *body, struct booking_request *rq, struct err *e)
{
	const char *space, *rtype, *date, *start, *end;
	json_object *v = NULL;

	memset(rq, 0, sizeof *rq);
	rq->start_min = rq->end_min = -1;
	if (!member_string(body, "spaceType", true, &space, e) ||
	    !member_string(body, "reservationType", true, &rtype, e) ||
	    !member_string(body, "date", true, &date, e))
		return false;
	if (strlen(space) >= sizeof rq->space_type || !booking_space_type_current(space))
		return err_set(e, 422, "unknown_space_type", "spaceType",
			       "There is no such space (open-space, salle-verriere, salle-etage, evenementiel).");
	(void)buf_fmt(rq->space_type, sizeof rq->space_type, "%s", booking_space_type_current(space));
	rq->rtype = booking_rtype_parse(rtype);
	if (rq->rtype < 0)
		return err_set(e, 400, "invalid_request", "reservationType",
			       "reservationType is one of hourly, daily, weekly, monthly.");
	if (!booking_parse_date(date, &rq->day))
		return err_set(e, 400, "invalid_request", "date", "date must be a real date written YYYY-MM-DD.");
	if (rq->rtype == BOOKING_HOURLY) {
		if (!member_string(body, "startTime", true, &start, e) ||
		    !member_string(body, "endTime", true, &end, e))
			return false;
		if (!booking_parse_time(start, false, &rq->start_min))
			return err_set(e, 400, "invalid_request", "startTime", "startTime must be a time HH:mm.");
		if (!booking_parse_time(end, true, &rq->end_min))
			return err_set(e, 400, "invalid_request", "endTime", "endTime must be a time HH:mm.");
	}
	if (!json_object_object_get_ex(body, "numberOfPeople", &v) || !v)
		return err_set(e, 400, "invalid_request", "numberOfPeople", "numberOfPeople is required.");
	if (!json_object_is_type(v, json_type_int))
		return err_set(e, 400, "invalid_request", "numberOfPeople", "numberOfPeople must be a whole number.");
	{
		int64_t n = json_object_get_int64(v);
		if (n < 1 || n > 10000)
			return err_set(e, 422, "capacity", "numberOfPeople",
				       "numberOfPeople must be at least 1 and within the space's capacity.");
		rq->people = (int)n;
	}
	if (json_object_object_get_ex(body, "services", &v) && v) {
		size_t n;
		if (!json_object_is_type(v, json_type_array))
			return err_set(e, 400, "invalid_request", "services", "services must be an array.");
		n = json_object_array_length(v);
		if (n > BOOKING_MAX_SERVICES)
			return err_set(e, 422, "validation_failed", "services", "At most %d services.",
				       BOOKING_MAX_SERVICES);
		for (size_t i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(v, i), *f = NULL;
			const char *id = NULL;
			int64_t qty = 1;
			char field[32];
			(void)buf_fmt(field, sizeof field, "services[%zu]", i);
			if (s && json_object_is_type(s, json_type_string)) {
				id = json_object_get_string(s);
			} else if (s && json_object_is_type(s, json_type_object)) {
				if ((json_object_object_get_ex(s, "service", &f) ||
				     json_object_object_get_ex(s, "id", &f)) && f &&
				    json_object_is_type(f, json_type_string))
					id = json_object_get_string(f);
				if (json_object_object_get_ex(s, "quantity", &f) && f) {
					if (!json_object_is_type(f, json_type_int))
						return err_set(e, 400, "invalid_request", field,
							       "A service's quantity must be a whole number.");
					qty = json_object_get_int64(f);
				}
			}
			if (!id)
				return err_set(e, 400, "invalid_request", field,
					       "A service is its id, or {service, quantity}.");
			if (!doc_parse_oid(id, &rq->services[i].id))
				return err_set(e, 422, "unknown_service", field, "There is no such service.");
			if (qty < 1 || qty > 100)
				return err_set(e, 422, "validation_failed", field,
					       "A service's quantity is from 1 to 100.");
			rq->services[i].quantity = (int)qty;
			rq->nservices++;
		}
	}
	return true;
}

/* ---- catalogue, hours, services, policy ------------------------------------ */

static json_object *space_json(const bson_t *doc, bool with_deposit)
{
	json_object *o = doc_to_json(doc);

	if (!with_deposit)
		json_object_object_del(o, "depositPolicy");
	return o;
}

void booking_api_spaces(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t *filter, *sort;
	store_cursor_t *cur;
	store_error_t se = { 0 };
	const bson_t *doc;
	json_object *arr, *o;

	if (!st)
		return;
	filter = BCON_NEW("isActive", BCON_BOOL(true), "isDeleted", "{", "$ne", BCON_BOOL(true), "}");
	sort = BCON_NEW("displayOrder", BCON_INT32(1), "_id", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort };
	cur = store_find(st, "spaceconfigurations", filter, &opts, &se);
	bson_destroy(filter);
	bson_destroy(sort);
	if (!cur) {
		http_send_store_fail(req, "booking: list spaces", &se);
		return;
	}
	arr = json_object_new_array();
	while (store_cursor_next(cur, &doc))
		json_object_array_add(arr, space_json(doc, false));
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(arr);
		http_send_store_fail(req, "booking: list spaces", &se);
		return;
	}
	store_cursor_destroy(cur);
	o = json_object_new_object();
	json_object_object_add(o, "spaceConfigurations", arr);
	http_add_header(req, "Cache-Control", "public, max-age=60");
	http_send_json(req, 200, o);
}

void booking_api_space(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *t = booking_space_type_current(http_param(req, "spaceType"));
	bson_t filter = BSON_INITIALIZER, doc;
	store_error_t se = { 0 };
	bool found = false;
	json_object *o;

	if (!st)
		return;
	if (!t) {
		http_error_field(req, 404, "not_found", "spaceType", "No such space.");
		return;
	}
	BSON_APPEND_UTF8(&filter, "spaceType", t);
	if (!store_find_one(st, "spaceconfigurations", &filter, NULL, &doc, &found, &se)) {
		bson_destroy(&filter);
		http_send_store_fail(req, "booking: space", &se);
		return;
	}
	bson_destroy(&filter);
	if (!found || !doc_bool(&doc, "isActive", true) || doc_bool(&doc, "isDeleted", false)) {
		bson_destroy(&doc);
		http_error_field(req, 404, "not_found", "spaceType", "No such space.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "spaceConfiguration", space_json(&doc, true));
	bson_destroy(&doc);
	http_send_json(req, 200, o);
}

static json_object *dayhours_json(const struct booking_dayhours *h)
{
	json_object *o = json_object_new_object();
	char t[6];

	json_object_object_add(o, "isOpen", json_object_new_boolean(h->open));
	if (h->open) {
		booking_format_time(h->open_min, t);
		json_object_object_add(o, "openTime", json_object_new_string(t));
		booking_format_time(h->close_min, t);
		json_object_object_add(o, "closeTime", json_object_new_string(t));
	}
	return o;
}

void booking_api_global_hours(struct http_req *req)
{
	store_t *st = http_store(req);
	struct booking_hours h;
	store_error_t se = { 0 };
	json_object *o, *week, *closures, *holidays, *annual;
	int64_t today;
	int minute;
	char d[11], t[6];

	if (!st)
		return;
	if (!booking_hours_load(st, &h, &se)) {
		http_send_store_fail(req, "booking: hours", &se);
		return;
	}
	booking_paris_local(account_now_ms(), &today, &minute);
	o = json_object_new_object();
	week = json_object_new_object();
	for (int i = 0; i < 7; i++)
		json_object_object_add(week, booking_weekday_name(i), dayhours_json(&h.week[i]));
	json_object_object_add(o, "defaultHours", week);
	json_object_object_add(o, "holidayHours", dayhours_json(&h.holiday));
	annual = json_object_new_array();
	for (int i = 0; i < h.nannual; i++) {
		(void)buf_fmt(d, sizeof d, "%02d-%02d", (h.annual[i] / 100) % 100, h.annual[i] % 100);
		json_object_array_add(annual, json_object_new_string(d));
	}
	json_object_object_add(o, "annualClosures", annual);
	closures = json_object_new_array();
	for (size_t i = 0; i < h.nclosures; i++) {
		const struct booking_closure *c = &h.closures[i];
		json_object *co;
		if (c->day < today)
			continue;
		co = json_object_new_object();
		booking_format_date(c->day, d);
		json_object_object_add(co, "date", json_object_new_string(d));
		json_object_object_add(co, "reason", json_object_new_string(c->reason));
		json_object_object_add(co, "isFullDay", json_object_new_boolean(c->full_day));
		if (!c->full_day) {
			booking_format_time(c->start_min, t);
			json_object_object_add(co, "startTime", json_object_new_string(t));
			booking_format_time(c->end_min, t);
			json_object_object_add(co, "endTime", json_object_new_string(t));
		}
		json_object_array_add(closures, co);
	}
	json_object_object_add(o, "exceptionalClosures", closures);
	holidays = json_object_new_array();
	for (int64_t day = today; day < today + 366; day++) {
		const char *name = booking_holiday(day);
		struct booking_day bd;
		json_object *ho;
		if (!name)
			continue;
		booking_hours_day(&h, day, &bd);
		ho = json_object_new_object();
		booking_format_date(day, d);
		json_object_object_add(ho, "date", json_object_new_string(d));
		json_object_object_add(ho, "name", json_object_new_string(name));
		json_object_object_add(ho, "isOpen", json_object_new_boolean(bd.open));
		json_object_array_add(holidays, ho);
	}
	json_object_object_add(o, "holidays", holidays);
	json_object_object_add(o, "timeZone", json_object_new_string("Europe/Paris"));
	booking_format_date(today, d);
	json_object_object_add(o, "today", json_object_new_string(d));
	booking_hours_free(&h);
	http_send_json(req, 200, o);
}

void booking_api_services(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *type = http_query(req, "spaceType"), *category = http_query(req, "category");
	const char *cur_type = type && *type ? booking_space_type_current(type) : NULL;
	bson_t *filter, *sort;
	store_cursor_t *cur;
	store_error_t se = { 0 };
	const bson_t *doc;
	json_object *arr, *o;

	if (!st)
		return;
	if (type && *type && !cur_type) {
		http_error_field(req, 422, "unknown_space_type", "spaceType", "There is no such space.");
		return;
	}
	filter = BCON_NEW("isActive", BCON_BOOL(true), "isDeleted", "{", "$ne", BCON_BOOL(true), "}");
	if (category && *category)
		BSON_APPEND_UTF8(filter, "category", category);
	sort = BCON_NEW("order", BCON_INT32(1), "name", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort };
	cur = store_find(st, "additionalservices", filter, &opts, &se);
	bson_destroy(filter);
	bson_destroy(sort);
	if (!cur) {
		http_send_store_fail(req, "booking: services", &se);
		return;
	}
	arr = json_object_new_array();
	while (store_cursor_next(cur, &doc)) {
		struct booking_service s;
		booking_service_from_doc(doc, &s);
		if (!cur_type || booking_service_offered(&s, cur_type))
			json_object_array_add(arr, doc_to_json(doc));
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(arr);
		http_send_store_fail(req, "booking: services", &se);
		return;
	}
	store_cursor_destroy(cur);
	o = json_object_new_object();
	json_object_object_add(o, "services", arr);
	http_send_json(req, 200, o);
}

void booking_api_cancellation_policy(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *type = http_query(req, "spaceType");
	const char *cur = booking_space_type_current(type);
	struct booking_settings s;
	const struct booking_policy *p;
	store_error_t se = { 0 };
	json_object *o, *tiers;

	if (!st)
		return;
	if (!cur) {
		http_error_field(req, type && *type ? 422 : 400, type && *type ? "unknown_space_type" : "invalid_request",
				 "spaceType", "spaceType names a space (open-space, salle-verriere, salle-etage, evenementiel).");
		return;
	}
	if (!booking_settings_load(st, &s, &se)) {
		http_send_store_fail(req, "booking: settings", &se);
		return;
	}
	p = booking_settings_policy(&s, cur);
	o = json_object_new_object();
	tiers = json_object_new_array();
	for (int i = 0; i < p->n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "daysBeforeBooking", json_object_new_int(p->days[i]));
		json_object_object_add(t, "chargePercentage", json_object_new_int(p->pct[i]));
		json_object_array_add(tiers, t);
	}
	json_object_object_add(o, "spaceType", json_object_new_string(cur));
	json_object_object_add(o, "policy", json_object_new_string(
		booking_is_meeting_room(cur) ? "meeting_rooms" : "open_space"));
	json_object_object_add(o, "tiers", tiers);
	http_send_json(req, 200, o);
}

/* ---- quotes and availability ------------------------------------------------ */

void booking_api_calculate_price(struct http_req *req)
{
	store_t *st = http_store(req);
	struct booking_request rq;
	struct booking_space space;
	struct booking_quote q;
	struct booking_hours h;
	store_error_t se = { 0 };
	struct err e = { 0 };
	json_object *o;

	if (!st)
		return;
	if (!read_request(req->json, &rq, &e) || !booking_quote(st, &rq, &space, &q, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!booking_hours_load(st, &h, &se)) {
		http_send_store_fail(req, "booking: hours", &se);
		return;
	}
	if (!booking_check_available(st, &space, &h, &rq, account_now_ms(), &e)) {
		booking_hours_free(&h);
		http_send_err(req, &e);
		return;
	}
	booking_hours_free(&h);
	o = json_object_new_object();
	json_object_object_add(o, "quote", booking_quote_json(&rq, &q));
	http_send_json(req, 200, o);
}

/* The availability of a day is what every customer choosing a day asks,
 * many times a second on a busy one: each worker keeps its answers of the
 * last cfg->availability_cache_ms, by query (space, day, people). Only this
 * display: quotes and bookings always read the store (and the claims make
 * a booking exact whatever the display said). */
#define AVAIL_CACHE_SLOTS 32

struct avail_cached {
	char key[96];
	int64_t until;
	char *body;
	size_t len;
};

static struct avail_cached avail_cache[AVAIL_CACHE_SLOTS];

static struct avail_cached *avail_cache_find(const char *key, int64_t now)
{
	for (int i = 0; i < AVAIL_CACHE_SLOTS; i++)
		if (avail_cache[i].body && avail_cache[i].until > now &&
		    strcmp(avail_cache[i].key, key) == 0)
			return &avail_cache[i];
	return NULL;
}

static void avail_cache_put(const char *key, int64_t until, json_object *o)
{
	struct avail_cached *slot = &avail_cache[0];
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	for (int i = 0; i < AVAIL_CACHE_SLOTS; i++) {   /* the same key, a free slot, or the oldest */
		if (!avail_cache[i].body || strcmp(avail_cache[i].key, key) == 0) {
			slot = &avail_cache[i];
			break;
		}
		if (avail_cache[i].until < slot->until)
			slot = &avail_cache[i];
	}
	free(slot->body);
	slot->body = malloc(len);
	if (!slot->body)
		return;
	memcpy(slot->body, s, len);
	slot->len = len;
	slot->until = until;
	(void)buf_fmt(slot->key, sizeof slot->key, "%s", key);
}

/* The catalogue those answers read (the space, the hours and closures),
 * kept by each worker for as long as an answer: read at most once per
 * cfg->availability_cache_ms, so no answer reflects a catalogue older than
 * an answer may be. Off with the answer cache (0); quotes and bookings
 * read the store. */
static const char *const avail_types[] = { "open-space", "salle-verriere", "salle-etage", "evenementiel" };

static struct {
	int64_t until;
	struct booking_hours hours;
} avail_hours;

static struct {
	int64_t until;
	bool found;
	struct booking_space space;
} avail_spaces[sizeof avail_types / sizeof *avail_types];

/* Whether a copy to be kept until `until` may still answer at `now` (not
 * when the clock went back past its reading). */
static bool avail_young(int64_t until, int64_t now)
{
	return until > now && until - cfg->availability_cache_ms <= now;
}

/* The hours in force for the display: the worker's copy while it is young
 * enough, else read (and kept when caching). *h is the copy or `mine`,
 * which the caller frees (booking_hours_free) when *h == mine. */
static bool avail_hours_get(store_t *st, int64_t now, struct booking_hours *mine,
			    const struct booking_hours **h, store_error_t *err)
{
	if (cfg->availability_cache_ms <= 0) {
		*h = mine;
		return booking_hours_load(st, mine, err);
	}
	if (!avail_young(avail_hours.until, now)) {
		struct booking_hours fresh;
		if (!booking_hours_load(st, &fresh, err))
			return false;
		if (avail_hours.until)
			booking_hours_free(&avail_hours.hours);
		avail_hours.hours = fresh;
		avail_hours.until = now + cfg->availability_cache_ms;
	}
	*h = &avail_hours.hours;
	return true;
}

/* The space `cur` (a current type) for the display, the same way. */
static bool avail_space_get(store_t *st, const char *cur, int64_t now, struct booking_space *out,
			    bool *found, store_error_t *err)
{
	size_t i = 0;

	while (i < sizeof avail_types / sizeof *avail_types && strcmp(avail_types[i], cur) != 0)
		i++;
	if (cfg->availability_cache_ms <= 0 || i == sizeof avail_types / sizeof *avail_types)
		return booking_space_load(st, cur, out, found, err);
	if (!avail_young(avail_spaces[i].until, now)) {
		bool got = false;
		if (!booking_space_load(st, cur, &avail_spaces[i].space, &got, err)) {
			avail_spaces[i].until = 0;
			return false;
		}
		avail_spaces[i].found = got;
		avail_spaces[i].until = now + cfg->availability_cache_ms;
	}
	*found = avail_spaces[i].found;
	if (*found)
		*out = avail_spaces[i].space;
	return true;
}

void booking_api_availability(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *type = http_query(req, "spaceType"), *date = http_query(req, "date");
	const char *people_s = http_query(req, "numberOfPeople");
	const char *cur = booking_space_type_current(type);
	struct booking_space space;
	struct booking_hours mine;
	const struct booking_hours *h = NULL;
	struct booking_day bd;
	struct booking_occupancy occ;
	store_error_t se = { 0 };
	bool found = false;
	int64_t day, today, now = account_now_ms();
	int now_min, people = 1, min_left = INT_MAX;
	json_object *o, *slots;
	char t[6], key[96];

	if (!st)
		return;
	if (!type || !*type) {
		http_error_field(req, 400, "invalid_request", "spaceType", "spaceType is required.");
		return;
	}
	if (!cur) {
		http_error_field(req, 422, "unknown_space_type", "spaceType", "There is no such space.");
		return;
	}
	if (!booking_parse_date(date, &day)) {
		http_error_field(req, 400, "invalid_request", "date", "date must be a real date written YYYY-MM-DD.");
		return;
	}
	if (people_s) {
		char *end;
		long n = strtol(people_s, &end, 10);
		if (!*people_s || *end || n < 1 || n > 10000) {
			http_error_field(req, 400, "invalid_request", "numberOfPeople",
					 "numberOfPeople must be a whole number from 1.");
			return;
		}
		people = (int)n;
	}
	if (cfg->availability_cache_ms > 0 &&
	    buf_fmt(key, sizeof key, "%s|%s|%d", cur, date, people)) {
		struct avail_cached *hit = avail_cache_find(key, now);
		if (hit) {
			http_add_header(req, "Cache-Control", "no-store");
			http_send(req, 200, "application/json; charset=utf-8", hit->body, hit->len);
			return;
		}
	} else {
		key[0] = '\0';
	}
	if (!avail_space_get(st, cur, now, &space, &found, &se)) {
		http_send_store_fail(req, "booking: space", &se);
		return;
	}
	if (!found || !space.active) {
		http_error_field(req, 422, "space_unavailable", "spaceType", "This space cannot be booked.");
		return;
	}
	if (!avail_hours_get(st, now, &mine, &h, &se)) {
		http_send_store_fail(req, "booking: hours", &se);
		return;
	}
	booking_hours_day(h, day, &bd);
	if (!booking_day_occupancy(st, cur, h, day, now, NULL, &occ, &se)) {
		if (h == &mine)
			booking_hours_free(&mine);
		http_send_store_fail(req, "booking: occupancy", &se);
		return;
	}
	booking_paris_local(now, &today, &now_min);
	o = json_object_new_object();
	slots = json_object_new_array();
	json_object_object_add(o, "spaceType", json_object_new_string(cur));
	json_object_object_add(o, "date", json_object_new_string(date));
	json_object_object_add(o, "open", json_object_new_boolean(bd.open && day >= today));
	if (bd.holiday)
		json_object_object_add(o, "holiday", json_object_new_string(bd.holiday));
	if (!bd.open)
		json_object_object_add(o, "closedReason", json_object_new_string(bd.closed_reason));
	json_object_object_add(o, "exclusive", json_object_new_boolean(space.exclusive));
	json_object_object_add(o, "capacity", json_object_new_int(space.max_capacity));
	if (bd.open) {
		booking_format_time(bd.open_min, t);
		json_object_object_add(o, "openTime", json_object_new_string(t));
		booking_format_time(bd.close_min, t);
		json_object_object_add(o, "closeTime", json_object_new_string(t));
		for (int m = bd.open_min; m + BOOKING_SLOT_MIN <= bd.close_min; m += BOOKING_SLOT_MIN) {
			int s = m / BOOKING_SLOT_MIN, left;
			bool closed = day < today || (day == today && m < now_min) || occ.privatized[s];
			json_object *so = json_object_new_object();
			for (int i = 0; i < bd.npartial; i++)
				if (m < bd.partial[i].end_min && bd.partial[i].start_min < m + BOOKING_SLOT_MIN)
					closed = true;
			left = closed ? 0 : space.exclusive ? (occ.taken[s] ? 0 : space.max_capacity)
				   : space.max_capacity - occ.taken[s];
			if (left < 0)
				left = 0;
			if (left < min_left)
				min_left = left;
			booking_format_time(m, t);
			json_object_object_add(so, "time", json_object_new_string(t));
			booking_format_time(m + BOOKING_SLOT_MIN, t);
			json_object_object_add(so, "endTime", json_object_new_string(t));
			json_object_object_add(so, "available", json_object_new_boolean(
				left > 0 && (space.exclusive || left >= people)));
			json_object_object_add(so, "seatsLeft", json_object_new_int(left));
			json_object_array_add(slots, so);
		}
	}
	json_object_object_add(o, "seatsLeft", json_object_new_int(min_left == INT_MAX ? 0 : min_left));
	json_object_object_add(o, "slots", slots);
	if (h == &mine)
		booking_hours_free(&mine);
	if (key[0])
		avail_cache_put(key, now + cfg->availability_cache_ms, o);
	http_send_json(req, 200, o);
}

/* ---- bookings ---------------------------------------------------------------- */

void booking_api_create(struct http_req *req)
{
	store_t *st = http_store(req);
	const struct auth_session *me = auth_session(req);
	struct booking_new nb;
	struct booking_settings settings;
	struct booking_quote q;
	store_error_t se = { 0 };
	struct err e = { 0 };
	struct booking_contact_form form = { 0 };
	struct booking_contact_out *c = NULL;
	char token[BOOKING_TOKEN_HEX + 1];
	bson_t booking;
	json_object *o;
	bool ok = false, pay = cfg->stripe_secret_key && *cfg->stripe_secret_key, setup = false;
	char secret[256] = "";

	long retry = 0;

	if (!st)
		return;
	/* every guest booking holds a slot: a bound per address, counted
	 * on success (refused input costs nothing) */
	if (!me && !throttle_check(THROTTLE_GUEST_BOOKING, THROTTLE_IP, http_client_ip(req), &retry)) {
		throttle_refuse(req, retry);
		return;
	}
	memset(&nb, 0, sizeof nb);
	/* absent is 400 for a guest; the rest is the domain's check */
	if (!read_request(req->json, &nb.rq, &e) ||
	    !member_string(req->json, "contactName", !me, &form.name, &e) ||
	    !member_string(req->json, "contactEmail", !me, &form.email, &e) ||
	    !member_string(req->json, "contactPhone", !me, &form.phone, &e) ||
	    !member_string(req->json, "companyName", false, &form.company, &e) ||
	    !member_string(req->json, "specialRequests", false, &form.requests, &e))
		goto fail;
	if (!(c = calloc(1, sizeof *c))) {
		err_set(&e, 500, "internal", NULL, "Internal error.");
		goto fail;
	}
	if (!booking_contact_check(&form, !me, c, NULL, NULL, &e))
		goto fail;
	if (me) {   /* a customer: the account's details unless given */
		const char *given = doc_str(&me->user, "givenName"), *uemail = doc_str(&me->user, "email");
		const char *uphone = doc_str(&me->user, "phone");
		nb.user = &me->user_id;
		if (!c->name[0] && given)
			(void)buf_fmt(c->name, sizeof c->name, "%s", given);
		if (!c->email[0] && uemail)
			(void)buf_fmt(c->email, sizeof c->email, "%s", uemail);
		if (!c->phone[0] && uphone)
			(void)buf_fmt(c->phone, sizeof c->phone, "%s", uphone);
	}
	nb.contact = (struct booking_contact){ c->name, c->email, c->phone, c->company };
	nb.special_requests = c->requests;
	if (!booking_settings_load(st, &settings, &se)) {
		free(c);
		http_send_store_fail(req, "booking: settings", &se);
		return;
	}
	/* the card step (Stripe, another module) holds the slot while the
	 * customer pays; without it the booking waits for the staff */
	nb.requires_payment = pay;
	nb.hold_minutes = pay ? settings.pending_hold_minutes : 0;
	/* with the card step: no slot held without an intent */
	if (!booking_money_book(st, &nb, &settings, account_now_ms(), &booking, &q, token, secret,
				sizeof secret, &setup, &e))
		goto fail;
	if (!me)
		throttle_hit(THROTTLE_GUEST_BOOKING, THROTTLE_IP, http_client_ip(req));
	ok = true;
	o = json_object_new_object();
	json_object_object_add(o, "booking", booking_json(&booking));
	json_object_object_add(o, "quote", booking_quote_json(&nb.rq, &q));
	json_object_object_add(o, "clientSecret", pay ? json_object_new_string(secret) : NULL);
	if (pay)
		json_object_object_add(o, "intentType", json_object_new_string(setup ? "setup" : "payment"));
	if (!nb.user) {
		char url[256];
		(void)buf_fmt(url, sizeof url, "/reservation/%s?token=%s",
			      doc_str(&booking, "confirmationNumber"), token);
		json_object_object_add(o, "manageUrl", json_object_new_string(url));
	}
	bson_destroy(&booking);
	http_send_json(req, 201, o);
fail:
	free(c);
	if (!ok)
		http_send_err(req, &e);
}

/* The booking of the path's :id that the caller may see (owner, or the
 * guest token in the query or `token_json`), into `out` (initialised on
 * success); otherwise the 404 (or error) is sent. */
static bool load_accessible(struct http_req *req, store_t *st, const char *token_json, bson_t *out)
{
	const struct auth_session *me = auth_session(req);
	const char *token = http_query(req, "token");
	store_error_t se = { 0 };
	bool found = false, mine = false;
	bson_oid_t owner;

	if (!token)
		token = token_json;
	if (!booking_find(st, http_param(req, "id"), out, &found, &se)) {
		http_send_store_fail(req, "booking: find", &se);
		return false;
	}
	if (found && me && doc_oid(out, "user", &owner) && bson_oid_equal(&owner, &me->user_id))
		mine = true;
	if (!found || !(mine || (token && booking_token_ok(out, token)))) {
		bson_destroy(out);
		http_error(req, 404, "not_found", "No such booking.");
		return false;
	}
	return true;
}

void booking_api_get(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t b;
	json_object *o;

	if (!st || !load_accessible(req, st, NULL, &b))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "booking", booking_json(&b));
	bson_destroy(&b);
	http_add_header(req, "Cache-Control", "private, no-store");
	http_send_json(req, 200, o);
}

void booking_api_cancellation_fees(struct http_req *req)
{
	store_t *st = http_store(req);
	struct booking_settings s;
	struct booking_fees f;
	store_error_t se = { 0 };
	bson_t b;
	json_object *o;

	if (!st || !load_accessible(req, st, NULL, &b))
		return;
	if (!booking_settings_load(st, &s, &se)) {
		bson_destroy(&b);
		http_send_store_fail(req, "booking: settings", &se);
		return;
	}
	booking_cancellation_fees(&b, &s, account_now_ms(), &f);
	o = json_object_new_object();
	json_object_object_add(o, "fees", booking_fees_json(&b, &f));
	bson_destroy(&b);
	http_send_json(req, 200, o);
}

void booking_api_cancel(struct http_req *req)
{
	store_t *st = http_store(req);
	const struct auth_session *me = auth_session(req);
	struct booking_actor actor = { .user = me ? &me->user_id : NULL, .staff = false };
	struct booking_settings s;
	struct booking_fees f;
	store_error_t se = { 0 };
	struct err e = { 0 };
	char reason[4 * REASON_MAX_CHARS + 1];
	const char *token = NULL;
	int64_t now = account_now_ms();
	bson_t b, after;
	json_object *o;

	if (!st)
		return;
	if (!member_string(req->json, "token", false, &token, &e) ||
	    !member_text(req->json, "reason", false, REASON_MAX_CHARS, reason, sizeof reason, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!load_accessible(req, st, token, &b))
		return;
	if (!booking_settings_load(st, &s, &se)) {
		bson_destroy(&b);
		http_send_store_fail(req, "booking: settings", &se);
		return;
	}
	booking_cancellation_fees(&b, &s, now, &f);
	if (!booking_transition(st, &b, "cancelled", &actor, reason, now, &after, &e)) {
		bson_destroy(&b);
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "booking", booking_json(&after));
	json_object_object_add(o, "fees", booking_fees_json(&b, &f));
	bson_destroy(&b);
	bson_destroy(&after);
	http_send_json(req, 200, o);
}

void booking_api_payment_check(struct http_req *req)
{
	store_t *st = http_store(req);
	store_error_t se = { 0 };
	struct err e = { 0 };
	const char *token = NULL;
	bool found = false;
	char secret[256];
	bson_t b, after;
	json_object *o;

	if (!st)
		return;
	if (!member_string(req->json, "token", false, &token, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!load_accessible(req, st, token, &b))
		return;
	/* the browser says the card went through: ask Stripe */
	if (!booking_money_refresh(st, &b, account_now_ms(), &e)) {
		bson_destroy(&b);
		http_send_err(req, &e);
		return;
	}
	if (!booking_find(st, http_param(req, "id"), &after, &found, &se)) {
		bson_destroy(&b);
		http_send_store_fail(req, "booking: find", &se);
		return;
	}
	if (!booking_money_client_secret(st, found ? &after : &b, account_now_ms(), secret, sizeof secret, &e)) {
		bson_destroy(&b);
		bson_destroy(&after);
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "booking", booking_json(found ? &after : &b));
	/* what the page needs to finish the card step, if anything */
	json_object_object_add(o, "clientSecret", secret[0] ? json_object_new_string(secret) : NULL);
	bson_destroy(&b);
	bson_destroy(&after);
	http_add_header(req, "Cache-Control", "private, no-store");
	http_send_json(req, 200, o);
}

void booking_api_list_mine(struct http_req *req)
{
	store_t *st = http_store(req);
	const struct auth_session *me = auth_session(req);
	const char *status = http_query(req, "status"), *page_s = http_query(req, "page");
	const char *limit_s = http_query(req, "limit");
	long page = 1, limit = LIST_LIMIT_DEFAULT;
	bson_t filter = BSON_INITIALIZER, *sort;
	store_cursor_t *cur;
	store_error_t se = { 0 };
	const bson_t *doc;
	int64_t total = 0;
	json_object *o, *arr, *pg;

	if (!st)
		return;
	if (status && *status) {
		bool known = false;
		for (int i = 0; statuses[i]; i++)
			known |= strcmp(statuses[i], status) == 0;
		if (!known) {
			http_error_field(req, 400, "invalid_request", "status",
					 "status is one of pending, confirmed, cancelled, completed, no-show.");
			return;
		}
	}
	if (page_s) {
		char *end;
		page = strtol(page_s, &end, 10);
		if (!*page_s || *end || page < 1 || page > 100000) {
			http_error_field(req, 400, "invalid_request", "page", "page is a whole number from 1.");
			return;
		}
	}
	if (limit_s) {
		char *end;
		limit = strtol(limit_s, &end, 10);
		if (!*limit_s || *end || limit < 1 || limit > LIST_LIMIT_MAX) {
			http_error_field(req, 400, "invalid_request", "limit", "limit is from 1 to %d.", LIST_LIMIT_MAX);
			return;
		}
	}
	BSON_APPEND_OID(&filter, "user", &me->user_id);
	if (status && *status)
		BSON_APPEND_UTF8(&filter, "status", status);
	if (!store_count(st, "bookings", &filter, &total, &se)) {
		bson_destroy(&filter);
		http_send_store_fail(req, "booking: count mine", &se);
		return;
	}
	sort = BCON_NEW("date", BCON_INT32(-1), "_id", BCON_INT32(-1));
	store_find_opts_t opts = { .sort = sort, .skip = (page - 1) * limit, .limit = limit };
	cur = store_find(st, "bookings", &filter, &opts, &se);
	bson_destroy(&filter);
	bson_destroy(sort);
	if (!cur) {
		http_send_store_fail(req, "booking: list mine", &se);
		return;
	}
	arr = json_object_new_array();
	while (store_cursor_next(cur, &doc))
		json_object_array_add(arr, booking_json(doc));
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(arr);
		http_send_store_fail(req, "booking: list mine", &se);
		return;
	}
	store_cursor_destroy(cur);
	o = json_object_new_object();
	json_object_object_add(o, "bookings", arr);
	pg = http_pagination(page, limit, total);
	json_object_object_add(o, "pagination", pg);
	http_send_json(req, 200, o);
}

/* ---- for the admin app's handlers ------------------------------------------- */

bool booking_api_read_request(json_object *body, struct booking_request *rq, struct err *e)
{
	return read_request(body, rq, e);
}

bool booking_api_read_text(json_object *body, const char *key, bool required, size_t max_chars,
			   char *out, size_t outlen, struct err *e)
{
	return member_text(body, key, required, max_chars, out, outlen, e);
}
