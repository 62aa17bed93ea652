/*
 * menu.h — the café's menu (SPEC §8 `drink_categories`, `drinks`): what
 * the site shows on /boissons and GET /api/drinks, and the demo menu of
 * `cwc-ctl seed`.
 *
 * drink_categories {name, slug, description, type (food|drink|grocery|
 * goodies), order, isActive, showOnSite}; drinks {name, description,
 * recipe (internal: never leaves the back office), image, category (a
 * drink_categories _id), type, order, isActive, price (cents, optional)}.
 */
#ifndef CWC_MENU_H
#define CWC_MENU_H

#include "store/store.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define MENU_CATEGORIES "drink_categories"
#define MENU_ITEMS "drinks"

/* The types, NULL-terminated, and their French labels. */
extern const char *const menu_types[];
const char *menu_type_label(const char *type);

/* The public menu of `type` (NULL: every type): the active categories
 * shown on the site, by order, each {name, slug, description, type,
 * items: [{name, description, image, price ("2,80 €", absent when
 * none)}]} with its active items by order. Never `recipe`. A new array
 * in *out on success. */
bool menu_public(store_t *st, const char *type, json_object **out, store_error_t *se);

/* Creates the demo menu's categories and items that are missing (by
 * slug, and by name within a category); leaves the rest. Idempotent. */
bool menu_seed(store_t *st, int64_t now, void (*report)(const char *line), store_error_t *se);

#endif
