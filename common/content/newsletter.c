/*
 * newsletter.c — subscribers, double opt-in, one-click unsubscribe
 * (newsletter.h).
 */
#include "content/newsletter.h"
#include "account/account.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/doc.h"
#include "core/log.h"
#include "core/template.h"
#include "mail/mail.h"

#include <stdlib.h>
#include <string.h>

const char *const newsletter_statuses[] = { "pending", "confirmed", "unsubscribed", NULL };

const char *newsletter_status_label(const char *status)
{
	if (status && strcmp(status, "confirmed") == 0)
		return "Confirmé";
	if (status && strcmp(status, "unsubscribed") == 0)
		return "Désinscrit";
	return "En attente";
}

void newsletter_unsubscribe_token(const char *email, char out[65])
{
	uint8_t mac[32];
	struct buf msg = { 0 };

	buf_printf(&msg, "newsletter-unsubscribe\n%s", email);
	crypto_hmac_sha256(cfg->jwt_secret, strlen(cfg->jwt_secret), msg.data, msg.len, mac);
	crypto_hex(mac, sizeof mac, out);
	buf_free(&msg);
}

char *newsletter_unsubscribe_url(const char *email)
{
	char tok[65];
	char *enc = tpl_url_encode(email), *url;
	struct buf b = { 0 };

	newsletter_unsubscribe_token(email, tok);
	buf_printf(&b, "%s/api/newsletter/unsubscribe?email=%s&token=%s", cfg->site_url, enc, tok);
	free(enc);
	url = strdup(b.data);
	buf_free(&b);
	return url;
}

bool newsletter_mail(store_t *st, const char *template_name, const char *to, json_object *vars,
		     store_error_t *se)
{
	char *url = newsletter_unsubscribe_url(to);
	struct buf list = { 0 };
	bool ok;

	buf_printf(&list, "<mailto:%s?subject=unsubscribe>, <%s>", cfg->contact_email, url);
	struct mail_header h[] = {
		{ "List-Unsubscribe", list.data },
		{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
	};
	json_object_object_add(vars, "unsubscribeUrl", json_object_new_string(url));
	ok = mail_enqueue_headers(st, template_name, to, vars, h, 2, se);
	buf_free(&list);
	free(url);
	return ok;
}

/* users.newsletter of the account with this address (if any) := on. */
static void account_in_step(store_t *st, const char *email, bool on, int64_t now)
{
	store_error_t se = { 0 };
	bson_t *filter = BCON_NEW("email", BCON_UTF8(email));
	bson_t *update = BCON_NEW("$set", "{", "newsletter", BCON_BOOL(on),
				  "updatedAt", BCON_DATE_TIME(now), "}");

	if (!store_update_one(st, "users", filter, update, false, NULL, &se))
		log_error("newsletter: users.newsletter of an account: %s", se.message);
	bson_destroy(filter);
	bson_destroy(update);
}

bool newsletter_subscribe(store_t *st, int64_t now, const char *email_in, const char *source,
			  struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1], raw[ACCOUNT_TOKEN_HEX + 1], hash[65];
	bson_t found_doc = BSON_INITIALIZER;
	bson_t *filter = NULL, *update = NULL;
	store_error_t se = { 0 };
	bool found = false, ok = false;

	if (!email_in || !account_email_normalise(email_in, strlen(email_in), email, sizeof email))
		return err_set(e, 400, "validation_failed", "email",
			       "Indiquez une adresse e-mail valide (nom@exemple.fr).");
	filter = BCON_NEW("email", BCON_UTF8(email));
	if (!store_find_one(st, NEWSLETTER_COLLECTION, filter, NULL, &found_doc, &found, &se)) {
		store_fail(e, "newsletter subscriber", &se);
		goto done;
	}
	if (found && doc_str(&found_doc, "status") &&
	    strcmp(doc_str(&found_doc, "status"), "confirmed") == 0) {
		ok = true;   /* nothing to do; the answer is the same */
		goto done;
	}
	if (!account_new_token(raw, hash)) {
		err_set(e, 500, "internal", NULL, "no randomness");
		goto done;
	}
	if (!found) {
		bson_t doc = BSON_INITIALIZER;
		BSON_APPEND_UTF8(&doc, "email", email);
		BSON_APPEND_UTF8(&doc, "status", "pending");
		BSON_APPEND_BOOL(&doc, "isSubscribed", false);
		BSON_APPEND_UTF8(&doc, "source", source ? source : "form");
		BSON_APPEND_UTF8(&doc, "confirmTokenHash", hash);
		BSON_APPEND_DATE_TIME(&doc, "confirmTokenExpires", now + NEWSLETTER_CONFIRM_MS);
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
		BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
		ok = store_insert_one(st, NEWSLETTER_COLLECTION, &doc, NULL, &se);
		bson_destroy(&doc);
		if (!ok && se.code == STORE_ERR_DUPLICATE_KEY) {
			ok = true;   /* a twin request won the race: its mail is on its way */
			goto done;
		}
	} else {
		update = BCON_NEW("$set", "{", "confirmTokenHash", BCON_UTF8(hash),
				  "confirmTokenExpires", BCON_DATE_TIME(now + NEWSLETTER_CONFIRM_MS),
				  "updatedAt", BCON_DATE_TIME(now), "}");
		ok = store_update_one(st, NEWSLETTER_COLLECTION, filter, update, false, NULL, &se);
	}
	if (!ok) {
		store_fail(e, "newsletter subscriber", &se);
		goto done;
	}
	{
		json_object *vars = json_object_new_object();
		struct buf link = { 0 };
		buf_printf(&link, "%s/api/newsletter/confirm?token=%s", cfg->site_url, raw);
		json_object_object_add(vars, "link", json_object_new_string(link.data));
		if (!newsletter_mail(st, "newsletter_confirm", email, vars, &se))
			log_error("newsletter confirmation mail: %s", se.message);
		json_object_put(vars);
		buf_free(&link);
	}
done:
	bson_destroy(&found_doc);
	if (filter)
		bson_destroy(filter);
	if (update)
		bson_destroy(update);
	return ok;
}

