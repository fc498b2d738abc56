/* marks: the deploy times graphs mark (see marks.h). A small ring of the
 * latest deploys, fed by EVENT_DEPLOY and by the deploys kind's first look
 * at its history. The app holds it (app->marks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/app.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

struct marks {
	const struct app *app;
	struct event_bus *bus;
	struct mark ring[MARKS_MAX]; /* oldest first */
	size_t n;
	uint64_t seq;
};

static void marks_put(struct marks *m, int64_t time_ms, const char *id, bool deployed);

static void marks_on_deploy(const struct event *ev, void *arg)
{
	struct marks *m = arg;
	const char *id = ev->key != NULL ? ev->key : ev->subject;
	marks_put(m, ev->time_ms, id != NULL ? id : "?", true);
}

struct marks *marks_open(struct app *app)
{
	struct marks *m = xcalloc(1, sizeof(*m));
	m->app = app;
	m->bus = &app->bus;
	if (event_subscribe(m->bus, EVENT_BIT(EVENT_DEPLOY), marks_on_deploy, m) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void marks_close(struct marks *m)
{
	if (m == NULL)
		return;
	event_unsubscribe(m->bus, marks_on_deploy, m);
	free(m);
}

struct marks *marks_of(const struct app *app)
{
	return app != NULL ? app->marks : NULL;
}

void marks_add(struct marks *m, int64_t time_ms, const char *id)
{
	marks_put(m, time_ms, id, false);
}

static void marks_put(struct marks *m, int64_t time_ms, const char *id, bool deployed)
{
	if (m == NULL || time_ms <= 0 || id == NULL)
		return;
	/* bounded so that the cut marker still fits the id */
	char *clean = sanitize(id, strlen(id), MARKS_ID_MAX - 24);
	for (size_t i = 0; i < m->n; i++) {
		if (m->ring[i].time_ms == time_ms && strcmp(m->ring[i].id, clean) == 0) {
			m->ring[i].deployed = m->ring[i].deployed || deployed;
			free(clean);
			return;
		}
	}
	if (m->n == MARKS_MAX) {
		memmove(&m->ring[0], &m->ring[1], (MARKS_MAX - 1) * sizeof(m->ring[0]));
		m->n--;
	}
	struct mark *k = &m->ring[m->n++];
	k->time_ms = time_ms;
	k->seq = ++m->seq;
	k->deployed = deployed;
	snprintf(k->id, sizeof(k->id), "%s", clean);
	free(clean);
}

size_t marks_count(const struct marks *m)
{
	return m != NULL ? m->n : 0;
}

const struct mark *marks_at(const struct marks *m, size_t i)
{
	return m != NULL && i < m->n ? &m->ring[i] : NULL;
}

const struct mark *marks_latest(const struct marks *m)
{
	const struct mark *best = NULL;
	for (size_t i = 0; m != NULL && i < m->n; i++)
		if (best == NULL || m->ring[i].time_ms > best->time_ms ||
		    (m->ring[i].time_ms == best->time_ms && m->ring[i].seq > best->seq))
			best = &m->ring[i];
	return best;
}

const struct mark *marks_last_deploy(const struct marks *m)
{
	const struct mark *best = NULL;
	for (size_t i = 0; m != NULL && i < m->n; i++)
		if (m->ring[i].deployed &&
		    (best == NULL || m->ring[i].time_ms > best->time_ms ||
		     (m->ring[i].time_ms == best->time_ms && m->ring[i].seq > best->seq)))
			best = &m->ring[i];
	return best;
}

const struct mark *marks_at_time(const struct marks *m, int64_t time_ms)
{
	for (size_t i = m != NULL ? m->n : 0; i > 0; i--)
		if (m->ring[i - 1].time_ms == time_ms)
			return &m->ring[i - 1];
	return NULL;
}

size_t marks_cells(const struct marks *m, int64_t end_ms, int64_t step_ms, size_t n, int *cells, size_t cap)
{
	size_t out = 0;
	if (m == NULL || step_ms <= 0 || n == 0)
		return 0;
	for (size_t i = 0; i < m->n && out < cap; i++) {
		int64_t t = m->ring[i].time_ms;
		if (t > end_ms)
			continue; /* newer than the newest sample: it shows on the next */
		int64_t k = (end_ms - t) / step_ms;
		if (k < 0 || (uint64_t)k >= n)
			continue;
		cells[out++] = (int)k;
	}
	return out;
}
