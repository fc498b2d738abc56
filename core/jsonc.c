/* jsonc: recursive-descent JSON parser for hand-edited files. Accepts // and
 * block comments, rejects everything else JSON rejects (trailing commas
 * included), and records the line and column of each value and key so a
 * config error can point at the exact spot. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/jsonc.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define JSONC_MAX_DEPTH 64

struct jsonc_parser {
	const char *s;
	size_t len, pos;
	int line, col;
	int depth;
	struct jsonc_error *err;
	bool failed;
};

static void jsonc_fail(struct jsonc_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void jsonc_fail(struct jsonc_parser *p, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	if (p->err == NULL)
		return;
	p->err->line = p->line;
	p->err->col = p->col;
	/* a member name from the file may hold terminal escapes */
	va_list ap;
	va_start(ap, fmt);
	char *msg = sanitize_vprintf(sizeof(p->err->msg) - sizeof(SANITIZE_CUT_MARK), fmt, ap);
	va_end(ap);
	snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	free(msg);
}

static int jsonc_peek(const struct jsonc_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void jsonc_advance(struct jsonc_parser *p)
{
	if (p->pos >= p->len)
		return;
	unsigned char c = (unsigned char)p->s[p->pos++];
	if (c == '\n') {
		p->line++;
		p->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		/* columns count characters, not UTF-8 continuation bytes */
		p->col++;
	}
}

/* Describes the character at the cursor for "found ..." in messages. */
static const char *jsonc_found(const struct jsonc_parser *p, char *buf, size_t cap)
{
	int c = jsonc_peek(p);
	if (c < 0)
		return "end of file";
	if (c >= 0x21 && c < 0x7F)
		snprintf(buf, cap, "'%c'", c);
	else
		snprintf(buf, cap, "byte 0x%02X", c);
	return buf;
}

static void jsonc_skip_space(struct jsonc_parser *p)
{
	for (;;) {
		int c = jsonc_peek(p);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			jsonc_advance(p);
		} else if (c == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '/') {
			while (jsonc_peek(p) >= 0 && jsonc_peek(p) != '\n')
				jsonc_advance(p);
		} else if (c == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '*') {
			int line = p->line, col = p->col;
			jsonc_advance(p);
			jsonc_advance(p);
			for (;;) {
				if (jsonc_peek(p) < 0) {
					p->line = line;
					p->col = col;
					jsonc_fail(p, "unterminated /* comment");
					return;
				}
				if (jsonc_peek(p) == '*' && p->pos + 1 < p->len && p->s[p->pos + 1] == '/') {
					jsonc_advance(p);
					jsonc_advance(p);
					break;
				}
				jsonc_advance(p);
			}
		} else {
			return;
		}
	}
}

static struct jnode *jsonc_node(const struct jsonc_parser *p, enum jnode_type type)
{
	struct jnode *n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->line = p->line;
	n->col = p->col;
	return n;
}

static void jsonc_put_utf8(char *out, size_t *n, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xC0 | (cp >> 6));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xE0 | (cp >> 12));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		out[(*n)++] = (char)(0xF0 | (cp >> 18));
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

static int jsonc_hex4(struct jsonc_parser *p, unsigned long *out)
{
	unsigned long v = 0;
	for (int i = 0; i < 4; i++) {
		int c = jsonc_peek(p);
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else {
			jsonc_fail(p, "expected 4 hex digits after \\u");
			return -1;
		}
		v = v * 16 + (unsigned long)d;
		jsonc_advance(p);
	}
	*out = v;
	return 0;
}

