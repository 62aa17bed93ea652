/*
 * catalogue.c — spaces, services, settings and the seeded catalogue. See
 * catalogue.h.
 */
#include "booking/catalogue.h"
#include "core/buf.h"
#include "core/doc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *booking_rtype_name(int rtype)
{
	static const char *names[BOOKING_RTYPES] = { "hourly", "daily", "weekly", "monthly" };

	return rtype >= 0 && rtype < BOOKING_RTYPES ? names[rtype] : "?";
}

int booking_rtype_parse(const char *s)
{
	for (int i = 0; s && i < BOOKING_RTYPES; i++)
		if (strcmp(s, booking_rtype_name(i)) == 0)
			return i;
	return -1;
}

int64_t booking_cents(const bson_iter_t *it)
{
	double v;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_INT32: return (int64_t)bson_iter_int32(it) * 100;
	case BSON_TYPE_INT64: return bson_iter_int64(it) * 100;
	case BSON_TYPE_DOUBLE:
		v = bson_iter_double(it);
		if (!isfinite(v) || fabs(v) > 1e12)
			return 0;
		return llround(v * 100.0);
	default: return 0;
	}
}

int64_t booking_field_cents(const bson_t *b, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, b, key) ? booking_cents(&it) : 0;
}

json_object *booking_euros_json(int64_t cents)
{
	char text[32];

	/* printed with two decimals so that 15 reads 15.00, never 14.999… */
	(void)buf_fmt(text, sizeof text, "%s%lld.%02lld", cents < 0 ? "-" : "",
		      (long long)(llabs(cents) / 100), (long long)(llabs(cents) % 100));
	return json_object_new_double_s((double)cents / 100.0, text);
}

void booking_append_euros(bson_t *doc, const char *key, int64_t cents)
{
	BSON_APPEND_DOUBLE(doc, key, (double)cents / 100.0);
}

/* The names a space type is stored under: the current one first, then
 * the original's (SPEC §7 legacy values). */
static const char *const space_names[][4] = {
	{ "open-space", "desk", NULL },
	{ "salle-verriere", "meeting-room-glass", "meeting-room", NULL },
	{ "salle-etage", "meeting-room-floor", "private-office", NULL },
	{ "evenementiel", "event-space", NULL },
};
#define NSPACE_NAMES (sizeof space_names / sizeof *space_names)

const char *booking_space_type_current(const char *s)
{
	for (size_t i = 0; s && i < NSPACE_NAMES; i++)
		for (const char *const *n = space_names[i]; *n; n++)
			if (strcmp(s, *n) == 0)
				return space_names[i][0];
	return NULL;
}

int booking_append_space_types_in(bson_t *filter, const char *key, const char *const *current)
{
	bson_t doc, in;
	char k[12];
	int n = 0;

	for (size_t i = 0; i < NSPACE_NAMES; i++) {
		bool wanted = !current;
		for (const char *const *c = current; c && *c && !wanted; c++)
			wanted = strcmp(*c, space_names[i][0]) == 0;
		if (!wanted)
			continue;
		if (n == 0) {
			BSON_APPEND_DOCUMENT_BEGIN(filter, key, &doc);
			BSON_APPEND_ARRAY_BEGIN(&doc, "$in", &in);
		}
		for (const char *const *s = space_names[i]; *s; s++) {
			(void)buf_fmt(k, sizeof k, "%d", n++);
			BSON_APPEND_UTF8(&in, k, *s);
		}
	}
	if (n > 0) {
		bson_append_array_end(&doc, &in);
		bson_append_document_end(filter, &doc);
	}
	return n;
}

bool booking_is_meeting_room(const char *t)
{
	const char *cur = booking_space_type_current(t);

	return cur && (strcmp(cur, "salle-verriere") == 0 || strcmp(cur, "salle-etage") == 0);
}

static int64_t opt_cents(const bson_iter_t *parent, const char *key, int64_t def)
{
	bson_iter_t f;

	if (!bson_iter_recurse(parent, &f) || !bson_iter_find(&f, key) ||
	    !(BSON_ITER_HOLDS_NUMBER(&f)))
		return def;
	return booking_cents(&f);
}

