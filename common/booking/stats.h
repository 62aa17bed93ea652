/*
 * stats.h — the back office's figures (SPEC §9 dashboard): revenue from
 * bookings, occupancy per space and per day, bookings per day.
 *
 * Every figure is read through the store's indexes by date range, never by
 * loading every booking:
 *   - revenue: the `payments` documents that moved money (status
 *     `succeeded`: kind `capture` counts, `refund` subtracts; a hold's
 *     document turning `captured` only marks its end, and a release moves
 *     nothing — as the daily report counts, booking/jobs.c),
 *     dated by their `updatedAt` (the moment Stripe said yes), read by
 *     the index {status, updatedAt}. Past days are summed once and kept in
 *     `statsdaily` (_id "revenue/YYYY-MM-DD", Paris days), so a year's
 *     figure reads at most 366 small documents; today is always summed
 *     live. A payment changed after its day was summed moves to the day of
 *     its new `updatedAt` (docs/backoffice.md says why that is rare).
 *   - POS figures: `turnovers` (the original's, _id "YYYY/MM/DD", four
 *     VAT buckets of total-ttc / total-ht), by _id range.
 *   - occupancy: seat-minutes booked ÷ seat-minutes open. Open minutes
 *     come from the hours and closures in force (calendar.h): a closed day
 *     has none and is reported closed, never as 0 %. The open-space counts
 *     people × minutes against its capacity; an exclusive room counts as
 *     one seat (minutes booked ÷ minutes open). Bookings counted: pending
 *     (still live), confirmed, completed and no-show (the seat was held).
 *   - bookings per day: the bookings whose `date` is that day (cancelled
 *     ones left out), by the index {date}.
 * Days are Europe/Paris civil days (calendar.h).
 */
#ifndef CWC_BOOKING_STATS_H
#define CWC_BOOKING_STATS_H

#include "core/err.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define STATS_MAX_DAYS 62

/* Money moved from local day `from` to `to` inclusive (Paris), in cents,
 * into *cents. `today` is the current Paris day (summed live, never
 * kept). A period longer than two years is a 400. */
bool stats_revenue(store_t *st, int64_t from, int64_t to, int64_t today, int64_t *cents,
		   struct err *e);

/* The POS takings of `turnovers` from day `from` to `to` inclusive, TTC
 * and HT in cents; *days says how many days had a document. */
bool stats_turnover(store_t *st, int64_t from, int64_t to, int64_t *ttc, int64_t *ht,
		    int64_t *days, struct err *e);

/* The four revenue periods, each against the same span before:
 * yesterday (against the same weekday a week earlier), this week from
 * Monday (the same days of last week), this month to today (the same
 * days of last month, cut at its end), this year to today (the same days
 * of last year) as a JSON array of {key, label,
 * from, to, cents, previousCents, previousFrom, previousTo} and, when
 * `turnovers` has documents in them, pos {ttc, previousTtc}. New object. */
bool stats_revenue_periods(store_t *st, int64_t today, json_object **out, struct err *e);

/* Occupancy of every active space over `ndays` (≤ STATS_MAX_DAYS) days
 * from `from`: [{spaceType, name, capacity, days: [{date, open,
 * bookedMinutes, openMinutes, percent|null}]}]. New object. */
bool stats_occupancy(store_t *st, int64_t from, int ndays, int64_t now, json_object **out,
		     struct err *e);

/* counts[i] = bookings (not cancelled) whose date is `from + i`. */
bool stats_bookings_per_day(store_t *st, int64_t from, int ndays, int64_t *counts,
			    struct err *e);

#endif
