/*
 * dashboard.c — the client dashboard (SPEC §8, signed in): the overview
 * (next bookings, hours booked this month, unread messages, quick
 * actions), the profile (names, phone, company, password, deleting the
 * account) and the settings (newsletter). Reservations and messages are
 * their own pages (/dashboard/reservations, /dashboard/messages).
 *
 * The forms are plain POSTs (ROUTE_FORM) running the functions of the JSON
 * API (account.h, the login throttle for the current password): 303 back
 * to the page with what was done, or the page again with the error next
 * to its field and what was typed. Nothing is written on an error.
 */
#include "account/account.h"
#include "content/newsletter.h"
#include "account/api.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/status.h"
#include "chat/chat.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "web/page.h"
#include "web/throttle.h"
#include "site.h"

#include <string.h>

#define NEXT_BOOKINGS 5

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

static json_object *dash_data(struct http_req *req, const char *title, const char *tab)
{
	json_object *data = page_data(req, title);
	json_object *tabs = json_object_new_object();

	json_object_object_add(tabs, tab, json_object_new_boolean(true));
	json_object_object_add(data, "tab", tabs);
	json_object_object_add(data, "values", json_object_new_object());
	json_object_object_add(data, "errors", json_object_new_object());
	page_section(data, "dashboard");
	return data;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static store_t *store_or_page(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);

	if (!st) {
		log_error("dashboard: store: %s", se.message);
		page_error(req, 503);
	}
	return st;
}

static store_t *store_or_err(struct err *e)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);

	if (!st)
		store_fail(e, "dashboard", &se);
	return st;
}

/* ---- overview ------------------------------------------------------------ */

/* "HH:MM" → minutes, or -1. */
static int minutes_of(const char *t)
{
	int m;

	return t && booking_parse_time(t, true, &m) ? m : -1;
}

/* The next bookings (pending or confirmed, from today on, soonest first)
 * into data.bookings, and the hours of this month's bookings into
 * data.hoursThisMonth. */
static bool add_bookings(store_t *st, const struct auth_session *me, json_object *data)
{
	int64_t today, month_start;
	int y, m, d, ny, nm;
	bson_t *filter, *sort;
	store_cursor_t *cur;
	store_error_t se = { 0 };
	const bson_t *doc;
	json_object *list = json_object_new_array();
	int64_t minutes = 0;
	char buf[16];

	booking_paris_local(account_now_ms(), &today, &m);
	booking_civil_from_days(today, &y, &m, &d);
	month_start = booking_days_from_civil(y, m, 1);
	ny = m == 12 ? y + 1 : y;
	nm = m == 12 ? 1 : m + 1;
	json_object_object_add(data, "bookings", list);

	/* this month: every booking not cancelled */
	filter = BCON_NEW("user", BCON_OID(&me->user_id),
			  "status", "{", "$in", "[", BCON_UTF8("pending"), BCON_UTF8("confirmed"),
			  BCON_UTF8("completed"), "]", "}",
			  "date", "{", "$gte", BCON_DATE_TIME(booking_day_ms(month_start)),
			  "$lt", BCON_DATE_TIME(booking_day_ms(booking_days_from_civil(ny, nm, 1))), "}");
	cur = store_find(st, "bookings", filter, NULL, &se);
	bson_destroy(filter);
	if (!cur)
		goto fail;
	while (store_cursor_next(cur, &doc)) {
		int a = minutes_of(doc_str(doc, "startTime")), b = minutes_of(doc_str(doc, "endTime"));
		if (a >= 0 && b > a)
			minutes += b - a;
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		goto fail;
	}
	store_cursor_destroy(cur);
	if (minutes % 60)
		buf_fmt(buf, sizeof buf, "%lld h %02lld", (long long)(minutes / 60), (long long)(minutes % 60));
	else
		buf_fmt(buf, sizeof buf, "%lld h", (long long)(minutes / 60));
	set_str(data, "hoursThisMonth", buf);

	filter = BCON_NEW("user", BCON_OID(&me->user_id),
			  "status", "{", "$in", "[", BCON_UTF8("pending"), BCON_UTF8("confirmed"), "]", "}",
			  "date", "{", "$gte", BCON_DATE_TIME(booking_day_ms(today)), "}");
	sort = BCON_NEW("date", BCON_INT32(1), "startTime", BCON_INT32(1));
	store_find_opts_t opts = { .sort = sort, .limit = NEXT_BOOKINGS };
	cur = store_find(st, "bookings", filter, &opts, &se);
	bson_destroy(filter);
	bson_destroy(sort);
	if (!cur)
		goto fail;
	while (store_cursor_next(cur, &doc)) {
		json_object *o = json_object_new_object();
		struct booking_space space;
		bool found = false;
		store_error_t se2 = { 0 };
		char day[64];
		const char *type = doc_str(doc, "spaceType");

		booking_format_day_fr(booking_day_of_ms(doc_date(doc, "date", 0)), false, day, sizeof day);
		set_str(o, "day", day);
		set_str(o, "start", doc_str(doc, "startTime"));
		set_str(o, "end", doc_str(doc, "endTime"));
		set_str(o, "status", booking_status_label(doc_str(doc, "status")));
		set_str(o, "badge", booking_status_badge(doc_str(doc, "status")));
		{
			struct buf url = { 0 };
			buf_printf(&url, "/dashboard/reservations/%s", doc_str(doc, "confirmationNumber"));
			set_str(o, "url", url.data);
			buf_free(&url);
		}
		if (type && booking_space_load(st, type, &space, &found, &se2) && found)
			set_str(o, "space", space.name);
		else
			set_str(o, "space", type);
		json_object_array_add(list, o);
	}
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		goto fail;
	}
	store_cursor_destroy(cur);
	json_object_object_add(data, "hasBookings",
			       json_object_new_boolean(json_object_array_length(list) > 0));
	return true;
