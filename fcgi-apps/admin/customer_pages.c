/*
 * customer_pages.c — the customers' and the team's screens (SPEC §9):
 * the list with its search and CSV button, a customer's page (bookings,
 * money, messages, newsletter; deactivate, reactivate, GDPR export and
 * erasure for admins, the erasure confirmed by a checkbox), the team
 * (members, invitation, roles). The forms go through the same account
 * rules as the API (account/manage.h) and are audited as its routes.
 */
#include "admin.h"
#include "account/account.h"
#include "account/api.h"
#include "account/manage.h"
#include "account/role.h"
#include "account/session.h"
#include "audit/api.h"
#include "booking/calendar.h"
#include "booking/status.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/money.h"
#include "web/page.h"

#include <string.h>

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *status_label(const char *s)
{
	if (!s)
		return "";
	if (strcmp(s, "active") == 0)
		return "Actif";
	if (strcmp(s, "pending") == 0)
		return "En attente d’activation";
	if (strcmp(s, "deactivated") == 0)
		return "Désactivé";
	return "Supprimé";
}

static const char *role_label(const char *slug)
{
	if (!slug)
		return "";
	if (strcmp(slug, "dev") == 0)
		return "Développeur";
	if (strcmp(slug, "admin") == 0)
		return "Administrateur";
	if (strcmp(slug, "staff") == 0)
		return "Équipe";
	return "Client";
}

/* Adds the labels the templates show to a user of admin_user_json(). */
static void decorate(json_object *u)
{
	const char *status = json_object_get_string(member(u, "status"));
	const char *created = json_object_get_string(member(u, "createdAt"));
	char buf[96];

	admin_set_str(u, "statusLabel", status_label(status));
	admin_set_str(u, "badge", status && strcmp(status, "active") == 0 ? "badge badge-ok" : "badge badge-neutral");
	admin_set_str(u, "roleLabel", role_label(json_object_get_string(member(u, "role"))));
	(void)buf_fmt(buf, sizeof buf, "/customers/%s", json_object_get_string(member(u, "id")));
	admin_set_str(u, "href", buf);
	if (created && strlen(created) >= 10) {
		(void)buf_fmt(buf, sizeof buf, "%.2s/%.2s/%.4s", created + 8, created + 5, created);
		admin_set_str(u, "created", buf);
	}
	json_object_object_add(u, "isActive", json_object_new_boolean(status && strcmp(status, "active") == 0));
	json_object_object_add(u, "isDeactivated", json_object_new_boolean(status && strcmp(status, "deactivated") == 0));
	json_object_object_add(u, "isDeleted", json_object_new_boolean(status && strcmp(status, "deleted") == 0));
}

static void alert(struct http_req *req, json_object *data)
{
	static const struct { const char *code, *kind, *message; } msgs[] = {
		{ "created", "success", "Le compte est créé : un e-mail d’activation est parti." },
		{ "deactivated", "success", "Le compte est désactivé ; ses sessions sont fermées." },
		{ "reactivated", "success", "Le compte est réactivé." },
		{ "erased", "success", "Les données personnelles sont effacées ; les réservations restent pour la comptabilité." },
		{ "invited", "success", "L’invitation est partie par e-mail." },
		{ "role", "success", "Le rôle est changé." },
	};
	const char *done = http_query(req, "done");

	for (size_t i = 0; done && i < sizeof msgs / sizeof *msgs; i++)
		if (strcmp(done, msgs[i].code) == 0) {
			json_object *a = json_object_new_object();
			admin_set_str(a, "kind", msgs[i].kind);
			admin_set_str(a, "message", msgs[i].message);
			json_object_object_add(data, "alert", a);
		}
}

