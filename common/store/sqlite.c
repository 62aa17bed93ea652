/*
 * sqlite.c — the embedded store backend, on one SQLite file.
 *
 * Layout (docs/store.md has the longer story):
 *   store_meta(key, value)              format version, catalogue version,
 *                                       next table number
 *   store_collections(name, tid)        one row per collection
 *   store_indexes(coll, name, iid, spec, multikey)
 *                                       declared indexes, spec in
 *                                       listIndexes form (BSON)
 *   c<tid>(rid INTEGER PRIMARY KEY, id_key BLOB UNIQUE, doc BLOB)
 *                                       the documents, as BSON, unchanged;
 *                                       id_key = order-preserving key of _id
 *   i<iid>(key, rid) WITHOUT ROWID      one row per index key of a document;
 *                                       PRIMARY KEY(key) when unique, else
 *                                       PRIMARY KEY(key, rid)
 * Keys are squery_key_append() encodings, so SQLite's memcmp order on the
 * key column is MongoDB's order. Every write runs in a BEGIN IMMEDIATE
 * transaction (one writer at a time across all processes, readers never
 * blocked: WAL), which makes read-modify-write updates atomic. The
 * catalogue is cached per store and reloaded when the catalogue version
 * (bumped by every schema change) moves; that version is only read when
 * PRAGMA data_version says another connection committed since.
 *
 * Queries: the filter's top-level conditions are matched against the
 * declared indexes (equality prefix — $in lists of values included, one
 * prefix per combination — then one range / $in on the next field); the
 * best index gives key ranges scanned in key order, every
 * candidate document is then tested with the full filter (squery). No
 * usable index = a scan of the collection table. A sort the chosen index
 * order provides costs nothing; otherwise it is done in memory (a bounded
 * heap when there is a limit). A find is planned by its first
 * store_cursor_next(), in the read transaction of its first batch.
 * Cursors read in batches, each batch in its own short read transaction,
 * so a caller may write between two store_cursor_next() calls on the same
 * store.
 */
#include "store/backend.h"
#include "store/query.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SL_FORMAT          1
#define SL_BUSY_TIMEOUT_MS 10000
#define SL_BATCH           256
#define SL_TTL_PERIOD_MS   60000

struct sl_index {
	int64_t iid;
	char *name;
	bson_t *spec;              /* listIndexes form */
	squery_keypattern_t *kp;
	bool unique;
	int64_t ttl;               /* expireAfterSeconds, -1: none */
	bool multikey;
	sqlite3_stmt *ins, *del, *fwd, *rev;
};

struct sl_coll {
	char *name;
	int64_t tid;
	struct sl_index *idx;
	size_t nidx;
	sqlite3_stmt *ins, *upd, *del, *get, *scan, *id_fwd, *id_rev, *count;
};

struct sl_store {
	struct store base;
	sqlite3 *db;
	char *path;
	int64_t catver;            /* version of the cached catalogue; -1: none */
	int64_t datav;             /* PRAGMA data_version when catver was checked */
	struct sl_coll *colls;
	size_t ncolls;
	sqlite3_stmt *begin_r, *begin_w, *commit, *rollback, *sp, *sp_release, *sp_rollback;
	sqlite3_stmt *get_catver, *bump_catver, *get_next_id, *bump_next_id, *get_datav;
	bool in_txn;
	int64_t last_ttl_ms;
	uint64_t examined;
	char plan[160];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- SQLite plumbing ---------------------------------------------------------- */

static bool sl_fail(struct sl_store *st, int rc, const char *what, store_error_t *err)
{
	int code = STORE_ERR_INTERNAL;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = STORE_ERR_CONFLICT;
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		code = STORE_ERR_UNAVAILABLE;
		break;
	}
	store_error_set(err, code, "embedded store %s: %s: %s%s", st->path, what,
			st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc),
			code == STORE_ERR_CONFLICT ? " (waited 10 s for the write lock)" : "");
	return false;
}

/* Prepares `sql` into *slot once; later calls reset it. */
static bool sl_prep(struct sl_store *st, sqlite3_stmt **slot, const char *sql,
		    store_error_t *err)
{
	int rc;

	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return true;
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	if (rc != SQLITE_OK) {
		*slot = NULL;
		return sl_fail(st, rc, "prepare", err);
	}
	return true;
}

/* Runs a statement that returns no row. */
static bool sl_run(struct sl_store *st, sqlite3_stmt *s, const char *what, store_error_t *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sl_fail(st, rc, what, err);
	return true;
}

static bool sl_exec(struct sl_store *st, const char *sql, store_error_t *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sl_fail(st, rc, sql, err);
	return true;
}

static void bind_buf(sqlite3_stmt *s, int i, const uint8_t *data, size_t len)
{
	if (len == 0)
		sqlite3_bind_zeroblob(s, i, 0);
	else
		sqlite3_bind_blob(s, i, data, (int) len, SQLITE_TRANSIENT);
}

/* "Unbounded" upper key: no key starts with 0xFF. */
static const uint8_t key_max[1] = { 0xff };

/* ---- the catalogue ------------------------------------------------------------ */

static void index_free(struct sl_index *ix)
{
	sqlite3_finalize(ix->ins);
	sqlite3_finalize(ix->del);
	sqlite3_finalize(ix->fwd);
	sqlite3_finalize(ix->rev);
	bson_free(ix->name);
	if (ix->spec)
		bson_destroy(ix->spec);
	squery_keypattern_destroy(ix->kp);
}

static void coll_free(struct sl_coll *c)
{
	size_t i;

	for (i = 0; i < c->nidx; i++)
		index_free(&c->idx[i]);
	bson_free(c->idx);
	bson_free(c->name);
	sqlite3_finalize(c->ins);
	sqlite3_finalize(c->upd);
	sqlite3_finalize(c->del);
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->scan);
	sqlite3_finalize(c->id_fwd);
	sqlite3_finalize(c->id_rev);
	sqlite3_finalize(c->count);
}

static void catalog_clear(struct sl_store *st)
{
	size_t i;

	for (i = 0; i < st->ncolls; i++)
		coll_free(&st->colls[i]);
	bson_free(st->colls);
	st->colls = NULL;
	st->ncolls = 0;
	st->catver = -1;
}

static bool read_int(struct sl_store *st, sqlite3_stmt **slot, const char *sql,
		     int64_t *v, store_error_t *err)
{
	int rc;

	if (!sl_prep(st, slot, sql, err))
		return false;
	rc = sqlite3_step(*slot);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(*slot, 0);
	sqlite3_reset(*slot);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sl_fail(st, rc, "read the catalogue", err);
	return true;
}

static bool index_load(struct sl_store *st, struct sl_index *ix, const void *spec,
		       int len, store_error_t *err)
{
	bson_iter_t it;
	bson_t keys;
	const uint8_t *d;
	uint32_t l;

	ix->ttl = -1;
	ix->spec = bson_new_from_data(spec, (size_t) len);
	if (!ix->spec || !bson_iter_init_find(&it, ix->spec, "key") ||
	    !BSON_ITER_HOLDS_DOCUMENT(&it)) {
		store_error_set(err, STORE_ERR_INTERNAL, "embedded store %s: corrupt index spec",
				st->path);
		return false;
	}
	bson_iter_document(&it, &l, &d);
	bson_init_static(&keys, d, l);
	ix->kp = squery_keypattern_new(&keys, err);
	if (!ix->kp)
		return false;
	if (bson_iter_init_find(&it, ix->spec, "unique"))
		ix->unique = bson_iter_as_bool(&it);
	if (bson_iter_init_find(&it, ix->spec, "expireAfterSeconds"))
		ix->ttl = bson_iter_as_int64(&it);
	return true;
}

static bool catalog_load(struct sl_store *st, int64_t version, store_error_t *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	bool ok = false;

	catalog_clear(st);
	rc = sqlite3_prepare_v2(st->db, "SELECT name, tid FROM store_collections ORDER BY name",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		goto sqlfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sl_coll *c;
		st->colls = bson_realloc(st->colls, (st->ncolls + 1) * sizeof *st->colls);
		c = &st->colls[st->ncolls++];
		memset(c, 0, sizeof *c);
		c->name = bson_strdup((const char *) sqlite3_column_text(s, 0));
		c->tid = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto sqlfail;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT coll, name, iid, spec, multikey FROM store_indexes ORDER BY iid",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		goto sqlfail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *coll = (const char *) sqlite3_column_text(s, 0);
		struct sl_coll *c = NULL;
		struct sl_index *ix;
		size_t i;

		for (i = 0; i < st->ncolls; i++)
			if (strcmp(st->colls[i].name, coll) == 0)
				c = &st->colls[i];
		if (!c)
			continue;
		c->idx = bson_realloc(c->idx, (c->nidx + 1) * sizeof *c->idx);
		ix = &c->idx[c->nidx++];
		memset(ix, 0, sizeof *ix);
		ix->name = bson_strdup((const char *) sqlite3_column_text(s, 1));
		ix->iid = sqlite3_column_int64(s, 2);
		ix->multikey = sqlite3_column_int(s, 4) != 0;
		if (!index_load(st, ix, sqlite3_column_blob(s, 3), sqlite3_column_bytes(s, 3), err))
			goto done;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	st->catver = version;
	ok = true;
	goto done;
sqlfail:
	sl_fail(st, rc, "load the catalogue", err);
done:
	sqlite3_finalize(s);
	if (!ok)
		catalog_clear(st);
	return ok;
}

/* Inside a transaction: makes the cache match the file. The catalogue
 * version is only read when the file may have changed since the last
 * check: PRAGMA data_version moves with every transaction another
 * connection (any process) committed, as of this transaction's snapshot;
 * this connection's own schema changes set or clear catver themselves. */
static bool catalog_sync(struct sl_store *st, store_error_t *err)
{
	int64_t v = 0, dv = 0;

	if (!read_int(st, &st->get_datav, "PRAGMA data_version", &dv, err))
		return false;
	if (st->catver >= 0 && dv == st->datav)
		return true;
	if (!read_int(st, &st->get_catver,
		      "SELECT value FROM store_meta WHERE key = 'catalog'", &v, err))
		return false;
	st->datav = dv;
	if (v == st->catver)
		return true;
	return catalog_load(st, v, err);
}

/* Inside a write transaction, after a schema or multikey change: other
 * processes reload their catalogue. *v receives the new version. */
static bool catalog_bump(struct sl_store *st, int64_t *v, store_error_t *err)
{
	if (!sl_prep(st, &st->bump_catver,
		     "UPDATE store_meta SET value = value + 1 WHERE key = 'catalog'", err) ||
	    !sl_run(st, st->bump_catver, "bump the catalogue version", err))
		return false;
	return read_int(st, &st->get_catver,
			"SELECT value FROM store_meta WHERE key = 'catalog'", v, err);
}

static bool next_table_id(struct sl_store *st, int64_t *id, store_error_t *err)
{
	if (!read_int(st, &st->get_next_id,
		      "SELECT value FROM store_meta WHERE key = 'next_id'", id, err))
		return false;
	return sl_prep(st, &st->bump_next_id,
		       "UPDATE store_meta SET value = value + 1 WHERE key = 'next_id'", err) &&
	       sl_run(st, st->bump_next_id, "allocate a table number", err);
}

static struct sl_coll *coll_find(struct sl_store *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->ncolls; i++)
		if (strcmp(st->colls[i].name, name) == 0)
			return &st->colls[i];
	return NULL;
}

