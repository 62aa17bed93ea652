/*
 * availability.c — the availability rules and the occupancy of a day. See
 * availability.h.
 */
#include "booking/availability.h"
#include "booking/claims.h"
#include "core/buf.h"
#include "core/doc.h"

#include <string.h>

/* The stored space types read as `current` (SPEC §7 legacy values). */
static const char *const *variants(const char *current)
{
	static const char *const os[] = { "open-space", "desk", NULL };
	static const char *const vr[] = { "salle-verriere", "meeting-room-glass", "meeting-room", NULL };
	static const char *const et[] = { "salle-etage", "meeting-room-floor", "private-office", NULL };
	static const char *const ev[] = { "evenementiel", "event-space", NULL };
	static const char *const none[] = { NULL };

	if (strcmp(current, "open-space") == 0)
		return os;
	if (strcmp(current, "salle-verriere") == 0)
		return vr;
	if (strcmp(current, "salle-etage") == 0)
		return et;
	if (strcmp(current, "evenementiel") == 0)
		return ev;
	return none;
}

bool booking_is_live(const bson_t *b, int64_t now)
{
	const char *status = doc_str(b, "status");

	if (!status)
		return false;
	if (strcmp(status, "confirmed") == 0)
		return true;
	if (strcmp(status, "pending") != 0)
		return false;
	return doc_date(b, "holdExpiresAt", INT64_MAX) > now;
}

int booking_request_spans(const struct booking_hours *h, const struct booking_request *rq,
			  struct booking_span *out)
{
	struct booking_day bd;
	int days = rq->rtype == BOOKING_WEEKLY ? 7 : rq->rtype == BOOKING_MONTHLY ? 30 : 1;
	int n = 0;

	for (int i = 0; i < days && n < BOOKING_MAX_SPANS; i++) {
		booking_hours_day(h, rq->day + i, &bd);
		if (!bd.open) {
			if (i == 0)
				return 0;
			continue;
		}
		out[n].day = rq->day + i;
		if (rq->rtype == BOOKING_HOURLY) {
			out[n].start_min = rq->start_min;
			out[n].end_min = rq->end_min;
		} else {
			out[n].start_min = bd.open_min;
			out[n].end_min = bd.close_min;
		}
		n++;
	}
	return n;
}

/* The span of stored booking `b` on `day` (false when it has none). */
static bool stored_span(const bson_t *b, const struct booking_hours *h, int64_t day,
			int *start, int *end)
{
	const char *st = doc_str(b, "startTime"), *et = doc_str(b, "endTime");
	int64_t first = booking_day_of_ms(doc_date(b, "date", 0));
	struct booking_day bd;

	if (first == day && st && et && booking_parse_time(st, false, start) &&
	    booking_parse_time(et, true, end) && *end > *start)
		return true;
	booking_hours_day(h, day, &bd);
	if (!bd.open)
		return false;
	*start = bd.open_min;
	*end = bd.close_min;
	return true;
}

int booking_stored_spans(const struct booking_hours *h, const bson_t *b, struct booking_span *out)
{
	int64_t first = booking_day_of_ms(doc_date(b, "date", 0));
	int64_t last = booking_day_of_ms(doc_date(b, "endDate", booking_day_ms(first)));
	int n = 0;

	if (last - first >= BOOKING_MAX_SPANS)
		last = first + BOOKING_MAX_SPANS - 1;
	for (int64_t day = first; day <= last; day++) {
		int start, end;
		if (!stored_span(b, h, day, &start, &end))
			continue;
		out[n].day = day;
		out[n].start_min = start;
		out[n].end_min = end;
		n++;
	}
	return n;
}

static void mark(int *taken, bool *priv, int start, int end, int amount)
{
	int from = start / BOOKING_SLOT_MIN, to = (end + BOOKING_SLOT_MIN - 1) / BOOKING_SLOT_MIN;

	for (int s = from; s < to && s < BOOKING_SLOTS; s++) {
		if (taken)
			taken[s] += amount;
		if (priv)
			priv[s] = true;
	}
}

/* The distinct live bookings overlapping [start, end) of one day (those
 * in a privatisation's way). */
struct in_way {
	int start, end;
	bson_oid_t ids[256];
	int n;          /* may exceed 256: counted, not kept */
	int64_t first_day;
	int first_min;
};

static void in_way_add(struct in_way *w, const bson_t *b, int64_t day, int start, int end)
{
	bson_oid_t id;

	if (start >= w->end || w->start >= end || !doc_oid(b, "_id", &id))
		return;
	for (int i = 0; i < w->n && i < 256; i++)
		if (bson_oid_equal(&w->ids[i], &id))
			return;
	if (w->n < 256)
		w->ids[w->n] = id;
	if (!w->n || day < w->first_day || (day == w->first_day && start < w->first_min)) {
		w->first_day = day;
		w->first_min = start > w->start ? start : w->start;
	}
	w->n++;
}

