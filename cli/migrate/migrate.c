/*
 * migrate.c — the original system's database, from a mongodump folder, to
 * our model (SPEC §3, §7, §8; issue 16 item 3). See migrate.h.
 *
 * Our collections keep the original's names and fields, so most documents
 * are copied with their `_id`; what changes is the legacy forms:
 *   - roles: the dump's roles are kept when the store has none of that
 *     slug, and every `users.role` (a roles ObjectId, or a string such as
 *     "admin") points at the store's role of that slug;
 *   - admins (the original's back-office accounts) are merged into users:
 *     a new account keeps the admins `_id`, bcrypt password and dashboard
 *     PIN; an address that is also a customer's keeps the customer's
 *     account and password and gets the higher of the two roles;
 *   - passwords stay bcrypt: login verifies them (libxcrypt's crypt_r,
 *     account/password.c) and stores an Argon2id hash instead;
 *   - bookings: legacy space types (desk, meeting-room-glass, …) become
 *     the current ones, prices written as strings ("45,50 €") become
 *     numbers in euros (read in integer cents), dates written as strings
 *     become dates (the day at 00:00 UTC), "9:00" becomes "09:00", a
 *     missing confirmation number is made from the `_id` (the same one on
 *     every run), and the slots of live bookings are claimed
 *     (booking_claims_backfill) so that no new booking overlaps them;
 *   - every field named like a date (`date`, `…At`, `expires`,
 *     `scheduledFor`) holding a string becomes a date, except `events.date`
 *     which our model keeps as "YYYY-MM-DD" (a date there becomes that);
 *   - users.pin (a plaintext PIN of the original) is dropped.
 * Collections our platform has no use for (HR, stock, accounting…) are
 * reported document by document, so that nothing is lost silently.
 *
 * Idempotence: a document whose `_id` is already in the store is not
 * written from the dump; the stored one is run through the same
 * conversion, and updated only if that changes it (a store the original
 * filled is thus migrated in place, and a second run finds nothing to do;
 * what the apps changed since, such as a password rehashed at login, is
 * kept).
 */
#include "migrate.h"

#include "account/account.h"
#include "account/role.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "booking/claims.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/text.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define WHY_MAX 300

struct tally {
	long in, inserted, updated, unchanged, reported;
};

struct role_map {
	bson_oid_t from;
	int role;
};

struct seen_user {       /* accounts converted in a dry run (not in the store) */
	char *email;
	bson_oid_t id;
	int role;
};

struct mig {
	store_t *st;
	bool dry;
	int64_t now;
	FILE *out;
	char *db;                        /* the database folder */
	struct role_map *rmap;           /* the dump's role ids → role */
	size_t nrmap;
	bson_oid_t role_id[ROLE_DEV + 1]; /* the store's role ids (or, dry, the dump's) */
	bool have_role[ROLE_DEV + 1];
	struct seen_user *seen;
	size_t nseen;
	long live_bookings;              /* dry run: bookings whose slots would be claimed */
	bool failed;                     /* the store failed: stop */
	struct tally total;
};

/* A conversion: `in` → `out` (initialised by the caller), or false with
 * the reason in `why` (the document is then reported). */
typedef bool (*conv_fn)(struct mig *m, const bson_t *in, bson_t *out, char *why);

/* ---- values ------------------------------------------------------------ */

static bool why_set(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool why_set(char *why, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
	if (n >= WHY_MAX)
		memcpy(why + WHY_MAX - 4, "...", 4);
	return false;
}

/* The `_id` of `doc` as text: ObjectId hex, a string, a number, else JSON. */
static void id_text(const bson_t *doc, char *out, size_t len)
{
	bson_iter_t it;
	char *json;

	if (!bson_iter_init_find(&it, doc, "_id")) {
		(void)buf_fmt(out, len, "(no _id)");
		return;
	}
	if (BSON_ITER_HOLDS_OID(&it)) {
		bson_oid_to_string(bson_iter_oid(&it), out);
		return;
	}
	if (BSON_ITER_HOLDS_UTF8(&it)) {
		if (!buf_fmt(out, len, "\"%s\"", bson_iter_utf8(&it, NULL)))
			memcpy(out + len - 4, "...", 4);
		return;
	}
	if (BSON_ITER_HOLDS_NUMBER(&it)) {
		(void)buf_fmt(out, len, "%lld", (long long)bson_iter_as_int64(&it));
		return;
	}
	json = bson_as_relaxed_extended_json(doc, NULL);
	(void)buf_fmt(out, len, "(document %.40s…)", json ? json : "?");
	bson_free(json);
}

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* "YYYY-MM-DD", optionally followed by "THH:MM[:SS[.fff]]" (or a space)
 * and "Z" or "±HH:MM": milliseconds since the epoch (no zone: UTC). */
static bool parse_date(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	int64_t t, frac = 0, offset = 0;
	const char *p = s + 10;

	if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return false;
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 5, 2) - 1;
	tm.tm_mday = num(s + 8, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2))
			return false;
		tm.tm_hour = num(p, 2);
		tm.tm_min = num(p + 3, 2);
		p += 5;
		if (*p == ':') {
			if (!digits(p + 1, 2))
				return false;
			tm.tm_sec = num(p + 1, 2);
			p += 3;
			if (*p == '.') {
				int scale = 100;
				for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
					frac += (*p - '0') * scale;
			}
		}
		if (*p == 'Z') {
			p++;
		} else if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' &&
			   digits(p + 4, 2)) {
			offset = (num(p + 1, 2) * 60 + num(p + 4, 2)) * 60000LL;
			if (*p == '-')
				offset = -offset;
			p += 6;
		}
		if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
			return false;
	}
	if (*p)
		return false;
	t = (int64_t)timegm(&tm);
	*ms = t * 1000 + frac - offset;
	return true;
}

/* A price written as text: "45", "45.5", "45,50", "1 200,00 €", "45.50EUR"
 * → cents. False when it is not one (or negative). */
static bool parse_money(const char *s, int64_t *cents)
{
	int64_t whole = 0, frac = 0;
	int fdigits = 0, wdigits = 0;
	const char *p = s;

	while (*p == ' ')
		p++;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			if (++wdigits > 12)
				return false;
			whole = whole * 10 + (*p - '0');
		} else if (*p == ' ' && isdigit((unsigned char)p[1]) && wdigits) {
			continue;   /* thousands separator */
		} else {
			break;
		}
	}
	if (*p == '.' || *p == ',') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++fdigits > 2)
				return false;
			frac = frac * 10 + (*p - '0');
		}
		if (fdigits == 1)
			frac *= 10;
	}
	while (*p == ' ')
		p++;
	if (strcmp(p, "€") == 0 || strcmp(p, "EUR") == 0 || strcmp(p, "eur") == 0)
		p += strlen(p);
	if (*p || !wdigits)
		return false;
	*cents = whole * 100 + frac;
	return true;
}

/* A stored amount in euros (number, or text) → cents. */
static bool money_of(const bson_iter_t *it, int64_t *cents)
{
	if (BSON_ITER_HOLDS_NUMBER(it)) {
		*cents = booking_cents(it);
		return *cents >= 0;
	}
	return BSON_ITER_HOLDS_UTF8(it) && parse_money(bson_iter_utf8(it, NULL), cents);
}

/* A whole number, or text of one. */
static bool int_of(const bson_iter_t *it, int64_t *v)
{
	char *end;

	if (BSON_ITER_HOLDS_NUMBER(it)) {
		*v = bson_iter_as_int64(it);
		return true;
	}
	if (!BSON_ITER_HOLDS_UTF8(it))
		return false;
	errno = 0;
	*v = strtoll(bson_iter_utf8(it, NULL), &end, 10);
	return errno == 0 && end != bson_iter_utf8(it, NULL) && *end == '\0';
}

