/*
 * layout.c — what the site adds to every page (the app's page_data hook):
 * the signed-in user (account/page.c), the café's identity (one source for
 * the address, phone, e-mail and position that the footer, the contact
 * lines and the JSON-LD show), the week's hours for the footer and the
 * closure banner, both read from the store's hours (booking/calendar.h);
 * the default Open Graph image and, when PLAUSIBLE_DOMAIN is set, the
 * Plausible snippet (head.html).
 */
#include "account/account.h"
#include "account/page.h"
#include "assets.h"
#include "core/config.h"
#include "web/page.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/log.h"
#include "site.h"

#include <string.h>

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

json_object *site_identity_json(void)
{
	json_object *c = json_object_new_object();

	set_str(c, "name", CAFE_NAME);
	set_str(c, "street", CAFE_STREET);
	set_str(c, "postalCode", CAFE_POSTAL_CODE);
	set_str(c, "city", CAFE_CITY);
	set_str(c, "phone", CAFE_PHONE);
	set_str(c, "phoneDisplay", CAFE_PHONE_DISPLAY);
	set_str(c, "email", CAFE_EMAIL);
	set_str(c, "transport", CAFE_TRANSPORT);
	return c;
}

void site_format_time(int minute, char *out, size_t len)
{
	if (minute % 60)
		(void)buf_fmt(out, len, "%d h %02d", minute / 60, minute % 60);
	else
		(void)buf_fmt(out, len, "%d h", minute / 60);
}

static void hours_text(const struct booking_dayhours *dh, char *out, size_t len)
{
	char a[16], b[16];

	if (!dh->open) {
		(void)buf_fmt(out, len, "fermé");
		return;
	}
	site_format_time(dh->open_min, a, sizeof a);
	site_format_time(dh->close_min, b, sizeof b);
	(void)buf_fmt(out, len, "%s – %s", a, b);
}

static bool same_hours(const struct booking_dayhours *x, const struct booking_dayhours *y)
{
	return x->open == y->open && (!x->open || (x->open_min == y->open_min &&
						   x->close_min == y->close_min));
}

json_object *site_hours_summary(const struct booking_hours *h)
{
	json_object *rows = json_object_new_array();
	char days[64], text[48];

	/* runs of weekdays with the same hours: "Lundi – vendredi" */
	for (int i = 0; i < 7;) {
		int j = i;
		json_object *row = json_object_new_object();

		while (j + 1 < 7 && same_hours(&h->week[j + 1], &h->week[i]))
			j++;
		if (j == i)
			(void)buf_fmt(days, sizeof days, "%s", booking_weekday_fr(i));
		else
			(void)buf_fmt(days, sizeof days, "%s – %s", booking_weekday_fr(i), booking_weekday_fr(j));
		days[0] = (char)(days[0] - 'a' + 'A');
		hours_text(&h->week[i], text, sizeof text);
		set_str(row, "days", days);
		set_str(row, "hours", text);
		json_object_array_add(rows, row);
		i = j + 1;
	}
	{
		json_object *row = json_object_new_object();

		hours_text(&h->holiday, text, sizeof text);
		set_str(row, "days", "Jours fériés");
		set_str(row, "hours", text);
		json_object_array_add(rows, row);
	}
	return rows;
}

/* The message of the next exceptional closure within 30 days, or NULL. */
static bool closure_message(const struct booking_hours *h, int64_t today, char *out,
			    size_t len)
{
	const struct booking_closure *next = NULL;
	char day[64], a[16], b[16];

	for (size_t i = 0; i < h->nclosures; i++) {
		const struct booking_closure *c = &h->closures[i];
		if (c->day >= today && c->day <= today + 30 && (!next || c->day < next->day ||
		    (c->day == next->day && c->start_min < next->start_min)))
			next = c;
	}
	if (!next)
		return false;
	booking_format_day_fr(next->day, false, day, sizeof day);
	if (next->full_day)
		return buf_fmt(out, len, "Fermeture exceptionnelle le %s%s%s.", day,
			       next->reason[0] ? " : " : "", next->reason);
	site_format_time(next->start_min, a, sizeof a);
	site_format_time(next->end_min, b, sizeof b);
	return buf_fmt(out, len, "Le %s, le café est fermé de %s à %s%s%s.", day, a, b,
		       next->reason[0] ? " : " : "", next->reason);
}

void site_page_data(struct http_req *req, json_object *data)
{
	store_error_t se = { 0 };
	struct booking_hours h;
	store_t *st;
	int64_t today;
	int minute;
	char msg[400];

	account_page_data(req, data);
	json_object_object_add(data, "cafe", site_identity_json());
	{
		/* the default Open Graph / Twitter image (a page may set its own) */
		struct buf img = { 0 };
		buf_printf(&img, "%s%s", cfg->site_url, ASSET_OG_IMAGE_PNG);
		page_set(data, "defaultImage", img.data);
		buf_free(&img);
	}
	if (cfg->plausible_domain && *cfg->plausible_domain) {
		/* Plausible: no cookie, so no consent banner (issue 13) */
		json_object *a = json_object_new_object();
		set_str(a, "domain", cfg->plausible_domain);
		json_object_object_add(data, "analytics", a);
	}
	if (!(st = conn_store(&se)) || !booking_hours_load(st, &h, &se)) {
		/* the page still renders, without the hours */
		log_warn("layout: hours: %s", se.message);
		return;
	}
	json_object_object_add(data, "footerHours", site_hours_summary(&h));
	booking_paris_local(account_now_ms(), &today, &minute);
	if (closure_message(&h, today, msg, sizeof msg)) {
		json_object *c = json_object_new_object();
		set_str(c, "message", msg);
		json_object_object_add(data, "closure", c);
	}
	booking_hours_free(&h);
}
