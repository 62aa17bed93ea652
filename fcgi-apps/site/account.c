/*
 * account.c — the site's account API (SPEC §4): register, activation,
 * login / logout / session, forgot and reset password, profile, password
 * change, account deletion. The rules live in common/account.c and
 * common/auth.c; these handlers read the request, apply the throttles and
 * shape the answer.
 */
#include "account/account.h"
#include "core/doc.h"
#include "account/api.h"
#include "core/log.h"
#include "web/route.h"
#include "site.h"
#include "web/throttle.h"
#include "conn/conn.h"

#include <string.h>

#define TOKEN_MAX_BYTES 128

static void send_ok(struct http_req *req, int status, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	if (message)
		json_object_object_add(o, "message", json_object_new_string(message));
	http_send_json(req, status, o);
}

/* A bot fills the hidden `website` field; people leave it empty. */
static bool honeypot_filled(json_object *body)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(body, "website", &v) || !v)
		return false;
	return !json_object_is_type(v, json_type_string) ||
	       json_object_get_string_len(v) > 0;
}

void site_register(struct http_req *req)
{
	struct account_input in;
	struct err e;
	bson_oid_t id;
	char hex[25];
	long retry = 0;
	store_t *st;
	json_object *o, *u;

	if (!account_read_input(req->json,
				AF_EMAIL | AF_PASSWORD | AF_USERNAME | AF_GIVEN_NAME |
				AF_PHONE | AF_COMPANY | AF_NEWSLETTER,
				AF_EMAIL | AF_PASSWORD | AF_GIVEN_NAME, &in, &e)) {
		http_send_err(req, &e);
		goto done;
	}
	if (honeypot_filled(req->json)) {
		/* the answer of a success, with nothing created */
		log_info("register: honeypot filled; nothing created");
		bson_oid_init(&id, NULL);
		goto created;
	}
	if (!throttle_take(THROTTLE_REGISTER, THROTTLE_IP, http_client_ip(req), &retry)) {
		throttle_refuse(req, retry);
		goto done;
	}
	if (!(st = http_store(req)))
		goto done;
	if (!account_register(st, &in, account_now_ms(), &id, NULL, &e)) {
		http_send_err(req, &e);
		goto done;
	}
created:
	bson_oid_to_string(&id, hex);
	o = json_object_new_object();
	u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_string(hex));
	json_object_object_add(u, "email", json_object_new_string(in.email));
	json_object_object_add(o, "user", u);
	http_send_json(req, 201, o);
done:
	account_input_clear(&in);
}