static struct sl_index *index_find_iid(struct sl_coll *c, int64_t iid)
{
	size_t i;

	for (i = 0; i < c->nidx; i++)
		if (c->idx[i].iid == iid)
			return &c->idx[i];
	return NULL;
}

/* Inside a write transaction: the collection, created when missing.
 * Creating reloads the catalogue: earlier sl_coll pointers are stale. */
static struct sl_coll *coll_get(struct sl_store *st, const char *name, store_error_t *err)
{
	struct sl_coll *c = coll_find(st, name);
	sqlite3_stmt *s = NULL;
	int64_t tid;
	char sql[200];
	int rc;

	if (c)
		return c;
	if (!next_table_id(st, &tid, err))
		return NULL;
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO store_collections(name, tid) VALUES (?, ?)",
				-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, tid);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sl_fail(st, rc, "create a collection", err);
		return NULL;
	}
	snprintf(sql, sizeof sql,
		 "CREATE TABLE c%lld (rid INTEGER PRIMARY KEY, id_key BLOB NOT NULL UNIQUE, "
		 "doc BLOB NOT NULL)", (long long) tid);
	if (!sl_exec(st, sql, err) || !catalog_bump(st, &tid, err) ||
	    !catalog_load(st, tid, err))
		return NULL;
	c = coll_find(st, name);
	if (!c)
		store_error_set(err, STORE_ERR_INTERNAL, "collection %s vanished", name);
	return c;
}

/* ---- transactions ------------------------------------------------------------- */

static bool tx_begin(struct sl_store *st, bool write, store_error_t *err)
{
	sqlite3_stmt **slot = write ? &st->begin_w : &st->begin_r;

	if (st->in_txn) {
		store_error_set(err, STORE_ERR_INTERNAL, "embedded store: nested transaction");
		return false;
	}
	if (!sl_prep(st, slot, write ? "BEGIN IMMEDIATE" : "BEGIN", err) ||
	    !sl_run(st, *slot, write ? "begin a write transaction" : "begin a read", err))
		return false;
	st->in_txn = true;
	if (!catalog_sync(st, err)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_txn = false;
		return false;
	}
	return true;
}

static void tx_rollback(struct sl_store *st)
{
	if (!st->in_txn)
		return;
	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = false;
	st->catver = -1;   /* the cache may hold rolled-back changes */
}

static bool tx_commit(struct sl_store *st, store_error_t *err)
{
	if (!sl_prep(st, &st->commit, "COMMIT", err) ||
	    !sl_run(st, st->commit, "commit", err)) {
		tx_rollback(st);
		return false;
	}
	st->in_txn = false;
	return true;
}

static bool sp_begin(struct sl_store *st, store_error_t *err)
{
	return sl_prep(st, &st->sp, "SAVEPOINT doc", err) &&
	       sl_run(st, st->sp, "savepoint", err);
}

static bool sp_release(struct sl_store *st, store_error_t *err)
{
	return sl_prep(st, &st->sp_release, "RELEASE doc", err) &&
	       sl_run(st, st->sp_release, "release", err);
}

static void sp_rollback(struct sl_store *st)
{
	store_error_t ignored;

	if (sl_prep(st, &st->sp_rollback, "ROLLBACK TO doc", &ignored))
		sl_run(st, st->sp_rollback, "rollback to savepoint", &ignored);
	sp_release(st, &ignored);
	st->catver = -1;
}

/* ---- per-collection statements -------------------------------------------------- */

/* The statement cached in *slot, reset for reuse; prepared from `fmt`
 * (which takes two table numbers) the first time. */
static bool cached_stmt(struct sl_store *st, sqlite3_stmt **slot, const char *fmt,
			long long a, long long b, store_error_t *err)
{
	char sql[600];

	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return true;
	}
	snprintf(sql, sizeof sql, fmt, a, b);
	return sl_prep(st, slot, sql, err);
}

/* A statement on a collection's table (c%lld, its number given twice). */
static bool coll_stmt(struct sl_store *st, struct sl_coll *c, sqlite3_stmt **slot,
		      const char *fmt, store_error_t *err)
{
	return cached_stmt(st, slot, fmt, (long long) c->tid, (long long) c->tid, err);
}

/* A statement on an index's table (i%lld) and its collection's (c%lld). */
static bool index_stmt(struct sl_store *st, struct sl_coll *c, struct sl_index *ix,
		       sqlite3_stmt **slot, const char *fmt, store_error_t *err)
{
	return cached_stmt(st, slot, fmt, (long long) ix->iid, (long long) c->tid, err);
}

/* ---- documents and their index entries ---------------------------------------- */

static void dup_error(struct sl_coll *c, const char *index, const bson_t *keyvals,
		      store_error_t *err)
{
	char *json = bson_as_relaxed_extended_json(keyvals, NULL);

	store_error_set(err, STORE_ERR_DUPLICATE_KEY,
			"E11000 duplicate key error collection: %s index: %s dup key: %s",
			c->name, index, json ? json : "{}");
	bson_free(json);
}

static void id_key(const bson_t *doc, squery_buf_t *key)
{
	bson_iter_t it;

	key->len = 0;
	if (bson_iter_init_find(&it, doc, "_id"))
		squery_key_append(key, bson_iter_value(&it), false);
	else
		squery_key_append(key, NULL, false);
}

static bool mark_multikey(struct sl_store *st, struct sl_index *ix, store_error_t *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "UPDATE store_indexes SET multikey = 1 WHERE iid = ?",
				-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, ix->iid);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sl_fail(st, rc, "mark an index multikey", err);
	/* The cache is updated in place: no reload in the middle of a write. */
	ix->multikey = true;
	return catalog_bump(st, &st->catver, err);
}

static bool index_add_keys(struct sl_store *st, struct sl_coll *c, struct sl_index *ix,
			   int64_t rid, const bson_t *doc, const squery_keyset_t *ks,
			   store_error_t *err)
{
	size_t k;

	if (ks->multikey && !ix->multikey && !mark_multikey(st, ix, err))
		return false;
	for (k = 0; k < ks->n; k++) {
		int rc;
		if (!index_stmt(st, c, ix, &ix->ins, "INSERT INTO i%lld(key, rid) VALUES (?, ?)", err))
			return false;
		bind_buf(ix->ins, 1, ks->keys[k].data, ks->keys[k].len);
		sqlite3_bind_int64(ix->ins, 2, rid);
		rc = sqlite3_step(ix->ins);
		sqlite3_reset(ix->ins);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
			bson_t vals;
			squery_index_key_values(ix->kp, doc, ks->keys[k].data, ks->keys[k].len, &vals);
			dup_error(c, ix->name, &vals, err);
			bson_destroy(&vals);
			return false;
		}
		if (rc != SQLITE_DONE)
			return sl_fail(st, rc, "insert an index key", err);
	}
	return true;
}

static bool index_del_keys(struct sl_store *st, struct sl_coll *c, struct sl_index *ix,
			   int64_t rid, const squery_keyset_t *ks, store_error_t *err)
{
	size_t k;

	for (k = 0; k < ks->n; k++) {
		if (!index_stmt(st, c, ix, &ix->del,
				"DELETE FROM i%lld WHERE key = ? AND rid = ?", err))
			return false;
		bind_buf(ix->del, 1, ks->keys[k].data, ks->keys[k].len);
		sqlite3_bind_int64(ix->del, 2, rid);
		if (!sl_run(st, ix->del, "delete an index key", err))
			return false;
	}
	return true;
}

static bool doc_insert(struct sl_store *st, struct sl_coll *c, const bson_t *doc,
		       store_error_t *err)
{
	squery_buf_t key = { 0 };
	int64_t rid;
	size_t i;
	int rc;
	bool ok = false;

	id_key(doc, &key);
	if (!coll_stmt(st, c, &c->ins, "INSERT INTO c%lld(id_key, doc) VALUES (?, ?)", err))
		goto done;
	bind_buf(c->ins, 1, key.data, key.len);
	sqlite3_bind_blob(c->ins, 2, bson_get_data(doc), (int) doc->len, SQLITE_STATIC);
	rc = sqlite3_step(c->ins);
	sqlite3_reset(c->ins);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		bson_iter_t it;
		bson_t vals = BSON_INITIALIZER;
		if (bson_iter_init_find(&it, doc, "_id"))
			bson_append_iter(&vals, "_id", 3, &it);
		dup_error(c, "_id_", &vals, err);
		bson_destroy(&vals);
		goto done;
	}
	if (rc != SQLITE_DONE) {
		sl_fail(st, rc, "insert a document", err);
		goto done;
	}
	rid = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < c->nidx; i++) {
		squery_keyset_t ks;
		bool added;
		if (!squery_index_keys(c->idx[i].kp, doc, &ks, err))
			goto done;
		added = index_add_keys(st, c, &c->idx[i], rid, doc, &ks, err);
		squery_keyset_free(&ks);
		if (!added)
			goto done;
	}
	ok = true;
done:
	squery_buf_free(&key);
	return ok;
}

static bool doc_update(struct sl_store *st, struct sl_coll *c, int64_t rid,
		       const bson_t *old, const bson_t *neu, store_error_t *err)
{
	size_t i;

	for (i = 0; i < c->nidx; i++) {
		struct sl_index *ix = &c->idx[i];
		squery_keyset_t ko, kn, add = { 0 }, del = { 0 };
		size_t a = 0, b = 0;
		bool ok;

		if (!squery_index_keys(ix->kp, neu, &kn, err))
			return false;
		if (!squery_index_keys(ix->kp, old, &ko, err)) {
			squery_keyset_free(&kn);
			return false;
		}
		/* both sorted: the keys only in the old set go, only in the new come */
		add.keys = bson_malloc0((kn.n ? kn.n : 1) * sizeof *add.keys);
		del.keys = bson_malloc0((ko.n ? ko.n : 1) * sizeof *del.keys);
		add.multikey = kn.multikey;
		while (a < ko.n || b < kn.n) {
			int cmp;
			if (a == ko.n)
				cmp = 1;
			else if (b == kn.n)
				cmp = -1;
			else {
				size_t la = ko.keys[a].len, lb = kn.keys[b].len;
				cmp = memcmp(ko.keys[a].data, kn.keys[b].data, la < lb ? la : lb);
				if (!cmp)
					cmp = la < lb ? -1 : la > lb;
			}
			if (cmp < 0)
				del.keys[del.n++] = ko.keys[a++];
			else if (cmp > 0)
				add.keys[add.n++] = kn.keys[b++];
			else
				a++, b++;
		}
		ok = index_del_keys(st, c, ix, rid, &del, err) &&
		     index_add_keys(st, c, ix, rid, neu, &add, err);
		bson_free(add.keys);   /* the buffers belong to ko / kn */
		bson_free(del.keys);
		squery_keyset_free(&ko);
		squery_keyset_free(&kn);
		if (!ok)
			return false;
	}
	if (!coll_stmt(st, c, &c->upd, "UPDATE c%lld SET doc = ? WHERE rid = ?", err))
		return false;
	sqlite3_bind_blob(c->upd, 1, bson_get_data(neu), (int) neu->len, SQLITE_STATIC);
	sqlite3_bind_int64(c->upd, 2, rid);
	return sl_run(st, c->upd, "update a document", err);
}

