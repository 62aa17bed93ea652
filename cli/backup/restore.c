/*
 * restore.c — `cwc-backup restore`: read and check the whole dump and the
 * target store, then write, undoing a partial write. See backup.h.
 */
#include "backup.h"
#include "conn/conn.h"
#include "store/query.h"

#include <dirent.h>
#include <errno.h>
#include <mongoc/mongoc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- restore: what the dump holds ------------------------------------- */

struct index_plan {
	char *name;
	bson_t *keys;
	bool unique;
	int64_t ttl;        /* expireAfterSeconds, -1 when not a TTL index */
	bool present;       /* the target has it already: nothing to create */
};

struct coll_plan {
	char *stem;         /* file name without its extension */
	char *name;         /* the collection */
	char *bson_path, *meta_path;
	bool bson_gz, meta_gz;
	struct index_plan *idx;
	size_t nidx;
	uint64_t docs, bytes;
	bool exists;        /* in the target store before the restore */
	bool skip;          /* a system collection, a view: not restored */
	bool touched;       /* written (or dropped) by this restore */
};

struct restore_plan {
	char *dbdir;
	struct coll_plan *c;
	size_t n;
};

static void plan_free(struct restore_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct coll_plan *c = &p->c[i];
		for (size_t j = 0; j < c->nidx; j++) {
			free(c->idx[j].name);
			bson_destroy(c->idx[j].keys);
		}
		free(c->idx);
		free(c->stem);
		free(c->name);
		free(c->bson_path);
		free(c->meta_path);
	}
	free(p->c);
	free(p->dbdir);
}

static bool has_suffix(const char *s, const char *suffix, size_t *stem_len)
{
	size_t l = strlen(s), k = strlen(suffix);

	if (l <= k || strcmp(s + l - k, suffix) != 0)
		return false;
	*stem_len = l - k;
	return true;
}

static struct coll_plan *plan_entry(struct restore_plan *p, const char *stem, size_t len)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->c[i].stem) == len && strncmp(p->c[i].stem, stem, len) == 0)
			return &p->c[i];
	struct coll_plan *grown = realloc(p->c, (p->n + 1) * sizeof *p->c);
	if (!grown)
		abort();
	p->c = grown;
	memset(&p->c[p->n], 0, sizeof *p->c);
	p->c[p->n].stem = strndup(stem, len);
	if (!p->c[p->n].stem)
		abort();
	return &p->c[p->n++];
}

static int coll_plan_cmp(const void *a, const void *b)
{
	return strcmp(((const struct coll_plan *) a)->stem, ((const struct coll_plan *) b)->stem);
}

/* Does `dir` hold dump files itself (it is a database folder)? The
 * oplog.bson that `mongodump --oplog` puts next to the database folders
 * does not count. */
static bool holds_dump_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t l;
	bool yes = false;

	if (!d)
		return false;
	while (!yes && (e = readdir(d)) != NULL)
		yes = strcmp(e->d_name, "oplog.bson") != 0 && strcmp(e->d_name, "oplog.bson.gz") != 0 &&
		      (has_suffix(e->d_name, ".bson", &l) || has_suffix(e->d_name, ".bson.gz", &l) ||
		      has_suffix(e->d_name, ".metadata.json", &l) ||
		       has_suffix(e->d_name, ".metadata.json.gz", &l));
	closedir(d);
	return yes;
}