static int64_t opt_int(const bson_iter_t *parent, const char *key, int64_t def)
{
	bson_iter_t f;

	if (!bson_iter_recurse(parent, &f) || !bson_iter_find(&f, key) || !BSON_ITER_HOLDS_NUMBER(&f))
		return def;
	return bson_iter_as_int64(&f);
}

static bool opt_bool(const bson_iter_t *parent, const char *key, bool def)
{
	bson_iter_t f;

	if (!bson_iter_recurse(parent, &f) || !bson_iter_find(&f, key))
		return def;
	return bson_iter_as_bool(&f);
}

void booking_space_from_doc(const bson_t *doc, struct booking_space *s)
{
	bson_iter_t it, arr;
	const char *t = doc_str(doc, "spaceType"), *name = doc_str(doc, "name");
	bool rooms;

	memset(s, 0, sizeof *s);
	(void)buf_fmt(s->space_type, sizeof s->space_type, "%s", t ? t : "");
	(void)buf_fmt(s->name, sizeof s->name, "%s", name ? name : s->space_type);
	if (bson_iter_init_find(&it, doc, "pricing") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
		s->hourly = opt_cents(&it, "hourly", 0);
		s->daily = opt_cents(&it, "daily", 0);
		s->weekly = opt_cents(&it, "weekly", 0);
		s->monthly = opt_cents(&it, "monthly", 0);
		s->per_person = opt_bool(&it, "perPerson", false);
		bson_iter_t p;
		if (bson_iter_recurse(&it, &p) && bson_iter_find(&p, "tiers") &&
		    BSON_ITER_HOLDS_ARRAY(&p) && bson_iter_recurse(&p, &arr)) {
			while (bson_iter_next(&arr) && s->ntiers < BOOKING_MAX_TIERS) {
				struct booking_tier *tr = &s->tiers[s->ntiers];
				if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
					continue;
				tr->min_people = (int)opt_int(&arr, "minPeople", 1);
				tr->max_people = (int)opt_int(&arr, "maxPeople", tr->min_people);
				tr->hourly = opt_cents(&arr, "hourlyRate", 0);
				tr->daily = opt_cents(&arr, "dailyRate", 0);
				tr->extra_hourly = opt_cents(&arr, "extraPersonHourly", -1);
				tr->extra_daily = opt_cents(&arr, "extraPersonDaily", -1);
				s->ntiers++;
			}
		}
	}
	/* tiers by minPeople ascending */
	for (int i = 1; i < s->ntiers; i++)
		for (int j = i; j > 0 && s->tiers[j].min_people < s->tiers[j - 1].min_people; j--) {
			struct booking_tier tmp = s->tiers[j];
			s->tiers[j] = s->tiers[j - 1];
			s->tiers[j - 1] = tmp;
		}
	s->types[BOOKING_HOURLY] = true;
	s->types[BOOKING_DAILY] = true;
	if (bson_iter_init_find(&it, doc, "availableReservationTypes") && BSON_ITER_HOLDS_DOCUMENT(&it))
		for (int i = 0; i < BOOKING_RTYPES; i++)
			s->types[i] = opt_bool(&it, booking_rtype_name(i), i < 2);
	s->requires_quote = doc_bool(doc, "requiresQuote", false);
	s->active = doc_bool(doc, "isActive", true) && !doc_bool(doc, "isDeleted", false);
	rooms = strcmp(s->space_type, "open-space") != 0;
	s->exclusive = doc_bool(doc, "exclusive", rooms);
	s->min_capacity = (int)doc_int(doc, "minCapacity", 1);
	s->max_capacity = (int)doc_int(doc, "maxCapacity", 1);
	if (s->min_capacity < 1)
		s->min_capacity = 1;
	if (bson_iter_init_find(&it, doc, "depositPolicy") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
		bson_iter_t f;
		s->deposit.enabled = opt_bool(&it, "enabled", false);
		s->deposit.percentage = -1;
		if (bson_iter_recurse(&it, &f) && bson_iter_find(&f, "percentage") && BSON_ITER_HOLDS_NUMBER(&f))
			s->deposit.percentage = (int)bson_iter_as_int64(&f);
		s->deposit.fixed = opt_int(&it, "fixedAmount", 0);
		s->deposit.minimum = opt_int(&it, "minimumAmount", 0);
	}
}

