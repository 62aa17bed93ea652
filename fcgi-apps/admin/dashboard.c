/*
 * dashboard.c — the back office's home (SPEC §9 dashboard): the day at a
 * glance (arrivals with present / no-show, bookings to validate, unread
 * messages and contact mails, holds about to run out), then the figures
 * of common/booking/stats.h: revenue (admins only, in the page and in the
 * JSON alike), occupancy per space and day, bookings per day over 30 days
 * as an inline SVG chart.
 *
 * GET / (page) and GET /api/dashboard?from=YYYY-MM-DD&days=N (the
 * occupancy window, default today and 7 days) read the same data.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "account/role.h"
#include "booking/availability.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/stats.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/money.h"
#include "web/page.h"

#include <string.h>

#define ARRIVALS_MAX 50
#define PENDING_MAX 20
#define PENDING_SHOWN 8
#define HOLDS_SOON_MS (2LL * 3600 * 1000)
#define CHART_DAYS 30
#define CHART_BARS_HEIGHT "86%"   /* of .chart's CSS height; the day labels below */

static const char *const wd_short[] = { "lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim." };

static const char *space_label(const char *type)
{
	const char *cur = booking_space_type_current(type);

	if (!cur)
		return type ? type : "";
	if (strcmp(cur, "open-space") == 0)
		return "Open-space";
	if (strcmp(cur, "salle-verriere") == 0)
		return "Salle Verrière";
	if (strcmp(cur, "salle-etage") == 0)
		return "Salle de l’étage";
	return "Événementiel";
}

/* A booking line of the day's lists. */
static json_object *line_json(const bson_t *b, int64_t now)
{
	json_object *o = json_object_new_object();
	const char *start = doc_str(b, "startTime"), *end = doc_str(b, "endTime");
	const char *name = doc_str(b, "contactName");
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0)), hold = doc_date(b, "holdExpiresAt", 0);
	bson_oid_t id;
	char hex[25] = "", buf[96], d[11];
	int y, m, dd;

	if (doc_oid(b, "_id", &id))
		bson_oid_to_string(&id, hex);
	admin_set_str(o, "id", hex);
	(void)buf_fmt(buf, sizeof buf, "/booking/reservations/%s", hex);
	admin_set_str(o, "href", buf);
	admin_set_str(o, "number", doc_str(b, "confirmationNumber"));
	booking_format_date(day, d);
	admin_set_str(o, "date", d);
	booking_civil_from_days(day, &y, &m, &dd);
	(void)buf_fmt(buf, sizeof buf, "%s %d %s", wd_short[booking_weekday(day)], dd, booking_month_fr(m));
	admin_set_str(o, "day", buf);
	if (start && end)
		(void)buf_fmt(buf, sizeof buf, "%s–%s", start, end);
	else
		(void)buf_fmt(buf, sizeof buf, "Journée");
	admin_set_str(o, "time", buf);
	admin_set_str(o, "startTime", start);
	admin_set_str(o, "endTime", end);
	admin_set_str(o, "space", space_label(doc_str(b, "spaceType")));
	admin_set_str(o, "spaceType", doc_str(b, "spaceType"));
	admin_set_str(o, "name", name && *name ? name : "—");
	admin_set_str(o, "company", doc_str(b, "companyName"));
	admin_set_str(o, "status", doc_str(b, "status"));
	json_object_object_add(o, "people", json_object_new_int((int)doc_int(b, "numberOfPeople", 1)));
	if (hold) {
		int64_t hday;
		int minute;
		char t[6];
		booking_paris_local(hold, &hday, &minute);
		booking_format_time(minute, t);
		admin_set_str(o, "holdExpiresAt", t);
		json_object_object_add(o, "holdMinutesLeft",
				       json_object_new_int64(hold > now ? (hold - now) / 60000 : 0));
	}
	return o;
}

/* Runs `filter` sorted by `sort` (at most `limit`) into an array; *total
 * gets the count of all matches. */
static bool list(store_t *st, bson_t *filter, bson_t *sort, int64_t limit, int64_t now,
		 json_object **out, int64_t *total, store_error_t *se)
{
	store_find_opts_t opts = { .sort = sort, .limit = limit };
	store_cursor_t *cur;
	const bson_t *b;
	json_object *arr;
	bool failed;

	if (total && !store_count(st, "bookings", filter, total, se))
		return false;
	cur = store_find(st, "bookings", filter, &opts, se);
	if (!cur)
		return false;
	arr = json_object_new_array();
	while (store_cursor_next(cur, &b))
		json_object_array_add(arr, line_json(b, now));
	failed = store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	if (failed) {
		json_object_put(arr);
		return false;
	}
	*out = arr;
	return true;
}

