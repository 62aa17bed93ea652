/*
 * dump.c — `cwc-backup dump` (every collection to a new dump folder, then
 * --keep) and `cwc-backup list`. See backup.h and docs/backup.md.
 */
#include "backup.h"
#include "conn/conn.h"
#include "core/config.h"

#include <dirent.h>
#include <mongoc/mongoc.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- dump -------------------------------------------------------------- */

struct dump_totals {
	size_t collections;
	uint64_t documents;
};

/* The database folder name: the MongoDB URI's database, or the embedded
 * store's fixed name. */
static bool dump_db_name(char *out, size_t outlen)
{
	bson_error_t e;
	mongoc_uri_t *uri;
	const char *db;

	if (!cfg->store_is_mongodb) {
		snprintf(out, outlen, "%s", BACKUP_DB_EMBEDDED);
		return true;
	}
	uri = mongoc_uri_new_with_error(cfg->store_uri, &e);
	if (!uri)
		return backup_fail("MONGODB_URI is not a valid MongoDB URI");
	db = mongoc_uri_get_database(uri);
	snprintf(out, outlen, "%s", db && *db ? db : BACKUP_DB_EMBEDDED);
	mongoc_uri_destroy(uri);
	if (strchr(out, '/') || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return backup_fail("the database name \"%s\" cannot be a folder name", out);
	return true;
}

/* Writes <dbdir>/<stem>.metadata.json.gz and <stem>.bson.gz (nothing, with
 * a warning, when the collection was dropped meanwhile). */
static bool dump_collection(store_t *st, const char *dbdir, const char *coll,
			    struct dump_totals *tot)
{
	store_error_t se = { 0 };
	struct gz_out out = { .fd = -1 };
	store_cursor_t *cur = NULL;
	bson_t indexes, meta = BSON_INITIALIZER;
	const bson_t *doc;
	char *stem = backup_file_stem(coll), *path = NULL, *json = NULL;
	size_t json_len = 0;
	uint64_t docs = 0;
	bool have_indexes = false, ok = false;

	if (!store_list_indexes(st, coll, &indexes, &se)) {
		if (se.code == STORE_ERR_NOT_FOUND) {
			backup_warn("collection %s was dropped during the dump: left out", coll);
			ok = true;
		} else {
			backup_fail("indexes of %s: %s", coll, se.message);
		}
		goto done;
	}
	have_indexes = true;
	/* mongodump's layout: indexes, uuid (none here), collectionName, type */
	BSON_APPEND_ARRAY(&meta, "indexes", &indexes);
	BSON_APPEND_UTF8(&meta, "collectionName", coll);
	BSON_APPEND_UTF8(&meta, "type", "collection");
	json = bson_as_canonical_extended_json(&meta, &json_len);
	if (!json) {
		backup_fail("indexes of %s cannot be written as JSON", coll);
		goto done;
	}
	path = bson_strdup_printf("%s/%s.metadata.json.gz", dbdir, stem);
	if (!gz_out_open(&out, path) || !gz_out_write(&out, json, json_len) ||
	    !gz_out_close(&out, true))
		goto done;
	bson_free(path);

	path = bson_strdup_printf("%s/%s.bson.gz", dbdir, stem);
	if (!gz_out_open(&out, path))
		goto done;
	if (!(cur = store_find(st, coll, NULL, NULL, &se))) {
		backup_fail("read %s: %s", coll, se.message);
		goto done;
	}
	while (store_cursor_next(cur, &doc)) {
		if (backup_interrupted) {
			backup_fail("backup_interrupted");
			goto done;
		}
		if (!gz_out_write(&out, bson_get_data(doc), doc->len))
			goto done;
		docs++;
	}
	if (store_cursor_error(cur, &se)) {
		backup_fail("read %s: %s", coll, se.message);
		goto done;
	}
	if (!gz_out_close(&out, true))
		goto done;
	printf("  %-28s %8llu documents  %2u indexes\n", coll, (unsigned long long) docs,
	       bson_count_keys(&indexes));
	tot->collections++;
	tot->documents += docs;
	ok = true;
done:
	if (out.path)
		gz_out_close(&out, false);
	store_cursor_destroy(cur);
	if (have_indexes)
		bson_destroy(&indexes);
	bson_destroy(&meta);
	bson_free(json);
	bson_free(path);
	free(stem);
	return ok;
}

/* Deletes the oldest dumps of `dir` so that `keep` are left, counting
 * `written` (the dump just made), which is never deleted, even if the
 * clock went back and it sorts before older ones. */
static bool prune_dumps(const char *dir, long keep, const char *written)
{
	char **names;
	size_t n, others = 0;
	bool ok = true;

	if (!backup_list_dumps(dir, &names, &n))
		return backup_fail("%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < n; i++)
		others += strcmp(names[i], written) != 0;
	for (size_t i = 0; i < n && others + 1 > (size_t) keep; i++) {
		if (strcmp(names[i], written) == 0)
			continue;
		others--;
		char *p = backup_path_join(dir, names[i]);
		if (backup_remove_tree(p))
			printf("removed old dump %s\n", names[i]);
		else
			ok = backup_fail("cannot remove the old dump %s: %s", p, strerror(errno));
		free(p);
	}
	store_free_names(names, n);
	return ok;
}

/* Renames the finished `tmp` to dir/<name>, or, when dumps of the same
 * second are there, to <name>-N past the highest of theirs (so that names
 * keep the order of the dumps, even after --keep removed some). The path
 * into *path, the folder name into *final_name; free both with free(). */
static bool publish_dump(const char *dir, const char *tmp, const char *name, char **path,
			 char **final_name)
{
	char **names;
	size_t n;
	int next = 0;

	if (!backup_list_dumps(dir, &names, &n))
		return backup_fail("%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], name, DUMP_NAME_LEN) != 0)
			continue;
		int suffix = names[i][DUMP_NAME_LEN] ? atoi(names[i] + DUMP_NAME_LEN + 1) : 0;
		if (suffix + 1 > next)
			next = suffix + 1;
	}
	store_free_names(names, n);
	for (int i = next; i < 1000; i++) {
		char *leaf = i ? bson_strdup_printf("%s-%d", name, i) : bson_strdup_printf("%s", name);
		char *p = backup_path_join(dir, leaf);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, p, RENAME_NOREPLACE) == 0) {
			*path = p;
			*final_name = backup_strdup(leaf);
			bson_free(leaf);
			return true;
		}
		int e = errno;
		free(p);
		bson_free(leaf);
		if (e != EEXIST)
			return backup_fail("cannot rename %s into place: %s", tmp, strerror(e));
	}
	return backup_fail("too many dumps named %s in %s", name, dir);
}

