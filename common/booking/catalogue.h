/*
 * catalogue.h — what the café rents and the rules around it (SPEC §7):
 * the spaces (`spaceconfigurations`), the extras (`additionalservices`)
 * and the booking settings (`bookingsettings`), read into plain structs
 * with money in integer cents; and the café's real catalogue, seeded.
 *
 * Stored money keeps the original's units: euros TTC as numbers in
 * spaces and services, cents in `depositPolicy`. booking_cents() is the
 * one conversion.
 */
#ifndef CWC_BOOKING_CATALOGUE_H
#define CWC_BOOKING_CATALOGUE_H

#include "store/store.h"

#include <bson/bson.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define BOOKING_MAX_TIERS 8
#define BOOKING_MAX_POLICY 8
#define BOOKING_MAX_SERVICES 16     /* per booking */

enum booking_rtype { BOOKING_HOURLY, BOOKING_DAILY, BOOKING_WEEKLY, BOOKING_MONTHLY, BOOKING_RTYPES };

/* "hourly"… and back; -1 when unknown. */
const char *booking_rtype_name(int rtype);
int booking_rtype_parse(const char *s);

struct booking_tier {
	int min_people, max_people;
	int64_t hourly, daily;                 /* cents */
	int64_t extra_hourly, extra_daily;     /* cents; < 0: none */
};

struct booking_space {
	char space_type[32];
	char name[128];
	int64_t hourly, daily, weekly, monthly;   /* cents TTC */
	bool per_person;
	struct booking_tier tiers[BOOKING_MAX_TIERS];
	int ntiers;
	bool types[BOOKING_RTYPES];
	bool requires_quote, exclusive, active;
	int min_capacity, max_capacity;
	struct {
		bool enabled;
		int percentage;            /* < 0: not set */
		int64_t fixed, minimum;    /* cents; 0: not set */
	} deposit;
};

struct booking_service {
	bson_oid_t id;
	char name[128];
	int64_t price, daily_price;    /* cents TTC; daily_price < 0: none */
	bool per_person;
	int vat_bp;                    /* VAT in basis points (2000 = 20 %) */
	bool active;                   /* isActive and not isDeleted */
	char for_types[4][32];         /* availableForSpaceTypes; none = all */
	int nfor_types;
};

struct booking_policy {
	int days[BOOKING_MAX_POLICY], pct[BOOKING_MAX_POLICY];   /* by days, descending */
	int n;
};

struct booking_settings {
	struct booking_policy open_space, meeting_rooms;
	int hold_lead_days, pending_hold_minutes;
	bool auto_no_show;
	char notification_email[160];
};

/* Euros (any BSON number) to cents, rounded half away from zero. */
int64_t booking_cents(const bson_iter_t *it);

/* booking_cents() of the field `key` of `b`; 0 when it is missing or not
 * a number. */
int64_t booking_field_cents(const bson_t *b, const char *key);
/* A number of euros for JSON from cents (12.5 for 1250). */
json_object *booking_euros_json(int64_t cents);
/* Appends cents as euros (a double) to `doc`. */
void booking_append_euros(bson_t *doc, const char *key, int64_t cents);

/* The current space type of a stored one ("meeting-room-glass" →
 * "salle-verriere"…, SPEC §7 legacy values), or NULL when unknown. */
const char *booking_space_type_current(const char *stored);
/* Appends to `filter` `key: {$in: [...]}` with every stored name read as
 * one of `current` (current space types, NULL-terminated; NULL: all of
 * them). Returns how many names it holds (0: nothing appended). */
int booking_append_space_types_in(bson_t *filter, const char *key, const char *const *current);
/* Whether the space type counts as a meeting room for cancellation. */
bool booking_is_meeting_room(const char *space_type);

void booking_space_from_doc(const bson_t *doc, struct booking_space *out);
/* The space `space_type`; *found false when there is none (or it is
 * deleted). */
bool booking_space_load(store_t *st, const char *space_type, struct booking_space *out,
			bool *found, store_error_t *err);

void booking_service_from_doc(const bson_t *doc, struct booking_service *out);
bool booking_service_offered(const struct booking_service *s, const char *space_type);

/* The settings document, or the SPEC §7 defaults where it says nothing. */
bool booking_settings_load(store_t *st, struct booking_settings *out, store_error_t *err);
void booking_settings_defaults(struct booking_settings *out);
const struct booking_policy *booking_settings_policy(const struct booking_settings *s,
						     const char *space_type);

/* Creates the café's catalogue when it is missing (SPEC §7: the four
 * spaces, the hours, the settings, the services), never touching what
 * exists. Lines of what it did go to `report` (may be NULL). */
bool booking_seed_catalogue(store_t *st, int64_t now, void (*report)(const char *line),
			    store_error_t *err);

#endif
