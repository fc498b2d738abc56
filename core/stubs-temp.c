/* Temporary stand-ins until the procfs and tui branches are merged. */
#include <stdio.h>
#include "sitrep/sources.h"
#include "sitrep/tui.h"
#include "sitrep/metrics.h"
#include "sitrep/app.h"

static int stub_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	return 0;
}
static void stub_refresh(struct source *src)
{
	struct metrics_data *m = metrics_data_new();
	metrics_set_value(metrics_add_series(m, "CPU", "%"), 1.0);
	source_publish(src, m);
}
const struct source_ops source_procfs = {.name = "procfs", .kind = "metrics", .init = stub_init, .refresh = stub_refresh};
struct tui *tui_start(struct app *app) { fprintf(stderr, "no tui yet\n"); return NULL; }
void tui_mark_dirty(struct tui *tui, int i) {}
void tui_stop(struct tui *tui) {}