static bool doc_delete(struct sl_store *st, struct sl_coll *c, int64_t rid,
		       const bson_t *doc, store_error_t *err)
{
	size_t i;

	for (i = 0; i < c->nidx; i++) {
		squery_keyset_t ks;
		bool ok;
		if (!squery_index_keys(c->idx[i].kp, doc, &ks, err))
			return false;
		ok = index_del_keys(st, c, &c->idx[i], rid, &ks, err);
		squery_keyset_free(&ks);
		if (!ok)
			return false;
	}
	if (!coll_stmt(st, c, &c->del, "DELETE FROM c%lld WHERE rid = ?", err))
		return false;
	sqlite3_bind_int64(c->del, 1, rid);
	return sl_run(st, c->del, "delete a document", err);
}

/* The document `rid` into `out` (initialised when true and *found). */
static bool doc_get(struct sl_store *st, struct sl_coll *c, int64_t rid, bson_t *out,
		    bool *found, store_error_t *err)
{
	int rc;

	*found = false;
	if (!coll_stmt(st, c, &c->get, "SELECT doc FROM c%lld WHERE rid = ?", err))
		return false;
	sqlite3_bind_int64(c->get, 1, rid);
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_ROW) {
		bson_t stored;
		if (!bson_init_static(&stored, sqlite3_column_blob(c->get, 0),
				      (size_t) sqlite3_column_bytes(c->get, 0))) {
			sqlite3_reset(c->get);
			store_error_set(err, STORE_ERR_INTERNAL,
					"embedded store %s: corrupt document (rid %lld in %s)",
					st->path, (long long) rid, c->name);
			return false;
		}
		bson_copy_to(&stored, out);
		*found = true;
	}
	sqlite3_reset(c->get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sl_fail(st, rc, "read a document", err);
	return true;
}

/* ---- planning ---------------------------------------------------------------------- */

struct sl_range {
	squery_buf_t lo, hi;       /* [lo, hi); hi.len == 0: no upper bound */
};

struct sl_ranges {
	struct sl_range *r;
	size_t n;
};

static void ranges_free(struct sl_ranges *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		squery_buf_free(&rs->r[i].lo);
		squery_buf_free(&rs->r[i].hi);
	}
	bson_free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}

static int bufcmp(const squery_buf_t *a, const squery_buf_t *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->data, b->data, n) : 0;

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* hi comparison where an empty buffer means +infinity */
static int hicmp(const squery_buf_t *a, const squery_buf_t *b)
{
	if (!a->len || !b->len)
		return (!a->len) - (!b->len);
	return bufcmp(a, b);
}

static void buf_set(squery_buf_t *dst, const squery_buf_t *src)
{
	dst->len = 0;
	squery_buf_append(dst, src->data, src->len);
}

static int range_cmp(const void *a, const void *b)
{
	return bufcmp(&((const struct sl_range *) a)->lo, &((const struct sl_range *) b)->lo);
}

/* Sorts by lower bound, drops empty ranges, merges overlapping ones. */
static void ranges_normalize(struct sl_ranges *rs)
{
	size_t i, w = 0;

	if (rs->n)
		qsort(rs->r, rs->n, sizeof *rs->r, range_cmp);
	for (i = 0; i < rs->n; i++) {
		struct sl_range *r = &rs->r[i];
		if (r->hi.len && bufcmp(&r->lo, &r->hi) >= 0) {
			squery_buf_free(&r->lo);
			squery_buf_free(&r->hi);
			continue;
		}
		if (w > 0) {
			struct sl_range *prev = &rs->r[w - 1];
			if (!prev->hi.len || bufcmp(&r->lo, &prev->hi) <= 0) {
				if (hicmp(&r->hi, &prev->hi) > 0)
					buf_set(&prev->hi, &r->hi);
				squery_buf_free(&r->lo);
				squery_buf_free(&r->hi);
				continue;
			}
		}
		rs->r[w++] = *r;
	}
	rs->n = w;
}

struct sl_cons {
	const char *path;
	squery_op_t op;
	const bson_value_t *operand;
};

struct sl_conslist {
	struct sl_cons *c;
	size_t n;
};

static void cons_collect(void *ctx, const char *path, squery_op_t op,
			 const bson_value_t *operand)
{
	struct sl_conslist *cl = ctx;

	cl->c = bson_realloc(cl->c, (cl->n + 1) * sizeof *cl->c);
	cl->c[cl->n].path = path;
	cl->c[cl->n].op = op;
	cl->c[cl->n].operand = operand;
	cl->n++;
}

/* An equality that pins one key value (not null, not an array). */
static bool is_point(const struct sl_cons *c)
{
	bson_type_t t = c->operand->value_type;

	return c->op == SQUERY_EQ && t != BSON_TYPE_NULL && t != BSON_TYPE_ARRAY &&
	       t != BSON_TYPE_UNDEFINED;
}

static void append_inverted(squery_buf_t *dst, const squery_buf_t *src, bool invert)
{
	size_t start = dst->len, i;

	squery_buf_append(dst, src->data, src->len);
	if (invert)
		for (i = start; i < dst->len; i++)
			dst->data[i] = (uint8_t) ~dst->data[i];
}

/* Key ranges of `prefix` + the keys satisfying constraint `c`. */
static bool cons_ranges(const struct sl_cons *c, const squery_buf_t *prefix, bool desc,
			struct sl_ranges *out)
{
	squery_interval_t *iv;
	size_t n, i;

	out->r = NULL;
	out->n = 0;
	if (!squery_intervals(c->op, c->operand, &iv, &n))
		return false;
	out->r = bson_malloc0((n ? n : 1) * sizeof *out->r);
	for (i = 0; i < n; i++) {
		/* [lo, hi): an inclusive bound takes every key starting with it
		 * (lo as is, hi's successor), an exclusive one none (lo's
		 * successor, hi as is); a descending field swaps the ends */
		struct sl_range *r = &out->r[out->n++];
		squery_buf_t lo = { 0 }, hi = { 0 };
		bool lo_excl = desc ? iv[i].hi_excl : iv[i].lo_excl;
		bool hi_excl = desc ? iv[i].lo_excl : iv[i].hi_excl;

		squery_buf_append(&lo, prefix->data, prefix->len);
		append_inverted(&lo, desc ? &iv[i].hi : &iv[i].lo, desc);
		squery_buf_append(&hi, prefix->data, prefix->len);
		append_inverted(&hi, desc ? &iv[i].lo : &iv[i].hi, desc);
		if (lo_excl)
			squery_key_successor(lo.data, lo.len, &r->lo);
		else
			buf_set(&r->lo, &lo);
		if (hi_excl)
			buf_set(&r->hi, &hi);
		else
			squery_key_successor(hi.data, hi.len, &r->hi);
		squery_buf_free(&lo);
		squery_buf_free(&hi);
	}
	squery_intervals_free(iv, n);
	return true;
}

/* The most key prefixes a query's $in lists may multiply into (beyond,
 * the first list too many bounds the scan as a whole). */
#define SL_MAX_PREFIXES 64

/* One index as the planner sees it (`_id_` included). */
struct sl_cand {
	const char *name;
	const char *const *fields;
	const int *dirs;
	size_t nf;
	bool unique, multikey;
	int64_t iid;                   /* 0: the _id index (the collection table) */
};

/* A value that pins one key of the field (not null, not an array, not a
 * pattern): an equality's operand, or an element of an $in list. */
static bool is_point_value(const bson_value_t *v)
{
	bson_type_t t = v->value_type;

	return t != BSON_TYPE_NULL && t != BSON_TYPE_ARRAY && t != BSON_TYPE_UNDEFINED &&
	       t != BSON_TYPE_REGEX;
}

/* How many keys the $in list `c` pins, or 0 when it does not pin keys
 * (a null, an array or a pattern in it; empty; not a list). */
static size_t point_list_len(const struct sl_cons *c)
{
	bson_iter_t it;
	size_t n = 0;

	if (c->op != SQUERY_IN || c->operand->value_type != BSON_TYPE_ARRAY ||
	    !bson_iter_init_from_data(&it, c->operand->value.v_doc.data,
				      c->operand->value.v_doc.data_len))
		return 0;
	while (bson_iter_next(&it))
		if (!is_point_value(bson_iter_value(&it)))
			return 0;
		else
			n++;
	return n;
}

/* The key prefixes an index is pinned to: one per combination of the
 * equalities and $in lists of its leading fields. */
struct sl_prefixes {
	squery_buf_t *p;
	size_t n;
};

static void prefixes_free(struct sl_prefixes *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		squery_buf_free(&ps->p[i]);
	bson_free(ps->p);
	ps->p = NULL;
	ps->n = 0;
}

/* Every prefix of `ps` followed by each element of the $in list `c`. */
static void prefixes_expand(struct sl_prefixes *ps, const struct sl_cons *c, bool desc)
{
	struct sl_prefixes out = { 0 };
	bson_iter_t it;
	size_t n = 0;

	if (!bson_iter_init_from_data(&it, c->operand->value.v_doc.data,
				      c->operand->value.v_doc.data_len))
		return;
	while (bson_iter_next(&it))
		n++;
	out.p = bson_malloc0(ps->n * n * sizeof *out.p);
	for (size_t i = 0; i < ps->n; i++) {
		bson_iter_init_from_data(&it, c->operand->value.v_doc.data,
					 c->operand->value.v_doc.data_len);
		while (bson_iter_next(&it)) {
			squery_buf_t *q = &out.p[out.n++];
			squery_buf_append(q, ps->p[i].data, ps->p[i].len);
			squery_key_append(q, bson_iter_value(&it), desc);
		}
	}
	prefixes_free(ps);
	*ps = out;
}

/* Appends `more` to `out` (taking its ranges). */
static void ranges_take(struct sl_ranges *out, struct sl_ranges *more)
{
	out->r = bson_realloc(out->r, (out->n + more->n + 1) * sizeof *out->r);
	memcpy(out->r + out->n, more->r, more->n * sizeof *more->r);
	out->n += more->n;
	bson_free(more->r);
	more->r = NULL;
	more->n = 0;
}