int backup_dump(const char *out_dir, long keep)
{
	store_error_t se = { 0 };
	struct dump_totals tot = { 0 };
	store_t *st;
	char db[256], name[32], **colls = NULL, *tmp = NULL, *dbdir = NULL, *final = NULL,
	     *final_name = NULL;
	size_t ncolls = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 1;

	if (!(st = conn_store(&se)))
		backup_fail("cannot open the store: %s", se.message);
	if (!st || !dump_db_name(db, sizeof db) || !backup_mkdir_parents(out_dir, 0700)) {
		backup_fail("dump failed: no dump was written");
		return 1;
	}
	gmtime_r(&now, &tm);
	strftime(name, sizeof name, "%Y-%m-%dT%H%M%SZ", &tm);
	tmp = bson_strdup_printf("%s/" TMP_PREFIX "%s-%ld", out_dir, name, (long) getpid());
	if (mkdir(tmp, 0700) != 0) {
		backup_fail("cannot create %s: %s", tmp, strerror(errno));
		backup_fail("dump failed: no dump was written");
		bson_free(tmp);
		return 1;
	}
	dbdir = backup_path_join(tmp, db);
	if (mkdir(dbdir, 0700) != 0) {
		backup_fail("cannot create %s: %s", dbdir, strerror(errno));
		goto done;
	}
	if (!store_list_collections(st, &colls, &ncolls, &se)) {
		backup_fail("list the collections: %s", se.message);
		goto done;
	}
	printf("dumping the %s store (%s) to %s\n", store_backend_name(st), db, out_dir);
	for (size_t i = 0; i < ncolls; i++) {
		if (backup_interrupted) {
			backup_fail("backup_interrupted");
			goto done;
		}
		if (!dump_collection(st, dbdir, colls[i], &tot))
			goto done;
	}
	if (!backup_fsync_dir(dbdir) || !backup_fsync_dir(tmp) ||
	    !publish_dump(out_dir, tmp, name, &final, &final_name) || !backup_fsync_dir(out_dir))
		goto done;
	{
		char size[32];
		backup_human_size(backup_tree_size_at(AT_FDCWD, final), size, sizeof size);
		printf("dump complete: %s (%zu collections, %llu documents, %s)\n", final,
		       tot.collections, (unsigned long long) tot.documents, size);
	}
	rc = prune_dumps(out_dir, keep, final_name) ? 0 : 1;
done:
	if (rc && !final) {
		if (!backup_remove_tree(tmp))
			backup_warn("could not remove the unfinished dump %s: %s", tmp, strerror(errno));
		backup_fail("dump failed: no dump was written");
	}
	store_free_names(colls, ncolls);
	bson_free(tmp);
	free(dbdir);
	free(final);
	free(final_name);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

/* The database folders of a dump and how many collections they hold. */
static void describe_dump(const char *path, struct buf *out)
{
	DIR *d = opendir(path), *dd;
	struct dirent *e, *f;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *sub;
		size_t colls = 0;
		if (e->d_name[0] == '.')
			continue;
		sub = backup_path_join(path, e->d_name);
		if ((dd = opendir(sub)) != NULL) {
			while ((f = readdir(dd)) != NULL) {
				size_t l = strlen(f->d_name);
				if ((l > 5 && strcmp(f->d_name + l - 5, ".bson") == 0) ||
				    (l > 8 && strcmp(f->d_name + l - 8, ".bson.gz") == 0))
					colls++;
			}
			closedir(dd);
			buf_printf(out, "%s%s (%zu collections)", out->len ? ", " : "",
				   e->d_name, colls);
		}
		free(sub);
	}
	closedir(d);
}

int backup_list(const char *dir)
{
	char **names;
	size_t n;
	uint64_t total = 0;
	char size[32];
	DIR *d;
	struct dirent *e;

	if (!backup_list_dumps(dir, &names, &n)) {
		if (errno == ENOENT)
			backup_fail("%s does not exist: no dump was ever written there", dir);
		else
			backup_fail("%s: %s", dir, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *p = backup_path_join(dir, names[i]);
		struct buf what = { 0 };
		uint64_t bytes = backup_tree_size_at(AT_FDCWD, p);
		describe_dump(p, &what);
		backup_human_size(bytes, size, sizeof size);
		printf("%-24s %10s  %s\n", names[i], size, what.data ? what.data : "(empty)");
		total += bytes;
		buf_free(&what);
		free(p);
	}
	backup_human_size(total, size, sizeof size);
	printf("%zu dump%s in %s, %s\n", n, n == 1 ? "" : "s", dir, size);
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
				printf("%s: unfinished (a dump still running, or one that was "
				       "killed: then it can be deleted)\n", e->d_name);
		closedir(d);
	}
	store_free_names(names, n);
	return 0;
}
