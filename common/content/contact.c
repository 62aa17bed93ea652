/*
 * contact.c — contact messages: checked, saved, mailed (contact.h).
 */
#include "content/contact.h"
#include "content/form.h"
#include "account/account.h"
#include "conn/conn.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "mail/mail.h"

#include <string.h>

const char *const contact_subjects[] = {
	"Renseignements généraux", "Réservation", "Tarifs et abonnements",
	"Événements privés", "Partenariat", "Autre", NULL,
};

bool contact_check(const struct contact_msg *m, struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	bool subject_ok = false;

	if (text_blank(m->name))
		return err_set(e, 400, "validation_failed", "name", "Indiquez votre nom.");
	if (buf_utf8_chars(m->name, strlen(m->name)) > CONTACT_NAME_MAX)
		return err_set(e, 400, "validation_failed", "name", "Votre nom est trop long (%d caractères au plus).", CONTACT_NAME_MAX);
	if (text_blank(m->email) || !account_email_normalise(m->email, strlen(m->email), email, sizeof email))
		return err_set(e, 400, "validation_failed", "email", "Indiquez une adresse e-mail valide (nom@exemple.fr).");
	if (!content_phone_check(m->phone, CONTACT_PHONE_MAX, e))
		return false;
	for (size_t i = 0; m->subject && contact_subjects[i]; i++)
		if (strcmp(m->subject, contact_subjects[i]) == 0)
			subject_ok = true;
	if (!subject_ok)
		return err_set(e, 400, "validation_failed", "subject", "Choisissez un sujet dans la liste.");
	if (text_blank(m->message))
		return err_set(e, 400, "validation_failed", "message", "Écrivez votre message.");
	if (buf_utf8_chars(m->message, strlen(m->message)) > CONTACT_MESSAGE_MAX)
		return err_set(e, 400, "validation_failed", "message", "Votre message est trop long (%d caractères au plus).", CONTACT_MESSAGE_MAX);
	return true;
}

bool contact_submit(store_t *st, int64_t now, const struct contact_msg *m,
		    struct err *e)
{
	char email[ACCOUNT_EMAIL_MAX + 1];
	bson_t doc = BSON_INITIALIZER;
	store_error_t se = { 0 };
	json_object *vars;
	bool ok;

	if (!contact_check(m, e))
		return false;
	account_email_normalise(m->email, strlen(m->email), email, sizeof email);
	BSON_APPEND_UTF8(&doc, "name", m->name);
	BSON_APPEND_UTF8(&doc, "email", email);
	BSON_APPEND_UTF8(&doc, "phone", m->phone ? m->phone : "");
	BSON_APPEND_UTF8(&doc, "subject", m->subject);
	BSON_APPEND_UTF8(&doc, "message", m->message);
	BSON_APPEND_UTF8(&doc, "status", "unread");
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	ok = store_insert_one(st, "contactmails", &doc, NULL, &se);
	bson_destroy(&doc);
	if (!ok)
		return store_fail(e, "contact message", &se);

	vars = json_object_new_object();
	json_object_object_add(vars, "name", json_object_new_string(m->name));
	json_object_object_add(vars, "email", json_object_new_string(email));
	json_object_object_add(vars, "phone", json_object_new_string(m->phone ? m->phone : ""));
	json_object_object_add(vars, "subject", json_object_new_string(m->subject));
	json_object_object_add(vars, "message", json_object_new_string(m->message));
	if (!mail_enqueue(st, "contact_staff", cfg->contact_email, vars, &se))
		log_error("contact mail to the café: %s", se.message);
	if (!mail_enqueue(st, "contact_ack", email, vars, &se))
		log_error("contact acknowledgement: %s", se.message);
	json_object_put(vars);
	conn_publish_badge(CONN_BADGE_CONTACT);
	return true;
}
