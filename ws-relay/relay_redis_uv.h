/*
 * relay_redis_uv.h — hiredis 0.14 async contexts on a libuv loop.
 *
 * Our own small adapter instead of <hiredis/adapters/libuv.h>: that one
 * ignores a poll error, and libuv reports a refused or reset connection
 * as exactly that (status < 0, watcher stopped), so a connect to a Redis
 * that is down would never complete nor fail. Here an error still runs
 * hiredis' read/write handlers, which see the socket error and disconnect.
 */
#ifndef CWC_RELAY_REDIS_UV_H
#define CWC_RELAY_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Attaches `ac` to `loop`. REDIS_OK, or REDIS_ERR (already attached, out of
 * memory, bad fd). The watcher is freed through hiredis' cleanup hook when
 * the context is freed. */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