bool booking_space_load(store_t *st, const char *space_type, struct booking_space *out,
			bool *found, store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER, doc;
	bool ok;

	BSON_APPEND_UTF8(&filter, "spaceType", space_type);
	ok = store_find_one(st, "spaceconfigurations", &filter, NULL, &doc, found, err);
	bson_destroy(&filter);
	if (!ok)
		return false;
	if (*found && doc_bool(&doc, "isDeleted", false))
		*found = false;
	if (*found)
		booking_space_from_doc(&doc, out);
	bson_destroy(&doc);
	return true;
}

void booking_service_from_doc(const bson_t *doc, struct booking_service *s)
{
	bson_iter_t it, arr;
	const char *name = doc_str(doc, "name"), *unit = doc_str(doc, "priceUnit");

	memset(s, 0, sizeof *s);
	(void)doc_oid(doc, "_id", &s->id);
	(void)buf_fmt(s->name, sizeof s->name, "%s", name ? name : "");
	s->price = booking_field_cents(doc, "price");
	s->daily_price = bson_iter_init_find(&it, doc, "dailyPrice") && BSON_ITER_HOLDS_NUMBER(&it)
			 ? booking_cents(&it) : -1;
	s->per_person = unit && strcmp(unit, "per-person") == 0;
	s->vat_bp = 2000;
	if (bson_iter_init_find(&it, doc, "vatRate") && BSON_ITER_HOLDS_NUMBER(&it)) {
		double v = bson_iter_as_double(&it);
		if (v >= 0 && v <= 100)
			s->vat_bp = (int)llround(v * 100);
	}
	s->active = doc_bool(doc, "isActive", true) && !doc_bool(doc, "isDeleted", false);
	if (bson_iter_init_find(&it, doc, "availableForSpaceTypes") && BSON_ITER_HOLDS_ARRAY(&it) &&
	    bson_iter_recurse(&it, &arr))
		while (bson_iter_next(&arr) && s->nfor_types < 4)
			if (BSON_ITER_HOLDS_UTF8(&arr))
				(void)buf_fmt(s->for_types[s->nfor_types++], 32, "%s",
					      bson_iter_utf8(&arr, NULL));
}

bool booking_service_offered(const struct booking_service *s, const char *space_type)
{
	if (!s->active)
		return false;
	if (s->nfor_types == 0)
		return true;
	for (int i = 0; i < s->nfor_types; i++)
		if (strcmp(s->for_types[i], space_type) == 0)
			return true;
	return false;
}

/* ---- settings ------------------------------------------------------------ */

static void policy_set(struct booking_policy *p, const int *days, const int *pct, int n)
{
	p->n = n;
	for (int i = 0; i < n; i++) {
		p->days[i] = days[i];
		p->pct[i] = pct[i];
	}
}

void booking_settings_defaults(struct booking_settings *s)
{
	static const int od[] = { 7, 3, 0 }, op[] = { 0, 50, 100 };
	static const int md[] = { 22, 15, 8, 0 }, mp[] = { 0, 30, 50, 70 };

	memset(s, 0, sizeof *s);
	policy_set(&s->open_space, od, op, 3);
	policy_set(&s->meeting_rooms, md, mp, 4);
	s->hold_lead_days = 3;
	s->pending_hold_minutes = 15;
	s->auto_no_show = false;
	(void)buf_fmt(s->notification_email, sizeof s->notification_email,
		      "strasbourg@coworkingcafe.fr");
}

/* Reads a policy array; keeps the default when it is empty or unreadable. */
static void read_policy(const bson_t *doc, const char *key, struct booking_policy *p)
{
	bson_iter_t it, arr;
	struct booking_policy got = { .n = 0 };

	if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_ARRAY(&it) ||
	    !bson_iter_recurse(&it, &arr))
		return;
	while (bson_iter_next(&arr) && got.n < BOOKING_MAX_POLICY) {
		if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
			continue;
		int d = (int)opt_int(&arr, "daysBeforeBooking", -1);
		int c = (int)opt_int(&arr, "chargePercentage", -1);
		if (d < 0 || c < 0 || c > 100)
			continue;
		got.days[got.n] = d;
		got.pct[got.n++] = c;
	}
	if (got.n == 0)
		return;
	/* by days descending: the first tier with days ≥ its threshold wins */
	for (int i = 1; i < got.n; i++)
		for (int j = i; j > 0 && got.days[j] > got.days[j - 1]; j--) {
			int td = got.days[j], tp = got.pct[j];
			got.days[j] = got.days[j - 1];
			got.pct[j] = got.pct[j - 1];
			got.days[j - 1] = td;
			got.pct[j - 1] = tp;
		}
	*p = got;
}

