/*
 * jobs.c — the bookings' daily jobs: reminders, attendance, daily report.
 * See booking/jobs.h.
 */
#include "booking/jobs.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/money.h"
#include "booking/notify.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "mail/mail.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define HOLD_ON_SESSION_MS (7 * DAY_MS)
#define HOLD_OFF_SESSION_MS (4 * DAY_MS + 18LL * 3600 * 1000)
#define REPORT_MAX 200      /* lines per section of the report */

struct docs {
	bson_t **v;
	size_t n;
};

static void docs_free(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		bson_destroy(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* Copies the documents of `coll` matching `filter` (sorted by `sort`, may be
 * NULL; at most `limit`, 0: all) into `out`. */
static bool docs_find(store_t *st, const char *coll, const bson_t *filter, const bson_t *sort,
		      int64_t limit, struct docs *out, struct err *e)
{
	store_find_opts_t fo = { .sort = sort, .limit = limit };
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, coll, filter, &fo, &se);
	const bson_t *d;

	if (!cur)
		return store_fail(e, "booking jobs: find", &se);
	while (store_cursor_next(cur, &d)) {
		bson_t **v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v)
			abort();
		out->v = v;
		out->v[out->n++] = bson_copy(d);
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		return store_fail(e, "booking jobs: read", &se);
	}
	store_cursor_destroy(cur);
	return true;
}

static void iso_day(int64_t day, char out[11])
{
	booking_format_date(day, out);
}

/* ---- once a day: jobruns claims ------------------------------------------------------ */

/* Claims "<job>/<day>"; *mine false when it exists (sent, or being sent). */
static bool day_claim(store_t *st, const char *job, int64_t day, int64_t now, char *id, size_t idlen,
		      bool *mine, struct err *e)
{
	bson_t doc = BSON_INITIALIZER;
	store_error_t se = { 0 };
	char d[11];
	bool ok;

	iso_day(day, d);
	(void)buf_fmt(id, idlen, "%s/%s", job, d);
	BSON_APPEND_UTF8(&doc, "_id", id);
	BSON_APPEND_UTF8(&doc, "job", job);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	ok = store_insert_one(st, BOOKING_JOBRUNS, &doc, NULL, &se);
	bson_destroy(&doc);
	*mine = ok;
	if (!ok && se.code != STORE_ERR_DUPLICATE_KEY)
		return store_fail(e, "booking jobs: claim the day", &se);
	return true;
}

static void day_forget(store_t *st, const char *id)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };

	BSON_APPEND_UTF8(&filter, "_id", id);
	if (!store_delete_one(st, BOOKING_JOBRUNS, &filter, NULL, &se))
		log_error("booking jobs: forget %s: %s", id, se.message);
	bson_destroy(&filter);
}

/* ---- shared wording ---------------------------------------------------------------------- */

static const char *str_or(const bson_t *b, const char *key, const char *def)
{
	const char *s = doc_str(b, key);
	return s && *s ? s : def;
}

/* One line of a list in a staff mail: number, who, where, when, people,
 * status, the admin page. */
