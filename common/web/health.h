/*
 * health.h — GET /api/health (SPEC §10), the same on site and admin.
 *
 * 200 {"status":"healthy","timestamp":…,"service":…} after a real round
 * trip to the store and a Redis PING; 503 {"status":"unhealthy",…} naming
 * what is down (no internal detail). Caddy and orchestrators poll it.
 */
#ifndef CWC_HEALTH_H
#define CWC_HEALTH_H

#include "web/http.h"

void health_get(struct http_req *req);

/* ISO-8601 UTC with milliseconds of the current time, into `out` (≥ 32). */
void health_timestamp(char *out, size_t len);

#endif
