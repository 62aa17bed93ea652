/*
 * relay_users.c — per-user index of sockets, and presence. See
 * relay_users.h.
 *
 * A fixed table of USERS_BUCKETS chains keyed by the user id's FNV-1a
 * hash: ids are ObjectIds (their low bytes are a counter and random), so
 * chains stay short for any number of users a relay can hold.
 */
#include "account/role.h"
#include "relay_users.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "relay.h"
#include "relay_redis.h"
#include "relay_session.h"

#define USERS_BUCKETS 8192

static struct relay_user *buckets[USERS_BUCKETS];
static unsigned users;

static struct relay_user **bucket_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return &buckets[h % USERS_BUCKETS];
}

struct relay_user *relay_users_find(const char *id)
{
	for (struct relay_user *u = *bucket_of(id); u; u = u->next)
		if (strcmp(u->id, id) == 0)
			return u;
	return NULL;
}

unsigned relay_users_count(void)
{
	return users;
}

static void publish_presence(const struct session *s, bool online)
{
	json_object *o = json_object_new_object();
	const char *text;

	json_object_object_add(o, "type", json_object_new_string("presence"));
	json_object_object_add(o, "userId", json_object_new_string(s->user_id));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "online", json_object_new_boolean(online));
	json_object_object_add(o, "audience", json_object_new_string("staff"));
	json_object_object_add(o, "participants", json_object_new_array());
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!relay_redis_publish(text, strlen(text)))
		log_debug("presence of %s not published: redis unavailable",
			  s->user_id);
	json_object_put(o);
}

void relay_users_add(struct session *s)
{
	struct relay_user **b, *u;

	if (!s->user_id[0] || s->user)
		return;
	u = relay_users_find(s->user_id);
	if (!u) {
		u = calloc(1, sizeof *u);
		if (!u) {
			log_error("out of memory: socket %lu not indexed", s->id);
			return;
		}
		memcpy(u->id, s->user_id, sizeof u->id);
		b = bucket_of(u->id);
		u->next = *b;
		*b = u;
		users++;
	}
	s->user = u;
	lws_dll2_add_tail(&s->user_node, &u->sessions);
	if (s->role == SESSION_ROLE_STAFF)
		lws_dll2_add_tail(&s->staff_node, &relay.staff);
	if (u->sessions.count == 1)
		publish_presence(s, true);
}

void relay_users_remove(struct session *s)
{
	struct relay_user *u = s->user, **p;

	if (!u)
		return;
	lws_dll2_remove(&s->user_node);
	if (!lws_dll2_is_detached(&s->staff_node))
		lws_dll2_remove(&s->staff_node);
	s->user = NULL;
	if (u->sessions.count)
		return;
	if (!relay.shutting_down)
		publish_presence(s, false);
	lws_dll2_remove(&u->check_node);   /* no longer worth checking */
	for (p = bucket_of(u->id); *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	users--;
	free(u);
}
