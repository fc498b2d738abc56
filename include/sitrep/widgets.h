/* widgets: the drawing primitives every pane uses: role attributes, text
 * clipped to display columns, sparklines, bars. Glyphs fall back to ASCII when
 * the locale is not UTF-8. */
#ifndef SITREP_WIDGETS_H
#define SITREP_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "sitrep/theme.h"

/* Set once by the screen at start. */
void widgets_setup(bool utf8, const struct theme *theme, int colors);
bool widgets_utf8(void);
/* The attribute (colour pair and flags) of a role. */
attr_t widgets_attr(enum role role);
/* Display width of UTF-8 text (sanitized text: every char is printable). */
int widgets_width(const char *text);
/* Draws text at (y, x) clipped to w columns and pads with spaces to w.
 * Returns the columns the text used. */
int widgets_text(WINDOW *win, int y, int x, int w, const char *text, enum role role);
/* Same without padding; returns columns used. */
int widgets_text_nopad(WINDOW *win, int y, int x, int w, const char *text, enum role role);
/* A sparkline of the last w values (NaN: gap), scaled to [lo, hi]; lo == hi:
 * auto-scale over the values shown. */
void widgets_sparkline(WINDOW *win, int y, int x, int w, const double *values, size_t n,
		       double lo, double hi, enum role role);
/* A horizontal bar filled to pct (0..100). */
void widgets_bar(WINDOW *win, int y, int x, int w, double pct, enum role role);
/* Role for a metrics level. */
enum role widgets_level_role(int level);

#endif
