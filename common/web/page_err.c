/*
 * page_err.c — domain errors in French, by code and field (page_err.h).
 * One table: add a code here, not in the page that shows it.
 */
#include "web/page_err.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A sentence for `code` (NULL: any) on `field` (NULL: any). The first
 * match wins: specific rows before general ones. */
struct row {
	const char *code, *field, *text;
};

static const struct row rows[] = {
	/* accounts (common/account) */
	{ "email_taken", "email", "Un compte existe déjà avec cette adresse : connectez-vous, "
			       "ou demandez un nouveau mot de passe." },
	{ "bad_credentials", NULL, "Adresse e-mail ou mot de passe incorrect." },
	{ "not_activated", NULL, "Ce compte n’est pas encore activé : suivez le lien de l’e-mail "
				 "d’activation que nous vous avons envoyé." },
	{ "forbidden", NULL, "Ce compte ne peut pas se connecter ici." },
	{ "token_expired", NULL, "Ce lien a expiré ou a déjà servi. Demandez-en un nouveau." },
	{ NULL, "givenName", "Saisissez votre prénom (100 caractères au plus)." },
	{ NULL, "username", "Votre nom peut compter 50 caractères au plus." },
	{ NULL, "phone", "Saisissez un numéro de téléphone valide (chiffres, espaces, +, 30 caractères au plus)." },
	{ NULL, "companyName", "%s" },   /* "… peut compter N caractères au plus" (fill()) */
	/* a booking's contact (common/booking/contact.c) */
	{ NULL, "contactName", "Indiquez votre nom et prénom (100 caractères au plus)." },
	{ NULL, "contactEmail", "Indiquez une adresse e-mail valide (exemple : nom@domaine.fr)." },
	{ NULL, "contactPhone", "Indiquez un numéro de téléphone valide (au moins 6 chiffres ; espaces, + . - ( ) "
				"permis ; 25 caractères au plus)." },
	{ NULL, "specialRequests", "Vos demandes peuvent compter 1000 caractères au plus, sans caractère spécial." },
	/* the booking rules (common/booking) */
	{ "closed", "date", "Le café est fermé ce jour-là." },
	{ "closed", NULL, "Le café est fermé à cet horaire." },
	{ "date_in_past", "date", "Cette date est passée." },
	{ "date_in_past", NULL, "Cet horaire est passé." },
	{ "outside_hours", NULL, "Cet horaire est en dehors des heures d’ouverture." },
	{ "booking_conflict", "numberOfPeople", "Il ne reste pas assez de places sur ce créneau." },
	{ "booking_conflict", NULL, "Ce créneau est déjà réservé : choisissez-en un autre." },
	{ "capacity", NULL, "Ce nombre de personnes dépasse la capacité de l’espace." },
	{ "too_short", NULL, "Une réservation à l’heure dure au moins une heure." },
	{ "end_before_start", NULL, "L’heure de fin doit suivre l’heure de début." },
	{ "time_grid", NULL, "Les horaires vont de demi-heure en demi-heure." },
	{ "reservation_type_unavailable", NULL, "Cet espace ne se réserve pas avec cette formule." },
	{ "space_unavailable", NULL, "Cet espace ne peut pas être réservé en ligne." },
	{ "unknown_space_type", NULL, "Cet espace ne peut pas être réservé en ligne." },
	{ "quote_required", NULL, "Cet espace se réserve sur devis : écrivez-nous." },
	{ "unknown_service", NULL, "Ce service n’est pas proposé pour cet espace." },
	{ "service_unavailable", NULL, "Ce service n’est pas proposé pour cet espace." },
	{ "booking_started", NULL, "Cette réservation a commencé : elle ne peut plus être annulée en ligne. "
				   "Appelez-nous." },
	{ "invalid_transition", NULL, "Cette réservation ne peut plus être modifiée ainsi." },
	{ "hold_expired", NULL, "Le délai pour enregistrer votre carte est dépassé : la réservation est annulée." },
	/* the card (common/payment, booking/money.c) */
	{ "card_declined", NULL, "Votre carte a été refusée. Essayez une autre carte ou contactez votre banque." },
	{ "authentication_required", NULL, "Votre banque demande de confirmer ce paiement : réessayez et suivez "
					   "ses instructions." },
	{ "payment_unavailable", NULL, "Le paiement en ligne est momentanément indisponible. Réessayez dans "
				       "un instant." },
	{ "payments_unavailable", NULL, "Le paiement en ligne n’est pas configuré : l’équipe confirmera votre "
					"réservation." },
};

