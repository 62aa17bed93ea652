/*
 * page.c — the account pages of both apps and what accounts add to every
 * page. See page.h.
 *
 * Every form here is a plain HTML form that works without JavaScript: a
 * GET renders it, its POST (a ROUTE_FORM route) runs the same functions
 * and throttles as the JSON API (account.h, api.h, web/throttle.h), then
 * either redirects (303) to the next step or renders the form again with
 * status 4xx, the error next to its field (aria-invalid, aria-describedby)
 * and what was typed, except passwords. Nothing is written on an error.
 */
#include "account/page.h"
#include "account/account.h"
#include "account/api.h"
#include "account/role.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "web/http.h"
#include "web/page.h"
#include "web/page_err.h"
#include "web/route.h"
#include "web/throttle.h"

#include <stdlib.h>
#include <string.h>

#define FORM_ECHO_MAX 1024       /* longer input is not shown back */
#define TOKEN_MAX_BYTES 128

static const char *role_label(int role)
{
	switch (role) {
	case ROLE_DEV: return "Développement";
	case ROLE_ADMIN: return "Administration";
	case ROLE_STAFF: return "Membre de l’équipe";
	default: return "Client";
	}
}

void account_page_data(struct http_req *req, json_object *data)
{
	const struct auth_session *me = auth_session(req);
	json_object *user;
	const char *name;

	if (!me)
		return;
	name = doc_str(&me->user, "givenName");
	if (!name || !*name)
		name = doc_str(&me->user, "email");
	user = json_object_new_object();
	json_object_object_add(user, "name", json_object_new_string(name ? name : ""));
	json_object_object_add(user, "roleLabel", json_object_new_string(role_label(me->role)));
	json_object_object_add(user, "isAdmin", json_object_new_boolean(me->role >= ROLE_ADMIN));
	json_object_object_add(data, "user", user);
}

/* ---- form helpers ---------------------------------------------------- */

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* A form page's data: `values` (what was typed) and `errors` (per field)
 * start empty. */
static json_object *form_data(struct http_req *req, const char *title,
			      const char *description)
{
	json_object *data = page_data(req, title);

	if (description)
		page_set(data, "description", description);
	json_object_object_add(data, "values", json_object_new_object());
	json_object_object_add(data, "errors", json_object_new_object());
	return data;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Copies the typed value of each form field of `keys` into data.values
 * (never a password: callers do not list them), when it is text a page
 * can show. */
static void keep_values(struct http_req *req, json_object *data,
			const char *const *keys)
{
	json_object *values = member(data, "values");

	for (; *keys; keys++) {
		const char *v = http_form(req, *keys);
		size_t len = v ? strlen(v) : 0;

		if (v && len <= FORM_ECHO_MAX && http_utf8_valid(v, len))
			set_str(values, *keys, v);
	}
}

/* The form fields of `keys` as the JSON body the API functions read
 * (strings; `newsletter`, a checkbox, as a boolean). New object. */
static json_object *form_json(struct http_req *req, const char *const *keys)
{
	json_object *o = json_object_new_object();

	for (; *keys; keys++) {
		const char *v = http_form(req, *keys);

		if (strcmp(*keys, "newsletter") == 0)
			json_object_object_add(o, *keys, json_object_new_boolean(v != NULL));
		else if (v)
			set_str(o, *keys, v);
	}
	return o;
}

/* Renders `tpl` again with `e` next to its field (or above the form) and
 * the status of `e`. A server failure is the error page. Takes `data`. */
static void form_refuse(struct http_req *req, json_object *data, const char *tpl,
			const struct err *e)
{
	char buf[160];
	const char *msg;

	if (e->status >= 500 || e->status == 0) {
		json_object_put(data);
		page_error(req, e->status >= 500 ? e->status : 500);
		return;
	}
	if ((msg = page_err_field_text(e, buf, sizeof buf))) {
		set_str(member(data, "errors"), e->field, msg);
		json_object_object_add(data, "invalid", json_object_new_boolean(true));
	} else {
		set_str(data, "error", page_err_text(e, buf, sizeof buf));
	}
	page_render(req, e->status == 403 || e->status == 410 ? 422 : e->status,
		    tpl, data);
}

static store_t *store_or_err(struct err *e)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);

	if (!st)
		store_fail(e, "page", &se);
	return st;
}

static bool throttle_err(enum throttle_action action, enum throttle_scope scope,
			 const char *key, struct http_req *req, struct err *e)
{
	long retry = 0;

	if (throttle_take(action, scope, key, &retry))
		return true;
	http_add_headerf(req, "Retry-After", "%ld", retry);
	return err_set(e, 429, "too_many_requests", NULL,
		       "Too many attempts. Please try again in %ld seconds.", retry);
}

/* The token of a link (?token= on GET, the hidden field on POST), when it
 * can be one of ours; "" otherwise. */
static const char *token_of(const char *raw)
{
	char hash[65];

	return raw && account_token_hash(raw, strlen(raw), hash) ? raw : "";
}

