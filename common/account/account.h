/*
 * account.h — user accounts (SPEC §3, §4): what a client may send
 * (validation), what it sees (serialisation), roles found by slug, and
 * the operations on `users` and `passwordresettokens` shared by the site,
 * the admin app, cwc-ctl and the tests: register, activation, password
 * reset, password change, profile update, deletion, legacy admin import.
 *
 * Every operation takes `now` (milliseconds since the epoch, see
 * account_now_ms) so that a test can move the clock; handlers pass the
 * real time. Operations report failures in a struct err whose
 * status/code/message are meant for the client (never an internal detail:
 * store errors are logged here and reported as 500 `internal` or 503
 * `unavailable`).
 *
 * Tokens (activation, password reset) are 32 random bytes, sent as 64 hex
 * digits in the mail's link; the store keeps only their SHA-256 (hex).
 */
#ifndef CWC_ACCOUNT_H
#define CWC_ACCOUNT_H

#include "account/role.h"
#include "core/err.h"
#include "account/password.h"
#include "mail/templates.h"
#include "store/store.h"

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define ACCOUNT_ACTIVATION_TTL_MS (48LL * 3600 * 1000)
#define ACCOUNT_RESET_TTL_MS (3600LL * 1000)
#define ACCOUNT_TOKEN_HEX 64          /* raw token in links: 32 bytes as hex */

/* Input limits: bytes for email, characters (code points) for the rest. */
#define ACCOUNT_EMAIL_MAX 254
#define ACCOUNT_PASSWORD_MIN 8        /* characters */
#define ACCOUNT_USERNAME_MAX 50
#define ACCOUNT_GIVEN_NAME_MAX 100
#define ACCOUNT_PHONE_MAX 30
#define ACCOUNT_COMPANY_MAX 150

/* ---- input --------------------------------------------------------- */

enum account_field {
	AF_EMAIL = 1 << 0,
	AF_PASSWORD = 1 << 1,
	AF_USERNAME = 1 << 2,
	AF_GIVEN_NAME = 1 << 3,
	AF_PHONE = 1 << 4,
	AF_COMPANY = 1 << 5,
	AF_NEWSLETTER = 1 << 6,
};

/* The user fields a request carries, validated and normalised (email
 * trimmed and lower-cased, names and phone trimmed). `present` has a bit
 * per field that was in the body; a JSON null counts as present and empty
 * (it clears an optional field on a profile update). */
struct account_input {
	unsigned present;
	char email[ACCOUNT_EMAIL_MAX + 1];
	char password[PASSWORD_MAX_BYTES + 1];
	size_t password_len;
	char username[4 * ACCOUNT_USERNAME_MAX + 1];
	char given_name[4 * ACCOUNT_GIVEN_NAME_MAX + 1];
	char phone[4 * ACCOUNT_PHONE_MAX + 1];
	char company_name[4 * ACCOUNT_COMPANY_MAX + 1];
	bool newsletter;
};

/* Reads the fields of `wanted` (enum account_field bits) from `body`;
 * those of `required` must be there. Missing or mistyped → 400
 * `invalid_request`; present but not acceptable → 422
 * `validation_failed`; both with err->field set to the JSON name. */
bool account_read_input(json_object *body, unsigned wanted, unsigned required,
			struct account_input *in, struct err *err);

/* Wipes the password copy in `in`. */
void account_input_clear(struct account_input *in);

/* A string member of `body` (borrowed from it), or NULL when absent and
 * not `required`. Wrong type → 400, more than `max_bytes` → 422. */
bool account_read_string(json_object *body, const char *key, bool required,
			 size_t max_bytes, const char **out, size_t *len,
			 struct err *err);

/* Trims and lower-cases `in` into `out` (size ≥ ACCOUNT_EMAIL_MAX + 1) and
 * checks its syntax (local@domain.tld, ASCII, ≤ 254 bytes). */
bool account_email_normalise(const char *in, size_t len, char *out,
			     size_t outlen);

