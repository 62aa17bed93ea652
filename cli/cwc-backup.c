/*
 * cwc-backup — dumps and restores the store in mongodump's directory
 * format (SPEC §10), on either backend, reading the apps' configuration:
 *
 *   cwc-backup dump [--out DIR] [--keep N]
 *   cwc-backup restore DUMP_DIR [--drop]
 *   cwc-backup list [--out DIR]
 *
 * A dump is DIR/<UTC time>/<db>/<collection>.bson.gz (the documents,
 * concatenated BSON, gzip) and <collection>.metadata.json.gz (the indexes,
 * canonical Extended JSON): what `mongodump --gzip` writes, so that
 * `mongorestore --gzip` reads ours and we read theirs (uncompressed ones
 * too). See docs/backup.md.
 *
 * Safety:
 *   - a dump is written under DIR/.tmp-<time>-<pid> and renamed into place
 *     once every file and folder is fsync'ed: a folder named like a dump is
 *     complete. A failed dump removes its temporary folder; --keep only
 *     ever deletes folders named like a dump.
 *   - a restore reads and checks the whole dump (every file decompresses,
 *     every document is valid BSON the store accepts, every metadata file
 *     parses) and the target store (no non-empty collection unless --drop,
 *     no conflicting index) before it writes anything; when a write fails
 *     all the same, it drops again what it wrote.
 *   - documents are streamed (a cursor when dumping, batches of at most
 *     BATCH_DOCS / BATCH_BYTES when restoring), never a whole collection.
 *
 * Exit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.
 */
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"
#include "store/query.h"
#include "conn/conn.h"

#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_KEEP_DEFAULT  14
#define BACKUP_KEEP_MAX      100000
#define BACKUP_DB_EMBEDDED   "coworking-cafe"   /* the db folder of an embedded store */
#define BACKUP_MAX_DOC       (16 * 1024 * 1024) /* MongoDB's document size limit */
#define BACKUP_MAX_METADATA  (16 * 1024 * 1024)
#define BACKUP_MAX_COLL_NAME 200                /* the store's limit */
#define BATCH_DOCS           1000
#define BATCH_BYTES          (8 * 1024 * 1024)
#define STEM_MAX             238   /* mongodump: 255 - strlen(".metadata.json.gz") */
#define STEM_CUT             208   /* mongodump: 208 + "%24" + 27 (SHA-1, base64url) */
#define DUMP_NAME_LEN        18    /* 2026-11-25T020000Z */
#define TMP_PREFIX           ".tmp-"

/* Set by SIGINT/SIGTERM/SIGHUP; long loops check it and stop cleanly. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void) sig;
	interrupted = 1;
}

/* ---- messages ---------------------------------------------------------- */

static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...)
{
	va_list ap;

	fputs("cwc-backup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("cwc-backup: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* "a/b"; free with free(). */
static char *path_join(const char *a, const char *b)
{
	struct buf p = { 0 };

	buf_printf(&p, "%s/%s", a, b);
	return p.data;
}

static void human_size(uint64_t n, char *out, size_t outlen)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double) n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof unit / sizeof *unit) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%llu B", (unsigned long long) n);
	else
		snprintf(out, outlen, "%.1f %s", v, unit[u]);
}

/* ---- files and folders ------------------------------------------------- */

static bool fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	ok = fsync(fd) == 0;
	if (!ok)
		fail("fsync %s: %s", path, strerror(errno));
	close(fd);
	return ok;
}

/* Creates `path` and its missing parents (new ones with `mode`). */
static bool mkdir_parents(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	bool ok = true;

	for (char *s = p + 1; ok; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			ok = fail("cannot create %s: %s", p, strerror(errno));
		*s = c;
		if (c == '\0')
			break;
	}
	if (ok) {
		struct stat sb;
		if (stat(path, &sb) != 0)
			ok = fail("%s: %s", path, strerror(errno));
		else if (!S_ISDIR(sb.st_mode))
			ok = fail("%s is not a folder", path);
	}
	free(p);
	return ok;
}

/* Removes `name` (relative to `parent`) and everything under it, never
 * following a symbolic link (a link is removed, not what it points to). */
