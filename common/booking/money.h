/*
 * money.h — what a booking's card hold does at Stripe (SPEC §7 Lifecycle,
 * Stripe): the hold placed when a booking is made (a PaymentIntent with
 * capture_method=manual, or a SetupIntent for a booking more than
 * holdLeadDays ahead, the hold then placed off-session by the place-holds
 * job), the money moves of the lifecycle (release, capture of a fee,
 * refund of the difference), and the webhook events that say what Stripe
 * did.
 *
 * Every move is a document of `payments` whose `_id` is its purpose
 * (`booking/<id>/hold`, `…/setup`, `…/release`, `…/capture/<cents>`,
 * `…/refund/<cents>`), the same string the Stripe client derives the
 * Idempotency-Key from. The document is inserted (status `processing`)
 * before Stripe is called: a second caller finds the duplicate key and
 * does nothing, so two concurrent calls make one Stripe call and one
 * document; a call that failed removes its document, so it can be retried.
 *
 * The booking's `paymentStatus`:
 *   pending          waiting for the customer's card (holdExpiresAt set)
 *   card_saved       a SetupIntent succeeded; the hold comes later
 *   authorized       the hold is placed (holdExpiresAt removed)
 *   action_required  the off-session hold needs the customer (mailed)
 *   failed           the card was declined (the customer may retry)
 *   released         the hold was given back
 *   paid, partial, refunded  captured (amountPaid, euros), then refunds
 *   unpaid           no card step (development, staff bookings)
 * Stripe's word is final: events are never trusted for their copy of an
 * object; the intent is read from Stripe and the booking set from what it
 * is now, so events arriving out of order or twice converge.
 *
 * Errors: false with `e` filled (Stripe's errors as stripe.h maps them, a
 * store failure through store_fail()).
 */
#ifndef CWC_BOOKING_MONEY_H
#define CWC_BOOKING_MONEY_H

#include "booking/booking.h"
#include "booking/catalogue.h"
#include "core/err.h"
#include "payment/webhook.h"
#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* Starts the card step of `booking` (as created, pending): a manual-capture
 * PaymentIntent of its depositAmount, or a SetupIntent when it starts more
 * than `s->hold_lead_days` calendar days after `now`. Records the intent on
 * the booking and in `payments`; `client_secret` (room for `len`) receives
 * the intent's client secret, *setup whether it is a SetupIntent. On
 * failure nothing is left at Stripe that holds money (a created intent is
 * cancelled); the caller removes the booking (booking_money_abandon()). */
bool booking_money_hold_start(store_t *st, const bson_t *booking, const struct booking_settings *s,
			      int64_t now, char *client_secret, size_t len, bool *setup,
			      struct err *e);

/* booking_create(), then, when `nb->requires_payment`, the card step
 * (booking_money_hold_start(); `client_secret` "" otherwise): a booking
 * whose card step cannot start is removed (booking_money_abandon()) and
 * this fails with Stripe's error (503 payment_unavailable when it cannot
 * be reached), nothing left behind, no mail sent. The "received" mails
 * (notify.h) go once the card step started. `out` as booking_create(). */
bool booking_money_book(store_t *st, const struct booking_new *nb, const struct booking_settings *s,
			int64_t now, bson_t *out, struct booking_quote *quote,
			char guest_token[BOOKING_TOKEN_HEX + 1], char *client_secret, size_t len,
			bool *setup, struct err *e);

/* Removes a booking whose card step could not start: its document, its
 * slot claims and its `payments` documents. Logs what it could not do. */
void booking_money_abandon(store_t *st, const bson_oid_t *booking);

/* The money moves, each at most once per booking (and amount):
 * release the hold; capture `fee` cents of it (the rest is released; 0:
 * release); refund what was captured above `fee`. A booking without a
 * PaymentIntent has nothing to move: true. */
bool booking_money_release(store_t *st, const bson_t *booking, int64_t now, struct err *e);
bool booking_money_capture_fee(store_t *st, const bson_t *booking, int64_t fee, int64_t now,
			       struct err *e);
bool booking_money_refund_difference(store_t *st, const bson_t *booking, int64_t fee, int64_t now,
				     struct err *e);

/* What a transition of `before` to `to` (already stored, as `after`) does
 * to the card: a refused or expired pending booking and a present one
 * release; a no-show captures the no-show fee (the 0-day tier); a late
 * cancellation captures its cancellationFee, or refunds the difference
 * when the hold was captured already. On failure the booking is marked
 * for booking_money_retry(). */
bool booking_money_after_transition(store_t *st, const bson_t *before, const bson_t *after,
				    const char *to, int64_t now, struct err *e);

/* A card step that failed after its move (Stripe unreachable) is marked on
 * the booking (`paymentRetry` {to, from, paymentStatus, error, at}) by
 * booking_money_after_transition(); this retries each marked one (the
 * expire-holds job, every minute) and removes the mark once it went
 * through. *done and *failed count them. */
bool booking_money_retry(store_t *st, int64_t now, int *done, int *failed, struct err *e);

/* Reads the booking's intent from Stripe and sets the booking from it (the
 * confirmation page asking the server). */
bool booking_money_refresh(store_t *st, const bson_t *booking, int64_t now, struct err *e);

/* The client secret the customer's browser needs to finish the card step
 * of `b` (pending, failed, or action_required: then a new on-session hold
 * `booking/<id>/hold/on-session` replaces the off-session one); "" when
 * there is nothing for the customer to do. */
bool booking_money_client_secret(store_t *st, const bson_t *b, int64_t now, char *out, size_t len,
				 struct err *e);

/* The webhook's handlers (payment_event_fn): payment_intent.*,
 * setup_intent.*, charge.refunded. */
bool booking_money_on_intent_event(store_t *st, const struct payment_event *ev, struct err *e);
bool booking_money_on_setup_event(store_t *st, const struct payment_event *ev, struct err *e);
bool booking_money_on_charge_event(store_t *st, const struct payment_event *ev, struct err *e);

/* The place-holds job: for live bookings with a saved card starting within
 * holdLeadDays of `now`, the hold placed off-session. A card that needs
 * its holder flags the booking `action_required` and mails a link.
 * *placed and *failed count them. */
bool booking_money_place_holds(store_t *st, int64_t now, int *placed, int *failed, struct err *e);

#endif
