/*
 * payments.c — the money of the bookings for the admins (SPEC §7 Stripe,
 * issue 12 "Admin"): every `payments` document (one per money movement,
 * booking/money.h) as a list with filters, its CSV export, and a
 * booking's own history for its detail page.
 *
 *   GET /api/payments?from=&to=&kind=&status=&booking=&page=&limit=
 *       (admin) newest first, {payments, pagination}; limit at most 100;
 *       from/to are Paris days (YYYY-MM-DD) of the movement's creation,
 *       booking a number (CWC-…) or an id. `format=csv`: the same
 *       selection, every page, streamed (web/csv.h) and audited as
 *       payments.export.
 *   GET /booking/payments  the same as a page (admin), 50 a page.
 *
 * Money figures are the admins': staff see a booking's payment status on
 * its page, not amounts (the routes say ROLE_ADMIN).
 */
#include "admin.h"
#include "account/role.h"
#include "audit/api.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/jobs.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "core/template.h"
#include "web/csv.h"
#include "web/page.h"

#include <stdlib.h>
#include <string.h>

#define API_LIMIT_DEFAULT 25
#define API_LIMIT_MAX 100
#define PAGE_SIZE 50

static const struct { const char *value, *label; } kinds[] = {
	{ "hold", "Empreinte" }, { "setup", "Carte enregistrée" }, { "capture", "Encaissement" },
	{ "release", "Empreinte levée" }, { "refund", "Remboursement" },
};
static const struct { const char *value, *label; } pay_statuses[] = {
	{ "processing", "En cours" }, { "authorized", "Autorisée" }, { "captured", "Encaissée" },
	{ "succeeded", "Réussi" },
	{ "failed", "Échec" }, { "canceled", "Annulée" }, { "skipped", "Sans objet" },
	/* a card step not finished yet (Stripe's own words otherwise) */
	{ "requires_payment_method", "Carte à saisir" }, { "requires_action", "Authentification en cours" },
	{ "requires_confirmation", "À confirmer" }, { "requires_capture", "Autorisée" },
};

static const char *kind_label(const char *k)
{
	for (size_t i = 0; k && i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(kinds[i].value, k) == 0)
			return kinds[i].label;
	return k ? k : "";
}

static const char *status_label(const char *s)
{
	for (size_t i = 0; s && i < sizeof pay_statuses / sizeof *pay_statuses; i++)
		if (strcmp(pay_statuses[i].value, s) == 0)
			return pay_statuses[i].label;
	return s ? s : "";
}

/* "2026-12-06 14:05" in Paris time (the CSV: sorts as text), "" for 0. */
static void paris_when(int64_t ms, char *out, size_t n)
{
	int64_t day;
	int minute;
	char d[11], t[6];

	if (!ms) {
		out[0] = '\0';
		return;
	}
	booking_paris_local(ms, &day, &minute);
	booking_format_date(day, d);
	booking_format_time(minute, t);
	(void)buf_fmt(out, n, "%s %s", d, t);
}

/* Who moved the money: the staff member's e-mail, "Automatique" for the
 * jobs, "Client" for the customer's own card step. */
static void who(store_t *st, const bson_t *p, char *out, size_t n)
{
	bson_iter_t it;
	const char *kind = doc_str(p, "kind");

	if (bson_iter_init_find(&it, p, "by") && BSON_ITER_HOLDS_OID(&it)) {
		bson_t filter = BSON_INITIALIZER, u;
		store_error_t se = { 0 };
		bool found = false;
		BSON_APPEND_OID(&filter, "_id", bson_iter_oid(&it));
		(void)buf_fmt(out, n, "utilisateur");
		if (store_find_one(st, "users", &filter, NULL, &u, &found, &se)) {
			if (found && doc_str(&u, "email"))
				(void)buf_fmt(out, n, "%s", doc_str(&u, "email"));
			bson_destroy(&u);
		}
		bson_destroy(&filter);
		return;
	}
	if (doc_str(p, "by") && strcmp(doc_str(p, "by"), "system") == 0)
		(void)buf_fmt(out, n, "Automatique");
	else if ((doc_str(p, "by") && strcmp(doc_str(p, "by"), "customer") == 0) ||
		 (kind && (strcmp(kind, "hold") == 0 || strcmp(kind, "setup") == 0)))
		(void)buf_fmt(out, n, "Client");
	else
		(void)buf_fmt(out, n, "Automatique");
}