bool newsletter_confirm(store_t *st, int64_t now, const char *token, char *email_out,
			size_t outlen, struct err *e)
{
	char hash[65];
	bson_t *filter = NULL, *update = NULL;
	bson_t doc = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool found = false, ok = false;
	const char *email;

	if (!token || !account_token_hash(token, strlen(token), hash))
		return err_set(e, 410, "token_invalid", "token",
			       "Ce lien de confirmation n’est pas valable ou a déjà servi.");
	filter = BCON_NEW("confirmTokenHash", BCON_UTF8(hash),
			  "confirmTokenExpires", "{", "$gt", BCON_DATE_TIME(now), "}");
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("confirmed"), "isSubscribed", BCON_BOOL(true),
			  "confirmedAt", BCON_DATE_TIME(now), "subscribedAt", BCON_DATE_TIME(now),
			  "updatedAt", BCON_DATE_TIME(now), "}",
			  "$unset", "{", "confirmTokenHash", BCON_UTF8(""), "confirmTokenExpires", BCON_UTF8(""),
			  "unsubscribedAt", BCON_UTF8(""), "}");
	if (!store_find_one_and_update(st, NEWSLETTER_COLLECTION, filter, update, NULL, &doc, &found, &se)) {
		store_fail(e, "newsletter confirmation", &se);
		goto done;
	}
	if (!found || !(email = doc_str(&doc, "email"))) {
		err_set(e, 410, "token_invalid", "token",
			"Ce lien de confirmation n’est pas valable, a expiré ou a déjà servi.");
		goto done;
	}
	(void)buf_fmt(email_out, outlen, "%s", email);
	account_in_step(st, email, true, now);
	{
		json_object *vars = json_object_new_object();
		if (!newsletter_mail(st, "newsletter_welcome", email, vars, &se))
			log_error("newsletter welcome mail: %s", se.message);
		json_object_put(vars);
	}
	ok = true;
