#!/usr/bin/env bash
# Checks every relative link of the project's Markdown files: the file or folder it names must exist inside
# the repository, and a #fragment must be a heading of the target (GitHub's anchor for it) or an explicit
# anchor (<a name=...>, id=...). Links to other sites (http:, https:, mailto:) are not followed.
#   scripts/check/doc-links.sh [FILE.md]...     default: every *.md file git tracks (README.md, docs/, ...)
# Prints one line per broken link (FILE:LINE: target: why) and exits 1 if there is any, else 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -eq 0 ]; then
  mapfile -t files < <(git ls-files '*.md')
else
  files=("$@")
fi
exec python3 - "$PWD" "${files[@]}" <<'PY'
import os, re, sys

root = os.path.realpath(sys.argv[1])
files = sys.argv[2:]
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_ANCHOR = re.compile(r"<a\s+[^>]*(?:name|id)\s*=\s*\"([^\"]+)\"", re.I)
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(path):
    """(line number, text) of the lines outside code fences."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if not fenced:
                yield n, line


def slug(text):
    """GitHub's anchor for a heading: link text kept, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


anchors_of = {}


def anchors(path):
    if path not in anchors_of:
        found, seen = set(), {}
        fenced = False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if FENCE.match(line):
                    fenced = not fenced
                    continue
                if fenced:
                    continue
                found.update(HTML_ANCHOR.findall(line))
                m = HEADING.match(line)
                if m:
                    s = slug(m.group(2))
                    n = seen.get(s, 0)
                    seen[s] = n + 1
                    found.add(s if n == 0 else f"{s}-{n}")
        anchors_of[path] = found
    return anchors_of[path]


def strip_code_spans(line):
    return re.sub(r"`[^`]*`", lambda m: " " * len(m.group()), line)


broken = 0
for md in files:
    md_path = os.path.realpath(md)
    for n, raw in prose_lines(md):
        line = strip_code_spans(raw)
        targets = [m.group(1) for m in LINK.finditer(line)]
        m = REFDEF.match(line)
        if m:
            targets.append(m.group(1))
        for target in targets:
            if EXTERNAL.match(target):
                continue
            path_part, _, fragment = target.partition("#")
            why = None
            if path_part.startswith("/"):
                why = "an absolute path: a reader's checkout is elsewhere"
                dest = None
            elif path_part:
                dest = os.path.realpath(os.path.join(os.path.dirname(md_path), path_part))
                if dest != root and not dest.startswith(root + os.sep):
                    why = "outside the repository"
                elif not os.path.exists(dest):
                    why = "no such file"
            else:
                dest = md_path
            if why is None and fragment and dest.endswith(".md") and os.path.isfile(dest):
                if fragment not in anchors(dest):
                    why = f"no heading or anchor '{fragment}' in {os.path.relpath(dest, root)}"
            if why:
                broken += 1
                print(f"{md}:{n}: {target}: {why}")
if broken:
    print(f"doc-links: {broken} broken link(s) in {len(files)} file(s)")
    sys.exit(1)
print(f"doc-links: every relative link in {len(files)} file(s) resolves")
PY