fail:
	log_error("dashboard: bookings: %s", se.message);
	return false;
}

/* The messages the customer has not read, over their conversations. */
static bool add_unread(store_t *st, const struct auth_session *me, json_object *data)
{
	bson_t *filter = BCON_NEW("participants.user", BCON_OID(&me->user_id));
	store_error_t se = { 0 };
	store_cursor_t *cur = store_find(st, "conversations", filter, NULL, &se);
	const bson_t *doc;
	int64_t n = 0;
	int idx;
	char key[64];

	bson_destroy(filter);
	if (!cur)
		goto fail;
	while (store_cursor_next(cur, &doc))
		if (chat_is_participant(doc, &me->user_id, &idx) &&
		    buf_fmt(key, sizeof key, "participants.%d.unreadCount", idx))
			n += doc_int(doc, key, 0);
	if (store_cursor_error(cur, &se)) {
		store_cursor_destroy(cur);
		goto fail;
	}
	store_cursor_destroy(cur);
	json_object_object_add(data, "unread", json_object_new_int64(n));
	json_object_object_add(data, "unreadMany", json_object_new_boolean(n > 1));
	return true;
fail:
	log_error("dashboard: unread: %s", se.message);
	return false;
}

void site_dashboard(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	json_object *data;
	store_t *st;

	if (!(st = store_or_page(req)))
		return;
	data = dash_data(req, "Mon espace", "overview");
	set_str(data, "givenName", doc_str(&me->user, "givenName"));
	if (!add_bookings(st, me, data) || !add_unread(st, me, data)) {
		json_object_put(data);
		page_error(req, 500);
		return;
	}
	page_render(req, 200, "dashboard.html", data);
}

/* ---- profile ------------------------------------------------------------------ */

static const char *const profile_fields[] = {
	"givenName", "username", "phone", "companyName", NULL,
};

static json_object *profile_data(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	json_object *data = dash_data(req, "Mon profil", "profile");
	json_object *values = member(data, "values");

	set_str(data, "email", doc_str(&me->user, "email"));
	for (const char *const *f = profile_fields; *f; f++)
		set_str(values, *f, doc_str(&me->user, *f));
	if (http_query(req, "saved"))
		set_str(data, "notice", "Votre profil est enregistré.");
	else if (http_query(req, "password"))
		set_str(data, "notice", "Votre mot de passe est changé ; vos autres sessions sont fermées.");
	return data;
}

void site_profile_page(struct http_req *req)
{
	page_render(req, 200, "dashboard-profile.html", profile_data(req));
}

static const char *profile_message(const struct err *e)
{
	if (strcmp(e->field, "givenName") == 0)
		return "Saisissez votre prénom (100 caractères au plus).";
	if (strcmp(e->field, "username") == 0)
		return "Votre nom peut compter 50 caractères au plus.";
	if (strcmp(e->field, "phone") == 0)
		return "Saisissez un numéro de téléphone valide (chiffres, espaces, +, 30 caractères au plus).";
	if (strcmp(e->field, "companyName") == 0)
		return "Le nom de la société peut compter 150 caractères au plus.";
	if (strcmp(e->field, "currentPassword") == 0)
		return e->status == 401 ? "Ce n’est pas votre mot de passe actuel."
					: "Saisissez votre mot de passe actuel.";
	if (strcmp(e->field, "newPassword") == 0)
		return "Choisissez un mot de passe d’au moins 8 caractères.";
	return NULL;
}

/* The profile page again with `e`, status of `e` (5xx: the error page). */
static void profile_refuse(struct http_req *req, json_object *data, const struct err *e)
{
	const char *msg = profile_message(e);

	if (e->status >= 500 || e->status == 0) {
		json_object_put(data);
		page_error(req, e->status >= 500 ? e->status : 500);
		return;
	}
	json_object_object_del(data, "notice");
	if (e->status == 429)
		set_str(data, "error", "Trop de tentatives : réessayez dans quelques minutes.");
	else if (msg)
		set_str(member(data, "errors"), e->field, msg);
	else
		set_str(data, "error", "Cette demande n’a pas pu aboutir.");
	page_render(req, e->status, "dashboard-profile.html", data);
}