static bool is_date_key(const char *coll, const char *key)
{
	size_t n = strlen(key);

	if (strcmp(key, "date") == 0)
		return strcmp(coll, "events") != 0;
	return (n > 2 && strcmp(key + n - 2, "At") == 0) || strcmp(key, "expires") == 0 ||
	       strcmp(key, "scheduledFor") == 0 || strcmp(key, "endDate") == 0 ||
	       strcmp(key, "activationTokenExpires") == 0;
}

/* Copies a value, turning date strings into dates in the fields named
 * like dates, in sub-documents and arrays too. */
static bool copy_value(const char *coll, const char *key, const bson_iter_t *it, bson_t *out,
		       char *why);

static bool copy_children(const char *coll, const bson_iter_t *it, bson_t *out, bool array,
			  char *why)
{
	bson_iter_t child;

	if (!bson_iter_recurse(it, &child))
		return why_set(why, "%s cannot be read", bson_iter_key(it));
	while (bson_iter_next(&child)) {
		/* an array's elements take the name of the array for the rules */
		const char *rule_key = array ? bson_iter_key(it) : bson_iter_key(&child);
		if (!BSON_ITER_HOLDS_DOCUMENT(&child) && !BSON_ITER_HOLDS_ARRAY(&child) &&
		    BSON_ITER_HOLDS_UTF8(&child) && is_date_key(coll, rule_key) &&
		    !(array && strcmp(coll, "events") == 0)) {
			int64_t ms;
			const char *s = bson_iter_utf8(&child, NULL);
			if (!*s)
				continue;
			if (!parse_date(s, &ms))
				return why_set(why, "%s \"%s\" is not a date", rule_key, s);
			BSON_APPEND_DATE_TIME(out, bson_iter_key(&child), ms);
		} else if (!copy_value(coll, bson_iter_key(&child), &child, out, why)) {
			return false;
		}
	}
	return true;
}

static bool copy_value(const char *coll, const char *key, const bson_iter_t *it, bson_t *out,
		       char *why)
{
	bson_t sub;
	bool ok;

	if (BSON_ITER_HOLDS_DOCUMENT(it)) {
		bson_append_document_begin(out, key, -1, &sub);
		ok = copy_children(coll, it, &sub, false, why);
		bson_append_document_end(out, &sub);
		return ok;
	}
	if (BSON_ITER_HOLDS_ARRAY(it)) {
		bson_append_array_begin(out, key, -1, &sub);
		ok = copy_children(coll, it, &sub, true, why);
		bson_append_array_end(out, &sub);
		return ok;
	}
	if (BSON_ITER_HOLDS_UTF8(it) && is_date_key(coll, key)) {
		int64_t ms;
		const char *s = bson_iter_utf8(it, NULL);
		if (!*s)
			return true;   /* "" stood for "none" */
		if (!parse_date(s, &ms))
			return why_set(why, "%s \"%s\" is not a date", key, s);
		BSON_APPEND_DATE_TIME(out, key, ms);
		return true;
	}
	return bson_append_iter(out, key, -1, it);
}

/* A reference written as a 24-hex string becomes an ObjectId. */
static bool copy_ref(const char *key, const bson_iter_t *it, bson_t *out, char *why)
{
	bson_oid_t oid;

	if (BSON_ITER_HOLDS_UTF8(it)) {
		if (!*bson_iter_utf8(it, NULL))
			return true;
		if (!doc_parse_oid(bson_iter_utf8(it, NULL), &oid))
			return why_set(why, "%s \"%s\" is not an ObjectId", key, bson_iter_utf8(it, NULL));
		BSON_APPEND_OID(out, key, &oid);
		return true;
	}
	return bson_append_iter(out, key, -1, it);
}

static bool copy_euros(const char *key, const bson_iter_t *it, bson_t *out, char *why)
{
	int64_t cents;

	if (BSON_ITER_HOLDS_NULL(it))
		return bson_append_iter(out, key, -1, it);
	if (BSON_ITER_HOLDS_NUMBER(it) && bson_iter_as_double(it) >= 0)
		return bson_append_iter(out, key, -1, it);
	if (!money_of(it, &cents))
		return why_set(why, "%s is not a price", key);
	booking_append_euros(out, key, cents);
	return true;
}

static bool copy_int(const char *key, const bson_iter_t *it, bson_t *out, char *why)
{
	int64_t v;

	if (BSON_ITER_HOLDS_NUMBER(it) || BSON_ITER_HOLDS_NULL(it))
		return bson_append_iter(out, key, -1, it);
	if (!int_of(it, &v) || v < INT32_MIN || v > INT32_MAX)
		return why_set(why, "%s is not a whole number", key);
	BSON_APPEND_INT32(out, key, (int32_t)v);
	return true;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* ---- the rules of each collection ------------------------------------ */

/* Copies every field of `in`, asking `field` first: it returns 1 when it
 * appended (or dropped) the field itself, 0 for the plain copy, -1 to
 * report the document. */
typedef int (*field_fn)(struct mig *m, const bson_iter_t *it, bson_t *out, char *why);

static bool copy_doc(struct mig *m, const char *coll, const bson_t *in, bson_t *out, field_fn field,
		     char *why)
{
	bson_iter_t it;

	if (!bson_iter_init(&it, in))
		return why_set(why, "not a readable document");
	while (bson_iter_next(&it)) {
		int r = field ? field(m, &it, out, why) : 0;
		if (r < 0)
			return false;
		if (r == 0 && !copy_value(coll, bson_iter_key(&it), &it, out, why))
			return false;
	}
	return true;
}

static bool conv_plain_of(const char *coll, struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	return copy_doc(m, coll, in, out, NULL, why);
}

#define PLAIN(name, coll) \
	static bool name(struct mig *m, const bson_t *in, bson_t *out, char *why) \
	{ return conv_plain_of(coll, m, in, out, why); }

PLAIN(conv_spaces, "spaces")
PLAIN(conv_hours, "globalhoursconfigurations")
PLAIN(conv_settings, "bookingsettings")
PLAIN(conv_stripeevents, "stripeevents")
PLAIN(conv_categories, "categories")
PLAIN(conv_articles, "articles")
PLAIN(conv_likes, "articlelikes")
PLAIN(conv_registrations, "eventregistrations")
PLAIN(conv_contact, "contactmails")
PLAIN(conv_newsletters, "newsletters")
PLAIN(conv_drink_categories, "drink_categories")
PLAIN(conv_drinks, "drinks")
PLAIN(conv_promo, "promo_config")
PLAIN(conv_quotes, "quoterequests")
PLAIN(conv_conversations, "conversations")
PLAIN(conv_reset_tokens, "passwordresettokens")

/* The role a `users.role` value stands for: a roles ObjectId (the dump's
 * or the store's) or a slug; ROLE_PUBLIC when unknown. */
static int role_of(struct mig *m, const bson_iter_t *it)
{
	if (BSON_ITER_HOLDS_OID(it)) {
		const bson_oid_t *oid = bson_iter_oid(it);
		for (size_t i = 0; i < m->nrmap; i++)
			if (bson_oid_equal(&m->rmap[i].from, oid))
				return m->rmap[i].role;
		for (int r = ROLE_CLIENT; r <= ROLE_DEV; r++)
			if (m->have_role[r] && bson_oid_equal(&m->role_id[r], oid))
				return r;
		return ROLE_PUBLIC;
	}
	if (BSON_ITER_HOLDS_UTF8(it)) {
		const char *s = bson_iter_utf8(it, NULL);
		if (strcmp(s, "user") == 0 || strcmp(s, "customer") == 0)
			return ROLE_CLIENT;
		if (strcmp(s, "manager") == 0)
			return ROLE_ADMIN;
		return account_role_from_slug(s);
	}
	if (BSON_ITER_HOLDS_DOCUMENT(it)) {   /* a populated role {slug, level} */
		bson_iter_t slug;
		if (bson_iter_recurse(it, &slug) && bson_iter_find(&slug, "slug"))
			return role_of(m, &slug);
	}
	return ROLE_PUBLIC;
}

static int user_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "email") == 0) {
		char email[ACCOUNT_EMAIL_MAX + 1];
		const char *raw = BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : NULL;
		if (!raw || !account_email_normalise(raw, strlen(raw), email, sizeof email))
			return why_set(why, "email \"%s\" is not an address", raw ? raw : "?"), -1;
		BSON_APPEND_UTF8(out, "email", email);
		return 1;
	}
	if (strcmp(key, "role") == 0) {
		int role = role_of(m, it);
		if (role == ROLE_PUBLIC)
			return why_set(why, "role %s is none of dev, admin, staff, client",
				       BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : "(id)"), -1;
		if (!m->have_role[role])
			return why_set(why, "the store has no role %s", account_role_slug(role)), -1;
		BSON_APPEND_OID(out, "role", &m->role_id[role]);
		return 1;
	}
	if (strcmp(key, "pin") == 0)
		return 1;   /* the original's plaintext PIN: dropped */
	return 0;
}

