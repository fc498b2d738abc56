/* jsonc: a small JSON parser that accepts // and block comments and keeps the
 * line and column of every value and key, so config errors can name FILE:LINE:COL.
 * cJSON is used for backend responses; this parser is only for files people edit. */
#ifndef SITREP_JSONC_H
#define SITREP_JSONC_H

#include <stdbool.h>
#include <stddef.h>

enum jnode_type { JNODE_NULL, JNODE_BOOL, JNODE_NUMBER, JNODE_STRING, JNODE_ARRAY, JNODE_OBJECT };

struct jnode {
	enum jnode_type type;
	int line, col;         /* 1-based position of the value */
	char *key;             /* member name when inside an object, else NULL */
	int key_line, key_col; /* position of the member name */
	bool used;             /* set by readers; unread keys are reported as unknown */
	char **asked;          /* in an object: every name a reader looked up, found or not, */
	size_t nasked;         /* so an unknown key can be matched to the nearest valid one */
	bool boolean;
	double number;
	char *string; /* NUL-terminated; may contain NUL if the JSON had \u0000 */
	size_t len;
	struct jnode *child; /* first element or member */
	struct jnode *next;
	size_t count; /* number of children */
};

struct jsonc_error {
	int line, col;
	char msg[200];
};

/* Parses text[0..len). Returns a tree the caller frees with jsonc_free, or NULL
 * with err filled (position of the offending character and what was expected;
 * the message is sanitized, as it may quote a member name from the file). */
struct jnode *jsonc_parse(const char *text, size_t len, struct jsonc_error *err);
void jsonc_free(struct jnode *node);

/* Member lookup by name (last one wins, as in most JSON readers); marks it used
 * and records the name in obj->asked (found or not). */
struct jnode *jsonc_get(struct jnode *obj, const char *key);
const char *jsonc_type_name(enum jnode_type type);

#endif