/* The ranges of `cand` for the filter's constraints and a score (0: the
 * index constrains nothing). The leading fields pinned by equalities, or
 * by $in lists of values (as MongoDB's bounds: one prefix per
 * combination, SL_MAX_PREFIXES at most), give key prefixes; the next
 * field's equality, $in or range bounds each of them. *k receives the
 * length of the equality prefix (the fields constant over the scan). */
static int plan_candidate(const struct sl_cand *cand, const struct sl_conslist *cl,
			  struct sl_ranges *out, size_t *k)
{
	struct sl_prefixes ps = { 0 };
	size_t i, f = 0;
	bool extra = false, listed = false;
	int score;

	out->r = NULL;
	out->n = 0;
	ps.p = bson_malloc0(sizeof *ps.p);
	ps.n = 1;
	*k = 0;
	while (f < cand->nf) {
		const struct sl_cons *pt = NULL, *list = NULL;
		size_t nl = 0;
		for (i = 0; i < cl->n && !pt; i++)
			if (strcmp(cl->c[i].path, cand->fields[f]) == 0 && is_point(&cl->c[i]))
				pt = &cl->c[i];
		/* a list pins the field when a next field follows (on the last
		 * one, it gives its ranges below: the same keys) */
		for (i = 0; i < cl->n && !pt && !list && f + 1 < cand->nf; i++)
			if (strcmp(cl->c[i].path, cand->fields[f]) == 0 &&
			    (nl = point_list_len(&cl->c[i])) > 0)
				list = &cl->c[i];
		if (!pt && (!list || ps.n * nl > SL_MAX_PREFIXES))
			break;
		if (pt) {
			for (i = 0; i < ps.n; i++)
				squery_key_append(&ps.p[i], pt->operand, cand->dirs[f] < 0);
		} else {
			prefixes_expand(&ps, list, cand->dirs[f] < 0);
			listed = true;
		}
		if (!listed)
			*k = f + 1;
		f++;
	}
	if (f < cand->nf) {
		const char *field = cand->fields[f];
		bool desc = cand->dirs[f] < 0;
		const struct sl_cons *best = NULL;
		/* equality, then $in: one constraint gives the ranges */
		for (i = 0; i < cl->n && !best; i++)
			if (strcmp(cl->c[i].path, field) == 0 && cl->c[i].op == SQUERY_EQ)
				best = &cl->c[i];
		for (i = 0; i < cl->n && !best; i++)
			if (strcmp(cl->c[i].path, field) == 0 && cl->c[i].op == SQUERY_IN)
				best = &cl->c[i];
		for (size_t p = 0; p < ps.n; p++) {
			struct sl_ranges mine = { 0 };
			bool got = false;
			if (best) {
				got = cons_ranges(best, &ps.p[p], desc, &mine);
			} else {
				/* ranges: intersected when the index has no arrays
				 * (MongoDB cannot either: with arrays, two bounds may
				 * hold for two different elements) */
				for (i = 0; i < cl->n; i++) {
					struct sl_ranges r;
					const struct sl_cons *c = &cl->c[i];
					if (strcmp(c->path, field) != 0 ||
					    (c->op != SQUERY_GT && c->op != SQUERY_GTE &&
					     c->op != SQUERY_LT && c->op != SQUERY_LTE))
						continue;
					if (!cons_ranges(c, &ps.p[p], desc, &r))
						continue;
					if (!got) {
						mine = r;
						got = true;
					} else if (!cand->multikey && mine.n == 1 && r.n == 1) {
						if (bufcmp(&r.r[0].lo, &mine.r[0].lo) > 0)
							buf_set(&mine.r[0].lo, &r.r[0].lo);
						if (hicmp(&r.r[0].hi, &mine.r[0].hi) < 0)
							buf_set(&mine.r[0].hi, &r.r[0].hi);
						ranges_free(&r);
					} else {
						ranges_free(&r);
					}
				}
			}
			if (!got) {
				ranges_free(&mine);
				extra = false;
				ranges_free(out);
				break;
			}
			extra = true;
			ranges_take(out, &mine);
		}
	}
	if (!extra) {
		if (f == 0) {
			prefixes_free(&ps);
			return 0;
		}
		ranges_free(out);
		out->r = bson_malloc0(ps.n * sizeof *out->r);
		for (i = 0; i < ps.n; i++) {
			buf_set(&out->r[i].lo, &ps.p[i]);
			squery_key_successor(ps.p[i].data, ps.p[i].len, &out->r[i].hi);
		}
		out->n = ps.n;
	}
	prefixes_free(&ps);
	ranges_normalize(out);
	score = (int) f * 10 + (extra ? 5 : 0);
	if (cand->unique && f == cand->nf)
		score += 1000;
	return score;
}

/* Does scanning `cand` (equality prefix k) produce `sort` order? *reverse
 * says in which direction. */
static bool candidate_sorts(const struct sl_cand *cand, size_t k, const squery_sort_t *sort,
			    bool *reverse)
{
	size_t i, pos = k, nsort = squery_sort_nfields(sort);
	int rel = 0;   /* +1 forward, -1 reverse, 0 undecided */

	*reverse = false;
	if (cand->multikey)
		return false;
	for (i = 0; i < nsort; i++) {
		const char *f = squery_sort_field(sort, i);
		int d = squery_sort_direction(sort, i), r;
		size_t j;
		bool constant = false;

		for (j = 0; j < k; j++)
			if (strcmp(cand->fields[j], f) == 0)
				constant = true;
		if (constant)
			continue;
		if (pos >= cand->nf || strcmp(cand->fields[pos], f) != 0)
			return false;
		r = d == cand->dirs[pos] ? 1 : -1;
		if (rel && r != rel)
			return false;
		rel = r;
		pos++;
	}
	*reverse = rel < 0;
	return true;
}

enum { PLAN_SCAN, PLAN_ID, PLAN_INDEX };

struct sl_plan {
	int kind;
	int64_t iid;
	struct sl_ranges ranges;
	bool reverse;
	bool sorted;       /* the scan order is the requested sort */
	bool dedupe;       /* multikey: a document may come several times */
};

static const char *const id_fields[] = { "_id" };
static const int id_dirs[] = { 1 };

static void plan_choose(struct sl_store *st, struct sl_coll *c, const squery_filter_t *f,
			const squery_sort_t *sort, struct sl_plan *plan)
{
	struct sl_conslist cl = { 0 };
	size_t ncand = c->nidx + 1, i, best = 0, bestk = 0;
	struct sl_cand *cand = bson_malloc0(ncand * sizeof *cand);
	const char **fields = NULL;
	int *dirs = NULL;
	size_t nfields = 0, off = 0;
	int bestscore = 0;
	struct sl_ranges bestr = { 0 };

	memset(plan, 0, sizeof *plan);
	squery_filter_conjuncts(f, cons_collect, &cl);
	cand[0] = (struct sl_cand) { .name = "_id_", .fields = id_fields, .dirs = id_dirs,
				     .nf = 1, .unique = true };
	for (i = 0; i < c->nidx; i++)
		nfields += squery_keypattern_nfields(c->idx[i].kp);
	fields = bson_malloc0((nfields ? nfields : 1) * sizeof *fields);
	dirs = bson_malloc0((nfields ? nfields : 1) * sizeof *dirs);
	for (i = 0; i < c->nidx; i++) {
		struct sl_index *ix = &c->idx[i];
		size_t j, n = squery_keypattern_nfields(ix->kp);
		for (j = 0; j < n; j++) {
			fields[off + j] = squery_keypattern_field(ix->kp, j);
			dirs[off + j] = squery_keypattern_direction(ix->kp, j);
		}
		cand[i + 1] = (struct sl_cand) { .name = ix->name, .fields = fields + off,
						 .dirs = dirs + off, .nf = n, .unique = ix->unique,
						 .multikey = ix->multikey, .iid = ix->iid };
		off += n;
	}

	for (i = 0; i < ncand; i++) {
		struct sl_ranges r;
		size_t k;
		int score = plan_candidate(&cand[i], &cl, &r, &k);
		bool rev;
		/* among equals, prefer the index that also gives the order */
		if (score > 0 && sort && candidate_sorts(&cand[i], k, sort, &rev))
			score += 1;
		if (score > bestscore) {
			ranges_free(&bestr);
			bestr = r;
			bestscore = score;
			best = i;
			bestk = k;
		} else {
			ranges_free(&r);
		}
	}
	if (bestscore > 0) {
		plan->kind = cand[best].iid ? PLAN_INDEX : PLAN_ID;
		plan->iid = cand[best].iid;
		plan->ranges = bestr;
		plan->dedupe = cand[best].multikey;
		/* a unique index pinned on every field yields one document at most:
		 * any order holds */
		if (sort)
			plan->sorted = (cand[best].unique && bestk == cand[best].nf) ||
				       candidate_sorts(&cand[best], bestk, sort, &plan->reverse);
	} else if (sort) {
		/* no index for the filter: one that gives the order, scanned whole */
		for (i = 0; i < ncand; i++) {
			bool rev;
			if (candidate_sorts(&cand[i], 0, sort, &rev)) {
				plan->kind = cand[i].iid ? PLAN_INDEX : PLAN_ID;
				plan->iid = cand[i].iid;
				plan->sorted = true;
				plan->reverse = rev;
				plan->ranges.r = bson_malloc0(sizeof *plan->ranges.r);
				plan->ranges.n = 1;
				best = i;
				break;
			}
		}
	}
	if (plan->kind == PLAN_SCAN)
		snprintf(st->plan, sizeof st->plan, "COLLSCAN%s", sort ? " +SORT" : "");
	else
		snprintf(st->plan, sizeof st->plan, "IXSCAN %s%s", cand[best].name,
			 sort && !plan->sorted ? " +SORT" : "");
	bson_free(cl.c);
	bson_free(cand);
	bson_free(fields);
	bson_free(dirs);
}

static void plan_free(struct sl_plan *plan)
{
	ranges_free(&plan->ranges);
}

/* ---- scanning ----------------------------------------------------------------------- */

struct sl_ridset {
	int64_t *slot;     /* 0 = empty (rids are > 0) */
	size_t cap, n;
};

static bool ridset_add(struct sl_ridset *s, int64_t rid)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct sl_ridset bigger = { .cap = s->cap ? s->cap * 2 : 64 };
		bigger.slot = bson_malloc0(bigger.cap * sizeof *bigger.slot);
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				ridset_add(&bigger, s->slot[i]);
		bson_free(s->slot);
		*s = bigger;
	}
	i = (size_t) ((uint64_t) rid * 0x9E3779B97F4A7C15ULL) & (s->cap - 1);
	while (s->slot[i]) {
		if (s->slot[i] == rid)
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = rid;
	s->n++;
	return true;
}

