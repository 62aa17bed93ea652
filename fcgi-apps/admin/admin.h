/*
 * admin.h — the admin app's handlers.
 */
#ifndef CWC_ADMIN_H
#define CWC_ADMIN_H

#include "web/http.h"

/* account.c — sign-in for staff and above (SPEC §4) */
void admin_login(struct http_req *req);
void admin_logout(struct http_req *req);
void admin_session(struct http_req *req);
/* home.c — GET /: the home page */
void admin_home(struct http_req *req);
/* GET /api/dashboard: {"ok":true,"role":…} until the real dashboard (§9) */
void admin_dashboard(struct http_req *req);

#endif