/* The booking's number and customer of a payment ("" when gone). */
static void booking_number(store_t *st, const bson_t *p, char *number, size_t n, char hex[25],
			   char *name, size_t namelen)
{
	bson_oid_t id;
	bson_t filter = BSON_INITIALIZER, proj = BSON_INITIALIZER, b;
	store_find_opts_t fo = { .projection = &proj };
	store_error_t se = { 0 };
	bool found = false;

	number[0] = hex[0] = name[0] = '\0';
	if (doc_oid(p, "booking", &id)) {
		bson_oid_to_string(&id, hex);
		BSON_APPEND_OID(&filter, "_id", &id);
		BSON_APPEND_INT32(&proj, "confirmationNumber", 1);
		BSON_APPEND_INT32(&proj, "contactName", 1);
		if (store_find_one(st, "bookings", &filter, &fo, &b, &found, &se)) {
			if (found && doc_str(&b, "confirmationNumber"))
				(void)buf_fmt(number, n, "%s", doc_str(&b, "confirmationNumber"));
			if (found && doc_str(&b, "contactName"))
				(void)buf_fmt(name, namelen, "%s", doc_str(&b, "contactName"));
			bson_destroy(&b);
		}
	}
	bson_destroy(&filter);
	bson_destroy(&proj);
}

json_object *admin_payment_json(store_t *st, const bson_t *p)
{
	json_object *o = json_object_new_object();
	char when[32], by[200], number[32], hex[25], money[40], name[600];
	int64_t amount = doc_int(p, "amount", 0);

	admin_set_str(o, "id", doc_str(p, "_id"));
	admin_set_str(o, "kind", doc_str(p, "kind"));
	admin_set_str(o, "kindLabel", kind_label(doc_str(p, "kind")));
	json_object_object_add(o, "amount", json_object_new_int64(amount));
	money_format(amount, 0, money, sizeof money);
	admin_set_str(o, "amountText", money);
	admin_set_str(o, "currency", doc_str(p, "currency") ? doc_str(p, "currency") : "eur");
	admin_set_str(o, "status", doc_str(p, "status"));
	admin_set_str(o, "statusLabel", status_label(doc_str(p, "status")));
	booking_number(st, p, number, sizeof number, hex, name, sizeof name);
	admin_set_str(o, "booking", hex);
	admin_set_str(o, "customer", name);
	admin_set_str(o, "bookingNumber", number);
	admin_set_str(o, "stripePaymentIntentId", doc_str(p, "stripePaymentIntentId"));
	admin_set_str(o, "stripeSetupIntentId", doc_str(p, "stripeSetupIntentId"));
	admin_set_str(o, "stripeChargeId", doc_str(p, "stripeChargeId"));
	admin_set_str(o, "stripeRefundId", doc_str(p, "stripeRefundId"));
	admin_set_str(o, "failureReason", doc_str(p, "failureReason"));
	doc_iso_time(doc_date(p, "createdAt", 0), when, sizeof when);
	admin_set_str(o, "createdAt", when);
	doc_iso_time(doc_date(p, "updatedAt", 0), when, sizeof when);
	admin_set_str(o, "updatedAt", when);
	admin_when(doc_date(p, "createdAt", 0), when, sizeof when);   /* 06/12/2026 14:05 */
	admin_set_str(o, "when", when);
	who(st, p, by, sizeof by);
	admin_set_str(o, "by", by);
	return o;
}

json_object *admin_payments_of_booking(store_t *st, const bson_oid_t *booking, store_error_t *se)
{
	bson_t filter = BSON_INITIALIZER, *sort = BCON_NEW("createdAt", BCON_INT32(1), "_id", BCON_INT32(1));
	store_find_opts_t fo = { .sort = sort };
	store_cursor_t *cur;
	const bson_t *d;
	json_object *arr = NULL;

	BSON_APPEND_OID(&filter, "booking", booking);
	cur = store_find(st, "payments", &filter, &fo, se);
	if (cur) {
		arr = json_object_new_array();
		while (store_cursor_next(cur, &d))
			json_object_array_add(arr, admin_payment_json(st, d));
		if (store_cursor_error(cur, se)) {
			json_object_put(arr);
			arr = NULL;
		}
		store_cursor_destroy(cur);
	}
	bson_destroy(&filter);
	bson_destroy(sort);
	return arr;
}