struct sl_scan {
	const struct sl_plan *plan;
	size_t ri;                  /* current range */
	bool positioned;            /* last_key/last_rid hold the last row read */
	squery_buf_t last_key;
	int64_t last_rid;
	bool done;
	struct sl_ridset seen;
};

static void scan_init(struct sl_scan *sc, const struct sl_plan *plan)
{
	memset(sc, 0, sizeof *sc);
	sc->plan = plan;
	sc->ri = plan->reverse && plan->ranges.n ? plan->ranges.n - 1 : 0;
	sc->done = plan->kind != PLAN_SCAN && plan->ranges.n == 0;
}

static void scan_free(struct sl_scan *sc)
{
	squery_buf_free(&sc->last_key);
	bson_free(sc->seen.slot);
}

/* Returns false to stop the scan. `doc` lives only during the call. */
typedef bool (*sl_doc_fn)(void *ctx, int64_t rid, const bson_t *doc, store_error_t *err);

/* Feeds up to SL_BATCH candidate rows to `fn`, from where the scan stands.
 * Returns false on error (err set). *stopped when fn returned false. */
static bool scan_batch(struct sl_store *st, struct sl_coll *c, struct sl_scan *sc,
		       sl_doc_fn fn, void *ctx, bool *stopped, store_error_t *err)
{
	const struct sl_plan *p = sc->plan;
	sqlite3_stmt *s;
	struct sl_index *ix = NULL;
	int rc, rows = 0;

	*stopped = false;
	if (sc->done)
		return true;
	if (p->kind == PLAN_SCAN) {
		if (!coll_stmt(st, c, &c->scan,
			       "SELECT rid, rid, doc FROM c%lld WHERE rid > ? ORDER BY rid LIMIT ?",
			       err))
			return false;
		s = c->scan;
		sqlite3_bind_int64(s, 1, sc->positioned ? sc->last_rid : 0);
		sqlite3_bind_int(s, 2, SL_BATCH);
	} else {
		const struct sl_range *r = &p->ranges.r[sc->ri];
		const uint8_t *hi = r->hi.len ? r->hi.data : key_max;
		size_t hilen = r->hi.len ? r->hi.len : 1;

		if (p->kind == PLAN_INDEX) {
			ix = index_find_iid(c, p->iid);
			if (!ix) {
				store_error_set(err, STORE_ERR_CONFLICT,
						"the index used by this query was dropped");
				return false;
			}
			if (!(p->reverse
			      ? index_stmt(st, c, ix, &ix->rev,
					   "SELECT i.key, i.rid, c.doc FROM i%lld AS i "
					   "JOIN c%lld AS c ON c.rid = i.rid "
					   "WHERE i.key >= ?1 AND (i.key, i.rid) < (?2, ?3) "
					   "ORDER BY i.key DESC, i.rid DESC LIMIT ?4", err)
			      : index_stmt(st, c, ix, &ix->fwd,
					   "SELECT i.key, i.rid, c.doc FROM i%lld AS i "
					   "JOIN c%lld AS c ON c.rid = i.rid "
					   "WHERE (i.key, i.rid) > (?1, ?2) AND i.key < ?3 "
					   "ORDER BY i.key, i.rid LIMIT ?4", err)))
				return false;
			s = p->reverse ? ix->rev : ix->fwd;
		} else {
			if (!(p->reverse
			      ? coll_stmt(st, c, &c->id_rev,
					  "SELECT id_key, rid, doc FROM c%lld "
					  "WHERE id_key >= ?1 AND (id_key, rid) < (?2, ?3) "
					  "ORDER BY id_key DESC, rid DESC LIMIT ?4", err)
			      : coll_stmt(st, c, &c->id_fwd,
					  "SELECT id_key, rid, doc FROM c%lld "
					  "WHERE (id_key, rid) > (?1, ?2) AND id_key < ?3 "
					  "ORDER BY id_key, rid LIMIT ?4", err)))
				return false;
			s = p->reverse ? c->id_rev : c->id_fwd;
		}
		if (p->reverse) {
			bind_buf(s, 1, r->lo.data, r->lo.len);
			if (sc->positioned) {
				bind_buf(s, 2, sc->last_key.data, sc->last_key.len);
				sqlite3_bind_int64(s, 3, sc->last_rid);
			} else {
				bind_buf(s, 2, hi, hilen);
				sqlite3_bind_int64(s, 3, INT64_MIN);
			}
		} else {
			if (sc->positioned) {
				bind_buf(s, 1, sc->last_key.data, sc->last_key.len);
				sqlite3_bind_int64(s, 2, sc->last_rid);
			} else {
				bind_buf(s, 1, r->lo.data, r->lo.len);
				sqlite3_bind_int64(s, 2, INT64_MIN);
			}
			bind_buf(s, 3, hi, hilen);
		}
		sqlite3_bind_int(s, 4, SL_BATCH);
	}

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(s, 1);
		bson_t doc;

		rows++;
		sc->positioned = true;
		sc->last_rid = rid;
		if (p->kind != PLAN_SCAN) {
			sc->last_key.len = 0;
			squery_buf_append(&sc->last_key, sqlite3_column_blob(s, 0),
					  (size_t) sqlite3_column_bytes(s, 0));
		}
		if (p->dedupe && !ridset_add(&sc->seen, rid))
			continue;
		if (!bson_init_static(&doc, sqlite3_column_blob(s, 2),
				      (size_t) sqlite3_column_bytes(s, 2))) {
			sqlite3_reset(s);
			store_error_set(err, STORE_ERR_INTERNAL,
					"embedded store %s: corrupt document (rid %lld in %s)",
					st->path, (long long) rid, c->name);
			return false;
		}
		st->examined++;
		if (!fn(ctx, rid, &doc, err)) {
			sqlite3_reset(s);
			if (err->code != STORE_OK)
				return false;
			*stopped = true;
			return true;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sl_fail(st, rc, "scan", err);
	if (rows < SL_BATCH) {
		/* this range is finished */
		sc->positioned = false;
		if (p->kind == PLAN_SCAN)
			sc->done = true;
		else if (p->reverse ? sc->ri == 0 : sc->ri + 1 >= p->ranges.n)
			sc->done = true;
		else if (p->reverse)
			sc->ri--;
		else
			sc->ri++;
	}
	return true;
}

static bool scan_all(struct sl_store *st, struct sl_coll *c, struct sl_scan *sc,
		     sl_doc_fn fn, void *ctx, store_error_t *err)
{
	bool stopped = false;

	while (!sc->done && !stopped)
		if (!scan_batch(st, c, sc, fn, ctx, &stopped, err))
			return false;
	return true;
}

/* ---- collecting matches ------------------------------------------------------------ */

struct sl_item {
	bson_t *doc;
	int64_t rid;
	uint64_t seq;
	squery_sortkey_t *key;
};

struct sl_collect {
	const squery_filter_t *filter;
	const squery_sort_t *sort;     /* NULL: scan order */
	size_t keep;                   /* 0: everything; else the `keep` first */
	bool want_docs;                /* else only rids */
	struct sl_item *items;
	size_t n, cap;
	uint64_t seq;
};

static int item_cmp(const void *a, const void *b, void *ctx)
{
	const struct sl_item *x = a, *y = b;
	const squery_sort_t *sort = ctx;
	int c = sort ? squery_sortkey_compare(sort, x->key, y->key) : 0;

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void item_free(struct sl_item *it)
{
	if (it->doc)
		bson_destroy(it->doc);
	if (it->key)
		squery_sortkey_destroy(it->key);
}

static void collect_free(struct sl_collect *cl)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		item_free(&cl->items[i]);
	bson_free(cl->items);
	cl->items = NULL;
	cl->n = cl->cap = 0;
}

/* Max-heap on item_cmp: the worst kept item on top. */
static void heap_down(struct sl_collect *cl, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct sl_item t;
		if (l < cl->n && item_cmp(&cl->items[l], &cl->items[m], (void *) cl->sort) > 0)
			m = l;
		if (r < cl->n && item_cmp(&cl->items[r], &cl->items[m], (void *) cl->sort) > 0)
			m = r;
		if (m == i)
			return;
		t = cl->items[i];
		cl->items[i] = cl->items[m];
		cl->items[m] = t;
		i = m;
	}
}

static void heap_up(struct sl_collect *cl, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct sl_item t;
		if (item_cmp(&cl->items[i], &cl->items[p], (void *) cl->sort) <= 0)
			return;
		t = cl->items[i];
		cl->items[i] = cl->items[p];
		cl->items[p] = t;
		i = p;
	}
}

static bool collect_fn(void *ctx, int64_t rid, const bson_t *doc, store_error_t *err)
{
	struct sl_collect *cl = ctx;
	struct sl_item it = { .rid = rid, .seq = cl->seq++ };

	if (cl->filter && !squery_filter_match(cl->filter, doc))
		return true;
	if (cl->want_docs || cl->sort)
		it.doc = bson_copy(doc);
	if (cl->sort)
		it.key = squery_sortkey_new(cl->sort, it.doc);
	if (cl->sort && cl->keep) {
		if (cl->n == cl->keep) {
			if (item_cmp(&it, &cl->items[0], (void *) cl->sort) >= 0) {
				item_free(&it);
				return true;
			}
			item_free(&cl->items[0]);
			cl->items[0] = it;
			heap_down(cl, 0);
			return true;
		}
	}
	if (cl->n == cl->cap) {
		cl->cap = cl->cap ? cl->cap * 2 : 16;
		cl->items = bson_realloc(cl->items, cl->cap * sizeof *cl->items);
	}
	cl->items[cl->n++] = it;
	if (cl->sort && cl->keep)
		heap_up(cl, cl->n - 1);
	/* in scan order, stop as soon as enough matched */
	return cl->sort || !cl->keep || cl->n < cl->keep;
}

static void collect_finish(struct sl_collect *cl)
{
	if (cl->sort && cl->n)
		qsort_r(cl->items, cl->n, sizeof *cl->items, item_cmp, (void *) cl->sort);
}

/* The matches of `f` in `c` (sorted, at most `keep`), inside a transaction. */
static bool collect_matches(struct sl_store *st, struct sl_coll *c, const squery_filter_t *f,
			    const squery_sort_t *sort, size_t keep, bool want_docs,
			    struct sl_collect *cl, store_error_t *err)
{
	struct sl_plan plan;
	struct sl_scan sc;
	bool ok;

	memset(cl, 0, sizeof *cl);
	cl->filter = f;
	cl->keep = keep;
	cl->want_docs = want_docs;
	plan_choose(st, c, f, sort, &plan);
	cl->sort = plan.sorted ? NULL : sort;
	scan_init(&sc, &plan);
	ok = scan_all(st, c, &sc, collect_fn, cl, err);
	scan_free(&sc);
	plan_free(&plan);
	if (!ok) {
		collect_free(cl);
		return false;
	}
	collect_finish(cl);
	return true;
}