/* The database folder of DUMP_DIR: itself, or its one subfolder. */
static char *find_db_dir(const char *dump_dir)
{
	struct buf subs = { 0 };
	char *found = NULL;
	size_t count = 0;
	struct dirent *e;
	struct stat sb;
	DIR *d;

	if (stat(dump_dir, &sb) != 0) {
		backup_fail("%s: %s", dump_dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		backup_fail("%s is not a folder (give a dump folder, e.g. .../backups/2026-11-25T020000Z)",
		     dump_dir);
		return NULL;
	}
	if (holds_dump_files(dump_dir))
		return backup_strdup(dump_dir);
	if (!(d = opendir(dump_dir))) {
		backup_fail("%s: %s", dump_dir, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		char *p;
		if (e->d_name[0] == '.')
			continue;
		p = backup_path_join(dump_dir, e->d_name);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			buf_printf(&subs, "%s%s", count ? ", " : "", e->d_name);
			count++;
			free(found);
			found = p;
		} else {
			free(p);
		}
	}
	closedir(d);
	if (count != 1) {
		if (count == 0)
			backup_fail("%s holds no dump (no .bson or .bson.gz files, no database folder)",
			     dump_dir);
		else
			backup_fail("%s holds several databases (%s): give the folder of the one to restore",
			     dump_dir, subs.data);
		free(found);
		found = NULL;
	}
	buf_free(&subs);
	return found;
}

/* Lists the collection files of the database folder into `p`. */
static bool plan_scan(struct restore_plan *p)
{
	DIR *d = opendir(p->dbdir);
	struct dirent *e;
	bool ok = true;

	if (!d)
		return backup_fail("%s: %s", p->dbdir, strerror(errno));
	while (ok && (e = readdir(d)) != NULL) {
		struct coll_plan *c;
		struct stat sb;
		size_t len;
		bool bson = false, gz = false;
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (has_suffix(e->d_name, ".metadata.json.gz", &len))
			gz = true;
		else if (has_suffix(e->d_name, ".metadata.json", &len))
			;
		else if (has_suffix(e->d_name, ".bson.gz", &len))
			bson = gz = true;
		else if (has_suffix(e->d_name, ".bson", &len))
			bson = true;
		else {
			backup_warn("%s/%s is not a dump file: ignored", p->dbdir, e->d_name);
			continue;
		}
		path = backup_path_join(p->dbdir, e->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			ok = backup_fail("%s is not a readable file", path);
			free(path);
			break;
		}
		c = plan_entry(p, e->d_name, len);
		if (bson ? c->bson_path != NULL : c->meta_path != NULL) {
			ok = backup_fail("%s and %s hold the same collection: keep one of them",
				  bson ? c->bson_path : c->meta_path, path);
			free(path);
			break;
		}
		if (bson) {
			c->bson_path = path;
			c->bson_gz = gz;
		} else {
			c->meta_path = path;
			c->meta_gz = gz;
		}
	}
	closedir(d);
	if (ok && p->n == 0)
		ok = backup_fail("%s holds no collection files", p->dbdir);
	if (ok)
		qsort(p->c, p->n, sizeof *p->c, coll_plan_cmp);
	return ok;
}

/* The whole metadata file (at most BACKUP_MAX_METADATA bytes) into `out`. */
static bool read_small_file(const char *path, bool gz, struct buf *out)
{
	struct bson_in in;
	char chunk[64 * 1024];
	ssize_t got;
	bool ok = true;

	if (!bson_in_open(&in, path, gz))
		return false;
	while ((got = bson_in_read(&in, chunk, sizeof chunk)) > 0) {
		if (out->len + (size_t) got > BACKUP_MAX_METADATA) {
			ok = backup_fail("%s: larger than %d bytes: not a metadata file", path,
				  BACKUP_MAX_METADATA);
			break;
		}
		buf_add(out, chunk, (size_t) got);
	}
	if (got < 0)
		ok = false;
	bson_in_close(&in);
	return ok;
}

/* Same fields in the same order, same directions. */
static bool same_keys(const bson_t *a, const bson_t *b)
{
	bson_iter_t ia, ib;
	bool na, nb;

	if (!bson_iter_init(&ia, a) || !bson_iter_init(&ib, b))
		return false;
	for (;;) {
		na = bson_iter_next(&ia);
		nb = bson_iter_next(&ib);
		if (!na || !nb)
			return na == nb;
		if (strcmp(bson_iter_key(&ia), bson_iter_key(&ib)) != 0 ||
		    !BSON_ITER_HOLDS_NUMBER(&ia) || !BSON_ITER_HOLDS_NUMBER(&ib) ||
		    (bson_iter_as_double(&ia) > 0) != (bson_iter_as_double(&ib) > 0))
			return false;
	}
}

/* Index options that change nothing the store keeps. */
static bool index_option_ignored(const char *key)
{
	return strcmp(key, "v") == 0 || strcmp(key, "ns") == 0 || strcmp(key, "background") == 0;
}

/* One entry of the metadata's "indexes" into `ip` (initialised when this
 * returns true). *use is false for an index the store cannot have, or
 * does not need (`_id_`): a warning says why. */
static bool parse_index(const char *path, const char *coll, bson_iter_t *it,
			struct index_plan *ip, bool *use)
{
	bson_iter_t f;
	bson_t spec, keys;      /* views into the metadata document */
	const uint8_t *data;
	uint32_t len;
	const char *name = NULL, *option = NULL, *type = NULL;
	bool have_keys = false, sparse = false;

	*use = false;
	memset(ip, 0, sizeof *ip);
	ip->ttl = -1;
	if (!BSON_ITER_HOLDS_DOCUMENT(it))
		return backup_fail("%s: an entry of \"indexes\" is not an object", path);
	bson_iter_document(it, &len, &data);
	if (!bson_init_static(&spec, data, len) || !bson_iter_init(&f, &spec))
		return backup_fail("%s: an entry of \"indexes\" is not an object", path);
	while (bson_iter_next(&f)) {
		const char *k = bson_iter_key(&f);
		if (strcmp(k, "name") == 0) {
			if (!BSON_ITER_HOLDS_UTF8(&f))
				return backup_fail("%s: an index name is not a string", path);
			name = bson_iter_utf8(&f, NULL);
		} else if (strcmp(k, "key") == 0) {
			if (!BSON_ITER_HOLDS_DOCUMENT(&f))
				return backup_fail("%s: an index \"key\" is not an object", path);
			bson_iter_document(&f, &len, &data);
			if (!bson_init_static(&keys, data, len))
				return backup_fail("%s: an index \"key\" is not an object", path);
			have_keys = true;
		} else if (strcmp(k, "unique") == 0) {
			ip->unique = bson_iter_as_bool(&f);
		} else if (strcmp(k, "sparse") == 0) {
			sparse = bson_iter_as_bool(&f);
		} else if (strcmp(k, "expireAfterSeconds") == 0) {
			double v = BSON_ITER_HOLDS_NUMBER(&f) ? bson_iter_as_double(&f) : -1;
			if (v < 0 || v > 2147483647.0)
				return backup_fail("%s: index expireAfterSeconds must be a number from 0 to "
					    "2147483647", path);
			ip->ttl = (int64_t) v;
		} else if (!index_option_ignored(k) && !option) {
			option = k;
		}
	}
	if (!name || !*name)
		return backup_fail("%s: an index has no name", path);
	if (!have_keys || bson_count_keys(&keys) == 0)
		return backup_fail("%s: index %s has no \"key\"", path, name);
	if (!bson_iter_init(&f, &keys))
		return backup_fail("%s: index %s: bad \"key\"", path, name);
	while (bson_iter_next(&f)) {
		if (BSON_ITER_HOLDS_UTF8(&f)) {
			if (!type)
				type = bson_iter_utf8(&f, NULL);
		} else if (!BSON_ITER_HOLDS_NUMBER(&f) || bson_iter_as_double(&f) == 0 ||
			   bson_iter_as_double(&f) != bson_iter_as_double(&f)) {
			return backup_fail("%s: index %s: key \"%s\" must be 1 or -1", path, name,
				    bson_iter_key(&f));
		}
	}
	if (strcmp(name, "_id_") == 0)
		return true;   /* every collection has it */
	if (type) {
		backup_warn("%s: index %s of %s not restored: the store has no \"%s\" indexes", path,
		     name, coll, type);
		return true;
	}
	if (option) {
		backup_warn("%s: index %s of %s not restored: the store does not support its option "
		     "\"%s\"", path, name, coll, option);
		return true;
	}
	if (sparse && ip->unique) {
		backup_warn("%s: index %s of %s not restored: it is unique and sparse, and the store has "
		     "no sparse indexes (a unique one would refuse every document without the "
		     "field)", path, name, coll);
		return true;
	}
	if (sparse)
		backup_warn("%s: index %s of %s restored without \"sparse\" (the store has no sparse "
		     "indexes)", path, name, coll);
	ip->name = backup_strdup(name);
	ip->keys = bson_copy(&keys);
	*use = true;
	return true;
}

/* Reads and checks the metadata file of `c`: its indexes, its name. */
static bool plan_metadata(struct coll_plan *c)
{
	struct buf text = { 0 };
	bson_error_t je;
	bson_t meta;
	bson_iter_t it, arr;
	bool ok = false, parsed = false;

	if (!read_small_file(c->meta_path, c->meta_gz, &text))
		goto done;
	if (text.len == 0) {
		ok = true;    /* as mongorestore: an empty metadata file says nothing */
		goto done;
	}
	if (!bson_init_from_json(&meta, text.data, (ssize_t) text.len, &je)) {
		backup_fail("%s: not a metadata file (Extended JSON): %s", c->meta_path, je.message);
		goto done;
	}
	parsed = true;
	if (bson_iter_init_find(&it, &meta, "collectionName")) {
		if (!BSON_ITER_HOLDS_UTF8(&it)) {
			backup_fail("%s: \"collectionName\" is not a string", c->meta_path);
			goto done;
		}
		/* mongodump cuts long file names: then the name is only here */
		if (strlen(c->stem) == STEM_MAX && strstr(c->stem, "%24")) {
			free(c->name);
			c->name = backup_strdup(bson_iter_utf8(&it, NULL));
		}
	}
	if (bson_iter_init_find(&it, &meta, "type") && BSON_ITER_HOLDS_UTF8(&it) &&
	    strcmp(bson_iter_utf8(&it, NULL), "collection") != 0) {
		backup_warn("%s: %s is a %s, not a collection: not restored", c->meta_path, c->name,
		     bson_iter_utf8(&it, NULL));
		c->skip = true;
		ok = true;
		goto done;
	}
	if (bson_iter_init_find(&it, &meta, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
		uint32_t l;
		const uint8_t *d;
		bson_iter_document(&it, &l, &d);
		if (l > 5)
			backup_warn("%s: the collection options of %s (capped, validator…) are not "
			     "restored: the store has none", c->meta_path, c->name);
	}
	if (!bson_iter_init_find(&it, &meta, "indexes")) {
		ok = true;
		goto done;
	}
	if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
		backup_fail("%s: \"indexes\" is not an array", c->meta_path);
		goto done;
	}
	while (bson_iter_next(&arr)) {
		struct index_plan ip;
		bool use;
		if (!parse_index(c->meta_path, c->name, &arr, &ip, &use))
			goto done;
		if (!use)
			continue;
		for (size_t j = 0; j < c->nidx; j++) {
			if (strcmp(c->idx[j].name, ip.name) == 0) {
				backup_fail("%s: two indexes named %s", c->meta_path, ip.name);
				free(ip.name);
				bson_destroy(ip.keys);
				goto done;
			}
		}
		struct index_plan *grown = realloc(c->idx, (c->nidx + 1) * sizeof *c->idx);
		if (!grown)
			abort();
		c->idx = grown;
		c->idx[c->nidx++] = ip;
	}
	ok = true;
done:
	if (parsed)
		bson_destroy(&meta);
	buf_free(&text);
	return ok;
}

/* A document the store will take: what store_insert_many() checks. */
static bool check_document(const struct bson_in *in, const bson_t *doc)
{
	store_error_t se = { 0 };
	bson_iter_t it;

	if (!squery_check_fields(doc, &se))
		return backup_fail("%s: document %llu: %s", in->path, (unsigned long long) in->count,
			    se.message);
	if (bson_iter_init_find(&it, doc, "_id") &&
	    (BSON_ITER_HOLDS_ARRAY(&it) || BSON_ITER_HOLDS_REGEX(&it) ||
	     bson_iter_type(&it) == BSON_TYPE_UNDEFINED))
		return backup_fail("%s: document %llu: an _id cannot be an array, a regex or undefined",
			    in->path, (unsigned long long) in->count);
	return true;
}

/* Reads the whole BSON file of `c`: every document valid and storable. */
static bool plan_check_documents(struct coll_plan *c)
{
	struct bson_in in;
	bson_t doc;
	int r;

	if (!bson_in_open(&in, c->bson_path, c->bson_gz))
		return false;
	while ((r = bson_in_next(&in, &doc)) == 1) {
		if (backup_interrupted) {
			r = -1;
			backup_fail("backup_interrupted");
			break;
		}
		if (!check_document(&in, &doc)) {
			r = -1;
			break;
		}
		c->bytes += doc.len;
	}
	c->docs = in.count;
	bson_in_close(&in);
	return r == 0;
}

/* Everything about the dump, read and checked; nothing written. */
static bool plan_dump(struct restore_plan *p, const char *dump_dir)
{
	if (!(p->dbdir = find_db_dir(dump_dir)) || !plan_scan(p))
		return false;
	for (size_t i = 0; i < p->n; i++) {
		struct coll_plan *c = &p->c[i];
		if (!(c->name = backup_stem_unescape(c->stem)))
			return backup_fail("%s/%s: the file name is not an escaped collection name",
				    p->dbdir, c->stem);
		if (c->meta_path && !plan_metadata(c))
			return false;
		if (c->skip)
			continue;
		if (strncmp(c->name, "system.", 7) == 0 || strchr(c->name, '$')) {
			backup_warn("%s: system collection %s: not restored", p->dbdir, c->name);
			c->skip = true;
			continue;
		}
		if (!store_coll_name_ok(c->name, NULL))
			return backup_fail("%s/%s: \"%s\" is not a valid collection name", p->dbdir,
				    c->stem, c->name);
		if (c->bson_path && !plan_check_documents(c))
			return false;
	}
	return true;
}

/* ---- restore: the target store ----------------------------------------- */

/* Compares the planned indexes of `c` with the target's (`list`, in
 * listIndexes form): marks those present, reports a conflict. */
static bool check_existing_indexes(struct coll_plan *c, const bson_t *list)
{
	bson_iter_t it, f;
	bool ok = true;

	if (!bson_iter_init(&it, list))
		return true;
	while (bson_iter_next(&it)) {
		bson_t spec, keys;
		const uint8_t *d;
		uint32_t l;
		const char *name = "";
		bool unique = false, have_keys = false;
		int64_t ttl = -1;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it))
			continue;
		bson_iter_document(&it, &l, &d);
		if (!bson_init_static(&spec, d, l) || !bson_iter_init(&f, &spec))
			continue;
		while (bson_iter_next(&f)) {
			const char *k = bson_iter_key(&f);
			if (strcmp(k, "name") == 0 && BSON_ITER_HOLDS_UTF8(&f))
				name = bson_iter_utf8(&f, NULL);
			else if (strcmp(k, "unique") == 0)
				unique = bson_iter_as_bool(&f);
			else if (strcmp(k, "expireAfterSeconds") == 0)
				ttl = (int64_t) bson_iter_as_double(&f);
			else if (strcmp(k, "key") == 0 && BSON_ITER_HOLDS_DOCUMENT(&f)) {
				bson_iter_document(&f, &l, &d);
				have_keys = bson_init_static(&keys, d, l);
			}
		}
		if (!have_keys || strcmp(name, "_id_") == 0)
			continue;
		for (size_t j = 0; j < c->nidx; j++) {
			struct index_plan *ip = &c->idx[j];
			bool named = strcmp(ip->name, name) == 0, keyed = same_keys(ip->keys, &keys);
			if (!named && !keyed)
				continue;
			if (named && keyed && ip->unique == unique && ip->ttl == ttl) {
				ip->present = true;
			} else if (keyed && !named && ip->unique == unique && ip->ttl == ttl) {
				ip->present = true;
				backup_warn("collection %s has index %s already, under the name %s: kept as it is",
				     c->name, ip->name, name);
			} else {
				ok = backup_fail("collection %s has an index %s that differs from the dump's %s "
					  "(use --drop to replace the collection)", c->name, name,
					  ip->name);
			}
		}
	}
	return ok;
}

