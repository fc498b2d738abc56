#!/usr/bin/env bash
# Integration: the Markdown export is inert. A postmortem pasted into a wiki
# must render no markup that came from outside text, whatever the dialect:
# every export below is rendered by real renderers (CommonMark's cmark,
# GitHub's cmark-gfm with its table, autolink, strikethrough and tasklist
# extensions, Python-Markdown with and without tables), raw HTML allowed, and
# the HTML may hold nothing but the export's own title, table and code spans.
#  1. a hostile corpus (every markup construct: raw HTML, comments, links,
#     images, reference definitions, autolinks, bare URLs, entities, headings,
#     tables, emphasis, line-start markers, fences, backslashes, pipes and
#     backticks of every run length, newlines) in every field of both state
#     files, exported by `sitrep timeline --markdown`; under GFM each string
#     comes out as the whole text of its cell, in a table of six columns;
#  2. the dashboard's `e`: hostile log lines become new error groups, the
#     export is a new 0600 file, and it renders inert too.
source "$(dirname "$0")/../lib.sh"
for tool in cmark cmark-gfm markdown_py tmux; do
	command -v "$tool" >/dev/null || skip_all "$tool not installed (scripts/install-deps --test)"
done
# the Debian python that has python3-markdown, whatever python3 is first on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cat >"$TMP/mdcheck.py" <<'PY'
# mdcheck.py RENDERER FILE.md [CORPUS.json]: renders FILE.md and fails when
# the HTML has anything the export's own skeleton does not.
import html.parser, json, subprocess, sys

renderer, path = sys.argv[1], sys.argv[2]
cmds = {
    "cmark": ["cmark", "--unsafe"],
    "cmark-gfm": ["cmark-gfm", "--unsafe", "-e", "table", "-e", "autolink", "-e", "strikethrough",
                  "-e", "tasklist"],
    "markdown": ["markdown_py"],
    "markdown-tables": ["markdown_py", "-x", "tables"],
}
out = subprocess.run(cmds[renderer] + [path], check=True, capture_output=True, text=True).stdout
allowed = {"h2", "table", "thead", "tbody", "tr", "th", "td", "code", "p"}


class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad, self.cells, self.cell, self.h2, self.rows, self.row = [], [], None, 0, [], 0

    def handle_starttag(self, tag, attrs):
        if tag not in allowed or attrs:
            self.bad.append("<%s %s>" % (tag, attrs))
        self.h2 += tag == "h2"
        if tag == "tr":
            self.row = 0
        if tag in ("td", "th"):
            self.cell = ""
            self.row += 1

    def handle_startendtag(self, tag, attrs):
        self.bad.append("<%s %s/>" % (tag, attrs))

    def handle_endtag(self, tag):
        if tag not in allowed:
            self.bad.append("</%s>" % tag)
        if tag == "tr":
            self.rows.append(self.row)
        if tag in ("td", "th"):
            self.cells.append(self.cell or "")
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_comment(self, data):
        self.bad.append("<!--%s-->" % data)

    def handle_decl(self, decl):
        self.bad.append("<!%s>" % decl)

    def handle_pi(self, data):
        self.bad.append("<?%s>" % data)

    def unknown_decl(self, data):
        self.bad.append("<![%s]>" % data)


c = Check()
c.feed(out)
c.close()
fail = []
if c.bad:
    fail.append("markup from outside text: " + " ".join(c.bad[:12]))
if c.h2 != 1:
    fail.append("%d headings, not the one title" % c.h2)
if renderer in ("cmark-gfm", "markdown-tables"):
    if not c.rows or any(n != 6 for n in c.rows):
        fail.append("a row that is not six cells: %r" % sorted(set(c.rows)))
if len(sys.argv) > 3:
    # strings with control characters are shown in the sanitizer's visible
    # form (^J): the others come out whole, as the text of a cell
    corpus = [s for s in json.load(open(sys.argv[3])) if not any(ord(ch) < 32 for ch in s)]
    cells = set(x.strip() for x in c.cells)
    lost = [s for s in corpus if s.strip() and s.strip() not in cells]
    if lost:
        fail.append("%d strings not shown as they are: %r" % (len(lost), lost[:8]))
for f in fail:
    print("# %s: %s" % (renderer, f))
sys.exit(1 if fail else 0)
PY

