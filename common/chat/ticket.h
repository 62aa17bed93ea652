/*
 * ticket.h — short-lived signed tickets for the relay's WebSocket upgrade
 * (SPEC §6: GET /api/messages/ticket, then /ws?ticket=…).
 *
 * A ticket is "<payload>.<mac>", both base64url: the payload is
 * "<user id hex>.<role>.<expiry unix seconds>.<session ref>", the mac
 * HMAC-SHA256 of the payload with JWT_SECRET. Verification is
 * constant-time and checks the expiry; nothing is stored.
 *
 * The session ref binds a ticket to the session that asked for it, so
 * that the ticket dies with the session: it is ticket_session_ref() of
 * that session's sessionToken, which the relay recomputes from the
 * user's live sessions at the upgrade. It is a hash of the sessionToken
 * (itself a hash of the cookie), so a ticket seen in a URL or a log gives
 * away neither the cookie nor the store's key.
 */
#ifndef CWC_TICKET_H
#define CWC_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TICKET_MAX 200
#define TICKET_TTL_S 60
#define TICKET_REF_LEN 32   /* hex digits of a session ref */

/* The session ref of the session whose sessionToken is `session_token`
 * (64 hex digits): TICKET_REF_LEN hex digits and a NUL into `ref`. */
void ticket_session_ref(const char *session_token, char ref[TICKET_REF_LEN + 1]);

/* Writes a ticket for `user_id_hex` (24 hex digits) and `role`, issued by
 * the session whose sessionToken is `session_token`, valid until
 * `expires` (unix seconds), into `out` (≥ TICKET_MAX bytes). False when
 * an argument is malformed or `out` too small. */
bool ticket_issue(const char *secret, const char *user_id_hex, int role,
		  const char *session_token, int64_t expires, char *out,
		  size_t outlen);

/* Verifies `ticket` at time `now`; on success fills `user_id_hex` (25
 * bytes), `role` and `session_ref` (the issuing session's ref). False for
 * a forged, malformed or expired ticket. */
bool ticket_verify(const char *secret, const char *ticket, int64_t now,
		   char user_id_hex[25], int *role,
		   char session_ref[TICKET_REF_LEN + 1]);

#endif
