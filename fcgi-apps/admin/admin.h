/*
 * admin.h — the admin app's handlers.
 */
#ifndef CWC_ADMIN_H
#define CWC_ADMIN_H

#include "store/store.h"
#include "web/http.h"

#include <bson/bson.h>
#include <json-c/json.h>

/* account.c — sign-in for staff and above (SPEC §4) */
void admin_login(struct http_req *req);
void admin_logout(struct http_req *req);
void admin_session(struct http_req *req);
/* dashboard.c — GET /: the home page; GET /api/dashboard (SPEC §9):
 * today's lists, revenue (admins only), occupancy, bookings per day */
void admin_home(struct http_req *req);
void admin_dashboard(struct http_req *req);

/* badges.c — the sidebar's counts: bookings to validate, the member's
 * unread messages, unread contact mails, new quote requests */
enum { ADMIN_BADGES = 4 };
struct err;
bool admin_badge_counts(struct http_req *req, store_t *st, int64_t counts[ADMIN_BADGES], struct err *e);
/* {bookings, messages, contact, quotes}. New object. */
json_object *admin_badges_json(const int64_t counts[ADMIN_BADGES]);
void admin_badges(struct http_req *req);
/* The app's page_data hook: account_page_data(), the badges, badges.js. */
void admin_page_data(struct http_req *req, json_object *data);

/* customers.c — customers (SPEC §9): staff read, admins write */
#define ADMIN_TEAM (-1)   /* a list of staff, admins and devs */
void admin_users_list(struct http_req *req);
/* The list of `role` (an enum role, or ADMIN_TEAM), JSON or CSV. */
void admin_users_list_as(struct http_req *req, int role);
/* The page of users the query asks for (q, status, sort, page, limit) as
 * JSON objects (admin_user_json), with the total; false with the answer
 * finished. */
bool admin_users_find(struct http_req *req, store_t *st, int role, json_object **users,
		      int64_t *total, long *page, long *limit);
/* The customers (clients, not deleted) matching `q` (may be NULL; name,
 * e-mail, phone or company, folded: the list's ?q=) as GET /api/users
 * orders them, at most `limit`, as admin_user_json objects (a new array
 * into `users`), with the number of matches into `total`; false when the
 * store failed (se). */
bool admin_customers_search(store_t *st, const char *q, long limit, json_object **users, int64_t *total,
			    store_error_t *se);
void admin_user_get(struct http_req *req);
void admin_user_create(struct http_req *req);
/* Creates an invited account of role `slug` from the JSON body. */
void admin_user_create_as(struct http_req *req, const char *slug);
void admin_user_edit(struct http_req *req);
void admin_user_deactivate(struct http_req *req);
void admin_user_reactivate(struct http_req *req);
void admin_user_export(struct http_req *req);   /* GDPR, admins */
void admin_user_erase(struct http_req *req);    /* SPEC §4 deletion, admins */
/* A user as the back office sees it (profile, status, last login). */
json_object *admin_user_json(const bson_t *u, int role);
/* The path's :id user into `out` (initialised when true); a 404 finished
 * when the id is not an ObjectId or unknown. */
bool admin_load_user(struct http_req *req, store_t *st, bson_t *out, bson_oid_t *id);
/* admin_load_user() of an account not deleted (404) with its role: the
 * account a form acts on; false with the answer sent (`what` names a
 * store failure in the log) and nothing to free. */
bool admin_load_live_user(struct http_req *req, store_t *st, const char *what, bson_t *out, bson_oid_t *id,
			  int *role);
/* False with a 403 finished when the signed-in member may not act on the
 * account `id` of role `target` (their own, or above their role). */
bool admin_may_manage(struct http_req *req, const bson_oid_t *id, int target);

/* customer_pages.c — the customers' and the team's screens */
void admin_page_customers(struct http_req *req);
void admin_page_customer(struct http_req *req);
void admin_page_team(struct http_req *req);
void admin_form_customer_create(struct http_req *req);
void admin_form_customer_state(struct http_req *req);   /* deactivate / reactivate / erase */
void admin_form_team_invite(struct http_req *req);
void admin_form_team_role(struct http_req *req);

/* team.c — the team (SPEC §9, admins): members, invitations, roles */
void admin_team_list(struct http_req *req);
void admin_team_invite(struct http_req *req);
void admin_user_role(struct http_req *req);