/* Nothing in the way: collections to fill are empty (or --drop), their
 * indexes agree. Reads only. */
static bool plan_target(store_t *st, struct restore_plan *p, bool drop)
{
	store_error_t se = { 0 };
	char **names;
	size_t n;
	bool ok = true;

	if (!store_list_collections(st, &names, &n, &se))
		return backup_fail("list the collections of the store: %s", se.message);
	for (size_t i = 0; i < p->n; i++) {
		struct coll_plan *c = &p->c[i];
		int64_t count = 0;
		bson_t list;

		if (c->skip)
			continue;
		for (size_t k = 0; k < n && !c->exists; k++)
			c->exists = strcmp(names[k], c->name) == 0;
		if (!c->exists || drop)
			continue;
		if (!store_count(st, c->name, NULL, &count, &se)) {
			ok = backup_fail("count %s: %s", c->name, se.message);
			break;
		}
		if (count > 0) {
			ok = backup_fail("collection %s is not empty (%lld documents): restore refuses to mix "
				  "data; --drop replaces it", c->name, (long long) count);
			continue;
		}
		if (!store_list_indexes(st, c->name, &list, &se)) {
			if (se.code == STORE_ERR_NOT_FOUND)
				continue;
			ok = backup_fail("indexes of %s: %s", c->name, se.message);
			break;
		}
		if (!check_existing_indexes(c, &list))
			ok = false;
		bson_destroy(&list);
	}
	store_free_names(names, n);
	return ok;
}

