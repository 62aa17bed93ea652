/*
 * newsletter.h — the newsletter's subscribers (SPEC §8 `newsletters`),
 * with double opt-in and a one-click unsubscribe (RFC 8058).
 *
 * A subscriber is one document per address: {email, userId?, status
 * ("pending", "confirmed", "unsubscribed"), isSubscribed, source,
 * subscribedAt, confirmedAt, unsubscribedAt, confirmTokenHash,
 * confirmTokenExpires, createdAt, updatedAt}. Subscribing queues a
 * confirmation mail whose link carries a random token (only its SHA-256
 * is stored); following it confirms the address. Unsubscribing needs no
 * session: the link carries the address and an HMAC of it (keyed with
 * JWT_SECRET), so nothing has to be stored to check it. `users.newsletter`
 * follows the subscriber of the same address.
 *
 * Every mail of this module carries `List-Unsubscribe` (mailto and https)
 * and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
 */
#ifndef CWC_NEWSLETTER_H
#define CWC_NEWSLETTER_H

#include "core/err.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define NEWSLETTER_COLLECTION "newsletters"
#define NEWSLETTER_CONFIRM_MS (7LL * 24 * 3600 * 1000)   /* how long a confirmation link lasts */

/* Asks for a subscription of `email` (any case, trimmed) from `source`
 * ("footer", "api"…): a new or unconfirmed address gets a confirmation
 * mail; a confirmed one gets nothing. The caller answers the same in
 * every case. Errors: 400 validation_failed (field "email"), the store's. */
bool newsletter_subscribe(store_t *st, int64_t now, const char *email, const char *source,
			  struct err *e);

/* Confirms the subscription whose link carried `token`; *email_out (size
 * ≥ 255) receives the address. Errors: 410 token_invalid (unknown, used
 * or expired link), the store's. Sends the welcome mail. */
bool newsletter_confirm(store_t *st, int64_t now, const char *token, char *email_out,
			size_t outlen, struct err *e);

/* The unsubscribe token of `email` (normalised): 64 hex digits + NUL. */
void newsletter_unsubscribe_token(const char *email, char out[65]);
/* The https URL of the one-click unsubscribe for `email`. Caller frees. */
char *newsletter_unsubscribe_url(const char *email);

/* Unsubscribes `email` when `token` is its unsubscribe token (idempotent;
 * an address never subscribed is answered the same). Errors: 400
 * token_invalid, the store's. */
bool newsletter_unsubscribe(store_t *st, int64_t now, const char *email, const char *token,
			    struct err *e);

/* A signed-in customer's choice (the dashboard's settings): the account's
 * address is verified, so `on` confirms at once; off unsubscribes. Keeps
 * `users.newsletter` in step. Errors: the store's. */
bool newsletter_set_for_account(store_t *st, int64_t now, const char *email,
				const bson_oid_t *user_id, bool on, struct err *e);

/* A new account asked for the newsletter (register with newsletter=true):
 * the subscriber of `email` (normalised) becomes pending for `user_id`,
 * source "account", without a confirmation mail — the account's
 * activation link proves the address (newsletter_account_verified()). A
 * confirmed subscriber only gets its userId. Errors: the store's. */
bool newsletter_account_registered(store_t *st, int64_t now, const char *email,
				   const bson_oid_t *user_id, struct err *e);

/* The account `user_id` proved its address `email` (activation, or a
 * reset link that completes it): its pending subscriber (from
 * newsletter_account_registered()) is confirmed, users.newsletter set and
 * the welcome mail queued. Nothing when there is none. Errors: the store's. */
bool newsletter_account_verified(store_t *st, int64_t now, const char *email,
				 const bson_oid_t *user_id, struct err *e);

/* "pending", "confirmed", "unsubscribed" (NULL-terminated) and their
 * French labels. */
extern const char *const newsletter_statuses[];
const char *newsletter_status_label(const char *status);

/* Queues the mail `template_name` to `to` with the unsubscribe headers
 * and `unsubscribeUrl` added to `vars` (borrowed). */
bool newsletter_mail(store_t *st, const char *template_name, const char *to, json_object *vars,
		     store_error_t *se);

#endif