/* booking.c — the staff's bookings API (SPEC §7 admin list) */
void admin_booking_list(struct http_req *req);
void admin_booking_create(struct http_req *req);
void admin_booking_get(struct http_req *req);
void admin_booking_edit(struct http_req *req);
void admin_booking_delete(struct http_req *req);   /* admins */
void admin_booking_fees(struct http_req *req);
void admin_booking_validate(struct http_req *req);
void admin_booking_reject(struct http_req *req);
void admin_booking_cancel(struct http_req *req);
void admin_booking_mark_present(struct http_req *req);
void admin_booking_mark_noshow(struct http_req *req);
void admin_booking_pending_count(struct http_req *req);
/* Moves the path's :id booking to `to` (only from `from` when not NULL)
 * as the signed-in staff member, with `reason` (may be ""), the fee
 * waived when asked (admins only: 403 otherwise); notes the change for
 * the audit log. `out` receives the booking (initialised on success). */
bool admin_booking_move(struct http_req *req, store_t *st, const char *from, const char *to,
			const char *reason, bool waive_fee, bson_t *out, struct err *e);
/* The booking as the staff see it (notes included). Caller puts it. */
json_object *admin_booking_json(const bson_t *b);
/* The list's filters of the query (status, spaceType, from, to, customer,
 * q) appended to `filter`; false with a 400 naming the parameter in `e`. */
bool admin_booking_filter(struct http_req *req, bson_t *filter, struct err *e);
/* Creates the booking `body` describes (the members of POST
 * /api/booking/reservations) as the signed-in staff member; notes it for
 * the audit log. `out` receives it (initialised on success), `rq` and `q`
 * the request and its quote; false with the error in `e`. */
struct booking_request;
struct booking_quote;
bool admin_booking_create_from(struct http_req *req, store_t *st, json_object *body, bson_t *out,
			       struct booking_request *rq, struct booking_quote *q, struct err *e);

/* The customer's account `hex` (the `customer` of a staff booking) into
 * `out` (initialised when true) and its id: a client's account, not
 * deleted; otherwise 422 validation_failed on `customer` (an unknown,
 * erased or staff account alike), or the store's failure, in `e`. */
bool admin_booking_customer(store_t *st, const char *hex, bson_t *out, bson_oid_t *id, struct err *e);

/* booking_csv.c — ?format=csv of GET /api/booking/reservations: the list's
 * bookings matching `filter` in `sort` order, streamed (web/csv.h) and
 * noted as an export. False (nothing sent) when the query cannot start. */
bool admin_booking_csv(struct http_req *req, store_t *st, const bson_t *filter, const bson_t *sort,
		       store_error_t *se);

/* booking_pages.c — the staff's booking screens (SPEC §9 bookings) */
void admin_page_bookings(struct http_req *req);
void admin_page_agenda(struct http_req *req);
void admin_page_booking(struct http_req *req);
void admin_page_booking_new(struct http_req *req);
void admin_page_booking_cancel(struct http_req *req);
void admin_form_booking_create(struct http_req *req);
void admin_form_booking_validate(struct http_req *req);
void admin_form_booking_reject(struct http_req *req);
void admin_form_booking_cancel(struct http_req *req);
void admin_form_booking_mark_present(struct http_req *req);
void admin_form_booking_mark_noshow(struct http_req *req);
/* A booking's fields as the screens write them, for other screens: the
 * space ("Salle Verrière"), the day ("mar. 12 janv. 2027"); its status's
 * word and badge are booking/status.h's. */
const char *admin_booking_space_label(const char *type);
void admin_booking_day(int64_t day, char *out, size_t outlen);

/* customer_pick.c — the customer chooser of the booking form: sets
 * data.pick {choices [{id, name, email, phone, checked}], walkIn, status}:
 * the account `chosen` (may be NULL) first and checked when it is a
 * customer's, then with `search` up to 10 customers matching `query` and
 * `status`, the count said to screen readers. Returns 0, or 422 when
 * `chosen` is refused (no customer's) or 503 when the store failed:
 * errors.customer then says it in French, unless already set. */
int admin_customer_pick(store_t *st, json_object *data, json_object *errors, const char *chosen,
			const char *query, bool search);
/* What the form says of a `customer` refused (unknown, erased, staff). */
extern const char *const admin_customer_pick_refused;

