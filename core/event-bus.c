/* event-bus: the bus (see event-bus.h). Synchronous delivery keeps the order of
 * events as they happened; the queue for events published by a subscriber
 * keeps delivery flat, so no subscriber runs inside another. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/event-bus.h"
#include "sitrep/core/util.h"

/* A copied event waiting for the current delivery to end; owns its strings. */
struct event_queued {
	struct event ev;
	char *strings[5]; /* pane, subject, text, key, name */
	struct event_queued *next;
};

static const char *const event_type_names[EVENT_TYPE_COUNT] = {
    [EVENT_DATA_CHANGED] = "data",
    [EVENT_STATE] = "state",
    [EVENT_DEPLOY] = "deploy",
    [EVENT_ACTION_REQUESTED] = "action_requested",
    [EVENT_ACTION_REFUSED] = "action_refused",
    [EVENT_ACTION_STARTED] = "action_started",
    [EVENT_ACTION_ENDED] = "action_ended",
    [EVENT_ACTION_PROGRESS] = "action_progress",
};

static const char *const event_level_names[] = {"info", "ok", "warn", "crit"};

const char *event_type_name(enum event_type type)
{
	return (unsigned)type < EVENT_TYPE_COUNT ? event_type_names[type] : "unknown";
}

int event_type_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < EVENT_TYPE_COUNT; i++)
		if (strcmp(event_type_names[i], name) == 0)
			return i;
	return -1;
}

const char *event_level_name(enum event_level level)
{
	return (unsigned)level < ARRAY_LEN(event_level_names) ? event_level_names[level] : "info";
}

int event_level_from_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < ARRAY_LEN(event_level_names); i++)
		if (strcmp(event_level_names[i], name) == 0)
			return (int)i;
	return -1;
}

int event_subscribe(struct event_bus *bus, uint32_t mask, event_cb cb, void *arg)
{
	if (bus == NULL || cb == NULL || (mask & EVENT_ALL) == 0)
		return -1;
	for (int i = 0; i < bus->nsubs; i++)
		if (bus->subs[i].cb == cb && bus->subs[i].arg == arg)
			return -1; /* twice would deliver twice, and unsubscribe once */
	if (bus->nsubs == bus->cap) {
		bus->cap = bus->cap > 0 ? bus->cap * 2 : 16;
		bus->subs = xrealloc(bus->subs, (size_t)bus->cap * sizeof(*bus->subs));
	}
	bus->subs[bus->nsubs++] = (struct event_sub){.mask = mask, .cb = cb, .arg = arg};
	return 0;
}

void event_unsubscribe(struct event_bus *bus, event_cb cb, void *arg)
{
	for (int i = 0; i < bus->nsubs; i++) {
		if (bus->subs[i].cb != cb || bus->subs[i].arg != arg)
			continue;
		memmove(&bus->subs[i], &bus->subs[i + 1],
		        (size_t)(bus->nsubs - i - 1) * sizeof(bus->subs[0]));
		bus->nsubs--;
		if (bus->nsubs == 0) {
			/* the last one gone: nothing left to own (a bus on the stack,
			 * in tests and `sitrep do`, is never cleared) */
			free(bus->subs);
			bus->subs = NULL;
			bus->cap = 0;
		}
		return;
	}
}

static void event_deliver(struct event_bus *bus, const struct event *ev)
{
	for (int i = 0; i < bus->nsubs; i++)
		if (bus->subs[i].mask & EVENT_BIT(ev->type))
			bus->subs[i].cb(ev, bus->subs[i].arg);
}

static char *event_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void event_publish(struct event_bus *bus, const struct event *in)
{
	if (bus == NULL)
		return;
	struct event ev = *in;
	if (ev.time_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ev.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if (bus->delivering) {
		struct event_queued *q = xcalloc(1, sizeof(*q));
		q->ev = ev;
		q->ev.pane = q->strings[0] = event_dup(ev.pane);
		q->ev.subject = q->strings[1] = event_dup(ev.subject);
		q->ev.text = q->strings[2] = event_dup(ev.text);
		q->ev.key = q->strings[3] = event_dup(ev.key);
		q->ev.name = q->strings[4] = event_dup(ev.name);
		if (bus->queue_tail != NULL)
			bus->queue_tail->next = q;
		else
			bus->queue = q;
		bus->queue_tail = q;
		return;
	}
	bus->delivering = true;
	event_deliver(bus, &ev);
	while (bus->queue != NULL) {
		struct event_queued *q = bus->queue;
		bus->queue = q->next;
		if (bus->queue == NULL)
			bus->queue_tail = NULL;
		event_deliver(bus, &q->ev);
		for (size_t i = 0; i < ARRAY_LEN(q->strings); i++)
			free(q->strings[i]);
		free(q);
	}
	bus->delivering = false;
}

void event_bus_clear(struct event_bus *bus)
{
	while (bus->queue != NULL) {
		struct event_queued *q = bus->queue;
		bus->queue = q->next;
		for (size_t i = 0; i < ARRAY_LEN(q->strings); i++)
			free(q->strings[i]);
		free(q);
	}
	bus->queue_tail = NULL;
	free(bus->subs);
	bus->subs = NULL;
	bus->nsubs = bus->cap = 0;
}
