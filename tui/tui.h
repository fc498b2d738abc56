/* tui: the terminal dashboard as the app sees it. Everything about ncurses
 * stays behind this interface. */
#ifndef SITREP_TUI_H
#define SITREP_TUI_H

#include <stdbool.h>

#include "sitrep/core/app.h"

struct tui;

/* What main.c hands to app_run_dashboard. */
extern const struct app_frontend tui_frontend;

/* Sets up the terminal (TERM fallback, colours, theme, crash restore) and
 * registers input, resize and draw handles on app->loop. NULL with a message on
 * stderr when the terminal cannot be used. */
struct tui *tui_start(struct app *app);
/* A pane's snapshot changed: redraw it on this loop pass. */
void tui_mark_dirty(struct tui *tui, int pane_index);
/* Restores the terminal and closes the handles (memory freed in close callbacks). */
void tui_stop(struct tui *tui);

#endif