/* settings.c — GET/POST /api/booking-settings (admins) */
void admin_settings_get(struct http_req *req);
void admin_settings_post(struct http_req *req);
/* Checks and writes the members of `in` (those of POST
 * /api/booking-settings), noting the change for the audit log. */
bool admin_settings_apply(struct http_req *req, store_t *st, json_object *in, struct err *e);

/* catalogue.c — spaces, services, hours and closures (SPEC §9: staff
 * read, admins write) */
void admin_spaces_list(struct http_req *req);
void admin_space_get(struct http_req *req);
void admin_space_create(struct http_req *req);
void admin_space_update(struct http_req *req);
void admin_space_deactivate(struct http_req *req);
void admin_space_preview_api(struct http_req *req);
void admin_services_list(struct http_req *req);
void admin_service_create(struct http_req *req);
void admin_service_update(struct http_req *req);
void admin_service_deactivate(struct http_req *req);
void admin_hours_get(struct http_req *req);
void admin_hours_put(struct http_req *req);
void admin_closure_add(struct http_req *req);
void admin_closure_delete(struct http_req *req);
void admin_annual_closure_delete(struct http_req *req);
/* The café's day today (Europe/Paris). */
int64_t admin_catalogue_today(void);
/* Writes a space (`type` NULL: creates one) / a service (`id` NULL:
 * creates one) from `in` and notes it for the audit log; `after`
 * initialised on success. */
bool admin_space_write(struct http_req *req, store_t *st, const char *type, json_object *in, bson_t *after,
		       struct err *e);
bool admin_service_write(struct http_req *req, store_t *st, const char *id, json_object *in, bson_t *after,
			 struct err *e);
/* The quote of `example` (the members of POST /api/calculate-price but
 * spaceType) for the space `type` with the unsaved members `space_in`
 * merged in; false with the refusal in `e` (an example's field is named
 * "example.<field>"). */
bool admin_space_preview(store_t *st, const char *type, json_object *space_in, json_object *example,
			 struct booking_quote *q, struct err *e);

/* catalogue_pages.c — the catalogue's screens (forms posting to the
 * same functions as the API) and the booking settings' screen */
void admin_page_spaces(struct http_req *req);
void admin_page_space(struct http_req *req);
void admin_page_space_new(struct http_req *req);
void admin_form_space(struct http_req *req);
void admin_form_space_create(struct http_req *req);
void admin_form_space_deactivate(struct http_req *req);
/* POST /booking/space-preview: the space's form → {preview} or {error} (JSON) */
void admin_space_preview_form(struct http_req *req);
void admin_page_services(struct http_req *req);
void admin_page_service(struct http_req *req);
void admin_page_service_new(struct http_req *req);
void admin_form_service(struct http_req *req);
void admin_form_service_create(struct http_req *req);
void admin_form_service_deactivate(struct http_req *req);
void admin_page_hours(struct http_req *req);
void admin_form_hours(struct http_req *req);
void admin_form_closure_add(struct http_req *req);
void admin_form_closure_delete(struct http_req *req);
void admin_form_annual_closure_delete(struct http_req *req);
void admin_page_settings(struct http_req *req);
void admin_form_settings(struct http_req *req);

/* payments.c — the bookings' money (admins): GET /api/payments (JSON, or
 * ?format=csv, audited), GET /booking/payments (the page); a payment as
 * JSON (new object) and a booking's payments, oldest first (NULL with
 * `se` on a store error). */
void admin_payments_list(struct http_req *req);
void admin_page_payments(struct http_req *req);
json_object *admin_payment_json(store_t *st, const bson_t *payment);
json_object *admin_payments_of_booking(store_t *st, const bson_oid_t *booking, store_error_t *se);

/* blog.c — the blog's admin API (SPEC §9 blog; content/article_admin.h) */
void admin_blog_articles_list(struct http_req *req);
void admin_blog_article_get(struct http_req *req);
void admin_blog_article_create(struct http_req *req);
void admin_blog_article_update(struct http_req *req);
void admin_blog_article_delete(struct http_req *req);
void admin_blog_preview(struct http_req *req);
void admin_blog_categories_list(struct http_req *req);
void admin_blog_category_create(struct http_req *req);
void admin_blog_category_update(struct http_req *req);
void admin_blog_category_delete(struct http_req *req);
/* The author recorded on a new article: the signed-in user's e-mail. */
const char *admin_blog_author(struct http_req *req);

