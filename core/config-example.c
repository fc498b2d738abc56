/* config-example: the complete, commented example printed by
 * --example-config. It must always pass --check-config (a test holds it to
 * that), so it only names sources this build has; the environment variables
 * it mentions are only read when a pane uses them. */
#include "sitrep/config.h"

const char config_example_text[] =
	"// sitrep example config: copy to ~/.config/sitrep/config.json and edit.\n"
	"// JSON with // and /* */ comments. Unknown keys are errors, reported as\n"
	"// FILE:LINE:COL. Check a file with: sitrep --check-config -c FILE\n"
	"{\n"
	"  // seconds between refreshes of every pane (a pane may set its own)\n"
	"  \"refresh_seconds\": 2,\n"
	"  // default, mono, high-contrast, solarized-dark, solarized-light\n"
	"  \"theme\": \"default\",\n"
	"  // observers: every action is refused (also --read-only, SITREP_READ_ONLY=1)\n"
	"  \"read_only\": false,\n"
	"  // mouse: click focuses a pane, the wheel scrolls it\n"
	"  \"mouse\": true,\n"
	"  // where the audit log and timeline are kept\n"
	"  // \"state_dir\": \"/var/lib/sitrep\",\n"
	"  // rebind keys: action -> key (one character, or Tab, S-Tab, Enter, F1..F12, PgUp ...)\n"
	"  \"keys\": { \"quit\": \"q\", \"help\": \"?\" },\n"
	"  \"panes\": [\n"
	"    // this machine: CPU, load, memory, filesystems, disk and network rates, top processes\n"
	"    { \"id\": \"host\", \"kind\": \"metrics\", \"source\": \"procfs\",\n"
	"      \"cpu_warn\": 80, \"cpu_crit\": 95, \"memory_warn\": 85, \"memory_crit\": 95 },\n"
	"\n"
	"    // a note: text shown as is, e.g. where the runbook lives\n"
	"    { \"id\": \"runbook\", \"kind\": \"deploys\", \"source\": \"note\",\n"
	"      \"text\": \"Runbook: https://wiki.example.com/oncall\" }\n"
	"  ]\n"
	"}\n";
