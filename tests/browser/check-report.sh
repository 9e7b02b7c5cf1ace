#!/bin/sh
# check-report.sh - render `exitlog report` of a recording in headless
# Chromium (Debian's `chromium`) and check that the page rendered.
#
#   tests/browser/check-report.sh [-o DIR] [--screenshot PNG] [--allow-empty] DB
#
# Writes DIR/report.html (default DIR: a temporary directory), then:
#   1. static: the file holds no <script>, no src= and no http(s) URL but
#      the SVG namespace, and carries its Content-Security-Policy;
#   2. the report itself in Chromium with console logging on stderr: a
#      screenshot of the whole page (DIR/report.png, or PNG) and no console
#      message at all (a CSP violation or any error would print one);
#   3. a test copy with tests/browser/selfcheck.js injected (and the CSP
#      relaxed for that one script) through --dump-dom: every SVG has a
#      non-zero size and drew marks, no chart says "(no ... in this
#      recording)" and every SVG drew marks (unless --allow-empty: an empty
#      recording), every section has a chart or a
#      table, no script error.
# Prints "report: ok ..." and exits 0; one line per problem and exits 1;
# exits 77 when chromium is missing (scripts/install-deps installs it).
set -u
EXITLOG=${EXITLOG:-build/exitlog}
CHROMIUM=${CHROMIUM:-chromium}
dir= shot= allow_empty=0
while [ $# -gt 1 ]; do
	case $1 in
	-o) dir=$2; shift 2 ;;
	--screenshot) shot=$2; shift 2 ;;
	--allow-empty) allow_empty=1; shift ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { sed -n '4p' "$0" | sed 's/^# *//' >&2; exit 2; }
db=$1
command -v "$CHROMIUM" > /dev/null 2>&1 || { echo "report: $CHROMIUM not installed (scripts/install-deps)" >&2; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
[ -n "$dir" ] || dir=$(mktemp -d /tmp/exitlog-report.XXXXXX)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -n "$shot" ] || shot=$dir/report.png
fails=0
bad() { echo "report: $*"; fails=$((fails + 1)); }

"$EXITLOG" report "$db" -o "$dir/report.html" || { echo "report: exitlog report failed"; exit 1; }

# 1. static
grep -qi '<script' "$dir/report.html" && bad "the report holds a <script>"
grep -qiE '(src|href)="[a-z]+:' "$dir/report.html" && bad "the report links an outside resource"
[ "$(grep -oE 'https?://[^" ]*' "$dir/report.html" | grep -vc '^http://www.w3.org/2000/svg$')" = 0 ] ||
	bad "the report holds a URL other than the SVG namespace"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$dir/report.html" || bad "no CSP meta tag"

# Chromium wants a writable home and profile; keep them in DIR.
run_chromium() {
	HOME=$dir timeout 120 "$CHROMIUM" --headless --disable-gpu --no-sandbox --no-first-run \
		--user-data-dir="$dir/profile" --hide-scrollbars "$@"
}

# 3 first: the self-check also measures the page's height for the screenshot.
awk -v js="$here/selfcheck.js" '
	/http-equiv="Content-Security-Policy"/ {
		sub(/style-src .unsafe-inline./, "style-src '\''unsafe-inline'\''; script-src '\''unsafe-inline'\''") }
	/<\/body>/ { print "<script>"; while ((getline l < js) > 0) print l; print "</script>" }
	{ print }' "$dir/report.html" > "$dir/selfcheck.html"
run_chromium --virtual-time-budget=5000 --window-size=900,1200 --dump-dom \
	"file://$dir/selfcheck.html" > "$dir/selfcheck.dom" 2> "$dir/selfcheck.err"
verdict=$(sed -n 's/.*<pre id="selfcheck">\(SELFCHECK[^<]*\)<.*/\1/p' "$dir/selfcheck.dom")
if [ -z "$verdict" ]; then
	bad "the self-check did not run (see $dir/selfcheck.err)"
	height=4000
else
	num() { echo "$verdict" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
	height=$(num height)
	[ "$(num svgs)" -ge 1 ] || bad "no SVG in the page"
	[ "$allow_empty" = 1 ] || [ "$(num empty)" = 0 ] || bad "SVGs that rendered empty: $verdict"
	[ "$allow_empty" = 1 ] || [ "$(num nodata)" = 0 ] || bad "charts without data: $verdict"
	[ "$(num bare)" = 0 ] || bad "sections without content: $verdict"
	[ "$(num errors)" = 0 ] || bad "script errors in the page: $verdict"
fi

# 2. the report as is: screenshot, console silent
[ "${height:-0}" -gt 0 ] 2>/dev/null || height=4000
[ "$height" -le 16000 ] || height=16000
run_chromium --enable-logging=stderr --v=0 --window-size=900,"$height" \
	--screenshot="$shot" "file://$dir/report.html" > "$dir/chromium.out" 2> "$dir/chromium.err"
[ -s "$shot" ] || bad "no screenshot (see $dir/chromium.err)"
if grep -E 'CONSOLE|Refused to|Uncaught|Content Security Policy' "$dir/chromium.err" > "$dir/console.txt"; then
	bad "console messages: $(head -3 "$dir/console.txt" | tr '\n' ' ')"
fi

if [ "$fails" -gt 0 ]; then
	exit 1
fi
echo "report: ok: $(echo "$verdict" | sed 's/ |.*//; s/SELFCHECK //'); screenshot $shot"