/* blog_pages.c — the blog's screens: articles, editor, categories */
void admin_page_blog_articles(struct http_req *req);
void admin_page_blog_article_new(struct http_req *req);
void admin_page_blog_article(struct http_req *req);
void admin_form_blog_article_create(struct http_req *req);
void admin_form_blog_article_update(struct http_req *req);
void admin_form_blog_article_delete(struct http_req *req);
void admin_form_blog_article_image(struct http_req *req);
void admin_page_blog_categories(struct http_req *req);
void admin_form_blog_category_create(struct http_req *req);
void admin_form_blog_category_update(struct http_req *req);
void admin_form_blog_category_delete(struct http_req *req);

/* upload.c — images: local WebP variants, or Cloudinary signatures */
void admin_upload(struct http_req *req);
void admin_upload_signature(struct http_req *req);
/* Where an editor's image field sends a file (blog-editor.js): the
 * signature route when Cloudinary is configured, else /api/uploads. */
const char *admin_upload_endpoint(void);
/* Uploads are stored here (no Cloudinary): the editors' no-script form. */
bool admin_upload_local(void);
/* The image of a plain form (multipart/form-data, its file field `image`)
 * stored like POST /api/uploads (content/upload.h); its address (the
 * widest variant) into *url, which the caller frees. False with a French
 * message for the field "image" in `e`: Cloudinary configured (409), a
 * malformed form (400), no file (400), the upload's refusals (415, 422)
 * or a file that cannot be written (500). */
bool admin_upload_form_image(struct http_req *req, char **url, struct err *e);

/* audit.c — GET /audit-log: the audit log's screen (admins) */
void admin_page_audit(struct http_req *req);
void admin_page_audit_entry(struct http_req *req);   /* GET /audit-log/:id */

/* events (events.c): pages and forms, every write audited */
void admin_page_events(struct http_req *req);
void admin_page_event_new(struct http_req *req);
void admin_page_event(struct http_req *req);
void admin_form_event_create(struct http_req *req);
void admin_form_event_update(struct http_req *req);
void admin_form_event_image(struct http_req *req);
void admin_form_event_publish(struct http_req *req);
void admin_form_event_unpublish(struct http_req *req);
void admin_form_event_duplicate(struct http_req *req);
void admin_form_event_cancel(struct http_req *req);
void admin_form_event_registration_cancel(struct http_req *req);
void admin_event_registrations(struct http_req *req);
void admin_api_events(struct http_req *req);
void admin_api_event_registrations(struct http_req *req);

/* lists.c — shared by the content screens */
void admin_set_str(json_object *o, const char *key, const char *value);
/* data.alert {kind, message}: the notice a page shows above its content. */
void admin_alert(json_object *data, const char *kind, const char *message);
/* The store, or NULL with a 503 page sent. */
store_t *admin_page_store(struct http_req *req);
/* The path's :id document of `coll` into `out` (initialised when true)
 * and its id; false with the page answered: 404 (a malformed or unknown
 * id) or 503. */
bool admin_load(struct http_req *req, store_t *st, const char *coll, bson_t *out, bson_oid_t *id);
/* Applies `update` to the `coll` document `id` and audits it (the path's
 * :id) against `before` when it was found; false: the store failed (se). */
bool admin_update_noted(struct http_req *req, store_t *st, const char *coll, const bson_oid_t *id,
			const bson_t *update, const bson_t *before, store_error_t *se);
/* Deletes the `coll` document `id` and audits it (the path's :id,
 * `before`); false: the store failed (logged). */
bool admin_delete_noted(struct http_req *req, store_t *st, const char *coll, const bson_oid_t *id,
			const bson_t *before);
/* "06/12/2026 14:05" in Paris (as the blog's and payments' lists), "—"
 * for ms ≤ 0. */
void admin_when(int64_t ms, char *out, size_t len);
/* data.pager {page, pages, prev, next} when there are several pages; the
 * links keep the query parameters named in `keep` (NULL-terminated). */
void admin_pager(struct http_req *req, json_object *data, long page, int64_t total, long per_page,
		 const char *const *keep);