# --- 1. the corpus, in every field of both files --------------------------
mkdir -m 700 "$TMP/state"
cat >"$TMP/corpus.py" <<'PY'
import json, sys
C = [
    '<img src=x onerror=alert(1)>', '<iframe src="javascript:alert(1)"></iframe>',
    '<!-- hidden comment -->', '<!-- unclosed', '<script>alert(1)</script>', '<div>block</div>',
    '<details><summary>s</summary>d</details>', '</td></tr></table><img src=x>', '<b>bold</b>',
    'x<br>y', '<b\n>', '\\<b>', '<?php x ?>', '<![CDATA[x]]>', '<!DOCTYPE html>',
    '[click](javascript:alert(1))', '![track](http://tracker.example/pixel.gif)',
    '[![i](http://x.example/i.png)](http://x.example)', '[a](<b c>)', '[ref][1]',
    '[1]: http://evil.example/ref', '[shortcut]', '[shortcut]: http://evil.example/short',
    '[x]: javascript:alert(1)', '<http://autolink.example>', '<https://x.example>',
    '<mailto:a@b.example>', '<a@b.example>', 'http://bare.example/path', 'www.bare.example',
    'user@bare.example', '&lt;b&gt;', '&amp;', '&#x3C;img src=x&#x3E;', '&copy;', '&#0;', '&#X26;',
    '# heading', '## h2', '###### h6', 'Title\n===', 'Title\n---', '| a | b |', '|---|---|',
    'a | b', '|', '||', '*em* _em_ **strong** __strong__ ~~del~~ ~del~', '*', '_', '**',
    '> quote', '- item', '1. item', '+ item', '* item', '- [ ] task', '- [x] done', '***', '---',
    '___', '```', '```js\nalert(1)\n```', '~~~', '    indented code', '\t<b>tab</b>', 'a  \nb',
    '\\', '\\\\', '\\|', '\\*not em\\*', 'a\\', '\\`', '`', '``', '```x```', '`a`', '``a``',
    'a`b``c```d````e', '`start', 'end`', ' ` ', '`' * 40, '[^1]', '$x$', '$$x$$', ':smile:',
    'line1\nline2', 'x\r\n<b>y</b>', '  leading', 'trailing  ', 'plain words, no-markup',
]
base = 1796083200000  # 2026-11-30T00:00:00Z
with open(sys.argv[1] + "/timeline.jsonl", "w") as f:
    for i, c in enumerate(C):
        f.write(json.dumps({"ms": base + i * 1000, "type": "new_error", "level": c, "pane": c,
                            "subject": c, "text": c}) + "\n")
with open(sys.argv[1] + "/audit.jsonl", "w") as f:
    for i, c in enumerate(C):
        f.write(json.dumps({"ms": base + 3600000 + i * 1000, "user": c, "action": c, "target": c,
                            "pane": c, "result": c, "detail": c}) + "\n")
json.dump(C, open(sys.argv[2], "w"))
PY
"$PY" "$TMP/corpus.py" "$TMP/state" "$TMP/corpus.json"
chmod 600 "$TMP/state"/*.jsonl
cat >"$TMP/files.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [ { "id": "story", "kind": "timeline" } ] }
JSON
chmod 600 "$TMP/files.json"
"$SITREP" timeline --markdown -c "$TMP/files.json" >"$TMP/corpus.md" 2>"$TMP/corpus.err"
check "sitrep timeline --markdown reads the corpus (exit 0)" [ $? = 0 ]
check "every entry is a row (header, delimiter, 2 x corpus)" \
	[ "$(grep -c '^|' "$TMP/corpus.md")" = $((2 + 2 * $("$PY" -c "import json; print(len(json.load(open('$TMP/corpus.json'))))"))) ]
for r in cmark cmark-gfm markdown markdown-tables; do
	check "corpus export rendered by $r: no tag, link, image, comment or block from outside text" \
		"$PY" "$TMP/mdcheck.py" "$r" "$TMP/corpus.md"
done
check "corpus export under GFM: each string is the whole text of its cell" \
	"$PY" "$TMP/mdcheck.py" cmark-gfm "$TMP/corpus.md" "$TMP/corpus.json"

# --- 2. the dashboard's `e` ------------------------------------------------
printf '2026-11-30T00:00:00Z INFO started\n' >"$TMP/app.log"
cat >"$TMP/dash.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/dash", "panes": [
  { "id": "errors", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/app.log" } ] } ] }
JSON
chmod 600 "$TMP/dash.json"
tm_start 160 40 "umask 022; exec $SITREP -c $TMP/dash.json"
check "the dashboard follows the log" tm_wait_text 15 "errors"
sleep 1.5
{
	echo "ERROR payment <img src=x onerror=alert(1)> failed"
	echo "ERROR gateway [retry](javascript:alert(1)) refused"
	echo "ERROR cdn ![pixel](http://tracker.example/p.gif) missing"
	echo "ERROR worker <!-- hidden --> crashed"
	echo "ERROR queue \`\`\` fence <iframe src=//evil.example></iframe>"
	echo "ERROR mail <http://autolink.example> and www.bare.example bounced"
	echo "ERROR auth | a | b | **strong** # not a heading"
} >>"$TMP/app.log"
check "the hostile lines are new error groups" tm_wait_text 10 "new error group"
sleep 1
tm send-keys -t t e
check "e says where the export went" tm_wait_text 5 "timeline exported to"
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill
export_md=$(ls "$TMP/dash"/timeline-*.md 2>/dev/null | head -1)
check "the export is in the state dir" [ -n "$export_md" ]
check "the export is private: 0600 under umask 022" [ "$(stat -c %a "$export_md" 2>/dev/null)" = 600 ]
check "the export holds the hostile lines (in code spans)" grep -qF '`new_error' "$export_md"
check "the export holds the image line" grep -qF 'onerror=alert(1)' "$export_md"
for r in cmark cmark-gfm markdown markdown-tables; do
	check "dashboard export rendered by $r: no markup from the log" \
		"$PY" "$TMP/mdcheck.py" "$r" "$export_md"
done
ls -l "$TMP/dash" | diag
finish
