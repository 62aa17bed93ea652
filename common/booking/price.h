/*
 * price.h — the one price function (SPEC §7 Price): every path that shows
 * or stores a price calls booking_price_quote(), with the space and the
 * services as the store holds them; nothing a client sends about money is
 * ever read.
 *
 * Integer cents throughout; prices are TTC and VAT is shown, never added.
 */
#ifndef CWC_BOOKING_PRICE_H
#define CWC_BOOKING_PRICE_H

#include "booking/catalogue.h"
#include "core/err.h"

#include <stdbool.h>
#include <stdint.h>

/* What a customer asks for, validated (see booking_request_from_json()). */
struct booking_request {
	char space_type[32];
	int rtype;                 /* enum booking_rtype */
	int64_t day;               /* the (first) day, calendar.h */
	int start_min, end_min;    /* hourly only; -1 otherwise */
	int people;
	struct {
		bson_oid_t id;
		int quantity;
	} services[BOOKING_MAX_SERVICES];
	int nservices;
	bool quote_agreed;         /* staff book a space on quote at the price
				      agreed (their priceOverride): its own
				      prices apply, usually none */
};

struct booking_quote_line {
	char name[128];
	bson_oid_t service;
	int quantity;
	int64_t unit_price, total;     /* cents TTC */
	int vat_bp;
	int64_t total_ht;
};

struct booking_quote {
	int minutes;               /* hourly: the duration; 0 otherwise */
	int days;                  /* days covered: 1, 7 or 30 */
	bool day_rate;             /* billed at the day rate (daily, or hourly capped) */
	bool tier_applied;
	int64_t base, extra;       /* base price (rate × duration) and extra people, cents */
	int64_t base_price;        /* base + extra, capped: the space's part */
	int64_t services_price;
	int64_t total;
	int base_vat_bp;           /* 1000 for hourly open-space time, else 2000 */
	int64_t base_ht, total_ht, total_vat;
	int64_t hold;              /* depositAmount, cents */
	struct booking_quote_line lines[BOOKING_MAX_SERVICES];
	int nlines;
};

/* Prices `rq` for `space` with `services` (the request's services,
 * resolved, in the same order: services[i] is rq->services[i]). Checks
 * what price depends on: the reservation type is one the space offers,
 * hourly times on the 30-minute grid with at least an hour, people
 * within the capacities, services offered for the space. Returns false
 * with a 422 in `e` (field and rule named) otherwise. */
bool booking_price_quote(const struct booking_space *space,
			 const struct booking_service *services,
			 const struct booking_request *rq, struct booking_quote *q,
			 struct err *e);

/* The hold for `total` under `space`'s deposit policy (SPEC §7): the
 * total when off; else fixedAmount, or percentage of the total, raised
 * to minimumAmount, never above the total. */
int64_t booking_hold_amount(const struct booking_space *space, int64_t total);

/* HT of a TTC amount at `vat_bp` (rounded to the cent). */
int64_t booking_ht(int64_t ttc, int vat_bp);

/* The quote as the API shows it. Caller puts it. */
json_object *booking_quote_json(const struct booking_request *rq, const struct booking_quote *q);

#endif
