/*
 * csv.c — streamed CSV exports for French spreadsheets (see csv.h).
 */
#include "web/csv.h"

#include "web/http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void csv_begin(struct csv *c, struct http_req *req, const char *filename)
{
	char name[96];
	size_t i;

	memset(c, 0, sizeof *c);
	c->req = req;
	for (i = 0; filename[i] && i < sizeof name - 1; i++) {
		char ch = filename[i];

		name[i] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
			   ch == '_') ? ch : '_';
	}
	name[i] = '\0';
	http_add_header(req, "Cache-Control", "no-store");
	http_add_headerf(req, "Content-Disposition", "attachment; filename=\"%s\"", name);
	http_stream_begin(req, 200, "text/csv; charset=utf-8");
	http_stream_write(req, "\xef\xbb\xbf", 3);
}

void csv_quote(struct buf *out, const char *text)
{
	bool quote, formula;

	if (!text || !*text)
		return;
	quote = strpbrk(text, ";\"\r\n") != NULL;
	formula = strchr("=+-@\t\r", text[0]) != NULL;
	if (quote)
		buf_add(out, "\"", 1);
	if (formula)
		buf_add(out, "'", 1);
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			buf_add(out, "\"", 1);
		buf_add(out, p, 1);
	}
	if (quote)
		buf_add(out, "\"", 1);
}

static void separate(struct csv *c)
{
	if (c->row_started)
		buf_add(&c->row, ";", 1);
	c->row_started = true;
}

void csv_cell(struct csv *c, const char *text)
{
	separate(c);
	csv_quote(&c->row, text);
}

void csv_long(struct csv *c, long long n)
{
	separate(c);
	buf_printf(&c->row, "%lld", n);
}

void csv_cents(struct csv *c, int64_t cents)
{
	uint64_t abs = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;

	separate(c);
	buf_printf(&c->row, "%s%" PRIu64 ",%02" PRIu64, cents < 0 ? "-" : "",
		   abs / 100, abs % 100);
}

void csv_row_end(struct csv *c)
{
	buf_add(&c->row, "\r\n", 2);
	http_stream_write(c->req, c->row.data, c->row.len);
	c->row.len = 0;
	c->row_started = false;
	c->rows++;
}

void csv_end(struct csv *c)
{
	if (c->row_started)
		csv_row_end(c);
	buf_free(&c->row);
}