void site_profile_post(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	json_object *data = profile_data(req);
	json_object *body = json_object_new_object();
	json_object *values = member(data, "values");
	struct account_input in;
	struct err e;
	store_t *st;

	for (const char *const *f = profile_fields; *f; f++) {
		const char *v = http_form(req, *f);
		set_str(body, *f, v);
		if (v && strlen(v) <= 1024 && http_utf8_valid(v, strlen(v)))
			set_str(values, *f, v);
	}
	if (!account_read_input(body, AF_USERNAME | AF_GIVEN_NAME | AF_PHONE | AF_COMPANY,
				AF_GIVEN_NAME, &in, &e))
		goto refuse;
	if (!in.given_name[0]) {
		err_set(&e, 422, "validation_failed", "givenName", "givenName must not be empty.");
		goto refuse;
	}
	if (!(st = store_or_err(&e)))
		goto refuse;
	if (!account_update_profile(st, &me->user_id, &in, account_now_ms(), &e))
		goto refuse;
	http_redirect(req, 303, "/dashboard/profile?saved=1");
	json_object_put(data);
	goto done;
refuse:
	profile_refuse(req, data, &e);
done:
	json_object_put(body);
}

void site_password_post(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	const char *email = doc_str(&me->user, "email");
	const char *current = http_form(req, "currentPassword");
	const char *next = http_form(req, "newPassword");
	json_object *data = profile_data(req);
	struct err e;
	long retry = 0;
	store_t *st;

	if (!current || !*current) {
		err_set(&e, 400, "invalid_request", "currentPassword", "currentPassword is required.");
		goto refuse;
	}
	if (!next || !account_check_password(next, strlen(next), "newPassword", &e)) {
		if (!next)
			err_set(&e, 400, "invalid_request", "newPassword", "newPassword is required.");
		goto refuse;
	}
	/* guessing the current password is guessing a login */
	if (email && !throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email, &retry)) {
		http_add_headerf(req, "Retry-After", "%ld", retry);
		err_set(&e, 429, "too_many_requests", NULL, "Too many attempts.");
		goto refuse;
	}
	if (!(st = store_or_err(&e)))
		goto refuse;
	if (!account_change_password(st, &me->user, current,
				     strlen(current) > PASSWORD_MAX_BYTES ? 0 : strlen(current),
				     next, strlen(next), me->token_hash, account_now_ms(), &e)) {
		if (e.status == 401 && email)
			throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email);
		goto refuse;
	}
	http_redirect(req, 303, "/dashboard/profile?password=1");
	json_object_put(data);
	return;
refuse:
	profile_refuse(req, data, &e);
}

void site_delete_post(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	json_object *data;
	struct err e;
	store_t *st;

	if (!http_form(req, "confirm")) {
		data = profile_data(req);
		json_object_object_del(data, "notice");
		set_str(member(data, "errors"), "confirm",
			"Cochez la case pour confirmer la suppression de votre compte.");
		page_render(req, 422, "dashboard-profile.html", data);
		return;
	}
	if (!(st = store_or_page(req)))
		return;
	if (!account_delete(st, &me->user_id, account_now_ms(), &e)) {
		page_error(req, e.status >= 400 ? e.status : 500);
		return;
	}
	log_info("account %s deleted (anonymised) by its owner", me->user_id_hex);
	auth_cookie_clear(req);
	http_redirect(req, 303, "/");
}

/* ---- settings ------------------------------------------------------------------ */

void site_settings_page(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	json_object *data = dash_data(req, "Mes préférences", "settings");

	json_object_object_add(data, "newsletter",
			       json_object_new_boolean(doc_bool(&me->user, "newsletter", false)));
	if (http_query(req, "saved"))
		set_str(data, "notice", "Vos préférences sont enregistrées.");
	page_render(req, 200, "dashboard-settings.html", data);
}

void site_settings_post(struct http_req *req)
{
	const struct auth_session *me = auth_session(req);
	struct account_input in;
	struct err e;
	store_t *st;

	memset(&in, 0, sizeof in);
	in.present = AF_NEWSLETTER;
	in.newsletter = http_form(req, "newsletter") != NULL;
	if (!(st = store_or_page(req)))
		return;
	if (!account_update_profile(st, &me->user_id, &in, account_now_ms(), &e) ||
	    (doc_str(&me->user, "email") &&
	     !newsletter_set_for_account(st, account_now_ms(), doc_str(&me->user, "email"),
					 &me->user_id, in.newsletter, &e))) {
		page_error(req, e.status >= 400 ? e.status : 500);
		return;
	}
	http_redirect(req, 303, "/dashboard/settings?saved=1");
}