static bool conv_user(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	bson_iter_t it;

	if (!doc_str(in, "email"))
		return why_set(why, "no email");
	if (!copy_doc(m, "users", in, out, user_field, why))
		return false;
	if (!bson_iter_init_find(&it, in, "role")) {
		if (!m->have_role[ROLE_CLIENT])
			return why_set(why, "the store has no role client");
		BSON_APPEND_OID(out, "role", &m->role_id[ROLE_CLIENT]);
	}
	return true;
}

static const char *const booking_statuses[] = {
	"pending", "confirmed", "cancelled", "completed", "no-show", NULL
};
static const char *const booking_money_fields[] = {
	"basePrice", "servicesPrice", "totalPrice", "amountPaid", "cancellationFee", "refundAmount",
	NULL
};

/* "9:00" → "09:00"; "" → nothing. */
static int booking_time(const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it), *s;
	char norm[6];
	int h, mi;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return BSON_ITER_HOLDS_NULL(it) ? 1 : (why_set(why, "%s is not a time", key), -1);
	s = bson_iter_utf8(it, NULL);
	if (!*s)
		return 1;
	if (isdigit((unsigned char)s[0]) && s[1] == ':' && digits(s + 2, 2) && !s[4]) {
		h = s[0] - '0';
		mi = num(s + 2, 2);
	} else if (digits(s, 2) && s[2] == ':' && digits(s + 3, 2) && !s[5]) {
		h = num(s, 2);
		mi = num(s + 3, 2);
	} else {
		return why_set(why, "%s \"%s\" is not a time HH:MM", key, s), -1;
	}
	if (h > 24 || mi > 59 || (h == 24 && mi))
		return why_set(why, "%s \"%s\" is not a time HH:MM", key, s), -1;
	(void)buf_fmt(norm, sizeof norm, "%02d:%02d", h, mi);
	BSON_APPEND_UTF8(out, key, norm);
	return 1;
}

static int booking_service_line(const bson_iter_t *it, bson_t *out, char *why)
{
	bson_iter_t line, f;
	bson_t arr, doc;
	char idx[16];
	int n = 0;

	if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &line))
		return 0;
	bson_append_array_begin(out, bson_iter_key(it), -1, &arr);
	while (bson_iter_next(&line)) {
		(void)buf_fmt(idx, sizeof idx, "%d", n++);
		if (!BSON_ITER_HOLDS_DOCUMENT(&line) || !bson_iter_recurse(&line, &f)) {
			bson_append_iter(&arr, idx, -1, &line);
			continue;
		}
		bson_append_document_begin(&arr, idx, -1, &doc);
		while (bson_iter_next(&f)) {
			const char *k = bson_iter_key(&f);
			bool ok;
			if (strcmp(k, "unitPrice") == 0 || strcmp(k, "totalPrice") == 0)
				ok = copy_euros(k, &f, &doc, why);
			else if (strcmp(k, "quantity") == 0)
				ok = copy_int(k, &f, &doc, why);
			else if (strcmp(k, "service") == 0)
				ok = copy_ref(k, &f, &doc, why);
			else
				ok = bson_append_iter(&doc, k, -1, &f);
			if (!ok) {
				bson_append_document_end(&arr, &doc);
				bson_append_array_end(out, &arr);
				return why_set(why, "additionalServices[%d]: %s", n - 1, why), -1;
			}
		}
		bson_append_document_end(&arr, &doc);
	}
	bson_append_array_end(out, &arr);
	return 1;
}