/* ---- sign in ----------------------------------------------------------- */

static const char *login_default(const struct http_req *req)
{
	return req->app->staff ? "/" : "/dashboard";
}

static json_object *login_data(struct http_req *req, const char *next)
{
	bool staff = req->app->staff;
	json_object *data = form_data(req, "Connexion",
				      "Connectez-vous pour retrouver vos réservations, vos messages et votre profil.");

	json_object_object_add(data, "staff", json_object_new_boolean(staff));
	set_str(data, "action", req->path);
	/* only local paths, so the page cannot be used to redirect away */
	set_str(data, "next", http_return_path(next, login_default(req)));
	page_section(data, "login");
	return data;
}

void login_page(struct http_req *req)
{
	json_object *data = login_data(req, http_query(req, "next"));
	const char *notice = NULL;

	if (http_query(req, "activated"))
		notice = "Votre compte est activé : vous pouvez vous connecter.";
	else if (http_query(req, "reset"))
		notice = "Votre mot de passe est changé : connectez-vous avec le nouveau.";
	if (notice)
		set_str(data, "notice", notice);
	page_render(req, 200, "login.html", data);
}

void login_page_post(struct http_req *req)
{
	static const char *const kept[] = { "email", NULL };
	const char *email = http_form(req, "email");
	const char *password = http_form(req, "password");
	json_object *data = login_data(req, http_form(req, "next"));
	bson_t user = BSON_INITIALIZER;
	struct err e;
	int role = 0;

	keep_values(req, data, kept);
	if (!email || !*email) {
		err_set(&e, 400, "invalid_request", "email", "email is required.");
		goto refuse;
	}
	if (!password || !*password) {
		err_set(&e, 400, "invalid_request", "password", "password is required.");
		goto refuse;
	}
	if (strlen(email) > ACCOUNT_EMAIL_MAX + 64) {
		err_set(&e, 422, "validation_failed", "email", "email is too long.");
		goto refuse;
	}
	if (strlen(password) > PASSWORD_MAX_BYTES) {
		/* never a password of ours: counted as a wrong one */
		password = "";
	}
	if (!auth_sign_in(req, req->app->staff ? ROLE_STAFF : ROLE_CLIENT, email,
			  strlen(email), password, strlen(password), &user, &role, &e))
		goto refuse;
	http_redirect(req, 303, json_object_get_string(member(data, "next")));
	json_object_put(data);
	goto done;
refuse:
	form_refuse(req, data, "login.html", &e);
done:
	bson_destroy(&user);
}

/* ---- register ------------------------------------------------------------ */

static const char *const register_fields[] = {
	"email", "password", "username", "givenName", "phone", "companyName",
	"newsletter", NULL,
};
static const char *const register_kept[] = {
	"email", "username", "givenName", "phone", "companyName", "newsletter", NULL,
};

static json_object *register_data(struct http_req *req)
{
	json_object *data = form_data(req, "Créer un compte",
				      "Créez votre compte CoworKing Café pour réserver une place ou une salle et suivre vos réservations.");

	page_section(data, "register");
	return data;
}

void register_page(struct http_req *req)
{
	json_object *data = register_data(req);

	if (http_query(req, "sent"))
		json_object_object_add(data, "sent", json_object_new_boolean(true));
	page_render(req, 200, "register.html", data);
}

void register_page_post(struct http_req *req)
{
	json_object *data = register_data(req);
	json_object *body = form_json(req, register_fields);
	const char *hp = http_form(req, "website");
	struct account_input in;
	struct err e;
	bson_oid_t id;
	store_t *st;

	memset(&in, 0, sizeof in);
	keep_values(req, data, register_kept);
	if (!account_read_input(body, AF_EMAIL | AF_PASSWORD | AF_USERNAME |
				AF_GIVEN_NAME | AF_PHONE | AF_COMPANY | AF_NEWSLETTER,
				AF_EMAIL | AF_PASSWORD | AF_GIVEN_NAME, &in, &e))
		goto refuse;
	if (!in.given_name[0]) {
		err_set(&e, 400, "invalid_request", "givenName", "givenName is required.");
		goto refuse;
	}
	if (hp && *hp) {
		/* a bot: the answer of a success, with nothing created */
		log_info("register page: honeypot filled; nothing created");
		goto sent;
	}
	if (!throttle_err(THROTTLE_REGISTER, THROTTLE_IP, http_client_ip(req), req, &e) ||
	    !(st = store_or_err(&e)) ||
	    !account_register(st, &in, account_now_ms(), &id, NULL, &e))
		goto refuse;
sent:
	http_redirect(req, 303, "/auth/register?sent=1");
	json_object_put(data);
	goto done;
refuse:
	form_refuse(req, data, "register.html", &e);
done:
	account_input_clear(&in);
	json_object_put(body);
}

/* ---- activation ------------------------------------------------------------ */

