/*
 * relay_mask.h — RFC 6455 §5.1: every frame a client sends must be
 * masked, and a server that receives an unmasked one must close the
 * connection. libwebsockets 4.1 (Debian 12) does not check it — its
 * parser reads the MASK bit and then accepts either (upstream checks it
 * from 4.3) — and gives its callbacks no way to tell.
 *
 * So the relay watches the bytes itself, where lws gets them: lws reads a
 * plain-TCP socket with recv(2), and this module defines recv() in the
 * executable, which the dynamic linker then binds libwebsockets' calls to
 * (the executable comes first in the lookup scope). It passes every call
 * on to the real recv() (dlsym RTLD_NEXT: libc's, or the sanitizers'
 * interceptor) and, for the sockets registered here, follows the frame
 * headers in what was read: a header without the MASK bit marks the
 * socket (struct relay_mask.unmasked), and relay_session.c closes it with
 * 1002 at the next callback. Nothing else is looked at or changed.
 *
 * A socket is registered when its WebSocket opens (a client may not send
 * a frame before it has our 101, so the first byte read after it starts a
 * frame) and forgotten when it closes.
 */
#ifndef CWC_RELAY_MASK_H
#define CWC_RELAY_MASK_H

#include <stdbool.h>
#include <stdint.h>

/* Where a socket is in its stream of frames. Zeroed: before a frame. */
struct relay_mask {
	uint8_t head[14];     /* the frame header read so far */
	uint8_t head_len;
	uint64_t payload_left; /* bytes of the current frame still to come */
	bool unmasked;        /* a frame without the MASK bit was read */
};

/* Follows the frames read from `fd` into `m` (owned by the caller, which
 * keeps it alive until relay_mask_forget). False when out of memory (the
 * socket is then not checked; logged). */
bool relay_mask_watch(int fd, struct relay_mask *m);

/* Stops following `fd` (safe when it is not followed). */
void relay_mask_forget(int fd);

/* Frees the table of followed sockets (at exit). */
void relay_mask_free(void);

#endif
