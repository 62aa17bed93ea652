/*
 * relay_outq.c — shared outgoing messages and bounded per-socket queues.
 * See relay_outq.h.
 */
#include "relay_outq.h"

#include <stdlib.h>
#include <string.h>

struct outq_msg *outq_msg_new(const void *payload, size_t len)
{
	struct outq_msg *m = malloc(sizeof *m + LWS_PRE + len + 1);

	if (!m)
		return NULL;
	m->refs = 1;
	m->len = len;
	memcpy(OUTQ_PAYLOAD(m), payload, len);
	OUTQ_PAYLOAD(m)[len] = '\0';
	return m;
}

struct outq_msg *outq_msg_ref(struct outq_msg *m)
{
	m->refs++;
	return m;
}

void outq_msg_unref(struct outq_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

bool outq_push(struct outq *q, struct outq_msg *m)
{
	if (q->count == RELAY_OUTQ_MAX_MSGS ||
	    q->bytes + m->len > RELAY_OUTQ_MAX_BYTES)
		return false;
	if (!q->ring && !(q->ring = calloc(RELAY_OUTQ_MAX_MSGS, sizeof *q->ring)))
		return false;
	q->ring[(q->head + q->count) % RELAY_OUTQ_MAX_MSGS] = outq_msg_ref(m);
	q->count++;
	q->bytes += m->len;
	return true;
}

struct outq_msg *outq_peek(const struct outq *q)
{
	return q->count ? q->ring[q->head] : NULL;
}

void outq_pop(struct outq *q)
{
	struct outq_msg *m;

	if (!q->count)
		return;
	m = q->ring[q->head];
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % RELAY_OUTQ_MAX_MSGS;
	q->count--;
	q->bytes -= m->len;
	outq_msg_unref(m);
}

void outq_clear(struct outq *q)
{
	while (q->count)
		outq_pop(q);
	q->head = 0;
	free(q->ring);
	q->ring = NULL;
}
