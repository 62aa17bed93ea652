/*
 * customer_pick.c — the customer chooser of the staff's booking form
 * (templates/customer-pick.html, in booking-new.html): the staff search
 * an account by name, e-mail or phone and pick it among radio choices,
 * or book for a walk-in ("Client de passage"). The form carries the
 * chosen account's id as `customer`, as POST /api/booking/reservations.
 *
 * Without a script, "Chercher" posts the form (find=1) and the page comes
 * back with every typed value and the matches; public/customer-pick.js
 * asks GET /api/users?q= as one types and draws the same choices. Both
 * read the customers' list search (admin_customers_search, customers.c).
 */
#include "admin.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/text.h"

#include <string.h>

#define PICK_MAX 10

/* The French of a refused `customer`, said next to the choices. */
const char *const admin_customer_pick_refused =
	"Ce compte client n’existe pas (ou plus) : cherchez le client ci-dessus, "
	"ou choisissez « Client de passage ».";

static const char *member_str(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	       ? json_object_get_string(v) : NULL;
}

/* A choice {id, name, email, phone, checked} of a user of
 * admin_user_json() or of a stored account. New object. */
static json_object *choice(const char *id, const char *given, const char *username, const char *email,
			   const char *phone, bool checked)
{
	json_object *o = json_object_new_object();
	const char *name = given && *given ? given : username && *username ? username : email;

	admin_set_str(o, "id", id);
	admin_set_str(o, "name", name);
	admin_set_str(o, "email", email);
	admin_set_str(o, "phone", phone);
	json_object_object_add(o, "checked", json_object_new_boolean(checked));
	return o;
}

int admin_customer_pick(store_t *st, json_object *data, json_object *errors, const char *chosen,
			const char *query, bool search)
{
	json_object *pick = json_object_new_object(), *choices = json_object_new_array();
	bson_oid_t id;
	bson_t user;
	struct err e = { 0 };
	char hex[25] = "", status[1024] = "";
	bool have = false;
	int refused = 0;

	if (chosen && *chosen) {
		if (admin_booking_customer(st, chosen, &user, &id, &e)) {
			bson_oid_to_string(&id, hex);
			json_object_array_add(choices, choice(hex, doc_str(&user, "givenName"), doc_str(&user, "username"),
							      doc_str(&user, "email"), doc_str(&user, "phone"), true));
			bson_destroy(&user);
			have = true;
		} else {
			refused = e.status == 422 ? 422 : 503;
			if (!json_object_object_get_ex(errors, "customer", NULL))
				json_object_object_add(errors, "customer", json_object_new_string(
					refused == 422 ? admin_customer_pick_refused
						       : "Les comptes clients ne peuvent pas être lus : réessayez."));
		}
	}
	if (search && query && !text_blank(query)) {
		json_object *users = NULL;
		int64_t total = 0;
		store_error_t se = { 0 };
		if (admin_customers_search(st, query, PICK_MAX, &users, &total, &se)) {
			for (size_t i = 0; i < json_object_array_length(users); i++) {
				json_object *u = json_object_array_get_idx(users, i);
				const char *uid = member_str(u, "id");
				if (!uid || (have && strcmp(uid, hex) == 0))
					continue;   /* the chosen one is listed first */
				json_object_array_add(choices, choice(uid, member_str(u, "givenName"),
								      member_str(u, "username"), member_str(u, "email"),
								      member_str(u, "phone"), false));
			}
			json_object_put(users);
			if (total == 0) {
				if (!buf_fmt(status, sizeof status, "Aucun compte client ne correspond à « %s ».", query))
					(void)buf_fmt(status, sizeof status, "Aucun compte client ne correspond.");
			} else if (total == 1)
				(void)buf_fmt(status, sizeof status, "1 compte client trouvé.");
			else if (total <= PICK_MAX)
				(void)buf_fmt(status, sizeof status, "%lld comptes clients trouvés.", (long long)total);
			else
				(void)buf_fmt(status, sizeof status,
					      "%lld comptes clients trouvés : les %d premiers sont affichés, précisez la recherche.",
					      (long long)total, PICK_MAX);
		} else {
			log_error("customer pick: search: %s", se.message);
			(void)buf_fmt(status, sizeof status, "La recherche n’a pas abouti : réessayez.");
		}
	} else if (search) {
		(void)buf_fmt(status, sizeof status, "Saisissez un nom, un e-mail ou un téléphone.");
	}
	json_object_object_add(pick, "choices", choices);
	json_object_object_add(pick, "walkIn", json_object_new_boolean(!have && !(chosen && *chosen)));
	admin_set_str(pick, "status", status);
	json_object_object_add(data, "pick", pick);
	return refused;
}
