/*
 * status.h — a booking's statuses as every page shows them, the site's
 * and the back office's alike: the French word and the design system's
 * badge class (docs/design.md, "Status badges"), and the French of its
 * payment status. One table, so that "En attente" has one colour
 * everywhere.
 *
 * Badges: pending amber (`badge badge-warn`: someone has to act),
 * confirmed green (`badge badge-ok`), completed, no-show and cancelled —
 * a refused booking is cancelled — grey (`badge badge-neutral`: nothing
 * left to do). The bare red `.badge` stays for counts that need
 * attention (unread messages, new quotes), never for a booking's status.
 *
 * Every string returned is static; none is NULL.
 */
#ifndef CWC_BOOKING_STATUS_H
#define CWC_BOOKING_STATUS_H

/* The booking statuses in the order the screens list them (a filter's
 * options): "pending", "confirmed", "completed", "no-show", "cancelled",
 * then NULL. */
extern const char *const booking_statuses[];

/* "En attente", "Confirmée", "Terminée", "Absent", "Annulée"; an unknown
 * status as it is, NULL as "". */
const char *booking_status_label(const char *status);

/* The badge's classes for `status` (see above); an unknown one or NULL:
 * "badge badge-neutral". */
const char *booking_status_badge(const char *status);

/* The booking's `paymentStatus` in French, as the staff read it
 * ("empreinte placée", "carte refusée"…); NULL (no online payment) as
 * "sans paiement en ligne", an unknown one as it is. */
const char *booking_payment_status_label(const char *payment_status);

#endif
