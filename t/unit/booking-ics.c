/*
 * booking-ics.c — the booking's calendar invitation (common/booking/ics.c):
 * folding at 75 octets without splitting UTF-8, TEXT escaping, the
 * Europe/Paris VTIMEZONE against calendar.c's own DST rule, local times
 * on both DST Sundays, REQUEST and CANCEL. Prints TAP.
 */
#include "booking/calendar.h"
#include "booking/ics.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Every physical line ≤ 75 octets, CRLF-terminated, no line starting
 * inside a UTF-8 sequence; `unfolded` receives the logical text. */
static bool folded_ok(const char *s, struct buf *unfolded)
{
	const char *p = s;

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		if (!eol || eol - p > 75)
			return false;
		const char *start = p;
		if (p != s && *p == ' ') {
			start = p + 1;
			unfolded->len -= 2;      /* drop the CRLF before a fold */
		}
		if (((unsigned char)*start & 0xc0) == 0x80)
			return false;
		buf_add(unfolded, start, (size_t)(eol - start) + 2);
		p = eol + 2;
	}
	return true;
}

static void test_fold(void)
{
	struct buf out = { 0 }, un = { 0 };
	char line[600];
	size_t n = 0;

	n += (size_t)snprintf(line, sizeof line, "DESCRIPTION:");
	for (int i = 0; i < 60 && n + 8 < sizeof line; i++)   /* 2-byte é, 3-byte € */
		n += (size_t)snprintf(line + n, sizeof line - n, "%s", i % 3 ? "é" : "x€");
	ics_line(&out, line);
	ok(folded_ok(out.data, &un), "a long UTF-8 line: ≤ 75 octets a line, no sequence split");
	is_str(un.data, (strcat(line, "\r\n"), line), "unfolding gives the line back");
	ok(strstr(out.data, "\r\n ") != NULL, "it was folded (CRLF SP)");
	buf_free(&out);
	buf_free(&un);

	ics_line(&out, "SUMMARY:short");
	is_str(out.data, "SUMMARY:short\r\n", "a short line is left alone");
	buf_free(&out);

	/* exactly 75 octets: no fold; 76: one */
	memset(line, 'a', 75);
	line[75] = '\0';
	ics_line(&out, line);
	ok(strstr(out.data, "\r\n ") == NULL, "75 octets: not folded");
	buf_free(&out);
	strcat(line, "b");
	ics_line(&out, line);
	ok(strncmp(out.data + 75, "\r\n b\r\n", 6) == 0, "76 octets: folded after the 75th");
	buf_free(&out);
}

static void test_escape(void)
{
	struct buf out = { 0 };

	ics_text(&out, "Salle; Verrière, 4 pers.\\ note\r\nligne 2\nligne 3\x01");
	is_str(out.data, "Salle\\; Verrière\\, 4 pers.\\\\ note\\nligne 2\\nligne 3",
	       "TEXT escaping: \\\\ ; , and line breaks; controls dropped");
	buf_free(&out);
}

/* The VTIMEZONE says: CEST from the last Sunday of March 02:00 local,
 * CET from the last Sunday of October 03:00 local. calendar.c must agree,
 * every year, or the invitation and the booking disagree by an hour. */
static void test_dst_rule(void)
{
	bool all = true;

	for (int y = 2024; y <= 2040; y++) {
		int64_t mar = booking_days_from_civil(y, 3, 31), oct = booking_days_from_civil(y, 10, 31);
		while (booking_weekday(mar) != 6)
			mar--;
		while (booking_weekday(oct) != 6)
			oct--;
		int64_t mar_ms = booking_day_ms(mar) + 3600000, oct_ms = booking_day_ms(oct) + 3600000;
		if (booking_paris_offset_min(mar_ms - 1000) != 60 ||
		    booking_paris_offset_min(mar_ms) != 120 ||
		    booking_paris_offset_min(oct_ms - 1000) != 120 ||
		    booking_paris_offset_min(oct_ms) != 60) {
			diag("%d: calendar.c and the VTIMEZONE's RRULE disagree", y);
			all = false;
		}
	}
	ok(all, "2024–2040: the VTIMEZONE's last-Sunday rules match calendar.c");
}