bool booking_settings_load(store_t *st, struct booking_settings *s, store_error_t *err)
{
	bson_t doc;
	bool found = false;

	booking_settings_defaults(s);
	if (!store_find_one(st, "bookingsettings", NULL, NULL, &doc, &found, err))
		return false;
	if (found) {
		const char *mail = doc_str(&doc, "notificationEmail");
		read_policy(&doc, "cancellationPolicyOpenSpace", &s->open_space);
		read_policy(&doc, "cancellationPolicyMeetingRooms", &s->meeting_rooms);
		s->hold_lead_days = (int)doc_int(&doc, "holdLeadDays", 3);
		s->pending_hold_minutes = (int)doc_int(&doc, "pendingHoldMinutes", 15);
		s->auto_no_show = doc_bool(&doc, "autoNoShow", false);
		if (mail && *mail)
			(void)buf_fmt(s->notification_email, sizeof s->notification_email, "%s", mail);
	}
	bson_destroy(&doc);
	return true;
}

const struct booking_policy *booking_settings_policy(const struct booking_settings *s,
						     const char *space_type)
{
	return booking_is_meeting_room(space_type) ? &s->meeting_rooms : &s->open_space;
}

/* ---- the seeded catalogue ------------------------------------------------ */

/* The café's spaces (SPEC §7, original/booking.md §2.5). Prices in euros
 * TTC; the rooms' tiers say "up to N people at the room rate, then per
 * extra person". */
static const char *seed_spaces[] = {
	"{\"spaceType\": \"open-space\", \"name\": \"Open-space\", \"slug\": \"open-space\","
	" \"description\": \"Espace de travail partagé : boissons à volonté, wifi, prises.\","
	" \"pricing\": {\"hourly\": 6, \"daily\": 29, \"weekly\": 99, \"monthly\": 290,"
	"  \"perPerson\": true, \"tiers\": []},"
	" \"availableReservationTypes\": {\"hourly\": true, \"daily\": true, \"weekly\": true, \"monthly\": true},"
	" \"requiresQuote\": false, \"exclusive\": false, \"minCapacity\": 1, \"maxCapacity\": 40,"
	" \"depositPolicy\": {\"enabled\": false},"
	" \"isActive\": true, \"isDeleted\": false, \"displayOrder\": 1,"
	" \"features\": [\"Boissons à volonté\", \"Wifi\", \"Prises\"]}",

	"{\"spaceType\": \"salle-verriere\", \"name\": \"Salle Verrière\", \"slug\": \"salle-verriere\","
	" \"description\": \"Salle de réunion vitrée pour 4 personnes (une 5e en supplément).\","
	" \"pricing\": {\"hourly\": 24, \"daily\": 120, \"weekly\": 0, \"monthly\": 0,"
	"  \"perPerson\": false, \"tiers\": [{\"minPeople\": 1, \"maxPeople\": 4,"
	"  \"hourlyRate\": 24, \"dailyRate\": 120, \"extraPersonHourly\": 6, \"extraPersonDaily\": 30}]},"
	" \"availableReservationTypes\": {\"hourly\": true, \"daily\": true, \"weekly\": false, \"monthly\": false},"
	" \"requiresQuote\": false, \"exclusive\": true, \"minCapacity\": 1, \"maxCapacity\": 5,"
	" \"depositPolicy\": {\"enabled\": false},"
	" \"isActive\": true, \"isDeleted\": false, \"displayOrder\": 2,"
	" \"features\": [\"Écran\", \"Tableau blanc\", \"Boissons à volonté\"]}",

	"{\"spaceType\": \"salle-etage\", \"name\": \"Salle de l'Étage\", \"slug\": \"salle-etage\","
	" \"description\": \"Salle de réunion à l'étage pour 10 personnes (jusqu'à 15 en supplément).\","
	" \"pricing\": {\"hourly\": 60, \"daily\": 300, \"weekly\": 0, \"monthly\": 0,"
	"  \"perPerson\": false, \"tiers\": [{\"minPeople\": 1, \"maxPeople\": 10,"
	"  \"hourlyRate\": 60, \"dailyRate\": 300, \"extraPersonHourly\": 6, \"extraPersonDaily\": 30}]},"
	" \"availableReservationTypes\": {\"hourly\": true, \"daily\": true, \"weekly\": false, \"monthly\": false},"
	" \"requiresQuote\": false, \"exclusive\": true, \"minCapacity\": 1, \"maxCapacity\": 15,"
	" \"depositPolicy\": {\"enabled\": false},"
	" \"isActive\": true, \"isDeleted\": false, \"displayOrder\": 3,"
	" \"features\": [\"Écran\", \"Paperboard\", \"Boissons à volonté\"]}",

	"{\"spaceType\": \"evenementiel\", \"name\": \"Événementiel\", \"slug\": \"evenementiel\","
	" \"description\": \"Privatisation de tout le café pour vos événements, sur devis.\","
	" \"pricing\": {\"hourly\": 0, \"daily\": 0, \"weekly\": 0, \"monthly\": 0,"
	"  \"perPerson\": false, \"tiers\": []},"
	" \"availableReservationTypes\": {\"hourly\": true, \"daily\": true, \"weekly\": false, \"monthly\": false},"
	" \"requiresQuote\": true, \"exclusive\": true, \"minCapacity\": 1, \"maxCapacity\": 60,"
	" \"depositPolicy\": {\"enabled\": false},"
	" \"isActive\": true, \"isDeleted\": false, \"displayOrder\": 4, \"features\": []}",
};

