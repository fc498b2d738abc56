/* list: the one engine under every list-like pane. It owns what all lists
 * share: the selection (which follows its row's identity when a refresh
 * reorders the rows), scrolling and paging, a `/` regex filter typed into the
 * pane with n/N stepping through the matches, and Enter's details of the
 * selected row. A pane supplies only what is its own: how many rows its
 * snapshot has, a key per row, how to draw one row, whether a row matches the
 * filter, and the detail text of a row.
 *
 * Row numbers passed to the callbacks are the pane's own (its model order);
 * pane->selected and pane->scroll count the rows shown, after the filter. */
#ifndef SITREP_LIST_H
#define SITREP_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "tui/theme.h"

struct pane;
struct list;

/* A row key at most this long (with its NUL) identifies a row. */
#define LIST_KEY_MAX 128

struct list_ops {
	/* Rows in the pane's model now (0 when it has no data). */
	size_t (*count)(struct pane *pane);
	/* Draws model row `row` on line y of win, every cell of it up to w. */
	void (*draw_row)(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool selected);
	/* Optional: the identity of a row, stable across refreshes: a string
	 * inside the model, or one written into buf (cap LIST_KEY_MAX). Without
	 * it the selection keeps its position. */
	const char *(*row_key)(struct pane *pane, size_t row, char *buf, size_t cap);
	/* Optional: whether a row passes the filter; it tests its texts with
	 * list_match. Without it `/` is not the list's. */
	bool (*match)(struct pane *pane, size_t row, const struct list *list);
	/* Optional: the detail text of a row for Enter, allocated. */
	char *(*detail)(struct pane *pane, size_t row);
	/* Optional: what changes whenever the rows may have; the source's
	 * snapshot generation when NULL. */
	uint64_t (*generation)(struct pane *pane);
	/* Optional: the line drawn when the model has no rows. */
	const char *(*empty)(struct pane *pane, enum role *role);
};

enum list_flags {
	/* Without a selection the list shows its end and follows new rows, like
	 * `less +F`; moving starts from the last row; End follows again. */
	LIST_FOLLOW_END = 1 << 0,
	/* There is always a selected row when there are rows. */
	LIST_ALWAYS_SELECT = 1 << 1,
};

/* A list for pane, which it must not outlive. Free with list_free. */
struct list *list_new(struct pane *pane, const struct list_ops *ops, unsigned flags);
void list_free(struct list *list);
/* The free op of a pane whose view is a struct that starts with its
 * struct list * (allocated, with the list): frees both. */
void list_view_free(struct pane *pane);
void list_set_flags(struct list *list, unsigned flags);

/* A key for the list: moves (KEY_UP/DOWN, KEY_PPAGE/NPAGE, KEY_HOME/END, as
 * tui passes them), '/', n, N, Esc (clears the filter), and every key while
 * the filter is typed (then pane->grab_keys is set). True when used. */
bool list_key(struct list *list, int ch);
/* Draws the rows shown into lines [y, y + h) of win, blanks the rest. */
void list_draw(struct list *list, WINDOW *win, int y, int h, int w);
/* The detail text of the selected row (allocated), NULL when none. */
char *list_detail(struct list *list);

/* The model row selected, false when none. */
bool list_selected_row(struct list *list, size_t *row);
/* Rows shown (after the filter). */
size_t list_count(struct list *list);
/* Drops the selection and scroll and rereads the rows (the pane switched
 * what its rows are); the filter stays. */
void list_reset(struct list *list);

/* For match callbacks: whether text matches the filter (true without one). */
bool list_match(const struct list *list, const char *text);
/* The filter being typed, or NULL when not typing. */
const char *list_editing(const struct list *list);
/* The filter applied, "" when none. */
const char *list_filter(const struct list *list);
/* Why the last filter typed was refused ("bad regex: ..."), or NULL. */
const char *list_filter_error(const struct list *list);
/* Whether there is a filter line to show: typing, a filter, or an error. */
bool list_has_status(const struct list *list);
/* Draws the rows into lines [y, y + h) of win and, when there is one, the
 * filter line as the last of them: what every list pane draws below its
 * own header lines. */
void list_draw_with_status(struct list *list, WINDOW *win, int y, int h, int w);
/* Draws that line ("/text_", "/filter (3 of 12)  Esc: clear", the error). */
void list_draw_status(struct list *list, WINDOW *win, int y, int w);

#endif
