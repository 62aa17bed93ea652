/*
 * availability.c — the availability rules and the occupancy of a day. See
 * availability.h.
 */
#include "booking/availability.h"
#include "booking/catalogue.h"
#include "booking/claims.h"
#include "core/buf.h"

#include <string.h>

/* What the rules read of a stored booking, decoded in one pass over the
 * document (a day's answer reads dozens): each field as the first member
 * of that name gives it, as doc_str() / doc_date() / doc_int() /
 * doc_bool() / doc_oid() would. */
struct stored {
	const char *space_type, *status, *start, *end;   /* NULL: absent or not a string */
	int64_t date;            /* 0 when absent */
	int64_t end_date;        /* when has_end */
	int64_t hold;            /* holdExpiresAt; INT64_MAX when absent */
	int64_t people;          /* numberOfPeople; 1 when absent */
	bool has_end, has_id, partial;
	bson_oid_t id;
};

enum { F_ID, F_TYPE, F_STATUS, F_START, F_END, F_DATE, F_END_DATE, F_HOLD, F_PEOPLE, F_PARTIAL, F_N };

static void stored_read(const bson_t *b, struct stored *s)
{
	static const char *const names[F_N] = {
		"_id", "spaceType", "status", "startTime", "endTime", "date", "endDate",
		"holdExpiresAt", "numberOfPeople", "isPartialPrivatization",
	};
	bool seen[F_N] = { false };
	int left = F_N;
	bson_iter_t it;

	memset(s, 0, sizeof *s);
	s->hold = INT64_MAX;
	s->people = 1;
	if (!bson_iter_init(&it, b))
		return;
	while (left > 0 && bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		int f = 0;
		while (f < F_N && (key[0] != names[f][0] || strcmp(key, names[f]) != 0))
			f++;
		if (f == F_N || seen[f])
			continue;
		seen[f] = true;
		left--;
		switch (f) {
		case F_ID:
			if ((s->has_id = BSON_ITER_HOLDS_OID(&it)))
				bson_oid_copy(bson_iter_oid(&it), &s->id);
			break;
		case F_TYPE: case F_STATUS: case F_START: case F_END:
			if (BSON_ITER_HOLDS_UTF8(&it)) {
				const char *v = bson_iter_utf8(&it, NULL);
				*(f == F_TYPE ? &s->space_type : f == F_STATUS ? &s->status
				  : f == F_START ? &s->start : &s->end) = v;
			}
			break;
		case F_DATE:
			if (BSON_ITER_HOLDS_DATE_TIME(&it))
				s->date = bson_iter_date_time(&it);
			break;
		case F_END_DATE:
			if ((s->has_end = BSON_ITER_HOLDS_DATE_TIME(&it)))
				s->end_date = bson_iter_date_time(&it);
			break;
		case F_HOLD:
			if (BSON_ITER_HOLDS_DATE_TIME(&it))
				s->hold = bson_iter_date_time(&it);
			break;
		case F_PEOPLE:
			if (BSON_ITER_HOLDS_NUMBER(&it))
				s->people = bson_iter_as_int64(&it);
			break;
		default:
			if (BSON_ITER_HOLDS_BOOL(&it))
				s->partial = bson_iter_bool(&it);
			break;
		}
	}
}

static bool stored_live(const struct stored *s, int64_t now)
{
	if (!s->status)
		return false;
	if (strcmp(s->status, "confirmed") == 0)
		return true;
	if (strcmp(s->status, "pending") != 0)
		return false;
	return s->hold > now;
}

/* The first and last days of a stored booking. */
static int64_t stored_first(const struct stored *s)
{
	return booking_day_of_ms(s->date);
}

static int64_t stored_last(const struct stored *s)
{
	return s->has_end ? booking_day_of_ms(s->end_date) : stored_first(s);
}

