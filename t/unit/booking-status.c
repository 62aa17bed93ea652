/*
 * booking-status.c — a booking's statuses in French and their badges
 * (common/booking/status.c), the one table both apps' pages read:
 * pending amber, confirmed green, the closed ones grey; every status of
 * the filter list has a word; unknown and missing statuses; the payment
 * status's French. Prints TAP.
 */
#include "booking/status.h"
#include "tap.h"

#include <string.h>

int main(void)
{
	static const struct { const char *status, *label, *badge; } want[] = {
		{ "pending", "En attente", "badge badge-warn" },
		{ "confirmed", "Confirmée", "badge badge-ok" },
		{ "completed", "Terminée", "badge badge-neutral" },
		{ "no-show", "Absent", "badge badge-neutral" },
		{ "cancelled", "Annulée", "badge badge-neutral" },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		is_str(booking_status_label(want[i].status), want[i].label, "%s: \"%s\"", want[i].status, want[i].label);
		is_str(booking_status_badge(want[i].status), want[i].badge, "%s: %s", want[i].status, want[i].badge);
	}
	while (booking_statuses[n])
		n++;
	is_int(n, 5, "five statuses in the filter list");
	for (size_t i = 0; i < n; i++)
		ok(strcmp(booking_status_label(booking_statuses[i]), booking_statuses[i]) != 0,
		   "%s has a French word", booking_statuses[i]);
	is_str(booking_status_label("archived"), "archived", "an unknown status as it is");
	is_str(booking_status_badge("archived"), "badge badge-neutral", "... with a grey badge");
	is_str(booking_status_label(NULL), "", "no status: no word");
	is_str(booking_status_badge(NULL), "badge badge-neutral", "... a grey badge");
	is_str(booking_payment_status_label("authorized"), "empreinte placée", "payment: authorized");
	is_str(booking_payment_status_label("failed"), "carte refusée", "payment: failed");
	is_str(booking_payment_status_label(NULL), "sans paiement en ligne", "payment: none");
	is_str(booking_payment_status_label("mystery"), "mystery", "payment: unknown as it is");
	return tap_done();
}
