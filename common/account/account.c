/*
 * account.c — user documents and the operations on them. See account.h.
 *
 * Store usage: `users` (email unique), `roles` (slug unique),
 * `passwordresettokens` (token unique), and `sessions` through session.h.
 * Single-use tokens are consumed with one find_one_and_update whose filter
 * holds every condition (token, unused, unexpired), so two requests
 * racing with the same token cannot both succeed.
 */
#include "account/account.h"
#include "core/buf.h"
#include "core/doc.h"
#include "account/session.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "mail/mail.h"
#include "account/role.h"
#include "content/newsletter.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the body ------------------------------------------------------ */



/* ---- fields -------------------------------------------------------- */

bool account_read_string(json_object *body, const char *key, bool required,
			 size_t max_bytes, const char **out, size_t *len,
			 struct err *err)
{
	json_object *v = NULL;

	*out = NULL;
	*len = 0;
	if (!body || !json_object_object_get_ex(body, key, &v) || !v) {
		if (required)
			return err_set(err, 400, "invalid_request", key,
					    "%s is required.", key);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(err, 400, "invalid_request", key,
				    "%s must be a string.", key);
	if ((size_t)json_object_get_string_len(v) > max_bytes)
		return err_set(err, 422, "validation_failed", key,
				    "%s is too long (at most %zu bytes).", key, max_bytes);
	*out = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *len)
{
	while (*len && is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_space((*s)[*len - 1]))
		(*len)--;
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* A trimmed text field of at most `max_chars` characters into `out`. */
static bool read_text(json_object *body, const char *key, unsigned bit,
		      unsigned required, size_t max_chars, char *out,
		      size_t outlen, struct account_input *in,
		      struct err *err)
{
	json_object *v = NULL;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(body, key, &v)) {
		if (required & bit)
			return err_set(err, 400, "invalid_request", key,
					    "%s is required.", key);
		return true;
	}
	in->present |= bit;
	out[0] = '\0';
	if (!v) {
		if (required & bit)
			return err_set(err, 400, "invalid_request", key,
					    "%s is required.", key);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(err, 400, "invalid_request", key,
				    "%s must be a string.", key);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	trim(&s, &len);
	if (buf_utf8_chars(s, len) > max_chars || len >= outlen)
		return err_set(err, 422, "validation_failed", key,
				    "%s is too long (at most %zu characters).", key, max_chars);
	if (has_control(s, len))
		return err_set(err, 422, "validation_failed", key,
				    "%s must not contain control characters.", key);
	if (len == 0 && (required & bit))
		return err_set(err, 422, "validation_failed", key,
				    "%s must not be empty.", key);
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* Empty, or digits and separators with at least 4 digits. */
static bool phone_ok(const char *s)
{
	int digits = 0;
	bool empty = !*s;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (!strchr(" +-.()/", *s))
			return false;
	}
	return empty || digits >= 4;
}

bool account_email_normalise(const char *in, size_t len, char *out, size_t outlen)
{
	const char *at = NULL, *tld;
	size_t n, local;

	trim(&in, &len);
	if (len == 0 || len > ACCOUNT_EMAIL_MAX || len >= outlen)
		return false;
	for (n = 0; n < len; n++) {
		unsigned char c = (unsigned char)in[n];
		if (c <= 0x20 || c >= 0x7f)
			return false;
		out[n] = (char)tolower(c);
		if (c == '@') {
			if (at)
				return false;
			at = out + n;
		}
	}
	out[n] = '\0';
	if (!at)
		return false;
	local = (size_t)(at - out);
	if (local == 0 || local > 64 || out[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = out; p < at; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+/=?^_`{|}~.-", *p))
			return false;
		if (*p == '.' && p[1] == '.')
			return false;
	}
	/* domain: labels of [a-z0-9-], not starting or ending with '-', at
	 * least two of them; the last not numeric. */
	const char *d = at + 1, *label = d;
	int labels = 0;
	if (!*d)
		return false;
	for (const char *p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t l = (size_t)(p - label);
			if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-')
				return false;
			labels++;
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
	}
	tld = strrchr(d, '.');
	if (labels < 2 || !tld || strlen(tld + 1) < 2)
		return false;
	bool numeric = true;
	for (const char *p = tld + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			numeric = false;
	/* .invalid never receives mail, and deleted accounts live there */
	return !numeric && strcmp(tld, ".invalid") != 0;
}

bool account_check_password(const char *pw, size_t len, const char *field,
			    struct err *err)
{
	if (len > PASSWORD_MAX_BYTES)
		return err_set(err, 422, "validation_failed", field,
				    "%s is too long (at most %d bytes).", field,
				    PASSWORD_MAX_BYTES);
	if (memchr(pw, '\0', len))
		return err_set(err, 422, "validation_failed", field,
				    "%s must not contain NUL characters.", field);
	if (buf_utf8_chars(pw, len) < ACCOUNT_PASSWORD_MIN)
		return err_set(err, 422, "validation_failed", field,
				    "%s must be at least %d characters long.", field,
				    ACCOUNT_PASSWORD_MIN);
	return true;
}

bool account_read_input(json_object *body, unsigned wanted, unsigned required,
			struct account_input *in, struct err *err)
{
	const char *s;
	size_t len;

	memset(in, 0, sizeof *in);
	required &= wanted;
	if (wanted & AF_EMAIL) {
		if (!account_read_string(body, "email", required & AF_EMAIL,
					 ACCOUNT_EMAIL_MAX + 64, &s, &len, err))
			return false;
		if (s) {
			in->present |= AF_EMAIL;
			if (!account_email_normalise(s, len, in->email, sizeof in->email))
				return err_set(err, 422, "validation_failed", "email",
						    "email is not a valid email address.");
		}
	}
	if (wanted & AF_PASSWORD) {
		if (!account_read_string(body, "password", required & AF_PASSWORD,
					 PASSWORD_MAX_BYTES, &s, &len, err))
			return false;
		if (s) {
			if (!account_check_password(s, len, "password", err))
				return false;
			in->present |= AF_PASSWORD;
			memcpy(in->password, s, len);
			in->password[len] = '\0';
			in->password_len = len;
		}
	}
	if ((wanted & AF_USERNAME) &&
	    !read_text(body, "username", AF_USERNAME, required, ACCOUNT_USERNAME_MAX,
		       in->username, sizeof in->username, in, err))
		return false;
	if ((wanted & AF_GIVEN_NAME) &&
	    !read_text(body, "givenName", AF_GIVEN_NAME, required, ACCOUNT_GIVEN_NAME_MAX,
		       in->given_name, sizeof in->given_name, in, err))
		return false;
	if (wanted & AF_PHONE) {
		if (!read_text(body, "phone", AF_PHONE, required, ACCOUNT_PHONE_MAX,
			       in->phone, sizeof in->phone, in, err))
			return false;
		if (!phone_ok(in->phone))
			return err_set(err, 422, "validation_failed", "phone",
					    "phone may hold digits, spaces and + - . ( ) / only.");
	}
	if ((wanted & AF_COMPANY) &&
	    !read_text(body, "companyName", AF_COMPANY, required, ACCOUNT_COMPANY_MAX,
		       in->company_name, sizeof in->company_name, in, err))
		return false;
	if (wanted & AF_NEWSLETTER) {
		json_object *v = NULL;
		if (json_object_object_get_ex(body, "newsletter", &v)) {
			in->present |= AF_NEWSLETTER;
			if (v && !json_object_is_type(v, json_type_boolean))
				return err_set(err, 400, "invalid_request", "newsletter",
						    "newsletter must be true or false.");
			in->newsletter = v && json_object_get_boolean(v);
		} else if (required & AF_NEWSLETTER) {
			return err_set(err, 400, "invalid_request", "newsletter",
					    "newsletter is required.");
		}
	}
	return true;
}

void account_input_clear(struct account_input *in)
{
	explicit_bzero(in->password, sizeof in->password);
	in->password_len = 0;
}

/* ---- roles --------------------------------------------------------- */

static const struct {
	const char *slug, *name;
	int level, role;
} system_roles[] = {
	{ "dev", "Développeur", 100, ROLE_DEV },
	{ "admin", "Administrateur", 80, ROLE_ADMIN },
	{ "staff", "Équipe", 50, ROLE_STAFF },
	{ "client", "Client", 10, ROLE_CLIENT },
};

int account_role_from_slug(const char *slug)
{
	for (size_t i = 0; slug && i < sizeof system_roles / sizeof *system_roles; i++)
		if (strcmp(slug, system_roles[i].slug) == 0)
			return system_roles[i].role;
	return ROLE_PUBLIC;
}

const char *account_role_slug(int role)
{
	for (size_t i = 0; i < sizeof system_roles / sizeof *system_roles; i++)
		if (system_roles[i].role == role)
			return system_roles[i].slug;
	return NULL;
}

bool account_ensure_roles(store_t *st, int64_t now, store_error_t *err)
{
	for (size_t i = 0; i < sizeof system_roles / sizeof *system_roles; i++) {
		bson_t *filter = BCON_NEW("slug", BCON_UTF8(system_roles[i].slug));
		bson_t found_doc = BSON_INITIALIZER;
		bool found = false, ok;

		ok = store_find_one(st, "roles", filter, NULL, &found_doc, &found, err);
		bson_destroy(&found_doc);
		if (ok && !found) {
			bson_t *doc = BCON_NEW(
				"slug", BCON_UTF8(system_roles[i].slug),
				"name", BCON_UTF8(system_roles[i].name),
				"level", BCON_INT32(system_roles[i].level),
				"isSystem", BCON_BOOL(true),
				"createdAt", BCON_DATE_TIME(now),
				"updatedAt", BCON_DATE_TIME(now));
			store_error_t e = { 0 };
			ok = store_insert_one(st, "roles", doc, NULL, &e);
			/* another process created it meanwhile: fine */
			if (!ok && e.code == STORE_ERR_DUPLICATE_KEY)
				ok = true;
			else if (!ok && err)
				*err = e;
			bson_destroy(doc);
		}
		bson_destroy(filter);
		if (!ok)
			return false;
	}
	return true;
}

static bool find_role(store_t *st, const char *slug, bson_oid_t *out,
		      bool *found, store_error_t *err)
{
	bson_t *filter = BCON_NEW("slug", BCON_UTF8(slug));
	bson_t doc = BSON_INITIALIZER;
	bool ok = store_find_one(st, "roles", filter, NULL, &doc, found, err);

	if (ok && *found && !doc_oid(&doc, "_id", out)) {
		log_error("role %s has no ObjectId _id", slug);
		*found = false;
	}
	bson_destroy(&doc);
	bson_destroy(filter);
	return ok;
}

bool account_role_id(store_t *st, const char *slug, int64_t now,
		     bson_oid_t *out, bool *found, store_error_t *err)
{
	if (!find_role(st, slug, out, found, err))
		return false;
	if (*found || account_role_from_slug(slug) == ROLE_PUBLIC)
		return true;
	return account_ensure_roles(st, now, err) &&
	       find_role(st, slug, out, found, err);
}

bool account_user_role(store_t *st, const bson_t *user, int *role,
		       store_error_t *err)
{
	bson_iter_t it;
	char slug[32] = "";

	*role = ROLE_CLIENT;
	if (bson_iter_init_find(&it, user, "role") && BSON_ITER_HOLDS_OID(&it)) {
		bson_t *filter = BCON_NEW("_id", BCON_OID(bson_iter_oid(&it)));
		bson_t doc = BSON_INITIALIZER;
		bool found = false;
		bool ok = store_find_one(st, "roles", filter, NULL, &doc, &found, err);
		const char *s = ok && found ? doc_str(&doc, "slug") : NULL;

		if (s)
			snprintf(slug, sizeof slug, "%s", s);
		bson_destroy(&doc);
		bson_destroy(filter);
		if (!ok)
			return false;
	} else if (bson_iter_init_find(&it, user, "role") && BSON_ITER_HOLDS_UTF8(&it)) {
		snprintf(slug, sizeof slug, "%s", bson_iter_utf8(&it, NULL));
	}
	if (account_role_from_slug(slug) != ROLE_PUBLIC) {
		*role = account_role_from_slug(slug);
	} else {
		bson_oid_t id;
		char hex[25] = "?";
		if (doc_oid(user, "_id", &id))
			bson_oid_to_string(&id, hex);
		log_warn("user %s has no known role (\"%s\"): treated as client", hex, slug);
	}
	return true;
}

/* ---- users --------------------------------------------------------- */

int64_t account_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool account_new_token(char raw[ACCOUNT_TOKEN_HEX + 1], char hash[65])
{
	if (!crypto_random_hex(raw, ACCOUNT_TOKEN_HEX / 2))
		return false;
	crypto_sha256_hex(raw, ACCOUNT_TOKEN_HEX, hash);
	return true;
}

bool account_token_hash(const char *raw, size_t len, char hash[65])
{
	if (!raw || len != ACCOUNT_TOKEN_HEX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)raw[i]) && !(raw[i] >= 'a' && raw[i] <= 'f'))
			return false;
	crypto_sha256_hex(raw, len, hash);
	return true;
}

/* Present and not null. */
static bool has_value(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, key) && !BSON_ITER_HOLDS_NULL(&it) &&
	       !BSON_ITER_HOLDS_UNDEFINED(&it);
}

bool account_is_deleted(const bson_t *user)
{
	return has_value(user, "deletedAt");
}

bool account_is_pending(const bson_t *user)
{
	return has_value(user, "activationToken") && !has_value(user, "emailVerifiedAt");
}

static bool find_user(store_t *st, bson_t *filter, bson_t *out, bool *found,
		      store_error_t *err)
{
	bool ok = store_find_one(st, "users", filter, NULL, out, found, err);

	bson_destroy(filter);
	if (ok && *found && account_is_deleted(out))
		*found = false;
	return ok;
}

bool account_find_by_email(store_t *st, const char *email, bson_t *out,
			   bool *found, store_error_t *err)
{
	return find_user(st, BCON_NEW("email", BCON_UTF8(email)), out, found, err);
}

bool account_find_by_id(store_t *st, const bson_oid_t *id, bson_t *out,
			bool *found, store_error_t *err)
{
	return find_user(st, BCON_NEW("_id", BCON_OID(id)), out, found, err);
}

static void add_str_or_null(json_object *o, const bson_t *doc, const char *key)
{
	const char *s = doc_str(doc, key);

	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

static void add_date(json_object *o, const bson_t *doc, const char *key)
{
	bson_iter_t it;
	char buf[80];

	if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_DATE_TIME(&it)) {
		json_object_object_add(o, key, NULL);
		return;
	}
	int64_t ms = bson_iter_date_time(&it);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(((ms % 1000) + 1000) % 1000));
	json_object_object_add(o, key, json_object_new_string(buf));
}

json_object *account_user_json(const bson_t *user, int role)
{
	json_object *o = json_object_new_object();
	bson_oid_t id;
	char hex[25] = "";
	const char *slug = account_role_slug(role);

	if (doc_oid(user, "_id", &id))
		bson_oid_to_string(&id, hex);
	json_object_object_add(o, "id", json_object_new_string(hex));
	add_str_or_null(o, user, "email");
	add_str_or_null(o, user, "username");
	add_str_or_null(o, user, "givenName");
	json_object_object_add(o, "role", slug ? json_object_new_string(slug) : NULL);
	return o;
}

json_object *account_profile_json(const bson_t *user, int role)
{
	json_object *o = account_user_json(user, role);
	bson_iter_t it;

	add_str_or_null(o, user, "phone");
	add_str_or_null(o, user, "companyName");
	json_object_object_add(o, "newsletter", json_object_new_boolean(
		bson_iter_init_find(&it, user, "newsletter") &&
		BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it)));
	add_date(o, user, "emailVerifiedAt");
	add_date(o, user, "createdAt");
	return o;
}

bool account_link(char *out, size_t outlen, const char *path, const char *raw)
{
	const char *base = cfg && cfg->site_url ? cfg->site_url : "";
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	return buf_fmt(out, outlen, "%.*s%s?token=%s", (int)n, base, path, raw);
}

/* The greeting name of a user, for mails. */
static const char *greeting_name(const bson_t *user)
{
	const char *s = doc_str(user, "givenName");

	if (!s || !*s)
		s = doc_str(user, "username");
	return s ? s : "";
}

/* account_link() for a mail; a link that does not fit fails the request
 * rather than mailing a cut one. */
static bool mail_link(char *out, size_t outlen, const char *path,
		      const char *raw, struct err *err)
{
	if (account_link(out, outlen, path, raw))
		return true;
	return err_set(err, 500, "internal_error", NULL,
			    "The link of the mail does not fit (NEXTAUTH_URL too long).");
}

static bool send_mail(store_t *st, const char *template_name, const char *to,
		      const char *given_name, const char *link,
		      struct err *err)
{
	json_object *vars = json_object_new_object();
	store_error_t se = { 0 };
	bool ok;

	json_object_object_add(vars, "givenName",
			       json_object_new_string(given_name ? given_name : ""));
	if (link)
		json_object_object_add(vars, "link", json_object_new_string(link));
	ok = mail_enqueue(st, template_name, to, vars, &se);
	json_object_put(vars);
	return ok || store_fail(err, template_name, &se);
}

/* ---- operations ---------------------------------------------------- */

static void append_if(bson_t *doc, const char *key, const char *value)
{
	if (value && *value)
		BSON_APPEND_UTF8(doc, key, value);
}

bool account_register(store_t *st, const struct account_input *in,
		      int64_t now, bson_oid_t *user_id,
		      char raw_token[ACCOUNT_TOKEN_HEX + 1],
		      struct err *err)
{
	store_error_t se = { 0 };
	bson_oid_t role_id, id;
	bool found = false, ok = false;
	char hash[PASSWORD_HASH_MAX], raw[ACCOUNT_TOKEN_HEX + 1], thash[65];
	char link[1024];
	bson_t doc = BSON_INITIALIZER;

	if (!account_role_id(st, "client", now, &role_id, &found, &se))
		return store_fail(err, "register: client role", &se);
	if (!found) {
		log_error("register: no client role");
		return err_set(err, 500, "internal", NULL, "Internal error.");
	}
	if (!password_hash(in->password, in->password_len, hash, sizeof hash) ||
	    !account_new_token(raw, thash))
		return err_set(err, 500, "internal", NULL, "Internal error.");

	bson_oid_init(&id, NULL);
	BSON_APPEND_OID(&doc, "_id", &id);
	BSON_APPEND_UTF8(&doc, "email", in->email);
	BSON_APPEND_UTF8(&doc, "password", hash);
	append_if(&doc, "username", in->username);
	append_if(&doc, "givenName", in->given_name);
	append_if(&doc, "phone", in->phone);
	append_if(&doc, "companyName", in->company_name);
	BSON_APPEND_BOOL(&doc, "newsletter", in->newsletter);
	BSON_APPEND_OID(&doc, "role", &role_id);
	BSON_APPEND_BOOL(&doc, "isTemporary", false);
	BSON_APPEND_UTF8(&doc, "activationToken", thash);
	BSON_APPEND_DATE_TIME(&doc, "activationTokenExpires", now + ACCOUNT_ACTIVATION_TTL_MS);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);

	if (!store_insert_one(st, "users", &doc, NULL, &se)) {
		if (se.code == STORE_ERR_DUPLICATE_KEY)
			err_set(err, 409, "email_taken", "email",
				     "An account already exists with this email address.");
		else
			store_fail(err, "register: insert", &se);
		goto done;
	}
	if (!mail_link(link, sizeof link, "/auth/activate-account", raw, err) ||
	    !send_mail(st, "activation", in->email, in->given_name, link, err)) {
		/* no account without its activation mail: undo */
		bson_t *filter = BCON_NEW("_id", BCON_OID(&id));
		store_error_t de = { 0 };
		if (!store_delete_one(st, "users", filter, NULL, &de))
			log_error("register: cannot remove the account after a mail failure: %s",
				  de.message);
		bson_destroy(filter);
		goto done;
	}
	if (in->newsletter) {
		/* the newsletter's subscriber waits for the activation (it proves
		 * the address): content/newsletter.h */
		struct err ne;
		if (!newsletter_account_registered(st, now, in->email, &id, &ne))
			log_error("register: newsletter subscriber: %s", ne.message);
	}
	if (user_id)
		bson_oid_copy(&id, user_id);
	if (raw_token)
		memcpy(raw_token, raw, sizeof raw);
	ok = true;
done:
	explicit_bzero(raw, sizeof raw);
	bson_destroy(&doc);
	return ok;
}

static bool token_gone(struct err *err, const char *what)
{
	if (strcmp(what, "activation") == 0)
		return err_set(err, 410, "token_expired", "token",
				    "This activation link has expired or was already used. "
				    "Ask for a new one (resend the activation email).");
	return err_set(err, 410, "token_expired", "token",
			    "This link has expired or was already used. "
			    "Ask for a new one (forgot password).");
}

/* The address of `user` is proved: a newsletter asked for at register is
 * confirmed (content/newsletter.h). A failure is logged: the account is
 * activated all the same. */
static void verified_newsletter(store_t *st, const bson_t *user, int64_t now)
{
	const char *email = doc_str(user, "email");
	bson_oid_t uid;
	struct err ne;

	if (!email || !doc_bool(user, "newsletter", false) || !doc_oid(user, "_id", &uid))
		return;
	if (!newsletter_account_verified(st, now, email, &uid, &ne))
		log_error("activation: newsletter subscriber: %s", ne.message);
}

bool account_activate(store_t *st, const char *raw_token, size_t token_len,
		      const char *password, size_t password_len, int64_t now,
		      bson_oid_t *user_id, struct err *err)
{
	store_error_t se = { 0 };
	char thash[65], hash[PASSWORD_HASH_MAX] = "";
	bson_t user = BSON_INITIALIZER, after = BSON_INITIALIZER;
	bson_t *filter = NULL, *update = NULL;
	bool found = false, ok = false;

	if (!account_token_hash(raw_token, token_len, thash))
		return token_gone(err, "activation");
	filter = BCON_NEW("activationToken", BCON_UTF8(thash),
			  "activationTokenExpires", "{", "$gt", BCON_DATE_TIME(now), "}");
	if (!store_find_one(st, "users", filter, NULL, &user, &found, &se)) {
		store_fail(err, "activate: find", &se);
		goto done;
	}
	if (!found || account_is_deleted(&user)) {
		token_gone(err, "activation");
		goto done;
	}
	if (password_scheme(doc_str(&user, "password")) == PASSWORD_NONE) {
		if (!password) {
			err_set(err, 422, "validation_failed", "password",
				     "Choose a password to activate this account.");
			goto done;
		}
		if (!account_check_password(password, password_len, "password", err))
			goto done;
		if (!password_hash(password, password_len, hash, sizeof hash)) {
			err_set(err, 500, "internal", NULL, "Internal error.");
			goto done;
		}
	}
	if (hash[0])
		update = BCON_NEW("$set", "{", "emailVerifiedAt", BCON_DATE_TIME(now),
				  "updatedAt", BCON_DATE_TIME(now),
				  "password", BCON_UTF8(hash),
				  "passwordChangedAt", BCON_DATE_TIME(now), "}",
				  "$unset", "{", "activationToken", BCON_UTF8(""),
				  "activationTokenExpires", BCON_UTF8(""), "}");
	else
		update = BCON_NEW("$set", "{", "emailVerifiedAt", BCON_DATE_TIME(now),
				  "updatedAt", BCON_DATE_TIME(now), "}",
				  "$unset", "{", "activationToken", BCON_UTF8(""),
				  "activationTokenExpires", BCON_UTF8(""), "}");
	found = false;
	if (!store_find_one_and_update(st, "users", filter, update, NULL, &after,
				       &found, &se)) {
		store_fail(err, "activate: update", &se);
		goto done;
	}
	if (!found) {   /* used by a concurrent request */
		token_gone(err, "activation");
		goto done;
	}
	verified_newsletter(st, &after, now);
	if (user_id && !doc_oid(&after, "_id", user_id))
		memset(user_id, 0, sizeof *user_id);
	ok = true;
done:
	bson_destroy(&user);
	bson_destroy(&after);
	if (filter)
		bson_destroy(filter);
	if (update)
		bson_destroy(update);
	return ok;
}

bool account_request_mail(store_t *st, const char *template_name,
			  const char *email, struct err *err)
{
	store_error_t se = { 0 };

	if (mail_enqueue_request(st, template_name, email, &se))
		return true;
	return store_fail(err, template_name, &se);
}

/* A new activation token for the pending account `user`: 1 with the link
 * in `link`, -1 on a store error. */
static int renew_activation(store_t *st, const bson_oid_t *id, int64_t now,
			    char raw[ACCOUNT_TOKEN_HEX + 1], char *link, size_t linklen,
			    char *errbuf, size_t errlen)
{
	store_error_t se = { 0 };
	char thash[65];
	bson_t *filter, *update;
	bool ok;

	if (!account_new_token(raw, thash) ||
	    !account_link(link, linklen, "/auth/activate-account", raw)) {
		snprintf(errbuf, errlen, "activation: no token or the link does not fit");
		return -1;
	}
	filter = BCON_NEW("_id", BCON_OID(id));
	update = BCON_NEW("$set", "{", "activationToken", BCON_UTF8(thash),
			  "activationTokenExpires", BCON_DATE_TIME(now + ACCOUNT_ACTIVATION_TTL_MS),
			  "updatedAt", BCON_DATE_TIME(now), "}");
	ok = store_update_one(st, "users", filter, update, false, NULL, &se);
	bson_destroy(filter);
	bson_destroy(update);
	if (!ok) {
		snprintf(errbuf, errlen, "activation: update: %s", se.message);
		return -1;
	}
	return 1;
}

/* A reset token (1 h) for the user `id`, the earlier unused ones deleted
 * (only the newest link works): 1 with the link, -1 on a store error. */
static int new_reset_token(store_t *st, const bson_oid_t *id, int64_t now,
			   char raw[ACCOUNT_TOKEN_HEX + 1], char *link, size_t linklen,
			   char *errbuf, size_t errlen)
{
	store_error_t se = { 0 };
	char thash[65];
	bson_t *old, *doc;
	bool ok;

	if (!account_new_token(raw, thash) ||
	    !account_link(link, linklen, "/auth/reset-password", raw)) {
		snprintf(errbuf, errlen, "password reset: no token or the link does not fit");
		return -1;
	}
	old = BCON_NEW("userId", BCON_OID(id), "used", BCON_BOOL(false));
	ok = store_delete_many(st, "passwordresettokens", old, NULL, &se);
	bson_destroy(old);
	if (!ok) {
		snprintf(errbuf, errlen, "password reset: old tokens: %s", se.message);
		return -1;
	}
	doc = BCON_NEW("token", BCON_UTF8(thash), "userId", BCON_OID(id),
		       "expiresAt", BCON_DATE_TIME(now + ACCOUNT_RESET_TTL_MS),
		       "used", BCON_BOOL(false), "createdAt", BCON_DATE_TIME(now));
	ok = store_insert_one(st, "passwordresettokens", doc, NULL, &se);
	bson_destroy(doc);
	if (!ok) {
		snprintf(errbuf, errlen, "password reset: insert: %s", se.message);
		return -1;
	}
	return 1;
}

int account_mail_resolve(store_t *st, const char *template_name, const char *to,
			 int64_t now, struct mail_rendered *out,
			 char raw_token[ACCOUNT_TOKEN_HEX + 1],
			 char *errbuf, size_t errlen)
{
	store_error_t se = { 0 };
	bson_t user = BSON_INITIALIZER;
	char raw[ACCOUNT_TOKEN_HEX + 1], link[1024];
	bool found = false, reset;
	bson_oid_t id;
	int rc = -1;

	if (raw_token)
		raw_token[0] = '\0';
	reset = template_name && strcmp(template_name, "password_reset") == 0;
	if (!reset && (!template_name || strcmp(template_name, "activation") != 0)) {
		snprintf(errbuf, errlen, "no account mail is called \"%.40s\"",
			 template_name ? template_name : "");
		return -1;
	}
	if (!account_find_by_email(st, to, &user, &found, &se)) {
		snprintf(errbuf, errlen, "%s: find: %s", template_name, se.message);
		goto done;
	}
	/* a reset for any account; a new activation link for a pending one */
	if (!found || !doc_oid(&user, "_id", &id) || account_is_deleted(&user) ||
	    (!reset && !account_is_pending(&user))) {
		rc = 0;
		goto done;
	}
	rc = reset ? new_reset_token(st, &id, now, raw, link, sizeof link, errbuf, errlen)
		   : renew_activation(st, &id, now, raw, link, sizeof link, errbuf, errlen);
	if (rc < 0)
		goto done;
	{
		json_object *vars = json_object_new_object();
		bool rendered;
		json_object_object_add(vars, "givenName",
				       json_object_new_string(greeting_name(&user)));
		json_object_object_add(vars, "link", json_object_new_string(link));
		rendered = mail_render_template(template_name, vars, out, errbuf, errlen);
		json_object_put(vars);
		if (!rendered) {
			rc = -1;
			goto done;
		}
	}
	if (raw_token)
		memcpy(raw_token, raw, sizeof raw);
done:
	explicit_bzero(raw, sizeof raw);
	bson_destroy(&user);
	return rc;
}

/* `activate`: the change proves the address (a reset link): a pending
 * activation is completed too. */
static bool store_password(store_t *st, const bson_oid_t *user_id,
			   const char *hash, int64_t now, bool activate,
			   store_error_t *se)
{
	bson_t *filter = BCON_NEW("_id", BCON_OID(user_id));
	bson_t *update = activate
		? BCON_NEW("$set", "{", "password", BCON_UTF8(hash),
			   "passwordChangedAt", BCON_DATE_TIME(now),
			   "emailVerifiedAt", BCON_DATE_TIME(now),
			   "updatedAt", BCON_DATE_TIME(now), "}",
			   "$unset", "{", "activationToken", BCON_UTF8(""),
			   "activationTokenExpires", BCON_UTF8(""), "}")
		: BCON_NEW("$set", "{", "password", BCON_UTF8(hash),
			   "passwordChangedAt", BCON_DATE_TIME(now),
			   "updatedAt", BCON_DATE_TIME(now), "}");
	bool ok = store_update_one(st, "users", filter, update, false, NULL, se);

	bson_destroy(filter);
	bson_destroy(update);
	return ok;
}

bool account_set_password(store_t *st, const bson_oid_t *user_id,
			  const char *password, size_t len, int64_t now,
			  struct err *err)
{
	char hash[PASSWORD_HASH_MAX];
	store_error_t se = { 0 };

	if (!account_check_password(password, len, "password", err))
		return false;
	if (!password_hash(password, len, hash, sizeof hash))
		return err_set(err, 500, "internal", NULL, "Internal error.");
	if (!store_password(st, user_id, hash, now, false, &se))
		return store_fail(err, "set password", &se);
	return true;
}

bool account_rehash(store_t *st, const bson_oid_t *user_id,
		    const char *password, size_t len, store_error_t *err)
{
	char hash[PASSWORD_HASH_MAX];
	bson_t *filter, *update;
	bool ok;

	if (!password_hash(password, len, hash, sizeof hash)) {
		if (err) {
			err->code = STORE_ERR_INTERNAL;
			snprintf(err->message, sizeof err->message, "cannot hash");
		}
		return false;
	}
	filter = BCON_NEW("_id", BCON_OID(user_id));
	update = BCON_NEW("$set", "{", "password", BCON_UTF8(hash), "}");
	ok = store_update_one(st, "users", filter, update, false, NULL, err);
	bson_destroy(filter);
	bson_destroy(update);
	return ok;
}

bool account_reset_password(store_t *st, const char *raw_token, size_t token_len,
			    const char *password, size_t password_len,
			    int64_t now, bson_oid_t *user_id,
			    struct err *err)
{
	store_error_t se = { 0 };
	char thash[65], hash[PASSWORD_HASH_MAX];
	bson_t tok = BSON_INITIALIZER, user = BSON_INITIALIZER;
	bson_t *filter = NULL, *update = NULL;
	bool found = false, ok = false;
	bson_iter_t it;
	bson_oid_t uid;

	if (!account_token_hash(raw_token, token_len, thash))
		return token_gone(err, "reset");
	if (!account_check_password(password, password_len, "password", err))
		return false;
	if (!password_hash(password, password_len, hash, sizeof hash))
		return err_set(err, 500, "internal", NULL, "Internal error.");

	filter = BCON_NEW("token", BCON_UTF8(thash), "used", BCON_BOOL(false),
			  "expiresAt", "{", "$gt", BCON_DATE_TIME(now), "}");
	update = BCON_NEW("$set", "{", "used", BCON_BOOL(true),
			  "usedAt", BCON_DATE_TIME(now), "}");
	if (!store_find_one_and_update(st, "passwordresettokens", filter, update,
				       NULL, &tok, &found, &se)) {
		store_fail(err, "reset-password: token", &se);
		goto done;
	}
	if (!found || !bson_iter_init_find(&it, &tok, "userId") ||
	    !BSON_ITER_HOLDS_OID(&it)) {
		token_gone(err, "reset");
		goto done;
	}
	bson_oid_copy(bson_iter_oid(&it), &uid);
	found = false;
	if (!account_find_by_id(st, &uid, &user, &found, &se)) {
		store_fail(err, "reset-password: user", &se);
		goto done;
	}
	if (!found) {
		token_gone(err, "reset");
		goto done;
	}
	if (!store_password(st, &uid, hash, now, account_is_pending(&user), &se)) {
		store_fail(err, "reset-password: update", &se);
		goto done;
	}
	if (account_is_pending(&user))
		verified_newsletter(st, &user, now);
	if (!session_end_all(st, &uid, NULL, &se)) {
		store_fail(err, "reset-password: sessions", &se);
		goto done;
	}
	{
		/* the password is changed: a failed notice is logged, not fatal */
		struct err merr;
		const char *email = doc_str(&user, "email");
		if (email)
			send_mail(st, "password_changed", email, greeting_name(&user),
				  NULL, &merr);
	}
	if (user_id)
		bson_oid_copy(&uid, user_id);
	ok = true;
done:
	explicit_bzero(hash, sizeof hash);
	bson_destroy(&tok);
	bson_destroy(&user);
	bson_destroy(filter);
	bson_destroy(update);
	return ok;
}

bool account_change_password(store_t *st, const bson_t *user,
			     const char *current, size_t current_len,
			     const char *new_password, size_t new_len,
			     const char *keep_session, int64_t now,
			     struct err *err)
{
	store_error_t se = { 0 };
	bson_oid_t id;
	const char *email = doc_str(user, "email");

	if (!doc_oid(user, "_id", &id))
		return err_set(err, 500, "internal", NULL, "Internal error.");
	if (!account_check_password(new_password, new_len, "newPassword", err))
		return false;
	if (!password_verify(current, current_len, doc_str(user, "password"), NULL))
		return err_set(err, 401, "bad_credentials", "currentPassword",
				    "The current password is wrong.");
	if (!account_set_password(st, &id, new_password, new_len, now, err))
		return false;
	if (!session_end_all(st, &id, keep_session, &se))
		return store_fail(err, "change password: sessions", &se);
	if (email) {
		struct err merr;
		send_mail(st, "password_changed", email, greeting_name(user), NULL, &merr);
	}
	return true;
}

bool account_update_profile(store_t *st, const bson_oid_t *user_id,
			    const struct account_input *in, int64_t now,
			    struct err *err)
{
	static const struct {
		unsigned bit;
		const char *key;
		size_t offset;
	} fields[] = {
		{ AF_USERNAME, "username", offsetof(struct account_input, username) },
		{ AF_GIVEN_NAME, "givenName", offsetof(struct account_input, given_name) },
		{ AF_PHONE, "phone", offsetof(struct account_input, phone) },
		{ AF_COMPANY, "companyName", offsetof(struct account_input, company_name) },
	};
	bson_t update = BSON_INITIALIZER, set, unset;
	bson_t *filter = BCON_NEW("_id", BCON_OID(user_id));
	store_error_t se = { 0 };
	int nunset = 0;
	bool ok;

	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		const char *v = (const char *)in + fields[i].offset;
		if ((in->present & fields[i].bit) && *v)
			BSON_APPEND_UTF8(&set, fields[i].key, v);
	}
	if (in->present & AF_NEWSLETTER)
		BSON_APPEND_BOOL(&set, "newsletter", in->newsletter);
	BSON_APPEND_DATE_TIME(&set, "updatedAt", now);
	bson_append_document_end(&update, &set);
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		const char *v = (const char *)in + fields[i].offset;
		if ((in->present & fields[i].bit) && !*v)
			nunset++;
	}
	if (nunset) {
		BSON_APPEND_DOCUMENT_BEGIN(&update, "$unset", &unset);
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
			const char *v = (const char *)in + fields[i].offset;
			if ((in->present & fields[i].bit) && !*v)
				BSON_APPEND_UTF8(&unset, fields[i].key, "");
		}
		bson_append_document_end(&update, &unset);
	}
	ok = store_update_one(st, "users", filter, &update, false, NULL, &se);
	bson_destroy(&update);
	bson_destroy(filter);
	if (!ok)
		return store_fail(err, "update profile", &se);
	return true;
}

bool account_delete(store_t *st, const bson_oid_t *user_id, int64_t now,
		    struct err *err)
{
	store_error_t se = { 0 };
	char hex[25], email[64];
	bson_t *filter = BCON_NEW("_id", BCON_OID(user_id));
	bson_t *by_user = BCON_NEW("userId", BCON_OID(user_id));
	bson_t *update;
	bool ok = false;

	bson_oid_to_string(user_id, hex);
	snprintf(email, sizeof email, "deleted-%s@deleted.invalid", hex);
	update = BCON_NEW("$set", "{", "email", BCON_UTF8(email),
			  "newsletter", BCON_BOOL(false),
			  "deletedAt", BCON_DATE_TIME(now),
			  "updatedAt", BCON_DATE_TIME(now), "}",
			  "$unset", "{", "password", BCON_UTF8(""),
			  "username", BCON_UTF8(""), "givenName", BCON_UTF8(""),
			  "phone", BCON_UTF8(""), "companyName", BCON_UTF8(""),
			  "dashboardPin", BCON_UTF8(""),
			  "activationToken", BCON_UTF8(""),
			  "activationTokenExpires", BCON_UTF8(""), "}");
	if (!store_update_one(st, "users", filter, update, false, NULL, &se)) {
		store_fail(err, "delete account", &se);
		goto done;
	}
	if (!session_end_all(st, user_id, NULL, &se) ||
	    !store_delete_many(st, "passwordresettokens", by_user, NULL, &se)) {
		store_fail(err, "delete account: sessions", &se);
		goto done;
	}
	ok = true;
done:
	bson_destroy(filter);
	bson_destroy(by_user);
	bson_destroy(update);
	return ok;
}

bool account_create_active(store_t *st, const char *email, const char *password,
			   size_t password_len, const char *slug,
			   const char *given_name, int64_t now, bson_oid_t *id,
			   struct err *err)
{
	store_error_t se = { 0 };
	char norm[ACCOUNT_EMAIL_MAX + 1], hash[PASSWORD_HASH_MAX];
	bson_oid_t role_id, new_id;
	bool found = false, ok;
	bson_t doc = BSON_INITIALIZER;

	if (!account_email_normalise(email, strlen(email), norm, sizeof norm))
		return err_set(err, 422, "validation_failed", "email",
				    "email is not a valid email address.");
	if (account_role_from_slug(slug) == ROLE_PUBLIC)
		return err_set(err, 422, "validation_failed", "role",
				    "unknown role \"%.32s\" (dev, admin, staff, client).", slug);
	if (!account_check_password(password, password_len, "password", err))
		return false;
	if (!account_role_id(st, slug, now, &role_id, &found, &se))
		return store_fail(err, "create account: role", &se);
	if (!found)
		return err_set(err, 500, "internal", NULL, "role %s missing", slug);
	if (!password_hash(password, password_len, hash, sizeof hash))
		return err_set(err, 500, "internal", NULL, "Internal error.");
	bson_oid_init(&new_id, NULL);
	BSON_APPEND_OID(&doc, "_id", &new_id);
	BSON_APPEND_UTF8(&doc, "email", norm);
	BSON_APPEND_UTF8(&doc, "password", hash);
	append_if(&doc, "givenName", given_name);
	BSON_APPEND_BOOL(&doc, "newsletter", false);
	BSON_APPEND_OID(&doc, "role", &role_id);
	BSON_APPEND_BOOL(&doc, "isTemporary", false);
	BSON_APPEND_DATE_TIME(&doc, "emailVerifiedAt", now);
	BSON_APPEND_DATE_TIME(&doc, "passwordChangedAt", now);
	BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	ok = store_insert_one(st, "users", &doc, NULL, &se);
	bson_destroy(&doc);
	if (!ok && se.code == STORE_ERR_DUPLICATE_KEY)
		return err_set(err, 409, "email_taken", "email",
				    "An account already exists with this email address.");
	if (!ok)
		return store_fail(err, "create account", &se);
	if (id)
		bson_oid_copy(&new_id, id);
	return true;
}

bool account_import_admin(store_t *st, const bson_t *admin, int64_t now,
			  enum account_import_outcome *outcome,
			  store_error_t *err)
{
	char email[ACCOUNT_EMAIL_MAX + 1], hex[25];
	const char *raw_email = doc_str(admin, "email");
	const char *slug = doc_str(admin, "role");
	bson_oid_t id, role_id;
	bson_t existing = BSON_INITIALIZER, doc = BSON_INITIALIZER;
	bson_t *by_id = NULL, *by_email = NULL;
	bool found = false, ok = false;
	bson_iter_t it;
	store_error_t e = { 0 };

	*outcome = ACCOUNT_IMPORT_INVALID;
	if (!doc_oid(admin, "_id", &id)) {
		log_warn("import-admins: a document without an ObjectId _id is skipped");
		return true;
	}
	bson_oid_to_string(&id, hex);
	if (!raw_email || !account_email_normalise(raw_email, strlen(raw_email),
						   email, sizeof email)) {
		log_warn("import-admins: %s has no valid email; skipped", hex);
		return true;
	}
	by_id = BCON_NEW("_id", BCON_OID(&id));
	by_email = BCON_NEW("email", BCON_UTF8(email));
	if (!store_find_one(st, "users", by_id, NULL, &existing, &found, err))
		goto done;
	if (!found) {
		bson_destroy(&existing);
		bson_init(&existing);
		if (!store_find_one(st, "users", by_email, NULL, &existing, &found, err))
			goto done;
	}
	if (found) {
		*outcome = ACCOUNT_ALREADY_THERE;
		ok = true;
		goto done;
	}
	if (account_role_from_slug(slug) == ROLE_PUBLIC) {
		log_warn("import-admins: %s has role \"%s\": imported as staff", hex,
			 slug ? slug : "");
		slug = "staff";
	}
	if (!account_role_id(st, slug, now, &role_id, &found, err))
		goto done;
	if (!found) {
		if (err) {
			err->code = STORE_ERR_INTERNAL;
			snprintf(err->message, sizeof err->message, "role %s missing", slug);
		}
		goto done;
	}
	BSON_APPEND_OID(&doc, "_id", &id);
	BSON_APPEND_UTF8(&doc, "email", email);
	if (password_scheme(doc_str(admin, "password")) != PASSWORD_NONE)
		BSON_APPEND_UTF8(&doc, "password", doc_str(admin, "password"));
	append_if(&doc, "dashboardPin", doc_str(admin, "dashboardPin"));
	append_if(&doc, "givenName", doc_str(admin, "givenName"));
	BSON_APPEND_OID(&doc, "role", &role_id);
	BSON_APPEND_BOOL(&doc, "newsletter", false);
	BSON_APPEND_BOOL(&doc, "isTemporary", false);
	BSON_APPEND_DATE_TIME(&doc, "emailVerifiedAt", now);
	if (bson_iter_init_find(&it, admin, "createdAt") && BSON_ITER_HOLDS_DATE_TIME(&it))
		BSON_APPEND_DATE_TIME(&doc, "createdAt", bson_iter_date_time(&it));
	else
		BSON_APPEND_DATE_TIME(&doc, "createdAt", now);
	BSON_APPEND_DATE_TIME(&doc, "updatedAt", now);
	if (!store_insert_one(st, "users", &doc, NULL, &e)) {
		if (e.code == STORE_ERR_DUPLICATE_KEY) {
			*outcome = ACCOUNT_ALREADY_THERE;
			ok = true;
		} else if (err) {
			*err = e;
		}
		goto done;
	}
	*outcome = ACCOUNT_IMPORTED;
	ok = true;
done:
	bson_destroy(&existing);
	bson_destroy(&doc);
	if (by_id)
		bson_destroy(by_id);
	if (by_email)
		bson_destroy(by_email);
	return ok;
}
