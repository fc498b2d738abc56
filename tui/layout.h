/* layout: where panes go on a W x H terminal. Pure arithmetic, no curses, so
 * that every arrangement (grid, stacked, zoomed, too small) is unit-tested.
 * The bottom row is always the status bar; panes share the rows above it. */
#ifndef SITREP_LAYOUT_H
#define SITREP_LAYOUT_H

#include <stdbool.h>

/* Below this the dashboard shows "terminal too small" instead of panes. */
#define LAYOUT_MIN_W 40
#define LAYOUT_MIN_H 10
/* From this width on panes go two per row. */
#define LAYOUT_WIDE_W 100
/* A pane is never shorter than this (border plus two rows); panes that do not
 * fit are hidden rather than squashed. */
#define LAYOUT_PANE_MIN_H 4

struct layout_rect {
	int y, x, h, w; /* h == 0: not shown */
};

enum layout_mode { LAYOUT_TOO_SMALL, LAYOUT_EMPTY, LAYOUT_GRID, LAYOUT_STACKED, LAYOUT_ZOOM };

/* Computes the rectangles of n panes on a w x h screen into panes[0..n) and
 * the status bar into *status. zoom is the index of the zoomed pane or -1;
 * focus (or -1) is kept visible when not every pane fits. Returns the mode;
 * under LAYOUT_TOO_SMALL every pane rectangle is empty and only the status
 * row may be used. */
enum layout_mode layout_compute(int w, int h, int n, int zoom, int focus, struct layout_rect *panes,
                                struct layout_rect *status);

#endif
