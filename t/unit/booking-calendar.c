/*
 * booking-calendar.c — the café's calendar (common/booking/calendar.c):
 * civil dates, Europe/Paris on both DST days, the public holidays of
 * Strasbourg (Easter-based ones and Alsace-Moselle's), opening hours with
 * holiday hours, annual, exceptional and partial closures. Prints TAP.
 */
#include "booking/calendar.h"
#include "tap.h"
#include "testdoc.h"

#include <string.h>

static int64_t D(const char *s)
{
	int64_t d = -1;

	if (!booking_parse_date(s, &d))
		diag("bad date %s", s);
	return d;
}

/* ms of an ISO UTC instant "YYYY-MM-DDTHH:MM" */
static int64_t U(const char *s)
{
	char date[11];
	int minute;

	memcpy(date, s, 10);
	date[10] = '\0';
	booking_parse_time(s + 11, false, &minute);
	return booking_day_ms(D(date)) + (int64_t)minute * 60000;
}

static const char *local(int64_t utc_ms)
{
	static char out[20];
	int64_t day;
	int minute;
	char d[11], t[6];

	booking_paris_local(utc_ms, &day, &minute);
	booking_format_date(day, d);
	booking_format_time(minute, t);
	snprintf(out, sizeof out, "%s %s", d, t);
	return out;
}

