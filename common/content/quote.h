/*
 * quote.h — privatization quote requests (SPEC §8 `quoterequests`; the
 * original only e-mailed them): checked, saved with status "new", mailed
 * to the café (CONTACT_EMAIL, quote_staff) and acknowledged to the sender
 * (quote_ack) through the outbox; the staff's badge is told. The back
 * office moves them through new → answered → won | lost, with notes.
 */
#ifndef CWC_QUOTE_H
#define CWC_QUOTE_H

#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define QUOTE_COLLECTION "quoterequests"
#define QUOTE_NAME_MAX 100
#define QUOTE_MESSAGE_MAX 5000
#define QUOTE_NOTES_MAX 5000

/* {value, label} of the event types and attendee ranges the form offers
 * (the original's values), NULL-terminated. */
struct quote_choice {
	const char *value, *label;
};
extern const struct quote_choice quote_event_types[];
extern const struct quote_choice quote_attendees[];
/* The statuses: new, answered, won, lost (NULL-terminated), and labels. */
extern const struct quote_choice quote_statuses[];
const char *quote_label(const struct quote_choice *list, const char *value);

struct quote_req {
	const char *event_type, *date, *start_time, *end_time, *attendees;
	const char *company, *contact_name, *email, *phone, *message;   /* company, phone, message may be NULL */
};

/* Checks `q` against `today` ("YYYY-MM-DD", Paris): 400 validation_failed
 * naming the first field at fault (eventType, date, startTime, endTime,
 * attendees, company, contactName, email, phone, message). */
bool quote_check(const struct quote_req *q, const char *today, struct err *e);

/* Checks, saves, queues both mails and publishes the badge. Errors:
 * quote_check()'s or the store's (a mail that cannot be queued is logged). */
bool quote_submit(store_t *st, int64_t now, const char *today, const struct quote_req *q,
		  struct err *e);

#endif
