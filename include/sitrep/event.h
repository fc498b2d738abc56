/* event: the bus. Sources and the action gate publish typed events; the TUI,
 * the timeline, the logs' "new since deploy" and the status hint subscribe.
 * No layer calls upward: a lower layer publishes, a higher one has
 * subscribed.
 *
 * Delivery is synchronous, in subscription order. A subscriber records or
 * marks something dirty; an event published from inside a subscriber is
 * queued and delivered after the current one, so subscribers never nest. */
#ifndef SITREP_EVENT_H
#define SITREP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum event_type {
	EVENT_DATA_CHANGED,     /* a pane's snapshot changed (never persisted) */
	EVENT_PANE_FAILED,      /* a pane's source began failing */
	EVENT_PANE_RECOVERED,   /* ... and works again */
	EVENT_STATUS_CHANGED,   /* a series or check moved between ok, warn and crit */
	EVENT_NEW_ERROR,        /* a new error fingerprint group */
	EVENT_ERROR_SPIKE,      /* the error rate jumped */
	EVENT_DEPLOY,           /* a deploy was seen */
	EVENT_ASSET_STALE,      /* the CDN edge serves an old copy */
	EVENT_ASSET_FRESH,      /* ... and the current one again */
	EVENT_ALERT_FIRING,
	EVENT_ALERT_RESOLVED,
	EVENT_ACTION_REQUESTED, /* confirmed by the user, about to pass the gate */
	EVENT_ACTION_REFUSED,   /* read-only, not confirmed, busy, or audit failed */
	EVENT_ACTION_STARTED,
	EVENT_ACTION_ENDED,
	EVENT_ACTION_PROGRESS,  /* a line of an action's output (a restart's), never persisted */
	EVENT_TYPE_COUNT
};

enum event_level { EVENT_INFO, EVENT_OK, EVENT_WARN, EVENT_CRIT };

#define EVENT_BIT(t) (1u << (t))
#define EVENT_ALL    ((1u << EVENT_TYPE_COUNT) - 1)
/* What the timeline keeps: everything but the per-refresh data changes. */
#define EVENT_PERSISTED (EVENT_ALL & ~EVENT_BIT(EVENT_DATA_CHANGED) & ~EVENT_BIT(EVENT_ACTION_PROGRESS))

/* An event. Strings are borrowed for the call; a subscriber copies what it
 * keeps. Text fields are sanitized by the publisher. */
struct event {
	enum event_type type;
	enum event_level level;
	int64_t time_ms;     /* wall clock; 0: now (filled by event_publish) */
	const char *pane;    /* pane id, or NULL */
	int pane_index;      /* index of the pane in the config, -1: none */
	const char *subject; /* what it is about: a series, an alert, a path, a verb */
	const char *text;    /* one sentence for people */
	const char *key;     /* a stable identity (fingerprint, deploy id), or NULL */
};

typedef void (*event_cb)(const struct event *ev, void *arg);

#define EVENT_MAX_SUBSCRIBERS 16

struct event_bus {
	struct {
		uint32_t mask;
		event_cb cb;
		void *arg;
	} subs[EVENT_MAX_SUBSCRIBERS];
	int nsubs;
	bool delivering;
	/* events published while delivering, copied, delivered in order after */
	struct event_queued *queue, *queue_tail;
};

/* Subscribes cb to the types in mask. 0, or -1 when the table is full. */
int event_subscribe(struct event_bus *bus, uint32_t mask, event_cb cb, void *arg);
void event_unsubscribe(struct event_bus *bus, event_cb cb, void *arg);
/* Delivers ev to every subscriber of its type. bus NULL is a no-op (a source
 * under --check-config has no app). */
void event_publish(struct event_bus *bus, const struct event *ev);
/* Frees what is still queued (at shutdown). */
void event_bus_clear(struct event_bus *bus);

/* "deploy", "new_error", ... as written in the timeline file; and back. */
const char *event_type_name(enum event_type type);
int event_type_from_name(const char *name); /* -1 when unknown */
const char *event_level_name(enum event_level level); /* "info", "ok", "warn", "crit" */
int event_level_from_name(const char *name);

#endif
