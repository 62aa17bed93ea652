/*
 * booking_pages.c — the staff's booking screens (SPEC §9 bookings):
 * the list with its filters (a GET form), the agenda by day, week or
 * month, a booking's detail with its actions (plain POST forms that
 * come back to the detail), the cancel confirmation with the fee
 * preview, and the create form. Server-rendered, no script needed.
 *
 * The writes go through the same cores as the API (booking.c:
 * admin_booking_move, admin_booking_create_from), under the same audit
 * actions: the route table marks these POST routes ROUTE_AUDIT too.
 */
#include "admin.h"
#include "account/account.h"
#include "account/role.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/jobs.h"
#include "booking/status.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/money.h"
#include "core/template.h"
#include "core/text.h"
#include "assets.h"
#include "web/page.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 25
#define AGENDA_MAX 2000
#define REASON_MAX_CHARS 500

static const struct { const char *value, *label; } spaces[] = {
	{ "open-space", "Open-space" },
	{ "salle-verriere", "Salle Verrière" },
	{ "salle-etage", "Salle de l’étage" },
	{ "evenementiel", "Événementiel" },
};

static const char *const weekdays_short[] = { "lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim." };

static const char *space_label(const char *type)
{
	const char *cur = booking_space_type_current(type);

	for (size_t i = 0; cur && i < sizeof spaces / sizeof *spaces; i++)
		if (strcmp(spaces[i].value, cur) == 0)
			return spaces[i].label;
	return type ? type : "";
}

/* Where `status` is in booking_statuses (booking/status.h); an unknown
 * one is shown as pending (0). */
static size_t status_index(const char *status)
{
	for (size_t i = 0; status && booking_statuses[i]; i++)
		if (strcmp(booking_statuses[i], status) == 0)
			return i;
	return 0;
}

/* "mardi 12 janvier 2027" (or "mar. 12 janv." with `short_form`). */
static void french_date(int64_t day, bool short_form, char *out, size_t outlen)
{
	int y, m, d, wd = booking_weekday(day);

	booking_civil_from_days(day, &y, &m, &d);
	if (short_form)
		(void)buf_fmt(out, outlen, "%s %d %s", weekdays_short[wd], d, booking_month_fr_short(m));
	else
		booking_format_day_fr(day, false, out, outlen);
}

const char *admin_booking_space_label(const char *type)
{
	return space_label(type);
}

void admin_booking_day(int64_t day, char *out, size_t outlen)
{
	char d[40];
	int y, m, dd;

	french_date(day, true, d, sizeof d);
	booking_civil_from_days(day, &y, &m, &dd);
	(void)buf_fmt(out, outlen, "%s %d", d, y);
}

/* A booking as the screens show it. */
static json_object *row_json(const bson_t *b)
{
	json_object *o = json_object_new_object();
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0));
	const char *start = doc_str(b, "startTime"), *end = doc_str(b, "endTime");
	size_t si = status_index(doc_str(b, "status"));
	bson_oid_t id;
	char hex[25] = "", buf[96];

	if (doc_oid(b, "_id", &id))
		bson_oid_to_string(&id, hex);
	admin_set_str(o, "id", hex);
	(void)buf_fmt(buf, sizeof buf, "/booking/reservations/%s", hex);
	admin_set_str(o, "href", buf);
	admin_set_str(o, "number", doc_str(b, "confirmationNumber"));
	french_date(day, true, buf, sizeof buf);
	admin_set_str(o, "day", buf);
	french_date(day, false, buf, sizeof buf);
	admin_set_str(o, "dayLong", buf);
	booking_format_date(day, buf);
	admin_set_str(o, "date", buf);
	if (start && end)
		(void)buf_fmt(buf, sizeof buf, "%s–%s", start, end);
	else
		(void)buf_fmt(buf, sizeof buf, "%s", strcmp(doc_str(b, "reservationType") ? doc_str(b, "reservationType") : "", "daily") == 0
			      ? "Journée" : doc_str(b, "reservationType") ? doc_str(b, "reservationType") : "");
	admin_set_str(o, "time", buf);
	admin_set_str(o, "space", space_label(doc_str(b, "spaceType")));
	admin_set_str(o, "name", doc_str(b, "contactName") ? doc_str(b, "contactName") : "—");
	admin_set_str(o, "email", doc_str(b, "contactEmail"));
	admin_set_str(o, "phone", doc_str(b, "contactPhone"));
	admin_set_str(o, "company", doc_str(b, "companyName"));
	admin_set_str(o, "requests", doc_str(b, "specialRequests"));
	admin_set_str(o, "notes", doc_str(b, "notes"));
	admin_set_str(o, "cancelReason", doc_str(b, "cancelReason"));
	admin_set_str(o, "overrideReason", doc_str(b, "priceOverrideReason"));
	json_object_object_add(o, "people", json_object_new_int((int)doc_int(b, "numberOfPeople", 1)));
	money_format(booking_field_cents(b, "totalPrice"), 0, buf, sizeof buf);
	admin_set_str(o, "total", buf);
	admin_set_str(o, "status", booking_statuses[si]);
	admin_set_str(o, "statusLabel", booking_status_label(booking_statuses[si]));
	admin_set_str(o, "badge", booking_status_badge(booking_statuses[si]));
	json_object_object_add(o, "isPending", json_object_new_boolean(si == 0));
	json_object_object_add(o, "isConfirmed", json_object_new_boolean(si == 1));
	json_object_object_add(o, "isAdminBooking", json_object_new_boolean(doc_bool(b, "isAdminBooking", false)));
	json_object_object_add(o, "isGuest", json_object_new_boolean(!doc_oid(b, "user", &id)));
	return o;
}