/* ---- restore: writing ---------------------------------------------------- */

struct batch {
	struct buf bytes;        /* the documents, one after the other */
	size_t *offsets;
	const bson_t **ptrs;
	bson_t *docs;            /* BATCH_DOCS, initialised in place by batch_flush
				  * and never realloc'd, sorted or copied: an
				  * initialised bson_t points into itself */
	size_t n;
};

static void batch_free(struct batch *b)
{
	buf_free(&b->bytes);
	free(b->offsets);
	free(b->ptrs);
	free(b->docs);
}

static bool batch_flush(store_t *st, struct coll_plan *c, struct batch *b)
{
	store_error_t se = { 0 };
	size_t done = 0;

	if (b->n == 0)
		return true;
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *data = (const uint8_t *) b->bytes.data + b->offsets[i];
		uint32_t len;
		memcpy(&len, data, 4);
		len = BSON_UINT32_FROM_LE(len);
		bson_init_static(&b->docs[i], data, len);
		b->ptrs[i] = &b->docs[i];
	}
	if (!store_insert_many(st, c->name, b->ptrs, b->n, &done, &se))
		return backup_fail("insert into %s: %s", c->name, se.message);
	b->n = 0;
	b->bytes.len = 0;
	return true;
}

/* Creates an empty collection (the interface has no "create": a document
 * inserted and deleted again does it on both backends). */
