/*
 * claims.h — no double booking, under any concurrency, on both stores.
 *
 * MongoDB has no multi-document transactions here (and the FerretDB test
 * server makes not even single-document updates atomic), but every store
 * enforces unique keys atomically. So a booking first claims every
 * 30-minute slot it occupies, as documents of `bookingclaims` whose `_id`
 * is the slot:
 *   exclusive space   "salle-verriere|2027-03-28|1000"
 *   open-space seat   "open-space|2027-03-28|1000|07"   (seats 00…max−1)
 * A duplicate key means someone holds that slot (or seat): an exclusive
 * booking gives up (409), an open-space booking tries the next seat of
 * that slot and gives up when none is left. Claims are released by
 * booking id when the booking is cancelled, expires or is refused, or
 * when creating it fails. A claim may carry `expiresAt` (a pending hold's
 * deadline); an expired claim found in the way is taken over. A claim
 * whose booking never got written (the process died in between) is taken
 * over after BOOKING_CLAIM_ORPHAN_MS.
 *
 * A whole-café privatisation (booking_privatises()) also claims, in the
 * same insert, every slot it covers of every other space: each room's
 * slot key and every seat key of the open-space, marked
 * `privatisation: true`. Any booking of another space then collides with
 * it, and it collides with any booking already there. A booking that
 * finds a privatisation's claim whose booking is not written yet waits
 * for it (up to BOOKING_CLAIM_WAIT_MS: a privatisation never waits, so it
 * wins or gives everything back within moments). docs/booking.md tells
 * the story.
 */
#ifndef CWC_BOOKING_CLAIMS_H
#define CWC_BOOKING_CLAIMS_H

#include "booking/availability.h"
#include "booking/catalogue.h"
#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define BOOKING_CLAIM_ORPHAN_MS (60 * 1000)
#define BOOKING_CLAIM_WAIT_MS (10 * 1000)

/* Whether a booking of `space_type` (stored or current type) privatises
 * the whole café: an `evenementiel` booking that is not partial
 * (`isPartialPrivatization`). */
bool booking_privatises(const char *space_type, bool partial);

/* Claims the slots of `spans` for `booking` (`people` seats of each on a
 * non-exclusive space); with `privatise`, every other space's slots and
 * seats of `spans` too (booking_privatises()). `expires_at` is the claims' deadline (0: none). On a
 * conflict releases what it took and fills `e` with 409
 * `booking_conflict`; on a store failure, with store_fail(). */
bool booking_claims_take(store_t *st, const struct booking_space *space,
			 const struct booking_span *spans, int nspans, int people, bool privatise,
			 const bson_oid_t *booking, int64_t expires_at, int64_t now,
			 struct err *e);

/* Releases every claim of `booking`. */
bool booking_claims_release(store_t *st, const bson_oid_t *booking, store_error_t *err);

/* Sets (or, with 0, removes) the deadline of `booking`'s claims: the
 * payment step calls it when a card hold is secured. */
bool booking_claims_set_expiry(store_t *st, const bson_oid_t *booking, int64_t expires_at,
			       store_error_t *err);

/* Claims the slots of the live bookings from `now`'s day on that have no
 * claims (bookings imported from the original system), so that they count
 * under concurrency too. *claimed and *conflicts count the bookings
 * claimed and those in conflict with another (a double booking the
 * original let through: `report` (may be NULL) gets a line for each). */
bool booking_claims_backfill(store_t *st, int64_t now, int *claimed, int *conflicts,
			     void (*report)(const char *line), store_error_t *err);

#endif