static json_object *line_json(const bson_t *b)
{
	json_object *o = json_object_new_object();
	struct buf when = { 0 }, link = { 0 };
	char d[11], money[40];
	bson_oid_t id;

	iso_day(booking_day_of_ms(doc_date(b, "date", 0)), d);
	buf_str(&when, d);
	if (doc_str(b, "startTime") && doc_str(b, "endTime"))
		buf_printf(&when, " %s–%s", doc_str(b, "startTime"), doc_str(b, "endTime"));
	else if (doc_date(b, "endDate", 0)) {
		iso_day(booking_day_of_ms(doc_date(b, "endDate", 0)), d);
		buf_printf(&when, " → %s", d);
	}
	if (doc_oid(b, "_id", &id)) {
		char hex[25];
		bson_oid_to_string(&id, hex);
		buf_printf(&link, "%s/booking/reservations/%s", cfg ? cfg->admin_url : "", hex);
	}
	money_format(booking_field_cents(b, "totalPrice"), 0, money, sizeof money);
	json_object_object_add(o, "number", json_object_new_string(str_or(b, "confirmationNumber", "?")));
	json_object_object_add(o, "name", json_object_new_string(str_or(b, "contactName", "—")));
	json_object_object_add(o, "email", json_object_new_string(str_or(b, "contactEmail", "")));
	json_object_object_add(o, "space", json_object_new_string(str_or(b, "spaceType", "?")));
	json_object_object_add(o, "when", json_object_new_string(when.data ? when.data : ""));
	json_object_object_add(o, "people", json_object_new_int64(doc_int(b, "numberOfPeople", 1)));
	json_object_object_add(o, "status", json_object_new_string(str_or(b, "status", "")));
	json_object_object_add(o, "payment", json_object_new_string(str_or(b, "paymentStatus", "")));
	json_object_object_add(o, "total", json_object_new_string(money));
	json_object_object_add(o, "adminLink", json_object_new_string(link.data ? link.data : ""));
	buf_free(&when);
	buf_free(&link);
	return o;
}

static json_object *lines_json(const struct docs *d)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < d->n; i++)
		json_object_array_add(a, line_json(d->v[i]));
	return a;
}

static bool staff_mail(store_t *st, const char *tpl, const char *to, json_object *vars,
		       struct err *e)
{
	store_error_t se = { 0 };

	if (!mail_enqueue(st, tpl, to, vars, &se)) {
		log_error("booking jobs: mail %s to %s: %s", tpl, to, se.message);
		return err_set(e, 500, "mail_failed", NULL, "The mail %s could not be queued.", tpl);
	}
	return true;
}

/* ---- reminders -------------------------------------------------------------------------- */

bool booking_job_reminders(store_t *st, int64_t today, int64_t now,
			   struct booking_job_stats *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER, ex, sort = BSON_INITIALIZER;
	struct docs due = { 0 };
	bool ok;

	memset(out, 0, sizeof *out);
	BSON_APPEND_UTF8(&filter, "status", "confirmed");
	BSON_APPEND_DATE_TIME(&filter, "date", booking_day_ms(today + 1));
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "reminderSentAt", &ex);
	BSON_APPEND_BOOL(&ex, "$exists", false);
	bson_append_document_end(&filter, &ex);
	BSON_APPEND_INT32(&sort, "_id", 1);
	ok = docs_find(st, "bookings", &filter, &sort, 0, &due, e);
	bson_destroy(&filter);
	bson_destroy(&sort);
	for (size_t i = 0; ok && i < due.n; i++) {
		bson_t cas = BSON_INITIALIZER, update = BSON_INITIALIZER, set, after;
		store_fam_opts_t opts = { .return_new = true };
		store_error_t se = { 0 };
		bson_oid_t id;
		bool found = false;

		if (!doc_oid(due.v[i], "_id", &id))
			continue;
		BSON_APPEND_OID(&cas, "_id", &id);
		BSON_APPEND_UTF8(&cas, "status", "confirmed");
		BSON_APPEND_DOCUMENT_BEGIN(&cas, "reminderSentAt", &ex);
		BSON_APPEND_BOOL(&ex, "$exists", false);
		bson_append_document_end(&cas, &ex);
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
		BSON_APPEND_DATE_TIME(&set, "reminderSentAt", now);
		bson_append_document_end(&update, &set);
		ok = store_find_one_and_update(st, "bookings", &cas, &update, &opts, &after, &found, &se);
		bson_destroy(&cas);
		bson_destroy(&update);
		if (!ok) {
			store_fail(e, "reminders: mark", &se);
			break;
		}
		if (!found) {       /* another run has it, or it moved meanwhile */
			out->skipped++;
			bson_destroy(&after);
			continue;
		}
		if (booking_notify_reminder(st, &after, now)) {
			out->done++;
		} else {            /* give the mark back: the next run sends it */
			bson_t f = BSON_INITIALIZER, u = BSON_INITIALIZER, uns;
			BSON_APPEND_OID(&f, "_id", &id);
			BSON_APPEND_DATE_TIME(&f, "reminderSentAt", now);
			BSON_APPEND_DOCUMENT_BEGIN(&u, "$unset", &uns);
			BSON_APPEND_UTF8(&uns, "reminderSentAt", "");
			bson_append_document_end(&u, &uns);
			if (!store_update_one(st, "bookings", &f, &u, false, NULL, &se))
				log_error("reminders: unmark %s: %s", str_or(&after, "confirmationNumber", "?"),
					  se.message);
			bson_destroy(&f);
			bson_destroy(&u);
			out->failed++;
		}
		bson_destroy(&after);
	}
	docs_free(&due);
	return ok;
}

