/*
 * settings.c — the booking settings (SPEC §7 `bookingsettings`, admins):
 * GET /api/booking-settings (what is in force, defaults included) and
 * POST /api/booking-settings (any of its members, each checked and
 * named when refused; audited).
 */
#include "admin.h"
#include "account/account.h"
#include "audit/api.h"
#include "booking/catalogue.h"
#include "booking/staff.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/doc.h"

#include <string.h>

#define MAX_DAYS 365
#define MAX_LEAD_DAYS 4      /* a hold placed off-session lives 4 days 18 h (SPEC §7 Stripe) */
#define MIN_HOLD_MINUTES 5
#define MAX_HOLD_MINUTES 120

static json_object *policy_json(const struct booking_policy *p)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < p->n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "daysBeforeBooking", json_object_new_int(p->days[i]));
		json_object_object_add(t, "chargePercentage", json_object_new_int(p->pct[i]));
		json_object_array_add(arr, t);
	}
	return arr;
}

static void send_settings(struct http_req *req, store_t *st)
{
	struct booking_settings s;
	store_error_t se = { 0 };
	struct err e;
	json_object *o, *set;

	if (!booking_settings_load(st, &s, &se)) {
		store_fail(&e, "admin: settings", &se);
		http_send_err(req, &e);
		return;
	}
	set = json_object_new_object();
	json_object_object_add(set, "cancellationPolicyOpenSpace", policy_json(&s.open_space));
	json_object_object_add(set, "cancellationPolicyMeetingRooms", policy_json(&s.meeting_rooms));
	json_object_object_add(set, "notificationEmail", json_object_new_string(s.notification_email));
	json_object_object_add(set, "holdLeadDays", json_object_new_int(s.hold_lead_days));
	json_object_object_add(set, "pendingHoldMinutes", json_object_new_int(s.pending_hold_minutes));
	json_object_object_add(set, "autoNoShow", json_object_new_boolean(s.auto_no_show));
	o = json_object_new_object();
	json_object_object_add(o, "settings", set);
	http_send_json(req, 200, o);
}

void admin_settings_get(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	struct err e;

	if (!st) {
		store_fail(&e, "admin: settings", &se);
		http_send_err(req, &e);
		return;
	}
	send_settings(req, st);
}

static bool int_member(json_object *v, const char *key, int min, int max, int *out, struct err *e)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return err_set(e, 400, "invalid_request", key, "%s is a whole number.", key);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return err_set(e, 422, "validation_failed", key, "%s is from %d to %d.", key, min, max);
	*out = (int)n;
	return true;
}

/* A policy array into `set` under `key`, tiers by days descending. */
static bool policy_member(json_object *v, const char *key, bson_t *set, struct err *e)
{
	size_t n;
	bson_t arr;
	int seen[MAX_DAYS + 1] = { 0 };

	if (!json_object_is_type(v, json_type_array))
		return err_set(e, 400, "invalid_request", key, "%s is an array of tiers.", key);
	n = json_object_array_length(v);
	if (n < 1 || n > BOOKING_MAX_POLICY)
		return err_set(e, 422, "validation_failed", key, "%s has 1 to %d tiers.", key, BOOKING_MAX_POLICY);
	BSON_APPEND_ARRAY_BEGIN(set, key, &arr);
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(v, i), *d = NULL, *p = NULL;
		char field[96], ikey[16];
		int days, pct;
		bson_t tier;
		(void)buf_fmt(field, sizeof field, "%s[%zu]", key, i);
		if (!t || !json_object_is_type(t, json_type_object) ||
		    !json_object_object_get_ex(t, "daysBeforeBooking", &d) ||
		    !json_object_object_get_ex(t, "chargePercentage", &p)) {
			bson_append_array_end(set, &arr);
			return err_set(e, 400, "invalid_request", field,
				       "A tier is {daysBeforeBooking, chargePercentage}.");
		}
		if (!int_member(d, field, 0, MAX_DAYS, &days, e) || !int_member(p, field, 0, 100, &pct, e)) {
			bson_append_array_end(set, &arr);
			return false;
		}
		if (seen[days]++) {
			bson_append_array_end(set, &arr);
			return err_set(e, 422, "validation_failed", field, "Two tiers for %d days.", days);
		}
		(void)buf_fmt(ikey, sizeof ikey, "%zu", i);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, ikey, &tier);
		BSON_APPEND_INT32(&tier, "daysBeforeBooking", days);
		BSON_APPEND_INT32(&tier, "chargePercentage", pct);
		bson_append_document_end(&arr, &tier);
	}
	bson_append_array_end(set, &arr);
	return true;
}

bool admin_settings_apply(struct http_req *req, store_t *st, json_object *in, struct err *e)
{
	static const char *const known[] = {
		"cancellationPolicyOpenSpace", "cancellationPolicyMeetingRooms", "notificationEmail",
		"holdLeadDays", "pendingHoldMinutes", "autoNoShow", NULL,
	};
	bson_t set = BSON_INITIALIZER, before, after;
	bool ok = false;

	json_object_object_foreach(in, key, v) {
		int n, i;
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			err_set(e, 400, "invalid_request", key, "%s is not a booking setting.", key);
			goto done;
		}
		if (strncmp(key, "cancellationPolicy", 18) == 0) {
			if (!policy_member(v, key, &set, e))
				goto done;
		} else if (strcmp(key, "notificationEmail") == 0) {
			char email[ACCOUNT_EMAIL_MAX + 1] = "";
			const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
			if (!s || (*s && !account_email_normalise(s, strlen(s), email, sizeof email))) {
				err_set(e, 422, "validation_failed", key, "notificationEmail is an e-mail address (or \"\").");
				goto done;
			}
			BSON_APPEND_UTF8(&set, key, email);
		} else if (strcmp(key, "holdLeadDays") == 0) {
			if (!int_member(v, key, 0, MAX_LEAD_DAYS, &n, e))
				goto done;
			BSON_APPEND_INT32(&set, key, n);
		} else if (strcmp(key, "pendingHoldMinutes") == 0) {
			if (!int_member(v, key, MIN_HOLD_MINUTES, MAX_HOLD_MINUTES, &n, e))
				goto done;
			BSON_APPEND_INT32(&set, key, n);
		} else {
			if (!json_object_is_type(v, json_type_boolean)) {
				err_set(e, 400, "invalid_request", key, "autoNoShow is true or false.");
				goto done;
			}
			BSON_APPEND_BOOL(&set, key, json_object_get_boolean(v));
		}
	}
	if (bson_empty(&set)) {
		err_set(e, 400, "invalid_request", NULL, "Nothing to change.");
		goto done;
	}
	if (!booking_staff_settings_save(st, &set, account_now_ms(), &before, &after, e))
		goto done;
	{
		bson_oid_t id;
		char hex[25] = "";
		if (doc_oid(&after, "_id", &id))
			bson_oid_to_string(&id, hex);
		audit_note(req, "bookingsettings", hex, bson_empty(&before) ? NULL : &before, &after);
	}
	bson_destroy(&before);
	bson_destroy(&after);
	ok = true;
done:
	bson_destroy(&set);
	return ok;
}

void admin_settings_post(struct http_req *req)
{
	store_error_t se = { 0 };
	store_t *st = conn_store(&se);
	struct err e = { 0 };

	if (!st) {
		store_fail(&e, "admin: settings", &se);
		http_send_err(req, &e);
		return;
	}
	if (!admin_settings_apply(req, st, req->json, &e)) {
		http_send_err(req, &e);
		return;
	}
	send_settings(req, st);
}