static json_object *options(bool status_list, const char *selected)
{
	json_object *arr = json_object_new_array();
	size_t n = sizeof spaces / sizeof *spaces;

	for (size_t i = 0; status_list ? booking_statuses[i] != NULL : i < n; i++) {
		json_object *o = json_object_new_object();
		const char *v = status_list ? booking_statuses[i] : spaces[i].value;
		admin_set_str(o, "value", v);
		admin_set_str(o, "label", status_list ? booking_status_label(v) : spaces[i].label);
		json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, v) == 0));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void tabs(json_object *data, const char *current)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, current, json_object_new_boolean(true));
	json_object_object_add(data, "tab", t);
}

/* ---- the list ------------------------------------------------------------ */


static json_object *booking_row(const bson_t *doc, void *ctx)
{
	(void)ctx;
	return row_json(doc);
}

void admin_page_bookings(struct http_req *req)
{
	static const char *const keep[] = { "status", "spaceType", "from", "to", "q", NULL };
	store_t *st = admin_page_store(req);
	json_object *data;
	bson_t filter = BSON_INITIALIZER, *sort;
	const bson_t *passes[1] = { &filter };
	struct err e = { 0 };
	const char *page_s = http_query(req, "page");
	long page = page_s ? strtol(page_s, NULL, 10) : 1;

	if (!st)
		goto done;
	if (page < 1 || page > 100000)
		page = 1;
	data = page_data(req, "Réservations");
	page_section(data, "bookings");
	tabs(data, "list");
	admin_filter_form(req, data, "/booking/reservations", (const struct admin_filter[]){
		{ .name = "q", .id = "f-q", .label = "N°, nom ou e-mail", .type = "search" },
		{ .name = "status", .id = "f-status", .label = "Statut",
		  .options = options(true, http_query(req, "status")), .all = "Tous" },
		{ .name = "spaceType", .id = "f-space", .label = "Espace",
		  .options = options(false, http_query(req, "spaceType")), .all = "Tous" },
		{ .name = "from", .id = "f-from", .label = "Du", .type = "date" },
		{ .name = "to", .id = "f-to", .label = "Au", .type = "date" } }, 5);
	{	/* the CSV export with the same filters (booking_csv.c) */
		char href[1024];
		if (buf_fmt(href, sizeof href, "/api/booking/reservations?format=csv%s%s",
			    req->query && *req->query ? "&" : "", req->query ? req->query : ""))
			admin_set_str(data, "csvHref", href);
		else
			admin_set_str(data, "csvHref", "/api/booking/reservations?format=csv");
	}
	if (!admin_booking_filter(req, &filter, &e)) {
		json_object_object_add(data, "rows", json_object_new_array());
		admin_alert(data, "error", "Un filtre n’est pas valable : vérifiez les dates (AAAA-MM-JJ).");
		page_render(req, 400, "bookings.html", data);
		goto done;
	}
	sort = BCON_NEW("date", BCON_INT32(-1), "startTime", BCON_INT32(-1), "_id", BCON_INT32(-1));
	admin_list_render(req, admin_list(req, st, &(struct admin_list){ .collection = "bookings", .keep = keep,
				.per_page = PAGE_SIZE, .sort = sort, .row = booking_row }, passes, 1, page, data, NULL),
			  "bookings.html", data);
	bson_destroy(sort);
done:
	bson_destroy(&filter);
}

