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

void admin_pager(struct http_req *req, json_object *data, long page, int64_t total, long per_page,
		 const char *const *keep)
{
	int64_t pages = (total + per_page - 1) / per_page;
	struct buf q = { 0 };
	json_object *pg;
	char href[1024];

	if (pages <= 1)
		return;
	for (size_t i = 0; keep && keep[i]; i++) {
		const char *v = http_query(req, keep[i]);
		char *enc;
		if (!v || !*v)
			continue;
		enc = tpl_url_encode(v);
		buf_printf(&q, "&%s=%s", keep[i], enc);
		free(enc);
	}
	pg = json_object_new_object();
	json_object_object_add(pg, "page", json_object_new_int64(page));
	json_object_object_add(pg, "pages", json_object_new_int64(pages));
	if (page > 1 && buf_fmt(href, sizeof href, "?page=%ld%s", page - 1, q.data ? q.data : ""))
		admin_set_str(pg, "prev", href);
	if (page < pages && buf_fmt(href, sizeof href, "?page=%ld%s", page + 1, q.data ? q.data : ""))
		admin_set_str(pg, "next", href);
	json_object_object_add(data, "pager", pg);
	buf_free(&q);
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
