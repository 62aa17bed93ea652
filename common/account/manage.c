/*
 * manage.c — accounts managed by the back office (manage.h).
 */
#include "account/manage.h"
#include "account/session.h"
#include "content/newsletter.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"
#include "mail/mail.h"

#include <string.h>

const struct manage_link manage_links[] = {
	{ "bookings", "user", "contactEmail" },
	{ "payments", "user", NULL },
	{ "conversations", "participants.user", NULL },
	{ "messages", "sender", NULL },
	{ "eventregistrations", "userId", "email" },
	{ "contactmails", NULL, "email" },
	{ "newsletters", NULL, "email" },
	{ "quoterequests", "userId", "email" },
};
const size_t manage_nlinks = sizeof manage_links / sizeof *manage_links;

bool manage_link_filter(const struct manage_link *link, const bson_oid_t *id, const char *email,
			bson_t *out)
{
	bson_t arr, a;
	int n = 0;

	if (!(link->user_field && id) && !(link->email_field && email && *email))
		return false;
	bson_init(out);
	/* one condition: a plain equality, which the indexes serve */
	if (!(link->user_field && id)) {
		BSON_APPEND_UTF8(out, link->email_field, email);
		return true;
	}
	if (!(link->email_field && email && *email)) {
		BSON_APPEND_OID(out, link->user_field, id);
		return true;
	}
	BSON_APPEND_ARRAY_BEGIN(out, "$or", &arr);
	if (link->user_field && id) {
		BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &a);
		BSON_APPEND_OID(&a, link->user_field, id);
		bson_append_document_end(&arr, &a);
		n++;
	}
	if (link->email_field && email && *email) {
		BSON_APPEND_DOCUMENT_BEGIN(&arr, n ? "1" : "0", &a);
		BSON_APPEND_UTF8(&a, link->email_field, email);
		bson_append_document_end(&arr, &a);
	}
	bson_append_array_end(out, &arr);
	return true;
}

bool manage_create_invited(store_t *st, const struct account_input *in, const char *slug,
			   int64_t now, bson_oid_t *id, struct err *err)
{
	store_error_t se = { 0 };
	bson_oid_t role_id, new_id;
	bool found = false;
	char raw[ACCOUNT_TOKEN_HEX + 1], thash[65];
	bson_t doc = BSON_INITIALIZER;

	if (!account_role_id(st, slug, now, &role_id, &found, &se))
		return store_fail(err, "invite: role", &se);
	if (!found)
		return err_set(err, 422, "validation_failed", "role", "There is no such role.");
	/* a token nobody knows: the activation mail's resolver makes the
	 * real one (account_mail_resolve) */
	if (!account_new_token(raw, thash))
		return err_set(err, 500, "internal", NULL, "Internal error.");
	explicit_bzero(raw, sizeof raw);
	bson_oid_init(&new_id, NULL);
	BSON_APPEND_OID(&doc, "_id", &new_id);
	BSON_APPEND_UTF8(&doc, "email", in->email);
	if (in->username[0])
		BSON_APPEND_UTF8(&doc, "username", in->username);
	if (in->given_name[0])
		BSON_APPEND_UTF8(&doc, "givenName", in->given_name);
	if (in->phone[0])
		BSON_APPEND_UTF8(&doc, "phone", in->phone);
	if (in->company_name[0])
		BSON_APPEND_UTF8(&doc, "companyName", in->company_name);
	BSON_APPEND_BOOL(&doc, "newsletter", in->newsletter);
	BSON_APPEND_OID(&doc, "role", &role_id);
	BSON_APPEND_BOOL(&doc, "isTemporary", false);
	BSON_APPEND_UTF8(&doc, "activationToken", thash);
	BSON_APPEND_DATE_TIME(&doc, "activationTokenExpires", now + ACCOUNT_ACTIVATION_TTL_MS);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	if (!store_insert_one(st, "users", &doc, NULL, &se)) {
		bson_destroy(&doc);
		if (se.code == STORE_ERR_DUPLICATE_KEY)
			return err_set(err, 409, "email_taken", "email",
				       "An account already exists with this email address.");
		return store_fail(err, "invite: insert", &se);
	}
	bson_destroy(&doc);
	if (!mail_enqueue_request(st, "activation", in->email, &se)) {
		bson_t *f = BCON_NEW("_id", BCON_OID(&new_id));
		store_error_t de = { 0 };
		if (!store_delete_one(st, "users", f, NULL, &de))
			log_error("invite: cannot remove the account after a mail failure: %s", de.message);
		bson_destroy(f);
		return store_fail(err, "invite: mail", &se);
	}
	if (in->newsletter) {   /* confirmed by the activation, as at register */
		struct err ne = { 0 };
		if (!newsletter_account_registered(st, now, in->email, &new_id, &ne))
			log_error("invite: newsletter subscriber: %s", ne.message);
	}
	if (id)
		bson_oid_copy(&new_id, id);
	return true;
}

