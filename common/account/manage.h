/*
 * manage.h — the accounts the back office manages (SPEC §9 customers and
 * team): accounts created by the staff (activated by their owner, who
 * chooses the password), deactivation, role changes and the erasure of
 * one person's data (SPEC §4 account deletion, done by an admin).
 *
 * Errors as in account.h: a struct err meant for the client.
 */
#ifndef CWC_ACCOUNT_MANAGE_H
#define CWC_ACCOUNT_MANAGE_H

#include "account/account.h"

/* Creates an inactive account with role `slug` and no password from `in`
 * (email, givenName and the optional profile fields), then queues the
 * "activation" mail: its link leads to activate-account, which asks the
 * owner for a password (account_activate). 409 `email_taken`. */
bool manage_create_invited(store_t *st, const struct account_input *in, const char *slug,
			   int64_t now, bson_oid_t *id, struct err *err);

/* Sets (`on`) or removes `deactivatedAt`; deactivating ends every session
 * of the account (a deactivated account cannot sign in: 403
 * `account_disabled`). */
bool manage_set_active(store_t *st, const bson_oid_t *id, bool active, int64_t now,
		       struct err *err);

/* Gives the account the role `slug` (its roles _id). */
bool manage_set_role(store_t *st, const bson_oid_t *id, const char *slug, int64_t now,
		     struct err *err);

/* Erases one person: account_delete() (the account anonymised, sessions
 * and tokens gone); their bookings (by user id and by the account's
 * e-mail) kept for accounting with contactName, contactEmail,
 * contactPhone, companyName, specialRequests and notes removed and
 * `personalDataErasedAt` set; their newsletter subscription, contact
 * mails, event registrations and quote requests (by e-mail) deleted.
 * `bookings_out` (may be NULL) gets how many bookings were cleared. */
bool manage_erase(store_t *st, const bson_t *user, int64_t now, int64_t *bookings_out,
		  struct err *err);

/* The person-linked collections and how a document of each names its
 * person, for the GDPR export and the erasure: {collection, user id
 * field (or NULL), e-mail field (or NULL)}. */
struct manage_link {
	const char *coll;
	const char *user_field;
	const char *email_field;
};
extern const struct manage_link manage_links[];
extern const size_t manage_nlinks;

/* The filter of `link` for the person with `id` and `email` (either may
 * be NULL): {$or: [{user_field: id}, {email_field: email}]}. False when
 * the link has nothing to match on. `out` initialised when true. */
bool manage_link_filter(const struct manage_link *link, const bson_oid_t *id, const char *email,
			bson_t *out);

#endif
