#!/usr/bin/env bash
# Renders a `jvmm compare --html` report in headless Chromium and checks what it shows:
# the DOM after rendering has the charts (SVG bars) and every path's row, and the screenshot is not
# blank (it is far larger than the screenshot of an empty page). Installs Debian's chromium if missing.
# Usage: scripts/check/check-html-report.sh REPORT.html [SCREENSHOT.png]
set -euo pipefail
report="$(realpath "${1:?usage: check-html-report.sh REPORT.html [SCREENSHOT.png]}")"
shot="${2:-${report%.html}.png}"
if ! command -v chromium >/dev/null; then
  apt-get install -y -qq chromium >/dev/null || { echo "check-html-report: cannot install chromium" >&2; exit 1; }
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/profile" --window-size=1000,1400)
chromium "${flags[@]}" --dump-dom "file://$report" > "$work/dom.html" 2>/dev/null
chromium "${flags[@]}" --screenshot="$shot" "file://$report" >/dev/null 2>&1
echo '<html><body></body></html>' > "$work/blank.html"
chromium "${flags[@]}" --screenshot="$work/blank.png" "file://$work/blank.html" >/dev/null 2>&1
fail() { echo "check-html-report: $*" >&2; exit 1; }
grep -q '<svg' "$work/dom.html" || fail "no SVG chart in the rendered page"
bars=$(grep -o '<rect' "$work/dom.html" | wc -l)
[ "$bars" -ge 3 ] || fail "only $bars bars in the rendered charts"
for path in "8250 polled" "virtio-console"; do
  grep -q "$path" "$work/dom.html" || fail "row '$path' missing from the rendered page"
done
size=$(stat -c %s "$shot"); blank=$(stat -c %s "$work/blank.png")
[ "$size" -gt $((blank * 3)) ] || fail "screenshot looks blank ($size bytes against $blank for an empty page)"
echo "check-html-report: ok: $bars bars, screenshot $shot ($size bytes; empty page $blank)"
