/*
 * customers.c — the customers' API of the back office (SPEC §9
 * customers): list and search (name, e-mail, phone, company; paginated,
 * sorted on declared fields only), detail (bookings, money, messages,
 * newsletter), create (the activation mail lets the customer choose a
 * password), edit, deactivate and reactivate, the GDPR export of one
 * person's data and its erasure (SPEC §4 account deletion, by an admin).
 * `?format=csv` on the list streams it (web/csv.h), audited as an export.
 *
 * Staff read, admins write (the route table says so); every write notes
 * what it changed for the audit log. An id that is not an ObjectId is a
 * 404, like an unknown one. The account rules are common/account's
 * (account.h, manage.h); this file reads input and shapes answers.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "account/role.h"
#include "account/manage.h"
#include "audit/api.h"
#include "booking/catalogue.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/text.h"
#include "web/csv.h"

#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_DEFAULT 25
#define LIST_LIMIT_MAX 100
#define DETAIL_BOOKINGS 50
#define EXPORT_MAX_DOCS 10000

/* The list's declared parameters: anything else is refused (400). */
static const char *const list_params[] = { "q", "role", "status", "sort", "page", "limit", "format", NULL };
/* The declared sorts (and their reverse with '-'). */
static const char *const list_sorts[] = { "createdAt", "email", "givenName", "lastLoginAt", NULL };

static const char *user_status(const bson_t *u)
{
	if (account_is_deleted(u))
		return "deleted";
	if (doc_date(u, "deactivatedAt", 0))
		return "deactivated";
	if (account_is_pending(u))
		return "pending";
	return "active";
}

static void add_date(json_object *o, const bson_t *u, const char *key)
{
	int64_t ms = doc_date(u, key, 0);
	char iso[32];

	if (!ms) {
		json_object_object_add(o, key, NULL);
		return;
	}
	doc_iso_time(ms, iso, sizeof iso);
	admin_set_str(o, key, iso);
}

json_object *admin_user_json(const bson_t *u, int role)
{
	json_object *o = account_profile_json(u, role);

	admin_set_str(o, "status", user_status(u));
	add_date(o, u, "lastLoginAt");
	add_date(o, u, "deactivatedAt");
	return o;
}

/* The path's :id user (deleted ones included) into `out`; 404 finished
 * otherwise. */
bool admin_load_user(struct http_req *req, store_t *st, bson_t *out, bson_oid_t *id)
{
	store_error_t se = { 0 };
	bson_t *f;
	bool found = false, ok;

	if (!doc_parse_oid(http_param(req, "id"), id)) {
		http_error(req, 404, "not_found", "No such user.");
		return false;
	}
	f = BCON_NEW("_id", BCON_OID(id));
	ok = store_find_one(st, "users", f, NULL, out, &found, &se);
	bson_destroy(f);
	if (!ok) {
		http_send_store_fail(req, "admin users: load", &se);
		return false;
	}
	if (!found) {
		bson_destroy(out);
		http_error(req, 404, "not_found", "No such user.");
		return false;
	}
	return true;
}

bool admin_load_live_user(struct http_req *req, store_t *st, const char *what, bson_t *out, bson_oid_t *id,
			  int *role)
{
	store_error_t se = { 0 };

	if (!admin_load_user(req, st, out, id))
		return false;
	if (account_is_deleted(out)) {
		http_error(req, 404, "not_found", "No such user.");
		goto fail;
	}
	if (!account_user_role(st, out, role, &se)) {
		http_send_store_fail(req, what, &se);
		goto fail;
	}
	return true;
fail:
	bson_destroy(out);
	return false;
}

/* ---- the list ------------------------------------------------------------- */

struct list_query {
	bson_t filter;
	bson_t sort;
	char q[256];          /* folded search text, "" for none */
	long page, limit;
	bool csv;
	int role;             /* the role listed */
};

