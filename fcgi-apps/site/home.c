/*
 * home.c — the home page (the full page of SPEC §8 comes with the site
 * pages issue).
 */
#include "web/page.h"
#include "site.h"

void site_home(struct http_req *req)
{
	page_send(req, 200, "Accueil",
		  "<h1>CoworKing Café</h1>"
		  "<p>Un café pour travailler, se réunir et se retrouver.</p>");
}
