/*
 * event.h — the café's events (SPEC §8 `events`): what the site lists and
 * shows, what the back office writes, and the demo events.
 *
 * An event is public when its status is "published" and it has not ended
 * (`endsAt` > now; `endsAt` and `startsAt` are stored with the event,
 * computed from its local `date`, `startTime` and `endTime` in
 * Europe/Paris, booking/calendar.h). Cancelled, draft and archived events
 * and past ones are never public.
 *
 * Money: `priceCents` (integer cents) is what a ticket costs; `price`
 * (euros) is kept for the original's readers. An event is paid when its
 * priceType is "fixed" and priceCents > 0; its tickets go through a Stripe
 * Checkout Session (registration.h).
 *
 * Seats: `maxParticipants` seats; the seats taken are counted from the
 * seat claims of registration.h (never from a counter), and
 * `currentParticipants` is refreshed from them after every change, for
 * the original's readers only.
 *
 * JSON given back is a new json-c object owned by the caller; errors fill
 * a struct err (404 not_found, 400 validation_failed naming the field,
 * 409 slug_taken, or the store's).
 */
#ifndef CWC_CONTENT_EVENT_H
#define CWC_CONTENT_EVENT_H

#include "core/err.h"
#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define EVENT_PER_PAGE 12
#define EVENT_TITLE_MAX 200
#define EVENT_SHORT_MAX 300
#define EVENT_DESCRIPTION_MAX 20000
#define EVENT_CAPACITY_MAX 1000
#define EVENT_IMAGE_MAX 1000   /* the image's address (imgSrc), in bytes */

/* The categories the back office offers (the original's defaults). */
extern const char *const event_categories_all[];

struct event_query {
	const char *category;   /* one category name, or NULL */
	int page;               /* from 1 */
	int per_page;
};

/* One page of public events, soonest first: *items (array of the public
 * form, see event_public_json()) and *total. */
bool event_list(store_t *st, int64_t now, const struct event_query *q,
		json_object **items, int64_t *total, struct err *e);

/* The next `limit` public events (the next to end), shown soonest first,
 * in their public form without the description, seats from their stored
 * currentParticipants: the home page's teaser, one query read in the
 * order of the (status, endsAt) index. */
bool event_upcoming(store_t *st, int64_t now, int limit, json_object **items, struct err *e);

/* The categories of the public events, each {name, count}, by name. */
bool event_categories(store_t *st, int64_t now, json_object **items, struct err *e);

/* The public event `slug` in its public form plus `html` (the Markdown
 * description rendered by core/markdown.h); 404 not_found otherwise.
 * `doc` (may be NULL) gets the stored document (caller destroys). */
bool event_get_public(store_t *st, int64_t now, const char *slug, json_object **out,
		      bson_t *doc, struct err *e);

/* The public form of a stored event (no createdBy, contactEmail,
 * relatedBooking): its fields plus dateLabel ("samedi 12 décembre
 * 2026"), timeLabel ("18:30 – 20:00"), priceLabel ("Gratuit", "15 €"),
 * paid, seatsLeft, full, url. `taken` is the seats taken. */
json_object *event_public_json(const bson_t *doc, int64_t taken);

/* "samedi 12 décembre 2026" for a "YYYY-MM-DD" date; "" when malformed. */
void event_date_label(const char *date, char *out, size_t outlen);
/* Parses "12", "12,5", "12.50" euros into cents; false when it is not a
 * non-negative amount with at most two decimals (or above 100000 €). */
bool event_parse_euros(const char *s, int64_t *cents);

/* A stored event by id or slug; *found says whether there was one (`out`
 * is initialised whenever this returns true). */
bool event_find(store_t *st, const bson_oid_t *id, const char *slug, bson_t *out,
		bool *found, store_error_t *se);

/* ---- the back office ---------------------------------------------------- */

struct event_input {
	const char *title, *slug, *category, *short_description, *description;
	const char *date, *start_time, *end_time, *location;
	const char *capacity;     /* text of an integer 1..EVENT_CAPACITY_MAX */
	const char *price;        /* euros as typed ("" or "0": free) */
	const char *img_src, *img_alt;   /* may be NULL */
	bool published;
};

/* Checks `in`: 400 validation_failed naming the field (title, slug,
 * category, description, date, startTime, endTime, location,
 * maxParticipants, price, imgSrc — an https:// address or a path of the
 * site, as content/upload.h gives —, imgAlt). An empty slug is made from
 * the title. */
bool event_check(const struct event_input *in, struct err *e);

/* Creates (id NULL) or updates the event; *out_id (may be NULL) gets its
 * id. `before`/`after` (may be NULL; initialised when this returns true)
 * get the document before (empty for a create) and after, for the audit.
 * 404 not_found, 409 slug_taken, or event_check()'s. A cancelled event
 * keeps its status. */
bool event_save(store_t *st, int64_t now, const bson_oid_t *id, const struct event_input *in,
		const bson_oid_t *created_by, bson_oid_t *out_id, bson_t *before, bson_t *after,
		struct err *e);

/* Publishes or unpublishes (back to draft) the event; a cancelled event
 * is 409 event_cancelled. before/after as event_save(). */
bool event_set_published(store_t *st, int64_t now, const bson_oid_t *id, bool published,
			 bson_t *before, bson_t *after, struct err *e);

/* A draft copy of the event, "(copie)" after its title and a free slug;
 * *out_id gets the copy's id; `after` its document. */
bool event_duplicate(store_t *st, int64_t now, const bson_oid_t *id, const bson_oid_t *created_by,
		     bson_oid_t *out_id, bson_t *after, struct err *e);

/* The back office's list: every event not archived, soonest first, page
 * of `per_page`; each row the public form plus status and registrations. */
bool event_admin_list(store_t *st, int64_t now, int page, int per_page, json_object **items,
		      int64_t *total, struct err *e);

/* Demo events (free and paid, one full, long titles), from today on;
 * existing slugs are left alone. `report` gets a line per event. */
bool event_seed(store_t *st, int64_t now, void (*report)(const char *), struct err *e);

#endif
