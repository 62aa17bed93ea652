/*
 * reservation.c — a booking's pages on the site: the guest's private link
 * (/reservation/:confirmationNumber?token=…), the customer's list and
 * detail (/dashboard/reservations[/:confirmationNumber]), and cancelling
 * from either with the fee shown first (templates/reservation.html,
 * reservations.html). Server-rendered forms, no JavaScript.
 *
 * Who may see a booking is the API's rule: its owner's session or its
 * guest token; anyone else gets the 404 page, as for a booking that does
 * not exist.
 */
#include "account/account.h"
#include "account/api.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/status.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "web/page.h"
#include "web/page_err.h"
#include "site.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 20
#define REASON_MAX_BYTES 2000

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* A stored amount in euros (number) as "12,50 €". */
static void add_euros(json_object *o, const char *key, const bson_t *b, const char *field)
{
	bson_iter_t it;
	char s[32];

	if (!bson_iter_init_find(&it, b, field)) {
		add_str(o, key, "");
		return;
	}
	money_format(booking_cents(&it), MONEY_SHORT, s, sizeof s);
	add_str(o, key, s);
}

static const char *space_name(const char *type)
{
	const char *t = booking_space_type_current(type);

	if (!t)
		return type ? type : "";
	if (strcmp(t, "open-space") == 0)
		return "Open-space";
	if (strcmp(t, "salle-verriere") == 0)
		return "Salle Verrière";
	if (strcmp(t, "salle-etage") == 0)
		return "Salle de l’Étage";
	if (strcmp(t, "evenementiel") == 0)
		return "Événementiel";
	return t;
}

/* What a booking's pages show of it, in French. */
static json_object *view_of(const bson_t *b, int64_t now)
{
	json_object *o = json_object_new_object(), *services = json_object_new_array();
	int64_t day = booking_day_of_ms(doc_date(b, "date", 0));
	const char *status = doc_str(b, "status"), *start = doc_str(b, "startTime"), *end = doc_str(b, "endTime");
	int64_t people = doc_int(b, "numberOfPeople", 1);
	int y, m, d;
	char s[160];
	bson_iter_t it, arr;

	booking_format_day_fr(day, false, s, sizeof s);
	add_str(o, "day", s);
	if (doc_date(b, "endDate", 0)) {
		int64_t eday = booking_day_of_ms(doc_date(b, "endDate", 0));
		booking_civil_from_days(eday, &y, &m, &d);
		(void)buf_fmt(s, sizeof s, "%d %s %d", d, booking_month_fr(m), y);
		add_str(o, "endDay", s);
	}
	if (start && end) {
		(void)buf_fmt(s, sizeof s, "%s – %s", start, end);
		add_str(o, "hours", s);
	}
	add_str(o, "number", doc_str(b, "confirmationNumber"));
	add_str(o, "space", space_name(doc_str(b, "spaceType")));
	(void)buf_fmt(s, sizeof s, "%lld personne%s", (long long)people, people > 1 ? "s" : "");
	add_str(o, "people", s);
	add_str(o, "status", status);
	add_str(o, "statusLabel", booking_status_label(status));
	add_str(o, "badge", booking_status_badge(status));
	json_object_object_add(o, "pending", json_object_new_boolean(status && strcmp(status, "pending") == 0));
	json_object_object_add(o, "confirmed", json_object_new_boolean(status && strcmp(status, "confirmed") == 0));
	json_object_object_add(o, "cancelled", json_object_new_boolean(status && strcmp(status, "cancelled") == 0));
	add_euros(o, "total", b, "totalPrice");
	add_euros(o, "fee", b, "cancellationFee");
	add_str(o, "contactName", doc_str(b, "contactName"));
	add_str(o, "contactEmail", doc_str(b, "contactEmail"));
	add_str(o, "contactPhone", doc_str(b, "contactPhone"));
	add_str(o, "companyName", doc_str(b, "companyName"));
	add_str(o, "specialRequests", doc_str(b, "specialRequests"));
	add_str(o, "cancelReason", doc_str(b, "cancelReason"));
	if (bson_iter_init_find(&it, b, "additionalServices") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr))
		while (bson_iter_next(&arr)) {
			bson_iter_t f;
			json_object *so = json_object_new_object();
			if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "name") &&
			    BSON_ITER_HOLDS_UTF8(&f))
				add_str(so, "name", bson_iter_utf8(&f, NULL));
			json_object_array_add(services, so);
		}
	json_object_object_add(o, "hasServices", json_object_new_boolean(json_object_array_length(services) > 0));
	json_object_object_add(o, "services", services);
	{
		/* started or past: a customer can no longer cancel */
		int start_min = 0;
		bool live = status && (strcmp(status, "pending") == 0 || strcmp(status, "confirmed") == 0);
		if (start)
			(void)booking_parse_time(start, false, &start_min);
		json_object_object_add(o, "cancellable",
				       json_object_new_boolean(live && booking_paris_to_utc(day, start_min) > now));
	}
	return o;
}