static bool create_empty(store_t *st, const char *coll)
{
	store_error_t se = { 0 };
	bson_value_t id;
	bson_t *doc = bson_new(), filter = BSON_INITIALIZER;
	bool ok = store_insert_one(st, coll, doc, &id, &se);

	if (ok) {
		BSON_APPEND_VALUE(&filter, "_id", &id);
		ok = store_delete_one(st, coll, &filter, NULL, &se);
		bson_value_destroy(&id);
	}
	if (!ok)
		backup_fail("create %s: %s", coll, se.message);
	bson_destroy(&filter);
	bson_destroy(doc);
	return ok;
}

static bool restore_collection(store_t *st, struct coll_plan *c, bool drop)
{
	store_error_t se = { 0 };
	struct batch b = { 0 };
	struct bson_in in = { 0 };
	bson_t doc;
	size_t created = 0;
	int r = 0;
	bool ok = false;

	c->touched = true;
	if (drop && c->exists && !store_drop(st, c->name, &se))
		return backup_fail("drop %s: %s", c->name, se.message);
	if (drop)
		c->exists = false;
	/* indexes first: a unique index then checks every document as it comes */
	for (size_t j = 0; j < c->nidx; j++) {
		struct index_plan *ip = &c->idx[j];
		store_index_t ix = { .name = ip->name, .keys = ip->keys, .unique = ip->unique,
				     .expire_after_seconds = ip->ttl };
		if (ip->present && !drop)
			continue;
		if (!store_create_index(st, c->name, &ix, &se))
			return backup_fail("create index %s of %s: %s", ip->name, c->name, se.message);
		created++;
	}
	if (c->docs == 0) {
		ok = created > 0 || c->exists || create_empty(st, c->name);
		goto done;
	}
	if (!bson_in_open(&in, c->bson_path, c->bson_gz))
		return false;
	b.offsets = calloc(BATCH_DOCS, sizeof *b.offsets);
	b.ptrs = calloc(BATCH_DOCS, sizeof *b.ptrs);
	b.docs = calloc(BATCH_DOCS, sizeof *b.docs);
	if (!b.offsets || !b.ptrs || !b.docs)
		abort();
	while ((r = bson_in_next(&in, &doc)) == 1) {
		if (backup_interrupted) {
			backup_fail("backup_interrupted");
			goto done;
		}
		if (!check_document(&in, &doc))
			goto done;
		if (b.n == BATCH_DOCS || (b.n && b.bytes.len + doc.len > BATCH_BYTES)) {
			if (!batch_flush(st, c, &b))
				goto done;
		}
		b.offsets[b.n++] = b.bytes.len;
		buf_add(&b.bytes, (const char *) bson_get_data(&doc), doc.len);
	}
	if (r != 0 || !batch_flush(st, c, &b))
		goto done;
	if (in.count != c->docs) {
		backup_fail("%s changed during the restore (%llu documents, %llu when checked)",
		     c->bson_path, (unsigned long long) in.count, (unsigned long long) c->docs);
		goto done;
	}
	ok = true;
done:
	if (ok)
		printf("  %-28s %8llu documents  %2zu indexes\n", c->name,
		       (unsigned long long) c->docs, c->nidx + 1);
	bson_in_close(&in);
	batch_free(&b);
	return ok;
}

