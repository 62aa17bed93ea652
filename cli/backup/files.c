/*
 * files.c — cwc-backup's messages, files and folders, dump folder names and
 * collection names as file names (mongodump's rules). See backup.h.
 */
#include "backup.h"
#include "core/crypto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- messages ---------------------------------------------------------- */

bool backup_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("cwc-backup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

void backup_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("cwc-backup: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *backup_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* "a/b"; free with free(). */
char *backup_path_join(const char *a, const char *b)
{
	struct buf p = { 0 };

	buf_printf(&p, "%s/%s", a, b);
	return p.data;
}

void backup_human_size(uint64_t n, char *out, size_t outlen)
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

bool backup_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return backup_fail("%s: %s", path, strerror(errno));
	ok = fsync(fd) == 0;
	if (!ok)
		backup_fail("fsync %s: %s", path, strerror(errno));
	close(fd);
	return ok;
}

/* Creates `path` and its missing parents (new ones with `mode`). */
bool backup_mkdir_parents(const char *path, mode_t mode)
{
	char *p = backup_strdup(path);
	bool ok = true;

	for (char *s = p + 1; ok; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			ok = backup_fail("cannot create %s: %s", p, strerror(errno));
		*s = c;
		if (c == '\0')
			break;
	}
	if (ok) {
		struct stat sb;
		if (stat(path, &sb) != 0)
			ok = backup_fail("%s: %s", path, strerror(errno));
		else if (!S_ISDIR(sb.st_mode))
			ok = backup_fail("%s is not a folder", path);
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

bool backup_remove_tree(const char *path)
{
	return remove_tree_at(AT_FDCWD, path);
}

/* The bytes of the regular files under `name`, links not followed. */
uint64_t backup_tree_size_at(int parent, const char *name)
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
			total += backup_tree_size_at(dirfd(d), e->d_name);
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
bool backup_list_dumps(const char *dir, char ***names, size_t *n)
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
		(*names)[(*n)++] = backup_strdup(e->d_name);
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
char *backup_file_stem(const char *coll)
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

/* The collection name a file stem stands for (Go's url.PathUnescape), or
 * NULL when it holds a bad %-escape or a NUL. Free with free(). */
char *backup_stem_unescape(const char *stem)
{
	struct buf b = { 0 };

	for (const char *p = stem; *p; p++) {
		char c = *p;
		if (c == '%') {
			int hi = crypto_hex_digit(p[1]), lo = hi < 0 ? -1 : crypto_hex_digit(p[2]);
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
