/*
 * stream.c — gzip output and BSON input (a .bson or .bson.gz file, or a
 * metadata file) for cwc-backup. See backup.h.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- gzip output --------------------------------------------------------- */

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

bool gz_out_open(struct gz_out *o, const char *path)
{
	int dupfd;

	o->path = backup_strdup(path);
	o->gz = NULL;
	o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (o->fd < 0)
		return backup_fail("cannot create %s: %s", path, strerror(errno));
	dupfd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0 || !(o->gz = gzdopen(dupfd, "wb"))) {
		backup_fail("cannot write %s: %s", path, strerror(errno ? errno : ENOMEM));
		if (dupfd >= 0)
			close(dupfd);
		return false;
	}
	gzbuffer(o->gz, 128 * 1024);
	return true;
}

bool gz_out_write(struct gz_out *o, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		unsigned int chunk = len > (1u << 30) ? (1u << 30) : (unsigned int) len;
		errno = 0;
		if (gzwrite(o->gz, p, chunk) != (int) chunk)
			return backup_fail("cannot write %s: %s", o->path, gz_message(o->gz, errno));
		p += chunk;
		len -= chunk;
	}
	return true;
}

/* Finishes the file (flushed and fsync'ed when `commit`), frees `o`. */
bool gz_out_close(struct gz_out *o, bool commit)
{
	bool ok = true;

	if (o->gz) {
		errno = 0;
		int zr = gzclose(o->gz);
		if (commit && zr != Z_OK)
			ok = backup_fail("cannot write %s: %s", o->path,
				  zr == Z_ERRNO ? strerror(errno) : zError(zr));
	}
	if (o->fd >= 0) {
		if (commit && ok && fsync(o->fd) != 0)
			ok = backup_fail("fsync %s: %s", o->path, strerror(errno));
		if (close(o->fd) != 0 && commit && ok)
			ok = backup_fail("cannot write %s: %s", o->path, strerror(errno));
	}
	free(o->path);
	o->path = NULL;
	o->gz = NULL;
	o->fd = -1;
	return ok;
}

/* ---- BSON input (a .bson or .bson.gz file, or a metadata file) ----------- */

bool bson_in_open(struct bson_in *in, const char *path, bool gz)
{
	memset(in, 0, sizeof *in);
	in->path = path;
	if (!gz) {
		in->f = fopen(path, "rbe");
		if (!in->f)
			return backup_fail("%s: %s", path, strerror(errno));
		return true;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return backup_fail("%s: %s", path, strerror(errno));
	if (!(in->gz = gzdopen(fd, "rb"))) {
		close(fd);
		return backup_fail("%s: out of memory", path);
	}
	gzbuffer(in->gz, 128 * 1024);
	if (gzdirect(in->gz)) {
		gzclose(in->gz);
		in->gz = NULL;
		return backup_fail("%s: not gzip data (empty, or not compressed)", path);
	}
	return true;
}

void bson_in_close(struct bson_in *in)
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
ssize_t bson_in_read(struct bson_in *in, void *buf, size_t len)
{
	size_t got = 0;

	if (in->f) {
		got = fread(buf, 1, len, in->f);
		if (got < len && ferror(in->f)) {
			backup_fail("%s: %s", in->path, strerror(errno));
			return -1;
		}
		return (ssize_t) got;
	}
	while (got < len) {
		unsigned int want = len - got > (1u << 30) ? (1u << 30) : (unsigned int) (len - got);
		errno = 0;
		int r = gzread(in->gz, (char *) buf + got, want);
		if (r < 0) {
			backup_fail("%s: corrupt gzip data: %s", in->path, gz_message(in->gz, errno));
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
			backup_fail("%s: %s", in->path, code == Z_BUF_ERROR
			     ? "truncated gzip data (unexpected end of file)"
			     : gz_message(in->gz, errno));
			return -1;
		}
	}
	return (ssize_t) got;
}

/* The next document into `doc` (valid until the next call): 1, 0 at the
 * end of the file, -1 on an error (reported, naming the file). */
int bson_in_next(struct bson_in *in, bson_t *doc)
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
		backup_fail("%s: truncated: %zd stray bytes after the last document", in->path, got);
		return -1;
	}
	len = (uint32_t) head[0] | (uint32_t) head[1] << 8 | (uint32_t) head[2] << 16 |
	      (uint32_t) head[3] << 24;
	if (len < 5 || len > STORE_MAX_DOC_SIZE) {
		backup_fail("%s: document %llu (offset %llu) claims %u bytes: not BSON, the file is corrupt",
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
		backup_fail("%s: truncated: document %llu (offset %llu) is %u bytes, the file ends after %zd",
		     in->path, no, at, len, got + 4);
		return -1;
	}
	if (!bson_init_static(doc, in->doc, len) ||
	    !bson_validate(doc, BSON_VALIDATE_NONE, &bad)) {
		backup_fail("%s: document %llu (offset %llu) is not valid BSON: the file is corrupt",
		     in->path, no, at);
		return -1;
	}
	in->offset += len;
	in->count++;
	return 1;
}