static void list_page(struct http_req *req, int role, const char *tpl, const char *title,
		      const char *section, const struct err *form_err, json_object *values)
{
	static const char *const keep_q[] = { "q", NULL };
	store_t *st = http_store(req);
	json_object *data, *users = NULL;
	int64_t total = 0;
	long page = 1, limit = 25;

	if (!st || !admin_users_find(req, st, role, &users, &total, &page, &limit)) {
		json_object_put(values);
		return;
	}
	data = page_data(req, title);
	for (size_t i = 0; i < json_object_array_length(users); i++) {
		json_object *u = json_object_array_get_idx(users, i);
		const struct auth_session *me = auth_session(req);
		decorate(u);
		json_object_object_add(u, "isSelf", json_object_new_boolean(
			me && strcmp(me->user_id_hex, json_object_get_string(member(u, "id"))) == 0));
	}
	json_object_object_add(data, "users", users);
	json_object_object_add(data, "hasRows", json_object_new_boolean(json_object_array_length(users) > 0));
	json_object_object_add(data, "total", json_object_new_int64(total));
	{
		static const struct admin_filter search[] = {
			{ .name = "q", .id = "f-q", .label = "Nom, e-mail, téléphone ou société", .type = "search" },
		};
		json_object *form = admin_filter_form(req, data, role == ROLE_CLIENT ? "/customers" : "/team",
						      search, 1);
		admin_set_str(form, "submit", "Rechercher");
		json_object_object_add(form, "wide", json_object_new_boolean(true));
	}
	{
		struct buf csv = { 0 };
		const char *q = http_query(req, "q");
		buf_printf(&csv, "/api/%s?format=csv", role == ROLE_CLIENT ? "users" : "team");
		if (q && *q) {
			buf_str(&csv, "&q=");
			for (const unsigned char *c = (const unsigned char *)q; *c; c++) {
				if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
					buf_add(&csv, (const char *)c, 1);
				else
					buf_printf(&csv, "%%%02X", *c);
			}
		}
		admin_set_str(data, "csvHref", csv.data);
		buf_free(&csv);
	}
	admin_pager(req, data, page, total, limit, keep_q);
	alert(req, data);
	json_object_object_add(data, "isDev", json_object_new_boolean(req->role >= ROLE_DEV));
	json_object_object_add(data, "values", values ? values : json_object_new_object());
	if (form_err) {
		json_object *errs = json_object_new_object();
		admin_set_str(errs, form_err->field[0] ? form_err->field : "form", form_err->message);
		json_object_object_add(data, "errors", errs);
		admin_set_str(data, "formError", form_err->message);
	}
	page_section(data, section);
	page_render(req, form_err ? (form_err->status >= 400 && form_err->status < 500 ? form_err->status : 422) : 200,
		    tpl, data);
}

void admin_page_customers(struct http_req *req)
{
	list_page(req, ROLE_CLIENT, "customers.html", "Clients", "customers", NULL, NULL);
}

void admin_page_team(struct http_req *req)
{
	list_page(req, ADMIN_TEAM, "team.html", "Équipe", "team", NULL, NULL);
}

/* ---- one customer --------------------------------------------------------- */

void admin_page_customer(struct http_req *req)
{
	store_t *st = http_store(req);
	store_error_t se = { 0 };
	bson_t u, *f;
	bson_oid_t id;
	int role = ROLE_CLIENT;
	int64_t n = 0, paid = 0, booked = 0, count = 0;
	json_object *data, *user, *rows;
	store_cursor_t *cur;
	const bson_t *b;
	char buf[64], hex[25];

	if (!st)
		return;
	if (!doc_parse_oid(http_param(req, "id"), &id)) {
		page_not_found(req);
		return;
	}
	{
		bool found = false;
		f = BCON_NEW("_id", BCON_OID(&id));
		if (!store_find_one(st, "users", f, NULL, &u, &found, &se)) {
			bson_destroy(f);
			http_send_store_fail(req, "customer page", &se);
			return;
		}
		bson_destroy(f);
		if (!found) {
			bson_destroy(&u);
			page_not_found(req);
			return;
		}
	}
	if (!account_user_role(st, &u, &role, &se))
		role = ROLE_CLIENT;
	data = page_data(req, "Client");
	user = admin_user_json(&u, role);
	decorate(user);
	json_object_object_add(data, "customer", user);
	bson_oid_to_string(&id, hex);
	admin_set_str(data, "id", hex);
	rows = json_object_new_array();
	{
		bson_t filter, *sort = BCON_NEW("date", BCON_INT32(-1));
		store_find_opts_t opts = { .sort = sort };
		manage_link_filter(&manage_links[0], &id, doc_str(&u, "email"), &filter);
		cur = store_find(st, "bookings", &filter, &opts, &se);
		bson_destroy(&filter);
		bson_destroy(sort);
	}
	while (cur && store_cursor_next(cur, &b)) {
		bson_iter_t it;
		const char *status = doc_str(b, "status");
		if (bson_iter_init_find(&it, b, "amountPaid") && BSON_ITER_HOLDS_NUMBER(&it))
			paid += (int64_t)(bson_iter_as_double(&it) * 100 + 0.5);
		if (status && strcmp(status, "cancelled") != 0 &&
		    bson_iter_init_find(&it, b, "totalPrice") && BSON_ITER_HOLDS_NUMBER(&it))
			booked += (int64_t)(bson_iter_as_double(&it) * 100 + 0.5);
		if (count++ < 50) {
			json_object *r = json_object_new_object();
			bson_oid_t bid;
			char bhex[25] = "", d[48];
			if (doc_oid(b, "_id", &bid))
				bson_oid_to_string(&bid, bhex);
			(void)buf_fmt(buf, sizeof buf, "/booking/reservations/%s", bhex);
			admin_set_str(r, "href", buf);
			admin_booking_day(booking_day_of_ms(doc_date(b, "date", 0)), d, sizeof d);
			admin_set_str(r, "date", d);
			admin_set_str(r, "number", doc_str(b, "confirmationNumber"));
			admin_set_str(r, "space", admin_booking_space_label(doc_str(b, "spaceType")));
			admin_set_str(r, "status", booking_status_label(doc_str(b, "status")));
			admin_set_str(r, "badge", booking_status_badge(doc_str(b, "status")));
			json_object_array_add(rows, r);
		}
	}
	if (cur)
		store_cursor_destroy(cur);
	json_object_object_add(data, "bookings", rows);
	json_object_object_add(data, "hasBookings", json_object_new_boolean(count > 0));
	json_object_object_add(data, "bookingsCount", json_object_new_int64(count));
	if (req->role >= ROLE_ADMIN) {
		json_object *money = json_object_new_object();
		money_format(paid, 0, buf, sizeof buf);
		admin_set_str(money, "paid", buf);
		money_format(booked, 0, buf, sizeof buf);
		admin_set_str(money, "booked", buf);
		json_object_object_add(data, "money", money);
	}
	f = BCON_NEW("sender", BCON_OID(&id));
	if (store_count(st, "messages", f, &n, &se))
		json_object_object_add(data, "messagesCount", json_object_new_int64(n));
	bson_destroy(f);
	json_object_object_add(data, "newsletter", json_object_new_boolean(doc_bool(&u, "newsletter", false)));
	/* a staff booking for this customer (the form's chooser preselects them) */
	json_object_object_add(data, "canBook", json_object_new_boolean(role == ROLE_CLIENT && !account_is_deleted(&u)));
	json_object_object_add(data, "isSelf", json_object_new_boolean(
		req->session && bson_oid_equal(&auth_session(req)->user_id, &id)));
	alert(req, data);
	bson_destroy(&u);
	page_section(data, "customers");
	page_render(req, 200, "customer.html", data);
}