/* ---- the agenda ------------------------------------------------------------ */

void admin_page_agenda(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	const char *view = http_query(req, "view"), *date = http_query(req, "date");
	int64_t day, first, last, today, prev, next;
	int minute, y, m, d;
	json_object *data, *days, *byday[42] = { 0 };
	bson_t *filter = NULL, *sort = NULL;
	store_cursor_t *cur = NULL;
	store_error_t se = { 0 };
	const bson_t *doc;
	char buf[96], title[128];
	int ndays, count = 0;

	if (!st)
		return;
	if (!view || (strcmp(view, "week") != 0 && strcmp(view, "month") != 0))
		view = "day";
	booking_paris_local(account_now_ms(), &today, &minute);
	if (!date || !booking_parse_date(date, &day))
		day = today;
	booking_civil_from_days(day, &y, &m, &d);
	if (strcmp(view, "day") == 0) {
		first = last = day;
		prev = day - 1;
		next = day + 1;
		french_date(day, false, buf, sizeof buf);
		(void)buf_fmt(title, sizeof title, "Agenda du %s", buf);
	} else if (strcmp(view, "week") == 0) {
		first = day - booking_weekday(day);
		last = first + 6;
		prev = first - 7;
		next = first + 7;
		french_date(first, false, buf, sizeof buf);
		(void)buf_fmt(title, sizeof title, "Semaine du %s", buf);
	} else {
		int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
		first = booking_days_from_civil(y, m, 1);
		last = booking_days_from_civil(ny, nm, 1) - 1;
		prev = booking_days_from_civil(m == 1 ? y - 1 : y, m == 1 ? 12 : m - 1, 1);
		next = last + 1;
		(void)buf_fmt(title, sizeof title, "Agenda de %s %d", booking_month_fr(m), y);
	}
	ndays = (int)(last - first + 1);
	data = page_data(req, title);
	page_section(data, "bookings");
	tabs(data, "agenda");
	admin_set_str(data, "heading", title);
	{
		json_object *v = json_object_new_object();
		json_object_object_add(v, view, json_object_new_boolean(true));
		json_object_object_add(data, "view", v);
	}
	booking_format_date(day, buf);
	admin_set_str(data, "date", buf);
	{
		char href[96], iso[11];
		booking_format_date(prev, iso);
		(void)buf_fmt(href, sizeof href, "?view=%s&date=%s", view, iso);
		admin_set_str(data, "prevHref", href);
		booking_format_date(next, iso);
		(void)buf_fmt(href, sizeof href, "?view=%s&date=%s", view, iso);
		admin_set_str(data, "nextHref", href);
		booking_format_date(today, iso);
		(void)buf_fmt(href, sizeof href, "?view=%s&date=%s", view, iso);
		admin_set_str(data, "todayHref", href);
		booking_format_date(day, iso);
		(void)buf_fmt(href, sizeof href, "?view=day&date=%s", iso);
		admin_set_str(data, "dayHref", href);
		(void)buf_fmt(href, sizeof href, "?view=week&date=%s", iso);
		admin_set_str(data, "weekHref", href);
		(void)buf_fmt(href, sizeof href, "?view=month&date=%s", iso);
		admin_set_str(data, "monthHref", href);
	}
	days = json_object_new_array();
	for (int i = 0; i < ndays; i++) {
		json_object *o = json_object_new_object();
		char iso[11], href[64];
		french_date(first + i, strcmp(view, "month") == 0, buf, sizeof buf);
		admin_set_str(o, "label", buf);
		booking_format_date(first + i, iso);
		(void)buf_fmt(href, sizeof href, "?view=day&date=%s", iso);
		admin_set_str(o, "href", href);
		booking_civil_from_days(first + i, &y, &m, &d);
		json_object_object_add(o, "dayOfMonth", json_object_new_int(d));
		json_object_object_add(o, "isToday", json_object_new_boolean(first + i == today));
		json_object_object_add(o, "bookings", json_object_new_array());
		json_object_object_add(o, "count", json_object_new_int(0));
		json_object_object_add(o, "pending", json_object_new_int(0));
		json_object_array_add(days, o);
		byday[i] = o;
	}
	json_object_object_add(data, "days", days);
	/* live and past bookings of the period, not the cancelled ones */
	filter = BCON_NEW("date", "{", "$gte", BCON_DATE_TIME(booking_day_ms(first)),
			  "$lte", BCON_DATE_TIME(booking_day_ms(last)), "}",
			  "status", "{", "$in", "[", "pending", "confirmed", "completed", "no-show", "]", "}");
	sort = BCON_NEW("date", BCON_INT32(1), "startTime", BCON_INT32(1), "_id", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort, .limit = AGENDA_MAX };
	cur = store_find(st, "bookings", filter, &opts, &se);
	if (!cur)
		goto fail;
	while (store_cursor_next(cur, &doc)) {
		int64_t i = booking_day_of_ms(doc_date(doc, "date", 0)) - first;
		json_object *list, *n;
		if (i < 0 || i >= ndays)
			continue;
		json_object_object_get_ex(byday[i], "bookings", &list);
		json_object_array_add(list, row_json(doc));
		json_object_object_get_ex(byday[i], "count", &n);
		json_object_set_int(n, json_object_get_int(n) + 1);
		if (strcmp(doc_str(doc, "status") ? doc_str(doc, "status") : "", "pending") == 0) {
			json_object_object_get_ex(byday[i], "pending", &n);
			json_object_set_int(n, json_object_get_int(n) + 1);
		}
		count++;
	}
	if (store_cursor_error(cur, &se))
		goto fail;
	json_object_object_add(data, "total", json_object_new_int(count));
	if (strcmp(view, "month") == 0) {   /* weeks of 7 cells, Monday first */
		json_object *weeks = json_object_new_array(), *week = NULL;
		int lead = booking_weekday(first);
		for (int i = -lead; i < ndays || (i + lead) % 7; i++) {
			if ((i + lead) % 7 == 0) {
				week = json_object_new_array();
				json_object_array_add(weeks, week);
			}
			json_object_array_add(week, i >= 0 && i < ndays ? json_object_get(byday[i])
					       : json_object_new_object());
		}
		json_object_object_add(data, "weeks", weeks);
	}
	page_render(req, 200, "agenda.html", data);
	goto done;
fail:
	json_object_put(data);
	page_error(req, 503);
done:
	if (cur)
		store_cursor_destroy(cur);
	if (sort)
		bson_destroy(sort);
	if (filter)
		bson_destroy(filter);
}

