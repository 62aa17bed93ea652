/*
 * relay_users.h — the users who have sockets on this relay, and presence.
 *
 * An index from user id to that user's open sockets, so that delivering
 * an event costs its participants (plus the staff sockets for
 * "audience":"staff"), not every socket of the relay. When a user's first
 * socket here opens, and when their last one here closes, the relay
 * publishes a presence event for the staff:
 *   {"type":"presence","userId":…,"name":…,"online":true|false,
 *    "audience":"staff","participants":[]}
 * Presence is per relay: a user with sockets on two relays is announced
 * offline when the last one on either closes (docs/relay.md).
 */
#ifndef CWC_RELAY_USERS_H
#define CWC_RELAY_USERS_H

#include <libwebsockets.h>

struct session;

struct relay_user {
	char id[25];
	lws_dll2_owner_t sessions;     /* struct session.user_node */
	lws_dll2_t check_node;         /* relay_revoke.c: sessions to check */
	struct relay_user *next;       /* hash chain */
};

/* Registers the authenticated, now open socket `s` under its user (and
 * in relay.staff for staff); publishes "online" for a user's first. */
void relay_users_add(struct session *s);

/* Forgets `s`; publishes "offline" when it was its user's last socket,
 * unless the relay is stopping. Safe on a socket never added. */
void relay_users_remove(struct session *s);

/* The user `id` when they have sockets here, else NULL. */
struct relay_user *relay_users_find(const char *id);

/* How many distinct users have sockets here. */
unsigned relay_users_count(void);

#endif
