/*
 * availability.h — what a booking may not do (SPEC §7 Availability),
 * checked when a price is quoted and when a booking is created, and the
 * free slots of a day.
 *
 * The rules read a day's bookings in two indexed reads (bookings by
 * {spaceType, date, status} and, for weekly/monthly ones, {spaceType,
 * endDate}, every space type wanted at once); legacy space types of the
 * original are read as their current ones. A
 * booking is live when `confirmed`, or `pending` with no hold deadline or
 * one still ahead (`holdExpiresAt`). Intervals are half-open: 10–11 and
 * 11–12 both fit.
 *
 * This is the answer a customer sees; the guarantee under concurrency is
 * the slot claims of claims.h, taken in the same units (30-minute slots).
 */
#ifndef CWC_BOOKING_AVAILABILITY_H
#define CWC_BOOKING_AVAILABILITY_H

#include "booking/calendar.h"
#include "booking/price.h"
#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define BOOKING_SLOTS (24 * 60 / BOOKING_SLOT_MIN)
#define BOOKING_MAX_SPANS 31

/* The time a booking occupies on one day: [start_min, end_min). */
struct booking_span {
	int64_t day;
	int start_min, end_min;
};

/* One day of one space: per 30-minute slot, the people booked (the
 * open-space) or the live bookings (exclusive spaces), and whether the
 * venue is privatised then. */
struct booking_occupancy {
	int64_t day;
	int taken[BOOKING_SLOTS];
	bool privatized[BOOKING_SLOTS];
};

/* The spans of `rq` (hourly: its times; daily: the day's opening hours;
 * weekly / monthly: the opening hours of every open day of the 7 / 30).
 * Returns how many (0 when the first day is closed). */
int booking_request_spans(const struct booking_hours *h, const struct booking_request *rq,
			  struct booking_span *out);

/* The spans of a stored booking (legacy times off the grid included;
 * at most BOOKING_MAX_SPANS days). */
int booking_stored_spans(const struct booking_hours *h, const bson_t *booking,
			 struct booking_span *out);

/* Reads the occupancy of `space_type` on `day` at `now` (ms). `ignore`
 * (may be NULL) is a booking left out (the one being moved). */
bool booking_day_occupancy(store_t *st, const char *space_type, const struct booking_hours *h,
			   int64_t day, int64_t now, const bson_oid_t *ignore,
			   struct booking_occupancy *out, store_error_t *err);

/* Every rule for `rq` on `space` at `now`: not in the past, the day open,
 * within the hours and outside partial closures, no overlap on an
 * exclusive space, seats left on the open-space at every moment, no
 * privatisation. False with a 422 (rule and field named), a 409
 * `booking_conflict`, or a store failure in `e`. (The space's own rules —
 * reservation types, requiresQuote, inactive, capacity — are the price's,
 * booking_price_quote().) */
bool booking_check_available(store_t *st, const struct booking_space *space,
			     const struct booking_hours *h, const struct booking_request *rq,
			     int64_t now, struct err *e);

/* The same, leaving the booking `ignore` out (the one being moved). */
bool booking_check_available_except(store_t *st, const struct booking_space *space,
				    const struct booking_hours *h, const struct booking_request *rq,
				    int64_t now, const bson_oid_t *ignore, struct err *e);

/* booking_check_available_except() for a booking that is (`partial`) or
 * is not a partial privatisation: a whole-café privatisation
 * (booking_privatises()) is refused with 409 when live bookings of other
 * spaces are in its way, saying how many. */
bool booking_check_available_as(store_t *st, const struct booking_space *space,
				const struct booking_hours *h, const struct booking_request *rq,
				int64_t now, const bson_oid_t *ignore, bool partial, struct err *e);

/* Whether a stored booking is live at `now` (see the file comment). */
bool booking_is_live(const bson_t *booking, int64_t now);

#endif
