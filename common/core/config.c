/*
 * config.c — environment + env file → struct cfg. See config.h.
 *
 * Every string the configuration hands out lives in one arena (a list of
 * allocations) freed by cfg_free(), so callers never free config memory.
 */
#include "core/config.h"
#include "core/buf.h"
#include "core/crypto.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kv {
	char *key, *value;
};

struct cfg_state {
	struct cfg pub;
	struct kv *file;       /* the env file's pairs */
	size_t nfile;
	char **arena;          /* every string we allocated */
	size_t narena, carena;
};

static struct cfg_state *state;
const struct cfg *cfg;

static char *keep(struct cfg_state *s, char *p)
{
	if (!p)
		abort();
	if (s->narena == s->carena) {
		s->carena = s->carena ? 2 * s->carena : 32;
		s->arena = realloc(s->arena, s->carena * sizeof *s->arena);
		if (!s->arena)
			abort();
	}
	s->arena[s->narena++] = p;
	return p;
}

static char *keepf(struct cfg_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *keepf(struct cfg_state *s, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return keep(s, p);
}

static void state_free(struct cfg_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->narena; i++)
		free(s->arena[i]);
	free(s->arena);
	free(s->file);
	free(s->pub.cors_origins);
	free(s);
}

void cfg_free(void)
{
	state_free(state);
	state = NULL;
	cfg = NULL;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* KEY=VALUE lines; `export ` prefix, comments and quotes allowed. */
static bool read_env_file(struct cfg_state *s, const char *path,
			  char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int lineno = 0;

	if (!f) {
		snprintf(errbuf, errlen, "cannot read env file %s: %s", path,
			 strerror(errno));
		return false;
	}
	while (fgets(line, sizeof line, f)) {
		char *k, *v, *eq;
		size_t vl;

		lineno++;
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if (strncmp(k, "export ", 7) == 0)
			k = trim(k + 7);
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(errbuf, errlen, "%s:%d: expected KEY=VALUE",
				 path, lineno);
			fclose(f);
			return false;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		vl = strlen(v);
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v[vl - 1] = '\0';
			v++;
		}
		s->file = realloc(s->file, (s->nfile + 1) * sizeof *s->file);
		if (!s->file)
			abort();
		s->file[s->nfile].key = keep(s, strdup(k));
		s->file[s->nfile].value = keep(s, strdup(v));
		s->nfile++;
	}
	fclose(f);
	return true;
}

static const char *lookup(struct cfg_state *s, const char *key)
{
	const char *v = getenv(key);

	if (v && *v)
		return v;
	for (size_t i = s->nfile; i-- > 0;)   /* the last definition wins */
		if (strcmp(s->file[i].key, key) == 0 && s->file[i].value[0])
			return s->file[i].value;
	return NULL;
}

static const char *get(struct cfg_state *s, const char *key, const char *def)
{
	const char *v = lookup(s, key);

	return keep(s, strdup(v ? v : def));
}

const char *cfg_get(const char *key, const char *def)
{
	const char *v;

	if (!state)
		return getenv(key) ? getenv(key) : def;
	v = lookup(state, key);
	return v ? v : def;
}

static bool mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return false;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(tmp, 0750) == 0 || errno == EEXIST;
}

/*
 * Development secrets: generated once into DATA_DIR/dev-secrets.env so that
 * site, admin, relay and the CLI tools agree. Created under a temporary
 * name then linked into place, so two programs starting together agree on
 * one file.
 */
static bool dev_secrets(struct cfg_state *s, const char *data_dir,
			char *errbuf, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], a[65], b[65];
	FILE *f;

	snprintf(path, sizeof path, "%s/dev-secrets.env", data_dir);
	if (access(path, R_OK) != 0) {
		if (!buf_fmt(tmp, sizeof tmp, "%s.%ld", path, (long)getpid()))
			goto fail;
		if (!crypto_random_hex(a, 32) || !crypto_random_hex(b, 32))
			goto fail;
		f = fopen(tmp, "w");
		if (!f)
			goto fail;
		fchmod(fileno(f), 0600);
		fprintf(f, "# generated for development; never used in production\n"
			   "NEXTAUTH_SECRET=%s\nJWT_SECRET=%s\n", a, b);
		if (fclose(f) != 0)
			goto fail;
		if (link(tmp, path) < 0 && errno != EEXIST) {
			unlink(tmp);
			goto fail;
		}
		unlink(tmp);
	}
	return read_env_file(s, path, errbuf, errlen);
fail:
	snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
	return false;
}

/* "https://www.example.com/path" → "https://www.example.com". */
static char *origin_of(struct cfg_state *s, const char *url)
{
	const char *host = strstr(url, "://");
	size_t n;

	if (!host)
		return keep(s, strdup(url));
	n = strcspn(host + 3, "/?#");
	return keep(s, strndup(url, (size_t)(host + 3 - url) + n));
}

