/*
 * booking-price.c — booking_price_quote() (common/booking/price.c): the
 * worked examples of SPEC §7, tiers, the day-rate cap, services
 * (per-person, flat, daily price), the VAT breakdown and the hold.
 * Pure functions: no store. Prints TAP.
 */
#include "booking/price.h"
#include "booking/calendar.h"
#include "tap.h"

#include <string.h>

static struct booking_space open_space(void)
{
	struct booking_space s = { .space_type = "open-space", .name = "Open-space",
		.hourly = 600, .daily = 2900, .weekly = 9900, .monthly = 29000,
		.per_person = true, .active = true, .min_capacity = 1, .max_capacity = 40 };

	for (int i = 0; i < BOOKING_RTYPES; i++)
		s.types[i] = true;
	return s;
}

static struct booking_space verriere(void)
{
	struct booking_space s = { .space_type = "salle-verriere", .name = "Salle Verrière",
		.hourly = 2400, .daily = 12000, .active = true, .exclusive = true,
		.min_capacity = 1, .max_capacity = 5, .ntiers = 1 };

	s.types[BOOKING_HOURLY] = s.types[BOOKING_DAILY] = true;
	s.tiers[0] = (struct booking_tier){ 1, 4, 2400, 12000, 600, 3000 };
	return s;
}

static struct booking_request hourly(const char *start, const char *end, int people)
{
	struct booking_request rq = { .space_type = "open-space", .rtype = BOOKING_HOURLY,
				      .people = people };

	booking_parse_date("2027-03-10", &rq.day);
	booking_parse_time(start, false, &rq.start_min);
	booking_parse_time(end, true, &rq.end_min);
	return rq;
}

static int64_t total(const struct booking_space *sp, const struct booking_service *svc,
		     const struct booking_request *rq, struct booking_quote *q)
{
	struct err e = { 0 };

	if (!booking_price_quote(sp, svc, rq, q, &e)) {
		diag("refused: %s (%s)", e.message, e.field);
		return -1;
	}
	return q->total;
}

/* The refusal of `rq`: its code and field. */
static void refused(const struct booking_space *sp, const struct booking_request *rq,
		    const char *code, const char *field, const char *what)
{
	struct booking_quote q;
	struct err e = { 0 };
	bool okay = booking_price_quote(sp, NULL, rq, &q, &e);

	ok(!okay && e.status == 422 && strcmp(e.code, code) == 0 && strcmp(e.field, field) == 0,
	   "%s: 422 %s on %s (got %s %s)", what, code, field, okay ? "accepted" : e.code,
	   okay ? "" : e.field);
}