/* ---- a booking -------------------------------------------------------------- */

/* The card of a booking: its payment status, Stripe ids, when its hold
 * lapses (with a warning when before the booking ends), the no-show fee
 * for the confirmation, and for admins the money history (payments). */
static json_object *money_json(struct http_req *req, store_t *st, const bson_t *b)
{
	json_object *m = json_object_new_object();
	const char *ps = doc_str(b, "paymentStatus");
	struct booking_settings s;
	store_error_t se = { 0 };
	struct err e = { 0 };
	int64_t lapses = 0;
	bson_oid_t id;
	char buf[64];

	admin_set_str(m, "status", ps ? ps : "unpaid");
	admin_set_str(m, "statusLabel", booking_payment_status_label(ps));
	if (doc_str(b, "stripePaymentIntentId"))
		admin_set_str(m, "paymentIntent", doc_str(b, "stripePaymentIntentId"));
	if (doc_str(b, "stripeSetupIntentId"))
		admin_set_str(m, "setupIntent", doc_str(b, "stripeSetupIntentId"));
	if (doc_str(b, "stripeCustomerId"))
		admin_set_str(m, "customer", doc_str(b, "stripeCustomerId"));
	if (booking_hold_lapses_at(st, b, &lapses, &e) && lapses) {
		int64_t day;
		int minute;
		char d[48], t[6];
		booking_paris_local(lapses, &day, &minute);
		booking_format_day_fr(day, true, d, sizeof d);
		booking_format_time(minute, t);
		(void)buf_fmt(buf, sizeof buf, "%s à %s", d, t);
		admin_set_str(m, "holdLapses", buf);
		json_object_object_add(m, "holdWarning",
				       json_object_new_boolean(lapses < booking_end_ms(st, b)));
	}
	if (booking_settings_load(st, &s, &se)) {
		money_format(booking_no_show_fee(b, &s), 0, buf, sizeof buf);
		admin_set_str(m, "noShowFee", buf);
	}
	if (req->role >= ROLE_ADMIN && doc_oid(b, "_id", &id)) {
		json_object *h = admin_payments_of_booking(st, &id, &se);
		if (h) {
			json_object_object_add(m, "hasHistory",
					       json_object_new_boolean(json_object_array_length(h) > 0));
			json_object_object_add(m, "history", h);
		}
		json_object_object_add(m, "isAdmin", json_object_new_boolean(true));
	}
	return m;
}

