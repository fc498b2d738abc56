/* dbrows: one statement's answer as rows of text, the shape every database
 * engine turns its own result into (libpq's PGresult, Connector/C's
 * MYSQL_RES), so what reads answers (the models, the action's checks) is
 * written once. A cell is the server's text, NULL for SQL NULL. */
#ifndef SITREP_BACKENDS_DBROWS_H
#define SITREP_BACKENDS_DBROWS_H

#include <stdbool.h>
#include <stddef.h>

struct dbrows {
	size_t nrows, ncols;
	char **cells; /* nrows * ncols, row by row; each owned, NULL for SQL NULL */
};

/* An empty table of ncols columns (0 for a statement with no rows, like
 * SET). Free with dbrows_free. */
struct dbrows *dbrows_new(size_t ncols);
/* Appends a row: ncols values (copied; lens[i] bytes each, or strlen when
 * lens is NULL; NULL for SQL NULL). */
void dbrows_add(struct dbrows *r, const char *const *vals, const unsigned long *lens);
/* The cell, NULL for SQL NULL or outside the table. */
const char *dbrows_get(const struct dbrows *r, size_t row, size_t col);
void dbrows_free(struct dbrows *r);
/* Frees n tables and the array. */
void dbrows_free_all(struct dbrows **res, size_t n);

/* What the engines' parsers share when a cell becomes a model field:
 * the number a cell holds (def when empty, not a number or not finite); a
 * statement on one line (runs of whitespace one space), sanitized and cut
 * at max bytes; a cell as text, sanitized ("" for NULL). Callers free. */
double dbrows_number(const char *text, double def);
char *dbrows_one_line(const char *q, size_t max);
char *dbrows_text(const char *v);

/* A session's id as the server wrote it: 1 to 10 digits, 1..INT_MAX, nothing
 * else (it goes back into SQL). Stored in *id when not NULL. */
bool dbrows_id(const char *text, int *id);

#endif