/* The booking of the path's :number the request may see; false when it
 * may not (the 404 page is sent) or on a store error (the error page).
 * `token` is the guest's, or NULL for the customer's own pages. */
static bool load(struct http_req *req, store_t *st, const char *token, bson_t *out)
{
	const struct auth_session *me = auth_session(req);
	store_error_t se = { 0 };
	bool found = false, ok = false;
	bson_oid_t owner;

	if (!booking_find(st, http_param(req, "number"), out, &found, &se)) {
		log_error("reservation page: %s", se.message);
		page_error(req, 503);
		return false;
	}
	if (found) {
		if (token)
			ok = booking_token_ok(out, token);
		else
			ok = me && doc_oid(out, "user", &owner) && bson_oid_equal(&owner, &me->user_id);
	}
	if (!ok) {
		if (found)
			bson_destroy(out);
		page_not_found(req);
	}
	return ok;
}

/* The detail page, with the fee a cancellation would cost now. */
static void render_detail(struct http_req *req, store_t *st, bson_t *b, const char *token, int status,
			  const char *notice, const char *error, bool card)
{
	json_object *data = page_data(req, "Votre réservation");
	json_object *v;
	struct booking_settings s;
	struct booking_fees fees;
	store_error_t se = { 0 };
	char money[32];
	struct buf action = { 0 };

	if (card) {   /* the card step (card.c), coming back to this very page */
		bool fresh = http_query(req, "new") != NULL;
		if (token)
			buf_printf(&action, "/reservation/%s?token=%s%s", doc_str(b, "confirmationNumber"), token,
				   fresh ? "&new=1" : "");
		else
			buf_printf(&action, "/dashboard/reservations/%s%s", doc_str(b, "confirmationNumber"),
				   fresh ? "?new=1" : "");
		site_card_step(req, st, b, action.data, data);
		buf_free(&action);
		json_object_object_add(data, "cardForm", json_object_new_boolean(
			json_object_object_get_ex(data, "cardStep", NULL) &&
			json_object_object_get_ex(json_object_object_get(data, "cardStep"), "form", NULL)));
	}
	v = view_of(b, account_now_ms());
	if (!booking_settings_load(st, &s, &se))
		booking_settings_defaults(&s);
	booking_cancellation_fees(b, &s, account_now_ms(), &fees);
	money_format(fees.fee, MONEY_SHORT, money, sizeof money);
	add_str(v, "feePreview", money);
	json_object_object_add(v, "feeFree", json_object_new_boolean(fees.fee == 0));
	json_object_object_add(v, "feePercent", json_object_new_int(fees.percentage));
	if (token) {
		buf_printf(&action, "/reservation/%s/cancel", doc_str(b, "confirmationNumber"));
		add_str(data, "token", token);
	} else {
		buf_printf(&action, "/dashboard/reservations/%s/cancel", doc_str(b, "confirmationNumber"));
		page_section(data, "reservations");
	}
	add_str(data, "cancelAction", action.data);
	buf_free(&action);
	json_object_object_add(data, "booking", v);
	json_object_object_add(data, "guest", json_object_new_boolean(token != NULL));
	json_object_object_add(data, "isNew", json_object_new_boolean(http_query(req, "new") != NULL));
	if (notice)
		add_str(data, "notice", notice);
	if (error)
		add_str(data, "error", error);
	http_add_header(req, "Cache-Control", "private, no-store");
	http_add_header(req, "Referrer-Policy", "no-referrer");   /* the token is in the URL */
	page_render(req, status, "reservation.html", data);
}

static void detail(struct http_req *req, const char *token)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	bson_t b;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (token && !*token) {
		page_not_found(req);
		return;
	}
	if (!load(req, st, token, &b))
		return;
	render_detail(req, st, &b, token, 200, NULL, NULL, true);
	bson_destroy(&b);
}