static bool remove_tree_at(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	bool ok = true;
	DIR *d;

	if (fd < 0) {
		if (errno == ENOENT)
			return true;
		if (errno != ENOTDIR && errno != ELOOP)
			return false;
		return unlinkat(parent, name, 0) == 0 || errno == ENOENT;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!remove_tree_at(dirfd(d), e->d_name))
			ok = false;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		ok = false;
	return ok;
}

static bool remove_tree(const char *path)
{
	return remove_tree_at(AT_FDCWD, path);
}

/* The bytes of the regular files under `name`, links not followed. */
static uint64_t tree_size_at(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	uint64_t total = 0;
	DIR *d;

	if (fd < 0) {
		struct stat sb;
		if (fstatat(parent, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode))
			return (uint64_t) sb.st_size;
		return 0;
	}
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			total += tree_size_at(dirfd(d), e->d_name);
	closedir(d);
	return total;
}

/* ---- dump folder names ------------------------------------------------- */

/* "2026-11-25T020000Z", or with "-N" (N ≤ 999) when two dumps started in
 * the same second. */
static bool is_dump_name(const char *s)
{
	static const char shape[] = "dddd-dd-ddTddddddZ";
	size_t i;

	for (i = 0; i < DUMP_NAME_LEN; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	}
	if (s[i] == '\0')
		return true;
	if (s[i++] != '-')
		return false;
	size_t start = i;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	return s[i] == '\0' && i > start && i - start <= 3 && s[start] != '0';
}

static int dump_name_cmp(const void *pa, const void *pb)
{
	const char *a = *(const char *const *) pa, *b = *(const char *const *) pb;
	int c = strncmp(a, b, DUMP_NAME_LEN);

	if (c)
		return c;
	long na = a[DUMP_NAME_LEN] ? strtol(a + DUMP_NAME_LEN + 1, NULL, 10) : 0;
	long nb = b[DUMP_NAME_LEN] ? strtol(b + DUMP_NAME_LEN + 1, NULL, 10) : 0;
	return (na > nb) - (na < nb);
}

/* The dump folders of `dir` (directories, not links, named like a dump),
 * oldest first. Returns false when `dir` cannot be read. Free with
 * store_free_names(). */
static bool list_dumps(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return false;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		if (!is_dump_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(*names, cap * sizeof **names);
			if (!grown)
				abort();
			*names = grown;
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, dump_name_cmp);
	return true;
}

/* ---- collection names as file names (mongodump's rules) ---------------- */

/* Go's url.PathEscape: what a path segment may hold stays as it is. */
static bool stem_char_kept(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-_.~$&+:=@", c));
}

/* The file name of collection `coll` without its extension: escaped, and
 * cut with a hash when too long, as mongodump does. Free with free(). */