static char *admin_url_from(struct cfg_state *s, const char *site)
{
	const char *host = strstr(site, "://");

	if (!host)
		return keep(s, strdup(site));
	host += 3;
	if (strncmp(host, "localhost:8080", 14) == 0 ||
	    strncmp(host, "127.0.0.1:8080", 14) == 0)
		return keepf(s, "%.*s:8081", (int)(host + 9 - site), site);
	if (strncmp(host, "www.", 4) == 0)
		host += 4;
	return keepf(s, "%.*sadmin.%s", (int)(strstr(site, "://") + 3 - site),
		     site, host);
}

static void add_origin(struct cfg_state *s, size_t *n, const char *origin)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(s->pub.cors_origins[i], origin) == 0)
			return;
	s->pub.cors_origins = realloc(s->pub.cors_origins,
				      (*n + 2) * sizeof(char *));
	if (!s->pub.cors_origins)
		abort();
	s->pub.cors_origins[(*n)++] = (char *)origin;
	s->pub.cors_origins[*n] = NULL;
}

static void cors_origins(struct cfg_state *s)
{
	const char *list = lookup(s, "CORS_ORIGINS");
	size_t n = 0;

	s->pub.cors_origins = calloc(1, sizeof(char *));
	if (!s->pub.cors_origins)
		abort();
	if (list) {
		char *copy = keep(s, strdup(list));
		for (char *save, *t = strtok_r(copy, ", ", &save); t;
		     t = strtok_r(NULL, ", ", &save))
			add_origin(s, &n, origin_of(s, t));
		return;
	}
	/* default: the site, its www / bare twin, and admin */
	const char *site = origin_of(s, s->pub.site_url);
	const char *host = strstr(site, "://") + 3;
	int scheme = (int)(host - site);
	add_origin(s, &n, site);
	if (strncmp(host, "www.", 4) == 0)
		add_origin(s, &n, keepf(s, "%.*s%s", scheme, site, host + 4));
	else if (!strchr(host, ':') && strchr(host, '.'))
		add_origin(s, &n, keepf(s, "%.*swww.%s", scheme, site, host));
	add_origin(s, &n, origin_of(s, s->pub.admin_url));
}

bool cfg_origin_allowed(const char *origin)
{
	if (!cfg || !origin || !*origin)
		return false;
	for (char **o = cfg->cors_origins; o && *o; o++)
		if (strcmp(*o, origin) == 0)
			return true;
	return false;
}

static bool need_secret(struct cfg_state *s, const char *key,
			char *errbuf, size_t errlen)
{
	const char *v = lookup(s, key);

	if (!v) {
		snprintf(errbuf, errlen, "%s is not set (required in production)", key);
		return false;
	}
	if (strlen(v) < 32) {
		snprintf(errbuf, errlen, "%s is too short (at least 32 characters in production)", key);
		return false;
	}
	return true;
}

static long get_long(struct cfg_state *s, const char *key, long def,
		     long min, long max, bool *ok, char *errbuf, size_t errlen)
{
	const char *v = lookup(s, key);
	char *end;
	long n;

	if (!v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min || n > max) {
		snprintf(errbuf, errlen, "%s=%s: expected a number from %ld to %ld",
			 key, v, min, max);
		*ok = false;
		return def;
	}
	return n;
}

