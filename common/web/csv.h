/*
 * csv.h — CSV exports for the back office (SPEC §9), written the way a
 * French Excel opens them without a question: UTF-8 with a byte-order
 * mark, ";" between cells, CRLF between rows, every cell quoted when it
 * holds ";", a quote, CR or LF (quotes doubled, RFC 4180).
 *
 * A cell that a spreadsheet would read as a formula (starting with "=",
 * "+", "-", "@", a tab or CR) is prefixed with "'" so that text typed by a
 * customer can never run in a staff member's spreadsheet (CSV injection).
 * Numbers we write ourselves (csv_long, csv_cents) are not text and are
 * left as they are, so a negative amount stays a number.
 *
 * The export is streamed (web/http.h http_stream_*): rows go to the client
 * as they are read from the store, never gathered in memory. Usage:
 *   struct csv c;
 *   csv_begin(&c, req, "reservations.csv");
 *   csv_cell(&c, "Numéro"); csv_cell(&c, "Client"); csv_row_end(&c);
 *   for each document: csv_cell(…); csv_cents(&c, 2900); csv_row_end(&c);
 *   csv_end(&c);
 * The route is a GET with `?format=csv` on the list it exports, flagged
 * ROUTE_AUDIT; its handler notes the export with audit_export()
 * (audit/api.h) so the log says who took which data.
 */
#ifndef CWC_CSV_H
#define CWC_CSV_H

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

struct http_req;

struct csv {
	struct http_req *req;
	struct buf row;       /* the row being written */
	bool row_started;     /* a cell was written in this row */
	long rows;            /* rows ended, the header row included */
};

/* Starts a 200 text/csv answer offered as the download `filename` (ASCII
 * letters, digits, '.', '-', '_'; anything else becomes '_'), with
 * Cache-Control: no-store, and writes the byte-order mark. */
void csv_begin(struct csv *c, struct http_req *req, const char *filename);

/* Writes one text cell (NULL: empty), quoted and neutralised as above. */
void csv_cell(struct csv *c, const char *text);
/* Writes a whole number. */
void csv_long(struct csv *c, long long n);
/* Writes an amount in cents as euros with a decimal comma ("-12,50"). */
void csv_cents(struct csv *c, int64_t cents);

/* Ends the row (CRLF) and sends it on. */
void csv_row_end(struct csv *c);
/* Ends the export (a row left open is ended) and frees what it held. */
void csv_end(struct csv *c);

/* Exposed for unit tests: appends `text` to `out` as one cell. */
void csv_quote(struct buf *out, const char *text);

#endif