static int booking_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "spaceType") == 0) {
		const char *cur = BSON_ITER_HOLDS_UTF8(it) ?
			booking_space_type_current(bson_iter_utf8(it, NULL)) : NULL;
		if (!cur)
			return why_set(why, "space type \"%s\" is unknown",
				       BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : "?"), -1;
		BSON_APPEND_UTF8(out, key, cur);
		return 1;
	}
	if (strcmp(key, "date") == 0) {
		int64_t ms;
		if (BSON_ITER_HOLDS_DATE_TIME(it))
			return 0;
		if (!BSON_ITER_HOLDS_UTF8(it) || strlen(bson_iter_utf8(it, NULL)) < 10)
			return why_set(why, "date is not a date"), -1;
		{
			char day[11];
			memcpy(day, bson_iter_utf8(it, NULL), 10);
			day[10] = '\0';
			if (!parse_date(day, &ms) ||
			    !parse_date(bson_iter_utf8(it, NULL), &(int64_t){ 0 }))
				return why_set(why, "date \"%s\" is not a date",
					       bson_iter_utf8(it, NULL)), -1;
		}
		BSON_APPEND_DATE_TIME(out, key, ms);   /* the day, at 00:00 UTC */
		return 1;
	}
	if (strcmp(key, "startTime") == 0 || strcmp(key, "endTime") == 0) {
		return booking_time(it, out, why);
	}
	if (in_list(key, booking_money_fields))
		return copy_euros(key, it, out, why) ? 1 : -1;
	if (strcmp(key, "numberOfPeople") == 0)
		return copy_int(key, it, out, why) ? 1 : -1;
	if (strcmp(key, "depositAmount") == 0) {   /* cents */
		int64_t v;
		if (BSON_ITER_HOLDS_NUMBER(it) || BSON_ITER_HOLDS_NULL(it))
			return 0;
		if (!int_of(it, &v) || v < 0)
			return why_set(why, "depositAmount is not a number of cents"), -1;
		BSON_APPEND_INT64(out, key, v);
		return 1;
	}
	if (strcmp(key, "additionalServices") == 0)
		return booking_service_line(it, out, why);
	if (strcmp(key, "user") == 0 || strcmp(key, "cancelledBy") == 0 ||
	    strcmp(key, "relatedEvent") == 0)
		return copy_ref(key, it, out, why) ? 1 : -1;
	if (strcmp(key, "contactEmail") == 0 && BSON_ITER_HOLDS_UTF8(it)) {
		char *low = bson_strdup(bson_iter_utf8(it, NULL));
		for (char *p = low; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		BSON_APPEND_UTF8(out, key, low);
		bson_free(low);
		return 1;
	}
	if (strcmp(key, "status") == 0) {
		if (!BSON_ITER_HOLDS_UTF8(it) || !in_list(bson_iter_utf8(it, NULL), booking_statuses))
			return why_set(why, "status \"%s\" is unknown",
				       BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : "?"), -1;
		return 0;
	}
	if (strcmp(key, "confirmationNumber") == 0) {
		char *up;
		if (!BSON_ITER_HOLDS_UTF8(it) || !*bson_iter_utf8(it, NULL))
			return 1;   /* made below */
		up = bson_strdup(bson_iter_utf8(it, NULL));
		for (char *p = up; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		BSON_APPEND_UTF8(out, key, up);
		bson_free(up);
		return 1;
	}
	return 0;
}

/* The confirmation number of a booking that has none: made from its _id
 * (FNV-1a), so that every run (and the dry run) gives the same. */
static void confirmation_from_id(const bson_t *in, char out[11])
{
	static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	bson_iter_t it;
	uint64_t h = 14695981039346656037ULL;
	const uint8_t *p = NULL;
	uint32_t len = 0;
	uint8_t oid[12];

	if (bson_iter_init_find(&it, in, "_id")) {
		if (BSON_ITER_HOLDS_OID(&it)) {
			memcpy(oid, bson_iter_oid(&it)->bytes, 12);
			p = oid;
			len = 12;
		} else if (BSON_ITER_HOLDS_UTF8(&it)) {
			p = (const uint8_t *)bson_iter_utf8(&it, &len);
		}
	}
	for (uint32_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	memcpy(out, "CWC-", 4);
	for (int i = 0; i < 6; i++) {
		out[4 + i] = alphabet[h & 31];
		h >>= 5;
	}
	out[10] = '\0';
}

static bool conv_booking(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	const char *st = doc_str(in, "startTime"), *et = doc_str(in, "endTime");
	bson_t copy = BSON_INITIALIZER;
	bson_iter_t it;
	bool ok;

	if (!bson_has_field(in, "spaceType"))
		return why_set(why, "no spaceType");
	if (!bson_has_field(in, "date"))
		return why_set(why, "no date");
	/* a full day was written 00:00–00:00 */
	if (st && et && strcmp(st, "00:00") == 0 && strcmp(et, "00:00") == 0) {
		bson_copy_to_excluding_noinit(in, &copy, "startTime", "endTime", NULL);
		in = &copy;
		st = et = NULL;
	}
	ok = copy_doc(m, "bookings", in, out, booking_field, why);
	if (ok && !bson_has_field(in, "status"))
		BSON_APPEND_UTF8(out, "status", "pending");
	if (ok && !bson_has_field(in, "reservationType"))
		BSON_APPEND_UTF8(out, "reservationType", st && *st ? "hourly" : "daily");
	if (ok && !(doc_str(in, "confirmationNumber") && *doc_str(in, "confirmationNumber"))) {
		char number[11];
		confirmation_from_id(in, number);
		BSON_APPEND_UTF8(out, "confirmationNumber", number);
	}
	if (ok && !bson_iter_init_find(&it, in, "numberOfPeople"))
		BSON_APPEND_INT32(out, "numberOfPeople", 1);
	bson_destroy(&copy);
	return ok;
}

static int space_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "spaceType") == 0) {
		const char *cur = BSON_ITER_HOLDS_UTF8(it) ?
			booking_space_type_current(bson_iter_utf8(it, NULL)) : NULL;
		if (!cur)
			return why_set(why, "space type \"%s\" is unknown",
				       BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : "?"), -1;
		BSON_APPEND_UTF8(out, key, cur);
		return 1;
	}
	if (strcmp(key, "pricing") == 0 && BSON_ITER_HOLDS_DOCUMENT(it)) {
		static const char *const money[] = { "hourly", "daily", "weekly", "monthly", NULL };
		bson_iter_t f;
		bson_t sub;
		bool ok = true;
		bson_iter_recurse(it, &f);
		bson_append_document_begin(out, key, -1, &sub);
		while (ok && bson_iter_next(&f))
			ok = in_list(bson_iter_key(&f), money) ? copy_euros(bson_iter_key(&f), &f, &sub, why)
				: copy_value("spaceconfigurations", bson_iter_key(&f), &f, &sub, why);
		bson_append_document_end(out, &sub);
		return ok ? 1 : -1;
	}
	if (strcmp(key, "minCapacity") == 0 || strcmp(key, "maxCapacity") == 0 ||
	    strcmp(key, "displayOrder") == 0)
		return copy_int(key, it, out, why) ? 1 : -1;
	return 0;
}

static bool conv_space(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	return copy_doc(m, "spaceconfigurations", in, out, space_field, why);
}

static int service_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "price") == 0 || strcmp(key, "dailyPrice") == 0)
		return copy_euros(key, it, out, why) ? 1 : -1;
	return 0;
}

static bool conv_service(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	if (!copy_doc(m, "additionalservices", in, out, service_field, why))
		return false;
	if (!doc_str(in, "slug")) {   /* the original had none; ours is unique */
		struct buf slug = { 0 };
		if (!doc_str(in, "name"))
			return why_set(why, "no name (and no slug)");
		text_slug(&slug, doc_str(in, "name"), 80);
		if (!slug.len) {
			buf_free(&slug);
			return why_set(why, "no slug can be made of its name");
		}
		BSON_APPEND_UTF8(out, "slug", slug.data);
		buf_free(&slug);
	}
	return true;
}

static int event_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "date") == 0) {   /* "YYYY-MM-DD" in our model */
		char day[11];
		if (BSON_ITER_HOLDS_DATE_TIME(it)) {
			time_t t = (time_t)(bson_iter_date_time(it) / 1000);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(day, sizeof day, "%Y-%m-%d", &tm);
		} else if (BSON_ITER_HOLDS_UTF8(it) && strlen(bson_iter_utf8(it, NULL)) >= 10 &&
			   parse_date(bson_iter_utf8(it, NULL), &(int64_t){ 0 })) {
			memcpy(day, bson_iter_utf8(it, NULL), 10);
			day[10] = '\0';
		} else {
			return why_set(why, "date is not a date"), -1;
		}
		BSON_APPEND_UTF8(out, key, day);
		return 1;
	}
	if (strcmp(key, "price") == 0 && BSON_ITER_HOLDS_UTF8(it))
		return copy_euros(key, it, out, why) ? 1 : -1;
	if (strcmp(key, "maxParticipants") == 0 || strcmp(key, "currentParticipants") == 0)
		return copy_int(key, it, out, why) ? 1 : -1;
	return 0;
}

static bool conv_event(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	return copy_doc(m, "events", in, out, event_field, why);
}

static int payment_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "amount") == 0)   /* cents */
		return copy_int(key, it, out, why) ? 1 : -1;
	if (strcmp(key, "booking") == 0 || strcmp(key, "user") == 0)
		return copy_ref(key, it, out, why) ? 1 : -1;
	return 0;
}

static bool conv_payment(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	return copy_doc(m, "payments", in, out, payment_field, why);
}

static int message_field(struct mig *m, const bson_iter_t *it, bson_t *out, char *why)
{
	const char *key = bson_iter_key(it);

	if (strcmp(key, "conversation") == 0 || strcmp(key, "sender") == 0 ||
	    strcmp(key, "replyTo") == 0)
		return copy_ref(key, it, out, why) ? 1 : -1;
	return 0;
}

static bool conv_message(struct mig *m, const bson_t *in, bson_t *out, char *why)
{
	if (!bson_has_field(in, "conversation"))
		return why_set(why, "no conversation");
	return copy_doc(m, "messages", in, out, message_field, why);
}