/* Appends to `filter` the accounts of `role` (an enum role, or
 * ADMIN_TEAM: staff, admin and dev): the role's _id, and its slug for
 * legacy documents. False when the store failed (se). */
static bool role_filter(store_t *st, int role, bson_t *filter, store_error_t *se)
{
	bson_t in, arr;
	bson_oid_t role_id;
	bool found = false, ok = true;
	int n = 0;
	char key[8];

	BSON_APPEND_DOCUMENT_BEGIN(filter, "role", &in);
	BSON_APPEND_ARRAY_BEGIN(&in, "$in", &arr);
	for (int r = ROLE_CLIENT; ok && r <= ROLE_DEV; r++) {
		const char *slug;
		if (role == ADMIN_TEAM ? r < ROLE_STAFF : r != role)
			continue;
		slug = account_role_slug(r);
		if (!(ok = account_role_id(st, slug, account_now_ms(), &role_id, &found, se)))
			break;
		if (found) {
			(void)buf_fmt(key, sizeof key, "%d", n++);
			BSON_APPEND_OID(&arr, key, &role_id);
		}
		(void)buf_fmt(key, sizeof key, "%d", n++);
		BSON_APPEND_UTF8(&arr, key, slug);
	}
	bson_append_array_end(&in, &arr);
	bson_append_document_end(filter, &in);
	return ok;
}

/* The search text `q` (may be NULL), folded as user_matches() compares. */
static void list_query_search(struct list_query *lq, const char *q)
{
	lq->q[0] = '\0';
	if (q && *q) {
		struct buf b = { 0 };
		text_fold(&b, q, strlen(q));
		(void)buf_fmt(lq->q, sizeof lq->q, "%s", b.data ? b.data : "");
		buf_free(&b);
	}
}

/* Reads and checks the query; false with the answer finished. */
static bool read_list_query(struct http_req *req, store_t *st, int default_role,
			    struct list_query *lq)
{
	const char *role_s = http_query(req, "role"), *status = http_query(req, "status");
	const char *sort_s = http_query(req, "sort"), *q = http_query(req, "q");
	const char *format = http_query(req, "format");
	store_error_t se = { 0 };

