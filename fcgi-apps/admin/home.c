/*
 * home.c — the back office's home page (/): a greeting and the way to
 * each section. The dashboard of SPEC §9 (arrivals, pending bookings,
 * revenue, occupancy) replaces its body when bookings exist.
 */
#include "admin.h"
#include "core/buf.h"
#include "web/page.h"

#include <time.h>

static const char *const weekdays[] = {
	"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
};
static const char *const months[] = {
	"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre",
};

void admin_home(struct http_req *req)
{
	json_object *data = page_data(req, "Tableau de bord");
	time_t now = time(NULL);
	struct tm tm;
	char today[64];

	localtime_r(&now, &tm);
	(void)buf_fmt(today, sizeof today, "%s %d %s %d", weekdays[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900);
	json_object_object_add(data, "today", json_object_new_string(today));
	page_section(data, "home");
	page_render(req, 200, "home.html", data);
}
