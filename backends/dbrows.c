/* dbrows: see dbrows.h. */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "backends/dbrows.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

struct dbrows *dbrows_new(size_t ncols)
{
	struct dbrows *r = xcalloc(1, sizeof(*r));
	r->ncols = ncols;
	return r;
}

void dbrows_add(struct dbrows *r, const char *const *vals, const unsigned long *lens)
{
	if (r->ncols == 0)
		return;
	r->cells = xrealloc(r->cells, (r->nrows + 1) * r->ncols * sizeof(*r->cells));
	char **row = r->cells + r->nrows * r->ncols;
	for (size_t c = 0; c < r->ncols; c++) {
		if (vals[c] == NULL)
			row[c] = NULL;
		else
			row[c] = xstrndup(vals[c], lens != NULL ? (size_t)lens[c] : strlen(vals[c]));
	}
	r->nrows++;
}

const char *dbrows_get(const struct dbrows *r, size_t row, size_t col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

void dbrows_free(struct dbrows *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	free(r);
}

void dbrows_free_all(struct dbrows **res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dbrows_free(res[i]);
	free(res);
}

double dbrows_number(const char *text, double def)
{
	if (text == NULL || *text == '\0')
		return def;
	char *end;
	double v = strtod(text, &end);
	return *end == '\0' && isfinite(v) ? v : def;
}

char *dbrows_one_line(const char *q, size_t max)
{
	size_t len = strlen(q);
	char *flat = xmalloc(len + 1);
	size_t o = 0;
	bool space = false;
	for (size_t i = 0; i < len; i++) {
		char c = q[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			space = o > 0;
			continue;
		}
		if (space)
			flat[o++] = ' ';
		space = false;
		flat[o++] = c;
	}
	flat[o] = '\0';
	char *out = sanitize(flat, o, max);
	free(flat);
	return out;
}

char *dbrows_text(const char *v)
{
	return sanitize_str(v != NULL ? v : "");
}

bool dbrows_id(const char *text, int *id)
{
	if (text == NULL || *text == '\0' || strlen(text) > 10)
		return false;
	for (const char *p = text; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	long v = strtol(text, NULL, 10);
	if (v <= 0 || v > INT_MAX)
		return false;
	if (id != NULL)
		*id = (int)v;
	return true;
}