	bson_init(&lq->filter);
	bson_init(&lq->sort);
	lq->q[0] = '\0';
	lq->page = 1;
	lq->limit = LIST_LIMIT_DEFAULT;
	lq->csv = false;
	for (size_t i = 0; i < req->queryn; i++) {
		bool known = false;
		for (size_t k = 0; list_params[k]; k++)
			known |= strcmp(req->queryv[i].key, list_params[k]) == 0;
		if (!known) {
			http_error_field(req, 400, "invalid_request", req->queryv[i].key,
					 "%s is not a filter of this list (q, role, status, sort, page, limit, format).",
					 req->queryv[i].key);
			return false;
		}
	}
	if (!http_query_long(req, "page", 1, 100000, &lq->page) ||
	    !http_query_long(req, "limit", 1, 1000000, &lq->limit))
		return false;
	if (lq->limit > LIST_LIMIT_MAX)
		lq->limit = LIST_LIMIT_MAX;   /* capped, not refused */
	if (format && *format) {
		if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
			http_error_field(req, 400, "invalid_request", "format", "format is csv or json.");
			return false;
		}
		lq->csv = strcmp(format, "csv") == 0;
	}
	lq->role = default_role;
	if (role_s && *role_s) {
		lq->role = account_role_from_slug(role_s);
		if (lq->role == ROLE_PUBLIC) {
			http_error_field(req, 400, "invalid_request", "role", "role is client, staff, admin or dev.");
			return false;
		}
	}
	if (!role_filter(st, lq->role, &lq->filter, &se)) {
		http_send_store_fail(req, "admin users: role", &se);
		return false;
	}
	if (!status || !*status || strcmp(status, "all") != 0) {
		bson_t ex;
		BSON_APPEND_DOCUMENT_BEGIN(&lq->filter, "deletedAt", &ex);
		BSON_APPEND_BOOL(&ex, "$exists", status && *status && strcmp(status, "deleted") == 0);
		bson_append_document_end(&lq->filter, &ex);
		if (status && *status && strcmp(status, "deleted") != 0) {
			bson_t a, b;
			if (strcmp(status, "active") == 0) {
				BSON_APPEND_DOCUMENT_BEGIN(&lq->filter, "deactivatedAt", &a);
				BSON_APPEND_BOOL(&a, "$exists", false);
				bson_append_document_end(&lq->filter, &a);
				BSON_APPEND_DOCUMENT_BEGIN(&lq->filter, "emailVerifiedAt", &b);
				BSON_APPEND_BOOL(&b, "$exists", true);
				bson_append_document_end(&lq->filter, &b);
			} else if (strcmp(status, "deactivated") == 0) {
				BSON_APPEND_DOCUMENT_BEGIN(&lq->filter, "deactivatedAt", &a);
				BSON_APPEND_BOOL(&a, "$exists", true);
				bson_append_document_end(&lq->filter, &a);
			} else if (strcmp(status, "pending") == 0) {
				BSON_APPEND_DOCUMENT_BEGIN(&lq->filter, "activationToken", &a);
				BSON_APPEND_BOOL(&a, "$exists", true);
				bson_append_document_end(&lq->filter, &a);
				BSON_APPEND_DOCUMENT_BEGIN(&lq->filter, "emailVerifiedAt", &b);
				BSON_APPEND_BOOL(&b, "$exists", false);
				bson_append_document_end(&lq->filter, &b);
			} else {
				http_error_field(req, 400, "invalid_request", "status",
						 "status is active, pending, deactivated, deleted or all.");
				return false;
			}
		}
	}
	{
		const char *field = "createdAt";
		int dir = -1;
		if (sort_s && *sort_s) {
			const char *name = sort_s[0] == '-' ? sort_s + 1 : sort_s;
			bool known = false;
			for (size_t k = 0; list_sorts[k]; k++)
				known |= strcmp(list_sorts[k], name) == 0;
			if (!known) {
				http_error_field(req, 400, "invalid_request", "sort",
						 "%s cannot be sorted on: sort is createdAt, email, givenName or lastLoginAt (- for descending).",
						 name);
				return false;
			}
			field = name;
			dir = sort_s[0] == '-' ? -1 : 1;
		}
		BSON_APPEND_INT32(&lq->sort, field, dir);
		BSON_APPEND_INT32(&lq->sort, "_id", dir);
	}
	list_query_search(lq, q);
	return true;
}

static void list_query_free(struct list_query *lq)
{
	bson_destroy(&lq->filter);
	bson_destroy(&lq->sort);
}

/* Whether `u` matches the folded search `q`: each of its words is found in
 * the name, e-mail, phone or company ("helene lefevre" finds Hélène
 * Dupré-Lefèvre; a phone also matches without its spaces and dots). */
static bool user_matches(const bson_t *u, const char *q)
{
	static const char *const fields[] = { "givenName", "username", "email", "companyName", "phone" };
	struct buf hay = { 0 };
	bool hit;

	if (!*q)
		return true;
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		const char *v = doc_str(u, fields[i]);
		if (!v)
			continue;
		text_fold(&hay, v, strlen(v));
		buf_add(&hay, " ", 1);
	}
	{	/* the digits of the phone, together */
		const char *p = doc_str(u, "phone");
		for (; p && *p; p++)
			if (*p >= '0' && *p <= '9')
				buf_add(&hay, p, 1);
	}
	hit = hay.data != NULL;
	for (const char *w = q; hit && *w;) {
		size_t n = strcspn(w, " ");

		if (n > 0)
			hit = memmem(hay.data, hay.len, w, n) != NULL;
		w += n + (w[n] == ' ');
	}
	buf_free(&hay);
	return hit;
}

