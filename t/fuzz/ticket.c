/*
 * ticket.c — fuzz target: the relay's ticket check (ticket_verify(),
 * common/chat/ticket.c), which reads ?ticket= of any WebSocket upgrade.
 *
 * The first byte chooses what the rest is:
 *   0  a ticket as a client sends it: never accepted (nobody here can
 *      forge the MAC), whatever its shape;
 *   1  a payload, signed here with the secret as ticket_issue() would:
 *      this reaches the parsing behind the MAC; accepted only when the
 *      payload reads "<24 hex>.<role>.<expiry>.<session ref>";
 *   2  a user id, role and expiry for ticket_issue(): a ticket issued
 *      now verifies, to the same user, role and session, until it
 *      expires, and only with its secret.
 */
#include "fuzz.h"
#include "chat/ticket.h"
#include "core/crypto.h"

#define SECRET "fuzz-jwt-secret-0123456789abcdef"
#define NOW 1767225600LL
#define SESSION_TOKEN "5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55"

static void signed_payload(const uint8_t *data, size_t size)
{
	char p64[4 * (512 / 3) + 8], mac64[48], ticket[sizeof p64 + sizeof mac64 + 1];
	char user[25], ref[TICKET_REF_LEN + 1];
	uint8_t mac[32];
	int role = -1;
	bool ok;

	if (size > 512)
		return;
	crypto_base64url(data, size, p64);
	crypto_hmac_sha256(SECRET, strlen(SECRET), p64, strlen(p64), mac);
	crypto_base64url(mac, sizeof mac, mac64);
	snprintf(ticket, sizeof ticket, "%s.%s", p64, mac64);
	ok = ticket_verify(SECRET, ticket, NOW, user, &role, ref);
	if (ok) {
		char payload[160];
		fuzz_check(strlen(user) == 24 && strspn(user, "0123456789abcdef") == 24,
			   "a ticket for the user %.40s", user);
		fuzz_check(size < sizeof payload, "a %zu-byte payload accepted", size);
		memcpy(payload, data, size);
		payload[size] = '\0';
		fuzz_check(strncmp(payload, user, 24) == 0 && payload[24] == '.',
			   "the user id is not the payload's: %.80s", payload);
		fuzz_check(strlen(ref) == TICKET_REF_LEN &&
			   strcmp(payload + size - TICKET_REF_LEN, ref) == 0,
			   "the session ref is not the payload's end: %.160s", payload);
	}
}

static void issue_verify(const uint8_t *data, size_t size)
{
	char user[25], got[25], ticket[TICKET_MAX];
	char ref[TICKET_REF_LEN + 1], got_ref[TICKET_REF_LEN + 1];
	int64_t expires;
	int role, got_role = -1;

	if (size < 24 + 4 + 8)
		return;
	for (int i = 0; i < 24; i++)
		user[i] = "0123456789abcdef"[data[i] & 15];
	user[24] = '\0';
	memcpy(&role, data + 24, 4);
	memcpy(&expires, data + 28, 8);
	fuzz_check(ticket_issue(SECRET, user, role, SESSION_TOKEN, expires, ticket,
				sizeof ticket),
		   "no ticket issued for %s role %d until %lld", user, role, (long long)expires);
	ticket_session_ref(SESSION_TOKEN, ref);
	if (ticket_verify(SECRET, ticket, NOW, got, &got_role, got_ref)) {
		fuzz_check(expires >= NOW, "a ticket expired at %lld verifies", (long long)expires);
		fuzz_check(strcmp(got, user) == 0 && got_role == role &&
			   strcmp(got_ref, ref) == 0,
			   "a ticket verifies to %s role %d session %s", got, got_role, got_ref);
	} else {
		fuzz_check(expires < NOW, "a ticket until %lld does not verify", (long long)expires);
	}
	fuzz_check(!ticket_verify("another-secret", ticket, NOW, got, &got_role, got_ref),
		   "a ticket verifies with another secret");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz", "error");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		char *t = strndup((const char *)data + 1, size - 1), user[25];
		char ref[TICKET_REF_LEN + 1];
		int role;
		fuzz_check(!ticket_verify(SECRET, t, NOW, user, &role, ref),
			   "a ticket from outside verifies: %.200s", t);
		free(t);
		break;
	}
	case 1:
		signed_payload(data + 1, size - 1);
		break;
	default:
		issue_verify(data + 1, size - 1);
	}
	return 0;
}