done:
	bson_destroy(&doc);
	bson_destroy(filter);
	bson_destroy(update);
	return ok;
}

bool newsletter_unsubscribe(store_t *st, int64_t now, const char *email_in, const char *token,
			    struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1], want[65];
	bson_t *filter, *update;
	store_error_t se = { 0 };
	bool ok;

	if (!email_in || !token ||
	    !account_email_normalise(email_in, strlen(email_in), email, sizeof email))
		return err_set(e, 400, "token_invalid", "token", "Ce lien de désinscription n’est pas valable.");
	newsletter_unsubscribe_token(email, want);
	if (!crypto_equal(want, 64, token, strlen(token)))
		return err_set(e, 400, "token_invalid", "token", "Ce lien de désinscription n’est pas valable.");
	filter = BCON_NEW("email", BCON_UTF8(email), "status", "{", "$ne", BCON_UTF8("unsubscribed"), "}");
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("unsubscribed"), "isSubscribed", BCON_BOOL(false),
			  "unsubscribedAt", BCON_DATE_TIME(now), "updatedAt", BCON_DATE_TIME(now), "}",
			  "$unset", "{", "confirmTokenHash", BCON_UTF8(""), "confirmTokenExpires", BCON_UTF8(""), "}");
	ok = store_update_one(st, NEWSLETTER_COLLECTION, filter, update, false, NULL, &se);
	bson_destroy(filter);
	bson_destroy(update);
	if (!ok)
		return store_fail(e, "newsletter unsubscribe", &se);
	account_in_step(st, email, false, now);
	return true;
}

bool newsletter_set_for_account(store_t *st, int64_t now, const char *email,
				const bson_oid_t *user_id, bool on, struct err *e)
{
	bson_t *filter = BCON_NEW("email", BCON_UTF8(email)), *update;
	store_error_t se = { 0 };
	store_update_result_t res = { 0 };
	bool ok;

	if (on)
		update = BCON_NEW("$set", "{", "status", BCON_UTF8("confirmed"), "isSubscribed", BCON_BOOL(true),
				  "userId", BCON_OID(user_id), "confirmedAt", BCON_DATE_TIME(now),
				  "subscribedAt", BCON_DATE_TIME(now), "updatedAt", BCON_DATE_TIME(now), "}",
				  "$unset", "{", "unsubscribedAt", BCON_UTF8(""), "confirmTokenHash", BCON_UTF8(""),
				  "confirmTokenExpires", BCON_UTF8(""), "}");
	else
		update = BCON_NEW("$set", "{", "status", BCON_UTF8("unsubscribed"), "isSubscribed", BCON_BOOL(false),
				  "userId", BCON_OID(user_id), "unsubscribedAt", BCON_DATE_TIME(now),
				  "updatedAt", BCON_DATE_TIME(now), "}");
	ok = store_update_one(st, NEWSLETTER_COLLECTION, filter, update, false, &res, &se);
	if (ok && on && res.matched == 0) {
		bson_t doc = BSON_INITIALIZER;
		BSON_APPEND_UTF8(&doc, "email", email);
		BSON_APPEND_OID(&doc, "userId", user_id);
		BSON_APPEND_UTF8(&doc, "status", "confirmed");
		BSON_APPEND_BOOL(&doc, "isSubscribed", true);
		BSON_APPEND_UTF8(&doc, "source", "account");
		BSON_APPEND_DATE_TIME(&doc, "confirmedAt", now);
		BSON_APPEND_DATE_TIME(&doc, "subscribedAt", now);
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
		BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
		ok = store_insert_one(st, NEWSLETTER_COLLECTION, &doc, NULL, &se) ||
		     se.code == STORE_ERR_DUPLICATE_KEY;
		bson_destroy(&doc);
	}
	bson_destroy(filter);
	bson_destroy(update);
	if (!ok)
		return store_fail(e, "newsletter subscriber", &se);
	return true;
}

