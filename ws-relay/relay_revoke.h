/*
 * relay_revoke.h — a socket lives no longer than its session.
 *
 * Every socket is bound to the session it was opened with: the cookie's,
 * or the one that issued its ticket (relay_auth.h). When sessions end —
 * logout, a password change or reset, an account deletion — the app
 * publishes {"type":"revoke","userId":…} (common/account/session.c); every
 * relay then asks the store which of that user's sockets' sessions are
 * still live (one indexed query, bounded by the user's sockets here) and
 * closes the others with RELAY_CLOSE_SESSION_ENDED (4001). The event says
 * "check this user", not which session: the store is the truth, so no
 * order of events can close a socket whose session lives or spare one
 * whose session is gone.
 *
 * A relay that was not subscribed when an event was published (Redis
 * cut) checks every socket when its subscription is back, before it
 * sends `resync` (relay_revoke_check_all): REVOKE_BATCH users at a time,
 * one batch per turn of the loop, so that thousands of sockets never
 * hold it in one go.
 *
 * When the store cannot be read: after a revoke event, the user's sockets
 * here are closed with 1013 (reconnect: a live session gets a new socket,
 * an ended one is refused) rather than left open; the checks after a
 * resync are retried every second until the store answers.
 */
#ifndef CWC_RELAY_REVOKE_H
#define CWC_RELAY_REVOKE_H

#include <uv.h>

/* Prepares the batch timer on `loop`; relay_revoke_close() closes it. */
void relay_revoke_init(uv_loop_t *loop);
void relay_revoke_close(void);

/* A revoke event for `user_id`: checks that user's sockets here now. */
void relay_revoke_user(const char *user_id);

/* Checks the session of every open socket (after a Redis outage). */
void relay_revoke_check_all(void);

#endif
