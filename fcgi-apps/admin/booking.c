/*
 * booking.c — the staff's bookings API (SPEC §7 Staff operations, the
 * admin list of §7): list and search, detail, create for a customer or a
 * walk-in, edit, validate, refuse, cancel (fee preview, waived by an
 * admin), present / no-show, the pending count.
 *
 * The rules are common/booking/'s (booking.h, staff.h); this file reads
 * input and shapes answers. Every write notes what it changed for the
 * audit log (audit/api.h); the route table says which action it is.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "account/role.h"
#include "audit/api.h"
#include "booking/api.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/staff.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_DEFAULT 25
#define LIST_LIMIT_MAX 100
#define NAME_MAX_CHARS 100
#define PHONE_MAX_CHARS 25
#define COMPANY_MAX_CHARS 200
#define TEXT_MAX_CHARS 1000
#define REASON_MAX_CHARS 500

static const char *const statuses[] = { "pending", "confirmed", "cancelled", "completed", "no-show", NULL };

/* The booking as the staff see it: everything but the guest token. */
json_object *admin_booking_json(const bson_t *b)
{
	json_object *o = booking_json(b);
	const char *notes = doc_str(b, "notes");

	if (notes)
		json_object_object_add(o, "notes", json_object_new_string(notes));
	return o;
}

static void note_change(struct http_req *req, const bson_t *before, const bson_t *after)
{
	bson_oid_t id;
	char hex[25] = "";

	if (doc_oid(after ? after : before, "_id", &id))
		bson_oid_to_string(&id, hex);
	audit_note(req, "bookings", hex, before, after);
}

/* The booking of the path's :id into `out` (initialised on success);
 * otherwise the 404 (or store error) is sent. */
static bool load_booking(struct http_req *req, store_t *st, bson_t *out)
{
	store_error_t se = { 0 };
	bool found = false;

	if (!booking_find(st, http_param(req, "id"), out, &found, &se)) {
		http_send_store_fail(req, "admin booking: find", &se);
		return false;
	}
	if (!found) {
		bson_destroy(out);
		http_error(req, 404, "not_found", "No such booking.");
		return false;
	}
	return true;
}

bool admin_booking_filter(struct http_req *req, bson_t *filter, struct err *e)
{
	const char *status = http_query(req, "status"), *space = http_query(req, "spaceType");
	const char *from = http_query(req, "from"), *to = http_query(req, "to");
	const char *customer = http_query(req, "customer"), *q = http_query(req, "q");
	int64_t dfrom = 0, dto = 0;
	bson_oid_t uid;

	if (status && *status) {
		bool known = false;
		for (int i = 0; statuses[i]; i++)
			known |= strcmp(statuses[i], status) == 0;
		if (!known)
			return err_set(e, 400, "invalid_request", "status",
				       "status is one of pending, confirmed, cancelled, completed, no-show.");
		BSON_APPEND_UTF8(filter, "status", status);
	}
	if (space && *space) {
		const char *cur = booking_space_type_current(space);
		if (!cur)
			return err_set(e, 400, "invalid_request", "spaceType",
				       "There is no such space.");
		BSON_APPEND_UTF8(filter, "spaceType", cur);
	}
	if (from && *from && !booking_parse_date(from, &dfrom))
		return err_set(e, 400, "invalid_request", "from",
			       "from is a date written YYYY-MM-DD.");
	if (to && *to && !booking_parse_date(to, &dto))
		return err_set(e, 400, "invalid_request", "to",
			       "to is a date written YYYY-MM-DD.");
	if (dfrom && dto && dto < dfrom)
		return err_set(e, 400, "invalid_request", "to",
			       "to comes on or after from.");
	if (dfrom || dto) {
		bson_t range;
		BSON_APPEND_DOCUMENT_BEGIN(filter, "date", &range);
		if (dfrom)
			BSON_APPEND_DATE_TIME(&range, "$gte", booking_day_ms(dfrom));
		if (dto)
			BSON_APPEND_DATE_TIME(&range, "$lte", booking_day_ms(dto));
		bson_append_document_end(filter, &range);
	}
	if (customer && *customer) {
		char email[ACCOUNT_EMAIL_MAX + 1];
		if (doc_parse_oid(customer, &uid))
			BSON_APPEND_OID(filter, "user", &uid);
		else if (account_email_normalise(customer, strlen(customer), email, sizeof email))
			BSON_APPEND_UTF8(filter, "contactEmail", email);
		else
			return err_set(e, 400, "invalid_request", "customer",
				       "customer is a user id or an e-mail address.");
	}
	if (q && *q) {
		bson_t or, a, b, c;
		char upper[64], email[ACCOUNT_EMAIL_MAX + 1];
		size_t i;
		for (i = 0; q[i] && i < sizeof upper - 1; i++)
			upper[i] = (char)(q[i] >= 'a' && q[i] <= 'z' ? q[i] - 32 : q[i]);
		upper[i] = '\0';
		BSON_APPEND_ARRAY_BEGIN(filter, "$or", &or);
		BSON_APPEND_DOCUMENT_BEGIN(&or, "0", &a);
		BSON_APPEND_UTF8(&a, "confirmationNumber", upper);
		bson_append_document_end(&or, &a);
		BSON_APPEND_DOCUMENT_BEGIN(&or, "1", &b);
		BSON_APPEND_UTF8(&b, "contactName", q);
		bson_append_document_end(&or, &b);
		BSON_APPEND_DOCUMENT_BEGIN(&or, "2", &c);
		BSON_APPEND_UTF8(&c, "contactEmail",
				 account_email_normalise(q, strlen(q), email, sizeof email) ? email : q);
		bson_append_document_end(&or, &c);
		bson_append_array_end(filter, &or);
	}
	return true;
}

