/* dbrows: see dbrows.h. */
#include <stdlib.h>
#include <string.h>

#include "backends/dbrows.h"
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