static json_object *activate_data(struct http_req *req, const char *token)
{
	json_object *data = form_data(req, "Activer mon compte", NULL);

	set_str(data, "token", token_of(token));
	return data;
}

/* GET does not activate: mail scanners open links; the button does. */
void activate_page(struct http_req *req)
{
	page_render(req, 200, "activate-account.html",
		    activate_data(req, http_query(req, "token")));
}

void activate_page_post(struct http_req *req)
{
	const char *token = http_form(req, "token");
	const char *password = http_form(req, "password");
	json_object *data = activate_data(req, token);
	struct err e;
	store_t *st;

	if (password && !*password)
		password = NULL;
	if (password)
		json_object_object_add(data, "needPassword", json_object_new_boolean(true));
	if (!token || !*token || strlen(token) > TOKEN_MAX_BYTES) {
		err_set(&e, 410, "token_expired", NULL, "Unknown token.");
		goto refuse;
	}
	if (password && strlen(password) > PASSWORD_MAX_BYTES) {
		err_set(&e, 422, "validation_failed", "password", "password is too long.");
		goto refuse;
	}
	if (!(st = store_or_err(&e)) ||
	    !account_activate(st, token, strlen(token), password,
			      password ? strlen(password) : 0, account_now_ms(), NULL, &e))
		goto refuse;
	http_redirect(req, 303, "/auth/login?activated=1");
	json_object_put(data);
	return;
refuse:
	if (strcmp(e.field, "password") == 0)
		json_object_object_add(data, "needPassword", json_object_new_boolean(true));
	form_refuse(req, data, "activate-account.html", &e);
}

/* ---- forgotten password ------------------------------------------------------ */

static json_object *forgot_data(struct http_req *req)
{
	return form_data(req, "Mot de passe oublié",
			 "Recevez par e-mail un lien pour choisir un nouveau mot de passe.");
}

void forgot_page(struct http_req *req)
{
	json_object *data = forgot_data(req);

	if (http_query(req, "sent"))
		json_object_object_add(data, "sent", json_object_new_boolean(true));
	page_render(req, 200, "forgot-password.html", data);
}

void forgot_page_post(struct http_req *req)
{
	static const char *const fields[] = { "email", NULL };
	json_object *data = forgot_data(req);
	json_object *body = form_json(req, fields);
	struct account_input in;
	struct err e;
	store_t *st;

	memset(&in, 0, sizeof in);
	keep_values(req, data, fields);
	if (!account_read_input(body, AF_EMAIL, AF_EMAIL, &in, &e) ||
	    !throttle_err(THROTTLE_FORGOT, THROTTLE_IP, http_client_ip(req), req, &e) ||
	    !throttle_err(THROTTLE_FORGOT, THROTTLE_ACCOUNT, in.email, req, &e) ||
	    !(st = store_or_err(&e)) ||
	    !account_request_mail(st, "password_reset", in.email, &e)) {
		form_refuse(req, data, "forgot-password.html", &e);
		goto done;
	}
	http_redirect(req, 303, "/auth/forgot-password?sent=1");
	json_object_put(data);
done:
	json_object_put(body);
}

/* ---- reset password ------------------------------------------------------------ */

static json_object *reset_data(struct http_req *req, const char *token)
{
	json_object *data = form_data(req, "Nouveau mot de passe", NULL);

	set_str(data, "token", token_of(token));
	return data;
}

void reset_page(struct http_req *req)
{
	page_render(req, 200, "reset-password.html",
		    reset_data(req, http_query(req, "token")));
}

void reset_page_post(struct http_req *req)
{
	const char *token = http_form(req, "token");
	const char *password = http_form(req, "password");
	json_object *data = reset_data(req, token);
	store_error_t se = { 0 };
	bson_t user = BSON_INITIALIZER;
	bool found = false;
	bson_oid_t uid;
	struct err e;
	store_t *st;

	if (!token || !*token || strlen(token) > TOKEN_MAX_BYTES) {
		err_set(&e, 410, "token_expired", NULL, "Unknown token.");
		goto refuse;
	}
	if (!password || !*password) {
		err_set(&e, 400, "invalid_request", "password", "password is required.");
		goto refuse;
	}
	if (!account_check_password(password, strlen(password), "password", &e) ||
	    !(st = store_or_err(&e)) ||
	    !account_reset_password(st, token, strlen(token), password, strlen(password),
				    account_now_ms(), &uid, &e))
		goto refuse;
	/* the owner proved it: failed logins of the old password are forgiven */
	if (account_find_by_id(st, &uid, &user, &found, &se) && found &&
	    doc_str(&user, "email"))
		throttle_clear(THROTTLE_LOGIN, THROTTLE_ACCOUNT, doc_str(&user, "email"));
	http_redirect(req, 303, "/auth/login?reset=1");
	json_object_put(data);
	goto done;
refuse:
	form_refuse(req, data, "reset-password.html", &e);
done:
	bson_destroy(&user);
}