/* The day's lists: arrivals, pending, holds running out. */
static bool today_lists(store_t *st, int64_t today, int64_t now, json_object *o, struct err *e)
{
	store_error_t se = { 0 };
	bson_t *f = NULL, *s = NULL;
	json_object *arr = NULL;
	int64_t total = 0;
	bool ok = false;

	f = BCON_NEW("status", BCON_UTF8("confirmed"), "date", BCON_DATE_TIME(booking_day_ms(today)));
	s = BCON_NEW("date", BCON_INT32(1), "startTime", BCON_INT32(1));
	if (!list(st, f, s, ARRIVALS_MAX, now, &arr, &total, &se))
		goto done;
	json_object_object_add(o, "arrivals", arr);
	json_object_object_add(o, "arrivalsCount", json_object_new_int64(total));
	bson_destroy(f);
	f = BCON_NEW("status", BCON_UTF8("pending"));
	if (!list(st, f, s, PENDING_MAX, now, &arr, &total, &se))
		goto done;
	json_object_object_add(o, "pending", arr);
	json_object_object_add(o, "pendingCount", json_object_new_int64(total));
	bson_destroy(f);
	bson_destroy(s);
	f = BCON_NEW("status", BCON_UTF8("pending"), "holdExpiresAt", "{", "$gt", BCON_DATE_TIME(now),
		     "$lte", BCON_DATE_TIME(now + HOLDS_SOON_MS), "}");
	s = BCON_NEW("holdExpiresAt", BCON_INT32(1));
	if (!list(st, f, s, PENDING_MAX, now, &arr, NULL, &se))
		goto done;
	json_object_object_add(o, "holdsExpiring", arr);
	ok = true;
done:
	if (f)
		bson_destroy(f);
	if (s)
		bson_destroy(s);
	return ok || store_fail(e, "dashboard: today", &se);
}

/* The dashboard's data; `money` for admins only. `from`/`days`: the
 * occupancy window. */
static bool dashboard_data(struct http_req *req, store_t *st, int64_t from, int days, bool money,
			   json_object **out, struct err *e)
{
	int64_t now = account_now_ms(), today, counts[CHART_DAYS];
	int minute;
	json_object *o = json_object_new_object(), *sub = NULL, *arr;
	char d[11];

	booking_paris_local(now, &today, &minute);
	if (from < 0)
		from = today;
	booking_format_date(today, d);
	admin_set_str(o, "today", d);
	if (!today_lists(st, today, now, o, e))
		goto fail;
	{
		int64_t unread[ADMIN_BADGES];
		if (!admin_badge_counts(req, st, unread, e))
			goto fail;
		json_object_object_add(o, "badges", admin_badges_json(unread));
	}
	if (money) {
		if (!stats_revenue_periods(st, today, &sub, e))
			goto fail;
		json_object_object_add(o, "revenue", sub);
	}
	if (!stats_occupancy(st, from, days, now, &sub, e))
		goto fail;
	json_object_object_add(o, "occupancy", sub);
	if (!stats_bookings_per_day(st, today - CHART_DAYS + 1, CHART_DAYS, counts, e))
		goto fail;
	arr = json_object_new_array();
	for (int i = 0; i < CHART_DAYS; i++) {
		json_object *p = json_object_new_object();
		booking_format_date(today - CHART_DAYS + 1 + i, d);
		admin_set_str(p, "date", d);
		json_object_object_add(p, "count", json_object_new_int64(counts[i]));
		json_object_array_add(arr, p);
	}
	json_object_object_add(o, "bookingsPerDay", arr);
	*out = o;
	return true;
fail:
	json_object_put(o);
	return false;
}

static bool read_window(struct http_req *req, int64_t *from, long *days)
{
	const char *f = http_query(req, "from");

	*from = -1;
	*days = 7;
	if (f && *f && !booking_parse_date(f, from)) {
		http_error_field(req, 400, "invalid_request", "from", "from is a date written YYYY-MM-DD.");
		return false;
	}
	return http_query_long(req, "days", 1, STATS_MAX_DAYS, days);
}

void admin_dashboard(struct http_req *req)
{
	store_t *st = http_store(req);
	json_object *o;
	int64_t from;
	long days;
	struct err e;

	if (!st || !read_window(req, &from, &days))
		return;
	if (!dashboard_data(req, st, from, (int)days, req->role >= ROLE_ADMIN, &o, &e)) {
		http_send_err(req, &e);
		return;
	}
	json_object_object_add(o, "role", json_object_new_string(
		account_role_slug(req->role) ? account_role_slug(req->role) : ""));
	http_send_json(req, 200, o);
}

