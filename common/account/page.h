/*
 * page.h — what accounts add to the pages of both apps.
 */
#ifndef CWC_ACCOUNT_PAGE_H
#define CWC_ACCOUNT_PAGE_H

#include "web/http.h"

#include <json-c/json.h>

/* The `page_data` hook of both apps (web/route.h): adds user {name,
 * roleLabel} when someone is signed in, for the layout's header. */
void account_page_data(struct http_req *req, json_object *data);

#endif