/* After a failed write: drops what this restore wrote. */
static void restore_undo(store_t *st, struct restore_plan *p, bool drop)
{
	struct buf dropped = { 0 };
	store_error_t se = { 0 };
	bool ok = true;

	for (size_t i = 0; i < p->n; i++) {
		if (!p->c[i].touched)
			continue;
		if (store_drop(st, p->c[i].name, &se))
			buf_printf(&dropped, "%s%s", dropped.len ? ", " : "", p->c[i].name);
		else
			ok = backup_fail("could not drop %s again: %s", p->c[i].name, se.message);
	}
	if (dropped.len)
		backup_fail("the restore did not finish; the collections it had written were dropped "
		     "again: %s%s", dropped.data,
		     drop ? " (with --drop their previous content is gone: restore again)" : "");
	if (!ok)
		backup_fail("the store is partly restored: restore again with --drop");
	buf_free(&dropped);
}

int backup_restore(const char *dump_dir, bool drop)
{
	struct restore_plan p = { 0 };
	store_error_t se = { 0 };
	uint64_t docs = 0;
	size_t colls = 0;
	store_t *st;
	int rc = 1;

	if (!plan_dump(&p, dump_dir))
		goto refused;
	for (size_t i = 0; i < p.n; i++) {
		if (!p.c[i].skip) {
			colls++;
			docs += p.c[i].docs;
		}
	}
	if (colls == 0) {
		backup_fail("%s holds no collection to restore", p.dbdir);
		goto refused;
	}
	printf("checked %s: %zu collections, %llu documents\n", p.dbdir, colls,
	       (unsigned long long) docs);
	if (!(st = conn_store(&se))) {
		backup_fail("cannot open the store: %s", se.message);
		goto refused;
	}
	if (!plan_target(st, &p, drop))
		goto refused;
	printf("restoring into the %s store%s\n", store_backend_name(st),
	       drop ? " (replacing its collections)" : "");
	for (size_t i = 0; i < p.n; i++) {
		if (p.c[i].skip)
			continue;
		if (backup_interrupted) {
			backup_fail("backup_interrupted");
			restore_undo(st, &p, drop);
			goto done;
		}
		if (!restore_collection(st, &p.c[i], drop)) {
			restore_undo(st, &p, drop);
			goto done;
		}
	}
	printf("restore complete: %zu collections, %llu documents\n", colls,
	       (unsigned long long) docs);
	rc = 0;
	goto done;
refused:
	backup_fail("nothing was restored: the store is unchanged");
done:
	plan_free(&p);
	return rc;
}
