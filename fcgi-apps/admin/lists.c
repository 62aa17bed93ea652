/*
 * lists.c — what the content screens of the back office share (the
 * newsletter's subscribers, quote requests, contact mails, the menu): a
 * date as the staff read it, the pager of a list, a string member.
 */
#include "admin.h"
#include "booking/calendar.h"
#include "core/buf.h"
#include "core/template.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void admin_set_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

void admin_when(int64_t ms, char *out, size_t len)
{
	int64_t day;
	int minute;
	char d[11], t[6];

	if (ms <= 0) {
		(void)buf_fmt(out, len, "—");
		return;
	}
	booking_paris_local(ms, &day, &minute);
	booking_format_date(day, d);
	booking_format_time(minute, t);
	(void)buf_fmt(out, len, "%s %s", d, t);
}

/* "?status=…&q=…&page=N": the kept filters of the query, then the page. */
static void page_link(struct http_req *req, const char *const *keep, long page, struct buf *out)
{
	out->len = 0;
	for (size_t i = 0; keep && keep[i]; i++) {
		const char *v = http_query(req, keep[i]);
		char *enc;
		if (!v || !*v)
			continue;
		enc = tpl_url_encode(v);
		buf_printf(out, "%s%s=%s", out->len ? "&" : "?", keep[i], enc);
		free(enc);
	}
	buf_printf(out, "%spage=%ld", out->len ? "&" : "?", page);
}

void admin_pager(struct http_req *req, json_object *data, long page, int64_t total, long per_page,
		 const char *const *keep)
{
	int64_t pages = (total + per_page - 1) / per_page;
	struct buf link = { 0 };
	json_object *pg;

	if (pages <= 1)
		return;
	pg = json_object_new_object();
	json_object_object_add(pg, "page", json_object_new_int64(page));
	json_object_object_add(pg, "pages", json_object_new_int64(pages));
	if (page > 1) {
		page_link(req, keep, page - 1, &link);
		admin_set_str(pg, "prev", link.data);
	}
	if (page < pages) {
		page_link(req, keep, page + 1, &link);
		admin_set_str(pg, "next", link.data);
	}
	json_object_object_add(data, "pager", pg);
	buf_free(&link);
}

json_object *admin_options(const char *const *values, const char *const *labels, const char *selected)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; values[i]; i++) {
		json_object *o = json_object_new_object();
		admin_set_str(o, "value", values[i]);
		admin_set_str(o, "label", labels[i]);
		if (selected && strcmp(selected, values[i]) == 0)
			json_object_object_add(o, "selected", json_object_new_boolean(true));
		json_object_array_add(arr, o);
	}
	return arr;
}

bool admin_contains_folded(const char *hay, const char *needle)
{
	size_t n;
	if (!needle || !*needle)
		return true;
	if (!hay)
		return false;
	n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}