/* ---- TTL ------------------------------------------------------------------------------ */

struct ttl_ctx {
	const char *field;
	int64_t cutoff;
	int64_t *rids;
	size_t n;
};

static bool ttl_fn(void *ctx, int64_t rid, const bson_t *doc, store_error_t *err)
{
	struct ttl_ctx *t = ctx;
	int64_t ms;

	if (squery_earliest_date(doc, t->field, &ms) && ms < t->cutoff) {
		t->rids = bson_realloc(t->rids, (t->n + 1) * sizeof *t->rids);
		t->rids[t->n++] = rid;
	}
	return true;
}

/* Inside a write transaction. */
static bool ttl_sweep(struct sl_store *st, store_error_t *err)
{
	size_t ci, ii, k;
	int64_t now = now_ms();

	for (ci = 0; ci < st->ncolls; ci++) {
		struct sl_coll *c = &st->colls[ci];
		for (ii = 0; ii < c->nidx; ii++) {
			struct sl_index *ix = &c->idx[ii];
			struct ttl_ctx t = { .field = squery_keypattern_field(ix->kp, 0),
					     .cutoff = now - ix->ttl * 1000 };
			bson_value_t cut = { .value_type = BSON_TYPE_DATE_TIME };
			struct sl_cons cons = { .op = SQUERY_LT, .operand = &cut };
			squery_buf_t none = { 0 };
			struct sl_plan plan = { .kind = PLAN_INDEX, .iid = ix->iid,
						.dedupe = ix->multikey };
			struct sl_scan sc;
			bool ok;

			if (ix->ttl < 0)
				continue;
			cut.value.v_datetime = t.cutoff;
			cons.path = t.field;
			cons_ranges(&cons, &none, squery_keypattern_direction(ix->kp, 0) < 0,
				    &plan.ranges);
			ranges_normalize(&plan.ranges);
			scan_init(&sc, &plan);
			ok = scan_all(st, c, &sc, ttl_fn, &t, err);
			scan_free(&sc);
			plan_free(&plan);
			for (k = 0; ok && k < t.n; k++) {
				bson_t doc;
				bool found;
				ok = doc_get(st, c, t.rids[k], &doc, &found, err);
				if (ok && found) {
					ok = doc_delete(st, c, t.rids[k], &doc, err);
					bson_destroy(&doc);
				}
			}
			bson_free(t.rids);
			if (!ok)
				return false;
		}
	}
	return true;
}

static bool sl_expire_ttl(store_t *base, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;

	if (!tx_begin(st, true, err))
		return false;
	if (!ttl_sweep(st, err)) {
		tx_rollback(st);
		return false;
	}
	if (!tx_commit(st, err))
		return false;
	st->last_ttl_ms = now_ms();
	return true;
}

/* MongoDB removes expired documents about once a minute; we do it at most
 * once a minute, before a write. */
static bool ttl_maybe(struct sl_store *st, store_error_t *err)
{
	if (now_ms() - st->last_ttl_ms < SL_TTL_PERIOD_MS)
		return true;
	return sl_expire_ttl(&st->base, err);
}

/* ---- open, close, ping ------------------------------------------------------------- */

static const char *const schema_sql =
	"CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO store_meta VALUES ('format', 1), ('catalog', 1), ('next_id', 1);"
	"CREATE TABLE IF NOT EXISTS store_collections (name TEXT PRIMARY KEY, "
	"  tid INTEGER NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS store_indexes (coll TEXT NOT NULL, name TEXT NOT NULL, "
	"  iid INTEGER NOT NULL UNIQUE, spec BLOB NOT NULL, multikey INTEGER NOT NULL DEFAULT 0, "
	"  PRIMARY KEY (coll, name));";

static void sl_close(store_t *base)
{
	struct sl_store *st = (struct sl_store *) base;

	if (!st)
		return;
	tx_rollback(st);
	catalog_clear(st);
	sqlite3_finalize(st->begin_r);
	sqlite3_finalize(st->begin_w);
	sqlite3_finalize(st->commit);
	sqlite3_finalize(st->rollback);
	sqlite3_finalize(st->sp);
	sqlite3_finalize(st->sp_release);
	sqlite3_finalize(st->sp_rollback);
	sqlite3_finalize(st->get_catver);
	sqlite3_finalize(st->get_datav);
	sqlite3_finalize(st->bump_catver);
	sqlite3_finalize(st->get_next_id);
	sqlite3_finalize(st->bump_next_id);
	sqlite3_close(st->db);
	bson_free(st->path);
	bson_free(st);
}

static bool schema_ensure(struct sl_store *st, store_error_t *err)
{
	int64_t format = 0;
	int rc;
	char *mode = NULL;
	sqlite3_stmt *s = NULL;

	/* WAL is a property of the file; switching needs a moment alone. */
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		mode = bson_strdup((const char *) sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return sl_fail(st, rc, "cannot switch to WAL mode", err);
	if (!mode || strcmp(mode, "wal") != 0) {
		store_error_set(err, STORE_ERR_UNAVAILABLE,
				"embedded store %s: journal mode is '%s', WAL is required",
				st->path, mode ? mode : "?");
		bson_free(mode);
		return false;
	}
	bson_free(mode);
	if (!sl_exec(st, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; "
			 "PRAGMA cache_size = -16000; PRAGMA mmap_size = 1073741824", err))
		return false;
	if (!sl_prep(st, &st->begin_w, "BEGIN IMMEDIATE", err) ||
	    !sl_run(st, st->begin_w, "begin", err))
		return false;
	st->in_txn = true;
	if (!sl_exec(st, schema_sql, err)) {
		tx_rollback(st);
		return false;
	}
	rc = sqlite3_prepare_v2(st->db, "SELECT value FROM store_meta WHERE key = 'format'",
				-1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		format = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		sl_fail(st, rc, "read the format", err);
		tx_rollback(st);
		return false;
	}
	if (format != SL_FORMAT) {
		tx_rollback(st);
		store_error_set(err, STORE_ERR_UNAVAILABLE,
				"embedded store %s: format %lld, this program reads format %d",
				st->path, (long long) format, SL_FORMAT);
		return false;
	}
	return tx_commit(st, err);
}

static store_t *sl_open(const char *uri, store_error_t *err)
{
	struct sl_store *st = bson_malloc0(sizeof *st);
	int rc;

	st->base.ops = &store_sqlite_ops;
	st->path = bson_strdup(uri);
	st->catver = -1;
	rc = sqlite3_open_v2(uri, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_error_set(err, STORE_ERR_UNAVAILABLE, "cannot open the embedded store %s: %s",
				uri, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, SL_BUSY_TIMEOUT_MS);
	if (!schema_ensure(st, err))
		goto fail;
	return &st->base;
fail:
	sl_close(&st->base);
	return NULL;
}

/* A read of the catalogue version (tx_begin reads it). */
static bool sl_ping(store_t *base, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;

	return tx_begin(st, false, err) && tx_commit(st, err);
}

/* ---- writes ------------------------------------------------------------------------ */

static bool sl_insert_many(store_t *base, const char *coll, const bson_t *const *docs,
			   size_t n, size_t *n_inserted, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	struct sl_coll *c;
	size_t i;

	*n_inserted = 0;
	if (!ttl_maybe(st, err) || !tx_begin(st, true, err))
		return false;
	c = coll_get(st, coll, err);
	if (!c)
		goto fail;
	for (i = 0; i < n; i++) {
		/* a document may fail half-way (a duplicate in its third index):
		 * a savepoint undoes its part, the documents before it stay
		 * (ordered insert, as MongoDB) */
		if (!sp_begin(st, err))
			goto fail;
		if (!doc_insert(st, c, docs[i], err)) {
			store_error_t keep = *err;
			sp_rollback(st);
			if (!tx_commit(st, err))
				return false;
			*err = keep;
			*n_inserted = i;
			return false;
		}
		if (!sp_release(st, err))
			goto fail;
	}
	if (!tx_commit(st, err))
		return false;
	*n_inserted = n;
	return true;
fail:
	tx_rollback(st);
	return false;
}

/* Applies `u` to the matched documents of `c` (inside a write transaction).
 * Stops at the first error with the earlier documents updated. */
static bool apply_updates(struct sl_store *st, struct sl_coll *c, const struct sl_collect *m,
			  const squery_update_t *u, store_update_result_t *res, store_error_t *err)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		bson_t old, neu;
		bool found, changed = false, ok;

		if (!doc_get(st, c, m->items[i].rid, &old, &found, err))
			return false;
		if (!found)
			continue;
		res->matched++;
		ok = squery_update_apply(u, &old, &neu, &changed, err);
		if (ok && changed) {
			/* a failure leaves the earlier documents updated */
			ok = sp_begin(st, err);
			if (ok && !doc_update(st, c, m->items[i].rid, &old, &neu, err)) {
				store_error_t keep = *err;
				sp_rollback(st);
				*err = keep;
				ok = false;
			} else if (ok) {
				ok = sp_release(st, err);
			}
			if (ok)
				res->modified++;
		}
		if (ok || changed)
			bson_destroy(&neu);
		bson_destroy(&old);
		if (!ok)
			return false;
	}
	return true;
}

static bool upsert_insert(struct sl_store *st, const char *coll, const bson_t *filter,
			  const squery_update_t *u, bson_t *inserted, store_error_t *err)
{
	struct sl_coll *c;

	if (!squery_upsert_doc(filter, u, inserted, err))
		return false;
	if (!squery_check_fields(inserted, err))
		goto fail;
	c = coll_get(st, coll, err);
	if (!c || !doc_insert(st, c, inserted, err))
		goto fail;
	return true;
fail:
	bson_destroy(inserted);
	return false;
}

static bool sl_update(store_t *base, const char *coll, const bson_t *filter,
		      const bson_t *update, bool many, bool upsert,
		      store_update_result_t *res, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	squery_filter_t *f = NULL;
	squery_update_t *u = NULL;
	struct sl_collect m = { 0 };
	struct sl_coll *c;
	bool ok = false;

	f = squery_filter_new(filter, err);
	u = f ? squery_update_new(update, err) : NULL;
	if (!u)
		goto done;
	if (!ttl_maybe(st, err) || !tx_begin(st, true, err))
		goto done;
	c = coll_find(st, coll);
	if (c && !collect_matches(st, c, f, NULL, many ? 0 : 1, false, &m, err))
		goto rollback;
	if (c && !apply_updates(st, c, &m, u, res, err)) {
		/* earlier documents stay updated, as on MongoDB */
		store_error_t keep = *err;
		if (tx_commit(st, err))
			*err = keep;
		goto done;
	}
	if (res->matched == 0 && upsert) {
		bson_t doc;
		bson_iter_t it;
		if (!upsert_insert(st, coll, filter, u, &doc, err))
			goto rollback;
		bson_iter_init_find(&it, &doc, "_id");
		bson_value_copy(bson_iter_value(&it), &res->upserted_id);
		res->upserted = true;
		bson_destroy(&doc);
	}
	ok = tx_commit(st, err);
	if (!ok && res->upserted) {
		bson_value_destroy(&res->upserted_id);
		res->upserted = false;
	}
	goto done;
rollback:
	tx_rollback(st);
done:
	collect_free(&m);
	squery_filter_destroy(f);
	squery_update_destroy(u);
	return ok;
}

