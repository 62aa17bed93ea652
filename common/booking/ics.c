/*
 * ics.c — the booking's calendar invitation (RFC 5545, RFC 5546 methods).
 * See booking/ics.h.
 */
#include "booking/ics.h"
#include "booking/calendar.h"

#include <string.h>
#include <time.h>

#define FOLD_OCTETS 75

void ics_line(struct buf *out, const char *line)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t len = strlen(line), room = FOLD_OCTETS;

	while (len > room) {
		size_t n = room;
		/* back up to the first byte of a UTF-8 sequence */
		while (n > 1 && (p[n] & 0xc0) == 0x80)
			n--;
		buf_add(out, (const char *)p, n);
		buf_str(out, "\r\n ");
		p += n;
		len -= n;
		room = FOLD_OCTETS - 1;      /* the leading space counts */
	}
	buf_add(out, (const char *)p, len);
	buf_str(out, "\r\n");
}

void ics_text(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == ';' || c == ',') {
			char e[2] = { '\\', (char)c };
			buf_add(out, e, 2);
		} else if (c == '\r' || c == '\n') {
			if (c == '\r' && s[1] == '\n')
				s++;
			buf_str(out, "\\n");
		} else if (c >= 0x20 && c != 0x7f) {
			buf_add(out, (const char *)&c, 1);
		}
	}
}

/* A parameter value (CN=…): quoted, without the characters a quoted
 * parameter cannot hold (DQUOTE, controls). */
static void param_value(struct buf *out, const char *s)
{
	buf_str(out, "\"");
	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && *s != '"' && *s != 0x7f)
			buf_add(out, s, 1);
	buf_str(out, "\"");
}

static void local_time(struct buf *out, int64_t day, int minute)
{
	int y, m, d;

	if (minute >= 24 * 60) {     /* 24:00 is the next day's midnight */
		day += minute / (24 * 60);
		minute %= 24 * 60;
	}
	booking_civil_from_days(day, &y, &m, &d);
	buf_printf(out, "%04d%02d%02dT%02d%02d00", y, m, d, minute / 60, minute % 60);
}

/* A property built in `tmp`, then folded into `out`. */
static void emit(struct buf *out, struct buf *tmp)
{
	ics_line(out, tmp->data ? tmp->data : "");
	tmp->len = 0;
	if (tmp->data)
		tmp->data[0] = '\0';
}

static void add_timezone(struct buf *out)
{
	static const char *const lines[] = {
		"BEGIN:VTIMEZONE",
		"TZID:Europe/Paris",
		"X-LIC-LOCATION:Europe/Paris",
		"BEGIN:DAYLIGHT",
		"TZOFFSETFROM:+0100",
		"TZOFFSETTO:+0200",
		"TZNAME:CEST",
		"DTSTART:19810329T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
		"END:DAYLIGHT",
		"BEGIN:STANDARD",
		"TZOFFSETFROM:+0200",
		"TZOFFSETTO:+0100",
		"TZNAME:CET",
		"DTSTART:19961027T030000",
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
		"END:STANDARD",
		"END:VTIMEZONE",
	};

	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
		ics_line(out, lines[i]);
}

char *booking_ics_new(const struct booking_ics *ev)
{
	struct buf out = { 0 }, t = { 0 };
	time_t stamp = (time_t)(ev->stamp_ms / 1000);
	struct tm tm;

	gmtime_r(&stamp, &tm);
	ics_line(&out, "BEGIN:VCALENDAR");
	ics_line(&out, "PRODID:-//CoworKing Café//Réservations//FR");
	ics_line(&out, "VERSION:2.0");
	ics_line(&out, "CALSCALE:GREGORIAN");
	ics_line(&out, ev->cancel ? "METHOD:CANCEL" : "METHOD:REQUEST");
	add_timezone(&out);
	ics_line(&out, "BEGIN:VEVENT");
	buf_str(&t, "UID:");
	ics_text(&t, ev->uid);
	emit(&out, &t);
	buf_printf(&t, "SEQUENCE:%d", ev->sequence);
	emit(&out, &t);
	buf_printf(&t, "DTSTAMP:%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	emit(&out, &t);
	buf_str(&t, "DTSTART;TZID=Europe/Paris:");
	local_time(&t, ev->start_day, ev->start_min);
	emit(&out, &t);
	buf_str(&t, "DTEND;TZID=Europe/Paris:");
	local_time(&t, ev->end_day, ev->end_min);
	emit(&out, &t);
	buf_str(&t, "SUMMARY:");
	ics_text(&t, ev->summary);
	emit(&out, &t);
	buf_str(&t, "LOCATION:");
	ics_text(&t, BOOKING_ICS_LOCATION);
	emit(&out, &t);
	if (ev->description && *ev->description) {
		buf_str(&t, "DESCRIPTION:");
		ics_text(&t, ev->description);
		emit(&out, &t);
	}
	buf_str(&t, "ORGANIZER");
	if (ev->organizer_name && *ev->organizer_name) {
		buf_str(&t, ";CN=");
		param_value(&t, ev->organizer_name);
	}
	buf_printf(&t, ":mailto:%s", ev->organizer_email);
	emit(&out, &t);
	if (ev->attendee_email && *ev->attendee_email) {
		buf_str(&t, "ATTENDEE");
		if (ev->attendee_name && *ev->attendee_name) {
			buf_str(&t, ";CN=");
			param_value(&t, ev->attendee_name);
		}
		buf_printf(&t, ";ROLE=REQ-PARTICIPANT;PARTSTAT=%s:mailto:%s",
			   ev->cancel ? "DECLINED" : "ACCEPTED", ev->attendee_email);
		emit(&out, &t);
	}
	ics_line(&out, ev->cancel ? "STATUS:CANCELLED"
				  : ev->confirmed ? "STATUS:CONFIRMED" : "STATUS:TENTATIVE");
	ics_line(&out, "TRANSP:OPAQUE");
	ics_line(&out, "END:VEVENT");
	ics_line(&out, "END:VCALENDAR");
	buf_free(&t);
	return out.data;
}
