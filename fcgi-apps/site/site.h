/*
 * site.h — the site app's handlers.
 */
#ifndef CWC_SITE_H
#define CWC_SITE_H

#include "booking/calendar.h"
#include "store/store.h"
#include "web/http.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct buf;   /* core/buf.h */

/* The café: one source for what the footer, the pages and the JSON-LD say. */
#define CAFE_NAME "CoworKing Café"
#define CAFE_STREET "1 rue de la Division Leclerc"
#define CAFE_POSTAL_CODE "67000"
#define CAFE_CITY "Strasbourg"
#define CAFE_REGION "Grand Est"
#define CAFE_COUNTRY "FR"
#define CAFE_PHONE "+33987334519"
#define CAFE_PHONE_DISPLAY "09 87 33 45 19"
#define CAFE_EMAIL "strasbourg@coworkingcafe.fr"
#define CAFE_TRANSPORT "Tram A et D, arrêt Langstross-Grand’Rue ; parking Gutenberg à cinq minutes à pied."
#define CAFE_LATITUDE 48.5829
#define CAFE_LONGITUDE 7.7482

void site_home(struct http_req *req);

/* pages.c — the Markdown pages of etc/content with their facts from the
 * store (GET of every path of its table); the 301 of /spaces → /espaces
 * and /tarifs → /pricing; site_page_path(i): the i-th path of the table,
 * NULL after the last (the sitemap). */
void site_content_page(struct http_req *req);
void site_redirect_301(struct http_req *req);
const char *site_page_path(size_t i);
/* The modification time (seconds) of the i-th page's text; 0 unknown. */
int64_t site_page_mtime(size_t i);

/* seo.c — GET /robots.txt and /sitemap.xml (templates robots.txt and
 * sitemap.xml.html, the public base URL from NEXTAUTH_URL). */
void site_robots(struct http_req *req);
void site_sitemap(struct http_req *req);
/* data.spaces [{id, name, description, capacity, features, prices
 * [{amount, unit, note}], extra, quote}] and data.hasSpaces: the active
 * spaces of the store, in their display order. */
bool site_add_spaces(store_t *st, json_object *data, store_error_t *se);

/* layout.c — the app's page_data hook: the signed-in user, `cafe` (the
 * identity above), `footerHours` [{days, hours}] and the closure banner
 * (the next exceptional closure within 30 days), from the store's hours. */
void site_page_data(struct http_req *req, json_object *data);
/* {name, street, postalCode, city, phone, phoneDisplay, email, transport}. New object. */
json_object *site_identity_json(void);
/* [{days: "Lundi – vendredi", hours: "9 h – 20 h"}…, {days: "Jours fériés"…}]. New array. */
json_object *site_hours_summary(const struct booking_hours *h);
/* "9 h", "9 h 30" (days in words: booking_format_day_fr()). */
void site_format_time(int minute, char *out, size_t len);

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

/* card.c — the card step on a booking's page: asks Stripe what became of
 * the card (refreshing `b`, which it may replace), then sets data.cardStep
 * {hold, policy, authorized, saved, failed, deadline, unavailable, form
 * {publicKey, clientSecret, intentType, jsUrl, returnUrl, …}} and the
 * page's script, or data.waitsForStaff without payments. `page_url`: where
 * the form comes back once the card is confirmed. */
void site_card_step(struct http_req *req, store_t *st, bson_t *b, const char *page_url, json_object *data);
/* The cancellation policy of `space_type`, in French lines. New array. */
json_object *site_booking_policy(store_t *st, const char *space_type);

/* blog.c — SPEC §8 "Le Mag'" */
void site_blog(struct http_req *req);
void site_blog_page(struct http_req *req);
void site_blog_category(struct http_req *req);
void site_blog_search(struct http_req *req);
void site_blog_article(struct http_req *req);
/* blog_social.c — the archive, likes, and the article page's extras */
void site_blog_archive(struct http_req *req);
void site_article_like_get(struct http_req *req);
void site_article_like_post(struct http_req *req);
void site_article_like_delete(struct http_req *req);
void site_form_article_like(struct http_req *req);
/* Adds likes, related articles and the Open Graph image of `article`
 * (an article_get() object) to the page `data`. */
void site_blog_article_extras(struct http_req *req, json_object *data, json_object *article);
/* Adds `image` ({src, srcset, sizes, width, height, alt}: content/upload.h)
 * to an article (or to each of `items`) that has a featuredImage. */
void site_blog_image(json_object *article, const char *sizes);
/* The same for any object with an image address under `key` (events:
 * "imgSrc"), its `imgAlt` as the alt. */
void site_image(json_object *o, const char *key, const char *sizes);
/* `url` (a safe image address) made absolute on SITE_URL when it is a
 * path, for Open Graph and JSON-LD; appended to `out`. */
void site_image_absolute(const char *url, struct buf *out);
void site_blog_images(json_object *items, const char *sizes);

/* events (events.c) and the read-only public API (public_api.c) */
void site_events(struct http_req *req);
void site_event(struct http_req *req);
void site_event_post(struct http_req *req);
void site_event_thanks(struct http_req *req);
void site_event_cancel_page(struct http_req *req);
void site_event_cancel_post(struct http_req *req);
void site_events_api(struct http_req *req);
void site_event_api(struct http_req *req);
void site_event_register_api(struct http_req *req);
void site_event_cancel_api(struct http_req *req);
void site_public_articles(struct http_req *req);
void site_public_article(struct http_req *req);
void site_public_events(struct http_req *req);

/* contact.c — SPEC §8 contact */
void site_contact(struct http_req *req);
void site_contact_post(struct http_req *req);
void site_contact_thanks(struct http_req *req);
void site_contact_api(struct http_req *req);

/* newsletter.c — SPEC §8 newsletter: the footer's form and its page,
 * the JSON subscribe, the confirmation link, the one-click unsubscribe */
void site_newsletter(struct http_req *req);
void site_newsletter_post(struct http_req *req);
void site_newsletter_thanks(struct http_req *req);
void site_newsletter_api(struct http_req *req);
void site_newsletter_confirm(struct http_req *req);
void site_newsletter_unsubscribe(struct http_req *req);

/* quote.c — SPEC §8 privatization quotes */
void site_quote(struct http_req *req);
void site_quote_post(struct http_req *req);
void site_quote_thanks(struct http_req *req);
void site_quote_api(struct http_req *req);

/* menu.c — SPEC §8 /boissons and GET /api/drinks?type= */
void site_menu(struct http_req *req);
void site_menu_api(struct http_req *req);

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
