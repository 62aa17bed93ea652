/*
 * relay_redis_uv.c — hiredis async on libuv, poll errors included.
 * See relay_redis_uv.h.
 */
#include "relay_redis_uv.h"

#include <stdbool.h>
#include <stdlib.h>

struct redis_uv {
	redisAsyncContext *ac;   /* NULL once hiredis cleaned up */
	uv_poll_t poll;
	int events;              /* UV_READABLE | UV_WRITABLE hiredis wants */
	bool closing;
};

static void redis_uv_on_poll(uv_poll_t *handle, int status, int events)
{
	struct redis_uv *w = handle->data;

	/* On an error libuv stops the watcher and says nothing of what is
	 * ready: run whatever hiredis waits for, it reads the error itself. */
	if (status < 0)
		events = w->events;
	if (w->ac && (events & UV_READABLE))
		redisAsyncHandleRead(w->ac);
	if (w->ac && (events & UV_WRITABLE))
		redisAsyncHandleWrite(w->ac);
	if (status < 0 && w->ac && w->events)
		uv_poll_start(&w->poll, w->events, redis_uv_on_poll);
}

static void redis_uv_update(struct redis_uv *w, int add, int del)
{
	w->events = (w->events | add) & ~del;
	if (w->closing)
		return;
	if (w->events)
		uv_poll_start(&w->poll, w->events, redis_uv_on_poll);
	else
		uv_poll_stop(&w->poll);
}

static void redis_uv_add_read(void *data)
{
	redis_uv_update(data, UV_READABLE, 0);
}

static void redis_uv_del_read(void *data)
{
	redis_uv_update(data, 0, UV_READABLE);
}

static void redis_uv_add_write(void *data)
{
	redis_uv_update(data, UV_WRITABLE, 0);
}

static void redis_uv_del_write(void *data)
{
	redis_uv_update(data, 0, UV_WRITABLE);
}

static void redis_uv_on_close(uv_handle_t *handle)
{
	free(handle->data);
}

static void redis_uv_cleanup(void *data)
{
	struct redis_uv *w = data;

	if (!w || w->closing)
		return;
	w->ac = NULL;
	w->closing = true;
	uv_close((uv_handle_t *)&w->poll, redis_uv_on_close);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
	struct redis_uv *w;

	if (ac->ev.data)
		return REDIS_ERR;
	w = calloc(1, sizeof *w);
	if (!w)
		return REDIS_ERR;
	if (uv_poll_init(loop, &w->poll, ac->c.fd) != 0) {
		free(w);
		return REDIS_ERR;
	}
	w->ac = ac;
	w->poll.data = w;
	ac->ev.data = w;
	ac->ev.addRead = redis_uv_add_read;
	ac->ev.delRead = redis_uv_del_read;
	ac->ev.addWrite = redis_uv_add_write;
	ac->ev.delWrite = redis_uv_del_write;
	ac->ev.cleanup = redis_uv_cleanup;
	return REDIS_OK;
}
