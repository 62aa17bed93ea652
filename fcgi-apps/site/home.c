/*
 * home.c — the home page (templates/home.html): the café in short, its
 * spaces with their prices and today's hours (from the store), the next
 * three events (content/event.h: date, title, seats left), and the
 * one CoworkingSpace JSON-LD entity of the site (address, geo, phone and
 * the week's hours from the store).
 */
#include "account/account.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "content/event.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "web/page.h"
#include "site.h"

#include <stdlib.h>

#define HOME_EVENTS 3   /* the next events shown ("Prochains événements") */

static const char *const schema_days[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

static void set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* "09:00" for schema.org. */
static void hhmm(int minute, char out[8])
{
	(void)buf_fmt(out, 8, "%02d:%02d", minute / 60 % 100, minute % 60);
}

/* The CoworkingSpace entity; `h` may be NULL (hours unknown: left out). */
static json_object *cafe_ld(const char *url, const struct booking_hours *h)
{
	json_object *ld = json_object_new_object(), *addr = json_object_new_object();
	json_object *geo = json_object_new_object();
	struct buf id = { 0 };

	buf_printf(&id, "%s#cafe", url);
	set_str(ld, "@context", "https://schema.org");
	set_str(ld, "@type", "CoworkingSpace");
	set_str(ld, "@id", id.data);
	set_str(ld, "name", CAFE_NAME " Strasbourg");
	set_str(ld, "url", url);
	set_str(ld, "telephone", CAFE_PHONE);
	set_str(ld, "email", CAFE_EMAIL);
	set_str(addr, "@type", "PostalAddress");
	set_str(addr, "streetAddress", CAFE_STREET);
	set_str(addr, "postalCode", CAFE_POSTAL_CODE);
	set_str(addr, "addressLocality", CAFE_CITY);
	set_str(addr, "addressRegion", CAFE_REGION);
	set_str(addr, "addressCountry", CAFE_COUNTRY);
	json_object_object_add(ld, "address", addr);
	set_str(geo, "@type", "GeoCoordinates");
	json_object_object_add(geo, "latitude", json_object_new_double(CAFE_LATITUDE));
	json_object_object_add(geo, "longitude", json_object_new_double(CAFE_LONGITUDE));
	json_object_object_add(ld, "geo", geo);
	if (h) {
		json_object *spec = json_object_new_array();
		for (int i = 0; i < 7; i++) {
			json_object *o;
			char a[8], b[8];
			if (!h->week[i].open)
				continue;
			o = json_object_new_object();
			hhmm(h->week[i].open_min, a);
			hhmm(h->week[i].close_min, b);
			set_str(o, "@type", "OpeningHoursSpecification");
			set_str(o, "dayOfWeek", schema_days[i]);
			set_str(o, "opens", a);
			set_str(o, "closes", b);
			json_object_array_add(spec, o);
		}
		json_object_object_add(ld, "openingHoursSpecification", spec);
	}
	buf_free(&id);
	return ld;
}

void site_home(struct http_req *req)
{
	json_object *data = page_data(req, "Café-coworking au cœur de Strasbourg");
	store_error_t se = { 0 };
	struct booking_hours h;
	bool have_hours = false;
	struct buf url = { 0 };
	store_t *st;

	buf_printf(&url, "%s/", cfg->site_url);
	page_set(data, "description",
		 "Un café pour travailler, se réunir et se retrouver au centre de Strasbourg : "
		 "on paie le temps passé, boissons et en-cas à volonté, salles de réunion à réserver.");
	page_set(data, "canonical", url.data);
	if ((st = conn_store(&se)) && booking_hours_load(st, &h, &se)) {
		struct booking_day today;
		int64_t day;
		int minute;
		char a[16], b[16], text[200];

		have_hours = true;
		booking_paris_local(account_now_ms(), &day, &minute);
		booking_hours_day(&h, day, &today);
		if (today.open) {
			site_format_time(today.open_min, a, sizeof a);
			site_format_time(today.close_min, b, sizeof b);
			(void)buf_fmt(text, sizeof text, "Aujourd’hui, le café est ouvert de %s à %s.", a, b);
		} else {
			(void)buf_fmt(text, sizeof text, "Aujourd’hui, le café est fermé%s%s.",
				      today.closed_reason[0] ? " : " : "", today.closed_reason);
		}
		set_str(data, "today", text);
	}
	if (st && !site_add_spaces(st, data, &se))
		log_warn("home: spaces: %s", se.message);
	if (st) {
		json_object *events = NULL;
		struct err e = { 0 };
		if (event_upcoming(st, account_now_ms(), HOME_EVENTS, &events, &e)) {
			json_object_object_add(data, "hasEvents",
					       json_object_new_boolean(json_object_array_length(events) > 0));
			json_object_object_add(data, "events", events);
		} else {
			log_warn("home: events: %s", e.message);
		}
	}
	page_set_json_ld(data, cafe_ld(url.data, have_hours ? &h : NULL));
	if (have_hours)
		booking_hours_free(&h);
	buf_free(&url);
	page_section(data, "home");
	page_render(req, 200, "home.html", data);
}