/* A line of the list: the team's lists read each member's role. */
static json_object *list_user_json(store_t *st, const bson_t *u, int role)
{
	store_error_t se = { 0 };

	if (role == ADMIN_TEAM && !account_user_role(st, u, &role, &se))
		role = ROLE_STAFF;   /* logged by the role reader */
	return admin_user_json(u, role);
}

static void csv_user(struct csv *c, const bson_t *u)
{
	int64_t created = doc_date(u, "createdAt", 0);
	char iso[32] = "";

	if (created)
		doc_iso_time(created, iso, sizeof iso);
	csv_cell(c, doc_str(u, "email"));
	csv_cell(c, doc_str(u, "givenName"));
	csv_cell(c, doc_str(u, "username"));
	csv_cell(c, doc_str(u, "phone"));
	csv_cell(c, doc_str(u, "companyName"));
	csv_cell(c, doc_bool(u, "newsletter", false) ? "oui" : "non");
	csv_cell(c, user_status(u));
	csv_cell(c, iso[0] ? iso : NULL);
	csv_row_end(c);
}

/* A users list's rows (admin_list): a search matches the folded fields
 * here, in the list's order (the store has no substring operator). */
struct users_ctx {
	store_t *st;
	const struct list_query *lq;
};

static json_object *users_row(const bson_t *u, void *ctx)
{
	const struct users_ctx *c = ctx;
	return list_user_json(c->st, u, c->lq->role);
}

static bool users_match(const bson_t *u, void *ctx)
{
	return user_matches(u, ((const struct users_ctx *)ctx)->lq->q);
}

static struct admin_list users_list(struct users_ctx *c)
{
	return (struct admin_list){ .collection = "users", .per_page = c->lq->limit, .sort = &c->lq->sort,
				    .row = users_row, .match = c->lq->q[0] ? users_match : NULL, .ctx = c };
}

void admin_users_list_as(struct http_req *req, int default_role)
{
	store_t *st = http_store(req);
	struct list_query lq;
	store_cursor_t *cur = NULL;
	store_error_t se = { 0 };
	const bson_t *u;
	json_object *o;

	if (!st)
		return;
	if (!read_list_query(req, st, default_role, &lq))
		goto done;
	if (lq.csv) {
		struct csv c;
		store_find_opts_t opts = { .sort = &lq.sort };
		cur = store_find(st, "users", &lq.filter, &opts, &se);
		if (!cur)
			goto fail;
		csv_begin(&c, req, default_role == ROLE_CLIENT ? "clients.csv" : "equipe.csv");
		static const char *const head[] = { "E-mail", "Prénom", "Nom d’utilisateur", "Téléphone",
			"Société", "Newsletter", "Statut", "Créé le" };
		for (size_t i = 0; i < sizeof head / sizeof *head; i++)
			csv_cell(&c, head[i]);
		csv_row_end(&c);
		while (store_cursor_next(cur, &u))
			if (user_matches(u, lq.q))
				csv_user(&c, u);
		if (store_cursor_error(cur, &se))
			log_error("admin users: csv: %s", se.message);   /* the status is sent */
		audit_export(req, "users", c.rows - 1);
		csv_end(&c);
		goto done;
	}
	{
		struct users_ctx c = { st, &lq };
		struct admin_list l = users_list(&c);
		if (!(o = admin_list_json(st, &l, &lq.filter, lq.page, "users", &se)))
			goto fail;
	}
	http_send_json(req, 200, o);
	goto done;
fail:
	http_send_store_fail(req, "admin users: list", &se);
done:
	if (cur)
		store_cursor_destroy(cur);
	list_query_free(&lq);
}

