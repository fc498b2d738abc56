/* fuzz-prometheus: the Prometheus HTTP API answer parser, instant and range
 * form. The body comes from the network; the range grid maps any timestamp
 * the server sends onto a fixed number of slots. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/prometheus-parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct prom_result r = {0};
	(void)prom_parse_query(body, size, 200, &r);
	prom_result_free(&r);

	struct prom_result q = {0};
	(void)prom_parse_query(body, size, 422, &q);
	prom_result_free(&q);

	/* the grid starts at the first sample's time, as the source asks for
	 * now - window: samples land on, between and outside the slots */
	double start = 0;
	const char *first = memmem(body, size, "[[", 2);
	if (first != NULL) {
		char num[32];
		size_t n = size - (size_t)(first + 2 - body);
		n = n < sizeof(num) - 1 ? n : sizeof(num) - 1;
		memcpy(num, first + 2, n);
		num[n] = '\0';
		start = strtod(num, NULL);
		if (!isfinite(start))
			start = 0;
	}
	static const struct {
		double step;
		size_t npoints;
	} grids[] = {{1, 31}, {15, 60}, {3600, 2}};
	for (size_t k = 0; k < sizeof(grids) / sizeof(grids[0]); k++) {
		struct prom_result g = {0};
		if (prom_parse_range(body, size, 200, start, grids[k].step, grids[k].npoints, &g) == 0)
			for (size_t i = 0; i < g.nseries; i++)
				if (g.series[i].npoints != grids[k].npoints)
					abort();
		prom_result_free(&g);
	}
	return 0;
}
