/*
 * status.c — the French words and badge classes of a booking's statuses
 * (status.h), for the site's and the back office's pages.
 */
#include "booking/status.h"

#include <stddef.h>
#include <string.h>

static const struct { const char *value, *label, *badge; } statuses[] = {
	{ "pending", "En attente", "badge badge-warn" },
	{ "confirmed", "Confirmée", "badge badge-ok" },
	{ "completed", "Terminée", "badge badge-neutral" },
	{ "no-show", "Absent", "badge badge-neutral" },
	{ "cancelled", "Annulée", "badge badge-neutral" },
};

#define NSTATUSES (sizeof statuses / sizeof *statuses)

const char *const booking_statuses[NSTATUSES + 1] = {
	"pending", "confirmed", "completed", "no-show", "cancelled", NULL,
};

static const struct { const char *value, *label; } payment_statuses[] = {
	{ "pending", "en attente de la carte" }, { "card_saved", "carte enregistrée (empreinte à venir)" },
	{ "authorized", "empreinte placée" }, { "action_required", "le client doit confirmer sa carte" },
	{ "failed", "carte refusée" }, { "released", "empreinte levée" }, { "paid", "encaissé" },
	{ "partial", "encaissé, remboursé en partie" }, { "refunded", "remboursé" },
	{ "unpaid", "sans paiement en ligne" },
};

static ptrdiff_t find(const char *status)
{
	for (size_t i = 0; status && i < NSTATUSES; i++)
		if (strcmp(statuses[i].value, status) == 0)
			return (ptrdiff_t)i;
	return -1;
}

const char *booking_status_label(const char *status)
{
	ptrdiff_t i = find(status);

	return i >= 0 ? statuses[i].label : status ? status : "";
}

const char *booking_status_badge(const char *status)
{
	ptrdiff_t i = find(status);

	return i >= 0 ? statuses[i].badge : "badge badge-neutral";
}

const char *booking_payment_status_label(const char *payment_status)
{
	if (!payment_status)
		return "sans paiement en ligne";
	for (size_t i = 0; i < sizeof payment_statuses / sizeof *payment_statuses; i++)
		if (strcmp(payment_statuses[i].value, payment_status) == 0)
			return payment_statuses[i].label;
	return payment_status;
}
