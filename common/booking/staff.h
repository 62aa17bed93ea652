/*
 * staff.h — what the staff do to bookings beyond the lifecycle of
 * booking.h (SPEC §7 Staff operations): a booking they create (marked
 * isAdminBooking, no card hold, its price suggested by the quote and
 * overridable with a reason), editing its contact details and notes, and
 * waiving a cancellation fee (admins).
 *
 * Each function updates one booking with a find-one-and-update and gives
 * the stored document back in `out` (initialised on success; the caller
 * bson_destroy()s it), or fills `e` and returns false.
 */
#ifndef CWC_BOOKING_STAFF_H
#define CWC_BOOKING_STAFF_H

#include "booking/price.h"
#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define BOOKING_NO_OVERRIDE (-1)

struct booking_staff_extra {
	const bson_oid_t *by;          /* the staff member */
	const char *notes;             /* staff only; NULL or "": none */
	int64_t override_cents;        /* the price agreed, or BOOKING_NO_OVERRIDE */
	const char *override_reason;   /* required with an override */
};

/* Marks `created` (just stored by booking_create()) as the staff's:
 * isAdminBooking, createdBy, notes, and with an override totalPrice set
 * to it, the quote's total kept as suggestedPrice and the reason as
 * priceOverrideReason. A missing reason is 422 `validation_failed` on
 * `priceOverrideReason` (check it with booking_staff_extra_ok() first). */
bool booking_staff_adopt(store_t *st, const bson_t *created, const struct booking_staff_extra *x,
			 int64_t now, bson_t *out, struct err *e);

/* Whether `x` is acceptable (an override is 0 or more and has a reason). */
bool booking_staff_extra_ok(const struct booking_staff_extra *x, struct err *e);

/* Changes of a booking's details; NULL members are left as they are, ""
 * removes an optional one. */
struct booking_edit {
	const char *contact_name, *contact_email, *contact_phone, *company;
	const char *special_requests, *notes;
};

/* Applies `ed` to `b` (as loaded). A cancelled, completed or no-show
 * booking is not edited: 422 `invalid_transition`. */
bool booking_staff_edit(store_t *st, const bson_t *b, const struct booking_edit *ed, int64_t now,
			bson_t *out, struct err *e);

/* Moves `b` (as loaded, pending or confirmed) to `rq`: priced again by
 * the quote (an earlier override is dropped), every rule checked with
 * `b` itself left out, its slots claimed anew (its old ones released
 * first and taken back if the new ones are refused). False with the
 * 422 / 409 of the rules, `invalid_transition` for another status, or a
 * store failure; the booking is then as it was. `quote` (may be NULL)
 * receives the new price. */
bool booking_staff_move(store_t *st, const bson_t *b, const struct booking_request *rq, int64_t now,
			bson_t *out, struct booking_quote *quote, struct err *e);

/* Deletes `b` (as loaded) and releases its slots (admins: SPEC §9), its
 * card hold released first (Stripe unreachable: its error, nothing
 * deleted). A booking already gone is 404 `not_found`. */
bool booking_staff_delete(store_t *st, const bson_t *b, struct err *e);

/* Sets the fields of `set` (already validated: the members of
 * `bookingsettings`, SPEC §7) on the one settings document, creating it
 * when missing. `before` (empty when there was none) and `after` are
 * initialised on success. */
bool booking_staff_settings_save(store_t *st, const bson_t *set, int64_t now, bson_t *before,
				 bson_t *after, struct err *e);

#endif