static void cancel(struct http_req *req, const char *token)
{
	const struct auth_session *me = auth_session(req);
	struct booking_actor actor = { .user = me && !token ? &me->user_id : NULL, .staff = false };
	const char *reason = http_form(req, "reason");
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	struct err e = { 0 };
	bson_t b, after;

	if (!st) {
		page_error(req, 503);
		return;
	}
	if (token && !*token) {
		page_not_found(req);
		return;
	}
	if (!load(req, st, token, &b))
		return;
	if (reason && (strlen(reason) > REASON_MAX_BYTES || !http_utf8_valid(reason, strlen(reason))))
		reason = NULL;
	if (!booking_transition(st, &b, "cancelled", &actor, reason && *reason ? reason : NULL, account_now_ms(),
				&after, &e)) {
		char buf[160];
		const char *msg = strcmp(e.code ? e.code : "", "invalid_transition") == 0
			? "Cette réservation ne peut plus être annulée."
			: page_err_text(&e, buf, sizeof buf);   /* French, by its code */
		render_detail(req, st, &b, token, e.status >= 500 ? 503 : 422, NULL, msg, false);
		bson_destroy(&b);
		return;
	}
	render_detail(req, st, &after, token, 200, "Votre réservation est annulée.", NULL, false);
	bson_destroy(&b);
	bson_destroy(&after);
}

void site_reservation_guest(struct http_req *req)
{
	detail(req, http_query(req, "token") ? http_query(req, "token") : "");
}

void site_reservation_guest_cancel(struct http_req *req)
{
	cancel(req, http_form(req, "token") ? http_form(req, "token") : "");
}

void site_reservation_mine(struct http_req *req)
{
	detail(req, NULL);
}

void site_reservation_mine_cancel(struct http_req *req)
{
	cancel(req, NULL);
}

void site_reservations(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	const char *page_s = http_query(req, "page");
	long page = 1;
	int64_t total = 0, now = account_now_ms();
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	bson_t filter = BSON_INITIALIZER, *sort;
	store_cursor_t *cur = NULL;
	const bson_t *doc;
	json_object *data, *list, *pages;

	if (page_s) {
		char *end;
		page = strtol(page_s, &end, 10);
		if (!*page_s || *end || page < 1 || page > 100000)
			page = 1;
	}
	BSON_APPEND_OID(&filter, "user", &me->user_id);
	if (!st || !store_count(st, "bookings", &filter, &total, &se)) {
		bson_destroy(&filter);
		page_error(req, 503);
		return;
	}
	sort = BCON_NEW("date", BCON_INT32(-1), "_id", BCON_INT32(-1));
	store_find_opts_t opts = { .sort = sort, .skip = (page - 1) * PAGE_SIZE, .limit = PAGE_SIZE };
	cur = store_find(st, "bookings", &filter, &opts, &se);
	bson_destroy(&filter);
	bson_destroy(sort);
	if (!cur) {
		page_error(req, 503);
		return;
	}
	data = page_data(req, "Mes réservations");
	list = json_object_new_array();
	while (store_cursor_next(cur, &doc)) {
		json_object *v = view_of(doc, now);
		struct buf url = { 0 };
		buf_printf(&url, "/dashboard/reservations/%s", doc_str(doc, "confirmationNumber"));
		add_str(v, "url", url.data);
		buf_free(&url);
		json_object_array_add(list, v);
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		json_object_put(data);
		json_object_put(list);
		page_error(req, 503);
		return;
	}
	store_cursor_destroy(cur);
	json_object_object_add(data, "hasBookings", json_object_new_boolean(json_object_array_length(list) > 0));
	json_object_object_add(data, "bookings", list);
	pages = json_object_new_array();
	for (long p = 1; total > PAGE_SIZE && p <= (total + PAGE_SIZE - 1) / PAGE_SIZE; p++) {
		json_object *po = json_object_new_object();
		json_object_object_add(po, "number", json_object_new_int64(p));
		json_object_object_add(po, "current", json_object_new_boolean(p == page));
		json_object_array_add(pages, po);
	}
	json_object_object_add(data, "hasPages", json_object_new_boolean(json_object_array_length(pages) > 0));
	json_object_object_add(data, "pages", pages);
	json_object_object_add(data, "total", json_object_new_int64(total));
	page_section(data, "reservations");
	http_add_header(req, "Cache-Control", "private, no-store");
	page_render(req, 200, "reservations.html", data);
}
