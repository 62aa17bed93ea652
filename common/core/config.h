/*
 * config.h — the configuration every program reads (SPEC §2).
 *
 * Values come from the environment, then from an env file (KEY=VALUE lines,
 * `#` comments, optional quotes): `CWC_ENV_FILE` if set, else `etc/cwc.env`
 * when it exists. The environment wins over the file. In production
 * (`CWC_ENV=production`, or the original's `NODE_ENV=production`) a missing
 * secret stops start-up with a message naming it; in development the
 * secrets are generated once and kept in `$CWC_DATA_DIR/dev-secrets.env`
 * so that every program of the stack shares them.
 *
 * cfg_load() fills the process-wide `cfg`, read-only afterwards.
 */
#ifndef CWC_CONFIG_H
#define CWC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct cfg {
	bool production;
	const char *env_name;          /* "production" | "development" */
	const char *data_dir;          /* CWC_DATA_DIR, default ./var (absolute) */
	const char *store_uri;         /* MONGODB_URI, or the SQLite file path */
	bool store_is_mongodb;
	const char *redis_url;         /* REDIS_URL, default redis://127.0.0.1:6379/0 */
	const char *site_url;          /* NEXTAUTH_URL, default http://localhost:8080 */
	const char *admin_url;         /* CWC_ADMIN_URL, default derived from site_url */
	const char *ws_url;            /* WS_URL (or NEXT_PUBLIC_WS_URL) */
	const char *nextauth_secret;   /* signs sessions */
	const char *jwt_secret;        /* WebSocket tickets, mail links */
	char **cors_origins;           /* NULL-terminated; CORS_ORIGINS */
	const char *log_level;         /* LOG_LEVEL, default info */
	const char *cookie_domain;     /* CWC_COOKIE_DOMAIN, empty = host only */

	const char *stripe_public_key, *stripe_secret_key, *stripe_webhook_secret;
	const char *stripe_api_base;   /* STRIPE_API_BASE, default https://api.stripe.com */
	const char *stripe_js_url;     /* STRIPE_JS_URL, default https://js.stripe.com/v3/ */
	const char *resend_api_key, *resend_api_base, *email_from;
	const char *smtp_url;
	const char *cloudinary_cloud_name, *cloudinary_api_key,
		   *cloudinary_api_secret, *cloudinary_api_base;
	const char *contact_email;
	const char *plausible_domain;

	/* FastCGI servers and the relay */
	const char *site_listen;       /* CWC_SITE_LISTEN: unix path or host:port */
	const char *admin_listen;      /* CWC_ADMIN_LISTEN */
	const char *relay_listen;      /* CWC_RELAY_LISTEN: host:port, default 127.0.0.1:8090 */
	int workers;                   /* CWC_WORKERS, default: number of CPUs */
	long max_requests;             /* CWC_MAX_REQUESTS: recycle a worker after; 0 = never */
	long availability_cache_ms;    /* CWC_AVAILABILITY_CACHE_MS: how long a worker may
					  answer GET /api/availability from its last answer; 0 = never */
	long blog_cache_ms;            /* CWC_BLOG_CACHE_MS: how long a worker may show the
					  blog's counts (public articles, by category) and
					  its category list from its last reading; 0 = never */
	size_t max_body;               /* CWC_MAX_BODY bytes, default 1 MiB */
	size_t max_upload;             /* CWC_MAX_UPLOAD: the body of a route that takes
					  an uploaded file (ROUTE_UPLOAD), bytes;
					  default 10 MiB (a phone's photo) */
	const char *template_dir;      /* CWC_TEMPLATE_DIR: where the template
					* folders (common/web/templates…) are;
					* default the current directory */
};

extern const struct cfg *cfg;

/* Loads the configuration into `cfg`. On error writes a message naming the
 * variable to `errbuf` and returns false. May be called again (SIGHUP) to
 * replace it; the previous one is freed. */
bool cfg_load(char *errbuf, size_t errlen);

/* Frees `cfg` (for leak-checked tests and clean exits). */
void cfg_free(void);

/* The value of KEY as the configuration sees it (environment, then env
 * file), or `def`. Memory owned by the configuration. */
const char *cfg_get(const char *key, const char *def);

/* True when `origin` (e.g. "https://www.example.com") is in cors_origins. */
bool cfg_origin_allowed(const char *origin);

#endif