static const char *seed_services[] = {
	"{\"name\": \"Petit-déjeuner\", \"slug\": \"petit-dejeuner\", \"category\": \"food\","
	" \"description\": \"Viennoiserie, jus de fruits et boisson chaude.\","
	" \"price\": 6, \"priceUnit\": \"per-person\", \"vatRate\": 10, \"order\": 1}",
	"{\"name\": \"Plateau déjeuner\", \"slug\": \"plateau-dejeuner\", \"category\": \"food\","
	" \"description\": \"Plateau repas du traiteur voisin.\","
	" \"price\": 15, \"priceUnit\": \"per-person\", \"vatRate\": 10, \"order\": 2}",
	"{\"name\": \"Vidéoprojecteur\", \"slug\": \"videoprojecteur\", \"category\": \"equipment\","
	" \"description\": \"Vidéoprojecteur et câbles HDMI/USB-C.\","
	" \"price\": 10, \"dailyPrice\": 30, \"priceUnit\": \"flat-rate\", \"vatRate\": 20,"
	" \"availableForSpaceTypes\": [\"salle-verriere\", \"salle-etage\", \"evenementiel\"], \"order\": 3}",
	"{\"name\": \"Paperboard\", \"slug\": \"paperboard\", \"category\": \"equipment\","
	" \"description\": \"Paperboard et feutres.\","
	" \"price\": 5, \"priceUnit\": \"flat-rate\", \"vatRate\": 20,"
	" \"availableForSpaceTypes\": [\"salle-verriere\", \"salle-etage\"], \"order\": 4}",
};

static const char *seed_hours =
	"{\"defaultHours\": {"
	" \"monday\": {\"isOpen\": true, \"openTime\": \"09:00\", \"closeTime\": \"20:00\"},"
	" \"tuesday\": {\"isOpen\": true, \"openTime\": \"09:00\", \"closeTime\": \"20:00\"},"
	" \"wednesday\": {\"isOpen\": true, \"openTime\": \"09:00\", \"closeTime\": \"20:00\"},"
	" \"thursday\": {\"isOpen\": true, \"openTime\": \"09:00\", \"closeTime\": \"20:00\"},"
	" \"friday\": {\"isOpen\": true, \"openTime\": \"09:00\", \"closeTime\": \"20:00\"},"
	" \"saturday\": {\"isOpen\": true, \"openTime\": \"10:00\", \"closeTime\": \"20:00\"},"
	" \"sunday\": {\"isOpen\": true, \"openTime\": \"10:00\", \"closeTime\": \"20:00\"}},"
	" \"holidayHours\": {\"isOpen\": true, \"openTime\": \"10:00\", \"closeTime\": \"20:00\"},"
	" \"annualClosures\": [\"12-25\", \"01-01\"],"
	" \"exceptionalClosures\": []}";

