/*
 * relay_store.c — the store behind a pause after failures. See
 * relay_store.h.
 */
#include "relay_store.h"

#include <uv.h>

#include "core/log.h"
#include "conn/conn.h"

static uint64_t paused_until;   /* uv_hrtime() in ms; 0: not paused */

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

static void pause_store(const char *what, const char *why)
{
	if (!paused_until)
		log_warn("store unavailable (%s: %s); not asked again for %d ms",
			 what, why, RELAY_STORE_PAUSE_MS);
	paused_until = now_ms() + RELAY_STORE_PAUSE_MS;
}

store_t *relay_store_begin(uint64_t *started)
{
	store_error_t err = { 0 };
	store_t *st;

	*started = now_ms();
	if (paused_until && *started < paused_until)
		return NULL;
	st = conn_store(&err);
	if (!st)
		pause_store("open", err.message);
	return st;
}

void relay_store_done(uint64_t started, const char *what,
		      const store_error_t *err)
{
	uint64_t took = now_ms() - started;

	if (took > RELAY_STORE_SLOW_MS)
		log_warn("store: %s held the event loop %llu ms", what,
			 (unsigned long long)took);
	if (err && err->code == STORE_ERR_UNAVAILABLE) {
		pause_store(what, err->message);
		return;
	}
	if (err && err->code)
		log_error("store: %s: %s", what, err->message);
	else if (paused_until) {
		log_info("store available again");
		paused_until = 0;
	}
}