/* The detail page of `b`, with `done` (a success) or `e` (a refusal) told. */
static void render_detail(struct http_req *req, store_t *st, const bson_t *b, const char *done,
			  const struct err *e)
{
	json_object *data, *row = row_json(b);
	struct booking_settings s;
	struct booking_fees f;
	store_error_t se = { 0 };
	char title[160], buf[64];

	(void)buf_fmt(title, sizeof title, "Réservation %s",
		      doc_str(b, "confirmationNumber") ? doc_str(b, "confirmationNumber") : "");
	data = page_data(req, title);
	page_section(data, "bookings");
	admin_set_str(data, "heading", title);
	json_object_object_add(data, "booking", row);
	if (booking_settings_load(st, &s, &se)) {
		json_object *fo = json_object_new_object();
		booking_cancellation_fees(b, &s, account_now_ms(), &f);
		money_format(f.fee, 0, buf, sizeof buf);
		admin_set_str(fo, "fee", buf);
		money_format(f.hold, 0, buf, sizeof buf);
		admin_set_str(fo, "hold", buf);
		json_object_object_add(fo, "percentage", json_object_new_int(f.percentage));
		json_object_object_add(fo, "daysUntil", json_object_new_int(f.days_until));
		json_object_object_add(data, "fees", fo);
	}
	money_format(booking_field_cents(b, "cancellationFee"), 0, buf, sizeof buf);
	admin_set_str(row, "cancellationFee", buf);
	json_object_object_add(data, "money", money_json(req, st, b));
	if (doc_int(b, "suggestedPrice", -1) >= 0) {
		money_format(booking_field_cents(b, "suggestedPrice"), 0, buf, sizeof buf);
		admin_set_str(row, "suggested", buf);
	}
	json_object_object_add(data, "canWaive", json_object_new_boolean(req->role >= ROLE_ADMIN));
	if (e)
		admin_alert(data, "error", e->message);
	else if (done) {
		static const struct { const char *key, *text; } said[] = {
			{ "created", "La réservation est enregistrée." },
			{ "validate", "La réservation est confirmée." },
			{ "reject", "La réservation est refusée." },
			{ "cancel", "La réservation est annulée." },
			{ "mark-present", "Le client est noté présent." },
			{ "mark-noshow", "Le client est noté absent." },
		};
		for (size_t i = 0; i < sizeof said / sizeof *said; i++)
			if (strcmp(said[i].key, done) == 0)
				admin_alert(data, "success", said[i].text);
	}
	page_render(req, e ? (e->status >= 400 && e->status < 600 ? e->status : 422) : 200,
		    "booking.html", data);
}

/* The path's booking into `out`; otherwise the 404 page is sent. */
static bool page_load(struct http_req *req, store_t *st, bson_t *out)
{
	store_error_t se = { 0 };
	bool found = false;

	if (!booking_find(st, http_param(req, "id"), out, &found, &se)) {
		page_error(req, 503);
		return false;
	}
	if (!found) {
		bson_destroy(out);
		page_error(req, 404);
		return false;
	}
	return true;
}

void admin_page_booking(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	bson_t b;

	if (!st || !page_load(req, st, &b))
		return;
	render_detail(req, st, &b, http_query(req, "done"), NULL);
	bson_destroy(&b);
}

