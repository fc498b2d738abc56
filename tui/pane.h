/* pane: the interface every pane kind implements on screen. A pane draws only
 * from its source's snapshot and its own view state (selection, scroll,
 * filter), with theme roles. Adding a pane kind is one file tui/pane-KIND.c
 * plus one line in tui/pane.c. */
#ifndef SITREP_PANE_H
#define SITREP_PANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

struct action;
struct source;
struct pane;

struct pane_ops {
	const char *kind;
	/* Draws the inside of the pane (the frame and title are drawn for it) into
	 * win, whose size is h x w. Must draw every cell it owns (no erase). */
	void (*draw)(struct pane *pane, WINDOW *win, int h, int w);
	/* Optional: a key while focused. Returns true when used (and marks dirty).
	 * For keys bound to an action, ch is the action's default key (KEY_DOWN
	 * for "down", '/' for "filter", 'p' for "purge", ...) whatever the user
	 * rebound it to, so panes test default keys only. While grab_keys is set
	 * (text entry) the pane gets every raw key first. */
	bool (*key)(struct pane *pane, int ch);
	/* Optional: fills a verb's action from the pane's selection (target,
	 * selection, arguments: see action.h), for the one confirmation dialog.
	 * 0, or -1 with a message in err (nothing selected). Without it a verb
	 * acts on the pane as a whole (target: the pane's id). */
	int (*select)(struct pane *pane, struct action *action, char *err, size_t cap);
	/* Optional: a line of detail for Enter, allocated; NULL when nothing selected. */
	char *(*detail)(struct pane *pane);
	/* Optional: frees pane->view. */
	void (*free)(struct pane *pane);
};

struct pane {
	const struct pane_ops *ops;
	struct source *src;
	int index;
	WINDOW *win;    /* inner window (inside the border) */
	WINDOW *frame;  /* outer window with border and title */
	int y, x, h, w; /* outer geometry */
	bool dirty;
	bool focused;
	int scroll;   /* first row shown */
	int selected; /* selected row, -1 none */
	void *view;   /* kind-specific view state */
	uint64_t drawn_generation;
	bool grab_keys; /* text entry in progress: raw keys go to ops->key first */
	/* Owned by tui/pane.c: */
	bool frame_dirty; /* only the frame's clock text (ages) changed */
	int reserved;     /* rows above win used for the error and note lines */
	char clock[96];   /* state and age texts as last drawn */
};

const struct pane_ops *pane_ops_find(const char *kind);
/* Marks the pane for redraw on this loop pass. */
void pane_mark_dirty(struct pane *pane);
/* Selects row sel, kept among the nrows rows (-1 when there are none), and
 * marks the pane dirty; returns true, as a key hook that used the key does. */
bool pane_select(struct pane *pane, int sel, int nrows);
/* Keeps the selection inside nrows and the scroll such that the selection is
 * among the `visible` rows shown; every list pane calls it before drawing. */
void pane_clamp_scroll(struct pane *pane, int nrows, int visible);
/* Rows of body the pane had when last drawn (for page keys); >= 1. */
int pane_body_rows(const struct pane *pane);

extern const struct pane_ops pane_metrics;
extern const struct pane_ops pane_logs;
extern const struct pane_ops pane_timeline;
extern const struct pane_ops pane_generic; /* kinds without a pane yet */
/* The timeline pane's selected row (replay's Enter jumps to it); NULL for
 * another pane or no selection. Owned by the pane's snapshot. */
struct timeline_entry;
const struct timeline_entry *pane_timeline_selected(struct pane *pane);

#endif