static bool sl_find_one_and_update(store_t *base, const char *coll, const bson_t *filter,
				   const bson_t *update, const store_fam_opts_t *opts,
				   bson_t *out, bool *found, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	squery_filter_t *f = NULL;
	squery_update_t *u = NULL;
	squery_sort_t *sort = NULL;
	squery_projection_t *proj = NULL;
	struct sl_collect m = { 0 };
	struct sl_coll *c;
	bool ok = false;

	*found = false;
	f = squery_filter_new(filter, err);
	u = f ? squery_update_new(update, err) : NULL;
	if (!u)
		goto done;
	sort = squery_sort_new(opts->sort, err);
	if (!sort && err->code != STORE_OK)
		goto done;
	proj = squery_projection_new(opts->projection, err);
	if (!proj && err->code != STORE_OK)
		goto done;
	if (!ttl_maybe(st, err) || !tx_begin(st, true, err))
		goto done;
	c = coll_find(st, coll);
	if (c && !collect_matches(st, c, f, sort, 1, true, &m, err))
		goto rollback;
	if (m.n) {
		bson_t neu;
		bool changed;
		const bson_t *old = m.items[0].doc;
		if (!squery_update_apply(u, old, &neu, &changed, err))
			goto rollback;
		if (changed && !doc_update(st, c, m.items[0].rid, old, &neu, err)) {
			bson_destroy(&neu);
			goto rollback;
		}
		squery_project(proj, opts->return_new ? &neu : old, out);
		bson_destroy(&neu);
		*found = true;
	} else if (opts->upsert) {
		bson_t doc;
		if (!upsert_insert(st, coll, filter, u, &doc, err))
			goto rollback;
		/* MongoDB returns the new document only when asked for it */
		if (opts->return_new) {
			squery_project(proj, &doc, out);
			*found = true;
		}
		bson_destroy(&doc);
	}
	if (!*found)
		bson_init(out);
	ok = tx_commit(st, err);
	if (!ok) {
		bson_destroy(out);
		*found = false;
	}
	goto done;
rollback:
	tx_rollback(st);
done:
	collect_free(&m);
	squery_filter_destroy(f);
	squery_update_destroy(u);
	squery_sort_destroy(sort);
	squery_projection_destroy(proj);
	return ok;
}

static bool sl_delete(store_t *base, const char *coll, const bson_t *filter, bool many,
		      int64_t *deleted, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	squery_filter_t *f;
	struct sl_collect m = { 0 };
	struct sl_coll *c;
	size_t i;
	bool ok = false;

	*deleted = 0;
	f = squery_filter_new(filter, err);
	if (!f)
		return false;
	if (!ttl_maybe(st, err) || !tx_begin(st, true, err))
		goto done;
	c = coll_find(st, coll);
	if (c && !collect_matches(st, c, f, NULL, many ? 0 : 1, true, &m, err))
		goto rollback;
	for (i = 0; i < m.n; i++) {
		if (!doc_delete(st, c, m.items[i].rid, m.items[i].doc, err))
			goto rollback;
		(*deleted)++;
	}
	ok = tx_commit(st, err);
	if (!ok)
		*deleted = 0;
	goto done;
rollback:
	*deleted = 0;
	tx_rollback(st);
done:
	collect_free(&m);
	squery_filter_destroy(f);
	return ok;
}

struct count_ctx {
	squery_filter_t *f;
	int64_t n;
};

static bool count_fn(void *ctx, int64_t rid, const bson_t *doc, store_error_t *err)
{
	struct count_ctx *cc = ctx;

	if (squery_filter_match(cc->f, doc))
		cc->n++;
	return true;
}

static bool sl_count(store_t *base, const char *coll, const bson_t *filter, int64_t *count,
		     store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	struct count_ctx cc = { 0 };
	struct sl_coll *c;
	bool ok = false;

	*count = 0;
	cc.f = squery_filter_new(filter, err);
	if (!cc.f)
		return false;
	if (!tx_begin(st, false, err))
		goto done;
	c = coll_find(st, coll);
	if (!c) {
		ok = true;
	} else if (squery_filter_is_empty(cc.f)) {
		int rc;
		ok = coll_stmt(st, c, &c->count, "SELECT count(*) FROM c%lld", err);
		if (ok) {
			rc = sqlite3_step(c->count);
			if (rc == SQLITE_ROW)
				cc.n = sqlite3_column_int64(c->count, 0);
			sqlite3_reset(c->count);
			if (rc != SQLITE_ROW)
				ok = sl_fail(st, rc, "count", err);
		}
		snprintf(st->plan, sizeof st->plan, "COUNT");
	} else {
		struct sl_plan plan;
		struct sl_scan sc;
		plan_choose(st, c, cc.f, NULL, &plan);
		scan_init(&sc, &plan);
		ok = scan_all(st, c, &sc, count_fn, &cc, err);
		scan_free(&sc);
		plan_free(&plan);
	}
	if (!ok) {
		tx_rollback(st);
		goto done;
	}
	ok = tx_commit(st, err);
	if (ok)
		*count = cc.n;
done:
	squery_filter_destroy(cc.f);
	return ok;
}

/* ---- indexes and collections ------------------------------------------------------- */

static void index_spec(const store_index_t *ix, bson_t *spec)
{
	bson_init(spec);
	BSON_APPEND_INT32(spec, "v", 2);
	BSON_APPEND_DOCUMENT(spec, "key", ix->keys);
	BSON_APPEND_UTF8(spec, "name", ix->name);
	if (ix->unique)
		BSON_APPEND_BOOL(spec, "unique", true);
	if (ix->expire_after_seconds >= 0)
		BSON_APPEND_INT32(spec, "expireAfterSeconds", (int32_t) ix->expire_after_seconds);
}

static bool spec_keys_equal(const struct sl_index *ix, const bson_t *keys)
{
	bson_iter_t it;
	const uint8_t *d;
	uint32_t l;

	if (!bson_iter_init_find(&it, ix->spec, "key") || !BSON_ITER_HOLDS_DOCUMENT(&it))
		return false;
	bson_iter_document(&it, &l, &d);
	return l == keys->len && memcmp(d, bson_get_data(keys), l) == 0;
}

struct build_ctx {
	struct sl_store *st;
	struct sl_coll *c;
	struct sl_index *ix;
};

static bool build_fn(void *ctx, int64_t rid, const bson_t *doc, store_error_t *err)
{
	struct build_ctx *b = ctx;
	squery_keyset_t ks;
	bool ok;

	if (!squery_index_keys(b->ix->kp, doc, &ks, err))
		return false;
	ok = index_add_keys(b->st, b->c, b->ix, rid, doc, &ks, err);
	squery_keyset_free(&ks);
	return ok;
}

static bool sl_create_index(store_t *base, const char *coll, const store_index_t *index,
			    store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	struct sl_coll *c;
	struct sl_index tmp = { 0 };
	bson_t spec;
	char sql[256];
	int64_t iid;
	size_t i;
	sqlite3_stmt *s = NULL;
	int rc;

	index_spec(index, &spec);
	if (!tx_begin(st, true, err))
		goto out;
	c = coll_get(st, coll, err);
	if (!c)
		goto rollback;
	for (i = 0; i < c->nidx; i++) {
		struct sl_index *ix = &c->idx[i];
		bool same_keys = spec_keys_equal(ix, index->keys);
		bool same_opts = ix->unique == index->unique && ix->ttl == index->expire_after_seconds;
		char *want = NULL, *have = NULL;

		if (strcmp(ix->name, index->name) == 0) {
			if (same_keys && same_opts) {
				bson_destroy(&spec);
				return tx_commit(st, err);
			}
			want = bson_as_relaxed_extended_json(&spec, NULL);
			have = bson_as_relaxed_extended_json(ix->spec, NULL);
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"%s: An existing index has the same name as the requested "
					"index. Requested index: %s, existing index: %s",
					same_keys ? "IndexOptionsConflict" : "IndexKeySpecsConflict",
					want, have);
		} else if (same_keys) {
			want = bson_as_relaxed_extended_json(&spec, NULL);
			store_error_set(err, STORE_ERR_BAD_VALUE,
					"IndexOptionsConflict: Index already exists with a different "
					"name: %s (requested %s)", ix->name, want);
		} else {
			continue;
		}
		bson_free(want);
		bson_free(have);
		goto rollback;
	}
	if (!next_table_id(st, &iid, err))
		goto rollback;
	snprintf(sql, sizeof sql,
		 index->unique
		 ? "CREATE TABLE i%lld (key BLOB NOT NULL PRIMARY KEY, rid INTEGER NOT NULL) "
		   "WITHOUT ROWID"
		 : "CREATE TABLE i%lld (key BLOB NOT NULL, rid INTEGER NOT NULL, "
		   "PRIMARY KEY (key, rid)) WITHOUT ROWID",
		 (long long) iid);
	if (!sl_exec(st, sql, err))
		goto rollback;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO store_indexes(coll, name, iid, spec) VALUES (?, ?, ?, ?)",
				-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, index->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, iid);
		sqlite3_bind_blob(s, 4, bson_get_data(&spec), (int) spec.len, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sl_fail(st, rc, "record an index", err);
		goto rollback;
	}
	/* Build over the existing documents; a duplicate rolls everything back. */
	tmp.iid = iid;
	tmp.name = bson_strdup(index->name);
	tmp.unique = index->unique;
	tmp.ttl = index->expire_after_seconds;
	tmp.kp = squery_keypattern_new(index->keys, err);
	if (!tmp.kp)
		goto rollback;
	{
		struct sl_plan plan = { .kind = PLAN_SCAN };
		struct sl_scan sc;
		struct build_ctx b = { .st = st, .c = c, .ix = &tmp };
		bool ok;
		scan_init(&sc, &plan);
		ok = scan_all(st, c, &sc, build_fn, &b, err);
		scan_free(&sc);
		if (!ok)
			goto rollback;
	}
	if (!catalog_bump(st, &iid, err))
		goto rollback;
	st->catver = -1;   /* reloaded by the next operation */
	index_free(&tmp);
	bson_destroy(&spec);
	return tx_commit(st, err);
rollback:
	tx_rollback(st);
out:
	index_free(&tmp);
	bson_destroy(&spec);
	return false;
}

