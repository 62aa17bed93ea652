/*
 * booking_csv.c — the bookings list as a spreadsheet (SPEC §9 bookings,
 * CSV export): GET /api/booking/reservations?format=csv with the list's
 * filters, streamed row by row (web/csv.h: BOM, ";", formulas
 * neutralised), noted in the audit log as an export.
 */
#include "admin.h"
#include "audit/api.h"
#include "booking/calendar.h"
#include "booking/catalogue.h"
#include "core/doc.h"
#include "core/log.h"
#include "web/csv.h"

bool admin_booking_csv(struct http_req *req, store_t *st, const bson_t *filter, const bson_t *sort,
		       store_error_t *se)
{
	static const char *const head[] = { "Numéro", "Date", "Début", "Fin", "Espace", "Type", "Personnes",
		"Statut", "Paiement", "Client", "E-mail", "Téléphone", "Société", "Total", "Payé",
		"Frais d’annulation", "Créée le" };
	store_find_opts_t opts = { .sort = sort };
	store_cursor_t *cur = store_find(st, "bookings", filter, &opts, se);
	const bson_t *b;
	struct csv c;
	char d[11], iso[32];

	if (!cur)
		return false;
	csv_begin(&c, req, "reservations.csv");
	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		csv_cell(&c, head[i]);
	csv_row_end(&c);
	while (store_cursor_next(cur, &b)) {
		int64_t created = doc_date(b, "createdAt", 0);
		csv_cell(&c, doc_str(b, "confirmationNumber"));
		booking_format_date(booking_day_of_ms(doc_date(b, "date", 0)), d);
		csv_cell(&c, d);
		csv_cell(&c, doc_str(b, "startTime"));
		csv_cell(&c, doc_str(b, "endTime"));
		csv_cell(&c, doc_str(b, "spaceType"));
		csv_cell(&c, doc_str(b, "reservationType"));
		csv_long(&c, doc_int(b, "numberOfPeople", 1));
		csv_cell(&c, doc_str(b, "status"));
		csv_cell(&c, doc_str(b, "paymentStatus"));
		csv_cell(&c, doc_str(b, "contactName"));
		csv_cell(&c, doc_str(b, "contactEmail"));
		csv_cell(&c, doc_str(b, "contactPhone"));
		csv_cell(&c, doc_str(b, "companyName"));
		csv_cents(&c, booking_field_cents(b, "totalPrice"));
		csv_cents(&c, booking_field_cents(b, "amountPaid"));
		csv_cents(&c, booking_field_cents(b, "cancellationFee"));
		iso[0] = '\0';
		if (created)
			doc_iso_time(created, iso, sizeof iso);
		csv_cell(&c, iso);
		csv_row_end(&c);
	}
	if (store_cursor_error(cur, se))   /* the status is sent: the file ends short */
		log_error("booking csv: %s", se->message);
	store_cursor_destroy(cur);
	audit_export(req, "bookings", c.rows - 1);
	csv_end(&c);
	return true;
}
