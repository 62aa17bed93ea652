/*
 * ics.h — the calendar invitation (RFC 5545) joined to the booking mails.
 *
 * One VEVENT per booking, in Europe/Paris (a VTIMEZONE with the EU rule:
 * CEST from the last Sunday of March, CET from the last Sunday of
 * October, both at 01:00 UTC), with a UID that never changes for the
 * booking and a SEQUENCE the caller raises on every change, so calendar
 * programs update the one event instead of adding another. METHOD:REQUEST
 * adds or updates it; METHOD:CANCEL (STATUS:CANCELLED) removes it.
 * Lines end in CRLF and are folded at 75 octets, never inside a UTF-8
 * sequence; TEXT values are escaped.
 */
#ifndef CWC_BOOKING_ICS_H
#define CWC_BOOKING_ICS_H

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define BOOKING_ICS_DOMAIN "coworkingcafe.fr"
#define BOOKING_ICS_LOCATION "CoworKing Café, 1 rue de la Division Leclerc, 67000 Strasbourg"

struct booking_ics {
	const char *uid;               /* e.g. "<booking id>@coworkingcafe.fr" */
	int sequence;                  /* 0 at creation, +1 on every change */
	bool cancel;                   /* METHOD:CANCEL, STATUS:CANCELLED */
	bool confirmed;                /* STATUS:CONFIRMED (else TENTATIVE) */
	int64_t start_day, end_day;    /* local days (calendar.h) */
	int start_min, end_min;        /* minutes since local midnight */
	int64_t stamp_ms;              /* DTSTAMP (UTC) */
	const char *summary;           /* UTF-8 */
	const char *description;       /* UTF-8, may be NULL */
	const char *organizer_name;    /* may be NULL */
	const char *organizer_email;
	const char *attendee_name;     /* may be NULL */
	const char *attendee_email;    /* may be NULL */
};

/* The whole VCALENDAR; a new string (caller frees). */
char *booking_ics_new(const struct booking_ics *ev);

/* ---- the building blocks, public for the unit tests ------------------ */

/* Appends one content line, folded (CRLF + space) so that no line is
 * longer than 75 octets, never splitting a UTF-8 sequence; ends it with
 * CRLF. */
void ics_line(struct buf *out, const char *line);

/* Appends `s` as an RFC 5545 TEXT value: `\` `;` `,` escaped, line breaks
 * (CRLF, LF or CR) as `\n`, other control characters dropped. */
void ics_text(struct buf *out, const char *s);

#endif