/* The collections we migrate, in this order (roles and admins have their
 * own steps). */
static const struct {
	const char *name;
	conv_fn conv;
} rules[] = {
	{ "users", conv_user },
	{ "spaces", conv_spaces },
	{ "spaceconfigurations", conv_space },
	{ "globalhoursconfigurations", conv_hours },
	{ "bookingsettings", conv_settings },
	{ "additionalservices", conv_service },
	{ "bookings", conv_booking },
	{ "payments", conv_payment },
	{ "stripeevents", conv_stripeevents },
	{ "categories", conv_categories },
	{ "articles", conv_articles },
	{ "articlelikes", conv_likes },
	{ "events", conv_event },
	{ "eventregistrations", conv_registrations },
	{ "contactmails", conv_contact },
	{ "newsletters", conv_newsletters },
	{ "quoterequests", conv_quotes },
	{ "drink_categories", conv_drink_categories },
	{ "drinks", conv_drinks },
	{ "promo_config", conv_promo },
	{ "conversations", conv_conversations },
	{ "messages", conv_message },
	{ "passwordresettokens", conv_reset_tokens },
};

/* ---- writing --------------------------------------------------------- */

static void report(struct mig *m, struct tally *t, const char *coll, const bson_t *doc,
		   const char *why)
{
	char id[80];

	id_text(doc, id, sizeof id);
	fprintf(m->out, "report: %s %s: %s\n", coll, id, why);
	t->reported++;
}

static bool store_failed(struct mig *m, const char *what, const store_error_t *se)
{
	fprintf(stderr, "cwc-ctl: migrate: %s: %s\n", what, se->message);
	m->failed = true;
	return false;
}

/* Makes the stored `have` into `want` ($set of the fields that differ,
 * $unset of those gone); lists the fields changed in `fields`. */
static bool update_to(struct mig *m, const char *coll, const bson_t *have, const bson_t *want,
		      struct buf *fields)
{
	bson_t update = BSON_INITIALIZER, set, unset, filter = BSON_INITIALIZER;
	bson_iter_t it, old;
	store_error_t se = { 0 };
	bool ok = true;

	bson_append_document_begin(&update, "$set", -1, &set);
	bson_iter_init(&it, want);
	while (bson_iter_next(&it)) {
		const char *k = bson_iter_key(&it);
		bool same = false;
		if (strcmp(k, "_id") == 0)
			continue;
		if (bson_iter_init_find(&old, have, k)) {
			bson_t a = BSON_INITIALIZER, b = BSON_INITIALIZER;
			bson_append_iter(&a, "v", 1, &it);
			bson_append_iter(&b, "v", 1, &old);
			same = bson_equal(&a, &b);
			bson_destroy(&a);
			bson_destroy(&b);
		}
		if (same)
			continue;
		bson_append_iter(&set, k, -1, &it);
		buf_printf(fields, "%s%s", fields->len ? ", " : "", k);
	}
	bson_append_document_end(&update, &set);
	bson_append_document_begin(&update, "$unset", -1, &unset);
	bson_iter_init(&it, have);
	while (bson_iter_next(&it))
		if (!bson_has_field(want, bson_iter_key(&it))) {
			BSON_APPEND_UTF8(&unset, bson_iter_key(&it), "");
			buf_printf(fields, "%s-%s", fields->len ? ", " : "", bson_iter_key(&it));
		}
	bson_append_document_end(&update, &unset);
	if (!m->dry) {
		bson_iter_init_find(&it, have, "_id");
		bson_append_iter(&filter, "_id", 3, &it);
		ok = store_update_one(m->st, coll, &filter, &update, false, NULL, &se);
		if (!ok)
			store_failed(m, coll, &se);
	}
	bson_destroy(&update);
	bson_destroy(&filter);
	return ok;
}

/* One document of the dump: converted, then inserted, or the stored one
 * with its _id converted in place, or reported. */
static void put(struct mig *m, const char *coll, conv_fn conv, const bson_t *in, struct tally *t)
{
	char why[WHY_MAX] = "", id[80];
	bson_t conv_doc = BSON_INITIALIZER, existing, again = BSON_INITIALIZER, filter = BSON_INITIALIZER;
	bson_iter_t it;
	store_error_t se = { 0 };
	bool found = false;

	t->in++;
	if (!bson_iter_init_find(&it, in, "_id")) {
		report(m, t, coll, in, "no _id");
		goto done;
	}
	if (!conv(m, in, &conv_doc, why)) {
		report(m, t, coll, in, why);
		goto done;
	}
	bson_append_iter(&filter, "_id", 3, &it);
	if (!store_find_one(m->st, coll, &filter, NULL, &existing, &found, &se)) {
		store_failed(m, coll, &se);
		goto done;
	}
	if (found) {
		if (!conv(m, &existing, &again, why)) {
			char stored_why[WHY_MAX + 64];
			(void)buf_fmt(stored_why, sizeof stored_why,
				      "its _id is in the store, where it cannot be converted: %.*s",
				      WHY_MAX - 1, why);
			report(m, t, coll, in, stored_why);
		} else if (bson_equal(&again, &existing)) {
			t->unchanged++;
		} else {
			struct buf fields = { 0 };
			if (update_to(m, coll, &existing, &again, &fields)) {
				id_text(in, id, sizeof id);
				fprintf(m->out, "%s %s %s: %s\n", m->dry ? "would update" : "updated",
					coll, id, fields.data ? fields.data : "");
				t->updated++;
			}
			buf_free(&fields);
		}
		bson_destroy(&existing);
		goto done;
	}
	bson_destroy(&existing);
	if (!m->dry && !store_insert_one(m->st, coll, &conv_doc, NULL, &se)) {
		if (se.code == STORE_ERR_DUPLICATE_KEY || se.code == STORE_ERR_BAD_VALUE) {
			(void)buf_fmt(why, sizeof why, "%s: %.200s",
				      se.code == STORE_ERR_DUPLICATE_KEY ?
				      "another document holds the same unique value" : "refused",
				      se.message);
			report(m, t, coll, in, why);
		} else {
			store_failed(m, coll, &se);
		}
		goto done;
	}
	t->inserted++;
done:
	bson_destroy(&conv_doc);
	bson_destroy(&again);
	bson_destroy(&filter);
}

/* ---- the dump -------------------------------------------------------- */

static char *path_join(const char *a, const char *b)
{
	struct buf p = { 0 };

	buf_printf(&p, "%s/%s", a, b);
	return p.data;
}

static bool has_file(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct stat sb;
	bool ok = stat(p, &sb) == 0 && S_ISREG(sb.st_mode);

	free(p);
	return ok;
}

/* Whether the dump has `coll`.bson, or `coll`.bson.gz (mongodump --gzip). */
static bool has_coll(const char *dir, const char *coll)
{
	struct buf b = { 0 }, z = { 0 };
	bool ok;

	buf_printf(&b, "%s.bson", coll);
	buf_printf(&z, "%s.bson.gz", coll);
	ok = has_file(dir, b.data) || has_file(dir, z.data);
	buf_free(&b);
	buf_free(&z);
	return ok;
}

/* libbson reads a gzip file through these. */
static ssize_t gz_read(void *handle, void *buf, size_t len)
{
	int n = gzread(handle, buf, (unsigned)(len > INT32_MAX ? INT32_MAX : len));

	return n < 0 ? -1 : n;
}

static void gz_destroy(void *handle)
{
	gzclose(handle);
}

/* Reads every document of `dir`/`coll`.bson into `each`; false (said on
 * stderr) when the file is not BSON. */