int main(void)
{
	int64_t day;
	int minute;
	char buf[16];

	/* dates */
	ok(booking_parse_date("2027-02-28", &day), "2027-02-28 is a date");
	ok(!booking_parse_date("2027-02-29", &day), "2027-02-29 is not");
	ok(booking_parse_date("2028-02-29", &day), "2028-02-29 is (leap year)");
	ok(!booking_parse_date("2027-13-01", &day) && !booking_parse_date("27-01-01", &day) &&
	   !booking_parse_date("2027-1-01", &day) && !booking_parse_date("2027-01-01T00", &day) &&
	   !booking_parse_date("", &day) && !booking_parse_date(NULL, &day),
	   "malformed dates are refused");
	booking_format_date(D("2027-10-31"), buf);
	is_str(buf, "2027-10-31", "a date reads back");
	is_int(booking_weekday(D("2027-03-28")), 6, "2027-03-28 is a Sunday");
	is_int(booking_weekday(D("2026-12-07")), 0, "2026-12-07 is a Monday");
	is_int(booking_day_ms(booking_days_from_civil(1970, 1, 2)), 86400000, "a booking date is 00:00 UTC of the day");
	ok(booking_parse_time("9:00", false, &minute) && minute == 540, "9:00 is legal (as the original)");
	ok(!booking_parse_time("24:00", false, &minute) && booking_parse_time("24:00", true, &minute),
	   "24:00 only as a closing time");
	ok(!booking_parse_time("12:60", false, &minute) && !booking_parse_time("1200", false, &minute) &&
	   !booking_parse_time("ab:cd", false, &minute), "malformed times are refused");

	/* Europe/Paris */
	is_int(booking_paris_offset_min(U("2027-01-15T12:00")), 60, "winter is UTC+1");
	is_int(booking_paris_offset_min(U("2027-07-15T12:00")), 120, "summer is UTC+2");
	is_str(local(U("2027-03-28T00:59")), "2027-03-28 01:59", "28 March 2027 00:59 UTC is 01:59 CET");
	is_str(local(U("2027-03-28T01:00")), "2027-03-28 03:00", "01:00 UTC is 03:00 CEST (02:00 skipped)");
	is_str(local(U("2027-10-31T00:59")), "2027-10-31 02:59", "31 October 2027 00:59 UTC is 02:59 CEST");
	is_str(local(U("2027-10-31T01:00")), "2027-10-31 02:00", "01:00 UTC is 02:00 CET (02:00 again)");
	is_str(local(U("2026-12-31T23:30")), "2027-01-01 00:30", "the local day changes before UTC's");
	is_int(booking_paris_to_utc(D("2027-03-28"), 10 * 60), U("2027-03-28T08:00"),
	       "10:00 on 28 March 2027 is 08:00 UTC");
	is_int(booking_paris_to_utc(D("2027-03-27"), 10 * 60), U("2027-03-27T09:00"),
	       "10:00 the day before is 09:00 UTC");
	is_int(booking_paris_to_utc(D("2027-10-31"), 10 * 60), U("2027-10-31T09:00"),
	       "10:00 on 31 October 2027 is 09:00 UTC");
	is_int(booking_paris_to_utc(D("2027-10-31"), 2 * 60 + 30), U("2027-10-31T00:30"),
	       "the repeated 02:30 is read as its first occurrence");
	is_int(booking_paris_to_utc(D("2027-03-28"), 2 * 60 + 30), U("2027-03-28T01:30"),
	       "the skipped 02:30 is read as 03:30 CEST");
	is_int(booking_paris_to_utc(D("2027-03-28"), 20 * 60) - booking_paris_to_utc(D("2027-03-28"), 10 * 60),
	       10 * 3600000LL, "10:00–20:00 on the March change lasts 10 hours");

	/* holidays */
	is_int(booking_easter(2027), D("2027-03-28"), "Easter 2027 is 28 March");
	is_int(booking_easter(2026), D("2026-04-05"), "Easter 2026 is 5 April");
	is_int(booking_easter(2028), D("2028-04-16"), "Easter 2028 is 16 April");
	is_str(booking_holiday(D("2027-03-29")), "Lundi de Pâques", "Easter Monday 2027");
	is_str(booking_holiday(D("2027-03-26")), "Vendredi saint (Alsace-Moselle)", "Good Friday (Alsace-Moselle)");
	is_str(booking_holiday(D("2027-05-06")), "Ascension", "Ascension 2027 is 6 May");
	is_str(booking_holiday(D("2027-05-17")), "Lundi de Pentecôte", "Whit Monday 2027 is 17 May");
	is_str(booking_holiday(D("2026-12-26")), "Saint-Étienne (Alsace-Moselle)", "26 December (Alsace-Moselle)");
	is_str(booking_holiday(D("2027-07-14")), "Fête nationale", "14 July");
	ok(booking_holiday(D("2027-03-30")) == NULL && booking_holiday(D("2027-05-07")) == NULL,
	   "ordinary days are not holidays");
	{
		int n = 0;
		for (int64_t d = D("2027-01-01"); d <= D("2027-12-31"); d++)
			n += booking_holiday(d) != NULL;
		is_int(n, 13, "13 public holidays in Strasbourg in 2027 (11 + 2 of Alsace-Moselle)");
	}

	/* hours */
	{
		struct booking_hours h;
		struct booking_day bd;
		booking_hours_from_doc(J("{'defaultHours': {"
			"'monday': {'isOpen': true, 'openTime': '09:00', 'closeTime': '20:00'},"
			"'tuesday': {'isOpen': true, 'openTime': '09:00', 'closeTime': '20:00'},"
			"'wednesday': {'isOpen': false},"
			"'sunday': {'isOpen': true, 'openTime': '10:00', 'closeTime': '18:00'}},"
			"'holidayHours': {'isOpen': true, 'openTime': '11:00', 'closeTime': '19:00'},"
			"'annualClosures': ['12-25', '01-01'],"
			"'exceptionalClosures': ["
			" {'date': {'$date': '2027-04-13T00:00:00Z'}, 'reason': 'Inventaire', 'isFullDay': true},"
			" {'date': '2027-04-12', 'isFullDay': false, 'startTime': '14:00', 'endTime': '16:00'},"
			" {'date': {'$date': '2027-03-29T00:00:00Z'}, 'isFullDay': true, 'reason': 'Travaux'}]}"), &h);
		booking_hours_day(&h, D("2027-04-05"), &bd);
		ok(bd.open && bd.open_min == 540 && bd.close_min == 1200 && !bd.holiday, "a Monday: 09:00–20:00");
		booking_hours_day(&h, D("2027-04-07"), &bd);
		ok(!bd.open, "a Wednesday closed by the weekly hours");
		booking_hours_day(&h, D("2027-04-10"), &bd);
		ok(bd.open && bd.open_min == 600, "a Saturday without hours takes the default 10:00");
		booking_hours_day(&h, D("2027-05-17"), &bd);
		ok(bd.open && bd.open_min == 660 && bd.close_min == 1140 && bd.holiday,
		   "Whit Monday follows the holiday hours 11:00–19:00");
		booking_hours_day(&h, D("2027-03-29"), &bd);
		ok(!bd.open && strcmp(bd.closed_reason, "Travaux") == 0,
		   "an exceptional closure wins over the holiday hours");
		booking_hours_day(&h, D("2027-12-25"), &bd);
		ok(!bd.open, "25 December closed by the annual closures");
		booking_hours_day(&h, D("2027-12-26"), &bd);
		ok(bd.open && bd.open_min == 660, "26 December open at holiday hours");
		booking_hours_day(&h, D("2027-04-13"), &bd);
		ok(!bd.open && strcmp(bd.closed_reason, "Inventaire") == 0, "a full-day exceptional closure (BSON date)");
		booking_hours_day(&h, D("2027-04-12"), &bd);
		ok(bd.open && bd.npartial == 1 && bd.partial[0].start_min == 840 && bd.partial[0].end_min == 960,
		   "a partial closure 14:00–16:00 (date as a string)");
		booking_hours_free(&h);
	}
	testdoc_free();
	return tap_done();
}