bool manage_set_active(store_t *st, const bson_oid_t *id, bool active, int64_t now,
		       struct err *err)
{
	store_error_t se = { 0 };
	bson_t *f = BCON_NEW("_id", BCON_OID(id));
	bson_t *u = active
		? BCON_NEW("$unset", "{", "deactivatedAt", BCON_UTF8(""), "}",
			   "$set", "{", "updatedAt", BCON_DATE_TIME(now), "}")
		: BCON_NEW("$set", "{", "deactivatedAt", BCON_DATE_TIME(now), "updatedAt", BCON_DATE_TIME(now), "}");
	bool ok = store_update_one(st, "users", f, u, false, NULL, &se);

	bson_destroy(f);
	bson_destroy(u);
	if (!ok)
		return store_fail(err, "account: set active", &se);
	if (!active && !session_end_all(st, id, NULL, &se))
		return store_fail(err, "account: end sessions", &se);
	return true;
}

bool manage_set_role(store_t *st, const bson_oid_t *id, const char *slug, int64_t now,
		     struct err *err)
{
	store_error_t se = { 0 };
	bson_oid_t role_id;
	bool found = false, ok;
	bson_t *f, *u;

	if (!account_role_id(st, slug, now, &role_id, &found, &se))
		return store_fail(err, "role: find", &se);
	if (!found)
		return err_set(err, 422, "validation_failed", "role", "There is no such role.");
	f = BCON_NEW("_id", BCON_OID(id));
	u = BCON_NEW("$set", "{", "role", BCON_OID(&role_id), "updatedAt", BCON_DATE_TIME(now), "}");
	ok = store_update_one(st, "users", f, u, false, NULL, &se);
	bson_destroy(f);
	bson_destroy(u);
	return ok || store_fail(err, "role: set", &se);
}

bool manage_erase(store_t *st, const bson_t *user, int64_t now, int64_t *bookings_out,
		  struct err *err)
{
	static const char *const personal[] = { "contactName", "contactEmail", "contactPhone",
		"companyName", "specialRequests", "notes" };
	static const char *const by_email[] = { "newsletters", "contactmails", "eventregistrations",
		"quoterequests" };
	store_error_t se = { 0 };
	store_update_result_t res = { 0 };
	const char *email0 = doc_str(user, "email");
	char email[ACCOUNT_EMAIL_MAX + 1] = "";
	bson_oid_t id;
	bson_t filter, update = BSON_INITIALIZER, set, unset;
	bool ok;

	if (!doc_oid(user, "_id", &id))
		return err_set(err, 404, "not_found", NULL, "No such user.");
	if (email0)
		(void)buf_fmt(email, sizeof email, "%s", email0);
	/* the bookings first: once the account is anonymised its e-mail is gone */
	manage_link_filter(&manage_links[0], &id, email, &filter);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_DATE_TIME(&set, "personalDataErasedAt", now);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
	for (size_t i = 0; i < sizeof personal / sizeof *personal; i++)
		BSON_APPEND_UTF8(&unset, personal[i], "");
	bson_append_document_end(&update, &unset);
	ok = store_update_many(st, "bookings", &filter, &update, false, &res, &se);
	bson_destroy(&filter);
	bson_destroy(&update);
	if (!ok)
		return store_fail(err, "erase: bookings", &se);
	if (bookings_out)
		*bookings_out = res.matched;
	for (size_t i = 0; i < sizeof by_email / sizeof *by_email; i++) {
		const struct manage_link *l = NULL;
		for (size_t k = 0; k < manage_nlinks; k++)
			if (strcmp(manage_links[k].coll, by_email[i]) == 0)
				l = &manage_links[k];
		if (!l || !manage_link_filter(l, &id, email, &filter))
			continue;
		ok = store_delete_many(st, by_email[i], &filter, NULL, &se);
		bson_destroy(&filter);
		if (!ok)
			return store_fail(err, "erase: forms", &se);
	}
	return account_delete(st, &id, now, err);
}
