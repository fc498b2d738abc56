/* timeline: the persisted incident timeline. For now it is the audit log of
 * actions (state_dir/audit.jsonl, written by core/action.c): every action
 * tried, refused, started, succeeded or failed, with who and when. */
#ifndef SITREP_TIMELINE_H
#define SITREP_TIMELINE_H

struct app;

/* `sitrep timeline [--markdown]`: prints the timeline to stdout. Returns the
 * exit code: 0, or 2 for bad usage. */
int timeline_cli(const struct app *app, int argc, char **argv);

#endif
