/*
 * relay_store.h — the store, from the relay's event loop.
 *
 * The relay reads the store synchronously, on its one thread, in four
 * places only: authenticating an upgrade (session, user, role: three
 * indexed lookups; a ticket: user, role, the user's sessions), a `typing`
 * frame (the conversation, by _id), a `resume` frame (one message by _id,
 * the customer's conversations, then at most RELAY_RESUME_MAX messages
 * through the (conversation, createdAt) index), and checking a user's
 * sockets' sessions after a revoke event or a resubscription
 * (relay_revoke.c, one indexed query per user). On the embedded store each is a local read in WAL mode, which
 * never waits for writers; on MongoDB a round trip. That is acceptable
 * because those frames are rare next to deliveries (which never touch the
 * store) and rate-limited per socket.
 *
 * What is not acceptable is a store that is down stalling every socket
 * (libmongoc waits up to its server-selection timeout, 2 s, per call): so
 * after a call fails with STORE_ERR_UNAVAILABLE, the store is not tried
 * again for RELAY_STORE_PAUSE_MS and callers answer "unavailable" at once.
 * A call that holds the loop longer than RELAY_STORE_SLOW_MS is logged.
 */
#ifndef CWC_RELAY_STORE_H
#define CWC_RELAY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define RELAY_STORE_PAUSE_MS 5000
#define RELAY_STORE_SLOW_MS  100

/* The process's store (common/conn/conn.h), or NULL while it is unavailable or
 * paused after a failure. `started` receives a start time for
 * relay_store_done(). */
store_t *relay_store_begin(uint64_t *started);

/* Ends a use started by relay_store_begin(): `err` (may be NULL when the
 * calls succeeded) pauses the store when it says unavailable, and logs
 * the failure; `what` names the operation in the log. */
void relay_store_done(uint64_t started, const char *what,
		      const store_error_t *err);

#endif
