/*
 * notify.h — the booking mails (SPEC §7 "Mails and jobs"), each with the
 * booking's calendar invitation (booking/ics.h) attached.
 *
 * booking.c calls one function per event, after the change is stored:
 *   created                → booking_received (customer) + booking_staff_new
 *                            (bookingsettings.notificationEmail)
 *   pending → confirmed    → booking_confirmed
 *   pending → cancelled by staff (a refusal) → booking_refused
 *   … → cancelled (customer, guest, staff) → booking_cancelled, with the fee
 *                            and the refund
 *   confirmed → completed  → booking_thanks
 *   confirmed → no-show    → booking_no_show, with the fee (cancellationFee)
 *   edited / moved         → booking_changed
 *   the day before         → booking_reminder (the reminders job, jobs.h)
 * and, from the card step (money.c):
 *   the card holds a pending booking, or is saved for a hold later
 *                          → booking_hold_placed ("en attente")
 *   the hold placed off-session needs its holder, or was declined
 *                          → booking_hold_action (with the link to confirm
 *                            on the site) + booking_hold_failed_staff
 * The staff's copies (new booking, failed hold) go to
 * bookingsettings.notificationEmail.
 * Each new booking and each change of status is also told to the staff's
 * sockets (conn_publish_badge(CONN_BADGE_BOOKINGS)), once per change.
 * A pending booking whose payment hold ran out is cancelled without these
 * mails (the "hold failed" mail is its own). The invitation keeps one UID
 * per booking (<id>@coworkingcafe.fr) and a SEQUENCE stored on the booking
 * (`icsSequence`, raised on every mail after the first), so calendars
 * update the one event; refusals and cancellations send METHOD:CANCEL.
 *
 * A mail that cannot be queued is logged, never an error for the caller:
 * the booking change stands.
 */
#ifndef CWC_BOOKING_NOTIFY_H
#define CWC_BOOKING_NOTIFY_H

#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* After booking_create(): `guest_token` is the guest's private link token
 * (NULL for a customer with an account). */
void booking_notify_created(store_t *st, const bson_t *booking, const char *guest_token,
			    int64_t now);

/* After booking_transition() moved `before` to `after` (`staff`: the
 * actor was staff). Sends the mail the move calls for, if any. */
void booking_notify_transition(store_t *st, const bson_t *before, const bson_t *after,
			       bool staff, int64_t now);

/* The "rappel J-1" mail of `booking` (confirmed, tomorrow). False (logged)
 * when it could not be queued: the caller (the reminders job) forgets its
 * mark so a rerun sends it. */
bool booking_notify_reminder(store_t *st, const bson_t *booking, int64_t now);

/* After an edit or a move of `after` (dates, times, space, people). */
void booking_notify_changed(store_t *st, const bson_t *after, int64_t now);

/* The card holds the pending `booking` (money.c, once per booking). */
void booking_notify_hold_placed(store_t *st, const bson_t *booking, int64_t now);

/* The off-session hold of `booking` failed (`reason`: Stripe's code): the
 * customer gets the link to confirm it, the staff a copy with the reason. */
void booking_notify_hold_failed(store_t *st, const bson_t *booking, const char *reason,
				int64_t now);

#endif