static bool read_coll(const char *dir, const char *coll, long *count,
		      void (*each)(void *ctx, const bson_t *doc), void *ctx)
{
	char *path;
	bson_reader_t *r;
	bson_error_t be;
	const bson_t *doc;
	bool eof = false;

	{
		struct buf b = { 0 };
		buf_printf(&b, "%s/%s.bson", dir, coll);
		path = b.data;
	}
	if (access(path, F_OK) == 0) {
		r = bson_reader_new_from_file(path, &be);
		if (!r) {
			fprintf(stderr, "cwc-ctl: migrate: %s: %s\n", path, be.message);
			free(path);
			return false;
		}
	} else {   /* mongodump --gzip */
		struct buf b = { 0 };
		gzFile gz;
		buf_printf(&b, "%s.gz", path);
		free(path);
		path = b.data;
		gz = gzopen(path, "rb");
		if (!gz) {
			fprintf(stderr, "cwc-ctl: migrate: %s: %s\n", path, strerror(errno));
			free(path);
			return false;
		}
		r = bson_reader_new_from_handle(gz, gz_read, gz_destroy);
	}
	*count = 0;
	while ((doc = bson_reader_read(r, &eof))) {
		if (!bson_validate(doc, BSON_VALIDATE_NONE, NULL)) {
			eof = false;
			break;
		}
		(*count)++;
		if (each)
			each(ctx, doc);
	}
	bson_reader_destroy(r);
	if (!eof) {
		fprintf(stderr, "cwc-ctl: migrate: %s is not a BSON file of documents "
			"(unreadable after %ld documents)\n", path, *count);
		free(path);
		return false;
	}
	free(path);
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The collections of `dir` (files NAME.bson; system.* left out), sorted. */
static bool list_colls(const char *dir, char ***names, size_t *n, bool *gz)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*names = NULL;
	*n = 0;
	*gz = false;
	if (!d)
		return false;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		size_t ext = 0;
		bool dup = false;
		if (len > 8 && strcmp(e->d_name + len - 8, ".bson.gz") == 0)
			ext = 8;
		else if (len > 5 && strcmp(e->d_name + len - 5, ".bson") == 0)
			ext = 5;
		if (!ext || strncmp(e->d_name, "system.", 7) == 0)
			continue;
		for (size_t i = 0; i < *n; i++)   /* both forms of one collection */
			if (strlen((*names)[i]) == len - ext &&
			    strncmp((*names)[i], e->d_name, len - ext) == 0) {
				dup = true;
				*gz = true;
			}
		if (dup)
			continue;
		*names = realloc(*names, (*n + 1) * sizeof **names);
		if (!*names)
			abort();
		(*names)[*n] = strndup(e->d_name, len - ext);
		(*n)++;
	}
	closedir(d);
	qsort(*names, *n, sizeof **names, cmp_str);
	return true;
}

/* The database folder of the dump: DUMP itself when it holds users.bson,
 * else its one sub-folder that does. NULL (said on stderr) otherwise. */
static char *find_db(const char *dump)
{
	DIR *d;
	struct dirent *e;
	char *found = NULL;
	struct buf seen = { 0 };
	int n = 0;

	if (has_coll(dump, "users"))
		return strdup(dump);
	d = opendir(dump);
	if (!d) {
		fprintf(stderr, "cwc-ctl: migrate: %s: %s\n", dump, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d))) {
		char *sub;
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		sub = path_join(dump, e->d_name);
		buf_printf(&seen, "%s%s", seen.len ? ", " : "", e->d_name);
		if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && has_coll(sub, "users")) {
			n++;
			free(found);
			found = sub;
		} else {
			free(sub);
		}
	}
	closedir(d);
	if (n == 1) {
		buf_free(&seen);
		return found;
	}
	free(found);
	if (n > 1)
		fprintf(stderr, "cwc-ctl: migrate: %s holds several databases with users.bson (%s): "
			"give the folder of the one to migrate\n", dump, seen.data);
	else
		fprintf(stderr, "cwc-ctl: migrate: %s is not a mongodump of the original database: "
			"expected %s/<database>/users.bson and bookings.bson (its accounts and "
			"bookings); found: %s\n", dump, dump, seen.len ? seen.data : "nothing");
	buf_free(&seen);
	return NULL;
}

struct first_doc {
	bson_t doc;
	bool have;
};

static void keep_first(void *ctx, const bson_t *doc)
{
	struct first_doc *f = ctx;

	if (!f->have) {
		bson_copy_to(doc, &f->doc);
		f->have = true;
	}
}

/* The first document of a collection must have these fields (NULL ends). */
static bool first_has(const char *db, const char *coll, const char *const *fields,
		      const char *what)
{
	struct first_doc f = { .have = false };
	long count;
	bool ok = true;

	if (!read_coll(db, coll, &count, keep_first, &f))
		return false;
	for (const char *const *k = fields; f.have && *k; k++)
		if (!bson_has_field(&f.doc, *k)) {
			char id[80];
			id_text(&f.doc, id, sizeof id);
			fprintf(stderr, "cwc-ctl: migrate: %s/%s.bson does not hold the original's %s: "
				"its first document (%s) has no \"%s\" (expected", db, coll, what, id, *k);
			for (const char *const *e = fields; *e; e++)
				fprintf(stderr, " %s", *e);
			fprintf(stderr, "); nothing was written\n");
			ok = false;
			break;
		}
	if (f.have)
		bson_destroy(&f.doc);
	return ok;
}

/* ---- the steps ------------------------------------------------------- */

struct step {
	struct mig *m;
	const char *coll;
	conv_fn conv;
	struct tally t;
};

static void step_doc(void *ctx, const bson_t *doc)
{
	struct step *s = ctx;

	if (s->m->failed)
		return;
	put(s->m, s->coll, s->conv, doc, &s->t);
	if (s->m->dry && strcmp(s->coll, "users") == 0 && doc_str(doc, "email")) {
		char email[ACCOUNT_EMAIL_MAX + 1];
		bson_iter_t it;
		int role = ROLE_CLIENT;
		if (!account_email_normalise(doc_str(doc, "email"), strlen(doc_str(doc, "email")),
					     email, sizeof email))
			return;
		if (bson_iter_init_find(&it, doc, "role"))
			role = role_of(s->m, &it);
		s->m->seen = realloc(s->m->seen, (s->m->nseen + 1) * sizeof *s->m->seen);
		if (!s->m->seen)
			abort();
		s->m->seen[s->m->nseen].email = bson_strdup(email);
		if (!doc_oid(doc, "_id", &s->m->seen[s->m->nseen].id))
			bson_oid_init_from_data(&s->m->seen[s->m->nseen].id, (const uint8_t[12]){ 0 });
		s->m->seen[s->m->nseen++].role = role;
	}
	if (s->m->dry && strcmp(s->coll, "bookings") == 0) {
		const char *status = doc_str(doc, "status");
		int64_t today;
		int minute;
		bson_t conv = BSON_INITIALIZER;
		char why[WHY_MAX];
		booking_paris_local(s->m->now, &today, &minute);
		if (conv_booking(s->m, doc, &conv, why) &&
		    (!status || !strcmp(status, "pending") || !strcmp(status, "confirmed")) &&
		    booking_day_of_ms(doc_date(&conv, "date", 0)) >= today)
			s->m->live_bookings++;
		bson_destroy(&conv);
	}
}

static void print_tally(struct mig *m, const char *coll, const struct tally *t)
{
	fprintf(m->out, "%s: %ld in: %ld %s, %ld %s, %ld unchanged, %ld reported\n", coll, t->in,
		t->inserted, m->dry ? "to insert" : "inserted", t->updated,
		m->dry ? "to update" : "updated", t->unchanged, t->reported);
	m->total.in += t->in;
	m->total.inserted += t->inserted;
	m->total.updated += t->updated;
	m->total.unchanged += t->unchanged;
	m->total.reported += t->reported;
}

