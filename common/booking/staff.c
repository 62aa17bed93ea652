/*
 * staff.c — the staff's own changes to bookings. See staff.h.
 */
#include "booking/staff.h"
#include "booking/notify.h"
#include "booking/availability.h"
#include "booking/booking.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/claims.h"
#include "booking/money.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/log.h"

#include <string.h>
#include <time.h>

/* find-one-and-update of `b`'s _id (and `status` when not NULL). */
static bool update_booking(store_t *st, const bson_t *b, const char *status, bson_t *update,
			   bson_t *out, struct err *e)
{
	bson_t filter = BSON_INITIALIZER;
	store_fam_opts_t opts = { .return_new = true };
	store_error_t se = { 0 };
	bson_oid_t id;
	bool found = false, ok = false;

	if (!doc_oid(b, "_id", &id)) {
		err_set(e, 404, "not_found", NULL, "No such booking.");
		goto done;
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	if (status)
		BSON_APPEND_UTF8(&filter, "status", status);
	if (!store_find_one_and_update(st, "bookings", &filter, update, &opts, out, &found, &se)) {
		store_fail(e, "booking: staff update", &se);
		goto done;
	}
	if (!found) {
		bson_destroy(out);
		err_set(e, 422, "invalid_transition", "status",
			"This booking changed meanwhile: it is no longer %s.", status ? status : "there");
		goto done;
	}
	ok = true;
done:
	bson_destroy(&filter);
	return ok;
}

bool booking_staff_extra_ok(const struct booking_staff_extra *x, struct err *e)
{
	if (x->override_cents == BOOKING_NO_OVERRIDE)
		return true;
	if (x->override_cents < 0 || x->override_cents > 100000000)
		return err_set(e, 422, "validation_failed", "priceOverride",
			       "priceOverride is an amount in euros from 0.");
	if (!x->override_reason || !*x->override_reason)
		return err_set(e, 422, "validation_failed", "priceOverrideReason",
			       "A price different from the quote needs a reason.");
	return true;
}

bool booking_staff_adopt(store_t *st, const bson_t *created, const struct booking_staff_extra *x,
			 int64_t now, bson_t *out, struct err *e)
{
	bson_t update = BSON_INITIALIZER, set;
	bool ok;

	if (!booking_staff_extra_ok(x, e))
		return false;
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_BOOL(&set, "isAdminBooking", true);
	if (x->by)
		BSON_APPEND_OID(&set, "createdBy", x->by);
	if (x->notes && *x->notes)
		BSON_APPEND_UTF8(&set, "notes", x->notes);
	if (x->override_cents != BOOKING_NO_OVERRIDE) {
		int64_t quoted = booking_field_cents(created, "totalPrice");
		booking_append_euros(&set, "suggestedPrice", quoted);
		booking_append_euros(&set, "totalPrice", x->override_cents);
		BSON_APPEND_UTF8(&set, "priceOverrideReason", x->override_reason);
		/* the hold never exceeds what is owed */
		if (doc_int(created, "depositAmount", 0) > x->override_cents)
			BSON_APPEND_INT64(&set, "depositAmount", x->override_cents);
	}
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	ok = update_booking(st, created, NULL, &update, out, e);
	bson_destroy(&update);
	return ok;
}

static void edit_field(bson_t *set, bson_t *unset, const char *key, const char *value)
{
	if (!value)
		return;
	if (*value)
		BSON_APPEND_UTF8(set, key, value);
	else
		BSON_APPEND_UTF8(unset, key, "");
}

bool booking_staff_edit(store_t *st, const bson_t *b, const struct booking_edit *ed, int64_t now,
			bson_t *out, struct err *e)
{
	const char *status = doc_str(b, "status");
	bson_t update = BSON_INITIALIZER, set = BSON_INITIALIZER, unset = BSON_INITIALIZER;
	bool ok;

	if (!status || (strcmp(status, "pending") != 0 && strcmp(status, "confirmed") != 0))
		return err_set(e, 422, "invalid_transition", "status", "A %s booking cannot be edited.",
			       status ? status : "?");
	edit_field(&set, &unset, "contactName", ed->contact_name);
	edit_field(&set, &unset, "contactEmail", ed->contact_email);
	edit_field(&set, &unset, "contactPhone", ed->contact_phone);
	edit_field(&set, &unset, "companyName", ed->company);
	edit_field(&set, &unset, "specialRequests", ed->special_requests);
	edit_field(&set, &unset, "notes", ed->notes);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	BSON_APPEND_DOCUMENT(&update, "$set", &set);
	if (!bson_empty(&unset))
		BSON_APPEND_DOCUMENT(&update, "$unset", &unset);
	ok = update_booking(st, b, status, &update, out, e);
	bson_destroy(&update);
	bson_destroy(&set);
	bson_destroy(&unset);
	return ok;
}

/* Takes back the slots `b` held before a refused move. */
static void claims_restore(store_t *st, const bson_t *b, const bson_oid_t *id,
			   const struct booking_hours *h, int64_t now)
{
	struct booking_space space;
	struct booking_span spans[BOOKING_MAX_SPANS];
	store_error_t se = { 0 };
	struct err e = { 0 };
	bool found = false;
	const char *type = booking_space_type_current(doc_str(b, "spaceType"));
	int n = booking_stored_spans(h, b, spans);

	if (!type || !booking_space_load(st, type, &space, &found, &se) || !found ||
	    !booking_claims_take(st, &space, spans, n, (int)doc_int(b, "numberOfPeople", 1),
				 booking_privatises(type, doc_bool(b, "isPartialPrivatization", false)), id,
				 doc_date(b, "holdExpiresAt", 0), now, &e))
		log_error("booking: a refused move could not take its old slots back: %s %s",
			  se.message, e.message);
}

bool booking_staff_move(store_t *st, const bson_t *b, const struct booking_request *rq, int64_t now,
			bson_t *out, struct booking_quote *quote, struct err *e)
{
	const char *status = doc_str(b, "status");
	struct booking_space space;
	struct booking_quote q;
	struct booking_hours hours;
	struct booking_span spans[BOOKING_MAX_SPANS];
	store_error_t se = { 0 };
	bson_t update = BSON_INITIALIZER, set, unset, arr, line;
	bson_oid_t id;
	char t[6], key[16];
	int nspans;
	bool ok = false, privatise;
	/* a partial privatisation stays one when moved (only its own space) */
	bool partial = doc_bool(b, "isPartialPrivatization", false);

	if (!status || (strcmp(status, "pending") != 0 && strcmp(status, "confirmed") != 0))
		return err_set(e, 422, "invalid_transition", "status", "A %s booking cannot be moved.",
			       status ? status : "?");
	if (!doc_oid(b, "_id", &id))
		return err_set(e, 404, "not_found", NULL, "No such booking.");
	if (!booking_quote(st, rq, &space, &q, e))
		return false;
	if (!booking_hours_load(st, &hours, &se))
		return store_fail(e, "booking: load hours", &se);
	privatise = booking_privatises(space.space_type, partial);
	if (!booking_check_available_as(st, &space, &hours, rq, now, &id, partial, e))
		goto done;
	nspans = booking_request_spans(&hours, rq, spans);
	if (!booking_claims_release(st, &id, &se)) {
		store_fail(e, "booking: release claims", &se);
		goto done;
	}
	if (!booking_claims_take(st, &space, spans, nspans, rq->people, privatise, &id,
				 doc_date(b, "holdExpiresAt", 0), now, e)) {
		claims_restore(st, b, &id, &hours, now);
		goto done;
	}
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_UTF8(&set, "spaceType", rq->space_type);
	BSON_APPEND_DATE_TIME(&set, "date", booking_day_ms(rq->day));
	BSON_APPEND_UTF8(&set, "reservationType", booking_rtype_name(rq->rtype));
	if (rq->rtype == BOOKING_HOURLY) {
		booking_format_time(rq->start_min, t);
		BSON_APPEND_UTF8(&set, "startTime", t);
		booking_format_time(rq->end_min, t);
		BSON_APPEND_UTF8(&set, "endTime", t);
	}
	if (q.days > 1)
		BSON_APPEND_DATE_TIME(&set, "endDate", booking_day_ms(rq->day + q.days - 1));
	BSON_APPEND_INT32(&set, "numberOfPeople", rq->people);
	booking_append_euros(&set, "basePrice", q.base_price);
	booking_append_euros(&set, "servicesPrice", q.services_price);
	booking_append_euros(&set, "totalPrice", q.total);
	BSON_APPEND_INT64(&set, "depositAmount", q.hold);
	BSON_APPEND_ARRAY_BEGIN(&set, "additionalServices", &arr);
	for (int i = 0; i < q.nlines; i++) {
		(void)buf_fmt(key, sizeof key, "%d", i);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, key, &line);
		BSON_APPEND_OID(&line, "service", &q.lines[i].service);
		BSON_APPEND_UTF8(&line, "name", q.lines[i].name);
		BSON_APPEND_INT32(&line, "quantity", q.lines[i].quantity);
		booking_append_euros(&line, "unitPrice", q.lines[i].unit_price);
		booking_append_euros(&line, "totalPrice", q.lines[i].total);
		bson_append_document_end(&arr, &line);
	}
	bson_append_array_end(&set, &arr);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
	if (rq->rtype != BOOKING_HOURLY) {
		BSON_APPEND_UTF8(&unset, "startTime", "");
		BSON_APPEND_UTF8(&unset, "endTime", "");
	}
	if (q.days <= 1)
		BSON_APPEND_UTF8(&unset, "endDate", "");
	BSON_APPEND_UTF8(&unset, "suggestedPrice", "");
	BSON_APPEND_UTF8(&unset, "priceOverrideReason", "");
	bson_append_document_end(&update, &unset);
	if (!update_booking(st, b, status, &update, out, e)) {
		store_error_t re = { 0 };
		if (!booking_claims_release(st, &id, &re))
			log_error("booking: release the claims of a failed move: %s", re.message);
		claims_restore(st, b, &id, &hours, now);
		goto done;
	}
	if (quote)
		*quote = q;
	booking_notify_changed(st, out, now);    /* the "changed" mail, new .ics */
	ok = true;
done:
	bson_destroy(&update);
	booking_hours_free(&hours);
	return ok;
}