/* ---- forms -------------------------------------------------------------------- */

static const char *const form_fields[] = { "email", "givenName", "phone", "companyName", NULL };

/* The form's fields as the JSON body the account rules read. */
static json_object *form_body(struct http_req *req, json_object **values)
{
	json_object *body = json_object_new_object();

	*values = json_object_new_object();
	for (size_t i = 0; form_fields[i]; i++) {
		const char *v = http_form(req, form_fields[i]);
		admin_set_str(*values, form_fields[i], v);
		if (v && *v)
			json_object_object_add(body, form_fields[i], json_object_new_string(v));
	}
	json_object_object_add(body, "newsletter", json_object_new_boolean(http_form(req, "newsletter") != NULL));
	return body;
}

static void note(struct http_req *req, store_t *st, const bson_oid_t *id, const bson_t *before)
{
	store_error_t se = { 0 };
	bson_t after;
	bool found = false;
	char hex[25];

	bson_oid_to_string(id, hex);
	if (account_find_by_id(st, id, &after, &found, &se)) {
		audit_note(req, "users", hex, before, found ? &after : NULL);
		bson_destroy(&after);
	} else {
		bson_t *f = BCON_NEW("_id", BCON_OID(id));
		if (store_find_one(st, "users", f, NULL, &after, &found, &se)) {
			audit_note(req, "users", hex, before, found ? &after : NULL);
			bson_destroy(&after);
		}
		bson_destroy(f);
	}
}

static void invite(struct http_req *req, const char *slug, int role, const char *tpl, const char *title,
		   const char *section, const char *back)
{
	store_t *st = http_store(req);
	struct account_input in;
	json_object *values, *body = form_body(req, &values);
	struct err e = { 0 };
	bson_oid_t id;
	char location[128];

	if (!st) {
		json_object_put(body);
		json_object_put(values);
		return;
	}
	if (!account_read_input(body, AF_EMAIL | AF_GIVEN_NAME | AF_PHONE | AF_COMPANY | AF_NEWSLETTER,
				AF_EMAIL | AF_GIVEN_NAME, &in, &e) ||
	    !manage_create_invited(st, &in, slug, account_now_ms(), &id, &e)) {
		account_input_clear(&in);
		json_object_put(body);
		list_page(req, role, tpl, title, section, &e, values);
		return;
	}
	account_input_clear(&in);
	json_object_put(body);
	json_object_put(values);
	note(req, st, &id, NULL);
	(void)buf_fmt(location, sizeof location, "%s?done=%s", back, role == ROLE_CLIENT ? "created" : "invited");
	http_redirect(req, 303, location);
}

