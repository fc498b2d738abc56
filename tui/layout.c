/* layout: pane rectangles from the terminal size. Panes are arranged in rows:
 * two per row on wide terminals (an odd last pane spans the row), one per row
 * otherwise. Rows share the height equally; when they cannot all have
 * LAYOUT_PANE_MIN_H rows, a window of rows around the focused pane is shown and
 * the others are hidden (h == 0), so a pane is never drawn squashed. */
#include <stddef.h>

#include "tui/layout.h"

static const struct layout_rect layout_none = {0, 0, 0, 0};

enum layout_mode layout_compute(int w, int h, int n, int zoom, int focus, struct layout_rect *panes,
                                struct layout_rect *status)
{
	for (int i = 0; i < n; i++)
		panes[i] = layout_none;
	*status = layout_none;
	if (w < LAYOUT_MIN_W || h < LAYOUT_MIN_H)
		return LAYOUT_TOO_SMALL;

	*status = (struct layout_rect){h - 1, 0, 1, w};
	if (n <= 0)
		return LAYOUT_EMPTY;

	int area = h - 1;
	if (zoom >= 0 && zoom < n) {
		panes[zoom] = (struct layout_rect){0, 0, area, w};
		return LAYOUT_ZOOM;
	}

	int cols = (w >= LAYOUT_WIDE_W && n >= 2) ? 2 : 1;
	int rows = (n + cols - 1) / cols;
	int shown = area / LAYOUT_PANE_MIN_H;
	if (shown > rows)
		shown = rows;
	if (shown < 1)
		shown = 1;

	/* The first visible row: 0, or late enough that the focused row shows. */
	int first = 0;
	int focus_row = (focus >= 0 && focus < n) ? focus / cols : 0;
	if (focus_row >= shown)
		first = focus_row - shown + 1;

	int base = area / shown, extra = area % shown;
	int y = 0;
	for (int r = first; r < first + shown; r++) {
		int rh = base + (r - first < extra ? 1 : 0);
		int i = r * cols;
		if (cols == 1 || i + 1 >= n) {
			panes[i] = (struct layout_rect){y, 0, rh, w};
		} else {
			int left = w / 2;
			panes[i] = (struct layout_rect){y, 0, rh, left};
			panes[i + 1] = (struct layout_rect){y, left, rh, w - left};
		}
		y += rh;
	}
	return cols == 2 ? LAYOUT_GRID : LAYOUT_STACKED;
}