/* The list's filter from the query string; false with `e` (400). */
static bool payments_filter(struct http_req *req, store_t *st, bson_t *filter, struct err *e)
{
	const char *from = http_query(req, "from"), *to = http_query(req, "to");
	const char *kind = http_query(req, "kind"), *status = http_query(req, "status");
	const char *booking = http_query(req, "booking");
	int64_t dfrom = 0, dto = 0;

	if (kind && *kind) {
		bool known = false;
		for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
			known |= strcmp(kinds[i].value, kind) == 0;
		if (!known)
			return err_set(e, 400, "invalid_request", "kind",
				       "kind is one of hold, setup, capture, release, refund.");
		BSON_APPEND_UTF8(filter, "kind", kind);
	}
	if (status && *status) {
		bool known = false;
		for (size_t i = 0; i < sizeof pay_statuses / sizeof *pay_statuses; i++)
			known |= strcmp(pay_statuses[i].value, status) == 0;
		if (!known)
			return err_set(e, 400, "invalid_request", "status",
				       "status is one of processing, authorized, captured, succeeded, failed, canceled, skipped.");
		BSON_APPEND_UTF8(filter, "status", status);
	}
	if (from && *from && !booking_parse_date(from, &dfrom))
		return err_set(e, 400, "invalid_request", "from", "from is a date written YYYY-MM-DD.");
	if (to && *to && !booking_parse_date(to, &dto))
		return err_set(e, 400, "invalid_request", "to", "to is a date written YYYY-MM-DD.");
	if (dfrom && dto && dto < dfrom)
		return err_set(e, 400, "invalid_request", "to", "to comes on or after from.");
	if (dfrom || dto) {
		bson_t range;
		BSON_APPEND_DOCUMENT_BEGIN(filter, "createdAt", &range);
		if (dfrom)
			BSON_APPEND_DATE_TIME(&range, "$gte", booking_paris_to_utc(dfrom, 0));
		if (dto)
			BSON_APPEND_DATE_TIME(&range, "$lt", booking_paris_to_utc(dto + 1, 0));
		bson_append_document_end(filter, &range);
	}
	if (booking && *booking) {
		bson_t b;
		store_error_t se = { 0 };
		bool found = false;
		bson_oid_t id;
		if (strlen(booking) > 40)
			return err_set(e, 400, "invalid_request", "booking",
				       "booking is a booking number (CWC-…) or id.");
		if (!booking_find(st, booking, &b, &found, &se))
			return store_fail(e, "payments: booking", &se);
		if (!found || !doc_oid(&b, "_id", &id))   /* no such booking: an empty list */
			bson_oid_init_from_string(&id, "000000000000000000000000");
		BSON_APPEND_OID(filter, "booking", &id);
		bson_destroy(&b);
	}
	return true;
}

static bson_t *newest_first(void)
{
	return BCON_NEW("createdAt", BCON_INT32(-1), "_id", BCON_INT32(-1));
}

static void send_csv(struct http_req *req, store_t *st, const bson_t *filter)
{
	static const char *const head[] = {
		"Date", "Réservation", "Client", "Type", "Statut", "Montant (€)", "Devise", "PaymentIntent",
		"Charge", "Remboursement", "Par", "Motif d'échec", "Identifiant",
	};
	bson_t *sort = newest_first();
	store_find_opts_t fo = { .sort = sort };
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, "payments", filter, &fo, &se);
	const bson_t *d;
	struct csv c;
	long rows = 0;

	if (!cur) {
		bson_destroy(sort);
		http_send_store_fail(req, "payments: export", &se);
		return;
	}
	csv_begin(&c, req, "paiements.csv");
	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		csv_cell(&c, head[i]);
	csv_row_end(&c);
	while (store_cursor_next(cur, &d)) {
		char when[32], number[32], hex[25], by[200], name[600];
		paris_when(doc_date(d, "createdAt", 0), when, sizeof when);
		booking_number(st, d, number, sizeof number, hex, name, sizeof name);
		who(st, d, by, sizeof by);
		csv_cell(&c, when);
		csv_cell(&c, number);
		csv_cell(&c, name);
		csv_cell(&c, kind_label(doc_str(d, "kind")));
		csv_cell(&c, status_label(doc_str(d, "status")));
		csv_cents(&c, doc_int(d, "amount", 0));
		csv_cell(&c, doc_str(d, "currency"));
		csv_cell(&c, doc_str(d, "stripePaymentIntentId"));
		csv_cell(&c, doc_str(d, "stripeChargeId"));
		csv_cell(&c, doc_str(d, "stripeRefundId"));
		csv_cell(&c, by);
		csv_cell(&c, doc_str(d, "failureReason"));
		csv_cell(&c, doc_str(d, "_id"));
		csv_row_end(&c);
		rows++;
	}
	if (store_cursor_error(cur, &se))
		log_error("payments: export cut short: %s", se.message);
	store_cursor_destroy(cur);
	bson_destroy(sort);
	csv_end(&c);
	audit_export(req, "payments", rows);
}

static json_object *payment_row(const bson_t *doc, void *st)
{
	return admin_payment_json(st, doc);
}

