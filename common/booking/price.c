/*
 * price.c — booking_price_quote(), the one price function. See price.h.
 */
#include "booking/price.h"
#include "booking/calendar.h"
#include "core/buf.h"

#include <string.h>

/* rate × minutes / 60, rounded half up to the cent. */
static int64_t per_minutes(int64_t rate, int minutes)
{
	return (rate * minutes + 30) / 60;
}

int64_t booking_ht(int64_t ttc, int vat_bp)
{
	int64_t den = 10000 + vat_bp;

	return (ttc * 10000 + den / 2) / den;
}

int64_t booking_hold_amount(const struct booking_space *sp, int64_t total)
{
	int64_t hold = total;

	if (sp->deposit.enabled) {
		if (sp->deposit.fixed > 0)
			hold = sp->deposit.fixed;
		else if (sp->deposit.percentage >= 0)
			hold = (total * sp->deposit.percentage + 50) / 100;
		if (sp->deposit.minimum > 0 && hold < sp->deposit.minimum)
			hold = sp->deposit.minimum;
	}
	return hold > total ? total : hold;
}

/* The space's price for `n` people over `minutes` (hourly) or one day
 * (`minutes` < 0), with tiers; sets *tier, *base and *extra. */
static int64_t space_price(const struct booking_space *sp, int n, int minutes,
			   bool *tier, int64_t *base, int64_t *extra)
{
	const struct booking_tier *use = NULL;
	bool hourly = minutes >= 0;

	*tier = false;
	*extra = 0;
	for (int i = 0; i < sp->ntiers; i++) {
		const struct booking_tier *t = &sp->tiers[i];
		if (n < t->min_people)
			continue;
		if (n <= t->max_people) {
			use = t;
			*extra = 0;
			break;
		}
		int64_t er = hourly ? t->extra_hourly : t->extra_daily;
		if (er >= 0) {   /* above this tier: its rate plus extra people; a later tier may do better */
			use = t;
			*extra = hourly ? per_minutes(er, minutes) * (n - t->max_people)
					: er * (n - t->max_people);
		}
	}
	if (use) {
		*tier = true;
		*base = hourly ? per_minutes(use->hourly, minutes) : use->daily;
		return *base + *extra;
	}
	*base = hourly ? per_minutes(sp->hourly, minutes) : sp->daily;
	if (sp->per_person)
		*base *= n;
	return *base;
}

bool booking_price_quote(const struct booking_space *sp, const struct booking_service *services,
			 const struct booking_request *rq, struct booking_quote *q, struct err *e)
{
	memset(q, 0, sizeof *q);
	if (!sp->active)
		return err_set(e, 422, "space_unavailable", "spaceType",
			       "%s cannot be booked at the moment.", sp->name);
	if (sp->requires_quote && !rq->quote_agreed)
		return err_set(e, 422, "quote_required", "spaceType",
			       "%s is booked on quote: please use the quote request form.", sp->name);
	if (rq->rtype < 0 || rq->rtype >= BOOKING_RTYPES || !sp->types[rq->rtype])
		return err_set(e, 422, "reservation_type_unavailable", "reservationType",
			       "%s cannot be booked %s.", sp->name, booking_rtype_name(rq->rtype));
	if (rq->people < sp->min_capacity || rq->people > sp->max_capacity)
		return err_set(e, 422, "capacity", "numberOfPeople",
			       "%s takes from %d to %d people.", sp->name, sp->min_capacity,
			       sp->max_capacity);

	switch (rq->rtype) {
	case BOOKING_HOURLY: {
		int minutes = rq->end_min - rq->start_min;
		bool dtier;
		int64_t dbase, dextra, day;
		if (rq->start_min % BOOKING_SLOT_MIN || rq->end_min % BOOKING_SLOT_MIN)
			return err_set(e, 422, "time_grid", rq->start_min % BOOKING_SLOT_MIN ? "startTime" : "endTime",
				       "Times go by steps of 30 minutes (e.g. 09:00, 09:30).");
		if (minutes <= 0)
			return err_set(e, 422, "end_before_start", "endTime",
				       "The end time must be after the start time.");
		if (minutes < 60)
			return err_set(e, 422, "too_short", "endTime",
				       "A booking by the hour lasts at least one hour.");
		q->minutes = minutes;
		q->days = 1;
		q->base_price = space_price(sp, rq->people, minutes, &q->tier_applied, &q->base, &q->extra);
		day = space_price(sp, rq->people, -1, &dtier, &dbase, &dextra);
		if (day > 0 && q->base_price > day) {   /* never more than a day */
			q->base_price = day;
			q->base = dbase;
			q->extra = dextra;
			q->tier_applied = dtier;
			q->day_rate = true;
		}
		break;
	}
	case BOOKING_DAILY:
		q->days = 1;
		q->day_rate = true;
		q->base_price = space_price(sp, rq->people, -1, &q->tier_applied, &q->base, &q->extra);
		break;
	case BOOKING_WEEKLY:
	case BOOKING_MONTHLY:
		q->days = rq->rtype == BOOKING_WEEKLY ? 7 : 30;
		q->base = rq->rtype == BOOKING_WEEKLY ? sp->weekly : sp->monthly;
		if (sp->per_person)
			q->base *= rq->people;
		q->base_price = q->base;
		break;
	}
	q->base_vat_bp = rq->rtype == BOOKING_HOURLY && !q->day_rate &&
			 strcmp(sp->space_type, "open-space") == 0 ? 1000 : 2000;
	q->base_ht = booking_ht(q->base_price, q->base_vat_bp);

	for (int i = 0; i < rq->nservices; i++) {
		const struct booking_service *s = &services[i];
		struct booking_quote_line *l = &q->lines[q->nlines++];
		char field[32];
		(void)buf_fmt(field, sizeof field, "services[%d]", i);
		if (!booking_service_offered(s, sp->space_type))
			return err_set(e, 422, "service_unavailable", field,
				       "%s is not offered with %s.", s->name, sp->name);
		if (rq->services[i].quantity < 1 || rq->services[i].quantity > 100)
			return err_set(e, 422, "validation_failed", field,
				       "A service's quantity is from 1 to 100.");
		(void)buf_fmt(l->name, sizeof l->name, "%s", s->name);
		bson_oid_copy(&s->id, &l->service);
		l->quantity = rq->services[i].quantity;
		l->unit_price = q->day_rate && s->daily_price >= 0 ? s->daily_price : s->price;
		l->total = l->unit_price * l->quantity * (s->per_person ? rq->people : 1);
		l->vat_bp = s->vat_bp;
		l->total_ht = booking_ht(l->total, s->vat_bp);
		q->services_price += l->total;
	}
	q->total = q->base_price + q->services_price;
	q->total_ht = q->base_ht;
	for (int i = 0; i < q->nlines; i++)
		q->total_ht += q->lines[i].total_ht;
	q->total_vat = q->total - q->total_ht;
	q->hold = booking_hold_amount(sp, q->total);
	return true;
}

