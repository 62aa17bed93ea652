/*
 * catalogue_edit.h — the staff's changes to the catalogue (SPEC §7 Staff
 * operations, §9 "spaces and prices, services, hours and closures"):
 * checking what they send, member by member, and writing it. The admin
 * API and the admin's forms both call these, so a rule lives once.
 *
 * Input is a json-c object with the stored documents' member names
 * (prices in euros, as stored). A change is merged into the document as
 * it is (objects member by member, arrays replaced), then the whole
 * result is checked, so that a change of maxCapacity alone is still
 * checked against minCapacity. Each refusal names the field
 * ("pricing.hourly", "defaultHours.monday.closeTime"…) with a French
 * message (the pages show it as is) and a stable code; nothing is
 * written then.
 *
 * The write functions give back the document before (empty when created)
 * and after for the audit log; both are initialised on success only.
 */
#ifndef CWC_BOOKING_CATALOGUE_EDIT_H
#define CWC_BOOKING_CATALOGUE_EDIT_H

#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "core/err.h"
#include "store/store.h"

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- spaces (spaceconfigurations) ---- */

/* Checks `in` merged into `current` (NULL when creating: `in` must then
 * name one of the four space types that has no document yet, in
 * `spaceType`). `set` (initialised by the caller) receives the members
 * to store; `space` (may be NULL) the space as it would be. */
bool booking_space_check(json_object *in, const bson_t *current, bson_t *set,
			 struct booking_space *space, struct err *e);

/* The stored document of `space_type` (deleted ones too); 404 when none. */
bool booking_space_doc(store_t *st, const char *space_type, bson_t *out, struct err *e);

/* Writes `in` (see booking_space_check) to the space `space_type`, or
 * creates the space when `space_type` is NULL. */
bool booking_space_save(store_t *st, const char *space_type, json_object *in, int64_t now,
			bson_t *before, bson_t *after, struct err *e);

/* ---- services (additionalservices) ---- */

bool booking_service_check(json_object *in, const bson_t *current, bson_t *set, struct err *e);
/* The service `id` (24 hex digits); 404 when none or deleted. */
bool booking_service_doc(store_t *st, const char *id, bson_t *out, struct err *e);
/* Writes `in` to the service `id`, or creates one (`id` NULL; its slug
 * made from the name, unique). */
bool booking_service_save(store_t *st, const char *id, json_object *in, int64_t now,
			  bson_t *before, bson_t *after, struct err *e);

/* ---- hours and closures (globalhoursconfigurations) ---- */

/* The hours document in force (the newest), or the defaults as a
 * document when there is none (*stored false). */
bool booking_hours_doc(store_t *st, bson_t *out, bool *stored, struct err *e);

/* Checks `in` (defaultHours, holidayHours, annualClosures) merged into
 * `current`; `set` receives the members, `hours` (may be NULL; free it)
 * the hours as they would be. */
bool booking_hours_check(json_object *in, const bson_t *current, bson_t *set,
			 struct booking_hours *hours, struct err *e);

/* The pending and confirmed bookings from `today` on that `h` would put
 * outside the hours or in a closure, among those that fit `old` (NULL:
 * all of them; a booking already outside is not counted again). */
bool booking_hours_conflicts(store_t *st, const struct booking_hours *old, const struct booking_hours *h,
			     int64_t today, int64_t *count, struct err *e);

/* Checks `in` and writes it when no booking falls outside the new hours,
 * or when `confirmed`; otherwise 409 `hours_conflict` with *conflicts set
 * and nothing written. `today`: the café's day. */
bool booking_hours_save(store_t *st, json_object *in, bool confirmed, int64_t today, int64_t now,
			int64_t *conflicts, bson_t *before, bson_t *after, struct err *e);

/* A closure from `in` {date, reason, isFullDay, startTime, endTime,
 * yearly}: a yearly one is a whole day every year (annualClosures
 * "MM-DD"), checked then added as booking_hours_save() does. */
bool booking_closure_add(store_t *st, json_object *in, bool confirmed, int64_t today, int64_t now,
			 int64_t *conflicts, bson_t *before, bson_t *after, struct err *e);

/* Removes the exceptional closure number `index` of the hours in force
 * (as booking_hours_from_doc() lists them), or the yearly one "MM-DD"
 * when `annual` is not NULL. 404 when there is none. */
bool booking_closure_delete(store_t *st, int index, const char *annual, int64_t now,
			    bson_t *before, bson_t *after, struct err *e);

#endif