/* roles: keep the dump's where the store has no role of that slug; map
 * every dump role id to its role. */
static void roles_doc(void *ctx, const bson_t *doc)
{
	struct step *s = ctx;
	struct mig *m = s->m;
	const char *slug = doc_str(doc, "slug");
	int role = account_role_from_slug(slug);
	bson_oid_t id;
	char why[WHY_MAX];

	if (m->failed)
		return;
	s->t.in++;
	if (!doc_oid(doc, "_id", &id)) {
		report(m, &s->t, "roles", doc, "its _id is not an ObjectId");
		return;
	}
	if (role == ROLE_PUBLIC) {
		(void)buf_fmt(why, sizeof why, "slug \"%.80s\" is none of dev, admin, staff, client",
			      slug ? slug : "");
		report(m, &s->t, "roles", doc, why);
		return;
	}
	m->rmap = realloc(m->rmap, (m->nrmap + 1) * sizeof *m->rmap);
	if (!m->rmap)
		abort();
	m->rmap[m->nrmap].from = id;
	m->rmap[m->nrmap++].role = role;
	if (m->have_role[role]) {   /* the store's role of that slug stands for it */
		s->t.unchanged++;
		return;
	}
	if (!m->dry) {
		bson_t *ins = BCON_NEW("_id", BCON_OID(&id), "slug", BCON_UTF8(slug),
				       "name", BCON_UTF8(doc_str(doc, "name") ? doc_str(doc, "name") : slug),
				       "level", BCON_INT32((int32_t)doc_int(doc, "level", role)),
				       "isSystem", BCON_BOOL(true),
				       "createdAt", BCON_DATE_TIME(doc_date(doc, "createdAt", m->now)),
				       "updatedAt", BCON_DATE_TIME(m->now));
		store_error_t se = { 0 };
		if (!store_insert_one(m->st, "roles", ins, NULL, &se))
			store_failed(m, "roles", &se);
		bson_destroy(ins);
		if (m->failed)
			return;
	}
	m->role_id[role] = id;
	m->have_role[role] = true;
	s->t.inserted++;
}

static bool load_store_roles(struct mig *m)
{
	for (int r = ROLE_CLIENT; r <= ROLE_DEV; r++) {
		bson_t *filter = BCON_NEW("slug", BCON_UTF8(account_role_slug(r)));
		bson_t doc;
		store_error_t se = { 0 };
		bool found = false;

		if (!store_find_one(m->st, "roles", filter, NULL, &doc, &found, &se)) {
			bson_destroy(filter);
			return store_failed(m, "roles", &se);
		}
		bson_destroy(filter);
		if (found && doc_oid(&doc, "_id", &m->role_id[r]))
			m->have_role[r] = true;
		bson_destroy(&doc);
	}
	return true;
}

/* The role of the stored user `u`. */
static int stored_role(struct mig *m, const bson_t *u)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, u, "role") ? role_of(m, &it) : ROLE_CLIENT;
}

/* admins: merged into users. */
static void admins_doc(void *ctx, const bson_t *doc)
{
	struct step *s = ctx;
	struct mig *m = s->m;
	char email[ACCOUNT_EMAIL_MAX + 1], why[WHY_MAX], id[80];
	const char *raw = doc_str(doc, "email");
	bson_iter_t it;
	bson_oid_t oid;
	bson_t *filter = NULL, user;
	store_error_t se = { 0 };
	bool found = false;
	int role = ROLE_PUBLIC;

	if (m->failed)
		return;
	s->t.in++;
	id_text(doc, id, sizeof id);
	if (!doc_oid(doc, "_id", &oid)) {
		report(m, &s->t, "admins", doc, "its _id is not an ObjectId");
		return;
	}
	if (!raw || !account_email_normalise(raw, strlen(raw), email, sizeof email)) {
		(void)buf_fmt(why, sizeof why, "email \"%.100s\" is not an address", raw ? raw : "");
		report(m, &s->t, "admins", doc, why);
		return;
	}
	if (bson_iter_init_find(&it, doc, "role"))
		role = role_of(m, &it);
	if (role == ROLE_PUBLIC || role == ROLE_CLIENT) {
		(void)buf_fmt(why, sizeof why, "role \"%.80s\" is none of dev, admin, staff",
			      doc_str(doc, "role") ? doc_str(doc, "role") : "");
		report(m, &s->t, "admins", doc, why);
		return;
	}
	if (!m->have_role[role]) {
		report(m, &s->t, "admins", doc, "the store has no such role");
		return;
	}
	/* already an account under its own _id (a previous run) */
	filter = BCON_NEW("_id", BCON_OID(&oid));
	if (!store_find_one(m->st, "users", filter, NULL, &user, &found, &se))
		goto failed;
	bson_destroy(filter);
	filter = NULL;
	bson_destroy(&user);
	if (found) {
		s->t.unchanged++;
		return;
	}
	/* the same person's customer account: merge */
	filter = BCON_NEW("email", BCON_UTF8(email));
	if (!store_find_one(m->st, "users", filter, NULL, &user, &found, &se))
		goto failed;
	bson_destroy(filter);
	filter = NULL;
	if (!found && m->dry)
		for (size_t i = 0; i < m->nseen; i++)
			if (strcmp(m->seen[i].email, email) == 0) {
				found = true;
				bson_destroy(&user);
				bson_init(&user);
				BSON_APPEND_OID(&user, "_id", &m->seen[i].id);
				BSON_APPEND_UTF8(&user, "email", email);
				BSON_APPEND_OID(&user, "role", &m->role_id[m->seen[i].role > 0 ?
									     m->seen[i].role : ROLE_CLIENT]);
			}
	if (found) {
		int had = stored_role(m, &user);
		char uid[80];
		id_text(&user, uid, sizeof uid);
		if (had >= role && (bson_has_field(&user, "dashboardPin") || !doc_str(doc, "dashboardPin"))) {
			s->t.unchanged++;
		} else {
			bson_t *upd = BCON_NEW("$set", "{", "role", BCON_OID(&m->role_id[had >= role ? had : role]),
					       "updatedAt", BCON_DATE_TIME(m->now), "}");
			if (!bson_has_field(&user, "dashboardPin") && doc_str(doc, "dashboardPin")) {
				bson_destroy(upd);
				upd = BCON_NEW("$set", "{", "role", BCON_OID(&m->role_id[had >= role ? had : role]),
					       "dashboardPin", BCON_UTF8(doc_str(doc, "dashboardPin")),
					       "updatedAt", BCON_DATE_TIME(m->now), "}");
			}
			if (!m->dry) {
				bson_iter_t uit;
				bson_t uf = BSON_INITIALIZER;
				bool ok;
				bson_iter_init_find(&uit, &user, "_id");
				bson_append_iter(&uf, "_id", 3, &uit);
				ok = store_update_one(m->st, "users", &uf, upd, false, NULL, &se);
				bson_destroy(&uf);
				if (!ok) {
					bson_destroy(upd);
					bson_destroy(&user);
					store_failed(m, "users", &se);
					return;
				}
			}
			bson_destroy(upd);
			fprintf(m->out, "%s admins %s into users %s (%s): role %s, the account's password kept\n",
				m->dry ? "would merge" : "merged", id, uid, email,
				account_role_slug(had >= role ? had : role));
			s->t.updated++;
		}
		bson_destroy(&user);
		return;
	}
	bson_destroy(&user);
	{
		bson_t ins = BSON_INITIALIZER;
		const char *pw = doc_str(doc, "password");
		BSON_APPEND_OID(&ins, "_id", &oid);
		BSON_APPEND_UTF8(&ins, "email", email);
		if (pw && *pw)
			BSON_APPEND_UTF8(&ins, "password", pw);
		if (doc_str(doc, "dashboardPin"))
			BSON_APPEND_UTF8(&ins, "dashboardPin", doc_str(doc, "dashboardPin"));
		if (doc_str(doc, "givenName"))
			BSON_APPEND_UTF8(&ins, "givenName", doc_str(doc, "givenName"));
		BSON_APPEND_OID(&ins, "role", &m->role_id[role]);
		BSON_APPEND_BOOL(&ins, "newsletter", false);
		BSON_APPEND_BOOL(&ins, "isTemporary", false);
		BSON_APPEND_DATE_TIME(&ins, "emailVerifiedAt", doc_date(doc, "createdAt", m->now));
		BSON_APPEND_DATE_TIME(&ins, "createdAt", doc_date(doc, "createdAt", m->now));
		BSON_APPEND_DATE_TIME(&ins, "updatedAt", doc_date(doc, "updatedAt", m->now));
		if (!m->dry && !store_insert_one(m->st, "users", &ins, NULL, &se)) {
			bson_destroy(&ins);
			if (se.code == STORE_ERR_DUPLICATE_KEY) {
				report(m, &s->t, "admins", doc, "another account holds the same unique value");
				return;
			}
			store_failed(m, "users", &se);
			return;
		}
		bson_destroy(&ins);
		s->t.inserted++;
	}
	return;
failed:
	if (filter)
		bson_destroy(filter);
	store_failed(m, "users", &se);
}

