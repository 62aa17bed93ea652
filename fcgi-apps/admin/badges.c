/*
 * badges.c — the sidebar's counts (SPEC §9 navigation): bookings to
 * validate, the signed-in member's unread messages, unread contact mails,
 * new quote requests. GET /api/badges answers them; the app's page_data
 * hook puts them in every page's sidebar (right after a reload), and
 * public/badges.js re-reads /api/badges when the relay sends a `badge`
 * event (docs/relay.md). A collection that does not exist yet counts 0.
 */
#include "admin.h"
#include "account/api.h"
#include "account/page.h"
#include "account/role.h"
#include "assets.h"
#include "conn/conn.h"
#include "core/doc.h"
#include "web/page.h"

static const char *const badge_names[ADMIN_BADGES] = { "bookings", "messages", "contact", "quotes" };

/* The member's unread messages, as the messenger counts them (common/chat
 * api.c, the staff's view): in their own conversations, the participant's
 * unreadCount; in a customer's conversation they never opened, the
 * messages others sent that they have not read. */
static bool unread_messages(store_t *st, const bson_oid_t *me, int64_t *out, store_error_t *se)
{
	bson_t *f = BCON_NEW("isDeleted", "{", "$ne", BCON_BOOL(true), "}",
			     "$or", "[", "{", "type", BCON_UTF8("direct"), "}",
			     "{", "participants.user", BCON_OID(me), "}", "]");
	bson_t *proj = BCON_NEW("participants", BCON_INT32(1));
	store_find_opts_t opts = { .projection = proj };
	store_cursor_t *cur = store_find(st, "conversations", f, &opts, se);
	const bson_t *c;
	bool ok = cur != NULL;

	bson_destroy(f);
	bson_destroy(proj);
	*out = 0;
	while (ok && store_cursor_next(cur, &c)) {
		bson_iter_t it, arr;
		bool mine = false;
		bson_oid_t cid;
		if (bson_iter_init_find(&it, c, "participants") && BSON_ITER_HOLDS_ARRAY(&it) &&
		    bson_iter_recurse(&it, &arr)) {
			while (!mine && bson_iter_next(&arr)) {
				bson_t part;
				const uint8_t *data;
				uint32_t len;
				bson_oid_t uid;
				if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
					continue;
				bson_iter_document(&arr, &len, &data);
				if (!bson_init_static(&part, data, len) || !doc_oid(&part, "user", &uid) ||
				    !bson_oid_equal(&uid, me))
					continue;
				*out += doc_int(&part, "unreadCount", 0);
				mine = true;
			}
		}
		if (!mine && doc_oid(c, "_id", &cid)) {
			int64_t n = 0;
			bson_t *mf = BCON_NEW("conversation", BCON_OID(&cid),
					      "sender", "{", "$ne", BCON_OID(me), "}",
					      "readBy.user", "{", "$ne", BCON_OID(me), "}");
			ok = store_count(st, "messages", mf, &n, se);
			bson_destroy(mf);
			*out += n;
		}
	}
	if (cur) {
		if (store_cursor_error(cur, se))
			ok = false;
		store_cursor_destroy(cur);
	}
	return ok;
}

bool admin_badge_counts(struct http_req *req, store_t *st, int64_t counts[ADMIN_BADGES], struct err *e)
{
	const struct auth_session *me = auth_session(req);
	store_error_t se = { 0 };
	bson_t *f;
	bool ok;

	for (int i = 0; i < ADMIN_BADGES; i++)
		counts[i] = 0;
	f = BCON_NEW("status", BCON_UTF8("pending"));
	ok = store_count(st, "bookings", f, &counts[0], &se);
	bson_destroy(f);
	if (ok && me)
		ok = unread_messages(st, &me->user_id, &counts[1], &se);
	if (ok) {
		f = BCON_NEW("status", BCON_UTF8("unread"));
		ok = store_count(st, "contactmails", f, &counts[2], &se);
		bson_destroy(f);
	}
	if (ok) {
		f = BCON_NEW("status", "{", "$in", "[", BCON_UTF8("new"), BCON_UTF8("pending"), "]", "}");
		ok = store_count(st, "quoterequests", f, &counts[3], &se);
		bson_destroy(f);
	}
	return ok || store_fail(e, "badges", &se);
}

json_object *admin_badges_json(const int64_t counts[ADMIN_BADGES])
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < ADMIN_BADGES; i++)
		json_object_object_add(o, badge_names[i], json_object_new_int64(counts[i]));
	return o;
}

void admin_badges(struct http_req *req)
{
	store_t *st = http_store(req);
	int64_t counts[ADMIN_BADGES];
	json_object *o;
	struct err e;

	if (!st)
		return;
	if (!admin_badge_counts(req, st, counts, &e)) {
		http_send_err(req, &e);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "badges", admin_badges_json(counts));
	http_send_json(req, 200, o);
}

void admin_page_data(struct http_req *req, json_object *data)
{
	json_object *user = NULL, *assets = NULL;
	int64_t counts[ADMIN_BADGES];
	store_error_t se = { 0 };
	store_t *st;
	struct err e;

	account_page_data(req, data);
	if (!req->session || req->role < ROLE_STAFF)
		return;
	if (json_object_object_get_ex(data, "user", &user)) {
		json_object_object_add(user, "isStaff", json_object_new_boolean(true));
		json_object_object_add(user, "isDev", json_object_new_boolean(req->role >= ROLE_DEV));
	}
	if (json_object_object_get_ex(data, "assets", &assets))
		json_object_object_add(assets, "badgesJs", json_object_new_string(ASSET_BADGES_JS));
	/* best effort: a page still renders when the counts cannot be read */
	if ((st = conn_store(&se)) && admin_badge_counts(req, st, counts, &e)) {
		json_object *b = admin_badges_json(counts);
		for (int i = 0; i < ADMIN_BADGES; i++)
			if (counts[i] > 0)
				json_object_object_add(b, "any", json_object_new_boolean(true));
		json_object_object_add(data, "badges", b);
	}
}