/* The fields whose blank and wrong values read differently. */
struct pair {
	const char *field, *missing, *wrong;
};

static const struct pair pairs[] = {
	{ "email", "Saisissez votre adresse e-mail.", "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr." },
	{ "password", "Saisissez un mot de passe.", "Choisissez un mot de passe d’au moins 8 caractères (256 octets au plus)." },
	{ "newPassword", "Saisissez un mot de passe.", "Choisissez un mot de passe d’au moins 8 caractères (256 octets au plus)." },
	{ "currentPassword", "Saisissez votre mot de passe actuel.", "Ce n’est pas votre mot de passe actuel." },
	{ "givenName", "Saisissez votre prénom.", NULL },
	{ "contactName", "Indiquez votre nom.", NULL },
	{ "contactEmail", "Indiquez votre adresse e-mail.", NULL },
	{ "contactPhone", "Indiquez un numéro de téléphone.", NULL },
};

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* absent (400), or present but blank (422 "… must not be empty") */
static bool missing(const struct err *e)
{
	return (e->status == 400 && same(e->code, "invalid_request")) || strstr(e->message, "must not be empty");
}

static const char *lookup(const struct err *e, bool field_only)
{
	const char *field = e->field;
	bool input = same(e->code, "validation_failed") || same(e->code, "invalid_request");

	/* services[2].id and the like read as their list */
	if (strncmp(field, "services", 8) == 0)
		field = "services";
	if (field_only && !field[0])
		return NULL;
	/* the code's own sentence (on that field, or on any: not next to
	 * a field then) */
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (rows[i].code && same(rows[i].code, e->code) && (!rows[i].field || strcmp(rows[i].field, field) == 0) &&
		    !(field_only && !rows[i].field))
			return rows[i].text;
	if (!input || !field[0])
		return NULL;
	/* what is wrong with what was typed in the field */
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (strcmp(pairs[i].field, field) == 0 && (missing(e) ? pairs[i].missing : pairs[i].wrong))
			return missing(e) ? pairs[i].missing : pairs[i].wrong;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (!rows[i].code && rows[i].field && strcmp(rows[i].field, field) == 0)
			return rows[i].text;
	return NULL;
}

/* A row's text, its "%s" (a length) taken from the English message's
 * "at most N" (written into `buf`). */
static const char *fill(const struct err *e, const char *t, char *buf, size_t len)
{
	const char *most;
	long n;

	if (!t || !strstr(t, "%s"))
		return t;
	most = strstr(e->message, "at most ");
	n = most ? strtol(most + 8, NULL, 10) : 0;
	if (n <= 0 || !buf_fmt(buf, len, "Le nom de la société peut compter %ld caractères au plus.", n))
		return "Le nom de la société est trop long.";
	return buf;
}

const char *page_err_field_text(const struct err *e, char *buf, size_t len)
{
	if (!e->field[0])
		return NULL;
	return fill(e, lookup(e, true), buf, len);
}

const char *page_err_text(const struct err *e, char *buf, size_t len)
{
	const char *t = fill(e, lookup(e, false), buf, len);

	if (t)
		return t;
	if (e->status == 429) {
		/* the message of throttle errors ends with the seconds */
		const char *in = strstr(e->message, " in ");
		long s = in ? strtol(in + 4, NULL, 10) : 60;
		long min = (s + 59) / 60;

		if (!buf_fmt(buf, len, "Trop de tentatives : réessayez dans %ld minute%s.", min, min > 1 ? "s" : ""))
			return "Trop de tentatives : réessayez plus tard.";
		return buf;
	}
	if (e->status >= 500 || e->status == 0)
		return "Le service est momentanément indisponible. Réessayez dans un instant.";
	if (e->field[0])
		return "Vérifiez ce champ.";
	return "Cette demande n’a pas pu aboutir.";
}
