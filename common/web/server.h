/*
 * server.h — the pre-forked FastCGI server both apps run (SPEC §1).
 *
 * The master loads the configuration, checks the store once (in a
 * short-lived child, so no driver state exists in the master), opens the
 * listening socket (a unix path or host:port), forks the workers and then
 * only supervises them:
 *   - a worker that dies is replaced; one that dies young (crash loop) is
 *     replaced after a growing delay (100 ms doubling to 30 s);
 *   - a worker exits by itself after cfg->max_requests requests and is
 *     replaced (recycling);
 *   - the app's templates are loaded once in the master (an error stops
 *     start-up, naming the file and line) and again in every worker;
 *   - SIGHUP: the configuration and the templates are read again (when
 *     either is refused the old workers keep serving), a new generation of
 *     workers starts, and once it is ready the old one is asked to finish
 *     (each old worker completes its in-flight request, then exits);
 *   - SIGTERM / SIGINT: the unix socket's file is removed at once (a web
 *     server's new connection fails and goes to another instance), every
 *     worker finishes its request and the connections already queued on
 *     the socket, then exits; those still busy after 10 s are killed. (A
 *     TCP listener stays open until the master exits, and what is queued
 *     on it when the workers leave is lost.)
 * Workers accept connections themselves (poll + accept on the shared
 * non-blocking socket) and hand each to libfcgi, so a stop signal never
 * interrupts a request half-read.
 */
#ifndef CWC_SERVER_H
#define CWC_SERVER_H

#include "web/route.h"

/* The main() of an app. Options: -l ADDR (listen address; default from
 * the configuration), -w N (workers). Returns the process exit code. */
int server_main(const struct app *app, int argc, char **argv);

/* Serves one request whose FastCGI params are `env`: parse, dispatch,
 * write the response to `fcgx` (NULL in tests: it stays in req->out),
 * access log. The caller frees `req` with http_req_free(). */
void server_handle(const struct app *app, struct http_req *req, char **env,
		   struct FCGX_Request *fcgx);

#endif