static json_object *booking_json_row(const bson_t *doc, void *ctx)
{
	(void)ctx;
	return admin_booking_json(doc);
}

void admin_booking_list(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *sort_s = http_query(req, "sort");
	long page = 1, limit = LIST_LIMIT_DEFAULT;
	bson_t filter = BSON_INITIALIZER, *sort = NULL;
	store_error_t se = { 0 };
	int dir = -1;
	json_object *o;
	struct err e;

	if (!st)
		goto done;
	if (!http_query_long(req, "page", 1, 100000, &page) ||
	    !http_query_long(req, "limit", 1, LIST_LIMIT_MAX, &limit))
		goto done;
	if (!admin_booking_filter(req, &filter, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	if (sort_s && *sort_s) {
		if (strcmp(sort_s, "date") == 0)
			dir = 1;
		else if (strcmp(sort_s, "-date") != 0) {
			http_error_field(req, 400, "invalid_request", "sort", "sort is date or -date.");
			goto done;
		}
	}
	sort = BCON_NEW("date", BCON_INT32(dir), "startTime", BCON_INT32(dir), "_id", BCON_INT32(dir));
	{
		const char *format = http_query(req, "format");
		if (format && strcmp(format, "csv") == 0) {   /* booking_csv.c */
			if (!admin_booking_csv(req, st, &filter, sort, &se))
				goto fail;
			goto done;
		}
	}
	o = admin_list_json(st, &(struct admin_list){ .collection = "bookings", .per_page = limit, .sort = sort,
			    .row = booking_json_row }, &filter, page, "bookings", &se);
	if (!o)
		goto fail;
	http_send_json(req, 200, o);
	goto done;
fail:
	http_send_store_fail(req, "admin booking: list", &se);
done:
	if (sort)
		bson_destroy(sort);
	bson_destroy(&filter);
}

void admin_booking_get(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t b;
	json_object *o;

	if (!st || !load_booking(req, st, &b))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "booking", admin_booking_json(&b));
	bson_destroy(&b);
	http_add_header(req, "Cache-Control", "private, no-store");
	http_send_json(req, 200, o);
}

void admin_booking_pending_count(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };
	int64_t n = 0;
	json_object *o;

	if (!st)
		goto done;
	BSON_APPEND_UTF8(&filter, "status", "pending");
	if (!store_count(st, "bookings", &filter, &n, &se)) {
		http_send_store_fail(req, "admin booking: pending count", &se);
		goto done;
	}
	o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int64(n));
	http_send_json(req, 200, o);
done:
	bson_destroy(&filter);
}

