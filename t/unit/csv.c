/*
 * CSV exports (web/csv.h): quoting, formula neutralising, amounts, the
 * byte-order mark and the streamed response's headers.
 */
#include "core/log.h"
#include "web/csv.h"
#include "web/http.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void cell_is(const char *in, const char *want, const char *why)
{
	struct buf b = { 0 };

	csv_quote(&b, in);
	buf_add(&b, "", 1);
	is_str(b.data, want, "%s", why);
	buf_free(&b);
}

static void test_cells(void)
{
	cell_is("Dupont", "Dupont", "plain text as it is");
	cell_is("", "", "empty text is an empty cell");
	cell_is(NULL, "", "NULL is an empty cell");
	cell_is("a;b", "\"a;b\"", "a separator is quoted");
	cell_is("il a dit \"oui\"", "\"il a dit \"\"oui\"\"\"", "quotes are doubled inside quotes");
	cell_is("ligne 1\nligne 2", "\"ligne 1\nligne 2\"", "a newline is quoted");
	cell_is("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"", "a formula is neutralised and quoted");
	cell_is("=1+1", "'=1+1", "= starts a formula");
	cell_is("+33 6 12 34 56 78", "'+33 6 12 34 56 78", "+ starts a formula (a phone number stays readable)");
	cell_is("-2+3", "'-2+3", "- starts a formula");
	cell_is("@SUM(A1)", "'@SUM(A1)", "@ starts a formula");
	cell_is("\tx", "'\tx", "a tab starts a formula");
	cell_is("\r=1", "\"'\r=1\"", "a CR starts a formula and is quoted");
	cell_is("Café Crème", "Café Crème", "UTF-8 as it is");
}

static void test_export(void)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/x?format=csv", NULL };
	struct http_req req;
	struct csv c;
	const char *body;

	ok(http_req_init(&req, env), "request parses");
	csv_begin(&c, &req, "réservations 2027.csv");
	csv_cell(&c, "Numéro");
	csv_cell(&c, "Montant");
	csv_cell(&c, "Personnes");
	csv_row_end(&c);
	csv_cell(&c, "CWC-ABC234");
	csv_cents(&c, 2950);
	csv_long(&c, 4);
	csv_row_end(&c);
	csv_cell(&c, "=cmd");
	csv_cents(&c, -5);
	csv_cents(&c, 0);
	csv_end(&c);
	ok(req.finished && req.streaming && req.status == 200, "a streamed 200");
	ok(strstr(req.out.data, "Content-Type: text/csv; charset=utf-8\r\n") != NULL, "text/csv in UTF-8");
	ok(strstr(req.out.data, "Content-Disposition: attachment; filename=\"r__servations_2027.csv\"\r\n") != NULL,
	   "a safe file name");
	ok(strstr(req.out.data, "Content-Length") == NULL, "no Content-Length: the body is streamed");
	body = strstr(req.out.data, "\r\n\r\n");
	ok(body != NULL, "headers end");
	is_str(body ? body + 4 : "",
	       "\xef\xbb\xbfNuméro;Montant;Personnes\r\nCWC-ABC234;29,50;4\r\n'=cmd;-0,05;0,00\r\n",
	       "BOM, ';', CRLF, decimal commas, a row left open is ended");
	is_int((int)c.rows, 3, "three rows");
	http_req_free(&req);
}

static void test_head(void)
{
	char *env[] = { "REQUEST_METHOD=HEAD", "REQUEST_URI=/api/x?format=csv", NULL };
	struct http_req req;
	struct csv c;

	ok(http_req_init(&req, env), "HEAD request parses");
	csv_begin(&c, &req, "x.csv");
	csv_cell(&c, "a");
	csv_end(&c);
	ok(req.out.len >= 4 && memcmp(req.out.data + req.out.len - 4, "\r\n\r\n", 4) == 0,
	   "HEAD: headers only");
	http_req_free(&req);
}

int main(void)
{
	setenv("CWC_ENV_FILE", "/dev/null", 1);
	log_init("test", "error");
	test_cells();
	test_export();
	test_head();
	return tap_done();
}