/* A list screen of the back office, in one table per screen: the
 * documents of `collection` that each of a call's filters ("passes")
 * finds, one pass after the other (the inbox's unread mails first), each
 * in `sort`'s order, `per_page` a page. */
struct admin_list {
	const char *collection;
	const char *const *keep;   /* the query's filters the pager's links keep */
	long per_page;
	const bson_t *sort;
	/* the row a document shows: a new object; or, instead, fills one */
	json_object *(*row)(const bson_t *doc, void *ctx);
	void (*fields)(json_object *row, const bson_t *doc);
	/* optional: false leaves out a document the store found (a substring
	 * search); every document of the pass is then read */
	bool (*match)(const bson_t *doc, void *ctx);
	void *ctx;
	bool past_end_404;         /* page > 1 without a row: 404 */
};
/* One control of a list's filter form (templates/admin-filters.html):
 * a select when `options` is given, else an input of `type`. */
struct admin_filter {
	const char *name, *id, *label;
	const char *type;            /* an input's: "search", "date", NULL (text) */
	json_object *options;        /* a select's [{value, label, selected}]: taken */
	const char *all;             /* a select's empty choice: "Tous" */
	const char *value;           /* an input's value instead of the query's */
	const char *placeholder;
	int maxlength;
	const char *error;           /* said next to the input */
};
/* data.filterForm {action, submit: "Filtrer", wide: false, fields} of the
 * n filters, the inputs holding the query's values. Returns the form
 * (borrowed from data) for a screen to change submit or wide. */
json_object *admin_filter_form(struct http_req *req, json_object *data, const char *action,
			       const struct admin_filter *f, size_t n);
/* Fills data with rows (page `page` of the n passes), total,
 * hasRows and the pager; counts[i] (counts may be NULL) gets the number
 * of documents of pass i. Returns 200, 404 (a page past the last, with
 * past_end_404) or 503 (the store failed; logged). */
int admin_list(struct http_req *req, store_t *st, const struct admin_list *l, const bson_t *const *passes,
	       size_t n, long page, json_object *data, int64_t *counts);
/* admin_list() without the page: the rows of page `page` of the n passes
 * into `rows`, *total their documents, counts[i] (counts may be NULL)
 * pass i's; false: the store failed (se). */
bool admin_list_rows(store_t *st, const struct admin_list *l, const bson_t *const *passes, size_t n, long page,
		     json_object *rows, int64_t *total, int64_t *counts, store_error_t *se);
/* The API's list: {key: the rows of page `page` of `filter`, pagination
 * (http_pagination, l->per_page a page)}; NULL: the store failed (se). */
json_object *admin_list_json(store_t *st, const struct admin_list *l, const bson_t *filter, long page,
			     const char *key, store_error_t *se);
/* Renders `tpl` with status 200, or answers the 404/503 of admin_list();
 * takes data in every case. */
void admin_list_render(struct http_req *req, int status, const char *tpl, json_object *data);
/* [{value, label, selected}] of parallel NULL-terminated lists. New array. */
json_object *admin_options(const char *const *values, const char *const *labels, const char *selected);
/* `needle` in `hay`, ASCII case folded (an empty needle is everywhere). */
bool admin_contains_folded(const char *hay, const char *needle);

/* newsletter.c — the subscribers (admins): GET /newsletter, ?format=csv */
void admin_page_newsletter(struct http_req *req);

/* quotes.c — privatization quote requests (staff) */
void admin_page_quotes(struct http_req *req);
void admin_page_quote(struct http_req *req);
void admin_form_quote(struct http_req *req);

/* inbox.c — contact mails (staff): unread first, read, reply, archive */
void admin_page_contact_mails(struct http_req *req);
void admin_page_contact_mail(struct http_req *req);
void admin_form_contact_read(struct http_req *req);
void admin_form_contact_reply(struct http_req *req);
void admin_form_contact_archive(struct http_req *req);

/* menu.c — the menu's categories and items (staff) */
void admin_page_menu(struct http_req *req);
void admin_form_menu_category_create(struct http_req *req);
void admin_form_menu_category_update(struct http_req *req);
void admin_form_menu_category_delete(struct http_req *req);
void admin_page_menu_category(struct http_req *req);
void admin_form_menu_item_create(struct http_req *req);
void admin_form_menu_item_update(struct http_req *req);
void admin_form_menu_item_delete(struct http_req *req);

#endif