void admin_payments_list(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *format = http_query(req, "format");
	long page = 1, limit = API_LIMIT_DEFAULT;
	bson_t filter = BSON_INITIALIZER, *sort = NULL;
	store_error_t se = { 0 };
	json_object *o;
	struct err e = { 0 };

	if (!st)
		goto done;
	if (format && *format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
		http_error_field(req, 400, "invalid_request", "format", "format is csv or json.");
		goto done;
	}
	if (!payments_filter(req, st, &filter, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	if (format && strcmp(format, "csv") == 0) {
		send_csv(req, st, &filter);
		goto done;
	}
	if (!http_query_long(req, "page", 1, 100000, &page) ||
	    !http_query_long(req, "limit", 1, API_LIMIT_MAX, &limit))
		goto done;
	sort = newest_first();
	o = admin_list_json(st, &(struct admin_list){ .collection = "payments", .per_page = limit, .sort = sort,
			    .row = payment_row, .ctx = st }, &filter, page, "payments", &se);
	if (!o)
		goto fail;
	http_add_header(req, "Cache-Control", "private, no-store");
	http_send_json(req, 200, o);
	goto done;
fail:
	http_send_store_fail(req, "payments: list", &se);
done:
	if (sort)
		bson_destroy(sort);
	bson_destroy(&filter);
}

/* ---- the page ------------------------------------------------------------------------ */

static json_object *options(const char *selected, bool statuses)
{
	json_object *a = json_object_new_array();
	size_t n = statuses ? sizeof pay_statuses / sizeof *pay_statuses : sizeof kinds / sizeof *kinds;

	for (size_t i = 0; i < n; i++) {
		const char *v = statuses ? pay_statuses[i].value : kinds[i].value;
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", v);
		admin_set_str(o, "label", statuses ? pay_statuses[i].label : kinds[i].label);
		json_object_object_add(o, "selected",
				       json_object_new_boolean(selected && strcmp(selected, v) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

void admin_page_payments(struct http_req *req)
{
	static const char *const keys[] = { "from", "to", "kind", "status", "booking", NULL };
	store_t *st = conn_store(NULL);
	const char *page_s = http_query(req, "page");
	long page = page_s ? strtol(page_s, NULL, 10) : 1;
	bson_t filter = BSON_INITIALIZER, *sort;
	const bson_t *passes[1] = { &filter };
	json_object *data;
	struct err e = { 0 };
	struct buf csv = { 0 };

	if (!st) {
		page_error(req, 503);
		goto done;
	}
	if (page < 1 || page > 100000)
		page = 1;
	data = page_data(req, "Paiements");
	page_section(data, "payments");
	admin_filter_form(req, data, "/booking/payments", (const struct admin_filter[]){
		{ .name = "booking", .id = "p-booking", .label = "Réservation",
		  .placeholder = "CWC-…", .maxlength = 40 },
		{ .name = "kind", .id = "p-kind", .label = "Type",
		  .options = options(http_query(req, "kind"), false), .all = "Tous" },
		{ .name = "status", .id = "p-status", .label = "Statut",
		  .options = options(http_query(req, "status"), true), .all = "Tous" },
		{ .name = "from", .id = "p-from", .label = "Du", .type = "date" },
		{ .name = "to", .id = "p-to", .label = "Au", .type = "date" } }, 5);
	buf_printf(&csv, "/api/payments?format=csv");
	for (int i = 0; keys[i]; i++) {
		const char *v = http_query(req, keys[i]);
		if (v && *v) {
			char *enc = tpl_url_encode(v);
			buf_printf(&csv, "&%s=%s", keys[i], enc);
			free(enc);
		}
	}
	admin_set_str(data, "csvHref", csv.data);
	if (!payments_filter(req, st, &filter, &e)) {
		json_object *a = json_object_new_object();
		admin_set_str(a, "kind", "error");
		admin_set_str(a, "message", strcmp(e.field, "booking") == 0 ? "Réservation inconnue."
				      : "Filtre invalide : les dates s’écrivent AAAA-MM-JJ, la fin après le début.");
		admin_set_str(a, "field", e.field);
		json_object_object_add(data, "alert", a);
		json_object_object_add(data, "rows", json_object_new_array());
		json_object_object_add(data, "total", json_object_new_int64(0));
		page_render(req, e.status >= 500 ? 503 : 400, "payments.html", data);
		goto done;
	}
	sort = newest_first();
	admin_list_render(req, admin_list(req, st, &(struct admin_list){ .collection = "payments", .keep = keys,
				.per_page = PAGE_SIZE, .sort = sort, .row = payment_row, .ctx = st },
				passes, 1, page, data, NULL), "payments.html", data);
	bson_destroy(sort);
done:
	buf_free(&csv);
	bson_destroy(&filter);
}