bool booking_is_live(const bson_t *b, int64_t now)
{
	struct stored s;

	stored_read(b, &s);
	return stored_live(&s, now);
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

/* The span of stored booking `s` on `day` (false when it has none). */
static bool stored_span(const struct stored *s, const struct booking_hours *h, int64_t day,
			int *start, int *end)
{
	struct booking_day bd;

	if (stored_first(s) == day && s->start && s->end && booking_parse_time(s->start, false, start) &&
	    booking_parse_time(s->end, true, end) && *end > *start)
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
	struct stored s;
	int64_t first, last;
	int n = 0;

	stored_read(b, &s);
	first = stored_first(&s);
	last = stored_last(&s);
	if (last - first >= BOOKING_MAX_SPANS)
		last = first + BOOKING_MAX_SPANS - 1;
	for (int64_t day = first; day <= last; day++) {
		int start, end;
		if (!stored_span(&s, h, day, &start, &end))
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

static void in_way_add(struct in_way *w, const struct stored *s, int64_t day, int start, int end)
{
	bson_oid_t id;

	if (start >= w->end || w->start >= end || !s->has_id)
		return;
	id = s->id;
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

typedef void (*day_booking_fn)(void *ctx, const struct stored *s, const char *space_type);

/* Runs `filter` on bookings and hands `fn` the live ones covering `day`
 * but `ignore`, with their current space type (legacy names read as
 * current ones, unknown ones skipped); with `earlier_start`, only those
 * that started before `day` (the ones starting on it are the other
 * read's). */
static bool day_read(store_t *st, const bson_t *filter, int64_t day, int64_t now,
		     const bson_oid_t *ignore, bool earlier_start, day_booking_fn fn, void *ctx,
		     store_error_t *err)
{
	/* whole documents: a projection costs the embedded store more than
	 * it saves (a third more work per answer, measured) */
	store_cursor_t *cur = store_find(st, "bookings", filter, NULL, err);
	const bson_t *b;
	bool failed;

	if (!cur)
		return false;
	while (store_cursor_next(cur, &b)) {
		struct stored s;
		const char *type;
		int64_t first, last;
		stored_read(b, &s);
		type = booking_space_type_current(s.space_type);
		first = stored_first(&s);
		last = stored_last(&s);
		if (!type || !stored_live(&s, now) || first > day || last < day ||
		    (earlier_start && first == day))
			continue;
		if (ignore && s.has_id && bson_oid_equal(&s.id, ignore))
			continue;
		fn(ctx, &s, type);
	}
	failed = store_cursor_error(cur, err);
	store_cursor_destroy(cur);
	return !failed;
}

/* Every live booking of `day` of the spaces `types` (current names,
 * NULL-terminated), in two indexed reads, the space types and statuses
 * sifted by the store: those starting that day ({spaceType, date,
 * status}: one key range per stored name and status), and the multi-day
 * ones that started before and still run ({spaceType, endDate}: a booking
 * spans at most BOOKING_MAX_SPANS days, so one running on `day` ends
 * within that many days, a bounded range whatever the history). A
 * multi-day booking starting on `day` matches both and is handed over
 * once. */
static bool day_bookings(store_t *st, int64_t day, int64_t now, const bson_oid_t *ignore,
			 const char *const *types, day_booking_fn fn, void *ctx, store_error_t *err)
{
	bson_t f1 = BSON_INITIALIZER, f2 = BSON_INITIALIZER, in, range;
	int n = 0;
	bool ok;

	BSON_APPEND_DATE_TIME(&f1, "date", booking_day_ms(day));
	BSON_APPEND_DOCUMENT_BEGIN(&f2, "endDate", &range);
	BSON_APPEND_DATE_TIME(&range, "$gte", booking_day_ms(day));
	BSON_APPEND_DATE_TIME(&range, "$lte", booking_day_ms(day + BOOKING_MAX_SPANS));
	bson_append_document_end(&f2, &range);
	for (int i = 0; i < 2; i++) {
		bson_t *f = i ? &f2 : &f1;
		n = booking_append_space_types_in(f, "spaceType", types);
		BSON_APPEND_DOCUMENT_BEGIN(f, "status", &range);
		BSON_APPEND_ARRAY_BEGIN(&range, "$in", &in);
		BSON_APPEND_UTF8(&in, "0", "confirmed");
		BSON_APPEND_UTF8(&in, "1", "pending");
		bson_append_array_end(&range, &in);
		bson_append_document_end(f, &range);
	}
	ok = n == 0 || (day_read(st, &f1, day, now, ignore, false, fn, ctx, err) &&
			day_read(st, &f2, day, now, ignore, true, fn, ctx, err));
	bson_destroy(&f1);
	bson_destroy(&f2);
	return ok;
}

struct occupancy_ctx {
	const char *space_type;
	const struct booking_hours *h;
	bool exclusive;
	struct booking_occupancy *o;
};

static void occupancy_add(void *ctx, const struct stored *s, const char *type)
{
	struct occupancy_ctx *c = ctx;
	int start, end;

	if (strcmp(type, c->space_type) == 0) {
		if (stored_span(s, c->h, c->o->day, &start, &end))
			mark(c->o->taken, NULL, start, end, c->exclusive ? 1 : (int)s->people);
	} else if (strcmp(type, "evenementiel") == 0) {
		/* a live privatisation blocks, pending or confirmed: it holds
		 * every space's claims from its creation (claims.h) */
		if (!s->partial && stored_span(s, c->h, c->o->day, &start, &end))
			mark(NULL, c->o->privatized, start, end, 0);
	}
}

bool booking_day_occupancy(store_t *st, const char *space_type, const struct booking_hours *h,
			   int64_t day, int64_t now, const bson_oid_t *ignore,
			   struct booking_occupancy *o, store_error_t *err)
{
	struct occupancy_ctx c = { .space_type = space_type, .h = h, .o = o,
				   .exclusive = strcmp(space_type, "open-space") != 0 };
	const char *types[] = { space_type, "evenementiel", NULL };

	memset(o, 0, sizeof *o);
	o->day = day;
	if (strcmp(space_type, "evenementiel") == 0)
		types[1] = NULL;
	return day_bookings(st, day, now, ignore, types, occupancy_add, &c, err);
}

bool booking_check_available(store_t *st, const struct booking_space *sp,
			     const struct booking_hours *h, const struct booking_request *rq,
			     int64_t now, struct err *e)
{
	return booking_check_available_except(st, sp, h, rq, now, NULL, e);
}

struct in_way_ctx {
	const char *own;
	const struct booking_hours *h;
	int64_t day;
	struct in_way *w;
};

static void in_way_each(void *ctx, const struct stored *s, const char *type)
{
	struct in_way_ctx *c = ctx;
	int start, end;

	if (strcmp(type, c->own) != 0 && stored_span(s, c->h, c->day, &start, &end))
		in_way_add(c->w, s, c->day, start, end);
}

/* The live bookings of every other space during `spans` (a
 * privatisation's way), counted in `w` (from its first span). */
static bool count_in_way(store_t *st, const char *own, const struct booking_hours *h,
			 const struct booking_span *spans, int n, int64_t now, const bson_oid_t *ignore,
			 struct in_way *w, store_error_t *err)
{
	static const char *const all[] = { "open-space", "salle-verriere", "salle-etage", "evenementiel" };
	struct in_way_ctx c = { .own = own, .h = h, .w = w };
	const char *types[sizeof all / sizeof *all + 1];
	size_t nt = 0;

	for (size_t k = 0; k < sizeof all / sizeof *all; k++)
		if (strcmp(all[k], own) != 0)
			types[nt++] = all[k];
	types[nt] = NULL;
	memset(w, 0, sizeof *w);
	for (int i = 0; i < n; i++) {
		w->start = spans[i].start_min;
		w->end = spans[i].end_min;
		c.day = spans[i].day;
		if (!day_bookings(st, spans[i].day, now, ignore, types, in_way_each, &c, err))
			return false;
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