bool booking_staff_delete(store_t *st, const bson_t *b, struct err *e)
{
	bson_t filter = BSON_INITIALIZER;
	store_error_t se = { 0 };
	int64_t deleted = 0;
	bson_oid_t id;
	bool ok;

	if (!doc_oid(b, "_id", &id))
		return err_set(e, 404, "not_found", NULL, "No such booking.");
	/* a hold on the customer's card is given back first (money.h) */
	if (!booking_money_release(st, b, (int64_t)time(NULL) * 1000, e))
		return false;
	BSON_APPEND_OID(&filter, "_id", &id);
	ok = store_delete_one(st, "bookings", &filter, &deleted, &se);
	bson_destroy(&filter);
	if (!ok)
		return store_fail(e, "booking: delete", &se);
	if (!deleted)
		return err_set(e, 404, "not_found", NULL, "No such booking.");
	if (!booking_claims_release(st, &id, &se))
		log_error("booking: release the claims of a deleted booking: %s", se.message);
	return true;
}

bool booking_staff_settings_save(store_t *st, const bson_t *set, int64_t now, bson_t *before,
				 bson_t *after, struct err *e)
{
	bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, fields, *sort;
	store_fam_opts_t opts = { .upsert = true, .return_new = true };
	store_error_t se = { 0 };
	bool found = false, ok = false;

	/* the oldest document is the one in force (booking_settings_load
	 * reads the first): write that one */
	sort = BCON_NEW("_id", BCON_INT32(1));
	opts.sort = sort;
	{
		store_find_opts_t fo = { .sort = sort };
		if (!store_find_one(st, "bookingsettings", &filter, &fo, before, &found, &se)) {
			store_fail(e, "booking: settings", &se);
			goto done;
		}
	}
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &fields);
	bson_concat(&fields, set);
	BSON_APPEND_DATE_TIME(&fields, "updatedAt", now);
	bson_append_document_end(&update, &fields);
	if (found) {
		bson_oid_t id;
		if (doc_oid(before, "_id", &id))
			BSON_APPEND_OID(&filter, "_id", &id);
	}
	if (!store_find_one_and_update(st, "bookingsettings", &filter, &update, &opts, after, &found, &se)) {
		bson_destroy(before);
		store_fail(e, "booking: save settings", &se);
		goto done;
	}
	ok = true;
done:
	bson_destroy(sort);
	bson_destroy(&filter);
	bson_destroy(&update);
	return ok;
}
