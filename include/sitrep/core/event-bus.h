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

/* The bus carries a small, closed set of generic events; what a state
 * means to a kind (an alert firing, an asset stale, a series crossing a
 * threshold) is the kind's to name in EVENT_STATE, so core never learns a
 * kind's vocabulary. */
enum event_type {
	EVENT_DATA_CHANGED, /* a pane's snapshot changed (never persisted) */
	/* Something a pane watches changed state: subject (what it is: a
	 * series, an alert, a path, the pane itself), key (its identity, when
	 * the subject is not enough), level (its state now: EVENT_OK is "over"),
	 * text, and name, the publisher's word for the state ("alert_firing",
	 * "asset_fresh") as the timeline stores and shows it. */
	EVENT_STATE,
	EVENT_DEPLOY,           /* a deploy was seen */
	EVENT_ACTION_REQUESTED, /* confirmed by the user, about to pass the gate */
	EVENT_ACTION_REFUSED,   /* read-only, not confirmed, busy, or audit failed */
	EVENT_ACTION_STARTED,
	EVENT_ACTION_ENDED,
	EVENT_ACTION_PROGRESS, /* a line of an action's output (a restart's), never persisted */
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
	/* EVENT_STATE: the state in a word, as the timeline stores and shows it
	 * ("alert_firing", "pane_recovered"); NULL: "state". Other types: NULL. */
	const char *name;
	/* EVENT_STATE: an occurrence (a new error group, a spike) rather than a
	 * state that lasts until the next event about its subject: the
	 * timeline records each one and never counts it as still open. */
	bool once;
};

typedef void (*event_cb)(const struct event *ev, void *arg);

/* The subscribers, in subscription order; the list grows as panes
 * subscribe (each one of a kind that follows the bus takes an entry). */
struct event_sub {
	uint32_t mask;
	event_cb cb;
	void *arg;
};

struct event_bus {
	struct event_sub *subs; /* owned; freed by event_bus_clear */
	int nsubs, cap;
	bool delivering;
	/* events published while delivering, copied, delivered in order after */
	struct event_queued *queue, *queue_tail;
};

/* Subscribes cb to the types in mask. 0, or -1 (nothing subscribed) when
 * bus or cb is NULL, mask names no type, or cb is already subscribed with
 * arg: a caller that cannot be told what it asked for must say so. */
int event_subscribe(struct event_bus *bus, uint32_t mask, event_cb cb, void *arg)
    __attribute__((warn_unused_result));
void event_unsubscribe(struct event_bus *bus, event_cb cb, void *arg);
/* Delivers ev to every subscriber of its type. bus NULL is a no-op (a source
 * under --check-config has no app). */
void event_publish(struct event_bus *bus, const struct event *ev);
/* Frees what is still queued and the subscriber list (at shutdown). */
void event_bus_clear(struct event_bus *bus);

/* "deploy", "state", "action_ended", ... as written in the timeline file
 * (an EVENT_STATE is written under its own name); and back. */
const char *event_type_name(enum event_type type);
int event_type_from_name(const char *name);           /* -1 when unknown */
const char *event_level_name(enum event_level level); /* "info", "ok", "warn", "crit" */
int event_level_from_name(const char *name);

#endif