static char *file_stem(const char *coll)
{
	struct buf b = { 0 };

	for (const unsigned char *p = (const unsigned char *) coll; *p; p++) {
		if (stem_char_kept(*p))
			buf_add(&b, (const char *) p, 1);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	if (b.len > STEM_MAX) {
		unsigned char md[EVP_MAX_MD_SIZE], b64[64];
		unsigned int mdlen = 0;
		int n;

		if (!EVP_Digest(coll, strlen(coll), md, &mdlen, EVP_sha1(), NULL))
			abort();
		n = EVP_EncodeBlock(b64, md, (int) mdlen);
		while (n > 0 && b64[n - 1] == '=')
			n--;
		for (int i = 0; i < n; i++)
			b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
		b.len = STEM_CUT;
		b.data[b.len] = '\0';
		buf_printf(&b, "%%24%.*s", n, (const char *) b64);
	}
	return b.data;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The collection name a file stem stands for (Go's url.PathUnescape), or
 * NULL when it holds a bad %-escape or a NUL. Free with free(). */
static char *stem_unescape(const char *stem)
{
	struct buf b = { 0 };

	for (const char *p = stem; *p; p++) {
		char c = *p;
		if (c == '%') {
			int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
			if (lo < 0 || (hi == 0 && lo == 0)) {
				buf_free(&b);
				return NULL;
			}
			c = (char) (hi * 16 + lo);
			p += 2;
		}
		buf_add(&b, &c, 1);
	}
	if (!b.data)
		buf_add(&b, "", 0);
	return b.data;
}

/* ---- gzip output --------------------------------------------------------- */

struct gz_out {
	char *path;
	int fd;        /* kept to fsync after gzclose() */
	gzFile gz;     /* writes through a dup of fd */
};

/* zlib's message for the last error of `gz` (errno when it was a system
 * error), without the "<fd:N>: " prefix of gzdopen()'ed files. */
static const char *gz_message(gzFile gz, int saved_errno)
{
	int code;
	const char *m = gzerror(gz, &code), *colon;

	if (code == Z_ERRNO)
		return strerror(saved_errno);
	if (m && m[0] == '<' && (colon = strstr(m, ">: ")) != NULL)
		m = colon + 3;
	return m && *m ? m : "compression error";
}

static bool gz_out_open(struct gz_out *o, const char *path)
{
	int dupfd;

	o->path = xstrdup(path);
	o->gz = NULL;
	o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (o->fd < 0)
		return fail("cannot create %s: %s", path, strerror(errno));
	dupfd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0 || !(o->gz = gzdopen(dupfd, "wb"))) {
		fail("cannot write %s: %s", path, strerror(errno ? errno : ENOMEM));
		if (dupfd >= 0)
			close(dupfd);
		return false;
	}
	gzbuffer(o->gz, 128 * 1024);
	return true;
}

static bool gz_out_write(struct gz_out *o, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		unsigned int chunk = len > (1u << 30) ? (1u << 30) : (unsigned int) len;
		errno = 0;
		if (gzwrite(o->gz, p, chunk) != (int) chunk)
			return fail("cannot write %s: %s", o->path, gz_message(o->gz, errno));
		p += chunk;
		len -= chunk;
	}
	return true;
}

/* Finishes the file (flushed and fsync'ed when `commit`), frees `o`. */
static bool gz_out_close(struct gz_out *o, bool commit)
{
	bool ok = true;

	if (o->gz) {
		errno = 0;
		int zr = gzclose(o->gz);
		if (commit && zr != Z_OK)
			ok = fail("cannot write %s: %s", o->path,
				  zr == Z_ERRNO ? strerror(errno) : zError(zr));
	}
	if (o->fd >= 0) {
		if (commit && ok && fsync(o->fd) != 0)
			ok = fail("fsync %s: %s", o->path, strerror(errno));
		if (close(o->fd) != 0 && commit && ok)
			ok = fail("cannot write %s: %s", o->path, strerror(errno));
	}
	free(o->path);
	o->path = NULL;
	o->gz = NULL;
	o->fd = -1;
	return ok;
}

/* ---- BSON input (a .bson or .bson.gz file, or a metadata file) ----------- */

struct bson_in {
	const char *path;
	FILE *f;            /* uncompressed file */
	gzFile gz;          /* gzip file */
	uint64_t offset;    /* of the next document, in the uncompressed stream */
	uint64_t count;     /* documents read */
	uint8_t *doc;       /* the current document (reused) */
	size_t cap;
};

static bool bson_in_open(struct bson_in *in, const char *path, bool gz)
{
	memset(in, 0, sizeof *in);
	in->path = path;
	if (!gz) {
		in->f = fopen(path, "rbe");
		if (!in->f)
			return fail("%s: %s", path, strerror(errno));
		return true;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	if (!(in->gz = gzdopen(fd, "rb"))) {
		close(fd);
		return fail("%s: out of memory", path);
	}
	gzbuffer(in->gz, 128 * 1024);
	if (gzdirect(in->gz)) {
		gzclose(in->gz);
		in->gz = NULL;
		return fail("%s: not gzip data (empty, or not compressed)", path);
	}
	return true;
}

static void bson_in_close(struct bson_in *in)
{
	if (in->f)
		fclose(in->f);
	if (in->gz)
		gzclose(in->gz);
	free(in->doc);
	memset(in, 0, sizeof *in);
}

/* Reads up to `len` bytes: how many (fewer only at the end of the data),
 * or -1 on an error (reported: a read error, corrupt or truncated gzip). */
static ssize_t bson_in_read(struct bson_in *in, void *buf, size_t len)
{
	size_t got = 0;

	if (in->f) {
		got = fread(buf, 1, len, in->f);
		if (got < len && ferror(in->f)) {
			fail("%s: %s", in->path, strerror(errno));
			return -1;
		}
		return (ssize_t) got;
	}
	while (got < len) {
		unsigned int want = len - got > (1u << 30) ? (1u << 30) : (unsigned int) (len - got);
		errno = 0;
		int r = gzread(in->gz, (char *) buf + got, want);
		if (r < 0) {
			fail("%s: corrupt gzip data: %s", in->path, gz_message(in->gz, errno));
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t) r;
	}
	if (got < len) {
		int code;
		gzerror(in->gz, &code);
		if (code != Z_OK) {
			fail("%s: %s", in->path, code == Z_BUF_ERROR
			     ? "truncated gzip data (unexpected end of file)"
			     : gz_message(in->gz, errno));
			return -1;
		}
	}
	return (ssize_t) got;
}

/* The next document into `doc` (valid until the next call): 1, 0 at the
 * end of the file, -1 on an error (reported, naming the file). */
static int bson_in_next(struct bson_in *in, bson_t *doc)
{
	uint8_t head[4];
	ssize_t got;
	uint32_t len;
	size_t bad;
	unsigned long long no = (unsigned long long) in->count + 1,
			   at = (unsigned long long) in->offset;

	if ((got = bson_in_read(in, head, 4)) < 0)
		return -1;
	if (got == 0)
		return 0;
	if (got < 4) {
		fail("%s: truncated: %zd stray bytes after the last document", in->path, got);
		return -1;
	}
	len = (uint32_t) head[0] | (uint32_t) head[1] << 8 | (uint32_t) head[2] << 16 |
	      (uint32_t) head[3] << 24;
	if (len < 5 || len > BACKUP_MAX_DOC) {
		fail("%s: document %llu (offset %llu) claims %u bytes: not BSON, the file is corrupt",
		     in->path, no, at, len);
		return -1;
	}
	if (in->cap < len) {
		uint8_t *grown = realloc(in->doc, len);
		if (!grown)
			abort();
		in->doc = grown;
		in->cap = len;
	}
	memcpy(in->doc, head, 4);
	if ((got = bson_in_read(in, in->doc + 4, len - 4)) < 0)
		return -1;
	if ((size_t) got < len - 4) {
		fail("%s: truncated: document %llu (offset %llu) is %u bytes, the file ends after %zd",
		     in->path, no, at, len, got + 4);
		return -1;
	}
	if (!bson_init_static(doc, in->doc, len) ||
	    !bson_validate(doc, BSON_VALIDATE_NONE, &bad)) {
		fail("%s: document %llu (offset %llu) is not valid BSON: the file is corrupt",
		     in->path, no, at);
		return -1;
	}
	in->offset += len;
	in->count++;
	return 1;
}

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
		return fail("MONGODB_URI is not a valid MongoDB URI");
	db = mongoc_uri_get_database(uri);
	snprintf(out, outlen, "%s", db && *db ? db : BACKUP_DB_EMBEDDED);
	mongoc_uri_destroy(uri);
	if (strchr(out, '/') || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return fail("the database name \"%s\" cannot be a folder name", out);
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
	char *stem = file_stem(coll), *path = NULL, *json = NULL;
	size_t json_len = 0;
	uint64_t docs = 0;
	bool have_indexes = false, ok = false;

	if (!store_list_indexes(st, coll, &indexes, &se)) {
		if (se.code == STORE_ERR_NOT_FOUND) {
			warn("collection %s was dropped during the dump: left out", coll);
			ok = true;
		} else {
			fail("indexes of %s: %s", coll, se.message);
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
		fail("indexes of %s cannot be written as JSON", coll);
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
		fail("read %s: %s", coll, se.message);
		goto done;
	}
	while (store_cursor_next(cur, &doc)) {
		if (interrupted) {
			fail("interrupted");
			goto done;
		}
		if (!gz_out_write(&out, bson_get_data(doc), doc->len))
			goto done;
		docs++;
	}
	if (store_cursor_error(cur, &se)) {
		fail("read %s: %s", coll, se.message);
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

	if (!list_dumps(dir, &names, &n))
		return fail("%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < n; i++)
		others += strcmp(names[i], written) != 0;
	for (size_t i = 0; i < n && others + 1 > (size_t) keep; i++) {
		if (strcmp(names[i], written) == 0)
			continue;
		others--;
		char *p = path_join(dir, names[i]);
		if (remove_tree(p))
			printf("removed old dump %s\n", names[i]);
		else
			ok = fail("cannot remove the old dump %s: %s", p, strerror(errno));
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

	if (!list_dumps(dir, &names, &n))
		return fail("%s: %s", dir, strerror(errno));
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
		char *p = path_join(dir, leaf);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, p, RENAME_NOREPLACE) == 0) {
			*path = p;
			*final_name = xstrdup(leaf);
			bson_free(leaf);
			return true;
		}
		int e = errno;
		free(p);
		bson_free(leaf);
		if (e != EEXIST)
			return fail("cannot rename %s into place: %s", tmp, strerror(e));
	}
	return fail("too many dumps named %s in %s", name, dir);
}

static int run_dump(const char *out_dir, long keep)
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
		fail("cannot open the store: %s", se.message);
	if (!st || !dump_db_name(db, sizeof db) || !mkdir_parents(out_dir, 0700)) {
		fail("dump failed: no dump was written");
		return 1;
	}
	gmtime_r(&now, &tm);
	strftime(name, sizeof name, "%Y-%m-%dT%H%M%SZ", &tm);
	tmp = bson_strdup_printf("%s/" TMP_PREFIX "%s-%ld", out_dir, name, (long) getpid());
	if (mkdir(tmp, 0700) != 0) {
		fail("cannot create %s: %s", tmp, strerror(errno));
		fail("dump failed: no dump was written");
		bson_free(tmp);
		return 1;
	}
	dbdir = path_join(tmp, db);
	if (mkdir(dbdir, 0700) != 0) {
		fail("cannot create %s: %s", dbdir, strerror(errno));
		goto done;
	}
	if (!store_list_collections(st, &colls, &ncolls, &se)) {
		fail("list the collections: %s", se.message);
		goto done;
	}
	printf("dumping the %s store (%s) to %s\n", store_backend_name(st), db, out_dir);
	for (size_t i = 0; i < ncolls; i++) {
		if (interrupted) {
			fail("interrupted");
			goto done;
		}
		if (!dump_collection(st, dbdir, colls[i], &tot))
			goto done;
	}
	if (!fsync_dir(dbdir) || !fsync_dir(tmp) ||
	    !publish_dump(out_dir, tmp, name, &final, &final_name) || !fsync_dir(out_dir))
		goto done;
	{
		char size[32];
		human_size(tree_size_at(AT_FDCWD, final), size, sizeof size);
		printf("dump complete: %s (%zu collections, %llu documents, %s)\n", final,
		       tot.collections, (unsigned long long) tot.documents, size);
	}
	rc = prune_dumps(out_dir, keep, final_name) ? 0 : 1;
done:
	if (rc && !final) {
		if (!remove_tree(tmp))
			warn("could not remove the unfinished dump %s: %s", tmp, strerror(errno));
		fail("dump failed: no dump was written");
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
		sub = path_join(path, e->d_name);
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

static int run_list(const char *dir)
{
	char **names;
	size_t n;
	uint64_t total = 0;
	char size[32];
	DIR *d;
	struct dirent *e;

	if (!list_dumps(dir, &names, &n)) {
		if (errno == ENOENT)
			fail("%s does not exist: no dump was ever written there", dir);
		else
			fail("%s: %s", dir, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		struct buf what = { 0 };
		uint64_t bytes = tree_size_at(AT_FDCWD, p);
		describe_dump(p, &what);
		human_size(bytes, size, sizeof size);
		printf("%-24s %10s  %s\n", names[i], size, what.data ? what.data : "(empty)");
		total += bytes;
		buf_free(&what);
		free(p);
	}
	human_size(total, size, sizeof size);
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
		fail("%s: %s", dump_dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fail("%s is not a folder (give a dump folder, e.g. .../backups/2026-11-25T020000Z)",
		     dump_dir);
		return NULL;
	}
	if (holds_dump_files(dump_dir))
		return xstrdup(dump_dir);
	if (!(d = opendir(dump_dir))) {
		fail("%s: %s", dump_dir, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		char *p;
		if (e->d_name[0] == '.')
			continue;
		p = path_join(dump_dir, e->d_name);
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
			fail("%s holds no dump (no .bson or .bson.gz files, no database folder)",
			     dump_dir);
		else
			fail("%s holds several databases (%s): give the folder of the one to restore",
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
		return fail("%s: %s", p->dbdir, strerror(errno));
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
			warn("%s/%s is not a dump file: ignored", p->dbdir, e->d_name);
			continue;
		}
		path = path_join(p->dbdir, e->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			ok = fail("%s is not a readable file", path);
			free(path);
			break;
		}
		c = plan_entry(p, e->d_name, len);
		if (bson ? c->bson_path != NULL : c->meta_path != NULL) {
			ok = fail("%s and %s hold the same collection: keep one of them",
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
		ok = fail("%s holds no collection files", p->dbdir);
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
			ok = fail("%s: larger than %d bytes: not a metadata file", path,
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
		return fail("%s: an entry of \"indexes\" is not an object", path);
	bson_iter_document(it, &len, &data);
	if (!bson_init_static(&spec, data, len) || !bson_iter_init(&f, &spec))
		return fail("%s: an entry of \"indexes\" is not an object", path);
	while (bson_iter_next(&f)) {
		const char *k = bson_iter_key(&f);
		if (strcmp(k, "name") == 0) {
			if (!BSON_ITER_HOLDS_UTF8(&f))
				return fail("%s: an index name is not a string", path);
			name = bson_iter_utf8(&f, NULL);
		} else if (strcmp(k, "key") == 0) {
			if (!BSON_ITER_HOLDS_DOCUMENT(&f))
				return fail("%s: an index \"key\" is not an object", path);
			bson_iter_document(&f, &len, &data);
			if (!bson_init_static(&keys, data, len))
				return fail("%s: an index \"key\" is not an object", path);
			have_keys = true;
		} else if (strcmp(k, "unique") == 0) {
			ip->unique = bson_iter_as_bool(&f);
		} else if (strcmp(k, "sparse") == 0) {
			sparse = bson_iter_as_bool(&f);
		} else if (strcmp(k, "expireAfterSeconds") == 0) {
			double v = BSON_ITER_HOLDS_NUMBER(&f) ? bson_iter_as_double(&f) : -1;
			if (v < 0 || v > 2147483647.0)
				return fail("%s: index expireAfterSeconds must be a number from 0 to "
					    "2147483647", path);
			ip->ttl = (int64_t) v;
		} else if (!index_option_ignored(k) && !option) {
			option = k;
		}
	}
	if (!name || !*name)
		return fail("%s: an index has no name", path);
	if (!have_keys || bson_count_keys(&keys) == 0)
		return fail("%s: index %s has no \"key\"", path, name);
	if (!bson_iter_init(&f, &keys))
		return fail("%s: index %s: bad \"key\"", path, name);
	while (bson_iter_next(&f)) {
		if (BSON_ITER_HOLDS_UTF8(&f)) {
			if (!type)
				type = bson_iter_utf8(&f, NULL);
		} else if (!BSON_ITER_HOLDS_NUMBER(&f) || bson_iter_as_double(&f) == 0 ||
			   bson_iter_as_double(&f) != bson_iter_as_double(&f)) {
			return fail("%s: index %s: key \"%s\" must be 1 or -1", path, name,
				    bson_iter_key(&f));
		}
	}
	if (strcmp(name, "_id_") == 0)
		return true;   /* every collection has it */
	if (type) {
		warn("%s: index %s of %s not restored: the store has no \"%s\" indexes", path,
		     name, coll, type);
		return true;
	}
	if (option) {
		warn("%s: index %s of %s not restored: the store does not support its option "
		     "\"%s\"", path, name, coll, option);
		return true;
	}
	if (sparse && ip->unique) {
		warn("%s: index %s of %s not restored: it is unique and sparse, and the store has "
		     "no sparse indexes (a unique one would refuse every document without the "
		     "field)", path, name, coll);
		return true;
	}
	if (sparse)
		warn("%s: index %s of %s restored without \"sparse\" (the store has no sparse "
		     "indexes)", path, name, coll);
	ip->name = xstrdup(name);
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
		fail("%s: not a metadata file (Extended JSON): %s", c->meta_path, je.message);
		goto done;
	}
	parsed = true;
	if (bson_iter_init_find(&it, &meta, "collectionName")) {
		if (!BSON_ITER_HOLDS_UTF8(&it)) {
			fail("%s: \"collectionName\" is not a string", c->meta_path);
			goto done;
		}
		/* mongodump cuts long file names: then the name is only here */
		if (strlen(c->stem) == STEM_MAX && strstr(c->stem, "%24")) {
			free(c->name);
			c->name = xstrdup(bson_iter_utf8(&it, NULL));
		}
	}
	if (bson_iter_init_find(&it, &meta, "type") && BSON_ITER_HOLDS_UTF8(&it) &&
	    strcmp(bson_iter_utf8(&it, NULL), "collection") != 0) {
		warn("%s: %s is a %s, not a collection: not restored", c->meta_path, c->name,
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
			warn("%s: the collection options of %s (capped, validator…) are not "
			     "restored: the store has none", c->meta_path, c->name);
	}
	if (!bson_iter_init_find(&it, &meta, "indexes")) {
		ok = true;
		goto done;
	}
	if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
		fail("%s: \"indexes\" is not an array", c->meta_path);
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
				fail("%s: two indexes named %s", c->meta_path, ip.name);
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
		return fail("%s: document %llu: %s", in->path, (unsigned long long) in->count,
			    se.message);
	if (bson_iter_init_find(&it, doc, "_id") &&
	    (BSON_ITER_HOLDS_ARRAY(&it) || BSON_ITER_HOLDS_REGEX(&it) ||
	     bson_iter_type(&it) == BSON_TYPE_UNDEFINED))
		return fail("%s: document %llu: an _id cannot be an array, a regex or undefined",
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
		if (interrupted) {
			r = -1;
			fail("interrupted");
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

static bool valid_coll_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= BACKUP_MAX_COLL_NAME && name[0] != '.' && name[len - 1] != '.';
}

/* Everything about the dump, read and checked; nothing written. */
static bool plan_dump(struct restore_plan *p, const char *dump_dir)
{
	if (!(p->dbdir = find_db_dir(dump_dir)) || !plan_scan(p))
		return false;
	for (size_t i = 0; i < p->n; i++) {
		struct coll_plan *c = &p->c[i];
		if (!(c->name = stem_unescape(c->stem)))
			return fail("%s/%s: the file name is not an escaped collection name",
				    p->dbdir, c->stem);
		if (c->meta_path && !plan_metadata(c))
			return false;
		if (c->skip)
			continue;
		if (strncmp(c->name, "system.", 7) == 0 || strchr(c->name, '$')) {
			warn("%s: system collection %s: not restored", p->dbdir, c->name);
			c->skip = true;
			continue;
		}
		if (!valid_coll_name(c->name))
			return fail("%s/%s: \"%s\" is not a valid collection name", p->dbdir,
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
				warn("collection %s has index %s already, under the name %s: kept as it is",
				     c->name, ip->name, name);
			} else {
				ok = fail("collection %s has an index %s that differs from the dump's %s "
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
		return fail("list the collections of the store: %s", se.message);
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
			ok = fail("count %s: %s", c->name, se.message);
			break;
		}
		if (count > 0) {
			ok = fail("collection %s is not empty (%lld documents): restore refuses to mix "
				  "data; --drop replaces it", c->name, (long long) count);
			continue;
		}
		if (!store_list_indexes(st, c->name, &list, &se)) {
			if (se.code == STORE_ERR_NOT_FOUND)
				continue;
			ok = fail("indexes of %s: %s", c->name, se.message);
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
	bson_t *docs;
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
		return fail("insert into %s: %s", c->name, se.message);
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
		fail("create %s: %s", coll, se.message);
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
		return fail("drop %s: %s", c->name, se.message);
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
			return fail("create index %s of %s: %s", ip->name, c->name, se.message);
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
		if (interrupted) {
			fail("interrupted");
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
		fail("%s changed during the restore (%llu documents, %llu when checked)",
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
			ok = fail("could not drop %s again: %s", p->c[i].name, se.message);
	}
	if (dropped.len)
		fail("the restore did not finish; the collections it had written were dropped "
		     "again: %s%s", dropped.data,
		     drop ? " (with --drop their previous content is gone: restore again)" : "");
	if (!ok)
		fail("the store is partly restored: restore again with --drop");
	buf_free(&dropped);
}

static int run_restore(const char *dump_dir, bool drop)
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
		fail("%s holds no collection to restore", p.dbdir);
		goto refused;
	}
	printf("checked %s: %zu collections, %llu documents\n", p.dbdir, colls,
	       (unsigned long long) docs);
	if (!(st = conn_store(&se))) {
		fail("cannot open the store: %s", se.message);
		goto refused;
	}
	if (!plan_target(st, &p, drop))
		goto refused;
	printf("restoring into the %s store%s\n", store_backend_name(st),
	       drop ? " (replacing its collections)" : "");
	for (size_t i = 0; i < p.n; i++) {
		if (p.c[i].skip)
			continue;
		if (interrupted) {
			fail("interrupted");
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
	fail("nothing was restored: the store is unchanged");
done:
	plan_free(&p);
	return rc;
}

/* ---- command line ---------------------------------------------------------- */

struct options {
	const char *out;       /* dump, list: --out */
	long keep;             /* dump: --keep, 0 = from the configuration */
	const char *dump_dir;  /* restore */
	bool drop;             /* restore: --drop */
};

struct command {
	const char *name;
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "dump", "[--out DIR] [--keep N]",
	  "write every collection to DIR/<UTC time>/<db>/ (mongodump --gzip format), then keep "
	  "the newest N dumps of DIR (default: $CWC_DATA_DIR/backups, CWC_BACKUP_KEEP or 14)" },
	{ "restore", "DUMP_DIR [--drop]",
	  "load a dump (ours or mongodump's, .bson or .bson.gz) into the configured store; "
	  "refuses non-empty collections unless --drop, which replaces them" },
	{ "list", "[--out DIR]", "the dumps of DIR with their sizes" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: cwc-backup COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(f, "\nThe store is the apps' (MONGODB_URI, else the embedded one under "
		"CWC_DATA_DIR).\n");
}

static int cmd_usage(const struct command *c)
{
	fprintf(stderr, "usage: cwc-backup %s %s\n", c->name, c->args);
	return 2;
}

/* A whole number from 1 to BACKUP_KEEP_MAX, else 0. */
static long parse_keep(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > BACKUP_KEEP_MAX)
		return 0;
	return v;
}

static bool parse_args(const struct command *c, int argc, char **argv, struct options *o)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (strcmp(c->name, "restore") != 0 && strcmp(a, "--out") == 0 && has_value &&
		    argv[i + 1][0]) {
			o->out = argv[++i];
		} else if (strcmp(c->name, "dump") == 0 && strcmp(a, "--keep") == 0 && has_value) {
			if (!(o->keep = parse_keep(argv[++i]))) {
				fprintf(stderr, "cwc-backup: --keep takes a number from 1 to %d\n",
					BACKUP_KEEP_MAX);
				return false;
			}
		} else if (strcmp(c->name, "restore") == 0 && strcmp(a, "--drop") == 0) {
			o->drop = true;
		} else if (strcmp(c->name, "restore") == 0 && a[0] != '-' && !o->dump_dir) {
			o->dump_dir = a;
		} else {
			return false;
		}
	}
	return strcmp(c->name, "restore") != 0 || o->dump_dir;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct options o = { 0 };
	struct sigaction sa;
	char err[512], *out = NULL;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "cwc-backup: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (!parse_args(cmd, argc, argv, &o))
		return cmd_usage(cmd);
	if (!cfg_load(err, sizeof err)) {
		fprintf(stderr, "cwc-backup: %s\n", err);
		return 1;
	}
	log_init("cwc-backup", cfg->log_level);
	if (strcmp(cmd->name, "dump") == 0 && !o.keep) {
		const char *v = cfg_get("CWC_BACKUP_KEEP", NULL);
		o.keep = v ? parse_keep(v) : BACKUP_KEEP_DEFAULT;
		if (!o.keep) {
			fprintf(stderr, "cwc-backup: CWC_BACKUP_KEEP must be a number from 1 to %d "
				"(it is \"%s\")\n", BACKUP_KEEP_MAX, v);
			cfg_free();
			return 1;
		}
	}
	out = o.out ? xstrdup(o.out) : path_join(cfg->data_dir, "backups");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (strcmp(cmd->name, "dump") == 0)
		rc = run_dump(out, o.keep);
	else if (strcmp(cmd->name, "restore") == 0)
		rc = run_restore(o.dump_dir, o.drop);
	else
		rc = run_list(out);
	free(out);
	conn_close();
	cfg_free();
	return rc;
}
