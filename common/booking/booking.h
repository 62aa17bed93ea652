/*
 * booking.h — bookings: creating one (priced and checked on the server,
 * its slots claimed), reading them, and their lifecycle (SPEC §7).
 *
 * Statuses and the transitions allowed (every other one is refused with
 * 422 `invalid_transition`):
 *   pending   → confirmed (staff), cancelled (customer, guest link, staff)
 *   confirmed → completed, no-show (staff), cancelled (customer, guest, staff)
 * A cancelled or no-show booking releases its slots.
 *
 * Cancellation fee: 0 % for a pending booking; for a confirmed one the
 * tier of the space's policy (bookingsettings) for the calendar days left
 * (Europe/Paris), 100 % when no tier matches; fee = min(total × %, hold).
 * A stored move then does the card's part (money.h: release, capture
 * the fee, refund the difference); its failure is logged, the move stands.
 */
#ifndef CWC_BOOKING_H
#define CWC_BOOKING_H

#include "booking/availability.h"
#include "booking/catalogue.h"
#include "booking/price.h"
#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define BOOKING_TOKEN_HEX 64

struct booking_contact {
	const char *name, *email, *phone, *company;   /* NULL: none */
};

struct booking_new {
	struct booking_request rq;
	const bson_oid_t *user;        /* NULL: a guest */
	struct booking_contact contact;
	const char *special_requests;  /* may be NULL */
	int hold_minutes;              /* > 0: pending until paid within (card step) */
	bool requires_payment;
};

/* Creates a booking: prices it (booking_price_quote), checks every rule
 * (booking_check_available), claims its slots, stores it `pending`.
 * `out` receives the stored document (initialised on success; the caller
 * bson_destroy()s it) and `quote` (may be NULL) the price it stored. For
 * a guest, `guest_token` receives the private link's token (its SHA-256
 * is stored as manageTokenHash). False with a 422/409/store error in `e`;
 * nothing is written then. */
bool booking_create(store_t *st, const struct booking_new *nb, int64_t now, bson_t *out,
		    struct booking_quote *quote, char guest_token[BOOKING_TOKEN_HEX + 1],
		    struct err *e);

/* Loads and checks the request's space and services, then quotes it.
 * `space` and `q` are filled on success. */
bool booking_quote(store_t *st, const struct booking_request *rq, struct booking_space *space,
		   struct booking_quote *q, struct err *e);

/* A booking by ObjectId hex or confirmation number; *found false when
 * none. `out` initialised when this returns true. */
bool booking_find(store_t *st, const char *id_or_number, bson_t *out, bool *found,
		  store_error_t *err);

/* Whether `token` opens `booking` (its manageTokenHash, or one of the
 * later links' manageTokenHashes), in constant time. */
bool booking_token_ok(const bson_t *booking, const char *token);

/* The customer's own link to `booking`, appended to `out`: the dashboard's
 * page for an account's booking; for a guest's, the private page with a
 * new token (only hashes are stored, so a later mail cannot repeat the
 * first one: the new hash joins manageTokenHashes and every link sent
 * stays valid). False (logged) when the new token could not be stored:
 * then nothing is appended. */
bool booking_customer_link(store_t *st, const bson_t *booking, struct buf *out);

struct booking_fees {
	int days_until;
	int percentage;
	int64_t total, hold, fee, refund;   /* cents */
	bool pending;
};

/* The fees a cancellation of `booking` at `now` would cost. */
void booking_cancellation_fees(const bson_t *booking, const struct booking_settings *s,
			       int64_t now, struct booking_fees *out);
/* The no-show fee of `booking` in cents: the policy's 0-day tier (100 %
 * when none) × total, at most the hold. Recorded as cancellationFee by
 * the move to no-show, and captured (money.h). */
int64_t booking_no_show_fee(const bson_t *booking, const struct booking_settings *s);
json_object *booking_fees_json(const bson_t *booking, const struct booking_fees *f);

struct booking_actor {
	const bson_oid_t *user;        /* NULL: a guest (token) or the system */
	bool staff;
	bool waive_fee;                /* an admin cancels without a fee: the
					  hold is released, nothing is captured */
};

/* Moves `booking` (as loaded) to `to` if allowed for `actor`, atomically
 * against a concurrent change of status (422 `invalid_transition`
 * otherwise; a customer cannot cancel a started or past booking: 422
 * `booking_started`; a pending booking whose payment hold ran out cannot
 * be confirmed: 422 `hold_expired`). Cancelling records the fees. `out` receives the
 * updated document (initialised on success). */
bool booking_transition(store_t *st, const bson_t *booking, const char *to,
			const struct booking_actor *actor, const char *reason, int64_t now,
			bson_t *out, struct err *e);

/* The booking as its owner (or the guest link) sees it. Caller puts it. */
json_object *booking_json(const bson_t *booking);

/* Pending bookings whose hold deadline passed → cancelled "paiement non
 * finalisé", slots released; *n how many (the expire-holds job). */
bool booking_expire_holds(store_t *st, int64_t now, int *n, store_error_t *err);

#endif