/* An amount in euros (a JSON number, two decimals at most) in cents. */
static bool member_euros(json_object *body, const char *key, int64_t *cents, struct err *e)
{
	json_object *v = NULL;
	double d, c;

	*cents = BOOKING_NO_OVERRIDE;
	if (!json_object_object_get_ex(body, key, &v) || !v)
		return true;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return err_set(e, 400, "invalid_request", key, "%s is an amount in euros.", key);
	d = json_object_get_double(v);
	c = round(d * 100);
	if (!isfinite(d) || d < 0 || d > 1000000 || fabs(c - d * 100) > 1e-6)
		return err_set(e, 422, "validation_failed", key,
			       "%s is an amount in euros from 0, with two decimals at most.", key);
	*cents = (int64_t)c;
	return true;
}

void admin_booking_create(struct http_req *req)
{
	store_t *st = http_store(req);
	struct booking_quote q;
	struct booking_request rq;
	struct err e = { 0 };
	bson_t booking;
	json_object *o;

	if (!st)
		return;
	if (!admin_booking_create_from(req, st, req->json, &booking, &rq, &q, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "booking", admin_booking_json(&booking));
	json_object_object_add(o, "quote", booking_quote_json(&rq, &q));
	bson_destroy(&booking);
	http_send_json(req, 201, o);
}

bool admin_booking_customer(store_t *st, const char *hex, bson_t *out, bson_oid_t *id, struct err *e)
{
	store_error_t se = { 0 };
	bson_t filter = BSON_INITIALIZER;
	bool found = false, ok;
	int role = ROLE_PUBLIC;

	if (!doc_parse_oid(hex, id))
		return err_set(e, 422, "validation_failed", "customer", "customer is a customer's id.");
	BSON_APPEND_OID(&filter, "_id", id);
	ok = store_find_one(st, "users", &filter, NULL, out, &found, &se);
	bson_destroy(&filter);
	if (!ok)
		return store_fail(e, "admin booking: customer", &se);
	if (found && !account_is_deleted(out) && !doc_bool(out, "isDeleted", false) &&
	    !account_user_role(st, out, &role, &se)) {
		bson_destroy(out);
		return store_fail(e, "admin booking: customer role", &se);
	}
	if (!found || account_is_deleted(out) || doc_bool(out, "isDeleted", false) || role != ROLE_CLIENT) {
		if (found)
			bson_destroy(out);
		return err_set(e, 422, "validation_failed", "customer", "There is no such customer.");
	}
	return true;
}

bool admin_booking_create_from(struct http_req *req, store_t *st, json_object *body, bson_t *out,
			       struct booking_request *rq_out, struct booking_quote *q_out,
			       struct err *e_out)
{
	const struct auth_session *me = auth_session(req);
	struct booking_new nb;
	struct booking_quote q;
	struct booking_staff_extra x = { .by = me ? &me->user_id : NULL };
	struct err e = { 0 };
	char name[4 * NAME_MAX_CHARS + 1], phone[4 * PHONE_MAX_CHARS + 1], company[4 * COMPANY_MAX_CHARS + 1];
	char requests[4 * TEXT_MAX_CHARS + 1], notes[4 * TEXT_MAX_CHARS + 1], reason[4 * REASON_MAX_CHARS + 1];
	char email_in[4 * ACCOUNT_EMAIL_MAX + 1], email[ACCOUNT_EMAIL_MAX + 1] = "";
	char customer[4 * 24 + 1], token[BOOKING_TOKEN_HEX + 1];
	bson_oid_t uid;
	bson_t user, created, booking;
	bool have_user = false, ok = false;

	memset(&nb, 0, sizeof nb);
	if (!booking_api_read_request(body, &nb.rq, &e) ||
	    !booking_api_read_text(body, "customer", false, 24, customer, sizeof customer, &e) ||
	    !booking_api_read_text(body, "contactName", false, NAME_MAX_CHARS, name, sizeof name, &e) ||
	    !booking_api_read_text(body, "contactEmail", false, ACCOUNT_EMAIL_MAX, email_in, sizeof email_in, &e) ||
	    !booking_api_read_text(body, "contactPhone", false, PHONE_MAX_CHARS, phone, sizeof phone, &e) ||
	    !booking_api_read_text(body, "companyName", false, COMPANY_MAX_CHARS, company, sizeof company, &e) ||
	    !booking_api_read_text(body, "specialRequests", false, TEXT_MAX_CHARS, requests, sizeof requests, &e) ||
	    !booking_api_read_text(body, "notes", false, TEXT_MAX_CHARS, notes, sizeof notes, &e) ||
	    !member_euros(body, "priceOverride", &x.override_cents, &e) ||
	    !booking_api_read_text(body, "priceOverrideReason", false, REASON_MAX_CHARS, reason, sizeof reason, &e))
		goto fail;
	x.notes = notes;
	x.override_reason = reason;
	if (!booking_staff_extra_ok(&x, &e))
		goto fail;
	/* a space on quote (the événementiel) is booked by the staff at the
	 * price agreed with the customer: their override, with its reason */
	nb.rq.quote_agreed = x.override_cents != BOOKING_NO_OVERRIDE;
	if (email_in[0] && !account_email_normalise(email_in, strlen(email_in), email, sizeof email)) {
		err_set(&e, 422, "validation_failed", "contactEmail", "contactEmail is not an email address.");
		goto fail;
	}
	if (customer[0]) {   /* a customer's account: its details unless given */
		if (!admin_booking_customer(st, customer, &user, &uid, &e))
			goto fail;
		have_user = true;
		nb.user = &uid;
		if (!name[0] && doc_str(&user, "givenName"))
			(void)buf_fmt(name, sizeof name, "%s", doc_str(&user, "givenName"));
		if (!email[0] && doc_str(&user, "email"))
			(void)buf_fmt(email, sizeof email, "%s", doc_str(&user, "email"));
		if (!phone[0] && doc_str(&user, "phone"))
			(void)buf_fmt(phone, sizeof phone, "%s", doc_str(&user, "phone"));
	} else if (!name[0]) {   /* a walk-in: a name at least */
		err_set(&e, 400, "invalid_request", "contactName",
			"contactName is required for a walk-in (or give customer).");
		goto fail;
	}
	nb.contact = (struct booking_contact){ name, email, phone, company };
	nb.special_requests = requests;
	/* staff bookings hold no card: they wait for validation as they are */
	if (!booking_create(st, &nb, account_now_ms(), &created, &q, token, &e))
		goto fail;
	if (!booking_staff_adopt(st, &created, &x, account_now_ms(), &booking, &e)) {
		/* stored but not marked: keep it on record as it is */
		note_change(req, NULL, &created);
		bson_destroy(&created);
		goto fail;
	}
	bson_destroy(&created);
	note_change(req, NULL, &booking);
	bson_steal(out, &booking);
	*rq_out = nb.rq;
	*q_out = q;
	ok = true;
fail:
	if (have_user)
		bson_destroy(&user);
	if (!ok)
		*e_out = e;
	return ok;
}

/* A text member of the edit: NULL when absent, "" to remove. */
static bool edit_text(struct http_req *req, const char *key, size_t max_chars, char *buf, size_t len,
		      const char **out, struct err *e)
{
	*out = NULL;
	if (!json_object_object_get_ex(req->json, key, NULL))
		return true;
	if (!booking_api_read_text(req->json, key, false, max_chars, buf, len, e))
		return false;
	*out = buf;
	return true;
}

/* The schedule of a stored booking as the members of a booking request
 * (booking_api_read_request()). Caller puts it. */
static json_object *request_of(const bson_t *b)
{
	json_object *o = json_object_new_object(), *services = json_object_new_array();
	const char *keys[] = { "spaceType", "reservationType", "startTime", "endTime" };
	char d[11], hex[25];
	bson_iter_t it, arr;

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (doc_str(b, keys[i]))
			json_object_object_add(o, keys[i], json_object_new_string(doc_str(b, keys[i])));
	booking_format_date(booking_day_of_ms(doc_date(b, "date", 0)), d);
	json_object_object_add(o, "date", json_object_new_string(d));
	json_object_object_add(o, "numberOfPeople", json_object_new_int((int)doc_int(b, "numberOfPeople", 1)));
	if (bson_iter_init_find(&it, b, "additionalServices") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr)) {
		while (bson_iter_next(&arr)) {
			bson_iter_t f;
			bson_oid_t sid;
			json_object *line;
			if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &f) ||
			    !bson_iter_find(&f, "service") || !BSON_ITER_HOLDS_OID(&f))
				continue;
			bson_oid_copy(bson_iter_oid(&f), &sid);
			bson_oid_to_string(&sid, hex);
			line = json_object_new_object();
			json_object_object_add(line, "service", json_object_new_string(hex));
			if (bson_iter_recurse(&arr, &f) && bson_iter_find(&f, "quantity") && BSON_ITER_HOLDS_NUMBER(&f))
				json_object_object_add(line, "quantity", json_object_new_int((int)bson_iter_as_int64(&f)));
			json_object_array_add(services, line);
		}
	}
	json_object_object_add(o, "services", services);
	return o;
}

