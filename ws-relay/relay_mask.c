/*
 * relay_mask.c — the masking check libwebsockets 4.1 lacks. See
 * relay_mask.h for why recv() is defined here.
 *
 * The sockets followed are found through a table indexed by file
 * descriptor, grown on demand (at most the relay's open-file limit). The
 * relay has one thread; recv() calls on sockets not in the table (Redis
 * uses read(); the store's client may use recv) pass straight through.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* RTLD_NEXT */
#endif
#include "relay_mask.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/log.h"

static struct relay_mask **followed;   /* by fd */
static size_t followed_len;

typedef ssize_t (*recv_fn)(int, void *, size_t, int);

/* Follows the frame headers through `n` bytes just read. */
static void mask_scan(struct relay_mask *m, const uint8_t *p, size_t n)
{
	size_t need, skip, ext;

	while (n && !m->unmasked) {
		if (m->payload_left) {
			skip = m->payload_left < n ? (size_t)m->payload_left : n;
			m->payload_left -= skip;
			p += skip;
			n -= skip;
			continue;
		}
		m->head[m->head_len++] = *p++;
		n--;
		if (m->head_len < 2)
			continue;
		if (!(m->head[1] & 0x80)) {
			m->unmasked = true;
			return;
		}
		ext = (m->head[1] & 0x7f) == 126 ? 2 : (m->head[1] & 0x7f) == 127 ? 8 : 0;
		need = 2 + ext + 4;   /* + the masking key */
		if (m->head_len < need)
			continue;
		if (ext == 0) {
			m->payload_left = m->head[1] & 0x7f;
		} else {
			m->payload_left = 0;
			for (size_t i = 0; i < ext; i++)
				m->payload_left = m->payload_left << 8 | m->head[2 + i];
		}
		m->head_len = 0;
	}
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static recv_fn real_recv;
	ssize_t n;

	if (!real_recv && !(real_recv = (recv_fn)dlsym(RTLD_NEXT, "recv"))) {
		errno = ENOSYS;
		return -1;
	}
	n = real_recv(fd, buf, len, flags);
	if (n > 0 && !(flags & MSG_PEEK) && fd >= 0 &&
	    (size_t)fd < followed_len && followed[fd])
		mask_scan(followed[fd], buf, (size_t)n);
	return n;
}

bool relay_mask_watch(int fd, struct relay_mask *m)
{
	struct relay_mask **grown;
	size_t len;

	if (fd < 0)
		return false;
	if ((size_t)fd >= followed_len) {
		len = followed_len ? followed_len : 1024;
		while (len <= (size_t)fd)
			len *= 2;
		grown = realloc(followed, len * sizeof *followed);
		if (!grown) {
			log_error("out of memory: frames of fd %d not checked", fd);
			return false;
		}
		memset(grown + followed_len, 0, (len - followed_len) * sizeof *grown);
		followed = grown;
		followed_len = len;
	}
	memset(m, 0, sizeof *m);
	followed[fd] = m;
	return true;
}

void relay_mask_forget(int fd)
{
	if (fd >= 0 && (size_t)fd < followed_len)
		followed[fd] = NULL;
}

void relay_mask_free(void)
{
	free(followed);
	followed = NULL;
	followed_len = 0;
}