/* Runs `filter` on bookings and adds the live ones covering `day` to `o`
 * (or, with `w`, to the bookings in the way);
 * with `earlier_start`, only those that started before `day` (the ones
 * starting on it are another query's). */
static bool add_bookings(store_t *st, const bson_t *filter, const struct booking_hours *h,
			 int64_t day, int64_t now, const bson_oid_t *ignore, bool exclusive,
			 bool privatization, bool earlier_start, struct booking_occupancy *o,
			 struct in_way *w, store_error_t *err)
{
	store_cursor_t *cur = store_find(st, "bookings", filter, NULL, err);
	const bson_t *b;

	if (!cur)
		return false;
	while (store_cursor_next(cur, &b)) {
		bson_oid_t id;
		int start, end;
		int64_t first = booking_day_of_ms(doc_date(b, "date", 0));
		int64_t last = booking_day_of_ms(doc_date(b, "endDate", booking_day_ms(first)));
		if (!booking_is_live(b, now) || first > day || last < day ||
		    (earlier_start && first == day))
			continue;
		if (ignore && doc_oid(b, "_id", &id) && bson_oid_equal(&id, ignore))
			continue;
		/* a live privatisation blocks, pending or confirmed: it holds
		 * every space's claims from its creation (claims.h) */
		if (privatization && doc_bool(b, "isPartialPrivatization", false))
			continue;
		if (!stored_span(b, h, day, &start, &end))
			continue;
		if (w)
			in_way_add(w, b, day, start, end);
		else if (privatization)
			mark(NULL, o->privatized, start, end, 0);
		else
			mark(o->taken, NULL, start, end,
			     exclusive ? 1 : (int)doc_int(b, "numberOfPeople", 1));
	}
	bool failed = store_cursor_error(cur, err);
	store_cursor_destroy(cur);
	return !failed;
}

/* The bookings of one stored space type on `day`: those starting that
 * day, and the multi-day ones that started before and still run (a
 * multi-day booking starting on `day` matches both filters: counted once). */
static bool add_space_type(store_t *st, const char *stored, const struct booking_hours *h,
			   int64_t day, int64_t now, const bson_oid_t *ignore, bool exclusive,
			   bool privatization, struct booking_occupancy *o, struct in_way *w,
			   store_error_t *err)
{
	bson_t f1 = BSON_INITIALIZER, f2 = BSON_INITIALIZER, range;
	bool ok;

	BSON_APPEND_UTF8(&f1, "spaceType", stored);
	BSON_APPEND_DATE_TIME(&f1, "date", booking_day_ms(day));
	/* a booking spans at most BOOKING_MAX_SPANS days, so one running on
	 * `day` ends within that many days: a bounded range of the index
	 * {spaceType, endDate}, whatever the history (its start is checked
	 * in add_bookings()) */
	BSON_APPEND_UTF8(&f2, "spaceType", stored);
	BSON_APPEND_DOCUMENT_BEGIN(&f2, "endDate", &range);
	BSON_APPEND_DATE_TIME(&range, "$gte", booking_day_ms(day));
	BSON_APPEND_DATE_TIME(&range, "$lte", booking_day_ms(day + BOOKING_MAX_SPANS));
	bson_append_document_end(&f2, &range);
	ok = add_bookings(st, &f1, h, day, now, ignore, exclusive, privatization, false, o, w, err) &&
	     add_bookings(st, &f2, h, day, now, ignore, exclusive, privatization, true, o, w, err);
	bson_destroy(&f1);
	bson_destroy(&f2);
	return ok;
}

bool booking_day_occupancy(store_t *st, const char *space_type, const struct booking_hours *h,
			   int64_t day, int64_t now, const bson_oid_t *ignore,
			   struct booking_occupancy *o, store_error_t *err)
{
	bool exclusive = strcmp(space_type, "open-space") != 0;

	memset(o, 0, sizeof *o);
	o->day = day;
	for (const char *const *v = variants(space_type); *v; v++)
		if (!add_space_type(st, *v, h, day, now, ignore, exclusive, false, o, NULL, err))
			return false;
	if (strcmp(space_type, "evenementiel") != 0)
		for (const char *const *v = variants("evenementiel"); *v; v++)
			if (!add_space_type(st, *v, h, day, now, ignore, true, true, o, NULL, err))
				return false;
	return true;
}

bool booking_check_available(store_t *st, const struct booking_space *sp,
			     const struct booking_hours *h, const struct booking_request *rq,
			     int64_t now, struct err *e)
{
	return booking_check_available_except(st, sp, h, rq, now, NULL, e);
}

/* The live bookings of every other space during `spans` (a
 * privatisation's way), counted in `w` (from its first span). */
static bool count_in_way(store_t *st, const char *own, const struct booking_hours *h,
			 const struct booking_span *spans, int n, int64_t now, const bson_oid_t *ignore,
			 struct in_way *w, store_error_t *err)
{
	static const char *const others[] = { "open-space", "salle-verriere", "salle-etage", "evenementiel" };