int main(void)
{
	struct booking_space os = open_space(), vr = verriere();
	struct booking_quote q;
	struct booking_request rq;
	struct booking_service per_person = { .name = "Petit-déjeuner", .price = 400,
					      .daily_price = -1, .per_person = true,
					      .vat_bp = 1000, .active = true };
	struct booking_service projector = { .name = "Vidéoprojecteur", .price = 1000,
					     .daily_price = 3000, .vat_bp = 2000, .active = true };

	/* SPEC §7 worked examples */
	rq = hourly("09:00", "11:30", 1);
	is_int(total(&os, NULL, &rq, &q), 1500, "09:00–11:30, 1 person → 15.00 €");
	is_int(q.hold, 1500, "hold with the policy off is the total");
	is_int(q.base_vat_bp, 1000, "hourly open-space time is 10 %% VAT");
	is_int(q.total_ht, 1364, "HT 13.64 €");
	rq = hourly("09:00", "12:00", 2);
	is_int(total(&os, NULL, &rq, &q), 3600, "09:00–12:00, 2 people → 36.00 €");
	rq = hourly("09:00", "14:00", 1);
	is_int(total(&os, NULL, &rq, &q), 2900, "09:00–14:00, 1 person → 29.00 € (the day cap)");
	ok(q.day_rate, "billed at the day rate");
	is_int(q.base_vat_bp, 2000, "capped time is 20 %% VAT");
	rq = hourly("09:00", "13:30", 1);
	is_int(total(&os, NULL, &rq, &q), 2700, "4h30 → 27.00 € (under the cap)");
	rq = hourly("09:00", "14:00", 1);
	rq.start_min = 9 * 60;
	rq.end_min = 13 * 60 + 60;   /* 5 h, 30 € uncapped */
	is_int(total(&os, NULL, &rq, &q), 2900, "5 h is 29 €, not 30 € (the cap starts at 4h50)");
	rq.rtype = BOOKING_DAILY;
	rq.people = 3;
	is_int(total(&os, NULL, &rq, &q), 8700, "a day for 3 → 87.00 €");
	is_int(q.total_ht, 7250, "HT 72.50 €");
	rq = hourly("09:00", "12:00", 2);
	rq.nservices = 1;
	rq.services[0].quantity = 1;
	is_int(total(&os, &per_person, &rq, &q), 4400, "2 people 3 h + a 4 € per-person service → 44.00 €");
	is_int(q.services_price, 800, "services 8.00 €");
	os.deposit.enabled = true;
	os.deposit.percentage = 50;
	os.deposit.minimum = 3000;
	is_int(total(&os, &per_person, &rq, &q), 4400, "same total with a deposit policy");
	is_int(q.hold, 3000, "50 %% policy with a 30 € minimum → hold 30.00 €");
	os.deposit.minimum = 0;
	total(&os, &per_person, &rq, &q);
	is_int(q.hold, 2200, "50 %% without minimum → 22.00 €");
	os.deposit.fixed = 10000;
	total(&os, &per_person, &rq, &q);
	is_int(q.hold, 4400, "a fixed hold above the total is cut to the total");
	os = open_space();

	/* tiers */
	rq = hourly("10:00", "12:00", 5);
	strcpy(rq.space_type, "salle-verriere");
	is_int(total(&vr, NULL, &rq, &q), 6000, "tier {1–4: 24 €/h, +6 €/h}: 5 people 2 h → 60 €");
	ok(q.tier_applied && q.extra == 1200, "extra people 12 € (%lld)", (long long)q.extra);
	rq.people = 3;
	is_int(total(&vr, NULL, &rq, &q), 4800, "3 people 2 h → 48 € (the room, not per person)");
	is_int(q.base_vat_bp, 2000, "meeting rooms are 20 %% VAT by the hour");
	rq.start_min = 9 * 60;
	rq.end_min = 17 * 60;
	is_int(total(&vr, NULL, &rq, &q), 12000, "8 h capped at the room's day rate 120 €");
	rq.people = 5;
	is_int(total(&vr, NULL, &rq, &q), 15000, "8 h for 5 capped at 120 + 30 €");
	rq.rtype = BOOKING_DAILY;
	is_int(total(&vr, NULL, &rq, &q), 15000, "a day for 5 → 150 €");
	rq.nservices = 1;
	rq.services[0].quantity = 2;
	is_int(total(&vr, &projector, &rq, &q), 21000, "+ 2 projectors at the daily price 30 € → 210 €");
	is_int(q.lines[0].unit_price, 3000, "unit price is dailyPrice at the day rate");
	rq.rtype = BOOKING_HOURLY;
	rq.start_min = 10 * 60;
	rq.end_min = 12 * 60;
	rq.people = 2;
	is_int(total(&vr, &projector, &rq, &q), 4800 + 2000, "2 h + 2 flat projectors at 10 € → 68 €");
	is_int(q.lines[0].total_ht, 1667, "a service's HT uses its own VAT rate (20 %%)");
	is_int(q.total_vat, (4800 - 4000) + (2000 - 1667), "VAT total is the sum of the lines");

	/* weekly / monthly */
	rq = hourly("09:00", "10:00", 2);
	rq.rtype = BOOKING_WEEKLY;
	is_int(total(&os, NULL, &rq, &q), 19800, "a week for 2 → 198 €");
	is_int(q.days, 7, "a week covers 7 days");
	rq.rtype = BOOKING_MONTHLY;
	rq.people = 1;
	is_int(total(&os, NULL, &rq, &q), 29000, "a month → 290 €");
	is_int(q.days, 30, "a month covers 30 days");

	/* refusals */
	rq = hourly("09:15", "11:00", 1);
	refused(&os, &rq, "time_grid", "startTime", "09:15 is off the 30-minute grid");
	rq = hourly("09:00", "09:30", 1);
	refused(&os, &rq, "too_short", "endTime", "30 minutes is too short");
	rq = hourly("11:00", "10:00", 1);
	refused(&os, &rq, "end_before_start", "endTime", "end before start");
	rq = hourly("10:00", "12:00", 0);
	refused(&os, &rq, "capacity", "numberOfPeople", "0 people");
	rq.people = 10000;
	refused(&os, &rq, "capacity", "numberOfPeople", "10,000 people");
	rq = hourly("10:00", "12:00", 2);
	rq.rtype = BOOKING_WEEKLY;
	refused(&vr, &rq, "reservation_type_unavailable", "reservationType", "a week of the Verrière");
	vr.requires_quote = true;
	rq.rtype = BOOKING_HOURLY;
	refused(&vr, &rq, "quote_required", "spaceType", "a space on quote");
	vr.requires_quote = false;
	vr.active = false;
	refused(&vr, &rq, "space_unavailable", "spaceType", "an inactive space");
	vr = verriere();
	rq = hourly("10:00", "12:00", 2);
	rq.nservices = 1;
	rq.services[0].quantity = 1;
	strcpy(projector.for_types[0], "salle-etage");
	projector.nfor_types = 1;
	{
		struct err e = { 0 };
		ok(!booking_price_quote(&os, &projector, &rq, &q, &e) &&
		   strcmp(e.code, "service_unavailable") == 0 && strcmp(e.field, "services[0]") == 0,
		   "a service not offered for the space is refused, naming it");
	}
	return tap_done();
}