bool admin_users_find(struct http_req *req, store_t *st, int role, json_object **users,
		      int64_t *total, long *page, long *limit)
{
	struct list_query lq;
	store_error_t se = { 0 };
	const bson_t *filter[1];
	json_object *arr;
	bool ok;

	if (!read_list_query(req, st, role, &lq)) {
		list_query_free(&lq);
		return false;
	}
	filter[0] = &lq.filter;
	arr = json_object_new_array();
	{
		struct users_ctx c = { st, &lq };
		struct admin_list l = users_list(&c);
		ok = admin_list_rows(st, &l, filter, 1, lq.page, arr, total, NULL, &se);
	}
	*page = lq.page;
	*limit = lq.limit;
	list_query_free(&lq);
	if (!ok) {
		json_object_put(arr);
		http_send_store_fail(req, "admin users: page", &se);
		return false;
	}
	*users = arr;
	return true;
}

bool admin_customers_search(store_t *st, const char *q, long limit, json_object **users, int64_t *total,
			    store_error_t *se)
{
	struct list_query lq = { .page = 1, .limit = limit, .role = ROLE_CLIENT };
	const bson_t *filter[1] = { &lq.filter };
	json_object *arr = json_object_new_array();
	bool ok;

	bson_init(&lq.filter);
	bson_init(&lq.sort);
	list_query_search(&lq, q);
	ok = role_filter(st, ROLE_CLIENT, &lq.filter, se);
	if (ok) {   /* the list's defaults: not deleted, newest first */
		struct users_ctx c = { st, &lq };
		struct admin_list l = users_list(&c);
		BCON_APPEND(&lq.filter, "deletedAt", "{", "$exists", BCON_BOOL(false), "}");
		BSON_APPEND_INT32(&lq.sort, "createdAt", -1);
		BSON_APPEND_INT32(&lq.sort, "_id", -1);
		ok = admin_list_rows(st, &l, filter, 1, 1, arr, total, NULL, se);
	}
	list_query_free(&lq);
	if (!ok) {
		json_object_put(arr);
		return false;
	}
	*users = arr;
	return true;
}

void admin_users_list(struct http_req *req)
{
	admin_users_list_as(req, ROLE_CLIENT);
}

/* ---- detail ------------------------------------------------------------------ */

/* The bookings of the person (by account and by e-mail), newest first,
 * and the money they paid (euros stored; in cents here). */
static bool detail_bookings(store_t *st, const bson_oid_t *id, const char *email, json_object *o,
			    store_error_t *se)
{
	bson_t filter, *sort = BCON_NEW("date", BCON_INT32(-1));
	store_find_opts_t opts = { .sort = sort };
	store_cursor_t *cur;
	const bson_t *b;
	json_object *arr = json_object_new_array();
	int64_t paid = 0, total = 0, count = 0;
	bool failed;

	manage_link_filter(&manage_links[0], id, email, &filter);
	cur = store_find(st, "bookings", &filter, &opts, se);
	bson_destroy(&filter);
	bson_destroy(sort);
	if (!cur) {
		json_object_put(arr);
		return false;
	}
	while (store_cursor_next(cur, &b)) {
		bson_iter_t it;
		const char *status = doc_str(b, "status");
		if (bson_iter_init_find(&it, b, "amountPaid") && BSON_ITER_HOLDS_NUMBER(&it))
			paid += booking_cents(&it);
		if (status && strcmp(status, "cancelled") != 0 &&
		    bson_iter_init_find(&it, b, "totalPrice") && BSON_ITER_HOLDS_NUMBER(&it))
			total += booking_cents(&it);
		if (count++ < DETAIL_BOOKINGS)
			json_object_array_add(arr, admin_booking_json(b));
	}
	failed = store_cursor_error(cur, se);
	store_cursor_destroy(cur);
	json_object_object_add(o, "bookings", arr);
	json_object_object_add(o, "bookingsCount", json_object_new_int64(count));
	{
		json_object *money = json_object_new_object();
		json_object_object_add(money, "paidCents", json_object_new_int64(paid));
		json_object_object_add(money, "bookedCents", json_object_new_int64(total));
		json_object_object_add(o, "money", money);
	}
	return !failed;
}