	memset(w, 0, sizeof *w);
	for (int i = 0; i < n; i++) {
		w->start = spans[i].start_min;
		w->end = spans[i].end_min;
		for (size_t k = 0; k < sizeof others / sizeof *others; k++) {
			if (strcmp(others[k], own) == 0)
				continue;
			for (const char *const *v = variants(others[k]); *v; v++)
				if (!add_space_type(st, *v, h, spans[i].day, now, ignore, true, false, NULL, w, err))
					return false;
		}
	}
	return true;
}

bool booking_check_available_except(store_t *st, const struct booking_space *sp,
				    const struct booking_hours *h, const struct booking_request *rq,
				    int64_t now, const bson_oid_t *ignore, struct err *e)
{
	return booking_check_available_as(st, sp, h, rq, now, ignore, false, e);
}

bool booking_check_available_as(store_t *st, const struct booking_space *sp,
				const struct booking_hours *h, const struct booking_request *rq,
				int64_t now, const bson_oid_t *ignore, bool partial, struct err *e)
{
	struct booking_day bd;
	struct booking_span spans[BOOKING_MAX_SPANS];
	int64_t today;
	int now_min, n;
	char t1[6], t2[6], d[11];

	booking_paris_local(now, &today, &now_min);
	booking_hours_day(h, rq->day, &bd);
	if (rq->day < today)
		return err_set(e, 422, "date_in_past", "date", "This date is in the past.");
	if (!bd.open)
		return err_set(e, 422, "closed", "date", "The café is closed that day (%s).",
			       bd.closed_reason);
	if (rq->rtype == BOOKING_HOURLY) {
		if (rq->day == today && rq->start_min < now_min)
			return err_set(e, 422, "date_in_past", "startTime", "This time has already passed.");
		booking_format_time(bd.open_min, t1);
		booking_format_time(bd.close_min, t2);
		if (rq->start_min < bd.open_min)
			return err_set(e, 422, "outside_hours", "startTime",
				       "The café opens at %s that day (it closes at %s).", t1, t2);
		if (rq->end_min > bd.close_min)
			return err_set(e, 422, "outside_hours", "endTime",
				       "The café closes at %s that day (it opens at %s).", t2, t1);
		for (int i = 0; i < bd.npartial; i++)
			if (rq->start_min < bd.partial[i].end_min && bd.partial[i].start_min < rq->end_min) {
				booking_format_time(bd.partial[i].start_min, t1);
				booking_format_time(bd.partial[i].end_min, t2);
				return err_set(e, 422, "closed", "startTime",
					       "The café is closed from %s to %s that day.", t1, t2);
			}
	} else if (rq->day == today && now_min >= bd.close_min) {
		return err_set(e, 422, "date_in_past", "date", "The café has closed for today.");
	}

	n = booking_request_spans(h, rq, spans);
	if (booking_privatises(sp->space_type, partial)) {
		struct in_way w;
		store_error_t se = { 0 };
		if (!count_in_way(st, sp->space_type, h, spans, n, now, ignore, &w, &se))
			return store_fail(e, "booking: bookings in the way", &se);
		if (w.n > 0) {
			booking_format_date(w.first_day, d);
			booking_format_time(w.first_min, t1);
			return err_set(e, 409, "booking_conflict", "date",
				       "The café cannot be privatised then: %d booking%s of other spaces %s "
				       "in the way (the first on %s at %s). Move or cancel %s first.",
				       w.n, w.n == 1 ? "" : "s", w.n == 1 ? "is" : "are", d, t1,
				       w.n == 1 ? "it" : "them");
		}
	}
	for (int i = 0; i < n; i++) {
		struct booking_occupancy o;
		store_error_t se = { 0 };
		int from = spans[i].start_min / BOOKING_SLOT_MIN;
		int to = (spans[i].end_min + BOOKING_SLOT_MIN - 1) / BOOKING_SLOT_MIN;
		if (!booking_day_occupancy(st, sp->space_type, h, spans[i].day, now, ignore, &o, &se))
			return store_fail(e, "booking: occupancy", &se);
		booking_format_date(spans[i].day, d);
		for (int s = from; s < to; s++) {
			booking_format_time(s * BOOKING_SLOT_MIN, t1);
			if (o.privatized[s])
				return err_set(e, 409, "booking_conflict", "date",
					       "The café is privatised on %s at %s.", d, t1);
			if (sp->exclusive && o.taken[s] > 0)
				return err_set(e, 409, "booking_conflict", "startTime",
					       "%s is already booked on %s at %s.", sp->name, d, t1);
			if (!sp->exclusive && o.taken[s] + rq->people > sp->max_capacity) {
				int left = sp->max_capacity - o.taken[s];
				return err_set(e, 409, "booking_conflict", "numberOfPeople",
					       "Only %d seat%s left on %s at %s.", left < 0 ? 0 : left,
					       left == 1 ? "" : "s", d, t1);
			}
		}
	}
	return true;
}
