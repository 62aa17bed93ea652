/*
 * backup.h — the parts of cwc-backup (cli/cwc-backup.c is the command
 * line): files.c (messages, files and folders, dump and file names),
 * stream.c (gzip output, BSON input), dump.c (dump, list), restore.c.
 */
#ifndef CWC_BACKUP_H
#define CWC_BACKUP_H

#include "core/buf.h"
#include "store/store.h"

#include <bson/bson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <zlib.h>

#define BACKUP_KEEP_DEFAULT  14
#define BACKUP_KEEP_MAX      100000
#define BACKUP_DB_EMBEDDED   "coworking-cafe"   /* the db folder of an embedded store */
#define BACKUP_MAX_METADATA  STORE_MAX_DOC_SIZE
#define BATCH_DOCS           1000
#define BATCH_BYTES          (8 * 1024 * 1024)
#define STEM_MAX             238   /* mongodump: 255 - strlen(".metadata.json.gz") */
#define STEM_CUT             208   /* mongodump: 208 + "%24" + 27 (SHA-1, base64url) */
#define DUMP_NAME_LEN        18    /* 2026-11-25T020000Z */
#define TMP_PREFIX           ".tmp-"

/* Set by SIGINT/SIGTERM/SIGHUP (cwc-backup.c); long loops check it and
 * stop cleanly. */
extern volatile sig_atomic_t backup_interrupted;

/* ---- files.c ---- */

/* "cwc-backup: message" on stderr; returns false. */
bool backup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "cwc-backup: warning: message" on stderr. */
void backup_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *backup_strdup(const char *s);
/* "a/b"; free with free(). */
char *backup_path_join(const char *a, const char *b);
void backup_human_size(uint64_t n, char *out, size_t outlen);
bool backup_fsync_dir(const char *path);
/* Creates `path` and its missing parents (new ones with `mode`). */
bool backup_mkdir_parents(const char *path, mode_t mode);
bool backup_remove_tree(const char *path);
/* The bytes under `name` (a file or a folder) in folder `parent`. */
uint64_t backup_tree_size_at(int parent, const char *name);
/* The dump folders of `dir` (directories, not links, named like a dump),
 * oldest first. Returns false when `dir` cannot be read. Free with
 * store_free_names(). */
bool backup_list_dumps(const char *dir, char ***names, size_t *n);
/* The file name of collection `coll` without its extension: escaped, and
 * cut with a hash when too long, as mongodump does. Free with free(). */
char *backup_file_stem(const char *coll);
/* The collection name a file stem stands for (Go's url.PathUnescape), or
 * NULL when it holds a bad %-escape or a NUL. Free with free(). */
char *backup_stem_unescape(const char *stem);

/* ---- stream.c ---- */

struct gz_out {
	char *path;
	int fd;        /* kept to fsync after gzclose() */
	gzFile gz;     /* writes through a dup of fd */
};

struct bson_in {
	const char *path;
	FILE *f;            /* uncompressed file */
	gzFile gz;          /* gzip file */
	uint64_t offset;    /* of the next document, in the uncompressed stream */
	uint64_t count;     /* documents read */
	uint8_t *doc;       /* the current document (reused) */
	size_t cap;
};

bool gz_out_open(struct gz_out *o, const char *path);
bool gz_out_write(struct gz_out *o, const void *data, size_t len);
/* Finishes the file (flushed and fsync'ed when `commit`), frees `o`. */
bool gz_out_close(struct gz_out *o, bool commit);
bool bson_in_open(struct bson_in *in, const char *path, bool gz);
void bson_in_close(struct bson_in *in);
/* Reads up to `len` bytes: how many (fewer only at the end of the data),
 * or -1 on an error (reported: a read error, corrupt or truncated gzip). */
ssize_t bson_in_read(struct bson_in *in, void *buf, size_t len);
/* The next document into `doc` (valid until the next call): 1, 0 at the
 * end of the file, -1 on an error (reported, naming the file). */
int bson_in_next(struct bson_in *in, bson_t *doc);

/* ---- dump.c, restore.c: the commands (exit status 0 or 1) ---- */

int backup_dump(const char *out_dir, long keep);
int backup_list(const char *dir);
int backup_restore(const char *dump_dir, bool drop);

#endif