void admin_page_booking_cancel(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	json_object *data;
	struct booking_settings s;
	struct booking_fees f;
	store_error_t se = { 0 };
	char title[160], buf[64];
	bson_t b;

	if (!st || !page_load(req, st, &b))
		return;
	if (!booking_settings_load(st, &s, &se)) {
		bson_destroy(&b);
		page_error(req, 503);
		return;
	}
	booking_cancellation_fees(&b, &s, account_now_ms(), &f);
	(void)buf_fmt(title, sizeof title, "Annuler la réservation %s",
		      doc_str(&b, "confirmationNumber") ? doc_str(&b, "confirmationNumber") : "");
	data = page_data(req, title);
	page_section(data, "bookings");
	admin_set_str(data, "heading", title);
	json_object_object_add(data, "booking", row_json(&b));
	money_format(f.fee, 0, buf, sizeof buf);
	admin_set_str(data, "fee", buf);
	money_format(f.refund, 0, buf, sizeof buf);
	admin_set_str(data, "refund", buf);
	json_object_object_add(data, "percentage", json_object_new_int(f.percentage));
	json_object_object_add(data, "daysUntil", json_object_new_int(f.days_until));
	json_object_object_add(data, "canWaive", json_object_new_boolean(req->role >= ROLE_ADMIN));
	bson_destroy(&b);
	page_render(req, 200, "booking-cancel.html", data);
}

/* A POST form of the detail: the move, then back to the detail. */
static void form_move(struct http_req *req, const char *from, const char *to, const char *done)
{
	store_t *st = admin_page_store(req);
	const char *reason_in = http_form(req, "reason"), *waive = http_form(req, "waiveFee");
	char reason[4 * REASON_MAX_CHARS + 1] = "", location[128];
	struct err e = { 0 };
	bson_t after, b;

	if (!st)
		return;
	if (reason_in && !buf_fmt(reason, sizeof reason, "%s", reason_in))
		reason[0] = '\0';
	if (!admin_booking_move(req, st, from, to, reason, waive && strcmp(waive, "1") == 0, &after, &e)) {
		if (e.status == 404 || !page_load(req, st, &b)) {
			if (!req->finished)
				page_error(req, 404);
			return;
		}
		render_detail(req, st, &b, NULL, &e);
		bson_destroy(&b);
		return;
	}
	bson_destroy(&after);
	(void)buf_fmt(location, sizeof location, "/booking/reservations/%s?done=%s",
		      http_param(req, "id"), done);
	http_redirect(req, 303, location);
}

void admin_form_booking_validate(struct http_req *req)
{
	form_move(req, NULL, "confirmed", "validate");
}

void admin_form_booking_reject(struct http_req *req)
{
	form_move(req, "pending", "cancelled", "reject");
}

void admin_form_booking_cancel(struct http_req *req)
{
	form_move(req, NULL, "cancelled", "cancel");
}

void admin_form_booking_mark_present(struct http_req *req)
{
	form_move(req, NULL, "completed", "mark-present");
}

void admin_form_booking_mark_noshow(struct http_req *req)
{
	form_move(req, NULL, "no-show", "mark-noshow");
}

/* ---- creating ------------------------------------------------------------- */

static const char *const create_fields[] = {
	"spaceType", "reservationType", "date", "startTime", "endTime", "numberOfPeople", "customer",
	"contactName", "contactEmail", "contactPhone", "companyName", "specialRequests", "notes",
	"priceOverride", "priceOverrideReason", NULL,
};

/* The create form, with `e` said (may be NULL); the customer chooser
 * lists the search's matches when `search` (find=1). */
