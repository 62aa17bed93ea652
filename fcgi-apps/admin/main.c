/*
 * admin — the back office (SPEC §9) and its JSON API, as a pre-forked
 * FastCGI server behind Caddy. Every route states its minimum role.
 *
 * This file is the route table; handlers live in one file per concept.
 */
#include "account/role.h"
#include "admin.h"
#include "account/api.h"
#include "account/page.h"
#include "audit/api.h"
#include "booking/api.h"
#include "chat/api.h"
#include "chat/page.h"
#include "core/config.h"
#include "web/health.h"
#include "mail/templates.h"
#include "web/page.h"
#include "web/server.h"

static const struct route admin_routes[] = {
	{ HTTP_GET, "/api/health", health_get, ROLE_PUBLIC, 0 },

	/* accounts (account.c): staff, admin and dev only */
	{ HTTP_POST, "/api/auth/login", admin_login, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/logout", admin_logout, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/api/auth/session", admin_session, ROLE_STAFF, 0 },
	{ HTTP_GET, "/api/dashboard", admin_dashboard, ROLE_STAFF, 0 },
	{ HTTP_GET, "/api/badges", admin_badges, ROLE_STAFF, 0 },

	/* customers (customers.c): staff read, admins write; ?format=csv is an audited export */
	{ HTTP_GET, "/api/users", admin_users_list, ROLE_STAFF, ROUTE_AUDIT },
	{ HTTP_POST, "/api/users", admin_user_create, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_GET, "/api/users/:id", admin_user_get, ROLE_STAFF, 0 },
	{ HTTP_PUT | HTTP_PATCH, "/api/users/:id", admin_user_edit, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_DELETE, "/api/users/:id", admin_user_erase, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_POST, "/api/users/:id/deactivate", admin_user_deactivate, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/users/:id/reactivate", admin_user_reactivate, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_GET, "/api/users/:id/export", admin_user_export, ROLE_ADMIN, ROUTE_AUDIT },
	/* the team (team.c): admins; the dev role by a dev only */
	{ HTTP_GET, "/api/team", admin_team_list, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_POST, "/api/team", admin_team_invite, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_PUT, "/api/users/:id/role", admin_user_role, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },

	/* the staff messenger (common/chat/api.c) */
	{ HTTP_GET, "/api/conversations", chat_conversations_list, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/conversations", chat_conversations_create, ROLE_STAFF, ROUTE_JSON },
	{ HTTP_GET, "/api/conversations/:id/messages", chat_messages_list, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/conversations/:id/messages", chat_messages_send, ROLE_STAFF, ROUTE_JSON },
	{ HTTP_POST, "/api/conversations/:id/read", chat_mark_read, ROLE_STAFF, ROUTE_JSON },
	{ HTTP_GET, "/api/messages/ticket", chat_ticket, ROLE_STAFF, 0 },

	/* bookings (booking.c): every write is audited (booking.reservations.cancel…) */
	{ HTTP_GET, "/api/booking/reservations", admin_booking_list, ROLE_STAFF, ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/reservations", admin_booking_create, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_GET, "/api/booking/reservations/:id", admin_booking_get, ROLE_STAFF, 0 },
	{ HTTP_PUT | HTTP_PATCH, "/api/booking/reservations/:id", admin_booking_edit, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_DELETE, "/api/booking/reservations/:id", admin_booking_delete, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_GET, "/api/booking/reservations/:id/cancellation-fees", admin_booking_fees, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/booking/reservations/:id/validate", admin_booking_validate, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/reservations/:id/reject", admin_booking_reject, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/reservations/:id/cancel", admin_booking_cancel, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/reservations/:id/mark-present", admin_booking_mark_present, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/reservations/:id/mark-noshow", admin_booking_mark_noshow, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_GET, "/api/booking/pending-count", admin_booking_pending_count, ROLE_STAFF, 0 },
	/* the bookings' money (payments.c): admins only; the CSV export audited */
	{ HTTP_GET, "/api/payments", admin_payments_list, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_POST, "/api/calculate-price", booking_api_calculate_price, ROLE_STAFF, ROUTE_JSON },

	/* booking settings (settings.c): admins */
	{ HTTP_GET, "/api/booking-settings", admin_settings_get, ROLE_ADMIN, 0 },
	{ HTTP_POST, "/api/booking-settings", admin_settings_post, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT | ROUTE_SINGLETON },

	/* the catalogue (catalogue.c): staff read, admins write, audited */
	{ HTTP_GET, "/api/booking/spaces", admin_spaces_list, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/booking/spaces", admin_space_create, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_GET, "/api/booking/spaces/:spaceType", admin_space_get, ROLE_STAFF, 0 },
	{ HTTP_PUT | HTTP_PATCH, "/api/booking/spaces/:spaceType", admin_space_update, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/spaces/:spaceType/deactivate", admin_space_deactivate, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/space-preview", admin_space_preview_api, ROLE_STAFF, ROUTE_JSON },
	{ HTTP_GET, "/api/booking/services", admin_services_list, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/booking/services", admin_service_create, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_PUT | HTTP_PATCH, "/api/booking/services/:id", admin_service_update, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_POST, "/api/booking/services/:id/deactivate", admin_service_deactivate, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_GET, "/api/settings/hours", admin_hours_get, ROLE_STAFF, 0 },
	{ HTTP_PUT, "/api/settings/hours", admin_hours_put, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT | ROUTE_SINGLETON },
	{ HTTP_POST, "/api/settings/hours/closures", admin_closure_add, ROLE_ADMIN, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_DELETE, "/api/settings/hours/closures/:index", admin_closure_delete, ROLE_ADMIN, ROUTE_AUDIT },
	{ HTTP_DELETE, "/api/settings/hours/annual-closures/:day", admin_annual_closure_delete, ROLE_ADMIN, ROUTE_AUDIT },
	/* events, read (events.c): the original's admin paths */
	{ HTTP_GET, "/api/events", admin_api_events, ROLE_STAFF, 0 },
	{ HTTP_GET, "/api/events/:id/registrations", admin_api_event_registrations, ROLE_STAFF, 0 },
	/* the blog (blog.c): staff; every write audited (blog.articles.create…) */
	{ HTTP_GET, "/api/blog/articles", admin_blog_articles_list, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/blog/articles", admin_blog_article_create, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_GET, "/api/blog/articles/:id", admin_blog_article_get, ROLE_STAFF, 0 },
	{ HTTP_PUT | HTTP_PATCH, "/api/blog/articles/:id", admin_blog_article_update, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_DELETE, "/api/blog/articles/:id", admin_blog_article_delete, ROLE_STAFF, ROUTE_AUDIT },
	{ HTTP_POST, "/api/blog/preview", admin_blog_preview, ROLE_STAFF, ROUTE_JSON },
	{ HTTP_GET, "/api/blog/categories", admin_blog_categories_list, ROLE_STAFF, 0 },
	{ HTTP_POST, "/api/blog/categories", admin_blog_category_create, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_PUT | HTTP_PATCH, "/api/blog/categories/:id", admin_blog_category_update, ROLE_STAFF, ROUTE_JSON | ROUTE_AUDIT },
	{ HTTP_DELETE, "/api/blog/categories/:id", admin_blog_category_delete, ROLE_STAFF, ROUTE_AUDIT },

	/* images for articles and events (upload.c): staff */
	{ HTTP_POST, "/api/uploads", admin_upload, ROLE_STAFF, ROUTE_UPLOAD | ROUTE_AUDIT },
	{ HTTP_POST, "/api/uploads/signature", admin_upload_signature, ROLE_STAFF, ROUTE_JSON },

	/* the audit log (common/audit/api.c) */
	{ HTTP_GET, "/api/audit-log", audit_api_list, ROLE_ADMIN, 0 },
	{ HTTP_GET, "/api/audit-log/:id", audit_api_get, ROLE_ADMIN, 0 },
	{ HTTP_GET, "/api/audit", audit_api_list, ROLE_ADMIN, 0 },          /* the name of SPEC §9 */
	{ HTTP_GET, "/api/audit/:id", audit_api_get, ROLE_ADMIN, 0 },

	/* pages */
	{ HTTP_GET, "/", admin_home, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/login", login_page, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_POST, "/login", login_page_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/messages", chat_page, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/audit-log", admin_page_audit, ROLE_ADMIN, ROUTE_PAGE },
	{ HTTP_GET, "/audit-log/:id", admin_page_audit_entry, ROLE_ADMIN, ROUTE_PAGE },
	/* customers and team (customer_pages.c): forms audited as the API's routes */
	{ HTTP_GET, "/customers", admin_page_customers, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/customers", admin_form_customer_create, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/customers/:id", admin_page_customer, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/customers/:id/deactivate", admin_form_customer_state, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/customers/:id/reactivate", admin_form_customer_state, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/customers/:id/erase", admin_form_customer_state, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/team", admin_page_team, ROLE_ADMIN, ROUTE_PAGE },
	{ HTTP_POST, "/team", admin_form_team_invite, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/team/:id/role", admin_form_team_role, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	/* bookings (booking_pages.c): forms audited as the API's routes */
	{ HTTP_GET, "/booking/reservations", admin_page_bookings, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/reservations", admin_form_booking_create, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/booking/reservations/agenda", admin_page_agenda, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/booking/reservations/new", admin_page_booking_new, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/booking/reservations/:id", admin_page_booking, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/booking/payments", admin_page_payments, ROLE_ADMIN, ROUTE_PAGE },
	{ HTTP_GET, "/booking/reservations/:id/cancel", admin_page_booking_cancel, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/reservations/:id/cancel", admin_form_booking_cancel, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/reservations/:id/validate", admin_form_booking_validate, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/reservations/:id/reject", admin_form_booking_reject, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/reservations/:id/mark-present", admin_form_booking_mark_present, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/reservations/:id/mark-noshow", admin_form_booking_mark_noshow, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	/* the catalogue and the booking settings (catalogue_pages.c): staff read, admins write */
	{ HTTP_GET, "/booking/spaces", admin_page_spaces, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/spaces", admin_form_space_create, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/booking/spaces/new", admin_page_space_new, ROLE_ADMIN, ROUTE_PAGE },
	{ HTTP_GET, "/booking/spaces/:spaceType", admin_page_space, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/spaces/:spaceType", admin_form_space, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/spaces/:spaceType/deactivate", admin_form_space_deactivate, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/space-preview", admin_space_preview_form, ROLE_STAFF, ROUTE_FORM },
	{ HTTP_GET, "/booking/services", admin_page_services, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/services", admin_form_service_create, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/booking/services/new", admin_page_service_new, ROLE_ADMIN, ROUTE_PAGE },
	{ HTTP_GET, "/booking/services/:id", admin_page_service, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/services/:id", admin_form_service, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/services/:id/deactivate", admin_form_service_deactivate, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/booking/hours", admin_page_hours, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/booking/hours", admin_form_hours, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT | ROUTE_SINGLETON },
	{ HTTP_POST, "/booking/hours/closures", admin_form_closure_add, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/hours/closures/:index/delete", admin_form_closure_delete, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/booking/hours/annual-closures/:day/delete", admin_form_annual_closure_delete, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/booking/settings", admin_page_settings, ROLE_ADMIN, ROUTE_PAGE },
	{ HTTP_POST, "/booking/settings", admin_form_settings, ROLE_ADMIN, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT | ROUTE_SINGLETON },
	/* events (events.c): every write audited (events.create, events.publish…) */
	{ HTTP_GET, "/events", admin_page_events, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/events", admin_form_event_create, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/events/new", admin_page_event_new, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/events/:id", admin_page_event, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/events/:id", admin_form_event_update, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/events/:id/image", admin_form_event_image, ROLE_STAFF, ROUTE_PAGE | ROUTE_UPLOAD | ROUTE_AUDIT },
	{ HTTP_POST, "/events/:id/publish", admin_form_event_publish, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/events/:id/unpublish", admin_form_event_unpublish, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/events/:id/duplicate", admin_form_event_duplicate, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/events/:id/cancel", admin_form_event_cancel, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/events/:id/registrations", admin_event_registrations, ROLE_STAFF, ROUTE_PAGE | ROUTE_AUDIT },
	{ HTTP_POST, "/events/:id/registrations/:rid/cancel", admin_form_event_registration_cancel, ROLE_STAFF,
	  ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	/* the blog (blog_pages.c): forms audited as the API's routes */
	{ HTTP_GET, "/blog/articles", admin_page_blog_articles, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/blog/articles", admin_form_blog_article_create, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/blog/articles/new", admin_page_blog_article_new, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/blog/articles/:id", admin_page_blog_article, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/blog/articles/:id", admin_form_blog_article_update, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/blog/articles/:id/image", admin_form_blog_article_image, ROLE_STAFF, ROUTE_PAGE | ROUTE_UPLOAD | ROUTE_AUDIT },
	{ HTTP_POST, "/blog/articles/:id/delete", admin_form_blog_article_delete, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/blog/categories", admin_page_blog_categories, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/blog/categories", admin_form_blog_category_create, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/blog/categories/:id", admin_form_blog_category_update, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/blog/categories/:id/delete", admin_form_blog_category_delete, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	/* content (newsletter.c, quotes.c, inbox.c, menu.c): forms audited */
	{ HTTP_GET, "/newsletter", admin_page_newsletter, ROLE_ADMIN, ROUTE_PAGE | ROUTE_AUDIT },
	{ HTTP_GET, "/quotes", admin_page_quotes, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/quotes/:id", admin_page_quote, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/quotes/:id", admin_form_quote, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/contact-mails", admin_page_contact_mails, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_GET, "/contact-mails/:id", admin_page_contact_mail, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/contact-mails/:id/read", admin_form_contact_read, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/contact-mails/:id/reply", admin_form_contact_reply, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/contact-mails/:id/archive", admin_form_contact_archive, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/menu", admin_page_menu, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/menu/categories", admin_form_menu_category_create, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_GET, "/menu/categories/:id", admin_page_menu_category, ROLE_STAFF, ROUTE_PAGE },
	{ HTTP_POST, "/menu/categories/:id", admin_form_menu_category_update, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/menu/categories/:id/delete", admin_form_menu_category_delete, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/menu/categories/:id/items", admin_form_menu_item_create, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/menu/items/:id", admin_form_menu_item_update, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
	{ HTTP_POST, "/menu/items/:id/delete", admin_form_menu_item_delete, ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM | ROUTE_AUDIT },
};

static const char *base_url(void)
{
	return cfg->admin_url;
}

static const char *listen_addr(void)
{
	return cfg->admin_listen;
}

/* Pages: this app's header, footer and pages, the chat and login pages,
 * the shared layout and error pages; and the mails. */
static const char *const page_dirs[] = {
	"fcgi-apps/admin/templates", "common/account/templates", "common/chat/templates", "common/web/templates", NULL,
};

static bool templates_load(char *err, size_t errlen)
{
	return page_templates_load(page_dirs, err, errlen) &&
	       mail_templates_load(err, errlen);
}

static void templates_free(void)
{
	page_templates_free();
	mail_templates_free();
}

static const struct app admin_app = {
	.service = "admin",
	.routes = admin_routes,
	.nroutes = sizeof admin_routes / sizeof *admin_routes,
	.authenticate = auth_authenticate,
	.not_found = page_not_found,
	.templates_load = templates_load,
	.templates_free = templates_free,
	.page_data = admin_page_data,
	.audit = audit_route_done,
	.login_path = "/login",
	.staff = true,
	.base_url = base_url,
	.listen_addr = listen_addr,
};

int main(int argc, char **argv)
{
	return server_main(&admin_app, argc, argv);
}