/* ---- the page ------------------------------------------------------------- */

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Revenue tiles: the figure, the one before, the change in %. */
static json_object *revenue_tiles(json_object *revenue)
{
	json_object *tiles = json_object_new_array();
	char buf[64];

	for (size_t i = 0; revenue && i < json_object_array_length(revenue); i++) {
		json_object *p = json_object_array_get_idx(revenue, i), *t = json_object_new_object();
		json_object *pos = member(p, "pos");
		int64_t cur = json_object_get_int64(member(p, "cents"));
		int64_t prev = json_object_get_int64(member(p, "previousCents"));
		admin_set_str(t, "label", json_object_get_string(member(p, "label")));
		money_format(cur, 0, buf, sizeof buf);
		admin_set_str(t, "value", buf);
		money_format(prev, 0, buf, sizeof buf);
		admin_set_str(t, "previous", buf);
		if (prev > 0) {
			int64_t pct = ((cur - prev) * 1000 / prev + (cur >= prev ? 5 : -5)) / 10;
			(void)buf_fmt(buf, sizeof buf, "%s%lld %%", pct > 0 ? "+" : pct < 0 ? "−" : "",
				      (long long)(pct < 0 ? -pct : pct));
			admin_set_str(t, "change", buf);
			json_object_object_add(t, "down", json_object_new_boolean(pct < 0));
		}
		if (pos) {
			money_format(json_object_get_int64(member(pos, "ttc")), 0, buf, sizeof buf);
			admin_set_str(t, "pos", buf);
			money_format(json_object_get_int64(member(pos, "previousTtc")), 0, buf, sizeof buf);
			admin_set_str(t, "posPrevious", buf);
		}
		json_object_array_add(tiles, t);
	}
	return tiles;
}

/* The occupancy table: a row per space, a cell per day. */
static void occupancy_table(json_object *occ, json_object *data)
{
	json_object *head = json_object_new_array(), *rows = json_object_new_array();
	char buf[48];

	for (size_t i = 0; occ && i < json_object_array_length(occ); i++) {
		json_object *sp = json_object_array_get_idx(occ, i), *days = member(sp, "days");
		json_object *row = json_object_new_object(), *cells = json_object_new_array();
		admin_set_str(row, "name", json_object_get_string(member(sp, "name")));
		for (size_t k = 0; days && k < json_object_array_length(days); k++) {
			json_object *dd = json_object_array_get_idx(days, k), *c = json_object_new_object();
			json_object *pct = member(dd, "percent");
			if (i == 0) {
				int64_t day;
				int y, m, d;
				json_object *h = json_object_new_object();
				booking_parse_date(json_object_get_string(member(dd, "date")), &day);
				booking_civil_from_days(day, &y, &m, &d);
				(void)buf_fmt(buf, sizeof buf, "%s %d", wd_short[booking_weekday(day)], d);
				admin_set_str(h, "label", buf);
				json_object_array_add(head, h);
			}
			if (pct) {
				int64_t p = json_object_get_int64(pct);
				(void)buf_fmt(buf, sizeof buf, "%lld %%", (long long)p);
				admin_set_str(c, "value", buf);
				admin_set_str(c, "level", p >= 80 ? "occ-high" : p >= 40 ? "occ-mid" : "occ-low");
			} else {
				admin_set_str(c, "value", "fermé");
				admin_set_str(c, "level", "occ-closed");
			}
			json_object_array_add(cells, c);
		}
		json_object_object_add(row, "cells", cells);
		json_object_array_add(rows, row);
	}
	json_object_object_add(data, "occHead", head);
	json_object_object_add(data, "occRows", rows);
}

/* Bookings per day as an inline SVG bar chart (no script). The outer
 * <svg> has no viewBox: its user units are CSS pixels, so the day labels
 * (placed in percent of its width) keep their font's shape at any width.
 * Only the bars are drawn in a nested <svg> stretched to the width
 * (preserveAspectRatio="none"), which would squash any text inside it.
 * The outer one is the image: role="img" and its label say the figures. */