void admin_form_customer_create(struct http_req *req)
{
	invite(req, "client", ROLE_CLIENT, "customers.html", "Clients", "customers", "/customers");
}

void admin_form_team_invite(struct http_req *req)
{
	const char *slug = http_form(req, "role");
	int role = account_role_from_slug(slug ? slug : "");

	if (role < ROLE_STAFF || role > req->role || (role == ROLE_DEV && req->role < ROLE_DEV)) {
		struct err e;
		json_object *values;
		json_object_put(form_body(req, &values));
		err_set(&e, 403, "forbidden", "role", "Vous ne pouvez pas donner ce rôle.");
		list_page(req, ADMIN_TEAM, "team.html", "Équipe", "team", &e, values);
		return;
	}
	invite(req, slug, ADMIN_TEAM, "team.html", "Équipe", "team", "/team");
}

/* Loads the path's user for a form; false with a page finished. */
static bool form_user(struct http_req *req, store_t *st, bson_t *u, bson_oid_t *id, int *role)
{
	store_error_t se = { 0 };
	bool found = false;
	bson_t *f;

	if (!doc_parse_oid(http_param(req, "id"), id)) {
		page_not_found(req);
		return false;
	}
	f = BCON_NEW("_id", BCON_OID(id));
	if (!store_find_one(st, "users", f, NULL, u, &found, &se)) {
		bson_destroy(f);
		http_send_store_fail(req, "customer form", &se);
		return false;
	}
	bson_destroy(f);
	if (!found || account_is_deleted(u)) {
		bson_destroy(u);
		page_not_found(req);
		return false;
	}
	if (!account_user_role(st, u, role, &se))
		*role = ROLE_CLIENT;
	if ((req->session && bson_oid_equal(&auth_session(req)->user_id, id)) || *role > req->role ||
	    (*role == ROLE_DEV && req->role < ROLE_DEV)) {
		bson_destroy(u);
		page_error(req, 403);
		return false;
	}
	return true;
}

void admin_form_customer_state(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *action = strrchr(req->path, '/') ? strrchr(req->path, '/') + 1 : "";
	bson_t u;
	bson_oid_t id;
	int role;
	struct err e;
	char location[128], hex[25];
	const char *done;
	bool ok;

	if (!st || !form_user(req, st, &u, &id, &role))
		return;
	bson_oid_to_string(&id, hex);
	if (strcmp(action, "erase") == 0) {
		if (!http_form(req, "confirm")) {   /* the checkbox says the admin means it */
			bson_destroy(&u);
			(void)buf_fmt(location, sizeof location, "/customers/%s?confirm=erase", hex);
			http_redirect(req, 303, location);
			return;
		}
		ok = manage_erase(st, &u, account_now_ms(), NULL, &e);
		done = "erased";
	} else if (strcmp(action, "deactivate") == 0 || strcmp(action, "reactivate") == 0) {
		ok = manage_set_active(st, &id, action[0] == 'r', account_now_ms(), &e);
		done = action[0] == 'r' ? "reactivated" : "deactivated";
	} else {
		bson_destroy(&u);
		page_not_found(req);
		return;
	}
	if (!ok) {
		bson_destroy(&u);
		page_error(req, e.status >= 400 && e.status < 600 ? e.status : 500);
		return;
	}
	note(req, st, &id, &u);
	bson_destroy(&u);
	(void)buf_fmt(location, sizeof location, "/customers/%s?done=%s", hex, done);
	http_redirect(req, 303, location);
}

void admin_form_team_role(struct http_req *req)
{
	store_t *st = http_store(req);
	const char *slug = http_form(req, "role");
	int role, current;
	bson_t u;
	bson_oid_t id;
	struct err e;
	store_error_t se = { 0 };

	if (!st || !form_user(req, st, &u, &id, &current))
		return;
	role = account_role_from_slug(slug ? slug : "");
	if (role < ROLE_CLIENT || role > req->role || (role == ROLE_DEV && req->role < ROLE_DEV)) {
		bson_destroy(&u);
		page_error(req, 403);
		return;
	}
	if (!manage_set_role(st, &id, slug, account_now_ms(), &e)) {
		bson_destroy(&u);
		page_error(req, e.status >= 400 && e.status < 600 ? e.status : 500);
		return;
	}
	if (role < current && !session_end_all(st, &id, NULL, &se))
		log_error("team: end sessions: %s", se.message);
	note(req, st, &id, &u);
	bson_destroy(&u);
	http_redirect(req, 303, "/team?done=role");
}
