/*
 * quote.c — privatization quote requests: checked, saved, mailed
 * (quote.h).
 */
#include "content/quote.h"
#include "content/form.h"
#include "account/account.h"
#include "booking/calendar.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "mail/mail.h"

#include <string.h>

const struct quote_choice quote_event_types[] = {
	{ "atelier", "Atelier" }, { "team-building", "Team building" },
	{ "conference", "Conférence" }, { "reunion", "Réunion ou séminaire" },
	{ "autre", "Autre événement" }, { NULL, NULL },
};
const struct quote_choice quote_attendees[] = {
	{ "0-10", "Jusqu’à 10 personnes" }, { "11-20", "11 à 20 personnes" },
	{ "21-30", "21 à 30 personnes" }, { "31-40", "31 à 40 personnes" },
	{ "41-60", "41 à 60 personnes" }, { NULL, NULL },
};
const struct quote_choice quote_statuses[] = {
	{ "new", "Nouvelle" }, { "answered", "Répondue" }, { "won", "Gagnée" },
	{ "lost", "Perdue" }, { NULL, NULL },
};

const char *quote_label(const struct quote_choice *list, const char *value)
{
	for (size_t i = 0; value && list[i].value; i++)
		if (strcmp(list[i].value, value) == 0)
			return list[i].label;
	return NULL;
}

/* "HH:mm" → minutes, -1 when malformed (booking/calendar.h's rules). */
static int minutes(const char *s)
{
	int m;
	return s && booking_parse_time(s, false, &m) ? m : -1;
}

static bool too_long(const char *s, size_t max)
{
	return s && buf_utf8_chars(s, strlen(s)) > max;
}

bool quote_check(const struct quote_req *q, const char *today, struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	int start, end;
	int64_t day;

	if (!quote_label(quote_event_types, q->event_type))
		return err_set(e, 400, "validation_failed", "eventType", "Choisissez le type d’événement.");
	if (!q->date || !booking_parse_date(q->date, &day))
		return err_set(e, 400, "validation_failed", "date", "Indiquez la date de l’événement (jj/mm/aaaa).");
	if (today && strcmp(q->date, today) < 0)
		return err_set(e, 400, "validation_failed", "date", "Cette date est passée : choisissez un jour à venir.");
	if ((start = minutes(q->start_time)) < 0)
		return err_set(e, 400, "validation_failed", "startTime", "Indiquez l’heure de début (hh:mm).");
	if ((end = minutes(q->end_time)) < 0)
		return err_set(e, 400, "validation_failed", "endTime", "Indiquez l’heure de fin (hh:mm).");
	if (end <= start)
		return err_set(e, 400, "validation_failed", "endTime", "L’heure de fin doit suivre l’heure de début.");
	if (!quote_label(quote_attendees, q->attendees))
		return err_set(e, 400, "validation_failed", "attendees", "Choisissez le nombre de participants.");
	if (too_long(q->company, QUOTE_NAME_MAX))
		return err_set(e, 400, "validation_failed", "company", "Ce nom d’entreprise est trop long (%d caractères au plus).", QUOTE_NAME_MAX);
	if (text_blank(q->contact_name) || buf_utf8_chars(q->contact_name, strlen(q->contact_name)) < 2)
		return err_set(e, 400, "validation_failed", "contactName", "Indiquez votre nom.");
	if (too_long(q->contact_name, QUOTE_NAME_MAX))
		return err_set(e, 400, "validation_failed", "contactName", "Votre nom est trop long (%d caractères au plus).", QUOTE_NAME_MAX);
	if (text_blank(q->email) || !account_email_normalise(q->email, strlen(q->email), email, sizeof email))
		return err_set(e, 400, "validation_failed", "email", "Indiquez une adresse e-mail valide (nom@exemple.fr).");
	if (!content_phone_check(q->phone, 30, e))
		return false;
	if (too_long(q->message, QUOTE_MESSAGE_MAX))
		return err_set(e, 400, "validation_failed", "message", "Votre message est trop long (%d caractères au plus).", QUOTE_MESSAGE_MAX);
	return true;
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

bool quote_submit(store_t *st, int64_t now, const char *today, const struct quote_req *q,
		  struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1], hex[25] = "";
	bson_t doc = BSON_INITIALIZER;
	bson_value_t id;
	store_error_t se = { 0 };
	json_object *vars;
	struct buf link = { 0 };
	bool ok;

	if (!quote_check(q, today, e))
		return false;
	account_email_normalise(q->email, strlen(q->email), email, sizeof email);
	BSON_APPEND_UTF8(&doc, "contactName", q->contact_name);
	BSON_APPEND_UTF8(&doc, "company", q->company ? q->company : "");
	BSON_APPEND_UTF8(&doc, "email", email);
	BSON_APPEND_UTF8(&doc, "phone", q->phone ? q->phone : "");
	BSON_APPEND_UTF8(&doc, "eventType", q->event_type);
	BSON_APPEND_UTF8(&doc, "date", q->date);
	BSON_APPEND_UTF8(&doc, "startTime", q->start_time);
	BSON_APPEND_UTF8(&doc, "endTime", q->end_time);
	BSON_APPEND_UTF8(&doc, "attendees", q->attendees);
	BSON_APPEND_UTF8(&doc, "message", q->message ? q->message : "");
	BSON_APPEND_UTF8(&doc, "status", "new");
	BSON_APPEND_UTF8(&doc, "notes", "");
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	ok = store_insert_one(st, QUOTE_COLLECTION, &doc, &id, &se);
	bson_destroy(&doc);
	if (!ok)
		return store_fail(e, "quote request", &se);
	if (id.value_type == BSON_TYPE_OID)
		bson_oid_to_string(&id.value.v_oid, hex);
	bson_value_destroy(&id);

	vars = json_object_new_object();
	add_str(vars, "contactName", q->contact_name);
	add_str(vars, "company", q->company);
	add_str(vars, "email", email);
	add_str(vars, "phone", q->phone);
	add_str(vars, "eventType", quote_label(quote_event_types, q->event_type));
	add_str(vars, "date", q->date);
	add_str(vars, "startTime", q->start_time);
	add_str(vars, "endTime", q->end_time);
	add_str(vars, "attendees", quote_label(quote_attendees, q->attendees));
	add_str(vars, "message", q->message);
	buf_printf(&link, "%s/quotes/%s", cfg->admin_url, hex);
	add_str(vars, "adminLink", link.data);
	buf_free(&link);
	if (!mail_enqueue(st, "quote_staff", cfg->contact_email, vars, &se))
		log_error("quote mail to the café: %s", se.message);
	if (!mail_enqueue(st, "quote_ack", email, vars, &se))
		log_error("quote acknowledgement: %s", se.message);
	json_object_put(vars);
	conn_publish_badge(CONN_BADGE_QUOTES);
	return true;
}