static void render_new(struct http_req *req, store_t *st, int status, const struct err *e, bool search)
{
	json_object *data = page_data(req, "Nouvelle réservation"), *v = json_object_new_object();
	json_object *err = json_object_new_object();
	const char *rtype = http_form(req, "reservationType");
	const char *chosen = req->method == HTTP_POST ? http_form(req, "customer") : http_query(req, "customer");
	static const struct { const char *value, *label; } rtypes[] = {
		{ "hourly", "À l’heure" }, { "daily", "À la journée" }, { "weekly", "À la semaine" },
		{ "monthly", "Au mois" },
	};
	json_object *ropts = json_object_new_array();
	int refused;

	page_section(data, "bookings");
	tabs(data, "new");
	page_set(data, "script", ASSET_CUSTOMER_PICK_JS);
	for (int i = 0; create_fields[i]; i++)
		admin_set_str(v, create_fields[i], http_form(req, create_fields[i]));
	admin_set_str(v, "customerQuery", http_form(req, "customerQuery"));
	if (!http_form(req, "startTime"))
		admin_set_str(v, "startTime", "10:00");
	if (!http_form(req, "endTime"))
		admin_set_str(v, "endTime", "12:00");
	if (!http_form(req, "numberOfPeople"))
		admin_set_str(v, "numberOfPeople", "1");
	json_object_object_add(data, "values", v);
	json_object_object_add(data, "spaceOptions", options(false, http_form(req, "spaceType")));
	for (size_t i = 0; i < sizeof rtypes / sizeof *rtypes; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", rtypes[i].value);
		admin_set_str(o, "label", rtypes[i].label);
		json_object_object_add(o, "selected", json_object_new_boolean(rtype && strcmp(rtype, rtypes[i].value) == 0));
		json_object_array_add(ropts, o);
	}
	json_object_object_add(data, "typeOptions", ropts);
	if (e) {
		admin_alert(data, "error", e->message);
		if (e->field[0])
			json_object_object_add(err, e->field, json_object_new_string(e->message));
	}
	refused = admin_customer_pick(st, data, err, chosen, http_form(req, "customerQuery"), search);
	if (!e && refused) {
		json_object *said = NULL;
		json_object_object_get_ex(err, "customer", &said);
		admin_alert(data, "error", json_object_get_string(said));
		if (status < 400)
			status = refused == 503 ? 503 : req->method == HTTP_POST ? 422 : 404;
	}
	json_object_object_add(data, "errors", err);
	page_render(req, status, "booking-new.html", data);
}

void admin_page_booking_new(struct http_req *req)
{
	store_t *st = admin_page_store(req);

	if (st)
		render_new(req, st, 200, NULL, false);
}

void admin_form_booking_create(struct http_req *req)
{
	store_t *st = admin_page_store(req);
	json_object *body = json_object_new_object();
	struct booking_request rq;
	struct booking_quote q;
	struct err e = { 0 };
	bson_t b;
	bson_oid_t id;
	char hex[25], location[96];

	if (!st)
		goto done;
	if (http_form(req, "find")) {   /* "Chercher": the same form, the matches listed, nothing written */
		render_new(req, st, 200, NULL, true);
		goto done;
	}
	for (int i = 0; create_fields[i]; i++) {
		const char *v = http_form(req, create_fields[i]);
		char *end;
		if (!v || !*v)
			continue;
		if (strcmp(create_fields[i], "numberOfPeople") == 0) {
			long n = strtol(v, &end, 10);
			json_object_object_add(body, create_fields[i], *end ? json_object_new_string(v)
					       : json_object_new_int64(n));
		} else if (strcmp(create_fields[i], "priceOverride") == 0) {
			char tmp[32];
			double d;
			(void)buf_fmt(tmp, sizeof tmp, "%s", v);
			for (char *p = tmp; *p; p++)
				if (*p == ',')
					*p = '.';
			d = strtod(tmp, &end);
			json_object_object_add(body, create_fields[i], *end || end == tmp ? json_object_new_string(v)
					       : json_object_new_double(d));
		} else {
			json_object_object_add(body, create_fields[i], json_object_new_string(v));
		}
	}
	if (!admin_booking_create_from(req, st, body, &b, &rq, &q, &e)) {
		/* the chooser's fields, said in the form's words */
		if (strcmp(e.field, "customer") == 0 && e.status == 422)
			(void)buf_fmt(e.message, sizeof e.message, "%s", admin_customer_pick_refused);
		else if (strcmp(e.field, "contactName") == 0 && text_blank(http_form(req, "contactName")))
			(void)buf_fmt(e.message, sizeof e.message, "%s",
				      "Le nom est obligatoire pour un client de passage : saisissez-le, ou choisissez un compte client.");
		/* the matches stay listed: the staff may have searched with the script */
		render_new(req, st, e.status >= 400 && e.status < 600 ? e.status : 422, &e,
			   !text_blank(http_form(req, "customerQuery")));
		goto done;
	}
	hex[0] = '\0';
	if (doc_oid(&b, "_id", &id))
		bson_oid_to_string(&id, hex);
	bson_destroy(&b);
	(void)buf_fmt(location, sizeof location, "/booking/reservations/%s?done=created", hex);
	http_redirect(req, 303, location);
done:
	json_object_put(body);
}
