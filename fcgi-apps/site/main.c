/*
 * site — the public site, the client dashboard and the public API (SPEC
 * §4, §6–§8), as a pre-forked FastCGI server behind Caddy.
 *
 * This file is the route table: every path the site answers, its methods,
 * its minimum role and its handler. Handlers live in one file per concept.
 */
#include "account/role.h"
#include "account/api.h"
#include "account/page.h"
#include "booking/api.h"
#include "chat/api.h"
#include "chat/page.h"
#include "core/config.h"
#include "payment/stripe.h"
#include "web/health.h"
#include "mail/templates.h"
#include "web/page.h"
#include "web/server.h"
#include "site.h"
#include "webhook.h"

static const struct route site_routes[] = {
	{ HTTP_GET, "/api/health", health_get, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/", site_home, ROLE_PUBLIC, 0 },

	/* accounts (account.c) */
	{ HTTP_POST, "/api/auth/register", site_register, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/activate-account", site_activate_account, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/resend-activation", site_resend_activation, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/login", site_login, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/logout", site_logout, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/api/auth/session", site_session, ROLE_CLIENT, 0 },
	{ HTTP_POST, "/api/auth/forgot-password", site_forgot_password, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/auth/reset-password", site_reset_password, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_GET, "/api/user/profile", site_profile_get, ROLE_CLIENT, 0 },
	{ HTTP_PUT, "/api/user/profile", site_profile_put, ROLE_CLIENT, ROUTE_JSON },
	{ HTTP_PUT, "/api/user/password", site_password_put, ROLE_CLIENT, ROUTE_JSON },
	{ HTTP_DELETE, "/api/user/delete", site_account_delete, ROLE_CLIENT, 0 },

	/* chat with the café (common/chat/api.c) */
	{ HTTP_GET, "/api/conversations", chat_conversations_list, ROLE_CLIENT, 0 },
	{ HTTP_POST, "/api/conversations", chat_conversations_create, ROLE_CLIENT, ROUTE_JSON },
	{ HTTP_GET, "/api/conversations/:id/messages", chat_messages_list, ROLE_CLIENT, 0 },
	{ HTTP_POST, "/api/conversations/:id/messages", chat_messages_send, ROLE_CLIENT, ROUTE_JSON },
	{ HTTP_POST, "/api/conversations/:id/read", chat_mark_read, ROLE_CLIENT, ROUTE_JSON },
	{ HTTP_GET, "/api/messages/ticket", chat_ticket, ROLE_CLIENT, 0 },

	/* bookings (common/booking/api.c) */
	{ HTTP_GET, "/api/space-configurations", booking_api_spaces, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/space-configurations/:spaceType", booking_api_space, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/global-hours", booking_api_global_hours, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/additional-services", booking_api_services, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/cancellation-policy", booking_api_cancellation_policy, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/availability", booking_api_availability, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_POST, "/api/calculate-price", booking_api_calculate_price, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/bookings", booking_api_create, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_GET, "/api/bookings", booking_api_list_mine, ROLE_CLIENT, 0 },
	{ HTTP_GET, "/api/bookings/:id", booking_api_get, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/api/bookings/:id/cancellation-fees", booking_api_cancellation_fees, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/bookings/:id/cancel", booking_api_cancel, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/bookings/:id/payment-check", booking_api_payment_check, ROLE_PUBLIC, ROUTE_JSON },

	/* Stripe (webhook.c): the seed's URL and the original's */
	{ HTTP_POST, "/api/webhooks/stripe", site_stripe_webhook, ROLE_PUBLIC, ROUTE_RAW_BODY },
	{ HTTP_POST, "/api/payments/webhook", site_stripe_webhook, ROLE_PUBLIC, ROUTE_RAW_BODY },

	/* pages */
	{ HTTP_GET, "/auth/login", login_page, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_POST, "/auth/login", login_page_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/auth/register", register_page, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_POST, "/auth/register", register_page_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/auth/activate-account", activate_page, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_POST, "/auth/activate-account", activate_page_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/auth/forgot-password", forgot_page, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_POST, "/auth/forgot-password", forgot_page_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/auth/reset-password", reset_page, ROLE_PUBLIC, ROUTE_PAGE },
	{ HTTP_POST, "/auth/reset-password", reset_page_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/dashboard/messages", chat_page, ROLE_CLIENT, ROUTE_PAGE },

	/* booking pages (booking.c, reservation.c) */
	{ HTTP_GET | HTTP_POST, "/booking", site_booking, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET | HTTP_POST, "/reserver", site_booking, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/reservation/:number", site_reservation_guest, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/reservation/:number/cancel", site_reservation_guest_cancel, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/dashboard/reservations", site_reservations, ROLE_CLIENT, ROUTE_PAGE },
	{ HTTP_GET, "/dashboard/reservations/:number", site_reservation_mine, ROLE_CLIENT, ROUTE_PAGE },
	{ HTTP_POST, "/dashboard/reservations/:number/cancel", site_reservation_mine_cancel, ROLE_CLIENT,
	  ROUTE_PAGE | ROUTE_FORM },

	/* the blog "Le Mag'" (blog.c) */
	{ HTTP_GET, "/blog", site_blog, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/blog/page/:n", site_blog_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/blog/search", site_blog_search, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/blog/archive", site_blog_archive, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/blog/:slug/like", site_form_article_like, ROLE_CLIENT, ROUTE_PAGE | ROUTE_FORM },
	{ HTTP_GET, "/api/articles/:slug/like", site_article_like_get, ROLE_CLIENT, 0 },
	{ HTTP_POST, "/api/articles/:slug/like", site_article_like_post, ROLE_CLIENT, 0 },
	{ HTTP_DELETE, "/api/articles/:slug/like", site_article_like_delete, ROLE_CLIENT, 0 },
	{ HTTP_GET, "/blog/category/:slug", site_blog_category, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/blog/category/:slug/page/:n", site_blog_category, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/blog/:slug", site_blog_article, ROLE_PUBLIC, 0 },

	/* contact (contact.c) */
	{ HTTP_GET, "/contact", site_contact, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/contact", site_contact_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/contact/merci", site_contact_thanks, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/contact-mails", site_contact_api, ROLE_PUBLIC, ROUTE_JSON },

	/* events (events.c): pages, forms, JSON */
	{ HTTP_GET, "/events", site_events, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/events/:slug", site_event, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/events/:slug", site_event_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/events/:slug/merci", site_event_thanks, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/events/:slug/annulation", site_event_cancel_page, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/events/:slug/annulation", site_event_cancel_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/api/events", site_events_api, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/api/events/:slug", site_event_api, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/events/:slug/register", site_event_register_api, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_POST, "/api/events/:slug/registrations/:id/cancel", site_event_cancel_api, ROLE_PUBLIC, ROUTE_JSON },

	/* the read-only API of the café's other sites (public_api.c) */
	{ HTTP_GET, "/api/public/articles", site_public_articles, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/public/articles/:slug", site_public_article, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },
	{ HTTP_GET, "/api/public/events", site_public_events, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },

	/* the newsletter (newsletter.c): double opt-in, one-click unsubscribe */
	{ HTTP_GET, "/newsletter", site_newsletter, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/newsletter", site_newsletter_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/newsletter/merci", site_newsletter_thanks, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/newsletter/subscribe", site_newsletter_api, ROLE_PUBLIC, ROUTE_JSON },
	{ HTTP_GET, "/api/newsletter/confirm", site_newsletter_confirm, ROLE_PUBLIC, 0 },
	{ HTTP_GET | HTTP_POST, "/api/newsletter/unsubscribe", site_newsletter_unsubscribe, ROLE_PUBLIC, ROUTE_RAW_BODY },

	/* privatization quotes (quote.c) */
	{ HTTP_GET, "/privatization/devis", site_quote, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/privatization/devis", site_quote_post, ROLE_PUBLIC, ROUTE_FORM },
	{ HTTP_GET, "/privatization/merci", site_quote_thanks, ROLE_PUBLIC, 0 },
	{ HTTP_POST, "/api/privatization/devis", site_quote_api, ROLE_PUBLIC, ROUTE_JSON },

	/* the menu (menu.c) */
	{ HTTP_GET, "/boissons", site_menu, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/api/drinks", site_menu_api, ROLE_PUBLIC, ROUTE_PUBLIC_CORS },

	/* for search engines (seo.c) */
	{ HTTP_GET, "/robots.txt", site_robots, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/sitemap.xml", site_sitemap, ROLE_PUBLIC, 0 },

	/* public pages (pages.c: the Markdown of etc/content, facts from the store) */
	{ HTTP_GET, "/concept", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/take-away", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/history", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/manifest", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/partners", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/espaces", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/spaces", site_redirect_301, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/pricing", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/tarifs", site_redirect_301, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/members-program", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/student-offers", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/privatization", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/compagny-pass", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/horaires", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/cgu", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/mentions-legales", site_content_page, ROLE_PUBLIC, 0 },
	{ HTTP_GET, "/confidentiality", site_content_page, ROLE_PUBLIC, 0 },

	/* the client dashboard (dashboard.c) */
	{ HTTP_GET, "/dashboard", site_dashboard, ROLE_CLIENT, ROUTE_PAGE },
	{ HTTP_GET, "/dashboard/profile", site_profile_page, ROLE_CLIENT, ROUTE_PAGE },
	{ HTTP_POST, "/dashboard/profile", site_profile_post, ROLE_CLIENT, ROUTE_PAGE | ROUTE_FORM },
	{ HTTP_POST, "/dashboard/password", site_password_post, ROLE_CLIENT, ROUTE_PAGE | ROUTE_FORM },
	{ HTTP_POST, "/dashboard/delete", site_delete_post, ROLE_CLIENT, ROUTE_PAGE | ROUTE_FORM },
	{ HTTP_GET, "/dashboard/settings", site_settings_page, ROLE_CLIENT, ROUTE_PAGE },
	{ HTTP_POST, "/dashboard/settings", site_settings_post, ROLE_CLIENT, ROUTE_PAGE | ROUTE_FORM },
};

static const char *base_url(void)
{
	return cfg->site_url;
}

static const char *listen_addr(void)
{
	return cfg->site_listen;
}

/* Pages: this app's header, footer and pages, the chat and login pages,
 * the shared layout and error pages; and the mails. */
static const char *const page_dirs[] = {
	"fcgi-apps/site/templates", "common/account/templates", "common/chat/templates", "common/web/templates", NULL,
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

static const struct app site_app = {
	.service = "site",
	.routes = site_routes,
	.nroutes = sizeof site_routes / sizeof *site_routes,
	.authenticate = auth_authenticate,
	.not_found = page_not_found,
	.templates_load = templates_load,
	.templates_free = templates_free,
	.page_data = site_page_data,
	.login_path = "/auth/login",
	.base_url = base_url,
	.listen_addr = listen_addr,
	.config_check = stripe_config_check,
};

int main(int argc, char **argv)
{
	return server_main(&site_app, argc, argv);
}
