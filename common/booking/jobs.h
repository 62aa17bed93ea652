/*
 * jobs.h — the bookings' daily jobs (SPEC §7 "Mails and jobs"), run by
 * `cwc-cron reminders | attendance | daily-report` (etc/crontab):
 *
 *   reminders     (10:00) the "rappel J-1" mail (booking_reminder, with the
 *                 invitation) for each confirmed booking of tomorrow, once
 *                 per booking: `reminderSentAt` is set on the booking by a
 *                 compare-and-set ({reminderSentAt: {$exists: false}})
 *                 before the mail is queued, and removed again when it
 *                 could not be, so a rerun sends exactly the missing ones.
 *   attendance    (10:00) yesterday's confirmed bookings nobody marked
 *                 present or no-show: with `autoNoShow` in the booking
 *                 settings each is moved to no-show through
 *                 booking_transition() (a compare-and-set on its status,
 *                 which captures the no-show fee once: money.h); then the
 *                 list goes to the staff (notificationEmail) once a day.
 *                 Card steps left to retry (Stripe down) are retried.
 *   daily-report  (19:00) a mail to notificationEmail: today's arrivals,
 *                 tomorrow's bookings, pending bookings to validate, card
 *                 holds about to lapse, the money moved today.
 *
 * A mail sent once a day is claimed by inserting `jobruns` {_id:
 * "<job>/<YYYY-MM-DD>"}: a duplicate key means another run sent (or is
 * sending) it; a failed enqueue removes the claim. So two runs at once
 * send one mail, and a run that failed half-way is finished by the next.
 *
 * `today` is the Paris civil day the job runs for (days since the epoch,
 * calendar.h); `now` the instant (ms). Errors: false with `e` set (a
 * store failure); a mail that could not be queued counts in `failed`.
 */
#ifndef CWC_BOOKING_JOBS_H
#define CWC_BOOKING_JOBS_H

#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define BOOKING_JOBRUNS "jobruns"
#define BOOKING_AUTO_NO_SHOW_REASON "Absence constatée automatiquement (non pointée)"

struct booking_job_stats {
	int done;       /* mails queued, bookings marked */
	int skipped;    /* done already (another run, an earlier one) */
	int failed;     /* left for the next run */
	int listed;     /* attendance: bookings in the staff's list */
};

bool booking_job_reminders(store_t *st, int64_t today, int64_t now,
			   struct booking_job_stats *out, struct err *e);
bool booking_job_attendance(store_t *st, int64_t today, int64_t now,
			    struct booking_job_stats *out, struct err *e);
bool booking_job_daily_report(store_t *st, int64_t today, int64_t now,
			      struct booking_job_stats *out, struct err *e);

/* When the card hold of `b` lapses at Stripe (ms), from
 * the booking's `holdCaptureBefore` (Stripe's capture_before, stored when
 * the hold was authorised), else from its `hold` payment by the rule: 7
 * days after an on-session authorisation, 4 days 18 hours after an
 * off-session one (docs/payments.md); 0 when it has no live hold. */
bool booking_hold_lapses_at(store_t *st, const bson_t *b, int64_t *out, struct err *e);

/* The instant `b` ends (its last day's closing for a day booking). */
int64_t booking_end_ms(store_t *st, const bson_t *b);

#endif