static struct booking_ics event(int64_t day, int start, int end)
{
	struct booking_ics ev = {
		.uid = "65f0c0ffee0000000000abcd@" BOOKING_ICS_DOMAIN,
		.sequence = 3,
		.start_day = day, .end_day = day, .start_min = start, .end_min = end,
		.stamp_ms = 1796000000000LL,
		.summary = "Réservation Salle Verrière, CWC-ABC123",
		.description = "4 personnes; petit-déjeuner, projecteur",
		.organizer_name = "CoworKing Café",
		.organizer_email = "contact@coworkingcafe.com",
		.attendee_name = "Zoé \"Z\" Martin",
		.attendee_email = "zoe@example.com",
	};
	return ev;
}

static void test_calendar(void)
{
	int64_t spring = booking_days_from_civil(2027, 3, 28);
	int64_t autumn = booking_days_from_civil(2027, 10, 31);
	struct booking_ics ev = event(spring, 10 * 60, 20 * 60);
	struct buf un = { 0 };
	char *s = booking_ics_new(&ev);

	ok(folded_ok(s, &un), "the calendar is folded and CRLF throughout");
	ok(strstr(un.data, "BEGIN:VCALENDAR\r\n") == un.data, "starts with BEGIN:VCALENDAR");
	ok(strstr(un.data, "\r\nMETHOD:REQUEST\r\n") != NULL, "METHOD:REQUEST");
	ok(strstr(un.data, "\r\nDTSTART;TZID=Europe/Paris:20270328T100000\r\n") != NULL,
	   "DST Sunday in March: 10:00 local stays 10:00 with TZID");
	ok(strstr(un.data, "\r\nDTEND;TZID=Europe/Paris:20270328T200000\r\n") != NULL,
	   "… and ends at 20:00 local");
	ok(strstr(un.data, "\r\nUID:65f0c0ffee0000000000abcd@coworkingcafe.fr\r\n") != NULL, "UID");
	ok(strstr(un.data, "\r\nSEQUENCE:3\r\n") != NULL, "SEQUENCE");
	ok(strstr(un.data, "\r\nDTSTAMP:20261130T") != NULL && strstr(un.data, "Z\r\nDTSTART") != NULL,
	   "DTSTAMP in UTC");
	ok(strstr(un.data, "\r\nTZID:Europe/Paris\r\n") != NULL &&
	   strstr(un.data, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU") != NULL &&
	   strstr(un.data, "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU") != NULL,
	   "a Europe/Paris VTIMEZONE with the EU rules");
	ok(strstr(un.data, "\r\nLOCATION:CoworKing Café\\, 1 rue de la Division Leclerc\\, "
			   "67000 Strasbourg\r\n") != NULL, "LOCATION: the café's address, escaped");
	ok(strstr(un.data, "\r\nDESCRIPTION:4 personnes\\; petit-déjeuner\\, projecteur\r\n") != NULL,
	   "DESCRIPTION escaped");
	ok(strstr(un.data, "\r\nATTENDEE;CN=\"Zoé Z Martin\";ROLE=REQ-PARTICIPANT;"
			   "PARTSTAT=ACCEPTED:mailto:zoe@example.com\r\n") != NULL,
	   "ATTENDEE with a quoted CN (its quotes dropped)");
	ok(strstr(un.data, "\r\nORGANIZER;CN=\"CoworKing Café\":mailto:contact@coworkingcafe.com\r\n")
	   != NULL, "ORGANIZER");
	ok(strstr(un.data, "\r\nSTATUS:TENTATIVE\r\n") != NULL, "a pending booking is TENTATIVE");
	ok(strstr(un.data, "END:VCALENDAR\r\n") != NULL &&
	   strcmp(un.data + un.len - 15, "END:VCALENDAR\r\n") == 0, "ends with END:VCALENDAR");
	free(s);
	buf_free(&un);

	ev = event(autumn, 9 * 60, 24 * 60);
	ev.cancel = true;
	s = booking_ics_new(&ev);
	ok(folded_ok(s, &un), "the cancellation is folded too");
	ok(strstr(un.data, "\r\nMETHOD:CANCEL\r\n") != NULL, "METHOD:CANCEL");
	ok(strstr(un.data, "\r\nSTATUS:CANCELLED\r\n") != NULL, "STATUS:CANCELLED");
	ok(strstr(un.data, "\r\nDTSTART;TZID=Europe/Paris:20271031T090000\r\n") != NULL,
	   "DST Sunday in October: 09:00 local");
	ok(strstr(un.data, "\r\nDTEND;TZID=Europe/Paris:20271101T000000\r\n") != NULL,
	   "24:00 is the next day's midnight");
	free(s);
	buf_free(&un);
}

int main(void)
{
	test_fold();
	test_escape();
	test_dst_rule();
	test_calendar();
	return tap_done();
}
