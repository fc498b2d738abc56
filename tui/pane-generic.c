/* pane-generic: the pane of kinds that have no pane of their own yet. It
 * shows the kind's plain --once text (kind_ops.print), which every kind has,
 * so data is visible on screen from the day a source publishes it. The
 * frame already shows state, error, note and warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/kind.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"
#include "tui-internal.h"

static void pane_generic_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	const struct snapshot *snap = &pane->src->snap;
	char *text = NULL;
	size_t len = 0;
	if (snap->kind != NULL && snap->kind->print != NULL) {
		FILE *mem = open_memstream(&text, &len);
		if (mem != NULL) {
			snap->kind->print(snap->data, mem);
			fclose(mem);
		}
	}
	/* Split into lines; the text came from the snapshot and is sanitized. */
	int nlines = 0;
	for (size_t i = 0; text != NULL && i < len; i++)
		if (text[i] == '\n' || i + 1 == len)
			nlines++;
	if (pane->scroll > nlines - h)
		pane->scroll = nlines - h > 0 ? nlines - h : 0;
	const char *p = text;
	int line = 0, y = 0;
	while (p != NULL && *p != '\0' && y < h) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (line >= pane->scroll) {
			char *one = xstrndup(p, n);
			/* Indentation from print() is for a terminal log; keep it. */
			widgets_text(win, y++, 0, w, one, ROLE_NORMAL);
			free(one);
		}
		line++;
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (text == NULL && y < h)
		widgets_text(win, y++, 0, w, "(no view for this kind yet)", ROLE_DIM);
	for (; y < h; y++)
		widgets_fill(win, y, 0, w, ROLE_NORMAL);
	free(text);
}

const struct pane_ops pane_generic = {
    .kind = "generic",
    .draw = pane_generic_draw,
};