/* Checks a new password: ≥ ACCOUNT_PASSWORD_MIN characters, ≤
 * PASSWORD_MAX_BYTES bytes, no NUL. `field` names it in the error. */
bool account_check_password(const char *pw, size_t len, const char *field,
			    struct err *err);

/* ---- roles --------------------------------------------------------- */

/* enum role of route.h for a slug ("client"…), ROLE_PUBLIC when unknown. */
int account_role_from_slug(const char *slug);
/* "client", "staff", "admin", "dev"; NULL for anything else. */
const char *account_role_slug(int role);

/* Creates the four system roles that are missing ({slug, name, level,
 * isSystem: true}); leaves existing ones as they are. Idempotent. */
bool account_ensure_roles(store_t *st, int64_t now, store_error_t *err);

/* The _id of the role whose slug is `slug` (system roles are created
 * first when missing). *found false: no such role. */
bool account_role_id(store_t *st, const char *slug, int64_t now,
		     bson_oid_t *out, bool *found, store_error_t *err);

/* The role of `user` (its `role` field: a roles _id, or a slug in legacy
 * documents). A missing or unknown role is ROLE_CLIENT (logged). False
 * only on a store error. */
bool account_user_role(store_t *st, const bson_t *user, int *role,
		       store_error_t *err);

/* ---- users --------------------------------------------------------- */

int64_t account_now_ms(void);

/* A new raw token (64 hex digits + NUL) and its SHA-256 hex. */
bool account_new_token(char raw[ACCOUNT_TOKEN_HEX + 1], char hash[65]);
/* The SHA-256 hex of a raw token as received; false when it cannot be a
 * token of ours (wrong length or not hex). */
bool account_token_hash(const char *raw, size_t len, char hash[65]);

/* The non-deleted user with this email / _id, copied into `out` (init'd
 * whenever this returns true; *found tells whether there was one). */
bool account_find_by_email(store_t *st, const char *email, bson_t *out,
			   bool *found, store_error_t *err);
bool account_find_by_id(store_t *st, const bson_oid_t *id, bson_t *out,
			bool *found, store_error_t *err);

bool account_is_deleted(const bson_t *user);
/* A pending activationToken and no emailVerifiedAt (SPEC §4). */
bool account_is_pending(const bson_t *user);

/* {id, email, username, givenName, role} (role as its slug). New object. */
json_object *account_user_json(const bson_t *user, int role);
/* The profile: the above plus phone, companyName, newsletter,
 * emailVerifiedAt, createdAt. New object. */
json_object *account_profile_json(const bson_t *user, int role);

/* The link of a mail: `${NEXTAUTH_URL}<path>?token=<raw>`; false when it
 * does not fit in `outlen` (cut, never used). */
bool account_link(char *out, size_t outlen, const char *path, const char *raw);

/* ---- operations ---------------------------------------------------- */

/* Creates a client account from `in` (email, password, givenName and the
 * optional fields), inactive, with an activation token valid 48 h, and
 * enqueues the "activation" mail. 409 `email_taken` when the address is
 * used. `raw_token` (may be NULL) receives the token of the link. */
bool account_register(store_t *st, const struct account_input *in,
		      int64_t now, bson_oid_t *user_id,
		      char raw_token[ACCOUNT_TOKEN_HEX + 1],
		      struct err *err);

/* Uses an activation token: sets emailVerifiedAt and clears the token
 * (atomically: a token works once). `password` (may be NULL) is required
 * for, and only used by, an account that has none yet. Unknown, used or
 * expired token → 410 `token_expired`. */
bool account_activate(store_t *st, const char *raw_token, size_t token_len,
		      const char *password, size_t password_len, int64_t now,
		      bson_oid_t *user_id, struct err *err);

/* Forgot password and resend activation: queues a mail request
 * (mail_enqueue_request) of `template_name` ("password_reset" or
 * "activation") for the (normalised) `email`, whoever it belongs to — the
 * same single insert for a known and an unknown address, so the request's
 * timing tells nothing. The sender resolves it with account_mail_resolve(). */