bool newsletter_account_registered(store_t *st, int64_t now, const char *email,
				   const bson_oid_t *user_id, struct err *e)
{
	bson_t *filter, *update;
	store_error_t se = { 0 };
	store_update_result_t res = { 0 };
	bool ok;

	/* pending or unsubscribed: pending again, for this account (a pending
	 * footer subscription keeps its link, which still confirms it) */
	filter = BCON_NEW("email", BCON_UTF8(email), "status", "{", "$ne", BCON_UTF8("confirmed"), "}");
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("pending"), "isSubscribed", BCON_BOOL(false),
			  "userId", BCON_OID(user_id), "updatedAt", BCON_DATE_TIME(now), "}",
			  "$unset", "{", "unsubscribedAt", BCON_UTF8(""), "}");
	ok = store_update_one(st, NEWSLETTER_COLLECTION, filter, update, false, &res, &se);
	bson_destroy(filter);
	bson_destroy(update);
	if (ok && res.matched == 0) {
		bson_t doc = BSON_INITIALIZER;
		BSON_APPEND_UTF8(&doc, "email", email);
		BSON_APPEND_OID(&doc, "userId", user_id);
		BSON_APPEND_UTF8(&doc, "status", "pending");
		BSON_APPEND_BOOL(&doc, "isSubscribed", false);
		BSON_APPEND_UTF8(&doc, "source", "account");
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
		BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
		ok = store_insert_one(st, NEWSLETTER_COLLECTION, &doc, NULL, &se);
		bson_destroy(&doc);
		if (!ok && se.code == STORE_ERR_DUPLICATE_KEY) {
			/* confirmed already: it gets its account */
			filter = BCON_NEW("email", BCON_UTF8(email));
			update = BCON_NEW("$set", "{", "userId", BCON_OID(user_id),
					  "updatedAt", BCON_DATE_TIME(now), "}");
			ok = store_update_one(st, NEWSLETTER_COLLECTION, filter, update, false, NULL, &se);
			bson_destroy(filter);
			bson_destroy(update);
		}
	}
	if (!ok)
		return store_fail(e, "newsletter subscriber", &se);
	return true;
}

bool newsletter_account_verified(store_t *st, int64_t now, const char *email,
				 const bson_oid_t *user_id, struct err *e)
{
	bson_t *filter, *update;
	bson_t doc = BSON_INITIALIZER;
	store_error_t se = { 0 };
	bool found = false;

	filter = BCON_NEW("email", BCON_UTF8(email), "userId", BCON_OID(user_id),
			  "status", BCON_UTF8("pending"));
	update = BCON_NEW("$set", "{", "status", BCON_UTF8("confirmed"), "isSubscribed", BCON_BOOL(true),
			  "confirmedAt", BCON_DATE_TIME(now), "subscribedAt", BCON_DATE_TIME(now),
			  "updatedAt", BCON_DATE_TIME(now), "}",
			  "$unset", "{", "confirmTokenHash", BCON_UTF8(""), "confirmTokenExpires", BCON_UTF8(""),
			  "unsubscribedAt", BCON_UTF8(""), "}");
	bool ok = store_find_one_and_update(st, NEWSLETTER_COLLECTION, filter, update, NULL, &doc, &found, &se);
	bson_destroy(filter);
	bson_destroy(update);
	bson_destroy(&doc);
	if (!ok)
		return store_fail(e, "newsletter confirmation", &se);
	if (!found)
		return true;
	account_in_step(st, email, true, now);
	{
		json_object *vars = json_object_new_object();
		if (!newsletter_mail(st, "newsletter_welcome", email, vars, &se))
			log_error("newsletter welcome mail: %s", se.message);
		json_object_put(vars);
	}
	return true;
}