void admin_user_get(struct http_req *req)
{
	store_t *st = http_store(req);
	store_error_t se = { 0 };
	bson_t u, *f = NULL;
	bson_oid_t id;
	int role = ROLE_CLIENT;
	int64_t n = 0;
	json_object *o = NULL;
	bool found = false;

	if (!st || !admin_load_user(req, st, &u, &id))
		return;
	if (!account_user_role(st, &u, &role, &se))
		goto fail;
	o = json_object_new_object();
	json_object_object_add(o, "user", admin_user_json(&u, role));
	if (!detail_bookings(st, &id, doc_str(&u, "email"), o, &se))
		goto fail;
	f = BCON_NEW("participants.user", BCON_OID(&id));
	if (!store_count(st, "conversations", f, &n, &se))
		goto fail;
	bson_destroy(f);
	json_object_object_add(o, "conversationsCount", json_object_new_int64(n));
	f = BCON_NEW("sender", BCON_OID(&id));
	if (!store_count(st, "messages", f, &n, &se))
		goto fail;
	bson_destroy(f);
	f = NULL;
	json_object_object_add(o, "messagesCount", json_object_new_int64(n));
	{	/* newsletter: the account's flag and the subscribers' list */
		json_object *nl = json_object_new_object();
		bson_t sub;
		json_object_object_add(nl, "account", json_object_new_boolean(doc_bool(&u, "newsletter", false)));
		if (doc_str(&u, "email")) {
			f = BCON_NEW("email", BCON_UTF8(doc_str(&u, "email")));
			if (!store_find_one(st, "newsletters", f, NULL, &sub, &found, &se)) {
				json_object_put(nl);
				goto fail;
			}
			if (found) {
				json_object *s = doc_to_json(&sub);
				json_object_object_add(nl, "subscription", s);
			}
			bson_destroy(&sub);
			bson_destroy(f);
			f = NULL;
		}
		json_object_object_add(o, "newsletter", nl);
	}
	http_send_json(req, 200, o);
	o = NULL;
	goto done;
fail:
	http_send_store_fail(req, "admin users: detail", &se);
done:
	json_object_put(o);
	if (f)
		bson_destroy(f);
	bson_destroy(&u);
}

/* ---- writes ------------------------------------------------------------------ */

static const unsigned profile_fields = AF_USERNAME | AF_GIVEN_NAME | AF_PHONE | AF_COMPANY | AF_NEWSLETTER;

/* Notes `id`'s change from `before` to what the store holds now. */
static void note_user(struct http_req *req, store_t *st, const bson_oid_t *id, const bson_t *before)
{
	store_error_t se = { 0 };
	bson_t after, *f = BCON_NEW("_id", BCON_OID(id));
	bool found = false;
	char hex[25];

	bson_oid_to_string(id, hex);
	if (store_find_one(st, "users", f, NULL, &after, &found, &se)) {
		audit_note(req, "users", hex, before, found ? &after : NULL);
		bson_destroy(&after);
	} else
		log_error("admin users: audit read: %s", se.message);
	bson_destroy(f);
}

void admin_user_create_as(struct http_req *req, const char *slug)
{
	store_t *st = http_store(req);
	struct account_input in;
	struct err e;
	bson_oid_t id;
	bson_t u;
	bool found = false;
	store_error_t se = { 0 };

	if (!st)
		return;
	if (!account_read_input(req->json, AF_EMAIL | profile_fields, AF_EMAIL | AF_GIVEN_NAME, &in, &e) ||
	    !manage_create_invited(st, &in, slug, account_now_ms(), &id, &e)) {
		account_input_clear(&in);
		http_send_err(req, &e);
		return;
	}
	account_input_clear(&in);
	note_user(req, st, &id, NULL);
	if (!account_find_by_id(st, &id, &u, &found, &se)) {
		http_send_store_fail(req, "admin users: created", &se);
		return;
	}
	{
		json_object *o = json_object_new_object();
		json_object_object_add(o, "user", admin_user_json(&u, account_role_from_slug(slug)));
		http_send_json(req, 201, o);
	}
	bson_destroy(&u);
}

