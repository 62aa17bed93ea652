/*
 * registration.h — registrations to an event (SPEC §8
 * `eventregistrations`) and its seats, which never oversell.
 *
 * Seats are claims under unique keys, as booking/claims.c does for slots
 * (docs/booking.md: FerretDB makes no single-document update atomic, so
 * a counter compared and incremented would not hold there): an event of
 * N seats has the possible claims "<eventId>|0000" … "<eventId>|N-1" in
 * `eventseats` (`_id` is the key; {event, registration, expiresAt?,
 * createdAt}). A registration is inserted first (unique {eventId, email}:
 * a second one for the address is 409 already_registered), then takes
 * the first free seat from a random one on; when every key is held it is
 * deleted again and the answer is 409 event_full. Seats taken = claims
 * of the event, less those whose `expiresAt` passed.
 *
 * Free events: the registration is confirmed at once. Paid events: the
 * seat is held for EVENT_HOLD_MS (its claim's `expiresAt`) while the
 * customer pays on a Stripe Checkout Session that expires with it
 * (Stripe wants at least 30 minutes: the session ends
 * EVENT_STRIPE_MARGIN_S later); `checkout.session.completed` confirms the
 * registration and makes the seat permanent; `checkout.session.expired`
 * cancels it and frees the seat. A claim whose hold passed is taken over
 * by the next registration (its registration then counts as expired); a
 * payment completed after its seat was taken over claims a seat again, or
 * is refunded when none is left.
 *
 * Confirmation: a mail (event_registered, French HTML + text) with an
 * invitation .ics (booking/ics.h) and a cancellation link carrying a
 * token stored hashed (`cancelTokenHash`). Cancelling (the link, the
 * staff, the event's cancellation) frees the seat, refunds a paid ticket
 * through Stripe (idempotency purpose "event-registration/<id>/refund")
 * and mails the person.
 *
 * Statuses: "pending" (being registered), "awaiting_payment",
 * "confirmed", "cancelled" (with `cancelReason`).
 */
#ifndef CWC_CONTENT_REGISTRATION_H
#define CWC_CONTENT_REGISTRATION_H

#include "core/err.h"
#include "payment/webhook.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define EVENT_HOLD_MS (30 * 60 * 1000)
#define EVENT_STRIPE_MARGIN_S 30
#define EVENT_SEAT_ORPHAN_MS (60 * 1000)
#define EVENT_NAME_MAX 100
#define EVENT_MESSAGE_MAX 500

struct event_reg_input {
	const char *first_name, *last_name, *email, *phone, *message;  /* phone, message may be NULL */
};

/* Checks `in`: 400 validation_failed naming the field (firstName,
 * lastName, email, phone, message) with a French message. */
bool event_reg_check(const struct event_reg_input *in, struct err *e);

struct event_reg_result {
	char id[25];               /* the registration's id */
	bool paid;                 /* the customer must now pay at checkout_url */
	char checkout_url[1024];
};

/* Registers `in` to the public event `slug`: 404 not_found, 400 (check,
 * or registration_closed for an external or past event), 409
 * already_registered (field email), 409 event_full, 503
 * payments_unavailable (a paid event without Stripe: nothing kept). */
bool event_register(store_t *st, int64_t now, const char *slug, const struct event_reg_input *in,
		    struct event_reg_result *out, struct err *e);

/* Seats taken of the event now (live claims). */
bool event_seats_taken(store_t *st, const bson_oid_t *event, int64_t now, int64_t *taken,
		       store_error_t *se);

/* The registration `id` if `token` is its cancellation token (`out`
 * initialised when true); 404 not_found otherwise (same answer for an
 * unknown id and a wrong token). */
bool event_reg_by_token(store_t *st, const char *id, const char *token, bson_t *out, struct err *e);

/* Cancels the registration (confirmed or awaiting payment): status
 * cancelled with `reason` ("customer", "staff", "event_cancelled"), the
 * seat freed, a paid ticket refunded, the person mailed (unless `quiet`).
 * Already cancelled: true, *changed false. before/after (may be NULL,
 * initialised when true) for the audit. */
bool event_reg_cancel(store_t *st, int64_t now, const bson_oid_t *id, const char *reason,
		      bool *changed, bson_t *before, bson_t *after, struct err *e);

/* Cancels the event and every live registration of it (each mailed and
 * refunded as event_reg_cancel() does); running it again finishes what a
 * first run left (idempotent). *n_cancelled gets the registrations
 * cancelled by this call. */
bool event_cancel_event(store_t *st, int64_t now, const bson_oid_t *id, int *n_cancelled,
			bson_t *before, bson_t *after, struct err *e);

/* The registrations of an event, newest first (JSON array; no token
 * hash); `status` NULL for all. */
bool event_reg_list(store_t *st, const bson_oid_t *event, const char *status,
		    json_object **items, struct err *e);

/* Refreshes the event's `currentParticipants` from its seats. */
void event_refresh_count(store_t *st, const bson_oid_t *event, int64_t now);

/* A confirmed registration with its seat, without mail or token (the
 * demo data of cwc-ctl seed); an address registered already, or no seat
 * left, changes nothing. */
bool event_seed_registration(store_t *st, int64_t now, const bson_oid_t *event, int cap,
			     const char *first_name, const char *last_name, const char *email,
			     struct err *e);

/* Webhook handlers (payment/webhook.h) for checkout.session.completed and
 * checkout.session.expired; sessions that are not event tickets
 * (metadata.kind ≠ "event") are only recorded. */
bool event_on_checkout_completed(store_t *st, const struct payment_event *ev, struct err *e);
bool event_on_checkout_expired(store_t *st, const struct payment_event *ev, struct err *e);

#endif
