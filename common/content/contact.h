/*
 * contact.h — the contact form (SPEC §8): a message is saved in
 * `contactmails` (status "unread"), then mailed to the café
 * (CONTACT_EMAIL, template contact_staff) and acknowledged to the sender
 * (contact_ack), both through the outbox (mail/mail.h).
 */
#ifndef CWC_CONTACT_H
#define CWC_CONTACT_H

#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define CONTACT_NAME_MAX 100
#define CONTACT_PHONE_MAX 30
#define CONTACT_MESSAGE_MAX 5000

/* The subjects the form offers, NULL-terminated. */
extern const char *const contact_subjects[];

struct contact_msg {
	const char *name, *email, *phone, *subject, *message;   /* phone may be NULL */
};

/* Checks `m`: 400 validation_failed naming the first field at fault
 * (name, email, phone, subject, message) with a message for a person. */
bool contact_check(const struct contact_msg *m, struct err *e);

/* Checks, saves and queues both mails. Errors: contact_check()'s, or the
 * store's (a mail that cannot be queued is logged: the message is saved). */
bool contact_submit(store_t *st, int64_t now, const struct contact_msg *m,
		    struct err *e);

#endif
