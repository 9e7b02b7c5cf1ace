# e2e.sh - the checks of issue 15 for the e2e tests' check() phase (runs on
# the host, after the recordings; sourced, uses lib.sh's check_eq and $W):
#   check_pictures DB  - `exitlog report` of DB renders in headless Chromium
#                        with every section populated (check-report.sh),
#                        and `exitlog export --perfetto` of DB is valid
#                        trace-event JSON whose slices nest, flows pair up
#                        and exit count equals the database's
#                        (check-perfetto.py).
# A missing chromium is a failure, not a skip (scripts/install-deps installs it).
check_pictures() {
	EXITLOG=$EXITLOG sh tests/browser/check-report.sh -o "$W/report" "$1" > "$W/report.out" 2>&1
	check_eq "report renders in Chromium, every SVG drawn, every section populated, console silent" \
		"$?:$(tail -1 "$W/report.out" | cut -c1-10)" "0:report: ok"
	python3 tests/export/check-perfetto.py --exitlog "$EXITLOG" "$1" > "$W/perfetto.out" 2>&1
	check_eq "Perfetto export: valid trace-event JSON, slices nest, flows pair, exits = database" \
		"$?:$(tail -1 "$W/perfetto.out" | cut -c1-12)" "0:perfetto: ok"
	echo "  ($(tail -1 "$W/report.out"); $(tail -1 "$W/perfetto.out"))"
}