/* ---- attendance --------------------------------------------------------------------------- */

/* Yesterday's bookings in `status` (and, for no-show, marked by this job). */
static bool yesterday_in(store_t *st, int64_t today, const char *status, bool auto_only,
			 struct docs *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER;
	bool ok;

	BSON_APPEND_UTF8(&filter, "status", status);
	BSON_APPEND_DATE_TIME(&filter, "date", booking_day_ms(today - 1));
	if (auto_only)
		BSON_APPEND_UTF8(&filter, "cancelReason", BOOKING_AUTO_NO_SHOW_REASON);
	BSON_APPEND_INT32(&sort, "startTime", 1);
	ok = docs_find(st, "bookings", &filter, &sort, 0, out, e);
	bson_destroy(&filter);
	bson_destroy(&sort);
	return ok;
}

bool booking_job_attendance(store_t *st, int64_t today, int64_t now,
			    struct booking_job_stats *out, struct err *e)
{
	struct booking_settings s;
	struct booking_actor system = { .staff = true };
	struct docs open = { 0 }, marked = { 0 };
	store_error_t se = { 0 };
	json_object *vars = NULL;
	char claim[64], d[11];
	bool ok, mine = false;

	memset(out, 0, sizeof *out);
	if (!booking_settings_load(st, &s, &se))
		return store_fail(e, "attendance: settings", &se);
	ok = yesterday_in(st, today, "confirmed", false, &open, e);
	if (ok && s.auto_no_show) {
		for (size_t i = 0; i < open.n; i++) {
			bson_t after;
			struct err te = { 0 };
			if (booking_transition(st, open.v[i], "no-show", &system,
					       BOOKING_AUTO_NO_SHOW_REASON, now, &after, &te)) {
				bson_destroy(&after);
				out->done++;
			} else if (te.status == 422) {
				out->skipped++;      /* marked meanwhile (staff, another run) */
			} else {
				log_error("attendance: %s: %s", str_or(open.v[i], "confirmationNumber", "?"),
					  te.message);
				out->failed++;
			}
		}
		docs_free(&open);
		ok = yesterday_in(st, today, "confirmed", false, &open, e) &&
		     yesterday_in(st, today, "no-show", true, &marked, e);
	}
	{	/* captures that Stripe refused for now (paymentRetry): again */
		int done = 0, failed = 0;
		struct err me = { 0 };
		if (ok && cfg && cfg->stripe_secret_key && *cfg->stripe_secret_key &&
		    !booking_money_retry(st, now, &done, &failed, &me))
			log_error("attendance: card steps: %s", me.message);
	}
	out->listed = (int)(open.n + marked.n);
	if (!ok || out->listed == 0 || !s.notification_email[0])
		goto done;
	if (!(ok = day_claim(st, "attendance", today, now, claim, sizeof claim, &mine, e)) || !mine) {
		if (ok)
			out->skipped++;
		goto done;
	}
	iso_day(today - 1, d);
	vars = json_object_new_object();
	json_object_object_add(vars, "day", json_object_new_string(d));
	json_object_object_add(vars, "unmarked", lines_json(&open));
	json_object_object_add(vars, "marked", lines_json(&marked));
	json_object_object_add(vars, "count", json_object_new_int(out->listed));
	json_object_object_add(vars, "hasUnmarked", json_object_new_boolean(open.n > 0));
	json_object_object_add(vars, "hasMarked", json_object_new_boolean(marked.n > 0));
	json_object_object_add(vars, "autoNoShow", json_object_new_boolean(s.auto_no_show));
	if (!staff_mail(st, "booking_attendance", s.notification_email, vars, e)) {
		day_forget(st, claim);
		out->failed++;
		ok = false;
	}
done:
	json_object_put(vars);
	docs_free(&open);
	docs_free(&marked);
	return ok;
}

