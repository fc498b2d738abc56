/* fuzz-config: the config loader as --check-config runs it: core/jsonc.c
 * parses the text, config_load_text checks the global keys and the panes, and
 * app_create_sources runs every source's init (which reads and checks its own
 * keys, and compiles a logs pane's patterns). Nothing is started. A secret's
 * "token_file" is the one read a config can cause; it is bounded in size,
 * and in time on a FIFO (10 s without data: core/config.c). */
#include <string.h>

#include "fuzz.h"
#include "sitrep/core/app.h"
#include "backends/sources.h"
#include "sitrep/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sources_register();
	struct app app;
	struct config_error err = {0};
	char msg[1200];
	memset(&app, 0, sizeof(app));
	if (config_load_text(&app.cfg, "<fuzz>", (const char *)data, size, &err) == 0)
		(void)app_create_sources(&app, &err);
	else
		config_error_format(&err, msg, sizeof(msg));
	app_free(&app);
	return 0;
}
