/*
 * role.h — who may do what, by level (SPEC §3: roles are told apart by
 * slug in the store — account_role_from_slug() — and ordered
 * dev > admin > staff > client). The apps' route tables state a minimum
 * role per route; the relay checks the same levels.
 */
#ifndef CWC_ROLE_H
#define CWC_ROLE_H

/* ROLE_PUBLIC (0): no session needed — the router's "anyone". */
enum role {
	ROLE_PUBLIC = 0,
	ROLE_CLIENT = 1,
	ROLE_STAFF = 2,
	ROLE_ADMIN = 3,
	ROLE_DEV = 4,
};

#endif