/* ---- the hold's lapse ---------------------------------------------------------------------- */

bool booking_hold_lapses_at(store_t *st, const bson_t *b, int64_t *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER;
	struct docs holds = { 0 };
	bson_oid_t id;
	bool ok;

	*out = 0;
	if (!doc_oid(b, "_id", &id) || !doc_str(b, "paymentStatus") ||
	    strcmp(doc_str(b, "paymentStatus"), "authorized") != 0) {
		bson_destroy(&filter);
		bson_destroy(&sort);
		return true;
	}
	BSON_APPEND_OID(&filter, "booking", &id);
	BSON_APPEND_UTF8(&filter, "kind", "hold");
	BSON_APPEND_UTF8(&filter, "status", "authorized");
	BSON_APPEND_INT32(&sort, "createdAt", -1);
	ok = docs_find(st, "payments", &filter, &sort, 1, &holds, e);
	if (ok && holds.n) {
		const char *pid = doc_str(holds.v[0], "_id");
		const char *cm = doc_str(b, "captureMethod");
		size_t n = pid ? strlen(pid) : 0;
		/* place-holds' hold (booking/<id>/hold of a deferred booking) is
		 * merchant-initiated; the customer's own lasts 7 days */
		bool off = cm && strcmp(cm, "deferred") == 0 && n > 5 && strcmp(pid + n - 5, "/hold") == 0;
		int64_t stripe_says = doc_date(b, "holdCaptureBefore", 0);
		/* Stripe's capture_before (money.c) when it gave one; the rule otherwise */
		*out = stripe_says > 0 ? stripe_says
		       : doc_date(holds.v[0], "createdAt", 0) + (off ? HOLD_OFF_SESSION_MS : HOLD_ON_SESSION_MS);
	}
	docs_free(&holds);
	bson_destroy(&filter);
	bson_destroy(&sort);
	return ok;
}

int64_t booking_end_ms(store_t *st, const bson_t *b)
{
	int64_t last = booking_day_of_ms(doc_date(b, "endDate", 0) ? doc_date(b, "endDate", 0)
							       : doc_date(b, "date", 0));
	const char *t = doc_str(b, "endTime");
	int minute = 20 * 60;

	if (!t || !booking_parse_time(t, true, &minute)) {
		struct booking_hours h;
		struct booking_day bd;
		store_error_t se = { 0 };
		minute = 20 * 60;
		if (booking_hours_load(st, &h, &se)) {
			booking_hours_day(&h, last, &bd);
			if (bd.open)
				minute = bd.close_min;
			booking_hours_free(&h);
		}
	}
	return booking_paris_to_utc(last, minute);
}

/* ---- daily report ------------------------------------------------------------------------- */

/* The bookings of `day` in one of `statuses` (the first REPORT_MAX);
 * *total how many in all. */
static bool day_bookings(store_t *st, int64_t day, const char *const *statuses, struct docs *out,
			 int64_t *total, struct err *e)
{
	store_error_t se = { 0 };
	bson_t filter = BSON_INITIALIZER, in, arr, sort = BSON_INITIALIZER;
	char key[8];
	bool ok;

	BSON_APPEND_DATE_TIME(&filter, "date", booking_day_ms(day));
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "status", &in);
	BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
	for (int i = 0; statuses[i]; i++) {
		(void)buf_fmt(key, sizeof key, "%d", i);
		BSON_APPEND_UTF8(&arr, key, statuses[i]);
	}
	bson_append_array_end(&in, &arr);
	bson_append_document_end(&filter, &in);
	BSON_APPEND_INT32(&sort, "startTime", 1);
	ok = docs_find(st, "bookings", &filter, &sort, REPORT_MAX, out, e);
	if (ok && !(ok = store_count(st, "bookings", &filter, total, &se)))
		store_fail(e, "daily-report: count", &se);
	bson_destroy(&filter);
	bson_destroy(&sort);
	return ok;
}