void site_activate_account(struct http_req *req)
{
	struct err e;
	const char *token, *password;
	size_t token_len, password_len;
	store_t *st;

	if (!account_read_string(req->json, "token", true, TOKEN_MAX_BYTES, &token,
				 &token_len, &e) ||
	    !account_read_string(req->json, "password", false, PASSWORD_MAX_BYTES,
				 &password, &password_len, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!(st = http_store(req)))
		return;
	if (!account_activate(st, token, token_len, password, password_len,
			      account_now_ms(), NULL, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_ok(req, 200, "Your account is activated: you can sign in.");
}

/* Reads and normalises `email`; on error the response is finished. */
static bool read_email(struct http_req *req, char email[ACCOUNT_EMAIL_MAX + 1])
{
	struct err e;
	struct account_input in;

	if (!account_read_input(req->json, AF_EMAIL, AF_EMAIL, &in, &e)) {
		http_send_err(req, &e);
		return false;
	}
	memcpy(email, in.email, sizeof in.email);
	return true;
}

static bool take_both(struct http_req *req, enum throttle_action action,
		      const char *email)
{
	long retry = 0;

	if (!throttle_take(action, THROTTLE_IP, http_client_ip(req), &retry) ||
	    !throttle_take(action, THROTTLE_ACCOUNT, email, &retry)) {
		throttle_refuse(req, retry);
		return false;
	}
	return true;
}

void site_resend_activation(struct http_req *req)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	struct err e;
	store_t *st;

	if (!read_email(req, email) ||
	    !take_both(req, THROTTLE_RESEND, email) || !(st = http_store(req)))
		return;
	if (!account_request_mail(st, "activation", email, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_ok(req, 200, "If an account at this address awaits activation, "
		"a new activation email is on its way.");
}

void site_forgot_password(struct http_req *req)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	struct err e;
	store_t *st;

	if (!read_email(req, email) ||
	    !take_both(req, THROTTLE_FORGOT, email) || !(st = http_store(req)))
		return;
	if (!account_request_mail(st, "password_reset", email, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_ok(req, 200, "If an account exists at this address, "
		"an email with a reset link is on its way.");
}

void site_reset_password(struct http_req *req)
{
	struct err e;
	store_error_t se = { 0 };
	const char *token, *password;
	size_t token_len, password_len;
	bson_oid_t uid;
	bson_t user = BSON_INITIALIZER;
	bool found = false;
	store_t *st;

	if (!account_read_string(req->json, "token", true, TOKEN_MAX_BYTES, &token,
				 &token_len, &e) ||
	    !account_read_string(req->json, "password", true, PASSWORD_MAX_BYTES,
				 &password, &password_len, &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!(st = http_store(req)))
		return;
	if (!account_reset_password(st, token, token_len, password, password_len,
				    account_now_ms(), &uid, &e)) {
		http_send_err(req, &e);
		return;
	}
	/* the owner proved it: failed logins of the old password are forgiven */
	if (account_find_by_id(st, &uid, &user, &found, &se) && found &&
	    doc_str(&user, "email"))
		throttle_clear(THROTTLE_LOGIN, THROTTLE_ACCOUNT, doc_str(&user, "email"));
	bson_destroy(&user);
	send_ok(req, 200, "Your password is changed: you can sign in.");
}

void site_login(struct http_req *req)
{
	auth_login(req, ROLE_CLIENT);
}

void site_logout(struct http_req *req)
{
	auth_logout(req);
}

void site_session(struct http_req *req)
{
	auth_session_get(req);
}

static void send_profile(struct http_req *req, const bson_t *user, int role)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user", account_profile_json(user, role));
	http_send_json(req, 200, o);
}

void site_profile_get(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);

	send_profile(req, &s->user, s->role);
}

void site_profile_put(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);
	struct account_input in;
	struct err e;
	store_error_t se = { 0 };
	bson_t user = BSON_INITIALIZER;
	bool found = false;
	store_t *st;

	if (!account_read_input(req->json,
				AF_USERNAME | AF_GIVEN_NAME | AF_PHONE | AF_COMPANY |
				AF_NEWSLETTER, 0, &in, &e)) {
		http_send_err(req, &e);
		return;
	}
	if ((in.present & AF_GIVEN_NAME) && !in.given_name[0]) {
		err_set(&e, 422, "validation_failed", "givenName",
			     "givenName must not be empty.");
		http_send_err(req, &e);
		return;
	}
	if (!(st = http_store(req)))
		return;
	if (!account_update_profile(st, &s->user_id, &in, account_now_ms(), &e)) {
		http_send_err(req, &e);
		return;
	}
	if (!account_find_by_id(st, &s->user_id, &user, &found, &se) || !found) {
		store_fail(&e, "profile: reread", &se);
		http_send_err(req, &e);
	} else {
		send_profile(req, &user, s->role);
	}
	bson_destroy(&user);
}

void site_password_put(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);
	const char *email = doc_str(&s->user, "email");
	struct err e;
	const char *current, *next;
	size_t current_len, next_len;
	long retry = 0;
	store_t *st;

	if (!account_read_string(req->json, "currentPassword", true, PASSWORD_MAX_BYTES,
				 &current, &current_len, &e) ||
	    !account_read_string(req->json, "newPassword", true, PASSWORD_MAX_BYTES,
				 &next, &next_len, &e)) {
		http_send_err(req, &e);
		return;
	}
	/* guessing the current password is guessing a login */
	if (email && !throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email, &retry)) {
		throttle_refuse(req, retry);
		return;
	}
	if (!(st = http_store(req)))
		return;
	if (!account_change_password(st, &s->user, current, current_len, next, next_len,
				     s->token_hash, account_now_ms(), &e)) {
		if (e.status == 401 && email)
			throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, email);
		http_send_err(req, &e);
		return;
	}
	send_ok(req, 200, "Your password is changed; your other sessions are ended.");
}

void site_account_delete(struct http_req *req)
{
	const struct auth_session *s = auth_session(req);
	struct err e;
	store_t *st;

	if (!(st = http_store(req)))
		return;
	if (!account_delete(st, &s->user_id, account_now_ms(), &e)) {
		http_send_err(req, &e);
		return;
	}
	log_info("account %s deleted (anonymised) by its owner", s->user_id_hex);
	auth_cookie_clear(req);
	send_ok(req, 200, "Your account is deleted.");
}