bool cfg_load(char *errbuf, size_t errlen)
{
	struct cfg_state *s = calloc(1, sizeof *s);
	struct cfg *c;
	const char *env_file, *v;
	char cwd[PATH_MAX];
	bool ok = true;

	if (!s)
		abort();
	c = &s->pub;

	env_file = getenv("CWC_ENV_FILE");
	if (env_file && *env_file) {
		if (!read_env_file(s, env_file, errbuf, errlen))
			goto fail;
	} else if (access("etc/cwc.env", R_OK) == 0) {
		if (!read_env_file(s, "etc/cwc.env", errbuf, errlen))
			goto fail;
	}

	v = lookup(s, "CWC_ENV");
	if (!v)
		v = lookup(s, "NODE_ENV");
	c->production = v && strcmp(v, "production") == 0;
	c->env_name = c->production ? "production" : "development";

	v = lookup(s, "CWC_DATA_DIR");
	if (!v)
		v = "./var";
	if (v[0] != '/' && getcwd(cwd, sizeof cwd))
		c->data_dir = keepf(s, "%s/%s", cwd,
				    strncmp(v, "./", 2) == 0 ? v + 2 : v);
	else
		c->data_dir = keep(s, strdup(v));
	if (!mkdirs(c->data_dir)) {
		snprintf(errbuf, errlen, "CWC_DATA_DIR %s cannot be created: %s",
			 c->data_dir, strerror(errno));
		goto fail;
	}

	if (c->production) {
		if (!need_secret(s, "NEXTAUTH_SECRET", errbuf, errlen) ||
		    !need_secret(s, "JWT_SECRET", errbuf, errlen))
			goto fail;
	} else if (!lookup(s, "NEXTAUTH_SECRET") || !lookup(s, "JWT_SECRET")) {
		if (!dev_secrets(s, c->data_dir, errbuf, errlen))
			goto fail;
	}
	c->nextauth_secret = get(s, "NEXTAUTH_SECRET", "");
	c->jwt_secret = get(s, "JWT_SECRET", "");

	v = lookup(s, "MONGODB_URI");
	c->store_is_mongodb = v != NULL;
	c->store_uri = v ? keep(s, strdup(v))
			 : keepf(s, "%s/cwc.sqlite3", c->data_dir);
	c->redis_url = get(s, "REDIS_URL", "redis://127.0.0.1:6379/0");
	c->site_url = get(s, "NEXTAUTH_URL", "http://localhost:8080");
	v = lookup(s, "CWC_ADMIN_URL");
	c->admin_url = v ? keep(s, strdup(v)) : admin_url_from(s, c->site_url);
	v = lookup(s, "WS_URL");
	if (!v)
		v = lookup(s, "NEXT_PUBLIC_WS_URL");
	c->ws_url = v ? keep(s, strdup(v)) : NULL;
	c->log_level = get(s, "LOG_LEVEL", "info");
	c->cookie_domain = get(s, "CWC_COOKIE_DOMAIN", "");

	c->stripe_public_key = get(s, "STRIPE_PUBLIC_KEY", "");
	c->stripe_secret_key = get(s, "STRIPE_SECRET_KEY", "");
	c->stripe_webhook_secret = get(s, "STRIPE_WEBHOOK_SECRET", "");
	c->stripe_api_base = get(s, "STRIPE_API_BASE", "https://api.stripe.com");
	c->stripe_js_url = get(s, "STRIPE_JS_URL", "https://js.stripe.com/v3/");
	c->resend_api_key = get(s, "RESEND_API_KEY", "");
	c->resend_api_base = get(s, "RESEND_API_BASE", "https://api.resend.com");
	c->email_from = get(s, "EMAIL_FROM", "CoworKing Café <contact@coworkingcafe.com>");
	c->smtp_url = get(s, "SMTP_URL", "");
	v = lookup(s, "CLOUDINARY_CLOUD_NAME");
	if (!v)
		v = lookup(s, "NEXT_PUBLIC_CLOUDINARY_CLOUD_NAME");
	c->cloudinary_cloud_name = keep(s, strdup(v ? v : ""));
	c->cloudinary_api_key = get(s, "CLOUDINARY_API_KEY", "");
	c->cloudinary_api_secret = get(s, "CLOUDINARY_API_SECRET", "");
	c->cloudinary_api_base = get(s, "CLOUDINARY_API_BASE", "https://api.cloudinary.com");
	c->contact_email = get(s, "CONTACT_EMAIL", "contact@coworkingcafe.com");
	c->plausible_domain = get(s, "PLAUSIBLE_DOMAIN", "");

	c->site_listen = lookup(s, "CWC_SITE_LISTEN")
		? get(s, "CWC_SITE_LISTEN", "")
		: keepf(s, "%s/run/site.sock", c->data_dir);
	c->admin_listen = lookup(s, "CWC_ADMIN_LISTEN")
		? get(s, "CWC_ADMIN_LISTEN", "")
		: keepf(s, "%s/run/admin.sock", c->data_dir);
	c->relay_listen = get(s, "CWC_RELAY_LISTEN", "127.0.0.1:8090");
	v = get(s, "CWC_TEMPLATE_DIR", ".");
	c->template_dir = v[0] == '/' || !getcwd(cwd, sizeof cwd) ? v
		: strcmp(v, ".") == 0 ? keep(s, strdup(cwd))
		: keepf(s, "%s/%s", cwd, strncmp(v, "./", 2) == 0 ? v + 2 : v);
	{
		char run[PATH_MAX];
		snprintf(run, sizeof run, "%s/run", c->data_dir);
		mkdirs(run);
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = (int)get_long(s, "CWC_WORKERS", ncpu > 0 ? ncpu : 2, 1,
				   256, &ok, errbuf, errlen);
	c->max_requests = get_long(s, "CWC_MAX_REQUESTS", 10000, 0, LONG_MAX,
				   &ok, errbuf, errlen);
	c->availability_cache_ms = get_long(s, "CWC_AVAILABILITY_CACHE_MS", 1000, 0, 60000,
					    &ok, errbuf, errlen);
	c->blog_cache_ms = get_long(s, "CWC_BLOG_CACHE_MS", 1000, 0, 60000, &ok, errbuf, errlen);
	c->max_body = (size_t)get_long(s, "CWC_MAX_BODY", 1 << 20, 1024,
				       1L << 30, &ok, errbuf, errlen);
	c->max_upload = (size_t)get_long(s, "CWC_MAX_UPLOAD", 10L << 20, 1024,
					 64L << 20, &ok, errbuf, errlen);
	if (!ok)
		goto fail;

	cors_origins(s);

	state_free(state);
	state = s;
	cfg = c;
	return true;
fail:
	state_free(s);
	return false;
}