/* Pending bookings still alive (no deadline, or one ahead): the first
 * REPORT_MAX, *total how many in all. */
static bool pending_live(store_t *st, int64_t now, struct docs *out, int64_t *total, struct err *e)
{
	bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER;
	struct docs all = { 0 };
	bool ok;

	BSON_APPEND_UTF8(&filter, "status", "pending");
	BSON_APPEND_INT32(&sort, "date", 1);
	ok = docs_find(st, "bookings", &filter, &sort, 0, &all, e);
	*total = 0;
	for (size_t i = 0; ok && i < all.n; i++) {
		if (doc_date(all.v[i], "holdExpiresAt", INT64_MAX) <= now)
			continue;
		if ((*total)++ >= REPORT_MAX)
			continue;
		bson_t **v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v)
			abort();
		out->v = v;
		out->v[out->n++] = all.v[i];
		all.v[i] = bson_new();    /* moved: docs_free() frees the empty one */
	}
	docs_free(&all);
	bson_destroy(&filter);
	bson_destroy(&sort);
	return ok;
}

bool booking_job_daily_report(store_t *st, int64_t today, int64_t now,
			      struct booking_job_stats *out, struct err *e)
{
	static const char *const arriving[] = { "confirmed", "completed", "no-show", NULL };
	static const char *const coming[] = { "confirmed", "pending", NULL };
	struct booking_settings s;
	struct docs arrivals = { 0 }, tomorrow = { 0 }, pending = { 0 }, holds = { 0 }, moves = { 0 };
	store_error_t se = { 0 };
	json_object *vars = NULL, *lapsing, *money;
	int64_t captured = 0, refunded = 0, n_arrivals = 0, n_tomorrow = 0, n_pending = 0;
	int released = 0, n_captured = 0, n_refunded = 0, n_lapsing = 0;
	char claim[64], d[11], m[40];
	bool ok, mine = false;

