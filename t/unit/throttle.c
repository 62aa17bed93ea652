/*
 * The throttle's fallback while Redis is unreachable (REDIS_URL points at a
 * closed port): the same limits counted in the process's own table, the
 * window, clearing, and a flood of other keys that must not evict the
 * counter of an account being guessed.
 */
#include "core/config.h"
#include "web/throttle.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char err[512] = "", key[64];
	long retry = 0;
	bool all = true;

	setenv("CWC_ENV_FILE", "/dev/null", 1);
	setenv("CWC_DATA_DIR", "/tmp", 1);
	setenv("REDIS_URL", "redis://127.0.0.1:1/0", 1);
	setenv("LOG_LEVEL", "error", 1);
	setenv("CWC_THROTTLE_LOGIN", "3/60", 1);
	setenv("CWC_THROTTLE_FORGOT", "2/60", 1);
	setenv("CWC_THROTTLE_RESEND", "1/1", 1);
	unsetenv("CWC_ENV");
	unsetenv("NODE_ENV");
	unsetenv("MONGODB_URI");
	ok(cfg_load(err, sizeof err), "configuration (%s)", err);

	/* check + hit (logins) */
	ok(throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "ana@example.com", &retry),
	   "no failure yet: allowed");
	for (int i = 0; i < 3; i++)
		throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "ana@example.com");
	retry = 0;
	ok(!throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "ana@example.com", &retry),
	   "3 failures with Redis down: refused");
	ok(retry >= 1 && retry <= 60, "Retry-After within the window (%ld)", retry);
	ok(throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "bob@example.com", &retry),
	   "another account: allowed");
	ok(throttle_check(THROTTLE_LOGIN, THROTTLE_IP, "ana@example.com", &retry),
	   "the same text in another scope: allowed");
	throttle_clear(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "ana@example.com");
	ok(throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "ana@example.com", &retry),
	   "cleared (a successful login): allowed again");

	/* take (forgot password) */
	ok(throttle_take(THROTTLE_FORGOT, THROTTLE_IP, "203.0.113.7", &retry) &&
	   throttle_take(THROTTLE_FORGOT, THROTTLE_IP, "203.0.113.7", &retry),
	   "two requests: allowed");
	ok(!throttle_take(THROTTLE_FORGOT, THROTTLE_IP, "203.0.113.7", &retry),
	   "the third: refused");

	/* the window ends (1 s; whole seconds, so up to 2 s) */
	ok(throttle_take(THROTTLE_RESEND, THROTTLE_IP, "203.0.113.8", &retry), "resend: allowed");
	ok(!throttle_take(THROTTLE_RESEND, THROTTLE_IP, "203.0.113.8", &retry), "then refused");
	sleep(2);
	ok(throttle_take(THROTTLE_RESEND, THROTTLE_IP, "203.0.113.8", &retry),
	   "allowed again once the window has passed");

	/* a flood of one-off keys (8 times the table) does not free the
	 * guessed account */
	for (int i = 0; i < 3; i++)
		throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "victim@example.com");
	for (int i = 0; i < 8 * THROTTLE_LOCAL_SLOTS; i++) {
		snprintf(key, sizeof key, "flood-%d@example.com", i);
		throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, key);
	}
	ok(!throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "victim@example.com", &retry),
	   "after %d other keys the guessed account is still refused", 8 * THROTTLE_LOCAL_SLOTS);
	/* and the table still counts new keys */
	for (int i = 0; i < 3; i++)
		throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "late@example.com");
	ok(!throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, "late@example.com", &retry),
	   "a key counted after the flood is refused at its limit");
	for (int i = 0; i < 200 && all; i++) {
		snprintf(key, sizeof key, "fresh-%d@example.com", i);
		throttle_hit(THROTTLE_LOGIN, THROTTLE_ACCOUNT, key);
		all = throttle_check(THROTTLE_LOGIN, THROTTLE_ACCOUNT, key, &retry);
	}
	ok(all, "keys with one failure are still allowed");
	return tap_done();
}