static const char *seed_settings =
	"{\"cancellationPolicyOpenSpace\": [{\"daysBeforeBooking\": 7, \"chargePercentage\": 0},"
	"  {\"daysBeforeBooking\": 3, \"chargePercentage\": 50}, {\"daysBeforeBooking\": 0, \"chargePercentage\": 100}],"
	" \"cancellationPolicyMeetingRooms\": [{\"daysBeforeBooking\": 22, \"chargePercentage\": 0},"
	"  {\"daysBeforeBooking\": 15, \"chargePercentage\": 30}, {\"daysBeforeBooking\": 8, \"chargePercentage\": 50},"
	"  {\"daysBeforeBooking\": 0, \"chargePercentage\": 70}],"
	" \"notificationEmail\": \"strasbourg@coworkingcafe.fr\","
	" \"holdLeadDays\": 3, \"pendingHoldMinutes\": 15, \"autoNoShow\": false}";

/* Inserts `json` (plus timestamps, plus isActive/isDeleted for services)
 * into `coll` unless a document matches `key` = the document's value of
 * `key` (NULL: unless the collection has any document). */
static bool seed_one(store_t *st, const char *coll, const char *key, const char *json,
		     int64_t now, void (*report)(const char *), store_error_t *err)
{
	bson_error_t jerr;
	bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, &jerr);
	bson_t filter = BSON_INITIALIZER;
	int64_t n = 0;
	bool ok = false;
	char line[200];

	if (!doc) {
		err->code = STORE_ERR_INTERNAL;
		(void)buf_fmt(err->message, sizeof err->message, "seed %s: %s", coll, jerr.message);
		goto done;
	}
	if (key)
		BSON_APPEND_UTF8(&filter, key, doc_str(doc, key));
	if (!store_count(st, coll, &filter, &n, err))
		goto done;
	if (n > 0) {
		(void)buf_fmt(line, sizeof line, "catalogue: kept %s%s%s (already there)", coll,
			      key ? " " : "", key ? doc_str(doc, key) : "");
		ok = true;
		goto done;
	}
	if (strcmp(coll, "additionalservices") == 0) {
		BSON_APPEND_BOOL(doc, "isActive", true);
		BSON_APPEND_BOOL(doc, "isDeleted", false);
	}
	BSON_APPEND_DATE_TIME(doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(doc, "updatedAt", now);
	if (!store_insert_one(st, coll, doc, NULL, err)) {
		if (err->code != STORE_ERR_DUPLICATE_KEY)   /* another seed got there first */
			goto done;
	}
	(void)buf_fmt(line, sizeof line, "catalogue: created %s%s%s", coll, key ? " " : "",
		      key ? doc_str(doc, key) : "");
	ok = true;
done:
	if (ok && report)
		report(line);
	bson_destroy(&filter);
	if (doc)
		bson_destroy(doc);
	return ok;
}

bool booking_seed_catalogue(store_t *st, int64_t now, void (*report)(const char *),
			    store_error_t *err)
{
	for (size_t i = 0; i < sizeof seed_spaces / sizeof *seed_spaces; i++)
		if (!seed_one(st, "spaceconfigurations", "spaceType", seed_spaces[i], now, report, err))
			return false;
	for (size_t i = 0; i < sizeof seed_services / sizeof *seed_services; i++)
		if (!seed_one(st, "additionalservices", "slug", seed_services[i], now, report, err))
			return false;
	return seed_one(st, "globalhoursconfigurations", NULL, seed_hours, now, report, err) &&
	       seed_one(st, "bookingsettings", NULL, seed_settings, now, report, err);
}