	memset(out, 0, sizeof *out);
	if (!booking_settings_load(st, &s, &se))
		return store_fail(e, "daily-report: settings", &se);
	if (!s.notification_email[0]) {
		log_warn("daily-report: no notificationEmail in the booking settings: nothing sent");
		return true;
	}
	ok = day_bookings(st, today, arriving, &arrivals, &n_arrivals, e) &&
	     day_bookings(st, today + 1, coming, &tomorrow, &n_tomorrow, e) &&
	     pending_live(st, now, &pending, &n_pending, e);
	if (ok) {   /* holds lapsing within two days or before their booking ends */
		bson_t filter = BSON_INITIALIZER, in, arr;
		BSON_APPEND_UTF8(&filter, "paymentStatus", "authorized");
		BSON_APPEND_DOCUMENT_BEGIN(&filter, "status", &in);
		BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
		BSON_APPEND_UTF8(&arr, "0", "pending");
		BSON_APPEND_UTF8(&arr, "1", "confirmed");
		bson_append_array_end(&in, &arr);
		bson_append_document_end(&filter, &in);
		ok = docs_find(st, "bookings", &filter, NULL, 0, &holds, e);
		bson_destroy(&filter);
	}
	if (ok) {   /* the money that moved today (Paris day) */
		bson_t filter = BSON_INITIALIZER, range;
		BSON_APPEND_UTF8(&filter, "status", "succeeded");
		BSON_APPEND_DOCUMENT_BEGIN(&filter, "updatedAt", &range);
		BSON_APPEND_DATE_TIME(&range, "$gte", booking_paris_to_utc(today, 0));
		BSON_APPEND_DATE_TIME(&range, "$lt", booking_paris_to_utc(today + 1, 0));
		bson_append_document_end(&filter, &range);
		ok = docs_find(st, "payments", &filter, NULL, 0, &moves, e);
		bson_destroy(&filter);
	}
	if (!ok)
		goto done;
	lapsing = json_object_new_array();
	for (size_t i = 0; ok && i < holds.n; i++) {
		int64_t at = 0, end = booking_end_ms(st, holds.v[i]);
		if (!(ok = booking_hold_lapses_at(st, holds.v[i], &at, e)))
			break;
		if (!at || (at > now + 2 * DAY_MS && at >= end))
			continue;
		json_object *l = line_json(holds.v[i]);
		char iso[40];
		int64_t lday;
		int lmin;
		booking_paris_local(at, &lday, &lmin);
		iso_day(lday, d);
		(void)buf_fmt(iso, sizeof iso, "%s %02d:%02d", d, lmin / 60, lmin % 60);
		json_object_object_add(l, "lapsesAt", json_object_new_string(iso));
		json_object_object_add(l, "beforeEnd", json_object_new_boolean(at < end));
		n_lapsing++;
		if (json_object_array_length(lapsing) < REPORT_MAX)
			json_object_array_add(lapsing, l);
		else
			json_object_put(l);
	}
	if (!ok) {
		json_object_put(lapsing);
		goto done;
	}
	for (size_t i = 0; i < moves.n; i++) {
		const char *kind = str_or(moves.v[i], "kind", "");
		if (strcmp(kind, "capture") == 0) {
			captured += doc_int(moves.v[i], "amount", 0);
			n_captured++;
		} else if (strcmp(kind, "refund") == 0) {
			refunded += doc_int(moves.v[i], "amount", 0);
			n_refunded++;
		} else if (strcmp(kind, "release") == 0) {
			released++;
		}
	}
	vars = json_object_new_object();
	iso_day(today, d);
	json_object_object_add(vars, "day", json_object_new_string(d));
	json_object_object_add(vars, "arrivals", lines_json(&arrivals));
	json_object_object_add(vars, "arrivalsCount", json_object_new_int64(n_arrivals));
	json_object_object_add(vars, "tomorrow", lines_json(&tomorrow));
	json_object_object_add(vars, "tomorrowCount", json_object_new_int64(n_tomorrow));
	json_object_object_add(vars, "pending", lines_json(&pending));
	json_object_object_add(vars, "pendingCount", json_object_new_int64(n_pending));
	json_object_object_add(vars, "holdsLapsing", lapsing);
	json_object_object_add(vars, "holdsCount", json_object_new_int(n_lapsing));
	money = json_object_new_object();
	money_format(captured, 0, m, sizeof m);
	json_object_object_add(money, "captured", json_object_new_string(m));
	json_object_object_add(money, "capturedCount", json_object_new_int(n_captured));
	money_format(refunded, 0, m, sizeof m);
	json_object_object_add(money, "refunded", json_object_new_string(m));
	json_object_object_add(money, "refundedCount", json_object_new_int(n_refunded));
	json_object_object_add(money, "releasedCount", json_object_new_int(released));
	money_format(captured - refunded, 0, m, sizeof m);
	json_object_object_add(money, "net", json_object_new_string(m));
	json_object_object_add(vars, "money", money);
	{
		struct buf link = { 0 };
		buf_printf(&link, "%s/booking/reservations", cfg ? cfg->admin_url : "");
		json_object_object_add(vars, "adminLink", json_object_new_string(link.data));
		buf_free(&link);
	}
	if (!(ok = day_claim(st, "daily-report", today, now, claim, sizeof claim, &mine, e)) || !mine) {
		if (ok)
			out->skipped++;
		goto done;
	}
	if (staff_mail(st, "booking_daily_report", s.notification_email, vars, e)) {
		out->done++;
	} else {
		day_forget(st, claim);
		out->failed++;
		ok = false;
	}
done:
	json_object_put(vars);
	docs_free(&arrivals);
	docs_free(&tomorrow);
	docs_free(&pending);
	docs_free(&holds);
	docs_free(&moves);
	return ok;
}
