/*
 * audit.c — the audit log's notes, their changed fields, their entries.
 * See audit.h.
 */
#include "audit/audit.h"
#include "core/doc.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REDACTED "<redacted>"

struct audit_note {
	char collection[64];
	char id[64];
	bson_t *before, *after;   /* NULL: none */
};

/* per process: a worker serves one request at a time */
static struct audit_note notes[AUDIT_MAX_NOTES];
static size_t nnotes;

bool audit_secret_field(const char *key)
{
	static const char *const words[] = { "password", "token", "secret", "hash" };

	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcasestr(key, words[i]))
			return true;
	return false;
}

static void copy_filtered(bson_t *dst, const char *key, const bson_iter_t *it);

/* Copies the document or array under `it` without its secrets. */
static void copy_container(bson_t *dst, const char *key, const bson_iter_t *it, bool array)
{
	bson_iter_t child;
	bson_t sub;

	if (array)
		bson_append_array_begin(dst, key, -1, &sub);
	else
		bson_append_document_begin(dst, key, -1, &sub);
	if (bson_iter_recurse(it, &child))
		while (bson_iter_next(&child))
			copy_filtered(&sub, bson_iter_key(&child), &child);
	if (array)
		bson_append_array_end(dst, &sub);
	else
		bson_append_document_end(dst, &sub);
}

static void copy_filtered(bson_t *dst, const char *key, const bson_iter_t *it)
{
	if (audit_secret_field(key))
		BSON_APPEND_UTF8(dst, key, REDACTED);
	else if (BSON_ITER_HOLDS_DOCUMENT(it))
		copy_container(dst, key, it, false);
	else if (BSON_ITER_HOLDS_ARRAY(it))
		copy_container(dst, key, it, true);
	else
		bson_append_iter(dst, key, -1, it);
}

/* Whether two values are the same (type and bytes). */
static bool same_value(const bson_iter_t *a, const bson_iter_t *b)
{
	bson_t da = BSON_INITIALIZER, db = BSON_INITIALIZER;
	bool same;

	bson_append_iter(&da, "v", 1, a);
	bson_append_iter(&db, "v", 1, b);
	same = bson_equal(&da, &db);
	bson_destroy(&da);
	bson_destroy(&db);
	return same;
}

void audit_changes(const bson_t *before, const bson_t *after, bson_t *out_before,
		   bson_t *out_after)
{
	bson_iter_t it, other;

	if (before && bson_iter_init(&it, before)) {
		while (bson_iter_next(&it)) {
			const char *key = bson_iter_key(&it);
			bool in_after = after && bson_iter_init_find(&other, after, key);
			if (strcmp(key, "updatedAt") == 0 || (in_after && same_value(&it, &other)))
				continue;
			copy_filtered(out_before, key, &it);
			if (in_after)
				copy_filtered(out_after, key, &other);
		}
	}
	if (after && bson_iter_init(&it, after)) {
		while (bson_iter_next(&it)) {
			const char *key = bson_iter_key(&it);
			if (strcmp(key, "updatedAt") == 0 || (before && bson_iter_init_find(&other, before, key)))
				continue;   /* compared above */
			copy_filtered(out_after, key, &it);
		}
	}
}

void audit_note_add(const char *collection, const char *id, const bson_t *before,
		    const bson_t *after)
{
	struct audit_note *n;

	if (nnotes == AUDIT_MAX_NOTES) {
		log_error("audit: more than %d changes in one request; %s %s not logged",
			  AUDIT_MAX_NOTES, collection, id ? id : "");
		return;
	}
	n = &notes[nnotes++];
	strncpy(n->collection, collection, sizeof n->collection - 1);
	n->collection[sizeof n->collection - 1] = '\0';
	strncpy(n->id, id ? id : "", sizeof n->id - 1);
	n->id[sizeof n->id - 1] = '\0';
	n->before = before ? bson_copy(before) : NULL;
	n->after = after ? bson_copy(after) : NULL;
}

size_t audit_pending(void)
{
	return nnotes;
}

void audit_discard(void)
{
	for (size_t i = 0; i < nnotes; i++) {
		if (notes[i].before)
			bson_destroy(notes[i].before);
		if (notes[i].after)
			bson_destroy(notes[i].after);
	}
	nnotes = 0;
}

static void append_opt(bson_t *doc, const char *key, const char *value)
{
	if (value)
		BSON_APPEND_UTF8(doc, key, value);
	else
		BSON_APPEND_NULL(doc, key);
}

/* The entry of one note (`n` NULL: the action alone). */
static void build_entry(bson_t *doc, const struct audit_actor *a, const char *action,
			int64_t now, const struct audit_note *n)
{
	bson_t actor, before, after;
	bson_oid_t id;

	bson_oid_init(&id, NULL);
	BSON_APPEND_OID(doc, "_id", &id);
	BSON_APPEND_DATE_TIME(doc, "at", now);
	BSON_APPEND_DOCUMENT_BEGIN(doc, "actor", &actor);
	if (a->user)
		BSON_APPEND_OID(&actor, "user", a->user);
	else
		BSON_APPEND_NULL(&actor, "user");
	append_opt(&actor, "email", a->email);
	append_opt(&actor, "role", a->role);
	bson_append_document_end(doc, &actor);
	append_opt(doc, "ip", a->ip);
	append_opt(doc, "requestId", a->request_id);
	BSON_APPEND_UTF8(doc, "action", action);
	append_opt(doc, "collection", n ? n->collection : NULL);
	append_opt(doc, "documentId", n && n->id[0] ? n->id : NULL);
	if (!n)
		return;
	bson_init(&before);
	bson_init(&after);
	audit_changes(n->before, n->after, &before, &after);
	if (n->before)
		BSON_APPEND_DOCUMENT(doc, "before", &before);
	if (n->after)
		BSON_APPEND_DOCUMENT(doc, "after", &after);
	bson_destroy(&before);
	bson_destroy(&after);
}

bool audit_flush(store_t *st, const struct audit_actor *a, const char *action, int64_t now,
		 store_error_t *err)
{
	bool ok = true;
	size_t n = nnotes ? nnotes : 1;

	for (size_t i = 0; i < n && ok; i++) {
		bson_t doc = BSON_INITIALIZER;
		build_entry(&doc, a, action, now, nnotes ? &notes[i] : NULL);
		ok = store_insert_one(st, AUDIT_COLLECTION, &doc, NULL, err);
		bson_destroy(&doc);
	}
	audit_discard();
	return ok;
}

bool audit_entry_find(store_t *st, const char *id_hex, bson_t *out, bool *found,
		      store_error_t *err)
{
	bson_t filter = BSON_INITIALIZER;
	bson_oid_t id;
	bool ok;

	*found = false;
	if (!doc_parse_oid(id_hex, &id)) {
		bson_destroy(&filter);
		return true;
	}
	BSON_APPEND_OID(&filter, "_id", &id);
	ok = store_find_one(st, AUDIT_COLLECTION, &filter, NULL, out, found, err);
	bson_destroy(&filter);
	return ok;
}
