/* dialog: a centred popup over the panes, for the details of a selected row
 * and for the help. The text is wrapped to the popup's width at draw time
 * (so a resize rewraps it) and scrolls with the movement keys; Esc closes.
 * The popup is its own window queued after the panes, so a pane redrawn
 * underneath never shows through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/util.h"
#include "sitrep/widgets.h"
#include "tui-internal.h"

#define DIALOG_MAX_W 100

struct dialog *dialog_open(const char *title, char *text)
{
	struct dialog *dlg = xcalloc(1, sizeof(*dlg));
	dlg->title = xstrdup(title != NULL ? title : "");
	dlg->text = text != NULL ? text : xstrdup("");
	dlg->dirty = true;
	return dlg;
}

void dialog_close(struct dialog *dlg)
{
	if (dlg == NULL)
		return;
	if (dlg->win != NULL)
		delwin(dlg->win);
	free(dlg->title);
	free(dlg->text);
	free(dlg);
}

/* Calls out(line, len) for each wrapped row; returns the number of rows. */
static int dialog_wrap(const char *text, int w, void (*out)(void *ctx, int row, const char *line, size_t len),
                       void *ctx)
{
	int rows = 0;
	const char *p = text;
	while (p != NULL) {
		size_t len;
		const char *next = widgets_wrap(p, w, &len);
		if (out != NULL)
			out(ctx, rows, p, len);
		rows++;
		p = next;
	}
	return rows;
}

static int dialog_longest(const char *text)
{
	int longest = 0;
	const char *p = text;
	while (p != NULL && *p != '\0') {
		int cols;
		size_t n = widgets_fit(p, 10000, &cols);
		if (cols > longest)
			longest = cols;
		p = p[n] == '\n' ? p + n + 1 : NULL;
	}
	return longest;
}

struct dialog_draw_ctx {
	struct dialog *dlg;
	int w;
};

static void dialog_draw_row(void *ctx, int row, const char *line, size_t len)
{
	struct dialog_draw_ctx *c = ctx;
	struct dialog *dlg = c->dlg;
	int y = row - dlg->scroll;
	if (y < 0 || y >= dlg->body_h)
		return;
	char *one = xstrndup(line, len);
	widgets_text(dlg->win, 1 + y, 2, c->w, one, ROLE_HELP);
	free(one);
}

void dialog_draw(struct dialog *dlg, bool force)
{
	int w = dialog_longest(dlg->text) + 4;
	int tw = widgets_width(dlg->title) + 6;
	if (w < tw)
		w = tw;
	if (w < 36)
		w = 36;
	if (w > DIALOG_MAX_W)
		w = DIALOG_MAX_W;
	if (w > COLS - 2)
		w = COLS - 2;
	int iw = w - 4;
	if (iw < 1)
		return;
	int rows = dialog_wrap(dlg->text, iw, NULL, NULL);
	int h = rows + 2;
	if (h > LINES - 2)
		h = LINES - 2;
	if (h < 3)
		return;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;
	if (dlg->win == NULL || getmaxy(dlg->win) != h || getmaxx(dlg->win) != w || getbegy(dlg->win) != y ||
	    getbegx(dlg->win) != x) {
		if (dlg->win != NULL)
			delwin(dlg->win);
		dlg->win = newwin(h, w, y, x);
		if (dlg->win == NULL)
			return;
		leaveok(dlg->win, TRUE);
		dlg->dirty = true;
	}
	if (!dlg->dirty) {
		if (force) {
			touchwin(dlg->win);
			wnoutrefresh(dlg->win);
		}
		return;
	}
	dlg->rows = rows;
	dlg->body_h = h - 2;
	if (dlg->scroll > rows - dlg->body_h)
		dlg->scroll = rows - dlg->body_h;
	if (dlg->scroll < 0)
		dlg->scroll = 0;

	widgets_box(dlg->win, ROLE_BORDER_FOCUS);
	for (int r = 1; r < h - 1; r++) {
		widgets_fill(dlg->win, r, 1, 1, ROLE_HELP);
		widgets_fill(dlg->win, r, w - 2, 1, ROLE_HELP);
	}
	char title[200];
	snprintf(title, sizeof(title), " %s ", dlg->title);
	widgets_text_nopad(dlg->win, 0, 2, w - 4, title, ROLE_TITLE_FOCUS);
	struct dialog_draw_ctx ctx = {dlg, iw};
	dialog_wrap(dlg->text, iw, dialog_draw_row, &ctx);
	for (int r = rows - dlg->scroll; r < dlg->body_h; r++)
		widgets_fill(dlg->win, 1 + r, 2, iw, ROLE_HELP);
	char hint[64];
	if (rows > dlg->body_h)
		snprintf(hint, sizeof(hint), " Esc close  j/k scroll %d/%d ", dlg->scroll + dlg->body_h,
		         rows);
	else
		snprintf(hint, sizeof(hint), " Esc close ");
	int hw = widgets_width(hint);
	if (hw < w - 4)
		widgets_text_nopad(dlg->win, h - 1, w - 2 - hw, hw, hint, ROLE_DIM);
	touchwin(dlg->win);
	wnoutrefresh(dlg->win);
	dlg->dirty = false;
}

bool dialog_key(struct dialog *dlg, enum keymap_action action, int key)
{
	int page = dlg->body_h > 1 ? dlg->body_h - 1 : 1;
	int before = dlg->scroll;
	if (key == 27 || action == KEYMAP_QUIT || action == KEYMAP_DETAIL || action == KEYMAP_HELP)
		return true;
	switch (action) {
	case KEYMAP_UP: dlg->scroll--; break;
	case KEYMAP_DOWN: dlg->scroll++; break;
	case KEYMAP_PAGE_UP: dlg->scroll -= page; break;
	case KEYMAP_PAGE_DOWN: dlg->scroll += page; break;
	case KEYMAP_TOP: dlg->scroll = 0; break;
	case KEYMAP_BOTTOM: dlg->scroll = dlg->rows; break;
	default: break;
	}
	if (dlg->scroll > dlg->rows - dlg->body_h)
		dlg->scroll = dlg->rows - dlg->body_h;
	if (dlg->scroll < 0)
		dlg->scroll = 0;
	if (dlg->scroll != before)
		dlg->dirty = true;
	return false;
}