static FILE *claims_out;

static void claims_line(const char *line)
{
	fprintf(claims_out, "claims: %s\n", line);
}

static bool known(const char *coll)
{
	if (strcmp(coll, "roles") == 0 || strcmp(coll, "admins") == 0)
		return true;
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		if (strcmp(rules[i].name, coll) == 0)
			return true;
	return false;
}

static void not_migrated(void *ctx, const bson_t *doc)
{
	struct step *s = ctx;
	char why[WHY_MAX];

	s->t.in++;
	(void)buf_fmt(why, sizeof why, "collection %s is not part of the new platform: not migrated",
		      s->coll);
	report(s->m, &s->t, s->coll, doc, why);
}

int migrate_run(store_t *st, const char *dump_dir, bool dry_run, int64_t now, FILE *out)
{
	static const char *const user_fields[] = { "email", NULL };
	static const char *const booking_fields[] = { "spaceType", "date", NULL };
	static const char *const admin_fields[] = { "email", "role", NULL };
	struct mig m = { .st = st, .dry = dry_run, .now = now, .out = out };
	char **colls = NULL;
	size_t ncolls = 0;
	long docs = 0, count;
	bool gz;
	int rc = 1;
	store_error_t se = { 0 };

	m.db = find_db(dump_dir);
	if (!m.db)
		return 1;
	if (!list_colls(m.db, &colls, &ncolls, &gz)) {
		fprintf(stderr, "cwc-ctl: migrate: %s: %s\n", m.db, strerror(errno));
		goto done;
	}
	if (gz) {
		fprintf(stderr, "cwc-ctl: migrate: %s holds both NAME.bson and NAME.bson.gz for a "
			"collection: keep one form; nothing was written\n", m.db);
		goto done;
	}
	if (!has_coll(m.db, "bookings")) {
		fprintf(stderr, "cwc-ctl: migrate: %s has users.bson but no bookings.bson: not a dump "
			"of the original database (expected users, bookings, and roles, admins, "
			"spaceconfigurations… when present); nothing was written\n", m.db);
		goto done;
	}
	/* every file readable, the core collections of the original's shape */
	for (size_t i = 0; i < ncolls; i++) {
		if (!read_coll(m.db, colls[i], &count, NULL, NULL))
			goto refused;
		docs += count;
	}
	if (!first_has(m.db, "users", user_fields, "accounts") ||
	    !first_has(m.db, "bookings", booking_fields, "bookings") ||
	    (has_coll(m.db, "admins") &&
	     !first_has(m.db, "admins", admin_fields, "back-office accounts")))
		goto refused;
	fprintf(out, "%s%s: the original's database, %zu collections, %ld documents\n",
		dry_run ? "dry run (nothing is written): " : "", m.db, ncolls, docs);
	if (!dry_run && !store_ensure_indexes(st, &se)) {
		fprintf(stderr, "cwc-ctl: migrate: indexes: %s\n", se.message);
		goto done;
	}
	if (!load_store_roles(&m))
		goto done;
	{
		struct step s = { .m = &m, .coll = "roles" };
		if (has_coll(m.db, "roles") && !read_coll(m.db, "roles", &count, roles_doc, &s))
			goto done;
		if (m.failed)
			goto done;
		if (!dry_run) {
			if (!account_ensure_roles(st, now, &se) || !load_store_roles(&m)) {
				store_failed(&m, "roles", &se);
				goto done;
			}
		} else {
			for (int r = ROLE_CLIENT; r <= ROLE_DEV; r++)
				m.have_role[r] = true;   /* would be created */
		}
		if (s.t.in)
			print_tally(&m, "roles", &s.t);
	}
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
		struct step s = { .m = &m, .coll = rules[i].name, .conv = rules[i].conv };
		if (!has_coll(m.db, rules[i].name))
			continue;
		if (!read_coll(m.db, rules[i].name, &count, step_doc, &s) || m.failed)
			goto done;
		print_tally(&m, rules[i].name, &s.t);
		if (strcmp(rules[i].name, "users") == 0 && has_coll(m.db, "admins")) {
			struct step a = { .m = &m, .coll = "admins" };
			if (!read_coll(m.db, "admins", &count, admins_doc, &a) || m.failed)
				goto done;
			print_tally(&m, "admins → users", &a.t);
		}
	}
	for (size_t i = 0; i < ncolls; i++) {
		struct step s = { .m = &m, .coll = colls[i] };
		if (known(colls[i]))
			continue;
		if (!read_coll(m.db, colls[i], &count, not_migrated, &s))
			goto done;
		print_tally(&m, colls[i], &s.t);
	}
	if (dry_run) {
		fprintf(out, "would claim the slots of up to %ld live bookings\n", m.live_bookings);
	} else {
		int claimed = 0, conflicts = 0;
		claims_out = out;
		if (!booking_claims_backfill(st, now, &claimed, &conflicts, claims_line, &se)) {
			fprintf(stderr, "cwc-ctl: migrate: claims: %s\n", se.message);
			goto done;
		}
		fprintf(out, "claimed the slots of %d live booking%s; %d in conflict\n", claimed,
			claimed == 1 ? "" : "s", conflicts);
	}
	fprintf(out, "total: %ld documents in = %ld converted (%ld %s, %ld %s, %ld unchanged) + "
		"%ld reported\n", m.total.in, m.total.inserted + m.total.updated + m.total.unchanged,
		m.total.inserted, dry_run ? "to insert" : "inserted", m.total.updated,
		dry_run ? "to update" : "updated", m.total.unchanged, m.total.reported);
	rc = 0;
	goto done;
refused:
	fprintf(stderr, "cwc-ctl: migrate: refused: %s is not the original's database; "
		"nothing was written\n", m.db);
done:
	for (size_t i = 0; i < ncolls; i++)
		free(colls[i]);
	free(colls);
	for (size_t i = 0; i < m.nseen; i++)
		bson_free(m.seen[i].email);
	free(m.seen);
	free(m.rmap);
	free(m.db);
	return rc;
}
