/* fuzz-alertmanager: the Alertmanager API v2 parsers: the alert list (model
 * plus raw labels for silences), the reply to a silence, and the timestamps
 * they hold. Every body comes from the network. */
#include <stdlib.h>
#include <string.h>

#include "backends/alertmanager-parse.h"
#include "fuzz.h"
#include "sitrep/core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct alerts_data *d = NULL;
	struct am_raw *raw = NULL;
	size_t nraw = 0;
	char *err = NULL;
	if (am_parse_alerts(body, size, 200, &d, &raw, &nraw, &err) == 0) {
		for (size_t i = 0; i < d->nalerts; i++)
			if (d->alerts[i].name == NULL || d->alerts[i].severity == NULL ||
			    d->alerts[i].state == NULL || d->alerts[i].summary == NULL)
				abort();
		alerts_data_free(d);
		am_raw_free(raw, nraw);
	} else if (err == NULL) {
		abort();
	}
	free(err);

	char *id = NULL;
	err = NULL;
	if (am_parse_silence_reply(body, size, 200, &id, &err) == 0 && id == NULL)
		abort();
	free(id);
	free(err);

	char *text = xstrndup(body, size);
	(void)am_parse_time(text);
	free(text);
	return 0;
}