json_object *booking_quote_json(const struct booking_request *rq, const struct booking_quote *q)
{
	json_object *o = json_object_new_object(), *lines = json_object_new_array();
	json_object *vat = json_object_new_array(), *base = json_object_new_object();
	char date[11], t[6];

	json_object_object_add(o, "spaceType", json_object_new_string(rq->space_type));
	json_object_object_add(o, "reservationType", json_object_new_string(booking_rtype_name(rq->rtype)));
	booking_format_date(rq->day, date);
	json_object_object_add(o, "date", json_object_new_string(date));
	if (q->days > 1) {
		booking_format_date(rq->day + q->days - 1, date);
		json_object_object_add(o, "endDate", json_object_new_string(date));
	}
	if (rq->rtype == BOOKING_HOURLY) {
		booking_format_time(rq->start_min, t);
		json_object_object_add(o, "startTime", json_object_new_string(t));
		booking_format_time(rq->end_min, t);
		json_object_object_add(o, "endTime", json_object_new_string(t));
		json_object_object_add(o, "durationMinutes", json_object_new_int(q->minutes));
	}
	json_object_object_add(o, "numberOfPeople", json_object_new_int(rq->people));
	json_object_object_add(o, "dayRateApplied", json_object_new_boolean(q->day_rate));
	json_object_object_add(o, "tierApplied", json_object_new_boolean(q->tier_applied));
	json_object_object_add(o, "basePrice", booking_euros_json(q->base_price));
	json_object_object_add(o, "extraPeoplePrice", booking_euros_json(q->extra));
	json_object_object_add(o, "servicesPrice", booking_euros_json(q->services_price));
	json_object_object_add(o, "totalPrice", booking_euros_json(q->total));
	json_object_object_add(o, "totalPriceCents", json_object_new_int64(q->total));
	json_object_object_add(o, "totalHT", booking_euros_json(q->total_ht));
	json_object_object_add(o, "totalVAT", booking_euros_json(q->total_vat));
	json_object_object_add(o, "depositAmount", json_object_new_int64(q->hold));
	json_object_object_add(o, "holdAmount", booking_euros_json(q->hold));
	json_object_object_add(base, "label", json_object_new_string("space"));
	json_object_object_add(base, "totalTTC", booking_euros_json(q->base_price));
	json_object_object_add(base, "vatRate", json_object_new_double((double)q->base_vat_bp / 100.0));
	json_object_object_add(base, "totalHT", booking_euros_json(q->base_ht));
	json_object_object_add(base, "vat", booking_euros_json(q->base_price - q->base_ht));
	json_object_array_add(vat, base);
	for (int i = 0; i < q->nlines; i++) {
		const struct booking_quote_line *l = &q->lines[i];
		json_object *lo = json_object_new_object(), *vo = json_object_new_object();
		char id[25];
		bson_oid_to_string(&l->service, id);
		json_object_object_add(lo, "service", json_object_new_string(id));
		json_object_object_add(lo, "name", json_object_new_string(l->name));
		json_object_object_add(lo, "quantity", json_object_new_int(l->quantity));
		json_object_object_add(lo, "unitPrice", booking_euros_json(l->unit_price));
		json_object_object_add(lo, "totalPrice", booking_euros_json(l->total));
		json_object_array_add(lines, lo);
		json_object_object_add(vo, "label", json_object_new_string(l->name));
		json_object_object_add(vo, "totalTTC", booking_euros_json(l->total));
		json_object_object_add(vo, "vatRate", json_object_new_double((double)l->vat_bp / 100.0));
		json_object_object_add(vo, "totalHT", booking_euros_json(l->total_ht));
		json_object_object_add(vo, "vat", booking_euros_json(l->total - l->total_ht));
		json_object_array_add(vat, vo);
	}
	json_object_object_add(o, "additionalServices", lines);
	json_object_object_add(o, "vatBreakdown", vat);
	return o;
}
