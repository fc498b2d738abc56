/* Temporary stand-ins until the tui branch is merged. */
#include <stdio.h>
#include "sitrep/sources.h"
#include "sitrep/tui.h"
#include "sitrep/app.h"

struct tui *tui_start(struct app *app) { fprintf(stderr, "no tui yet\n"); return NULL; }
void tui_mark_dirty(struct tui *tui, int i) {}
void tui_stop(struct tui *tui) {}