static bool sl_list_indexes(store_t *base, const char *coll, bson_t *out, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	struct sl_coll *c;
	bson_t id, keys;
	size_t i;

	if (!tx_begin(st, false, err))
		return false;
	c = coll_find(st, coll);
	if (!c) {
		tx_commit(st, err);
		store_error_set(err, STORE_ERR_NOT_FOUND, "ns does not exist: %s", coll);
		return false;
	}
	bson_init(out);
	bson_append_document_begin(out, "0", 1, &id);
	BSON_APPEND_INT32(&id, "v", 2);
	bson_append_document_begin(&id, "key", 3, &keys);
	BSON_APPEND_INT32(&keys, "_id", 1);
	bson_append_document_end(&id, &keys);
	BSON_APPEND_UTF8(&id, "name", "_id_");
	bson_append_document_end(out, &id);
	for (i = 0; i < c->nidx; i++) {
		char buf[16];
		const char *k;
		bson_uint32_to_string((uint32_t) (i + 1), &k, buf, sizeof buf);
		BSON_APPEND_DOCUMENT(out, k, c->idx[i].spec);
	}
	if (!tx_commit(st, err)) {
		bson_destroy(out);
		return false;
	}
	return true;
}

static bool sl_list_collections(store_t *base, char ***names, size_t *n, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	size_t i;

	if (!tx_begin(st, false, err))
		return false;
	*names = calloc(st->ncolls ? st->ncolls : 1, sizeof **names);
	if (!*names) {
		tx_rollback(st);
		store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
		return false;
	}
	for (i = 0; i < st->ncolls; i++)   /* loaded ORDER BY name */
		(*names)[i] = strdup(st->colls[i].name);
	*n = st->ncolls;
	for (i = 0; i < *n; i++) {
		if (!(*names)[i]) {
			store_free_names(*names, *n);
			*names = NULL;
			*n = 0;
			tx_rollback(st);
			store_error_set(err, STORE_ERR_INTERNAL, "out of memory");
			return false;
		}
	}
	if (!tx_commit(st, err)) {
		store_free_names(*names, *n);
		*names = NULL;
		*n = 0;
		return false;
	}
	return true;
}

static bool sl_drop(store_t *base, const char *coll, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	struct sl_coll *c;
	char sql[128];
	size_t i;
	sqlite3_stmt *s = NULL;
	int rc;

	if (!tx_begin(st, true, err))
		return false;
	c = coll_find(st, coll);
	if (!c)
		return tx_commit(st, err);
	for (i = 0; i < c->nidx; i++) {
		snprintf(sql, sizeof sql, "DROP TABLE i%lld", (long long) c->idx[i].iid);
		if (!sl_exec(st, sql, err))
			goto rollback;
	}
	snprintf(sql, sizeof sql, "DROP TABLE c%lld", (long long) c->tid);
	if (!sl_exec(st, sql, err))
		goto rollback;
	rc = sqlite3_prepare_v2(st->db,
				"DELETE FROM store_indexes WHERE coll = ?1; ", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc == SQLITE_DONE)
		rc = sqlite3_prepare_v2(st->db, "DELETE FROM store_collections WHERE name = ?1",
					-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sl_fail(st, rc, "drop a collection", err);
		goto rollback;
	}
	{
		int64_t v;
		if (!catalog_bump(st, &v, err))
			goto rollback;
	}
	st->catver = -1;   /* reloaded by the next operation */
	return tx_commit(st, err);
rollback:
	tx_rollback(st);
	return false;
}

/* ---- cursors ----------------------------------------------------------------------- */

struct sl_cursor {
	struct store_cursor base;
	struct sl_store *st;
	char *coll;
	bool planned;                /* the first fill planned the query */
	int64_t tid;                 /* 0: the collection did not exist */
	squery_filter_t *filter;
	squery_projection_t *proj;
	squery_sort_t *sort;
	int64_t skip, limit;
	int64_t matched, returned;
	struct sl_plan plan;
	struct sl_scan scan;
	bool in_memory;              /* sorted in memory: everything read at once */
	struct sl_collect mem;
	size_t mem_pos;
	bson_t **buf;                /* matches read ahead, not yet returned */
	size_t nbuf, pos, cap;
	bson_t current;
	bool have_current;
};

static void cursor_destroy(store_cursor_t *base)
{
	struct sl_cursor *cur = (struct sl_cursor *) base;
	size_t i;

	for (i = cur->pos; i < cur->nbuf; i++)
		bson_destroy(cur->buf[i]);
	bson_free(cur->buf);
	if (cur->have_current)
		bson_destroy(&cur->current);
	collect_free(&cur->mem);
	scan_free(&cur->scan);
	plan_free(&cur->plan);
	squery_filter_destroy(cur->filter);
	squery_projection_destroy(cur->proj);
	squery_sort_destroy(cur->sort);
	bson_free(cur->coll);
	bson_free(cur);
}

static bool cursor_fn(void *ctx, int64_t rid, const bson_t *doc, store_error_t *err)
{
	struct sl_cursor *cur = ctx;

	if (!squery_filter_match(cur->filter, doc))
		return true;
	if (cur->matched++ < cur->skip)
		return true;
	if (cur->nbuf == cur->cap) {
		cur->cap = cur->cap ? cur->cap * 2 : 16;
		cur->buf = bson_realloc(cur->buf, cur->cap * sizeof *cur->buf);
	}
	cur->buf[cur->nbuf++] = bson_copy(doc);
	/* enough for the limit: stop reading */
	return !cur->limit || cur->returned + (int64_t) (cur->nbuf - cur->pos) < cur->limit;
}

/* Inside a read transaction: the collection of the cursor, still the same. */
static struct sl_coll *cursor_coll(struct sl_cursor *cur, store_error_t *err)
{
	struct sl_coll *c = coll_find(cur->st, cur->coll);

	if (!c || c->tid != cur->tid) {
		store_error_set(err, STORE_ERR_CONFLICT,
				"collection %s was dropped during the query", cur->coll);
		return NULL;
	}
	return c;
}

static bool cursor_fill(struct sl_cursor *cur, store_error_t *err)
{
	struct sl_store *st = cur->st;
	struct sl_coll *c;
	bool stopped = false, ok = true;

	cur->pos = cur->nbuf = 0;
	if (!tx_begin(st, false, err))
		return false;
	if (!cur->planned) {
		/* the first fill plans, in the same read transaction */
		cur->planned = true;
		c = coll_find(st, cur->coll);
		if (!c) {
			snprintf(st->plan, sizeof st->plan, "EOF");
			return tx_commit(st, err);
		}
		cur->tid = c->tid;
		plan_choose(st, c, cur->filter, cur->sort, &cur->plan);
		cur->in_memory = cur->sort && !cur->plan.sorted;
		scan_init(&cur->scan, &cur->plan);
	} else if (!(c = cursor_coll(cur, err))) {
		tx_rollback(st);
		return false;
	}
	if (cur->in_memory) {
		ok = collect_matches(st, c, cur->filter, cur->sort,
				     cur->limit ? (size_t) (cur->skip + cur->limit) : 0, true,
				     &cur->mem, err);
		cur->mem_pos = (size_t) cur->skip;
		cur->scan.done = true;
	} else {
		while (ok && !cur->scan.done && !stopped && cur->nbuf == 0)
			ok = scan_batch(st, c, &cur->scan, cursor_fn, cur, &stopped, err);
		if (stopped)
			cur->scan.done = true;
	}
	if (!ok) {
		tx_rollback(st);
		return false;
	}
	return tx_commit(st, err);
}

static bool cursor_next(store_cursor_t *base, const bson_t **doc, store_error_t *err)
{
	struct sl_cursor *cur = (struct sl_cursor *) base;
	bson_t *src = NULL;

	if (cur->have_current) {
		bson_destroy(&cur->current);
		cur->have_current = false;
	}
	if (!cur->planned && !cursor_fill(cur, err))
		return false;
	if (!cur->tid || (cur->limit && cur->returned >= cur->limit))
		return false;
	if (cur->in_memory) {
		if (cur->mem.items == NULL && !cur->scan.done && !cursor_fill(cur, err))
			return false;
		if (cur->mem_pos >= cur->mem.n)
			return false;
		squery_project(cur->proj, cur->mem.items[cur->mem_pos].doc, &cur->current);
		bson_destroy(cur->mem.items[cur->mem_pos].doc);
		cur->mem.items[cur->mem_pos].doc = NULL;
		cur->mem_pos++;
	} else {
		if (cur->pos == cur->nbuf) {
			if (cur->scan.done || !cursor_fill(cur, err) || cur->nbuf == 0)
				return false;
		}
		src = cur->buf[cur->pos++];
		squery_project(cur->proj, src, &cur->current);
		bson_destroy(src);
	}
	cur->have_current = true;
	cur->returned++;
	*doc = &cur->current;
	return true;
}

static const struct store_cursor_ops sl_cursor_ops = {
	.next = cursor_next,
	.destroy = cursor_destroy,
};

static store_cursor_t *sl_find(store_t *base, const char *coll, const bson_t *filter,
			       const store_find_opts_t *opts, store_error_t *err)
{
	struct sl_store *st = (struct sl_store *) base;
	struct sl_cursor *cur = bson_malloc0(sizeof *cur);

	cur->base.ops = &sl_cursor_ops;
	cur->st = st;
	cur->coll = bson_strdup(coll);
	cur->skip = opts->skip;
	cur->limit = opts->limit;
	cur->filter = squery_filter_new(filter, err);
	if (!cur->filter)
		goto fail;
	cur->sort = squery_sort_new(opts->sort, err);
	if (!cur->sort && err->code != STORE_OK)
		goto fail;
	cur->proj = squery_projection_new(opts->projection, err);
	if (!cur->proj && err->code != STORE_OK)
		goto fail;
	/* bad input fails here; the store is read from the first
	 * store_cursor_next(), which plans and reads the first batch in one
	 * read transaction (as libmongoc, which sends the query then) */
	return &cur->base;
fail:
	cursor_destroy(&cur->base);
	return NULL;
}

/* ---- the backend -------------------------------------------------------------------- */

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sl_open,
	.close = sl_close,
	.ping = sl_ping,
	.insert_many = sl_insert_many,
	.find = sl_find,
	.update = sl_update,
	.find_one_and_update = sl_find_one_and_update,
	.delete = sl_delete,
	.count = sl_count,
	.create_index = sl_create_index,
	.list_indexes = sl_list_indexes,
	.list_collections = sl_list_collections,
	.drop = sl_drop,
	.expire_ttl = sl_expire_ttl,
};

uint64_t store_sqlite_docs_examined(const store_t *st)
{
	if (!st || st->ops != &store_sqlite_ops)
		return 0;
	return ((const struct sl_store *) st)->examined;
}

const char *store_sqlite_last_plan(const store_t *st)
{
	if (!st || st->ops != &store_sqlite_ops)
		return "";
	return ((const struct sl_store *) st)->plan;
}
