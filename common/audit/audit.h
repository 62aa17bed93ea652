/*
 * audit.h — the audit log (SPEC §9 `auditlog`): who changed what, when,
 * from where, on which document.
 *
 * One entry per document changed: {at, actor {user, email, role}, ip,
 * requestId, action ("booking.cancel"), collection, documentId, before,
 * after}. `before` and `after` hold the changed top-level fields only
 * (a creation has no `before`, a deletion no `after`); a secret (any
 * field whose name contains "password", "token", "secret" or "hash", at
 * any depth) is never copied: a changed one reads "<redacted>".
 *
 * The seam: while a request runs, the code that writes notes what it
 * changed (audit_note_add(), per process: a worker serves one request at
 * a time); once the answer is known, audit_flush() writes the notes as
 * entries, or audit_discard() drops them (the write failed). The admin
 * app's route table declares which routes are audited (api.h).
 */
#ifndef CWC_AUDIT_H
#define CWC_AUDIT_H

#include "store/store.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define AUDIT_COLLECTION "auditlog"
#define AUDIT_MAX_NOTES 16

struct audit_actor {
	const bson_oid_t *user;    /* NULL: nobody signed in (the system) */
	const char *email, *role;  /* may be NULL */
	const char *ip, *request_id;
};

/* Notes a change of `collection`/`id` for this request: `before` NULL for
 * a creation, `after` NULL for a deletion (copies them). More than
 * AUDIT_MAX_NOTES in one request: the extra ones are logged as an error
 * and dropped. */
void audit_note_add(const char *collection, const char *id, const bson_t *before,
		    const bson_t *after);

/* How many changes are noted and not yet written. */
size_t audit_pending(void);

/* Drops the notes. */
void audit_discard(void);

/* Writes one entry per note under `action` at `now` (ms), then drops
 * them; with no note, one entry naming the action alone (a write that
 * did not say what it changed is still on record). False with `err` when
 * the store refused one (the notes are dropped all the same). */
bool audit_flush(store_t *st, const struct audit_actor *actor, const char *action, int64_t now,
		 store_error_t *err);

/* Reads the entry whose id is `id_hex` into `out` (init'ed when *found).
 * An id that is not an ObjectId is simply not found. False on a store
 * failure. */
bool audit_entry_find(store_t *st, const char *id_hex, bson_t *out, bool *found,
		      store_error_t *err);

/* The changed fields of `before` → `after` (either may be NULL), secrets
 * redacted, appended to `out_before` / `out_after` (initialised by the
 * caller). `updatedAt` is not a change. */
void audit_changes(const bson_t *before, const bson_t *after, bson_t *out_before,
		   bson_t *out_after);

/* Whether a field name is a secret's (see the file comment). */
bool audit_secret_field(const char *key);

#endif