bool account_request_mail(store_t *st, const char *template_name,
			  const char *email, struct err *err);

/* The outbox's resolver (outbox_resolver_fn, plus `now` and `raw_token`):
 * "password_reset" makes a reset token (1 h, the earlier unused ones
 * deleted) for the non-deleted account at `to`; "activation" a new
 * activation token (48 h) for a pending one. 1 with the mail rendered in
 * `out` (free with mail_rendered_free) and the raw token in `raw_token`
 * (may be NULL); 0 when there is nothing to send (no such account, or not
 * pending); -1 on a store error or an unknown template (`errbuf`). */
int account_mail_resolve(store_t *st, const char *template_name, const char *to,
			 int64_t now, struct mail_rendered *out,
			 char raw_token[ACCOUNT_TOKEN_HEX + 1],
			 char *errbuf, size_t errlen);

/* Uses a reset token once (marked used atomically): new Argon2id
 * password, passwordChangedAt, every session of the user ended, the
 * "password_changed" mail. The link proves the address: a pending
 * activation is completed too. Unknown, used or expired → 410 `token_expired`. */
bool account_reset_password(store_t *st, const char *raw_token, size_t token_len,
			    const char *password, size_t password_len,
			    int64_t now, bson_oid_t *user_id,
			    struct err *err);

/* Stores a new Argon2id hash of `password` and passwordChangedAt. */
bool account_set_password(store_t *st, const bson_oid_t *user_id,
			  const char *password, size_t len, int64_t now,
			  struct err *err);

/* Replaces the hash of a password that just verified (login of a bcrypt
 * account): no length rule, passwordChangedAt untouched. */
bool account_rehash(store_t *st, const bson_oid_t *user_id,
		    const char *password, size_t len, store_error_t *err);

/* Checks `current` against `user`'s password (401 `bad_credentials`),
 * stores `new_password`, ends the user's sessions except the one whose
 * sessionToken is `keep_session` (may be NULL), sends "password_changed". */
bool account_change_password(store_t *st, const bson_t *user,
			     const char *current, size_t current_len,
			     const char *new_password, size_t new_len,
			     const char *keep_session, int64_t now,
			     struct err *err);

/* $set / $unset of the profile fields present in `in` (username,
 * givenName, phone, companyName, newsletter). */
bool account_update_profile(store_t *st, const bson_oid_t *user_id,
			    const struct account_input *in, int64_t now,
			    struct err *err);

/* Anonymises the account: email → deleted-<id>@deleted.invalid, names,
 * phone, company, password and pending tokens removed, deletedAt set;
 * its sessions and reset tokens are deleted. Bookings and messages keep
 * pointing at the (now anonymous) _id. */
bool account_delete(store_t *st, const bson_oid_t *user_id, int64_t now,
		    struct err *err);

/* Creates an active account (emailVerifiedAt = now) with role `slug`:
 * what cwc-ctl create-admin and seed do. 409 `email_taken` when the email
 * is used. `given_name` may be NULL. */
bool account_create_active(store_t *st, const char *email, const char *password,
			   size_t password_len, const char *slug,
			   const char *given_name, int64_t now, bson_oid_t *id,
			   struct err *err);

enum account_import_outcome {
	ACCOUNT_IMPORTED,
	ACCOUNT_ALREADY_THERE,   /* a user with the same _id or email exists */
	ACCOUNT_IMPORT_INVALID,  /* no ObjectId _id or no usable email (logged) */
};

/* Moves one legacy `admins` document into `users` (SPEC §4): same _id,
 * email (lower-cased), bcrypt password, dashboardPin, givenName, role by
 * the slug in its string `role` (unknown → staff), active. Leaves an
 * existing user with the same _id or email as it is. */
bool account_import_admin(store_t *st, const bson_t *admin, int64_t now,
			  enum account_import_outcome *outcome,
			  store_error_t *err);

#endif