static void chart_svg(json_object *per_day, json_object *data)
{
	struct buf svg = { 0 };
	size_t n = per_day ? json_object_array_length(per_day) : 0;
	int64_t max = 1, total = 0;
	const int w = 600, h = 138, top = 12;   /* the bars' box; the labels' band is below it */
	double bw = n ? (double)w / (double)n : w;

	for (size_t i = 0; i < n; i++) {
		int64_t c = json_object_get_int64(member(json_object_array_get_idx(per_day, i), "count"));
		if (c > max)
			max = c;
		total += c;
	}
	buf_printf(&svg, "<svg class=\"chart\" role=\"img\" "
		   "aria-label=\"Réservations par jour sur %zu jours : %lld au total, %lld au plus un jour\">",
		   n, (long long)total, (long long)max);
	buf_printf(&svg, "<svg class=\"chart-bars\" width=\"100%%\" height=\"%s\" viewBox=\"0 0 %d %d\" "
		   "preserveAspectRatio=\"none\">", CHART_BARS_HEIGHT, w, h);
	buf_printf(&svg, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\" "
		   "vector-effect=\"non-scaling-stroke\"/>", h, w, h);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(per_day, i);
		int64_t c = json_object_get_int64(member(p, "count"));
		double bh = (double)(h - top) * (double)c / (double)max;
		const char *date = json_object_get_string(member(p, "date"));
		int64_t day;
		int y, m, d;
		char label[32] = "";
		/* "7 novembre", as people read a day (the data's ISO date otherwise) */
		if (date && booking_parse_date(date, &day)) {
			booking_civil_from_days(day, &y, &m, &d);
			(void)buf_fmt(label, sizeof label, "%d%s %s", d, d == 1 ? "er" : "", booking_month_fr(m));
		} else
			(void)buf_fmt(label, sizeof label, "%s", date ? date : "");
		buf_printf(&svg, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s : %lld</title></rect>",
			   (double)i * bw + 1, (double)h - bh, bw - 2, bh, label, (long long)c);
	}
	if (total > 0)   /* the busiest day's height, its figure said above the chart */
		buf_printf(&svg, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"chart-max\" "
			   "vector-effect=\"non-scaling-stroke\"/>", top, w, top);
	buf_str(&svg, "</svg>");
	for (size_t i = 0; i < n; i += 7) {   /* "7 nov." a week, none too near the right edge */
		const char *date = json_object_get_string(member(json_object_array_get_idx(per_day, i), "date"));
		int64_t day;
		int y, m, d;
		if (i + 3 >= n || !date || !booking_parse_date(date, &day))
			continue;
		booking_civil_from_days(day, &y, &m, &d);
		buf_printf(&svg, "<text x=\"%.2f%%\" y=\"100%%\" dy=\"-0.4em\">%d%s %s</text>",
			   100.0 * (double)i / (double)n, d, d == 1 ? "er" : "", booking_month_fr_short(m));
	}
	if (n)   /* the last bar is today's */
		buf_str(&svg, "<text x=\"100%\" y=\"100%\" dy=\"-0.4em\" text-anchor=\"end\">auj.</text>");
	buf_str(&svg, "</svg>");
	admin_set_str(data, "chartSvg", svg.data ? svg.data : "");
	json_object_object_add(data, "chartTotal", json_object_new_int64(total));
	if (total > 0)
		json_object_object_add(data, "chartMax", json_object_new_int64(max));
	buf_free(&svg);
}

void admin_home(struct http_req *req)
{
	store_t *st = http_store(req);
	json_object *data, *dash = NULL, *v;
	int64_t from, today;
	long days;
	int minute;
	struct err e;
	char buf[64];

	if (!st || !read_window(req, &from, &days))
		return;
	if (!dashboard_data(req, st, from, (int)days, req->role >= ROLE_ADMIN, &dash, &e)) {
		http_send_err(req, &e);
		return;
	}
	data = page_data(req, "Tableau de bord");
	booking_paris_local(account_now_ms(), &today, &minute);
	booking_format_day_fr(today, true, buf, sizeof buf);
	admin_set_str(data, "today", buf);
	static const char *const keep[] = { "arrivals", "arrivalsCount", "pending", "pendingCount",
		"holdsExpiring", "badges" };
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
		if ((v = member(dash, keep[i])))
			json_object_object_add(data, keep[i], json_object_get(v));
	static const struct { const char *list, *flag; } flags[] = {
		{ "arrivals", "hasArrivals" }, { "pending", "hasPending" }, { "holdsExpiring", "hasHolds" },
	};
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
		json_object_object_add(data, flags[i].flag, json_object_new_boolean(
			(v = member(dash, flags[i].list)) && json_object_array_length(v) > 0));
	if ((v = member(dash, "pending"))) {   /* the page shows the first few */
		json_object *shown = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v) && i < PENDING_SHOWN; i++)
			json_object_array_add(shown, json_object_get(json_object_array_get_idx(v, i)));
		json_object_object_add(data, "pendingShown", shown);
	}
	if ((v = member(dash, "revenue"))) {
		json_object_object_add(data, "revenueTiles", revenue_tiles(v));
		json_object_object_add(data, "hasRevenue", json_object_new_boolean(true));
	}
	occupancy_table(member(dash, "occupancy"), data);
	chart_svg(member(dash, "bookingsPerDay"), data);
	json_object_put(dash);
	page_section(data, "home");
	page_render(req, 200, "home.html", data);
}
