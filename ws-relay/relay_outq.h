/*
 * relay_outq.h — outgoing frames: shared messages and per-socket queues.
 *
 * A message is built once (with LWS_PRE bytes of headroom for the frame
 * header lws writes in front of it) and shared by reference between every
 * socket it goes to. A queue holds at most RELAY_OUTQ_MAX_MSGS messages and
 * RELAY_OUTQ_MAX_BYTES bytes of payload; outq_push() refuses beyond that,
 * which is how a client that stops reading is kept from growing memory.
 * Its ring is allocated by the first push (most sockets are written to
 * directly and never queue anything) and freed by outq_clear().
 */
#ifndef CWC_RELAY_OUTQ_H
#define CWC_RELAY_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

#include "relay.h"

struct outq_msg {
	unsigned refs;
	size_t len;                      /* payload bytes, after the headroom */
	unsigned char buf[];             /* LWS_PRE headroom, then the payload */
};

/* The payload of `m` (writable: lws_write() wants it so). */
#define OUTQ_PAYLOAD(m) ((m)->buf + LWS_PRE)

/* A new message holding a copy of `len` bytes, one reference owned by the
 * caller (drop it with outq_msg_unref()). NULL when out of memory. */
struct outq_msg *outq_msg_new(const void *payload, size_t len);
struct outq_msg *outq_msg_ref(struct outq_msg *m);
void outq_msg_unref(struct outq_msg *m);

struct outq {
	struct outq_msg **ring;          /* RELAY_OUTQ_MAX_MSGS slots, or NULL */
	unsigned head, count;
	size_t bytes;
};

/* Appends `m`, taking a reference of its own. False (nothing taken) when
 * the queue is full by count or by bytes, or out of memory. */
bool outq_push(struct outq *q, struct outq_msg *m);
/* The oldest message, or NULL when empty; still queued. */
struct outq_msg *outq_peek(const struct outq *q);
/* Drops the oldest message. */
void outq_pop(struct outq *q);
/* Drops everything and frees the ring. */
void outq_clear(struct outq *q);

#endif