/* Parses a string at the opening quote; returns an allocated copy. */
static char *jsonc_string(struct jsonc_parser *p, size_t *len_out)
{
	jsonc_advance(p); /* opening quote */
	size_t cap = 32, n = 0;
	char *out = xmalloc(cap);
	for (;;) {
		if (n + 8 > cap) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
		int c = jsonc_peek(p);
		if (c < 0 || c == '\n') {
			jsonc_fail(p, "unterminated string (expected '\"')");
			break;
		}
		if (c < 0x20) {
			jsonc_fail(p, "control character in string (write it as \\u%04X)", c);
			break;
		}
		if (c == '"') {
			jsonc_advance(p);
			break;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			jsonc_advance(p);
			continue;
		}
		jsonc_advance(p);
		c = jsonc_peek(p);
		unsigned long cp;
		switch (c) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u':
			jsonc_advance(p);
			if (jsonc_hex4(p, &cp) < 0)
				goto done;
			if (cp >= 0xD800 && cp <= 0xDBFF && jsonc_peek(p) == '\\' && p->pos + 1 < p->len &&
			    p->s[p->pos + 1] == 'u') {
				unsigned long lo;
				jsonc_advance(p);
				jsonc_advance(p);
				if (jsonc_hex4(p, &lo) < 0)
					goto done;
				if (lo >= 0xDC00 && lo <= 0xDFFF)
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				else
					cp = 0xFFFD;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			jsonc_put_utf8(out, &n, cp);
			continue;
		default:
			jsonc_fail(p, "invalid escape in string (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
			goto done;
		}
		jsonc_advance(p);
	}
done:
	out[n] = '\0';
	*len_out = n;
	return out;
}

static struct jnode *jsonc_value(struct jsonc_parser *p);

static bool jsonc_literal(struct jsonc_parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		jsonc_advance(p);
	return true;
}

static struct jnode *jsonc_number(struct jsonc_parser *p)
{
	struct jnode *n = jsonc_node(p, JNODE_NUMBER);
	size_t start = p->pos;
	if (jsonc_peek(p) == '-')
		jsonc_advance(p);
	if (jsonc_peek(p) == '0') {
		jsonc_advance(p);
	} else if (jsonc_peek(p) >= '1' && jsonc_peek(p) <= '9') {
		while (jsonc_peek(p) >= '0' && jsonc_peek(p) <= '9')
			jsonc_advance(p);
	} else {
		jsonc_fail(p, "expected a digit");
		return n;
	}
	if (jsonc_peek(p) == '.') {
		jsonc_advance(p);
		if (!(jsonc_peek(p) >= '0' && jsonc_peek(p) <= '9')) {
			jsonc_fail(p, "expected a digit after '.'");
			return n;
		}
		while (jsonc_peek(p) >= '0' && jsonc_peek(p) <= '9')
			jsonc_advance(p);
	}
	if (jsonc_peek(p) == 'e' || jsonc_peek(p) == 'E') {
		jsonc_advance(p);
		if (jsonc_peek(p) == '+' || jsonc_peek(p) == '-')
			jsonc_advance(p);
		if (!(jsonc_peek(p) >= '0' && jsonc_peek(p) <= '9')) {
			jsonc_fail(p, "expected a digit in the exponent");
			return n;
		}
		while (jsonc_peek(p) >= '0' && jsonc_peek(p) <= '9')
			jsonc_advance(p);
	}
	char buf[64];
	size_t len = p->pos - start;
	if (len >= sizeof(buf)) {
		jsonc_fail(p, "number too long");
		return n;
	}
	memcpy(buf, p->s + start, len);
	buf[len] = '\0';
	n->number = strtod(buf, NULL);
	if (!isfinite(n->number))
		jsonc_fail(p, "number out of range");
	return n;
}

static void jsonc_append(struct jnode *parent, struct jnode **tail, struct jnode *child)
{
	if (*tail == NULL)
		parent->child = child;
	else
		(*tail)->next = child;
	*tail = child;
	parent->count++;
}

static struct jnode *jsonc_array(struct jsonc_parser *p)
{
	struct jnode *arr = jsonc_node(p, JNODE_ARRAY), *tail = NULL;
	char f[16];
	jsonc_advance(p);
	jsonc_skip_space(p);
	if (jsonc_peek(p) == ']') {
		jsonc_advance(p);
		return arr;
	}
	while (!p->failed) {
		jsonc_skip_space(p);
		if (jsonc_peek(p) == ']') {
			jsonc_fail(p, "expected a value after ',' (trailing commas are not allowed)");
			break;
		}
		struct jnode *v = jsonc_value(p);
		if (v != NULL)
			jsonc_append(arr, &tail, v);
		if (p->failed)
			break;
		jsonc_skip_space(p);
		if (jsonc_peek(p) == ',') {
			jsonc_advance(p);
		} else if (jsonc_peek(p) == ']') {
			jsonc_advance(p);
			break;
		} else {
			jsonc_fail(p, "expected ',' or ']' in array, found %s", jsonc_found(p, f, sizeof(f)));
		}
	}
	return arr;
}

static struct jnode *jsonc_object(struct jsonc_parser *p)
{
	struct jnode *obj = jsonc_node(p, JNODE_OBJECT), *tail = NULL;
	char f[16];
	jsonc_advance(p);
	jsonc_skip_space(p);
	if (jsonc_peek(p) == '}') {
		jsonc_advance(p);
		return obj;
	}
	while (!p->failed) {
		jsonc_skip_space(p);
		if (jsonc_peek(p) != '"') {
			if (jsonc_peek(p) == '}')
				jsonc_fail(p, "expected a member name after ',' (trailing commas are not allowed)");
			else
				jsonc_fail(p, "expected a member name in double quotes, found %s",
					   jsonc_found(p, f, sizeof(f)));
			break;
		}
		int kline = p->line, kcol = p->col;
		size_t klen;
		char *key = jsonc_string(p, &klen);
		if (p->failed) {
			free(key);
			break;
		}
		jsonc_skip_space(p);
		if (jsonc_peek(p) != ':') {
			jsonc_fail(p, "expected ':' after member name \"%s\", found %s", key,
				   jsonc_found(p, f, sizeof(f)));
			free(key);
			break;
		}
		jsonc_advance(p);
		jsonc_skip_space(p);
		struct jnode *v = jsonc_value(p);
		if (v == NULL) {
			free(key);
			break;
		}
		v->key = key;
		v->key_line = kline;
		v->key_col = kcol;
		jsonc_append(obj, &tail, v);
		if (p->failed)
			break;
		jsonc_skip_space(p);
		if (jsonc_peek(p) == ',') {
			jsonc_advance(p);
		} else if (jsonc_peek(p) == '}') {
			jsonc_advance(p);
			break;
		} else {
			jsonc_fail(p, "expected ',' or '}' in object, found %s", jsonc_found(p, f, sizeof(f)));
		}
	}
	return obj;
}

static struct jnode *jsonc_value(struct jsonc_parser *p)
{
	char f[16];
	jsonc_skip_space(p);
	if (p->failed)
		return NULL;
	int c = jsonc_peek(p);
	struct jnode *n;
	switch (c) {
	case '{':
	case '[':
		if (++p->depth > JSONC_MAX_DEPTH) {
			jsonc_fail(p, "nesting deeper than %d levels", JSONC_MAX_DEPTH);
			return NULL;
		}
		n = c == '{' ? jsonc_object(p) : jsonc_array(p);
		p->depth--;
		return n;
	case '"':
		n = jsonc_node(p, JNODE_STRING);
		n->string = jsonc_string(p, &n->len);
		return n;
	case 't':
	case 'f':
	case 'n':
		n = jsonc_node(p, c == 'n' ? JNODE_NULL : JNODE_BOOL);
		if (jsonc_literal(p, "true"))
			n->boolean = true;
		else if (jsonc_literal(p, "false"))
			n->boolean = false;
		else if (!jsonc_literal(p, "null"))
			jsonc_fail(p, "expected a value (string, number, object, array, true, false, null)");
		return n;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jsonc_number(p);
		if (c == '\'')
			jsonc_fail(p, "expected a value, found a single quote (strings take double quotes)");
		else
			jsonc_fail(p, "expected a value, found %s", jsonc_found(p, f, sizeof(f)));
		return NULL;
	}
}

struct jnode *jsonc_parse(const char *text, size_t len, struct jsonc_error *err)
{
	struct jsonc_parser p = {.s = text, .len = len, .line = 1, .col = 1, .err = err};
	char f[16];
	/* a UTF-8 byte order mark is tolerated at the very start */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p.pos = 3;
	struct jnode *root = jsonc_value(&p);
	if (!p.failed) {
		jsonc_skip_space(&p);
		if (!p.failed && jsonc_peek(&p) >= 0)
			jsonc_fail(&p, "expected end of file after the value, found %s",
				   jsonc_found(&p, f, sizeof(f)));
	}
	if (p.failed) {
		jsonc_free(root);
		return NULL;
	}
	return root;
}

void jsonc_free(struct jnode *node)
{
	while (node != NULL) {
		struct jnode *next = node->next;
		jsonc_free(node->child);
		for (size_t i = 0; i < node->nasked; i++)
			free(node->asked[i]);
		free(node->asked);
		free(node->key);
		free(node->string);
		free(node);
		node = next;
	}
}

/* Remembers a name a reader asked for: the valid keys of this object as far
 * as the readers so far know, for "did you mean" in unknown-key errors. */
static void jsonc_remember(struct jnode *obj, const char *key)
{
	for (size_t i = 0; i < obj->nasked; i++)
		if (strcmp(obj->asked[i], key) == 0)
			return;
	obj->asked = xrealloc(obj->asked, (obj->nasked + 1) * sizeof(*obj->asked));
	obj->asked[obj->nasked++] = xstrdup(key);
}

struct jnode *jsonc_get(struct jnode *obj, const char *key)
{
	if (obj == NULL || obj->type != JNODE_OBJECT)
		return NULL;
	jsonc_remember(obj, key);
	struct jnode *found = NULL;
	for (struct jnode *c = obj->child; c != NULL; c = c->next) {
		if (strcmp(c->key, key) == 0) {
			c->used = true;
			found = c;
		}
	}
	return found;
}

const char *jsonc_type_name(enum jnode_type type)
{
	switch (type) {
	case JNODE_NULL: return "null";
	case JNODE_BOOL: return "a boolean";
	case JNODE_NUMBER: return "a number";
	case JNODE_STRING: return "a string";
	case JNODE_ARRAY: return "an array";
	case JNODE_OBJECT: return "an object";
	}
	return "?";
}