void admin_user_create(struct http_req *req)
{
	admin_user_create_as(req, "client");
}

void admin_user_edit(struct http_req *req)
{
	store_t *st = http_store(req);
	struct account_input in;
	struct err e;
	bson_oid_t id;
	bson_t u, after;
	bool found = false;
	store_error_t se = { 0 };
	int role = ROLE_CLIENT;
	json_object *o;

	if (!st || !admin_load_user(req, st, &u, &id))
		return;
	if (account_is_deleted(&u)) {
		http_error(req, 404, "not_found", "No such user.");
		goto done;
	}
	/* members that are not profile fields are refused, naming them */
	json_object_object_foreach(req->json, key, val) {
		static const char *const ok[] = { "username", "givenName", "phone", "companyName", "newsletter", NULL };
		bool known = false;
		(void)val;
		for (size_t i = 0; ok[i]; i++)
			known |= strcmp(ok[i], key) == 0;
		if (!known) {
			http_error_field(req, 400, "invalid_request", key,
					 "%s cannot be changed here (username, givenName, phone, companyName, newsletter).", key);
			goto done;
		}
	}
	if (!account_read_input(req->json, profile_fields, 0, &in, &e) ||
	    !account_update_profile(st, &id, &in, account_now_ms(), &e)) {
		http_send_err(req, &e);
		goto done;
	}
	note_user(req, st, &id, &u);
	if (!account_find_by_id(st, &id, &after, &found, &se) || !account_user_role(st, &after, &role, &se)) {
		http_send_store_fail(req, "admin users: edited", &se);
		goto done;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", admin_user_json(&after, role));
	bson_destroy(&after);
	http_send_json(req, 200, o);
done:
	bson_destroy(&u);
}

/* May the signed-in member act on an account of role `target`? Admins act
 * on clients and staff, and on admins; only a dev on a dev. Nobody on
 * their own account through these routes. */
bool admin_may_manage(struct http_req *req, const bson_oid_t *id, int target)
{
	const struct auth_session *me = auth_session(req);

	if (me && bson_oid_equal(&me->user_id, id)) {
		http_error(req, 403, "forbidden", "You cannot do this to your own account.");
		return false;
	}
	if (target > req->role || (target == ROLE_DEV && req->role < ROLE_DEV)) {
		http_error(req, 403, "forbidden", "Only a developer may change a developer's account.");
		return false;
	}
	return true;
}

static void set_active(struct http_req *req, bool active)
{
	store_t *st = http_store(req);
	bson_oid_t id;
	bson_t u, after;
	store_error_t se = { 0 };
	int role = ROLE_CLIENT;
	bool found = false;
	struct err e;
	json_object *o;

	if (!st || !admin_load_live_user(req, st, "admin users: role", &u, &id, &role))
		return;
	if (!admin_may_manage(req, &id, role))
		goto done;
	if (!manage_set_active(st, &id, active, account_now_ms(), &e)) {
		http_send_err(req, &e);
		goto done;
	}
	note_user(req, st, &id, &u);
	if (!account_find_by_id(st, &id, &after, &found, &se)) {
		http_send_store_fail(req, "admin users: state", &se);
		goto done;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", admin_user_json(&after, role));
	bson_destroy(&after);
	http_send_json(req, 200, o);
done:
	bson_destroy(&u);
}

void admin_user_deactivate(struct http_req *req)
{
	set_active(req, false);
}

void admin_user_reactivate(struct http_req *req)
{
	set_active(req, true);
}

/* ---- GDPR ------------------------------------------------------------------------ */

/* The account without its secrets. New object. */
static json_object *account_export(const bson_t *u)
{
	static const char *const secrets[] = { "password", "activationToken", "dashboardPin" };
	json_object *o = doc_to_json(u);

	for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
		json_object_object_del(o, secrets[i]);
	return o;
}

void admin_user_export(struct http_req *req)
{
	store_t *st = http_store(req);
	store_error_t se = { 0 };
	bson_t u;
	bson_oid_t id;
	char **names = NULL;
	size_t nnames = 0;
	json_object *o = NULL, *colls;
	const char *email;
	char hex[25], iso[32];
	long rows = 1;

	if (!st || !admin_load_user(req, st, &u, &id))
		return;
	email = doc_str(&u, "email");
	if (!store_list_collections(st, &names, &nnames, &se))
		goto fail;
	o = json_object_new_object();
	bson_oid_to_string(&id, hex);
	admin_set_str(o, "userId", hex);
	doc_iso_time(account_now_ms(), iso, sizeof iso);
	admin_set_str(o, "exportedAt", iso);
	json_object_object_add(o, "account", account_export(&u));
	colls = json_object_new_object();
	for (size_t i = 0; i < manage_nlinks; i++) {
		const struct manage_link *l = &manage_links[i];
		bool exists = false;
		bson_t filter;
		store_cursor_t *cur;
		const bson_t *d;
		json_object *arr;
		for (size_t k = 0; k < nnames; k++)
			exists |= strcmp(names[k], l->coll) == 0;
		if (!exists || !manage_link_filter(l, &id, email, &filter))
			continue;
		store_find_opts_t opts = { .limit = EXPORT_MAX_DOCS };
		cur = store_find(st, l->coll, &filter, &opts, &se);
		bson_destroy(&filter);
		if (!cur)
			goto fail;
		arr = json_object_new_array();
		while (store_cursor_next(cur, &d)) {
			json_object *j = doc_to_json(d);
			json_object_object_del(j, "manageTokenHash");    /* a guest link's secrets */
			json_object_object_del(j, "manageTokenHashes");
			json_object_array_add(arr, j);
			rows++;
		}
		if (store_cursor_error(cur, &se)) {
			store_cursor_destroy(cur);
			json_object_put(arr);
			json_object_put(colls);
			goto fail;
		}
		store_cursor_destroy(cur);
		json_object_object_add(colls, l->coll, arr);
	}
	json_object_object_add(o, "collections", colls);
	{	/* on record as an export of this person's data, under their id */
		bson_t note = BSON_INITIALIZER;
		BSON_APPEND_INT64(&note, "exported", rows);
		BSON_APPEND_UTF8(&note, "query", "gdpr");
		audit_note(req, "users", hex, NULL, &note);
		bson_destroy(&note);
	}
	{
		char name[64];
		(void)buf_fmt(name, sizeof name, "attachment; filename=\"donnees-%s.json\"", hex);
		http_add_header(req, "Content-Disposition", name);
		http_add_header(req, "Cache-Control", "no-store");
	}
	http_send_json(req, 200, o);
	o = NULL;
	goto done;
fail:
	json_object_put(o);
	o = NULL;
	http_send_store_fail(req, "admin users: export", &se);
done:
	json_object_put(o);
	store_free_names(names, nnames);
	bson_destroy(&u);
}

void admin_user_erase(struct http_req *req)
{
	store_t *st = http_store(req);
	bson_t u;
	bson_oid_t id;
	int role = ROLE_CLIENT;
	int64_t cleared = 0;
	struct err e;
	json_object *o;
	char hex[25];

	if (!st || !admin_load_live_user(req, st, "admin users: role", &u, &id, &role))
		return;
	if (!admin_may_manage(req, &id, role))
		goto done;
	if (!manage_erase(st, &u, account_now_ms(), &cleared, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	note_user(req, st, &id, &u);
	bson_oid_to_string(&id, hex);
	o = json_object_new_object();
	admin_set_str(o, "userId", hex);
	json_object_object_add(o, "erased", json_object_new_boolean(true));
	json_object_object_add(o, "bookingsKept", json_object_new_int64(cleared));
	http_send_json(req, 200, o);
done:
	bson_destroy(&u);
}
