/*
 * ticket.h — short-lived signed tickets for the relay's WebSocket upgrade
 * (SPEC §6: GET /api/messages/ticket, then /ws?ticket=…).
 *
 * A ticket is "<payload>.<mac>", both base64url: the payload is
 * "<user id hex>.<role>.<expiry unix seconds>", the mac HMAC-SHA256 of the
 * payload with JWT_SECRET. Verification is constant-time and checks the
 * expiry; nothing is stored.
 */
#ifndef CWC_TICKET_H
#define CWC_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TICKET_MAX 160
#define TICKET_TTL_S 60

/* Writes a ticket for `user_id_hex` (24 hex digits) and `role`, valid
 * until `expires` (unix seconds), into `out` (≥ TICKET_MAX bytes). */
bool ticket_issue(const char *secret, const char *user_id_hex, int role,
		  int64_t expires, char *out, size_t outlen);

/* Verifies `ticket` at time `now`; on success fills `user_id_hex` (25
 * bytes) and `role`. False for a forged, malformed or expired ticket. */
bool ticket_verify(const char *secret, const char *ticket, int64_t now,
		   char user_id_hex[25], int *role);

#endif
