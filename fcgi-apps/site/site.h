/*
 * site.h — the site app's handlers.
 */
#ifndef CWC_SITE_H
#define CWC_SITE_H

#include "web/http.h"

void site_home(struct http_req *req);

/* account.c — SPEC §4 */
void site_register(struct http_req *req);
void site_activate_account(struct http_req *req);
void site_resend_activation(struct http_req *req);
void site_login(struct http_req *req);
void site_logout(struct http_req *req);
void site_session(struct http_req *req);
void site_forgot_password(struct http_req *req);
void site_reset_password(struct http_req *req);
void site_profile_get(struct http_req *req);
void site_profile_put(struct http_req *req);
void site_password_put(struct http_req *req);
void site_account_delete(struct http_req *req);

/* booking.c — the booking funnel (SPEC §7), GET and POST /booking */
void site_booking(struct http_req *req);

/* reservation.c — a booking's pages: the guest link, the customer's list
 * and detail, cancelling */
void site_reservation_guest(struct http_req *req);
void site_reservation_guest_cancel(struct http_req *req);
void site_reservations(struct http_req *req);
void site_reservation_mine(struct http_req *req);
void site_reservation_mine_cancel(struct http_req *req);

/* blog.c — SPEC §8 "Le Mag'" */
void site_blog(struct http_req *req);
void site_blog_page(struct http_req *req);
void site_blog_category(struct http_req *req);
void site_blog_search(struct http_req *req);
void site_blog_article(struct http_req *req);

/* contact.c — SPEC §8 contact */
void site_contact(struct http_req *req);
void site_contact_post(struct http_req *req);
void site_contact_thanks(struct http_req *req);
void site_contact_api(struct http_req *req);

/* dashboard.c — the client dashboard (SPEC §8): GET pages and their
 * form POSTs (ROUTE_FORM), signed in */
void site_dashboard(struct http_req *req);
void site_profile_page(struct http_req *req);
void site_profile_post(struct http_req *req);
void site_password_post(struct http_req *req);
void site_delete_post(struct http_req *req);
void site_settings_page(struct http_req *req);
void site_settings_post(struct http_req *req);

#endif