void admin_booking_edit(struct http_req *req)
{
	static const char *const schedule[] = { "spaceType", "reservationType", "date", "startTime",
						"endTime", "numberOfPeople", "services", NULL };
	store_t *st = http_store(req);
	struct booking_edit ed;
	struct err e = { 0 };
	char name[4 * NAME_MAX_CHARS + 1], phone[4 * PHONE_MAX_CHARS + 1], company[4 * COMPANY_MAX_CHARS + 1];
	char requests[4 * TEXT_MAX_CHARS + 1], notes[4 * TEXT_MAX_CHARS + 1];
	char email_in[4 * ACCOUNT_EMAIL_MAX + 1], email[ACCOUNT_EMAIL_MAX + 1];
	bson_t b, after, moved;
	bool moving = false;
	json_object *o;

	if (!st)
		return;
	memset(&ed, 0, sizeof ed);
	for (int i = 0; schedule[i]; i++)
		moving |= json_object_object_get_ex(req->json, schedule[i], NULL);
	if (!edit_text(req, "contactName", NAME_MAX_CHARS, name, sizeof name, &ed.contact_name, &e) ||
	    !edit_text(req, "contactEmail", ACCOUNT_EMAIL_MAX, email_in, sizeof email_in, &ed.contact_email, &e) ||
	    !edit_text(req, "contactPhone", PHONE_MAX_CHARS, phone, sizeof phone, &ed.contact_phone, &e) ||
	    !edit_text(req, "companyName", COMPANY_MAX_CHARS, company, sizeof company, &ed.company, &e) ||
	    !edit_text(req, "specialRequests", TEXT_MAX_CHARS, requests, sizeof requests, &ed.special_requests, &e) ||
	    !edit_text(req, "notes", TEXT_MAX_CHARS, notes, sizeof notes, &ed.notes, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (ed.contact_email && *ed.contact_email) {
		if (!account_email_normalise(email_in, strlen(email_in), email, sizeof email)) {
			http_error_field(req, 422, "validation_failed", "contactEmail",
					 "contactEmail is not an email address.");
			return;
		}
		ed.contact_email = email;
	}
	if (ed.contact_name && !*ed.contact_name) {
		http_error_field(req, 422, "validation_failed", "contactName", "contactName must not be empty.");
		return;
	}
	if (!load_booking(req, st, &b))
		return;
	if (moving) {   /* the schedule: the stored one with the body's changes */
		struct booking_request rq;
		json_object *merged = request_of(&b);
		bool read;
		json_object_object_foreach(req->json, k, v) {
			for (int i = 0; schedule[i]; i++)
				if (strcmp(k, schedule[i]) == 0)
					json_object_object_add(merged, k, json_object_get(v));
		}
		read = booking_api_read_request(merged, &rq, &e);
		json_object_put(merged);
		if (!read || !booking_staff_move(st, &b, &rq, account_now_ms(), &moved, NULL, &e)) {
			bson_destroy(&b);
			http_send_err(req, &e);
			return;
		}
	}
	if (!booking_staff_edit(st, moving ? &moved : &b, &ed, account_now_ms(), &after, &e)) {
		if (moving) {   /* moved, not edited: the move is on record */
			note_change(req, &b, &moved);
			bson_destroy(&moved);
		}
		bson_destroy(&b);
		http_send_err(req, &e);
		return;
	}
	if (moving)
		bson_destroy(&moved);
	note_change(req, &b, &after);
	o = json_object_new_object();
	json_object_object_add(o, "booking", admin_booking_json(&after));
	bson_destroy(&b);
	bson_destroy(&after);
	http_send_json(req, 200, o);
}

void admin_booking_delete(struct http_req *req)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	bson_t b;

	if (!st || !load_booking(req, st, &b))
		return;
	if (!booking_staff_delete(st, &b, &e)) {
		bson_destroy(&b);
		http_send_err(req, &e);
		return;
	}
	note_change(req, &b, NULL);
	bson_destroy(&b);
	http_send_json(req, 204, NULL);
}

void admin_booking_fees(struct http_req *req)
{
	store_t *st = http_store(req);
	struct booking_settings s;
	struct booking_fees f;
	store_error_t se = { 0 };
	bson_t b;
	json_object *o;

	if (!st || !load_booking(req, st, &b))
		return;
	if (!booking_settings_load(st, &s, &se)) {
		bson_destroy(&b);
		http_send_store_fail(req, "admin booking: settings", &se);
		return;
	}
	booking_cancellation_fees(&b, &s, account_now_ms(), &f);
	o = json_object_new_object();
	json_object_object_add(o, "fees", booking_fees_json(&b, &f));
	json_object_object_add(o, "canWaive", json_object_new_boolean(req->role >= ROLE_ADMIN));
	bson_destroy(&b);
	http_send_json(req, 200, o);
}

bool admin_booking_move(struct http_req *req, store_t *st, const char *from, const char *to,
			const char *reason, bool waive_fee, bson_t *out, struct err *e)
{
	const struct auth_session *me = auth_session(req);
	struct booking_actor actor = { .user = me ? &me->user_id : NULL, .staff = true,
				       .waive_fee = waive_fee };
	store_error_t se = { 0 };
	bool found = false;
	bson_t b, after;

	if (waive_fee && req->role < ROLE_ADMIN)
		return err_set(e, 403, "forbidden", "waiveFee", "Only an admin may waive a cancellation fee.");
	if (!booking_find(st, http_param(req, "id"), &b, &found, &se))
		return store_fail(e, "admin booking: find", &se);
	if (!found) {
		bson_destroy(&b);
		return err_set(e, 404, "not_found", NULL, "No such booking.");
	}
	if (from && strcmp(doc_str(&b, "status") ? doc_str(&b, "status") : "", from) != 0) {
		err_set(e, 422, "invalid_transition", "status", "A %s booking cannot become %s.",
			doc_str(&b, "status") ? doc_str(&b, "status") : "?", to);
		bson_destroy(&b);
		return false;
	}
	if (!booking_transition(st, &b, to, &actor, reason, account_now_ms(), &after, e)) {
		bson_destroy(&b);
		return false;
	}
	note_change(req, &b, &after);
	bson_destroy(&b);
	bson_steal(out, &after);
	return true;
}

/* Moves the path's booking to `to` (only from `from` when not NULL),
 * with the body's `reason`; an admin may waive the fee of a cancel. */
static void move(struct http_req *req, const char *from, const char *to)
{
	store_t *st = http_store(req);
	struct err e = { 0 };
	char reason[4 * REASON_MAX_CHARS + 1];
	json_object *waive = NULL, *o;
	bool waive_fee = false;
	bson_t after;

	if (!st)
		return;
	if (!booking_api_read_text(req->json, "reason", false, REASON_MAX_CHARS, reason, sizeof reason, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (strcmp(to, "cancelled") == 0 && json_object_object_get_ex(req->json, "waiveFee", &waive) && waive) {
		if (!json_object_is_type(waive, json_type_boolean)) {
			http_error_field(req, 400, "invalid_request", "waiveFee", "waiveFee is true or false.");
			return;
		}
		waive_fee = json_object_get_boolean(waive);
	}
	if (!admin_booking_move(req, st, from, to, reason, waive_fee, &after, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "booking", admin_booking_json(&after));
	bson_destroy(&after);
	http_send_json(req, 200, o);
}

void admin_booking_validate(struct http_req *req)
{
	move(req, NULL, "confirmed");
}

void admin_booking_reject(struct http_req *req)
{
	move(req, "pending", "cancelled");
}

void admin_booking_cancel(struct http_req *req)
{
	move(req, NULL, "cancelled");
}

void admin_booking_mark_present(struct http_req *req)
{
	move(req, NULL, "completed");
}

void admin_booking_mark_noshow(struct http_req *req)
{
	move(req, NULL, "no-show");
}
